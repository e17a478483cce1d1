"""The applications to discuss (協議対象), each with its reasons in Japanese.

:func:`discussion_list` lists the applications near the selection line (stability
analysis, rank), those on which the reviewers disagree beyond their habits
(:func:`residual_spread`) and those with too few reviewers.

The rule
--------
An application is listed when at least one of these holds:

1. **near the selection line** (選定ライン付近) — with the stability analysis
   (``p_selected``, :class:`scoring.selection.stability.StabilityAnalysis`): it was
   selected in between ``band`` (default 15 % and 85 %) of the resamples; and, with or
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
default method, stability with 200 resamples (before issue 20: six methods mixed; the band is
now 15–85 % for P(selected) from the default method alone, which flags as many: 26.4 % of a
round in 60 rounds, SD 6.5 points, 10th–90th percentile 16.7–36.7 %; ``benchmarks/UNCERTAINTY.md``). With the former defaults (band 25–75 %, ±1 place,
ratio 1.2, gap 3 levels) the list flags on average 25.9 % of a round (SD 6.8 points;
10th–90th percentile 16.7–33.3 %): 18.1 % near the line and 10.5 % for disagreement
(some both); the band 20–80 % with ratio 1.4 flagged as many but almost all near the
line (10 rounds), which hid the disagreements. The former rule (any two reviewers two levels apart) flagged every application
of the demo round.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from ..core.columns import DISCUSSION_COLUMNS, rank_totals
from ..core.errors import OptionError, ScoreTableError
from .habits import remove_leniency
from .scoretable import _EPS, _criterion_order, _fmt, _fmt_list, _steps, check_scores, reviewer_totals

if TYPE_CHECKING:
    from ..config.rubric import Rubric

__all__ = [
    "BORDER_BAND",
    "DISCUSSION_COLUMNS",
    "GAP_LEVELS",
    "RANK_MARGIN",
    "SPREAD_RATIO",
    "discussion_list",
    "residual_spread",
]

#: Selection frequency (share of the stability resamples) that puts an application "near
#: the selection line" for the discussion list (calibrated, see :func:`discussion_list`).
#: 15–85 % since issue 20 (P(selected) from the committee's own method, no longer mixing six
#: methods, puts fewer applications in the middle; 25–75 % would flag 19 % instead of about 25 %).
BORDER_BAND: tuple[float, float] = (0.15, 0.85)
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

    The rule and its calibration: see :mod:`~scoring.agreement.discussion`.

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
    rule = _Rule(select, band, rank_margin, spread_ratio, gap, min_reviewers)
    scored = check_scores(scores)
    totals = reviewer_totals(scored, rubric, weights=weights, warn=False)
    apps = [str(a) for a in pd.unique(scored["application"])]
    facts = _facts(scored, rubric, totals, apps, _combined_total(combined, totals, apps), rank, p_selected)
    rows = [row for a in apps if (row := _discussion_row(a, facts, rule, scored, rubric, reviewer_labels))]
    return _discussion_frame(rows)


@dataclass(frozen=True)
class _Rule:
    """The thresholds of :func:`discussion_list`, checked on creation (Japanese messages)."""

    select: int | None
    band: tuple[float, float]
    rank_margin: int
    spread_ratio: float
    gap: float
    min_reviewers: int

    def __post_init__(self) -> None:
        select, band, rank_margin = self.select, self.band, self.rank_margin
        if select is not None and (
            not isinstance(select, (int, np.integer)) or isinstance(select, bool) or select < 1
        ):
            raise OptionError(f"select は 1 以上の整数（選定数）にしてください（受け取った値: {select!r}）。")
        lo, hi = band
        if not 0 <= lo <= hi <= 1:
            raise OptionError(f"band は 0 ≤ 下限 ≤ 上限 ≤ 1 の組にしてください（受け取った値: {band!r}）。")
        if isinstance(rank_margin, bool) or not isinstance(rank_margin, (int, np.integer)) or rank_margin < 0:
            raise OptionError(f"rank_margin は 0 以上の整数にしてください（受け取った値: {rank_margin!r}）。")
        if not self.spread_ratio > 0:
            raise OptionError(f"spread_ratio は正の数にしてください（受け取った値: {self.spread_ratio!r}）。")
        if not self.gap > 0:
            raise OptionError(f"gap は正の数（段階数）にしてください（受け取った値: {self.gap!r}）。")


def _combined_total(
    combined: pd.Series | pd.DataFrame | None, totals: pd.DataFrame, apps: list[str]
) -> pd.Series:
    """The combined total per application (``apps`` order): given, or the mean of the reviewers' totals."""
    if combined is not None:
        if isinstance(combined, pd.DataFrame):
            frame = combined.set_index("application") if "application" in combined.columns else combined
            if "total" not in frame.columns:
                raise ScoreTableError(
                    "combined の DataFrame に total 列がありません（応募ごとの合計点を入れてください）。"
                )
            comb = frame["total"]
        elif isinstance(combined, pd.Series):
            comb = combined
        else:
            raise ScoreTableError(
                "combined は応募コードを index とする pandas の Series"
                "（または total 列のある DataFrame）で渡してください。"
            )
        keys = comb.index.astype(str)
        unknown = [a for a in keys if a not in apps]
        if unknown:
            raise ScoreTableError(
                f"combined に採点表にない応募があります: {_fmt_list(unknown)}。同じ採点表から作った合計点を渡してください。"
            )
        total = pd.Series(comb.to_numpy(dtype="float64"), index=keys).reindex(apps)
    else:
        total = totals.groupby("application", sort=False)["total"].mean().reindex(apps).astype("float64")
    return total


