"""Problems of a rubric file in Japanese: pydantic errors and duplicate ids, with owner and line.

Private to :mod:`scoring.config`: used by :func:`scoring.config.rubric.load_rubric` and
:func:`scoring.config.rubric.rubric_from_dict`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import yaml

from ..core.errors import ConfigProblem as RubricProblem
from .yamlfile import describe, line_of, pydantic_message
from .yamlfile import join as _join
from .yamlfile import loc_text as _loc_text
from .yamlfile import with_particle as _with

__all__: list[str] = []


# ---------------------------------------------------------------------------
# Turning pydantic errors into Japanese problems
# ---------------------------------------------------------------------------

_JA_NAMES: dict[str, str] = {
    "id": "ID",
    "name_ja": "日本語名（name_ja）",
    "name_en": "英語名（name_en）",
    "label_ja": "日本語ラベル（label_ja）",
    "label_en": "英語ラベル（label_en）",
    "guidance_ja": "着眼点（guidance_ja）",
    "guidance_en": "英語の着眼点（guidance_en）",
    "description": "説明（description）",
    "weight": "配点",
    "scale": "尺度",
    "min": "最小値",
    "max": "最大値",
    "step": "刻み",
    "anchors": "評価基準",
    "ja": "日本語（ja）",
    "en": "英語（en）",
    "comment_required_at": "コメント必須の水準（comment_required_at）",
    "indicators": "参考指標",
    "source": "出典（source）",
    "field": "列名（field）",
    "unit": "単位（unit）",
    "groups": "グループ一覧（groups）",
    "criteria": "評価項目一覧（criteria）",
    "changelog": "変更履歴（changelog）",
    "date": "日付（date）",
    "note": "内容（note）",
    "author": "記入者（author）",
    "combining": "統合方法（combining）",
    "letter": "講評での述べ方（letter）",
    "kind": "種類（kind）",
    "high": "高いときの文（high）",
    "low": "低いときの文（low）",
    "method": "方法（method）",
    "options": "設定（options）",
}


def _describe(path: Sequence[Any]) -> str:
    """Japanese name of a rubric field path (:func:`scoring.config.yamlfile.describe` with :data:`_JA_NAMES`)."""
    return describe(path, _JA_NAMES)


def _get(data: Any, path: Sequence[Any]) -> Any:
    for elem in path:
        if (
            isinstance(data, Mapping)
            and elem in data
            or isinstance(data, list)
            and isinstance(elem, int)
            and 0 <= elem < len(data)
        ):
            data = data[elem]
        else:
            return None
    return data


@dataclass(frozen=True)
class _Owner:
    """Which group/criterion a location belongs to."""

    kind: Literal["criterion", "group", "top"]
    id: str | None
    prefix_len: int  # length of the loc prefix naming the item

    def phrase(self, loc: Sequence[Any]) -> str:
        if self.kind == "top":
            return ""
        name = self.id or _loc_text(loc[: self.prefix_len])
        return f"{'評価項目' if self.kind == 'criterion' else 'グループ'} {name} "


def _owner(data: Any, loc: Sequence[Any]) -> _Owner:
    if (
        len(loc) >= 4
        and loc[0] == "groups"
        and isinstance(loc[1], int)
        and loc[2] == "criteria"
        and isinstance(loc[3], int)
    ):
        ident = _get(data, [*loc[:4], "id"])
        return _Owner("criterion", ident if isinstance(ident, str) else None, 4)
    if len(loc) >= 2 and loc[0] == "groups" and isinstance(loc[1], int):
        ident = _get(data, [*loc[:2], "id"])
        return _Owner("group", ident if isinstance(ident, str) else None, 2)
    return _Owner("top", None, 0)


def _message(err: Mapping[str, Any], subject: str, rest: Sequence[Any]) -> str:
    """Japanese message for one pydantic error dict."""
    etype: str = err["type"]
    ctx: dict[str, Any] = dict(err.get("ctx") or {})
    full = _join(subject, _describe(rest))

    if etype == "rubric_scale_range":
        return f"{full}の最小値 {ctx['min']} は最大値 {ctx['max']} より小さくしてください"
    if etype == "rubric_scale_step":
        return f"{full}の刻み（step）は 0 より大きくしてください（現在 {ctx['step']}）"
    if etype == "rubric_scale_step_range":
        return (
            f"{full}の刻み {ctx['step']} で最小値 {ctx['min']} から"
            f"最大値 {ctx['max']} にちょうど届きません。刻みか範囲を直してください"
        )
    if etype == "rubric_anchors":
        msgs = []
        if ctx.get("missing"):
            msgs.append(
                f"{_with(subject, 'の')}水準 {ctx['missing']} に評価基準（日本語 ja）がありません"
                f"（尺度 {ctx['scale']} のすべての水準に書いてください）"
            )
        if ctx.get("off"):
            msgs.append(f"{full}の水準 {ctx['off']} は尺度（{ctx['scale']}）にありません")
        return "。".join(msgs)
    if etype == "rubric_comment_levels":
        return f"{full}の水準 {ctx['off']} は尺度（{ctx['scale']}）にありません"
    if etype == "rubric_letter":
        return f"{full}が kind: need のときは、high（必要性が高いとき）とlow（低いとき）の文を書いてください"
    if etype == "rubric_duplicate_indicator":
        return f"{full}で ID '{ctx['id']}' が重複しています"
    if etype == "rubric_duplicate_id":
        first = f"（最初の定義: {ctx['first']}）" if ctx.get("first") else ""
        return f"ID '{ctx['id']}' が重複しています{first}。グループと評価項目の ID はすべて別にしてください"
    return pydantic_message(err, subject, rest, names=_JA_NAMES, fallback_subject="ルーブリック")


def _problem(
    file: str, data: Any, root: yaml.Node | None, loc: Sequence[Any], message_for: Any
) -> RubricProblem:
    owner = _owner(data, loc)
    location = _loc_text(loc) or "(ルート)"
    if owner.id is not None:
        location += f" ({owner.id})"
    subject = owner.phrase(loc)
    return RubricProblem(
        file=file,
        line=line_of(root, loc),
        location=location,
        message=message_for(subject, list(loc[owner.prefix_len :])),
        criterion=owner.id if owner.kind == "criterion" else None,
    )


def _duplicate_id_problems(file: str, data: Mapping[str, Any], root: yaml.Node | None) -> list[RubricProblem]:
    first: dict[str, tuple[Any, ...]] = {}
    problems: list[RubricProblem] = []
    groups = data.get("groups")
    if not isinstance(groups, list):
        return problems
    locs: list[tuple[Any, ...]] = []
    for gi, g in enumerate(groups):
        if not isinstance(g, Mapping):
            continue
        locs.append(("groups", gi))
        crits = g.get("criteria")
        if isinstance(crits, list):
            locs.extend(("groups", gi, "criteria", ci) for ci in range(len(crits)))
    for loc in locs:
        ident = _get(data, [*loc, "id"])
        if not isinstance(ident, str):
            continue
        if ident in first:
            prior = first[ident]
            prior_line = line_of(root, [*prior, "id"])
            prior_text = _loc_text(prior) + (f"、{prior_line}行目" if prior_line else "")
            err = {"type": "rubric_duplicate_id", "ctx": {"id": ident, "first": prior_text}}
            problems.append(
                _problem(file, data, root, [*loc, "id"], lambda s, r, err=err: _message(err, s, r))
            )
        else:
            first[ident] = loc
    return problems
