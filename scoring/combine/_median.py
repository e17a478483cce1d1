"""``median``: the median of the reviewers' scores per application and criterion.

SE = √(π/2) · sd / √n (the asymptotic SE of the median of a normal sample).
"""

from __future__ import annotations

import math
import warnings as _pywarnings
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from ._base import Combiner, _cell_matrix, _cell_mean_se
from ._data import FloatArray, _Data


class MedianCombiner(Combiner):
    """Median of the reviewers' scores; SE = √(π/2) · sd / √n."""

    method: ClassVar[str] = "median"

    def __init__(self) -> None:
        pass

    def _fit_values(
        self, data: _Data, free: npt.NDArray[np.bool_], warnings: list[str]
    ) -> tuple[FloatArray, FloatArray]:
        n_cells = data.n_apps * data.n_crits
        mat, counts = _cell_matrix(data.cell, data.u, n_cells)
        med = np.full(n_cells, np.nan)
        has = counts > 0
        with _pywarnings.catch_warnings():
            _pywarnings.simplefilter("ignore", RuntimeWarning)
            med[has] = np.nanmedian(mat[has], axis=1)
        _, se, _ = _cell_mean_se(data.cell, data.u, n_cells)
        self.reviewer_bias_ = None
        self.reviewer_scale_ = None
        shape = (data.n_apps, data.n_crits)
        return med.reshape(shape), (se * math.sqrt(math.pi / 2)).reshape(shape)
