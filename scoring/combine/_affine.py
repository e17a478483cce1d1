"""``affine``: a bias and a scale per reviewer, fitted by alternating least squares.

Score − pivot = bias_r + scale_r · (merit − pivot): a lenient/severe shift and a
compressed/extreme use of the scale per reviewer (shared across criteria, on the 0–1
mapped scale; pivot = the midpoint of each criterion's scale, so a bias is the reviewer's
shift for an application the average reviewer scores at the midpoint).  Alternating least
squares; after every sweep the scales are normalised to geometric mean 1 and the biases to
sum 0 within each connected piece (the fit is unchanged by both).  ``scale_shrinkage``
pulls each scale toward 1 (in pseudo-scores), ``bias_shrinkage`` each bias toward 0.  SE
conditional on the reviewer parameters: σ̂ / √(Σ w scale²).
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..core.errors import OptionError
from ._additive import _additive_biases
from ._base import _NO_DOF, Combiner, _cell_mean_se, _check_min_apps, _check_nonneg
from ._data import FloatArray, IntArray, _Data


class AffineCombiner(Combiner):
    """A bias and a scale per reviewer: score − pivot = bias + scale · (merit − pivot).

    Parameters
    ----------
    scale_shrinkage : float, default 20.0
        Pulls each reviewer's scale toward 1, like that many pseudo-scores of typical spread
        (20 did slightly better than 0 and 5 in the simulation, see ``benchmarks/RESULTS.md``).
    bias_shrinkage : float, default 0.0
        Ridge penalty on the biases (pseudo-scores at bias 0).
    confidence : None, str or mapping, default None
        Weights per score (column name) or per reviewer (mapping).
    min_applications : int, default 2
        Reviewers with fewer scored applications keep their raw scores.
    max_iter : int, default 500
        Alternating least-squares sweeps.
    tol : float, default 1e-10
        Stop when no parameter moves more than this (0–1 scale).

    Attributes
    ----------
    n_iter_ : int
        Sweeps done.
    sigma_ : float
        Residual SD in points of the rubric's default scale.
    """

    method: ClassVar[str] = "affine"
    _calibrates: ClassVar[bool] = True
    _needs_graph: ClassVar[bool] = True
    _MIN_SCALE: ClassVar[float] = 0.01

    def __init__(
        self,
        scale_shrinkage: float = 20.0,
        bias_shrinkage: float = 0.0,
        confidence: object = None,
        min_applications: int = 2,
        max_iter: int = 500,
        tol: float = 1e-10,
    ) -> None:
        self.scale_shrinkage = scale_shrinkage
        self.bias_shrinkage = bias_shrinkage
        self.confidence = confidence
        self.min_applications = min_applications
        self.max_iter = max_iter
        self.tol = tol

    def _check_params(self) -> None:
        _check_nonneg("scale_shrinkage", self.scale_shrinkage)
        _check_nonneg("bias_shrinkage", self.bias_shrinkage)
        _check_min_apps(self.min_applications)
        if (
            isinstance(self.max_iter, bool)
            or not isinstance(self.max_iter, (int, np.integer))
            or self.max_iter < 1
        ):
            raise OptionError(f"max_iter は 1 以上の整数にしてください（指定: {self.max_iter!r}）。")
        _check_nonneg("tol", self.tol)

    @property
    def _min_apps(self) -> int:
        return int(self.min_applications)

    def _constant_action(self, data: _Data, i: int) -> str:
        note = "（scale_shrinkage のため 0 にはなりません）" if float(self.scale_shrinkage) > 0 else ""
        return (
            f"尺度（点数の幅）を他の審査員より小さく推定しました{note}。"
            "この審査員の点数では応募書の差がつきません"
        )

    def _fit_values(
        self, data: _Data, free: npt.NDArray[np.bool_], warnings: list[str]
    ) -> tuple[FloatArray, FloatArray]:
        fm = free[data.r]
        cell, rev, w = data.cell[fm], data.r[fm], data.w[fm]
        y = data.u[fm] - 0.5  # pivot: the midpoint of each criterion's scale
        # Pieces of the graph among the calibrated reviewers (normalisation is per piece).
        comp = np.maximum(np.asarray(self.reviewer_component_.to_numpy(), dtype=np.intp), 0)
        has = np.bincount(rev, minlength=data.n_revs) > 0
        b, g, theta, clamped = self._alternate(data, (cell, rev, w, y), comp, has, warnings)
        for i in np.flatnonzero(clamped & (g <= self._MIN_SCALE * 1.0001) & ~self._constant_reviewers(data)):
            warnings.append(
                f"審査員 {data.revs[int(i)]} の点数は他の審査員の評価とほとんど（または逆に）対応していません。"
                "尺度を最小値にしたため、この審査員の点数は順位にほとんど影響しません。"
            )
        # Residual variance of the calibrated reviewers' scores.
        w_cell = np.bincount(cell, weights=w, minlength=data.n_apps * data.n_crits)
        resid = y - b[rev] - g[rev] * theta[cell]
        n_par = int(np.count_nonzero(w_cell > 0)) + 2 * int(has.sum()) - 2 * len(np.unique(comp[has]))
        dof = len(y) - n_par
        sigma2 = float(np.sum(w * resid**2)) / dof if dof > 0 else math.nan
        if dof <= 0 and len(y):
            warnings.append(_NO_DOF)
        self.sigma_ = math.sqrt(sigma2) * data.ref_width if np.isfinite(sigma2) else math.nan
        return self._final_values(data, free & has, b, g, sigma2)

    def _alternate(
        self,
        data: _Data,
        obs: tuple[IntArray, IntArray, FloatArray, FloatArray],
        comp: IntArray,
        has: npt.NDArray[np.bool_],
        warnings: list[str],
    ) -> tuple[FloatArray, FloatArray, FloatArray, npt.NDArray[np.bool_]]:
        """Alternating least squares on the calibrated reviewers' scores ``obs`` (cell,
        reviewer, weight, score − pivot): biases, scales, merits per cell (minus the pivot)
        and the reviewers whose scale hit the minimum; sets ``n_iter_``."""
        cell, rev, w, y = obs
        n_cells = data.n_apps * data.n_crits
        n_revs = data.n_revs
        lb = float(self.bias_shrinkage)
        ls = float(self.scale_shrinkage)
        n_comp = int(comp.max()) + 1 if len(comp) else 1
        start = _additive_biases(cell, rev, y, w, n_cells, n_revs, lb)
        b = np.where(has, start.bias, 0.0)
        g = np.ones(n_revs)
        theta = np.zeros(n_cells)
        w_cell = np.bincount(cell, weights=w, minlength=n_cells)
        it = 0
        clamped = np.zeros(n_revs, dtype=bool)
        for it in range(1, int(self.max_iter) + 1):
            gw, bw = g[rev], b[rev]
            den = np.bincount(cell, weights=w * gw * gw, minlength=n_cells)
            num = np.bincount(cell, weights=w * gw * (y - bw), minlength=n_cells)
            theta_new = np.divide(num, den, out=np.zeros(n_cells), where=den > 0)
            th = theta_new[cell]
            sw = np.bincount(rev, weights=w, minlength=n_revs)
            st = np.bincount(rev, weights=w * th, minlength=n_revs)
            stt = np.bincount(rev, weights=w * th * th, minlength=n_revs)
            sy = np.bincount(rev, weights=w * y, minlength=n_revs)
            sty = np.bincount(rev, weights=w * th * y, minlength=n_revs)
            vbar = float(np.sum(w * th * th) / np.sum(w)) if len(w) else 0.0
            lg = ls * vbar
            a11, a12, a22 = sw + lb, st, stt + lg
            r1, r2 = sy, sty + lg
            det = a11 * a22 - a12 * a12
            ok = has & (det > 1e-15 * np.maximum(a11 * a22, 1e-300))
            b_new = np.where(ok, (a22 * r1 - a12 * r2) / np.where(ok, det, 1.0), 0.0)
            g_new = np.where(ok, (a11 * r2 - a12 * r1) / np.where(ok, det, 1.0), 1.0)
            low = g_new < self._MIN_SCALE
            clamped |= low & has
            g_new = np.where(low, self._MIN_SCALE, g_new)
            # Normalise per piece: geometric mean of scales 1, biases sum 0 (fit unchanged).
            logg = np.where(has, np.log(g_new), 0.0)
            cnt = np.bincount(comp, weights=has.astype(float), minlength=n_comp)
            geo = np.exp(
                np.divide(
                    np.bincount(comp, weights=logg, minlength=n_comp),
                    cnt,
                    out=np.zeros(n_comp),
                    where=cnt > 0,
                )
            )
            g_new = np.where(has, g_new / geo[comp], 1.0)
            cell_comp = np.maximum(self._app_component, 0)[np.arange(n_cells) // data.n_crits]
            theta_new = theta_new * geo[cell_comp]
            sb = np.bincount(comp, weights=np.where(has, b_new, 0.0), minlength=n_comp)
            sg = np.bincount(comp, weights=np.where(has, g_new, 0.0), minlength=n_comp)
            t = np.divide(sb, sg, out=np.zeros(n_comp), where=sg > 0)
            b_new = np.where(has, b_new - g_new * t[comp], 0.0)
            theta_new = np.where(w_cell > 0, theta_new + t[cell_comp], 0.0)
            delta = max(
                float(np.max(np.abs(theta_new - theta))) if n_cells else 0.0,
                float(np.max(np.abs(b_new - b))),
                float(np.max(np.abs(g_new - g))),
            )
            theta, b, g = theta_new, b_new, g_new
            if delta <= float(self.tol):
                break
        else:
            warnings.append(
                f"affine の反復計算が {int(self.max_iter)} 回で収束しませんでした。結果は近似値です"
                "（max_iter を増やすか、scale_shrinkage を大きくしてください）。"
            )
        self.n_iter_ = it
        return b, g, theta, clamped

    def _final_values(
        self, data: _Data, fitted: npt.NDArray[np.bool_], b: FloatArray, g: FloatArray, sigma2: float
    ) -> tuple[FloatArray, FloatArray]:
        """Final merits and SEs with every score (reviewers not ``fitted``: bias 0, scale 1);
        sets ``reviewer_bias_`` and ``reviewer_scale_``."""
        n_cells = data.n_apps * data.n_crits
        b_all = np.where(fitted, b, 0.0)
        g_all = np.where(fitted, g, 1.0)
        gw = g_all[data.r]
        den = np.bincount(data.cell, weights=data.w * gw * gw, minlength=n_cells)
        num = np.bincount(data.cell, weights=data.w * gw * (data.u - 0.5 - b_all[data.r]), minlength=n_cells)
        with np.errstate(invalid="ignore", divide="ignore"):
            theta_all = np.where(den > 0, num / den, np.nan)
            se = np.where(den > 0, np.sqrt(sigma2 / den), np.nan)
        if not np.isfinite(sigma2):
            # No residual degrees of freedom: SE of the calibrated scores, sd / √n.
            cal = (data.u - 0.5 - b_all[data.r]) / g_all[data.r]
            _, se, _ = _cell_mean_se(data.cell, cal, n_cells)
        self.reviewer_bias_ = pd.Series(
            np.where(fitted, b * data.ref_width, np.nan), index=data.revs.copy(), name="bias"
        )
        self.reviewer_scale_ = pd.Series(np.where(fitted, g, np.nan), index=data.revs.copy(), name="scale")
        shape = (data.n_apps, data.n_crits)
        return (0.5 + theta_all).reshape(shape), se.reshape(shape)
