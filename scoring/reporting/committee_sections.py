"""The sections of the committee material, as blocks for the templates: a registry.

:data:`_REGISTRY` lists the sections in reading order (:data:`SECTIONS`: key → Japanese
heading); each :class:`_Section` is a list of small parts, each building some blocks
(:data:`Block`) from the :class:`~scoring.analysis.committee.Committee` and its Japanese
tables, and saying when it applies (charts wanted, a selection made, a decision recorded …).
:func:`section_blocks` gathers one section's blocks; :mod:`scoring.reporting.committee_report`
renders them as HTML, PDF and notebook output.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..analysis.committee import Committee
from ..analysis.status import flag_with_reason
from ..config.push import PUSH_INDICATORS
from ..config.rubric import format_level
from ..core.columns import HEADERS_JA, METHOD_LABELS
from ..core.errors import OptionError
from ..core.excel import display_width
from ..core.schema import THEMES
from .committee_charts import _CAPTIONS, _chart_png

__all__ = [
    "PUSH_ROWS_SHOWN",
    "RECEIPT_COLUMNS_PER_TABLE",
    "SECTIONS",
    "Block",
    "section_blocks",
    "theme_label",
]

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


def _table(
    df: pd.DataFrame,
    *,
    row_classes: Sequence[str] | None = None,
    css_class: str = "shinsa",
    formatters: Mapping[str, Callable[[object], str]] | None = None,
) -> dict[str, Any]:
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


def _figure_block(png: bytes, alt: str, caption: str = "") -> Block:
    data = base64.b64encode(png).decode("ascii")
    return {
        "kind": "figure",
        "src": f"data:image/png;base64,{data}",
        "alt": alt,
        "caption": caption,
        "png": png,
    }


# ----------------------------------------------------------------------------------------
# Tables for people (the workbook keeps the full, machine-readable ones)
# ----------------------------------------------------------------------------------------

#: Technical rows of the summary, shown in the appendix instead.
_TECHNICAL = ("設定ハッシュ",)
_BLOCK_SCHEMES = {
    "8blocks": "8地方（北海道・東北・関東・中部・近畿・中国・四国・九州沖縄）",
    "10blocks": "10地方（東海・北陸信越・沖縄を分ける）",
}


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
    for a, status, flag in zip(t[HEADERS_JA["application"]], t["選定案"], t["注記"]):
        reason = str(reasons.get(a)) if status == "対象外" and isinstance(reasons.get(a), str) else ""
        notes.append(flag_with_reason(reason, str(flag) if isinstance(flag, str) else ""))
    out = t.drop(columns=[HEADERS_JA["application"]]).assign(
        **{HEADERS_JA["theme"]: [theme_label(x) for x in t[HEADERS_JA["theme"]]]}, 注記=notes
    )
    return out.rename(columns={"審査員数（名）": "審査員（名）"})


def _coverage_people(c: Committee) -> pd.DataFrame:
    """地域×テーマ in one column per theme: 「応募（うち選定案）」, e.g. 2（1）."""
    cov = c.coverage.reset_index()
    blocks = list(dict.fromkeys(cov["block"]))
    rows = []
    for b in [*blocks, "合計"]:
        part = cov if b == "合計" else cov[cov["block"] == b]
        row: dict[str, object] = {HEADERS_JA["block"]: b}
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
        (
            "配点（100点満点）",
            "、".join(
                f"{c.criterion_labels.get(k, k)} {format_level(round(float(v), 4))}点"
                for k, v in weights.items()
            ),
        ),
        ("点数の統合方法", METHOD_LABELS.get(c.method, c.method)),
        ("統合方法の細かな設定", "、".join(f"{k} = {v}" for k, v in opts.items()) or "なし"),
        ("選定数（件）", str(c.config_summary.get("k_text", ""))),
        ("バランスの条件", str(c.config_summary.get("balance_text", ""))),
        (
            "地方ブロックの区分",
            _BLOCK_SCHEMES.get(str(sel.get("block_scheme", "")), str(sel.get("block_scheme", ""))),
        ),
        ("必ず含める・除外・審査対象とする例外", str(c.config_summary.get("locks_text", "")) or "なし"),
        (
            "受付の判断（期限後受理・訂正・再提出・辞退）",
            str(c.config_summary.get("eligibility_text", "")) or "なし",
        ),
        (
            "採点（件）",
            f"{c.n_scores}（提出前の下書きを含む）"
            if st.get("scores", {}).get("include_drafts")
            else str(c.n_scores),
        ),
        (
            "安定性の計算",
            (
                f"再標本化 {int(c.stability_options.get('n_boot', 0))} 回、乱数の種 "
                f"{int(c.stability_options.get('seed', 0))}。当落線上 = 選定された割合が 10％超 90％未満"
            ),
        ),
    ]
    skip = {
        "審査ラウンド",
        "評価基準の版",
        "設定の記録（JSON）",
        "点数の統合方法",
        "配点",
        "選定数（件）",
        "バランスの条件",
        "安定性の再標本化（回）",
        "安定性の乱数の種",
        "当落線上の定義",
    }
    for k, v in zip(notes["項目"], notes["値"]):
        if str(k) not in skip:
            rows.append((str(k), _fmt(v, str(k))[0]))
    pkg = st.get("package", {})
    rows += [
        (
            "作成したプログラム",
            f"審査ワークベンチ {pkg.get('name', 'shinsa')} {pkg.get('version', '')}".strip(),
        ),
        ("この資料を作り直すコマンド", f"python -m scoring report --round {c.round_path} --out 出力フォルダ"),
    ]
    return rows


#: Rows of the プッシュ型 table printed in the HTML page and the PDF (all 47 are in the workbook).
PUSH_ROWS_SHOWN = 15


def push_parts(c: Committee, tables: Mapping[str, pd.DataFrame]) -> tuple[str, list[str], Block] | None:
    """What every プッシュ型 section shows: the weights as text, the candidates' names and the top
    :data:`PUSH_ROWS_SHOWN` rows as a table (None when no candidates were computed)."""
    t = tables.get("プッシュ型候補")
    if t is None or not len(t):
        return None
    weights = "、".join(
        f"{label.split('（')[0]} {float(w):g}"
        for ind, (label, _) in PUSH_INDICATORS.items()
        if (w := c.push_candidates.attrs.get("weights", {}).get(ind, 0))
    )
    cand = t.loc[t["状況"] == "候補", HEADERS_JA["prefecture_name"]].tolist()
    people = t.drop(
        columns=[col for col in t.columns if str(col).startswith("寄与") or col == "都道府県コード"]
    )
    table = _table_block(
        people.head(PUSH_ROWS_SHOWN),
        row_classes=["ineligible" if v == "応募済" else "" for v in people["状況"].head(PUSH_ROWS_SHOWN)],
        formatters={"必要性の得点": _two_decimals},
    )
    return weights, cand, table


def _push_blocks(c: Committee, tables: Mapping[str, pd.DataFrame]) -> list[Block]:
    """The プッシュ型 section: how the need score is made, and the top of the list."""
    parts = push_parts(c, tables)
    if parts is None:
        return [_p("プッシュ型の候補は計算していません。")]
    weights, cand, table = parts
    attrs = c.push_candidates.attrs
    return [
        _p(f"応募のない都道府県のうち必要性の高い団体: {'・'.join(cand) or '（なし）'}", "lead"),
        _p(
            "総務省はヒアリングにより、応募のない都道府県をプッシュ型で支援できます。47 都道府県を、町村の割合・"
            f"人口減少率・人材プール登録者1人あたりの市町村数・応募の有無で比べました（重み {weights}）。"
            + attrs.get("method_ja", "")
            + f"上位 {min(PUSH_ROWS_SHOWN, len(tables['プッシュ型候補']))} 団体を示します（応募した都道府県は灰色）。"
            "47 都道府県すべてと指標ごとの寄与は committee.xlsx の"
            "「プッシュ型候補」にあります。設定: " + (attrs.get("name") or "")
        ),
        table,
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
    for (app, name, item), g in t.groupby(
        [HEADERS_JA["application"], HEADERS_JA["prefecture_name"], "評価項目"], sort=False
    ):
        lines = []
        for text, h in g.groupby("講評コメント", sort=False):
            who = "・".join(
                f"{r} {'' if pd.isna(v) else f'{float(v):g}'}点" for r, v in zip(h["審査員"], h["点数"])
            )
            lines.append(f"{text}（{who}）")
        rows.append((name, item, "\n".join(lines)))
        paper.append(str(status.get(app, "")) in _COMMENTS_ON_PAPER)
    return pd.DataFrame(rows, columns=[HEADERS_JA["prefecture_name"], "評価項目", "講評"]), paper


#: Reviewers per receipt table on paper (an A4 portrait page holds three code columns).
RECEIPT_COLUMNS_PER_TABLE = 3


def _receipt_grids(receipts: pd.DataFrame) -> list[pd.DataFrame]:
    """The 受領コード table as application × reviewer grids, a few reviewers per grid (fits A4)."""
    grid = receipts.pivot_table(
        index=["応募", HEADERS_JA["prefecture_name"]], columns="審査員", values="受領コード", aggfunc="first"
    )
    grid = grid.fillna("―")
    grid.columns.name = None
    step = RECEIPT_COLUMNS_PER_TABLE
    return [grid.iloc[:, i : i + step].reset_index() for i in range(0, grid.shape[1], step)]


# ----------------------------------------------------------------------------------------
# The sections: a registry of small parts
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    """What every part of a section reads."""

    c: Committee
    tables: Mapping[str, pd.DataFrame]
    #: Charts wanted (PNG figures).
    charts: bool
    #: PNG of each chart drawn already, by key.
    cache: dict[str, bytes] | None


def _always(ctx: _Context) -> bool:
    return True


@dataclass(frozen=True)
class _Part:
    """Some blocks of a section, and when they apply."""

    build: Callable[[_Context], list[Block]]
    when: Callable[[_Context], bool] = _always


@dataclass(frozen=True)
class _Section:
    key: str
    heading: str
    parts: tuple[_Part, ...]


def _chart(key: str, alt: str) -> _Part:
    """The chart ``key`` with its caption, when charts are wanted."""
    return _Part(
        lambda ctx: [_figure_block(_chart_png(ctx.c, key, ctx.cache), alt, _CAPTIONS[key])],
        when=lambda ctx: ctx.charts,
    )


def _summary(ctx: _Context) -> list[Block]:
    c = ctx.c
    summ = ctx.tables["概要"]
    summ = summ[~summ["項目"].astype(str).str.startswith(("警告", "お知らせ", *_TECHNICAL))]
    out: list[Block] = []
    if c.all_warnings:
        out.append({"kind": "alert", "title": "注意", "entries": list(c.all_warnings)})
    out += [_p(notice, "lead") for notice in c.notices]
    return [*out, _kv(summ)]


def _ranked(ctx: _Context) -> list[Block]:
    t = ctx.tables["順位"]
    return [
        _p(
            "合計点の高い順。選定案の応募は緑、次点は黄、審査対象外は灰色（理由は注記）。"
            "「選定された割合」は安定性の分析（下記）による。応募IDは committee.xlsx の「順位」にあります。"
        ),
        _table_block(_ranked_people(ctx.c, t), row_classes=_status_classes(t["選定案"])),
    ]


def _by_rank(table: str) -> _Part:
    """The table ``table``, one row per application in rank order, coloured by status."""
    return _Part(
        lambda ctx: [_table_block(ctx.tables[table], row_classes=_status_classes(ctx.c.ranked["status"]))]
    )


def _no_selection(ctx: _Context) -> list[Block]:
    return [{"kind": "box", "cls": "warning", "text": ctx.c.selection_error, "entries": []}]


def _selection(ctx: _Context) -> list[Block]:
    c, tables = ctx.c, ctx.tables
    sel = c.selection
    assert sel is not None
    return [
        _p(f"選定案（{sel.k}件）: {c.names(sel.selected)}", "proposal"),
        {"kind": "lines", "entries": sel.summary_ja().splitlines()[1:]},
        _table_block(tables["選定案"]),
        {"kind": "h3", "text": "応募ごとの理由"},
        _table_block(tables["理由"], row_classes=_status_classes(tables["理由"]["状況"])),
        {"kind": "h3", "text": "次善の選定案"},
        _table_block(tables["代替案"]),
        {"kind": "h3", "text": "選定数ごとの最良案"},
        _table_block(tables["選定数別"]),
    ]


def _decision(ctx: _Context) -> list[Block]:
    c = ctx.c
    d = c.decision
    assert d is not None
    head = f"{d.by} が {d.recorded_at_jst:%Y-%m-%d %H:%M}（日本時間）に記録。選定: {c.names(d.selected)}"
    out: list[Block] = [
        {
            "kind": "box",
            "cls": "warning" if c.decision_warnings else "ok",
            "text": head,
            "entries": list(c.decision_warnings),
        }
    ]
    if d.note:
        out.append(_p(f"注記: {d.note}", "lead"))
    t = ctx.tables["選定結果"]
    return [*out, _table_block(t, row_classes=["selected" if v == "選定" else "" for v in t["決定"]])]


def _stability_lead(ctx: _Context) -> list[Block]:
    s = ctx.c.stability_summary
    return [
        _p(
            "安定性とは: 審査員の組み合わせや点数の統合方法が少し違っていたら、同じ応募が選ばれたかを"
            f"{int(s.get('n_boot', 0))} 回試した結果で、「選定された割合」が 100％に近いほど"
            "その応募の選定（または非選定）は揺らぎにくいことを示します。",
            "lead",
        ),
        _p(
            f"再標本化 {int(s.get('n_boot', 0))} 回（乱数の種 {s.get('seed', 0)}）のうち、選定案と同じ顔ぶれが"
            f"選ばれたのは {100 * float(s.get('baseline_frequency', 0)):.1f}％、選定案の応募が残った割合は平均 "
            f"{100 * float(s.get('mean_overlap', float('nan'))):.1f}％。",
            "lead",
        ),
    ]


def _stability_table(ctx: _Context) -> list[Block]:
    t = ctx.tables["安定性"]
    classes = [
        "ineligible" if pd.isna(r) else ("selected" if sel else ("runner" if b else ""))
        for r, sel, b in zip(t["順位（審査対象内）"], t["選定案"] == "選定", t["当落線上"] != "")
    ]
    return [_table_block(t, row_classes=classes)]


def _discussion_lead(ctx: _Context) -> list[Block]:
    c = ctx.c
    n_ranked = int(c.ranked["rank"].notna().sum())
    return [
        _p(
            f"協議対象 {len(c.discussion)} 件（順位のある {n_ranked} 件中）。選定ライン付近（安定性の分析で"
            "選定された割合が 15〜85％、または選定数の前後1位）の応募と、審査員それぞれの甘辛を差し引いても"
            "意見が分かれている応募です。理由の点数は素点（審査員が付けた点数）です。",
            "lead",
        )
    ]


def _revisions(ctx: _Context) -> list[Block]:
    return [
        {"kind": "h3", "text": "協議後の修正（2段階目）"},
        _p(
            f"協議の後に審査員が修正した点数 {len(ctx.c.revisions)} 件。合計点・順位・選定案は修正後の点数で計算しています。"
        ),
        _table_block(ctx.tables["協議後の修正"]),
    ]


def _coverage(ctx: _Context) -> list[Block]:
    t = _coverage_people(ctx.c)
    return [
        _p(
            "各地方ブロック・重点テーマの応募件数。かっこ内はそのうち選定案の件数、「－」は応募なし。"
            "件数ごとの表は committee.xlsx の「地域×テーマ」にあります。"
        ),
        _table_block(t, row_classes=["total" if b == "合計" else "" for b in t[HEADERS_JA["block"]]]),
    ]


def _reliability(ctx: _Context) -> list[Block]:
    return [
        _p(ctx.c.reliability_headline, "lead"),
        _p(
            "Krippendorff の α: 0.800 以上で信頼できる、0.667〜0.800 は暫定的、0.667 未満は審査員の見方が"
            "分かれている（Krippendorff 2004）。ICC・Kendall の W は全員が全応募を採点した場合のみ。"
        ),
        _table_block(ctx.tables["信頼性"].drop(columns=["評価項目ID"])),
    ]


def _receipts(ctx: _Context) -> list[Block]:
    return [
        _p(
            "審査員が採点を提出したときに受け取ったコードです（応募×審査員、「―」はまだ提出のないもの）。"
            "各審査員は、手元のコードがこの表にあることと、python -m scoring verify-receipt で"
            "採点がそのまま届いていることを確かめられます。提出日時は committee.xlsx にあります。"
        ),
        *(_table_block(g) for g in _receipt_grids(ctx.tables["受領コード"])),
    ]


def _who(c: Committee) -> str:
    return (
        "審査員は氏名で示します（round.yaml の show_reviewer_names）。"
        if _names_shown(c)
        else "審査員は匿名で、審査員A・B…と示します（このラウンドの中ではいつも同じ記号です）。"
    )


def _has(table: str) -> Callable[[_Context], bool]:
    """Whether the Japanese tables hold ``table`` with any row."""
    return lambda ctx: ctx.tables.get(table) is not None and bool(len(ctx.tables[table]))


def _missing(ctx: _Context) -> list[Block]:
    missing = ctx.tables["未提出"]
    per_app = missing.drop_duplicates(HEADERS_JA["application"])
    return [
        _p(
            "割り当てられた採点のうち、まだ提出されていないものです（下書き・未着手）。"
            "合計点には下書きの点数を含め、未着手の採点は含みません。" + _who(ctx.c)
        ),
        {
            "kind": "lines",
            "entries": [
                f"{n}: 審査員 {int(k)} 名のうち {int(d)} 名が提出"
                for n, d, k in zip(
                    per_app[HEADERS_JA["prefecture_name"]], per_app["提出済（件）"], per_app["割当（件）"]
                )
            ],
        },
        _table_block(missing.drop(columns=[HEADERS_JA["application"]])),
    ]


def _comments(ctx: _Context) -> list[Block]:
    people, on_paper = _comments_people(ctx.c, ctx.tables["講評コメント"])
    return [
        _p(
            "審査員が採点とともに書いた講評です（応募は順位表の順）。"
            + _who(ctx.c)
            + "評価項目ごとの一覧は committee.xlsx の「講評コメント」にあります。"
        ),
        {
            "kind": "p",
            "cls": "print-only",
            "text": "印刷版には選定案の応募の講評だけを載せています"
            "（すべての応募の講評は committee.html と committee.xlsx にあります）。",
        },
        _table_block(people, row_classes=["" if keep else "screen-only" for keep in on_paper]),
    ]


def _notes(ctx: _Context) -> list[Block]:
    return [
        _p(
            "この資料を作ったときの設定と記録です。設定ハッシュと採点の指紋は、設定や採点が後から"
            "変わっていないかを確かめるための識別番号です（委員会の決定に記録されます）。"
        ),
        {"kind": "kv", "rows": _appendix(ctx.c, ctx.tables["注記"])},
    ]


def _fixed(*blocks: Block, when: Callable[[_Context], bool] = _always) -> _Part:
    """Blocks that do not depend on the material (a heading, a notice that something is missing)."""
    return _Part(lambda ctx: [dict(b) for b in blocks], when=when)


def _not(when: Callable[[_Context], bool]) -> Callable[[_Context], bool]:
    return lambda ctx: not when(ctx)


def _selected(ctx: _Context) -> bool:
    return ctx.c.selection is not None


def _decided(ctx: _Context) -> bool:
    return ctx.c.decision is not None


def _discussed(ctx: _Context) -> bool:
    return bool(len(ctx.c.discussion))


def _revised(ctx: _Context) -> bool:
    return "協議後の修正" in ctx.tables


def _submitted(ctx: _Context) -> bool:
    """Some assigned review is submitted (the committee's copy has no 受領コード even then)."""
    status = ctx.c.review_status
    return "status" in status.columns and bool((status["status"] == "提出済").any())


#: The sections of the committee material, in reading order: each a list of parts.
_REGISTRY: tuple[_Section, ...] = (
    _Section("summary", "概要", (_Part(_summary),)),
    _Section("ranked", "順位表", (_Part(_ranked),)),
    _Section(
        "breakdown",
        "評価の内訳（評価項目のグループ別）",
        (_chart("breakdown", "評価の内訳のグラフ"), _by_rank("内訳")),
    ),
    _Section(
        "spread",
        "審査員の点数のばらつき",
        (_chart("spread", "審査員の点数のばらつきのグラフ"), _by_rank("ばらつき")),
    ),
    _Section(
        "selection",
        "選定案と理由",
        (_Part(_no_selection, when=_not(_selected)), _Part(_selection, when=_selected)),
    ),
    _Section(
        "decision",
        "選定結果（委員会の決定）",
        (
            _fixed(
                _p("選定結果はまだ記録されていません（python -m scoring decide で記録します）。"),
                when=_not(_decided),
            ),
            _Part(_decision, when=_decided),
        ),
    ),
    _Section(
        "stability",
        "選定の安定性",
        (
            _chart("stability", "選定の安定性のグラフ"),
            _Part(_stability_lead, when=lambda ctx: bool(ctx.c.stability_summary)),
            _Part(_stability_table),
        ),
    ),
    _Section(
        "discussion",
        "協議対象と協議後の修正",
        (
            _Part(_discussion_lead),
            _Part(lambda ctx: [_table_block(ctx.tables["協議対象"])], when=_discussed),
            _Part(_revisions, when=_revised),
            _fixed(
                _p("協議後に修正された点数はありません（python -m scoring revise で記録します）。"),
                when=_not(_revised),
            ),
        ),
    ),
    _Section("coverage", "地域×重点テーマ", (_Part(_coverage),)),
    _Section("map", "地図（応募と選定案）", (_chart("map", "応募と選定案の地図"),)),
    _Section(
        "push",
        "プッシュ型の候補（応募のない都道府県の必要性）",
        (_Part(lambda ctx: _push_blocks(ctx.c, ctx.tables)),),
    ),
    _Section("reliability", "審査員間の一致（信頼性）", (_Part(_reliability),)),
    _Section(
        "receipts",
        "審査員の受領コード",
        (
            _Part(_receipts, when=_has("受領コード")),
            _fixed(
                _p("提出された採点はまだありません（受領コードは提出のときに発行されます）。"),
                when=lambda ctx: not _has("受領コード")(ctx) and not _submitted(ctx),
            ),
            _fixed(
                _p("受領コードは選定委員用の資料には載せていません（事務局の資料にあります）。"),
                when=lambda ctx: not _has("受領コード")(ctx) and _submitted(ctx),
            ),
        ),
    ),
    _Section(
        "comments",
        "審査員の講評コメントと未提出の採点",
        (
            _fixed({"kind": "h3", "text": "未提出の採点"}),
            _Part(_missing, when=_has("未提出")),
            _fixed(_p("割り当てられた採点はすべて提出されています。"), when=_not(_has("未提出"))),
            _fixed({"kind": "h3", "text": "講評コメント"}),
            _Part(_comments, when=_has("講評コメント")),
            _fixed(
                _p(
                    "講評コメントはありません（選定委員用の資料には、round.yaml の "
                    "committee_sees_comments が true のときだけ載せます）。"
                ),
                when=_not(_has("講評コメント")),
            ),
        ),
    ),
    _Section("notes", "付録　設定と記録（注記）", (_Part(_notes),)),
)

#: Sections of the committee material: key → Japanese heading, in reading order.
SECTIONS: dict[str, str] = {s.key: s.heading for s in _REGISTRY}


def section_blocks(
    c: Committee,
    key: str,
    tables: Mapping[str, pd.DataFrame],
    *,
    charts: bool,
    cache: dict[str, bytes] | None,
) -> list[Block]:
    """The blocks of one section, in order (see :data:`Block`): its parts that apply."""
    found = [s for s in _REGISTRY if s.key == key]
    if not found:
        raise OptionError(f"セクション '{key}' はありません。使えるセクション: {', '.join(SECTIONS)}")
    ctx = _Context(c, tables, charts, cache)
    return [b for part in found[0].parts if part.when(ctx) for b in part.build(ctx)]
