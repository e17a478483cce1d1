"""The committee's 本体 (``committee.pdf``): what a chair reads in ten minutes, at most four A4 pages.

Page 1 says what the committee decides (審議事項), the proposal (prefecture, theme, block,
total, rank, the chance of being selected and a one-line reason), what needs discussing
(要協議: pairs at the selection line whose totals are closer than their uncertainty, and
every application a balance rule displaced, with the rule and who displaced it), the
applications outside the review with their true reasons, and at most three caveats in plain
Japanese. Then the ranking once (the reviewers' spread as a small column), the region ×
theme picture and the 決定欄.

Everything is drawn from the :class:`~scoring.analysis.committee.Committee`; the sentences
that state a fact come from :mod:`scoring.reporting.wording`. The committee copies carry no
command, configuration key, file name, hash or English setting name
(``tests/reporting/test_committee_documents.py`` scans them).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..analysis.committee import Committee
from ..analysis.committee_quality import committee_near_ties
from ..analysis.status import STATUS_EXCLUDED
from ..core.columns import HEADERS_JA, NEAR_TIE_COLUMNS
from ..round.status import LONG_REASONS, REASONS
from .committee_sections import Block, _coverage_people, _p, _status_classes, _table_block, theme_label
from .committee_tables import decision_ja
from .wording import TIE_SENTENCE, alpha_plain, drafts_sentence, pct, wareki

__all__ = [
    "DocInfo",
    "balance_displacements",
    "body_sections",
    "caveats",
    "close_ties",
    "doc_info",
    "exclusions",
    "near_ties_of",
]


@dataclass(frozen=True)
class DocInfo:
    """What round.yaml says about the documents: 資料番号, 会議日, comments shown to the committee."""

    document_number: str = ""
    meeting_date: dt.date | None = None
    sees_comments: bool = False


def doc_info(c: Committee) -> DocInfo:
    """The round.yaml keys ``document_number``, ``meeting_date`` and ``committee_sees_comments``
    of the round ``c`` was computed from (defaults when the file cannot be read)."""
    try:
        data = yaml.safe_load((Path(c.round_path) / "round.yaml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return DocInfo()
    day = data.get("meeting_date")
    if isinstance(day, str):
        try:
            day = dt.date.fromisoformat(day)
        except ValueError:
            day = None
    return DocInfo(
        document_number=str(data.get("document_number") or ""),
        meeting_date=day if isinstance(day, dt.date) else None,
        sees_comments=bool(data.get("committee_sees_comments", False)),
    )


def _pt(x: object) -> str:
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    return "" if math.isnan(v) else f"{v:.1f}"


def _num(c: Committee, app: str, column: str) -> float:
    """A number of ``c.ranked`` (NaN when missing)."""
    v = c.ranked[column].get(app)
    return float(v) if isinstance(v, (int, float, np.integer, np.floating)) and not pd.isna(v) else math.nan


# ----------------------------------------------------------------------------------------
# 要協議: near-ties at the line and balance displacements
# ----------------------------------------------------------------------------------------


def near_ties_of(c: Committee) -> pd.DataFrame:
    """The near-ties at the selection line (columns :data:`NEAR_TIE_COLUMNS`): pairs across the
    line whose totals are not meaningfully different given their honest standard errors
    (:func:`scoring.analysis.committee_quality.committee_near_ties`)."""
    if c.selection is None or not c.selected:
        return pd.DataFrame(columns=list(NEAR_TIE_COLUMNS))
    return committee_near_ties(c)


#: Pairs across the line closer than this (points) are named one by one on page 1; the others
#: (all within the totals' uncertainty too) are counted there and listed in the 参考資料.
CLOSE_POINTS = 1.0


def close_ties(c: Committee) -> pd.DataFrame:
    """The near-ties whose totals differ by less than :data:`CLOSE_POINTS` (named on page 1)."""
    t = near_ties_of(c)
    return t[t["差"].astype(float).abs() < CLOSE_POINTS]


def _near_tie_lines(c: Committee) -> list[str]:
    selected = set(c.selected)

    def who(a: str) -> str:
        mark = "選定案 " if a in selected else ""
        return f"{c.name(a)}（{mark}{_pt(_num(c, a, 'total'))}）"

    out = [
        f"僅差: {who(str(row['応募ID_上']))}と{who(str(row['応募ID_下']))}、"
        f"差 {_pt(abs(float(row['差'])))} 点（差の標準誤差 {_pt(row['差の標準誤差'])} 点）"
        for _, row in close_ties(c).iterrows()
    ]
    n = len(near_ties_of(c))
    if n:
        rest = f"ほかに {n - len(out)} 組も、" if n > len(out) else ""
        out.append(
            f"上の組は差が誤差の範囲内で、どちらが上とは言えません。{rest}選定案と選定案外の差が誤差の範囲内です"
            "（一覧は参考資料「協議の一覧」）。"
        )
    return out


def _rule_phrase(c: Committee, key: str, app: str) -> str:
    bal = (c.settings.get("selection", {}) or {}).get("balance", {}) or {}
    theme = str(c.ranked["theme"].get(app, ""))
    block = str(c.ranked["block"].get(app, ""))
    if key == "max_per_theme":
        return f"重点テーマ {theme} は {bal.get('max_per_theme')} 件までの条件"
    if key == "max_per_block":
        return f"{block}ブロックからは {bal.get('max_per_block')} 件までとする条件"
    if key == "max_push":
        return f"プッシュ型は {bal.get('max_push')} 件までとする条件"
    if key == "min_distinct_themes":
        return f"重点テーマを {bal.get('min_distinct_themes')} 種類以上とする条件"
    if key == "min_push":
        return f"プッシュ型を {bal.get('min_push')} 件以上とする条件"
    return "バランスの条件"


def balance_displacements(c: Committee) -> pd.DataFrame:
    """Applications in the review, not selected although they outrank a selected one, because of
    a balance rule: columns ``application``, ``rule`` (plain Japanese), ``by`` (names), ``rank``."""
    sel = c.selection
    cols = ["application", "rule", "by", "rank", "total"]
    if sel is None or not sel.selected:
        return pd.DataFrame(columns=cols)
    r = sel.reasons
    lowest = max(_num(c, a, "rank") for a in sel.selected)
    rows = []
    for app, row in r.iterrows():
        if row["status"] not in ("次点", "非選定") or pd.isna(row["rank"]) or int(row["rank"]) > lowest:
            continue
        keys = [k for k in str(row["constraint"]).split(",") if k]
        by = [a for a in str(row["related"]).split(",") if a]
        rule = "・".join(_rule_phrase(c, k, str(app)) for k in keys) or "バランスの条件"
        rows.append(
            {
                "application": str(app),
                "rule": rule,
                "by": "・".join(c.name(a) for a in by),
                "rank": int(row["rank"]),
                "total": float(row["total"]),
            }
        )
    return pd.DataFrame(rows, columns=cols)


def _displacement_lines(c: Committee) -> list[str]:
    out = []
    for _, d in balance_displacements(c).iterrows():
        by = f"、より得点の高い {d['by']} を選定" if d["by"] else ""
        out.append(
            f"バランスの条件による選外: {c.name(d['application'])}（{d['rank']} 位、{_pt(d['total'])}）"
            f"— {d['rule']}により{by}"
        )
    return out


# ----------------------------------------------------------------------------------------
# Exclusions and caveats
# ----------------------------------------------------------------------------------------

#: The long reason (「期限後提出（受理せず）のため対象外」) → the short one of the statuses (「期限後提出（受理せず）」).
_SHORT_REASONS = {LONG_REASONS[k]: REASONS[k] for k in LONG_REASONS if k in REASONS}


def exclusions(c: Committee) -> list[tuple[str, str]]:
    """(application, reason) of every application outside the review, in the committee's words.

    The Committee's exclusion reasons (from :func:`scoring.analysis.status.application_statuses`)
    in their short form (its 理由, :data:`scoring.round.status.REASONS`)."""
    reasons = c.exclusion_reasons
    if not len(reasons) and c.selection is not None:
        reasons = c.selection.reasons["reason"].where(c.selection.reasons["status"] == STATUS_EXCLUDED, "")
    out = []
    for app, why in reasons.items():
        if isinstance(why, str) and why:
            out.append((str(app), _SHORT_REASONS.get(why, why.removesuffix("のため対象外"))))
    return out


def caveats(c: Committee) -> list[str]:
    """At most three caveats in plain Japanese: the drafts, the reviewers' agreement, the stability."""
    out = [drafts_sentence(c.drafts)]
    rel = c.reliability
    crit = rel.loc[rel["criterion"] != "total", "alpha_interval"].astype(float) if len(rel) else pd.Series([])
    if crit.notna().any():
        low = int((crit < 0.667).sum())
        if low:
            out.append(
                f"評価項目 {len(crit)} 項目のうち {low} 項目で審査員の評価が分かれています（参考資料）。"
                "差の小さい応募の順序は、審査員が違えば入れ替わりえます。"
            )
        else:
            out.append(f"審査員の評価の一致: {alpha_plain(float(np.nanmedian(crit)))}（参考資料）。")
    s = c.stability_summary
    if s and c.selection is not None:
        border = [str(a) for a in c.ranked.index[c.ranked["p_selected"].between(0.25, 0.75)]]
        out.append(
            f"計算し直して選定案と全く同じ顔ぶれになるのは {pct(s.get('baseline_frequency'))}です。"
            f"選定される確率が 25〜75％で、選ばれるかどうかが揺れる応募: {c.names(border)}。"
        )
    return out[:3]


