"""The tables of the analyst's tuning screen (03) as HTML: the ranking and the balanced proposal.

Split from :mod:`scoring.ui.tuning_view` (which owns the widgets). Cells are escaped here;
the CSS classes are those of the view's style sheet (``shinsa-top``, ``shinsa-up``, …).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from pandas.io.formats.style import Styler

from ..core.columns import HEADERS_JA
from .widgets import esc

if TYPE_CHECKING:
    from ..analysis.tuning_proposal import Proposal

__all__ = ["MAX_ROWS", "proposal_html", "ranking_html"]

#: Rows shown in the ranking table (the rest is summarised in one line).
MAX_ROWS = 100


def _num(x: object, fmt: str = "{:.1f}") -> str:
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    return fmt.format(v) if np.isfinite(v) else "―"


def _change(x: object) -> str:
    if x is None or x is pd.NA or (isinstance(x, float) and np.isnan(x)):
        return "<span class='shinsa-same'>―</span>"
    v = int(x)  # type: ignore[call-overload]
    if v > 0:
        return f"<span class='shinsa-up'>▲{v}</span>"
    if v < 0:
        return f"<span class='shinsa-down'>▼{-v}</span>"
    return "<span class='shinsa-same'>→</span>"


def _rank_text(rank: object) -> str:
    """A rank as text ("" for none)."""
    return "" if rank is pd.NA else str(int(rank))  # type: ignore[call-overload]


def _ranking_frame(
    shown: pd.DataFrame, status: pd.Series, group_labels: Mapping[str, str], groups: list[str]
) -> pd.DataFrame:
    """The columns of the ranking table, formatted and escaped, in screen order."""
    # 順位変動 next to 順位, so it stays in view on a 1366 px screen; 状況 as in the committee material.
    return pd.DataFrame(
        {
            HEADERS_JA["rank"]: [_rank_text(r) for r in shown["rank"]],
            "順位変動": [_change(v) for v in shown["rank_change"]],
            "既定の順位": [_rank_text(r) for r in shown["baseline_rank"]],
            HEADERS_JA["status"]: [esc(x) for x in status],
            "応募": [esc(a) for a in shown.index],
            HEADERS_JA["prefecture_name"]: [esc(n) for n in shown["prefecture_name"]],
            HEADERS_JA["total"]: [_num(v) for v in shown["total"]],
            HEADERS_JA["se"]: [_num(v) for v in shown["se"]],
            **{esc(group_labels[g]): [_num(v) for v in shown[g]] for g in groups},
            HEADERS_JA["n_reviewers"]: [str(int(v)) for v in shown["n_reviewers"]],
            "注意": [esc(f) for f in shown["flags"]],
        }
    )


def _ranking_classes(
    frame: pd.DataFrame, top_rows: np.ndarray, excluded: np.ndarray, right: set[str]
) -> pd.DataFrame:
    """The CSS classes of each cell of the ranking ``frame`` (shaded top rows, 対象外, numbers)."""

    def cell(i: int, column: str) -> str:
        return " ".join(
            filter(
                None,
                [
                    "shinsa-top" if top_rows[i] else "",
                    "shinsa-excluded" if excluded[i] else "",
                    "shinsa-num" if column in right else "",
                    "shinsa-total" if column == HEADERS_JA["total"] else "",
                    "shinsa-wrap" if column == "注意" else "",
                ],
            )
        )

    return pd.DataFrame(
        [[cell(i, c) for c in frame.columns] for i in range(len(frame))],
        index=frame.index,
        columns=frame.columns,
    )


def _with_row_codes(html: str, codes: Iterable[object]) -> str:
    """``html`` whose body rows carry their application code (a hook for tests and browser checks)."""
    head, sep, body = html.partition("<tbody>")
    it = iter(codes)
    body = re.sub("<tr>", lambda _m: f'<tr data-application="{esc(next(it, ""))}">', body)
    return head + sep + body


def ranking_html(
    ranking: pd.DataFrame,
    group_labels: Mapping[str, str],
    *,
    top: int | None = None,
    max_rows: int = MAX_ROWS,
) -> str:
    """The ranking as an HTML table (a pandas Styler), for the screen.

    Parameters
    ----------
    ranking : pandas.DataFrame
        :meth:`scoring.analysis.tuning.TuningModel.ranking`.
    group_labels : mapping
        Group id → Japanese label (column headers of the group subtotals).
    top : int, optional
        Rows ranked ``top`` or better are shaded (the number to select).
    max_rows : int
        At most this many rows; a last line says how many were left out.
    """
    shown = ranking.iloc[:max_rows]
    groups = [g for g in group_labels if g in shown.columns]
    status = (
        shown["status"].astype(str)
        if "status" in shown.columns
        else pd.Series("", index=shown.index, dtype="str")
    )
    frame = _ranking_frame(shown, status, group_labels, groups)
    # The shaded top k counts only applications in the review (対象外 are never selected).
    excluded = (status != "").to_numpy()
    in_review = np.cumsum(~excluded)
    top_rows = (~excluded & (in_review <= top)) if top else np.zeros(len(shown), dtype=bool)
    frame = frame.reset_index(drop=True)
    right = {
        HEADERS_JA["rank"],
        HEADERS_JA["total"],
        HEADERS_JA["se"],
        *[esc(group_labels[g]) for g in groups],
        HEADERS_JA["n_reviewers"],
        "既定の順位",
        "順位変動",
    }
    styler = (
        Styler(frame, cell_ids=False, uuid="shinsa-ranking")
        .set_td_classes(_ranking_classes(frame, top_rows, excluded, right))
        .hide(axis="index")
        .set_table_attributes("class='shinsa-table shinsa-ranking-table'")
    )
    out = _with_row_codes(styler.to_html(), shown.index)
    if len(ranking) > max_rows:
        out += f"<div class='shinsa-muted'>上位 {max_rows} 件を表示（全 {len(ranking)} 件）。</div>"
    return out


def _table(frame: pd.DataFrame, *, wrap: tuple[str, ...] = (), right: tuple[str, ...] = ()) -> str:
    """A small HTML table of already formatted (escaped) strings."""
    head = "".join(f"<th>{esc(c)}</th>" for c in frame.columns)
    rows = []
    for _, row in frame.iterrows():
        cells = []
        for c in frame.columns:
            cls = " class='shinsa-wrap'" if c in wrap else ""
            style = " style='text-align:right'" if c in right else ""
            cells.append(f"<td{cls}{style}>{row[c]}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table class='shinsa-table'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _names(ids: Iterable[str], names: Mapping[str, str]) -> str:
    return "、".join(esc(names.get(a, a)) for a in ids) or "なし"


def proposal_html(p: Proposal) -> str:
    """The balanced proposal beside the raw top k, with what entered and left the proposal."""
    if p.error:
        return f"<div class='shinsa-proposal'><span class='shinsa-error-text'>{esc(p.error)}</span></div>"
    items = "".join(
        f"<li data-application='{esc(a)}'>{esc(p.names.get(a, a))}"
        + (" <span class='shinsa-up'>（新たに入る）</span>" if a in p.entered else "")
        + "</li>"
        for a in p.selected
    )
    moved = (
        f"入った: <span class='shinsa-up'>{_names(p.entered, p.names)}</span>　"
        f"外れた: <span class='shinsa-down'>{_names(p.left, p.names)}</span>"
        if p.entered or p.left
        else "既定の配点の選定案と同じです。"
    )
    return (
        "<div class='shinsa-proposal'><div class='shinsa-h'>バランス調整後の選定案（委員会に示す案）</div>"
        f"<ol class='shinsa-proposal-list'>{items}</ol>"
        f"<div class='shinsa-proposal-change'>既定の配点との違い: {moved}</div>"
        f"<div class='shinsa-muted'>調整前の上位 {len(p.raw_top)} 件: {_names(p.raw_top, p.names)}</div></div>"
    )