def _facts(
    scored: pd.DataFrame,
    rubric: Rubric | None,
    totals: pd.DataFrame,
    apps: list[str],
    total: pd.Series,
    rank: pd.Series | None,
    p_selected: pd.Series | None,
) -> pd.DataFrame:
    """Per application (``apps`` order): total, rank, p, spread_ratio, gap_levels, gap_criterion, n_rev."""
    given = rank_totals(total) if rank is None else pd.Series(rank.to_numpy(), index=rank.index.astype(str))
    rk = pd.to_numeric(given.reindex(apps), errors="coerce").astype("float64")
    p = (
        pd.Series(np.nan, index=apps, dtype="float64")
        if p_selected is None
        else pd.Series(p_selected.to_numpy(dtype="float64"), index=p_selected.index.astype(str)).reindex(apps)
    )
    spread = residual_spread(scored, rubric).reindex(apps)
    n_complete = totals.groupby("application", sort=False)["reviewer"].nunique()
    return pd.DataFrame(
        {
            "total": total,
            "rank": rk,
            "p": p,
            "spread_ratio": spread["spread_ratio"],
            "gap_levels": spread["gap_levels"],
            "gap_criterion": spread["gap_criterion"].fillna("").astype(str),
            "n_rev": [int(n_complete.get(a, 0)) for a in apps],
        },
        index=apps,
    )


def _discussion_row(
    a: str,
    facts: pd.DataFrame,
    rule: _Rule,
    scored: pd.DataFrame,
    rubric: Rubric | None,
    reviewer_labels: Mapping[str, str] | None,
) -> dict[str, Any] | None:
    """The row of application ``a`` with its reasons, or None when it is not to be discussed."""
    r = float(cast(float, facts.at[a, "rank"]))
    t = float(cast(float, facts.at[a, "total"]))
    pa = float(cast(float, facts.at[a, "p"]))
    ratio = float(cast(float, facts.at[a, "spread_ratio"]))
    gl = float(cast(float, facts.at[a, "gap_levels"]))
    gc = str(facts.at[a, "gap_criterion"])
    n_rev = int(cast(int, facts.at[a, "n_rev"]))
    border = _border_reason(r, t, pa, rule)
    disagree = _disagree_reason(ratio, gl, gc, rule)
    if disagree:
        disagree = f"{disagree}: {_label(gc, rubric)}: {_raw_text(scored, a, gc, reviewer_labels)}（素点）"
    few = (
        f"すべての評価項目を採点した審査員が{n_rev}人（{rule.min_reviewers}人未満）"
        if n_rev < rule.min_reviewers
        else ""
    )
    reasons = [reason for reason in (border, disagree, few) if reason]
    if not reasons:
        return None
    return {
        "application": a,
        "reason": "；".join(reasons),
        "n_reasons": len(reasons),
        "border_flag": bool(border),
        "disagree_flag": bool(disagree),
        "few_flag": bool(few),
        "total": t,
        "rank": r,
        "p_selected": pa,
        "spread_ratio": ratio,
        "gap_levels": gl,
        "gap_criterion": gc,
    }


def _border_reason(r: float, t: float, pa: float, rule: _Rule) -> str:
    """「選定ライン付近（…）」 when the application is near the selection line, else ""."""
    lo, hi = rule.band
    select, rank_margin = rule.select, rule.rank_margin
    in_band = bool(np.isfinite(pa) and lo - _EPS <= pa <= hi + _EPS)
    near_cut = bool(
        select is not None
        and rank_margin > 0
        and np.isfinite(r)
        and select - rank_margin < r <= select + rank_margin
    )
    if not (in_band or near_cut):
        return ""
    what = [f"{int(r)}位" if np.isfinite(r) else "順位なし"]
    if np.isfinite(t):
        what.append(f"合計 {_fmt(t)}点")
    if np.isfinite(pa):
        what.append(f"選定された割合 {100 * pa:.0f}％")
    if select is not None:
        what.append(f"選定数 {select}")
    return f"選定ライン付近（{'・'.join(what)}）"


def _disagree_reason(ratio: float, gl: float, gc: str, rule: _Rule) -> str:
    """The head of the disagreement reason when the reviewers disagree beyond their habits, else ""."""
    wide = bool(np.isfinite(ratio) and ratio >= rule.spread_ratio - _EPS)
    far = bool(np.isfinite(gl) and gl >= rule.gap - _EPS)
    if not (wide or far):
        return ""
    return (
        f"審査員の甘辛では説明できない意見の違い（ばらつきが各審査員のふだんの {ratio:.1f} 倍）"
        if wide
        else f"審査員の甘辛を除いても1つの評価項目で{_fmt(gl)}段階の差"
    )


def _discussion_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The listed rows in rank order (unranked last), columns :data:`DISCUSSION_COLUMNS`."""
    out = pd.DataFrame(rows, columns=list(DISCUSSION_COLUMNS))
    if len(out):
        out = out.sort_values(["rank", "total"], ascending=[True, False], kind="stable", na_position="last")
    out = out.reset_index(drop=True)
    return out.astype(
        {
            "n_reasons": "int64",
            "border_flag": "bool",
            "disagree_flag": "bool",
            "few_flag": "bool",
            "total": "float64",
            "rank": "float64",
            "p_selected": "float64",
            "spread_ratio": "float64",
            "gap_levels": "float64",
            "gap_criterion": "str",
        }
    )
