"""Each reviewer's habits: leniency or severity (甘辛) against the other reviewers.

"Consensus" is always *leave-one-out* (see :mod:`~scoring.agreement.disagreement`):
:func:`loo_deviations` compares each reviewer with the mean of the *other* reviewers of the
same application, :func:`remove_leniency` takes each reviewer's leniency off their scores and
:func:`reviewer_profile` sums a reviewer's habits up.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from ..core.columns import REVIEWER_PROFILE_COLUMNS
from ..core.errors import OptionError
from .scoretable import _EPS, _criterion_order, check_scores, reviewer_totals

if TYPE_CHECKING:
    from ..config.rubric import Rubric

__all__ = ["REVIEWER_PROFILE_COLUMNS", "loo_deviations", "remove_leniency", "reviewer_profile"]


def _values(
    scores: pd.DataFrame,
    rubric: Rubric | None,
    weights: Mapping[str, float] | pd.Series | None,
    criterion: str | None,
) -> pd.DataFrame:
    """``application, reviewer, value``: weighted totals, or one criterion's scores."""
    if criterion is None:
        t = reviewer_totals(scores, rubric, weights=weights)
        return t.rename(columns={"total": "value"}).loc[:, ["application", "reviewer", "value"]]
    scored = check_scores(scores)
    order = _criterion_order(scored, rubric)
    if criterion not in order:
        raise OptionError(
            f"評価項目 '{criterion}' の採点がありません。採点のある評価項目: {', '.join(order)}"
        )
    part = scored[scored["criterion"] == criterion]
    return (
        part.rename(columns={"score": "value"})
        .loc[:, ["application", "reviewer", "value"]]
        .reset_index(drop=True)
    )


def remove_leniency(scores: pd.DataFrame) -> pd.DataFrame:
    """Scores with each reviewer's leniency on each criterion subtracted.

    A reviewer's leniency on a criterion is the mean of their leave-one-out deviations
    (:func:`loo_deviations`: their score minus the mean of the other reviewers of the same
    application) over every application they scored on it. A reviewer with no co-reviewer
    on a criterion is left as they are. This is a descriptive correction for the
    disagreement list, not a combiner: :mod:`scoring.combine` estimates biases properly.

    Returns a copy of the canonical table with ``score`` adjusted (float).
    """
    out = scores.copy()
    out["score"] = out["score"].astype("float64")
    for _, part in out.groupby("criterion", sort=False):
        values = part.loc[:, ["application", "reviewer", "score"]].rename(columns={"score": "value"})
        dev = loo_deviations(values)
        lenient = dev.groupby("reviewer", sort=False)["deviation"].mean()
        shift = part["reviewer"].map(lenient).astype("float64").fillna(0.0)
        out.loc[part.index, "score"] = part["score"].astype("float64") - shift
    return out


def loo_deviations(values: pd.DataFrame) -> pd.DataFrame:
    """Each value against the mean of the *other* reviewers of the same application.

    Parameters
    ----------
    values : pandas.DataFrame
        Columns ``application, reviewer, value`` (one row per pair).

    Returns
    -------
    pandas.DataFrame
        The input rows that have at least one other reviewer, with added columns
        ``consensus`` (float: mean of the other reviewers' values), ``n_others``
        (int) and ``deviation`` (float: ``value - consensus``). RangeIndex.
    """
    g = values.groupby("application", sort=False)["value"]
    n = g.transform("size")
    s = g.transform("sum")
    out = values.assign(n_others=(n - 1).astype("int64"))
    out = out.assign(consensus=(s - out["value"]) / out["n_others"].where(out["n_others"] > 0))
    out = out[out["n_others"] > 0].copy()
    out["deviation"] = out["value"] - out["consensus"]
    return out.reset_index(drop=True)


