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
  rule and its calibration on simulated rounds are documented on the function;
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
from ..core.errors import OptionError, ScoreTableError
from .scoretable import _check_option, _criterion_order, _fmt_list, check_scores, reviewer_totals

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

_EPS = 1e-9


def _fmt(x: float) -> str:
    """A number for a Japanese message: integers without decimals, else 1 decimal."""
    if not np.isfinite(x):
        return "-"
    return str(round(x)) if abs(x - round(x)) < 1e-9 else f"{x:.1f}"


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


#: Selection frequency (share of the stability resamples) that puts an application "near
#: the selection line" for the discussion list (calibrated, see :func:`discussion_list`).
BORDER_BAND: tuple[float, float] = (0.25, 0.75)
#: Without stability resamples: ranks within this many places of the cut are near the line.
RANK_MARGIN = 1
#: Residual spread, as a multiple of the reviewers' usual one, that counts as disagreement.
SPREAD_RATIO = 1.2
#: A criterion on which the reviewers are this many levels apart after their leniency is
#: removed counts as disagreement whatever the rest of the application looks like.
GAP_LEVELS = 3.0


def _label(crit: str, rubric: Rubric | None) -> str:
    """「group › criterion」 in Japanese (the id without a rubric)."""
    if rubric is None:
        return crit
    c = rubric.criterion(crit)
    return f"{rubric.group_of(crit).label_ja} › {c.label_ja}"


def residual_spread(scores: pd.DataFrame, rubric: Rubric | None = None) -> pd.DataFrame:
    """How far the reviewers of each application disagree beyond their habits.

    Each reviewer's leniency on each criterion is removed first (:func:`remove_leniency`);
    the scores are put in levels (score ÷ step). A *residual* is an adjusted score minus the
    mean of the adjusted scores of the same application and criterion. For every
    application, its residual variance (sum of squared residuals ÷ ((n − 1) × criteria), n
    reviewers) is compared with the variance expected from its reviewers' habits: the mean,
    over its reviewers, of each reviewer's usual residual variance on all the applications
    they scored (each squared residual scaled by n ÷ (n − 1), so that its expectation is
    that reviewer's noise). A noisy reviewer therefore does not put every application they
    score on the list; an application on which reviewers who usually agree read it
    differently does.

    Returns
    -------
    pandas.DataFrame
        Index ``application`` (applications with two reviewers or more); columns
        ``n_reviewers`` (int), ``residual_sd`` and ``usual_sd`` (float, levels),
        ``spread_ratio`` (residual_sd ÷ usual_sd, NaN when usual_sd is 0), and
        ``gap_levels`` (float: largest adjusted range of a criterion, in levels) with
        ``gap_criterion`` (str: that criterion, first in rubric order on ties).
    """
    scored = check_scores(scores)
    order = _criterion_order(scored, rubric)
    step = _steps(order, rubric)
    adj = remove_leniency(scored)
    adj["u"] = adj["score"] / step.reindex(adj["criterion"]).to_numpy()
    g = adj.groupby(["application", "criterion"], sort=False)["u"]
    n = g.transform("size")
    adj = adj.assign(n=n, e=adj["u"] - g.transform("mean"))
    adj = adj[adj["n"] > 1].copy()
    cols = ["n_reviewers", "residual_sd", "usual_sd", "spread_ratio", "gap_levels", "gap_criterion"]
    if not len(adj):
        return pd.DataFrame(columns=cols, index=pd.Index([], name="application"))
    adj["e2"] = adj["e"] ** 2 * adj["n"] / (adj["n"] - 1)
    usual = adj.groupby("reviewer", sort=False)["e2"].mean()
    adj["usual"] = adj["reviewer"].map(usual)
    by_app = adj.groupby("application", sort=False)
    observed = by_app["e2"].mean()
    expected = by_app["usual"].mean()
    rng = g.agg(lambda s: float(s.max() - s.min())).rename("range").reset_index()
    rng = rng[rng["application"].isin(observed.index)]
    rng["_c"] = rng["criterion"].map({c: i for i, c in enumerate(order)})
    rng = rng.sort_values(["application", "range", "_c"], ascending=[True, False, True], kind="stable")
    top = rng.drop_duplicates("application").set_index("application")
    out = pd.DataFrame(index=pd.Index(observed.index.astype(str), name="application"))
    out["n_reviewers"] = by_app["reviewer"].nunique().astype("int64")
    out["residual_sd"] = np.sqrt(observed)
    out["usual_sd"] = np.sqrt(expected)
    out["spread_ratio"] = out["residual_sd"] / out["usual_sd"].where(out["usual_sd"] > _EPS)
    out["gap_levels"] = top["range"].reindex(out.index).astype("float64")
    out["gap_criterion"] = top["criterion"].reindex(out.index).astype(str)
    return out.loc[:, cols]


