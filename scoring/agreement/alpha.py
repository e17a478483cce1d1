"""Krippendorff's alpha of the reviewers' scores, per 評価項目 and on the weighted total.

See :mod:`~scoring.agreement.reliability` for how to read the numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

import krippendorff
import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

from ..core.columns import ALPHA_COLUMNS
from ..core.errors import ScoreTableError
from .scoretable import _KEY, _check_option, _criterion_order, check_scores, reviewer_totals

if TYPE_CHECKING:
    from ..config.rubric import Rubric

__all__ = [
    "ALL_CRITERIA",
    "ALPHA_COLUMNS",
    "LEVELS",
    "TOTAL",
    "alpha_judgement",
    "alpha_value",
    "krippendorff_alpha",
]

#: Levels of measurement accepted by :func:`krippendorff_alpha`.
LEVELS: tuple[str, ...] = ("interval", "ordinal", "nominal", "ratio")
Level = Literal["interval", "ordinal", "nominal", "ratio"]
#: Row label of the weighted total in the reliability tables.
TOTAL = "total"
#: Row label of all criteria pooled (``krippendorff_alpha(by=None)``).
ALL_CRITERIA = "all_criteria"

# The krippendorff package builds units × values × values arrays; above this many
# cells the O(n log n) closed forms below are used instead (same numbers, tested).
_PACKAGE_MAX_CELLS = 2_000_000


def _alpha_closed_form(values: np.ndarray, units: np.ndarray, level: str) -> float:
    """Alpha from pairable values and their unit ids, O(n log n) (ratio: O(V^2)).

    Same definitions as Krippendorff (2011): D_o from within-unit pairs weighted by
    1/(m_u - 1), D_e from all pairs of pairable values; the ordinal metric equals the
    squared difference of mid-ranks among the pairable values.
    """
    if level == "ratio":
        return _alpha_ratio(values, units)
    _, inv = np.unique(units, return_inverse=True)
    return _alpha_coded(values, inv.astype(np.intp), level)


def _alpha_coded(values: np.ndarray, inv: np.ndarray, level: str) -> float:
    """Interval, ordinal or nominal alpha of pairable ``values`` in units coded 0, 1, … (``inv``).

    Only bincounts and one sort of the values: no units × values array (the package builds one).
    """
    n = len(values)
    m = np.bincount(inv).astype("float64")
    if level == "nominal" or level == "ordinal":
        dom, vinv, counts = _levels(values)
        if len(dom) < 2:
            return float("nan")
        if level == "ordinal":  # mid-ranks among the pairable values
            values = (np.cumsum(counts) - (counts - 1) / 2.0)[vinv]
    if level == "nominal":
        n_u = len(m)
        n_uv = np.bincount(inv * len(dom) + vinv, minlength=n_u * len(dom)).reshape(n_u, len(dom))
        used = m > 0
        d_o = float(
            np.sum((m[used] ** 2 - (n_uv[used].astype("float64") ** 2).sum(axis=1)) / (m[used] - 1.0)) / n
        )
        d_e = float((n**2 - np.sum(counts.astype("float64") ** 2)) / (n * (n - 1.0)))
    else:  # units in ``inv`` have m ≥ 2 (codes without values: m = 0, weight 0)
        means = np.bincount(inv, weights=values) / np.maximum(m, 1.0)
        dev = values - means[inv]
        ss_within = np.bincount(inv, weights=dev * dev)
        d_o = float(np.dot(m / np.maximum(m - 1.0, 1.0), ss_within)) * 2.0 / n
        centred = values - values.mean()
        d_e = float(np.dot(centred, centred)) * 2.0 / (n - 1.0)
    if d_e == 0:
        return float("nan")
    return 1.0 - d_o / d_e


def _levels(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True, return_counts=True)``; by a bincount when the
    values are whole numbers in a small range (the levels 1–5 of a criterion), no sort."""
    lo, hi = float(values.min()), float(values.max())
    if hi - lo <= 10_000 and np.array_equal(values, np.floor(values)):
        full = np.bincount((values - lo).astype(np.intp))
        present = full > 0
        code = np.cumsum(present) - 1
        return np.flatnonzero(present) + lo, code[(values - lo).astype(np.intp)], full[present]
    return np.unique(values, return_inverse=True, return_counts=True)


