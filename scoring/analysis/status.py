"""Which applications are outside the review (対象外) and why, in the committee's words.

One function, :func:`exclusion_reasons`, used by both the committee material
(:func:`scoring.analysis.committee.build_committee`) and the analyst's tuning screen
(:meth:`scoring.analysis.tuning.TuningModel.ranking`), so 03 and the committee material
mark the same applications with the same status word and reason. The rules and texts are
those of the selection (:func:`scoring.selection.select`, its ``reasons`` table),
checked against it in ``tests/analysis/test_status.py``:

1. withdrawn (辞退, recorded with ``python -m scoring eligibility withdraw``) → 辞退のため対象外
2. no total (no scores)            → 採点がないため対象外
3. ``exclusions`` of round.yaml     → 委員会の判断（除外の指定）により対象外
4. late (not accepted with ``eligibility accept-late``, not プッシュ型), unless
   ``eligibility_override`` → 期限後提出のため対象外
5. errors, unless ``eligibility_override`` → 応募書にエラーがあるため対象外
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..core.normalize import parse_prefecture
from ..selection import EXCLUSION_REASONS

if TYPE_CHECKING:
    from ..round.loader import ReviewRound

__all__ = ["STATUS_EXCLUDED", "exclusion_reasons", "flag_with_reason"]

#: The status word of an application outside the review (as in the selection's reasons).
STATUS_EXCLUDED = "対象外"

_NO_TOTAL = EXCLUSION_REASONS["no_total"]
_EXCLUDED = EXCLUSION_REASONS["exclusions"]
_LATE = EXCLUSION_REASONS["late"]
_ERRORS = EXCLUSION_REASONS["errors"]
_WITHDRAWN = EXCLUSION_REASONS["withdrawn"]


def _true(v: object) -> bool:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return False
    return bool(v)


def _code(value: object, index: pd.Index) -> str:
    """An application code as round.yaml may write it (「05」, 5, 「秋田」), as the selection reads it."""
    code = str(value)
    if code in index:
        return code
    try:
        return parse_prefecture(value)
    except ValueError:
        return code


def exclusion_reasons(rnd: ReviewRound | None, totals: pd.DataFrame | pd.Series) -> pd.Series:
    """The reason each application is 対象外, or "" when it is in the review.

    Parameters
    ----------
    rnd : ReviewRound or None
        The round (applications' ``late`` / ``has_errors``, round.yaml's ``exclusions`` and
        ``eligibility_override``). ``None``: only rule 1 applies.
    totals : DataFrame with column ``total``, or Series
        Combined totals, index ``application``.

    Returns
    -------
    pandas.Series
        Name ``reason``, index ``application`` (str): every application of the round and of
        ``totals``, in the order of ``totals`` then the rest; values "" or a Japanese reason
        ending in 対象外.
    """
    t = totals["total"] if isinstance(totals, pd.DataFrame) else totals
    t = pd.to_numeric(t, errors="coerce").astype(float)
    t.index = t.index.astype(str)
    ids = list(t.index)
    apps = None
    excl: set[str] = set()
    over: set[str] = set()
    if rnd is not None:
        apps = rnd.applications.copy()
        apps.index = apps.index.astype(str)
        ids += [a for a in apps.index if a not in t.index]
        excl = {_code(a, apps.index) for a in rnd.config.exclusions}
        over = {_code(a, apps.index) for a in rnd.config.eligibility_override}
    out = []
    for a in ids:
        total = t.get(a, np.nan)
        if (
            apps is not None
            and a in apps.index
            and _true(apps.at[a, "withdrawn"] if "withdrawn" in apps else None)
        ):
            out.append(_WITHDRAWN)
        elif not np.isfinite(total):
            out.append(_NO_TOTAL)
        elif a in excl:
            out.append(_EXCLUDED)
        elif (
            apps is not None
            and a in apps.index
            and a not in over
            and _true(apps.at[a, "late"] if "late" in apps else None)
        ):
            out.append(_LATE)
        elif (
            apps is not None
            and a in apps.index
            and a not in over
            and _true(apps.at[a, "has_errors"] if "has_errors" in apps else None)
        ):
            out.append(_ERRORS)
        else:
            out.append("")
    return pd.Series(out, index=pd.Index(ids, name="application"), name="reason", dtype=object)


def flag_with_reason(reason: str, flags: str) -> str:
    """The 注記 of a ranking row: the exclusion reason first, then the combiner's notes."""
    parts = [p for p in (reason, flags) if isinstance(p, str) and p]
    return " / ".join(parts)
