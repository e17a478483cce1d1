"""Stage 4, combining reviewers' scores into one total per application.

A plain average rewards applications that happened to draw lenient reviewers (甘い審査員).
The combiners turn the canonical long score table into one calibrated value per application
and criterion (評価項目), and those values into the weighted total on the 配点 scale (0–100),
with a standard error, the number of reviewers and flags that say what the committee must
know (比較不能, 未採点 …).

Six estimator-style combiners share one API (:class:`Combiner`); one module each:

- :mod:`~scoring.combine._mean` (``mean``), :mod:`~scoring.combine._median` (``median``),
  :mod:`~scoring.combine._trimmed` (``trimmed``), :mod:`~scoring.combine._zscore`
  (``zscore``), :mod:`~scoring.combine._additive` (``additive``),
  :mod:`~scoring.combine._affine` (``affine``); and :mod:`~scoring.combine._mixed` (``mixed``,
  random-effects calibration, accepted by :func:`make_combiner`, :data:`EXTRA_METHODS`);
- :mod:`~scoring.combine._base`: the common base :class:`Combiner` (fit, totals, degenerate
  reviewers, the reviewer–application graph) and shared helpers;
  :mod:`~scoring.combine._data`: the validation of the score table;
- :mod:`~scoring.combine._registry`: :data:`METHODS`, :func:`make_combiner`, :func:`combine`;
  :data:`DEFAULT_METHOD` is ``affine``.
"""

from __future__ import annotations

from ..core.columns import TOTAL_COLUMNS
from ._additive import AdditiveCombiner
from ._affine import AffineCombiner
from ._base import CALIBRATIONS, Combiner
from ._mean import MeanCombiner
from ._median import MedianCombiner
from ._mixed import MixedCombiner
from ._registry import DEFAULT_METHOD, EXTRA_METHODS, METHODS, combine, make_combiner
from ._trimmed import TrimmedMeanCombiner
from ._zscore import ZScoreCombiner

__all__ = [
    "CALIBRATIONS",
    "DEFAULT_METHOD",
    "EXTRA_METHODS",
    "METHODS",
    "TOTAL_COLUMNS",
    "AdditiveCombiner",
    "AffineCombiner",
    "Combiner",
    "MeanCombiner",
    "MedianCombiner",
    "MixedCombiner",
    "TrimmedMeanCombiner",
    "ZScoreCombiner",
    "combine",
    "make_combiner",
]