# ----------------------------------------------------------------------------------------
# The sections of the 本体
# ----------------------------------------------------------------------------------------


def _k_text(c: Committee) -> str:
    spec = (c.settings.get("round", {}) or {}).get("select", {}) or {}
    target = spec.get("target", c.selection.k if c.selection is not None else 5)
    lo, hi = spec.get("min") or target, spec.get("max") or target
    return f"{target} 件" + (f"（{lo}〜{hi} 件の範囲）" if (lo, hi) != (target, target) else "")


def _one_line_reason(c: Committee, app: str) -> str:
    sel = c.selection
    assert sel is not None
    text = str(sel.reasons.at[app, "reason"])
    inner = text.removeprefix("選定（").removesuffix("）")
    if "。" in inner:
        rest = inner.split("。", 1)[1]
        return rest.replace("バランスの条件で選外となったため繰り上げ", "バランスの条件で選外のため繰り上げ")
    if "必ず含める" in inner:
        return "委員会の判断で必ず含める応募"
    return "合計点の順位による"


def _proposal_table(c: Committee) -> pd.DataFrame:
    rows = []
    for a in c.selected:
        r = c.ranked.loc[a]
        rows.append(
            {
                HEADERS_JA["prefecture_name"]: r["prefecture_name"],
                HEADERS_JA["theme"]: theme_label(r["theme"]),
                HEADERS_JA["block"]: r["block"],
                "合計点（点）": _pt(r["total"]),
                "順位": "" if pd.isna(r["rank"]) else str(int(r["rank"])),
                "選定される確率": pct(r["p_selected"]),
                "理由": _one_line_reason(c, a),
            }
        )
    return pd.DataFrame(rows)


