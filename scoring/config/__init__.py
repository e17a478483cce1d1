"""Stage 1, settings: the rubric, the round and its reviewers, and how YAML is read.

- :mod:`~scoring.config.yamlfile`: YAML with line numbers; pydantic errors → Japanese;
- :mod:`~scoring.config.rubric`: the rubric (評価基準) and its version hash;
- :mod:`~scoring.config.versions`: writing a new version of a rubric (new weights, changelog);
- :mod:`~scoring.config.round`: ``round.yaml`` (:class:`RoundConfig`, :class:`SelectSpec`,
  :class:`Balance`) and ``reviewers.yaml`` (:class:`Reviewer`);
- :mod:`~scoring.config.push`: ``push_candidates.yaml`` (need indicators and weights of the プッシュ型 list).
"""

from __future__ import annotations

from .round import ROLES, Balance, Reviewer, ReviewerList, RoundConfig, SelectSpec
from .rubric import Criterion, Rubric, RubricError, format_level, load_rubric

__all__ = [
    "ROLES",
    "Balance",
    "Criterion",
    "Reviewer",
    "ReviewerList",
    "RoundConfig",
    "Rubric",
    "RubricError",
    "SelectSpec",
    "format_level",
    "load_rubric",
]
