"""``mean``: the mean of the reviewers' scores per application and criterion.

SE = sd / √n (sd with ddof=1; NaN when n = 1).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import numpy.typing as npt

from ._base import Combiner, _cell_mean_se
from ._data import FloatArray, _Data


class MeanCombiner(Combiner):
    """Mean of the reviewers' scores; SE = sd / √n.

    Validated against :meth:`pandas.DataFrame.groupby` ``mean``/``sem`` in the tests.
    """

    method: ClassVar[str] = "mean"

    def __init__(self) -> None:
        pass

    def _fit_values(
        self, data: _Data, free: npt.NDArray[np.bool_], warnings: list[str]
    ) -> tuple[FloatArray, FloatArray]:
        n_cells = data.n_apps * data.n_crits
        mean, se, _ = _cell_mean_se(data.cell, data.u, n_cells)
        self.reviewer_bias_ = None
        self.reviewer_scale_ = None
        shape = (data.n_apps, data.n_crits)
        return mean.reshape(shape), se.reshape(shape)
