"""The registry of combining methods: name → estimator class, the default, and the two
entry points :func:`make_combiner` and :func:`combine`.

Which method is the default (``DEFAULT_METHOD``) was decided by the simulation in
``benchmarks/simulate_methods.py``; the table and the reasoning are in
``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from ..config.rubric import Rubric
from ..core.errors import OptionError
from ._additive import AdditiveCombiner
from ._affine import AffineCombiner
from ._base import Combiner
from ._mean import MeanCombiner
from ._median import MedianCombiner
from ._mixed import MixedCombiner
from ._trimmed import TrimmedMeanCombiner
from ._zscore import ZScoreCombiner

#: Method name → its estimator class (the order of :data:`METHODS`).
_CLASSES: dict[str, type[Combiner]] = {
    cls.method: cls
    for cls in (
        MeanCombiner,
        MedianCombiner,
        TrimmedMeanCombiner,
        ZScoreCombiner,
        AdditiveCombiner,
        AffineCombiner,
    )
}
#: The methods offered everywhere (the analyst's screen, the stability analysis, the committee).
METHODS: tuple[str, ...] = tuple(_CLASSES)
#: Methods :func:`make_combiner` and :func:`combine` accept besides :data:`METHODS`: ``mixed``
#: (random-effects calibration, issue 20) is measured in ``benchmarks/bench_calibration.py`` but
#: not offered in the stability analysis's fast paths yet.
EXTRA_METHODS: tuple[str, ...] = (MixedCombiner.method,)
_ALL_CLASSES: dict[str, type[Combiner]] = {**_CLASSES, MixedCombiner.method: MixedCombiner}
#: The method used when none is given: ``affine`` had the best Kendall's tau with the true
#: merit in the simulation (``benchmarks/simulate_methods.py``, 200 rounds per scenario) and
#: lost almost nothing when reviewers did not differ; see ``benchmarks/RESULTS.md``.
DEFAULT_METHOD: str = "affine"


def make_combiner(method: str = DEFAULT_METHOD, **options: Any) -> Combiner:
    """Return an unfitted combiner for ``method`` with ``options``.

    Parameters
    ----------
    method : str, default :data:`DEFAULT_METHOD`
        One of :data:`METHODS` or :data:`EXTRA_METHODS`.
    **options
        Options of that method's class (e.g. ``proportion`` for ``trimmed``,
        ``calibrate``/``bias_shrinkage``/``confidence`` for ``additive``).

    Raises
    ------
    ValueError
        Unknown method (the message lists the allowed ones), unknown option (lists the
        method's options) or invalid option value.
    """
    if not isinstance(method, str) or method not in _ALL_CLASSES:
        raise OptionError(f"method {method!r} はありません。使える method: {', '.join(_ALL_CLASSES)}。")
    cls = _ALL_CLASSES[method]
    allowed = sorted(cls._get_param_names())
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise OptionError(
            f"method '{method}' にオプション {', '.join(unknown)} はありません。"
            f"使えるオプション: {', '.join(allowed) if allowed else '（なし）'}。"
        )
    comb = cls(**options)
    comb._check_params()
    return comb


def combine(
    scores: pd.DataFrame,
    rubric: Rubric,
    method: str = DEFAULT_METHOD,
    weights: pd.Series | Mapping[str, float] | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Fit ``method`` and return the ranked totals (see :meth:`Combiner.totals`).

    Equivalent to ``make_combiner(method, **options).fit(scores, rubric).totals(weights)``.
    """
    return make_combiner(method, **options).fit(scores, rubric).totals(weights)
