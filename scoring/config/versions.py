"""New versions of a rubric: the same YAML with new weights and one more changelog entry.

A rubric file is never overwritten. :func:`write_rubric_version` writes ``<id>_v2.yaml``
(or the next free name) beside the rubric: the rubric's own YAML text, comments and
layout kept, with the weights (配点) replaced and a changelog entry appended; if the text
cannot be edited in place, a clean dump. The result always loads with
:func:`scoring.config.rubric.load_rubric` to exactly the intended rubric (checked before
writing). Used by the tuning screen's 「新しい版として保存」.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ..core.clock import now_jst
from ..core.errors import OptionError
from ..core.paths import RUBRICS_DIR
from .rubric import Combining, Rubric, rubric_from_dict

__all__ = ["check_note", "fmt_weight", "next_version_path", "write_rubric_version"]


def fmt_weight(x: float) -> str:
    """``18`` or ``12.5`` (as written into YAML and messages)."""
    return str(round(x)) if abs(x - round(x)) < 1e-9 else f"{x:.1f}"


def _plain(obj: Any) -> Any:
    """A model dump as plain YAML data: integral floats (also as keys) become ints."""
    if isinstance(obj, dict):
        return {_plain(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_plain(v) for v in obj]
    if isinstance(obj, float) and obj.is_integer():
        return int(obj)
    return obj


def _entry_text(indent: int, entry: Mapping[str, Any]) -> str:
    """One changelog item in block style, strings double-quoted (JSON strings are YAML)."""
    import json

    pad = " " * indent
    lines = [f"{pad}- date: {entry['date'].isoformat()}"]
    for key in ("note", "author"):
        if entry.get(key):
            lines.append(f"{pad}  {key}: {json.dumps(entry[key], ensure_ascii=False)}")
    return "\n".join(lines) + "\n"


def _edited_yaml(text: str, weights: Mapping[str, str], entry: Mapping[str, Any]) -> str | None:
    """The rubric's own YAML text with new weights and one more changelog entry.

    Only the weight scalars are replaced and the entry is appended, so comments and
    layout survive.  ``None`` when the file is laid out in a way this does not handle
    (flow style, a weight that is not a plain scalar, …): the caller then writes a dump.
    """
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return None
    if not isinstance(root, yaml.MappingNode):
        return None
    top = {k.value: v for k, v in root.value if isinstance(k, yaml.ScalarNode)}
    edits = _weight_edits(top.get("groups"), weights)
    if edits is None:
        return None
    log_edit = _changelog_edit(text, top.get("changelog"), entry)
    if log_edit is None:
        return None
    for start, end, new in sorted([*edits, log_edit], reverse=True):
        text = text[:start] + new + text[end:]
    return text


_Edit = tuple[int, int, str]
"""(start, end, new text): replace ``text[start:end]``."""


def _weight_edits(groups: yaml.Node | None, weights: Mapping[str, str]) -> list[_Edit] | None:
    """One edit per criterion's weight; ``None`` unless every criterion of ``weights`` has one plain weight."""
    if not isinstance(groups, yaml.SequenceNode):
        return None
    edits: list[_Edit] = []
    seen: set[str] = set()
    for g in groups.value:
        if not isinstance(g, yaml.MappingNode):
            return None
        crits = {k.value: v for k, v in g.value}.get("criteria")
        if not isinstance(crits, yaml.SequenceNode):
            return None
        for c in crits.value:
            found = _weight_edit(c, weights)
            if found is None:
                return None
            seen.add(found[0])
            edits.append(found[1])
    return edits if seen == set(weights) else None


def _weight_edit(criterion: yaml.Node, weights: Mapping[str, str]) -> tuple[str, _Edit] | None:
    """The criterion's id and the edit of its weight scalar (``None``: not a plain scalar, unknown id)."""
    if not isinstance(criterion, yaml.MappingNode):
        return None
    fields = {k.value: v for k, v in criterion.value}
    cid, wnode = fields.get("id"), fields.get("weight")
    if not isinstance(cid, yaml.ScalarNode) or not isinstance(wnode, yaml.ScalarNode) or wnode.style:
        return None
    if cid.value not in weights:
        return None
    return cid.value, (wnode.start_mark.index, wnode.end_mark.index, weights[cid.value])


