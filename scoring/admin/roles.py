"""Blindness and conflicts of interest enforced by PostgreSQL: one database role per person.

On a shared server (JupyterHub, one system account per person) a reviewer can run any
Python in their kernel, so the workbench's own checks (:class:`~scoring.store.scores.ScoreStore`
refuses a conflicted pair, another reviewer's cell, …) are a convenience, not a guarantee.
:func:`provision` makes the database itself enforce them: each person connects with a role
of their own (the URL in their ``~/.shinsa/database_url``, :mod:`scoring.admin.credentials`),
and PostgreSQL's grants and row-level security (RLS) decide what that role may read and write.

Roles (names are cluster-wide: ``P`` = ``shinsa_`` + the database name, lower case, other
characters as ``_``; or the ``role_prefix`` given)
-----------------------------------------------------------------------------------------
``P_r_<reviewer id>``  (one per reviewer of reviewers.yaml, LOGIN, member of ``P_reviewers``)
    Reads only the rows of ``score_events`` whose ``reviewer`` is their own id (blindness:
    another reviewer's rows are invisible, a ``SELECT`` returns 0 rows). Inserts only rows
    with ``reviewer`` = ``actor`` = their own id, ``kind`` ``score`` or ``submit``, for an
    application in their allowed pairs (the round's assignments minus conflicts, table
    ``score_access_pairs``). No ``UPDATE``/``DELETE`` (no grant; the append-only trigger
    too). A reviewer id that is not alphanumeric gets a short hash appended.
``P_analyst`` (事務局; shared by everyone in reviewers.yaml ``analysts``)
    Reads everything; inserts any kind (reopen, decision, imported scores).
``P_committee`` (選定委員; shared by everyone in ``committee``)
    Reads ``score_events`` without the ``comment`` column and without what would let it
    confirm a guessed comment, the events' hashes and the submissions' signatures
    (column-level grant, :data:`COMMITTEE_HIDDEN`), unless round.yaml says
    ``committee_sees_comments: true`` (then the whole table); the chain head without its
    hash; writes nothing.
``P_reviewers`` (NOLOGIN)
    The group the policies and grants of reviewers are given to.

The database owner (who runs :func:`provision`) keeps every right; ``score_events`` gets
``FORCE ROW LEVEL SECURITY`` with a policy for the owner, so no other role escapes the
policies. ``score_access_roles`` (role → kind, reviewer id) and ``score_access_pairs``
(reviewer, application) have RLS too: each role sees only its own row and pairs.

Re-running :func:`provision` re-syncs everything: the allowed pairs after a change of
assignments or conflicts, new reviewers, and the roles of people no longer listed (set to
NOLOGIN and taken out of the group). It sets new passwords (random unless given), so the
credentials files must be written again (``python -m scoring db-setup --credentials-dir``).

What the roles cannot prevent (residual risks)
----------------------------------------------
* To append, a reviewer's role must lock and move the one-row chain head
  (``score_chain_head``: ``SELECT``, ``UPDATE``). A reviewer can therefore corrupt the
  head, or insert their own rows with wrong hashes or ids; that blocks or breaks the chain
  for everyone until fixed, and ``python -m scoring audit`` reports it (tested). It can
  never reveal or change another reviewer's scores.
* Resources: each reviewer role has at most :data:`~scoring.admin.role_limits.CONNECTION_LIMIT`
  connections and waits for a lock, runs a statement and idles in a transaction only so long
  (:mod:`scoring.admin.role_limits`), so one reviewer cannot block everyone's saves for long
  or use up the server's connections. ``EXPLAIN`` shows a reviewer the planner's estimates,
  not rows; the table keeps no per-value statistics, so those estimates do not reveal how many
  events another reviewer has. The total number of events is no secret (the chain head,
  which every role must read to append, holds it).
* Checkpoints: a reviewer's kernel has neither the analyst's signing key nor write access
  to the round folder, so a reviewer's role writes no checkpoint (``ScoreStore.anchors``
  is false). Their submissions are anchored by the analyst's next ``audit`` (which signs a
  checkpoint with their receipts when they are its only finding) or ``report``. Until then
  a rewrite of the chain after the last checkpoint by someone holding the *owner's*
  password would go unnoticed; the receipt code shown to the reviewer still detects a
  change of their own submitted scores (``verify-receipt``).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, LiteralString, cast

import pandas as pd
import sqlalchemy as sa
from psycopg import sql

from ..core.errors import StoreError
from ..store.anchor_count import COUNTER_TABLE
from ..store.scores import ACCESS_PAIRS_TABLE, ACCESS_ROLES_TABLE, COMMITTEE_EVENTS_VIEW, ScoreStore
from .role_limits import limit_reviewer_roles

if TYPE_CHECKING:
    import psycopg

    from ..round.loader import ReviewRound

__all__ = ["Account", "accounts", "allowed_pairs", "default_role_prefix", "provision"]

_PROVISION_LOCK = 73_656_902  # advisory lock: one provision at a time
_MAX_IDENT = 63  # PostgreSQL's identifier length


@dataclass(frozen=True)
class Account:
    """One person's (or one shared) database account.

    ``account`` is the JupyterHub user name (for a reviewer without ``hub_user``, and for an
    analyst or committee role nobody is listed for, the role name); ``kind`` is
    ``reviewer``, ``analyst`` or ``committee``; ``reviewer`` the reviewer id (reviewers only).
    """

    account: str
    role: str
    kind: str
    reviewer: str | None = None


def _slug(text: str, limit: int) -> str:
    low = text.lower()
    slug = re.sub(r"[^a-z0-9]+", "_", low).strip("_")[:limit]
    if slug != low or not slug:
        slug = f"{slug}_{hashlib.sha256(text.encode('utf-8')).hexdigest()[:6]}".strip("_")
    return slug


def default_role_prefix(admin_url: str) -> str:
    """``shinsa_`` + the database's name (slugged): the prefix of the round's role names."""
    db = sa.engine.make_url(admin_url).database or "postgres"
    return f"shinsa_{_slug(db, 24)}"


def accounts(rnd: ReviewRound, prefix: str) -> list[Account]:
    """The accounts :func:`provision` creates for ``rnd`` (reviewers, analysts, committee)."""
    out = [
        Account(
            r.hub_user or f"{prefix}_r_{_slug(r.id, 24)}", f"{prefix}_r_{_slug(r.id, 24)}", "reviewer", r.id
        )
        for r in rnd.reviewers
    ]
    for kind in ("analyst", "committee"):
        role = f"{prefix}_{kind}"
        names = list(getattr(rnd, "analysts" if kind == "analyst" else "committee", ()) or ())
        out += [Account(n, role, kind) for n in names] or [Account(role, role, kind)]
    for a in out:
        if len(a.role) > _MAX_IDENT:
            raise StoreError(
                f"データベースのロール名 {a.role} が長すぎます（{_MAX_IDENT} 文字まで）。"
                "role_prefix を短くしてください。"
            )
    return out


def allowed_pairs(rnd: ReviewRound) -> pd.DataFrame:
    """(reviewer, application) pairs a reviewer's role may write: assignments minus conflicts.

    Returns
    -------
    DataFrame
        Columns ``reviewer``, ``application``; sorted; RangeIndex.
    """
    df = rnd.assignments()
    conflicts = {r.id: set(r.conflicts) for r in rnd.reviewers}
    apps = {str(a) for a in rnd.applications.index}
    rows = sorted(
        {
            (str(r), str(a))
            for r, a in zip(df["reviewer"], df["application"])
            if str(r) in conflicts and str(a) in apps and str(a) not in conflicts[str(r)]
        }
    )
    return pd.DataFrame(rows, columns=["reviewer", "application"])


def _postgres_url(admin_url: str) -> sa.URL:
    """``admin_url`` with the psycopg driver; a Japanese StoreError for anything but PostgreSQL."""
    u = sa.engine.make_url(admin_url)
    if u.get_backend_name() != "postgresql":
        raise StoreError(
            f"審査員ごとのロールは PostgreSQL でだけ作れます（指定された URL: "
            f"{u.render_as_string(hide_password=True)}）。postgresql+psycopg://… を指定してください。"
        )
    return u.set(drivername="postgresql+psycopg")


def provision(
    admin_url: str,
    rnd: ReviewRound,
    *,
    passwords: Mapping[str, str] | None = None,
    role_prefix: str | None = None,
) -> dict[str, str]:
    """Create or re-sync the per-person roles of ``rnd``'s store on PostgreSQL.

    Run as the database owner (or a superuser). Creates the store's tables if missing
    (:class:`ScoreStore`), the roles (see the module docstring), their grants and the
    row-level security policies, and the table of allowed (reviewer, application) pairs,
    all in one transaction.

    Parameters
    ----------
    admin_url : str
        ``postgresql+psycopg://owner:pw@host:port/db`` (``options=-csearch_path=…`` selects a
        schema other than ``public``).
    rnd : ReviewRound
        The round: reviewers (with ``hub_user``, conflicts), assignments, ``analysts`` and
        ``committee`` of reviewers.yaml, ``committee_sees_comments`` of round.yaml.
    passwords : mapping, optional
        Role name → password; every other role gets a random one (32 hex digits).
    role_prefix : str, optional
        Prefix of the role names (default :func:`default_role_prefix` of the URL).

    Returns
    -------
    dict
        Account name (:class:`Account`) → connection URL of its role, password included.

    Raises
    ------
    StoreError
        Not a PostgreSQL URL, the tables belong to another round, the connection is not
        the tables' owner, or PostgreSQL refused (Japanese message).
    """
    u = _postgres_url(admin_url)
    prefix = role_prefix or default_role_prefix(admin_url)
    accts = accounts(rnd, prefix)
    pw = dict(passwords or {})
    roles = {a.role: a for a in accts}
    for role in roles:
        pw.setdefault(role, secrets.token_hex(16))
    group = f"{prefix}_reviewers"
    pairs = allowed_pairs(rnd)
    sees_comments = bool(getattr(rnd.config, "committee_sees_comments", False))

    ScoreStore(u.render_as_string(hide_password=False), rnd).close()  # the tables, as their owner
    engine = sa.create_engine(u)
    try:
        with engine.begin() as conn:
            _provision(conn, prefix, group, roles, pw, pairs, sees_comments)
    except sa.exc.DBAPIError as e:
        raise StoreError(
            f"データベースのロールを設定できませんでした: {str(e.orig or e).strip().splitlines()[0]}。"
            "データベースの所有者（またはスーパーユーザー）の URL を --admin-url に指定してください。"
        ) from e
    finally:
        engine.dispose()
    return {
        a.account: u.set(username=a.role, password=pw[a.role]).render_as_string(hide_password=False)
        for a in accts
    }


def _provision(
    conn: sa.Connection,
    prefix: str,
    group: str,
    roles: Mapping[str, Account],
    pw: Mapping[str, str],
    pairs: pd.DataFrame,
    sees_comments: bool,
) -> None:
    """Every statement of :func:`provision`, on the raw psycopg connection of ``conn`` (one
    transaction): identifiers and literals composed by :mod:`psycopg.sql`, values as parameters."""
    raw = cast("psycopg.Connection[Any]", conn.connection.dbapi_connection)
    with raw.cursor() as cur:
        cur.execute(sql.SQL("SELECT pg_advisory_xact_lock({})").format(sql.Literal(_PROVISION_LOCK)))
        cur.execute(
            "SELECT current_user, current_schema(), current_database(), "
            "(SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() "
            "AND tablename = 'score_events'), "
            "(SELECT rolsuper FROM pg_roles WHERE rolname = current_user)"
        )
        me, schema, db, owner, is_super = cast("tuple[str, str, str, str, bool]", cur.fetchone())
        if owner != me and not is_super:
            raise StoreError(
                f"採点データベースの表の所有者は {owner} です（接続したロールは {me}）。"
                "所有者の URL で実行してください。"
            )
        cur.execute(
            "SELECT rolname FROM pg_roles WHERE rolname LIKE %s", (prefix.replace("_", r"\_") + r"\_%",)
        )
        existing = {r[0] for r in cur.fetchall()}
        _sync_roles(cur, raw, group, roles, pw, existing, db, schema)
        _sync_access_tables(cur, group, roles, existing, pairs)
        analyst, committee = f"{prefix}_analyst", f"{prefix}_committee"
        _grant(cur, group, analyst, committee, sees_comments)
        _policies(cur, group, analyst, committee, owner)
        limit_reviewer_roles(cur, sorted(r for r, a in roles.items() if a.kind == "reviewer"))


def _sync_roles(
    cur: psycopg.Cursor[Any],
    raw: psycopg.Connection[Any],
    group: str,
    roles: Mapping[str, Account],
    pw: Mapping[str, str],
    existing: set[str],
    db: str,
    schema: str,
) -> None:
    """The reviewers' group role, one LOGIN role per account (new password), CONNECT and USAGE."""
    if group not in existing:
        cur.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(group)))
    for role in roles:
        # send the SCRAM verifier, never the password itself, to the server (and its log)
        secret = raw.pgconn.encrypt_password(pw[role].encode(), role.encode(), b"scram-sha-256").decode()
        verb = sql.SQL("ALTER") if role in existing else sql.SQL("CREATE")
        cur.execute(
            sql.SQL("{} ROLE {} LOGIN PASSWORD {}").format(verb, sql.Identifier(role), sql.Literal(secret))
        )
        cur.execute(
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(db), sql.Identifier(role))
        )
        cur.execute(
            sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(schema), sql.Identifier(role))
        )
    # only the round's roles (and the owner)
    cur.execute(sql.SQL("REVOKE CONNECT, TEMPORARY ON DATABASE {} FROM PUBLIC").format(sql.Identifier(db)))
    for role in sorted(r for r, a in roles.items() if a.kind == "reviewer"):
        cur.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(group), sql.Identifier(role)))


