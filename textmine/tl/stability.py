"""How much topics depend on the random seed: refits matched to the reference fit.

Topics of two fits are matched by the Jaccard overlap of their member segments (Hungarian
assignment). A reference topic's stability is its mean best-match Jaccard over the other
fits (1: the same segments every time, 0: never found again). The mean pairwise adjusted Rand
index compares whole assignments (outliers as one more cluster).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score


def jaccard_matrix(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Jaccard overlap of every topic of ``a`` with every topic of ``b`` (outliers ignored)."""
    ids_a = np.array(sorted(t for t in np.unique(a) if t >= 0))
    ids_b = np.array(sorted(t for t in np.unique(b) if t >= 0))
    if not len(ids_a) or not len(ids_b):
        return ids_a, ids_b, np.zeros((len(ids_a), len(ids_b)))
    # the contingency table by counting pairs: linear in the segments, where one-hot
    # matrices and their product took a minute and 200 MB at 100,000 segments
    a, b = np.asarray(a), np.asarray(b)
    in_a, in_b = a >= 0, b >= 0
    row, col = np.searchsorted(ids_a, a), np.searchsorted(ids_b, b)  # outliers: masked out
    both = in_a & in_b
    inter = np.bincount(row[both] * len(ids_b) + col[both],
                        minlength=len(ids_a) * len(ids_b)).reshape(len(ids_a), len(ids_b))
    size_a = np.bincount(row[in_a], minlength=len(ids_a))
    size_b = np.bincount(col[in_b], minlength=len(ids_b))
    union = size_a[:, None] + size_b[None, :] - inter
    return ids_a, ids_b, inter / np.maximum(union, 1)


def stability_report(reference: np.ndarray, refits: Sequence[np.ndarray],
                     seeds: Sequence[int]) -> dict:
    """Per-topic stability of ``reference`` and the mean pairwise ARI of all fits.

    Parameters
    ----------
    reference
        Topic per segment of the reported fit.
    refits
        Topic per segment of fits with other seeds.
    seeds
        Seeds of ``[reference, *refits]``.
    """
    fits = [np.asarray(reference)] + [np.asarray(r) for r in refits]
    pairwise = [adjusted_rand_score(x, y) for x, y in itertools.combinations(fits, 2)]
    ids = [int(t) for t in sorted(np.unique(reference)) if t >= 0]
    per_topic = {t: [] for t in ids}
    matches = []
    for refit in fits[1:]:
        ids_a, ids_b, jac = jaccard_matrix(fits[0], refit)
        rows, cols = linear_sum_assignment(-jac) if jac.size else ([], [])
        matched = {int(ids_a[r]): (int(ids_b[c]), float(jac[r, c])) for r, c in zip(rows, cols,
                                                                                    strict=True)}
        for t in ids:
            per_topic[t].append(matched.get(t, (-1, 0.0))[1])
        matches.append({str(t): m[0] for t, m in matched.items()})
    matched_per_topic = {t: [m.get(str(t), -1) for m in matches] for t in ids}
    return {
        "seeds": [int(s) for s in seeds],
        "mean_pairwise_ari": float(np.mean(pairwise)) if pairwise else None,
        # a topic no refit has as a topic of its own: merged into another, or split apart,
        # whatever the seed; the mean ARI of the whole partition can stay high beside it
        "not_found_again": [t for t, m in matched_per_topic.items() if m and max(m) < 0],
        "pairwise_ari": [round(float(v), 6) for v in pairwise],
        "n_topics": [int(len(set(f.tolist()) - {-1})) for f in fits],
        "per_topic": [
            {"topic": t, "stability": round(float(np.mean(v)), 6) if v else None,
             "matched_topic": matched_per_topic[t]}
            for t, v in per_topic.items()
        ],
    }


def matched_refits(segment_ids: Sequence[str], reference: np.ndarray,
                   refits: Sequence[np.ndarray], seeds: Sequence[int]) -> pd.DataFrame:
    """Each refit's topic per segment, and the reference topic it is matched to.

    Columns ``segment_id, seed, topic, matched_topic``: ``topic`` as the refit numbered it,
    ``matched_topic`` the reported topic it was matched to (the same Hungarian matching on
    Jaccard overlap as :func:`stability_report`); -1 for outliers and for refit topics that
    match no reported topic. This is what ``tl.track`` needs to fold the model's own
    uncertainty into its intervals.
    """
    frames = []
    reference = np.asarray(reference)
    for seed, refit in zip(seeds, refits, strict=True):
        refit = np.asarray(refit)
        ids_a, ids_b, jac = jaccard_matrix(reference, refit)
        rows, cols = linear_sum_assignment(-jac) if jac.size else ([], [])
        to_reference = {int(ids_b[c]): int(ids_a[r]) for r, c in zip(rows, cols, strict=True)
                        if jac[r, c] > 0}
        frames.append(pd.DataFrame({
            "segment_id": pd.Series(list(segment_ids), dtype="str"),
            "seed": np.full(len(refit), int(seed), dtype="int64"),
            "topic": refit.astype("int64"),
            "matched_topic": np.array([to_reference.get(int(t), -1) for t in refit],
                                      dtype="int64"),
        }))
    if not frames:
        return pd.DataFrame({"segment_id": pd.Series(dtype="str"),
                             "seed": pd.Series(dtype="int64"), "topic": pd.Series(dtype="int64"),
                             "matched_topic": pd.Series(dtype="int64")})
    return pd.concat(frames, ignore_index=True)
