"""YAML settings files validated by pydantic, with Japanese messages that name the line.

Used for ``round.yaml`` and ``reviewers.yaml``. A file is parsed once into data and a
node tree (:func:`yaml.compose`), so that every validation error can be reported with the
line of the offending key, and all problems of a file are reported together.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from ..core.errors import ConfigError, ConfigProblem

__all__ = [
    "ConfigError",
    "ConfigProblem",
    "duplicate_keys",
    "japanese_message",
    "line_of",
    "load_yaml",
    "validate_yaml",
]

M = TypeVar("M", bound=BaseModel)


def load_yaml(path: str | Path) -> tuple[Any, yaml.Node | None]:
    """Read a YAML file into (data, node tree).

    Raises
    ------
    ConfigError
        The file is missing, a folder, not UTF-8 or not valid YAML (with line and column).
    """
    file = str(path)
    p = Path(path)

    def fail(message: str, line: int | None = None, column: int | None = None, where: str = "(ファイル)") -> ConfigError:
        return ConfigError([ConfigProblem(file, line, where, message, column=column)])

    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise fail(f"ファイルが見つかりません（{p.resolve()}）。パスを確認してください") from None
    except IsADirectoryError:
        raise fail("フォルダーが指定されています。YAML ファイルを指定してください") from None
    except UnicodeDecodeError as exc:
        raise fail(f"文字コードが UTF-8 ではありません（{exc.start} バイト目）。UTF-8 で保存してください") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        column = mark.column + 1 if mark is not None else None
        col_text = f"（{column}列目）" if column is not None else ""
        raise fail(
            f"YAML の書式に誤りがあります{col_text}: {exc.problem or exc.context or '不明'}。"
            "インデント（字下げ、タブではなく空白）、コロン「:」の後の空白、引用符の閉じ忘れを確認してください",
            line, column, "(YAML)",
        ) from None
    except yaml.YAMLError as exc:
        raise fail(f"YAML として読めません: {exc}", where="(YAML)") from None
    return data, node


_TOL = 1e-9


def _key_matches(key_node: yaml.Node, elem: Any) -> bool:
    if not isinstance(key_node, yaml.ScalarNode):
        return False
    text = str(key_node.value)
    if isinstance(elem, str):
        return text == elem
    if isinstance(elem, (int, float)) and not isinstance(elem, bool):
        try:
            return abs(float(text) - float(elem)) <= _TOL
        except ValueError:
            return False
    return False


def line_of(root: yaml.Node | None, loc: Sequence[Any]) -> int | None:
    """1-based line of the node at ``loc`` (keys and list indices), or of its nearest parent."""
    if root is None:
        return None
    node: yaml.Node = root
    line = node.start_mark.line + 1
    for elem in loc:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if _key_matches(k, elem):
                    line, node = k.start_mark.line + 1, v
                    break
            else:
                break
        elif isinstance(node, yaml.SequenceNode) and isinstance(elem, int) and 0 <= elem < len(node.value):
            node = node.value[elem]
            line = node.start_mark.line + 1
        else:
            break
    return line


def duplicate_keys(node: yaml.Node | None, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str, int]]:
    """Yield ``(path, key, line)`` for every key written twice in one mapping.

    PyYAML silently keeps the last of two equal keys; settings files report it instead.
    """
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for k, v in node.value:
            key = str(k.value) if isinstance(k, yaml.ScalarNode) else ""
            if key in seen and key != "<<":
                yield path, key, k.start_mark.line + 1
            seen.add(key)
            yield from duplicate_keys(v, (*path, key))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            yield from duplicate_keys(item, (*path, i))


_MESSAGES = {
    "extra_forbidden": "未知のキー '{key}' があります。綴りを確認してください",
    "missing": "必須の項目 '{key}' がありません",
    "greater_than": "{gt} より大きい値にしてください（現在 {input}）",
    "greater_than_equal": "{ge} 以上の値にしてください（現在 {input}）",
    "less_than_equal": "{le} 以下の値にしてください（現在 {input}）",
    "int_parsing": "整数を書いてください（現在 {input!r}）",
    "int_type": "整数を書いてください（現在 {input!r}）",
    "string_type": "文字列を書いてください（現在 {input!r}）",
    "list_type": "リスト（- で始まる行）にしてください",
    "dict_type": "キーと値の組（マッピング）にしてください",
    "model_type": "キーと値の組（マッピング）にしてください",
    "literal_error": "{expected} のいずれかにしてください（現在 {input!r}）",
    "datetime_from_date_parsing": "日時の形式が正しくありません（例: 2026-02-20T17:00:00+09:00）",
    "datetime_parsing": "日時の形式が正しくありません（例: 2026-02-20T17:00:00+09:00）",
    "timezone_aware": "タイムゾーンを付けてください（例: 2026-02-20T17:00:00+09:00）",
}


def japanese_message(err: dict[str, Any]) -> str:
    """A pydantic error dict as a Japanese sentence (pydantic's text as the fallback)."""
    ctx = dict(err.get("ctx") or {})
    loc = err.get("loc") or ()
    ctx.setdefault("key", loc[-1] if loc else "")
    ctx.setdefault("input", err.get("input"))
    template = _MESSAGES.get(err.get("type", ""))
    if template is None:
        msg = str(err.get("msg", ""))
        return msg.removeprefix("Value error, ")
    try:
        return template.format(**ctx)
    except (KeyError, IndexError, ValueError):
        return str(err.get("msg", ""))


def _loc_text(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def validate_yaml(path: str | Path, model: type[M], *, data: Any = None, node: yaml.Node | None = None) -> M:
    """Load ``path`` and validate it as ``model``; every problem is reported with its line.

    Raises
    ------
    ConfigError
        With one :class:`ConfigProblem` per validation error.
    """
    if data is None:
        data, node = load_yaml(path)
    if data is None:
        data = {}
    problems = [
        ConfigProblem(str(path), line, _loc_text(loc), f"キー '{key}' が2回書かれています。1つにしてください")
        for loc, key, line in duplicate_keys(node)
    ]
    try:
        result = model.model_validate(data)
    except ValidationError as e:
        for err in e.errors():
            loc = tuple(p for p in err["loc"] if isinstance(p, (int, str)))
            problems.append(ConfigProblem(str(path), line_of(node, loc), _loc_text(loc), japanese_message(dict(err))))
        raise ConfigError(problems) from None
    if problems:
        raise ConfigError(problems)
    return result