def _sync_access_tables(
    cur: psycopg.Cursor[Any],
    group: str,
    roles: Mapping[str, Account],
    existing: set[str],
    pairs: pd.DataFrame,
) -> None:
    """Who is who (role → kind, reviewer id) and who may score what; people no longer in the
    round lose their login and their membership of the reviewers' group."""
    roles_t, pairs_t = sql.Identifier(ACCESS_ROLES_TABLE), sql.Identifier(ACCESS_PAIRS_TABLE)
    cur.execute(
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} (db_role text PRIMARY KEY, kind text NOT NULL "
            "CHECK (kind IN ('reviewer', 'analyst', 'committee')), reviewer text UNIQUE)"
        ).format(roles_t)
    )
    cur.execute(
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} (reviewer text NOT NULL, application text NOT NULL, "
            "PRIMARY KEY (reviewer, application))"
        ).format(pairs_t)
    )
    cur.execute(sql.SQL("SELECT db_role FROM {}").format(roles_t))
    old = {r[0] for r in cur.fetchall()}
    for gone in sorted(old - set(roles)):  # people no longer in the round: no login, no rights
        cur.execute(sql.SQL("ALTER ROLE {} NOLOGIN").format(sql.Identifier(gone)))
        if gone in existing:
            cur.execute(sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(group), sql.Identifier(gone)))
    cur.execute(sql.SQL("DELETE FROM {}").format(roles_t))
    cur.executemany(
        sql.SQL("INSERT INTO {} (db_role, kind, reviewer) VALUES (%s, %s, %s)").format(roles_t),
        [(r, a.kind, a.reviewer) for r, a in roles.items()],
    )
    cur.execute(sql.SQL("DELETE FROM {}").format(pairs_t))
    if len(pairs):
        cur.executemany(
            sql.SQL("INSERT INTO {} (reviewer, application) VALUES (%s, %s)").format(pairs_t),
            list(zip(pairs["reviewer"], pairs["application"])),
        )