def _raw_text(scored: pd.DataFrame, app: str, crit: str, labels: Mapping[str, str] | None) -> str:
    part = scored[(scored["application"] == app) & (scored["criterion"] == crit)]
    part = part.sort_values("score", kind="stable")
    name = (lambda r: str(labels.get(r, r))) if labels else str
    return ", ".join(f"{name(r)}={_fmt(float(s))}" for r, s in zip(part["reviewer"], part["score"]))


def discussion_list(
    scores: pd.DataFrame,
    rubric: Rubric | None = None,
    *,
    weights: Mapping[str, float] | pd.Series | None = None,
    combined: pd.Series | pd.DataFrame | None = None,
    select: int | None = None,
    p_selected: pd.Series | None = None,
    rank: pd.Series | None = None,
    band: tuple[float, float] = BORDER_BAND,
    rank_margin: int = RANK_MARGIN,
    spread_ratio: float = SPREAD_RATIO,
    gap: float = GAP_LEVELS,
    min_reviewers: int = 2,
    reviewer_labels: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The applications to discuss (協議対象), each with its reasons.

    The rule
    --------
    An application is listed when at least one of these holds:

    1. **near the selection line** (選定ライン付近) — with the stability analysis
       (``p_selected``, :class:`scoring.selection.stability.StabilityAnalysis`): it was
       selected in between ``band`` (default 25 % and 75 %) of the resamples; and, with or
       without it, its rank is within ``rank_margin`` places of the cut after ``select``
       places (default ±1: the 5th and the 6th of 5 places);
    2. **disagreement beyond the reviewers' habits** (審査員の甘辛では説明できない違い,
       :func:`residual_spread`) — after removing each reviewer's leniency, the reviewers'
       residual spread on the application is ``spread_ratio`` times their
       usual one or more (default 1.2), or on one criterion they are ``gap`` levels
       (default 3) or more apart;
    3. **too few reviewers** — fewer than ``min_reviewers`` completed its sheet.

    The reasons name the criterion by its rubric label and quote the reviewers' **raw**
    scores (素点), e.g. 「人材プールの課題 › 登録者の不足: R1=2, R3=5（素点）」; the leniency
    correction only decides *whether* to list.

    Calibration (``benchmarks/calibrate_discussion.py``): 200 simulated rounds of typical
    size (:func:`scoring.demo.simulate.typical_round`: 30 applications, 8 reviewers, 4 per
    application, 5 places; reviewers with random leniency N(0, 0.4) levels, noise 0.35–0.8,
    halo 0.15–0.35, one in four using only the middle of the scale), combined with the
    default method, stability with 200 resamples. With the defaults (band 25–75 %, ±1 place,
    ratio 1.2, gap 3 levels) the list flags on average 25.9 % of a round (SD 6.8 points;
    10th–90th percentile 16.7–33.3 %): 18.1 % near the line and 10.5 % for disagreement
    (some both); the band 20–80 % with ratio 1.4 flagged as many but almost all near the
    line (10 rounds), which hid the disagreements. The former rule (any two reviewers two levels apart) flagged every application
    of the demo round.

    Parameters
    ----------
    scores : pandas.DataFrame
        Canonical long score table (raw scores).
    rubric, weights :
        Scales, labels and weights (see :func:`scoring.agreement.reliability.reviewer_totals`).
    combined : pandas.Series or DataFrame, optional
        Combined totals per application (Series, or DataFrame indexed by application, or
        with an ``application`` column, with a ``total`` column). Default: the mean of the
        reviewers' weighted totals.
    select : int, optional
        Places to fill (e.g. 5); without it (and without ``p_selected``) no line is checked.
    p_selected : pandas.Series, optional
        Share (0–1) of the stability resamples in which each application is selected.
    rank : pandas.Series, optional
        The rank to use (e.g. :func:`scoring.core.columns.review_rank`: 対象外 unranked);
        default :func:`scoring.core.columns.rank_totals` of the totals.
    band : (float, float)
        Selection frequencies counted as near the line (inclusive).
    rank_margin : int
        Places either side of the cut counted as near the line (0: off).
    spread_ratio : float
        Residual spread ratio that counts as disagreement (> 0).
    gap : float
        Levels apart on one criterion, after leniency, that count as disagreement (> 0).
    min_reviewers : int
        Fewest complete sheets an application should have.
    reviewer_labels : mapping, optional
        Reviewer id → name shown in the reasons (e.g. 審査員A); default the id.

    Returns
    -------
    pandas.DataFrame
        Only the listed applications, in rank order (unranked last). Columns
        :data:`DISCUSSION_COLUMNS`: ``application``, ``reason`` (Japanese, joined with
        「；」), ``n_reasons`` (int), ``border_flag``, ``disagree_flag``, ``few_flag`` (bool),
        ``total``, ``rank`` (float), ``p_selected`` (float, NaN without stability),
        ``spread_ratio``, ``gap_levels`` (float), ``gap_criterion`` (str).
    """
    if select is not None and (not isinstance(select, (int, np.integer)) or isinstance(select, bool) or select < 1):
        raise OptionError(f"select は 1 以上の整数（選定数）にしてください（受け取った値: {select!r}）。")
    lo, hi = band
    if not 0 <= lo <= hi <= 1:
        raise OptionError(f"band は 0 ≤ 下限 ≤ 上限 ≤ 1 の組にしてください（受け取った値: {band!r}）。")
    if isinstance(rank_margin, bool) or not isinstance(rank_margin, (int, np.integer)) or rank_margin < 0:
        raise OptionError(f"rank_margin は 0 以上の整数にしてください（受け取った値: {rank_margin!r}）。")
    if not spread_ratio > 0:
        raise OptionError(f"spread_ratio は正の数にしてください（受け取った値: {spread_ratio!r}）。")
    if not gap > 0:
        raise OptionError(f"gap は正の数（段階数）にしてください（受け取った値: {gap!r}）。")
    scored = check_scores(scores)
    totals = reviewer_totals(scored, rubric, weights=weights, warn=False)
    apps = [str(a) for a in pd.unique(scored["application"])]
    n_complete = totals.groupby("application", sort=False)["reviewer"].nunique()
    if combined is not None:
        if isinstance(combined, pd.DataFrame):
            frame = combined.set_index("application") if "application" in combined.columns else combined
            if "total" not in frame.columns:
                raise ScoreTableError("combined の DataFrame に total 列がありません（応募ごとの合計点を入れてください）。")
            comb = frame["total"]
        elif isinstance(combined, pd.Series):
            comb = combined
        else:
            raise ScoreTableError("combined は応募コードを index とする pandas の Series"
                                  "（または total 列のある DataFrame）で渡してください。")
        keys = comb.index.astype(str)
        unknown = [a for a in keys if a not in apps]
        if unknown:
            raise ScoreTableError(f"combined に採点表にない応募があります: {_fmt_list(unknown)}。同じ採点表から作った合計点を渡してください。")
        total = pd.Series(comb.to_numpy(dtype="float64"), index=keys).reindex(apps)
    else:
        total = totals.groupby("application", sort=False)["total"].mean().reindex(apps).astype("float64")
    given = rank_totals(total) if rank is None else pd.Series(rank.to_numpy(), index=rank.index.astype(str))
    rk = pd.to_numeric(given.reindex(apps), errors="coerce").astype("float64")
    p = (pd.Series(np.nan, index=apps, dtype="float64") if p_selected is None else
         pd.Series(p_selected.to_numpy(dtype="float64"), index=p_selected.index.astype(str)).reindex(apps))
    spread = residual_spread(scored, rubric).reindex(apps)
    gap_crit = spread["gap_criterion"].fillna("").astype(str)
    rows = []
    for a in apps:
        reasons: list[str] = []
        r = float(cast(float, rk.at[a]))
        t = float(cast(float, total.at[a]))
        pa = float(cast(float, p.at[a]))
        in_band = bool(np.isfinite(pa) and lo - _EPS <= pa <= hi + _EPS)
        near_cut = bool(select is not None and rank_margin > 0 and np.isfinite(r)
                        and select - rank_margin < r <= select + rank_margin)
        border_flag = in_band or near_cut
        if border_flag:
            what = [f"{int(r)}位" if np.isfinite(r) else "順位なし"]
            if np.isfinite(t):
                what.append(f"合計 {_fmt(t)}点")
            if np.isfinite(pa):
                what.append(f"選定された割合 {100 * pa:.0f}％")
            if select is not None:
                what.append(f"選定数 {select}")
            reasons.append(f"選定ライン付近（{'・'.join(what)}）")
        ratio = float(cast(float, spread.at[a, "spread_ratio"]))
        gl = float(cast(float, spread.at[a, "gap_levels"]))
        gc = str(gap_crit.at[a])
        wide = bool(np.isfinite(ratio) and ratio >= spread_ratio - _EPS)
        far = bool(np.isfinite(gl) and gl >= gap - _EPS)
        disagree_flag = wide or far
        if disagree_flag:
            head = (f"審査員の甘辛では説明できない意見の違い（ばらつきが各審査員のふだんの {ratio:.1f} 倍）" if wide
                    else f"審査員の甘辛を除いても1つの評価項目で{_fmt(gl)}段階の差")
            reasons.append(f"{head}: {_label(gc, rubric)}: {_raw_text(scored, a, gc, reviewer_labels)}（素点）")
        n_rev = int(n_complete.get(a, 0))
        few_flag = n_rev < min_reviewers
        if few_flag:
            reasons.append(f"すべての評価項目を採点した審査員が{n_rev}人（{min_reviewers}人未満）")
        if reasons:
            rows.append({
                "application": a, "reason": "；".join(reasons), "n_reasons": len(reasons),
                "border_flag": border_flag, "disagree_flag": disagree_flag, "few_flag": few_flag,
                "total": t, "rank": r, "p_selected": pa, "spread_ratio": ratio, "gap_levels": gl,
                "gap_criterion": gc,
            })
    out = pd.DataFrame(rows, columns=list(DISCUSSION_COLUMNS))
    if len(out):
        out = out.sort_values(["rank", "total"], ascending=[True, False], kind="stable", na_position="last")
    out = out.reset_index(drop=True)
    return out.astype({"n_reasons": "int64", "border_flag": "bool", "disagree_flag": "bool", "few_flag": "bool",
                       "total": "float64", "rank": "float64", "p_selected": "float64", "spread_ratio": "float64",
                       "gap_levels": "float64", "gap_criterion": "str"})


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
        raise OptionError(f"評価項目 '{criterion}' の採点がありません。採点のある評価項目: {', '.join(order)}")
    part = scored[scored["criterion"] == criterion]
    return part.rename(columns={"score": "value"}).loc[:, ["application", "reviewer", "value"]].reset_index(drop=True)


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
        raise OptionError(f"links は pandas の DataFrame で渡してください（受け取った型: {type(links).__name__}）。")
    missing = [c for c in ("reviewer", "application", "linked") if c not in links.columns]
    if missing:
        raise OptionError(f"links に列 {', '.join(missing)} がありません。必要な列: reviewer, application, linked（True/False）")
    out = links.loc[:, ["reviewer", "application", "linked"]].copy()
    raw = out["linked"]
    ok = raw.map(lambda v: isinstance(v, (bool, np.bool_)) or (isinstance(v, (int, float, np.integer, np.floating))
                                                                  and not isinstance(v, bool) and v in (0, 1)))
    if not bool(ok.all()):
        bad = [f"{r}×{a}: {v!r}" for r, a, v in out.loc[~ok.to_numpy(), ["reviewer", "application", "linked"]].itertuples(index=False)]
        raise OptionError(f"links の linked 列は True / False（または 1 / 0）にしてください: {_fmt_list(bad)}。")
    out["linked"] = raw.astype(bool)
    out["reviewer"] = out["reviewer"].astype(str)
    out["application"] = out["application"].astype(str)
    dup = out.duplicated(["reviewer", "application"], keep=False)
    if bool(dup.any()):
        shown = sorted({f"{r}×{a}" for r, a in out.loc[dup, ["reviewer", "application"]].itertuples(index=False)})
        raise OptionError(f"links に同じ審査員×応募の行が複数あります: {_fmt_list(shown)}。1行にまとめてください。")
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