def _alpha_ratio(values: np.ndarray, units: np.ndarray) -> float:
    """Ratio alpha of pairable values (O(V^2) in the number of distinct values)."""
    n = len(values)
    uid, inv = np.unique(units, return_inverse=True)
    m = np.bincount(inv).astype("float64")

    def delta(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        s = a + b
        with np.errstate(divide="ignore", invalid="ignore"):
            d = np.where(s != 0, ((a - b) / np.where(s != 0, s, 1.0)) ** 2, 0.0)
        return d

    order = np.argsort(inv, kind="stable")
    vals, starts = values[order], np.concatenate([[0], np.cumsum(m.astype(int))])
    total_o = 0.0
    for u in range(len(uid)):
        v = vals[starts[u] : starts[u + 1]]
        total_o += float(delta(v[:, None], v[None, :]).sum()) / (len(v) - 1.0)
    d_o = total_o / n
    dom, counts = np.unique(values, return_counts=True)
    acc = 0.0
    for i0 in range(0, len(dom), 2000):
        block = dom[i0 : i0 + 2000]
        acc += float(
            (counts[i0 : i0 + 2000, None] * counts[None, :] * delta(block[:, None], dom[None, :])).sum()
        )
    d_e = acc / (n * (n - 1.0))
    if d_e == 0:
        return float("nan")
    return 1.0 - d_o / d_e


def _alpha(matrix: np.ndarray, level: str) -> tuple[float, int, int]:
    """Alpha of a raters × units matrix (NaN = missing); also n_units, n_pairable."""
    counts = np.sum(~np.isnan(matrix), axis=0)
    pairable = matrix[:, counts >= 2]
    n_units = int(pairable.shape[1])
    mask = ~np.isnan(pairable)
    n_pairable = int(mask.sum())
    if n_units == 0:
        return float("nan"), 0, 0
    values = pairable.T[mask.T]
    n_values = len(np.unique(values))
    if n_values < 2:
        return float("nan"), n_units, n_pairable
    if level == "ratio" and (
        n_units * n_values * n_values <= _PACKAGE_MAX_CELLS
        and pairable.shape[0] * n_units * n_values <= 4 * _PACKAGE_MAX_CELLS
    ):
        value = float(krippendorff.alpha(reliability_data=pairable, level_of_measurement=level))  # type: ignore[arg-type]
    else:
        units = np.broadcast_to(np.arange(n_units)[:, None], pairable.T.shape)[mask.T]
        value = _alpha_closed_form(values.astype("float64"), units, level)
    return value, n_units, n_pairable


def alpha_judgement(alpha: float) -> str:
    """Krippendorff's (2004) reading of an alpha value, in Japanese.

    ≥ 0.800 信頼できる; 0.667–0.800 暫定的な判断にとどめる; < 0.667 信頼性が不十分;
    NaN 算出できない.
    """
    if not np.isfinite(alpha):
        return "算出できない（比較できる採点が不足、または全員が同じ値）"
    if alpha >= 0.800:
        return "信頼できる（α≥0.800）"
    if alpha >= 0.667:
        return "暫定的な判断にとどめる（0.667≤α<0.800）"
    return "信頼性が不十分（α<0.667）"


def _alpha_row(
    long: pd.DataFrame, unit_cols: list[str], label: str, value_col: str, level: str
) -> dict[str, Any]:
    r_codes, _ = pd.factorize(long["reviewer"])
    if len(unit_cols) == 1:
        u_codes, _ = pd.factorize(long[unit_cols[0]])
    else:
        u_codes, _ = pd.factorize(pd.MultiIndex.from_frame(long[unit_cols]))
    return _alpha_row_codes(r_codes, u_codes, long[value_col].to_numpy(dtype="float64"), label, level)


def _first_seen(codes: np.ndarray) -> np.ndarray:
    """Renumber integer codes 0, 1, … in order of first appearance (as :func:`pandas.factorize`)."""
    if not len(codes):
        return codes
    uniq, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
    rank = np.empty(len(uniq), dtype=np.intp)
    rank[np.argsort(first, kind="stable")] = np.arange(len(uniq))
    return rank[inverse]


def _same(codes: np.ndarray) -> np.ndarray:
    return codes


def _fast_scored(scores: object) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]] | None:
    """The scored rows of a clean score table as arrays, without pandas overhead.

    Returns (application codes, reviewer codes, criterion codes, scores) of the rows with
    a score, and the criteria in order of appearance; None when anything needs
    :func:`check_scores` (not a DataFrame, a missing column, non-numeric scores, keys
    that are not all strings or are empty, duplicates): it then validates with its
    messages, so the fast path changes no error and no number.
    """
    if not isinstance(scores, pd.DataFrame) or any(c not in scores.columns for c in (*_KEY, "score")):
        return None
    raw = _column(scores, "score")
    if not isinstance(raw, np.ndarray) or raw.dtype.kind not in "fiu":
        return None
    values = raw.astype("float64")
    keep = ~np.isnan(values)
    codes = []
    labels: list[str] = []
    for c in _KEY:
        arr = _column(scores, c)
        if arr is None:
            return None
        col = np.asarray(arr, dtype=object)[keep]
        code, uniques = pd.factorize(col, use_na_sentinel=True)
        if len(col) and (code < 0).any():
            return None
        if len(uniques) and infer_dtype(uniques) != "string":
            return None
        codes.append(code.astype(np.intp))
        if c == "criterion":
            labels = [str(u) for u in uniques]
    a, r, k = codes
    combined = (a * (int(r.max(initial=0)) + 1) + r) * (len(labels) + 1) + k
    ordered = np.sort(combined)  # (np.unique on integers takes a slow hash path in numpy 2)
    if (ordered[1:] == ordered[:-1]).any():
        return None
    return a, r, k, values[keep], labels


