"""Topics fitted on a sample of the segments, the rest assigned (``topics.fit_sample``).

UMAP's memory and time grow with the number of segments it is fitted on; at 100,000 segments
and more they dominate a run. With ``fit_sample: n`` the whole topic stage (UMAP, HDBSCAN,
terms, outlier reassignment, remedy, stability refits) runs on ``n`` segments drawn so that
every document is represented and the rest in proportion to each document's size (seeded),
and every other segment is then assigned, in batches, to the topic whose centroid (the mean
direction of its sampled segments, in the original embedding space) it is nearest, when the
cosine similarity is at least ``outlier_threshold`` (else it is an outlier; with
``outlier_threshold: null`` the nearest topic always). The stability refits are extended the
same way, with each refit's own centroids, so ``tl.track`` still gets a refit topic for
every segment.

Memory then depends on the sample, not the corpus: only the sample is reduced by UMAP, and the
assignment holds one batch of similarities at a time. Topic terms are those counted on the
sample (c-TF-IDF of the sampled segments); topic sizes, quotes, quality and themes are those of
the whole corpus.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from textmine.corpus import Result
from textmine.errors import CorpusError, TextmineWarning

#: rows assigned per batch: a batch's similarities (rows x topics) stay a few MB
ASSIGN_BATCH = 8192


def stratified_rows(doc_ids: np.ndarray, n: int, *, seed: int) -> np.ndarray:
    """Sorted positions of ``n`` rows: one per document at least, the rest proportional.

    Each document first gets one row; the other ``n - n_documents`` are shared out in
    proportion to what each document has left (largest remainders), then drawn at random
    within the document with ``seed``. ``n`` at or above the number of rows gives all rows.

    Raises
    ------
    CorpusError
        If ``n`` is below the number of documents (one of them would not be represented).
    """
    doc_ids = np.asarray(doc_ids)
    if n >= len(doc_ids):
        return np.arange(len(doc_ids))
    docs, inverse = np.unique(doc_ids, return_inverse=True)
    if n < len(docs):
        raise CorpusError(f"topics.fit_sample is {n}, fewer than the {len(docs)} documents: "
                          "every document must be in the sample", key="topics.fit_sample",
                          hint=f"set topics.fit_sample to at least {len(docs)}, or null")
    counts = np.bincount(inverse)
    spare = counts - 1
    share = spare / spare.sum() * (n - len(docs))
    extra = np.floor(share).astype(int)
    # largest remainders; the fractions sum to what is left, so each gets at most one more
    # and never more than the document has
    left = (n - len(docs)) - int(extra.sum())
    extra[np.argsort(-(share - extra), kind="stable")[:left]] += 1
    rng = np.random.default_rng(seed)
    by_doc = np.argsort(inverse, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)])
    picked = [rng.choice(by_doc[starts[d]:starts[d + 1]], size=1 + int(extra[d]), replace=False)
              for d in range(len(docs))]
    return np.sort(np.concatenate(picked))


def nearest_topics(X: np.ndarray, rows: np.ndarray, ids: np.ndarray, centroids: np.ndarray,
                   threshold: float | None) -> tuple[np.ndarray, np.ndarray]:
    """Topic and cosine similarity of each of ``rows`` to the nearest centroid, in batches.

    A row less similar than ``threshold`` to every centroid gets topic -1 and similarity NaN.
    """
    from textmine.models.topic_model import unit_rows

    topics = np.full(len(rows), -1, dtype=int)
    sims = np.full(len(rows), np.nan)
    if not len(ids):
        return topics, sims
    for start in range(0, len(rows), ASSIGN_BATCH):
        chunk = rows[start:start + ASSIGN_BATCH]
        normed = unit_rows(np.asarray(X[chunk], dtype=np.float32))
        scores = normed @ centroids.T
        best = scores.argmax(axis=1)
        top = scores[np.arange(len(chunk)), best]
        keep = np.ones(len(chunk), bool) if threshold is None else top >= threshold
        where = np.arange(start, start + len(chunk))[keep]
        topics[where] = ids[best[keep]]
        sims[where] = top[keep]
    return topics, sims


def topics_on_sample(corpus, cfg, *, key_added: str, seed: int, stats: dict[str, Any],
                     fit: Callable[..., Result], embeddings: tuple[str, np.ndarray],
                     auto: bool = False) -> Result:
    """Fit the topic stage on a stratified sample, assign the rest, store the whole result.

    ``fit`` is :func:`textmine.tl.topics.topics` (called on the sample with ``fit_sample``
    off); ``embeddings`` the key and matrix it clusters; ``auto``: the sample size came from
    ``fit_sample: auto`` (warned, since the researcher did not ask for it).
    """
    import pandas as pd

    from textmine.models.topic_model import _centroids, unit_rows
    from textmine.tl.quality import agreement, dominant_code, npmi, topic_words
    from textmine.tl.stability import matched_refits
    from textmine.tl.topics import (
        _quotes,
        _themes,
        corpus_tokens,
        degenerate_reasons,
        term_diversity,
        topic_shape,
    )

    emb_key, X = embeddings
    n = len(corpus.segments)
    rows = stratified_rows(corpus.segments["doc_id"].to_numpy(), cfg.fit_sample, seed=seed)
    if auto:
        warnings.warn(
            f"topics: {n:,} segments; the topics are fitted on a sample of {len(rows):,} "
            "(every document in it, seeded) and the other segments assigned to the nearest "
            "topic (topics.fit_sample: auto, quality.json -> fit_sample); set "
            "topics.fit_sample: null to fit on all", TextmineWarning, stacklevel=3)
    sample = corpus[rows]
    options = {**cfg.model_dump(mode="json"), "fit_sample": None}
    part = fit(sample, key_added=key_added, seed=seed, stats=stats, _sample_of=n, **options)
    model = part.model
    start = time.perf_counter()
    rest = np.setdiff1d(np.arange(n), rows, assume_unique=True)
    threshold = cfg.outlier_threshold
    rest_topics, rest_sims = nearest_topics(X, rest, model.topic_ids_, model.centroids_,
                                            threshold)
    sampled = part.per_segment
    topics = np.empty(n, dtype=int)
    topics[rows], topics[rest] = sampled["topic"].to_numpy(), rest_topics
    similarity = np.empty(n)
    similarity[rows], similarity[rest] = sampled["similarity"].to_numpy(), rest_sims
    probability = np.zeros(n)
    probability[rows] = sampled["probability"].to_numpy()
    assignment = np.empty(n, dtype=object)
    assignment[rows] = sampled["assignment"].to_numpy()
    assignment[rest] = np.where(rest_topics >= 0, "assigned", "outlier")
    # the model now describes the whole corpus, its terms too: on 100,064 segments, terms
    # counted on the 20,000 sampled shared 7 of their top 10 with all segments' on average
    # (bench/results/topics_sample_terms.json)
    model.topics_, model.similarity_ = topics, similarity
    model.probabilities_, model.assignment_ = probability, assignment.astype(str)
    texts = corpus.segments["text"].tolist()
    terms_start = time.perf_counter()
    if not len(rest):  # the sample was every segment: its terms are already all of them
        counted_on = "all"
    elif cfg.representation == "ctfidf":
        model.count_terms(texts)
        counted_on = "all"
    else:
        counted_on = "sample"
    terms_seconds = time.perf_counter() - terms_start
    per_segment = pd.DataFrame({
        "segment_id": corpus.segments["segment_id"].to_numpy(),
        "topic": topics.astype("int64"), "probability": probability.astype("float64"),
        "assignment": pd.Series(model.assignment_, dtype="str"),
        "similarity": similarity.astype("float64")})
    info = model.topic_info()
    tables = {**part.tables, "topic_info": info,
              "quotes": _quotes(corpus, model, cfg.n_quotes)}
    if cfg.n_themes is not None:
        tables["themes"], tables["theme_tree"] = _themes(X, topics, info, cfg.n_themes)
    if "refits" in part.tables and len(part.tables["refits"]):
        refits, seeds = [], []
        for refit_seed, one in part.tables["refits"].groupby("seed", sort=True):
            refit = np.empty(n, dtype=int)
            refit[rows] = one["topic"].to_numpy()
            ids, centroids = _centroids(unit_rows(np.asarray(X[rows], dtype=np.float32)),
                                        refit[rows])
            refit[rest] = nearest_topics(X, rest, ids, centroids, threshold)[0]
            refits.append(refit)
            seeds.append(int(refit_seed))
        tables["refits"] = matched_refits(per_segment["segment_id"], topics, refits, seeds)
    quality = dict(part.info["quality"])
    shape = topic_shape(topics)
    words = [topic_words(terms.split()) for terms in info["terms"]]
    quality.update(
        n_topics=int(len(info)), outlier_share=shape["outlier_share"],
        largest_topic_share=shape["largest_topic_share"],
        degenerate=degenerate_reasons(shape, cfg),
        npmi=npmi(words, corpus_tokens(texts, cfg)),
        **term_diversity(info["terms"], cfg),
        fit_sample={"n_sampled": int(len(rows)), "auto": auto,
                    "n_assigned": int((rest_topics >= 0).sum()),
                    "n_assigned_outliers": int((rest_topics < 0).sum()),
                    "n_documents": int(corpus.segments["doc_id"].nunique()),
                    "terms_counted_on": counted_on})
    if len(corpus.codes):
        quality.update(agreement(topics, dominant_code(corpus.segments["segment_id"],
                                                       corpus.segment_codes)))
    params = {**part.params, "fit_sample": cfg.fit_sample, "embedding": emb_key}
    result = Result(kind="topics", params=params, per_segment=per_segment, tables=tables,
                    info={"quality": quality, "stability": part.info["stability"]},
                    model=model)
    corpus.results[key_added] = result
    stats.update(fit_sample=int(len(rows)), assign_seconds=round(time.perf_counter() - start, 3),
                 terms_seconds=round(terms_seconds, 3),
                 n_topics=quality["n_topics"], outlier_share=round(shape["outlier_share"], 4),
                 largest_topic_share=round(shape["largest_topic_share"], 4))
    return result
