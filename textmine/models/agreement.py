"""Partition agreement computed from a contingency table, so a bootstrap is a weighted count.

Each function takes ``C`` (true classes x found clusters, counts or resampling weights) and
gives what scikit-learn gives from the two label arrays (the tests check they are equal); a
bootstrap over interviews then only re-weights the cells, it never rebuilds label arrays.
"""

from __future__ import annotations

import numpy as np


def _comb2(x: np.ndarray) -> float:
    x = np.asarray(x, dtype=np.float64)
    return float(np.sum(x * (x - 1) / 2))


def ari(C: np.ndarray) -> float:
    """Adjusted Rand index (Hubert and Arabie), as ``sklearn.metrics.adjusted_rand_score``."""
    n = C.sum()
    cells, rows, cols = _comb2(C), _comb2(C.sum(axis=1)), _comb2(C.sum(axis=0))
    total = n * (n - 1) / 2
    if total == 0:
        return 1.0
    expected = rows * cols / total
    top = (rows + cols) / 2
    if top == expected:  # one cluster each side, or every item its own: perfect by convention
        return 1.0
    return float((cells - expected) / (top - expected))


def _entropy(counts: np.ndarray) -> float:
    p = counts[counts > 0] / counts.sum()
    return float(-np.sum(p * np.log(p)))


def mutual_info(C: np.ndarray) -> float:
    """Mutual information (nats) of the two partitions."""
    n = C.sum()
    rows, cols = C.sum(axis=1, keepdims=True), C.sum(axis=0, keepdims=True)
    mask = C > 0
    return float(np.sum(C[mask] / n * np.log(n * C[mask] / (rows @ cols)[mask])))


def entropies(C: np.ndarray) -> tuple[float, float]:
    """Entropy of the true classes and of the found clusters."""
    return _entropy(C.sum(axis=1)), _entropy(C.sum(axis=0))


def nmi(C: np.ndarray) -> float:
    """NMI with the arithmetic mean of the entropies (scikit-learn's default)."""
    h_true, h_found = entropies(C)
    if h_true == 0 and h_found == 0:
        return 1.0
    return float(mutual_info(C) / max((h_true + h_found) / 2, 1e-300))


def homogeneity(C: np.ndarray) -> float:
    """Each cluster holds one class: ``MI / H(classes)`` (1 when there is one class)."""
    h_true, _ = entropies(C)
    return 1.0 if h_true == 0 else float(mutual_info(C) / h_true)


def completeness(C: np.ndarray) -> float:
    """Each class sits in one cluster: ``MI / H(clusters)`` (1 when there is one cluster)."""
    _, h_found = entropies(C)
    return 1.0 if h_found == 0 else float(mutual_info(C) / h_found)


def harmonic_purity(C: np.ndarray) -> float:
    """Harmonic mean of purity (clusters' largest class) and inverse purity (classes')."""
    n = C.sum()
    if n == 0:
        return float("nan")
    purity = C.max(axis=0).sum() / n
    inverse = C.max(axis=1).sum() / n
    return float(2 * purity * inverse / (purity + inverse)) if purity + inverse else 0.0


METRICS = {"nmi": nmi, "ari": ari, "homogeneity": homogeneity, "completeness": completeness,
           "harmonic_purity": harmonic_purity}
