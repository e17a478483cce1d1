"""The committee's reading material: ``committee.html``, ``committee.pdf``, ``committee.xlsx`` and the notebook.

Everything here is drawn from a :class:`scoring.analysis.committee.Committee`; nothing is computed
anew. Three outputs share the same tables and charts:

``committee.html``
    One static page in Japanese: inline CSS, every chart embedded as a base64 PNG data
    URI, no script, no external URL (no CDN, no web font: the fonts are the reader's own
    Japanese fonts), so it opens offline (LGWAN) and prints on A4 portrait. Rendered from
    the Jinja2 templates in ``templates/`` (autoescape on: everything people typed is
    escaped); technical records (hashes, paths, the command) sit in an appendix.
``committee.pdf``
    The same page printed by WeasyPrint (:func:`write_committee_pdf`): A4 portrait, Noto
    Sans CJK embedded, round name and 委員限り on every page, 「n / N」 in the footer.
``committee.xlsx``
    One sheet per table (:func:`scoring.reporting.committee_tables.tables_ja`) through :mod:`scoring.core.xlsx`:
    machine-readable (one value per cell, no merged cells, numbers as numbers, free text
    never a formula), styled header, frozen panes, widths for Japanese text, A4
    landscape; 注記 with the round, rubric version, settings hash and generation time.
``notebooks/04_committee.ipynb``
    :func:`section` returns the display objects (HTML tables and PNG images) of one
    section; the notebook only calls it. Voilà serves the same notebook without code.

Charts (matplotlib, Japanese font from ``matplotlib_fontja``, no pyplot state):
:func:`stability_chart`, :func:`breakdown_chart`, :func:`spread_chart`, :func:`selection_map`.
"""

from __future__ import annotations

import base64
import html
import io
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from ..analysis.committee import Committee, build_committee
from ..analysis.status import flag_with_reason
from ..config.push import PUSH_INDICATORS
from ..config.rubric import format_level
from ..core.columns import HEADERS_JA, METHOD_LABELS
from ..core.errors import NoScoresError
from ..core.excel import display_width
from ..core.schema import THEMES
from ..core.xlsx import write_workbook
from .committee_tables import tables_ja
from .overview import tile_map

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..round.loader import ReviewRound

__all__ = [
    "CSS",
    "SECTIONS",
    "breakdown_chart",
    "committee_html",
    "figure_png",
    "html_table",
    "open_committee",
    "section",
    "section_html",
    "selection_map",
    "spread_chart",
    "stability_chart",
    "write_committee_pdf",
    "write_committee_reports",
    "write_committee_workbook",
]

#: Sections of the committee material: key → Japanese heading, in reading order.
SECTIONS: dict[str, str] = {
    "summary": "概要",
    "ranked": "順位表",
    "breakdown": "評価の内訳（評価項目のグループ別）",
    "spread": "審査員の点数のばらつき",
    "selection": "選定案と理由",
    "decision": "選定結果（委員会の決定）",
    "stability": "選定の安定性",
    "discussion": "協議対象と協議後の修正",
    "coverage": "地域×重点テーマ",
    "map": "地図（応募と選定案）",
    "push": "プッシュ型の候補（応募のない都道府県の必要性）",
    "reliability": "審査員間の一致（信頼性）",
    "receipts": "審査員の受領コード",
    "comments": "審査員の講評コメントと未提出の採点",
    "notes": "付録　設定と記録（注記）",
}

_TEMPLATES = Path(__file__).resolve().parent / "templates"

_BLUE = "#1F4E78"
_LIGHT = "#9DB4CC"
_GREY = "#D9D9D9"
_BORDER = "#FFF2CC"
_RED = "#C00000"
_GROUP_COLOURS = ("#1F4E78", "#5B9BD5", "#A9C4E4", "#ED7D31", "#70AD47", "#FFC000")

#: Inline style sheet (``templates/committee.css``), scoped to ``.shinsa-committee`` so it does
#: not restyle JupyterLab. Fonts are local Japanese fonts only (no web font, no URL).
CSS = (_TEMPLATES / "committee.css").read_text(encoding="utf-8")


def _escape(value: object) -> Markup:
    """Escape like :func:`html.escape` (``&quot;``, ``&#x27;``); markup from a template passes."""
    if isinstance(value, Markup):
        return value
    return Markup(html.escape("" if value is None else str(value)))


#: The templates beside this module; autoescape ON: every value is escaped.
_ENV = Environment(loader=FileSystemLoader(_TEMPLATES), autoescape=True, finalize=_escape,
                   undefined=StrictUndefined)


def _render(template: str, **context: Any) -> str:
    return _ENV.get_template(template).render(**context)