def _changelog_edit(text: str, log: yaml.Node | None, entry: Mapping[str, Any]) -> _Edit | None:
    """The edit that appends ``entry`` to the changelog (or adds one); ``None`` for a flow or empty one."""
    if log is None:
        pos = len(text)
        prefix = "" if text.endswith("\n") or not text else "\n"
        return pos, pos, f"{prefix}changelog:\n{_entry_text(2, entry)}"
    if isinstance(log, yaml.SequenceNode) and not log.flow_style and log.value:
        pos = log.end_mark.index
        at_line_start = pos == 0 or text[pos - 1] == "\n"
        return pos, pos, ("" if at_line_start else "\n") + _entry_text(log.start_mark.column, entry)
    return None


def _flow(options: Mapping[str, Any]) -> str:
    """Options as one YAML flow mapping (``{}`` when empty; ``1.0e-10`` stays a float)."""
    if not options:
        return "{}"
    return str(
        yaml.safe_dump(dict(options), default_flow_style=True, allow_unicode=True, width=10_000)
    ).strip()


def check_note(note: object) -> str:
    """The changelog note, stripped; ``ValueError`` (Japanese) when it is empty."""
    if not isinstance(note, str) or not note.strip():
        raise OptionError("変更の内容（メモ）を書いてください。変更履歴（changelog）に残ります。")
    return note.strip()


def next_version_path(rubric: Rubric) -> Path:
    """``<id>_v2.yaml`` beside the rubric's file (or in ``rubrics/``), or the first free ``_vN``."""
    folder = rubric.source.parent if rubric.source is not None else RUBRICS_DIR
    n = 2
    while (folder / f"{rubric.id}_v{n}.yaml").exists():
        n += 1
    return folder / f"{rubric.id}_v{n}.yaml"


