"""``tl.topics``: topics of the corpus's segments, with quotes, quality and stability.

The UMAP reduction depends only on the embeddings and the UMAP parameters, so it is cached on
disk by their content (:mod:`textmine.models.reduction`, under the embedding cache's policy:
the same folder, ``embed.cache: false`` honoured, entries verified): changing HDBSCAN or term
parameters re-runs in seconds, with no new UMAP and no new embedding.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
import pandas as pd

from textmine.config import TopicsConfig, validate_section
from textmine.corpus import Result
from textmine.errors import CorpusError
from textmine.models.reduction import reduced_embeddings
from textmine.models.terms import PhraseRemover, split_terms
from textmine.models.topic_model import TopicModel, params_of
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
    import re

    words, phrases = split_terms(cfg.stop_words, fillers=cfg.fillers)
    stop = set(words)
    clean = PhraseRemover(phrases)
    token = re.compile(r"(?u)\b[a-zA-Z][a-zA-Z\-']+\b")
    # BERTopic removes punctuation before counting, as here
    return [[w for w in token.findall(clean(re.sub(r"[^A-Za-z0-9 ]+", "", t)))
             if w not in stop] for t in texts]


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


def _model(cfg: TopicsConfig, seed: int, encode, zeroshot, labels, n: int) -> TopicModel:
    size, samples = hdbscan_sizes(cfg, n)
    return TopicModel(
        min_topic_size=size, min_samples=samples,
        cluster_selection_method=cfg.cluster_selection_method, nr_topics=cfg.nr_topics,
        representation=cfg.representation, top_n_words=cfg.top_n_words,
        ngram_range=tuple(cfg.ngram_range), stop_words=tuple(cfg.stop_words),
        use_fillers=cfg.fillers, outlier_threshold=cfg.outlier_threshold,
        zeroshot_topics=zeroshot, zeroshot_labels=labels,
        zeroshot_min_similarity=cfg.seed_min_similarity, encode=encode, random_state=seed)


def topics(corpus, *, key_added: str = "topics", seed: int = 0,
           stats: dict[str, Any] | None = None, **options: Any) -> Result:
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

    def fit(s: int) -> TopicModel:
        start = time.perf_counter()
        reduced, hit = reduced_embeddings(X, seed=s, cache=cache, cache_dir=cache_dir,
                                          **umap_params)
        stats.setdefault("umap_seconds", 0.0)
        stats["umap_seconds"] += time.perf_counter() - start
        stats["umap_cache_hits"] = stats.get("umap_cache_hits", 0) + int(hit)
        stats["umap_cache_misses"] = stats.get("umap_cache_misses", 0) + int(not hit)
        start = time.perf_counter()
        model = _model(cfg, s, encode, zeroshot, labels, len(texts)).fit(texts, X,
                                                                         reduced=reduced)
        stats["cluster_seconds"] = stats.get("cluster_seconds", 0.0) + (
            time.perf_counter() - start)
        return model

    model = fit(seed)
    info = model.topic_info()
    per_segment = pd.DataFrame({
        "segment_id": corpus.segments["segment_id"].to_numpy(),
        "topic": model.topics_.astype("int64"),
        "probability": model.probabilities_.astype("float64"),
        "assignment": pd.Series(model.assignment_, dtype="str"),
        "similarity": model.similarity_.astype("float64"),
    })
    words = [topic_words(terms.split()) for terms in info["terms"]]
    topk = min(25, cfg.top_n_words)
    quality: dict[str, Any] = {
        "n_topics": int(len(info)),
        "outlier_share": float(np.mean(model.topics_ < 0)),
        "outlier_share_before_reassignment": model.outlier_share_before_,
        "npmi": npmi(words, corpus_tokens(texts, cfg)),
        # the BERTopic paper's diversity uses 25 words per topic; fewer if fewer are kept
        "diversity": diversity([topic_words(t.split(), n=topk) for t in info["terms"]],
                               topk=topk),
        "diversity_topk": topk,
    }
    if len(corpus.codes):
        quality.update(agreement(model.topics_, dominant_code(corpus.segments["segment_id"],
                                                               corpus.segment_codes)))
    stability = None
    tables = {"topic_info": info, "quotes": _quotes(corpus, model, cfg.n_quotes)}
    if cfg.stability_seeds:
        seeds = [seed + k for k in range(cfg.stability_seeds + 1)]
        refits = [fit(s).topics_ for s in seeds[1:]]
        stability = stability_report(model.topics_, refits, seeds)
        # each refit's topics matched to these: what track needs for the model's uncertainty
        tables["refits"] = matched_refits(per_segment["segment_id"], model.topics_, refits,
                                          seeds[1:])
    params = {**cfg.model_dump(mode="json"), "seed": seed, "embedding": emb_key,
              "model": params_of(model)}
    result = Result(kind="topics", params=params, per_segment=per_segment,
                    tables=tables,
                    info={"quality": quality, "stability": stability}, model=model)
    corpus.results[key_added] = result
    stats.update(n_topics=quality["n_topics"], outlier_share=round(quality["outlier_share"], 4))
    return result
