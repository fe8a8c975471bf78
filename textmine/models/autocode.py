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


def grouped_cv(X: np.ndarray, Y: np.ndarray, groups: np.ndarray, *, folds: int = 5,
               make=CodeSuggester) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Out-of-fold probabilities with folds grouped by ``groups`` (interviews).

    Returns the probabilities (rows of ``X``) and, per fold, its test interviews and sizes.
    ``GroupKFold`` is deterministic: the same data give the same folds.
    """
    n_groups = len(np.unique(groups))
    k = min(folds, n_groups)
    if k < 2:
        raise ValueError("grouped cross-validation needs coded segments in two interviews")
    proba = np.zeros(Y.shape, dtype=np.float64)
    report = []
    for i, (train, test) in enumerate(GroupKFold(n_splits=k).split(X, Y, groups)):
        model = make().fit(X[train], Y[train])
        proba[test] = model.predict_proba(X[test])
        report.append({"fold": i, "n_train": int(len(train)), "n_test": int(len(test)),
                       "test_documents": sorted(map(str, np.unique(groups[test])))})
    return proba, report
