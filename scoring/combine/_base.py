"""The common base of the combiners: :class:`Combiner` (the scikit-learn estimator face),
the shared per-cell statistics and the checks of options.

All combiners share one API (scikit-learn estimator style)::

    comb = make_combiner("additive").fit(scores, rubric)
    comb.criterion_values_          # application × criterion, on the rubric scale (1–5)
    comb.totals()                   # weighted totals on 0–100, ranked
    comb.totals(new_weights)        # after a change of 配点: no refit

A subclass sets :attr:`Combiner.method` and implements ``_fit_values`` (the calibrated
values and their SEs on the 0–1 mapped scale); the base validates the score table
(:func:`scoring.combine._data._prepare`), handles degenerate reviewers and the graph, and
computes the totals.

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
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError

from ..config.rubric import Rubric
from ..core.columns import rank_totals
from ..core.errors import OptionError
from ._data import _TOL, FloatArray, IntArray, _Data, _listing, _prepare

#: Allowed values of the ``calibrate`` option (zscore, additive).
CALIBRATIONS: tuple[str, ...] = ("overall", "criterion")

_NO_DOF = (
    "点数の数に対して推定する値が多く、残差の自由度がありません。標準誤差は補正後の点数のばらつき"
    "（標準偏差 ÷ √審査員数）で近似しました。"
)


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
        """Validate the options (raise :class:`~scoring.core.errors.OptionError` listing the allowed values)."""

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
                + (
                    "甘辛を推定できないため、素点のまま使いました（補正なし）。"
                    if self._calibrates
                    else f"{self._single_action()}。"
                )
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
        self.criterion_se_ = pd.DataFrame(
            se_u * data.widths, index=data.apps.copy(), columns=crit_index.copy()
        )
        n_rev = np.bincount(np.unique(data.a * data.n_revs + data.r) // data.n_revs, minlength=data.n_apps)
        self.n_reviewers_ = pd.Series(n_rev.astype(np.int64), index=data.apps.copy(), name="n_reviewers")
        self.n_scores_ = pd.Series(
            np.bincount(data.r, minlength=data.n_revs).astype(np.int64),
            index=data.revs.copy(),
            name="n_scores",
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
        adj = sparse.coo_matrix((np.ones(len(pairs)), (pa, data.n_apps + pr)), shape=(n_nodes, n_nodes))
        _, labels = connected_components(adj, directed=False)
        # Applications and reviewers without any score belong to no piece (component -1).
        degree = np.bincount(pa, minlength=data.n_apps), np.bincount(pr, minlength=data.n_revs)
        labels = np.where(np.concatenate(degree) > 0, labels, -1)
        app_lab = labels[: data.n_apps]
        rev_lab = labels[data.n_apps :]
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
            raise OptionError(
                "weights には評価項目 ID → 配点の pandas.Series か dict を渡してください"
                f"（渡されたのは {type(weights).__name__}）。"
            )
        keys = [str(k) for k in ws.index]
        pos = {cid: j for j, cid in enumerate(crits)}
        unknown = [k for k in keys if k not in pos]
        if unknown:
            raise OptionError(
                f"配点にルーブリックにない評価項目があります: {', '.join(unknown)}。使える評価項目: {', '.join(crits)}。"
            )
        if len(set(keys)) != len(keys):
            raise OptionError("配点に同じ評価項目が複数回あります。評価項目ごとに1つにしてください。")
        vals = pd.to_numeric(pd.Series(ws.to_numpy(), dtype=object), errors="coerce").to_numpy(
            dtype=float, na_value=np.nan
        )
        bad = [k for k, v in zip(keys, vals, strict=True) if not (np.isfinite(v) and v >= 0)]
        if bad:
            raise OptionError(f"配点は 0 以上の数値にしてください（{', '.join(bad)}）。")
        vec = np.zeros(len(crits))
        vec[[pos[k] for k in keys]] = vals
        total = vec.sum()
        if not total > 0:
            raise OptionError("配点の合計が 0 です。少なくとも1つの評価項目に正の配点を付けてください。")
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


def _check_choice(name: str, value: object, allowed: Sequence[str]) -> None:
    if not isinstance(value, str) or value not in allowed:
        raise OptionError(f"{name} は {', '.join(allowed)} のどれかにしてください（指定: {value!r}）。")


def _check_nonneg(name: str, value: object) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not (math.isfinite(float(value)) and float(value) >= 0)
    ):
        raise OptionError(f"{name} は 0 以上の数にしてください（指定: {value!r}）。")


def _check_min_apps(value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or int(value) < 2:
        raise OptionError(f"min_applications は 2 以上の整数にしてください（指定: {value!r}）。")
