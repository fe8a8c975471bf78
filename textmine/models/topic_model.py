"""The BERTopic adapter: the only module that imports ``bertopic``.

A scikit-learn-style estimator fed precomputed embeddings (and, optionally, UMAP output
computed once and cached elsewhere), that fixes what users of BERTopic's defaults complain
about: outliers are reassigned to the nearest topic after clustering and the topic terms are
recomputed afterwards; fillers and hedges never become terms; every random step is seeded.
It knows nothing of the Corpus: texts and arrays in, arrays and tables out.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from textmine.models.ctfidf import class_terms
from textmine.models.terms import SEGMENT_BREAK, term_vectorizer

log = logging.getLogger("textmine")


class PrecomputedReduction:
    """Hands BERTopic a reduction computed beforehand, as if it were a fitted UMAP.

    BERTopic may transform a subset of the rows (zero-shot mode clusters only the documents
    no seed topic claimed), so rows are found by their bytes, not their position.
    """

    def __init__(self, embeddings: np.ndarray, reduced: np.ndarray) -> None:
        self.embeddings = embeddings
        self.reduced = reduced
        self._rows = {row.tobytes(): i for i, row in enumerate(embeddings)}

    def fit(self, X, y=None):  # noqa: D102 - BERTopic's reducer interface
        return self

    def transform(self, X) -> np.ndarray:  # noqa: D102
        X = np.asarray(X)
        # identical texts share an embedding but not a UMAP position: the full matrix is
        # returned as computed, rows are looked up only for subsets
        if X.shape == self.embeddings.shape and np.array_equal(X, self.embeddings):
            return self.reduced
        return self.reduced[[self._rows[row.tobytes()] for row in X]]


def import_bertopic() -> None:
    """Import bertopic without the warning filters it installs at import time.

    ``import bertopic`` runs ``warnings.filterwarnings("ignore", category=UserWarning)``,
    which would hide every :class:`~textmine.errors.TextmineWarning` (a ``UserWarning``)
    from the run's manifest for the rest of the process. Importing it inside
    ``catch_warnings`` throws its filters away; later imports find it in ``sys.modules``.
    """
    with warnings.catch_warnings():
        import bertopic  # noqa: F401
        import bertopic.backend  # noqa: F401
        import bertopic.representation  # noqa: F401
        import bertopic.vectorizers  # noqa: F401


def _backend(encode: Callable[[list[str]], np.ndarray]):
    """A BERTopic embedding backend that calls textmine's (cached, offline) embedder."""
    import_bertopic()
    from bertopic.backend import BaseEmbedder

    class _Backend(BaseEmbedder):
        def embed(self, documents, verbose=False):
            return np.asarray(encode(list(documents)), dtype=np.float32)

    return _Backend()


def umap_reduce(embeddings: np.ndarray, *, n_neighbors: int = 15, n_components: int = 5,
                min_dist: float = 0.0, metric: str = "cosine", seed: int = 0) -> np.ndarray:
    """UMAP as BERTopic configures it, seeded (a seed makes UMAP single-threaded and exact)."""
    from umap import UMAP

    model = UMAP(n_neighbors=min(n_neighbors, len(embeddings) - 1), n_components=n_components,
                 min_dist=min_dist, metric=metric, random_state=seed, low_memory=False)
    return model.fit_transform(embeddings).astype(np.float32)


