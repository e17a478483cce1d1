"""Each application's status and reason (選定対象 / 対象外), from the round's recorded decisions.

The one place that says whether an application is in the review and, when it is not, why.
Every output reads it: the selection's reasons (:func:`scoring.selection.select_round`),
the ranking of the tuning screen and of the committee material
(:mod:`scoring.analysis.status`, which re-exports :func:`application_statuses`), the
decision table of ``decide``, ``run``, ``assign`` (which never assigns an application
that is 対象外) and the letters.

The rules, in this order (the first that applies gives the reason):

==========================  ==========================================================
理由                         when
==========================  ==========================================================
辞退                         a withdrawal is recorded (``eligibility withdraw``)
期限後提出（受理せず）        received after the deadline and not accepted
                             (``eligibility accept-late``), not a recorded プッシュ型,
                             not in round.yaml's ``eligibility_override``
応募書にエラー               the file in use has an error, not in ``eligibility_override``
対象外（総務省の判断）        round.yaml's ``exclusions``
担当審査員なし               no reviewer is assigned to it
採点なし                     no combined total (only when ``totals`` is given)
==========================  ==========================================================

A late application is therefore 期限後提出（受理せず） even once its rows are removed from
assignments.csv (not 「採点がない」). ``応募区分`` is プッシュ型 only for an application
whose プッシュ型 is a recorded ministry decision (``eligibility push``); a form that says
プッシュ型 without one counts as 手上げ式 (:func:`scoring.round.eligibility.apply_eligibility`).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..core.normalize import parse_prefecture

if TYPE_CHECKING:
    from .loader import ReviewRound

__all__ = [
    "IN_REVIEW",
    "LONG_REASONS",
    "NOT_ASSIGNED",
    "OUT_OF_REVIEW",
    "REASONS",
    "application_statuses",
    "assignable",
    "long_reason",
]

#: The two values of ``区分``.
IN_REVIEW = "選定対象"
OUT_OF_REVIEW = "対象外"

#: Reason key → the short Japanese reason (column ``理由``), in the order the rules apply.
REASONS: dict[str, str] = {
    "withdrawn": "辞退",
    "late": "期限後提出（受理せず）",
    "errors": "応募書にエラー",
    "exclusions": "対象外（総務省の判断）",
    "no_reviewer": "担当審査員なし",
    "no_total": "採点なし",
}
#: Reason key → the sentence the selection, the ranking and the letters show (ends in 対象外).
LONG_REASONS: dict[str, str] = {
    "withdrawn": "辞退のため対象外",
    "late": "期限後提出（受理せず）のため対象外",
    "errors": "応募書にエラーがあるため対象外",
    "exclusions": "総務省の判断（除外の指定）により対象外",
    "no_reviewer": "担当審査員がいないため対象外",
    "no_total": "採点がないため対象外",
}
_LONG_BY_SHORT = {REASONS[k]: LONG_REASONS[k] for k in REASONS}


def long_reason(reason: str) -> str:
    """The sentence for a short reason of ``理由`` (「期限後提出（受理せず）のため対象外」); "" for ""."""
    return _LONG_BY_SHORT.get(reason, reason)


def _flag(apps: pd.DataFrame, column: str) -> pd.Series:
    if column not in apps.columns:
        return pd.Series(False, index=apps.index, dtype=bool)
    return apps[column].map(lambda v: False if v is None or pd.isna(v) else bool(v)).astype(bool)


def _codes(values: object, index: pd.Index) -> set[str]:
    out: set[str] = set()
    for v in values or ():  # type: ignore[attr-defined]
        code = str(v)
        if code not in index:
            try:
                code = parse_prefecture(v)
            except ValueError:
                pass
        out.add(code)
    return out


def _assigned(rnd: ReviewRound) -> set[str] | None:
    try:
        pairs = rnd.assignments()
    except Exception:  # noqa: BLE001 - a round without a usable assignment: no such rule
        return None
    return set(pairs["application"].astype(str)) if "application" in pairs else None


def application_statuses(rnd: ReviewRound, totals: pd.DataFrame | pd.Series | None = None) -> pd.DataFrame:
    """Each application's status, reason and type, from the round's recorded decisions.

    Parameters
    ----------
    rnd : ReviewRound
        The round as loaded (its ``applications`` reflect the recorded eligibility decisions).
    totals : DataFrame with column ``total``, or Series, optional
        Combined totals (index ``application``). Given: an application without a finite
        total is 対象外 (採点なし) when no earlier rule applies; applications of ``totals``
        that are not in the round are listed after the round's.

    Returns
    -------
    DataFrame
        Index ``application`` (str, the round's applications in their order); columns
        ``区分`` (:data:`IN_REVIEW` / :data:`OUT_OF_REVIEW`), ``理由`` (a value of
        :data:`REASONS`, "" when 選定対象), ``応募区分`` (手上げ式 / プッシュ型, the recorded
        one), ``reason_key`` (a key of :data:`REASONS` or "").
    """
    apps = rnd.applications.copy()
    apps.index = apps.index.astype(str)
    ids = list(apps.index)
    t: pd.Series | None = None
    if totals is not None:
        t = totals["total"] if isinstance(totals, pd.DataFrame) else totals
        t = pd.to_numeric(t, errors="coerce").astype(float)
        t.index = t.index.astype(str)
        ids += [a for a in t.index if a not in apps.index]
    over = _codes(rnd.config.eligibility_override, apps.index)
    excl = _codes(rnd.config.exclusions, apps.index)
    flags = {c: _flag(apps, c) for c in ("withdrawn", "late", "has_errors")}
    assigned = _assigned(rnd)

    def key(a: str) -> str:
        known = a in apps.index
        rules = (
            ("withdrawn", known and flags["withdrawn"][a]),
            ("late", known and flags["late"][a] and a not in over),
            ("errors", known and flags["has_errors"][a] and a not in over),
            ("exclusions", a in excl),
            ("no_reviewer", known and assigned is not None and a not in assigned),
            ("no_total", t is not None and not np.isfinite(t.get(a, np.nan))),
        )
        return next((k for k, applies in rules if applies), "")

    keys = [key(a) for a in ids]
    types = apps["application_type"] if "application_type" in apps else pd.Series(dtype=object)
    out = pd.DataFrame(
        {
            "区分": [OUT_OF_REVIEW if k else IN_REVIEW for k in keys],
            "理由": [REASONS.get(k, "") for k in keys],
            "応募区分": [
                str(types[a]) if a in types.index and isinstance(types[a], str) else "手上げ式" for a in ids
            ],
            "reason_key": keys,
        },
        index=pd.Index(ids, name="application"),
    )
    return out.astype(object)


#: The reasons that keep an application out of the assignment (担当審査員なし and 採点なし are
#: what follows from it, not a reason to leave it out).
NOT_ASSIGNED: tuple[str, ...] = ("withdrawn", "late", "errors", "exclusions")


def assignable(rnd: ReviewRound) -> tuple[ReviewRound, pd.DataFrame]:
    """The round with only the applications ``assign`` may give reviewers, and those left out.

    Returns
    -------
    round : ReviewRound
        A copy of ``rnd`` whose ``applications`` leave out every application that is 対象外
        for a reason of :data:`NOT_ASSIGNED` (辞退, 期限後提出（受理せず）, 応募書にエラー,
        対象外（総務省の判断）).
    left_out : DataFrame
        Their rows of :func:`application_statuses` with ``prefecture_name``.
    """
    st = application_statuses(rnd)
    out = st.loc[st["reason_key"].isin(NOT_ASSIGNED)].copy()
    out.insert(0, "prefecture_name", rnd.applications["prefecture_name"].reindex(out.index).to_numpy())
    keep = rnd.applications.loc[~rnd.applications.index.astype(str).isin(out.index)]
    return dataclasses.replace(rnd, applications=keep), out
