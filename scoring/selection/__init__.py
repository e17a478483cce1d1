"""Stage 5, the balanced selection of about five applications.

- :mod:`~scoring.selection.solver`: the exact integer program, reasons, alternatives;
- :mod:`~scoring.selection.stability`: how stable the selection is under resampling.
"""

from __future__ import annotations

from .solver import Alternative, SelectionInfeasible, SelectionResult, candidates_frame, select, select_round
from .stability import StabilityAnalysis, stability_round

__all__ = ["Alternative", "SelectionInfeasible", "SelectionResult", "StabilityAnalysis", "candidates_frame", "select", "select_round", "stability_round"]
