"""YAML settings files validated by pydantic, with Japanese messages that name the line.

Used for ``round.yaml`` and ``reviewers.yaml``. A file is parsed once into data and a
node tree (:func:`yaml.compose`), so that every validation error can be reported with the
line of the offending key, and all problems of a file are reported together.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

__all__ = ["ConfigProblem", "ConfigError", "load_yaml", "line_of", "validate_yaml", "japanese_message"]

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class ConfigProblem:
    """One problem in a settings file: where (file, line, location) and what (message)."""

    file: str
    line: int | None
    location: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file} {self.line}行目" if self.line else self.file
        loc = f" [{self.location}]" if self.location else ""
        return f"{where}{loc}: {self.message}"


class ConfigError(ValueError):
    """A settings file cannot be used. ``problems`` lists every problem found."""

    def __init__(self, problems: list[ConfigProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def load_yaml(path: str | Path) -> tuple[Any, yaml.Node | None]:
    """Read a YAML file into (data, node tree).

    Raises
    ------
    ConfigError
        The file is missing, unreadable, not UTF-8 or not valid YAML (with line and column).
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([ConfigProblem(str(p), None, "", "ファイルが見つかりません。パスを確認してください。")]) from None
    except UnicodeDecodeError:
        raise ConfigError([ConfigProblem(str(p), None, "", "UTF-8 で保存されていません。UTF-8 で保存し直してください。")]) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark
        line = mark.line + 1 if mark else None
        col = f"{mark.column + 1}文字目" if mark else ""
        raise ConfigError([ConfigProblem(
            str(p), line, "", f"YAML の書式エラー（{col}）: {e.problem}。インデントや記号（: - \"）を確認してください。"
        )]) from None
    return data, node


def line_of(root: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """1-based line of the node at ``loc`` (keys and list indices); nearest parent if absent."""
    node = root
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        nxt = None
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k.value == str(key):
                    nxt, line = v, k.start_mark.line + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
            nxt = node.value[key]
            line = nxt.start_mark.line + 1
        if nxt is None:
            break
        node = nxt
    return line


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
    try:
        return model.model_validate(data)
    except ValidationError as e:
        problems = []
        for err in e.errors():
            loc = tuple(p for p in err["loc"] if isinstance(p, (int, str)))
            problems.append(ConfigProblem(str(path), line_of(node, loc), _loc_text(loc), japanese_message(dict(err))))
        raise ConfigError(problems) from None
