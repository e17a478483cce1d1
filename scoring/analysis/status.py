"""Which applications are outside the review (対象外) and why, in the committee's words.

The rules live in one place, :func:`scoring.round.status.application_statuses` (re-exported
here): each application's ``区分`` (選定対象 / 対象外), ``理由`` (辞退, 期限後提出（受理せず）,
応募書にエラー, 対象外（総務省の判断）, 担当審査員なし, 採点なし) and ``応募区分`` (プッシュ型 only
with a recorded ministry decision). :func:`exclusion_reasons` gives the same reasons as the
sentences the selection, the ranking, the committee material and the letters show
(「期限後提出（受理せず）のため対象外」), used by both the committee material
(:func:`scoring.analysis.committee.build_committee`) and the analyst's tuning screen
(:meth:`scoring.analysis.tuning.TuningModel.ranking`); checked against the selection
(:func:`scoring.selection.select_round`, its ``reasons`` table) in
``tests/analysis/test_status.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..round.status import IN_REVIEW, OUT_OF_REVIEW, application_statuses, long_reason
from ..selection import EXCLUSION_REASONS

if TYPE_CHECKING:
    from ..round.loader import ReviewRound

__all__ = [
    "IN_REVIEW",
    "OUT_OF_REVIEW",
    "STATUS_EXCLUDED",
    "application_statuses",
    "exclusion_reasons",
    "flag_with_reason",
]

#: The status word of an application outside the review (as in the selection's reasons).
STATUS_EXCLUDED = "対象外"

_NO_TOTAL = EXCLUSION_REASONS["no_total"]


def exclusion_reasons(rnd: ReviewRound | None, totals: pd.DataFrame | pd.Series) -> pd.Series:
    """The reason each application is 対象外, or "" when it is in the review.

    Parameters
    ----------
    rnd : ReviewRound or None
        The round (:func:`application_statuses`). ``None``: only 「採点がない」 applies.
    totals : DataFrame with column ``total``, or Series
        Combined totals, index ``application``.

    Returns
    -------
    pandas.Series
        Name ``reason``, index ``application`` (str): every application of the round and of
        ``totals``, in the order of ``totals`` then the rest; values "" or a Japanese reason
        ending in 対象外 (:data:`scoring.round.status.LONG_REASONS`).
    """
    t = totals["total"] if isinstance(totals, pd.DataFrame) else totals
    t = pd.to_numeric(t, errors="coerce").astype(float)
    t.index = t.index.astype(str)
    ids = list(t.index)
    if rnd is None:
        out = [_NO_TOTAL if not np.isfinite(t[a]) else "" for a in ids]
        return pd.Series(out, index=pd.Index(ids, name="application"), name="reason", dtype=object)
    st = application_statuses(rnd, t)
    ids += [a for a in st.index if a not in t.index]
    out = [long_reason(str(st.at[a, "理由"])) for a in ids]
    return pd.Series(out, index=pd.Index(ids, name="application"), name="reason", dtype=object)


def flag_with_reason(reason: str, flags: str) -> str:
    """The 注記 of a ranking row: the exclusion reason first, then the combiner's notes."""
    parts = [p for p in (reason, flags) if isinstance(p, str) and p]
    return " / ".join(parts)
