"""Combining reviewers' scores (審査員の点数の統合): calibration and weighted totals.

A plain average rewards applications that happened to draw lenient reviewers (甘い審査員).
This module turns the canonical long score table into one calibrated value per application
and criterion (評価項目), and those values into the weighted total on the 配点 scale (0–100),
with a standard error, the number of reviewers and flags that say what the committee must
know (比較不能, 未採点 …).

All combiners share one API (scikit-learn estimator style)::

    comb = make_combiner("additive").fit(scores, rubric)
    comb.criterion_values_          # application × criterion, on the rubric scale (1–5)
    comb.totals()                   # weighted totals on 0–100, ranked
    comb.totals(new_weights)        # after a change of 配点: no refit

Methods (``METHODS``)
---------------------
``mean``
    Mean of the reviewers' scores per application and criterion.  SE = sd / √n (sd with
    ddof=1; NaN when n = 1).
``median``
    Median.  SE = √(π/2) · sd / √n (the asymptotic SE of the median of a normal sample).
``trimmed``
    Trimmed mean, cutting ``int(proportion · n)`` scores from each end like
    :func:`scipy.stats.trim_mean` (validated against it).  Default ``proportion=0.25``: with
    4–7 reviewers the lowest and the highest score are dropped, with 8 two of each, with 3
    none.  SE = Yuen's (1974) standard error √((n − 1) s_w² / (h (h − 1))), h = n − 2k, s_w the
    winsorised sd.
``zscore``
    The practice of JSPS KAKENHI and Evalato: each reviewer's scores are standardised,
    z = (x − mean_r) / sd_r (population sd, ddof=0), and mapped back onto the rubric scale with
    the pooled mean and sd of all scores, x' = mean_pool + sd_pool · z; the criterion value is
    the mean of x' over reviewers.  ``calibrate="overall"`` (default) takes mean_r and sd_r over
    all of the reviewer's scores (every criterion, each criterion first mapped onto 0–1);
    ``calibrate="criterion"`` takes them per criterion and maps back with that criterion's
    pooled mean and sd.  A reviewer whose sd is 0 (the same score for everyone) cannot be
    standardised: only the mean is corrected, x' = x − mean_r + mean_pool (a warning says so).
    SE = sd(x') / √n, ignoring the uncertainty of mean_r and sd_r.
``additive``
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
``affine``
    Score − pivot = bias_r + scale_r · (merit − pivot): a lenient/severe shift and a
    compressed/extreme use of the scale per reviewer (shared across criteria, on the 0–1
    mapped scale; pivot = the midpoint of each criterion's scale, so a bias is the reviewer's
    shift for an application the average reviewer scores at the midpoint).  Alternating least
    squares; after every sweep the scales are normalised to geometric mean 1 and the biases to
    sum 0 within each connected piece (the fit is unchanged by both).  ``scale_shrinkage``
    pulls each scale toward 1 (in pseudo-scores), ``bias_shrinkage`` each bias toward 0.  SE
    conditional on the reviewer parameters: σ̂ / √(Σ w scale²).

Degenerate data (every method; each case gives a Japanese line in ``warnings_``)
-------------------------------------------------------------------------------
* Empty scores (NaN: unfinished) are dropped; partly scored applications use the scored
  criteria.  Conflicts (利害関係) simply mean fewer reviewers; ``n_reviewers_`` shows it.
* A reviewer who scored fewer than ``min_applications`` (default 2) applications cannot be
  calibrated: zscore/additive/affine use that reviewer's raw scores (bias 0, scale 1; their
  ``reviewer_bias_`` is NaN) and estimate the other reviewers' effects without them.
* A reviewer who gives every application the same score: zscore corrects only the mean;
  additive corrects the bias (the scores cannot separate applications); affine estimates a
  small scale so that the scores barely matter.
* A reviewer–application graph that falls apart into pieces (no reviewer links two groups of
  applications): applications of different pieces cannot be compared after calibration.
  ``components_`` lists the pieces, ``warnings_`` names them, and ``totals()`` flags the
  applications outside the largest piece with 比較不能.

Totals
------
:meth:`Combiner.totals` maps each criterion value v on [min, max] to (v − min) / (max − min)
· weight, with the weights (配点) renormalised to sum 100, and sums them per group and in
total.  Calibrated values may fall slightly outside the scale (a reviewer-corrected 5.2); they
are not clipped (clipping would create ties at the top) but flagged (尺度外).  The SE of the
total combines the criterion SEs as if independent.  No refit: a change of 配点 costs well under
a millisecond per application (see ``benchmarks/bench_combine.py``).

Which method is the default (``DEFAULT_METHOD``) was decided by the simulation in
``benchmarks/simulate_methods.py``; the table and the reasoning are in
``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import math
import warnings as _pywarnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError

from ..config.rubric import Rubric
from ..core.columns import TOTAL_COLUMNS, rank_totals
from ..core.schema import require_score_table

__all__ = [
    "CALIBRATIONS",
    "DEFAULT_METHOD",
    "METHODS",
    "TOTAL_COLUMNS",
    "AdditiveCombiner",
    "AffineCombiner",
    "Combiner",
    "MeanCombiner",
    "MedianCombiner",
    "TrimmedMeanCombiner",
    "ZScoreCombiner",
    "combine",
    "make_combiner",
]

#: Names accepted by :func:`make_combiner` and :func:`combine`.
METHODS: tuple[str, ...] = ("mean", "median", "trimmed", "zscore", "additive", "affine")
#: The method used when none is given: ``affine`` had the best Kendall's tau with the true
#: merit in the simulation (``benchmarks/simulate_methods.py``, 200 rounds per scenario) and
#: lost almost nothing when reviewers did not differ; see ``benchmarks/RESULTS.md``.
DEFAULT_METHOD: str = "affine"
#: Allowed values of the ``calibrate`` option (zscore, additive).
CALIBRATIONS: tuple[str, ...] = ("overall", "criterion")

_NO_DOF = (
    "点数の数に対して推定する値が多く、残差の自由度がありません。標準誤差は補正後の点数のばらつき"
    "（標準偏差 ÷ √審査員数）で近似しました。"
)
_TOL = 1e-9
_MAX_LISTED = 10

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]


# ---------------------------------------------------------------------------
# Prepared data
# ---------------------------------------------------------------------------


@dataclass
class _Data:
    """The validated score table as integer-coded arrays (one entry per score)."""

    apps: pd.Index  # application ids, sorted
    revs: pd.Index  # reviewer ids, sorted
    crits: list[str]  # criterion ids in rubric order
    a: IntArray
    r: IntArray
    c: IntArray
    s: FloatArray  # raw score
    u: FloatArray  # score mapped onto 0–1 per criterion
    w: FloatArray  # confidence weight (1 without weights)
    mins: FloatArray  # per criterion
    widths: FloatArray  # per criterion (max − min)
    ref_width: float  # width of the rubric's default scale (unit of reported biases)

    @property
    def n_apps(self) -> int:
        return len(self.apps)

    @property
    def n_revs(self) -> int:
        return len(self.revs)

    @property
    def n_crits(self) -> int:
        return len(self.crits)

    @property
    def cell(self) -> IntArray:
        """Index of the (application, criterion) cell of every score, a · C + c."""
        return self.a * self.n_crits + self.c


def _fmt(x: float) -> str:
    """A number for a Japanese message (``3`` rather than ``3.0``)."""
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    xf = float(x)
    if not math.isfinite(xf):
        return str(xf)
    return str(round(xf)) if abs(xf - round(xf)) < 1e-9 else f"{xf:.3g}"


def _listing(items: Sequence[str], limit: int = _MAX_LISTED) -> str:
    """Join ids for a message, ``a、b、c ほか 3 件`` when there are many."""
    shown = list(items[:limit])
    text = "、".join(shown)
    if len(items) > limit:
        text += f" ほか {len(items) - limit} 件"
    return text


def _row_label(index_value: object) -> str:
    return f"行 {index_value}"


def _prepare(scores: pd.DataFrame, rubric: Rubric, confidence: object = None) -> tuple[_Data, list[str]]:
    """Validate the canonical score table and code it as arrays.

    Raises ``TypeError``/``ValueError`` with Japanese messages; returns the data and the
    warnings about missing scores.
    """
    if not isinstance(rubric, Rubric):
        raise TypeError(
            f"rubric には scoring.Rubric を渡してください（渡されたのは {type(rubric).__name__}）。"
            "load_round(...).rubric または load_rubric(...) で読み込めます。"
        )
    require_score_table(scores, what="scores（点数の表）")
    warnings: list[str] = []
    crit_ids = [c.id for c in rubric.criteria]

    for col, ja in (("application", "応募書"), ("reviewer", "審査員"), ("criterion", "評価項目")):
        bad = scores.index[scores[col].isna().to_numpy()]
        if len(bad):
            raise ValueError(
                f"点数の表の列 {col}（{ja}）が空の行があります: "
                f"{_listing([_row_label(i) for i in bad])}。{ja}を記入してください。"
            )
    app_col = scores["application"].astype(str).to_numpy()
    rev_col = scores["reviewer"].astype(str).to_numpy()
    crit_col = scores["criterion"].astype(str).to_numpy()
    c_all = pd.Index(crit_ids).get_indexer(pd.Index(crit_col)).astype(np.intp)

    if (c_all < 0).any():
        unknown = sorted({str(x) for x in crit_col[c_all < 0]})
        raise ValueError(
            f"点数の表にルーブリック（{rubric.id}）にない評価項目があります: {', '.join(unknown)}。"
            f"使える評価項目: {', '.join(crit_ids)}。"
        )

    raw = scores["score"]
    numeric = pd.to_numeric(raw, errors="coerce")
    if raw.dtype == bool:
        numeric = pd.Series(np.nan, index=raw.index)
    bad_mask = (numeric.isna() & raw.notna()).to_numpy()
    if bad_mask.any():
        rows = [
            f"{_row_label(i)}（応募書 {a} / 審査員 {r} / {c}: {v!r}）"
            for i, a, r, c, v in zip(
                scores.index[bad_mask], app_col[bad_mask], rev_col[bad_mask], crit_col[bad_mask],
                raw[bad_mask], strict=True,
            )
        ]
        raise ValueError(f"点数が数値ではありません: {_listing(rows)}。1〜5 などの数値にしてください。")
    s_all = numeric.to_numpy(dtype=float, na_value=np.nan)
    if np.isinf(s_all).any():
        raise ValueError("点数に無限大があります。尺度の数値にしてください。")

    # Integer codes; every application and reviewer of the table is kept, even one whose
    # scores are all empty (it then has no values and no total).
    a_all, app_uni = pd.factorize(app_col, sort=True)
    r_all, rev_uni = pd.factorize(rev_col, sort=True)
    apps = pd.Index([str(x) for x in app_uni], name="application")
    revs = pd.Index([str(x) for x in rev_uni], name="reviewer")
    n_a, n_c = len(apps), len(crit_ids)
    pair_all = r_all * n_a + a_all

    # --- missing (unfinished) scores -----------------------------------------------------
    is_nan = np.isnan(s_all)
    if is_nan.any():
        warnings.append(
            f"点数が空欄の行が {int(is_nan.sum())} 件あります（未採点）。計算から除きました。"
        )
        scored = np.zeros(len(revs) * n_a, dtype=bool)
        scored[pair_all[~is_nan]] = True
        nan_pairs = np.unique(pair_all[is_nan])
        unfinished = nan_pairs[~scored[nan_pairs]]
        for rv in np.unique(unfinished // n_a):
            names = [str(apps[p % n_a]) for p in unfinished[unfinished // n_a == rv]]
            warnings.append(
                f"審査員 {revs[rv]} は応募書 {_listing(names)} を採点していません（点数がすべて空欄）。"
                "これらの応募書は他の審査員の点数で計算しました。"
            )
    keep = ~is_nan
    if not keep.any():
        raise ValueError("点数がひとつもありません（すべて空欄か、表が空です）。採点結果を読み込んでください。")
    a, r, c, s = a_all[keep].astype(np.intp), r_all[keep].astype(np.intp), c_all[keep], s_all[keep]
    index_kept = scores.index[keep]
    app_col, rev_col, crit_col = app_col[keep], rev_col[keep], crit_col[keep]

    scales = [cr.effective_scale for cr in rubric.criteria]
    mins = np.array([sc.min for sc in scales], dtype=float)
    maxs = np.array([sc.max for sc in scales], dtype=float)
    steps = np.array([sc.step for sc in scales], dtype=float)
    widths = maxs - mins

    # --- scores off the scale ----------------------------------------------------------
    k = (s - mins[c]) / steps[c]
    off = (s < mins[c] - _TOL) | (s > maxs[c] + _TOL) | (np.abs(k - np.round(k)) > 1e-6)
    if off.any():
        rows = [
            f"{_row_label(i)}（応募書 {ap} / 審査員 {rv} / {crit_ids[j]}: {_fmt(v)}、尺度 "
            f"{_fmt(mins[j])}〜{_fmt(maxs[j])} 刻み {_fmt(steps[j])}）"
            for i, ap, rv, j, v in zip(index_kept[off], app_col[off], rev_col[off], c[off], s[off], strict=True)
        ]
        raise ValueError(f"尺度にない点数があります: {_listing(rows)}。採点表を確認してください。")

    # --- duplicates --------------------------------------------------------------------
    key = (r * n_a + a) * n_c + c
    order = np.argsort(key, kind="stable")
    same = key[order][1:] == key[order][:-1]
    if same.any():
        dup_keys = np.unique(key[order][1:][same])
        rows = [f"応募書 {apps[(kk // n_c) % n_a]} / 審査員 {revs[kk // (n_c * n_a)]} / {crit_ids[kk % n_c]}"
                for kk in dup_keys]
        raise ValueError(
            f"同じ応募書・審査員・評価項目の点数が複数あります: {_listing(rows)}。"
            "最新の1件だけを残してください。"
        )
    u = (s - mins[c]) / widths[c]

    # --- confidence weights ------------------------------------------------------------
    w = np.ones(len(s))
    if confidence is not None:
        if isinstance(confidence, str):
            if confidence not in scores.columns:
                raise ValueError(
                    f"confidence に指定した列 '{confidence}' が点数の表にありません。"
                    f"列名か、審査員ごとの重み（審査員 ID → 重み）を指定してください。"
                )
            wv = pd.to_numeric(scores[confidence], errors="coerce").to_numpy(dtype=float, na_value=np.nan)[keep]
            bad_w = ~np.isfinite(wv) | (wv <= 0)
            if bad_w.any():
                rows = [f"{_row_label(i)}（{_fmt(v) if np.isfinite(v) else '空欄'}）"
                        for i, v in zip(index_kept[bad_w], wv[bad_w], strict=True)]
                raise ValueError(
                    f"confidence 列 '{confidence}' の重みは正の数にしてください: {_listing(rows)}。"
                )
            w = wv
        elif isinstance(confidence, Mapping | pd.Series):
            cw = pd.Series(confidence, dtype=float) if not isinstance(confidence, pd.Series) else confidence
            cw.index = cw.index.astype(str)
            lacking = [rv for rv in revs if rv not in cw.index]
            if lacking:
                raise ValueError(
                    f"confidence に審査員 {_listing(lacking)} の重みがありません。全審査員の重みを指定してください。"
                )
            wv = pd.to_numeric(cw, errors="coerce").reindex(revs).to_numpy(dtype=float, na_value=np.nan)
            bad_r = [rv for rv, v in zip(revs, wv, strict=True) if not (np.isfinite(v) and v > 0)]
            if bad_r:
                raise ValueError(f"confidence の重みは正の数にしてください（審査員 {_listing(bad_r)}）。")
            w = wv[r]
        else:
            raise TypeError(
                "confidence には None、点数の表の列名（str）、または審査員 ID → 重みの対応"
                f"（dict / pandas.Series）を渡してください（渡されたのは {type(confidence).__name__}）。"
            )

    # --- partly scored applications -----------------------------------------------------
    per_pair = np.bincount(r * n_a + a, minlength=len(revs) * n_a)
    partial = np.flatnonzero((per_pair > 0) & (per_pair < n_c))
    for rv in np.unique(partial // n_a):
        items = [f"{apps[p % n_a]}（{n_c - int(per_pair[p])} 項目）" for p in partial[partial // n_a == rv]]
        warnings.append(
            f"審査員 {revs[rv]} は一部の評価項目を採点していません: 応募書 {_listing(items)}。"
            "採点済みの評価項目だけを使いました。"
        )
    present = np.bincount(c, minlength=len(crit_ids))
    for i in np.flatnonzero(present == 0):
        warnings.append(
            f"評価項目 {crit_ids[i]} の点数がひとつもありません。この評価項目に配点がある限り合計点は"
            "計算できません（配点を 0 にすれば他の評価項目で計算できます）。"
        )

    data = _Data(
        apps=apps, revs=revs, crits=crit_ids, a=a, r=r, c=c, s=s, u=u, w=w.astype(float),
        mins=mins, widths=widths, ref_width=float(rubric.scale.max - rubric.scale.min),
    )
    return data, warnings


# ---------------------------------------------------------------------------
# Numerical kernels (all on the 0–1 mapped scale)
# ---------------------------------------------------------------------------


def _cell_matrix(cell: IntArray, x: FloatArray, n_cells: int) -> tuple[FloatArray, IntArray]:
    """Scores per cell as rows of a matrix, sorted ascending, NaN-padded; and the counts."""
    counts = np.bincount(cell, minlength=n_cells).astype(np.intp)
    width = int(counts.max()) if len(counts) else 0
    order = np.lexsort((x, cell))
    cs, xs = cell[order], x[order]
    starts = np.cumsum(counts) - counts
    pos = np.arange(len(cs)) - starts[cs]
    mat = np.full((n_cells, max(width, 1)), np.nan)
    mat[cs, pos] = xs
    return mat, counts


def _cell_mean_se(cell: IntArray, x: FloatArray, n_cells: int) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Mean, SE (sd/√n, ddof=1) and sd per cell; NaN where undefined."""
    n = np.bincount(cell, minlength=n_cells).astype(float)
    tot = np.bincount(cell, weights=x, minlength=n_cells)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, tot / n, np.nan)
        dev2 = np.bincount(cell, weights=(x - mean[cell]) ** 2, minlength=n_cells)
        sd = np.where(n > 1, np.sqrt(dev2 / (n - 1)), np.nan)
        se = sd / np.sqrt(n)
    return mean, se, sd