def _alpha_row_codes(
    r_codes: np.ndarray, u_codes: np.ndarray, values: np.ndarray, label: str, level: str
) -> dict[str, Any]:
    """:func:`_alpha_row` on reviewer and unit codes (0, 1, … in order of appearance)."""
    if level == "ratio":
        matrix = np.full(
            (int(r_codes.max()) + 1 if len(values) else 0, int(u_codes.max()) + 1 if len(values) else 0),
            np.nan,
        )
        matrix[r_codes, u_codes] = values
        a, n_units, n_pairable = _alpha(matrix, level)
        counts = np.sum(~np.isnan(matrix), axis=0)
        in_pairable = (~np.isnan(matrix)) & (counts >= 2)[None, :]
        n_reviewers = int(np.sum(in_pairable.any(axis=1)))
    else:
        a, n_units, n_pairable, n_reviewers = _alpha_from_codes(u_codes, values, level, r_codes)
    return {
        "criterion": label,
        "level": level,
        "alpha": a,
        "n_units": n_units,
        "n_pairable": n_pairable,
        "n_reviewers": n_reviewers,
        "judgement": alpha_judgement(a),
    }


def _alpha_from_codes(
    u_codes: np.ndarray, values: np.ndarray, level: str, r_codes: np.ndarray | None = None
) -> tuple[float, int, int, int]:
    """Alpha (interval, ordinal, nominal) of values in units coded 0, 1, …; each (reviewer, unit) once.

    Returns alpha, the units with two values or more, their values and (with ``r_codes``) the
    reviewers who gave them (−1 without ``r_codes``).
    """
    if not len(values):
        return float("nan"), 0, 0, 0
    m = np.bincount(u_codes)
    pair = m[u_codes] >= 2
    n_units = int(np.count_nonzero(m >= 2))
    if not n_units:
        return float("nan"), 0, 0, 0
    vals, units = values[pair], u_codes[pair]
    n_rev = -1 if r_codes is None else int(np.count_nonzero(np.bincount(r_codes[pair])))
    return _alpha_coded(vals, units, level), n_units, len(vals), n_rev


def alpha_value(scores: pd.DataFrame, level: Level | str = "interval", criterion: str | None = None) -> float:
    """Krippendorff's alpha as one number, straight from the long score table.

    The counterpart of ``krippendorff.alpha`` (which takes a reviewers × applications matrix)
    for the workbench's canonical long table: the same number as the ``alpha`` column of
    :func:`krippendorff_alpha` (``by="criterion"`` for one ``criterion``; ``by=None``, all
    criteria pooled with every application × criterion a unit, when ``criterion`` is None),
    without building the result table. Errors are :func:`krippendorff_alpha`'s.

    Timed against the package in ``benchmarks/bench_alpha.py``.
    """
    _check_option("level", level, LEVELS)
    fast = _fast_units(scores, criterion) if level != "ratio" else None
    if fast is None:
        if criterion is None:
            out = krippendorff_alpha(scores, level, by=None, total=False)
        else:
            out = krippendorff_alpha(scores, level, total=False)
            out = out[out["criterion"] == criterion]
            if out.empty:
                raise ScoreTableError(f"評価項目 {criterion!r} の採点がありません。")
        return float(out["alpha"].iloc[0])
    units, values = fast
    return _alpha_from_codes(units, values, str(level))[0]


def _column(scores: pd.DataFrame, name: str) -> Any:
    """The array behind one column, without building a Series (a ~10 µs pandas step each).

    Uses ``DataFrame._get_column_array`` when pandas has it (pandas 2 and 3), else ``.array``.
    """
    i = scores.columns.get_loc(name)
    if not isinstance(i, int):
        return None  # duplicate column names: check_scores says so
    get = getattr(scores, "_get_column_array", None)
    return get(i) if get is not None else scores.iloc[:, i].array


