"""What one reviewer's role may use of the shared database (:func:`limit_reviewer_roles`).

A reviewer's kernel can run any SQL with its role. Without limits one reviewer could keep the
chain head locked (``SELECT … FOR UPDATE`` in a transaction left open) and so block every
other save, or open connections until the server refuses everyone. :func:`provision
<scoring.admin.roles.provision>` therefore gives each reviewer role:

* ``lock_timeout`` :data:`LOCK_TIMEOUT`: a save waiting for a lock gives up (the screen keeps
  the value as 未保存 and retries, :class:`~scoring.core.errors.StoreUnavailableError`);
* ``statement_timeout`` :data:`STATEMENT_TIMEOUT`: no statement runs longer;
* ``idle_in_transaction_session_timeout`` :data:`IDLE_IN_TRANSACTION_TIMEOUT`: a session
  that holds a transaction open without using it is ended, and its locks released;
* ``CONNECTION LIMIT`` :data:`CONNECTION_LIMIT` (a reviewer's app needs one or two).

The planner's statistics of ``score_events`` would let a reviewer read other reviewers'
event counts from ``EXPLAIN`` estimates (the most common values of ``reviewer``, …); row-level
security hides the rows, not the statistics the planner uses. Every column but ``id`` keeps
no statistics (``SET STATISTICS 0``, and the old ones are removed by ``ANALYZE``), so the
estimates are the planner's defaults. The queries of the store use the indexes either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from psycopg import sql

if TYPE_CHECKING:
    import psycopg

__all__ = [
    "CONNECTION_LIMIT",
    "IDLE_IN_TRANSACTION_TIMEOUT",
    "LOCK_TIMEOUT",
    "STATEMENT_TIMEOUT",
    "limit_reviewer_roles",
]

#: How long a reviewer's statement waits for a lock.
LOCK_TIMEOUT = "5s"
#: How long a reviewer's statement may run.
STATEMENT_TIMEOUT = "30s"
#: How long a reviewer's session may hold a transaction open without using it.
IDLE_IN_TRANSACTION_TIMEOUT = "60s"
#: How many connections a reviewer's role may have at once.
CONNECTION_LIMIT = 10
#: Columns of ``score_events`` the planner keeps statistics of (``id`` is public: the chain head).
_COLUMNS_WITH_STATISTICS = ("id",)


def limit_reviewer_roles(cur: psycopg.Cursor[Any], roles: Sequence[str]) -> None:
    """Set the limits of the module docstring on each reviewer role, and drop the per-value
    statistics of ``score_events`` (in the transaction of ``cur``; run by the tables' owner)."""
    settings = (
        ("lock_timeout", LOCK_TIMEOUT),
        ("statement_timeout", STATEMENT_TIMEOUT),
        ("idle_in_transaction_session_timeout", IDLE_IN_TRANSACTION_TIMEOUT),
    )
    for role in roles:
        ident = sql.Identifier(role)
        cur.execute(sql.SQL("ALTER ROLE {} CONNECTION LIMIT {}").format(ident, sql.Literal(CONNECTION_LIMIT)))
        for name, value in settings:
            cur.execute(
                sql.SQL("ALTER ROLE {} SET {} = {}").format(ident, sql.Identifier(name), sql.Literal(value))
            )
    cur.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = 'score_events'"
    )
    for (column,) in cur.fetchall():
        if column not in _COLUMNS_WITH_STATISTICS:
            cur.execute(
                sql.SQL("ALTER TABLE score_events ALTER COLUMN {} SET STATISTICS 0").format(
                    sql.Identifier(column)
                )
            )
    cur.execute("ANALYZE score_events")
