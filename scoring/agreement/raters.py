"""Complete targets × raters tables: the intraclass correlations (ICC) and Kendall's W.

Both take a wide (targets × raters) or long (``target, rater, score``) table of one
評価項目 or of the totals, with every target scored by every rater.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..core.columns import ICC_COLUMNS, KENDALL_COLUMNS
from ..core.errors import OptionError, ScoreTableError
from .scoretable import _fmt_list

__all__ = ["ICC_COLUMNS", "KENDALL_COLUMNS", "icc", "kendall_w"]

_LONG_NAMES = (("target", "rater", "score"), ("application", "reviewer", "score"))


def _as_wide(
    table: pd.DataFrame,
    what: str,
    target: str | None,
    rater: str | None,
    score: str | None,
) -> pd.DataFrame:
    """A numeric targets × raters table from a wide or long DataFrame (NaN kept)."""
    if not isinstance(table, pd.DataFrame):
        raise ScoreTableError(
            f"{what}の表は pandas の DataFrame で渡してください（受け取った型: {type(table).__name__}）。"
        )
    names = _long_names(table, what, target, rater, score)
    wide = _long_to_wide(table, what, names) if names is not None else _numeric_wide(table, what)
    wide = wide.astype("float64")
    wide.index.name = "target"
    wide.columns.name = "rater"
    if wide.shape[0] < 2 or wide.shape[1] < 2:
        raise ScoreTableError(
            f"{what}には対象が2件以上・評価者が2人以上必要です（対象 {wide.shape[0]}件・評価者 {wide.shape[1]}人）。"
        )
    return wide


def _long_names(
    table: pd.DataFrame, what: str, target: str | None, rater: str | None, score: str | None
) -> tuple[str, str, str] | None:
    """The target, rater and score columns of a long table; None for a wide table."""
    names: tuple[str, str, str] | None = None
    if target is not None or rater is not None or score is not None:
        names = (target or "target", rater or "rater", score or "score")
        missing = [c for c in names if c not in table.columns]
        if missing:
            raise ScoreTableError(
                f"{what}の表に列 {', '.join(missing)} がありません。表の列名を target・rater・score に指定してください。"
            )
    else:
        for cand in _LONG_NAMES:
            if all(c in table.columns for c in cand):
                names = cand
                break
    return names


def _long_to_wide(table: pd.DataFrame, what: str, names: tuple[str, str, str]) -> pd.DataFrame:
    """Pivot a long table of one criterion to targets × raters (order of first appearance)."""
    t, r, s = names
    if "criterion" in table.columns and table["criterion"].nunique(dropna=True) > 1:
        raise ScoreTableError(
            f"{what}は1つの評価項目ごとに計算します。criterion 列に複数の評価項目があります: "
            f"{_fmt_list(list(pd.unique(table['criterion'])))}。1つを選んで渡してください。"
        )
    long = table.loc[:, [t, r, s]].copy()
    num = pd.to_numeric(long[s], errors="coerce")
    bad = num.isna() & long[s].notna()
    if bool(bad.any()):
        shown = [
            f"{long.at[i, t]!s}×{long.at[i, r]!s}: {long.at[i, s]!r}" for i in long.index[bad.to_numpy()]
        ]
        raise ScoreTableError(
            f"{what}の {s} 列に数値でない値があります: {_fmt_list(shown)}。数値か空欄にしてください。"
        )
    long[s] = num
    dup = long.duplicated([t, r], keep=False)
    if bool(dup.any()):
        shown = sorted({f"{a}×{b}" for a, b in long.loc[dup, [t, r]].itertuples(index=False)})
        raise ScoreTableError(
            f"{what}の表で同じ対象×評価者の値が複数あります: {_fmt_list(shown)}。1件だけ残してください。"
        )
    wide = long.pivot(index=t, columns=r, values=s)
    return wide.reindex(index=pd.unique(long[t]), columns=pd.unique(long[r]))


def _numeric_wide(table: pd.DataFrame, what: str) -> pd.DataFrame:
    """A copy of a wide table, every column numeric."""
    wide = table.copy()
    nonnum = [str(c) for c in wide.columns if not pd.api.types.is_numeric_dtype(wide[c])]
    if nonnum:
        raise ScoreTableError(
            f"{what}の表の列 {_fmt_list(nonnum)} が数値ではありません。行を対象（応募）、列を評価者とした数値の表か、"
            "target・rater・score 列の縦長の表を渡してください。"
        )
    return wide


def _require_complete(wide: pd.DataFrame, what: str) -> None:
    missing = wide.isna()
    if bool(missing.to_numpy().any()):
        cells = [
            f"（対象 {wide.index[i]}・評価者 {wide.columns[j]}）" for i, j in np.argwhere(missing.to_numpy())
        ]
        raise ScoreTableError(
            f"{what} には全ての対象×評価者がそろった表が必要です。欠けているセル: {_fmt_list(cells)}。"
            "欠けている対象を除くか、その評価者の採点を入れてから計算してください"
            "（欠けがある場合は krippendorff_alpha を使えます）。"
        )


_ICC_TYPES = (
    ("ICC(1,1)", "ICC1", "一元配置・単一評価者: 応募ごとに別の審査員が採点したとみなす"),
    ("ICC(A,1)", "ICC2", "二元配置・単一評価者・絶対一致: 審査員の甘辛も不一致に数える"),
    ("ICC(C,1)", "ICC3", "二元配置・単一評価者・一貫性: 審査員の甘辛を除いた順位の一致"),
    ("ICC(1,k)", "ICC1k", "一元配置・k人の平均"),
    ("ICC(A,k)", "ICC2k", "二元配置・k人の平均・絶対一致"),
    ("ICC(C,k)", "ICC3k", "二元配置・k人の平均・一貫性"),
)


def icc(
    table: pd.DataFrame,
    *,
    target: str | None = None,
    rater: str | None = None,
    score: str | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """The six intraclass correlations of Shrout & Fleiss (1979) with F tests and CIs.

    Parameters
    ----------
    table : pandas.DataFrame
        Either wide — one row per target (application), one numeric column per
        rater (reviewer) — or long with columns ``target, rater, score`` (or the
        canonical ``application, reviewer, score`` of one criterion; pass other
        column names with ``target=``, ``rater=``, ``score=``). The table must be
        complete: every target scored by every rater.
    confidence : float
        Level of the confidence intervals (default 0.95).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`ICC_COLUMNS`, one row per type, in the order ICC(1,1),
        ICC(A,1), ICC(C,1), ICC(1,k), ICC(A,k), ICC(C,k):

        - ``type`` (str): McGraw & Wong (1996) name, as pingouin;
        - ``shrout_fleiss`` (str): Shrout & Fleiss / R psych name (ICC1 … ICC3k);
        - ``description`` (str): what the type measures, in Japanese;
        - ``icc`` (float);
        - ``F``, ``df1``, ``df2``, ``p`` (float, int, int, float): F test of
          ICC = 0 (one-way MSB/MSW for ICC(1,·), two-way MSR/MSE otherwise);
        - ``ci_low``, ``ci_high`` (float): confidence interval (Shrout & Fleiss
          1979; McGraw & Wong 1996 with its errata for ICC(A,·)).

        ``attrs`` holds ``n_targets`` and ``n_raters``.

    Raises
    ------
    ValueError
        (Japanese) if a cell is missing — the message names the missing
        target × rater cells — or there are fewer than 2 targets or raters.

    Notes
    -----
    Validated against the 6 targets × 4 judges example of Shrout & Fleiss (1979,
    Table 2/4: .17, .29, .71, .44, .62, .91), the R psych ``ICC()`` output for that
    example (F, p, CI bounds), and ``pingouin.intraclass_corr`` (to 1e-9, CIs
    unrounded). A table with no variance at all gives NaN (with a warning).
    """
    if not 0 < confidence < 1:
        raise OptionError(f"confidence は 0 と 1 の間の値にしてください（受け取った値: {confidence!r}）。")
    wide = _as_wide(table, "ICC", target, rater, score)
    _require_complete(wide, "ICC")
    x = wide.to_numpy(dtype="float64")
    n, k = x.shape
    msr, msc, mse, msw = _mean_squares(x)
    rows = _icc_rows(n, k, msr, msc, mse, msw, 1.0 - confidence)
    out = pd.DataFrame(rows, columns=list(ICC_COLUMNS))
    out.attrs["n_targets"] = n
    out.attrs["n_raters"] = k
    return out


def _mean_squares(x: np.ndarray) -> tuple[np.float64, np.float64, np.float64, np.float64]:
    """MSR, MSC, MSE and MSW of a complete targets × raters array (two-way and one-way ANOVA)."""
    n, k = x.shape
    grand = x.mean()
    ss_rows = k * float(np.sum((x.mean(axis=1) - grand) ** 2))
    ss_cols = n * float(np.sum((x.mean(axis=0) - grand) ** 2))
    ss_total = float(np.sum((x - grand) ** 2))
    ss_err = ss_total - ss_rows - ss_cols
    # numpy scalars: a degenerate table gives inf/NaN instead of ZeroDivisionError
    msr = np.float64(ss_rows / (n - 1))
    msc = np.float64(ss_cols / (k - 1))
    mse = np.float64(max(ss_err, 0.0) / ((n - 1) * (k - 1)))
    msw = np.float64((ss_cols + max(ss_err, 0.0)) / (n * (k - 1)))
    if ss_total == 0:
        warnings.warn(
            "全ての値が同じため ICC は定義できません（NaN を返します）。", UserWarning, stacklevel=3
        )
    return msr, msc, mse, msw


def _icc_rows(
    n: int, k: int, msr: np.float64, msc: np.float64, mse: np.float64, msw: np.float64, a: float
) -> list[dict[str, object]]:
    """The six rows of :func:`icc` from the mean squares (``a``: 1 − confidence)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        icc1 = (msr - msw) / (msr + (k - 1) * msw)
        icc2 = (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n)
        icc3 = (msr - mse) / (msr + (k - 1) * mse)
        icc1k = (msr - msw) / msr
        icc2k = (msr - mse) / (msr + (msc - mse) / n)
        icc3k = (msr - mse) / msr
        f1 = msr / msw
        f3 = msr / mse
        df1, df_w, df_e = n - 1, n * (k - 1), (n - 1) * (k - 1)
        p1 = float(stats.f.sf(f1, df1, df_w))
        p3 = float(stats.f.sf(f3, df1, df_e))
        ci = _icc_intervals(n, k, msr, msc, mse, icc2, f1, f3, a)
    values = [icc1, icc2, icc3, icc1k, icc2k, icc3k]
    fs = [f1, f3, f3, f1, f3, f3]
    df2s = [df_w, df_e, df_e, df_w, df_e, df_e]
    ps = [p1, p3, p3, p1, p3, p3]
    return [
        {
            "type": t,
            "shrout_fleiss": sf,
            "description": d,
            "icc": float(val),
            "F": float(f),
            "df1": int(df1),
            "df2": int(d2),
            "p": float(p),
            "ci_low": float(lo),
            "ci_high": float(hi),
        }
        for (t, sf, d), val, f, d2, p, (lo, hi) in zip(_ICC_TYPES, values, fs, df2s, ps, ci)
    ]


