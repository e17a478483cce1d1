"""The one rule for text people write into the record: comments and reasons.

Every entry point (the reviewer's screen, the Excel 採点表, the command line, the score
store itself) passes a comment through :func:`clean_comment`, and the database refuses
what it would refuse (:mod:`scoring.store.constraints`), so that no comment can break the
committee material, the Excel sheets or the database driver afterwards:

* at most :data:`COMMENT_MAX` characters (checked before anything else, so a 10 MB paste is
  refused at once);
* a vertical tab (``\\x0b``, PowerPoint's and Word's soft line break) and a carriage return
  (``\\r\\n``, ``\\r``) become a newline: a person typed a line break;
* tab and newline stay; every other control character (C0 ``\\x00``–``\\x1f``, DEL, C1
  ``\\x80``–``\\x9f``) is refused with a Japanese message naming the field, the position and
  the character (NUL cannot be stored by PostgreSQL, Excel refuses them in a cell).
"""

from __future__ import annotations

import re

from .errors import ValueFormatError

__all__ = ["COMMENT_MAX", "CONTROL_PATTERN", "clean_comment", "comment_problem", "strip_controls"]

#: The longest comment (or reason) the record holds, in characters.
COMMENT_MAX = 4000
#: The control characters refused in a comment (all but tab and newline; after
#: :func:`clean_comment` turned line breaks into newlines). Also the database's rule.
CONTROL_PATTERN = "[\x00-\x08\x0b-\x1f\x7f-\x9f]"
_CONTROL = re.compile(CONTROL_PATTERN)
_BREAKS = re.compile("\r\n|[\r\x0b]")


def _name(ch: str) -> str:
    return "NUL" if ch == "\x00" else f"U+{ord(ch):04X}"


def comment_problem(text: str, *, field: str = "コメント") -> str:
    """Why ``text`` (already cleaned of line breaks) cannot be stored ("" if it can)."""
    if len(text) > COMMENT_MAX:
        return (
            f"{field}が長すぎます（{len(text):,} 文字）。{COMMENT_MAX:,} 文字以内にしてください"
            "（長い説明は要点に絞ってください）。"
        )
    m = _CONTROL.search(text)
    if m:
        return (
            f"{field}の {m.start() + 1} 文字目に制御文字（{_name(m.group())}）が入っています。"
            "画面や Excel には見えない文字です。その部分を消して入力し直してください"
            "（別のソフトから貼り付けたときに入ることがあります）。"
        )
    return ""


def clean_comment(text: str, *, field: str = "コメント") -> str:
    """``text`` as the record keeps it: line breaks as ``\\n``; refused if too long or with
    control characters (see the module docstring).

    Raises
    ------
    ValueFormatError
        Longer than :data:`COMMENT_MAX` characters, or a control character other than tab
        and newline (Japanese message naming ``field``, the position and the character).
    """
    if not isinstance(text, str):
        raise ValueFormatError(
            f"{field}が文字列ではありません（{type(text).__name__}）。文章で入力してください。"
        )
    if len(text) > 2 * COMMENT_MAX:  # at once, whatever it holds (a 10 MB paste)
        raise ValueFormatError(comment_problem(text, field=field))
    cleaned = _BREAKS.sub("\n", text)
    problem = comment_problem(cleaned, field=field)
    if problem:
        raise ValueFormatError(problem)
    return cleaned


def strip_controls(text: str) -> str:
    """``text`` with line breaks as ``\\n`` and every other refused control character removed
    (what the reviewer's screen saves of a pasted text; the length is left to the caller)."""
    return _CONTROL.sub("", _BREAKS.sub("\n", text))