def _grant(cur: psycopg.Cursor[Any], group: str, analyst: str, committee: str, sees_comments: bool) -> None:
    """Reviewers and the analyst append (lock and move the chain head); the committee reads,
    without the comments unless the round allows them (then through the committee's view)."""
    events, head, meta = (
        sql.Identifier("score_events"),
        sql.Identifier("score_chain_head"),
        sql.Identifier("score_meta"),
    )
    roles_t, pairs_t = sql.Identifier(ACCESS_ROLES_TABLE), sql.Identifier(ACCESS_PAIRS_TABLE)
    g, an, co = sql.Identifier(group), sql.Identifier(analyst), sql.Identifier(committee)
    everyone = sql.SQL(", ").join([g, an, co])
    for t in (events, head, meta, roles_t, pairs_t):
        cur.execute(sql.SQL("REVOKE ALL ON {} FROM PUBLIC, {}").format(t, everyone))
    for t in (events, roles_t, pairs_t):
        cur.execute(sql.SQL("ALTER TABLE {} ENABLE ROW LEVEL SECURITY").format(t))
    cur.execute(sql.SQL("ALTER TABLE {} FORCE ROW LEVEL SECURITY").format(events))
    cur.execute(sql.SQL("GRANT SELECT, INSERT ON {} TO {}, {}").format(events, g, an))
    cur.execute(sql.SQL("GRANT SELECT, UPDATE ON {} TO {}, {}").format(head, g, an))
    cur.execute(sql.SQL("GRANT SELECT ON {}, {} TO {}").format(meta, roles_t, everyone))
    cur.execute(sql.SQL("GRANT SELECT (id, last_id) ON {} TO {}").format(head, co))  # no hash (see below)
    cur.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(pairs_t, g))
    # the database's count of checkpoints (scoring.store.anchor_count): the analyst writes checkpoints
    counter = sql.Identifier(COUNTER_TABLE)
    cur.execute(
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} (id integer PRIMARY KEY, written integer NOT NULL, last_digest text NOT NULL)"
        ).format(counter)
    )
    cur.execute(sql.SQL("REVOKE ALL ON {} FROM PUBLIC, {}").format(counter, everyone))
    cur.execute(sql.SQL("GRANT SELECT, INSERT, UPDATE ON {} TO {}").format(counter, an))
    if sees_comments:
        cur.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(events, co))
        return
    cur.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = 'score_events' ORDER BY ordinal_position"
    )
    _committee_view(cur, [r[0] for r in cur.fetchall()], everyone, co)


