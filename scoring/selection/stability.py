"""Stability of the selection (選定の安定性): would the list survive other reviewers or weights?

In the NeurIPS 2014 experiment two committees disagreed on about half of the accepted
papers: near the cut-off a selection is noisy. This module redoes the whole pipeline many
times under plausible variations and reports, for every applicant, how often it is
selected and where it ranks.

One resample
------------
1. **Reviews** — for every application, its reviewers are drawn with replacement
   (bootstrap within the application; an application with 5 reviewers gets 5 draws, so a
   reviewer may count twice or not at all).
2. **Weights** — every criterion named in ``weight_ranges`` gets a weight (配点) drawn
   uniformly in its range; the others keep the rubric's weight; weights are then
   renormalised to 100 as in :meth:`scoring.combine.Combiner.totals`.
3. **Method** — by default the baseline's method only (what the committee sees: P(selected)
   is then the chosen method's own uncertainty); with ``methods``, one method drawn uniformly
   per resample (the method sensitivity; :func:`scoring.analysis.quality.method_sensitivity`
   shows it as 「方法を変えた場合」 instead).
4. **Totals and selection** — the criterion values, the weighted totals (0–100) and the
   full balanced selection (:class:`scoring.selection.FastSelector`, exact and equal to
   :func:`scoring.selection.select`) are computed.

What is exact and what is held fixed (read this before quoting the numbers)
---------------------------------------------------------------------------
- ``mean``, ``median``, ``trimmed``: the criterion values of a resample are exactly what the
  combine module returns for the resampled reviews (vectorised over all resamples; checked
  against :func:`scoring.combine.make_combiner` in the tests).
- ``zscore``, ``additive``, ``affine``: the reviewer calibration (leniency, and for
  zscore/affine the use of the scale) is **estimated once on all the scores** with the
  combine module and **held fixed**; each resample then combines the calibrated scores of
  the drawn reviewers exactly as the method does for given reviewer effects (mean of the
  calibrated scores; for affine the scale-weighted mean). The variation therefore covers
  which reviewers scored each application, the weights and the method, but not the
  estimation noise of the reviewer effects themselves. With every reviewer drawn once the
  values reproduce the combine module's to 1e-9; :class:`StabilityAnalysis` checks this
  on every fit and refuses to run if it fails.

Validated: the fast path equals the combine module (tests), the inner selection equals the
MILP (tests), and ``benchmarks/bench_stability.py`` times 1,000 resamples with the full
selection for 47 applications × 8 reviewers × 9 criteria; ``benchmarks/bench_selection.py``
for 200 and 1,741 applications (about 4 s at 1,741: the resamples are combined in blocks of
resamples and one reviewer slot at a time, so memory stays small and the numbers are the
same bit for bit as one big array).
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..combine import DEFAULT_METHOD, METHODS, make_combiner
from ..config.round import Balance, SelectSpec
from ..config.rubric import Rubric
from ..core.columns import STABILITY_COLUMNS
from ..core.errors import OptionError, ScoreTableError
from ..round.loader import ReviewRound
from ._fast import FastSelector
from ._select import candidates_frame

__all__ = [
    "STABILITY_COLUMNS",
    "StabilityAnalysis",
    "stability",
    "stability_round",
]

_MEAN_TYPE = ("mean", "zscore", "additive", "affine")
FloatArray = npt.NDArray[np.float64]


def _as_k(k: int | SelectSpec | tuple[int, ...]) -> int:
    if isinstance(k, SelectSpec):
        return k.target
    if isinstance(k, tuple):
        return int(k[1]) if len(k) == 3 else (int(k[0]) + int(k[1])) // 2
    return int(k)


class _Reviews:
    """The score table as arrays: per application, its reviewers' scores on the 0–1 scale."""

    def __init__(self, scores: pd.DataFrame, rubric: Rubric):
        missing = [c for c in ("application", "reviewer", "criterion", "score") if c not in scores.columns]
        if missing:
            raise ScoreTableError(
                f"点数の表に列 {', '.join(missing)} がありません（scoring.core.schema.SCORE_COLUMNS の形にしてください）"
            )
        df = scores[["application", "reviewer", "criterion", "score"]].copy()
        df["score"] = pd.to_numeric(df["score"], errors="coerce")
        df = df[df["score"].notna()]
        df["application"] = df["application"].astype(str)
        df["reviewer"] = df["reviewer"].astype(str)
        df["criterion"] = df["criterion"].astype(str)
        self.crits = [c.id for c in rubric.criteria]
        unknown = sorted(set(df["criterion"]) - set(self.crits))
        if unknown:
            raise ScoreTableError(f"点数の表にルーブリックにない評価項目があります: {', '.join(unknown)}")
        scales = [c.effective_scale for c in rubric.criteria]
        self.mins = np.array([s.min for s in scales], dtype=float)
        self.widths = np.array([s.max - s.min for s in scales], dtype=float)
        self.ref_width = float(rubric.scale.max - rubric.scale.min)
        self.apps = sorted(df["application"].unique())
        self.revs = sorted(df["reviewer"].unique())
        rev_pos = {r: i for i, r in enumerate(self.revs)}
        crit_pos = {c: i for i, c in enumerate(self.crits)}
        app_pos = {a: i for i, a in enumerate(self.apps)}
        A, C, R = len(self.apps), len(self.crits), max(len(self.revs), 1)
        ai = df["application"].map(app_pos).to_numpy(dtype=np.intp)
        ci = df["criterion"].map(crit_pos).to_numpy(dtype=np.intp)
        key = ai * R + df["reviewer"].map(rev_pos).to_numpy(dtype=np.intp)
        # slots: an application's reviewers in id order (pairs sorted by application, reviewer)
        pairs = np.unique(key)
        pair_app = pairs // R
        self.n = np.bincount(pair_app, minlength=A).astype(np.intp)
        jmax = int(self.n.max()) if len(self.n) else 1
        pair_slot = np.arange(len(pairs)) - np.r_[0, np.cumsum(self.n)[:-1]][pair_app]
        self.rev = np.full((A, jmax), -1, dtype=np.intp)  # reviewer index per slot
        self.rev[pair_app, pair_slot] = pairs % R
        self.u = np.full((A, jmax, C), np.nan)  # score on 0–1 per slot
        ji = pair_slot[np.searchsorted(pairs, key)]
        s = df["score"].to_numpy(dtype=float)
        self.u[ai, ji, ci] = (s - self.mins[ci]) / self.widths[ci]
        self.valid = ~np.isnan(self.u)
        self.rev_pos = rev_pos


