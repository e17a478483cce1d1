"""``additive``: one bias (甘辛) per reviewer, fitted by least squares.

Score = merit of the application + bias (甘辛) of the reviewer + noise, fitted by
(weighted) least squares.  ``calibrate="overall"`` (default): one bias per reviewer for all
criteria (each criterion mapped onto 0–1, so a bias is a share of the scale; reported in
points of the rubric's default scale); ``calibrate="criterion"``: one bias per reviewer and
criterion.  Biases sum to zero within each connected piece of the reviewer–application
graph; the merits are then on the scale of "the average reviewer".  Solved exactly by
profiling out the merits (the Schur complement of the sparse normal equations, an
R × R reviewer system; R = number of reviewers), so 1,741 applications cost milliseconds.
``bias_shrinkage=λ`` adds the ridge penalty λ·Σ bias² (merits unpenalised): λ acts like λ
pseudo-scores that say "this reviewer is neutral".  ``confidence`` gives weights per
reviewer (a mapping reviewer → weight) or per score (the name of a column of the score
table).  SE of a merit: σ̂² (1/W_ac + hᵀ G h), where σ̂² = weighted RSS / (N − cells −
rank), W_ac the cell's total weight, h the cell's reviewer weights / W_ac and G the
pseudo-inverse of the reviewer system (with ridge: (S + λI)⁻¹ S (S + λI)⁻¹); this is the
diagonal of σ̂² (XᵀWX)⁻ under the sum-to-zero constraint.
"""

from __future__ import annotations

import math
import warnings as _pywarnings
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import sparse

from ._base import (
    _NO_DOF,
    CALIBRATIONS,
    Combiner,
    _cell_mean_se,
    _check_choice,
    _check_min_apps,
    _check_nonneg,
)
from ._data import FloatArray, IntArray, _Data


def _eig_pinv(s_mat: FloatArray, lam: float) -> tuple[FloatArray, FloatArray, int]:
    """Solve-matrix, covariance factor and rank of the symmetric PSD reviewer system.

    Returns ``(inv, g, rank)``: ``inv`` is the pseudo-inverse of S (or (S + λI)⁻¹), ``g`` the
    covariance factor of the biases (S⁺, or (S + λI)⁻¹ S (S + λI)⁻¹).
    """
    evals, evecs = np.linalg.eigh(s_mat)
    top = float(evals.max()) if len(evals) else 0.0
    pos = evals > max(top, 1.0) * 1e-10
    rank = int(pos.sum())
    if lam > 0:
        inv_e = np.where(pos, 1.0 / (np.where(pos, evals, 0.0) + lam), 0.0)
        g_e = np.where(pos, np.where(pos, evals, 0.0) / (np.where(pos, evals, 0.0) + lam) ** 2, 0.0)
    else:
        inv_e = np.where(pos, 1.0 / np.where(pos, evals, 1.0), 0.0)
        g_e = inv_e
    inv = (evecs * inv_e) @ evecs.T
    g = (evecs * g_e) @ evecs.T
    return inv, g, rank


@dataclass
class _AdditiveFit:
    bias: FloatArray  # per reviewer (0 for reviewers not in the fit)
    g: FloatArray  # covariance factor of the biases (R × R)
    sigma2: float  # residual variance (NaN if no degrees of freedom)
    dof: int


