"""Stage 4, combining reviewers' scores into one total per application.

- :mod:`~scoring.combine.combiners`: six estimator-style combiners (mean, median, trimmed,
  zscore, additive, affine) sharing one API; :data:`DEFAULT_METHOD` is ``affine``.
"""

from __future__ import annotations

from .combiners import (
    CALIBRATIONS,
    DEFAULT_METHOD,
    METHODS,
    TOTAL_COLUMNS,
    AdditiveCombiner,
    AffineCombiner,
    Combiner,
    MeanCombiner,
    MedianCombiner,
    TrimmedMeanCombiner,
    ZScoreCombiner,
    combine,
    make_combiner,
)

__all__ = ["CALIBRATIONS", "DEFAULT_METHOD", "METHODS", "TOTAL_COLUMNS", "AdditiveCombiner", "AffineCombiner", "Combiner", "MeanCombiner", "MedianCombiner", "TrimmedMeanCombiner", "ZScoreCombiner", "combine", "make_combiner"]
