"""YAML settings files validated by pydantic, with Japanese messages that name the line.

Used for ``round.yaml`` and ``reviewers.yaml``. A file is parsed once into data and a
node tree (:func:`yaml.compose`), so that every validation error can be reported with the
line of the offending key, and all problems of a file are reported together.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from ..core.errors import ConfigError, ConfigProblem
from ..core.roundfacts import level_value as num
from ..core.safefiles import UnsafeFileError, open_regular

__all__ = [
    "EXCERPT_CHARS",
    "MAX_SETTINGS_BYTES",
    "ConfigError",
    "ConfigProblem",
    "describe",
    "duplicate_keys",
    "excerpt",
    "fmt",
    "join",
    "line_of",
    "load_yaml",
    "loc_text",
    "num",
    "pydantic_message",
    "read_settings_text",
    "shown_key",
    "validate_yaml",
    "with_particle",
]

M = TypeVar("M", bound=BaseModel)

#: Largest settings file read (round.yaml, reviewers.yaml, a rubric are a few KB).
MAX_SETTINGS_BYTES = 1024 * 1024
#: libyaml's safe loader when PyYAML was built with it (about ten times faster: a round loads its
#: round.yaml, reviewers.yaml and rubric every time), else PyYAML's own; both give the same data
#: and nodes with line marks.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: Characters of a value quoted in a message before it is cut (:func:`excerpt`).
EXCERPT_CHARS = 20


def load_yaml(path: str | Path) -> tuple[Any, yaml.Node | None]:
    """Read a YAML file into (data, node tree).

    Raises
    ------
    ConfigError
        The file is missing, a folder, not UTF-8 or not valid YAML (with line and column).
    """
    file = str(path)
    p = Path(path)

    def fail(
        message: str, line: int | None = None, column: int | None = None, where: str = "(ファイル)"
    ) -> ConfigError:
        return ConfigError([ConfigProblem(file, line, where, message, column=column)])

    try:
        text = read_settings_text(p)
    except FileNotFoundError:
        raise fail(f"ファイルが見つかりません（{p.resolve()}）。パスを確認してください") from None
    except IsADirectoryError:
        raise fail("フォルダーが指定されています。YAML ファイルを指定してください") from None
    except UnsafeFileError as exc:
        raise fail(f"{exc}設定ファイル（YAML）を指定してください") from None
    except UnicodeDecodeError as exc:
        raise fail(
            f"文字コードが UTF-8 ではありません（{exc.start} バイト目）。UTF-8 で保存してください"
        ) from None
    try:
        node = yaml.compose(text, Loader=_LOADER)
        data = yaml.load(text, Loader=_LOADER)  # _LOADER is a safe loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        column = mark.column + 1 if mark is not None else None
        col_text = f"（{column}列目）" if column is not None else ""
        raise fail(
            f"YAML の書式に誤りがあります{col_text}: {exc.problem or exc.context or '不明'}。"
            "インデント（字下げ、タブではなく空白）、コロン「:」の後の空白、引用符の閉じ忘れを確認してください",
            line,
            column,
            "(YAML)",
        ) from None
    except yaml.YAMLError as exc:
        raise fail(f"YAML として読めません: {excerpt(str(exc))}", where="(YAML)") from None
    return data, node


def read_settings_text(path: Path) -> str:
    """The text of a settings file, read safely: a regular file (never a FIFO or device, never
    blocking; :func:`~scoring.core.safefiles.open_regular`) of at most :data:`MAX_SETTINGS_BYTES`,
    of which no more than that is read.

    Raises
    ------
    FileNotFoundError, IsADirectoryError
        As :func:`open` does.
    UnsafeFileError
        Not a regular file, or larger than the limit (Japanese message).
    UnicodeDecodeError
        Not UTF-8.
    """
    if path.is_dir():
        raise IsADirectoryError(str(path))
    if not path.exists():
        raise FileNotFoundError(str(path))
    with open_regular(path) as fh:
        raw = fh.read(MAX_SETTINGS_BYTES + 1)
    if len(raw) > MAX_SETTINGS_BYTES:
        raise UnsafeFileError(
            f"設定ファイルとしては大きすぎます（{MAX_SETTINGS_BYTES // 1024:,} KB を超えています）。読み込んでいません。"
        )
    return raw.decode("utf-8")


def excerpt(text: str) -> str:
    """``text`` for a message: as it is when short and on one line, else its first
    :data:`EXCERPT_CHARS` characters and its length (a file that is not a settings file,
    e.g. a link to ``/etc/shadow``, is never printed whole)."""
    if len(text) <= 2 * EXCERPT_CHARS and "\n" not in text:
        return text
    return f"{text[:EXCERPT_CHARS].split(chr(10))[0]}…（全 {len(text):,} 文字）"


#: A key shown in messages: letters, digits, ``_``, ``-`` and ``.`` (any script), as keys are typed.
_PLAIN_KEY = re.compile(r"[\w.\-]{1,64}")


def shown_key(key: Any) -> str:
    """``key`` quoted for a message, or, when it is not a plain key (symbols such as ``:`` or
    ``$``, or very long: a line of a file that is not a settings file), only its length."""
    text = str(key)
    if _PLAIN_KEY.fullmatch(text):
        return f"'{text}'"
    return f"（記号を含む {len(text):,} 文字のキー。内容は表示しません）"


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


def duplicate_keys(
    node: yaml.Node | None, path: tuple[Any, ...] = ()
) -> Iterator[tuple[tuple[Any, ...], str, int]]:
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


def validate_yaml(
    path: str | Path,
    model: type[M],
    *,
    data: Any = None,
    node: yaml.Node | None = None,
    names: Mapping[str, str] | None = None,
) -> M:
    """Load ``path`` and validate it as ``model``; every problem is reported with its line.

    Raises
    ------
    ConfigError
        With one :class:`ConfigProblem` per validation error; ``names`` gives the keys'
        Japanese names for the messages (:func:`pydantic_message`).
    """
    if data is None:
        data, node = load_yaml(path)
    if data is None:
        data = {}
    problems = [
        ConfigProblem(
            str(path), line, loc_text(loc), f"キー {shown_key(key)} が2回書かれています。1つにしてください"
        )
        for loc, key, line in duplicate_keys(node)
    ]
    try:
        result = model.model_validate(data)
    except ValidationError as e:
        for err in e.errors():
            loc = tuple(p for p in err["loc"] if isinstance(p, (int, str)))
            problems.append(
                ConfigProblem(
                    str(path), line_of(node, loc), loc_text(loc), pydantic_message(err, rest=loc, names=names)
                )
            )
        raise ConfigError(problems) from None
    if problems:
        raise ConfigError(problems)
    return result


# ---------------------------------------------------------------------------
# pydantic errors → Japanese (the one translator, for round.yaml, reviewers.yaml, rubrics)
# ---------------------------------------------------------------------------


def fmt(x: Any) -> str:
    """Format a value for a Japanese message."""
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, (int, float)):
        return str(num(x)) if math.isfinite(x) else str(x)
    if isinstance(x, str):
        return f"'{excerpt(x)}'"
    if isinstance(x, Mapping):
        return "対応表（キー: 値）"
    if isinstance(x, list):
        return "リスト"
    if x is None:
        return "空"
    if isinstance(x, (dt.date, dt.time)):
        return x.isoformat()
    return repr(x)


def describe(path: Sequence[Any], names: Mapping[str, str] | None = None) -> str:
    """Japanese name of a field path, e.g. ``('anchors', 3, 'ja')`` → 評価基準 3の日本語（ja）.

    ``names`` maps keys to Japanese names; other keys are quoted as they are.
    """
    parts: list[str] = []
    prev: Any = None
    for elem in path:
        if isinstance(elem, str) and prev != "anchors":
            parts.append((names or {}).get(elem, f"'{elem}'"))
        elif parts:
            parts[-1] += f" {fmt(elem) if prev == 'anchors' else f'[{elem}]'}"
        else:
            parts.append(f"[{elem}]")
        prev = elem
    return "の".join(parts)


def join(*phrases: str) -> str:
    return "の".join(p for p in phrases if p)


def with_particle(phrase: str, particle: str) -> str:
    return f"{phrase}{particle}" if phrase else ""


def loc_text(loc: Sequence[Any]) -> str:
    out = ""
    for elem in loc:
        if isinstance(elem, int):
            out += f"[{elem}]"
        else:
            key = str(elem) if _PLAIN_KEY.fullmatch(str(elem)) else "(キー)"
            out += f".{key}" if out else key
    return out


def pydantic_message(
    err: Mapping[str, Any],
    subject: str = "",
    rest: Sequence[Any] | None = None,
    *,
    names: Mapping[str, str] | None = None,
    fallback_subject: str = "",
) -> str:
    """One pydantic error dict as a Japanese sentence.

    Parameters
    ----------
    err : mapping
        An item of ``ValidationError.errors()``.
    subject : str
        Who the error is about, e.g. 「評価項目 'need_pool_gap'」 (empty: the file itself).
    rest : sequence, optional
        The rest of the error's location below the subject (default: the whole ``loc``).
    names : mapping, optional
        Japanese names of keys (e.g. ``weight`` → 配点).
    fallback_subject : str
        Put before pydantic's own text when no Japanese sentence fits and nothing else
        names the place.
    """
    etype: str = str(err.get("type", ""))
    ctx: dict[str, Any] = dict(err.get("ctx") or {})
    value = err.get("input")
    rest = list(err.get("loc") or ()) if rest is None else list(rest)
    full = join(subject, describe(rest, names))
    parent = join(subject, describe(rest[:-1], names))
    key = rest[-1] if rest else ""
    now = f"（現在 {fmt(value)}）"
    rule = _MESSAGE_RULES.get(etype)
    if rule is not None:
        return rule(_ErrorPlace(full, parent, key, now, ctx))
    text = str(err.get("msg", etype)).removeprefix("Value error, ")
    where = full.strip() or fallback_subject
    return f"{where}: {text}" if where else text


class _ErrorPlace(NamedTuple):
    """What a message rule may say of one pydantic error."""

    #: The field in Japanese (subject and path), its parent, and its own key.
    full: str
    parent: str
    key: Any
    #: 「（現在 …）」: the value given.
    now: str
    #: pydantic's ``ctx`` (limits, expected literals).
    ctx: Mapping[str, Any]


def _each(types: str, rule: Callable[[_ErrorPlace], str]) -> dict[str, Callable[[_ErrorPlace], str]]:
    """The same rule for each of the space-separated pydantic error types."""
    return dict.fromkeys(types.split(), rule)


def _choices(ctx: Mapping[str, Any]) -> str:
    """pydantic's expected literals ("'a', 'b' or 'c'") as a Japanese list."""
    return str(ctx.get("expected", "")).replace(", ", "、").replace(" or ", "、")


