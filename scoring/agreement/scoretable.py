"""The canonical long score table and the weighted total each reviewer gives each application.

:func:`check_scores` validates a score table (:data:`scoring.core.schema.SCORE_COLUMNS`) and
:func:`reviewer_totals` gives the reviewers' weighted totals (合計点); both are shared by the
reliability statistics (:mod:`~scoring.agreement.reliability`) and the disagreement tables
(:mod:`~scoring.agreement.disagreement`), with the small helpers those modules share
(message formatting, option checks, scale steps).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..core.columns import TOTALS_COLUMNS
from ..core.errors import OptionError, ScoreTableError
from ..core.schema import require_score_table

if TYPE_CHECKING:
    from ..config.rubric import Rubric

__all__ = ["TOTALS_COLUMNS", "check_scores", "reviewer_totals"]

_KEY = ["application", "reviewer", "criterion"]
_EPS = 1e-9


def _fmt_list(items: Sequence[object], limit: int = 8) -> str:
    shown = "、".join(str(i) for i in items[:limit])
    return shown + (f" ほか{len(items) - limit}件" if len(items) > limit else "")


def _check_option(name: str, value: object, allowed: Sequence[object]) -> None:
    if value not in allowed:
        raise OptionError(f"{name}={value!r} は使えません。使える値: {', '.join(repr(a) for a in allowed)}")


def _fmt(x: float) -> str:
    """A number for a Japanese message: integers without decimals, else 1 decimal."""
    if not np.isfinite(x):
        return "-"
    return str(round(x)) if abs(x - round(x)) < 1e-9 else f"{x:.1f}"


def _steps(criteria: list[str], rubric: Rubric | None) -> pd.Series:
    if rubric is None:
        return pd.Series(1.0, index=criteria, dtype="float64")
    return pd.Series({c: float(rubric.criterion(c).effective_scale.step) for c in criteria}, dtype="float64")


# ---------------------------------------------------------------------------
# The canonical score table
# ---------------------------------------------------------------------------


def check_scores(scores: pd.DataFrame, *, what: str = "採点表") -> pd.DataFrame:
    """Validate a canonical long score table and return its scored rows.

    Parameters
    ----------
    scores : pandas.DataFrame
        Columns ``application, reviewer, criterion, score`` (others, e.g.
        ``comment``, are ignored). A missing score (NaN/None) means "not scored"
        and the row is dropped.
    what : str
        Name of the table used in error messages.

    Returns
    -------
    pandas.DataFrame
        Columns ``application, reviewer, criterion`` (str) and ``score`` (float),
        only rows with a score, RangeIndex.

    Raises
    ------
    ScoreTableError
        (Japanese message) if ``scores`` is not a DataFrame, a column is missing, a score
        is not a number, or the same application × reviewer × criterion is scored twice.
    """
    require_score_table(scores, what=what)
    out = scores.loc[:, [*_KEY, "score"]].copy()
    raw = out["score"]
    num = pd.to_numeric(raw, errors="coerce")
    bad = num.isna() & raw.notna()
    if bool(bad.any()):
        rows = [
            f"行{i}（応募 {out.at[i, 'application']!s}・審査員 {out.at[i, 'reviewer']!s}・"
            f"評価項目 {out.at[i, 'criterion']!s}: {raw.at[i]!r}）"
            for i in out.index[bad.to_numpy()]
        ]
        raise ScoreTableError(
            f"{what}の score に数値でない値があります: {_fmt_list(rows)}。数値を入れてください。"
        )
    out["score"] = num.astype("float64")
    for c in _KEY:
        if bool(out[c].isna().any()):
            rows = [str(i) for i in out.index[out[c].isna().to_numpy()]]
            raise ScoreTableError(
                f"{what}の {c} 列が空の行があります: 行{_fmt_list(rows)}。{c} を記入してください。"
            )
        out[c] = out[c].astype(str)
    out = out[out["score"].notna()].reset_index(drop=True)
    dup = out.duplicated(_KEY, keep=False)
    if bool(dup.any()):
        keys = sorted({tuple(r) for r in out.loc[dup, _KEY].itertuples(index=False, name=None)})
        shown = [f"（応募 {a}・審査員 {r}・評価項目 {c}）" for a, r, c in keys]
        raise ScoreTableError(
            f"{what}に同じ応募・審査員・評価項目の採点が複数あります: {_fmt_list(shown)}。"
            "1件だけ残してください。"
        )
    return out


def _criterion_order(scored: pd.DataFrame, rubric: Rubric | None) -> list[str]:
    present = list(pd.unique(scored["criterion"]))
    if rubric is None:
        return present
    ids = [c.id for c in rubric.criteria]
    unknown = [c for c in present if c not in ids]
    if unknown:
        raise ScoreTableError(
            f"採点表に評価基準にない評価項目があります: {_fmt_list(unknown)}。"
            f"使える評価項目: {', '.join(ids)}"
        )
    return [c for c in ids if c in present]


def _weights_and_scale(
    scored: pd.DataFrame, rubric: Rubric | None, weights: Mapping[str, float] | pd.Series | None
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Weight, scale minimum and scale span per criterion (index criterion)."""
    if rubric is not None:
        crits = [c.id for c in rubric.criteria]
        w = rubric.weights()
        lo = pd.Series({c.id: float(c.effective_scale.min) for c in rubric.criteria}, dtype="float64")
        span = pd.Series(
            {c.id: float(c.effective_scale.max - c.effective_scale.min) for c in rubric.criteria},
            dtype="float64",
        )
        _criterion_order(scored, rubric)  # unknown criteria → error
    else:
        crits = list(pd.unique(scored["criterion"]))
        w = pd.Series(1.0, index=pd.Index(crits, name="criterion"), name="weight")
        lo = pd.Series(0.0, index=crits, dtype="float64")
        span = pd.Series(1.0, index=crits, dtype="float64")
    if weights is not None:
        given = pd.Series(weights, dtype="float64")
        missing = [c for c in crits if c not in given.index]
        if missing:
            raise OptionError(
                f"weights に評価項目 {_fmt_list(missing)} の配点がありません。全ての評価項目の配点を指定してください。"
            )
        extra = [str(c) for c in given.index if c not in crits]
        if extra:
            raise OptionError(
                f"weights に採点表・評価基準にない評価項目があります: {_fmt_list(extra)}。"
                f"使える評価項目: {_fmt_list([str(c) for c in crits])}"
            )
        bad = [str(c) for c in crits if not np.isfinite(given[c]) or given[c] < 0]
        if bad:
            raise OptionError(f"weights の配点は 0 以上の数にしてください（評価項目 {_fmt_list(bad)}）。")
        if float(given[crits].sum()) <= 0:
            raise OptionError("weights の配点の合計が 0 です。少なくとも1つの評価項目に配点してください。")
        w = given[crits]
    w = pd.Series(w.to_numpy(dtype="float64"), index=pd.Index(crits, name="criterion"), name="weight")
    return w, lo.reindex(crits), span.reindex(crits)