def _eig_pinv(
    s_mat: FloatArray, lam: float
) -> tuple[FloatArray, FloatArray, int]:
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


# ---------------------------------------------------------------------------
# The estimators
# ---------------------------------------------------------------------------


class Combiner(BaseEstimator):
    """Base class of all combiners (use :func:`make_combiner` or a subclass).

    Parameters are stored by ``__init__`` and validated by :meth:`fit`.

    Attributes
    ----------
    method : str
        Method name (class attribute), one of :data:`METHODS`.
    criterion_values_ : pandas.DataFrame
        Index ``application`` (ids, sorted), columns = criterion ids in rubric order (columns
        name ``criterion``): the calibrated value on the rubric scale (e.g. 1–5); NaN where no
        reviewer scored the criterion.
    criterion_se_ : pandas.DataFrame
        Same shape: standard error of each value (rubric points); NaN where undefined.
    n_reviewers_ : pandas.Series
        Index ``application``, name ``n_reviewers``: reviewers with at least one score.
    reviewer_bias_ : pandas.Series or None
        Index ``reviewer``, name ``bias``: estimated leniency in points of the rubric's default
        scale (positive = 甘い, lenient); NaN for reviewers that could not be calibrated.
        ``None`` for mean, median, trimmed.
    reviewer_scale_ : pandas.Series or None
        Index ``reviewer``, name ``scale``: use of the scale relative to the average reviewer
        (> 1 extreme, < 1 compressed); affine and zscore only.
    n_scores_ : pandas.Series
        Index ``reviewer``, name ``n_scores``: number of scores per reviewer.
    components_ : list of set of str
        Connected pieces of the reviewer–application graph, as sets of application ids, the
        largest first (ties: the one with the smallest id first).  One set when connected.
    reviewer_component_ : pandas.Series
        Index ``reviewer``, name ``component``: position of the reviewer's piece in
        ``components_``.
    warnings_ : list of str
        Japanese sentences that say what was done about missing scores, degenerate reviewers
        and a disconnected graph.
    rubric_ : Rubric
        The rubric given to :meth:`fit` (its weights are the default of :meth:`totals`).
    """

    method: ClassVar[str] = ""
    #: Whether the method calibrates reviewers (degenerate reviewers are then handled).
    _calibrates: ClassVar[bool] = False
    #: Whether a disconnected graph makes the result incomparable (warned and flagged).
    _needs_graph: ClassVar[bool] = False

    # -- options -------------------------------------------------------------------------

    def _check_params(self) -> None:
        """Validate the options (raise ValueError listing the allowed values)."""

    @property
    def _min_apps(self) -> int:
        return 2

    def _single_action(self) -> str:
        return "そのまま計算に含めました"

    def _constant_action(self, data: _Data, i: int) -> str:
        return "そのまま計算に含めました（この審査員の点数では応募書の差がつきません）"

    # -- fitting -------------------------------------------------------------------------

    def fit(self, scores: pd.DataFrame, rubric: Rubric) -> Combiner:
        """Fit the combiner to the canonical long score table.

        Parameters
        ----------
        scores : pandas.DataFrame
            Columns ``application``, ``reviewer``, ``criterion``, ``score`` (others, such as
            ``comment``, are ignored; see :data:`scoring.core.schema.SCORE_COLUMNS`).  One row per
            application × reviewer × criterion; NaN scores are unfinished and dropped.
        rubric : Rubric
            Criteria, groups, weights (配点) and scales.

        Returns
        -------
        Combiner
            ``self``.

        Raises
        ------
        ValueError
            Bad options, missing columns, unknown criteria, scores off the scale, duplicate
            rows, or no scores at all (Japanese messages naming the rows).
        """
        self._check_params()
        data, warnings = _prepare(scores, rubric, getattr(self, "confidence", None))
        n_apps_per_rev = np.bincount(
            np.unique(data.r * data.n_apps + data.a) // data.n_apps, minlength=data.n_revs
        )
        single = n_apps_per_rev < (self._min_apps if self._calibrates else 2)
        constant = self._constant_reviewers(data) & ~single
        for i in np.flatnonzero(single & (n_apps_per_rev > 0)):
            n = int(n_apps_per_rev[i])
            warnings.append(
                f"審査員 {data.revs[int(i)]} は {n} 件の応募書しか採点していません。"
                + ("甘辛を推定できないため、素点のまま使いました（補正なし）。" if self._calibrates
                   else f"{self._single_action()}。")
            )
        for i in np.flatnonzero(constant):
            warnings.append(
                f"審査員 {data.revs[int(i)]} はすべての応募書に同じ点数を付けています。{self._constant_action(data, int(i))}。"
            )
        self._fit_graph(data, warnings)
        values_u, se_u = self._fit_values(data, ~single, warnings)

        crit_index = pd.Index(data.crits, name="criterion")
        self.criterion_values_ = pd.DataFrame(
            data.mins + values_u * data.widths, index=data.apps.copy(), columns=crit_index
        )
        self.criterion_se_ = pd.DataFrame(se_u * data.widths, index=data.apps.copy(), columns=crit_index.copy())
        n_rev = np.bincount(np.unique(data.a * data.n_revs + data.r) // data.n_revs, minlength=data.n_apps)
        self.n_reviewers_ = pd.Series(n_rev.astype(np.int64), index=data.apps.copy(), name="n_reviewers")
        self.n_scores_ = pd.Series(
            np.bincount(data.r, minlength=data.n_revs).astype(np.int64), index=data.revs.copy(), name="n_scores"
        )
        self.warnings_ = warnings
        self.rubric_ = rubric

        # Cached arrays for totals() (no pandas work needed after a change of weights).
        self._values_frac = values_u
        self._se_frac = se_u
        self._groups = [(g.id, [data.crits.index(c.id) for c in g.criteria]) for g in rubric.groups]
        self._base_flags = self._make_base_flags(data, values_u, n_rev)
        self._n_rev = n_rev
        self._default_weights = self._weight_vector(None)
        return self

    def _constant_reviewers(self, data: _Data) -> npt.NDArray[np.bool_]:
        """Reviewers whose scores are equal within every criterion."""
        key = data.r * data.n_crits + data.c
        n = data.n_revs * data.n_crits
        hi = np.full(n, -np.inf)
        lo = np.full(n, np.inf)
        np.maximum.at(hi, key, data.s)
        np.minimum.at(lo, key, data.s)
        spread = np.where(np.isfinite(hi), hi - lo, 0.0).reshape(data.n_revs, data.n_crits)
        return np.asarray(np.all(spread <= _TOL, axis=1))

    def _fit_graph(self, data: _Data, warnings: list[str]) -> None:
        pairs = np.unique(data.a * data.n_revs + data.r)
        pa, pr = pairs // data.n_revs, pairs % data.n_revs
        n_nodes = data.n_apps + data.n_revs
        adj = sparse.coo_matrix(
            (np.ones(len(pairs)), (pa, data.n_apps + pr)), shape=(n_nodes, n_nodes)
        )
        _, labels = connected_components(adj, directed=False)
        # Applications and reviewers without any score belong to no piece (component -1).
        degree = np.bincount(pa, minlength=data.n_apps), np.bincount(pr, minlength=data.n_revs)
        labels = np.where(np.concatenate(degree) > 0, labels, -1)
        app_lab = labels[: data.n_apps]
        rev_lab = labels[data.n_apps:]
        used = np.unique(app_lab[app_lab >= 0])
        sizes = {int(k): int(np.sum(app_lab == k)) for k in used}
        first = {int(k): int(np.flatnonzero(app_lab == k)[0]) for k in used}
        order = sorted(sizes, key=lambda k: (-sizes[k], first[k]))
        rank_of = np.full(int(labels.max()) + 2, -1, dtype=np.intp)  # index -1 → -1
        rank_of[order] = np.arange(len(order))
        self.components_: list[set[str]] = [set(data.apps[app_lab == k].tolist()) for k in order]
        self.reviewer_component_ = pd.Series(
            rank_of[rev_lab].astype(np.int64), index=data.revs.copy(), name="component"
        )
        self._app_component = rank_of[app_lab]
        if len(self.components_) > 1 and self._needs_graph:
            parts = " / ".join(
                f"グループ{i + 1}: 応募書 {_listing(sorted(comp))}"
                f"（審査員 {_listing(sorted(data.revs[rank_of[rev_lab] == i]))}）"
                for i, comp in enumerate(self.components_)
            )
            warnings.append(
                f"審査員と応募書のつながりが {len(self.components_)} つのグループに分かれています"
                f"（{parts}）。グループをまたいで採点した審査員がいないため、審査員の甘辛はグループの中で"
                "だけ補正しました（グループごとに補正の合計を 0 にしました）。異なるグループの応募書の点数・"
                "順位は比較できません。グループをまたぐ審査員を割り当てると比較できるようになります。"
            )

    def _make_base_flags(self, data: _Data, values_u: FloatArray, n_rev: npt.NDArray[Any]) -> list[str]:
        flags: list[list[str]] = [[] for _ in range(data.n_apps)]
        if len(self.components_) > 1 and self._needs_graph:
            n_comp = len(self.components_)
            for pos, k in enumerate(self._app_component):
                if k > 0:
                    flags[pos].append(f"比較不能: 他と連結していない（グループ{k + 1}/{n_comp}）")
        for i in np.flatnonzero(n_rev == 1):
            flags[i].append("審査員1名のみ")
        for i in np.flatnonzero(n_rev == 0):
            flags[i].append("点数なし: どの審査員も採点していません")
        with np.errstate(invalid="ignore"):
            out = (values_u < -1e-9) | (values_u > 1 + 1e-9)
        for i in np.flatnonzero(out.any(axis=1)):
            crits = [data.crits[j] for j in np.flatnonzero(out[i])]
            flags[i].append(f"尺度外: 補正後の値が尺度の範囲を超えています（{', '.join(crits)}）")
        return [" / ".join(f) for f in flags]

    def _fit_values(
        self, data: _Data, free: npt.NDArray[np.bool_], warnings: list[str]
    ) -> tuple[FloatArray, FloatArray]:
        """Return the values and SEs on the 0–1 mapped scale, shape (applications, criteria)."""
        raise NotImplementedError

    # -- results -------------------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not hasattr(self, "criterion_values_"):
            raise NotFittedError(
                f"{type(self).__name__} はまだ計算されていません。先に fit(scores, rubric) を実行してください。"
            )

    def _weight_vector(self, weights: pd.Series | Mapping[str, float] | None) -> FloatArray:
        crits = list(self.criterion_values_.columns)
        if weights is None:
            ws = self.rubric_.weights()
        elif isinstance(weights, pd.Series):
            ws = weights
        elif isinstance(weights, Mapping):
            ws = pd.Series(dict(weights), dtype=float)
        else:
            raise TypeError(
                "weights には評価項目 ID → 配点の pandas.Series か dict を渡してください"
                f"（渡されたのは {type(weights).__name__}）。"
            )
        keys = [str(k) for k in ws.index]
        pos = {cid: j for j, cid in enumerate(crits)}
        unknown = [k for k in keys if k not in pos]
        if unknown:
            raise ValueError(
                f"配点にルーブリックにない評価項目があります: {', '.join(unknown)}。使える評価項目: {', '.join(crits)}。"
            )
        if len(set(keys)) != len(keys):
            raise ValueError("配点に同じ評価項目が複数回あります。評価項目ごとに1つにしてください。")
        vals = pd.to_numeric(pd.Series(ws.to_numpy(), dtype=object), errors="coerce").to_numpy(
            dtype=float, na_value=np.nan
        )
        bad = [k for k, v in zip(keys, vals, strict=True) if not (np.isfinite(v) and v >= 0)]
        if bad:
            raise ValueError(f"配点は 0 以上の数値にしてください（{', '.join(bad)}）。")
        vec = np.zeros(len(crits))
        vec[[pos[k] for k in keys]] = vals
        total = vec.sum()
        if not total > 0:
            raise ValueError("配点の合計が 0 です。少なくとも1つの評価項目に正の配点を付けてください。")
        return np.asarray(vec * (100.0 / total))

    def totals(self, weights: pd.Series | Mapping[str, float] | None = None) -> pd.DataFrame:
        """Weighted totals on the 配点 scale (0–100), ranked; no refit.

        Parameters
        ----------
        weights : pandas.Series or mapping, optional
            配点 per criterion id (index ``criterion``).  Criteria left out count 0; the weights
            are renormalised to sum 100.  Default: the rubric's weights.

        Returns
        -------
        pandas.DataFrame
            Index ``application``, sorted by ``total`` descending (NaN last; ties by id).
            Columns:

            * ``total`` (float, points 0–100): Σ (v − min) / (max − min) · weight;
              NaN when a criterion with a positive weight has no value;
            * ``se`` (float, points): √Σ (weight / (max − min) · se)², as if the criteria were
              independent; NaN when a criterion's SE is undefined (one reviewer);
            * ``n_reviewers`` (int);
            * one column per rubric group (group id, float points): the group's share of
              ``total``;
            * ``flags`` (str, Japanese, " / "-separated; "" when none): 比較不能 (not
              connected to the other applications), 審査員1名のみ, 未採点の評価項目あり,
              尺度外;
            * ``rank`` (Int64): 1 = best; ties (equal at :data:`~scoring.core.columns.TOTAL_DECIMALS`
              decimals) share the smallest rank; <NA> when no total (:func:`~scoring.core.columns.rank_totals`).
        """
        self._check_fitted()
        wv = self._default_weights if weights is None else self._weight_vector(weights)
        used = wv > 0
        contrib = self._values_frac[:, used] * wv[used]
        total = contrib.sum(axis=1)
        se = np.sqrt(((self._se_frac[:, used] * wv[used]) ** 2).sum(axis=1))
        out: dict[str, Any] = {"total": total, "se": se, "n_reviewers": self.n_reviewers_.to_numpy()}
        for gid, idx in self._groups:
            sel = [j for j in idx if used[j]]
            out[gid] = (self._values_frac[:, sel] * wv[sel]).sum(axis=1) if sel else np.zeros(len(total))
        flags = list(self._base_flags)
        missing = np.isnan(self._values_frac[:, used])
        if missing.any():
            used_ids = [c for c, u in zip(self.criterion_values_.columns, used, strict=True) if u]
            for i in np.flatnonzero(missing.any(axis=1) & (self._n_rev > 0)):
                ids = ", ".join(used_ids[j] for j in np.flatnonzero(missing[i]))
                note = f"未採点の評価項目あり: {ids}（合計なし）"
                flags[i] = f"{flags[i]} / {note}" if flags[i] else note
        out["flags"] = flags
        key = np.where(np.isnan(total), np.inf, -total)
        order = np.lexsort((np.arange(len(total)), key))
        frame = pd.DataFrame(out, index=self.criterion_values_.index.copy()).iloc[order]
        frame["rank"] = rank_totals(frame["total"])
        return frame

    def fit_predict(self, scores: pd.DataFrame, rubric: Rubric) -> pd.Series:
        """Fit and return the weighted totals (rubric weights).

        Returns
        -------
        pandas.Series
            ``totals()["total"]``: name ``total``, index ``application``, best first.
        """
        total = self.fit(scores, rubric).totals()["total"]
        total.name = "total"
        total.index.name = "application"
        return total


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
            raise ValueError(f"proportion は 0 以上 0.5 未満の数にしてください（指定: {p!r}）。")

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
            wins = np.where(pos < k[:, None], lo_val[:, None],
                            np.where(pos >= (counts - k)[:, None], hi_val[:, None], mat))
            wins = np.where(valid, wins, 0.0)
            wmean = wins.sum(axis=1) / np.where(n > 0, n, 1.0)
            sw2 = np.where(valid, (wins - wmean[:, None]) ** 2, 0.0).sum(axis=1) / (n - 1)
            se = np.where((n > 1) & (h > 1), np.sqrt((n - 1) * sw2 / (h * (h - 1))), np.nan)
        self.reviewer_bias_ = None
        self.reviewer_scale_ = None
        shape = (data.n_apps, data.n_crits)
        return tmean.reshape(shape), se.reshape(shape)


def _check_choice(name: str, value: object, allowed: Sequence[str]) -> None:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} は {', '.join(allowed)} のどれかにしてください（指定: {value!r}）。")


