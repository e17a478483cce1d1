"""The score store (採点データベース): an append-only, hash-chained event log of scores.

Every save of a score, every submission (提出) and every reopening (再開) is one *event*,
appended to the table ``score_events`` and never changed. The current scores, and the
status of each (reviewer, application) pair, are derived from the log. Each event carries
the SHA-256 hash of its canonical fields and of the previous event's hash, so the log is a
hash chain: :meth:`ScoreStore.verify` (``python -m scoring audit``) finds any event that
was altered or removed afterwards.

Backends
--------
SQLAlchemy Core, so the same code runs on

* **SQLite** (default): the file ``scores.sqlite`` in the round folder, in WAL mode with
  ``synchronous=FULL`` (a committed score survives a crash of the process or of the
  machine). Writers take the database lock up front (``BEGIN IMMEDIATE``) and wait for
  one another (``busy_timeout`` 60 s).
* **PostgreSQL** for a shared server: any ``postgresql://`` or
  ``postgresql+psycopg://`` URL. Writers serialise on a one-row chain-head table with
  ``SELECT ... FOR UPDATE``.

Either way, appends are serialised, so the chain stays linear with many concurrent
writers (tested with 8 processes). The database also refuses ``UPDATE`` and ``DELETE`` on
``score_events`` with triggers; the hash chain detects tampering that bypasses them.

Tables
------
``score_events``
    One row per event, columns :data:`EVENT_COLUMNS`: ``id`` (1, 2, 3, … without gaps),
    ``timestamp`` (UTC, ISO 8601 text with microseconds), ``kind`` (:data:`KINDS`),
    ``reviewer``, ``application``, ``criterion`` (``NULL`` for submit/reopen), ``score``
    (``NULL`` = no score: cleared, or a comment only), ``comment`` (for reopen: the
    reason), ``rubric_version``, ``source`` (:data:`SOURCES`), ``actor`` (who did it: the
    reviewer, or the analyst for reopen), ``prev_hash``, ``hash``.
``score_chain_head``
    One row: id and hash of the last event (lets :meth:`ScoreStore.verify` detect the
    removal of the last events, and is the PostgreSQL lock).
``score_meta``
    Key/value: schema version and the round name (a database belongs to one round).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import numbers
import os
import random
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Connection, Engine

from ..config.rubric import format_level
from ..core.columns import AUDIT_COLUMNS, EVENT_COLUMNS, RECEIPT_COLUMNS, REVISION_COLUMNS, STATUS_COLUMNS
from ..core.errors import ShinsaError, StoreError, StoreUnavailableError
from ..core.schema import SCORE_COLUMNS
from ..core.signing import load_key
from .checkpoints import (
    Checkpoint,
    Receipt,
    ReceiptCheck,
    cell_digest,
    checkpoint_path,
    current_cells,
    format_receipt,
    must_be_anchored,
    new_nonce,
    normalize_receipt,
    read_checkpoints,
    receipt_code,
    store_identity,
    verify_checkpoints,
    write_checkpoint,
)
from .credentials import read_database_url

if TYPE_CHECKING:
    from typing_extensions import Self

    from ..config.rubric import Criterion
    from ..round.loader import ReviewRound

__all__ = [
    "AUDIT_COLUMNS",
    "DB_FILENAME",
    "ENV_DATABASE_URL",
    "EVENT_COLUMNS",
    "GENESIS_HASH",
    "KINDS",
    "RECEIPT_COLUMNS",
    "REVISION_COLUMNS",
    "SOURCES",
    "STAGES",
    "STATUSES",
    "STATUS_COLUMNS",
    "PairVersion",
    "ScoreStore",
    "StoreError",
    "StoreUnavailableError",
    "default_url",
    "event_hash",
]

#: File name of the SQLite store in the round folder.
DB_FILENAME = "scores.sqlite"
#: Environment variable with a database URL that replaces the default SQLite file.
ENV_DATABASE_URL = "SCORING_DATABASE_URL"
#: Where an event came from.
SOURCES: tuple[str, ...] = ("widget", "excel", "import", "simulation", "analyst")
#: Kinds of event: a score (or comment) for one criterion, a submission, a reopening,
#: the committee's decision (:func:`scoring.store.decision.record_decision`), the
#: 事務局's eligibility decisions (:mod:`scoring.store.eligibility`: 期限後受理, 訂正, 再提出, 辞退),
#: and a second-stage revision after the discussion (協議後の修正, :meth:`ScoreStore.revise`).
KINDS: tuple[str, ...] = ("score", "submit", "reopen", "decision", "eligibility", "revise")
#: Stages of the scores: the reviewers' own scoring (1次), and after the discussion (最終:
#: the first stage with every revision applied). :meth:`ScoreStore.scores` reads either.
STAGES: tuple[str, ...] = ("first", "final")
_PAIR_KINDS = ("score", "submit", "reopen")
#: Status of a (reviewer, application) pair: nothing yet, draft, submitted.
STATUSES: tuple[str, ...] = ("未着手", "下書き", "提出済")
#: ``prev_hash`` of the first event.
GENESIS_HASH = "0" * 64

_SCHEMA_VERSION = "1"
_HASHED = ("id", "timestamp", "kind", "reviewer", "application", "criterion", "score", "comment",
           "rubric_version", "source", "actor", "prev_hash")
_WRITE_FLAG = "_shinsa_begin_immediate"
_PG_INIT_LOCK = 73_656_901  # arbitrary advisory-lock key for schema creation
#: Tables of the per-person roles (:mod:`scoring.admin.roles`): who is who, and who may score what.
ACCESS_ROLES_TABLE = "score_access_roles"
ACCESS_PAIRS_TABLE = "score_access_pairs"
#: The committee's view of ``score_events`` on PostgreSQL (:mod:`scoring.admin.roles`): every
#: row, the reviewers' comments blanked, the analyst's records (decisions, eligibility) whole.
COMMITTEE_EVENTS_VIEW = "score_events_committee"
#: What a connection may do on a server with per-person roles (``ScoreStore.access``).
ACCESS_KINDS: tuple[str, ...] = ("owner", "analyst", "reviewer", "committee")
_PG_REFUSED = "42501"  # SQLSTATE insufficient_privilege (also: a row-level security policy)
_ACCESS_JA = {"analyst": "事務局のアカウント", "reviewer": "審査員のアカウント", "committee": "選定委員のアカウント",
              "owner": "このアカウント"}
_SQLITE_LOCK_WAIT = 60.0  # seconds a SQLite writer waits for the lock
_ONE_STATEMENT_MAX = 50  # PostgreSQL: up to this many events are written with the head in one statement

_metadata = sa.MetaData()
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_events = sa.Table(
    "score_events", _metadata,
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
    sa.Index("ix_score_events_cell", "reviewer", "application", "criterion", "id"),
    sa.Index("ix_score_events_kind", "kind", "id"),
)
_head = sa.Table(
    "score_chain_head", _metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("last_id", _ID, nullable=False),
    sa.Column("last_hash", sa.String(64), nullable=False),
)
_meta = sa.Table(
    "score_meta", _metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text(), nullable=False),
)

# Statements of the write path, built once (the widget saves one score per transaction).
_Q_HEAD_LOCK = sa.select(_head.c.last_id, _head.c.last_hash).where(_head.c.id == 1).with_for_update()
_Q_HEAD = sa.select(_head.c.last_id, _head.c.last_hash).where(_head.c.id == 1)
_Q_INSERT = sa.insert(_events)
_Q_MOVE_HEAD = (sa.update(_head).where(_head.c.id == 1)
                .values(last_id=sa.bindparam("new_id"), last_hash=sa.bindparam("new_hash")))
_Q_PAIR_CONTROL = (sa.select(_events.c.kind)
                   .where(_events.c.kind.in_(("submit", "reopen")),
                          _events.c.reviewer == sa.bindparam("r"), _events.c.application == sa.bindparam("a"))
                   .order_by(_events.c.id.desc()).limit(1))

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


def default_url(rnd: ReviewRound | str | os.PathLike[str]) -> str:
    """The store URL of a round (or round folder).

    ``$SCORING_DATABASE_URL`` if set; else the URL in ``~/.shinsa/database_url`` (the
    account's own role on a shared server, :mod:`scoring.store.credentials`; refused with a
    :class:`StoreError` when other accounts can read that file); else the round's SQLite file.
    """
    env = os.environ.get(ENV_DATABASE_URL, "").strip()
    if env:
        return env
    from_file = read_database_url()
    if from_file:
        return from_file
    folder = rnd if isinstance(rnd, (str, os.PathLike)) else rnd.path
    return f"sqlite:///{(Path(folder) / DB_FILENAME).resolve()}"


def _canonical_score(score: object) -> str | None:
    if score is None:
        return None
    value = float(score)  # type: ignore[arg-type]
    return None if math.isnan(value) else repr(value)


def event_hash(event: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of an event's canonical fields, ``prev_hash`` included.

    The canonical form is a JSON object of :data:`EVENT_COLUMNS` minus ``hash`` with sorted
    keys, no spaces, UTF-8; ``score`` as Python's shortest round-trip ``repr`` of the float
    (or ``null``), ``id`` as an integer, everything else as stored text.
    """
    payload: dict[str, object] = {}
    for key in _HASHED:
        value = event[key]
        if key == "id":
            payload[key] = int(value)
        elif key == "score":
            payload[key] = _canonical_score(value)
        else:
            payload[key] = None if value is None else str(value)
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