def reviewer_totals(
    scores: pd.DataFrame,
    rubric: Rubric | None = None,
    *,
    weights: Mapping[str, float] | pd.Series | None = None,
    warn: bool = True,
) -> pd.DataFrame:
    """The weighted total (合計点) each reviewer gives each application.

    With a rubric the total is on the 配点 scale 0–100: ``100 · sum_c w_c (s_c -
    min_c) / (max_c - min_c) / sum_c w_c``, so a sheet of all top levels scores 100
    and a sheet of all bottom levels 0 (the weights are renormalised to sum 100, as
    :meth:`scoring.combine.Combiner.totals` does). Without a rubric the total is
    ``sum_c w_c s_c`` (plain sum when ``weights`` is None too). Criteria with weight
    0 are ignored.

    Only complete sheets count: a reviewer × application pair that lacks a score for
    a criterion with weight > 0 has no total (it is left out, with a warning that
    names the pairs). A criterion nobody scored is not required.

    Parameters
    ----------
    scores : pandas.DataFrame
        Canonical long score table (see :func:`check_scores`).
    rubric : Rubric, optional
        Gives weights and scales; scores of criteria not in the rubric are an error.
    weights : mapping or Series, optional
        配点 per criterion id, overriding the rubric's (the analyst's tuning); must
        cover every criterion, values ≥ 0.
    warn : bool
        Warn (``UserWarning``, Japanese) when incomplete sheets are left out.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TOTALS_COLUMNS`: ``application``, ``reviewer`` (str),
        ``total`` (float, points), ``n_criteria`` (int, criteria summed).
        One row per complete sheet, in order of first appearance; RangeIndex.
    """
    scored = check_scores(scores)
    w, lo, span = _weights_and_scale(scored, rubric, weights)
    if rubric is not None:
        w = w * (100.0 / float(w.sum()))
    present = set(scored["criterion"])
    used = [c for c in w.index if w[c] > 0 and c in present]
    part = scored[scored["criterion"].isin(used)]
    factor = (w / span).reindex(part["criterion"]).to_numpy()
    offset = lo.reindex(part["criterion"]).to_numpy()
    part = part.assign(points=(part["score"].to_numpy() - offset) * factor)
    grouped = part.groupby(["application", "reviewer"], sort=False)
    out = grouped.agg(total=("points", "sum"), n_criteria=("points", "size")).reset_index()
    complete = out["n_criteria"] == len(used)
    if warn and not bool(complete.all()):
        pairs = [
            f"{a}×{r}" for a, r in out.loc[~complete, ["application", "reviewer"]].itertuples(index=False)
        ]
        warnings.warn(
            f"未採点の評価項目がある採点 {len(pairs)}件（応募×審査員: {_fmt_list(pairs)}）は合計点から除きました。",
            UserWarning,
            stacklevel=2,
        )
    out = out[complete].reset_index(drop=True)
    out["total"] = out["total"].astype("float64")
    out["n_criteria"] = out["n_criteria"].astype("int64")
    return out.loc[:, list(TOTALS_COLUMNS)]
