"""The event log at the base of the score store: an append-only SHA-256 hash chain.

:class:`EventLog` knows tables, transactions, the chain and the database's refusals; it
knows nothing of rubrics, reviewers or applications (the score store,
:mod:`scoring.store.scores`, checks those before it appends).

Backends
--------
SQLAlchemy Core, so the same code runs on

* **SQLite**: a file, in WAL mode with ``synchronous=FULL`` (a committed event survives a
  crash of the process or of the machine). Writers take the database lock up front
  (``BEGIN IMMEDIATE``) and wait for one another (up to 60 s).
* **PostgreSQL** for a shared server: any ``postgresql://`` or ``postgresql+psycopg://``
  URL. Writers serialise on a one-row chain-head table with ``SELECT ... FOR UPDATE``.

Either way, appends are serialised, so the chain stays linear with many concurrent
writers. The database also refuses ``UPDATE`` and ``DELETE`` on ``score_events`` with
triggers; the hash chain detects tampering that bypasses them.

Tables
------
``score_events``
    One row per event, columns :data:`EVENT_COLUMNS`: ``id`` (1, 2, 3, … without gaps),
    ``timestamp`` (UTC, ISO 8601 text with microseconds), ``kind``, ``reviewer``,
    ``application``, ``criterion``, ``score``, ``comment``, ``rubric_version``, ``source``,
    ``actor``, ``prev_hash``, ``hash`` and ``payload`` (schema version 2: the structured
    content of a record — a decision, an eligibility decision, a revision — as canonical
    JSON, :func:`scoring.core.canonical.canonical_text`; ``NULL`` for every other event and for every event
    written before the migration).
``score_chain_head``
    One row: id and hash of the last event (lets the audit detect the removal of the
    last events, and is the PostgreSQL lock).
``score_meta``
    Key/value: ``schema_version``, ``round_name`` (a database belongs to one round) and
    ``created_at``.

Schema versions
---------------
1 (until 2026-12) had no ``payload`` column. Opening a version-1 database adds it
(``ALTER TABLE … ADD COLUMN``, under the schema lock) and sets the version to 2; no event
is rewritten, and :func:`event_hash` (in :mod:`scoring.store.chain`, with the chain's checks)
hashes ``payload`` only when it is not ``NULL``, so every hash written before still verifies.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Connection, Engine

from ..core.columns import EVENT_COLUMNS
from ..core.errors import StoreError, StoreUnavailableError
from .chain import GENESIS_HASH, canonical_score, chain_problems, event_hash
from .refusals import refusal

__all__ = [
    "ACCESS_KINDS",
    "ACCESS_PAIRS_TABLE",
    "ACCESS_ROLES_TABLE",
    "COMMITTEE_EVENTS_VIEW",
    "EVENT_COLUMNS",
    "GENESIS_HASH",
    "SCHEMA_VERSION",
    "AppendTx",
    "EventLog",
    "canonical_score",
    "chain_problems",
    "event_hash",
    "read_records_at",
    "record_payload",
    "with_payloads",
]

#: The schema this code writes (see the module docstring).
SCHEMA_VERSION = "2"
_OLD_SCHEMAS = ("1",)
_WRITE_FLAG = "_shinsa_begin_immediate"
_PG_INIT_LOCK = 73_656_901  # arbitrary advisory-lock key for schema creation
#: Tables of the per-person roles (:mod:`scoring.admin.roles`): who is who, and who may score what.
ACCESS_ROLES_TABLE = "score_access_roles"
ACCESS_PAIRS_TABLE = "score_access_pairs"
#: The committee's view of ``score_events`` on PostgreSQL (:mod:`scoring.admin.roles`): every
#: row, the reviewers' comments blanked, the analyst's records (decisions, eligibility) whole.
COMMITTEE_EVENTS_VIEW = "score_events_committee"
#: What a connection may do on a server with per-person roles (``EventLog.access``).
ACCESS_KINDS: tuple[str, ...] = ("owner", "analyst", "reviewer", "committee")
ACCESS_JA = {
    "analyst": "事務局のアカウント",
    "reviewer": "審査員のアカウント",
    "committee": "選定委員のアカウント",
    "owner": "このアカウント",
}
_SQLITE_LOCK_WAIT = 60.0  # seconds a SQLite writer waits for the lock
_ONE_STATEMENT_MAX = 50  # PostgreSQL: up to this many events are written with the head in one statement

_metadata = sa.MetaData()
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
#: The events table (columns in the order of a version-1 table migrated to version 2).
EVENTS = sa.Table(
    "score_events",
    _metadata,
    sa.Column("id", _ID, primary_key=True, autoincrement=False),
    sa.Column("timestamp", sa.String(40), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("reviewer", sa.String(100), nullable=False),
    sa.Column("application", sa.String(16), nullable=False),
    sa.Column("criterion", sa.String(100), nullable=True),
    sa.Column("score", sa.Float(), nullable=True),
    sa.Column("comment", sa.Text(), nullable=False),
    sa.Column("rubric_version", sa.String(64), nullable=False),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False, unique=True),
    sa.Column("payload", sa.Text(), nullable=True),
    sa.Index("ix_score_events_cell", "reviewer", "application", "criterion", "id"),
    sa.Index("ix_score_events_kind", "kind", "id"),
)
_head = sa.Table(
    "score_chain_head",
    _metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("last_id", _ID, nullable=False),
    sa.Column("last_hash", sa.String(64), nullable=False),
)
_meta = sa.Table(
    "score_meta",
    _metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text(), nullable=False),
)

# Statements of the write path, built once (the widget saves one score per transaction).
_Q_HEAD_LOCK = sa.select(_head.c.last_id, _head.c.last_hash).where(_head.c.id == 1).with_for_update()
_Q_HEAD = sa.select(_head.c.last_id, _head.c.last_hash).where(_head.c.id == 1)
_Q_INSERT = sa.insert(EVENTS)
_Q_MOVE_HEAD = (
    sa.update(_head)
    .where(_head.c.id == 1)
    .values(last_id=sa.bindparam("new_id"), last_hash=sa.bindparam("new_hash"))
)

_APPEND_ONLY_JA = "採点の記録（score_events）は追記のみです。変更・削除はできません"
_SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER IF NOT EXISTS score_events_no_update BEFORE UPDATE ON score_events
    BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY_JA}'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS score_events_no_delete BEFORE DELETE ON score_events
    BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY_JA}'); END""",
)
_PG_TRIGGERS = (
    f"""CREATE OR REPLACE FUNCTION score_events_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{_APPEND_ONLY_JA}'; END $$""",
    "DROP TRIGGER IF EXISTS score_events_no_change ON score_events",
    """CREATE TRIGGER score_events_no_change BEFORE UPDATE OR DELETE ON score_events
    FOR EACH ROW EXECUTE FUNCTION score_events_append_only()""",
)