#: What the committee's role may not read of ``score_events`` when the comments are closed to
#: it. Each event's hash (and the next one's ``prev_hash``) covers the reviewer's comment, and
#: a submission's signature (``payload``) covers every comment of the pair: with the scores
#: in view, a committee member could confirm a guessed comment (an empty one, 「特になし」) by
#: hashing or verifying it. The committee checks no hash or signature (it cannot audit), so
#: it gets neither.
COMMITTEE_HIDDEN = ("comment", "prev_hash", "hash", "payload")


def _committee_view(
    cur: psycopg.Cursor[Any], columns: list[str], everyone: sql.Composable, co: sql.Identifier
) -> None:
    """The committee reads ``score_events`` without :data:`COMMITTEE_HIDDEN`, and the log
    through the view :data:`COMMITTEE_EVENTS_VIEW` (it runs with the owner's rights). The
    analyst's records (decisions, eligibility, revisions, reopen reasons) keep their text in
    ``comment`` and ``payload``: the view shows them whole, with the reviewers' comments (kind
    ``score``) and the submissions' nonces and signatures (kind ``submit``) blank, and no
    event's hash."""
    events, view = sql.Identifier("score_events"), sql.Identifier(COMMITTEE_EVENTS_VIEW)
    shown = sql.SQL(", ").join(sql.Identifier(c) for c in columns if c not in COMMITTEE_HIDDEN)
    cur.execute(sql.SQL("GRANT SELECT ({}) ON {} TO {}").format(shown, events, co))
    hidden: dict[str, LiteralString] = {
        "comment": "CASE WHEN kind IN ('score', 'submit') THEN '' ELSE comment END",
        "prev_hash": "NULL",
        "hash": "NULL",
        "payload": "CASE WHEN kind IN ('score', 'submit') THEN NULL ELSE payload END",
    }
    select = sql.SQL(", ").join(
        sql.SQL(hidden[c] + " AS {}").format(sql.Identifier(c)) if c in hidden else sql.Identifier(c)
        for c in columns
    )
    # Dropped first: CREATE OR REPLACE cannot change a column's type (an older view had the hashes).
    cur.execute(sql.SQL("DROP VIEW IF EXISTS {}").format(view))
    cur.execute(
        sql.SQL("CREATE VIEW {} WITH (security_barrier) AS SELECT {} FROM {}").format(view, select, events)
    )
    cur.execute(sql.SQL("REVOKE ALL ON {} FROM PUBLIC, {}").format(view, everyone))
    cur.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(view, co))


