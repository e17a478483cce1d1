"""Near-ties at the selection line (選定ライン付近の僅差): totals that are not meaningfully different.

Two totals are *not meaningfully different* when their difference is smaller than ``z``
standard errors of the difference (95 %: z = 1.96). The SE of a difference is
√(se_上² + se_下² − 2 cov): the honest SEs of :func:`scoring.analysis.uncertainty.honest_se`
(which include the error of the reviewer calibration) and, when given, their jackknife
covariance (:func:`scoring.analysis.uncertainty.honest_cov`; much of the calibration error is
shared by all applications and cancels in a difference). Without ``cov`` the totals are treated
as independent, which errs on the side of calling a pair a near-tie.

Only pairs across the selection line are listed: one application at or above the line (rank ≤
``line_rank``, or in ``selected`` when given) and one below it, the pairs whose order decides
who is selected. Documents mark these pairs (「差があるとは言えない」) instead of presenting the
order of their totals as a finding.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..core.columns import NEAR_TIE_COLUMNS, TOTAL_DECIMALS

__all__ = ["NEAR_TIE_COLUMNS", "near_tie_judgement", "near_ties"]

#: Columns of :func:`near_ties`.

#: 判定 of a pair (the Japanese text documents print).
TIE = "同点"
WITHIN_ONE = "差があるとは言えない（差が標準誤差の1倍未満）"
WITHIN_Z = "差があるとは言えない（差が標準誤差の1.96倍未満）"


def near_tie_judgement(diff: float, se_diff: float, z: float = 1.96) -> str:
    """The 判定 of a difference: 同点, 差があるとは言えない (within 1 or ``z`` SE), or "" (a real difference)."""
    if round(abs(diff), TOTAL_DECIMALS) == 0:
        return TIE
    if not np.isfinite(se_diff) or se_diff <= 0:
        return ""
    if abs(diff) < se_diff:
        return WITHIN_ONE
    if abs(diff) < z * se_diff:
        return WITHIN_Z if z == 1.96 else f"差があるとは言えない（差が標準誤差の{z:g}倍未満）"
    return ""


def near_ties(
    totals: pd.Series,
    se: pd.Series,
    line_rank: int,
    *,
    selected: Iterable[str] | None = None,
    z: float = 1.96,
    cov: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Pairs across the selection line whose totals are not meaningfully different.

    Parameters
    ----------
    totals : Series of float
        Totals (0–100), index application id; NaN (no total, or 対象外 when the caller blanks
        them) are left out.
    se : Series of float
        Their standard errors (same index; use the honest SEs, e.g. ``Committee.ranked["se"]``).
        A pair with an undefined SE is listed only when tied.
    line_rank : int
        The number selected (選定数): the first ``line_rank`` by total (then id, as the
        selection orders them) are above the line; a tie across the line is listed as 同点.
    selected : iterable of str, optional
        The proposed selection when it is not simply the top ``line_rank`` (balance rules):
        then the upper side is the selected applications and the lower side the others.
    z : float, default 1.96
        The multiple of the SE of the difference under which a pair is a near-tie (95 %).
    cov : DataFrame, optional
        Covariance of the totals (:func:`scoring.analysis.uncertainty.honest_cov`); then the SE
        of a difference is √(se_上² + se_下² − 2 cov) — applications sharing reviewers move
        together, so this is smaller and fewer pairs are near-ties. Without it the totals are
        treated as independent (errs toward calling pairs near-ties).

    Returns
    -------
    DataFrame
        Columns :data:`NEAR_TIE_COLUMNS`: ``応募ID_上`` (above the line), ``応募ID_下`` (below),
        ``差`` (上 − 下, points; may be negative when the selection is not the top ranks),
        ``差の標準誤差`` (√(se_上² + se_下²)), ``判定`` (同点 / 差があるとは言えない（…）).
        Sorted by the absolute difference in SEs (closest first), then the ids.
    """
    t = pd.Series(totals, dtype=float)
    t.index = t.index.astype(str)
    s = pd.Series(se, dtype=float)
    s.index = s.index.astype(str)
    s = s.reindex(t.index)
    t = t[t.notna()]
    if selected is not None:
        upper_ids = [a for a in map(str, selected) if a in t.index]
    else:  # the selection's own order: total (at TOTAL_DECIMALS) descending, then id
        order = sorted(t.index, key=lambda a: (-round(float(t[a]), TOTAL_DECIMALS), a))
        upper_ids = order[: int(line_rank)]
    upper = set(upper_ids)
    lower_ids = [a for a in t.index if a not in upper]
    cv = None if cov is None else cov.astype(float).rename(index=str, columns=str)
    rows = []
    for u in upper_ids:
        for lo in lower_ids:
            d = float(t[u] - t[lo])
            c = float(cv.loc[u, lo]) if cv is not None and u in cv.index and lo in cv.columns else 0.0
            sd = float(np.sqrt(max(s.get(u, np.nan) ** 2 + s.get(lo, np.nan) ** 2 - 2 * c, 0.0)))
            j = near_tie_judgement(d, sd, z)
            if j:
                rows.append((u, lo, round(d, TOTAL_DECIMALS), sd, j, abs(d) / sd if sd > 0 else 0.0))
    frame = pd.DataFrame(rows, columns=[*NEAR_TIE_COLUMNS, "_key"])
    frame = frame.sort_values(["_key", "応募ID_上", "応募ID_下"], kind="stable").drop(columns="_key")
    return frame.reset_index(drop=True)
