"""The issue-20 numbers of a :class:`~scoring.analysis.committee.Committee`, for the documents
(reference material) and the analyst's view: near-ties at the line, the two 協議 lists, the
second-panel estimate, the method sensitivity and the explanation.

:func:`committee_quality` computes them once per committee (cached in ``render_cache``); every
field is data (DataFrames with Japanese column names where a document prints them as they are).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..round.loader import ReviewRound, load_round
from ..selection import candidates_frame
from .nearties import near_ties
from .quality import (
    explanation_ja,
    method_sensitivity,
    near_line,
    second_panel,
    second_panel_table,
    split_points,
)
from .status import STATUS_EXCLUDED
from .uncertainty import honest_cov

if TYPE_CHECKING:
    from .committee import Committee

__all__ = ["CommitteeQuality", "committee_near_ties", "committee_quality", "committee_round"]


@dataclass
class CommitteeQuality:
    """See :func:`committee_quality`."""

    #: :func:`scoring.analysis.nearties.near_ties` across the proposed selection's line.
    near_ties: pd.DataFrame
    #: 「選定ラインの近く」 (:func:`scoring.analysis.quality.near_line`), flagged rows only,
    #: with ``prefecture_name``; 対象外 left out.
    near_line: pd.DataFrame
    #: 「評価が大きく割れた点」 (:func:`scoring.analysis.quality.split_points`), 対象外 left out.
    split_points: pd.DataFrame
    #: :func:`scoring.analysis.quality.second_panel` (dict) and its table (Japanese headers;
    #: ``attrs["summary"]`` is one Japanese sentence).
    second_panel: dict[str, Any]
    second_panel_table: pd.DataFrame
    #: 「方法を変えた場合」 (:func:`scoring.analysis.quality.method_sensitivity`).
    method_sensitivity: pd.DataFrame
    #: Why one revision moves other totals; P(selected) vs the method sensitivity (Japanese).
    explanation: str
    notes: list[str] = field(default_factory=list)


def committee_round(c: Committee) -> ReviewRound:
    """The round the committee was computed from, as :func:`~scoring.analysis.committee.build_committee`
    loaded it (``c.render_cache["round"]``; loaded from ``c.round_path`` for a committee made otherwise).

    The material's later sections read the rubric, the settings and the applications from here
    rather than the folder again: loading reads every 応募書 (about 1 s of CPU each time), and what
    they show stays the state the totals were computed from."""
    rnd = c.render_cache.get("round")
    if not isinstance(rnd, ReviewRound):
        rnd = c.render_cache["round"] = load_round(c.round_path)
    return rnd


def _in_review(c: Committee) -> pd.Series:
    """Totals of the applications in the review (対象外 and those without a total left out)."""
    r = c.ranked
    keep = r["status"].astype(str) != STATUS_EXCLUDED
    return r.loc[keep, "total"].astype(float).dropna()


def committee_near_ties(c: Committee, z: float = 1.96) -> pd.DataFrame:
    """:func:`~scoring.analysis.nearties.near_ties` of the committee: its totals and honest SEs
    (``c.ranked``) with their covariance (:func:`~scoring.analysis.uncertainty.honest_cov`, one
    jackknife over reviewers), the proposed selection as the upper side, 対象外 left out. Cached
    in ``c.render_cache["near_ties"]``."""
    cached = c.render_cache.get("near_ties")
    if isinstance(cached, pd.DataFrame) and z == 1.96:
        return cached
    t = _in_review(c)
    k = len(c.selected) or int(c.config_summary.get("k", 0) or 0)
    cov = None
    if not c.scored.empty:
        rubric = committee_round(c).rubric
        weights = c.settings.get("weights") or None
        cov = honest_cov(c.scored, rubric, c.method, _options(c), weights)
    out = near_ties(t, c.ranked["se"].reindex(t.index), k, selected=c.selected or None, z=z, cov=cov)
    if z == 1.96:
        c.render_cache["near_ties"] = out
    return out


def _options(c: Committee) -> dict[str, Any]:
    """The committee's method options (those set; ``confidence`` None left out)."""
    return {o: v for o, v in dict(c.settings.get("method_options") or {}).items() if v is not None}


def committee_quality(c: Committee, *, n_splits: int = 200) -> CommitteeQuality:
    """Every issue-20 number of the committee (cached in ``c.render_cache["quality"]``)."""
    cached = c.render_cache.get("quality")
    if isinstance(cached, CommitteeQuality):
        return cached
    rnd = committee_round(c)
    cfg = rnd.config
    t = _in_review(c)
    k = int(cfg.select.target)
    nl = near_line(t, c.ranked["se"], c.ranked["p_selected"], k, selected=c.selected or None)
    nl = nl[nl["flag"]].drop(columns="flag")
    nl.insert(0, "prefecture_name", c.ranked["prefecture_name"].reindex(nl.index).astype(str))
    sp = split_points(c.scored, rnd.rubric, labels=c.reviewer_labels)
    sp = sp[sp["application"].isin(set(t.index))].reset_index(drop=True)
    sp.insert(1, "prefecture_name", sp["application"].map(c.ranked["prefecture_name"]).fillna("").astype(str))
    cand = candidates_frame(
        pd.Series(float("nan"), index=rnd.applications.index, name="total"), rnd.applications
    )
    weights = c.settings.get("weights") or None
    common: dict[str, Any] = {
        "locks": cfg.locks,
        "exclusions": cfg.exclusions,
        "overrides": cfg.eligibility_override,
    }
    seed = int(c.stability_options.get("seed", 0))
    options = _options(c)
    notes: list[str] = []
    if c.scored.empty:
        panel: dict[str, Any] = {
            "k": k,
            "expected": float("nan"),
            "lo": float("nan"),
            "hi": float("nan"),
            "shares": {},
            "n_splits": 0,
            "n_infeasible": 0,
            "interval": 0.9,
        }
        sens = pd.DataFrame(columns=["method", "selected", "out", "in", "n_changed"])
        notes.append("点数がないため、別の審査員団の推定と方法を変えた場合は計算していません。")
    else:
        panel = second_panel(
            c.scored,
            rnd.rubric,
            cand,
            cfg.select,
            cfg.balance,
            method=c.method,
            method_options=options,
            weights=weights,
            n_splits=n_splits,
            seed=seed,
            **common,
        )
        sens = method_sensitivity(
            c.scored,
            rnd.rubric,
            cand,
            cfg.select,
            cfg.balance,
            proposed=c.selected,
            weights=weights,
            **common,
        )
    out = CommitteeQuality(
        near_ties=committee_near_ties(c),
        near_line=nl,
        split_points=sp,
        second_panel=panel,
        second_panel_table=second_panel_table(panel),
        method_sensitivity=sens,
        explanation=explanation_ja(c.method, int(c.stability_options.get("n_boot", 1000))),
        notes=notes,
    )
    c.render_cache["quality"] = out
    return out
