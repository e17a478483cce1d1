"""What an attacker with write access to the database does: SQL past the store's guards."""

from __future__ import annotations

import sqlalchemy as sa


def tamper(url: str, *statements: str) -> None:
    """Run SQL directly on the database, bypassing the store (as an attacker would)."""
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.begin() as conn:
            for sql in statements:
                conn.exec_driver_sql(sql)
    finally:
        engine.dispose()


def drop_guards(url: str) -> tuple[str, ...]:
    """The SQL that removes the append-only triggers and the value rules (the attacker's first step)."""
    if url.startswith("sqlite"):
        return (
            "DROP TRIGGER IF EXISTS score_events_no_update",
            "DROP TRIGGER IF EXISTS score_events_no_delete",
            *(f"DROP TRIGGER IF EXISTS score_events_valid_{rule}" for rule in SQLITE_RULES),
        )
    return (
        "DROP TRIGGER IF EXISTS score_events_no_change ON score_events",
        "DROP TRIGGER IF EXISTS score_events_valid ON score_events",
    )


#: The SQLite triggers of the round's rules (scoring.store.constraints), one per rule.
SQLITE_RULES = ("kind", "criterion", "score", "shape", "time", "comment")
