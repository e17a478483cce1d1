"""What the score store needs to know of a review round, as plain values (below the store).

The store (:mod:`scoring.store`) checks every write against the round: the rubric's
version, each criterion's scale and comment rule, the reviewers with their conflicts of
interest, the applications. It does not import the round or the rubric (stages above
it); :meth:`scoring.round.loader.ReviewRound.store_facts` builds a :class:`RoundFacts`
and the store reads only that.

The arithmetic of a scale (its levels, whether a score is one of them, how a level is
written) is defined here once; :class:`scoring.config.rubric.Criterion` and
:class:`CriterionFacts` both use it.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "LEVEL_TOLERANCE",
    "CriterionFacts",
    "ReviewerFacts",
    "RoundFacts",
    "find_level",
    "format_level",
    "is_level",
    "level_value",
    "needs_comment",
    "scale_levels",
]

#: Two scores closer than this (relative, at least absolute) are the same level.
LEVEL_TOLERANCE = 1e-9


def level_value(x: float) -> int | float:
    """``x`` as an int when it is integral (rounded to 10 decimals), else as a float."""
    r = round(float(x), 10)
    return int(r) if r.is_integer() else r


def format_level(level: float) -> str:
    """A level or score as people write it: ``4`` not ``4.0``; ``2.5`` stays."""
    value = float(level)
    return str(int(value)) if value.is_integer() else f"{value:g}"


def scale_levels(minimum: float, maximum: float, step: float) -> list[int | float]:
    """The levels ``minimum, minimum + step, …, maximum`` of a valid scale, ascending."""
    n = round((maximum - minimum) / step)
    return [level_value(minimum + i * step) for i in range(n + 1)]


def find_level(levels: Sequence[float], value: float) -> int | float | None:
    """The level of ``levels`` equal to ``value`` (within :data:`LEVEL_TOLERANCE`), or None."""
    for lv in levels:
        if abs(lv - value) <= LEVEL_TOLERANCE * max(1.0, abs(lv)):
            return lv
    return None


def is_level(score: object, levels: Sequence[float]) -> bool:
    """Whether ``score`` is one of ``levels``.

    Only real numbers (NumPy scalars included) can be; NaN, infinities, bools and strings
    such as ``"3"`` are not (convert at the edges).
    """
    if isinstance(score, bool) or not isinstance(score, numbers.Real):
        return False
    value = float(score)
    return math.isfinite(value) and find_level(levels, value) is not None


def needs_comment(score: float, levels: Sequence[float], comment_required_at: Sequence[float]) -> bool:
    """Whether a score (a level of ``levels``) needs a written comment."""
    return is_level(score, levels) and any(
        abs(float(score) - v) <= LEVEL_TOLERANCE for v in comment_required_at
    )


@dataclass(frozen=True)
class CriterionFacts:
    """One criterion as the store checks it.

    Attributes
    ----------
    id, label_ja : str
        The criterion's id and Japanese label (for messages).
    scale_min, scale_max, scale_step : float
        The scale that applies (a valid one: ``min < max``, the step divides the range).
    comment_required_at : tuple of float
        Levels at which a comment is required.
    """

    id: str
    label_ja: str
    scale_min: float
    scale_max: float
    scale_step: float
    comment_required_at: tuple[float, ...] = ()

    @property
    def levels(self) -> list[int | float]:
        """The allowed scores, ascending."""
        return scale_levels(self.scale_min, self.scale_max, self.scale_step)

    def is_allowed(self, score: object) -> bool:
        """Whether ``score`` is a level of the scale (see :func:`is_level`)."""
        return is_level(score, self.levels)

    def comment_required(self, score: float) -> bool:
        """Whether a score at this level needs a written comment."""
        return needs_comment(score, self.levels, self.comment_required_at)


@dataclass(frozen=True)
class ReviewerFacts:
    """One reviewer: id, name (for messages) and the applications they are in conflict with."""

    id: str
    name: str
    conflicts: frozenset[str] = frozenset()


@dataclass(frozen=True, eq=False)
class RoundFacts:
    """Everything the score store needs of a round, and nothing more.

    Attributes
    ----------
    name : str
        The round's name (a database belongs to one round).
    path : Path
        The round folder (the default place of the SQLite file and the checkpoints).
    rubric_version : str
        Written into every event.
    criteria : tuple of CriterionFacts
        In rubric order.
    reviewers : tuple of ReviewerFacts
        In reviewers.yaml order.
    applications : mapping
        Application id (JIS code) → prefecture name ("" when unknown).
    assignments : tuple of (reviewer, application)
        The assigned pairs (the status table lists them even before any event).
    include_drafts : bool
        Whether the analysis counts drafts (round.yaml ``include_drafts``).
    """

    name: str
    path: Path
    rubric_version: str
    criteria: tuple[CriterionFacts, ...]
    reviewers: tuple[ReviewerFacts, ...]
    applications: Mapping[str, str]
    assignments: tuple[tuple[str, str], ...] = ()
    include_drafts: bool = False
    _criteria: dict[str, CriterionFacts] = field(init=False, repr=False)
    _reviewers: dict[str, ReviewerFacts] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_criteria", {c.id: c for c in self.criteria})
        object.__setattr__(self, "_reviewers", {r.id: r for r in self.reviewers})

    def store_facts(self) -> RoundFacts:
        """Itself (so that a store opens from a :class:`RoundFacts` as from a round)."""
        return self

    def criterion(self, criterion_id: str) -> CriterionFacts | None:
        """The criterion with this id, or None."""
        return self._criteria.get(criterion_id)

    def reviewer(self, reviewer_id: str) -> ReviewerFacts | None:
        """The reviewer with this id, or None."""
        return self._reviewers.get(reviewer_id)

    @property
    def criterion_ids(self) -> list[str]:
        """The criterion ids in rubric order."""
        return list(self._criteria)

    @property
    def reviewer_ids(self) -> list[str]:
        """The reviewer ids in reviewers.yaml order."""
        return list(self._reviewers)
