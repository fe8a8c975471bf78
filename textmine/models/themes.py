"""Topics grouped into themes: agglomerative clustering of topic centroids.

As BERTopic's ``hierarchical_topics`` does, topics are merged bottom-up by the cosine distance
of their centroids (average linkage); the tree is kept whole, so a figure can draw it, and cut
at a number of themes given, or chosen without labels: the cut with the best silhouette of
the topic centroids among 2 .. n_topics - 1 themes (fewest themes on a tie).
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.metrics import silhouette_score

TREE_COLUMNS = ["node", "left", "right", "distance", "n_topics"]


#: rows of embeddings widened to float64 at a time: a few MB, where the whole matrix was
#: 0.3 GB (twice) at 100,000 segments
CENTROID_CHUNK = 8192


def topic_centroids(X: np.ndarray, topics: np.ndarray, ids: list[int]) -> np.ndarray:
    """Unit-length mean of each topic's unit-length embeddings, in the order of ``ids``.

    Summed over chunks of rows in float64, so memory stays a few MB whatever the corpus
    (``X`` may be memory-mapped).
    """
    from scipy.sparse import csr_matrix

    topics = np.asarray(topics)
    order = np.asarray(ids)
    position = np.argsort(order, kind="stable")
    sums = np.zeros((len(order), X.shape[1]))
    counts = np.zeros(len(order))
    for start in range(0, len(topics), CENTROID_CHUNK):
        chunk = topics[start:start + CENTROID_CHUNK]
        at = np.searchsorted(order, chunk, sorter=position)
        at = np.minimum(at, len(order) - 1)
        member = order[position[at]] == chunk
        rows = np.flatnonzero(member)
        block = np.asarray(X[start:start + CENTROID_CHUNK], dtype=np.float64)[rows]
        block /= np.maximum(np.linalg.norm(block, axis=1, keepdims=True), 1e-12)
        which = position[at[rows]]
        sums += csr_matrix((np.ones(len(rows)), (which, np.arange(len(rows)))),
                           shape=(len(order), len(rows))) @ block
        counts += np.bincount(which, minlength=len(order))
    out = sums / np.maximum(counts, 1)[:, None]
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


def choose_cut(Z: np.ndarray, centroids: np.ndarray) -> int:
    """Number of themes with the best silhouette (cosine) of the centroids; 1 if < 3 topics."""
    n = len(centroids)
    if n < 3:
        return 1
    best, best_k = -2.0, 2
    for k in range(2, n):
        labels = fcluster(Z, t=k, criterion="maxclust")
        if len(set(labels)) < 2 or len(set(labels)) >= n:
            continue
        score = float(silhouette_score(centroids, labels, metric="cosine"))
        if score > best + 1e-12:
            best, best_k = score, len(set(labels))
    return best_k


def theme_label(terms: list[list[str]], sizes: list[int], n: int = 4) -> str:
    """The words most used across a theme's topics' top terms, weighted by topic size."""
    counts: Counter[str] = Counter()
    for words, size in zip(terms, sizes, strict=True):
        for rank, word in enumerate(words[:10]):
            counts[word] += size * (10 - rank)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return "_".join(w for w, _ in ranked[:n])


def hierarchy(info: pd.DataFrame, centroids: np.ndarray,
              n_themes: int | str | None = "auto") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Themes of the topics in ``info`` (outlier topic -1 excluded) and the merge tree.

    Parameters
    ----------
    info
        ``topic, size, label, terms`` (the topics' ``topic_info``), one row per centroid.
    centroids
        One unit-length row per topic of ``info``.
    n_themes
        Themes to cut the tree into, ``"auto"`` for the best silhouette, ``None`` for none
        (every topic its own theme).

    Returns
    -------
    themes
        ``theme, topic, label, theme_label, n_topics_in_theme``: theme numbers from 0, larger
        themes first.
    tree
        scipy's linkage as ``node, left, right, distance, n_topics``: node ``n + i`` merges
        ``left`` and ``right`` (topic numbers below ``n`` are the topics of ``info``, in order).
    """
    topics = info["topic"].astype(int).tolist()
    n = len(topics)
    if n >= 2:
        Z = linkage(centroids, method="average", metric="cosine")
        Z[:, 2] = np.clip(Z[:, 2], 0.0, None)  # rounding can give -1e-17
    else:
        Z = np.zeros((0, 4))
    # leaves are named by their topic number; merged nodes by n + i, as scipy numbers them
    name = {i: topics[i] for i in range(n)}
    tree = pd.DataFrame({
        "node": [f"m{n + i}" for i in range(len(Z))],
        "left": [str(name[int(a)]) if a < n else f"m{int(a)}" for a in Z[:, 0]],
        "right": [str(name[int(b)]) if b < n else f"m{int(b)}" for b in Z[:, 1]],
        "distance": Z[:, 2].round(10) if len(Z) else np.zeros(0),
        "n_topics": Z[:, 3].astype("int64") if len(Z) else np.zeros(0, dtype="int64"),
    })
    if n_themes is None or n < 2:
        k = n
    elif n_themes == "auto":
        k = choose_cut(Z, centroids)
    else:
        k = min(int(n_themes), n)
    raw = fcluster(Z, t=k, criterion="maxclust") if n >= 2 else np.ones(n, dtype=int)
    frame = pd.DataFrame({"raw": raw, "topic": topics, "size": info["size"].astype(int),
                          "label": info["label"].astype(str),
                          "words": [str(t).split() for t in info["terms"]]})
    # themes numbered by size (segments), then by their smallest topic: stable across runs
    order = (frame.groupby("raw").agg(size=("size", "sum"), first=("topic", "min"))
             .sort_values(["size", "first"], ascending=[False, True]).index)
    number = {raw_id: i for i, raw_id in enumerate(order)}
    frame["theme"] = frame["raw"].map(number).astype("int64")
    labels = {t: theme_label(g["words"].tolist(), g["size"].tolist())
              for t, g in frame.groupby("theme")}
    frame["theme_label"] = frame["theme"].map(labels).astype("str")
    frame["n_topics_in_theme"] = frame.groupby("theme")["topic"].transform("size").astype(
        "int64")
    themes = (frame.sort_values(["theme", "topic"])
              [["theme", "topic", "label", "theme_label", "n_topics_in_theme"]]
              .reset_index(drop=True))
    return themes, tree