# ----------------------------------------------------------------------------------------
# Formatting
# ----------------------------------------------------------------------------------------


def _fmt(value: object, column: str) -> tuple[str, bool]:
    """Display text of a cell and whether it is numeric (right-aligned)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return "", False
    if isinstance(value, (bool, np.bool_)):
        return ("はい" if value else ""), False
    if isinstance(value, (int, np.integer)):
        return str(int(value)), True
    if isinstance(value, (float, np.floating)):
        x = float(value)
        if math.isnan(x):
            return "", True
        if "順位" in column and x.is_integer():
            return str(int(x)), True
        if column.startswith(("α", "ICC")):
            return f"{x:.3f}", True
        return f"{x:,.1f}", True
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m-%d %H:%M}", False
    return str(value), False


Block = dict[str, Any]
"""One building block of a section, rendered by ``templates/_blocks.html.j2``: ``kind`` is
``p``, ``h3``, ``table``, ``kv``, ``lines``, ``alert``, ``box`` or ``figure``."""


def _table(df: pd.DataFrame, *, row_classes: Sequence[str] | None = None, css_class: str = "shinsa",
           formatters: Mapping[str, Callable[[object], str]] | None = None) -> dict[str, Any]:
    """The display form of ``df`` for the ``table`` macro: head and rows of (text, class) cells."""
    formatters = formatters or {}
    rows = []
    for i, row in enumerate(df.itertuples(index=False, name=None)):
        cells = []
        for col, v in zip(df.columns, row):
            if col in formatters:
                text, num = formatters[col](v), False
            else:
                text, num = _fmt(v, str(col))
            width = display_width(text)
            cls = "num" if num else ("wrap" if width > 36 else ("short" if width <= 12 else "mid"))
            cells.append({"text": text, "cls": cls})
        rc = row_classes[i] if row_classes is not None and i < len(row_classes) and row_classes[i] else ""
        rows.append({"cls": rc, "cells": cells})
    return {"css_class": css_class, "head": [str(c) for c in df.columns], "rows": rows}


def _table_block(df: pd.DataFrame, **kwargs: Any) -> Block:
    return {"kind": "table", "table": _table(df, **kwargs)}


def _blocks_html(blocks: Sequence[Block]) -> str:
    return "".join(_ENV.get_template("_blocks.html.j2").module.block(b)  # type: ignore[attr-defined]
                   for b in blocks)


def html_table(df: pd.DataFrame, *, row_classes: Sequence[str] | None = None, css_class: str = "shinsa",
               formatters: Mapping[str, Callable[[object], str]] | None = None) -> str:
    """``df`` as an HTML table (no index): every value escaped, numbers right-aligned.

    Floats show one decimal (``"順位"`` columns with whole numbers show none); booleans
    はい/"" ; missing values are empty. ``row_classes`` gives a CSS class per row
    (``selected``, ``runner``, ``ineligible``, ``total``).
    """
    return _blocks_html([_table_block(df, row_classes=row_classes, css_class=css_class, formatters=formatters)])


def _kv(df: pd.DataFrame) -> Block:
    rows = []
    for k, v in zip(df["項目"], df["値"]):
        text, _ = _fmt(v, str(k))
        if isinstance(v, (float, np.floating)) and not math.isnan(float(v)):
            text = f"{float(v):,.1f}"
        rows.append((str(k), text))
    return {"kind": "kv", "rows": rows}


def _status_classes(statuses: Iterable[object]) -> list[str]:
    m = {"選定": "selected", "次点": "runner", "対象外": "ineligible", "未採点": "ineligible"}
    return [m.get(str(s), "") for s in statuses]


def _p(text: str, cls: str = "note") -> Block:
    return {"kind": "p", "text": text, "cls": cls}


# ----------------------------------------------------------------------------------------
# Charts
# ----------------------------------------------------------------------------------------


def _figure(width: float, height: float) -> Figure:
    import matplotlib_fontja  # noqa: F401  (registers the bundled Japanese font)
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def figure_png(fig: Figure, dpi: int = 110) -> bytes:
    """The figure as PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white", bbox_inches="tight", pad_inches=0.15)
    return buf.getvalue()


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
    colours = [(_BLUE if sel else _LIGHT) if ok else _GREY
               for sel, ok in zip(s["baseline_selected"], eligible)]
    p = 100 * s["p_selected"].to_numpy(dtype=float)
    lo, hi = (100 * x for x in c.stability_summary.get("border", (0.1, 0.9)))
    ax.axvspan(lo, hi, color=_BORDER, zorder=0, label=f"当落線上（{lo:.0f}〜{hi:.0f}％）")
    ax.barh(y, p, color=colours, height=0.7, zorder=2)
    for yi, pi, ok in zip(y, p, eligible):
        inside = pi > 85
        ax.text(pi - 1.5 if inside else pi + 1.5, yi, f"{pi:.0f}％" if ok else "対象外", va="center",
                ha="right" if inside else "left", fontsize=8, zorder=3, color="white" if inside else "#222222")
    ax.set_xlim(0, 100)
    ax.set_xlabel(f"選定された割合（％、再標本化 {int(c.stability_summary.get('n_boot', 0))} 回）")
    ax.set_yticks(y, [_label(c, a) for a in s.index])
    for tick, border in zip(ax.get_yticklabels(), s["border"]):
        if border:
            tick.set_color("#C55A11")
    ax.set_ylim(n - 0.5, -0.5)      # rank 1 at the top, no empty margin
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
        Patch(color=_BLUE, label="選定案"), Patch(color=_LIGHT, label="選定案以外"),
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
        ax.barh(y, v, left=left, color=_GROUP_COLOURS[i % len(_GROUP_COLOURS)], height=0.7,
                label=f"{label}（{maxp:g}点満点）", edgecolor="white", linewidth=0.5)
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
    ax.set_xlabel("合計点（100点満点）　青字: 選定案")
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
    fig.legend(handles=[
        Line2D([], [], marker="o", linestyle="", color="#5B9BD5", label="審査員ごとの合計点（補正前）"),
        Line2D([], [], color="#A6A6A6", linewidth=2, label="その最小〜最大"),
        Line2D([], [], marker="D", linestyle="", color=_RED, label="統合後の合計点"),
    ], loc="outside lower center", ncol=3, fontsize=8, frameon=False)
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
    "stability": ("左: 審査員の再標本化（各応募の審査員を復元抽出）と統合方法の切り替えを繰り返したとき、"
                  "その応募が選ばれた割合。薄黄色の帯が当落線上（選ばれるかどうかが揺れる範囲）。"
                  "右: 同じ繰り返しでの順位の範囲。赤の破線より左が選定圏。"),
    "breakdown": "評価項目のグループごとの得点（統合後、配点を100点満点に換算）。",
    "spread": ("点は各審査員自身の合計点（補正前）、灰色の線はその最小〜最大、赤のひし形は審査員の甘辛を補正して"
               "統合した合計点。線が長いほど審査員の見方が分かれています。"),
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