def _policies(cur: psycopg.Cursor[Any], group: str, analyst: str, committee: str, owner: str) -> None:
    """The row-level security policies (dropped and created again): each role sees its own
    rows of the access tables; reviewers read and write only their own allowed pairs."""
    roles_t, pairs_t = sql.Identifier(ACCESS_ROLES_TABLE), sql.Identifier(ACCESS_PAIRS_TABLE)
    g, an, co = sql.Identifier(group), sql.Identifier(analyst), sql.Identifier(committee)
    own_role = sql.SQL("(SELECT r.reviewer FROM {} r WHERE r.db_role = current_user)").format(roles_t)
    policies: dict[str, list[tuple[str, sql.Composable]]] = {
        ACCESS_ROLES_TABLE: [
            (
                "access_roles_own",
                sql.SQL("FOR SELECT TO {}, {}, {} USING (db_role = current_user)").format(g, an, co),
            ),
        ],
        ACCESS_PAIRS_TABLE: [
            ("access_pairs_own", sql.SQL("FOR SELECT TO {} USING (reviewer = {})").format(g, own_role)),
        ],
        "score_events": [
            (
                "score_owner_all",
                sql.SQL("FOR ALL TO {} USING (true) WITH CHECK (true)").format(sql.Identifier(owner)),
            ),
            ("score_reviewer_read", sql.SQL("FOR SELECT TO {} USING (reviewer = {})").format(g, own_role)),
            (
                "score_reviewer_write",
                sql.SQL(
                    "FOR INSERT TO {} WITH CHECK (reviewer = {} AND actor = reviewer AND kind IN ('score', 'submit') "
                    "AND EXISTS (SELECT 1 FROM {} p WHERE p.reviewer = score_events.reviewer "
                    "AND p.application = score_events.application))"
                ).format(g, own_role, pairs_t),
            ),
            ("score_analyst_read", sql.SQL("FOR SELECT TO {} USING (true)").format(an)),
            ("score_analyst_write", sql.SQL("FOR INSERT TO {} WITH CHECK (true)").format(an)),
            ("score_committee_read", sql.SQL("FOR SELECT TO {} USING (true)").format(co)),
        ],
    }
    for table, rules in policies.items():
        cur.execute(
            "SELECT policyname FROM pg_policies WHERE schemaname = current_schema() AND tablename = %s",
            (table,),
        )
        for (name,) in cur.fetchall():
            cur.execute(sql.SQL("DROP POLICY {} ON {}").format(sql.Identifier(name), sql.Identifier(table)))
        for name, rule in rules:
            cur.execute(
                sql.SQL("CREATE POLICY {} ON {} {}").format(sql.Identifier(name), sql.Identifier(table), rule)
            )


