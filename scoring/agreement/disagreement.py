"""Where reviewers disagree, what each reviewer's habits are, and affinity checks.

All functions take the canonical long score table (:data:`scoring.core.schema.SCORE_COLUMNS`:
``application, reviewer, criterion, score``) and return tidy DataFrames with the
columns documented below:

* :func:`criterion_disagreement` — per application × criterion: SD, range and the
  share of reviewer pairs more than one level apart;
* :func:`application_disagreement` — per application: spread of the reviewers'
  weighted totals (合計点) and of their criterion scores;
* :func:`discussion_list` — the applications to discuss (協議対象), each with its
  reasons in Japanese: near the selection line (stability analysis, rank), reviewers
  disagreeing beyond their habits (:func:`residual_spread`), too few reviewers. The
  rule and its calibration on simulated rounds are documented in
  :mod:`~scoring.agreement.discussion`, where it lives;
* :func:`reviewer_profile` — per reviewer: leniency or severity (甘辛) against the
  other reviewers, use of the scale, agreement with the others
  (:mod:`~scoring.agreement.habits`, with :func:`loo_deviations` and :func:`remove_leniency`);
* :func:`affinity` — do reviewers score applicants they are connected to (same
  region, same former employer, …) differently from the others?

"Consensus" is always *leave-one-out*: a reviewer is compared with the mean of the
*other* reviewers of the same application, so that a reviewer's own score does not
pull the yardstick towards itself (as in BuzzFeed News' 2018 figure-skating
analysis, see ``benchmarks/AFFINITY.md``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from ..core.columns import (
    AFFINITY_COLUMNS,
    APPLICATION_DISAGREEMENT_COLUMNS,
    CRITERION_DISAGREEMENT_COLUMNS,
)
from ..core.errors import OptionError
from .discussion import (
    BORDER_BAND,
    DISCUSSION_COLUMNS,
    GAP_LEVELS,
    RANK_MARGIN,
    SPREAD_RATIO,
    discussion_list,
    residual_spread,
)
from .habits import REVIEWER_PROFILE_COLUMNS, _values, loo_deviations, remove_leniency, reviewer_profile
from .scoretable import (
    _EPS,
    _check_option,
    _criterion_order,
    _fmt_list,
    _steps,
    check_scores,
    reviewer_totals,
)

if TYPE_CHECKING:
    from ..config.rubric import Rubric

__all__ = [
    "ADJUSTMENTS",
    "AFFINITY_COLUMNS",
    "APPLICATION_DISAGREEMENT_COLUMNS",
    "BORDER_BAND",
    "CRITERION_DISAGREEMENT_COLUMNS",
    "DISCUSSION_COLUMNS",
    "GAP_LEVELS",
    "RANK_MARGIN",
    "REVIEWER_PROFILE_COLUMNS",
    "SPREAD_RATIO",
    "affinity",
    "application_disagreement",
    "criterion_disagreement",
    "discussion_list",
    "loo_deviations",
    "remove_leniency",
    "residual_spread",
    "reviewer_profile",
    "welch",
]

#: Leniency adjustments accepted by :func:`affinity`.
ADJUSTMENTS: tuple[str, ...] = ("none", "reviewer")


# ---------------------------------------------------------------------------
# Per application
# ---------------------------------------------------------------------------


def criterion_disagreement(scores: pd.DataFrame, rubric: Rubric | None = None) -> pd.DataFrame:
    """How far the reviewers of an application are apart, per criterion.

    Parameters
    ----------
    scores : pandas.DataFrame
        Canonical long score table.
    rubric : Rubric, optional
        Gives the step of each criterion's scale (one level); without it one level
        is 1 point.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CRITERION_DISAGREEMENT_COLUMNS`, one row per application ×
        criterion that has a score (applications in order of first appearance,
        criteria in rubric order):

        - ``application``, ``criterion`` (str);
        - ``n_reviewers`` (int): reviewers who scored it;
        - ``mean``, ``sd`` (float): mean and sample SD (ddof=1; NaN for one reviewer);
        - ``min``, ``max``, ``range`` (float): in score units;
        - ``range_levels`` (float): ``range`` in levels (range / step);
        - ``n_pairs`` (int): reviewer pairs, ``n (n - 1) / 2``;
        - ``share_far`` (float): share of those pairs more than one level apart
          (|difference| > step), NaN without a pair;
        - ``high``, ``low`` (str): who gave the highest and lowest score, e.g.
          ``"R1=5"`` (ties joined with ``", "``).
    """
    scored = check_scores(scores)
    order = _criterion_order(scored, rubric)
    step = _steps(order, rubric)
    apps = list(pd.unique(scored["application"]))
    g = scored.groupby(["application", "criterion"], sort=False)["score"]
    out = g.agg(n_reviewers="size", mean="mean", sd="std", min="min", max="max").reset_index()
    out["range"] = out["max"] - out["min"]
    out["range_levels"] = out["range"] / step.reindex(out["criterion"]).to_numpy()
    out["n_pairs"] = (out["n_reviewers"] * (out["n_reviewers"] - 1) // 2).astype("int64")
    pairs = scored.merge(scored, on=["application", "criterion"], suffixes=("_a", "_b"))
    pairs = pairs[pairs["reviewer_a"] < pairs["reviewer_b"]]
    far_limit = step.reindex(pairs["criterion"]).to_numpy() * (1 + _EPS)
    pairs = pairs.assign(far=(pairs["score_a"] - pairs["score_b"]).abs().to_numpy() > far_limit)
    n_far = pairs.groupby(["application", "criterion"], sort=False)["far"].sum()
    out = out.merge(n_far.rename("n_far").reset_index(), on=["application", "criterion"], how="left")
    out["share_far"] = np.where(
        out["n_pairs"] > 0, out["n_far"].fillna(0) / out["n_pairs"].where(out["n_pairs"] > 0), np.nan
    )

    sc = scored["score"].to_numpy()
    whole = np.isclose(sc, np.round(sc))
    text = np.where(whole, np.round(sc).astype("int64").astype(str), np.char.mod("%.1f", sc))
    labelled = scored.assign(label=scored["reviewer"].to_numpy().astype(str) + "=" + text)

    def who(kind: str) -> pd.Series:
        ext = labelled.merge(out[["application", "criterion", kind]], on=["application", "criterion"])
        ext = ext[np.isclose(ext["score"], ext[kind])]
        joined: dict[tuple[str, str], list[str]] = {}
        for a, c, lab in zip(ext["application"], ext["criterion"], ext["label"]):
            joined.setdefault((a, c), []).append(lab)
        return pd.Series(
            [", ".join(v) for v in joined.values()],
            index=pd.MultiIndex.from_tuples(list(joined), names=["application", "criterion"]),
            dtype=object,
        )

    out = out.merge(who("max").rename("high").reset_index(), on=["application", "criterion"], how="left")
    out = out.merge(who("min").rename("low").reset_index(), on=["application", "criterion"], how="left")
    out["_a"] = out["application"].map({a: i for i, a in enumerate(apps)})
    out["_c"] = out["criterion"].map({c: i for i, c in enumerate(order)})
    out = out.sort_values(["_a", "_c"], kind="stable").reset_index(drop=True)
    out = out.astype({"n_reviewers": "int64", "sd": "float64", "share_far": "float64"})
    return out.loc[:, list(CRITERION_DISAGREEMENT_COLUMNS)]


def application_disagreement(
    scores: pd.DataFrame,
    rubric: Rubric | None = None,
    *,
    weights: Mapping[str, float] | pd.Series | None = None,
) -> pd.DataFrame:
    """How far the reviewers of each application are apart, over all criteria.

    Parameters
    ----------
    scores : pandas.DataFrame
        Canonical long score table.
    rubric, weights :
        As for :func:`scoring.agreement.reliability.reviewer_totals` (the totals; only complete
        sheets count, incomplete ones are left out with a warning).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`APPLICATION_DISAGREEMENT_COLUMNS`, one row per application
        with a score (order of first appearance):

        - ``application`` (str);
        - ``n_reviewers`` (int): reviewers with a complete sheet;
        - ``total_mean``, ``total_sd``, ``total_se`` (float): mean, sample SD and
          standard error (SD/√n) of the reviewers' weighted totals (points);
        - ``total_min``, ``total_max``, ``total_range`` (float);
        - ``share_far`` (float): over all criteria, the share of reviewer pairs
          more than one level apart;
        - ``max_gap_levels`` (float): the largest range in levels of any criterion;
        - ``max_gap_criterion`` (str): that criterion (first in rubric order on ties).
    """
    crit = criterion_disagreement(scores, rubric)
    totals = reviewer_totals(scores, rubric, weights=weights)
    return _application_disagreement(crit, totals)


def _application_disagreement(crit: pd.DataFrame, totals: pd.DataFrame) -> pd.DataFrame:
    apps = list(pd.unique(crit["application"]))
    tg = totals.groupby("application", sort=False)["total"]
    tot = tg.agg(n_reviewers="size", total_mean="mean", total_sd="std", total_min="min", total_max="max")
    tot = tot.reindex(apps)
    tot["n_reviewers"] = tot["n_reviewers"].fillna(0).astype("int64")
    tot["total_se"] = tot["total_sd"] / np.sqrt(tot["n_reviewers"].where(tot["n_reviewers"] > 0))
    tot["total_range"] = tot["total_max"] - tot["total_min"]
    cg = crit.assign(n_far=crit["share_far"].fillna(0) * crit["n_pairs"]).groupby("application", sort=False)
    far = cg["n_far"].sum() / cg["n_pairs"].sum().where(cg["n_pairs"].sum() > 0)
    idx = crit.groupby("application", sort=False)["range_levels"].idxmax()
    tot["share_far"] = far.reindex(apps)
    tot["max_gap_levels"] = crit.loc[idx.to_numpy(), "range_levels"].to_numpy()
    tot["max_gap_criterion"] = crit.loc[idx.to_numpy(), "criterion"].to_numpy()
    out = tot.reset_index().rename(columns={"index": "application"})
    out = out.astype(
        {
            "total_mean": "float64",
            "total_sd": "float64",
            "total_se": "float64",
            "total_min": "float64",
            "total_max": "float64",
            "total_range": "float64",
            "share_far": "float64",
            "max_gap_levels": "float64",
        }
    )
    return out.loc[:, list(APPLICATION_DISAGREEMENT_COLUMNS)]


# ---------------------------------------------------------------------------
# Affinity
# ---------------------------------------------------------------------------


def welch(x1: np.ndarray | pd.Series, x0: np.ndarray | pd.Series) -> dict[str, float]:
    """Welch's unequal-variance comparison of two samples (group 1 − group 0).

    Returns
    -------
    dict
        ``n1, n0, mean1, mean0, diff, se, t, df, p`` (two-sided) and ``cohen_d``
        (difference ÷ pooled SD). Statistics that need two values in each group
        are NaN otherwise. Equal to ``scipy.stats.ttest_ind(equal_var=False)``.
    """
    a = np.asarray(x1, dtype="float64")
    b = np.asarray(x0, dtype="float64")
    n1, n0 = len(a), len(b)
    m1 = float(a.mean()) if n1 else float("nan")
    m0 = float(b.mean()) if n0 else float("nan")
    diff = m1 - m0
    se = t = df = p = d = float("nan")
    if n1 >= 2 and n0 >= 2:
        v1, v0 = float(a.var(ddof=1)), float(b.var(ddof=1))
        q1, q0 = v1 / n1, v0 / n0
        se = math.sqrt(q1 + q0)
        if se > 0:
            t = diff / se
            df = (q1 + q0) ** 2 / (q1**2 / (n1 - 1) + q0**2 / (n0 - 1))
            p = float(2 * stats.t.sf(abs(t), df))
        pooled = math.sqrt(((n1 - 1) * v1 + (n0 - 1) * v0) / (n1 + n0 - 2))
        d = diff / pooled if pooled > 0 else float("nan")
    return {
        "n1": n1,
        "n0": n0,
        "mean1": m1,
        "mean0": m0,
        "diff": diff,
        "se": se,
        "t": t,
        "df": df,
        "p": p,
        "cohen_d": d,
    }


def _check_links(links: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(links, pd.DataFrame):
        raise OptionError(
            f"links は pandas の DataFrame で渡してください（受け取った型: {type(links).__name__}）。"
        )
    missing = [c for c in ("reviewer", "application", "linked") if c not in links.columns]
    if missing:
        raise OptionError(
            f"links に列 {', '.join(missing)} がありません。必要な列: reviewer, application, linked（True/False）"
        )
    out = links.loc[:, ["reviewer", "application", "linked"]].copy()
    raw = out["linked"]
    ok = raw.map(
        lambda v: (
            isinstance(v, (bool, np.bool_))
            or (
                isinstance(v, (int, float, np.integer, np.floating))
                and not isinstance(v, bool)
                and v in (0, 1)
            )
        )
    )
    if not bool(ok.all()):
        bad = [
            f"{r}×{a}: {v!r}"
            for r, a, v in out.loc[~ok.to_numpy(), ["reviewer", "application", "linked"]].itertuples(
                index=False
            )
        ]
        raise OptionError(
            f"links の linked 列は True / False（または 1 / 0）にしてください: {_fmt_list(bad)}。"
        )
    out["linked"] = raw.astype(bool)
    out["reviewer"] = out["reviewer"].astype(str)
    out["application"] = out["application"].astype(str)
    dup = out.duplicated(["reviewer", "application"], keep=False)
    if bool(dup.any()):
        shown = sorted(
            {f"{r}×{a}" for r, a in out.loc[dup, ["reviewer", "application"]].itertuples(index=False)}
        )
        raise OptionError(
            f"links に同じ審査員×応募の行が複数あります: {_fmt_list(shown)}。1行にまとめてください。"
        )
    return out


def _affinity_judgement(w: dict[str, float], alpha: float = 0.05) -> str:
    if w["n1"] == 0:
        return "関係のある応募の採点なし"
    if not np.isfinite(w["p"]):
        return "判定できない（比較に必要な採点が不足）"
    if w["p"] < alpha and w["diff"] > 0:
        return f"関係のある応募を高く評価する傾向（p<{alpha:g}）"
    if w["p"] < alpha and w["diff"] < 0:
        return f"関係のある応募を低く評価する傾向（p<{alpha:g}）"
    return "明確な差はない"


#: The dtypes of :func:`affinity`'s numeric columns.
_AFFINITY_DTYPES = {
    "n_linked": "int64",
    "n_unlinked": "int64",
    "mean_linked": "float64",
    "mean_unlinked": "float64",
    "diff": "float64",
    "se": "float64",
    "t": "float64",
    "df": "float64",
    "p": "float64",
    "cohen_d": "float64",
}


def affinity(
    scores: pd.DataFrame,
    links: pd.DataFrame,
    rubric: Rubric | None = None,
    *,
    weights: Mapping[str, float] | pd.Series | None = None,
    criterion: str | None = None,
    adjust: str = "none",
) -> pd.DataFrame:
    """Do reviewers score applicants they are connected to differently?

    For every reviewer × application the deviation ``value − mean of the other
    reviewers of that application`` is computed (value = the reviewer's weighted
    total, or one criterion's score). Deviations of *linked* pairs (same region,
    same former employer, …) are compared with those of unlinked pairs by Welch's
    t test: overall, and per reviewer (the reviewer's own linked vs unlinked
    applications).

    Parameters
    ----------
    scores : pandas.DataFrame
        Canonical long score table.
    links : pandas.DataFrame
        Columns ``reviewer, application, linked`` (bool). Pairs not listed are
        unlinked. Pairs listed but not scored are ignored.
    rubric, weights :
        For the weighted totals (see :func:`scoring.agreement.reliability.reviewer_totals`).
    criterion : str, optional
        Test one criterion's scores instead of the weighted totals.
    adjust : {"none", "reviewer"}
        ``"none"``: deviations as they are. ``"reviewer"``: subtract each
        reviewer's mean deviation (leniency) first, so that a lenient reviewer with
        many links does not show up as affinity (BuzzFeed News' adjustment). The
        per-reviewer differences and tests are the same either way (only their
        ``mean_linked`` / ``mean_unlinked`` shift).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`AFFINITY_COLUMNS`; first the row ``scope="overall"``
        (``reviewer`` NA), then one row per reviewer (``scope="reviewer"``, order of
        first appearance):

        - ``n_linked``, ``n_unlinked`` (int): scored pairs compared;
        - ``mean_linked``, ``mean_unlinked`` (float): mean deviation of each group;
        - ``diff`` (float): ``mean_linked − mean_unlinked``, in score units (points
          of the total): the size of the affinity;
        - ``se`` (float), ``t`` (float), ``df`` (float, Welch–Satterthwaite),
          ``p`` (float, two-sided): Welch's test;
        - ``cohen_d`` (float): ``diff`` ÷ pooled SD of the deviations;
        - ``judgement`` (str, Japanese).

    Notes
    -----
    Deviations of the reviewers of one application are not independent (they share
    the application), so p is somewhat optimistic; read it as a screening signal.
    Validated on the 2018 Olympic figure skating panels (judges × skaters of their
    own country): see ``benchmarks/AFFINITY.md``; the Welch statistics equal
    ``scipy.stats.ttest_ind(..., equal_var=False)``.
    """
    _check_option("adjust", adjust, ADJUSTMENTS)
    lk = _check_links(links)
    values = _values(scores, rubric, weights, criterion)
    dev = _linked_deviations(values, lk, adjust)
    rows: list[dict[str, Any]] = [_affinity_row("overall", pd.NA, dev)]
    for r in pd.unique(values["reviewer"]):
        rows.append(_affinity_row("reviewer", r, dev[dev["reviewer"] == r]))
    return pd.DataFrame(rows, columns=list(AFFINITY_COLUMNS)).astype(_AFFINITY_DTYPES)


def _linked_deviations(values: pd.DataFrame, lk: pd.DataFrame, adjust: str) -> pd.DataFrame:
    """Leave-one-out deviations with a ``linked`` column (warns when no pair is linked), leniency off if asked."""
    dev = loo_deviations(values)
    dev = dev.merge(lk, on=["reviewer", "application"], how="left")
    dev["linked"] = dev["linked"].astype("boolean").fillna(False).astype(bool)
    if not bool(dev["linked"].any()):
        warnings.warn(
            "links の関係あり（linked=True）の組み合わせが、比較できる採点に1件もありません"
            "（審査員・応募のコードが採点表と一致しているか確かめてください）。",
            UserWarning,
            stacklevel=3,
        )
    if adjust == "reviewer":
        dev["deviation"] = dev["deviation"] - dev.groupby("reviewer", sort=False)["deviation"].transform(
            "mean"
        )
    return dev


def _affinity_row(scope: str, reviewer: object, d: pd.DataFrame) -> dict[str, Any]:
    """One row of :func:`affinity`: Welch's test of the linked against the unlinked deviations of ``d``."""
    w = welch(d.loc[d["linked"], "deviation"], d.loc[~d["linked"], "deviation"])
    return {
        "scope": scope,
        "reviewer": reviewer,
        "n_linked": int(w["n1"]),
        "n_unlinked": int(w["n0"]),
        "mean_linked": w["mean1"],
        "mean_unlinked": w["mean0"],
        "diff": w["diff"],
        "se": w["se"],
        "t": w["t"],
        "df": w["df"],
        "p": w["p"],
        "cohen_d": w["cohen_d"],
        "judgement": _affinity_judgement(w),
    }