class TopicModel(BaseEstimator):
    """HDBSCAN + c-TF-IDF topics over precomputed embeddings, with outlier reassignment.

    Parameters
    ----------
    min_topic_size
        HDBSCAN ``min_cluster_size``: the smallest group of segments called a topic.
    min_samples
        HDBSCAN ``min_samples`` (``None``: equal to ``min_topic_size``); smaller values
        leave fewer outliers.
    cluster_selection_method
        ``"eom"`` (fewer, larger topics) or ``"leaf"`` (more, finer topics).
    nr_topics
        ``None`` (as found), ``"auto"`` (merge similar topics) or a number to reduce to.
    representation
        ``"ctfidf"`` (terms by class-based TF-IDF), ``"keybert"`` (KeyBERT-inspired: terms
        closest to the topic in embedding space) or ``"mmr"`` (maximal marginal relevance:
        diverse terms). The last two need ``encode``.
    top_n_words
        Terms kept per topic.
    ngram_range
        Term lengths, e.g. ``(1, 2)`` for words and word pairs.
    stop_words
        Extra words and phrases never used as terms (added to English + fillers).
    use_fillers
        Whether the packaged transcript fillers are excluded.
    outlier_threshold
        After clustering, an outlier joins the topic whose centroid (cosine, in the original
        embedding space) is nearest if the similarity is at least this; ``None`` keeps
        HDBSCAN's outliers.
    zeroshot_topics
        Optional seed topics (e.g. codebook names/definitions): a segment at least
        ``zeroshot_min_similarity`` similar to one is assigned to it; the rest is clustered.
    zeroshot_min_similarity
        Cosine threshold for zero-shot assignment.
    encode
        ``texts -> embeddings`` with the same model as the segment embeddings (needed for
        ``keybert``, ``mmr`` and zero-shot topics).
    random_state
        Seed for everything random inside (BERTopic's representative-document sampling).

    Attributes
    ----------
    topics_ : ndarray of int
        Topic per document, ``-1`` for outliers, topics numbered by size (0 is largest).
    probabilities_ : ndarray of float
        HDBSCAN membership strength (0 for documents reassigned from the outliers).
    assignment_ : ndarray of str
        ``cluster``, ``reassigned``, ``zeroshot`` or ``outlier``.
    similarity_ : ndarray of float
        Cosine similarity of each document to its topic's centroid (NaN for outliers).
    terms_ : dict[int, list[tuple[str, float]]]
        Terms and weights per topic.
    labels_ : dict[int, str]
        A short readable label per topic.
    outlier_share_before_ : float
        Share of outliers HDBSCAN left before reassignment.
    """

    def __init__(
        self,
        *,
        min_topic_size: int = 10,
        min_samples: int | None = None,
        cluster_selection_method: str = "eom",
        nr_topics: int | str | None = None,
        representation: str = "ctfidf",
        top_n_words: int = 10,
        ngram_range: tuple[int, int] = (1, 2),
        stop_words: Sequence[str] = (),
        use_fillers: bool = True,
        outlier_threshold: float | None = 0.3,
        zeroshot_topics: Sequence[str] | None = None,
        zeroshot_labels: Sequence[str] | None = None,
        zeroshot_min_similarity: float = 0.7,
        encode: Callable[[list[str]], np.ndarray] | None = None,
        random_state: int = 0,
    ) -> None:
        self.min_topic_size = min_topic_size
        self.min_samples = min_samples
        self.cluster_selection_method = cluster_selection_method
        self.nr_topics = nr_topics
        self.representation = representation
        self.top_n_words = top_n_words
        self.ngram_range = ngram_range
        self.stop_words = stop_words
        self.use_fillers = use_fillers
        self.outlier_threshold = outlier_threshold
        self.zeroshot_topics = zeroshot_topics
        self.zeroshot_labels = zeroshot_labels
        self.zeroshot_min_similarity = zeroshot_min_similarity
        self.encode = encode
        self.random_state = random_state

    # ------------------------------------------------------------------ pieces
    def _vectorizer(self):
        return term_vectorizer(self.stop_words, fillers=self.use_fillers,
                               ngram_range=self.ngram_range)

    def _representation(self):
        if self.representation == "ctfidf":
            return None
        if self.encode is None:
            raise ValueError(f"representation {self.representation!r} needs an encoder")
        import_bertopic()
        from bertopic.representation import KeyBERTInspired, MaximalMarginalRelevance

        if self.representation == "keybert":
            return KeyBERTInspired(top_n_words=self.top_n_words, random_state=self.random_state)
        if self.representation == "mmr":
            return MaximalMarginalRelevance(diversity=0.3, top_n_words=self.top_n_words)
        raise ValueError(f"unknown representation {self.representation!r}")

    def _hdbscan(self):
        from hdbscan import HDBSCAN

        return HDBSCAN(min_cluster_size=self.min_topic_size, min_samples=self.min_samples,
                       cluster_selection_method=self.cluster_selection_method,
                       metric="euclidean", prediction_data=True)

    # ------------------------------------------------------------------ fit
    def partition(self, documents: Sequence[str], embeddings: np.ndarray,
                  reduced: np.ndarray) -> np.ndarray:
        """The topic of each document that :meth:`fit` finds, without the terms.

        Equal to ``fit(documents, embeddings, reduced).topics_``. Without topic merging
        (``nr_topics``) or zero-shot topics, which need the terms, BERTopic is not run at
        all: HDBSCAN's clusters, outliers reassigned, topics numbered by size, as ``fit``
        does. A stability refit needs only this, and the terms are most of a fit's time.
        """
        if self.nr_topics is not None or self.zeroshot_topics:
            return self.fit(documents, embeddings, reduced=reduced).topics_
        if len(documents) != len(embeddings) or len(reduced) != len(embeddings):
            raise ValueError("documents, embeddings and reduced differ in length")
        topics = np.asarray(self._hdbscan().fit_predict(reduced), dtype=int)
        if self.outlier_threshold is not None:
            normed = unit_rows(np.ascontiguousarray(embeddings, dtype=np.float32))
            topics = reassign_outliers(normed, topics, self.outlier_threshold)
        remap = by_size(topics)
        return np.array([remap[t] for t in topics], dtype=int)

    def fit(self, documents: Sequence[str], embeddings: np.ndarray,
            reduced: np.ndarray | None = None) -> TopicModel:
        """Find topics.

        Parameters
        ----------
        documents
            Segment texts.
        embeddings
            Their embeddings (rows aligned with ``documents``).
        reduced
            UMAP output for ``embeddings`` (see :func:`umap_reduce`); computed if missing.
        """
        import_bertopic()
        from bertopic import BERTopic
        from bertopic.vectorizers import ClassTfidfTransformer

        # BERTopic joins a topic's documents with spaces before counting terms; the break
        # keeps an n-gram from pairing the last word of one segment with the next's first
        documents = [f"{d}{SEGMENT_BREAK}" for d in documents]
        embeddings = np.ascontiguousarray(embeddings, dtype=np.float32)
        if len(documents) != len(embeddings):
            raise ValueError("documents and embeddings differ in length")
        if reduced is None:
            reduced = umap_reduce(embeddings, seed=self.random_state)
        hdbscan = self._hdbscan()
        zeroshot = list(self.zeroshot_topics) if self.zeroshot_topics else None
        backend = _backend(self.encode) if self.encode is not None else None
        model = BERTopic(
            # language "english" (the default when no embedding model is given) deletes
            # punctuation, hyphens included, before counting: "self-archiving" became
            # "selfarchiving" and sentence ends vanished, so terms no segment contains
            language=None,
            embedding_model=backend,
            umap_model=PrecomputedReduction(embeddings, reduced),
            hdbscan_model=hdbscan,
            vectorizer_model=self._vectorizer(),
            ctfidf_model=ClassTfidfTransformer(reduce_frequent_words=True),
            representation_model=self._representation(),
            top_n_words=self.top_n_words,
            nr_topics=self.nr_topics,
            zeroshot_topic_list=zeroshot,
            zeroshot_min_similarity=self.zeroshot_min_similarity,
            calculate_probabilities=False,
            verbose=False,
        )
        # BERTopic logs a warning on every update_topics with custom assignments; ours are
        # deliberate (outlier reassignment), so its logger is quietened while we fit
        bertopic_log = logging.getLogger("BERTopic")
        level = bertopic_log.level
        bertopic_log.setLevel(logging.ERROR)
        try:
            return self._fit(model, documents, embeddings, zeroshot)
        finally:
            bertopic_log.setLevel(level)

    def _fit(self, model, documents, embeddings, zeroshot) -> TopicModel:
        import_bertopic()
        from bertopic.vectorizers import ClassTfidfTransformer

        topics, probs = model.fit_transform(documents, embeddings=embeddings)
        topics = np.asarray(topics, dtype=int)
        probs = (np.zeros(len(topics)) if probs is None
                 else np.asarray(probs, dtype=float).reshape(len(topics), -1).max(axis=1))
        assignment = np.where(topics < 0, "outlier", "cluster").astype(object)
        if zeroshot:
            # BERTopic numbers zero-shot topics first; remember which documents they took
            zs = getattr(model, "_topic_id_to_zeroshot_topic_idx", {}) or {}
            assignment[np.isin(topics, list(zs))] = "zeroshot"
        self.outlier_share_before_ = float(np.mean(topics < 0))

        normed = unit_rows(embeddings)
        if self.outlier_threshold is not None and (topics < 0).any() and (topics >= 0).any():
            before = topics.copy()
            topics = reassign_outliers(normed, topics, self.outlier_threshold)
            moved = (before < 0) & (topics >= 0)
            probs[moved] = 0.0
            assignment[moved] = "reassigned"
            # the terms must describe the topics as they now are, not as HDBSCAN left them
            model.update_topics(documents, topics=topics.tolist(),
                                vectorizer_model=self._vectorizer(),
                                ctfidf_model=ClassTfidfTransformer(reduce_frequent_words=True),
                                representation_model=self._representation(),
                                top_n_words=self.top_n_words)
        terms = {int(t): [(w, float(s)) for w, s in (model.get_topic(int(t)) or []) if w]
                 for t in np.unique(topics) if t >= 0}
        zeroshot_names = {}
        if zeroshot:
            zs = getattr(model, "_topic_id_to_zeroshot_topic_idx", {}) or {}
            names = list(self.zeroshot_labels or zeroshot)
            zeroshot_names = {int(t): names[i] for t, i in zs.items()}
        remap = by_size(topics)
        order = sorted(terms, key=remap.__getitem__)
        self.topics_ = np.array([remap[t] for t in topics], dtype=int)
        self.probabilities_ = probs
        self.assignment_ = np.asarray(assignment, dtype=str)
        self.terms_ = {remap[t]: terms[t] for t in order}
        self.labels_ = {remap[t]: zeroshot_names.get(t) or _label(terms[t]) for t in order}
        ids, centroids = _centroids(normed, self.topics_)
        sim = np.full(len(self.topics_), np.nan)
        if len(ids):
            lookup = {t: i for i, t in enumerate(ids)}
            mask = self.topics_ >= 0
            sim[mask] = np.einsum("ij,ij->i", normed[mask],
                                  centroids[[lookup[t] for t in self.topics_[mask]]])
        self.similarity_ = sim
        self.centroids_ = centroids
        self.topic_ids_ = ids
        self.bertopic_ = model
        return self

    def count_terms(self, documents: Sequence[str]) -> None:
        """Count the topics' terms again on ``documents``, one per row of ``topics_``.

        For topics fitted on a sample and then extended to every segment: the c-TF-IDF
        terms (the topic stage's counter, outliers as one more class as in BERTopic) of the
        topics as they now are, counted in chunks. Labels made from terms follow them; a
        seeded topic keeps its code's name. Only for ``representation: ctfidf``: KeyBERT
        and MMR re-rank with embeddings of representative documents, which this does not
        redo.
        """
        if self.representation != "ctfidf":
            raise ValueError("count_terms needs representation 'ctfidf'")
        if len(documents) != len(self.topics_):
            raise ValueError(f"{len(documents)} documents for {len(self.topics_)} topics")
        found = class_terms(documents, self.topics_, n_terms=self.top_n_words,
                            stop_words=self.stop_words, fillers=self.use_fillers,
                            ngram_range=self.ngram_range)
        for topic, old in self.terms_.items():
            termed = self.labels_[topic] == _label(old)  # else a seed code's name
            self.terms_[topic] = found.get(topic, [])
            if termed:
                self.labels_[topic] = _label(self.terms_[topic])

    def topic_info(self) -> pd.DataFrame:
        """``topic, size, label, terms`` (terms space-separated, n-grams joined by ``_``)."""
        sizes = pd.Series(self.topics_).value_counts()
        return pd.DataFrame({
            "topic": list(self.terms_),
            "size": [int(sizes.get(t, 0)) for t in self.terms_],
            "label": [self.labels_[t] for t in self.terms_],
            "terms": [" ".join(w.replace(" ", "_") for w, _ in self.terms_[t])
                      for t in self.terms_],
        })


