"""``mixed``: reviewer leniency and scale as random effects, with per-reviewer noise weights.

Model (on the 0–1 mapped scale, pivot 0.5 as in ``affine``)::

    score − pivot = b_r + g_r · θ_cell + e,   b_r ~ N(0, τ_b²),  g_r ~ N(1, τ_g²),  e ~ N(0, σ_r²)

θ (one merit per application × criterion) is a fixed effect; each reviewer's leniency b_r and
scale g_r are random effects shrunk toward 0 and 1 by as much as the data say they vary; each
reviewer has their own noise variance σ_r², so a noisy reviewer counts for less.

Estimation: empirical Bayes by an EM-style alternation, in closed form (no optimiser):

1. merits θ = precision-weighted least squares given the reviewer effects (weights g_r²/σ_r²);
2. each reviewer's (b_r, g_r) = the posterior mode given θ: a 2 × 2 ridge system whose
   penalties are σ_r²/τ_b² and σ_r²/τ_g² (the shrinkage is not a tuning constant). With two or
   three reviewers per application a reviewer's own score pulls θ toward itself, which makes
   their scale look right whatever it is; the θ they are regressed on is therefore the average
   of θ with and without their own score (θ without it alone over-corrects: the other
   reviewers' noise then attenuates the scale; the average did best in
   ``benchmarks/bench_calibration.py``);
3. the variance components by their EM updates, τ_b² = mean(b̂² + Var b̂) and
   τ_g² = mean((ĝ − 1)² + Var ĝ), and each σ_r² from the reviewer's residuals with the
   leverage of the merits taken out, shrunk toward the pooled variance with ``noise_prior``
   pseudo-scores (so a reviewer with few scores gets about the pooled value);

repeated until nothing moves. Scales are normalised to geometric mean 1 and biases to weighted
sum 0 within each connected piece, as in ``affine``.

Why this and not statsmodels' ``MixedLM`` (REML): the model is bilinear (scale × merit), which
a linear mixed model cannot express — ``MixedLM`` could give random leniencies only (that is
``additive`` with estimated shrinkage) — and it refits by numerical optimisation, about a
hundred times slower than a combiner that the stability analysis refits a thousand times.

Because the effects are shrunk, a reviewer with a single application is calibrated too
(``min_applications`` default 1): their leniency is pulled toward 0 in proportion to how little
one application can say. Standard errors are conditional on the reviewer effects,
√(1 / Σ g²/σ²) per cell (see ``analysis`` for the honest ones).
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from ..core.errors import OptionError
from ._base import Combiner, _check_nonneg
from ._data import FloatArray, _Data


class MixedCombiner(Combiner):
    """Random-effects calibration: shrunk leniency and scale per reviewer, noise-weighted merits.

    Parameters
    ----------
    noise_prior : float, default 50.0
        Pseudo-scores at the pooled noise variance behind each reviewer's own noise variance
        (0: each reviewer's residual variance as it is; large: one pooled variance, no noise
        weighting).
    confidence : None, str or mapping, default None
        Weights per score (column name) or per reviewer (mapping), multiplied into the noise
        weights.
    min_applications : int, default 1
        Reviewers with fewer scored applications keep their raw scores.
    max_iter : int, default 1000
        Sweeps of the alternation.
    tol : float, default 1e-6
        Stop when no merit, effect or variance moves more than this (0–1 scale).

    Attributes
    ----------
    reviewer_bias_, reviewer_scale_ : pandas.Series
        Posterior modes of each reviewer's leniency (points of the default scale) and scale.
    reviewer_noise_ : pandas.Series
        Each reviewer's noise SD (points of the default scale) used for the weights.
    leniency_sd_, scale_sd_ : float
        Estimated spread of the leniencies (points) and of the scales across reviewers.
    sigma_ : float
        Pooled residual SD (points).
    n_iter_ : int
        Sweeps done.
    """

    method: ClassVar[str] = "mixed"
    _calibrates: ClassVar[bool] = True
    _needs_graph: ClassVar[bool] = True
    _MIN_SCALE: ClassVar[float] = 0.05
    _MIN_VAR: ClassVar[float] = 1e-8

    def __init__(
        self,
        noise_prior: float = 50.0,
        confidence: object = None,
        min_applications: int = 1,
        max_iter: int = 1000,
        tol: float = 1e-6,
    ) -> None:
        self.noise_prior = noise_prior
        self.confidence = confidence
        self.min_applications = min_applications
        self.max_iter = max_iter
        self.tol = tol

    def _check_params(self) -> None:
        _check_nonneg("noise_prior", self.noise_prior)
        m = self.min_applications
        if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or int(m) < 1:
            raise OptionError(f"min_applications は 1 以上の整数にしてください（指定: {m!r}）。")
        it = self.max_iter
        if isinstance(it, bool) or not isinstance(it, (int, np.integer)) or it < 1:
            raise OptionError(f"max_iter は 1 以上の整数にしてください（指定: {it!r}）。")
        _check_nonneg("tol", self.tol)

    @property
    def _min_apps(self) -> int:
        return int(self.min_applications)

    def _constant_action(self, data: _Data, i: int) -> str:
        return "尺度（点数の幅）を小さく推定しました（縮小推定のため 0 にはなりません）。この審査員の点数では応募書の差がつきません"

    def _fit_values(
        self, data: _Data, free: npt.NDArray[np.bool_], warnings: list[str]
    ) -> tuple[FloatArray, FloatArray]:
        n_cells, n_revs = data.n_apps * data.n_crits, data.n_revs
        cell, rev, conf = data.cell, data.r, data.w
        y = data.u - 0.5
        fitted = free & (np.bincount(rev, minlength=n_revs) > 0)
        fr = fitted[rev]
        comp = np.maximum(np.asarray(self.reviewer_component_.to_numpy(), dtype=np.intp), 0)
        n_comp = int(comp.max()) + 1 if len(comp) else 1
        cell_comp = np.maximum(self._app_component, 0)[np.arange(n_cells) // data.n_crits]
        b, g = np.zeros(n_revs), np.ones(n_revs)
        cm = np.bincount(cell, weights=conf * y, minlength=n_cells)
        cw = np.bincount(cell, weights=conf, minlength=n_cells)
        resid0 = y - np.divide(cm, cw, out=np.zeros(n_cells), where=cw > 0)[cell]
        pooled = max(float(np.sum(conf * resid0**2) / max(np.sum(conf), 1.0)) * 2.0, 1e-4)
        s2 = np.full(n_revs, pooled)
        tau_b, tau_g = 0.02, 0.05
        theta = np.zeros(n_cells)
        it = 0
        for it in range(1, int(self.max_iter) + 1):
            w = conf / s2[rev]
            gw = g[rev]
            den = np.bincount(cell, weights=w * gw * gw, minlength=n_cells).astype(np.float64)
            num = np.bincount(cell, weights=w * gw * (y - b[rev]), minlength=n_cells)
            theta_new = np.divide(num, den, out=np.zeros(n_cells), where=den > 0)
            # each reviewer is regressed on the merits without their own score (no self-influence)
            own_num, own_den = w * gw * (y - b[rev]), w * gw * gw
            rest = den[cell] - own_den
            use = rest > 1e-12 * np.maximum(den[cell], 1e-300)
            th_loo = np.divide(num[cell] - own_num, rest, out=np.zeros_like(y), where=use)
            th = np.where(use, 0.5 * (th_loo + theta_new[cell]), theta_new[cell])
            fr = fitted[rev]
            # posterior modes of (b, g) per reviewer: the 2 × 2 ridge system
            sw = np.bincount(rev, weights=w * fr, minlength=n_revs)
            st = np.bincount(rev, weights=w * th * fr, minlength=n_revs)
            stt = np.bincount(rev, weights=w * th * th * fr, minlength=n_revs)
            sy = np.bincount(rev, weights=w * y * fr, minlength=n_revs)
            sty = np.bincount(rev, weights=w * th * y * fr, minlength=n_revs)
            a11, a12, a22 = sw + 1.0 / tau_b, st, stt + 1.0 / tau_g
            det = a11 * a22 - a12 * a12
            b_new = np.where(fitted, (a22 * sy - a12 * (sty + 1.0 / tau_g)) / det, 0.0)
            g_new = np.where(fitted, (a11 * (sty + 1.0 / tau_g) - a12 * sy) / det, 1.0)
            g_new = np.maximum(g_new, self._MIN_SCALE)
            var_b, var_g = a22 / det, a11 / det
            b_new, g_new, theta_new = self._normalise(
                (b_new, g_new, theta_new), fitted, comp, cell_comp, n_comp, den > 0
            )
            # variance components (EM) and the noise variances (leverage of θ removed)
            k = max(int(fitted.sum()), 1)
            tau_b_new = max(float(np.sum(np.where(fitted, b_new**2 + var_b, 0.0)) / k), self._MIN_VAR)
            tau_g_new = max(
                float(np.sum(np.where(fitted, (g_new - 1.0) ** 2 + var_g, 0.0)) / k), self._MIN_VAR
            )
            s2_new = self._noise(data, y, b_new, g_new, theta_new, w, den)
            delta = max(
                float(np.max(np.abs(theta_new - theta))) if n_cells else 0.0,
                float(np.max(np.abs(b_new - b))),
                float(np.max(np.abs(g_new - g))),
                abs(tau_b_new - tau_b),
                abs(tau_g_new - tau_g),
            )
            theta, b, g, tau_b, tau_g, s2 = theta_new, b_new, g_new, tau_b_new, tau_g_new, s2_new
            if delta <= float(self.tol):
                break
        else:
            warnings.append(
                f"mixed の反復計算が {int(self.max_iter)} 回で収束しませんでした。結果は近似値です"
                "（max_iter を増やしてください）。"
            )
        self.n_iter_ = it
        return self._final(data, fitted, b, g, s2, tau_b, tau_g)

    @staticmethod
    def _normalise(
        params: tuple[FloatArray, FloatArray, FloatArray],
        fitted: npt.NDArray[np.bool_],
        comp: npt.NDArray[np.intp],
        cell_comp: npt.NDArray[np.intp],
        n_comp: int,
        scored: npt.NDArray[np.bool_],
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Per connected piece: scales to geometric mean 1 and biases to sum 0 (the fit is unchanged)."""
        b_new, g_new, theta_new = params
        logg = np.where(fitted, np.log(g_new), 0.0)
        cnt = np.bincount(comp, weights=fitted.astype(float), minlength=n_comp)
        geo = np.exp(
            np.divide(
                np.bincount(comp, weights=logg, minlength=n_comp), cnt, out=np.zeros(n_comp), where=cnt > 0
            )
        )
        g_new = np.where(fitted, g_new / geo[comp], 1.0)
        theta_new = theta_new * geo[cell_comp]
        sb = np.bincount(comp, weights=np.where(fitted, b_new, 0.0), minlength=n_comp)
        sg = np.bincount(comp, weights=np.where(fitted, g_new, 0.0), minlength=n_comp)
        t = np.divide(sb, sg, out=np.zeros(n_comp), where=sg > 0)
        b_new = np.where(fitted, b_new - g_new * t[comp], 0.0)
        theta_new = np.where(scored, theta_new + t[cell_comp], 0.0)
        return b_new, g_new, theta_new

    def _noise(
        self,
        data: _Data,
        y: FloatArray,
        b: FloatArray,
        g: FloatArray,
        theta: FloatArray,
        w: FloatArray,
        den: FloatArray,
    ) -> FloatArray:
        """Each reviewer's noise variance: residual sum of squares over the degrees of freedom
        left after the merits (leverage w g² / Σ_cell w g²), shrunk toward the pooled value."""
        n_revs, rev, conf = data.n_revs, data.r, data.w
        resid = y - b[rev] - g[rev] * theta[data.cell]
        lev = np.divide(w * g[rev] ** 2, den[data.cell], out=np.zeros_like(w), where=den[data.cell] > 0)
        rss = np.bincount(rev, weights=conf * resid**2, minlength=n_revs)
        dof = np.bincount(rev, weights=conf * (1.0 - lev), minlength=n_revs)
        pooled = float(rss.sum() / dof.sum()) if dof.sum() > 0 else 1e-4
        pooled = max(pooled, 1e-6)
        nu = float(self.noise_prior)
        return np.maximum((nu * pooled + rss) / np.maximum(nu + dof, 1e-9), 1e-6)

    def _final(
        self,
        data: _Data,
        fitted: npt.NDArray[np.bool_],
        b: FloatArray,
        g: FloatArray,
        s2: FloatArray,
        tau_b: float,
        tau_g: float,
    ) -> tuple[FloatArray, FloatArray]:
        """Merits and conditional SEs with every score; sets the reviewer attributes."""
        import pandas as pd

        n_cells = data.n_apps * data.n_crits
        b_all, g_all = np.where(fitted, b, 0.0), np.where(fitted, g, 1.0)
        w = data.w / s2[data.r]
        gw = g_all[data.r]
        den = np.bincount(data.cell, weights=w * gw * gw, minlength=n_cells)
        num = np.bincount(data.cell, weights=w * gw * (data.u - 0.5 - b_all[data.r]), minlength=n_cells)
        with np.errstate(invalid="ignore", divide="ignore"):
            theta = np.where(den > 0, num / den, np.nan)
            se = np.where(den > 0, np.sqrt(1.0 / den), np.nan)
        ref = data.ref_width
        self.reviewer_bias_ = pd.Series(
            np.where(fitted, b * ref, np.nan), index=data.revs.copy(), name="bias"
        )
        self.reviewer_scale_ = pd.Series(np.where(fitted, g, np.nan), index=data.revs.copy(), name="scale")
        self.reviewer_noise_ = pd.Series(np.sqrt(s2) * ref, index=data.revs.copy(), name="noise")
        self.leniency_sd_ = math.sqrt(tau_b) * ref
        self.scale_sd_ = math.sqrt(tau_g)
        n = np.bincount(data.r, weights=data.w, minlength=data.n_revs)
        self.sigma_ = float(np.sqrt(np.sum(n * s2) / max(n.sum(), 1e-12))) * ref
        shape = (data.n_apps, data.n_crits)
        return (0.5 + theta).reshape(shape), se.reshape(shape)
