"""Where reviewers disagree, what each reviewer's habits are, and affinity checks.

All functions take the canonical long score table (:data:`scoring.core.schema.SCORE_COLUMNS`:
``application, reviewer, criterion, score``) and return tidy DataFrames with the
columns documented below:

* :func:`criterion_disagreement` — per application × criterion: SD, range and the
  share of reviewer pairs more than one level apart;
* :func:`application_disagreement` — per application: spread of the reviewers'
  weighted totals (合計点) and of their criterion scores;
* :func:`discussion_list` — the applications to discuss (協議対象), each with its
  reasons in Japanese (a gap of two levels or more on a criterion, a wide spread of
  totals, a place near the selection line, too few reviewers);
* :func:`reviewer_profile` — per reviewer: leniency or severity (甘辛) against the
  other reviewers, use of the scale, agreement with the others;
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
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd
from scipy import stats

from ..core.columns import (
    AFFINITY_COLUMNS,
    APPLICATION_DISAGREEMENT_COLUMNS,
    CRITERION_DISAGREEMENT_COLUMNS,
    DISCUSSION_COLUMNS,
    REVIEWER_PROFILE_COLUMNS,
    rank_totals,
)
from .reliability import _check_option, _criterion_order, _fmt_list, check_scores, reviewer_totals

if TYPE_CHECKING:
    from ..config.rubric import Rubric

__all__ = [
    "ADJUSTMENTS",
    "AFFINITY_COLUMNS",
    "APPLICATION_DISAGREEMENT_COLUMNS",
    "CRITERION_DISAGREEMENT_COLUMNS",
    "DISCUSSION_COLUMNS",
    "REVIEWER_PROFILE_COLUMNS",
    "affinity",
    "application_disagreement",
    "criterion_disagreement",
    "discussion_list",
    "loo_deviations",
    "remove_leniency",
    "reviewer_profile",
    "welch",
]

#: Leniency adjustments accepted by :func:`affinity`.
ADJUSTMENTS: tuple[str, ...] = ("none", "reviewer")

_EPS = 1e-9


def _fmt(x: float) -> str:
    """A number for a Japanese message: integers without decimals, else 1 decimal."""
    if not np.isfinite(x):
        return "-"
    return str(int(round(x))) if abs(x - round(x)) < 1e-9 else f"{x:.1f}"


def _steps(criteria: list[str], rubric: Rubric | None) -> pd.Series:
    if rubric is None:
        return pd.Series(1.0, index=criteria, dtype="float64")
    return pd.Series({c: float(rubric.criterion(c).effective_scale.step) for c in criteria}, dtype="float64")


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
    out["share_far"] = np.where(out["n_pairs"] > 0, out["n_far"].fillna(0) / out["n_pairs"].where(out["n_pairs"] > 0), np.nan)

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
    out = out.astype({"total_mean": "float64", "total_sd": "float64", "total_se": "float64",
                      "total_min": "float64", "total_max": "float64", "total_range": "float64",
                      "share_far": "float64", "max_gap_levels": "float64"})
    return out.loc[:, list(APPLICATION_DISAGREEMENT_COLUMNS)]


def _total_span(scored: pd.DataFrame, rubric: Rubric | None, weights: Mapping[str, float] | pd.Series | None) -> float:
    """Largest possible spread of a weighted total (the 配点 scale, or observed ranges)."""
    if rubric is not None:
        return 100.0  # totals are renormalised to 0–100 (reviewer_totals)
    rng = scored.groupby("criterion")["score"].agg(lambda s: s.max() - s.min())
    w = pd.Series(1.0, index=rng.index) if weights is None else pd.Series(weights, dtype="float64").reindex(rng.index)
    return float((rng * w).sum())


def discussion_list(
    scores: pd.DataFrame,
    rubric: Rubric | None = None,
    *,
    weights: Mapping[str, float] | pd.Series | None = None,
    gap: int = 2,
    sd_threshold: float | None = None,
    select: int | None = None,
    border: float | None = None,
    border_margin: float | None = None,
    combined: pd.Series | pd.DataFrame | None = None,
    min_reviewers: int = 2,
    adjust: str = "none",
) -> pd.DataFrame:
    """The applications that need discussion (協議対象), each with its reasons.

    An application is listed when at least one of these holds:

    1. **gap** — on some criterion two reviewers are ``gap`` levels or more apart
       (default 2: 「審査員間の差が2段階以上（need_pool_gap: R1=5, R3=2）」);
    2. **sd** — the SD of the reviewers' weighted totals is ``sd_threshold`` or more
       (default: 10% of the total scale, i.e. 10 points of the 0–100 total; without
       a rubric 10% of the sum of the observed score ranges);
    3. **border** — a selection line is given (``border`` as a total, or ``select``
       as the number of places: the line is then midway between the totals ranked
       ``select`` and ``select + 1``) and the application's total is within
       ``border_margin`` of it (default: twice its standard error — SD/√n of the
       reviewers' totals, or the combiner's ``se`` — the zone in which the
       measurement noise of the reviewers could move it across the line);
    4. **few** — fewer than ``min_reviewers`` reviewers completed its sheet.

    Parameters
    ----------
    scores : pandas.DataFrame
        Canonical long score table.
    rubric, weights :
        Scales, steps and weights (see :func:`scoring.agreement.reliability.reviewer_totals`).
    gap : int
        Levels apart that call for discussion (≥ 1).
    sd_threshold : float, optional
        SD of totals, in points, that calls for discussion.
    select : int, optional
        Number of applications to be selected (e.g. 5).
    border : float, optional
        Selection line as a total (overrides ``select``).
    border_margin : float, optional
        Distance to the line, in points, that counts as "near" (default 2·SE).
    combined : pandas.Series or DataFrame, optional
        Combined totals per application, e.g. from a calibrated combiner: a Series
        (index ``application``) or a DataFrame indexed by application (or with an
        ``application`` column) with a ``total`` column and optionally an ``se``
        column (its standard error, then used for the default border margin).
        Default: the mean of the reviewers' totals and its SE (SD/√n).
    min_reviewers : int
        Fewest complete sheets an application should have (default 2).
    adjust : {"none", "reviewer"}
        ``"reviewer"`` first removes each reviewer's leniency on each criterion
        (:func:`remove_leniency`), so that a habitually lenient and a habitually harsh
        reviewer are not "two levels apart" on every application they share; the gap
        and SD reasons then speak of the adjusted scores (values with decimals).

    Returns
    -------
    pandas.DataFrame
        Only the listed applications, most reasons first, then by total (high
        first). Columns :data:`DISCUSSION_COLUMNS`:

        - ``application`` (str);
        - ``reason`` (str): the reasons in Japanese, joined with 「；」;
        - ``n_reasons`` (int);
        - ``gap_flag``, ``sd_flag``, ``border_flag``, ``few_flag`` (bool);
        - ``total`` (float): combined total used for the border check;
        - ``rank`` (float): its rank, 1 = highest (ties share the best rank);
        - ``total_sd`` (float), ``max_gap_levels`` (float): from
          :func:`application_disagreement`.
    """
    if not isinstance(gap, (int, np.integer)) or isinstance(gap, bool) or gap < 1:
        raise ValueError(f"gap は 1 以上の整数（段階数）にしてください（受け取った値: {gap!r}）。")
    if select is not None and (not isinstance(select, (int, np.integer)) or isinstance(select, bool) or select < 1):
        raise ValueError(f"select は 1 以上の整数（選定数）にしてください（受け取った値: {select!r}）。")
    if sd_threshold is not None and not sd_threshold > 0:
        raise ValueError(f"sd_threshold は正の数にしてください（受け取った値: {sd_threshold!r}）。")
    if border_margin is not None and not border_margin >= 0:
        raise ValueError(f"border_margin は 0 以上の数にしてください（受け取った値: {border_margin!r}）。")
    _check_option("adjust", adjust, ADJUSTMENTS)
    scored = check_scores(scores)
    if adjust == "reviewer":
        scored = remove_leniency(scored)
    crit = criterion_disagreement(scored, rubric)
    totals = reviewer_totals(scored, rubric, weights=weights)
    app = _application_disagreement(crit, totals).set_index("application")
    apps = list(app.index)
    if sd_threshold is None:
        sd_threshold = 0.1 * _total_span(scored, rubric, weights)
    if combined is not None:
        comb_se: pd.Series | None = None
        if isinstance(combined, pd.DataFrame):
            frame = combined.set_index("application") if "application" in combined.columns else combined
            if "total" not in frame.columns:
                raise ValueError("combined の DataFrame に total 列がありません（応募ごとの合計点を入れてください）。")
            comb = frame["total"]
            comb_se = frame["se"] if "se" in frame.columns else None
        elif isinstance(combined, pd.Series):
            comb = combined
        else:
            raise TypeError(
                "combined は応募コードを index とする pandas の Series（または total 列のある DataFrame）で渡してください。"
            )
        keys = comb.index.astype(str)
        unknown = [a for a in keys if a not in apps]
        if unknown:
            raise ValueError(f"combined に採点表にない応募があります: {_fmt_list(unknown)}。")
        total = pd.Series(comb.to_numpy(dtype="float64"), index=keys).reindex(apps)
        if comb_se is not None:
            se_all = pd.Series(comb_se.to_numpy(dtype="float64"), index=keys).reindex(apps)
        else:
            se_all = app["total_se"]
    else:
        total = app["total_mean"]
        se_all = app["total_se"]
    rank = rank_totals(total).astype(float)
    line: float | None = None
    if border is not None:
        line = float(border)
    elif select is not None:
        ordered = total.dropna().sort_values(ascending=False).to_numpy()
        if len(ordered) > select:
            line = float((ordered[select - 1] + ordered[select]) / 2)
    far = crit[crit["range_levels"] >= gap - _EPS]
    far_text = (far["criterion"] + ": " + far["high"] + ", " + far["low"]).groupby(far["application"], sort=False)
    gaps = cast("dict[str, str]", far_text.agg("／".join).to_dict())
    rows = []
    for a in apps:
        reasons: list[str] = []
        gap_flag = a in gaps
        if gap_flag:
            reasons.append(f"審査員間の差が{gap}段階以上（{gaps[a]}）")
        sd = float(cast(float, app.at[a, "total_sd"]))
        sd_flag = bool(np.isfinite(sd) and sd >= sd_threshold - _EPS)
        if sd_flag:
            reasons.append(f"合計点のばらつきが大きい（標準偏差 {sd:.1f}点、基準 {sd_threshold:.1f}点）")
        t = float(cast(float, total.at[a]))
        border_flag = False
        if line is not None and np.isfinite(t):
            se = float(cast(float, se_all.at[a]))
            margin = border_margin if border_margin is not None else 2 * se
            if margin is not None and np.isfinite(margin) and abs(t - line) <= margin + _EPS:
                border_flag = True
                how = "標準誤差の2倍" if border_margin is None else "基準"
                reasons.append(
                    f"選定ライン付近（合計 {t:.1f}点・{int(cast(float, rank.at[a]))}位、ライン {line:.1f}点との差 "
                    f"{abs(t - line):.1f}点 ≤ {how} {margin:.1f}点）"
                )
        n_rev = int(cast(int, app.at[a, "n_reviewers"]))
        few_flag = n_rev < min_reviewers
        if few_flag:
            reasons.append(f"すべての評価項目を採点した審査員が{n_rev}人（{min_reviewers}人未満）")
        if reasons:
            rows.append({
                "application": a, "reason": "；".join(reasons), "n_reasons": len(reasons),
                "gap_flag": gap_flag, "sd_flag": sd_flag, "border_flag": border_flag, "few_flag": few_flag,
                "total": t, "rank": float(cast(float, rank.at[a])), "total_sd": sd,
                "max_gap_levels": float(cast(float, app.at[a, "max_gap_levels"])),
            })
    out = pd.DataFrame(rows, columns=list(DISCUSSION_COLUMNS))
    if len(out):
        out = out.sort_values(["n_reasons", "total"], ascending=[False, False], kind="stable", na_position="last")
    out = out.reset_index(drop=True)
    return out.astype({"n_reasons": "int64", "gap_flag": "bool", "sd_flag": "bool", "border_flag": "bool",
                       "few_flag": "bool", "total": "float64", "rank": "float64", "total_sd": "float64",
                       "max_gap_levels": "float64"})


# ---------------------------------------------------------------------------
# Per reviewer
# ---------------------------------------------------------------------------


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
        raise ValueError(f"評価項目 '{criterion}' の採点がありません。採点のある評価項目: {', '.join(order)}")
    part = scored[scored["criterion"] == criterion]
    return part.rename(columns={"score": "value"}).loc[:, ["application", "reviewer", "value"]].reset_index(drop=True)


def remove_leniency(scores: pd.DataFrame) -> pd.DataFrame:
    """Scores with each reviewer's leniency on each criterion subtracted.

    A reviewer's leniency on a criterion is the mean of their leave-one-out deviations
    (:func:`loo_deviations`: their score minus the mean of the other reviewers of the same
    application) over every application they scored on it. A reviewer with no co-reviewer
    on a criterion is left as they are. This is a descriptive correction for the
    disagreement list, not a combiner: :mod:`scoring.combine.combiners` estimates biases properly.

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
    rows = []
    for r in pd.unique(values["reviewer"]):
        own = values[values["reviewer"] == r]
        d = dev[dev["reviewer"] == r]
        n = len(d)
        len_mean = float(d["deviation"].mean()) if n else float("nan")
        se = float(d["deviation"].std(ddof=1) / math.sqrt(n)) if n >= 2 else float("nan")
        if np.isfinite(se) and se > 0:
            t = len_mean / se
        elif np.isfinite(se) and abs(len_mean) > _EPS:  # the same offset on every application
            t = math.copysign(math.inf, len_mean)
        else:
            t = float("nan")
        spread = float(own["value"].std(ddof=1)) if len(own) >= 2 else float("nan")
        cons_sd = float(d["consensus"].std(ddof=1)) if n >= 2 else float("nan")
        sp = pe = float("nan")
        if n >= 3 and d["value"].nunique() > 1 and d["consensus"].nunique() > 1:
            sp = float(stats.spearmanr(d["value"], d["consensus"]).statistic)
            pe = float(stats.pearsonr(d["value"], d["consensus"]).statistic)
        if n < 3:
            tendency = "比較できる応募が不足"
        elif not np.isnan(t) and t >= 2:
            tendency = "甘め"
        elif not np.isnan(t) and t <= -2:
            tendency = "厳しめ"
        else:
            tendency = "平均的"
        rows.append({
            "reviewer": r, "n_scored": len(own), "n_compared": n, "mean": float(own["value"].mean()),
            "leniency": len_mean, "leniency_se": se, "leniency_t": t, "spread": spread,
            "spread_ratio": spread / cons_sd if np.isfinite(cons_sd) and cons_sd > 0 else float("nan"),
            "spearman": sp, "pearson": pe, "tendency": tendency,
        })
    return pd.DataFrame(rows, columns=list(REVIEWER_PROFILE_COLUMNS)).astype(
        {"n_scored": "int64", "n_compared": "int64", "mean": "float64", "leniency": "float64",
         "leniency_se": "float64", "leniency_t": "float64", "spread": "float64", "spread_ratio": "float64",
         "spearman": "float64", "pearson": "float64"}
    )


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
    return {"n1": n1, "n0": n0, "mean1": m1, "mean0": m0, "diff": diff, "se": se, "t": t, "df": df,
            "p": p, "cohen_d": d}