def _figure_block(png: bytes, alt: str, caption: str = "") -> Block:
    data = base64.b64encode(png).decode("ascii")
    return {"kind": "figure", "src": f"data:image/png;base64,{data}", "alt": alt, "caption": caption, "png": png}


# ----------------------------------------------------------------------------------------
# Tables for people (the workbook keeps the full, machine-readable ones)
# ----------------------------------------------------------------------------------------

#: Technical rows of the summary, shown in the appendix instead.
_TECHNICAL = ("設定ハッシュ",)
_BLOCK_SCHEMES = {"8blocks": "8地方（北海道・東北・関東・中部・近畿・中国・四国・九州沖縄）",
                  "10blocks": "10地方（東海・北陸信越・沖縄を分ける）"}


def theme_label(theme: object) -> str:
    """「A システムの共同調達」 for ``"A"`` (the letter alone when unknown, "" when missing)."""
    if theme is None or (isinstance(theme, float) and math.isnan(theme)) or theme is pd.NA:
        return ""
    t = str(theme)
    return f"{t} {THEMES[t]}" if t in THEMES else t


def _ranked_people(c: Committee, t: pd.DataFrame) -> pd.DataFrame:
    """順位 with theme names and, for applications outside the review, why (e.g. 期限後提出)."""
    reasons = c.exclusion_reasons
    if not len(reasons) and c.selection is not None:
        reasons = c.selection.reasons["reason"]
    notes = []
    for a, status, flag in zip(t["応募ID"], t["選定案"], t["注記"]):
        reason = str(reasons.get(a)) if status == "対象外" and isinstance(reasons.get(a), str) else ""
        notes.append(flag_with_reason(reason, str(flag) if isinstance(flag, str) else ""))
    out = t.drop(columns=["応募ID"]).assign(重点テーマ=[theme_label(x) for x in t["重点テーマ"]], 注記=notes)
    return out.rename(columns={"審査員数（名）": "審査員（名）"})


def _coverage_people(c: Committee) -> pd.DataFrame:
    """地域×テーマ in one column per theme: 「応募（うち選定案）」, e.g. 2（1）."""
    cov = c.coverage.reset_index()
    blocks = list(dict.fromkeys(cov["block"]))
    rows = []
    for b in [*blocks, "合計"]:
        part = cov if b == "合計" else cov[cov["block"] == b]
        row: dict[str, object] = {"地方ブロック": b}
        for t in [*THEMES, "合計"]:
            x = part if t == "合計" else part[part["theme"] == t]
            n, k = int(x["applicants"].sum()), int(x["selected"].sum())
            row[theme_label(t) if t != "合計" else "合計"] = (f"{n}（{k}）" if k else str(n)) if n else "－"
        rows.append(row)
    return pd.DataFrame(rows)


