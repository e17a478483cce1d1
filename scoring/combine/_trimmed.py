"""``trimmed``: the trimmed mean of the reviewers' scores.

Trimmed mean, cutting ``int(proportion · n)`` scores from each end like
:func:`scipy.stats.trim_mean` (validated against it).  Default ``proportion=0.25``: with
4–7 reviewers the lowest and the highest score are dropped, with 8 two of each, with 3
none.  SE = Yuen's (1974) standard error √((n − 1) s_w² / (h (h − 1))), h = n − 2k, s_w the
winsorised sd.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import numpy.typing as npt

from ..core.errors import OptionError
from ._base import Combiner, _cell_matrix
from ._data import FloatArray, _Data


class TrimmedMeanCombiner(Combiner):
    """Trimmed mean: ``int(proportion · n)`` scores cut from each end (as scipy.stats.trim_mean).

    Parameters
    ----------
    proportion : float, default 0.25
        Share cut from each end, 0 ≤ proportion < 0.5.
    """

    method: ClassVar[str] = "trimmed"

    def __init__(self, proportion: float = 0.25) -> None:
        self.proportion = proportion

    def _check_params(self) -> None:
        p = self.proportion
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= float(p) < 0.5:
            raise OptionError(f"proportion は 0 以上 0.5 未満の数にしてください（指定: {p!r}）。")

    def _fit_values(
        self, data: _Data, free: npt.NDArray[np.bool_], warnings: list[str]
    ) -> tuple[FloatArray, FloatArray]:
        n_cells = data.n_apps * data.n_crits
        mat, counts = _cell_matrix(data.cell, data.u, n_cells)
        n = counts.astype(float)
        k = (float(self.proportion) * counts).astype(np.intp)  # int() as in scipy
        pos = np.arange(mat.shape[1])[None, :]
        keep = (pos >= k[:, None]) & (pos < (counts - k)[:, None])
        h = (counts - 2 * k).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            tmean = np.where(h > 0, np.where(keep, mat, 0.0).sum(axis=1) / h, np.nan)
            rows = np.arange(n_cells)
            lo_val = mat[rows, np.minimum(k, mat.shape[1] - 1)]
            hi_val = mat[rows, np.clip(counts - k - 1, 0, mat.shape[1] - 1)]
            valid = pos < counts[:, None]
            wins = np.where(
                pos < k[:, None],
                lo_val[:, None],
                np.where(pos >= (counts - k)[:, None], hi_val[:, None], mat),
            )
            wins = np.where(valid, wins, 0.0)
            wmean = wins.sum(axis=1) / np.where(n > 0, n, 1.0)
            sw2 = np.where(valid, (wins - wmean[:, None]) ** 2, 0.0).sum(axis=1) / (n - 1)
            se = np.where((n > 1) & (h > 1), np.sqrt((n - 1) * sw2 / (h * (h - 1))), np.nan)
        self.reviewer_bias_ = None
        self.reviewer_scale_ = None
        shape = (data.n_apps, data.n_crits)
        return tmean.reshape(shape), se.reshape(shape)
