"""The score table, validated and coded as arrays (shared by every combiner).

:func:`_prepare` checks the canonical long score table against the rubric (Japanese
messages naming the rows: empty ids, unknown criteria, non-numeric scores, scores off the
scale, duplicates, bad confidence weights) and returns :class:`_Data`, one entry per score,
plus the warnings about unfinished and partly scored applications.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..config.rubric import Rubric
from ..core.errors import NoScoresError, OptionError, ScoreTableError
from ..core.schema import require_score_table

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
        raise OptionError(
            f"rubric には scoring.Rubric を渡してください（渡されたのは {type(rubric).__name__}）。"
            "load_round(...).rubric または load_rubric(...) で読み込めます。"
        )
    require_score_table(scores, what="scores（点数の表）")
    crit_ids = [c.id for c in rubric.criteria]
    _check_ids(scores)
    app_col = scores["application"].astype(str).to_numpy()
    rev_col = scores["reviewer"].astype(str).to_numpy()
    crit_col = scores["criterion"].astype(str).to_numpy()
    c_all = _criterion_codes(crit_col, crit_ids, rubric)
    s_all = _numeric_scores(scores, app_col, rev_col, crit_col)

    # Integer codes; every application and reviewer of the table is kept, even one whose
    # scores are all empty (it then has no values and no total).
    a_all, app_uni = pd.factorize(app_col, sort=True)
    r_all, rev_uni = pd.factorize(rev_col, sort=True)
    apps = pd.Index([str(x) for x in app_uni], name="application")
    revs = pd.Index([str(x) for x in rev_uni], name="reviewer")

    warnings = _unfinished_warnings(s_all, r_all * len(apps) + a_all, apps, revs)
    keep = ~np.isnan(s_all)
    if not keep.any():
        raise NoScoresError(
            "点数がひとつもありません（すべて空欄か、表が空です）。採点結果を読み込んでください。"
        )
    a, r, c, s = a_all[keep].astype(np.intp), r_all[keep].astype(np.intp), c_all[keep], s_all[keep]
    index_kept = scores.index[keep]

    scales = [cr.effective_scale for cr in rubric.criteria]
    mins = np.array([sc.min for sc in scales], dtype=float)
    maxs = np.array([sc.max for sc in scales], dtype=float)
    steps = np.array([sc.step for sc in scales], dtype=float)
    widths = maxs - mins
    _check_on_scale(s, c, (mins, maxs, steps), index_kept, app_col[keep], rev_col[keep], crit_ids)
    _check_duplicates(a, r, c, apps, revs, crit_ids)
    u = (s - mins[c]) / widths[c]
    w = _confidence_weights(confidence, scores, keep, revs, r)
    warnings += _coverage_warnings(a, r, c, apps, revs, crit_ids)

    data = _Data(
        apps=apps,
        revs=revs,
        crits=crit_ids,
        a=a,
        r=r,
        c=c,
        s=s,
        u=u,
        w=w.astype(float),
        mins=mins,
        widths=widths,
        ref_width=float(rubric.scale.max - rubric.scale.min),
    )
    return data, warnings


def _check_ids(scores: pd.DataFrame) -> None:
    """Every row names its application, reviewer and criterion."""
    for col, ja in (("application", "応募書"), ("reviewer", "審査員"), ("criterion", "評価項目")):
        bad = scores.index[scores[col].isna().to_numpy()]
        if len(bad):
            raise ScoreTableError(
                f"点数の表の列 {col}（{ja}）が空の行があります: "
                f"{_listing([_row_label(i) for i in bad])}。{ja}を記入してください。"
            )


def _criterion_codes(crit_col: npt.NDArray[np.object_], crit_ids: list[str], rubric: Rubric) -> IntArray:
    """Position of every row's criterion in the rubric; every criterion must be the rubric's."""
    c_all = pd.Index(crit_ids).get_indexer(pd.Index(crit_col)).astype(np.intp)
    if (c_all < 0).any():
        unknown = sorted({str(x) for x in crit_col[c_all < 0]})
        raise ScoreTableError(
            f"点数の表にルーブリック（{rubric.id}）にない評価項目があります: {', '.join(unknown)}。"
            f"使える評価項目: {', '.join(crit_ids)}。"
        )
    return c_all


def _numeric_scores(
    scores: pd.DataFrame,
    app_col: npt.NDArray[np.object_],
    rev_col: npt.NDArray[np.object_],
    crit_col: npt.NDArray[np.object_],
) -> FloatArray:
    """The scores as floats (NaN = empty); a score that is not a finite number is an error."""
    raw = scores["score"]
    numeric = pd.to_numeric(raw, errors="coerce")
    if raw.dtype == bool:
        numeric = pd.Series(np.nan, index=raw.index)
    bad_mask = (numeric.isna() & raw.notna()).to_numpy()
    if bad_mask.any():
        rows = [
            f"{_row_label(i)}（応募書 {a} / 審査員 {r} / {c}: {v!r}）"
            for i, a, r, c, v in zip(
                scores.index[bad_mask],
                app_col[bad_mask],
                rev_col[bad_mask],
                crit_col[bad_mask],
                raw[bad_mask],
                strict=True,
            )
        ]
        raise ScoreTableError(f"点数が数値ではありません: {_listing(rows)}。1〜5 などの数値にしてください。")
    s_all = numeric.to_numpy(dtype=float, na_value=np.nan)
    if np.isinf(s_all).any():
        raise ScoreTableError("点数に無限大があります。尺度の数値にしてください。")
    return np.asarray(s_all, dtype=float)


def _unfinished_warnings(s_all: FloatArray, pair_all: IntArray, apps: pd.Index, revs: pd.Index) -> list[str]:
    """Warnings about missing (unfinished) scores; ``pair_all`` is reviewer · A + application."""
    warnings: list[str] = []
    n_a = len(apps)
    is_nan = np.isnan(s_all)
    if is_nan.any():
        warnings.append(f"点数が空欄の行が {int(is_nan.sum())} 件あります（未採点）。計算から除きました。")
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
    return warnings


def _check_on_scale(
    s: FloatArray,
    c: IntArray,
    scale: tuple[FloatArray, FloatArray, FloatArray],
    index_kept: pd.Index,
    app_col: npt.NDArray[np.object_],
    rev_col: npt.NDArray[np.object_],
    crit_ids: list[str],
) -> None:
    """Every score lies on its criterion's scale (``scale``: minimums, maximums, steps)."""
    mins, maxs, steps = scale
    k = (s - mins[c]) / steps[c]
    off = (s < mins[c] - _TOL) | (s > maxs[c] + _TOL) | (np.abs(k - np.round(k)) > 1e-6)
    if off.any():
        rows = [
            f"{_row_label(i)}（応募書 {ap} / 審査員 {rv} / {crit_ids[j]}: {_fmt(v)}、尺度 "
            f"{_fmt(mins[j])}〜{_fmt(maxs[j])} 刻み {_fmt(steps[j])}）"
            for i, ap, rv, j, v in zip(
                index_kept[off], app_col[off], rev_col[off], c[off], s[off], strict=True
            )
        ]
        raise ScoreTableError(f"尺度にない点数があります: {_listing(rows)}。採点表を確認してください。")


