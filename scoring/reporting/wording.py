"""Each fact the documents state, written in one place (so no page contradicts another).

The committee's 本体 (``committee.pdf``), its 参考資料 (``committee_reference.pdf``), the
事務局控え (``records.pdf``) and the dashboard all take these sentences from here: whether
drafts are counted (:func:`drafts_sentence`), how the totals are combined
(:func:`method_sentence`), how ties are broken (:data:`TIE_SENTENCE`), what the totals'
uncertainty means, and dates in 和暦 with the Western year in brackets (:func:`wareki`).
The sentences are plain Japanese: no command, configuration key, file name or English
setting name (the 事務局控え adds those beside them, never inside them).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

from ..core.excel import to_wareki

__all__ = [
    "GLOSSARY",
    "METHOD_PLAIN",
    "TIE_SENTENCE",
    "alpha_plain",
    "drafts_sentence",
    "method_sentence",
    "pct",
    "wareki",
]

#: How ties at the selection line are broken (the selection's own rule).
TIE_SENTENCE = "合計点が同じ場合は、都道府県コードの小さい順に選定しています。"

#: The combining methods in plain Japanese (the committee's words, no English).
METHOD_PLAIN: dict[str, str] = {
    "mean": "審査員の点数の平均",
    "median": "審査員の点数の中央値",
    "trimmed": "最高点と最低点を除いた審査員の点数の平均",
    "zscore": "審査員ごとに点数の散らばりをそろえた平均",
    "additive": "審査員ごとの甘い・辛いの傾向を差し引いた平均",
    "affine": "審査員ごとの甘い・辛いの傾向と点数の付け方の幅を補正した平均",
}

#: The words of the committee documents, in Japanese (the analyst's terms on the right).
GLOSSARY: dict[str, str] = {
    "バランスのために譲った点数": "バランスの条件がなければ選ばれた上位の応募との合計点の差",
    "選定される確率": "審査員の組み合わせを少し変えて何度も計算し直したとき、選定された割合",
    "合計点の誤差": "審査員が違っていたら合計点がどの程度動きうるか（標準誤差）",
    "審査員の評価の一致": "同じ応募への審査員の点数がどの程度そろっているか",
}


def wareki(day: dt.date | dt.datetime) -> str:
    """``2026-03-10`` → 「令和8年3月10日（2026年）」: 和暦, the Western year in brackets."""
    d = day.date() if isinstance(day, dt.datetime) else day
    return f"{to_wareki(d)}（{d.year}年）"


def drafts_sentence(drafts: Mapping[str, Any]) -> str:
    """Whether draft (not submitted) scores are in the totals: the one sentence every document prints."""
    n = int(drafts.get("n_scores", 0) or 0)
    if not n:
        return "合計点は提出された採点だけで計算しています（提出前の下書きはありません）。"
    k, m = len(drafts.get("reviewers", [])), len(drafts.get("applications", []))
    if drafts.get("included"):
        return (
            f"合計点には提出前の下書き {n} 件（審査員 {k} 名・応募 {m} 件）も含めています。"
            "提出後に結果が変わることがあります。"
        )
    return f"合計点は提出された採点だけで計算しています（提出前の下書き {n} 件は含めていません）。"


def method_sentence(method: str) -> str:
    """How the totals are made, in one sentence."""
    how = METHOD_PLAIN.get(method, "審査員の点数を統合した値")
    return f"合計点は、{how}を、評価項目の配点に従って 100 点満点に換算したものです。"


def pct(p: object) -> str:
    """A share 0–1 as 「55％」 ("" when missing)."""
    try:
        x = float(p)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    return "" if math.isnan(x) else f"{100 * x:.0f}％"


def alpha_plain(alpha: float) -> str:
    """How far the reviewers agree on a criterion, in plain words (Krippendorff's thresholds)."""
    if math.isnan(alpha):
        return "比べられる採点が少なく、一致の度合いは計算できません"
    if alpha >= 0.8:
        return "審査員の評価はよくそろっています"
    if alpha >= 0.667:
        return "審査員の評価はおおむねそろっていますが、ばらつきもあります"
    return "審査員によって評価が分かれています"