def reviewer_profile(
    scores: pd.DataFrame,
    rubric: Rubric | None = None,
    *,
    weights: Mapping[str, float] | pd.Series | None = None,
    criterion: str | None = None,
) -> pd.DataFrame:
    """Each reviewer's habits: leniency or severity, use of the scale, agreement.

    Parameters
    ----------
    scores : pandas.DataFrame
        Canonical long score table.
    rubric, weights :
        For the weighted totals (see :func:`scoring.agreement.reliability.reviewer_totals`).
    criterion : str, optional
        Profile on one criterion's scores instead of the weighted totals.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`REVIEWER_PROFILE_COLUMNS`, one row per reviewer (order of first
        appearance):

        - ``reviewer`` (str);
        - ``n_scored`` (int): applications with a complete sheet (or a score);
        - ``n_compared`` (int): of those, applications with another reviewer;
        - ``mean`` (float): mean of the reviewer's totals;
        - ``leniency`` (float): mean of (own total − mean of the other reviewers of
          the same application); > 0 甘め (lenient), < 0 厳しめ (severe);
        - ``leniency_se`` (float): its standard error (SD/√n), ``leniency_t`` the
          ratio of the two (±inf when every deviation is the same non-zero offset);
        - ``spread`` (float): SD of the reviewer's totals; ``spread_ratio`` (float):
          spread ÷ SD of the others' consensus on the same applications (> 1: uses
          more of the scale than the panel);
        - ``spearman``, ``pearson`` (float): correlation of the reviewer's totals
          with the leave-one-out consensus over the compared applications (NaN with
          fewer than 3 or without variance);
        - ``tendency`` (str): 「甘め」 if ``leniency_t`` ≥ 2, 「厳しめ」 if ≤ −2,
          「平均的」 otherwise, 「比較できる応募が不足」 with fewer than 3.
    """
    values = _values(scores, rubric, weights, criterion)
    dev = loo_deviations(values)
    rows = [
        _profile_row(r, values[values["reviewer"] == r], dev[dev["reviewer"] == r])
        for r in pd.unique(values["reviewer"])
    ]
    return pd.DataFrame(rows, columns=list(REVIEWER_PROFILE_COLUMNS)).astype(
        {
            "n_scored": "int64",
            "n_compared": "int64",
            "mean": "float64",
            "leniency": "float64",
            "leniency_se": "float64",
            "leniency_t": "float64",
            "spread": "float64",
            "spread_ratio": "float64",
            "spearman": "float64",
            "pearson": "float64",
        }
    )


def _profile_row(r: object, own: pd.DataFrame, d: pd.DataFrame) -> dict[str, Any]:
    """The row of :func:`reviewer_profile` of reviewer ``r`` (own values, own leave-one-out deviations)."""
    n = len(d)
    len_mean = float(d["deviation"].mean()) if n else float("nan")
    se = float(d["deviation"].std(ddof=1) / math.sqrt(n)) if n >= 2 else float("nan")
    t = _leniency_t(len_mean, se)
    spread = float(own["value"].std(ddof=1)) if len(own) >= 2 else float("nan")
    cons_sd = float(d["consensus"].std(ddof=1)) if n >= 2 else float("nan")
    sp = pe = float("nan")
    if n >= 3 and d["value"].nunique() > 1 and d["consensus"].nunique() > 1:
        sp = float(stats.spearmanr(d["value"], d["consensus"]).statistic)
        pe = float(stats.pearsonr(d["value"], d["consensus"]).statistic)
    return {
        "reviewer": r,
        "n_scored": len(own),
        "n_compared": n,
        "mean": float(own["value"].mean()),
        "leniency": len_mean,
        "leniency_se": se,
        "leniency_t": t,
        "spread": spread,
        "spread_ratio": spread / cons_sd if np.isfinite(cons_sd) and cons_sd > 0 else float("nan"),
        "spearman": sp,
        "pearson": pe,
        "tendency": _tendency(n, t),
    }


def _leniency_t(len_mean: float, se: float) -> float:
    """Leniency ÷ its standard error (±inf for the same non-zero offset everywhere, NaN without SE)."""
    if np.isfinite(se) and se > 0:
        t = len_mean / se
    elif np.isfinite(se) and abs(len_mean) > _EPS:  # the same offset on every application
        t = math.copysign(math.inf, len_mean)
    else:
        t = float("nan")
    return t


def _tendency(n: int, t: float) -> str:
    """「甘め」, 「厳しめ」, 「平均的」 or 「比較できる応募が不足」 from the compared count and leniency t."""
    if n < 3:
        tendency = "比較できる応募が不足"
    elif not np.isnan(t) and t >= 2:
        tendency = "甘め"
    elif not np.isnan(t) and t <= -2:
        tendency = "厳しめ"
    else:
        tendency = "平均的"
    return tendency