def deliberation_blocks(c: Committee) -> list[Block]:
    """Page 1: 審議事項, the proposal, 要協議, the exclusions and the caveats."""
    out: list[Block] = [
        {"kind": "h3", "text": "審議事項"},
        _p(f"{c.n_applications} 件の応募からおおむね {_k_text(c)}を選定する。", "proposal"),
    ]
    if c.selection is None:
        out.append(
            {
                "kind": "box",
                "cls": "warning",
                "text": "選定案を作れません。" + c.selection_error,
                "entries": [],
            }
        )
    else:
        out += [
            {"kind": "h3", "text": f"選定案（{c.selection.k} 件）: {c.names(c.selected)}"},
            _table_block(_proposal_table(c), css_class="shinsa proposal"),
        ]
    talks = _near_tie_lines(c) + _displacement_lines(c)
    out += [{"kind": "h3", "text": "要協議"}]
    out.append(
        {"kind": "lines", "entries": talks}
        if talks
        else _p("選定ライン付近に僅差の組やバランスの条件による選外はありません。")
    )
    excl = exclusions(c)
    out += [{"kind": "h3", "text": "審査対象外"}]
    out.append(
        {"kind": "lines", "entries": [f"{c.name(a)}: {why}" for a, why in excl]}
        if excl
        else _p("審査対象外の応募はありません。")
    )
    out += [{"kind": "h3", "text": "留意事項"}, {"kind": "lines", "entries": caveats(c)}]
    return out