@dataclass
class _Tx:
    """An open write transaction holding the chain lock; events appended in order."""

    conn: Connection
    last_id: int
    last_hash: str
    pending: list[dict[str, Any]] = field(default_factory=list)
    one_statement: bool = False

    def append(self, *, kind: str, reviewer: str, application: str, criterion: str | None,
               score: float | None, comment: str, rubric_version: str, source: str, actor: str) -> int:
        ev: dict[str, Any] = {
            "id": self.last_id + 1, "timestamp": _now(), "kind": kind, "reviewer": reviewer, "application": application,
            "criterion": criterion, "score": score, "comment": comment, "rubric_version": rubric_version,
            "source": source, "actor": actor, "prev_hash": self.last_hash,
        }
        ev["hash"] = event_hash(ev)
        self.pending.append(ev)
        self.last_id, self.last_hash = ev["id"], ev["hash"]
        return int(ev["id"])

    def flush(self) -> None:
        if not self.pending:
            return
        head = {"new_id": self.last_id, "new_hash": self.last_hash}
        if self.one_statement and len(self.pending) <= _ONE_STATEMENT_MAX:
            # PostgreSQL: the events and the new head in one round trip (shorter hold of the chain lock)
            ins = sa.insert(_events).values(self.pending).cte("ins")
            self.conn.execute(_Q_MOVE_HEAD.add_cte(ins), head)
        else:
            self.conn.execute(_Q_INSERT, self.pending)
            self.conn.execute(_Q_MOVE_HEAD, head)
        self.pending = []


class PairVersion(NamedTuple):
    """Which events a (reviewer, application) pair has: their number and the last one's id
    and hash (:meth:`ScoreStore.pair_versions`). Any new event of the pair changes it."""

    events: int
    last_id: int
    last_hash: str


#: The version of a pair without events.
NO_EVENTS = PairVersion(0, 0, GENESIS_HASH)


