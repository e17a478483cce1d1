"""ICC of absolute agreement for the incomplete designs real rounds have.

:func:`scoring.agreement.raters.icc` needs every reviewer to score every application. In a
real round that never happens: a reviewer with a conflict of interest (利害関係) does not
score that prefecture, and large rounds assign each application to a few reviewers only.
This module estimates the same quantity, ICC(A,1) of McGraw & Wong (1996) (Shrout & Fleiss'
ICC(2,1)), from whatever cells were scored.

Model and estimator
-------------------
The two-way random model without interaction, ``y = μ + a_i + b_j + e_ij``, with application
effects ``a`` (variance σ²_a), reviewer effects ``b`` (σ²_b) and error ``e`` (σ²_e). The
variance components are estimated by Henderson's Method III (fitting constants; Searle,
Casella & McCulloch 1992, *Variance Components*, §5.5), which has a closed form for any
connected design:

- σ²_e from the residual of the least-squares fit with both effects;
- σ²_b from the reduction in the residual when reviewers are added after applications,
  ``E[R(b | μ, a)] = (N − Σ n_ij² / n_i·) σ²_b + (rank(a, b) − rank(a)) σ²_e``;
- σ²_a likewise from ``R(a | μ, b)``.

Negative estimates are set to 0. On a complete table these are the ANOVA estimators, and
``σ²_a / (σ²_a + σ²_b + σ²_e)`` is exactly ICC(A,1) (a test checks this against
:func:`~scoring.agreement.raters.icc`). ICC(A,k) is the reliability of the mean of the
reviewers an application actually had: k is the harmonic mean of the number of reviewers per
application. Method III was chosen over REML (statsmodels' MixedLM with crossed effects)
because it is closed-form, needs no iterations that can fail to converge on 10–50
applications, and equals the published ANOVA figures when the table is complete.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["IncompleteICC", "icc_incomplete"]


@dataclass(frozen=True)
class IncompleteICC:
    """Variance components and the two ICCs of absolute agreement."""

    icc_a1: float
    icc_ak: float
    k: float
    var_application: float
    var_reviewer: float
    var_error: float
    n_scores: int


_NAN = IncompleteICC(*(float("nan"),) * 6, n_scores=0)


def _incidence(part: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
    apps, a_idx = np.unique(part["application"].astype(str).to_numpy(), return_inverse=True)
    revs, r_idx = np.unique(part["reviewer"].astype(str).to_numpy(), return_inverse=True)
    y = part["score"].to_numpy(dtype=float)
    return a_idx, r_idx, y, len(apps), len(revs)


def icc_incomplete(part: pd.DataFrame) -> IncompleteICC:
    """ICC(A,1) and ICC(A,k) of one criterion (or of the totals) from the scored cells.

    Parameters
    ----------
    part : pandas.DataFrame
        Long table with columns ``application, reviewer, score``; one score per cell (a cell
        that is not scored is simply absent). NaN scores are dropped.

    Returns
    -------
    IncompleteICC
        NaN values when there are fewer than 2 applications or reviewers, when no application
        has two reviewers, or when the design leaves no degrees of freedom for the error.
    """
    part = part.dropna(subset=["score"])
    a_idx, r_idx, y, p, q = _incidence(part)
    n = len(y)
    if p < 2 or q < 2:
        return _NAN
    counts = np.zeros((p, q))
    np.add.at(counts, (a_idx, r_idx), 1.0)
    n_i, n_j = counts.sum(axis=1), counts.sum(axis=0)
    if (n_i >= 2).sum() == 0:
        return _NAN
    design = np.zeros((n, p + q))
    design[np.arange(n), a_idx] = 1.0
    design[np.arange(n), p + r_idx] = 1.0
    gram = design.T @ design
    rank_ab = int(np.linalg.matrix_rank(gram))
    df_e = n - rank_ab
    if df_e <= 0:
        return _NAN
    coef = np.linalg.lstsq(gram, design.T @ y, rcond=None)[0]
    fit_ab = float(coef @ (design.T @ y))
    sums_i = np.bincount(a_idx, weights=y, minlength=p)
    sums_j = np.bincount(r_idx, weights=y, minlength=q)
    fit_a, fit_b = float((sums_i**2 / n_i).sum()), float((sums_j**2 / n_j).sum())
    var_e = max((float(y @ y) - fit_ab) / df_e, 0.0)
    t_b = n - float((counts**2 / n_i[:, None]).sum())
    t_a = n - float((counts**2 / n_j[None, :]).sum())
    var_b = max((fit_ab - fit_a - (rank_ab - p) * var_e) / t_b, 0.0) if t_b > 0 else 0.0
    var_a = max((fit_ab - fit_b - (rank_ab - q) * var_e) / t_a, 0.0) if t_a > 0 else 0.0
    total = var_a + var_b + var_e
    k = float(len(n_i) / (1.0 / n_i).sum())
    if total <= 0:
        return IncompleteICC(float("nan"), float("nan"), k, var_a, var_b, var_e, n)
    icc_ak = var_a / (var_a + (var_b + var_e) / k) if var_a > 0 else 0.0
    return IncompleteICC(var_a / total, icc_ak, k, var_a, var_b, var_e, n)
