"""``tl.topics``: topics of the corpus's segments, with quotes, quality and stability.

The UMAP reduction depends only on the embeddings and the UMAP parameters, so it is cached on
disk by their content (:mod:`textmine.models.reduction`, under the embedding cache's policy:
the same folder, ``embed.cache: false`` honoured, entries verified): changing HDBSCAN or term
parameters re-runs in seconds, with no new UMAP and no new embedding.

A degenerate result is never silent. When one topic holds more than ``max_topic_share`` of
the segments or fewer than ``min_topics`` topics are found, the stage warns and (with
``on_degenerate: remedy``) also clusters with HDBSCAN's leaf selection and with half the
minimum topic size, and keeps the setting that is not degenerate and whose topics best
survive a change of seed (mean pairwise ARI over the stability seeds' UMAP reductions; the
relative validity of the clustering when no stability seeds are asked for). No label is
used. Every candidate and the choice are recorded in ``quality["remedy"]``. Stability below
``min_stability`` is warned about and recorded too.
"""

from __future__ import annotations

import itertools
import logging
import time
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from textmine.config import TopicsConfig, validate_section
from textmine.corpus import Result
from textmine.errors import CorpusError, TextmineWarning
from textmine.models.reduction import reductions_for_seeds
from textmine.models.terms import term_vectorizer
from textmine.models.themes import hierarchy, topic_centroids
from textmine.models.topic_model import (
    TopicModel,
    hdbscan_labels,
    params_of,
    reassign_outliers,
    unit_rows,
)
from textmine.tl.embed import cache_settings
from textmine.tl.quality import agreement, diversity, dominant_code, npmi, topic_words
from textmine.tl.stability import matched_refits, stability_report

log = logging.getLogger("textmine")


def _embeddings(corpus, key: str | None) -> tuple[str, np.ndarray]:
    if not corpus.embeddings:
        raise CorpusError("the corpus has no embeddings", hint="run textmine.tl.embed first")
    if key is None:
        if len(corpus.embeddings) > 1:
            raise CorpusError(f"several embeddings {sorted(corpus.embeddings)}: choose one",
                              key="topics.embedding")
        key = next(iter(corpus.embeddings))
    if key not in corpus.embeddings:
        raise CorpusError(f"no embeddings {key!r}; there are {sorted(corpus.embeddings)}",
                          key="topics.embedding")
    return key, corpus.embeddings[key]


def corpus_tokens(texts: list[str], cfg: TopicsConfig) -> list[list[str]]:
    """Texts tokenised as topic terms are counted (for NPMI on the corpus itself)."""
    analyze = term_vectorizer(cfg.stop_words, fillers=cfg.fillers,
                              ngram_range=(1, 1)).build_analyzer()
    return [analyze(t) for t in texts]


def term_diversity(terms: Iterable[str], cfg: TopicsConfig) -> dict[str, Any]:
    """``diversity`` of the topics' terms (space-separated per topic) and its ``diversity_topk``.

    The BERTopic paper's diversity uses 25 words per topic; fewer if fewer are kept.
    """
    topk = min(25, cfg.top_n_words)
    return {"diversity": diversity([topic_words(t.split(), n=topk) for t in terms], topk=topk),
            "diversity_topk": topk}


def _seed_topics(corpus, cfg: TopicsConfig) -> tuple[list[str] | None, list[str] | None]:
    if cfg.seed_topics == "none":
        return None, None
    book = corpus.uns.get("codebook") or {}
    codes = sorted(set(corpus.codes["code"])) if len(corpus.codes) else sorted(book)
    if not codes:
        raise CorpusError("topics.seed_topics is 'codebook' but the corpus has no codes",
                          key="topics.seed_topics", hint="set codes.path (and codes.codebook)")
    texts = [f"{code}: {book[code]}" if book.get(code) else code for code in codes]
    return texts, codes


