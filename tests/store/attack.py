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
    """The SQL that removes the append-only triggers (the attacker's first step)."""
    if url.startswith("sqlite"):
        return (
            "DROP TRIGGER IF EXISTS score_events_no_update",
            "DROP TRIGGER IF EXISTS score_events_no_delete",
        )
    return ("DROP TRIGGER IF EXISTS score_events_no_change ON score_events",)