def _appendix(c: Committee, notes: pd.DataFrame) -> list[tuple[str, str]]:
    """The settings and records in Japanese, one per row: no JSON, hashes last."""
    st = c.settings
    sel = st.get("selection", {})
    opts = st.get("method_options", {}) or {}
    weights = st.get("weights", {}) or {}
    rows: list[tuple[str, str]] = [
        ("審査ラウンド", c.round_name),
        ("評価基準", f"{st.get('rubric', {}).get('id', '')}（版 {c.rubric_version}）"),
        ("配点（100点満点）", "、".join(f"{c.criterion_labels.get(k, k)} {format_level(round(float(v), 4))}点"
                                   for k, v in weights.items())),
        ("点数の統合方法", METHOD_LABELS.get(c.method, c.method)),
        ("統合方法の細かな設定", "、".join(f"{k} = {v}" for k, v in opts.items()) or "なし"),
        ("選定数（件）", str(c.config_summary.get("k_text", ""))),
        ("バランスの条件", str(c.config_summary.get("balance_text", ""))),
        ("地方ブロックの区分", _BLOCK_SCHEMES.get(str(sel.get("block_scheme", "")), str(sel.get("block_scheme", "")))),
        ("必ず含める・除外・審査対象とする例外", str(c.config_summary.get("locks_text", "")) or "なし"),
        ("受付の判断（期限後受理・訂正・再提出・辞退）", str(c.config_summary.get("eligibility_text", "")) or "なし"),
        ("採点（件）", f"{c.n_scores}（提出前の下書きを含む）" if st.get("scores", {}).get("include_drafts")
         else str(c.n_scores)),
        ("安定性の計算", (f"再標本化 {int(c.stability_options.get('n_boot', 0))} 回、乱数の種 "
                     f"{int(c.stability_options.get('seed', 0))}。当落線上 = 選定された割合が 10％超 90％未満")),
    ]
    skip = {"審査ラウンド", "評価基準の版", "設定の記録（JSON）", "点数の統合方法", "配点", "選定数（件）",
            "バランスの条件", "安定性の再標本化（回）", "安定性の乱数の種", "当落線上の定義"}
    for k, v in zip(notes["項目"], notes["値"]):
        if str(k) not in skip:
            rows.append((str(k), _fmt(v, str(k))[0]))
    pkg = st.get("package", {})
    rows += [
        ("作成したプログラム", f"審査ワークベンチ {pkg.get('name', 'shinsa')} {pkg.get('version', '')}".strip()),
        ("この資料を作り直すコマンド", f"python -m scoring report --round {c.round_path} --out 出力フォルダ"),
    ]
    return rows


# ----------------------------------------------------------------------------------------
# Sections
# ----------------------------------------------------------------------------------------


