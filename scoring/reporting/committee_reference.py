"""The committee's 参考資料 (``committee_reference.pdf``): what stands behind the 本体.

How to read the numbers (the drafts, the method, ties: from :mod:`scoring.reporting.wording`),
the breakdown by rubric group, the stability of the proposal, the 協議 lists (every
application's reason, the next-best proposals, the applications the reviewers disagree on),
the reviewers' agreement in one sentence per criterion plus its table, the プッシュ型
candidates, the map, and the proposed applications' comments when round.yaml lets the
committee read comments. Plain Japanese: no command, configuration key, file name, hash or
English setting name.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from ..analysis.committee import Committee
from ..core.columns import HEADERS_JA
from .committee_body import near_ties_of
from .committee_charts import _CAPTIONS, _chart_png
from .committee_quality_sections import process_blocks, quality_blocks
from .committee_sections import (
    PUSH_ROWS_SHOWN,
    Block,
    _comments_people,
    _figure_block,
    _p,
    _status_classes,
    _table_block,
    _two_decimals,
    push_parts,
)
from .wording import GLOSSARY, alpha_plain, drafts_sentence, method_sentence, pct
from .wording import TIE_SENTENCE as _TIE

__all__ = ["REFERENCE_SECTIONS", "reference_sections"]

_APP = HEADERS_JA["application"]


def _chart(c: Committee, key: str, alt: str, cache: dict[str, bytes] | None) -> Block:
    caption = _CAPTIONS[key].replace("committee.xlsx", "一覧表")
    return _figure_block(_chart_png(c, key, cache), alt, caption)


def reading_blocks(c: Committee, *, drafts: bool = True) -> list[Block]:
    """読み方: the facts every number rests on, and the glossary."""
    facts = [method_sentence(c.method), _TIE]
    if drafts:
        facts.insert(0, drafts_sentence(c.drafts))
    return [
        {"kind": "lines", "entries": facts},
        {"kind": "kv", "rows": list(GLOSSARY.items())},
    ]


def breakdown_blocks(
    c: Committee, tables: Mapping[str, pd.DataFrame], cache: dict[str, bytes] | None
) -> list[Block]:
    t = tables["内訳"].drop(columns=[_APP])
    return [
        _chart(c, "breakdown", "評価の内訳のグラフ", cache),
        _table_block(t, row_classes=_status_classes(c.ranked["status"]), css_class="shinsa whole"),
    ]


def stability_blocks(
    c: Committee, tables: Mapping[str, pd.DataFrame], cache: dict[str, bytes] | None
) -> list[Block]:
    s = c.stability_summary
    t = tables["安定性"].drop(columns=[_APP]).rename(columns={"選定された割合（％）": "選定される確率（％）"})
    classes = [
        "ineligible" if pd.isna(r) else ("selected" if sel else ("runner" if b else ""))
        for r, sel, b in zip(t["順位（審査対象内）"], t["選定案"] == "選定", t["当落線上"] != "")
    ]
    lead = (
        "審査員の組み合わせを少し変えて（審査員を選び直して） "
        f"{int(s.get('n_boot', 0)):,} 回計算し直し、各応募が選ばれた割合を「選定される確率」としました。"
        f"選定案と全く同じ顔ぶれになったのは {pct(s.get('baseline_frequency'))}、"
        f"選定案の応募が平均して残った割合は {pct(s.get('mean_overlap'))}です。"
        if s
        else "選定の安定性は計算していません。"
    )
    return [
        _chart(c, "stability", "選定の安定性のグラフ", cache),
        _p(lead, "lead"),
        _table_block(t, row_classes=classes, css_class="shinsa whole"),
    ]


def discussion_blocks(c: Committee, tables: Mapping[str, pd.DataFrame]) -> list[Block]:
    """The 協議 lists: each application's reason, the next-best proposals, the disagreements."""
    out: list[Block] = []
    ties = near_ties_of(c)
    if len(ties):
        name = c.name
        t = pd.DataFrame(
            {
                "選定案": [name(str(a)) for a in ties["応募ID_上"]],
                "選定案外": [name(str(a)) for a in ties["応募ID_下"]],
                "差（点）": ties["差"].astype(float).abs().round(1).to_numpy(),
                "差の標準誤差（点）": ties["差の標準誤差"].astype(float).round(1).to_numpy(),
                "判定": ties["判定"]
                .astype(str)
                .str.replace("差があるとは言えない", "差は誤差の範囲内")
                .to_numpy(),
            }
        )
        out += [
            {"kind": "h3", "text": "合計点の差が誤差の範囲内の組"},
            _p(
                "選定案の応募と選定案外の応募の組のうち、合計点の差がその誤差（差の標準誤差の 1.96 倍）より"
                "小さいものです。本体 1 ページには差が 1 点未満の組を挙げています。"
            ),
            _table_block(t),
        ]
    if c.selection is not None:
        reasons = tables["理由"].drop(columns=[_APP, "関係する条件", "関係する応募"])
        reasons = reasons.rename(columns={"選定までの不足点（点）": "選ばれるのに必要な上積み（点）"})
        out += [
            {"kind": "h3", "text": "応募ごとの理由"},
            _p(
                "「選ばれるのに必要な上積み」は、その応募を含む最良の選び方が選定案に並ぶために必要な"
                "合計点の上積みです（バランスの条件の中で比べるため、すぐ上の応募との差とは限りません）。"
            ),
            _table_block(reasons, row_classes=_status_classes(reasons["状況"])),
            {"kind": "h3", "text": "次善の選定案"},
            _table_block(tables["代替案"]),
        ]
    if len(c.discussion):
        disc = tables["協議対象"].drop(columns=[col for col in tables["協議対象"].columns if col == _APP])
        out += [
            {"kind": "h3", "text": "審査員の意見が分かれた応募"},
            _p(
                "選定ライン付近の応募と、審査員それぞれの甘い・辛いを差し引いても意見が分かれている応募です。"
            ),
            _table_block(disc),
        ]
    return out or [_p("協議の一覧はありません。")]


