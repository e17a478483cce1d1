"""The charts of the committee material (drawn through :mod:`scoring.reporting.figures`).

:func:`stability_chart`, :func:`breakdown_chart`, :func:`spread_chart` and :func:`selection_map`
draw one :class:`~matplotlib.figure.Figure` each from a
:class:`scoring.analysis.committee.Committee`; :func:`figure_png` turns it into PNG bytes for
the page (:mod:`scoring.reporting.committee_report`) and the notebook.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..analysis.committee import Committee
from ..core.columns import HEADERS_JA
from .figures import new_figure, png_bytes
from .overview import tile_map

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["breakdown_chart", "figure_png", "selection_map", "spread_chart", "stability_chart"]

_BLUE = "#1F4E78"
_LIGHT = "#9DB4CC"
_GREY = "#D9D9D9"
_BORDER = "#FFF2CC"
_RED = "#C00000"
_GROUP_COLOURS = ("#1F4E78", "#5B9BD5", "#A9C4E4", "#ED7D31", "#70AD47", "#FFC000")


def _figure(width: float, height: float) -> Figure:
    return new_figure(width, height, layout="constrained")


def figure_png(fig: Figure, dpi: int = 110) -> bytes:
    """The figure as PNG bytes."""
    return png_bytes(fig, dpi=dpi, facecolor="white", bbox_inches="tight", pad_inches=0.15)


def _label(c: Committee, a: str) -> str:
    return f"{c.name(a)}（{a}）"


def stability_chart(c: Committee) -> Figure:
    """How often each applicant is selected (bars) and its rank interval (lines).

    Left: share of the resamples in which the applicant is selected; the band 10–90 % is
    the border zone (当落線上). Right: the rank interval (5–95 %), the median (dot) and the
    proposal's rank (diamond), with the selection line after rank k. Applicants in the
    proposal are dark blue; applicants in the border zone have their names in orange.
    """
    s = c.stability
    n = len(s)
    fig = _figure(11.0, 1.2 + 0.36 * n)
    ax, ax2 = fig.subplots(1, 2, sharey=True, gridspec_kw={"width_ratios": [1.25, 1.0], "wspace": 0.08})
    y = np.arange(n)
    eligible = s["rank"].notna().to_numpy()
    colours = [
        (_BLUE if sel else _LIGHT) if ok else _GREY for sel, ok in zip(s["baseline_selected"], eligible)
    ]
    p = 100 * s["p_selected"].to_numpy(dtype=float)
    lo, hi = (100 * x for x in c.stability_summary.get("border", (0.1, 0.9)))
    ax.axvspan(lo, hi, color=_BORDER, zorder=0, label=f"当落線上（{lo:.0f}〜{hi:.0f}％）")
    ax.barh(y, p, color=colours, height=0.7, zorder=2)
    for yi, pi, ok in zip(y, p, eligible):
        inside = pi > 85
        ax.text(
            pi - 1.5 if inside else pi + 1.5,
            yi,
            f"{pi:.0f}％" if ok else "対象外",
            va="center",
            ha="right" if inside else "left",
            fontsize=8,
            zorder=3,
            color="white" if inside else "#222222",
        )
    ax.set_xlim(0, 100)
    ax.set_xlabel(f"選定された割合（％、再標本化 {int(c.stability_summary.get('n_boot', 0))} 回）")
    ax.set_yticks(y, [_label(c, a) for a in s.index])
    for tick, border in zip(ax.get_yticklabels(), s["border"]):
        if border:
            tick.set_color("#C55A11")
    ax.set_ylim(n - 0.5, -0.5)  # rank 1 at the top, no empty margin
    ax.grid(axis="x", color="#E0E0E0", zorder=1)
    ax.set_title("選定された割合")

    k = int(c.stability_summary.get("k", len(c.selected)))
    rl, rh, rm = (s[col].to_numpy(dtype=float) for col in ("rank_lo", "rank_hi", "rank_median"))
    ok = np.isfinite(rl)
    ax2.hlines(y[ok], rl[ok], rh[ok], color="#7F7F7F", linewidth=3, zorder=2)
    ax2.plot(rm[ok], y[ok], "o", color="#404040", markersize=5, zorder=3)
    base = s["rank"].astype(float).to_numpy()
    ax2.plot(base[ok], y[ok], "D", color=_RED, markersize=5, zorder=4)
    ax2.axvline(k + 0.5, color=_RED, linestyle="--", linewidth=1, zorder=1)
    n_elig = int(ok.sum()) or 1
    ax2.set_xlim(0.5, n_elig + 0.5)
    from matplotlib.ticker import MaxNLocator

    ax2.xaxis.set_major_locator(MaxNLocator(nbins=16, integer=True, min_n_ticks=1))
    ax2.tick_params(axis="x", labelsize=8)
    pct = round(100 * float(c.stability_summary.get("interval", 0.9)))
    ax2.set_xlabel(f"順位（線: {pct}％区間）")
    ax2.grid(axis="x", color="#EEEEEE", zorder=0)
    ax2.set_title(f"順位の範囲（赤の破線: 選定ライン {k}位）")

    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [
        Patch(color=_BLUE, label="選定案"),
        Patch(color=_LIGHT, label="選定案以外"),
        Patch(color=_BORDER, label=f"当落線上（{lo:.0f}〜{hi:.0f}％、名前が橙色）"),
        Line2D([], [], color="#7F7F7F", linewidth=3, label=f"順位の範囲（{pct}％）"),
        Line2D([], [], marker="o", linestyle="", color="#404040", label="順位の中央値"),
        Line2D([], [], marker="D", linestyle="", color=_RED, label="選定案の順位"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncol=3, fontsize=8, frameon=False)
    return fig


def breakdown_chart(c: Committee) -> Figure:
    """Stacked bars: each applicant's total split by rubric group (rank order)."""
    b = c.breakdown[c.breakdown["total"].notna()]
    n = len(b)
    fig = _figure(10.0, 1.3 + 0.34 * n)
    ax = fig.add_subplot()
    y = np.arange(n)
    left = np.zeros(n)
    for i, (gid, (label, maxp)) in enumerate(c.group_labels.items()):
        v = b[gid].to_numpy(dtype=float)
        ax.barh(
            y,
            v,
            left=left,
            color=_GROUP_COLOURS[i % len(_GROUP_COLOURS)],
            height=0.7,
            label=f"{label}（{maxp:g}点満点）",
            edgecolor="white",
            linewidth=0.5,
        )
        left += np.nan_to_num(v)
    for yi, t in zip(y, b["total"].to_numpy(dtype=float)):
        ax.text(t + 0.8, float(yi), f"{t:.1f}", va="center", fontsize=8)
    ax.set_yticks(y, [_label(c, a) for a in b.index])
    selected = set(c.selected)
    for tick, a in zip(ax.get_yticklabels(), b.index):
        if a in selected:
            tick.set_color(_BLUE)
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_xlim(0, 100)
    ax.set_xlabel(f"{HEADERS_JA['total']}　青字: 選定案")
    ax.grid(axis="x", color="#E0E0E0")
    ax.set_axisbelow(True)
    fig.legend(loc="outside lower center", ncol=len(c.group_labels), fontsize=8, frameon=False)
    return fig