def _section_body(c: Committee, key: str, tables: Mapping[str, pd.DataFrame], *,
                  charts: bool, cache: dict[str, bytes] | None) -> list[Block]:
    """The blocks of one section, in order (see :data:`Block`)."""
    out: list[Block] = []
    if key == "summary":
        summ = tables["概要"]
        summ = summ[~summ["項目"].astype(str).str.startswith(("警告", "お知らせ", *_TECHNICAL))]
        if c.all_warnings:
            out.append({"kind": "alert", "title": "注意", "entries": list(c.all_warnings)})
        for notice in c.notices:
            out.append(_p(notice, "lead"))
        out.append(_kv(summ))
    elif key == "ranked":
        t = tables["順位"]
        out.append(_p("合計点の高い順。選定案の応募は緑、次点は黄、審査対象外は灰色（理由は注記）。"
                      "「選定された割合」は安定性の分析（下記）による。応募IDは committee.xlsx の「順位」にあります。"))
        out.append(_table_block(_ranked_people(c, t), row_classes=_status_classes(t["選定案"])))
    elif key == "breakdown":
        if charts:
            out.append(_figure_block(_chart_png(c, "breakdown", cache), "評価の内訳のグラフ", _CAPTIONS["breakdown"]))
        out.append(_table_block(tables["内訳"], row_classes=_status_classes(c.ranked["status"])))
    elif key == "spread":
        if charts:
            out.append(_figure_block(_chart_png(c, "spread", cache), "審査員の点数のばらつきのグラフ", _CAPTIONS["spread"]))
        out.append(_table_block(tables["ばらつき"], row_classes=_status_classes(c.ranked["status"])))
    elif key == "selection":
        if c.selection is None:
            out.append({"kind": "box", "cls": "warning", "text": c.selection_error, "entries": []})
        else:
            sel = c.selection
            out += [
                _p(f"選定案（{sel.k}件）: {c.names(sel.selected)}", "proposal"),
                {"kind": "lines", "entries": sel.summary_ja().splitlines()[1:]},
                _table_block(tables["選定案"]),
                {"kind": "h3", "text": "応募ごとの理由"},
                _table_block(tables["理由"], row_classes=_status_classes(tables["理由"]["状況"])),
                {"kind": "h3", "text": "次善の選定案"}, _table_block(tables["代替案"]),
                {"kind": "h3", "text": "選定数ごとの最良案"}, _table_block(tables["選定数別"]),
            ]
    elif key == "decision":
        if c.decision is None:
            out.append(_p("選定結果はまだ記録されていません（python -m scoring decide で記録します）。"))
        else:
            d = c.decision
            head = (f"{d.by} が {d.recorded_at_jst:%Y-%m-%d %H:%M}（日本時間）に記録。"
                    f"選定: {c.names(d.selected)}")
            out.append({"kind": "box", "cls": "warning" if c.decision_warnings else "ok", "text": head,
                        "entries": list(c.decision_warnings)})
            if d.note:
                out.append(_p(f"注記: {d.note}", "lead"))
            t = tables["選定結果"]
            out.append(_table_block(t, row_classes=["selected" if v == "選定" else "" for v in t["決定"]]))
    elif key == "stability":
        s = c.stability_summary
        if charts:
            out.append(_figure_block(_chart_png(c, "stability", cache), "選定の安定性のグラフ", _CAPTIONS["stability"]))
        if s:
            out.append(_p("安定性とは: 審査員の組み合わせや点数の統合方法が少し違っていたら、同じ応募が選ばれたかを"
                          f"{int(s.get('n_boot', 0))} 回試した結果で、「選定された割合」が 100％に近いほど"
                          "その応募の選定（または非選定）は揺らぎにくいことを示します。", "lead"))
            out.append(_p(f"再標本化 {int(s.get('n_boot', 0))} 回（乱数の種 {s.get('seed', 0)}）のうち、選定案と同じ顔ぶれが"
                          f"選ばれたのは {100 * float(s.get('baseline_frequency', 0)):.1f}％、選定案の応募が残った割合は平均 "
                          f"{100 * float(s.get('mean_overlap', float('nan'))):.1f}％。", "lead"))
        t = tables["安定性"]
        classes = ["ineligible" if pd.isna(r) else ("selected" if sel else ("runner" if b else ""))
                   for r, sel, b in zip(t["順位（審査対象内）"], t["選定案"] == "選定", t["当落線上"] != "")]
        out.append(_table_block(t, row_classes=classes))
    elif key == "discussion":
        n_ranked = int(c.ranked["rank"].notna().sum())
        out.append(_p(f"協議対象 {len(c.discussion)} 件（順位のある {n_ranked} 件中）。選定ライン付近（安定性の分析で"
                      "選定された割合が 25〜75％、または選定数の前後1位）の応募と、審査員それぞれの甘辛を差し引いても"
                      "意見が分かれている応募です。理由の点数は素点（審査員が付けた点数）です。", "lead"))
        if len(c.discussion):
            out.append(_table_block(tables["協議対象"]))
        if "協議後の修正" in tables:
            out.append({"kind": "h3", "text": "協議後の修正（2段階目）"})
            out.append(_p(f"協議の後に審査員が修正した点数 {len(c.revisions)} 件。合計点・順位・選定案は修正後の点数で計算しています。"))
            out.append(_table_block(tables["協議後の修正"]))
        else:
            out.append(_p("協議後に修正された点数はありません（python -m scoring revise で記録します）。"))
    elif key == "coverage":
        t = _coverage_people(c)
        out.append(_p("各地方ブロック・重点テーマの応募件数。かっこ内はそのうち選定案の件数、「－」は応募なし。"
                      "件数ごとの表は committee.xlsx の「地域×テーマ」にあります。"))
        out.append(_table_block(t, row_classes=["total" if b == "合計" else "" for b in t["地方ブロック"]]))
    elif key == "map":
        if charts:
            out.append(_figure_block(_chart_png(c, "map", cache), "応募と選定案の地図", _CAPTIONS["map"]))
    elif key == "push":
        out += _push_blocks(c, tables)
    elif key == "reliability":
        out += [_p(c.reliability_headline, "lead"), _p(
            "Krippendorff の α: 0.800 以上で信頼できる、0.667〜0.800 は暫定的、0.667 未満は審査員の見方が"
            "分かれている（Krippendorff 2004）。ICC・Kendall の W は全員が全応募を採点した場合のみ。"),
            _table_block(tables["信頼性"].drop(columns=["評価項目ID"]))]
    elif key == "receipts":
        if "受領コード" in tables and len(tables["受領コード"]):
            out += [_p("審査員が採点を提出したときに受け取ったコードです（応募×審査員、「―」はまだ提出のないもの）。"
                       "各審査員は、手元のコードがこの表にあることと、python -m scoring verify-receipt で"
                       "採点がそのまま届いていることを確かめられます。提出日時は committee.xlsx にあります。"),
                    *(_table_block(g) for g in _receipt_grids(tables["受領コード"]))]
        else:
            out.append(_p("提出された採点はまだありません（受領コードは提出のときに発行されます）。"))
    elif key == "comments":
        who = ("審査員は氏名で示します（round.yaml の show_reviewer_names）。" if _names_shown(c)
               else "審査員は匿名で、審査員A・B…と示します（このラウンドの中ではいつも同じ記号です）。")
        missing = tables.get("未提出")
        out.append({"kind": "h3", "text": "未提出の採点"})
        if missing is not None and len(missing):
            per_app = missing.drop_duplicates("応募ID")
            out.append(_p("割り当てられた採点のうち、まだ提出されていないものです（下書き・未着手）。"
                          "合計点には下書きの点数を含め、未着手の採点は含みません。" + who))
            out.append({"kind": "lines", "entries": [
                f"{n}: 審査員 {int(k)} 名のうち {int(d)} 名が提出"
                for n, d, k in zip(per_app["都道府県"], per_app["提出済（件）"], per_app["割当（件）"])]})
            out.append(_table_block(missing.drop(columns=["応募ID"])))
        else:
            out.append(_p("割り当てられた採点はすべて提出されています。"))
        comments = tables.get("講評コメント")
        out.append({"kind": "h3", "text": "講評コメント"})
        if comments is not None and len(comments):
            people, on_paper = _comments_people(c, comments)
            out.append(_p("審査員が採点とともに書いた講評です（応募は順位表の順）。" + who
                          + "評価項目ごとの一覧は committee.xlsx の「講評コメント」にあります。"))
            out.append({"kind": "p", "cls": "print-only",
                        "text": "印刷版には選定案の応募の講評だけを載せています"
                                "（すべての応募の講評は committee.html と committee.xlsx にあります）。"})
            out.append(_table_block(people, row_classes=["" if keep else "screen-only" for keep in on_paper]))
        else:
            out.append(_p("講評コメントはありません。"))
    elif key == "notes":
        out.append(_p("この資料を作ったときの設定と記録です。設定ハッシュと採点の指紋は、設定や採点が後から"
                      "変わっていないかを確かめるための識別番号です（委員会の決定に記録されます）。"))
        out.append({"kind": "kv", "rows": _appendix(c, tables["注記"])})
    else:
        raise ValueError(f"セクション '{key}' はありません。使えるセクション: {', '.join(SECTIONS)}")
    return out