class ScoreStore:
    """The score store of one review round.

    Parameters
    ----------
    url : str
        SQLAlchemy URL: ``sqlite:////abs/path/scores.sqlite`` or
        ``postgresql+psycopg://user:pw@host/db`` (plain ``postgresql://`` is read as
        psycopg 3). Tables are created when missing.
    rnd : ReviewRound
        The round whose rubric, reviewers (with their conflicts) and applications every
        write is validated against.

    Raises
    ------
    StoreError
        The database cannot be opened, or it belongs to another round.

    Notes
    -----
    Refusals (all :class:`StoreError`, Japanese, naming what and what to do): a score not
    on the criterion's scale or off its step, a non-numeric score, an unknown reviewer,
    application or criterion, a reviewer scoring an application they are in conflict with
    (利害関係), any change to a submitted pair until the analyst reopens it, a submission
    with an unscored criterion or a missing required comment, an unknown ``source``.

    Examples
    --------
    >>> store = ScoreStore.open(rnd)                      # doctest: +SKIP
    >>> store.record("R1", "01", "need_pool_gap", 4)      # doctest: +SKIP
    >>> store.scores()                                    # doctest: +SKIP
    """

    def __init__(self, url: str, rnd: ReviewRound, *, checkpoint_file: str | os.PathLike[str] | None = None) -> None:
        self.rnd = rnd
        self._rubric_version = rnd.rubric.version
        self._reviewers = {r.id: r for r in rnd.reviewers}
        self._criteria: dict[str, Criterion] = {c.id: c for c in rnd.rubric.criteria}
        apps = rnd.applications
        names = apps["prefecture_name"] if "prefecture_name" in apps.columns else pd.Series(dtype=str)
        self._apps: dict[str, str] = {str(a): str(names.get(a, "")) for a in apps.index}
        try:
            u = sa.engine.make_url(url)
        except sa.exc.ArgumentError as e:
            raise StoreError(f"データベースの URL「{url}」を解釈できません（{e}）。"
                             f"sqlite:///パス または postgresql+psycopg://ユーザー:パスワード@ホスト/DB の形にしてください。") from e
        if u.drivername in ("postgresql", "postgres"):
            u = u.set(drivername="postgresql+psycopg")
        self.url: str = u.render_as_string(hide_password=True)
        self._role = u.username or ""
        #: What this connection may do (:data:`ACCESS_KINDS`): ``"owner"`` for SQLite, for the
        #: database owner and wherever no roles are provisioned; else the kind of the role
        #: (:mod:`scoring.admin.roles`), whose rights PostgreSQL enforces.
        self.access: str = "owner"
        #: The reviewer id of a ``"reviewer"`` connection (else None).
        self.access_reviewer: str | None = None
        #: Whether per-person roles are provisioned in this database.
        self.access_controlled: bool = False
        self._comments_readable = True
        #: The signed checkpoints of this store (:mod:`scoring.store.checkpoints`), outside the database.
        self.checkpoint_path: Path = (Path(checkpoint_file) if checkpoint_file is not None
                                      else checkpoint_path(self.url, getattr(rnd, "path", ".")))
        self._sqlite = u.get_backend_name() == "sqlite"
        if self._sqlite:
            db = u.database or ""
            if db in ("", ":memory:") or db.startswith("file:"):
                raise StoreError(f"SQLite のデータベースはファイルにしてください（{self.url}）。"
                                 "例: sqlite:////審査ラウンドのフォルダ/scores.sqlite")
            if not Path(db).parent.is_dir():
                raise StoreError(f"データベースのフォルダ {Path(db).parent} がありません。"
                                 "審査ラウンドのフォルダ、または SCORING_DATABASE_URL を確認してください。")
            self._engine: Engine = sa.create_engine(u, connect_args={"timeout": 60})
            sa_event.listen(self._engine, "connect", _sqlite_on_connect)
            sa_event.listen(self._engine, "begin", _sqlite_on_begin)
        else:
            self._engine = sa.create_engine(u, pool_pre_ping=True)
        try:
            self._init_schema()
        except StoreError:
            self._engine.dispose()
            raise
        except sa.exc.SQLAlchemyError as e:
            self._engine.dispose()
            raise StoreError(f"採点データベース（{self.url}）を開けません: {_short(e)}。"
                             "ファイルの書き込み権限、サーバーの起動状態、SCORING_DATABASE_URL を確認してください。") from e
        with self._engine.connect() as conn:
            created = conn.execute(sa.select(_meta.c.value).where(_meta.c.key == "created_at")).scalar() or ""
            conn.rollback()
        #: Names this database (its creation time and round), written into every checkpoint,
        #: so that checkpoints of a deleted and re-created database are told apart.
        self.store_id: str = store_identity(str(created), self.rnd.config.name)
        if not self._sqlite:
            try:
                self._detect_access()
            except StoreError:
                self._engine.dispose()
                raise

    def _detect_access(self) -> None:
        """Set :attr:`access` from ``score_access_roles`` (the role's own row; RLS hides the others)."""
        with self._transaction(write=False) as conn:
            if not sa.inspect(conn).has_table(ACCESS_ROLES_TABLE):
                return
            self.access_controlled = True
            row = conn.execute(sa.text(f"SELECT kind, reviewer FROM {ACCESS_ROLES_TABLE} "
                                       "WHERE db_role = current_user")).first()
            if row is not None and str(row[0]) in ACCESS_KINDS:
                self.access, self.access_reviewer = str(row[0]), (None if row[1] is None else str(row[1]))
            self._comments_readable = bool(conn.execute(
                sa.text("SELECT has_column_privilege('score_events', 'comment', 'SELECT')")).scalar())

    @property
    def anchors(self) -> bool:
        """Whether this connection writes signed checkpoints (not a reviewer's or committee's role).

        A reviewer's kernel has neither the analyst's key nor write access to the round
        folder: their submissions are anchored by the analyst's next ``audit`` or
        ``report`` (see :mod:`scoring.admin.roles`).
        """
        return self.access in ("owner", "analyst")

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(cls, rnd: ReviewRound, url: str | None = None, *,
             checkpoint_file: str | os.PathLike[str] | None = None) -> ScoreStore:
        """Open (creating if needed) the store of ``rnd``.

        The URL is ``url`` if given, else ``$SCORING_DATABASE_URL``, else the SQLite file
        ``scores.sqlite`` in the round folder. The checkpoint file is ``checkpoint_file``
        if given, else :func:`scoring.store.checkpoints.checkpoint_path` of the URL
        (``checkpoints.jsonl`` in the round folder for the round's own SQLite file).
        """
        return cls(url or default_url(rnd), rnd, checkpoint_file=checkpoint_file)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release all database connections."""
        self._engine.dispose()

    def __repr__(self) -> str:
        return f"ScoreStore({self.url!r}, round={self.rnd.config.name!r})"

    def _init_schema(self) -> None:
        insp_ok = False
        with self._engine.connect() as conn:
            if sa.inspect(conn).has_table("score_meta"):
                rows = dict(conn.execute(sa.select(_meta.c.key, _meta.c.value)).all())
                insp_ok = rows.get("schema_version") == _SCHEMA_VERSION
                if insp_ok:
                    self._check_round(rows)
            conn.rollback()
        if insp_ok:
            return
        with self._transaction(write=True, what="採点データベースの表（まだありません。事務局が python -m scoring db-setup で作ります）") as conn:
            if not self._sqlite:
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_INIT_LOCK})
            _metadata.create_all(conn)
            for ddl in (_SQLITE_TRIGGERS if self._sqlite else _PG_TRIGGERS):
                conn.exec_driver_sql(ddl)
            rows = dict(conn.execute(sa.select(_meta.c.key, _meta.c.value)).all())
            if not rows:
                conn.execute(sa.insert(_meta), [
                    {"key": "schema_version", "value": _SCHEMA_VERSION},
                    {"key": "round_name", "value": self.rnd.config.name},
                    {"key": "created_at", "value": _now()},
                ])
            elif rows.get("schema_version") != _SCHEMA_VERSION:
                raise StoreError(f"採点データベース（{self.url}）の形式（版 {rows.get('schema_version')}）に"
                                 f"このワークベンチ（版 {_SCHEMA_VERSION}）は対応していません。ワークベンチを更新してください。")
            else:
                self._check_round(rows)
            if conn.execute(sa.select(_head.c.id)).first() is None:
                conn.execute(sa.insert(_head).values(id=1, last_id=0, last_hash=GENESIS_HASH))

    def _check_round(self, meta: Mapping[str, str]) -> None:
        stored = meta.get("round_name")
        if stored is not None and stored != self.rnd.config.name:
            raise StoreError(
                f"採点データベース（{self.url}）は別の審査ラウンド「{stored}」のものです"
                f"（開こうとしたのは「{self.rnd.config.name}」）。別のラウンドの採点は混ぜられません。"
                "round.yaml の name を元に戻すか、このラウンド用のデータベース（SCORING_DATABASE_URL）を指定してください。")

    # ------------------------------------------------------------------ transactions
    @contextmanager
    def _transaction(self, *, write: bool, what: str = "") -> Iterator[Connection]:
        try:
            with self._engine.connect() as conn:
                if self._sqlite and write:
                    conn.info[_WRITE_FLAG] = True
                with conn.begin():
                    yield conn
        except (sa.exc.OperationalError, sa.exc.InterfaceError, sqlite3.OperationalError) as e:
            # Connection dropped, server down, database locked or not writable: nothing was
            # written and a later try may work (the reviewer's screen retries).
            raise StoreUnavailableError(f"採点データベース（{self.url}）に書き込めませんでした: {_short(e)}。"
                             "少し待ってからもう一度保存してください。続く場合は事務局に連絡してください。") from e
        except sa.exc.DBAPIError as e:
            if getattr(e.orig, "sqlstate", None) == _PG_REFUSED:
                raise self._refused(e, write=write, what=what) from e
            raise

    def _refused(self, e: BaseException, *, write: bool, what: str) -> StoreError:
        """PostgreSQL's refusal (a role's missing right, a row-level security policy) in Japanese."""
        who = _ACCESS_JA.get(self.access, "このアカウント")
        if self.access == "reviewer" and self.access_reviewer:
            who = f"審査員 {self.access_reviewer} のアカウント"
        role = f"（データベースのロール {self._role}）" if self._role else ""
        rule = {"reviewer": "審査員は自分の担当の応募（利害関係のないもの）の採点と提出だけができ、自分の記録だけを読めます。"
                            "再開・選定結果・取り込みは事務局が行います",
                "committee": "選定委員は読み取りだけができ、審査員のコメントは読めません"}.get(self.access, "")
        if write:
            why = f"{who}{role}では{what or 'この記録'}を書き込めません" + (f"。{rule}" if rule else "")
        else:
            why = f"{who}{role}ではこの記録を読めません" + (f"。{rule}" if rule else "")
        return StoreError(f"データベースが拒否しました: {_short(e)}（{why}）。"
                          "必要な操作であれば事務局に連絡してください。")

    @contextmanager
    def _locked(self, what: str = "") -> Iterator[_Tx]:
        """A write transaction holding the chain lock; pending events are written at exit."""
        with self._transaction(write=True, what=what) as conn:
            row = conn.execute(_Q_HEAD_LOCK).first()
            if row is None:
                raise StoreError(f"採点データベース（{self.url}）の管理情報（score_chain_head）がありません。"
                                 "`python -m scoring audit` で確認し、事務局に連絡してください。")
            tx = _Tx(conn, int(row[0]), str(row[1]), one_statement=not self._sqlite)
            yield tx
            tx.flush()

    # ------------------------------------------------------------------ validation
    def _app_label(self, application: str) -> str:
        name = self._apps.get(application, "")
        return f"応募 {application}（{name}）" if name else f"応募 {application}"

    def _reviewer_label(self, reviewer: str) -> str:
        r = self._reviewers.get(reviewer)
        return f"審査員 {reviewer}（{r.name}）" if r is not None else f"審査員 {reviewer}"

    def _check_source(self, source: str) -> str:
        if source not in SOURCES:
            raise StoreError(f"記録元 source「{source}」は使えません。次のいずれかにしてください: {'、'.join(SOURCES)}")
        return source

    def _check_pair(self, reviewer: object, application: object) -> tuple[str, str]:
        if not isinstance(reviewer, str) or reviewer not in self._reviewers:
            raise StoreError(f"審査員ID「{reviewer}」は reviewers.yaml にないため、記録できません。"
                             f"審査員IDを確認してください（登録済み: {'、'.join(self._reviewers)}）。")
        if not isinstance(application, str) or application not in self._apps:
            raise StoreError(f"応募「{application}」はこの審査ラウンドにないため、記録できません。"
                             "応募の都道府県コード（2桁、例: 01）を確認してください。")
        if application in self._reviewers[reviewer].conflicts:
            raise StoreError(f"{self._reviewer_label(reviewer)}は{self._app_label(application)}と利害関係があるため、"
                             "この応募の採点・提出はできません。利害関係の登録（reviewers.yaml の conflicts）に"
                             "誤りがある場合は事務局に連絡してください。")
        return reviewer, application

    def _check_cell(self, reviewer: object, application: object, criterion: object, score: object,
                    comment: object) -> tuple[str, str, str, float | None, str]:
        r, a = self._check_pair(reviewer, application)
        if not isinstance(criterion, str) or criterion not in self._criteria:
            raise StoreError(f"評価項目「{criterion}」は評価基準（版 {self._rubric_version}）にないため、記録できません。"
                             f"次のいずれかにしてください: {'、'.join(self._criteria)}")
        crit = self._criteria[criterion]
        value: float | None
        if _is_missing(score):
            value = None
        else:
            where = f"{self._app_label(a)}の評価項目「{crit.label_ja}」（{crit.id}）"
            levels = "、".join(format_level(x) for x in crit.levels)
            if isinstance(score, bool) or not isinstance(score, numbers.Real):
                raise StoreError(f"{where}の点数「{score}」は数値ではないため、記録できません。"
                                 f"{levels} のいずれかを数値で入力してください。")
            if not crit.is_allowed(score):
                s = crit.effective_scale
                raise StoreError(f"{where}に {format_level(float(score))} 点は記録できません。尺度は "
                                 f"{format_level(s.min)}〜{format_level(s.max)}（{format_level(s.step)} 刻み）です。"
                                 f"{levels} のいずれかを入力してください。")
            value = float(score)
        if _is_missing(comment):
            text = ""
        elif isinstance(comment, str):
            text = comment
        else:
            raise StoreError(f"{self._app_label(a)}の評価項目「{crit.label_ja}」のコメントが文字列ではありません"
                             f"（{type(comment).__name__}）。文章で入力してください。")
        return r, a, criterion, value, text

    # ------------------------------------------------------------------ state inside a transaction
    def _last_control(self, conn: Connection, pairs: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """Last submit/reopen kind per pair (only pairs that have one)."""
        if not pairs:
            return {}
        if len(pairs) == 1:
            (r, a), = pairs
            kind = conn.execute(_Q_PAIR_CONTROL, {"r": r, "a": a}).scalar()
            return {} if kind is None else {(r, a): str(kind)}
        q = (sa.select(_events.c.reviewer, _events.c.application, _events.c.kind)
             .where(_events.c.kind.in_(("submit", "reopen"))).order_by(_events.c.id))
        reviewers = {r for r, _ in pairs}
        if len(reviewers) <= 50:
            q = q.where(_events.c.reviewer.in_(sorted(reviewers)))
        out: dict[tuple[str, str], str] = {}
        for r, a, kind in conn.execute(q):
            if (r, a) in pairs:
                out[(r, a)] = kind
        return out

    def _refuse_submitted(self, conn: Connection, pairs: set[tuple[str, str]]) -> None:
        control = self._last_control(conn, pairs)
        locked = sorted(p for p, kind in control.items() if kind == "submit")
        if locked:
            what = "、".join(f"{self._reviewer_label(r)}の{self._app_label(a)}" for r, a in locked)
            raise StoreError(f"{what}の採点は提出済みのため、変更できません。変更が必要な場合は、"
                             "事務局に再開（提出の取り消し）を依頼してください。",
                             problems=[f"{self._reviewer_label(r)}の{self._app_label(a)}は提出済みです" for r, a in locked])

    def _cells(self, conn: Connection, reviewer: str, application: str) -> dict[str, tuple[float | None, str]]:
        q = (sa.select(_events.c.criterion, _events.c.score, _events.c.comment)
             .where(_events.c.kind == "score", _events.c.reviewer == reviewer,
                    _events.c.application == application)
             .order_by(_events.c.id))
        return {c: (s, m) for c, s, m in conn.execute(q)}

    def _missing(self, cells: Mapping[str, tuple[float | None, str]]) -> list[str]:
        unscored: list[str] = []
        uncommented: list[str] = []
        for cid, crit in self._criteria.items():
            score, comment = cells.get(cid, (None, ""))
            if score is None:
                unscored.append(f"「{crit.label_ja}」")
            elif crit.comment_required(score) and not (comment or "").strip():
                uncommented.append(f"「{crit.label_ja}」（{format_level(score)} 点のためコメントが必要）")
        out = []
        if unscored:
            out.append("未採点: " + "、".join(unscored))
        if uncommented:
            out.append("コメント未記入: " + "、".join(uncommented))
        return out

    def _incomplete_error(self, reviewer: str, application: str, missing: list[str]) -> StoreError:
        return StoreError(f"{self._reviewer_label(reviewer)}の{self._app_label(application)}の採点は未完了のため、"
                          f"提出できません。次を入力してから提出してください。{' ／ '.join(missing)}",
                          problems=missing)

    # ------------------------------------------------------------------ writing
    def record(self, reviewer: str, application: str, criterion: str, score: float | None,
               comment: str = "", *, source: str = "widget", actor: str | None = None) -> int:
        """Record one score (and its comment) as a new event; returns the event id.

        Parameters
        ----------
        reviewer, application, criterion : str
            Reviewer id, application id (2-digit JIS code), criterion id.
        score : float or None
            A level of the criterion's scale. ``None`` (or NaN) records no score: it clears
            an earlier score, or saves a comment before scoring.
        comment : str
            The comment for this criterion as it now stands (replaces the earlier one).
        source : str
            One of :data:`SOURCES`; the widget saves with ``"widget"``.
        actor : str, optional
            Who did it, if not the reviewer (e.g. the analyst who imported a file).

        Raises
        ------
        StoreError
            See the class notes; also when the pair is already submitted.
        """
        src = self._check_source(source)
        r, a, c, value, text = self._check_cell(reviewer, application, criterion, score, comment)
        with self._locked(f"{self._reviewer_label(r)}の{self._app_label(a)}の点数") as tx:
            self._refuse_submitted(tx.conn, {(r, a)})
            return tx.append(kind="score", reviewer=r, application=a, criterion=c, score=value, comment=text,
                             rubric_version=self._rubric_version, source=src, actor=actor or r)

    def record_many(self, rows: Iterable[Mapping[str, object]], *, source: str = "excel",
                    submit: Iterable[tuple[str, str]] = (), require_empty: bool = False,
                    actor: str | None = None) -> int:
        """Record many scores atomically: all rows are validated, then written in one transaction.

        Parameters
        ----------
        rows : iterable of mappings
            Keys ``reviewer``, ``application``, ``criterion``, ``score`` and optionally
            ``comment`` (the canonical score columns; a DataFrame with these columns
            works too). Later rows for the same cell win.
        source : str
            One of :data:`SOURCES` (an Excel import uses ``"excel"``).
        submit : iterable of (reviewer, application)
            Pairs to submit in the same transaction, after the rows are written; each must
            then be complete.
        require_empty : bool
            Refuse unless the log is still empty (used to seed demo data exactly once).
        actor : str, optional
            Who did it, if not the reviewer of each row.

        Returns
        -------
        int
            Number of score events written (``len(rows)``).

        Raises
        ------
        StoreError
            If any row is invalid (``problems`` lists every refused row, numbered from 1),
            any pair is already submitted, a pair to submit is incomplete, or
            ``require_empty`` and the log has events. Nothing is written then.
        """
        src = self._check_source(source)
        if isinstance(rows, pd.DataFrame):
            rows = rows.to_dict("records")  # type: ignore[assignment]
        valid: list[tuple[str, str, str, float | None, str]] = []
        problems: list[str] = []
        for i, row in enumerate(rows, start=1):
            lacking = [k for k in ("reviewer", "application", "criterion", "score") if k not in row]
            if lacking:
                problems.append(f"{i}件目: 列 {'、'.join(lacking)} がありません")
                continue
            try:
                valid.append(self._check_cell(row["reviewer"], row["application"], row["criterion"],
                                              row["score"], row.get("comment", "")))
            except StoreError as e:
                problems.append(f"{i}件目: {e}")
        to_submit: list[tuple[str, str]] = []
        for j, pair in enumerate(submit, start=1):
            try:
                to_submit.append(self._check_pair(*pair))
            except (StoreError, TypeError) as e:
                problems.append(f"提出 {j}件目: {e}")
        if problems:
            raise StoreError(f"{len(problems)} 件の問題があるため、何も記録しませんでした。直してからもう一度実行してください。\n"
                             + "\n".join(problems), problems=problems)
        anchored = bool(to_submit) or src in ("excel", "import")
        key = self._signing_key() if anchored else b""
        receipts: list[Receipt] = []
        whose = sorted({r for r, *_ in valid} | {r for r, _ in to_submit})
        with self._locked(f"審査員 {'、'.join(whose)} の点数") as tx:
            if require_empty and tx.last_id > 0:
                raise StoreError(f"採点データベース（{self.url}）には既に {tx.last_id} 件の記録があるため、"
                                 "何も書き込みませんでした。作り直す場合は、データベースのファイルを削除してから実行してください。")
            pairs = {(r, a) for r, a, *_ in valid} | set(to_submit)
            self._refuse_submitted(tx.conn, pairs)
            for r, a, c, value, text in valid:
                tx.append(kind="score", reviewer=r, application=a, criterion=c, score=value, comment=text,
                          rubric_version=self._rubric_version, source=src, actor=actor or r)
            if to_submit:
                batch: dict[tuple[str, str], dict[str, tuple[float | None, str]]] = {}
                for r, a, c, value, text in valid:
                    batch.setdefault((r, a), {})[c] = (value, text)
                incomplete: list[str] = []
                seen: set[tuple[str, str]] = set()
                for r, a in to_submit:
                    if (r, a) in seen:
                        continue
                    seen.add((r, a))
                    cells = self._cells(tx.conn, r, a)
                    cells.update(batch.get((r, a), {}))
                    missing = self._missing(cells)
                    if missing:
                        incomplete.append(str(self._incomplete_error(r, a, missing)))
                    nonce = new_nonce()
                    eid = tx.append(kind="submit", reviewer=r, application=a, criterion=None, score=None,
                                    comment=nonce, rubric_version=self._rubric_version, source=src, actor=actor or r)
                    receipts.append(self._receipt(r, a, eid, nonce, cells))
                if incomplete:
                    raise StoreError("提出できない組があるため、何も記録しませんでした。\n" + "\n".join(incomplete),
                                     problems=incomplete)
        if anchored:
            self._anchor("import" if src in ("excel", "import") else "submit", key, receipts)
        return len(valid)

    def submit(self, reviewer: str, application: str, *, source: str = "widget", actor: str | None = None) -> str:
        """Submit (提出) a reviewer's scores of one application; afterwards they are locked.

        Writes a signed checkpoint (:mod:`scoring.store.checkpoints`) recording the receipt.

        Returns
        -------
        str
            The reviewer's receipt code (受領コード, e.g. ``3f9a-1c22-7b0e-d4a1``): a hash of
            the submitted scores and comments; ``python -m scoring verify-receipt`` checks
            it later. :meth:`receipts` lists the codes of every submitted pair.

        Raises
        ------
        StoreError
            Unknown reviewer/application, conflict, already submitted, or incomplete: the
            message lists every unscored criterion and every missing required comment.
        """
        src = self._check_source(source)
        r, a = self._check_pair(reviewer, application)
        key = self._signing_key()
        with self._locked(f"{self._reviewer_label(r)}の{self._app_label(a)}の提出") as tx:
            if self._last_control(tx.conn, {(r, a)}).get((r, a)) == "submit":
                raise StoreError(f"{self._reviewer_label(r)}の{self._app_label(a)}の採点は既に提出済みです。"
                                 "変更が必要な場合は、事務局に再開を依頼してください。")
            cells = self._cells(tx.conn, r, a)
            missing = self._missing(cells)
            if missing:
                raise self._incomplete_error(r, a, missing)
            nonce = new_nonce()
            eid = tx.append(kind="submit", reviewer=r, application=a, criterion=None, score=None, comment=nonce,
                            rubric_version=self._rubric_version, source=src, actor=actor or r)
            receipt = self._receipt(r, a, eid, nonce, cells)
        self._anchor("submit", key, [receipt])
        return receipt.code

    def reopen(self, reviewer: str, application: str, *, by: str, reason: str, source: str = "analyst") -> None:
        """Reopen a submitted pair so that the reviewer can change it (an analyst action, logged).

        Parameters
        ----------
        by : str
            Who reopens it (the analyst); stored as the event's ``actor``.
        reason : str
            Why; stored as the event's ``comment``. Required.

        Raises
        ------
        StoreError
            Unknown reviewer/application, ``by`` or ``reason`` empty, or the pair is not
            submitted.
        """
        src = self._check_source(source)
        if not isinstance(reviewer, str) or reviewer not in self._reviewers:
            raise StoreError(f"審査員ID「{reviewer}」は reviewers.yaml にないため、再開できません。審査員IDを確認してください。")
        if not isinstance(application, str) or application not in self._apps:
            raise StoreError(f"応募「{application}」はこの審査ラウンドにないため、再開できません。都道府県コードを確認してください。")
        if not isinstance(by, str) or not by.strip():
            raise StoreError("再開する人（by）が空です。事務局の担当者名を入力してください。")
        if not isinstance(reason, str) or not reason.strip():
            raise StoreError("再開の理由（reason）が空です。理由を入力してください（記録に残ります）。")
        r, a = reviewer, application
        key = self._signing_key()
        with self._locked(f"{self._reviewer_label(r)}の{self._app_label(a)}の再開") as tx:
            if self._last_control(tx.conn, {(r, a)}).get((r, a)) != "submit":
                raise StoreError(f"{self._reviewer_label(r)}の{self._app_label(a)}は提出されていないため、"
                                 "再開する必要はありません。")
            tx.append(kind="reopen", reviewer=r, application=a, criterion=None, score=None, comment=reason.strip(),
                      rubric_version=self._rubric_version, source=src, actor=by.strip())
        self._anchor("reopen", key)

    def record_decision(self, payload: str, *, by: str, source: str = "analyst") -> int:
        """Append the committee's decision (選定結果) to the log; returns the event id.

        The event has ``kind`` ``"decision"``, ``reviewer`` and ``application`` empty,
        ``comment`` = ``payload`` (JSON text, see :mod:`scoring.store.decision`), ``actor`` =
        ``by``. It is part of the hash chain like every other event and does not change any
        score or status.

        Raises
        ------
        StoreError
            ``by`` empty, or ``payload`` not a JSON object.
        """
        src = self._check_source(source)
        if not isinstance(by, str) or not by.strip():
            raise StoreError("選定結果を記録する人（by）が空です。事務局の担当者名を入力してください。")
        try:
            ok = isinstance(json.loads(payload), dict)
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise StoreError("選定結果の内容（payload）が JSON のオブジェクトではないため、記録できません。")
        key = self._signing_key()
        with self._locked("選定結果") as tx:
            eid = tx.append(kind="decision", reviewer="", application="", criterion=None, score=None,
                            comment=payload, rubric_version=self._rubric_version, source=src, actor=by.strip())
        self._anchor("decision", key)
        return eid

    def record_eligibility(self, application: str, payload: str, *, by: str, source: str = "analyst") -> int:
        """Append an eligibility decision (受付の判断) to the log; returns the event id.

        The event has ``kind`` ``"eligibility"``, ``application`` the application, ``reviewer``
        empty, ``comment`` = ``payload`` (JSON text, see :mod:`scoring.store.eligibility`),
        ``actor`` = ``by``. It is part of the hash chain and anchored by a signed checkpoint;
        it changes no score or status. The rules on when an action is allowed are checked by
        :func:`scoring.round.eligibility.record_eligibility`.

        Raises
        ------
        StoreError
            Unknown application, ``by`` empty, or ``payload`` not a JSON object with a
            non-empty ``reason``.
        """
        src = self._check_source(source)
        if not isinstance(application, str) or application not in self._apps:
            raise StoreError(f"応募「{application}」はこの審査ラウンドにないため、記録できません。"
                             "応募の都道府県コード（2桁、例: 01）を確認してください。")
        if not isinstance(by, str) or not by.strip():
            raise StoreError("記録する人（by）が空です。事務局の担当者名を入力してください。")
        try:
            data = json.loads(payload)
        except (TypeError, ValueError):
            data = None
        if not isinstance(data, dict) or not str(data.get("reason") or "").strip():
            raise StoreError("受付の判断の内容（payload）に理由（reason）がないため、記録できません。")
        key = self._signing_key()
        with self._locked() as tx:
            eid = tx.append(kind="eligibility", reviewer="", application=application, criterion=None, score=None,
                            comment=payload, rubric_version=self._rubric_version, source=src, actor=by.strip())
        self._anchor("eligibility", key)
        return eid

    def revise(self, reviewer: str, application: str, criterion: str, score: float, *, reason: str,
               by: str | None = None, source: str = "analyst") -> int:
        """Record a second-stage score (協議後の修正) of a submitted pair; returns the event id.

        After the discussion (協議) a reviewer may change a submitted score. The change is a
        new event of kind ``"revise"`` (the submitted first-stage score and its receipt stay
        as they were), with the reason as its ``comment`` and ``by`` (default the reviewer) as
        its ``actor``. :meth:`scores` with ``stage="final"`` (the default) reads it, and
        :meth:`revisions` lists every revision beside the first-stage score. A signed
        checkpoint anchors it like a submission.

        Raises
        ------
        StoreError
            Unknown reviewer/application/criterion, a conflict, a score off the scale, an
            empty reason, a pair that is not submitted (a draft is changed by scoring it), or
            the same score as the current one (nothing to revise).
        """
        src = self._check_source(source)
        if not isinstance(reason, str) or not reason.strip():
            raise StoreError("修正の理由（reason）が空です。協議で何が分かって点数を変えるのかを入力してください（記録に残ります）。")
        if _is_missing(score):
            raise StoreError("修正後の点数が空です。評価基準の尺度の点数を入力してください。")
        r, a, c, value, text = self._check_cell(reviewer, application, criterion, score, reason.strip())
        actor = (by or r).strip() if isinstance(by or r, str) else r
        key = self._signing_key()
        with self._locked() as tx:
            if self._last_control(tx.conn, {(r, a)}).get((r, a)) != "submit":
                raise StoreError(f"{self._reviewer_label(r)}の{self._app_label(a)}は提出されていないため、協議後の修正は"
                                 "記録できません。提出前の点数は採点画面か採点表で直してください。")
            current = self._current_scores(tx.conn, r, a).get(c)
            if current is not None and value is not None and abs(float(current) - value) < 1e-9:
                raise StoreError(f"{self._reviewer_label(r)}の{self._app_label(a)}の評価項目「{self._criteria[c].label_ja}」は"
                                 f"既に {format_level(value)} 点です。修正する点数を確かめてください。")
            eid = tx.append(kind="revise", reviewer=r, application=a, criterion=c, score=value, comment=text,
                            rubric_version=self._rubric_version, source=src, actor=actor)
        self._anchor("revise", key)
        return eid

    def _current_scores(self, conn: Connection, reviewer: str, application: str) -> dict[str, float | None]:
        q = (sa.select(_events.c.criterion, _events.c.score)
             .where(_events.c.kind.in_(("score", "revise")), _events.c.reviewer == reviewer,
                    _events.c.application == application)
             .order_by(_events.c.id))
        return {str(c): s for c, s in conn.execute(q)}

    # ------------------------------------------------------------------ checkpoints and receipts
    def _signing_key(self) -> bytes:
        """The analyst's key, created on first use (before a write, so that a missing or unsafe
        key refuses the write instead of leaving it without a checkpoint). Empty when this
        connection does not write checkpoints (:attr:`anchors`)."""
        return load_key(create=True) if self.anchors else b""

    def _receipt(self, reviewer: str, application: str, event_id: int, nonce: str,
                 cells: Mapping[str, tuple[float | None, str]]) -> Receipt:
        code = receipt_code(reviewer, application, self._rubric_version, nonce, cells)
        return Receipt(reviewer=reviewer, application=application, code=code, event=event_id, nonce=nonce,
                       rubric_version=self._rubric_version,
                       cells={c: cell_digest(nonce, c, s, m) for c, (s, m) in cells.items()})

    def _snapshot(self) -> tuple[tuple[int, str], dict[str, int]]:
        """Chain head and the counts up to it, read in one snapshot."""
        with self._engine.connect() as conn:
            if not self._sqlite:
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                row = conn.execute(_Q_HEAD).first()
                head = (0, GENESIS_HASH) if row is None else (int(row[0]), str(row[1]))
                upto = _events.c.id <= head[0]
                kinds: dict[str, int] = {
                    str(k): int(n) for k, n in conn.execute(sa.select(_events.c.kind, sa.func.count())
                                                            .where(upto).group_by(_events.c.kind)).all()}
                control = conn.execute(sa.select(_events.c.reviewer, _events.c.application, _events.c.kind)
                                       .where(upto, _events.c.kind.in_(("submit", "reopen")))
                                       .order_by(_events.c.id)).all()
        last: dict[tuple[str, str], str] = {(r, a): k for r, a, k in control}
        counts = {k: int(kinds.get(k, 0)) for k in KINDS}
        counts["events"] = sum(kinds.values())
        counts["submitted_pairs"] = sum(1 for k in last.values() if k == "submit")
        return head, counts

    def _anchor(self, reason: str, key: bytes, receipts: Iterable[Receipt] = ()) -> dict[str, Any]:
        if not self.anchors:
            return {}
        head, counts = self._snapshot()
        return write_checkpoint(self.checkpoint_path, head=head, counts=counts, reason=reason,
                                round_name=self.rnd.config.name, store=self.url, store_id=self.store_id,
                                key=key, receipts=receipts)

    def checkpoint(self, reason: str = "report") -> dict[str, Any]:
        """Write a signed checkpoint of the chain as it stands (the ``report`` command does).

        The store writes one by itself after every submission, reopening, import and
        decision. Returns the record written. Raises :class:`~scoring.core.errors.SigningError`
        when the key is unsafe. Records the receipts of reviewers' submissions made since the
        last checkpoint without one (see :meth:`audit`).
        """
        key = self._signing_key()
        receipts: list[Receipt] = []
        if self.access_controlled and self.anchors:
            _, receipts = self._pending_submissions(self._event_rows(), self.checkpoints())
        return self._anchor(reason, key, receipts)

    def checkpoints(self, *, verify_signatures: bool = True) -> list[Checkpoint]:
        """The checkpoints of this database (file order); with the key, each marked valid or not.

        Lines of another database (``store_id``: one deleted and re-created) are left out.
        Without a key file (e.g. on the committee's screen) they are returned unchecked
        (``valid`` None).
        """
        key: bytes | None = None
        if verify_signatures:
            try:
                key = load_key()
            except ShinsaError:
                key = None
        return [c for c in read_checkpoints(self.checkpoint_path, key) if c.store_id == self.store_id]

    def receipts(self) -> pd.DataFrame:
        """The receipt code of every pair submitted now, computed from the current log.

        Returns
        -------
        DataFrame
            Columns :data:`RECEIPT_COLUMNS`: ``reviewer``, ``application``, ``receipt``
            (``xxxx-xxxx-xxxx-xxxx``), ``event_id`` (the submit event), ``submitted_at``
            (UTC); sorted by reviewer then application; RangeIndex. A code equals the one
            the reviewer got at 提出 exactly when the scores and comments are unchanged.
            Empty for a role that may not read comments (the committee's): a code covers
            the comments, so it cannot be computed without them.
        """
        if not self._comments_readable:
            return pd.DataFrame(columns=list(RECEIPT_COLUMNS))
        q = (sa.select(_events.c.id, _events.c.timestamp, _events.c.kind, _events.c.reviewer, _events.c.application,
                       _events.c.criterion, _events.c.score, _events.c.comment, _events.c.rubric_version)
             .where(_events.c.kind.in_(_PAIR_KINDS)).order_by(_events.c.id))
        with self._transaction(write=False) as conn:
            rows = conn.execute(q).all()
        cells: dict[tuple[str, str], dict[str, tuple[float | None, str]]] = {}
        submitted: dict[tuple[str, str], tuple[int, str, str, str] | None] = {}
        for eid, ts, kind, r, a, c, s, m, v in rows:
            if kind == "score":
                cells.setdefault((r, a), {})[c] = (s, m or "")
            else:
                submitted[(r, a)] = (int(eid), str(ts), str(m or ""), str(v)) if kind == "submit" else None
        order = {r: i for i, r in enumerate(self._reviewers)}
        out = []
        for (r, a), sub in sorted(submitted.items(), key=lambda kv: (order.get(kv[0][0], len(order)), kv[0])):
            if sub is None:
                continue
            eid, ts, nonce, version = sub
            out.append((r, a, receipt_code(r, a, version, nonce, cells.get((r, a), {})), eid, ts))
        df = pd.DataFrame(out, columns=list(RECEIPT_COLUMNS))
        df["event_id"] = df["event_id"].astype("int64")
        df["submitted_at"] = pd.to_datetime(df["submitted_at"], utc=True, format="ISO8601")
        return df

    def check_receipt(self, code: str) -> ReceiptCheck:
        """Whether the store still holds exactly what was submitted with receipt ``code``.

        The code is looked up in the signed checkpoints (each records the receipts issued,
        with a digest per criterion), else among the current receipts. Found: the pair's
        current scores and comments are compared with the submitted ones, criterion by
        criterion; where the submitted event is still in the log its values are shown.
        The committee material lists :meth:`receipts`, so a match here means the committee
        saw the same code.
        """
        h = normalize_receipt(code)
        shown = format_receipt(h) if h else str(code)
        if len(h) != 16:
            return ReceiptCheck("不明", shown, f"「{code}」は受領コードの形ではありません（16桁の英数字、例: 3f9a-1c22-7b0e-d4a1）。")
        events = self._event_rows()
        checkpoints = self.checkpoints()
        notes: list[str] = []
        if any(c.valid is None for c in checkpoints):
            notes.append("署名の鍵がないため、記録点の署名は確かめていません。")
        found: Receipt | None = None
        for c in checkpoints:
            if c.valid is False:
                continue
            for r in c.receipts:
                if normalize_receipt(r.code) == h and (found is None or r.event > found.event):
                    found = r
        current = self.receipts()
        now = current.loc[current["receipt"].map(normalize_receipt) == h]
        if found is None:
            if now.empty:
                return ReceiptCheck("不明", shown, (
                    f"受領コード {shown} の提出は見つかりません。コードの写し間違いがないか確認してください"
                    "（このラウンドの採点データベースと署名された記録点のどちらにもありません）。"), notes=tuple(notes))
            row = now.iloc[0]
            notes.append("このコードは署名された記録点にありません（記録点のファイルを確認してください）。")
            return ReceiptCheck("一致", shown, self._receipt_ok(shown, str(row["reviewer"]), str(row["application"]),
                                                               int(row["event_id"]), events),
                                str(row["reviewer"]), str(row["application"]), notes=tuple(notes))
        r = found
        who = f"{self._reviewer_label(r.reviewer)}の{self._app_label(r.application)}"
        cells = current_cells(events, r.reviewer, r.application)
        at_submit = current_cells([e for e in events if int(e["id"]) <= r.event], r.reviewer, r.application)
        labels = {c: crit.label_ja for c, crit in self._criteria.items()}
        changes: list[str] = []
        for crit, digest in sorted(r.cells.items(), key=lambda kv: list(self._criteria).index(kv[0])
                                   if kv[0] in self._criteria else len(self._criteria)):
            score, comment, _ = cells.get(crit, (None, "", 0))
            if cell_digest(r.nonce, crit, score, comment) == digest:
                continue
            was = at_submit.get(crit)
            before = ""
            if was is not None and cell_digest(r.nonce, crit, was[0], was[1]) == digest:
                before = f"提出時 {_fmt_cell(was[0], was[1])} → "
            changes.append(f"「{labels.get(crit, crit)}」（{crit}）: {before}現在 {_fmt_cell(score, comment)}")
        mine = current.loc[(current["reviewer"] == r.reviewer) & (current["application"] == r.application)]
        if not changes and not mine.empty and normalize_receipt(str(mine["receipt"].iloc[0])) == h:
            return ReceiptCheck("一致", shown, self._receipt_ok(shown, r.reviewer, r.application, r.event, events),
                                r.reviewer, r.application, notes=tuple(notes))
        if mine.empty:
            notes.append(f"{who}は提出後に再開され、現在は提出されていません（下書き）。")
        elif not changes:
            notes.append(f"{who}は再開・再提出されました。点数とコメントは同じですが、選定委員会資料の受領コードは "
                         f"{mine['receipt'].iloc[0]} です。")
            return ReceiptCheck("一致", shown, self._receipt_ok(shown, r.reviewer, r.application, r.event, events),
                                r.reviewer, r.application, notes=tuple(notes))
        reopened = any(e["kind"] == "reopen" and e["reviewer"] == r.reviewer and e["application"] == r.application
                       and int(e["id"]) > r.event for e in events)
        how = "事務局による再開の後に変更されています。" if reopened else \
            "再開されていないため、採点データベースを通さずに書き換えられています（python -m scoring audit で確認してください）。"
        msg = (f"受領コード {shown}（{who}、イベント {r.event} の提出）の後に、採点が変わっています"
               f"（{len(changes)} 項目）。{how if changes else ''}")
        return ReceiptCheck("変更", shown, msg, r.reviewer, r.application, tuple(changes), tuple(notes))

    def _event_rows(self) -> list[dict[str, Any]]:
        with self._transaction(write=False) as conn:
            rows = conn.execute(sa.select(*[_events.c[k] for k in EVENT_COLUMNS]).order_by(_events.c.id)).mappings().all()
        return [dict(r) for r in rows]

    def _receipt_ok(self, code: str, reviewer: str, application: str, event_id: int,
                    events: list[dict[str, Any]]) -> str:
        when = ""
        for ev in events:
            if int(ev["id"]) == event_id:
                try:
                    ts = dt.datetime.fromisoformat(str(ev["timestamp"])).astimezone(dt.timezone(dt.timedelta(hours=9)))
                    when = f"{ts:%Y-%m-%d %H:%M} 日本時間、"
                except ValueError:
                    pass
        return (f"受領コード {code} は、{self._reviewer_label(reviewer)}の{self._app_label(application)}の提出"
                f"（{when}イベント {event_id}）のものです。採点データベースには提出したとおりの点数とコメントが記録されており、"
                "選定委員会資料の受領コードの表にも同じコードが載ります。")

    # ------------------------------------------------------------------ reading
    def head(self) -> tuple[int, str]:
        """Id and hash of the last event (``(0, GENESIS_HASH)`` when empty).

        Writing the hash into the committee's minutes anchors the log: a later rewrite of
        the whole chain would no longer end in it.
        """
        with self._transaction(write=False) as conn:
            row = conn.execute(_Q_HEAD).first()
        return (0, GENESIS_HASH) if row is None else (int(row[0]), str(row[1]))

    def _pair_status(self, conn: Connection) -> dict[tuple[str, str], str]:
        out: dict[tuple[str, str], str] = {}
        q = (sa.select(_events.c.reviewer, _events.c.application, _events.c.kind)
             .where(_events.c.kind.in_(_PAIR_KINDS)).order_by(_events.c.id))
        for r, a, kind in conn.execute(q):
            if kind == "submit":
                out[(r, a)] = "提出済"
            elif kind == "reopen" or (r, a) not in out:
                out[(r, a)] = "下書き"
        return out

    def status(self, reviewer: str, application: str) -> str:
        """``"未着手"`` (nothing recorded), ``"下書き"`` (draft) or ``"提出済"`` (submitted)."""
        if not isinstance(reviewer, str) or reviewer not in self._reviewers:
            raise StoreError(f"審査員ID「{reviewer}」は reviewers.yaml にありません。審査員IDを確認してください。")
        if not isinstance(application, str) or application not in self._apps:
            raise StoreError(f"応募「{application}」はこの審査ラウンドにありません。都道府県コードを確認してください。")
        with self._transaction(write=False) as conn:
            rows = conn.execute(
                sa.select(_events.c.kind).where(_events.c.reviewer == reviewer, _events.c.application == application,
                                                _events.c.kind.in_(_PAIR_KINDS))
                .order_by(_events.c.id)).scalars().all()
        status = "未着手"
        for kind in rows:
            if kind == "submit":
                status = "提出済"
            elif kind == "reopen" or status == "未着手":
                status = "下書き"
        return status

    def pair_versions(self, reviewer: str, application: str | None = None) -> dict[str, PairVersion]:
        """The :class:`PairVersion` of each of a reviewer's pairs that has events.

        One cheap query; a screen compares it with what it loaded to notice a change made
        elsewhere (another browser tab of the same reviewer). Only ``reviewer``'s rows are
        read. ``application`` limits it to one pair.
        """
        q = (sa.select(_events.c.application, sa.func.count().label("n"), sa.func.max(_events.c.id).label("last"))
             .where(_events.c.reviewer == reviewer, _events.c.kind.in_(_PAIR_KINDS))
             .group_by(_events.c.application))
        if application is not None:
            q = q.where(_events.c.application == application)
        agg = q.subquery()
        joined = (sa.select(agg.c.application, agg.c.n, agg.c.last, _events.c.hash)
                  .join_from(agg, _events, _events.c.id == agg.c.last))
        with self._transaction(write=False) as conn:
            rows = conn.execute(joined).all()
        return {str(a): PairVersion(int(n), int(last), str(h)) for a, n, last, h in rows}

    def pair_cells(self, reviewer: str, application: str) -> dict[str, tuple[float | None, str]]:
        """The current score and comment of each criterion of one pair that has a score event
        (``{criterion: (score or None, comment)}``); only ``reviewer``'s rows are read."""
        with self._transaction(write=False) as conn:
            cells = self._cells(conn, reviewer, application)
        return {c: (None if v is None or _is_missing(v) else float(v), m or "") for c, (v, m) in cells.items()}

    def statuses(self) -> pd.DataFrame:
        """Status of every assigned pair and every pair with events.

        Returns
        -------
        DataFrame
            Columns :data:`STATUS_COLUMNS` (``reviewer``, ``application``, ``status`` in
            :data:`STATUSES`), sorted by reviewer then application; RangeIndex. Assigned
            pairs come from :meth:`ReviewRound.assignments`.
        """
        with self._transaction(write=False) as conn:
            known = self._pair_status(conn)
        pairs: set[tuple[str, str]] = set(known)
        assignments = getattr(self.rnd, "assignments", None)
        if callable(assignments):
            df = assignments()
            pairs |= set(zip(df["reviewer"].astype(str), df["application"].astype(str)))
        if self.access == "reviewer":  # a reviewer's role sees only their own rows: show only their pairs
            pairs = {p for p in pairs if p[0] == self.access_reviewer}
        order = {r: i for i, r in enumerate(self._reviewers)}
        rows = sorted(pairs, key=lambda p: (order.get(p[0], len(order)), p[0], p[1]))
        return pd.DataFrame([(r, a, known.get((r, a), "未着手")) for r, a in rows], columns=list(STATUS_COLUMNS))

    def scores(self, *, include_drafts: bool = True, stage: str = "final") -> pd.DataFrame:
        """Current scores: the last score event of each (reviewer, application, criterion).

        Parameters
        ----------
        include_drafts : bool
            If False, only pairs whose status is 提出済.
        stage : {"final", "first"}
            ``"final"`` (default): second-stage revisions (:meth:`revise`) replace the
            submitted scores; ``"first"``: the scores as the reviewers submitted them.

        Returns
        -------
        DataFrame
            Columns :data:`scoring.core.schema.SCORE_COLUMNS` (``application``, ``reviewer``,
            ``criterion``, ``score`` float, ``comment`` str, ``updated_at`` UTC datetime,
            ``rubric_version``) plus ``source`` (of the last event) and ``status`` (of the
            pair). One row per cell that has a score or a comment; ``score`` is NaN where a
            draft has a comment but no score (never in submitted pairs). Sorted by
            application, reviewer and criterion in rubric order; RangeIndex.
        """
        if stage not in STAGES:
            raise StoreError(f"stage「{stage}」は使えません。次のいずれかにしてください: {'、'.join(STAGES)}")
        kinds = ("score", "revise") if stage == "final" else ("score",)
        latest = (sa.select(sa.func.max(_events.c.id))
                  .where(_events.c.kind.in_(kinds))
                  .group_by(_events.c.reviewer, _events.c.application, _events.c.criterion))
        # The committee's role may not read comments (round.yaml committee_sees_comments).
        comment = _events.c.comment if self._comments_readable else sa.literal("").label("comment")
        q = (sa.select(_events.c.application, _events.c.reviewer, _events.c.criterion, _events.c.score,
                       comment, _events.c.timestamp, _events.c.rubric_version, _events.c.source)
             .where(_events.c.id.in_(latest)))
        with self._transaction(write=False) as conn:
            rows = conn.execute(q).all()
            status = self._pair_status(conn)
        cols = [*SCORE_COLUMNS, "source", "status"]
        records = [
            (a, r, c, s, m, t, v, src, status.get((r, a), "下書き"))
            for a, r, c, s, m, t, v, src in rows
            if s is not None or (m or "").strip()
        ]
        df = pd.DataFrame(records, columns=cols)
        if not include_drafts:
            df = df[df["status"] == "提出済"]
        df["score"] = pd.to_numeric(df["score"], errors="coerce").astype("float64")
        df["updated_at"] = pd.to_datetime(df["updated_at"], utc=True, format="ISO8601")
        for col in ("application", "reviewer", "criterion", "comment", "rubric_version", "source", "status"):
            df[col] = df[col].astype("str")
        crit_order = {c: i for i, c in enumerate(self._criteria)}
        df["_c"] = df["criterion"].map(lambda c: crit_order.get(c, len(crit_order)))
        df = df.sort_values(["application", "reviewer", "_c", "criterion"], kind="stable")
        return df.drop(columns="_c").reset_index(drop=True)

    def counted_scores(self) -> pd.DataFrame:
        """The scores the analysis counts: final stage, submitted pairs only.

        Drafts (下書き) count too only when round.yaml says ``include_drafts: true``
        (:class:`scoring.config.round.RoundConfig`). The combination, the selection, the
        committee material and the feedback letters all read this.
        """
        return self.scores(include_drafts=bool(getattr(self.rnd.config, "include_drafts", False)))

    def revisions(self) -> pd.DataFrame:
        """Every second-stage revision (協議後の修正), oldest first.

        Returns
        -------
        DataFrame
            Columns :data:`REVISION_COLUMNS`: ``application``, ``reviewer``, ``criterion``;
            ``first_score`` (float: the score before this revision — the submitted one, or the
            previous revision's); ``final_score`` (float: the revised score); ``reason``;
            ``by`` (who recorded it); ``revised_at`` (UTC datetime); ``event_id`` (int).
            RangeIndex; empty when nothing was revised.
        """
        ev = self._readable_events()  # the committee's role: revision reasons yes, reviewers' comments no
        q = (sa.select(ev.c.id, ev.c.kind, ev.c.reviewer, ev.c.application, ev.c.criterion,
                       ev.c.score, ev.c.comment, ev.c.actor, ev.c.timestamp)
             .where(ev.c.kind.in_(("score", "revise"))).order_by(ev.c.id))
        with self._transaction(write=False) as conn:
            rows = conn.execute(q).all()
        last: dict[tuple[str, str, str], float | None] = {}
        out = []
        for eid, kind, r, a, c, score, comment, actor, ts in rows:
            cell = (str(r), str(a), str(c))
            if kind == "revise":
                out.append((a, r, c, last.get(cell), score, comment, actor, ts, int(eid)))
            last[cell] = score
        df = pd.DataFrame(out, columns=list(REVISION_COLUMNS))
        for col in ("first_score", "final_score"):
            df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
        df["revised_at"] = pd.to_datetime(df["revised_at"], utc=True, format="ISO8601")
        df["event_id"] = df["event_id"].astype("int64")
        for col in ("application", "reviewer", "criterion", "reason", "by"):
            df[col] = df[col].astype("str")
        return df

    def _readable_events(self) -> Any:
        """``score_events``, or for a role that may not read the reviewers' comments (the
        committee's) its view :data:`COMMITTEE_EVENTS_VIEW` (those comments blank)."""
        if self._comments_readable:
            return _events
        return sa.table(COMMITTEE_EVENTS_VIEW, *[sa.column(k) for k in EVENT_COLUMNS])

    def events(self) -> pd.DataFrame:
        """The whole event log, oldest first.

        Returns
        -------
        DataFrame
            Columns :data:`EVENT_COLUMNS`; ``timestamp`` as UTC datetime, ``score`` float
            (NaN for none), ``criterion`` None for submit/reopen; RangeIndex.
        """
        # The committee's role may not read the reviewers' comments: it reads its view, where
        # they are blanked and the analyst's records (decisions, eligibility) are whole.
        src = self._readable_events()
        with self._transaction(write=False) as conn:
            rows = conn.execute(sa.select(*[src.c[k] for k in EVENT_COLUMNS]).order_by(src.c.id)).all()
        df = pd.DataFrame([tuple(r) for r in rows], columns=list(EVENT_COLUMNS))
        df["id"] = df["id"].astype("int64")
        df["score"] = pd.to_numeric(df["score"], errors="coerce").astype("float64")
        df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True, format="ISO8601")
        return df

    def verify(self) -> pd.DataFrame:
        """Audit the log: every altered, removed or foreign event (``audit().problems``).

        See :meth:`audit`.

        Returns
        -------
        DataFrame
            Columns :data:`AUDIT_COLUMNS`: ``event_id`` (int; the first id of a removed
            range, or the head of a checkpoint that no longer matches), ``problem``
            (``変更`` altered, ``削除`` removed, ``追加`` added outside the store, ``記録点``
            a signed checkpoint contradicted or not verifiable, ``未署名`` a submission,
            reopening or decision no checkpoint covers) and ``message`` (Japanese). Sorted by
            ``event_id``: the first row names the first bad event. Empty when all is well.
        """
        return self.audit().problems

    def audit(self) -> Audit:
        """Audit the hash chain against itself and against every signed checkpoint.

        Inside the database: each event's hash is recomputed from its fields; each
        ``prev_hash`` must be the previous event's hash; ids must run 1, 2, 3, … without
        gaps; the last event must be the recorded chain head; and the log must be one the
        store could have written (no score, submission or reopening on a pair in a state
        that the store refuses, e.g. a score on a submitted pair).

        Outside it (:func:`scoring.store.checkpoints.verify_checkpoints`): every checkpoint
        must be signed with the analyst's key, the event at its head must still have the
        signed hash and the counts up to it must match; every submission never reopened must
        still match its receipt; every submission, reopening and decision must be
        covered by a checkpoint (those operations always write one). This is what catches a log rewritten *and re-hashed* by
        someone who holds the database but not the key.

        A missing checkpoint file is an error (``未署名``) when the log has submissions,
        reopenings or decisions, and only a warning (``Audit.warnings``) when it
        holds draft scores only (drafts never write checkpoints).

        On a server with per-person roles (:mod:`scoring.admin.roles`) reviewers submit
        without writing a checkpoint (they have no key). When the only problem found is
        that such submissions (``submit`` events whose actor is their reviewer) follow the
        last checkpoint, the analyst's audit signs a checkpoint with their receipts and
        audits again (a warning says so). Only the analyst's (or owner's) connection does.

        Raises
        ------
        SigningError
            A checkpoint file exists but the analyst's key is not available to check it.
        StoreError
            Run as a reviewer's or the committee's role (the audit needs every event).
        """
        if not self.anchors:
            raise StoreError(f"{_ACCESS_JA.get(self.access, 'このアカウント')}では監査（audit）はできません"
                             "（全員の記録を読めないため）。事務局のアカウントで python -m scoring audit を実行してください。")
        result = self._audit()
        if self.access_controlled:
            n = self._anchor_reviewer_submissions(result)
            if n:
                result = self._audit()
                result.warnings.append(f"審査員が自分のアカウントで提出した {n} 件に、この監査で記録点を書きました"
                                       f"（{result.checkpoint_path}）。")
        return result

    def _pending_submissions(self, events: list[dict[str, Any]], checkpoints: Iterable[Checkpoint]
                             ) -> tuple[list[dict[str, Any]], list[Receipt]]:
        """Events after the last valid checkpoint that need one, and the receipts of those that
        are reviewers' own submissions (with their scores as submitted)."""
        top = max((c.head_id for c in checkpoints if c.valid), default=0)
        late = [ev for ev in events if int(ev["id"]) > top and must_be_anchored(ev)]
        receipts = []
        for ev in late:
            if ev["kind"] != "submit" or ev["actor"] != ev["reviewer"]:
                continue
            eid = int(ev["id"])
            cells = current_cells([e for e in events if int(e["id"]) < eid], str(ev["reviewer"]), str(ev["application"]))
            receipts.append(self._receipt(str(ev["reviewer"]), str(ev["application"]), eid, str(ev["comment"]),
                                          {c: (None if _is_missing(s) else float(s), str(m))  # type: ignore[arg-type]
                                           for c, (s, m, _) in cells.items()}))
        return late, receipts

    def _anchor_reviewer_submissions(self, result: Audit) -> int:
        """Sign the reviewers' unanchored submissions when they are the audit's only problem."""
        p = result.problems
        if len(p) != 1 or p["problem"].iloc[0] != "未署名":
            return 0
        late, receipts = self._pending_submissions(self._event_rows(), result.checkpoints)
        if not late or len(receipts) != len(late):
            return 0
        try:
            key = self._signing_key()
        except ShinsaError:
            return 0
        self._anchor("submit", key, receipts)
        return len(receipts)

    def _audit(self) -> Audit:
        cols = [_events.c[k] for k in EVENT_COLUMNS]
        with self._engine.connect() as conn:
            if not self._sqlite:
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                head = conn.execute(_Q_HEAD).first()
                rows = conn.execute(sa.select(*cols).order_by(_events.c.id)).mappings().all()
        problems: list[tuple[int, str, str]] = []
        prev_id, prev_hash = 0, GENESIS_HASH
        control: dict[tuple[str, str], str] = {}
        for ev in rows:
            eid = int(ev["id"])
            if event_hash(dict(ev)) != ev["hash"]:
                problems.append((eid, "変更", f"イベント {eid} の内容が記録後に変更されています（ハッシュが一致しません）。"))
            if eid != prev_id + 1:
                lo, hi = prev_id + 1, eid - 1
                what = f"イベント {lo}" if lo == hi else f"イベント {lo}〜{hi}（{hi - lo + 1} 件）"
                problems.append((lo, "削除", f"{what}が削除されています。"))
            elif ev["prev_hash"] != prev_hash:
                problems.append((prev_id, "変更", (f"イベント {prev_id} が書き換えられています"
                                 f"（次のイベント {eid} に記録された前のハッシュと一致しません）。")))
            prev_id, prev_hash = eid, str(ev["hash"])
            impossible = self._impossible(dict(ev), control)
            if impossible:
                problems.append((eid, "追加", impossible))
        if head is None:
            problems.append((prev_id, "削除", "チェーンの末尾の記録（score_chain_head）が削除されています。"))
        else:
            last_id, last_hash = int(head[0]), str(head[1])
            if last_id > prev_id:
                lo, hi = prev_id + 1, last_id
                what = f"イベント {lo}" if lo == hi else f"イベント {lo}〜{hi}（{hi - lo + 1} 件）"
                problems.append((lo, "削除", f"末尾の{what}が削除されています。"))
            elif last_id < prev_id:
                problems.append((last_id + 1, "追加", (f"イベント {last_id + 1}〜{prev_id} は採点データベースを通さずに"
                                 "追加されています（チェーンの末尾の記録と一致しません）。")))
            elif last_hash != prev_hash:
                problems.append((prev_id, "変更", (f"最後のイベント {prev_id} のハッシュが、チェーンの末尾の記録と一致しません"
                                 "（書き換えられています）。")))
        events = [dict(ev) for ev in rows]
        path = self.checkpoint_path
        key: bytes | None = None
        if path.exists():
            key = load_key()
        checkpoints = read_checkpoints(path, key) if key is not None else []
        more, warnings = verify_checkpoints(events, checkpoints, file_label=str(path), store_id=self.store_id)
        checkpoints = [c for c in checkpoints if c.store_id == self.store_id]
        problems += more
        df = pd.DataFrame(problems, columns=list(AUDIT_COLUMNS))
        df["event_id"] = df["event_id"].astype("int64")
        df = df.sort_values("event_id", kind="stable").reset_index(drop=True)
        head_t = (0, GENESIS_HASH) if head is None else (int(head[0]), str(head[1]))
        return Audit(problems=df, warnings=warnings, checkpoints=checkpoints, checkpoint_path=path, head=head_t)

    def _impossible(self, ev: Mapping[str, Any], control: dict[tuple[str, str], str]) -> str:
        """Why the store could not have written ``ev`` in this place of the log ("" if it could).

        ``control`` (pair → last submit/reopen kind) is updated with ``ev``.
        """
        kind = ev["kind"]
        if kind == "revise":
            pair = (str(ev["reviewer"]), str(ev["application"]))
            if control.get(pair, "") != "submit":
                return (f"イベント {int(ev['id'])} は提出されていない審査員 {pair[0]} の応募 {pair[1]} への協議後の修正です。"
                        "採点データベースはこの操作を受け付けないため、データベースを通さずに追加されています。")
            return ""
        if kind not in _PAIR_KINDS:
            return ""
        pair = (str(ev["reviewer"]), str(ev["application"]))
        state = control.get(pair, "")
        who = f"審査員 {pair[0]} の応募 {pair[1]}"
        eid = int(ev["id"])
        why = ""
        if kind == "score" and state == "submit":
            why = f"イベント {eid} は提出済みの{who}への点数の記録です"
        elif kind == "submit" and state == "submit":
            why = f"イベント {eid} は既に提出済みの{who}の提出です"
        elif kind == "reopen" and state != "submit":
            why = f"イベント {eid} は提出されていない{who}の再開です"
        if kind in ("submit", "reopen"):
            control[pair] = kind
        if not why:
            return ""
        return why + "。採点データベースはこの操作を受け付けないため、データベースを通さずに追加されています。"


@dataclass(frozen=True)
class Audit:
    """The result of :meth:`ScoreStore.audit`.

    Attributes
    ----------
    problems : DataFrame
        Columns :data:`AUDIT_COLUMNS`, sorted by ``event_id`` (empty: all is well).
    warnings : list of str
        Japanese notes that are not failures (e.g. no checkpoint file yet for drafts only).
    checkpoints : list of Checkpoint
        The checkpoints read (each with ``valid``).
    checkpoint_path : Path
        Where they are kept.
    head : (int, str)
        Id and hash of the chain head as recorded in the database.
    """

    problems: pd.DataFrame
    warnings: list[str]
    checkpoints: list[Checkpoint]
    checkpoint_path: Path
    head: tuple[int, str]


def _fmt_cell(score: object, comment: str) -> str:
    text = "点数なし" if _is_missing(score) else f"{format_level(float(score))} 点"  # type: ignore[arg-type]
    if comment:
        short = comment if len(comment) <= 30 else comment[:30] + "…"
        text += f"・コメント「{short}」"
    return text


def _sqlite_on_connect(dbapi_conn: Any, record: Any) -> None:
    dbapi_conn.isolation_level = None  # transactions are begun explicitly (see _sqlite_on_begin)
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout = {int(_SQLITE_LOCK_WAIT * 1000)}")
    cur.execute("PRAGMA journal_mode = WAL")
    cur.execute("PRAGMA synchronous = FULL")
    cur.close()


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
        deadline = time.monotonic() + _SQLITE_LOCK_WAIT
        delay = 0.0001
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) and "busy" not in str(e):
                    raise
                if time.monotonic() > deadline:
                    raise
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 0.002)
    finally:
        raw.execute(f"PRAGMA busy_timeout = {int(_SQLITE_LOCK_WAIT * 1000)}")


def _short(e: BaseException) -> str:
    orig = getattr(e, "orig", None)
    text = str(orig if orig is not None else e).strip().splitlines()
    return text[0] if text else type(e).__name__