def _additive_biases(
    cell: IntArray, rev: IntArray, u: FloatArray, w: FloatArray, n_cells: int, n_revs: int, lam: float
) -> _AdditiveFit:
    """Least-squares reviewer biases of u = merit[cell] + bias[rev] + e (weights w).

    The merits are profiled out: for fixed biases the merit of a cell is the weighted mean of
    u − bias, which leaves the R × R system S b = rhs with S = diag(W_r) − Bᵀ D⁻¹ B (B the
    sparse cell × reviewer weight matrix, D the cell weights).  S is a graph Laplacian: its
    null space holds the indicators of the connected pieces, so the minimum-norm
    (pseudo-inverse) solution is the one whose biases sum to zero within every piece.
    """
    w_cell = np.bincount(cell, weights=w, minlength=n_cells)
    c_sum = np.bincount(cell, weights=w * u, minlength=n_cells)
    w_rev = np.bincount(rev, weights=w, minlength=n_revs)
    r_sum = np.bincount(rev, weights=w * u, minlength=n_revs)
    b_mat = sparse.csr_matrix((w, (cell, rev)), shape=(n_cells, n_revs))
    inv_cell = np.divide(1.0, w_cell, out=np.zeros(n_cells), where=w_cell > 0)
    h_mat = sparse.diags(inv_cell) @ b_mat
    s_mat = np.diag(w_rev) - np.asarray((b_mat.T @ h_mat).todense())
    s_mat = (s_mat + s_mat.T) / 2.0
    rhs = r_sum - b_mat.T @ (inv_cell * c_sum)
    inv, g, rank = _eig_pinv(s_mat, lam)
    bias = inv @ rhs
    merit = inv_cell * (c_sum - b_mat @ bias)
    resid = u - merit[cell] - bias[rev]
    rss = float(np.sum(w * resid**2))
    dof = int(len(u) - np.count_nonzero(w_cell > 0) - rank)
    sigma2 = rss / dof if dof > 0 else math.nan
    return _AdditiveFit(bias=bias, g=g, sigma2=sigma2, dof=dof)


def _merits_with_biases(
    cell: IntArray,
    rev: IntArray,
    u: FloatArray,
    w: FloatArray,
    n_cells: int,
    bias: FloatArray,
    fit: _AdditiveFit,
    free: npt.NDArray[np.bool_],
) -> tuple[FloatArray, FloatArray]:
    """Merits (weighted mean of u − bias per cell, all scores) and their SEs."""
    n_revs = len(bias)
    w_cell = np.bincount(cell, weights=w, minlength=n_cells)
    num = np.bincount(cell, weights=w * (u - bias[rev]), minlength=n_cells)
    inv_cell = np.divide(1.0, w_cell, out=np.zeros(n_cells), where=w_cell > 0)
    merit = np.where(w_cell > 0, num * inv_cell, np.nan)
    fm = free[rev]
    h_mat = sparse.csr_matrix((w[fm] * inv_cell[cell[fm]], (cell[fm], rev[fm])), shape=(n_cells, n_revs))
    quad = np.asarray(h_mat.multiply(h_mat @ fit.g).sum(axis=1)).ravel()
    with np.errstate(invalid="ignore"):
        se = np.where(w_cell > 0, np.sqrt(fit.sigma2 * (inv_cell + quad)), np.nan)
    return merit, se