#: Rows of the プッシュ型 table printed in the HTML page and the PDF (all 47 are in the workbook).
PUSH_ROWS_SHOWN = 15


def _push_blocks(c: Committee, tables: Mapping[str, pd.DataFrame]) -> list[Block]:
    """The プッシュ型 section: how the need score is made, and the top of the list."""
    t = tables.get("プッシュ型候補")
    if t is None or not len(t):
        return [_p("プッシュ型の候補は計算していません。")]
    attrs = c.push_candidates.attrs
    weights = "、".join(f"{label.split('（')[0]} {float(w):g}" for ind, (label, _) in PUSH_INDICATORS.items()
                       if (w := attrs.get("weights", {}).get(ind, 0)))
    cand = t.loc[t["状況"] == "候補", "都道府県"].tolist()
    people = t.drop(columns=[col for col in t.columns if str(col).startswith("寄与") or col == "都道府県コード"])
    return [
        _p(f"応募のない都道府県のうち必要性の高い団体: {'・'.join(cand) or '（なし）'}", "lead"),
        _p("総務省はヒアリングにより、応募のない都道府県をプッシュ型で支援できます。47 都道府県を、町村の割合・"
           "人口減少率・人材プール登録者1人あたりの市町村数・応募の有無で比べました。各指標を 47 都道府県で標準化"
           f"（平均 0・標準偏差 1、不明な値は 0）し、重み（{weights}）を掛けて足したものが「必要性の得点」です。"
           f"上位 {min(PUSH_ROWS_SHOWN, len(t))} 団体を示します（応募した都道府県は灰色）。"
           "47 都道府県すべてと指標ごとの寄与は committee.xlsx の"
           "「プッシュ型候補」にあります。設定: " + (attrs.get("name") or "")),
        _table_block(people.head(PUSH_ROWS_SHOWN),
                     row_classes=["ineligible" if v == "応募済" else "" for v in people["状況"].head(PUSH_ROWS_SHOWN)],
                     formatters={"必要性の得点": _two_decimals}),
    ]


