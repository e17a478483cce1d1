"""What every widget screen shares: readable errors, guarded callbacks, HTML escaping, timers.

JupyterLab swallows exceptions raised in widget callbacks, so every view method that a
click or a value change calls is wrapped in :func:`guarded`: an error becomes a Japanese
message shown in the view (its ``show_error`` method) instead of vanishing.
"""

from __future__ import annotations

import asyncio
import functools
import html
import re
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from ..core.errors import ShinsaError
from ..core.text import COMMENT_MAX

__all__ = ["call_later", "count_html", "error_message", "esc", "guarded"]

#: Hiragana, katakana or kanji: a message written for people here.
_JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")

_F = TypeVar("_F", bound=Callable[..., Any])


def error_message(exc: BaseException) -> str:
    """A readable Japanese message for an exception raised by a user action.

    Our own errors (:class:`~scoring.core.errors.ShinsaError`, and ``ValueError`` or
    ``KeyError`` raised with a Japanese message) are shown as they are. A ``ValueError``
    or ``KeyError`` in English (numpy's, pandas') is never shown: the user gets a Japanese
    sentence naming its kind. Anything else (an ``OSError``, a bug) is named with its
    detail, for the 事務局, and the user is told what to do.
    """
    if isinstance(exc, ShinsaError):
        return str(exc)
    text = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    if isinstance(exc, (KeyError, ValueError)) and _JAPANESE.search(text):
        return text
    if isinstance(exc, (KeyError, ValueError)):  # a library's English, e.g. numpy's: not shown
        return (
            f"予期しないエラーが発生しました（{type(exc).__name__}）。"
            "入力を確かめてノートブックを再実行し、続くときは事務局に連絡してください。"
        )
    return (
        f"予期しないエラーが発生しました（{type(exc).__name__}: {exc}）。"
        "ノートブックを再実行し、続くときは事務局に連絡してください。"
    )


def guarded(method: _F) -> _F:
    """Run a view callback; any error is shown in the view instead of being swallowed."""

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - shown to the user, never lost
            self.show_error(error_message(exc))
            return None

    return wrapper  # type: ignore[return-value]


def esc(value: object) -> str:
    """HTML-escape any value for an HTML widget."""
    return html.escape(str(value))


def call_later(delay: float, callback: Callable[[], None], *, thread: bool = True) -> Any:
    """Run ``callback`` after ``delay`` seconds; returns a handle with ``cancel()``.

    In a kernel (or Voila) the widget callbacks run on the kernel's asyncio loop: the
    callback is scheduled on that loop, so it runs in the same thread as every other
    callback. Without a running loop (plain Python) a daemon :class:`threading.Timer`,
    or nothing (None) when ``thread`` is False.
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        if not thread:
            return None
        timer = threading.Timer(delay, callback)
        timer.daemon = True
        timer.start()
        return timer
    return loop.call_later(delay, callback)


def count_html(text: str) -> str:
    """The character count under a comment or 申請者への所見 box: 「n / 4,000 文字」, in red with
    what to do when the text is over :data:`~scoring.core.text.COMMENT_MAX` (then it is not saved)."""
    n = len(text)
    if n > COMMENT_MAX:
        return (
            f"<span class='shinsa-over' style='color:#b00020'>{n:,} / {COMMENT_MAX:,} 文字: "
            "長すぎるため保存されていません。短くしてください。</span>"
        )
    return f"<span class='shinsa-muted'>{n:,} / {COMMENT_MAX:,} 文字</span>"