def ranking_table(c: Committee) -> pd.DataFrame:
    """The ranking once: rank, prefecture, block, theme, total ± error, the reviewers' spread, chance, status."""
    r = c.ranked
    spread = c.spread["range"].reindex(r.index) if "range" in c.spread else pd.Series(np.nan, index=r.index)
    excl = dict(exclusions(c))
    return pd.DataFrame(
        {
            "順位": ["—" if pd.isna(x) else str(int(x)) for x in r["rank"]],
            HEADERS_JA["prefecture_name"]: r["prefecture_name"].to_numpy(),
            HEADERS_JA["block"]: r["block"].to_numpy(),
            "重点テーマ": r["theme"].astype(str).to_numpy(),
            "区分": r["application_type"].to_numpy(),
            "合計点（点）": [_pt(x) for x in r["total"]],
            "誤差（±点）": [_pt(x) for x in r["se"]],
            "審査員の幅（点）": [_pt(x) for x in spread],
            "選定される確率": [pct(x) for x in r["p_selected"]],
            "選定案": [
                excl.get(str(a), s) if s == STATUS_EXCLUDED else s for a, s in zip(r.index, r["status"])
            ],
        }
    )


def ranking_blocks(c: Committee) -> list[Block]:
    t = ranking_table(c)
    return [
        _p(
            "合計点の高い順。選定案は緑、次点は黄、審査対象外は灰色。「誤差」は合計点の標準誤差、"
            "「審査員の幅」は審査員それぞれの合計点の最高と最低の差です。" + TIE_SENTENCE
        ),
        _table_block(t, row_classes=_status_classes(c.ranked["status"]), css_class="shinsa ranking whole"),
    ]


def coverage_blocks(c: Committee) -> list[Block]:
    t = _coverage_people(c)
    return [
        _p("地方ブロック・重点テーマごとの応募件数。かっこ内はそのうち選定案の件数、「－」は応募なし。"),
        _table_block(
            t,
            row_classes=["total" if b == "合計" else "" for b in t[HEADERS_JA["block"]]],
            css_class="shinsa whole",
        ),
    ]


def decision_blocks(c: Committee) -> list[Block]:
    """The 決定欄: blank lines to fill in, or the decision already recorded."""
    d = c.decision
    if d is not None:
        t = decision_ja(c)
        keep = ["都道府県", "決定", "選定案", "選定案との違い", "理由", "記録した人"]
        t = t[[col for col in t.columns if col in keep]]
        return [
            {
                "kind": "box",
                "cls": "warning" if c.decision_warnings else "ok",
                "text": f"委員会の決定（{c.decision_status}、{wareki(d.recorded_at_jst)}記録）: {c.names(d.selected)}",
                "entries": list(c.decision_warnings),
            },
            _table_block(t, row_classes=["selected" if v == "選定" else "" for v in t["決定"]]),
        ]
    rows = [
        ("選定する応募", ""),
        ("選定案からの変更と理由", ""),
        ("決定日", "令和　　年　　月　　日"),
        ("委員長", ""),
    ]
    return [_p("委員会で決定した内容を記入します。"), {"kind": "kv", "rows": rows, "cls": "decision"}]


#: The sections of the 本体, in reading order: key → (heading, builder).
BODY_SECTIONS = {
    "deliberation": ("審議事項と選定案", deliberation_blocks),
    "ranking": ("順位表", ranking_blocks),
    "coverage_plain": ("地域×重点テーマ", coverage_blocks),
    "decision_box": ("決定欄", decision_blocks),
}


def body_sections(c: Committee) -> list[dict[str, object]]:
    """The 本体's sections for the templates (``key``, ``heading``, ``blocks``)."""
    return [{"key": k, "heading": h, "blocks": build(c)} for k, (h, build) in BODY_SECTIONS.items()]
