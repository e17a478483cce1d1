"""The database's own count of the checkpoints written: how many, and the last one's digest.

The checkpoint file (:mod:`scoring.store.checkpoints`) sits outside the database; whoever
can delete files in the round folder can delete or truncate it, and an audit that found no
file used to take it for a round that never had one. The table ``score_checkpoint_count``
(one row) records, each time a checkpoint is appended, the number written so far and the
SHA-256 of the last line (:func:`scoring.store.checkpoint_sig.record_digest`). The audit
then reports a missing or truncated file as a problem.

It is written right after the line is on disk, while the file's lock is held (the file
first: a crash in between leaves the file one line ahead, which is not a problem; the other
order would make a false alarm). The database owner can reset it: it is a help, not the
defence; a rewrite of a submitted score is caught through the reviewer's own signature.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from .checkpoint_sig import record_digest
from .eventlog import EventLog

__all__ = ["COUNTER_TABLE", "CheckpointCount", "bump", "count_problems", "ensure_table", "read_count"]

#: The table's name (granted to the analyst's role by :mod:`scoring.admin.roles`).
COUNTER_TABLE = "score_checkpoint_count"
_meta = sa.MetaData()
_COUNTER = sa.Table(
    COUNTER_TABLE,
    _meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("written", sa.Integer, nullable=False),
    sa.Column("last_digest", sa.Text, nullable=False),
)


class CheckpointCount(NamedTuple):
    """How many checkpoints the database saw written, and the digest of the last one."""

    written: int
    last_digest: str


def ensure_table(engine: Engine) -> None:
    """Create the table when missing and this connection may (SQLite; the server's owner)."""
    try:
        with engine.begin() as conn:
            if not sa.inspect(conn).has_table(COUNTER_TABLE):
                _meta.create_all(conn)
    except sa.exc.SQLAlchemyError:
        pass  # a role without CREATE: the owner makes it (db-setup)


def read_count(engine: Engine) -> CheckpointCount:
    """The count (``(0, "")`` when the table or its row is missing or unreadable).

    Read it *before* the checkpoint file: the file grows first, so the file read afterwards
    holds at least what was counted.
    """
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table(COUNTER_TABLE):
                return CheckpointCount(0, "")
            row = conn.execute(sa.select(_COUNTER.c.written, _COUNTER.c.last_digest)).first()
            conn.rollback()
    except sa.exc.SQLAlchemyError:
        return CheckpointCount(0, "")
    return CheckpointCount(int(row[0]), str(row[1])) if row else CheckpointCount(0, "")


def bump(log: EventLog, record: Mapping[str, Any]) -> None:
    """Count one more checkpoint, ``record`` being the line just written (its own write
    transaction: on SQLite ``BEGIN IMMEDIATE``, so that it waits for another writer instead of
    failing when its read would have to become a write)."""
    digest = record_digest(record)
    with log.transaction(write=True, what="記録点の数") as conn:
        if not sa.inspect(conn).has_table(COUNTER_TABLE):
            return
        done = conn.execute(
            sa.update(_COUNTER)
            .where(_COUNTER.c.id == 1)
            .values(written=_COUNTER.c.written + 1, last_digest=digest)
        ).rowcount
        if not done:
            conn.execute(sa.insert(_COUNTER).values(id=1, written=1, last_digest=digest))


def count_problems(
    count: CheckpointCount, lines: Sequence[Mapping[str, Any]], *, file_label: str, head_id: int
) -> list[tuple[int, str, str]]:
    """``記録点`` when the file holds fewer lines of this database than it counted, or lacks its last line.

    ``lines`` are the records of this database's lines (valid or not) in file order;
    ``head_id`` is the event the problem row names (the chain head when nothing better).
    """
    if count.written <= 0:
        return []
    digests = {record_digest(r) for r in lines}
    if not lines:
        return [
            (
                head_id,
                "記録点",
                (
                    f"署名された記録点のファイル {file_label} がない、または空です。データベースには記録点が "
                    f"{count.written} 件書かれたと記録されています。ファイルが削除されたため、記録が書き換えられて"
                    "いないことを確かめられません。保管しておいた写しがあれば元に戻してください。"
                ),
            )
        ]
    if len(lines) < count.written or count.last_digest not in digests:
        return [
            (
                head_id,
                "記録点",
                (
                    f"署名された記録点のファイル {file_label} が切り詰められています: データベースには記録点が "
                    f"{count.written} 件書かれたと記録されていますが、ファイルにはこのデータベースの記録点が "
                    f"{len(lines)} 件しかなく"
                    + ("、最後に書かれた記録点がありません" if count.last_digest not in digests else "")
                    + "。記録点が削除されたため、その後の記録が書き換えられていないことを確かめられません。"
                ),
            )
        ]
    return []
