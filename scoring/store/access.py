"""Blindness and conflicts of interest enforced by PostgreSQL: one database role per person.

On a shared server (JupyterHub, one system account per person) a reviewer can run any
Python in their kernel, so the workbench's own checks (:class:`~scoring.store.scores.ScoreStore`
refuses a conflicted pair, another reviewer's cell, …) are a convenience, not a guarantee.
:func:`provision` makes the database itself enforce them: each person connects with a role
of their own (the URL in their ``~/.shinsa/database_url``, :mod:`scoring.store.credentials`),
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
    Reads ``score_events`` without the ``comment`` column (column-level grant), unless
    round.yaml says ``committee_sees_comments: true``; writes nothing.
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
from typing import TYPE_CHECKING

import pandas as pd
import sqlalchemy as sa

from ..core.errors import StoreError
from .credentials import write_credentials
from .scores import ACCESS_PAIRS_TABLE, ACCESS_ROLES_TABLE, COMMITTEE_EVENTS_VIEW, ScoreStore

if TYPE_CHECKING:
    from ..round.loader import ReviewRound

__all__ = ["Account", "accounts", "allowed_pairs", "default_role_prefix", "provision", "write_credentials"]

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
    out = [Account(r.hub_user or f"{prefix}_r_{_slug(r.id, 24)}", f"{prefix}_r_{_slug(r.id, 24)}", "reviewer", r.id)
           for r in rnd.reviewers]
    for kind in ("analyst", "committee"):
        role = f"{prefix}_{kind}"
        names = list(getattr(rnd, "analysts" if kind == "analyst" else "committee", ()) or ())
        out += [Account(n, role, kind) for n in names] or [Account(role, role, kind)]
    for a in out:
        if len(a.role) > _MAX_IDENT:
            raise StoreError(f"データベースのロール名 {a.role} が長すぎます（{_MAX_IDENT} 文字まで）。"
                             "role_prefix を短くしてください。")
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
    rows = sorted({(str(r), str(a)) for r, a in zip(df["reviewer"], df["application"])
                   if str(r) in conflicts and str(a) in apps and str(a) not in conflicts[str(r)]})
    return pd.DataFrame(rows, columns=["reviewer", "application"])


def _q(ident: str) -> str:
    return '"' + ident.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def provision(admin_url: str, rnd: ReviewRound, *, passwords: Mapping[str, str] | None = None,
              role_prefix: str | None = None) -> dict[str, str]:
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
    u = sa.engine.make_url(admin_url)
    if u.get_backend_name() != "postgresql":
        raise StoreError(f"審査員ごとのロールは PostgreSQL でだけ作れます（指定された URL: "
                         f"{u.render_as_string(hide_password=True)}）。postgresql+psycopg://… を指定してください。")
    u = u.set(drivername="postgresql+psycopg")
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
        raise StoreError(f"データベースのロールを設定できませんでした: {str(e.orig or e).strip().splitlines()[0]}。"
                         "データベースの所有者（またはスーパーユーザー）の URL を --admin-url に指定してください。") from e
    finally:
        engine.dispose()
    return {a.account: u.set(username=a.role, password=pw[a.role]).render_as_string(hide_password=False)
            for a in accts}


def _provision(conn: sa.Connection, prefix: str, group: str, roles: Mapping[str, Account],
               pw: Mapping[str, str], pairs: pd.DataFrame, sees_comments: bool) -> None:
    x = conn.exec_driver_sql
    x(f"SELECT pg_advisory_xact_lock({_PROVISION_LOCK})")
    me, schema, db, owner = conn.execute(sa.text(
        "SELECT current_user, current_schema(), current_database(), "
        "(SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'score_events')")).one()
    is_super = bool(conn.execute(sa.text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar())
    if owner != me and not is_super:
        raise StoreError(f"採点データベースの表の所有者は {owner} です（接続したロールは {me}）。"
                         "所有者の URL で実行してください。")
    existing = set(conn.execute(sa.text("SELECT rolname FROM pg_roles WHERE rolname LIKE :p"),
                                {"p": prefix.replace("_", r"\_") + r"\_%"}).scalars())
    if group not in existing:
        x(f"CREATE ROLE {_q(group)} NOLOGIN")
    raw = conn.connection.dbapi_connection
    for role in roles:
        # send the SCRAM verifier, never the password itself, to the server (and its log)
        secret = raw.pgconn.encrypt_password(pw[role].encode(), role.encode(), b"scram-sha-256").decode()  # type: ignore[union-attr]
        verb = "ALTER" if role in existing else "CREATE"
        x(f"{verb} ROLE {_q(role)} LOGIN PASSWORD {_lit(secret)}")
        x(f"GRANT CONNECT ON DATABASE {_q(db)} TO {_q(role)}")
        x(f"GRANT USAGE ON SCHEMA {_q(schema)} TO {_q(role)}")
    x(f"REVOKE CONNECT, TEMPORARY ON DATABASE {_q(db)} FROM PUBLIC")  # only the round's roles (and the owner)
    reviewers = {r for r, a in roles.items() if a.kind == "reviewer"}
    for role in reviewers:
        x(f"GRANT {_q(group)} TO {_q(role)}")

    # who is who, and who may score what (each role sees only its own rows)
    x(f"""CREATE TABLE IF NOT EXISTS {ACCESS_ROLES_TABLE} (
          db_role text PRIMARY KEY, kind text NOT NULL CHECK (kind IN ('reviewer', 'analyst', 'committee')),
          reviewer text UNIQUE)""")
    x(f"""CREATE TABLE IF NOT EXISTS {ACCESS_PAIRS_TABLE} (
          reviewer text NOT NULL, application text NOT NULL, PRIMARY KEY (reviewer, application))""")
    old = set(conn.execute(sa.text(f"SELECT db_role FROM {ACCESS_ROLES_TABLE}")).scalars())
    for gone in sorted(old - set(roles)):  # people no longer in the round: no login, no rights
        x(f"ALTER ROLE {_q(gone)} NOLOGIN")
        if gone in existing:
            x(f"REVOKE {_q(group)} FROM {_q(gone)}")
    x(f"DELETE FROM {ACCESS_ROLES_TABLE}")
    conn.execute(sa.text(f"INSERT INTO {ACCESS_ROLES_TABLE} (db_role, kind, reviewer) VALUES (:r, :k, :v)"),
                 [{"r": r, "k": a.kind, "v": a.reviewer} for r, a in roles.items()])
    x(f"DELETE FROM {ACCESS_PAIRS_TABLE}")
    if len(pairs):
        conn.execute(sa.text(f"INSERT INTO {ACCESS_PAIRS_TABLE} (reviewer, application) VALUES (:r, :a)"),
                     [{"r": r, "a": a} for r, a in zip(pairs["reviewer"], pairs["application"])])

    analyst, committee = f"{prefix}_analyst", f"{prefix}_committee"
    everyone = ", ".join(_q(r) for r in (group, analyst, committee))
    tables = ("score_events", "score_chain_head", "score_meta", ACCESS_ROLES_TABLE, ACCESS_PAIRS_TABLE)
    for t in tables:
        x(f"REVOKE ALL ON {t} FROM PUBLIC, {everyone}")
    for t in ("score_events", ACCESS_ROLES_TABLE, ACCESS_PAIRS_TABLE):
        x(f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY")
    x("ALTER TABLE score_events FORCE ROW LEVEL SECURITY")
    # grants: reviewers and the analyst append (lock and move the chain head); the committee reads
    x(f"GRANT SELECT, INSERT ON score_events TO {_q(group)}, {_q(analyst)}")
    x(f"GRANT SELECT, UPDATE ON score_chain_head TO {_q(group)}, {_q(analyst)}")
    x(f"GRANT SELECT ON score_chain_head, score_meta, {ACCESS_ROLES_TABLE} TO {everyone}")
    x(f"GRANT SELECT ON {ACCESS_PAIRS_TABLE} TO {_q(group)}")
    if sees_comments:
        x(f"GRANT SELECT ON score_events TO {_q(committee)}")
    else:
        cols = [c for c in conn.execute(sa.text(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = 'score_events' ORDER BY ordinal_position")).scalars() if c != "comment"]
        x(f"GRANT SELECT ({', '.join(_q(c) for c in cols)}) ON score_events TO {_q(committee)}")
        # The analyst's records (decisions, eligibility, reopen reasons) keep their text in
        # ``comment``: the committee reads them through this view, with the reviewers'
        # comments (kind ``score``) blanked; it runs with the owner's rights.
        x(f"CREATE OR REPLACE VIEW {COMMITTEE_EVENTS_VIEW} WITH (security_barrier) AS SELECT "
          f"{', '.join(_q(c) for c in cols)}, CASE WHEN kind = 'score' THEN '' ELSE comment END AS comment "
          "FROM score_events")
        x(f"REVOKE ALL ON {COMMITTEE_EVENTS_VIEW} FROM PUBLIC, {everyone}")
        x(f"GRANT SELECT ON {COMMITTEE_EVENTS_VIEW} TO {_q(committee)}")

    own_role = f"(SELECT r.reviewer FROM {ACCESS_ROLES_TABLE} r WHERE r.db_role = current_user)"
    policies = {
        ACCESS_ROLES_TABLE: [
            ("access_roles_own", f"FOR SELECT TO {everyone} USING (db_role = current_user)"),
        ],
        ACCESS_PAIRS_TABLE: [
            ("access_pairs_own", f"FOR SELECT TO {_q(group)} USING (reviewer = {own_role})"),
        ],
        "score_events": [
            ("score_owner_all", f"FOR ALL TO {_q(owner)} USING (true) WITH CHECK (true)"),
            ("score_reviewer_read", f"FOR SELECT TO {_q(group)} USING (reviewer = {own_role})"),
            ("score_reviewer_write", (
                f"FOR INSERT TO {_q(group)} WITH CHECK (reviewer = {own_role} AND actor = reviewer "
                "AND kind IN ('score', 'submit') AND EXISTS (SELECT 1 FROM "
                f"{ACCESS_PAIRS_TABLE} p WHERE p.reviewer = score_events.reviewer "
                "AND p.application = score_events.application))")),
            ("score_analyst_read", f"FOR SELECT TO {_q(analyst)} USING (true)"),
            ("score_analyst_write", f"FOR INSERT TO {_q(analyst)} WITH CHECK (true)"),
            ("score_committee_read", f"FOR SELECT TO {_q(committee)} USING (true)"),
        ],
    }
    for table, rules in policies.items():
        for name in conn.execute(sa.text("SELECT policyname FROM pg_policies WHERE schemaname = current_schema() "
                                         "AND tablename = :t"), {"t": table}).scalars().all():
            x(f"DROP POLICY {_q(name)} ON {table}")
        for name, rule in rules:
            x(f"CREATE POLICY {name} ON {table} {rule}")
