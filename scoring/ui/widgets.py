"""What every widget screen shares: readable errors, guarded callbacks, HTML escaping.

JupyterLab swallows exceptions raised in widget callbacks, so every view method that a
click or a value change calls is wrapped in :func:`guarded`: an error becomes a Japanese
message shown in the view (its ``show_error`` method) instead of vanishing.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["error_message", "esc", "guarded"]

_F = TypeVar("_F", bound=Callable[..., Any])


def error_message(exc: BaseException) -> str:
    """A readable Japanese message for an exception raised by a user action.

    Our own errors (``ValueError`` subclasses such as ``StoreError``, ``KeyError`` with a
    message) already speak Japanese and are shown as they are; anything else (an
    ``OSError`` from the file system, a bug) is named and the user is told what to do.
    """
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])
    if isinstance(exc, ValueError) and str(exc):
        return str(exc)
    return (f"予期しないエラーが発生しました（{type(exc).__name__}: {exc}）。"
            "ノートブックを再実行し、続くときは事務局に連絡してください。")


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