def _calibrated(
    method: str, comb: Any, data: _Reviews, options: Mapping[str, Any]
) -> tuple[FloatArray, FloatArray]:
    """Per-slot calibrated scores x (A × J × C, 0–1 scale) and per-slot weights ω (A × J × C)
    such that the method's value of a cell is Σ ω x / Σ ω over the drawn reviewers."""
    u = data.u
    rev = np.where(data.rev >= 0, data.rev, 0)
    ones = np.ones_like(u)
    if method == "mean":
        return u, ones
    if method == "additive":
        if getattr(comb, "bias_by_criterion_", None) is not None:
            b = comb.bias_by_criterion_.reindex(data.revs).to_numpy(dtype=float) / data.widths[None, :]
            bias = np.nan_to_num(b)[rev]  # A × J × C
        else:
            b = comb.reviewer_bias_.reindex(data.revs).to_numpy(dtype=float) / data.ref_width
            bias = np.nan_to_num(b)[rev][:, :, None]
        return u - bias, ones
    if method == "affine":
        b = np.nan_to_num(comb.reviewer_bias_.reindex(data.revs).to_numpy(dtype=float) / data.ref_width)
        g = comb.reviewer_scale_.reindex(data.revs).to_numpy(dtype=float)
        g = np.where(np.isfinite(g), g, 1.0)
        gs = g[rev][:, :, None]
        return 0.5 + (u - 0.5 - b[rev][:, :, None]) / gs, np.broadcast_to(gs**2, u.shape).copy()
    if method == "zscore":
        per_crit = options.get("calibrate", "overall") == "criterion"
        min_apps = int(options.get("min_applications", 2))
        C = u.shape[2]
        valid = data.valid
        r3 = np.broadcast_to(rev[:, :, None], u.shape)
        c3 = np.broadcast_to(np.arange(C)[None, None, :], u.shape)
        R = len(data.revs)
        rr, cc, uu = r3[valid], c3[valid], u[valid]
        grp = rr * C + cc if per_crit else rr
        n_grp = R * C if per_crit else R
        cnt = np.bincount(grp, minlength=n_grp).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            mu = np.bincount(grp, weights=uu, minlength=n_grp) / cnt
            sd = np.sqrt(np.bincount(grp, weights=(uu - mu[grp]) ** 2, minlength=n_grp) / cnt)
        pool = cc if per_crit else np.zeros(len(uu), dtype=np.intp)
        n_pool = C if per_crit else 1
        pcnt = np.bincount(pool, minlength=n_pool).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            pmu = np.bincount(pool, weights=uu, minlength=n_pool) / pcnt
            psd = np.sqrt(np.bincount(pool, weights=(uu - pmu[pool]) ** 2, minlength=n_pool) / pcnt)
        n_apps_rev = np.array([(data.rev == r).any(axis=1).sum() for r in range(R)])
        free = n_apps_rev >= min_apps
        flat = sd[grp] <= 1e-12
        with np.errstate(invalid="ignore", divide="ignore"):
            z = (uu - mu[grp]) / sd[grp]
        cal = np.where(flat, uu - mu[grp] + pmu[pool], pmu[pool] + psd[pool] * np.where(flat, 0.0, z))
        cal = np.where(free[rr], cal, uu)
        x = np.full(u.shape, np.nan)
        x[valid] = cal
        return x, ones
    # Internal invariant: every method of METHODS is handled above (options are checked earlier).
    raise ValueError(f"method '{method}' は安定性分析の平均型の計算に対応していません")


