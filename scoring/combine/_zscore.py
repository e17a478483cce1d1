"""``zscore``: each reviewer's scores standardised and mapped back onto the rubric scale.

The practice of JSPS KAKENHI and Evalato: each reviewer's scores are standardised,
z = (x − mean_r) / sd_r (population sd, ddof=0), and mapped back onto the rubric scale with
the pooled mean and sd of all scores, x' = mean_pool + sd_pool · z; the criterion value is
the mean of x' over reviewers.  ``calibrate="overall"`` (default) takes mean_r and sd_r over
all of the reviewer's scores (every criterion, each criterion first mapped onto 0–1);
``calibrate="criterion"`` takes them per criterion and maps back with that criterion's
pooled mean and sd.  A reviewer whose sd is 0 (the same score for everyone) cannot be
standardised: only the mean is corrected, x' = x − mean_r + mean_pool (a warning says so).
SE = sd(x') / √n, ignoring the uncertainty of mean_r and sd_r.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from ._base import CALIBRATIONS, Combiner, _cell_mean_se, _check_choice, _check_min_apps
from ._data import FloatArray, _Data


class ZScoreCombiner(Combiner):
    """Standardise each reviewer's scores and map them back onto the rubric scale.

    Parameters
    ----------
    calibrate : {"overall", "criterion"}, default "overall"
        Standardise over all of a reviewer's scores (each criterion mapped onto 0–1) or per
        criterion.
    min_applications : int, default 2
        Reviewers with fewer scored applications keep their raw scores.
    """

    method: ClassVar[str] = "zscore"
    _calibrates: ClassVar[bool] = True

    def __init__(self, calibrate: str = "overall", min_applications: int = 2) -> None:
        self.calibrate = calibrate
        self.min_applications = min_applications

    def _check_params(self) -> None:
        _check_choice("calibrate", self.calibrate, CALIBRATIONS)
        _check_min_apps(self.min_applications)

    @property
    def _min_apps(self) -> int:
        return int(self.min_applications)

    def _constant_action(self, data: _Data, i: int) -> str:
        mine = data.u[data.r == i]
        if self.calibrate == "criterion" or float(np.ptp(mine)) <= 1e-12:
            return "標準偏差が 0 で標準化できないため、平均（甘辛）の補正だけを行いました"
        return (
            "評価項目の間の差で標準化はできましたが、各評価項目の中では差がないため、"
            "この審査員の点数では応募書の差がつきません"
        )

    def _fit_values(
        self, data: _Data, free: npt.NDArray[np.bool_], warnings: list[str]
    ) -> tuple[FloatArray, FloatArray]:
        per_crit = self.calibrate == "criterion"
        if per_crit:
            grp = data.r * data.n_crits + data.c
            n_grp = data.n_revs * data.n_crits
            pool_key = data.c
            n_pool = data.n_crits
        else:
            grp = data.r
            n_grp = data.n_revs
            pool_key = np.zeros(len(data.u), dtype=np.intp)
            n_pool = 1
        u = data.u
        cnt = np.bincount(grp, minlength=n_grp).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            mu = np.bincount(grp, weights=u, minlength=n_grp) / cnt
            sd = np.sqrt(np.bincount(grp, weights=(u - mu[grp]) ** 2, minlength=n_grp) / cnt)
            pcnt = np.bincount(pool_key, minlength=n_pool).astype(float)
            pmu = np.bincount(pool_key, weights=u, minlength=n_pool) / pcnt
            psd = np.sqrt(np.bincount(pool_key, weights=(u - pmu[pool_key]) ** 2, minlength=n_pool) / pcnt)
            z = (u - mu[grp]) / sd[grp]
        flat = sd[grp] <= 1e-12
        cal = np.where(
            flat, u - mu[grp] + pmu[pool_key], pmu[pool_key] + psd[pool_key] * np.where(flat, 0.0, z)
        )
        cal = np.where(free[data.r], cal, u)
        if per_crit:
            # Criteria in which an otherwise varied reviewer gave everyone the same score.
            flat_rc = (sd <= 1e-12) & (cnt > 1)
            flat_rc = flat_rc.reshape(data.n_revs, data.n_crits)
            const_rev = self._constant_reviewers(data)
            for i in np.flatnonzero(flat_rc.any(axis=1) & free & ~const_rev):
                ids = ", ".join(data.crits[j] for j in np.flatnonzero(flat_rc[i]))
                warnings.append(
                    f"審査員 {data.revs[int(i)]} は評価項目 {ids} ですべての応募書に同じ点数を付けています。"
                    "その評価項目は標準化できないため、平均（甘辛）の補正だけを行いました。"
                )
        n_cells = data.n_apps * data.n_crits
        mean, se, _ = _cell_mean_se(data.cell, cal, n_cells)
        # Reported effects, in points.
        if per_crit:
            bias_rc = (mu - pmu[np.tile(np.arange(data.n_crits), data.n_revs)]).reshape(
                data.n_revs, data.n_crits
            )
            with np.errstate(invalid="ignore"):
                bias_pts = np.nanmean(
                    np.where(cnt.reshape(data.n_revs, data.n_crits) > 0, bias_rc * data.widths, np.nan),
                    axis=1,
                )
                scale_rc = (sd / psd[np.tile(np.arange(data.n_crits), data.n_revs)]).reshape(
                    data.n_revs, data.n_crits
                )
                scale = np.nanmean(
                    np.where(cnt.reshape(data.n_revs, data.n_crits) > 1, scale_rc, np.nan), axis=1
                )
        else:
            bias_pts = (mu - pmu[0]) * data.ref_width
            scale = sd / psd[0] if psd[0] > 0 else np.full(data.n_revs, np.nan)
        bias_pts = np.where(free, bias_pts, np.nan)
        scale = np.where(free, scale, np.nan)
        self.reviewer_bias_ = pd.Series(bias_pts, index=data.revs.copy(), name="bias")
        self.reviewer_scale_ = pd.Series(scale, index=data.revs.copy(), name="scale")
        shape = (data.n_apps, data.n_crits)
        return mean.reshape(shape), se.reshape(shape)