def _check_links(links: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(links, pd.DataFrame):
        raise TypeError(f"links は pandas の DataFrame で渡してください（受け取った型: {type(links).__name__}）。")
    missing = [c for c in ("reviewer", "application", "linked") if c not in links.columns]
    if missing:
        raise ValueError(f"links に列 {', '.join(missing)} がありません。必要な列: reviewer, application, linked（True/False）")
    out = links.loc[:, ["reviewer", "application", "linked"]].copy()
    raw = out["linked"]
    ok = raw.map(lambda v: isinstance(v, (bool, np.bool_)) or (isinstance(v, (int, float, np.integer, np.floating))
                                                                  and not isinstance(v, bool) and v in (0, 1)))
    if not bool(ok.all()):
        bad = [f"{r}×{a}: {v!r}" for r, a, v in out.loc[~ok.to_numpy(), ["reviewer", "application", "linked"]].itertuples(index=False)]
        raise ValueError(f"links の linked 列は True / False（または 1 / 0）にしてください: {_fmt_list(bad)}。")
    out["linked"] = raw.astype(bool)
    out["reviewer"] = out["reviewer"].astype(str)
    out["application"] = out["application"].astype(str)
    dup = out.duplicated(["reviewer", "application"], keep=False)
    if bool(dup.any()):
        shown = sorted({f"{r}×{a}" for r, a in out.loc[dup, ["reviewer", "application"]].itertuples(index=False)})
        raise ValueError(f"links に同じ審査員×応募の行が複数あります: {_fmt_list(shown)}。1行にまとめてください。")
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
    dev = loo_deviations(values)
    dev = dev.merge(lk, on=["reviewer", "application"], how="left")
    dev["linked"] = dev["linked"].astype("boolean").fillna(False).astype(bool)
    if not bool(dev["linked"].any()):
        warnings.warn(
            "links の関係あり（linked=True）の組み合わせが、比較できる採点に1件もありません"
            "（審査員・応募のコードが採点表と一致しているか確かめてください）。",
            UserWarning,
            stacklevel=2,
        )
    if adjust == "reviewer":
        dev["deviation"] = dev["deviation"] - dev.groupby("reviewer", sort=False)["deviation"].transform("mean")
    rows: list[dict[str, Any]] = []

    def row(scope: str, reviewer: object, d: pd.DataFrame) -> dict[str, Any]:
        w = welch(d.loc[d["linked"], "deviation"], d.loc[~d["linked"], "deviation"])
        return {"scope": scope, "reviewer": reviewer, "n_linked": int(w["n1"]), "n_unlinked": int(w["n0"]),
                "mean_linked": w["mean1"], "mean_unlinked": w["mean0"], "diff": w["diff"], "se": w["se"],
                "t": w["t"], "df": w["df"], "p": w["p"], "cohen_d": w["cohen_d"],
                "judgement": _affinity_judgement(w)}

    rows.append(row("overall", pd.NA, dev))
    for r in pd.unique(values["reviewer"]):
        rows.append(row("reviewer", r, dev[dev["reviewer"] == r]))
    out = pd.DataFrame(rows, columns=list(AFFINITY_COLUMNS))
    return out.astype({"n_linked": "int64", "n_unlinked": "int64", "mean_linked": "float64",
                       "mean_unlinked": "float64", "diff": "float64", "se": "float64", "t": "float64",
                       "df": "float64", "p": "float64", "cohen_d": "float64"})