def _check_duplicates(
    a: IntArray, r: IntArray, c: IntArray, apps: pd.Index, revs: pd.Index, crit_ids: list[str]
) -> None:
    """At most one score per application, reviewer and criterion."""
    n_a, n_c = len(apps), len(crit_ids)
    key = (r * n_a + a) * n_c + c
    order = np.argsort(key, kind="stable")
    same = key[order][1:] == key[order][:-1]
    if same.any():
        dup_keys = np.unique(key[order][1:][same])
        rows = [
            f"応募書 {apps[(kk // n_c) % n_a]} / 審査員 {revs[kk // (n_c * n_a)]} / {crit_ids[kk % n_c]}"
            for kk in dup_keys
        ]
        raise ScoreTableError(
            f"同じ応募書・審査員・評価項目の点数が複数あります: {_listing(rows)}。"
            "最新の1件だけを残してください。"
        )


def _confidence_weights(
    confidence: object, scores: pd.DataFrame, keep: npt.NDArray[np.bool_], revs: pd.Index, r: IntArray
) -> FloatArray:
    """One weight per kept score: 1 without ``confidence``, else from a column or per reviewer."""
    if confidence is None:
        return np.ones(len(r))
    if isinstance(confidence, str):
        return _column_weights(confidence, scores, keep)
    if isinstance(confidence, Mapping | pd.Series):
        return _reviewer_weights(confidence, revs)[r]
    raise OptionError(
        "confidence には None、点数の表の列名（str）、または審査員 ID → 重みの対応"
        f"（dict / pandas.Series）を渡してください（渡されたのは {type(confidence).__name__}）。"
    )


def _column_weights(column: str, scores: pd.DataFrame, keep: npt.NDArray[np.bool_]) -> FloatArray:
    """Weights per score from a column of the score table (positive numbers)."""
    if column not in scores.columns:
        raise OptionError(
            f"confidence に指定した列 '{column}' が点数の表にありません。"
            f"列名か、審査員ごとの重み（審査員 ID → 重み）を指定してください。"
        )
    wv = pd.to_numeric(scores[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)[keep]
    bad_w = ~np.isfinite(wv) | (wv <= 0)
    if bad_w.any():
        rows = [
            f"{_row_label(i)}（{_fmt(v) if np.isfinite(v) else '空欄'}）"
            for i, v in zip(scores.index[keep][bad_w], wv[bad_w], strict=True)
        ]
        raise OptionError(f"confidence 列 '{column}' の重みは正の数にしてください: {_listing(rows)}。")
    return np.asarray(wv, dtype=float)


def _reviewer_weights(confidence: Mapping[object, object] | pd.Series, revs: pd.Index) -> FloatArray:
    """Weights per reviewer (in the order of ``revs``) from a mapping reviewer → weight."""
    cw = pd.Series(confidence, dtype=float) if not isinstance(confidence, pd.Series) else confidence
    cw.index = cw.index.astype(str)
    lacking = [rv for rv in revs if rv not in cw.index]
    if lacking:
        raise OptionError(
            f"confidence に審査員 {_listing(lacking)} の重みがありません。全審査員の重みを指定してください。"
        )
    wv = pd.to_numeric(cw, errors="coerce").reindex(revs).to_numpy(dtype=float, na_value=np.nan)
    bad_r = [rv for rv, v in zip(revs, wv, strict=True) if not (np.isfinite(v) and v > 0)]
    if bad_r:
        raise OptionError(f"confidence の重みは正の数にしてください（審査員 {_listing(bad_r)}）。")
    return np.asarray(wv, dtype=float)


def _coverage_warnings(
    a: IntArray, r: IntArray, c: IntArray, apps: pd.Index, revs: pd.Index, crit_ids: list[str]
) -> list[str]:
    """Warnings about partly scored applications and criteria without any score."""
    warnings: list[str] = []
    n_a, n_c = len(apps), len(crit_ids)
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
    return warnings