def by_size(topics: np.ndarray) -> dict[int, int]:
    """New topic numbers: 0 for the largest topic, ties by first appearance; -1 stays -1."""
    ids, first, sizes = np.unique(topics, return_index=True, return_counts=True)
    kept = ids >= 0
    order = ids[kept][np.lexsort((first[kept], -sizes[kept]))]
    remap = {int(old): new for new, old in enumerate(order)}
    remap[-1] = -1
    return remap


def unit_rows(embeddings: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (cosine similarity becomes a dot product)."""
    return embeddings / np.maximum(np.linalg.norm(embeddings, axis=1, keepdims=True), 1e-12)


def reassign_outliers(normed: np.ndarray, topics: np.ndarray, threshold: float) -> np.ndarray:
    """Topics with each outlier moved to the nearest topic centroid, if similar enough.

    Parameters
    ----------
    normed
        Unit-length embeddings (:func:`unit_rows`), rows aligned with ``topics``.
    topics
        Topic per row, ``-1`` for outliers.
    threshold
        Minimum cosine similarity to the centroid (mean direction of the topic's rows).

    Returns
    -------
    ndarray
        A new array; rows below the threshold stay ``-1``.
    """
    topics = np.array(topics, dtype=int)
    if not (topics < 0).any() or not (topics >= 0).any():
        return topics
    ids, centroids = _centroids(normed, topics)
    outliers = np.flatnonzero(topics < 0)
    sims = normed[outliers] @ centroids.T
    best = sims.argmax(axis=1)
    take = sims[np.arange(len(outliers)), best] >= threshold
    topics[outliers[take]] = ids[best[take]]
    return topics


def hdbscan_labels(reduced: np.ndarray, *, min_cluster_size: int, min_samples: int | None,
                   cluster_selection_method: str = "eom") -> tuple[np.ndarray, float]:
    """HDBSCAN clusters of a UMAP reduction as :class:`TopicModel` finds them, and their validity.

    Validity is HDBSCAN's relative validity, a fast DBCV approximation (higher is better; NaN
    if it cannot be computed). The same partition BERTopic makes from the same reduction,
    without the terms: cheap enough to compare several settings before fitting one.
    """
    from hdbscan import HDBSCAN

    model = HDBSCAN(min_cluster_size=min_cluster_size, min_samples=min_samples,
                    cluster_selection_method=cluster_selection_method, metric="euclidean",
                    gen_min_span_tree=True)
    labels = np.asarray(model.fit_predict(reduced), dtype=int)
    try:
        validity = float(model.relative_validity_)
    except (ValueError, ZeroDivisionError, IndexError):
        validity = float("nan")
    return labels, validity


def _centroids(normed: np.ndarray, topics: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit-length mean direction of each topic's documents."""
    ids = np.array(sorted(t for t in np.unique(topics) if t >= 0), dtype=int)
    if not len(ids):
        return ids, np.zeros((0, normed.shape[1]), dtype=normed.dtype)
    centroids = np.stack([normed[topics == t].mean(axis=0) for t in ids])
    centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12)
    return ids, centroids


def _label(terms: list[tuple[str, float]], n: int = 3) -> str:
    """The first ``n`` terms sharing no word with an earlier one (plural ``s`` ignored)."""
    chosen: list[str] = []
    seen: set[str] = set()
    for term, _ in terms:
        words = {w.removesuffix("s") for w in term.split()}
        if words & seen or len(words) < len(term.split()):  # overlaps, or "events events"
            continue
        chosen.append(term)
        seen |= words
        if len(chosen) == n:
            break
    return ", ".join(chosen) if chosen else "(no terms)"


def params_of(model: TopicModel) -> dict[str, Any]:
    """JSON-serialisable parameters (the encoder is recorded by name elsewhere)."""
    params = model.get_params()
    params.pop("encode", None)
    params["ngram_range"] = list(params["ngram_range"])
    for key in ("stop_words", "zeroshot_topics", "zeroshot_labels"):
        if params[key] is not None:
            params[key] = list(params[key])
    return params