def reliability_blocks(c: Committee, tables: Mapping[str, pd.DataFrame]) -> list[Block]:
    """One sentence per criterion, then the table (columns that are empty left out)."""
    rel = c.reliability
    lines = []
    for crit, a in zip(rel["criterion"], rel["alpha_interval"].astype(float)):
        label = c.criterion_labels.get(crit, "合計点" if crit == "total" else str(crit))
        value = "" if math.isnan(a) else f"（一致の度合い {a:.2f}）"
        lines.append(f"{label}: {alpha_plain(a)}{value}。")
    t = tables["信頼性"].drop(columns=["評価項目ID"])
    t = t.drop(columns=[col for col in t.columns if t[col].isna().all()])
    t = t.rename(
        columns={
            "α（間隔尺度）": "一致の度合い（点数の差）",
            "α（順序尺度）": "一致の度合い（順序）",
            "ICC(A,1)": "級内相関（1人）",
            "ICC(A,k)": "級内相関（全員）",
        }
    )
    return [
        _p(
            "一致の度合いは 1 が完全な一致、0 は偶然と同じ程度です。0.8 以上でよくそろっている、0.67 未満で分かれているとみます。"
        ),
        {"kind": "lines", "entries": lines},
        _table_block(
            t,
            formatters={
                col: _two_decimals
                for col in t.columns
                if "一致の度合い" in str(col) or "級内相関" in str(col)
            },
        ),
    ]


def push_blocks(c: Committee, tables: Mapping[str, pd.DataFrame]) -> list[Block]:
    parts = push_parts(c, tables)
    if parts is None:
        return [_p("プッシュ型の候補は計算していません。")]
    weights, cand, table = parts
    shown = min(PUSH_ROWS_SHOWN, len(tables["プッシュ型候補"]))
    return [
        _p(f"応募のない都道府県のうち必要性の高い団体: {'・'.join(cand) or '（なし）'}", "lead"),
        _p(
            "総務省はヒアリングにより、応募のない都道府県をプッシュ型で支援できます。47 都道府県を、町村の割合・"
            f"人口減少率・人材プール登録者1人あたりの市町村数・応募の有無で比べました（重み {weights}）。"
            + c.push_candidates.attrs.get("method_ja", "")
            + f"上位 {shown} 団体を示します（応募した都道府県は灰色）。"
        ),
        table,
    ]


def comments_blocks(c: Committee, tables: Mapping[str, pd.DataFrame], *, sees_comments: bool) -> list[Block]:
    """The proposed applications' comments, where the committee may read comments."""
    t = tables.get("講評コメント")
    if not sees_comments:
        return [
            _p(
                "審査員の講評コメントは、このラウンドでは選定委員会の資料に載せない扱いです（委員の画面には表示しません）。"
            )
        ]
    if t is None or not len(t):
        return [_p("講評コメントはありません。")]
    people, proposed = _comments_people(c, t)
    people = people[[bool(x) for x in proposed]]
    return [_p("選定案の応募について、審査員が採点とともに書いた講評です。"), _table_block(people)]


#: The sections of the 参考資料, in reading order (key → heading).
REFERENCE_SECTIONS = {
    "reading": "この資料の読み方",
    "breakdown_plain": "評価の内訳（評価項目のグループ別）",
    "stability_plain": "選定の安定性",
    "discussion_plain": "協議の一覧",
    "comments_plain": "選定案の応募への講評",
    "reliability_plain": "審査員の評価の一致",
    "push_plain": "プッシュ型の候補（応募のない都道府県の必要性）",
    "map_plain": "地図（応募と選定案）",
    "quality_plain": "選定の確かさ",
    "process_plain": "審査の経過",
}


def reference_blocks(
    c: Committee,
    key: str,
    tables: Mapping[str, pd.DataFrame],
    *,
    cache: dict[str, bytes] | None = None,
    sees_comments: bool = False,
    drafts: bool = True,
) -> list[Block]:
    """The blocks of one 参考資料 section (keys of :data:`REFERENCE_SECTIONS`)."""
    if key == "reading":
        return reading_blocks(c, drafts=drafts)
    if key == "breakdown_plain":
        return breakdown_blocks(c, tables, cache)
    if key == "stability_plain":
        return stability_blocks(c, tables, cache)
    if key == "discussion_plain":
        return discussion_blocks(c, tables)
    if key == "reliability_plain":
        return reliability_blocks(c, tables)
    if key == "push_plain":
        return push_blocks(c, tables)
    if key == "map_plain":
        return [_chart(c, "map", "応募と選定案の地図", cache)]
    if key == "quality_plain":
        return quality_blocks(c)
    if key == "process_plain":
        return process_blocks(c, tables)
    return comments_blocks(c, tables, sees_comments=sees_comments)


def reference_sections(
    c: Committee,
    tables: Mapping[str, pd.DataFrame],
    *,
    cache: dict[str, bytes] | None = None,
    sees_comments: bool = False,
    drafts: bool = True,
) -> list[dict[str, object]]:
    """The 参考資料's sections for the templates (``key``, ``heading``, ``blocks``); a section with
    nothing to say (審査の経過 of a round without revisions or releases) is left out."""
    sections: list[dict[str, object]] = [
        {
            "key": k,
            "heading": h,
            "blocks": reference_blocks(c, k, tables, cache=cache, sees_comments=sees_comments, drafts=drafts),
        }
        for k, h in REFERENCE_SECTIONS.items()
    ]
    return [s for s in sections if s["blocks"]]