def _icc_intervals(
    n: int,
    k: int,
    msr: np.float64,
    msc: np.float64,
    mse: np.float64,
    icc2: np.float64,
    f1: np.float64,
    f3: np.float64,
    a: float,
) -> list[tuple[Any, Any]]:
    """Confidence intervals of the six ICCs, in the order of :data:`_ICC_TYPES` (call under np.errstate)."""
    df1, df_w, df_e = n - 1, n * (k - 1), (n - 1) * (k - 1)
    # Case 1 and 3 (Shrout & Fleiss 1979, eq. 6–7 and 12–13)
    f1l = f1 / stats.f.ppf(1 - a / 2, df1, df_w)
    f1u = f1 * stats.f.ppf(1 - a / 2, df_w, df1)
    f3l = f3 / stats.f.ppf(1 - a / 2, df1, df_e)
    f3u = f3 * stats.f.ppf(1 - a / 2, df_e, df1)
    l1, u1 = (f1l - 1) / (f1l + (k - 1)), (f1u - 1) / (f1u + (k - 1))
    l3, u3 = (f3l - 1) / (f3l + (k - 1)), (f3u - 1) / (f3u + (k - 1))
    # Case 2: Satterthwaite df (Shrout & Fleiss 1979, eq. 10–11; McGraw & Wong 1996 errata)
    fj = msc / mse
    vn = df_e * (k * icc2 * fj + n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    vd = df1 * k**2 * icc2**2 * fj**2 + (n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    v = vn / vd
    f2u = stats.f.ppf(1 - a / 2, df1, v)
    f2l = stats.f.ppf(1 - a / 2, v, df1)
    l2 = n * (msr - f2u * mse) / (f2u * (k * msc + (k * n - k - n) * mse) + n * msr)
    u2 = n * (f2l * msr - mse) / (k * msc + (k * n - k - n) * mse + n * f2l * msr)
    return [
        (l1, u1),
        (l2, u2),
        (l3, u3),
        (1 - 1 / f1l, 1 - 1 / f1u),
        (l2 * k / (1 + l2 * (k - 1)), u2 * k / (1 + u2 * (k - 1))),
        (1 - 1 / f3l, 1 - 1 / f3u),
    ]


#: The dtypes of :func:`kendall_w`'s row.
_KENDALL_DTYPES = {
    "W": "float64",
    "W_uncorrected": "float64",
    "chi2": "float64",
    "df": "int64",
    "p": "float64",
    "n_targets": "int64",
    "n_raters": "int64",
    "ties": "float64",
}


def _rank_spread_and_ties(x: np.ndarray) -> tuple[float, float]:
    """Kendall's ``S`` (squared deviations of the targets' rank sums from their mean, each
    rater's column ranked with average ranks) and ``T = sum (t^3 - t)`` over the ties of
    each rater, for a complete targets × raters array."""
    m = x.shape[1]
    ranks = np.column_stack([stats.rankdata(x[:, j], method="average") for j in range(m)])
    rank_sums = ranks.sum(axis=1)
    s = float(np.sum((rank_sums - rank_sums.mean()) ** 2))
    ties = 0.0
    for j in range(m):
        _, t = np.unique(x[:, j], return_counts=True)
        ties += float(np.sum(t.astype("float64") ** 3 - t))
    return s, ties


def kendall_w(
    table: pd.DataFrame,
    *,
    target: str | None = None,
    rater: str | None = None,
    score: str | None = None,
    correct: bool = True,
) -> pd.DataFrame:
    """Kendall's coefficient of concordance W, with the correction for ties.

    Each rater's scores are ranked over the targets (average ranks for ties; the
    direction does not matter). ``W = 12 S / (m^2 (n^3 - n) - m T)`` with ``S`` the
    sum of squared deviations of the rank sums from their mean, ``m`` raters, ``n``
    targets and ``T = sum (t^3 - t)`` over every group of ``t`` tied scores within a
    rater (``T = 0`` when ``correct=False``). The large-sample test uses
    ``chi2 = m (n - 1) W`` with ``n - 1`` degrees of freedom (the Friedman test).

    Parameters
    ----------
    table : pandas.DataFrame
        Complete targets × raters table, wide or long as for :func:`icc`.
    correct : bool
        Apply the tie correction (default). Scores on a 1–5 scale are full of ties;
        without the correction W is biased downwards.

    Returns
    -------
    pandas.DataFrame
        One row, columns :data:`KENDALL_COLUMNS`: ``W`` (float), ``W_uncorrected``
        (float), ``chi2`` (float), ``df`` (int), ``p`` (float, upper tail),
        ``n_targets``, ``n_raters`` (int), ``ties`` (float, ``T``).

    Raises
    ------
    ValueError
        (Japanese) if a cell is missing (the message names it).

    Notes
    -----
    Validated against the NAG Library example for G08DAF (data from Siegel 1956,
    3 comparisons × 10 objects with ties: W = 0.828, significance 0.008), the R
    ``irr::kendall`` example in RExRepos (W = 0.568, chi2(5) = 8.52, p = 0.13) and
    ``scipy.stats.friedmanchisquare`` (chi2, which applies the same tie correction).
    """
    wide = _as_wide(table, "Kendall の W", target, rater, score)
    _require_complete(wide, "Kendall の W")
    x = wide.to_numpy(dtype="float64")
    n, m = x.shape
    s, ties = _rank_spread_and_ties(x)
    denom_plain = m**2 * (n**3 - n)
    w_plain = 12.0 * s / denom_plain
    denom = denom_plain - (m * ties if correct else 0.0)
    w = 12.0 * s / denom if denom > 0 else float("nan")
    chi2 = m * (n - 1) * w
    p = float(stats.chi2.sf(chi2, n - 1)) if np.isfinite(chi2) else float("nan")
    row = {
        "W": w,
        "W_uncorrected": w_plain,
        "chi2": chi2,
        "df": n - 1,
        "p": p,
        "n_targets": n,
        "n_raters": m,
        "ties": ties if correct else 0.0,
    }
    return pd.DataFrame([row], columns=list(KENDALL_COLUMNS)).astype(_KENDALL_DTYPES)
