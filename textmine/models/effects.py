"""Effects of covariates on shares: a fractional-logit GLM per outcome, cluster-robust.

As R's ``stm::estimateEffect`` regresses each document's topic proportion on covariates, each
outcome (one topic's or code's share per document) is regressed on the formula's right-hand
side with a GLM of the binomial family on proportions (the fractional logit of Papke and
Wooldridge, 1996): the mean is ``logistic(X b)``, which keeps predictions in [0, 1], and the
standard errors are sandwich estimates clustered by a column (or by document), which makes
them valid whatever the shares' true variance. Estimates are log odds ratios.

With the topic model's own uncertainty (``alternatives``), coefficients are drawn from each
refit's sampling distribution and pooled: the method of composition of ``estimateEffect``.
No Corpus knowledge here.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

EFFECT_COLUMNS = ["outcome", "term", "estimate", "se", "ci_low", "ci_high", "p",
                  "n_documents", "n_clusters", "converged"]


def design(formula: str, frame: pd.DataFrame) -> tuple[np.ndarray, list[str], np.ndarray]:
    """The design matrix of ``formula``'s right-hand side over ``frame``.

    Returns the matrix, its column names and the positions of the rows kept (rows with a
    missing value in a formula column are left out by the formula engine).
    """
    import statsmodels.formula.api as smf

    data = frame.copy()
    data["share"] = 0.5  # the outcome is filled per topic; only the right-hand side matters
    model = smf.glm(formula, data)
    kept = data.index.get_indexer(model.data.row_labels)
    return np.asarray(model.exog, dtype=float), list(model.exog_names), kept


def fractional_logit(y: np.ndarray, X: np.ndarray, *, groups: np.ndarray | None = None,
                     weights: np.ndarray | None = None):
    """One fractional-logit fit with cluster-robust (or HC1) standard errors.

    Returns the statsmodels results and whether the fit converged cleanly (no warning).
    """
    import statsmodels.api as sm

    model = sm.GLM(y, X, family=sm.families.Binomial(), var_weights=weights)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if groups is None:
            fit = model.fit(cov_type="HC1")
        else:
            # t with G - 1 degrees of freedom: with few clusters (15 networks) the normal
            # approximation is too confident
            fit = model.fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    clean = not caught and bool(getattr(fit, "converged", True))
    return fit, clean


def effects_table(Y: np.ndarray, X: np.ndarray, names: Sequence[str], outcomes: Sequence,
                  *, groups: np.ndarray | None = None, weights: np.ndarray | None = None,
                  level: float = 0.95, alternatives: Sequence[np.ndarray] = (),
                  n_draws: int = 1000, rng: np.random.Generator | None = None) -> pd.DataFrame:
    """Coefficients of every outcome (columns of ``Y``) on ``X``: one row per outcome x term.

    Parameters
    ----------
    Y
        ``(n_documents, n_outcomes)`` shares in [0, 1].
    X
        Design matrix (:func:`design`).
    names
        Its column names.
    outcomes
        A name for each column of ``Y``.
    groups
        Cluster of each document (``None``: robust HC1, each document its own cluster).
    weights
        Variance weights (segments per document for segment-weighted effects).
    level
        Confidence level.
    alternatives
        ``Y`` under refits of the topic model: with them, ``n_draws`` coefficient vectors are
        drawn from each fit's (normal, cluster-robust) sampling distribution in turn, and the
        estimate's interval and p-value come from the pooled draws.
    n_draws
        Draws for the method of composition.
    rng
        Random generator of those draws.
    """
    from scipy import stats

    versions = [Y, *alternatives]
    n_clusters = len(np.unique(groups)) if groups is not None else len(Y)
    rows = []
    for k, outcome in enumerate(outcomes):
        fits = [fractional_logit(v[:, k], X, groups=groups, weights=weights) for v in versions]
        ref, clean = fits[0]
        estimate = np.asarray(ref.params, dtype=float)
        if len(fits) == 1:
            se = np.asarray(ref.bse, dtype=float)
            low, high = np.asarray(ref.conf_int(alpha=1 - level), dtype=float).T
            p = np.asarray(ref.pvalues, dtype=float)
        else:
            draws = []
            per_fit = max(1, n_draws // len(fits))
            for fit, _ in fits:
                cov = np.asarray(fit.cov_params(), dtype=float)
                # a sandwich estimate with few clusters can be a hair off positive
                # semi-definite: symmetrise and clip the (tiny) negative eigenvalues
                values, vectors = np.linalg.eigh((cov + cov.T) / 2)
                cov = (vectors * np.clip(values, 0, None)) @ vectors.T
                draws.append(rng.multivariate_normal(np.asarray(fit.params, dtype=float), cov,
                                                     size=per_fit, method="eigh",
                                                     check_valid="ignore"))
            pooled = np.vstack(draws)
            se = pooled.std(axis=0, ddof=1)
            low, high = np.quantile(pooled, [(1 - level) / 2, (1 + level) / 2], axis=0)
            df = (n_clusters - 1) if groups is not None else np.inf
            with np.errstate(divide="ignore", invalid="ignore"):
                p = 2 * stats.t.sf(np.abs(estimate / se), df)
            clean = clean and all(c for _, c in fits)
        for j, term in enumerate(names):
            rows.append({"outcome": outcome, "term": term, "estimate": estimate[j],
                         "se": se[j], "ci_low": low[j], "ci_high": high[j], "p": p[j],
                         "n_documents": len(Y), "n_clusters": n_clusters, "converged": clean})
    return pd.DataFrame(rows, columns=EFFECT_COLUMNS)
