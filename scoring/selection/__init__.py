"""Stage 5, the balanced selection of about five applications.

- :mod:`~scoring.selection._select`: :func:`select` and :func:`select_round`, the proposal,
  its alternatives and the best selection for every k (:class:`SelectionResult`);
- :mod:`~scoring.selection._problem`: the problem definition (candidates, constraint groups,
  validation, :class:`SelectionInfeasible`);
- :mod:`~scoring.selection._exact`: the exact integer program (HiGHS), ties, kernel, gaps and
  the diagnosis of an infeasible setting;
- :mod:`~scoring.selection._fast`: :class:`FastSelector`, exact branch and bound for
  resampling loops;
- :mod:`~scoring.selection._explain`: the Japanese reasons for every applicant and the
  infeasibility message;
- :mod:`~scoring.selection.stability`: how stable the selection is under resampling.
"""

from __future__ import annotations

from ._fast import FastSelector
from ._problem import CONSTRAINTS, EXCLUSION_REASONS, SCORE_DECIMALS, STATUSES, SelectionInfeasible
from ._select import Alternative, SelectionResult, candidates_frame, select, select_round
from .stability import StabilityAnalysis, stability_round

__all__ = [
    "CONSTRAINTS",
    "EXCLUSION_REASONS",
    "SCORE_DECIMALS",
    "STATUSES",
    "Alternative",
    "FastSelector",
    "SelectionInfeasible",
    "SelectionResult",
    "StabilityAnalysis",
    "candidates_frame",
    "select",
    "select_round",
    "stability_round",
]
