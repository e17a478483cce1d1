"""The values of a review session: one score entry, a change made elsewhere, the progress,
and the cleaning and display of raw values (no widgets, no store).

Used by :class:`scoring.review.session.ReviewSession`; the classes are importable from
:mod:`scoring.review.session` too.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from ..core.clock import JST

__all__ = ["ExternalChange", "Progress", "ScoreEntry", "clean_score", "clean_text", "display_value"]


@dataclass(frozen=True)
class ScoreEntry:
    """The reviewer's own current score, comment and 申請者への所見 for one criterion (None: not scored).

    ``comment`` is the reviewer's note for the 事務局 and the committee (never quoted in a
    letter); ``to_applicant`` what the reviewer writes for the applicant (it may be quoted
    in the 講評 after the 事務局's review; the store's ``record(..., to_applicant=...)``).
    """

    score: float | None = None
    comment: str = ""
    to_applicant: str = ""


@dataclass(frozen=True)
class ExternalChange:
    """Saved values of the reviewer's application that changed elsewhere (another browser
    tab or window of the same reviewer) since this session loaded them.

    Attributes
    ----------
    application : str
    criteria : tuple of str
        Criteria whose saved score, comment or 申請者への所見 differs from what this session had; their
        new values are now in the session (reloaded).
    overwritten : tuple of str
        Criteria that this session's save then overwrote (the last write wins).
    status_changed : bool
        The pair's status changed too (e.g. submitted in the other tab).
    at : datetime
        When the change was noticed (aware, UTC).
    """

    application: str
    criteria: tuple[str, ...]
    overwritten: tuple[str, ...]
    status_changed: bool
    at: dt.datetime


class Progress(NamedTuple):
    """Counts of the reviewer's applications by status."""

    submitted: int
    drafts: int
    total: int

    @property
    def fraction(self) -> float:
        """Share submitted, 0–1 (0 when there is nothing to review)."""
        return self.submitted / self.total if self.total else 0.0

    def text(self) -> str:
        """e.g. ``3 / 15 提出済（下書き 2）``."""
        extra = f"（下書き {self.drafts}）" if self.drafts else ""
        return f"{self.submitted} / {self.total} 提出済{extra}"


def clean_score(value: Any) -> float | None:
    if value is None:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def clean_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def display_value(value: Any) -> str:
    """A field value as text for people (— when missing)."""
    if value is None:
        return "—"
    if isinstance(value, float) and math.isnan(value):
        return "—"
    if value is pd.NaT:
        return "—"
    if isinstance(value, (bool, np.bool_)):
        return "はい" if value else "いいえ"
    if isinstance(value, pd.Timestamp):
        if value.tzinfo is not None:
            return f"{value.tz_convert(JST):%Y-%m-%d %H:%M}"
        return f"{value:%Y-%m-%d}" if value == value.normalize() else f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    try:
        if pd.isna(value):
            return "—"
    except (TypeError, ValueError):
        pass
    return str(value)