def check_owner_url(admin_url: str) -> None:
    """The database of ``admin_url`` is reachable now and the role may set the round up: a
    superuser, or a role with ``CREATEROLE`` that owns the store's tables (if they exist).
    Changes nothing (what :func:`provision` needs, checked before anything is created).

    Raises
    ------
    StoreError
        Not a PostgreSQL URL, the database cannot be reached, or the role lacks the rights.
    """
    u = _postgres_url(admin_url)
    shown = u.render_as_string(hide_password=True)
    engine = sa.create_engine(u, connect_args={"connect_timeout": 10})
    try:
        with engine.connect() as conn:
            me, is_super, may_create, owner = conn.execute(
                sa.text(
                    "SELECT current_user, rolsuper, rolsuper OR rolcreaterole, (SELECT tableowner FROM pg_tables "
                    "WHERE schemaname = current_schema() AND tablename = 'score_events') "
                    "FROM pg_roles WHERE rolname = current_user"
                )
            ).one()
    except sa.exc.DBAPIError as e:
        raise StoreError(
            f"データベース {shown} に接続できません: {str(e.orig or e).strip().splitlines()[0]}。"
            "PostgreSQL が動いているか、URL（ホスト・ポート・パスワード）を確かめてください。"
        ) from e
    finally:
        engine.dispose()
    if not may_create:
        raise StoreError(
            f"データベースのロール {me} にはロールを作る権限（CREATEROLE）がありません。"
            "データベースの所有者（またはスーパーユーザー）の URL を --admin-url に指定してください。"
        )
    if owner is not None and owner != me and not is_super:
        raise StoreError(
            f"採点データベースの表の所有者は {owner} です（接続したロールは {me}）。所有者の URL で実行してください。"
        )
