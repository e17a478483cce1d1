"""Compare-and-swap of (reviewer, application) pairs, checked under the chain lock.

A write planned on a state read earlier (the 採点表 import reads the store, compares it with
the sheet, then writes) passes the version of each pair it read: the id of the pair's last
score/submit/reopen event (:class:`~scoring.store.base.PairVersion` ``last_id``, 0 for a pair
without events). :meth:`ScoreStore.record_many <scoring.store.scores.ScoreStore.record_many>`
re-reads those versions inside its write transaction, after taking the chain lock, and
refuses the whole write with :class:`~scoring.core.errors.StoreConflictError` when any pair
it writes has changed since: a reviewer's save or a second import that came in between is
reported, never overwritten. The lock (``BEGIN IMMEDIATE`` on SQLite, ``SELECT … FOR UPDATE``
of the chain head on PostgreSQL) serialises every writer, so the re-read and the write see
the same state.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any, NamedTuple

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..core.clock import JST
from ..core.errors import StoreConflictError
from .base import PAIR_KINDS
from .eventlog import EVENTS

__all__ = ["PairChange", "changed_pairs", "conflict_error"]

#: Where an event came from, for the message (``source`` → Japanese).
_SOURCE_JA = {
    "widget": "採点画面での保存",
    "excel": "採点表の取り込み",
    "import": "取り込み",
    "simulation": "シミュレーション",
    "analyst": "事務局の操作",
}
_KIND_JA = {"score": "採点", "submit": "提出", "reopen": "再開"}


class PairChange(NamedTuple):
    """A pair whose last event is no longer the one the write was planned on."""

    reviewer: str
    application: str
    expected_id: int
    last: Mapping[str, Any]  # the pair's last event now (id, kind, actor, source, timestamp)


def changed_pairs(
    conn: Connection, pairs: Collection[tuple[str, str]], expected: Mapping[tuple[str, str], int]
) -> list[PairChange]:
    """The pairs of ``pairs`` whose last event id differs from ``expected`` (absent: 0), read in ``conn``."""
    if not pairs:
        return []
    reviewers = sorted({r for r, _ in pairs})
    agg = (
        sa.select(EVENTS.c.reviewer, EVENTS.c.application, sa.func.max(EVENTS.c.id).label("last"))
        .where(EVENTS.c.reviewer.in_(reviewers), EVENTS.c.kind.in_(PAIR_KINDS))
        .group_by(EVENTS.c.reviewer, EVENTS.c.application)
    )
    now = {(str(r), str(a)): int(last) for r, a, last in conn.execute(agg)}
    moved = sorted(p for p in pairs if now.get(p, 0) != int(expected.get(p, 0)))
    if not moved:
        return []
    ids = [now[p] for p in moved if p in now]
    cols = (EVENTS.c.id, EVENTS.c.kind, EVENTS.c.actor, EVENTS.c.source, EVENTS.c.timestamp)
    last = {
        int(row["id"]): dict(row)
        for row in conn.execute(sa.select(*cols).where(EVENTS.c.id.in_(ids))).mappings()
    }
    return [
        PairChange(r, a, int(expected.get((r, a), 0)), last.get(now.get((r, a), 0), {})) for r, a in moved
    ]


def _when(ts: object) -> str:
    try:
        t = pd.Timestamp(ts)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    if pd.isna(t):
        return ""
    t = t.tz_localize("UTC") if t.tzinfo is None else t
    return t.tz_convert(JST).strftime("%Y-%m-%d %H:%M:%S")


def _what(change: PairChange) -> str:
    ev = change.last
    if not ev:
        return "記録が見つからなくなりました"
    how = _SOURCE_JA.get(str(ev.get("source")), str(ev.get("source")))
    kind = _KIND_JA.get(str(ev.get("kind")), str(ev.get("kind")))
    return f"{_when(ev.get('timestamp'))} に {ev.get('actor')} の{how}で{kind}が記録されました（イベント {ev.get('id')}）"


def conflict_error(changes: list[PairChange], label: Callable[[str, str], str]) -> StoreConflictError:
    """The refusal of a write whose pairs changed after it was planned (``label(r, a)`` names a pair)."""
    lines = [f"{label(c.reviewer, c.application)}: {_what(c)}" for c in changes]
    return StoreConflictError(
        "確認してから書き込むまでの間に、次の採点が別の操作で変更されました。"
        "上書きしないよう、何も記録していません。\n"
        + "\n".join(lines)
        + "\nもう一度取り込んでください（その変更が採点表の値とぶつかる場合は、衝突として表示されます）。",
        problems=lines,
    )