def _quotes(corpus, model: TopicModel, n: int) -> pd.DataFrame:
    """The most central segments of each topic, at most one per document while others remain."""
    segs = corpus.segments
    rows = []
    for topic in model.terms_:
        members = np.flatnonzero(model.topics_ == topic)
        ranked = members[np.argsort(-model.similarity_[members], kind="stable")]
        chosen, docs = [], set()
        for idx in ranked:  # first pass: spread over documents
            if segs["doc_id"].iat[idx] not in docs:
                chosen.append(idx)
                docs.add(segs["doc_id"].iat[idx])
            if len(chosen) == n:
                break
        for idx in ranked:
            if len(chosen) == n:
                break
            if idx not in chosen:
                chosen.append(idx)
        chosen.sort(key=lambda i: -model.similarity_[i])
        for rank, idx in enumerate(chosen, start=1):
            row = segs.iloc[idx]
            rows.append({"topic": topic, "rank": rank, "segment_id": row["segment_id"],
                         "doc_id": row["doc_id"], "speaker": row["speaker"],
                         "start_char": int(row["start_char"]), "end_char": int(row["end_char"]),
                         "similarity": round(float(model.similarity_[idx]), 6),
                         "text": row["text"]})
    return pd.DataFrame(rows, columns=["topic", "rank", "segment_id", "doc_id", "speaker",
                                       "start_char", "end_char", "similarity", "text"])


def hdbscan_sizes(cfg: TopicsConfig, n_segments: int) -> tuple[int, int | None]:
    """``(min_cluster_size, min_samples)`` with ``auto`` resolved for this many segments.

    A fixed minimum of 10 makes dozens of tiny topics in a large study; 1% of the segments
    (10 to 40) keeps the count readable. HDBSCAN's ``min_samples`` defaults to the cluster
    size, which above 10 merges nearly everything into two or three topics; 3 keeps the
    density estimate local (measured on the SERDIF, focus-group and NHS data, docs/topics.md).
    """
    size = (min(40, max(10, round(n_segments / 100))) if cfg.min_topic_size == "auto"
            else cfg.min_topic_size)
    samples = ((None if size <= 10 else 3) if cfg.min_samples == "auto" else cfg.min_samples)
    return size, samples


def topic_shape(topics: np.ndarray) -> dict[str, Any]:
    """``n_topics``, ``largest_topic_share`` (of all segments) and ``outlier_share``."""
    topics = np.asarray(topics, dtype=int)
    sizes = np.bincount(topics[topics >= 0]) if (topics >= 0).any() else np.zeros(0, int)
    return {"n_topics": int((sizes > 0).sum()),
            "largest_topic_share": float(sizes.max() / len(topics)) if len(sizes) else 0.0,
            "outlier_share": float(np.mean(topics < 0)) if len(topics) else 0.0}


def degenerate_reasons(shape: dict[str, Any], cfg: TopicsConfig) -> list[str]:
    """Why a result is degenerate (empty: it is not)."""
    reasons = []
    if shape["largest_topic_share"] > cfg.max_topic_share:
        reasons.append(f"one topic holds {shape['largest_topic_share']:.0%} of the segments "
                       f"(topics.max_topic_share is {cfg.max_topic_share:.0%})")
    # asking for fewer topics (nr_topics: 2) is a choice, not a collapse
    fewest = min(cfg.min_topics, cfg.nr_topics) if isinstance(cfg.nr_topics, int) else \
        cfg.min_topics
    if shape["n_topics"] < fewest:
        reasons.append(f"{shape['n_topics']} topic(s) found (topics.min_topics is "
                       f"{cfg.min_topics})")
    return reasons


