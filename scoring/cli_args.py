"""The command line's parser in Japanese: its errors, its usage line and its help headings.

:class:`JapaneseArgumentParser` is :class:`argparse.ArgumentParser` with argparse's own English
messages (「the following arguments are required」, 「invalid choice」, 「unrecognized
arguments」…) put into Japanese, the usage prefix 「使い方:」 and Japanese group titles and
``-h`` help. Sub-commands inherit it (``add_subparsers`` uses the parser's own class). A
message argparse adds in a later Python version and not known here is shown as it is.

:func:`positive_int` is the ``type`` of a count that must be 1 or more (``push-candidates
--top``): argparse then refuses ``-5`` with a Japanese reason instead of the command running.
:func:`output_file` is the ``type`` of a file the command writes (``template``, ``progress
--xlsx``, ``feedback --drafts``): its folder must exist, since a mistyped path would otherwise
create folders wherever it points (as root, under ``/``).

Only the standard library is imported here, so that ``python -m scoring --help`` stays fast.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Iterable
from typing import Any, NoReturn

__all__ = ["JapaneseArgumentParser", "JapaneseHelpFormatter", "output_file", "positive_int", "translate"]

#: argparse's name of a ``type`` → Japanese (``invalid int value``).
_TYPES = {"int": "整数", "float": "数値", "str": "文字列", "positive_int": "1 以上の整数"}


def _unquote(text: str) -> str:
    text = text.strip()
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"" else text


def _choices(text: str) -> str:
    return "、".join(_unquote(c) for c in text.split(", "))


#: (pattern of argparse's English message, its Japanese). Checked in order; the first match wins.
_RULES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (
        re.compile(r"argument (?P<arg>.+?): (?P<rest>.*)", re.DOTALL),
        lambda m: f"引数 {m['arg']}: {translate(m['rest'])}",
    ),
    (
        re.compile(r"the following arguments are required: (?P<args>.*)", re.DOTALL),
        lambda m: f"次の引数を指定してください: {m['args']}",
    ),
    (
        re.compile(r"unrecognized arguments: (?P<args>.*)", re.DOTALL),
        lambda m: f"使えない引数があります: {m['args']}（-h で使える引数を確かめてください）",
    ),
    (
        re.compile(r"invalid choice: (?P<value>.*?) \(choose from (?P<choices>.*)\)", re.DOTALL),
        lambda m: (
            f"「{_unquote(m['value'])}」は選べません。次のどれかを指定してください: {_choices(m['choices'])}"
        ),
    ),
    (
        re.compile(r"invalid (?P<type>\S+) value: (?P<value>.*)", re.DOTALL),
        lambda m: f"「{_unquote(m['value'])}」は{_TYPES.get(m['type'], m['type'])}として読めません",
    ),
    (re.compile(r"expected one argument"), lambda m: "値を 1 つ指定してください"),
    (re.compile(r"expected at most one argument"), lambda m: "値は 1 つまでです"),
    (re.compile(r"expected at least one argument"), lambda m: "値を 1 つ以上指定してください"),
    (re.compile(r"expected (?P<n>\d+) arguments?"), lambda m: f"値を {m['n']} 個指定してください"),
    (
        re.compile(r"not allowed with argument (?P<arg>.*)", re.DOTALL),
        lambda m: f"引数 {m['arg']} と同時には指定できません",
    ),
    (
        re.compile(r"one of the arguments (?P<args>.*) is required", re.DOTALL),
        lambda m: f"次の引数のどれか 1 つを指定してください: {m['args']}",
    ),
    (
        re.compile(r"ambiguous option: (?P<opt>\S+) could match (?P<matches>.*)", re.DOTALL),
        lambda m: (
            f"オプション {m['opt']} は複数に当てはまります（{m['matches']}）。省略せずに指定してください"
        ),
    ),
    (
        re.compile(r"ignored explicit argument (?P<value>.*)", re.DOTALL),
        lambda m: f"値 {_unquote(m['value'])} は指定できません",
    ),
    (
        re.compile(r"can't open (?P<file>.*?): (?P<why>.*)", re.DOTALL),
        lambda m: f"{m['file']} を開けません: {m['why']}",
    ),
]


def translate(message: str) -> str:
    """argparse's English error message in Japanese (an unknown message is returned as it is)."""
    for pattern, ja in _RULES:
        m = pattern.fullmatch(message.strip())
        if m:
            return ja(m)
    return message


class JapaneseHelpFormatter(argparse.HelpFormatter):
    """argparse's help formatter with the usage line prefixed 「使い方:」."""

    def add_usage(
        self,
        usage: str | None,
        actions: Iterable[argparse.Action],
        groups: Iterable[argparse._MutuallyExclusiveGroup],
        prefix: str | None = None,
    ) -> None:
        super().add_usage(usage, actions, groups, "使い方: " if prefix is None else prefix)


class JapaneseArgumentParser(argparse.ArgumentParser):
    """:class:`argparse.ArgumentParser` whose messages, usage line and help headings are Japanese."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        add_help = kwargs.get("add_help", True)
        kwargs["add_help"] = False  # added below, with Japanese help
        kwargs.setdefault("formatter_class", JapaneseHelpFormatter)
        super().__init__(*args, **kwargs)
        self._positionals.title = "引数"
        self._optionals.title = "オプション"
        if add_help:
            self.add_argument("-h", "--help", action="help", help="この説明を表示して終了する")

    def error(self, message: str) -> NoReturn:
        """Print the usage and the Japanese message to stderr; exit 2 (as argparse does)."""
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: エラー: {translate(message)}\n")


def positive_int(text: str) -> int:
    """An argument that must be an integer of 1 or more (for ``type=``)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"「{text}」は整数として読めません。1 以上の整数を指定してください"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"「{text}」は使えません。1 以上の整数を指定してください")
    return value


def output_file(text: str) -> str:
    """A file to write, whose folder must already exist (for ``type=``); never creates folders."""
    if not text.strip():
        raise argparse.ArgumentTypeError("ファイル名が空です。書き出すファイルを指定してください")
    folder = os.path.dirname(os.path.abspath(text))
    if not os.path.isdir(folder):
        raise argparse.ArgumentTypeError(
            f"書き出し先のフォルダ {folder} がありません。フォルダは自動では作りません。"
            "パスを確かめるか、フォルダを作ってからもう一度実行してください"
        )
    if os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"{text} はフォルダです。書き出すファイルの名前を指定してください")
    return text