def spread_chart(c: Committee) -> Figure:
    """Each reviewer's own total (dots), their range (line) and the combined total (diamond)."""
    s = c.spread
    s = s[s["n_reviewers"] > 0]
    n = len(s)
    fig = _figure(10.0, 1.3 + 0.34 * n)
    ax = fig.add_subplot()
    pos = {a: i for i, a in enumerate(s.index)}
    rt = c.reviewer_totals[c.reviewer_totals["application"].isin(pos)]
    from matplotlib.lines import Line2D

    ax.hlines(np.arange(n), s["min"], s["max"], color="#A6A6A6", linewidth=2, zorder=1)
    ax.scatter(rt["total"], rt["application"].map(pos), s=18, color="#5B9BD5", zorder=2)
    ax.scatter(s["total"], np.arange(n), marker="D", s=36, color=_RED, zorder=3)
    ax.set_yticks(np.arange(n), [_label(c, a) for a in s.index])
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_xlim(0, 100)
    ax.set_xlabel(HEADERS_JA["total"])
    ax.grid(axis="x", color="#E0E0E0")
    ax.set_axisbelow(True)
    fig.legend(
        handles=[
            Line2D([], [], marker="o", linestyle="", color="#5B9BD5", label="審査員ごとの合計点（補正前）"),
            Line2D([], [], color="#A6A6A6", linewidth=2, label="その最小〜最大"),
            Line2D([], [], marker="D", linestyle="", color=_RED, label="統合後の合計点"),
        ],
        loc="outside lower center",
        ncol=3,
        fontsize=8,
        frameon=False,
    )
    return fig


def selection_map(c: Committee) -> Figure:
    """The tile map of Japan: applicants coloured by theme, the proposal outlined in bold."""

    sel = pd.Series(True, index=pd.Index(c.selected, dtype=object), dtype=bool)
    return tile_map(c.applications, highlight=sel, title="応募（色: 重点テーマ）と選定案（太枠）")


_CHARTS: dict[str, Callable[[Committee], Figure]] = {
    "stability": stability_chart,
    "breakdown": breakdown_chart,
    "spread": spread_chart,
    "map": selection_map,
}
_CAPTIONS: dict[str, str] = {
    "stability": (
        "左: 審査員の再標本化（各応募の審査員を復元抽出、統合方法は選定案と同じ）を繰り返したとき、"
        "その応募が選ばれた割合。薄黄色の帯が当落線上（選ばれるかどうかが揺れる範囲）。"
        "右: 同じ繰り返しでの順位の範囲。赤の破線より左が選定圏。"
    ),
    "breakdown": "評価項目のグループごとの得点（統合後、配点を100点満点に換算）。",
    "spread": (
        "点は各審査員自身の合計点（補正前）、灰色の線はその最小〜最大、赤のひし形は審査員の甘辛を補正して"
        "統合した合計点。線が長いほど審査員の見方が分かれています。"
    ),
    "map": "地図はタイル図（1都道府県＝1マス、位置はおおよそ）。インターネットや地図データは使っていません。",
}


def _chart_png(c: Committee, key: str, cache: dict[str, bytes] | None = None) -> bytes:
    if cache is not None and key in cache:
        return cache[key]
    fig = _CHARTS[key](c)
    png = figure_png(fig)
    if cache is not None:
        cache[key] = png
    return png