def remedy_candidates(size: int, samples: int | None, method: str) -> list[dict[str, Any]]:
    """HDBSCAN settings tried against a degenerate result, the reported one first.

    Leaf selection takes the finest clusters of HDBSCAN's tree instead of merging them into
    one large one; half the minimum size lets smaller groups stand as topics.
    """
    half = max(5, size // 2)
    half_samples = None if samples is None else min(samples, half)
    out = [{"min_topic_size": size, "min_samples": samples, "cluster_selection_method": method}]
    for candidate in ({"min_topic_size": size, "min_samples": samples,
                       "cluster_selection_method": "leaf"},
                      {"min_topic_size": half, "min_samples": half_samples,
                       "cluster_selection_method": "eom"},
                      {"min_topic_size": half, "min_samples": half_samples,
                       "cluster_selection_method": "leaf"}):
        if candidate not in out:
            out.append(candidate)
    return out


def _evaluate(candidate: dict[str, Any], reductions: list[np.ndarray], normed: np.ndarray,
              cfg: TopicsConfig) -> dict[str, Any]:
    """One HDBSCAN setting on every seed's reduction: shape, stability, validity."""
    fits, validity = [], float("nan")
    for k, reduced in enumerate(reductions):
        labels, score = hdbscan_labels(
            reduced, min_cluster_size=candidate["min_topic_size"],
            min_samples=candidate["min_samples"],
            cluster_selection_method=candidate["cluster_selection_method"])
        if cfg.outlier_threshold is not None:
            labels = reassign_outliers(normed, labels, cfg.outlier_threshold)
        fits.append(labels)
        if k == 0:
            validity = score
    from sklearn.metrics import adjusted_rand_score

    pairs = [adjusted_rand_score(a, b) for a, b in itertools.combinations(fits, 2)]
    shape = topic_shape(fits[0])
    return {**candidate, **shape, "degenerate": degenerate_reasons(shape, cfg),
            "relative_validity": None if np.isnan(validity) else round(validity, 6),
            "mean_pairwise_ari": round(float(np.mean(pairs)), 6) if pairs else None}


def choose_remedy(evaluated: list[dict[str, Any]]) -> int:
    """Index of the candidate kept: not degenerate first, then the most stable across seeds.

    Without stability seeds, the highest relative validity instead; ties: the earlier one.
    """

    def key(k: int):
        row = evaluated[k]
        score = row["mean_pairwise_ari"]
        if score is None:
            score = row["relative_validity"]
        return (len(row["degenerate"]), -(score if score is not None else -np.inf), k)

    return min(range(len(evaluated)), key=key)


#: ``fit_sample: auto`` fits on every segment up to AUTO_FIT_ALL, on a sample of
#: AUTO_FIT_SAMPLE beyond: UMAP's time and memory grow with what it is fitted on, and 20,000
#: segments (four fits with the stability refits) stay well under 2 GB (docs/performance.md)
AUTO_FIT_ALL = 30_000
AUTO_FIT_SAMPLE = 20_000


def fit_sample_size(fit_sample: int | str | None, n_segments: int) -> int | None:
    """Segments the topics are fitted on (``None``: all of them), for ``topics.fit_sample``."""
    if fit_sample == "auto":
        return AUTO_FIT_SAMPLE if n_segments > AUTO_FIT_ALL else None
    return None if fit_sample is None else int(fit_sample)


def _model(cfg: TopicsConfig, seed: int, encode, zeroshot, labels, n: int,
           hdbscan: dict[str, Any] | None = None) -> TopicModel:
    size, samples = hdbscan_sizes(cfg, n)
    method = cfg.cluster_selection_method
    if hdbscan is not None:
        size, samples = hdbscan["min_topic_size"], hdbscan["min_samples"]
        method = hdbscan["cluster_selection_method"]
    return TopicModel(
        min_topic_size=size, min_samples=samples,
        cluster_selection_method=method, nr_topics=cfg.nr_topics,
        representation=cfg.representation, top_n_words=cfg.top_n_words,
        ngram_range=tuple(cfg.ngram_range), stop_words=tuple(cfg.stop_words),
        use_fillers=cfg.fillers, outlier_threshold=cfg.outlier_threshold,
        zeroshot_topics=zeroshot, zeroshot_labels=labels,
        zeroshot_min_similarity=cfg.seed_min_similarity, encode=encode, random_state=seed)


def topics(corpus, *, key_added: str = "topics", seed: int = 0,
           stats: dict[str, Any] | None = None, _sample_of: int | None = None,
           **options: Any) -> Result:
    """Find topics in the corpus's segments and store them under ``key_added``.

    Parameters
    ----------
    corpus
        A segmented Corpus with embeddings (``textmine.tl.embed``).
    key_added
        Key in ``corpus.results``.
    seed
        Seed of UMAP and BERTopic; refits for stability use ``seed + 1``, ``seed + 2``...
    stats
        If given, filled with timings and cache use (kept out of the stored result, so
        that results do not depend on what was cached).
    _sample_of
        Internal (:func:`textmine.tl.sampled.topics_on_sample`): this corpus is a sample of
        a corpus of that many segments, whose NPMI, quotes, themes and agreement are
        computed on the whole; they are not computed here only to be replaced.
    **options
        Keys of the ``topics`` config section.

    Returns
    -------
    Result
        ``per_segment`` (segment_id, topic, probability, assignment, similarity), tables
        ``topic_info``, ``quotes``, and ``info`` with ``quality`` and ``stability``.
    """
    cfg = validate_section(TopicsConfig, options, section="topics")
    stats = {} if stats is None else stats
    emb_key, X = _embeddings(corpus, cfg.embedding)
    sample = fit_sample_size(cfg.fit_sample, len(corpus.segments))
    if sample is not None:  # fit on a sample, assign the rest (textmine.tl.sampled)
        from textmine.tl.sampled import topics_on_sample

        return topics_on_sample(corpus, cfg.model_copy(update={"fit_sample": sample}),
                                key_added=key_added, seed=seed, stats=stats, fit=topics,
                                embeddings=(emb_key, X), auto=cfg.fit_sample == "auto")
    texts = corpus.segments["text"].tolist()
    size, _ = hdbscan_sizes(cfg, len(texts))
    if len(texts) < 2 * size:
        raise CorpusError(f"{len(texts)} segments are too few for topics of at least "
                          f"{size}", key="topics.min_topic_size")
    encode = None
    zeroshot, labels = _seed_topics(corpus, cfg)
    if cfg.representation != "ctfidf" or zeroshot:
        from textmine.tl.embed import encoder_for

        encode = encoder_for(corpus, emb_key)
    umap_params = {"n_neighbors": cfg.n_neighbors, "n_components": cfg.n_components,
                   "min_dist": cfg.min_dist}
    cache, cache_dir = cache_settings(corpus, emb_key)

    def reduce(*s: int) -> dict[int, np.ndarray]:
        return reductions_for_seeds(X, list(s), n_jobs=cfg.n_jobs, cache=cache,
                                    cache_dir=cache_dir, stats=stats, **umap_params)

    def clustered(work: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        out = work()
        stats["cluster_seconds"] = stats.get("cluster_seconds", 0.0) + (
            time.perf_counter() - start)
        return out

    def fit(s: int, hdbscan: dict[str, Any] | None = None,
            reduced: np.ndarray | None = None) -> TopicModel:
        reduced = reduce(s)[s] if reduced is None else reduced
        return clustered(lambda: _model(cfg, s, encode, zeroshot, labels, len(texts),
                                        hdbscan).fit(texts, X, reduced=reduced))

    def refit(s: int, hdbscan: dict[str, Any] | None, reduced: np.ndarray) -> np.ndarray:
        return clustered(lambda: _model(cfg, s, encode, zeroshot, labels, len(texts),
                                        hdbscan).partition(texts, X, reduced))

    seeds = [seed + k for k in range(cfg.stability_seeds + 1)]
    # the refits need a reduction per seed anyway: computed together, side by side
    reductions = reduce(*seeds)
    model = fit(seed, reduced=reductions[seed])
    chosen: dict[str, Any] | None = None
    shape = topic_shape(model.topics_)
    reasons = degenerate_reasons(shape, cfg)
    remedy: dict[str, Any] | None = None
    # the candidates are clusterings before any merging: with nr_topics the merge, which
    # was asked for, made the large topic, and no HDBSCAN setting is a remedy for it
    remedying = cfg.on_degenerate == "remedy" and cfg.nr_topics is None
    if reasons:
        _warn("topics are degenerate: " + "; ".join(reasons)
              + (": trying leaf selection and smaller topics (topics.on_degenerate)"
                 if remedying else
                 " after merging to topics.nr_topics - ask for more topics, or none"
                 if cfg.nr_topics is not None else
                 " - set topics.on_degenerate: remedy, or try segment.unit: window"))
    if reasons and remedying:
        size, samples = hdbscan_sizes(cfg, len(texts))
        start = time.perf_counter()
        normed = unit_rows(np.asarray(X, dtype=np.float32))
        tried = remedy_candidates(size, samples, cfg.cluster_selection_method)
        evaluated = [_evaluate(c, [reductions[s] for s in seeds], normed, cfg) for c in tried]
        if all(row["degenerate"] for row in evaluated):
            # half the size was not enough: a quarter, tried only then so that a run the
            # first rung mends costs and gives what it did before
            for c in remedy_candidates(max(5, size // 2), None if samples is None else
                                       min(samples, max(5, size // 2)),
                                       cfg.cluster_selection_method):
                if c not in tried:
                    tried.append(c)
                    evaluated.append(_evaluate(c, [reductions[s] for s in seeds], normed, cfg))
        best = choose_remedy(evaluated)
        stats["remedy_seconds"] = time.perf_counter() - start
        remedy = {"reasons": reasons, "criterion": "mean_pairwise_ari" if len(seeds) > 1
                  else "relative_validity", "candidates": evaluated, "chosen": best}
        if best:
            chosen = {k: evaluated[best][k] for k in
                      ("min_topic_size", "min_samples", "cluster_selection_method")}
            remedied = fit(seed, chosen, reduced=reductions[seed])
            if topic_shape(remedied.topics_)["largest_topic_share"] < shape[
                    "largest_topic_share"] or not degenerate_reasons(
                    topic_shape(remedied.topics_), cfg):
                model = remedied
            else:  # no better than the first fit (zero-shot topics, say): keep that
                chosen, best = None, 0
                remedy["chosen"] = 0
        left = degenerate_reasons(topic_shape(model.topics_), cfg)
        remedy["degenerate_after"] = left
        _warn("degenerate topics remedied with " + _describe(chosen) if best and not left
              else "the remedy for degenerate topics kept " + (_describe(chosen) if best else
                                                               "the reported setting")
              + (": still " + "; ".join(left) if left else "")
              + " - try segment.unit: window, or embed.context: none")
    info = model.topic_info()
    per_segment = pd.DataFrame({
        "segment_id": corpus.segments["segment_id"].to_numpy(),
        "topic": model.topics_.astype("int64"),
        "probability": model.probabilities_.astype("float64"),
        "assignment": pd.Series(model.assignment_, dtype="str"),
        "similarity": model.similarity_.astype("float64"),
    })
    words = [topic_words(terms.split()) for terms in info["terms"]]
    n_reassigned = int(np.sum(model.assignment_ == "reassigned"))
    n_before = int(round(model.outlier_share_before_ * len(texts)))
    final_shape = topic_shape(model.topics_)
    quality: dict[str, Any] = {
        "n_topics": int(len(info)),
        "outlier_share": float(np.mean(model.topics_ < 0)),
        "outlier_share_before_reassignment": model.outlier_share_before_,
        "n_outliers_before_reassignment": n_before,
        "n_reassigned": n_reassigned,
        "reassigned_share": n_reassigned / len(texts),
        "largest_topic_share": final_shape["largest_topic_share"],
        "degenerate": degenerate_reasons(final_shape, cfg),
        "remedy": remedy,
        "npmi": None if _sample_of else npmi(words, corpus_tokens(texts, cfg)),
        **term_diversity(info["terms"], cfg),
    }
    if len(corpus.codes) and not _sample_of:
        quality.update(agreement(model.topics_, dominant_code(corpus.segments["segment_id"],
                                                               corpus.segment_codes)))
    stability = None
    tables = {"topic_info": info}
    if not _sample_of:
        tables["quotes"] = _quotes(corpus, model, cfg.n_quotes)
    if cfg.n_themes is not None and not _sample_of:
        tables["themes"], tables["theme_tree"] = _themes(X, model.topics_, info, cfg.n_themes)
    if cfg.stability_seeds:
        # a refit's topics are all stability needs: no terms are computed for them
        refits = [refit(s, chosen, reductions[s]) for s in seeds[1:]]
        stability = stability_report(model.topics_, refits, seeds)
        # each refit's topics matched to these: what track needs for the model's uncertainty
        tables["refits"] = matched_refits(per_segment["segment_id"], model.topics_, refits,
                                          seeds[1:])
        stability["min_stability"] = cfg.min_stability
        low = (stability["mean_pairwise_ari"] is not None
               and stability["mean_pairwise_ari"] < cfg.min_stability)
        stability["below_min_stability"] = bool(low)
        quality["mean_pairwise_ari"] = stability["mean_pairwise_ari"]
        quality["stable"] = not low
        if low:
            _warn(f"topics change with the seed: the {len(seeds)} fits agree with mean "
                  f"pairwise ARI {stability['mean_pairwise_ari']:.2f} (topics.min_stability is "
                  f"{cfg.min_stability}), found {stability['n_topics']} topics; read topics "
                  "with a low per-topic stability (stability.json) with care")
        if stability["not_found_again"]:
            lost = stability["not_found_again"]
            _warn(f"{len(lost)} of {quality['n_topics']} topics (topic "
                  f"{', '.join(map(str, lost))}) were not found again as a topic in any of the "
                  f"{len(refits)} refits with other seeds: they may be an artefact of the seed; "
                  "read them with care (stability.json: per_topic, not_found_again)")
    log.info("topics: %d topics, largest %.0f%% of the segments; HDBSCAN left %d outliers "
             "(%.0f%%), %d reassigned at cosine >= %s, %d remain", quality["n_topics"],
             100 * quality["largest_topic_share"], n_before, 100 * model.outlier_share_before_,
             n_reassigned, cfg.outlier_threshold, int(np.sum(model.topics_ < 0)))
    params = {**cfg.model_dump(mode="json"), "seed": seed, "embedding": emb_key,
              "model": params_of(model)}
    result = Result(kind="topics", params=params, per_segment=per_segment,
                    tables=tables,
                    info={"quality": quality, "stability": stability}, model=model)
    corpus.results[key_added] = result
    stats.update(n_topics=quality["n_topics"], outlier_share=round(quality["outlier_share"], 4),
                 n_outliers_before_reassignment=n_before, n_reassigned=n_reassigned,
                 largest_topic_share=round(quality["largest_topic_share"], 4),
                 degenerate=bool(quality["degenerate"]) or bool(reasons),
                 remedy=_describe(chosen) if chosen else None,
                 mean_pairwise_ari=None if stability is None else
                 round(stability["mean_pairwise_ari"], 4))
    return result


def _themes(X: np.ndarray, topics: np.ndarray, info: pd.DataFrame,
            n_themes: int | str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Topics grouped into themes by their centroids (:mod:`textmine.models.themes`).

    An automatic cut that puts more than :data:`LOPSIDED_THEMES` of the topics into one theme
    is warned about: the best silhouette often splits off one odd topic and leaves the rest
    together, which groups nothing.
    """
    kept = info[info["topic"] >= 0].reset_index(drop=True)
    centroids = (topic_centroids(X, topics, kept["topic"].astype(int).tolist()) if len(kept)
                 else np.zeros((0, X.shape[1])))
    themes, tree = hierarchy(kept, centroids, n_themes)
    largest = int(themes["n_topics_in_theme"].max()) if len(themes) else 0
    if n_themes == "auto" and len(themes) >= 4 and largest > LOPSIDED_THEMES * len(themes):
        _warn(f"themes: the automatic cut (best silhouette of the topic centroids) put "
              f"{largest} of {len(themes)} topics into one theme and "
              f"{themes['theme'].nunique() - 1} other theme(s) hold the rest; set "
              "topics.n_themes to the number of themes wanted (topics/theme_tree.csv shows "
              "the merge tree)")
    return themes, tree


#: share of the topics in one theme beyond which an automatic theme cut is warned about
LOPSIDED_THEMES = 0.75


def _describe(hdbscan: dict[str, Any] | None) -> str:
    if not hdbscan:
        return "the configured setting"
    return (f"cluster_selection_method {hdbscan['cluster_selection_method']}, min_topic_size "
            f"{hdbscan['min_topic_size']}, min_samples {hdbscan['min_samples']}")


def _warn(message: str) -> None:
    log.debug(message)
    warnings.warn(message, TextmineWarning, stacklevel=3)