class AdditiveCombiner(Combiner):
    """Score = merit + reviewer bias + noise, least squares with biases summing to zero.

    Parameters
    ----------
    calibrate : {"overall", "criterion"}, default "overall"
        One bias per reviewer for all criteria, or one per reviewer and criterion.
    bias_shrinkage : float, default 0.0
        Ridge penalty λ on the biases (λ pseudo-scores at bias 0); 0 = plain least squares.
    confidence : None, str or mapping, default None
        Weights: a column name of the score table (per score) or reviewer id → weight.
    min_applications : int, default 2
        Reviewers with fewer scored applications keep their raw scores (bias 0).

    Attributes
    ----------
    bias_by_criterion_ : pandas.DataFrame or None
        ``calibrate="criterion"``: index ``reviewer``, columns criterion ids, points of each
        criterion's scale (``reviewer_bias_`` is their mean).  ``None`` otherwise.
    sigma_ : float
        Residual SD (points of the rubric's default scale), the noise the model leaves.
    """

    method: ClassVar[str] = "additive"
    _calibrates: ClassVar[bool] = True
    _needs_graph: ClassVar[bool] = True

    def __init__(
        self,
        calibrate: str = "overall",
        bias_shrinkage: float = 0.0,
        confidence: object = None,
        min_applications: int = 2,
    ) -> None:
        self.calibrate = calibrate
        self.bias_shrinkage = bias_shrinkage
        self.confidence = confidence
        self.min_applications = min_applications

    def _check_params(self) -> None:
        _check_choice("calibrate", self.calibrate, CALIBRATIONS)
        _check_nonneg("bias_shrinkage", self.bias_shrinkage)
        _check_min_apps(self.min_applications)

    @property
    def _min_apps(self) -> int:
        return int(self.min_applications)

    def _constant_action(self, data: _Data, i: int) -> str:
        return "甘辛（平均）は補正しましたが、この審査員の点数では応募書の差がつきません"

    def _fit_values(
        self, data: _Data, free: npt.NDArray[np.bool_], warnings: list[str]
    ) -> tuple[FloatArray, FloatArray]:
        lam = float(self.bias_shrinkage)
        fm = free[data.r]
        shape = (data.n_apps, data.n_crits)
        if self.calibrate == "overall":
            n_cells = data.n_apps * data.n_crits
            cell = data.cell
            fit = _additive_biases(cell[fm], data.r[fm], data.u[fm], data.w[fm], n_cells, data.n_revs, lam)
            bias = np.where(free, fit.bias, 0.0)
            merit, se = _merits_with_biases(cell, data.r, data.u, data.w, n_cells, bias, fit, free)
            values, ses = merit.reshape(shape), se.reshape(shape)
            self.bias_by_criterion_ = None
            bias_pts = bias * data.ref_width
            self.sigma_ = math.sqrt(fit.sigma2) * data.ref_width if np.isfinite(fit.sigma2) else math.nan
            dofs = [fit.dof]
        else:
            values = np.full(shape, np.nan)
            ses = np.full(shape, np.nan)
            bias_rc = np.full((data.n_revs, data.n_crits), np.nan)
            sig2: list[float] = []
            dofs = []
            for j in range(data.n_crits):
                m = data.c == j
                if not m.any():
                    continue
                mf = m & fm
                fit = _additive_biases(
                    data.a[mf], data.r[mf], data.u[mf], data.w[mf], data.n_apps, data.n_revs, lam
                )
                has = np.bincount(data.r[mf], minlength=data.n_revs) > 0
                bias = np.where(free & has, fit.bias, 0.0)
                merit, se = _merits_with_biases(
                    data.a[m], data.r[m], data.u[m], data.w[m], data.n_apps, bias, fit, free
                )
                values[:, j], ses[:, j] = merit, se
                bias_rc[:, j] = np.where(free & has, fit.bias * data.widths[j], np.nan)
                if np.isfinite(fit.sigma2):
                    sig2.append(fit.sigma2 * data.widths[j] ** 2)
                dofs.append(fit.dof)
            self.bias_by_criterion_ = pd.DataFrame(
                bias_rc, index=data.revs.copy(), columns=pd.Index(data.crits, name="criterion")
            )
            with _pywarnings.catch_warnings():
                _pywarnings.simplefilter("ignore", RuntimeWarning)
                bias_pts = np.nanmean(bias_rc, axis=1)
            self.sigma_ = math.sqrt(float(np.mean(sig2))) if sig2 else math.nan
        if any(d <= 0 for d in dofs):
            # No residual degrees of freedom: SE of the bias-corrected scores, sd / √n.
            if self.calibrate == "overall":
                bias_u = np.nan_to_num(bias_pts / data.ref_width)[data.r]
            else:
                bias_u = np.nan_to_num(bias_rc / data.widths)[data.r, data.c]
            _, se_cal, _ = _cell_mean_se(data.cell, data.u - bias_u, data.n_apps * data.n_crits)
            ses = np.where(np.isnan(ses), se_cal.reshape(shape), ses)
            if fm.any():
                warnings.append(_NO_DOF)
        self.reviewer_bias_ = pd.Series(np.where(free, bias_pts, np.nan), index=data.revs.copy(), name="bias")
        self.reviewer_scale_ = None
        return values, ses