def _two_decimals(value: object) -> str:
    try:
        x = float(str(value))
    except ValueError:
        return ""
    return "" if math.isnan(x) else f"{x:.2f}"


def _names_shown(c: Committee) -> bool:
    return bool(c.reviewer_labels) and not all(v.startswith("審査員") for v in c.reviewer_labels.values())


#: Statuses whose applications' comments are printed (the paper stays within its pages).
_COMMENTS_ON_PAPER = ("選定",)


def _comments_people(c: Committee, t: pd.DataFrame) -> tuple[pd.DataFrame, list[bool]]:
    """講評コメント for reading: one row per application × criterion, each distinct comment on
    its own line as 「コメント（審査員A 5点・審査員C 4点）」 (the same words by several reviewers
    once; the full list stays in the workbook); and, per row, whether it is printed
    (applications in the proposal; the screen shows every row)."""
    rows, paper = [], []
    status = c.ranked["status"].astype(str)
    for (app, name, item), g in t.groupby(["応募ID", "都道府県", "評価項目"], sort=False):
        lines = []
        for text, h in g.groupby("講評コメント", sort=False):
            who = "・".join(f"{r} {'' if pd.isna(v) else f'{float(v):g}'}点" for r, v in zip(h["審査員"], h["点数"]))
            lines.append(f"{text}（{who}）")
        rows.append((name, item, "\n".join(lines)))
        paper.append(str(status.get(app, "")) in _COMMENTS_ON_PAPER)
    return pd.DataFrame(rows, columns=["都道府県", "評価項目", "講評"]), paper


#: Reviewers per receipt table on paper (an A4 portrait page holds three code columns).
RECEIPT_COLUMNS_PER_TABLE = 3


def _receipt_grids(receipts: pd.DataFrame) -> list[pd.DataFrame]:
    """The 受領コード table as application × reviewer grids, a few reviewers per grid (fits A4)."""
    grid = receipts.pivot_table(index=["応募", "都道府県"], columns="審査員", values="受領コード", aggfunc="first")
    grid = grid.fillna("―")
    grid.columns.name = None
    step = RECEIPT_COLUMNS_PER_TABLE
    return [grid.iloc[:, i:i + step].reset_index() for i in range(0, grid.shape[1], step)]


def _section(c: Committee, key: str, tables: Mapping[str, pd.DataFrame], *, heading: bool = True,
             charts: bool = True, cache: dict[str, bytes] | None = None) -> dict[str, Any]:
    blocks = _section_body(c, key, tables, charts=charts, cache=cache)
    return {"key": key, "heading": SECTIONS[key] if heading else "", "blocks": blocks}


def section_html(c: Committee, key: str, *, heading: bool = True, charts: bool = True,
                 tables: Mapping[str, pd.DataFrame] | None = None, cache: dict[str, bytes] | None = None) -> str:
    """One section of the committee material as an HTML fragment (charts as data URIs)."""
    tables = tables if tables is not None else tables_ja(c)
    return _render("section.html.j2", s=_section(c, key, tables, heading=heading, charts=charts, cache=cache))


def _fragment(blocks: Sequence[Block], *, style: bool = True, css_class: str = "shinsa-committee") -> str:
    return _render("fragment.html.j2", blocks=blocks, style=style, css_class=css_class)


def open_committee(round_path: str | Path | None = None) -> tuple[Committee | None, Any]:
    """The committee material for a notebook or dashboard, or a notice why there is none.

    Returns ``(committee, notice)``: with scores, the :class:`Committee` and an empty HTML
    object; for a round without scores yet, ``None`` and a Japanese notice that says how to
    create or import them (:func:`section` then shows nothing). Reading only.
    """
    from IPython.display import HTML

    try:
        return build_committee(round_path), HTML("")
    except NoScoresError as e:
        return None, HTML(_fragment([_p(str(e))], css_class="shinsa-committee shinsa-notice"))