def _key_codes(arrays: list[Any]) -> tuple[list[np.ndarray], int] | None:
    """Codes of key columns from one hash pass over all of them (one code space; None unless
    every value is a string): a single ``pandas.factorize`` costs less than one per column."""
    if any(a is None for a in arrays):
        return None
    objs = [np.asarray(a, dtype=object) for a in arrays]
    codes, uniques = pd.factorize(np.concatenate(objs) if len(objs) > 1 else objs[0])
    if not (
        all(isinstance(a.dtype, pd.StringDtype) for a in arrays)
        or infer_dtype(uniques) in ("string", "empty")
    ):
        return None
    bounds = np.cumsum([0] + [len(o) for o in objs])
    return [codes[bounds[i] : bounds[i + 1]] for i in range(len(objs))], len(uniques)


def _fast_units(scores: object, criterion: str | None) -> tuple[np.ndarray, np.ndarray] | None:
    """Unit codes and scores of a clean score table (None when :func:`check_scores` must judge it).

    Units are applications (one ``criterion``) or application × criterion (all pooled); the
    codes may have gaps (unused codes are ignored downstream).
    """
    if not isinstance(scores, pd.DataFrame) or any(c not in scores.columns for c in (*_KEY, "score")):
        return None
    raw = _column(scores, "score")
    if not isinstance(raw, np.ndarray) or raw.dtype.kind not in "fiu":
        return None
    values = raw.astype("float64", copy=False)
    keep = ~np.isnan(values)
    crit = _column(scores, "criterion")
    if criterion is not None:
        keep &= np.asarray(crit, dtype=object) == criterion
        found = _key_codes([_column(scores, "application"), _column(scores, "reviewer")])
        if found is None or not keep.any():
            return None
        (a, r), _ = found
        c = np.zeros_like(a)
    else:
        found = _key_codes([_column(scores, "application"), _column(scores, "reviewer"), crit])
        if found is None:
            return None
        (a, r, c), _ = found
    if not keep.all():
        a, r, c, values = a[keep], r[keep], c[keep], values[keep]
    if not len(values) or min(a.min(), r.min(), c.min()) < 0:
        return None
    # applications come first in the one code space (codes 0 … n_applications − 1); the
    # reviewers' and criteria's codes follow, so their offsets make them small and dense
    r = r - r.min()
    n_r = int(r.max()) + 1
    if criterion is None:
        c = c - c.min()
        units = a.astype(np.int64) * (int(c.max()) + 1) + c
    else:
        units = a
    key = units.astype(np.int64) * n_r + r
    size = (int(units.max()) + 1) * n_r
    if size <= 16 * len(key):
        duplicate = np.bincount(key, minlength=size).max() > 1
    else:
        ordered = np.sort(key)  # (np.unique on integers takes a slow hash path in numpy 2)
        duplicate = bool((ordered[1:] == ordered[:-1]).any())
    if duplicate:
        return None  # a reviewer scored an application twice: check_scores says so
    return units.astype(np.intp, copy=False), values