#: pydantic error type → its Japanese sentence (other types: pydantic's own text).
_MESSAGE_RULES: dict[str, Callable[[_ErrorPlace], str]] = {
    "missing": lambda e: f"{with_particle(e.parent, 'に')}必須の項目 '{e.key}' がありません",
    "extra_forbidden": lambda e: (
        f"{with_particle(e.parent, 'に')}未知のキー {shown_key(e.key)} があります。綴りを確認してください"
    ),
    "greater_than": lambda e: f"{e.full}は {fmt(e.ctx.get('gt'))} より大きくしてください{e.now}",
    "greater_than_equal": lambda e: f"{e.full}は {fmt(e.ctx.get('ge'))} 以上にしてください{e.now}",
    "less_than": lambda e: f"{e.full}は {fmt(e.ctx.get('lt'))} より小さくしてください{e.now}",
    "less_than_equal": lambda e: f"{e.full}は {fmt(e.ctx.get('le'))} 以下にしてください{e.now}",
    "finite_number": lambda e: f"{e.full}は有限の数にしてください{e.now}",
    **_each(
        "float_parsing float_type int_parsing int_type int_from_float",
        lambda e: f"{e.full}は数値にしてください{e.now}",
    ),
    "string_type": lambda e: f"{e.full}は文字列にしてください{e.now}",
    "string_too_short": lambda e: f"{e.full}が空です。内容を書いてください",
    "string_pattern_mismatch": lambda e: (
        f"{e.full}に使えない文字があります{e.now}。半角英字で始め、半角英数字と _ だけを使ってください"
    ),
    "list_type": lambda e: f"{e.full}はリスト（「- 」で始まる行）にしてください{e.now}",
    **_each(
        "dict_type model_type model_attributes_type",
        lambda e: f"{e.full}は対応表（キー: 値）にしてください{e.now}",
    ),
    "too_short": lambda e: f"{e.full}には少なくとも {e.ctx.get('min_length')} 件必要です",
    "literal_error": lambda e: f"{e.full}は {_choices(e.ctx)} のいずれかにしてください{e.now}",
    **_each(
        "date_type date_parsing date_from_datetime_parsing date_from_datetime_inexact",
        lambda e: f"{e.full}は日付（例: 2026-02-01）にしてください{e.now}",
    ),
    **_each(
        "datetime_parsing datetime_from_date_parsing datetime_type",
        lambda e: f"{e.full}は日時にしてください（例: 2026-02-20T17:00:00+09:00）{e.now}",
    ),
    "timezone_aware": lambda e: (
        f"{e.full}にタイムゾーンを付けてください（例: 2026-02-20T17:00:00+09:00）{e.now}"
    ),
    **_each("bool_parsing bool_type", lambda e: f"{e.full}は true か false にしてください{e.now}"),
}
