"""The committee's tables of the combined totals: the ranked table, the breakdown by rubric
group and the spread of the reviewers' own totals (steps of
:func:`scoring.analysis.committee.build_committee`; columns documented on
:class:`scoring.analysis.committee.Committee`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.columns import review_rank
from ..round.loader import ReviewRound
from ..selection import SelectionResult
from .status import STATUS_EXCLUDED, exclusion_reasons

__all__: list[str] = []

_STATUS_NOT_SCORED = "未採点"


def _ranked(
    rnd: ReviewRound,
    apps: pd.DataFrame,
    totals: pd.DataFrame,
    selection: SelectionResult | None,
    stab: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.Series, list[str]]:
    """The ranked table, the 対象外 reasons and the applications without a total.

    The selection's reasons and the stability table get the same rank (every output shows it).
    """
    ids_ranked = list(totals.index) + sorted(a for a in apps.index if a not in totals.index)
    status = pd.Series("", index=pd.Index(ids_ranked, name="application"), dtype=object)
    no_total = [a for a in ids_ranked if a not in totals.index or pd.isna(totals["total"].get(a))]
    status[no_total] = _STATUS_NOT_SCORED
    excl = exclusion_reasons(rnd, totals).reindex(status.index).fillna("").astype(str)
    status[excl != ""] = STATUS_EXCLUDED
    if selection is not None:
        st = selection.reasons["status"]
        status.update(st.reindex(status.index).dropna())
    ranked = pd.DataFrame(index=pd.Index(ids_ranked, name="application"))
    for col in ("prefecture_name", "block", "theme", "application_type"):
        ranked[col] = apps[col].reindex(ranked.index).astype(object) if col in apps.columns else ""
    ranked["total"] = totals["total"].reindex(ranked.index).astype(float)
    ranked["se"] = totals["se"].reindex(ranked.index).astype(float)
    ranked["n_reviewers"] = totals["n_reviewers"].reindex(ranked.index).fillna(0).astype("int64")
    ranked["rank"] = review_rank(ranked["total"], excl != "")
    ranked["status"] = status.astype(str)
    ranked["p_selected"] = stab["p_selected"].reindex(ranked.index).astype(float)
    ranked["flags"] = totals["flags"].reindex(ranked.index).fillna("").astype(str)
    ranked.loc[ranked["total"].isna(), "flags"] = [
        (f + " / " if f else "") + "採点なし" for f in ranked.loc[ranked["total"].isna(), "flags"]
    ]
    # rank order: ranked applications first (by the one rank), then 対象外 and unscored ones
    key = ranked["rank"].astype("Float64").fillna(np.inf).to_numpy(dtype=float)
    ranked = ranked.iloc[np.lexsort((np.arange(len(ranked)), key))]
    # every output shows the same rank (scoring.core.columns.review_rank)
    if selection is not None:
        selection.reasons["rank"] = ranked["rank"].reindex(selection.reasons.index).astype("Int64")
    stab["rank"] = ranked["rank"].reindex(stab.index).astype("Int64")
    return ranked, excl, no_total


def _breakdown(
    rnd: ReviewRound, w: pd.Series, totals: pd.DataFrame, ranked: pd.DataFrame
) -> tuple[dict[str, tuple[str, float]], pd.DataFrame]:
    """Each rubric group's label and share of the 配点, and the totals broken down by group."""
    total_w = float(w.sum())
    group_labels = {
        g.id: (g.label_ja, round(100.0 * float(w.reindex([c.id for c in g.criteria]).sum()) / total_w, 4))
        for g in rnd.rubric.groups
    }
    breakdown = pd.DataFrame(index=ranked.index)
    breakdown["prefecture_name"] = ranked["prefecture_name"]
    for gid in group_labels:
        breakdown[gid] = totals[gid].reindex(ranked.index).astype(float) if gid in totals.columns else np.nan
    breakdown["total"] = ranked["total"]
    return group_labels, breakdown


def _spread(rt: pd.DataFrame, ranked: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The reviewers' totals (application as str) and their spread per application (rank order)."""
    rt = rt.copy()
    rt["application"] = rt["application"].astype(str)
    g = rt.groupby("application")["total"]
    spread = pd.DataFrame(index=ranked.index)
    spread["prefecture_name"] = ranked["prefecture_name"]
    spread["n_reviewers"] = g.size().reindex(ranked.index).fillna(0).astype("int64")
    spread["mean"] = g.mean().reindex(ranked.index)
    spread["min"] = g.min().reindex(ranked.index)
    spread["max"] = g.max().reindex(ranked.index)
    spread["range"] = spread["max"] - spread["min"]
    spread["sd"] = g.std(ddof=1).reindex(ranked.index)
    spread["total"] = ranked["total"]
    return rt, spread
