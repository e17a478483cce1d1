"""Two sections of the committee's 参考資料: 選定の確かさ (issue 20) and 審査の経過 (issue 19).

選定の確かさ: the two 協議 lists with their own purpose (「選定ラインの近く」 from the calibrated
P(selected) and the totals' uncertainty, for the selection; 「評価が大きく割れた点」 per criterion, for
discussing merits), how many of the proposal another panel of the same size would pick, which of
the proposal would change under another combining method, and why one revision moves other
totals (:func:`scoring.analysis.committee_quality.committee_quality`).

審査の経過: the scores revised after the 協議 with their reasons, and every 再開, 免除 and 担当替え the
事務局 recorded, reviewers shown as the material shows them (審査員A, B, …). Plain Japanese: no
event number, hash or setting name.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ..analysis.committee import Committee
from ..analysis.committee_quality import committee_quality
from ..core.clock import to_jst
from ..core.columns import METHOD_LABELS
from .committee_sections import Block, _p, _table_block

__all__ = ["process_blocks", "quality_blocks"]


def _names(c: Committee, ids: str) -> str:
    return "、".join(c.name(a) for a in ids.split(",") if a) or "なし"


def _near_line(c: Committee) -> list[Block]:
    q = committee_quality(c)
    t = q.near_line
    if not len(t):
        return [_p("選定ラインの近くにある応募はありません。")]
    frame = pd.DataFrame(
        {
            "都道府県": t["prefecture_name"].astype(str).to_numpy(),
            "合計点（点）": t["total"].astype(float).round(1).to_numpy(),
            "誤差（±点）": t["se"].astype(float).round(1).to_numpy(),
            "選定される確率": [f"{v:.0%}" for v in t["p_selected"].astype(float)],
            "選定案": ["選定" if s else "" for s in t["selected"]],
            "理由": t["reason"].astype(str).to_numpy(),
        }
    )
    return [_table_block(frame)]


def _split_points(c: Committee) -> list[Block]:
    t = committee_quality(c).split_points
    if not len(t):
        return [_p("審査員の評価が大きく割れた点はありません。")]
    frame = pd.DataFrame(
        {
            "都道府県": t["prefecture_name"].astype(str).to_numpy(),
            "評価項目": t["label"].astype(str).to_numpy(),
            "審査員の点数": t["scores"].astype(str).to_numpy(),
        }
    )
    return [_table_block(frame)]


def _methods(c: Committee) -> list[Block]:
    t = committee_quality(c).method_sensitivity
    if not len(t):
        return []
    frame = pd.DataFrame(
        {
            "統合方法": [METHOD_LABELS.get(str(m), str(m)) for m in t["method"]],
            "選定案から外れる応募": [_names(c, str(x)) for x in t["out"]],
            "代わりに入る応募": [_names(c, str(x)) for x in t["in"]],
        }
    )
    return [
        {"kind": "h3", "text": "方法を変えた場合"},
        _p(
            "審査員の甘辛の補正方法（統合方法）を変えたときに選定案がどう変わるかです。選定される確率とは"
            "別のもので、方法の選び方による違いを示します。"
        ),
        _table_block(frame),
    ]


def quality_blocks(c: Committee) -> list[Block]:
    """選定の確かさ: the 協議 lists, another panel, other methods, and how to read them."""
    q = committee_quality(c)
    return [
        {"kind": "h3", "text": "選定ラインの近く（選定の協議に）"},
        _p(
            "選定される確率が 5〜95％の応募と、合計点が選定ラインから誤差（標準誤差）の範囲内にある応募です。"
            "審査員が違えば選定が入れ替わりうる応募として、選定の協議に使います。"
        ),
        *_near_line(c),
        {"kind": "h3", "text": "評価が大きく割れた点（内容の協議に）"},
        _p(
            "審査員の甘辛を差し引いても、同じ評価項目で 2 段階以上離れた点数です。応募の内容について"
            "話し合う材料で、選定が入れ替わる見込みを示すものではありません。"
        ),
        *_split_points(c),
        {"kind": "h3", "text": "別の審査員団なら"},
        _p(str(q.second_panel_table.attrs.get("summary", ""))),
        *_methods(c),
        {"kind": "h3", "text": "読み方"},
        _p(q.explanation),
    ]


def _event_lines(c: Committee) -> list[str]:
    ev = c.review_events
    if ev is None or not len(ev):
        return []
    labels = c.reviewer_labels
    lines = []
    for e in ev.to_dict("records"):
        who = labels.get(str(e["reviewer"]), "審査員")
        to = f"（担当: {labels.get(str(e['to']), '審査員')}）" if e.get("to") else ""
        when = to_jst(pd.Timestamp(e["recorded_at"]).to_pydatetime())
        lines.append(
            f"{e['action']}: {c.name(str(e['application']))}・{who}{to}　理由: {e['reason']}"
            f"（{when:%Y年%m月%d日}）"
        )
    return lines


def process_blocks(c: Committee, tables: Mapping[str, pd.DataFrame]) -> list[Block]:
    """審査の経過: revisions after the 協議 and the 事務局's 再開・免除・担当替え, with reasons."""
    out: list[Block] = []
    if len(c.revisions) and "協議後の修正" in tables:
        t = tables["協議後の修正"].drop(
            columns=[
                col for col in ("応募ID", "記録日時（日本時間）") if col in tables["協議後の修正"].columns
            ]
        )
        out += [
            {"kind": "h3", "text": "協議後の修正（2段階目）"},
            _p(
                f"協議の後に審査員が修正した点数 {len(c.revisions)} 件。合計点・順位・選定案は修正後の点数で計算しています。"
            ),
            _table_block(t),
        ]
    lines = _event_lines(c)
    if lines:
        out += [
            {"kind": "h3", "text": "採点の再開・免除・担当替え"},
            _p("事務局が理由とともに記録したものです。"),
            {"kind": "lines", "entries": lines},
        ]
    return out  # nothing to say: the section is left out