def section(c: Committee | None, key: str) -> list[Any]:
    """Display objects of one section for a notebook: ``IPython.display.HTML`` and ``Image``.

    Use ``display(*section(c, "ranked"))``. Keys: :data:`SECTIONS`. The first HTML object
    carries the scoped style sheet, so the tables look the same in JupyterLab and Voilà.
    ``c=None`` (a round without scores, see :func:`open_committee`) gives no objects.
    """
    from IPython.display import HTML, Image

    if c is None:
        return []

    cache: dict[str, bytes] = c.render_cache.setdefault("png", {})
    if "tables_ja" not in c.render_cache:
        c.render_cache["tables_ja"] = tables_ja(c)
    tables: dict[str, pd.DataFrame] = c.render_cache["tables_ja"]
    out: list[Any] = []
    run: list[Block] = []
    for b in [*_section_body(c, key, tables, charts=True, cache=cache), None]:
        if b is not None and b["kind"] != "figure":
            run.append(b)
            continue
        if run:
            out.append(HTML(_fragment(run)))
            run = []
        if b is not None:
            out.append(Image(data=b["png"], format="png"))
            if b["caption"]:
                out.append(HTML(_fragment([_p(b["caption"])], style=False)))
    return out


def committee_html(c: Committee) -> str:
    """The whole committee material as one static HTML page (Japanese, offline, printable)."""
    tables = tables_ja(c)
    cache: dict[str, bytes] = {}
    keys = ["summary", *(k for k in SECTIONS if k != "summary")]
    return _render("committee.html.j2", c=c, title=f"選定委員会資料 — {c.round_name}",
                   generated=f"{c.generated_at:%Y-%m-%d %H:%M}",
                   sections=[_section(c, k, tables, cache=cache) for k in keys])


def write_committee_workbook(c: Committee, path: str | Path) -> Path:
    """Write ``committee.xlsx`` (one sheet per table of :func:`~scoring.reporting.committee_tables.tables_ja`)."""
    return write_workbook(path, list(tables_ja(c).items()))


def write_committee_reports(rnd: ReviewRound | str | Path | None, out_dir: str | Path, *,
                            committee: Committee | None = None, **options: Any) -> dict[str, Path]:
    """Write ``committee.html``, ``committee.xlsx`` and ``committee.pdf`` into ``out_dir``.

    Parameters
    ----------
    rnd : ReviewRound, path or None
        The round (see :func:`scoring.analysis.committee.build_committee`).
    out_dir : path
        Created if missing.
    committee : Committee, optional
        Already computed material (then ``rnd`` and ``options`` are not used).
    **options
        Options of :func:`scoring.analysis.committee.build_committee` (``method``, ``n_boot`` …).

    Returns
    -------
    dict
        ``{"html": Path, "xlsx": Path, "pdf": Path}``.
    """
    c = committee if committee is not None else build_committee(rnd, **options)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    targets = {"html": out / "committee.html", "xlsx": out / "committee.xlsx", "pdf": out / "committee.pdf"}
    # All three are written beside their targets first and then put in place together, so a
    # failure leaves the previous material as it was, never part of a new one.
    tmp = {k: out / f".{p.name}.tmp" for k, p in targets.items()}
    try:
        page = committee_html(c)
        tmp["html"].write_text(page, encoding="utf-8")
        write_committee_workbook(c, tmp["xlsx"])
        write_committee_pdf(c, tmp["pdf"], page=page)
        for k in ("xlsx", "pdf", "html"):
            os.replace(tmp[k], targets[k])
    finally:
        for t in tmp.values():
            t.unlink(missing_ok=True)
    return targets


def _data_urls_only(url: str, *args: Any, **kwargs: Any) -> Any:
    """URL fetcher of older WeasyPrint (a function): data: URLs only."""
    if not url.startswith("data:"):
        raise ValueError(f"committee.pdf は外部の URL を読みません: {url[:80]}")
    from weasyprint import default_url_fetcher

    return default_url_fetcher(url, *args, **kwargs)


def write_committee_pdf(c: Committee, path: str | Path, *, page: str | None = None) -> Path:
    """Write ``committee.pdf``: the page of :func:`committee_html` printed by WeasyPrint.

    A4 portrait, Japanese fonts (Debian ``fonts-noto-cjk``) embedded as subsets, the round
    name and 委員限り in the running header and 「n / N」 in the footer of every page, table
    header rows repeated where a table continues on the next page. Nothing is fetched: the
    charts are data: URLs and any other URL is refused. ``page`` is the HTML when already
    rendered.
    """
    import weasyprint  # heavy (Pango through cffi): loaded only when a PDF is written

    out = Path(path)
    fetcher: Any = _data_urls_only
    if hasattr(weasyprint, "URLFetcher"):   # WeasyPrint ≥ 68: a class with a protocol list
        fetcher = weasyprint.URLFetcher(allowed_protocols=("data",), fail_on_errors=True)
    doc = weasyprint.HTML(string=page if page is not None else committee_html(c), url_fetcher=fetcher)
    doc.write_pdf(out)
    return out
