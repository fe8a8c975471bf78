"""Machine-suggested codes: a multi-label classifier of segment embeddings, and its honest test.

The baseline the issue asks for: one logistic regression per code on the segments'
embeddings (class weights balanced, since most codes are rare), trained on the segments the
coders coded. It is judged as a second coder would be: cross-validation grouped by interview
(no interview is ever in both the training and the test folds, so a model cannot score by
recognising a speaker's way of talking), then Cohen's kappa, Krippendorff's alpha and F1 of
its codes against the human ones on the held-out segments.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import cohen_kappa_score, f1_score, precision_score, recall_score
from sklearn.model_selection import GroupKFold


class CodeSuggester(BaseEstimator, ClassifierMixin):
    """One balanced logistic regression per code, on (unit-length) embeddings.

    Parameters
    ----------
    C
        Inverse regularisation strength of each regression.
    threshold
        Probability at or above which a code is predicted.
    seed
        Seed of the solver (lbfgs is deterministic; kept for the contract).
    """

    def __init__(self, C: float = 1.0, threshold: float = 0.5, seed: int = 0) -> None:
        self.C = C
        self.threshold = threshold
        self.seed = seed

    def fit(self, X: np.ndarray, Y: np.ndarray) -> CodeSuggester:
        """Fit on embeddings ``X`` and a 0/1 matrix ``Y`` (segments x codes)."""
        X = _unit(X)
        Y = np.asarray(Y, dtype=np.int8)
        self.models_: list[LogisticRegression | float] = []
        for j in range(Y.shape[1]):
            y = Y[:, j]
            if y.min() == y.max():  # a code on every (or no) training segment: a constant
                self.models_.append(float(y[0]))
                continue
            model = LogisticRegression(C=self.C, class_weight="balanced", max_iter=2000,
                                       random_state=self.seed)
            self.models_.append(model.fit(X, y))
        self.n_codes_ = Y.shape[1]
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Probability of each code for each row (segments x codes)."""
        X = _unit(X)
        out = np.empty((len(X), self.n_codes_), dtype=np.float64)
        for j, model in enumerate(self.models_):
            out[:, j] = model if isinstance(model, float) else model.predict_proba(X)[:, 1]
        return out

    def predict(self, X: np.ndarray) -> np.ndarray:
        """0/1 codes: probability at or above the threshold."""
        return (self.predict_proba(X) >= self.threshold).astype(np.int8)


def _unit(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    return X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)


def krippendorff_alpha(a: np.ndarray, b: np.ndarray) -> float | None:
    """Krippendorff's alpha (nominal) of two coders' 0/1 decisions; ``None`` if undefined."""
    import krippendorff

    a = np.asarray(a, dtype=float).ravel()
    b = np.asarray(b, dtype=float).ravel()
    if len(np.unique(np.concatenate([a, b]))) < 2:
        return None
    return float(krippendorff.alpha(reliability_data=np.vstack([a, b]),
                                    level_of_measurement="nominal"))


def _kappa(a: np.ndarray, b: np.ndarray) -> float | None:
    if len(np.unique(np.concatenate([a, b]))) < 2:
        return None  # both coders said the same single value throughout: kappa is undefined
    return float(cohen_kappa_score(a, b))


def agreement(Y: np.ndarray, P: np.ndarray, codes: list[str]) -> dict[str, Any]:
    """Human (``Y``) against machine (``P``) codes, both 0/1 segments x codes.

    ``kappa`` is the mean of the per-code kappas (each code a yes/no decision, as
    inter-coder agreement is usually reported per code); ``kappa_pooled`` and
    ``krippendorff_alpha`` pool every (segment, code) decision.
    """
    per_code = []
    for j, code in enumerate(codes):
        y, p = Y[:, j], P[:, j]
        per_code.append({
            "code": code, "n_human": int(y.sum()), "n_machine": int(p.sum()),
            "precision": float(precision_score(y, p, zero_division=0)),
            "recall": float(recall_score(y, p, zero_division=0)),
            "f1": float(f1_score(y, p, zero_division=0)),
            "kappa": _kappa(y, p),
            "krippendorff_alpha": krippendorff_alpha(y, p),
        })
    kappas = [c["kappa"] for c in per_code if c["kappa"] is not None]
    return {
        "kappa": float(np.mean(kappas)) if kappas else None,
        "kappa_pooled": _kappa(Y.ravel(), P.ravel()),
        "krippendorff_alpha": krippendorff_alpha(Y, P),
        "macro_f1": float(f1_score(Y, P, average="macro", zero_division=0)),
        "micro_f1": float(f1_score(Y, P, average="micro", zero_division=0)),
        "per_code": per_code,
    }


THRESHOLDS = np.round(np.linspace(0.2, 0.9, 15), 2)


def best_thresholds(Y: np.ndarray, proba: np.ndarray, default: float = 0.5) -> np.ndarray:
    """Per code, the threshold of :data:`THRESHOLDS` with the best F1 on ``proba``.

    A code that is constant in ``Y`` keeps ``default``; ties go to the threshold nearest 0.5.
    """
    out = np.full(Y.shape[1], default)
    order = np.argsort(np.abs(THRESHOLDS - 0.5), kind="stable")
    for j in range(Y.shape[1]):
        y = Y[:, j]
        if y.min() == y.max():
            continue
        scores = [f1_score(y, proba[:, j] >= t, zero_division=0) for t in THRESHOLDS[order]]
        out[j] = THRESHOLDS[order][int(np.argmax(scores))]
    return out


def out_of_fold(X: np.ndarray, Y: np.ndarray, groups: np.ndarray, folds: int,
                make) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    """Probabilities of each row from a model that never saw its group (GroupKFold)."""
    k = min(folds, len(np.unique(groups)))
    if k < 2:
        raise ValueError("grouped cross-validation needs coded segments in two interviews")
    proba = np.zeros(Y.shape, dtype=np.float64)
    splits = list(GroupKFold(n_splits=k).split(X, Y, groups))
    for train, test in splits:
        proba[test] = make().fit(X[train], Y[train]).predict_proba(X[test])
    return proba, splits


def grouped_cv(X: np.ndarray, Y: np.ndarray, groups: np.ndarray, *, folds: int = 5,
               make=CodeSuggester, threshold: float | str = "auto",
               inner_folds: int = 3) -> tuple[np.ndarray, np.ndarray, list[dict[str, Any]]]:
    """Out-of-fold probabilities and 0/1 codes, folds grouped by ``groups`` (interviews).

    With ``threshold="auto"`` each fold's thresholds are chosen per code
    (:func:`best_thresholds`) by an inner grouped cross-validation on that fold's training
    interviews only, so the test interviews never choose their own threshold.

    Returns the probabilities, the 0/1 codes and, per fold, its test groups, sizes and
    thresholds. ``GroupKFold`` is deterministic: the same data give the same folds.
    """
    proba, splits = out_of_fold(X, Y, groups, folds, make)
    codes = np.zeros(Y.shape, dtype=np.int8)
    report = []
    for i, (train, test) in enumerate(splits):
        if threshold == "auto" and len(np.unique(groups[train])) >= 2:
            inner, _ = out_of_fold(X[train], Y[train], groups[train], inner_folds, make)
            cut = best_thresholds(Y[train], inner)
        else:
            cut = np.full(Y.shape[1], 0.5 if threshold == "auto" else float(threshold))
        codes[test] = proba[test] >= cut
        report.append({"fold": i, "n_train": int(len(train)), "n_test": int(len(test)),
                       "test_documents": sorted(map(str, np.unique(groups[test]))),
                       "thresholds": [float(t) for t in cut]})
    return proba, codes, report