def now_utc() -> str:
    """The current time as stored in ``timestamp`` (UTC, ISO 8601, microseconds)."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")


@dataclass
class AppendTx:
    """An open write transaction holding the chain lock; events appended in order."""

    conn: Connection
    last_id: int
    last_hash: str
    pending: list[dict[str, Any]] = field(default_factory=list)
    one_statement: bool = False

    def append(
        self,
        *,
        kind: str,
        reviewer: str,
        application: str,
        criterion: str | None,
        score: float | None,
        comment: str,
        rubric_version: str,
        source: str,
        actor: str,
        payload: str | None = None,
    ) -> int:
        """Chain one event after the last one (written at the end of the transaction); its id."""
        ev: dict[str, Any] = {
            "id": self.last_id + 1,
            "timestamp": now_utc(),
            "kind": kind,
            "reviewer": reviewer,
            "application": application,
            "criterion": criterion,
            "score": score,
            "comment": comment,
            "rubric_version": rubric_version,
            "source": source,
            "actor": actor,
            "prev_hash": self.last_hash,
            "payload": payload,
        }
        ev["hash"] = event_hash(ev)
        self.pending.append(ev)
        self.last_id, self.last_hash = ev["id"], ev["hash"]
        return int(ev["id"])

    def flush(self) -> None:
        """Write the pending events and move the chain head."""
        if not self.pending:
            return
        head = {"new_id": self.last_id, "new_hash": self.last_hash}
        if self.one_statement and len(self.pending) <= _ONE_STATEMENT_MAX:
            # PostgreSQL: the events and the new head in one round trip (shorter hold of the chain lock)
            ins = sa.insert(EVENTS).values(self.pending).cte("ins")
            self.conn.execute(_Q_MOVE_HEAD.add_cte(ins), head)
        else:
            self.conn.execute(_Q_INSERT, self.pending)
            self.conn.execute(_Q_MOVE_HEAD, head)
        self.pending = []


def record_payload(event: Mapping[str, Any]) -> dict[str, Any]:
    """The structured content of a decision, eligibility or revise event, as a dict.

    Read from ``payload`` (schema version 2); an event written before the migration kept it
    in ``comment``: JSON for a decision or an eligibility decision, the reason for a
    revision (``{"reason": comment}``).

    Raises
    ------
    ValueError
        The stored text is not a JSON object (Japanese message naming the event).
    """
    raw = event.get("payload")
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        if event.get("kind") == "revise":
            return {"reason": str(event.get("comment") or "")}
        raw = event.get("comment")
    try:
        data = json.loads(str(raw))
    except (TypeError, ValueError) as e:
        raise StoreError(
            f"イベント {event.get('id')} の記録の内容を読めません: {e}。`python -m scoring audit` で記録を確認してください。"
        ) from e
    if not isinstance(data, dict):
        raise StoreError(
            f"イベント {event.get('id')} の記録の内容を読めません: JSON のオブジェクトではありません。"
            "`python -m scoring audit` で記録を確認してください。"
        )
    return data


def read_records_at(
    url: str, owner: str, kind: str, *, what: str
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """The records of ``kind`` in the store at ``url`` (``(event, payload)``, oldest first),
    read without creating anything (no tables, no migration, no SQLite file).

    A SQLite file that does not exist, a database without the store's tables, or one that
    belongs to a round other than ``owner`` (opening the store then refuses it with its
    own message) gives ``[]``. A role that may not read ``comment`` (the committee's) reads
    the committee's view. ``what`` names the records in the message of an error.

    Raises
    ------
    StoreError
        The database exists but cannot be read (server down, permissions), or a record is
        not a JSON object.
    """
    u = parse_url(url)
    if u.get_backend_name() == "sqlite":
        db = u.database or ""
        if not db or db == ":memory:" or db.startswith("file:") or not Path(db).is_file():
            return []
    engine = sa.create_engine(u)
    try:
        with engine.connect() as conn:
            insp = sa.inspect(conn)
            if not (insp.has_table("score_events") and insp.has_table("score_meta")):
                return []
            name = conn.execute(sa.select(_meta.c.value).where(_meta.c.key == "round_name")).scalar()
            if name is not None and name != owner:
                return []
            table = "score_events"
            if (
                conn.dialect.name == "postgresql"
                and not conn.execute(
                    sa.text("SELECT has_column_privilege('score_events', 'comment', 'SELECT')")
                ).scalar()
            ):
                table = COMMITTEE_EVENTS_VIEW  # the committee's role (scoring.admin.roles)
            names = {c["name"] for c in insp.get_columns(table)}
            src = sa.table(table, *[sa.column(k) for k in EVENT_COLUMNS if k in names])
            q = (
                sa.select(*[src.c[k] if k in names else sa.null().label(k) for k in EVENT_COLUMNS])
                .where(src.c.kind == kind)
                .order_by(src.c.id)
            )
            rows = [dict(r) for r in conn.execute(q).mappings().all()]
    except sa.exc.SQLAlchemyError as e:
        raise StoreError(
            f"採点データベース（{u.render_as_string(hide_password=True)}）から{what}を読めません: "
            f"{short_error(e)[:200]}。サーバーの起動状態、SCORING_DATABASE_URL、"
            "ファイルの権限を確認してください。"
        ) from e
    finally:
        engine.dispose()
    return with_payloads(rows)


def with_payloads(rows: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """``(row, record_payload(row))`` for each row; a record that cannot be read is a :class:`StoreError`."""
    try:
        return [(r, record_payload(r)) for r in rows]
    except ValueError as e:
        raise StoreError(f"{e}。python -m scoring audit で確認し、事務局に連絡してください。") from e


def parse_url(url: str) -> sa.engine.URL:
    """The SQLAlchemy URL of a store (plain ``postgresql://`` read as psycopg 3).

    Raises
    ------
    StoreError
        The URL cannot be parsed.
    """
    try:
        u = sa.engine.make_url(url)
    except sa.exc.ArgumentError as e:
        raise StoreError(
            f"データベースの URL「{url}」を解釈できません（{e}）。"
            f"sqlite:///パス または postgresql+psycopg://ユーザー:パスワード@ホスト/DB の形にしてください。"
        ) from e
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    return u


def _sqlite_engine(u: sa.engine.URL, shown: str) -> Engine:
    db = u.database or ""
    if db in ("", ":memory:") or db.startswith("file:"):
        raise StoreError(
            f"SQLite のデータベースはファイルにしてください（{shown}）。"
            "例: sqlite:////審査ラウンドのフォルダ/scores.sqlite"
        )
    if not Path(db).parent.is_dir():
        raise StoreError(
            f"データベースのフォルダ {Path(db).parent} がありません。"
            "審査ラウンドのフォルダ、または SCORING_DATABASE_URL を確認してください。"
        )
    engine = sa.create_engine(u, connect_args={"timeout": 60})
    sa_event.listen(engine, "connect", _sqlite_on_connect)
    sa_event.listen(engine, "begin", _sqlite_on_begin)
    return engine


class EventLog:
    """One database's hash-chained event log (tables created or migrated when opened).

    Parameters
    ----------
    url : str
        SQLAlchemy URL: ``sqlite:////abs/path/scores.sqlite`` or
        ``postgresql+psycopg://user:pw@host/db`` (plain ``postgresql://`` is read as psycopg 3).
    owner : str
        The name of the round the database belongs to: written into a new database,
        compared with an existing one's.

    Raises
    ------
    StoreError
        The database cannot be opened, belongs to another round, or has a schema newer
        than this code.
    """

    def __init__(self, url: str, *, owner: str) -> None:
        u = parse_url(url)
        self.owner = owner
        self.url: str = u.render_as_string(hide_password=True)
        self.role = u.username or ""
        #: What this connection may do (:data:`ACCESS_KINDS`): ``"owner"`` for SQLite, for the
        #: database owner and wherever no roles are provisioned; else the kind of the role
        #: (:mod:`scoring.admin.roles`), whose rights PostgreSQL enforces.
        self.access: str = "owner"
        #: The reviewer id of a ``"reviewer"`` connection (else None).
        self.access_reviewer: str | None = None
        #: Whether per-person roles are provisioned in this database.
        self.access_controlled: bool = False
        #: Whether this connection may read the ``comment`` column (not the committee's role).
        self.comments_readable = True
        self._view_columns: tuple[str, ...] = EVENT_COLUMNS
        self.sqlite = u.get_backend_name() == "sqlite"
        self.engine: Engine = (
            _sqlite_engine(u, self.url) if self.sqlite else sa.create_engine(u, pool_pre_ping=True)
        )
        try:
            self._init_schema()
            with self.engine.connect() as conn:
                self.created_at = str(
                    conn.execute(sa.select(_meta.c.value).where(_meta.c.key == "created_at")).scalar() or ""
                )
                conn.rollback()
            if not self.sqlite:
                self._detect_access()
        except StoreError:
            self.engine.dispose()
            raise
        except sa.exc.SQLAlchemyError as e:
            self.engine.dispose()
            raise StoreError(
                f"採点データベース（{self.url}）を開けません: {short_error(e)}。"
                "ファイルの書き込み権限、サーバーの起動状態、SCORING_DATABASE_URL を確認してください。"
            ) from e

    def close(self) -> None:
        """Release all database connections."""
        self.engine.dispose()

    # ------------------------------------------------------------------ schema
    def _init_schema(self) -> None:
        with self.engine.connect() as conn:
            version = None
            if sa.inspect(conn).has_table("score_meta"):
                rows = dict(conn.execute(sa.select(_meta.c.key, _meta.c.value)).all())
                version = rows.get("schema_version")
                if version == SCHEMA_VERSION:
                    self._check_owner(rows)
            conn.rollback()
        if version == SCHEMA_VERSION:
            return
        what = "採点データベースの表（作成・更新は事務局が python -m scoring db-setup で行います）"
        with self.transaction(write=True, what=what) as conn:
            if not self.sqlite:
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_INIT_LOCK})
            _metadata.create_all(conn)
            for ddl in _SQLITE_TRIGGERS if self.sqlite else _PG_TRIGGERS:
                conn.exec_driver_sql(ddl)
            rows = dict(conn.execute(sa.select(_meta.c.key, _meta.c.value)).all())
            if not rows:
                conn.execute(
                    sa.insert(_meta),
                    [
                        {"key": "schema_version", "value": SCHEMA_VERSION},
                        {"key": "round_name", "value": self.owner},
                        {"key": "created_at", "value": now_utc()},
                    ],
                )
            elif rows.get("schema_version") in _OLD_SCHEMAS:
                self._check_owner(rows)
                self._migrate(conn)
            elif rows.get("schema_version") != SCHEMA_VERSION:
                raise StoreError(
                    f"採点データベース（{self.url}）の形式（版 {rows.get('schema_version')}）に"
                    f"このワークベンチ（版 {SCHEMA_VERSION}）は対応していません。ワークベンチを更新してください。"
                )
            else:
                self._check_owner(rows)
            if conn.execute(sa.select(_head.c.id)).first() is None:
                conn.execute(sa.insert(_head).values(id=1, last_id=0, last_hash=GENESIS_HASH))

    def _migrate(self, conn: Connection) -> None:
        """Version 1 → 2: add the nullable ``payload`` column. No event row is written.

        On PostgreSQL the committee's view (:mod:`scoring.admin.roles`), made with the
        columns of version 1, is dropped: ``db-setup`` makes it again with ``payload``
        (until then the committee's role is told so when it opens the store).
        """
        columns = {c["name"] for c in sa.inspect(conn).get_columns("score_events")}
        if "payload" not in columns:
            conn.exec_driver_sql("ALTER TABLE score_events ADD COLUMN payload TEXT")
        if not self.sqlite:
            conn.exec_driver_sql(f"DROP VIEW IF EXISTS {COMMITTEE_EVENTS_VIEW}")
        conn.execute(sa.update(_meta).where(_meta.c.key == "schema_version").values(value=SCHEMA_VERSION))

    def _check_owner(self, meta: Mapping[str, str]) -> None:
        stored = meta.get("round_name")
        if stored is not None and stored != self.owner:
            raise StoreError(
                f"採点データベース（{self.url}）は別の審査ラウンド「{stored}」のものです"
                f"（開こうとしたのは「{self.owner}」）。別のラウンドの採点は混ぜられません。"
                "round.yaml の name を元に戻すか、このラウンド用のデータベース（SCORING_DATABASE_URL）を指定してください。"
            )

    def _detect_access(self) -> None:
        """Set :attr:`access` from ``score_access_roles`` (the role's own row; RLS hides the others)."""
        with self.transaction(write=False) as conn:
            if not sa.inspect(conn).has_table(ACCESS_ROLES_TABLE):
                return
            self.access_controlled = True
            row = conn.execute(
                sa.text(f"SELECT kind, reviewer FROM {ACCESS_ROLES_TABLE} WHERE db_role = current_user")
            ).first()
            if row is not None and str(row[0]) in ACCESS_KINDS:
                self.access, self.access_reviewer = str(row[0]), (None if row[1] is None else str(row[1]))
            self.comments_readable = bool(
                conn.execute(
                    sa.text("SELECT has_column_privilege('score_events', 'comment', 'SELECT')")
                ).scalar()
            )
            if not self.comments_readable:
                names = set(
                    conn.execute(
                        sa.text(
                            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
                            "AND table_name = :v"
                        ),
                        {"v": COMMITTEE_EVENTS_VIEW},
                    ).scalars()
                )
                if not names:
                    raise StoreError(
                        f"{self.who()}が読む採点の記録の表示（{COMMITTEE_EVENTS_VIEW}）がありません"
                        f"（採点データベース {self.url} の形式が更新されたためです）。事務局が "
                        "python -m scoring db-setup をもう一度実行すると読めるようになります。"
                    )
                self._view_columns = tuple(c for c in EVENT_COLUMNS if c in names)

    # ------------------------------------------------------------------ transactions
    @contextmanager
    def transaction(self, *, write: bool, what: str = "") -> Iterator[Connection]:
        """A transaction; database refusals and outages become :class:`StoreError` (Japanese).

        ``what`` names what was being written, for the message of a refused write.
        """
        try:
            with self.engine.connect() as conn:
                if self.sqlite and write:
                    conn.info[_WRITE_FLAG] = True
                with conn.begin():
                    yield conn
        except (sa.exc.OperationalError, sa.exc.InterfaceError, sqlite3.OperationalError) as e:
            # Connection dropped, server down, database locked or not writable: nothing was
            # written and a later try may work (the reviewer's screen retries).
            raise StoreUnavailableError(
                f"採点データベース（{self.url}）に書き込めませんでした: {short_error(e)}。"
                "少し待ってからもう一度保存してください。続く場合は事務局に連絡してください。"
            ) from e
        except sa.exc.DBAPIError as e:
            if (why := refusal(self, e, write=write, what=what)) is not None:
                raise why from e
            raise

    def who(self) -> str:
        """This connection's account in Japanese (「審査員 R1 のアカウント」, 「事務局のアカウント」…)."""
        if self.access == "reviewer" and self.access_reviewer:
            return f"審査員 {self.access_reviewer} のアカウント"
        return ACCESS_JA.get(self.access, "このアカウント")

    def _refused(self, e: BaseException, *, write: bool, what: str) -> StoreError:
        """PostgreSQL's refusal (a role's missing right, a row-level security policy) in Japanese."""
        role = f"（データベースのロール {self.role}）" if self.role else ""
        rule = {
            "reviewer": "審査員は自分の担当の応募（利害関係のないもの）の採点と提出だけができ、自分の記録だけを読めます。"
            "再開・選定結果・取り込みは事務局が行います",
            "committee": "選定委員は読み取りだけができ、審査員のコメントは読めません",
        }.get(self.access, "")
        if write:
            why = f"{self.who()}{role}では{what or 'この記録'}を書き込めません" + (
                f"。{rule}" if rule else ""
            )
        else:
            why = f"{self.who()}{role}ではこの記録を読めません" + (f"。{rule}" if rule else "")
        return StoreError(
            f"データベースが拒否しました: {short_error(e)}（{why}）。"
            "必要な操作であれば事務局に連絡してください。"
        )

    @contextmanager
    def locked(self, what: str = "") -> Iterator[AppendTx]:
        """A write transaction holding the chain lock; the events appended are written at exit."""
        with self.transaction(write=True, what=what) as conn:
            row = conn.execute(_Q_HEAD_LOCK).first()
            if row is None:
                raise StoreError(
                    f"採点データベース（{self.url}）の管理情報（score_chain_head）がありません。"
                    "`python -m scoring audit` で確認し、事務局に連絡してください。"
                )
            tx = AppendTx(conn, int(row[0]), str(row[1]), one_statement=not self.sqlite)
            yield tx
            tx.flush()

    @contextmanager
    def snapshot(self) -> Iterator[Connection]:
        """A read transaction that sees one consistent state (REPEATABLE READ on PostgreSQL)."""
        with self.engine.connect() as conn:
            if not self.sqlite:
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    # ------------------------------------------------------------------ reading
    def head(self, conn: Connection | None = None) -> tuple[int, str]:
        """Id and hash of the last event as the head row records it (``(0, GENESIS_HASH)`` when empty)."""
        if conn is None:
            with self.transaction(write=False) as c:
                return self.head(c)
        return self.recorded_head(conn) or (0, GENESIS_HASH)

    @staticmethod
    def recorded_head(conn: Connection) -> tuple[int, str] | None:
        """Id and hash in the chain-head row, or None when the row is gone."""
        row = conn.execute(_Q_HEAD).first()
        return None if row is None else (int(row[0]), str(row[1]))

    def readable(self) -> Any:
        """``score_events``, or for a role that may not read the reviewers' comments (the
        committee's) its view :data:`COMMITTEE_EVENTS_VIEW` (those comments blank)."""
        if self.comments_readable:
            return EVENTS
        return sa.table(COMMITTEE_EVENTS_VIEW, *[sa.column(k) for k in self._view_columns])

    def column(self, table: Any, name: str) -> Any:
        """Column ``name`` of ``table`` (:meth:`readable`); ``payload`` as NULL where the view lacks it."""
        return table.c[name] if name in table.c else sa.null().label(name)

    def rows(self, conn: Connection | None = None, *, readable: bool = False) -> list[dict[str, Any]]:
        """Every event (dicts of :data:`EVENT_COLUMNS`), oldest first.

        ``readable``: through :meth:`readable` (the committee's role reads its view).
        """
        if conn is None:
            with self.transaction(write=False) as c:
                return self.rows(c, readable=readable)
        src = self.readable() if readable else EVENTS
        q = sa.select(*[self.column(src, k) for k in EVENT_COLUMNS]).order_by(src.c.id)
        return [dict(r) for r in conn.execute(q).mappings().all()]


def _sqlite_on_connect(dbapi_conn: Any, record: Any) -> None:
    """Each new SQLite connection: transactions begun explicitly, WAL, ``synchronous=FULL``.

    Switching a new file to WAL needs the file to itself; when two connections switch it at
    once, SQLite refuses one at once with 「database is locked」 (the busy timeout is not
    applied), so the switch is retried like :func:`_sqlite_on_begin`'s lock.
    """
    dbapi_conn.isolation_level = None  # transactions are begun explicitly (see _sqlite_on_begin)
    cur = dbapi_conn.cursor()
    try:
        cur.execute(f"PRAGMA busy_timeout = {int(_SQLITE_LOCK_WAIT * 1000)}")
        _retry_while_locked(lambda: cur.execute("PRAGMA journal_mode = WAL"))
        cur.execute("PRAGMA synchronous = FULL")
    finally:
        cur.close()


def _retry_while_locked(action: Callable[[], object]) -> None:
    """Run ``action`` until SQLite no longer says the database is locked or busy, with short
    randomised sleeps (0.1–2 ms) for up to :data:`_SQLITE_LOCK_WAIT` s; then its error is raised."""
    deadline = time.monotonic() + _SQLITE_LOCK_WAIT
    delay = 0.0001
    while True:
        try:
            action()
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) and "busy" not in str(e):
                raise
            if time.monotonic() > deadline:
                raise
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 0.002)


def _sqlite_on_begin(conn: Connection) -> None:
    """Begin a SQLite transaction; writers take the write lock at once (``BEGIN IMMEDIATE``).

    A writer that finds the lock taken retries with short randomised sleeps (0.1–2 ms)
    for up to 60 s, instead of SQLite's busy handler, whose sleeps grow to 100 ms and
    starve throughput when several processes write at once.
    """
    if not conn.info.pop(_WRITE_FLAG, False):
        conn.exec_driver_sql("BEGIN")
        return
    raw = conn.connection.dbapi_connection
    assert raw is not None
    raw.execute("PRAGMA busy_timeout = 0")
    try:
        _retry_while_locked(lambda: raw.execute("BEGIN IMMEDIATE"))
    finally:
        raw.execute(f"PRAGMA busy_timeout = {int(_SQLITE_LOCK_WAIT * 1000)}")


def short_error(e: BaseException) -> str:
    """The first line of a database error (its driver's message when there is one)."""
    orig = getattr(e, "orig", None)
    text = str(orig if orig is not None else e).strip().splitlines()
    return text[0] if text else type(e).__name__