def _weighted_location(
    x: FloatArray, w: FloatArray, draws: npt.NDArray[np.intp], mask: npt.NDArray[np.bool_]
) -> FloatArray:
    """Σ ω x / Σ ω over the drawn slots: (B × A × J) draws → (B × A × C) values.

    Accumulated one draw slot at a time (the same additions in the same order as a sum
    over the slot axis, so the same numbers) without the B × A × J × C arrays, which
    at 1,741 applications would take gigabytes."""
    A, J, C = x.shape
    valid = ~np.isnan(x)
    wx = np.where(valid, w * x, 0.0).reshape(A * J, C)  # ω x of a slot (0 where no score)
    wv = np.where(valid, w, 0.0).reshape(A * J, C)
    base = (np.arange(A) * J)[None, :]
    num: FloatArray | None = None
    den: FloatArray | None = None
    for j in range(draws.shape[2]):
        flat = base + draws[:, :, j]  # B × A slot numbers
        drawn = mask[:, :, j, None]
        term = np.where(drawn, np.take(wx, flat, axis=0), 0.0)  # B × A × C
        wj = np.where(drawn, np.take(wv, flat, axis=0), 0.0)
        if num is None or den is None:
            num, den = term, wj
        else:
            num += term
            den += wj
    if num is None or den is None:
        return np.full((draws.shape[0], A, x.shape[2]), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def _order_statistic_location(
    u: FloatArray,
    draws: npt.NDArray[np.intp],
    mask: npt.NDArray[np.bool_],
    kind: str,
    proportion: float,
    chunk: int = 64,
) -> FloatArray:
    """Median or trimmed mean of the drawn scores (B × A × C), ``chunk`` resamples at a
    time (the sort needs B × A × J × C numbers)."""
    if draws.shape[0] > chunk:
        return np.concatenate(
            [
                _order_statistic_location(
                    u, draws[b : b + chunk], mask[b : b + chunk], kind, proportion, chunk
                )
                for b in range(0, draws.shape[0], chunk)
            ]
        )
    A = u.shape[0]
    ai = np.arange(A)[None, :, None]
    xb = np.where(mask[:, :, :, None], u[ai, draws], np.nan)  # B × A × J × C
    xs = np.sort(xb, axis=2)  # NaN last
    n = (~np.isnan(xs)).sum(axis=2)  # B × A × C
    pos = np.arange(xs.shape[2])[None, None, :, None]
    if kind == "median":
        lo = np.clip((n - 1) // 2, 0, None)
        hi = np.clip(n // 2, 0, None)
        a = np.take_along_axis(xs, lo[:, :, None, :], axis=2)[:, :, 0, :]
        b = np.take_along_axis(xs, hi[:, :, None, :], axis=2)[:, :, 0, :]
        return np.where(n > 0, (a + b) / 2.0, np.nan)
    k = (proportion * n).astype(np.intp)
    keep = (pos >= k[:, :, None, :]) & (pos < (n - k)[:, :, None, :])
    h = (n - 2 * k).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(h > 0, np.where(keep, xs, 0.0).sum(axis=2) / h, np.nan)


class StabilityAnalysis:
    """Bootstrap, weight and method perturbation of the whole selection.

    Parameters
    ----------
    n_boot : int, default 1000
        Number of resamples.
    weight_ranges : dict, optional
        Criterion id → (low, high) 配点 range; each resample draws uniformly within it.
        Criteria left out keep the rubric's weight. ``None``: weights fixed.
    methods : sequence of str, optional
        Combiner methods to switch between (one drawn per resample). Default: the baseline
        method only (issue 20: mixing methods that ignore leniency made P(selected) no
        probability; ``benchmarks/bench_uncertainty.py``).
    method_options : dict, optional
        Method → options for :func:`scoring.combine.make_combiner` (e.g.
        ``{"trimmed": {"proportion": 0.2}}``). ``confidence`` weights are not supported.
    seed : int, default 0
        Seed of :func:`numpy.random.default_rng`; the same seed gives the same result.
    interval : float, default 0.9
        Coverage of the rank interval (0.9: the 5 % and 95 % quantiles).
    border : (float, float), default (0.1, 0.9)
        An applicant is in the border zone (当落線上) when low < p_selected < high, i.e.
        selected in more than 10 % but fewer than 90 % of the resamples.
    baseline_method : str, optional
        Method of the baseline (the proposal the committee sees): all the scores, the
        rubric's weights. Default :data:`scoring.combine.DEFAULT_METHOD` (what
        ``python -m scoring select`` uses); it need not be one of ``methods``.

    Attributes (after :meth:`fit`)
    -------------------------------
    table_ : DataFrame
        Index ``application`` (all candidates, baseline score order); columns
        :data:`STABILITY_COLUMNS`: ``prefecture_name``; ``total`` and ``rank`` of the
        baseline (the combine module's totals with ``baseline_method`` and the rubric
        weights; rank among eligible applicants); ``baseline_selected`` (bool);
        ``p_selected`` (share of resamples in which the applicant is selected; infeasible
        resamples count as not selected); ``rank_median``, ``rank_lo``, ``rank_hi`` (rank
        among eligible applicants over the resamples, quantiles of ``interval``; NaN for
        ineligible); ``border`` (bool).
    summary_ : dict
        ``n_boot``, ``n_infeasible``, ``k``, ``baseline`` (ids), ``baseline_frequency``
        (share of resamples that select exactly the baseline list), ``mean_overlap``
        (average share of the baseline list kept in a resample), ``methods`` (method →
        number of resamples), ``interval``, ``border``, ``seed``.
    selections_ : Series
        Index: selections as ids joined with ","; values: share of resamples; most frequent
        first. Name ``frequency``.
    totals_ : DataFrame
        Resamples × applications (candidates): the totals of every resample.
    method_draws_ : ndarray of str
        The method of every resample.
    """

    def __init__(
        self,
        n_boot: int = 1000,
        weight_ranges: Mapping[str, tuple[float, float]] | None = None,
        methods: Sequence[str] | None = None,
        method_options: Mapping[str, Mapping[str, Any]] | None = None,
        seed: int = 0,
        interval: float = 0.9,
        border: tuple[float, float] = (0.1, 0.9),
        baseline_method: str | None = None,
    ):
        self.n_boot = n_boot
        self.baseline_method = baseline_method
        self.weight_ranges = weight_ranges
        self.methods = methods
        self.method_options = method_options
        self.seed = seed
        self.interval = interval
        self.border = border

    def _check(self, rubric: Rubric) -> tuple[list[str], dict[str, tuple[float, float]]]:
        if isinstance(self.n_boot, bool) or not isinstance(self.n_boot, (int, np.integer)) or self.n_boot < 1:
            raise OptionError(f"n_boot は 1 以上の整数にしてください（指定: {self.n_boot!r}）")
        base = self.baseline_method if self.baseline_method is not None else DEFAULT_METHOD
        methods = _method_list(self.methods, base)
        bad = [m for m in methods if m not in METHODS]
        if not methods or bad:
            raise OptionError(
                f"methods に使えない方法があります: {', '.join(map(str, bad)) or '（空）'}。使える method: {', '.join(METHODS)}"
            )
        for m, opts in (self.method_options or {}).items():
            if m not in METHODS:
                raise OptionError(
                    f"method_options の '{m}' は方法ではありません。使える method: {', '.join(METHODS)}"
                )
            if "confidence" in opts:
                raise OptionError("安定性分析では confidence（重み付き採点）は使えません")
        if not 0 < self.interval < 1:
            raise OptionError(f"interval は 0 と 1 の間にしてください（指定: {self.interval!r}）")
        lo, hi = self.border
        if not 0 <= lo < hi <= 1:
            raise OptionError(f"border は 0 ≤ 下限 < 上限 ≤ 1 にしてください（指定: {self.border!r}）")
        crits = [c.id for c in rubric.criteria]
        ranges: dict[str, tuple[float, float]] = {}
        for cid, rng in (self.weight_ranges or {}).items():
            if cid not in crits:
                raise OptionError(
                    f"weight_ranges の評価項目 '{cid}' はルーブリックにありません。使える評価項目: {', '.join(crits)}"
                )
            a, b = float(rng[0]), float(rng[1])
            if not (np.isfinite(a) and np.isfinite(b) and 0 <= a <= b):
                raise OptionError(
                    f"weight_ranges['{cid}'] は 0 ≤ 下限 ≤ 上限 の数の組にしてください（指定: {rng!r}）"
                )
            ranges[cid] = (a, b)
        if base not in METHODS:
            raise OptionError(f"baseline_method '{base}' はありません。使える method: {', '.join(METHODS)}")
        return list(dict.fromkeys(methods)), ranges

    def fit(
        self,
        scores: pd.DataFrame,
        rubric: Rubric,
        candidates: pd.DataFrame,
        k: int | SelectSpec | tuple[int, ...],
        balance: Balance | None = None,
        *,
        locks: Iterable[str] = (),
        exclusions: Iterable[str] = (),
        overrides: Iterable[str] = (),
    ) -> StabilityAnalysis:
        """Run the resamples.

        Parameters
        ----------
        scores : DataFrame
            The canonical long score table (``application, reviewer, criterion, score``).
        rubric : Rubric
        candidates : DataFrame
            As for :func:`scoring.selection.select` (its ``total`` column, if any, is ignored).
        k, balance, locks, exclusions, overrides
            As for :func:`scoring.selection.select` (a range of k uses its target).

        Returns
        -------
        StabilityAnalysis
            ``self``.
        """
        methods, ranges = self._check(rubric)
        opts = {m: dict((self.method_options or {}).get(m, {})) for m in methods}
        data = _Reviews(scores, rubric)
        kk = _as_k(k)
        cand = candidates.copy()
        cand.index = cand.index.astype(str)
        cand = cand.sort_index()
        selector = FastSelector(cand, kk, balance, locks=locks, exclusions=exclusions, overrides=overrides)
        ids = selector.ids
        app_pos = {a: i for i, a in enumerate(data.apps)}
        cols = np.array([app_pos.get(i, -1) for i in ids])
        fitted, loc = _calibrate_methods(methods, opts, data, scores, rubric)

        B = int(self.n_boot)
        method_idx, W, draws = self._draws(len(methods), rubric, data, ranges)
        totals_apps = _resample_totals(methods, opts, loc, data, draws, method_idx, W)  # B × A
        totals = np.where(cols[None, :] >= 0, totals_apps[:, np.maximum(cols, 0)], np.nan)  # B × candidates
        selected, infeasible, sets = _select_each(selector, totals)
        ranks = _ranks(selector._avail[None, :] & np.isfinite(totals), totals)

        # --- baseline: baseline method, rubric weights, all reviews -------------------------
        base_method = self.baseline_method if self.baseline_method is not None else DEFAULT_METHOD
        base_vec = self._baseline_totals(base_method, fitted, scores, rubric, ids)
        base_sel = selector.select(base_vec)
        self.table_ = self._table(
            cand, ids, base_vec, base_sel, selector._avail & np.isfinite(base_vec), selected, ranks
        )
        base_set = tuple(sorted(base_sel)) if base_sel is not None else None
        overlap = (selected[:, base_sel].sum(axis=1) / kk).mean() if base_sel else float("nan")
        self.summary_ = {
            "n_boot": B,
            "n_infeasible": infeasible,
            "k": kk,
            "baseline": [ids[i] for i in base_sel] if base_sel is not None else None,
            "baseline_method": base_method,
            "baseline_frequency": sets.get(base_set, 0) / B if base_set is not None else 0.0,
            "mean_overlap": float(overlap),
            "methods": {m: int((method_idx == i).sum()) for i, m in enumerate(methods)},
            "interval": self.interval,
            "border": self.border,
            "seed": self.seed,
        }
        self.selections_ = pd.Series(
            {",".join(ids[i] for i in s): c / B for s, c in sets.most_common()}, name="frequency", dtype=float
        )
        self.selections_.index.name = "selection"
        self.totals_ = pd.DataFrame(totals, columns=pd.Index(ids, name="application"))
        self.totals_.index.name = "resample"
        self.method_draws_ = np.array(methods, dtype=object)[method_idx]
        return self

    def _draws(
        self, n_methods: int, rubric: Rubric, data: _Reviews, ranges: Mapping[str, tuple[float, float]]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The seeded draws of every resample, in this order: its combining method (index),
        its criterion weights (B × criteria; the rubric's, or uniform within ``ranges``) and
        its reviews (B × applications × reviews, indices drawn with replacement)."""
        rng = np.random.default_rng(self.seed)
        B = int(self.n_boot)
        method_idx = rng.integers(0, n_methods, B)
        base_w = rubric.weights().reindex(data.crits).to_numpy(dtype=float)
        W = np.tile(base_w, (B, 1))
        for cid, (a, b) in ranges.items():
            W[:, data.crits.index(cid)] = rng.uniform(a, b, B)
        A, J, _ = data.u.shape
        draws = (rng.random((B, A, J)) * data.n[None, :, None]).astype(np.intp)
        return method_idx, W, draws

    def _baseline_totals(
        self, base_method: str, fitted: dict[str, Any], scores: pd.DataFrame, rubric: Rubric, ids: list[str]
    ) -> FloatArray:
        """The baseline method's totals (rubric weights, all reviews) of the candidates ``ids``."""
        if base_method not in fitted:
            fitted[base_method] = make_combiner(
                base_method, **dict((self.method_options or {}).get(base_method, {}))
            ).fit(scores, rubric)
        base_tot = fitted[base_method].totals()["total"]
        base_tot.index = base_tot.index.astype(str)
        return np.asarray(base_tot.reindex(ids).to_numpy(dtype=float), dtype=float)

    def _table(
        self,
        cand: pd.DataFrame,
        ids: list[str],
        base_vec: FloatArray,
        base_sel: list[int] | None,
        base_avail: npt.NDArray[np.bool_],
        selected: npt.NDArray[np.bool_],
        ranks: FloatArray,
    ) -> pd.DataFrame:
        """:attr:`table_`: the baseline's total, rank and selection with the resampled
        frequency and rank interval of every candidate, in the baseline's rank order."""
        n_cand = len(ids)
        base_units = np.where(base_avail, np.round(np.nan_to_num(base_vec) * 10**4), -np.inf)
        base_rank = _ranks(base_avail[None, :], base_vec[None, :])[0]

        q = (1 - self.interval) / 2
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            r_med = np.nanmedian(ranks, axis=0)
            r_lo = np.nanquantile(ranks, q, axis=0, method="inverted_cdf")
            r_hi = np.nanquantile(ranks, 1 - q, axis=0, method="inverted_cdf")
        p = selected.mean(axis=0)
        lo, hi = self.border
        names = (
            cand["prefecture_name"].reindex(ids)
            if "prefecture_name" in cand.columns
            else pd.Series(ids, index=ids)
        )
        table = pd.DataFrame(
            {
                "prefecture_name": names.to_numpy(),
                "total": base_vec,
                "rank": pd.array([int(x) if np.isfinite(x) else pd.NA for x in base_rank], dtype="Int64"),
                "baseline_selected": np.isin(np.arange(n_cand), base_sel or []),
                "p_selected": p,
                "rank_median": r_med,
                "rank_lo": r_lo,
                "rank_hi": r_hi,
                "border": (p > lo) & (p < hi),
            },
            index=pd.Index(ids, name="application"),
        )
        sort_key = np.where(np.isfinite(base_units), -base_units, np.inf)
        return table.iloc[np.lexsort((np.arange(n_cand), sort_key))]


def _method_list(methods: Sequence[str] | str | None, base: str) -> list[str]:
    """The methods to draw from: ``base`` alone by default (None), else as given."""
    if methods is None:
        return [base]
    return [methods] if isinstance(methods, str) else list(methods)


def _calibrate_methods(
    methods: list[str],
    opts: Mapping[str, Mapping[str, Any]],
    data: _Reviews,
    scores: pd.DataFrame,
    rubric: Rubric,
) -> tuple[dict[str, Any], dict[str, tuple[FloatArray, FloatArray]]]:
    """Fit every method once on all the scores; the fitted combiners, and for the mean-type
    methods the calibrated scores and weights (:func:`_calibrated`). Each method's fast
    computation on the identity draw is checked against the combine module."""
    fitted: dict[str, Any] = {}
    loc: dict[str, tuple[FloatArray, FloatArray]] = {}
    A, J, _C = data.u.shape
    identity = np.broadcast_to(np.arange(J)[None, None, :], (1, A, J)).copy()
    id_mask = identity < data.n[None, :, None]
    for m in methods:
        comb = make_combiner(m, **opts[m]).fit(scores, rubric)
        fitted[m] = comb
        ref = (
            comb.criterion_values_.reindex(index=data.apps, columns=data.crits).to_numpy(dtype=float)
            - data.mins
        ) / data.widths
        if m in _MEAN_TYPE:
            loc[m] = _calibrated(m, comb, data, opts[m])
            mine = _weighted_location(*loc[m], identity, id_mask)[0]
        else:
            proportion = float(opts[m].get("proportion", 0.25))
            mine = _order_statistic_location(data.u, identity, id_mask, m, proportion)[0]
        both = np.isnan(ref) & np.isnan(mine)
        if not np.all(both | (np.abs(ref - mine) <= 1e-9)):
            raise RuntimeError(
                f"安定性分析の高速計算が combine の '{m}' と一致しません（オプションを確認してください）"
            )
    return fitted, loc


def _resample_totals(
    methods: list[str],
    opts: Mapping[str, Mapping[str, Any]],
    loc: Mapping[str, tuple[FloatArray, FloatArray]],
    data: _Reviews,
    draws: npt.NDArray[np.intp],
    method_idx: npt.NDArray[np.intp],
    W: FloatArray,
) -> FloatArray:
    """Criterion values (B × A × C on 0–1) and totals (B × A) of every resample, in blocks
    of resamples, so that the B × A × C arrays stay small (same numbers)."""
    B = len(draws)
    A, J, C = data.u.shape
    mask = np.arange(J)[None, None, :] < data.n[None, :, None]
    totals_apps = np.empty((B, A))  # B × A
    step = max(1, 2_000_000 // max(A * C, 1))
    for b0 in range(0, B, step):
        block = slice(b0, min(B, b0 + step))
        values = np.full((block.stop - b0, A, C), np.nan)
        for mi, m in enumerate(methods):
            sel = np.flatnonzero(method_idx[block] == mi)
            if not len(sel):
                continue
            d = draws[block][sel]
            if m in _MEAN_TYPE:
                values[sel] = _weighted_location(*loc[m], d, np.broadcast_to(mask, (len(sel), A, J)))
            else:
                values[sel] = _order_statistic_location(
                    data.u,
                    d,
                    np.broadcast_to(mask, (len(sel), A, J)),
                    m,
                    float(opts[m].get("proportion", 0.25)),
                )
        totals_apps[block] = _weighted_totals(values, W[block])
    return totals_apps


def _select_each(
    selector: FastSelector, totals: FloatArray
) -> tuple[npt.NDArray[np.bool_], int, Counter[tuple[int, ...]]]:
    """The selection of every resample (B × candidates), the number of infeasible ones and
    how often each selection occurs."""
    B, n_cand = totals.shape
    selected = np.zeros((B, n_cand), dtype=bool)
    infeasible = 0
    sets: Counter[tuple[int, ...]] = Counter()
    hint: list[int] | None = None
    for b in range(B):
        s = selector.select(totals[b], hint)  # the previous selection speeds up the search
        if s is None:
            infeasible += 1
            continue
        hint = s
        selected[b, s] = True
        sets[tuple(sorted(s))] += 1
    return selected, infeasible, sets


def _ranks(avail: npt.NDArray[np.bool_], totals: FloatArray) -> FloatArray:
    """Rank of every candidate in every resample (by the total at 4 decimals; equal totals
    share the smallest rank, as :func:`scoring.core.columns.rank_totals`); NaN where not available."""
    units = np.where(avail, np.round(np.nan_to_num(totals) * 10**4), -np.inf)
    neg = np.sort(-units, axis=1)  # ascending: best first
    ranks = np.array([np.searchsorted(neg[b], -units[b], side="left") + 1.0 for b in range(len(units))])
    return np.where(avail, ranks.reshape(units.shape), np.nan)


def _weighted_totals(values: FloatArray, W: FloatArray) -> FloatArray:
    """Totals on 0–100 from 0–1 criterion values (B × A × C) and weights (B × C), like
    :meth:`scoring.combine.Combiner.totals`: weights renormalised to 100; NaN when a
    criterion with a positive weight has no value."""
    Wn = W * (100.0 / W.sum(axis=1, keepdims=True))
    used = Wn > 0
    contrib = np.where(used[:, None, :], values, 0.0) * Wn[:, None, :]
    total = contrib.sum(axis=2)
    missing = (np.isnan(values) & used[:, None, :]).any(axis=2)
    return np.where(missing, np.nan, total)


def stability(
    scores: pd.DataFrame,
    rubric: Rubric,
    candidates: pd.DataFrame,
    k: int | SelectSpec | tuple[int, ...],
    balance: Balance | None = None,
    *,
    n_boot: int = 1000,
    weight_ranges: Mapping[str, tuple[float, float]] | None = None,
    methods: Sequence[str] | None = None,
    method_options: Mapping[str, Mapping[str, Any]] | None = None,
    seed: int = 0,
    interval: float = 0.9,
    border: tuple[float, float] = (0.1, 0.9),
    baseline_method: str | None = None,
    locks: Iterable[str] = (),
    exclusions: Iterable[str] = (),
    overrides: Iterable[str] = (),
) -> pd.DataFrame:
    """How stable the selection is: p(selected) and a rank interval for every applicant.

    Shortcut for ``StabilityAnalysis(...).fit(...).table_``; see :class:`StabilityAnalysis`
    for the parameters and for what is resampled, what is held fixed and the columns.
    The summary (baseline list, how often exactly that list is selected, …) is in
    ``result.attrs["summary"]`` and the most frequent selections in
    ``result.attrs["selections"]`` (a dict selection → share).
    """
    an = StabilityAnalysis(
        n_boot=n_boot,
        weight_ranges=weight_ranges,
        methods=methods,
        method_options=method_options,
        seed=seed,
        interval=interval,
        border=border,
        baseline_method=baseline_method,
    )
    an.fit(scores, rubric, candidates, k, balance, locks=locks, exclusions=exclusions, overrides=overrides)
    out = an.table_.copy()
    out.attrs["summary"] = dict(an.summary_)
    out.attrs["selections"] = an.selections_.head(10).to_dict()
    return out


def stability_round(rnd: ReviewRound, scores: pd.DataFrame, **options: Any) -> pd.DataFrame:
    """:func:`stability` with the round's applications and settings (``select``, ``balance``,
    ``locks``, ``exclusions``, ``eligibility_override`` of round.yaml).

    ``options`` are the keyword options of :func:`stability` (``n_boot``, ``weight_ranges``,
    ``methods``, ``seed``, ``baseline_method`` …).
    """
    cfg = rnd.config
    cand = candidates_frame(pd.Series(np.nan, index=rnd.applications.index, name="total"), rnd.applications)
    return stability(
        scores,
        rnd.rubric,
        cand,
        cfg.select,
        cfg.balance,
        locks=cfg.locks,
        exclusions=cfg.exclusions,
        overrides=cfg.eligibility_override,
        **options,
    )