def krippendorff_alpha(
    scores: pd.DataFrame,
    level: Level | str = "interval",
    by: str | None = "criterion",
    *,
    rubric: Rubric | None = None,
    weights: Mapping[str, float] | pd.Series | None = None,
    total: bool = True,
) -> pd.DataFrame:
    """Krippendorff's alpha per criterion and for the weighted total.

    Missing scores are allowed: an application scored by a single reviewer on a
    criterion contributes nothing (it has no pairable value), an application scored
    by three of six reviewers contributes its three values.

    Parameters
    ----------
    scores : pandas.DataFrame
        Canonical long score table (``application, reviewer, criterion, score``).
    level : {"interval", "ordinal", "nominal", "ratio"}
        Level of measurement (distance metric). ``"interval"`` treats the levels
        1–5 as equally spaced; ``"ordinal"`` only uses their order.
    by : {"criterion", None}
        ``"criterion"``: one row per criterion (rubric order when a rubric is given,
        else order of first appearance). ``None``: one row ``"all_criteria"`` with
        every application × criterion as a unit (all criteria pooled).
    rubric, weights :
        Weights and scales of the total row (see :func:`reviewer_totals`).
    total : bool
        Append the row ``"total"``: alpha of the reviewers' weighted totals (complete
        sheets only; incomplete sheets are left out with a warning).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`ALPHA_COLUMNS`:

        - ``criterion`` (str): criterion id, ``"all_criteria"`` or ``"total"``;
        - ``level`` (str): the level of measurement used;
        - ``alpha`` (float): Krippendorff's alpha (NaN if not computable: no
          application with two scores, or one single value everywhere);
        - ``n_units`` (int): applications (units) with at least two scores;
        - ``n_pairable`` (int): scores in those units;
        - ``n_reviewers`` (int): reviewers with at least one pairable score;
        - ``judgement`` (str): Krippendorff's reading in Japanese (see
          :func:`alpha_judgement`).

        RangeIndex.

    Notes
    -----
    Interval, ordinal and nominal alpha are computed with closed forms of
    Krippendorff's definitions (bincounts and one sort, no units × values array),
    tested equal to the ``krippendorff`` package (Castro 2017) to 1e-12; ratio alpha
    with the package when the value domain is small. :func:`alpha_value` gives the
    number alone, no slower than the package (``benchmarks/bench_alpha.py``).

    Validated against Krippendorff (2011), *Computing Krippendorff's Alpha-
    Reliability*, the 4 observers × 12 units example with missing values: nominal
    0.743, ordinal 0.815, interval 0.849, ratio 0.797.
    """
    _check_option("level", level, LEVELS)
    _check_option("by", by, ("criterion", None))
    rows = _criterion_rows(scores, by, rubric, str(level))
    if total:
        rows.append(_total_row(scores, rubric, weights, level))
    return _alpha_frame(rows)


def _criterion_rows(
    scores: pd.DataFrame, by: str | None, rubric: Rubric | None, level: str
) -> list[dict[str, Any]]:
    """The rows of :func:`krippendorff_alpha` before the total: per criterion, or all criteria pooled."""
    rows: list[dict[str, Any]] = []
    fast = _fast_scored(scores)
    if fast is not None:
        # the same numbers from arrays (a pandas-heavy path cost ~35× the package itself)
        a_code, r_code, c_code, values, labels = fast
        order = (
            _criterion_order(pd.DataFrame({"criterion": labels}), rubric) if rubric is not None else labels
        )
        if by == "criterion":
            for crit in order:
                part = c_code == labels.index(crit)
                # codes with gaps are fine for the closed forms; the ratio path builds a matrix
                renumber = _first_seen if level == "ratio" else _same
                rows.append(
                    _alpha_row_codes(
                        renumber(r_code[part]), renumber(a_code[part]), values[part], crit, level
                    )
                )
        else:
            rows.append(
                _alpha_row_codes(
                    _first_seen(r_code),
                    _first_seen(a_code * (len(labels) + 1) + c_code),
                    values,
                    ALL_CRITERIA,
                    level,
                )
            )
    else:
        scored = check_scores(scores)
        if by == "criterion":
            for crit in _criterion_order(scored, rubric):
                part = scored[scored["criterion"] == crit]
                rows.append(_alpha_row(part, ["application"], crit, "score", level))
        else:
            _criterion_order(scored, rubric)
            rows.append(_alpha_row(scored, ["application", "criterion"], ALL_CRITERIA, "score", level))
    return rows


def _total_row(
    scores: pd.DataFrame,
    rubric: Rubric | None,
    weights: Mapping[str, float] | pd.Series | None,
    level: Level | str,
) -> dict[str, Any]:
    """The ``"total"`` row of :func:`krippendorff_alpha`: alpha of the reviewers' weighted totals."""
    totals = reviewer_totals(scores, rubric, weights=weights)
    if len(totals):
        row = _alpha_row(totals, ["application"], TOTAL, "total", str(level))
    else:
        row = {
            "criterion": TOTAL,
            "level": level,
            "alpha": float("nan"),
            "n_units": 0,
            "n_pairable": 0,
            "n_reviewers": 0,
            "judgement": alpha_judgement(float("nan")),
        }
    return row


def _alpha_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The rows of :func:`krippendorff_alpha` as a frame of :data:`ALPHA_COLUMNS`."""
    return pd.DataFrame(
        {
            "criterion": [r["criterion"] for r in rows],
            "level": [r["level"] for r in rows],
            "alpha": np.array([r["alpha"] for r in rows], dtype="float64"),
            "n_units": np.array([r["n_units"] for r in rows], dtype="int64"),
            "n_pairable": np.array([r["n_pairable"] for r in rows], dtype="int64"),
            "n_reviewers": np.array([r["n_reviewers"] for r in rows], dtype="int64"),
            "judgement": [r["judgement"] for r in rows],
        },
        columns=list(ALPHA_COLUMNS),
    )
