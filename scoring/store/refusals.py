"""What the database said, in Japanese: the refusals :class:`~scoring.store.eventlog.EventLog`
turns into :class:`~scoring.core.errors.StoreError`.

* a role's missing right or a row-level security policy (PostgreSQL ``42501``): the log's
  own message naming the account (:meth:`EventLog._refused`);
* a value the round's rules refuse (:mod:`scoring.store.constraints`: PostgreSQL
  ``check_violation``, SQLite ``RAISE(ABORT)``): the trigger's message;
* an event id or hash that is already in the log (a unique violation): the chain head
  (``score_chain_head``) was moved back by someone, so the next id is taken.

Anything else is left as it is (None).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..core.errors import StoreError

__all__ = ["PG_REFUSED", "refusal"]

PG_REFUSED = "42501"  # SQLSTATE insufficient_privilege (also: a row-level security policy)
_PG_CHECK = "23514"  # check_violation
_PG_UNIQUE = "23505"  # unique_violation
_REFUSED_PREFIX = "採点データベースが受け付けない値です"  # scoring.store.constraints.REFUSED_PREFIX


def _first_line(e: BaseException) -> str:
    orig = getattr(e, "orig", None)
    lines = str(orig if orig is not None else e).strip().splitlines()
    return lines[0] if lines else type(e).__name__


def refusal(log: Any, e: sa.exc.DBAPIError, *, write: bool, what: str) -> StoreError | None:
    """The :class:`StoreError` for database error ``e`` of ``log`` (an EventLog), or None."""
    state = getattr(e.orig, "sqlstate", None)
    if state == PG_REFUSED:
        return log._refused(e, write=write, what=what)
    text = _first_line(e)
    if state == _PG_CHECK or text.startswith(_REFUSED_PREFIX):
        return StoreError(
            f"{text}。{what or 'この記録'}は書き込みませんでした。入力した値を確かめてください"
            "（評価基準が変わった場合は、事務局が python -m scoring db-setup をもう一度実行します）。"
        )
    unique = state == _PG_UNIQUE or (
        isinstance(e, sa.exc.IntegrityError) and "UNIQUE constraint failed: score_events" in text
    )
    if unique and "score_events" in text:
        return StoreError(
            f"採点データベース（{log.url}）の記録の番号が既にある記録と重なったため、"
            f"{what or 'この記録'}は書き込みませんでした（{text}）。チェーンの末尾の記録（score_chain_head）が"
            "データベースを通さずに書き換えられています。事務局が python -m scoring audit で確認してください。"
        )
    return None