def write_rubric_version(
    rubric: Rubric,
    rounded: pd.Series,
    path: str | os.PathLike[str] | None = None,
    *,
    note: str,
    author: str | None = None,
    date: dt.date | None = None,
    made_by: str = "scoring.config.versions",
    combining: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``rubric`` with the weights ``rounded`` as a new file; never overwrites.

    Parameters
    ----------
    rubric : Rubric
        The rubric the new version derives from.
    rounded : Series
        New 配点 per criterion id (the values to write, e.g. integers summing to 100).
    path : path-like, optional
        Where to write (default :func:`next_version_path`).
    note, author, date
        The changelog entry: what and why (required), who, when (default today in Japan).
    made_by : str
        What made it, for the header comment and the entry.
    combining : mapping, optional
        ``{"method": ..., "options": {...}}``: the combining method chosen with these
        weights, written as the rubric's ``combining:`` block (replacing one it had); the
        round then starts with it. ``None`` keeps the rubric's own (or none).

    Raises
    ------
    FileExistsError
        ``path`` exists (Japanese message): nothing is overwritten.
    ValueError
        Empty note.
    """
    check_note(note)
    author = author.strip() if isinstance(author, str) and author.strip() else None
    target = Path(path) if path is not None else next_version_path(rubric)
    if target.exists():
        raise _exists_error(target)
    day = date or now_jst().date()
    entry = _changelog_entry(rubric, rounded, note, author, day, made_by)
    header = (
        f"# {day.isoformat()} {made_by}で作成: {_source_name(rubric)}（版 {rubric.version}）の配点を"
        "変更した新しい版。\n"
    )
    new_combining: dict[str, Any] | None = None
    if combining is not None:
        new_combining = Combining(
            method=str(combining["method"]), options=dict(combining.get("options") or {})
        ).model_dump(mode="json")
    expected = _expected_dump(rubric, rounded, entry, new_combining)
    text = _edited_version(rubric, rounded, entry, new_combining, made_by)
    if text is None or not _is_valid(header + text, expected):
        text = _dumped_version(rubric, rounded, entry, new_combining)
        if not _is_valid(header + text, expected):  # pragma: no cover - a dump of a valid rubric is valid
            raise RuntimeError("新しい版のルーブリックを作れませんでした（内部エラー）。")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(target, "x", encoding="utf-8", newline="\n") as fh:
            fh.write(header + text)
    except FileExistsError:
        raise _exists_error(target) from None
    return target


def _exists_error(target: Path) -> FileExistsError:
    """The Japanese error for a new version's file that already exists."""
    return FileExistsError(f"{target} は既にあります。上書きはしません。別のファイル名を指定してください。")


def _source_name(rubric: Rubric) -> str:
    """The name of the rubric's file, for the changelog note and the header comment."""
    return rubric.source.name if rubric.source is not None else "（ファイルなし）"


def _changelog_entry(
    rubric: Rubric, rounded: pd.Series, note: str, author: str | None, day: dt.date, made_by: str
) -> dict[str, Any]:
    """The new changelog entry: the note with the weight changes and the version it derives from."""
    before = rubric.weights()
    changes = [
        f"{c} {fmt_weight(float(before[str(c)]))}→{fmt_weight(float(n))}"
        for c, n in rounded.items()
        if abs(float(before[str(c)]) - float(n)) > 1e-9
    ]
    full_note = (
        f"{note.strip()}（配点の変更: {'、'.join(changes) if changes else 'なし'}。"
        f"元の版 {rubric.version}（{_source_name(rubric)}）、{made_by.split('（')[0]} で作成）"
    )
    entry: dict[str, Any] = {"date": day, "note": full_note}
    if author:
        entry["author"] = author
    return entry


def _expected_dump(
    rubric: Rubric, rounded: pd.Series, entry: Mapping[str, Any], new_combining: dict[str, Any] | None
) -> dict[str, Any]:
    """The JSON dump the new version must load to: new weights, the entry, the combining block."""
    expected: dict[str, Any] = rubric.model_dump(mode="json")
    for g in expected["groups"]:
        for c in g["criteria"]:
            c["weight"] = float(rounded[c["id"]])
    expected["changelog"].append(
        {"date": entry["date"].isoformat(), "note": entry["note"], "author": entry.get("author")}
    )
    if new_combining is not None:
        expected["combining"] = new_combining
    return expected


def _is_valid(text: str, expected: Mapping[str, Any]) -> bool:
    """``text`` loads as a rubric whose dump is ``expected``."""
    try:
        new = rubric_from_dict(yaml.safe_load(text))
    except (yaml.YAMLError, ValueError):
        return False
    return bool(new.model_dump(mode="json") == expected)


def _edited_version(
    rubric: Rubric,
    rounded: pd.Series,
    entry: Mapping[str, Any],
    new_combining: Mapping[str, Any] | None,
    made_by: str,
) -> str | None:
    """The rubric's own file edited (comments and layout kept), or ``None`` when it cannot be."""
    if rubric.source is None or not rubric.source.exists():
        return None
    new_weights = {str(c): fmt_weight(v) for c, v in rounded.items()}
    edited = _edited_yaml(rubric.source.read_text(encoding="utf-8"), new_weights, entry)
    if edited is None or new_combining is None:
        return edited
    root = yaml.compose(edited)
    if isinstance(root, yaml.MappingNode) and any(
        isinstance(k, yaml.ScalarNode) and k.value == "combining" for k, _ in root.value
    ):
        return None
    block = (
        f"combining:                   # 統合方法（{made_by.split('（')[0]} で保存）\n"
        f"  method: {new_combining['method']}\n"
        f"  options: {_flow(new_combining['options'])}\n"
    )
    return edited.rstrip("\n") + "\n" + block


def _dumped_version(
    rubric: Rubric, rounded: pd.Series, entry: Mapping[str, Any], new_combining: dict[str, Any] | None
) -> str:
    """A clean YAML dump of the new version (when the rubric's own text cannot be edited)."""
    data = _plain(rubric.model_dump(mode="python", exclude_none=True))
    for g in data["groups"]:
        for c in g["criteria"]:
            c["weight"] = _plain(float(rounded[c["id"]]))
    data.setdefault("changelog", []).append({k: v for k, v in entry.items()})
    if new_combining is not None:
        data["combining"] = new_combining
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)