def _check_nonneg(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
        math.isfinite(float(value)) and float(value) >= 0
    ):
        raise ValueError(f"{name} は 0 以上の数にしてください（指定: {value!r}）。")


def _check_min_apps(value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or int(value) < 2:
        raise ValueError(f"min_applications は 2 以上の整数にしてください（指定: {value!r}）。")


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
        return ("評価項目の間の差で標準化はできましたが、各評価項目の中では差がないため、"
                "この審査員の点数では応募書の差がつきません")

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
        cal = np.where(flat, u - mu[grp] + pmu[pool_key], pmu[pool_key] + psd[pool_key] * np.where(flat, 0.0, z))
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
            bias_rc = (mu - pmu[np.tile(np.arange(data.n_crits), data.n_revs)]).reshape(data.n_revs, data.n_crits)
            with np.errstate(invalid="ignore"):
                bias_pts = np.nanmean(np.where(cnt.reshape(data.n_revs, data.n_crits) > 0,
                                               bias_rc * data.widths, np.nan), axis=1)
                scale_rc = (sd / psd[np.tile(np.arange(data.n_crits), data.n_revs)]).reshape(
                    data.n_revs, data.n_crits)
                scale = np.nanmean(np.where(cnt.reshape(data.n_revs, data.n_crits) > 1, scale_rc, np.nan), axis=1)
        else:
            bias_pts = (mu - pmu[0]) * data.ref_width
            scale = sd / psd[0] if psd[0] > 0 else np.full(data.n_revs, np.nan)
        bias_pts = np.where(free, bias_pts, np.nan)
        scale = np.where(free, scale, np.nan)
        self.reviewer_bias_ = pd.Series(bias_pts, index=data.revs.copy(), name="bias")
        self.reviewer_scale_ = pd.Series(scale, index=data.revs.copy(), name="scale")
        shape = (data.n_apps, data.n_crits)
        return mean.reshape(shape), se.reshape(shape)


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
        if isinstance(self.max_iter, bool) or not isinstance(self.max_iter, (int, np.integer)) or self.max_iter < 1:
            raise ValueError(f"max_iter は 1 以上の整数にしてください（指定: {self.max_iter!r}）。")
        _check_nonneg("tol", self.tol)

    @property
    def _min_apps(self) -> int:
        return int(self.min_applications)

    def _constant_action(self, data: _Data, i: int) -> str:
        note = "（scale_shrinkage のため 0 にはなりません）" if float(self.scale_shrinkage) > 0 else ""
        return (f"尺度（点数の幅）を他の審査員より小さく推定しました{note}。"
                "この審査員の点数では応募書の差がつきません")

    def _fit_values(
        self, data: _Data, free: npt.NDArray[np.bool_], warnings: list[str]
    ) -> tuple[FloatArray, FloatArray]:
        n_cells = data.n_apps * data.n_crits
        n_revs = data.n_revs
        fm = free[data.r]
        cell, rev, w = data.cell[fm], data.r[fm], data.w[fm]
        y = data.u[fm] - 0.5  # pivot: the midpoint of each criterion's scale
        lb = float(self.bias_shrinkage)
        ls = float(self.scale_shrinkage)

        # Pieces of the graph among the calibrated reviewers (normalisation is per piece).
        comp = np.maximum(np.asarray(self.reviewer_component_.to_numpy(), dtype=np.intp), 0)
        n_comp = int(comp.max()) + 1 if len(comp) else 1
        has = np.bincount(rev, minlength=n_revs) > 0
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
            geo = np.exp(np.divide(np.bincount(comp, weights=logg, minlength=n_comp), cnt,
                                   out=np.zeros(n_comp), where=cnt > 0))
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
        for i in np.flatnonzero(clamped & (g <= self._MIN_SCALE * 1.0001) & ~self._constant_reviewers(data)):
            warnings.append(
                f"審査員 {data.revs[int(i)]} の点数は他の審査員の評価とほとんど（または逆に）対応していません。"
                "尺度を最小値にしたため、この審査員の点数は順位にほとんど影響しません。"
            )
        # Residual variance of the calibrated reviewers' scores.
        resid = y - b[rev] - g[rev] * theta[cell]
        n_par = int(np.count_nonzero(w_cell > 0)) + 2 * int(has.sum()) - 2 * len(np.unique(comp[has]))
        dof = len(y) - n_par
        sigma2 = float(np.sum(w * resid**2)) / dof if dof > 0 else math.nan
        if dof <= 0 and len(y):
            warnings.append(_NO_DOF)
        self.sigma_ = math.sqrt(sigma2) * data.ref_width if np.isfinite(sigma2) else math.nan
        # Final merits with every score (uncalibrated reviewers: bias 0, scale 1).
        b_all = np.where(free & has, b, 0.0)
        g_all = np.where(free & has, g, 1.0)
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
            np.where(free & has, b * data.ref_width, np.nan), index=data.revs.copy(), name="bias"
        )
        self.reviewer_scale_ = pd.Series(np.where(free & has, g, np.nan), index=data.revs.copy(), name="scale")
        shape = (data.n_apps, data.n_crits)
        return (0.5 + theta_all).reshape(shape), se.reshape(shape)


_CLASSES: dict[str, type[Combiner]] = {
    "mean": MeanCombiner,
    "median": MedianCombiner,
    "trimmed": TrimmedMeanCombiner,
    "zscore": ZScoreCombiner,
    "additive": AdditiveCombiner,
    "affine": AffineCombiner,
}


def make_combiner(method: str = DEFAULT_METHOD, **options: Any) -> Combiner:
    """Return an unfitted combiner for ``method`` with ``options``.

    Parameters
    ----------
    method : str, default :data:`DEFAULT_METHOD`
        One of :data:`METHODS`.
    **options
        Options of that method's class (e.g. ``proportion`` for ``trimmed``,
        ``calibrate``/``bias_shrinkage``/``confidence`` for ``additive``).

    Raises
    ------
    ValueError
        Unknown method (the message lists the allowed ones), unknown option (lists the
        method's options) or invalid option value.
    """
    if not isinstance(method, str) or method not in _CLASSES:
        raise ValueError(f"method {method!r} はありません。使える method: {', '.join(METHODS)}。")
    cls = _CLASSES[method]
    allowed = sorted(cls._get_param_names())
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise ValueError(
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
