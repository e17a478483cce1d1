"""The database refuses what no person could type: the round's rules as triggers.

The store checks every write against the round (:mod:`scoring.store.base`), but a reviewer's
kernel on a shared server can send SQL past it (with its own role, :mod:`scoring.admin.roles`),
and anyone can open a SQLite file. So the database itself refuses, on ``INSERT`` into
``score_events``, an event that the store could never have written:

* a ``kind`` that is not one of :data:`KINDS`;
* a score or revision for a criterion the rubric does not have, or with a score that is not a
  level of its scale (1000 points, 2.7 on a 1–5 scale, NaN, infinity); a revision without a
  score; a criterion or score on a submission, reopening or record;
* a ``timestamp`` that is not ISO 8601 with seconds and a UTC offset
  (``2026-12-07T03:04:05.123456+00:00``), names no real day, lies more than
  :data:`CLOCK_SKEW` in the future, or before the database was created (less the same skew);
* a ``comment`` longer than :data:`scoring.core.text.COMMENT_MAX` characters (a record
  of the old format, a decision or eligibility with its JSON in ``comment``, excepted) or with
  a control character other than tab and newline (:data:`scoring.core.text.CONTROL_PATTERN`).

SQLite gets one ``BEFORE INSERT`` trigger per rule (``RAISE(ABORT, …)``); PostgreSQL one
PL/pgSQL trigger function (``check_violation``, a Japanese message naming the event and the
value). The rules of a round (its criteria and scales, the database's creation time) are
written into the triggers; :func:`install_constraints` (re)writes them when the store is
opened by the database's owner (every SQLite store; on PostgreSQL ``db-setup``, which
opens it as the owner) and the rules differ from those installed (a fingerprint in
``score_meta``). Triggers only see new rows: an old store opens as before, and
:func:`value_problems` (called by ``audit``) names any row already in the log that breaks
the rules, e.g. one written before them or by the owner past them.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..core.canonical import sha256_hex
from ..core.errors import StoreError
from ..core.roundfacts import LEVEL_TOLERANCE, RoundFacts, format_level
from ..core.text import COMMENT_MAX, comment_problem, strip_controls

if TYPE_CHECKING:
    from .eventlog import EventLog

__all__ = [
    "CLOCK_SKEW",
    "CONSTRAINTS_KEY",
    "KINDS",
    "REFUSED_PREFIX",
    "install_constraints",
    "postgres_ddl",
    "readable_comment",
    "refuse_impossible_cells",
    "sqlite_ddl",
    "value_problems",
]

#: How far a timestamp may lie in the future (or before the database's creation): clocks differ.
CLOCK_SKEW = dt.timedelta(minutes=5)
#: Key in ``score_meta`` of the fingerprint of the installed rules.
CONSTRAINTS_KEY = "constraints"
#: The start of every refusal of these triggers (how :mod:`scoring.store.refusals` knows them).
REFUSED_PREFIX = "採点データベースが受け付けない値です"
#: The problem name of an impossible value in ``audit`` (:data:`scoring.core.columns.AUDIT_COLUMNS`).
PROBLEM = "不正な値"
#: Kinds of event: a score (or comment) for one criterion, a submission, a reopening,
#: the committee's decision (:mod:`scoring.round.decision`), the 事務局's eligibility
#: decisions (:mod:`scoring.round.eligibility_records`: 期限後受理, 訂正, 再提出, 辞退), and a
#: second-stage revision after the discussion (協議後の修正, :meth:`ScoreStore.revise`), and the
#: analyst's release of a pair that will not be submitted (免除 ``excuse``, 担当替え ``reassign``,
#: :meth:`ScoreStore.release`), and the analyst's approval of the letters' drafts
#: (``letters_approved``, :mod:`scoring.reporting.letter_approval`).
KINDS: tuple[str, ...] = (
    "score",
    "submit",
    "reopen",
    "decision",
    "eligibility",
    "revise",
    "excuse",
    "reassign",
    "letters_approved",
)
_CELL_KINDS = ("score", "revise")
_OLD_RECORDS = ("decision", "eligibility")  # before schema 2 their JSON was the comment
_TIME_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?([+-][0-9]{2}:[0-9]{2}|Z)$"
_TIME = re.compile(_TIME_RE)
_PG_LOCK = 73_656_903  # advisory lock: one installation at a time


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _in(values: Iterable[str]) -> str:
    return "(" + ", ".join(_lit(v) for v in values) + ")"


def _score_ok(facts: RoundFacts, score: str, criterion: str, false: str) -> str:
    """SQL: ``score`` is a level of ``criterion``'s scale (within the store's tolerance)."""
    whens = []
    for c in facts.criteria:
        levels = " OR ".join(
            f"abs({score} - ({float(lv)!r})) <= {LEVEL_TOLERANCE * max(1.0, abs(float(lv)))!r}"
            for lv in c.levels
        )
        whens.append(f"WHEN {_lit(c.id)} THEN ({levels})")
    return f"(CASE {criterion} {' '.join(whens)} ELSE {false} END)"


def _created(created_at: str) -> dt.datetime | None:
    try:
        ts = dt.datetime.fromisoformat(created_at)
    except ValueError:
        return None
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=dt.timezone.utc)


def _why(what: str) -> str:
    return f"{REFUSED_PREFIX}: {what}"


def sqlite_ddl(facts: RoundFacts, created_at: str) -> list[str]:
    """The statements that (re)create the triggers of ``facts`` on SQLite."""
    skew = CLOCK_SKEW.total_seconds() / 86400.0
    ctrl = "'*[' || char(1) || '-' || char(8) || char(11) || '-' || char(31) || char(127) || '-' || char(159) || ']*'"
    since = (
        f" OR julianday(NEW.timestamp) < julianday({_lit(created_at)}) - {skew!r}"
        if _created(created_at)
        else ""
    )
    cells = _in(_CELL_KINDS)
    rules = {
        "kind": (f"NEW.kind NOT IN {_in(KINDS)}", "種類（kind）がありません"),
        "criterion": (
            f"NEW.kind IN {cells} AND (NEW.criterion IS NULL OR NEW.criterion NOT IN {_in(facts.criterion_ids)})",
            f"評価基準（版 {facts.rubric_version}）にない評価項目です",
        ),
        "score": (
            f"NEW.kind IN {cells} AND NEW.score IS NOT NULL AND NOT {_score_ok(facts, 'NEW.score', 'NEW.criterion', '0')}",
            "点数が評価項目の尺度の段階ではありません",
        ),
        "shape": (
            (
                f"(NEW.kind = 'revise' AND NEW.score IS NULL) OR (NEW.kind NOT IN {cells} "
                "AND (NEW.score IS NOT NULL OR NEW.criterion IS NOT NULL))"
            ),
            "この種類の記録には点数・評価項目を書けません（協議後の修正には点数が必要です）",
        ),
        "time": (
            (
                f"NOT (NEW.timestamp GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*' "
                "AND (NEW.timestamp GLOB '*[+-][0-9][0-9]:[0-9][0-9]' OR NEW.timestamp GLOB '*Z') "
                "AND julianday(NEW.timestamp) IS NOT NULL "
                "AND date(julianday(substr(NEW.timestamp, 1, 10))) = substr(NEW.timestamp, 1, 10)) "
                f"OR julianday(NEW.timestamp) > julianday('now') + {skew!r}{since}"
            ),
            "記録時刻（timestamp）が ISO 8601 の時刻でないか、未来か、データベースの作成より前です",
        ),
        "comment": (
            (
                f"(length(NEW.comment) > {COMMENT_MAX} AND NOT (NEW.kind IN {_in(_OLD_RECORDS)} AND NEW.payload IS NULL)) "
                f"OR instr(CAST(NEW.comment AS BLOB), x'00') > 0 OR NEW.comment GLOB {ctrl}"
            ),
            f"コメントが {COMMENT_MAX} 文字を超えるか、制御文字（タブ・改行以外）を含んでいます",
        ),
    }
    out = []
    for name, (when, why) in rules.items():
        trigger = f"score_events_valid_{name}"
        out.append(f"DROP TRIGGER IF EXISTS {trigger}")
        out.append(
            f"CREATE TRIGGER {trigger} BEFORE INSERT ON score_events WHEN {when} "
            f"BEGIN SELECT RAISE(ABORT, {_lit(_why(why))}); END"
        )
    return out


def postgres_ddl(facts: RoundFacts, created_at: str) -> list[str]:
    """The statements that (re)create the trigger function and trigger of ``facts`` on PostgreSQL."""
    skew = f"interval '{int(CLOCK_SKEW.total_seconds())} seconds'"
    cells = _in(_CELL_KINDS)
    since = (
        f"ELSIF ts < {_lit(created_at)}::timestamptz - {skew} THEN "
        "why := '記録時刻 ' || NEW.timestamp || ' はデータベースの作成より前です';"
        if _created(created_at)
        else ""
    )
    scales = "、".join(
        f"{c.id}: {format_level(c.scale_min)}〜{format_level(c.scale_max)}（{format_level(c.scale_step)} 刻み）"
        for c in facts.criteria
    )
    body = f"""
DECLARE ts timestamptz; why text := NULL;
BEGIN
  IF NEW.kind IS NULL OR NEW.kind NOT IN {_in(KINDS)} THEN
    why := '種類（kind）「' || coalesce(NEW.kind, '') || '」はありません';
  ELSIF NEW.kind IN {cells} AND (NEW.criterion IS NULL OR NEW.criterion NOT IN {_in(facts.criterion_ids)}) THEN
    why := '評価項目「' || coalesce(NEW.criterion, '') || '」は評価基準（版 ' || {_lit(facts.rubric_version)} || '）にありません';
  ELSIF NEW.kind IN {cells} AND NEW.score IS NOT NULL
        AND NOT {_score_ok(facts, "NEW.score", "NEW.criterion", "false")} THEN
    why := '評価項目「' || NEW.criterion || '」に ' || NEW.score || ' 点は記録できません（尺度 ' || {_lit(scales)} || '）';
  ELSIF NEW.kind = 'revise' AND NEW.score IS NULL THEN
    why := '協議後の修正に点数がありません';
  ELSIF NEW.kind NOT IN {cells} AND (NEW.score IS NOT NULL OR NEW.criterion IS NOT NULL) THEN
    why := '種類「' || NEW.kind || '」の記録には点数・評価項目を書けません';
  ELSIF char_length(NEW.comment) > {COMMENT_MAX} AND NOT (NEW.kind IN {_in(_OLD_RECORDS)} AND NEW.payload IS NULL) THEN
    why := 'コメントが長すぎます（' || char_length(NEW.comment) || ' 文字、{COMMENT_MAX} 文字まで）';
  ELSIF NEW.comment ~ '[\\x01-\\x08\\x0b-\\x1f\\x7f-\\x9f]' THEN
    why := 'コメントに制御文字（タブ・改行以外）が入っています';
  ELSIF NEW.timestamp IS NULL OR NEW.timestamp !~ {_lit(_TIME_RE)} THEN
    why := '記録時刻「' || coalesce(left(NEW.timestamp, 40), '') || '」は ISO 8601 の時刻（例 2026-12-07T03:04:05+00:00）ではありません';
  END IF;
  IF why IS NULL THEN
    BEGIN
      ts := NEW.timestamp::timestamptz;
    EXCEPTION WHEN others THEN
      why := '記録時刻「' || NEW.timestamp || '」はありえない日時です';
    END;
  END IF;
  IF why IS NOT NULL THEN
    NULL;
  ELSIF ts > now() + {skew} THEN
    why := '記録時刻 ' || NEW.timestamp || ' は未来です';
  {since}
  END IF;
  IF why IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'check_violation',
      MESSAGE = {_lit(REFUSED_PREFIX)} || ': イベント ' || NEW.id || ' の' || why;
  END IF;
  RETURN NEW;
END"""
    return [
        f"CREATE OR REPLACE FUNCTION score_events_valid() RETURNS trigger LANGUAGE plpgsql AS $shinsa${body}$shinsa$",
        "DROP TRIGGER IF EXISTS score_events_valid ON score_events",
        (
            "CREATE TRIGGER score_events_valid BEFORE INSERT ON score_events FOR EACH ROW "
            "EXECUTE FUNCTION score_events_valid()"
        ),
    ]


def _installed(conn: sa.Connection) -> str:
    value = conn.execute(
        sa.text("SELECT value FROM score_meta WHERE key = :k"), {"k": CONSTRAINTS_KEY}
    ).scalar()
    return "" if value is None else str(value)


def install_constraints(log: EventLog, facts: RoundFacts, *, force: bool = False) -> bool:
    """Write the triggers of ``facts`` into the database of ``log`` unless the same are there.

    Only the database's owner may (SQLite: whoever opens the file); returns whether it wrote.

    Raises
    ------
    StoreError
        The database refused (not the owner of the tables, or unreachable).
    """
    ddl = sqlite_ddl(facts, log.created_at) if log.sqlite else postgres_ddl(facts, log.created_at)
    fingerprint = sha256_hex(ddl)
    if not force:
        with log.transaction(write=False) as conn:
            if _installed(conn) == fingerprint:
                return False
    with log.transaction(write=True, what="採点データベースの制約") as conn:
        if not log.sqlite:
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
        if _installed(conn) == fingerprint and not force:
            return False
        raw = conn.connection.dbapi_connection
        assert raw is not None
        cur = raw.cursor()
        try:
            for statement in ddl:
                cur.execute(statement)  # no parameters: the text is sent as it is
        finally:
            cur.close()
        conn.execute(sa.text("DELETE FROM score_meta WHERE key = :k"), {"k": CONSTRAINTS_KEY})
        conn.execute(
            sa.text("INSERT INTO score_meta (key, value) VALUES (:k, :v)"),
            {"k": CONSTRAINTS_KEY, "v": fingerprint},
        )
    return True


# ---------------------------------------------------------------------------- rows already in the log


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _time_problem(value: object, since: dt.datetime | None, now: dt.datetime) -> str:
    text = "" if value is None else str(value)
    shown = text if len(text) <= 40 else text[:40] + "…"
    if not _TIME.match(text):
        return f"記録時刻「{shown}」は ISO 8601 の時刻ではありません"
    try:
        ts = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return f"記録時刻「{shown}」はありえない日時です"
    if ts > now + CLOCK_SKEW:
        return f"記録時刻 {text} は未来です"
    if since is not None and ts < since - CLOCK_SKEW:
        return f"記録時刻 {text} はデータベースの作成（{since.isoformat()}）より前です"
    return ""


def _cell_problem(ev: Mapping[str, Any], facts: RoundFacts) -> str:
    kind, criterion, score = ev.get("kind"), ev.get("criterion"), ev.get("score")
    if kind not in KINDS:
        return f"種類（kind）「{kind}」はありません"
    if kind not in _CELL_KINDS:
        if not _missing(score) or not _missing(criterion):
            return f"種類「{kind}」の記録に点数・評価項目が書かれています"
        return ""
    crit = facts.criterion(criterion) if isinstance(criterion, str) else None
    if crit is None:
        return f"評価項目「{criterion}」は評価基準（版 {facts.rubric_version}）にありません"
    if _missing(score):
        return "協議後の修正に点数がありません" if kind == "revise" else ""
    if not crit.is_allowed(score):
        levels = "、".join(format_level(x) for x in crit.levels)
        return (
            f"評価項目「{crit.label_ja}」（{crit.id}）の点数 {score} は尺度の段階（{levels}）ではありません"
        )
    return ""


def _event_problem(
    ev: Mapping[str, Any], facts: RoundFacts, since: dt.datetime | None, now: dt.datetime
) -> str:
    why = _cell_problem(ev, facts) or _time_problem(ev.get("timestamp"), since, now)
    if why:
        return why
    comment = ev.get("comment")
    comment = "" if _missing(comment) else str(comment)
    if ev.get("kind") in _OLD_RECORDS and _missing(ev.get("payload")):
        comment = comment[:COMMENT_MAX]  # the old format's JSON: no length limit
    return comment_problem(comment, field="コメント").rstrip("。")


def value_problems(
    events: Iterable[Mapping[str, Any]], facts: RoundFacts, created_at: str, *, now: dt.datetime | None = None
) -> list[tuple[int, str, str]]:
    """The events of the log the database's rules refuse (``(event_id, "不正な値", message)``).

    What the triggers of this module refuse today, checked in Python on every row, old or new:
    ``audit`` names such a row instead of signing it.
    """
    since = _created(created_at)
    now = now or dt.datetime.now(dt.timezone.utc)
    out = []
    for ev in events:
        why = _event_problem(ev, facts, since, now)
        if why:
            eid = int(ev["id"])
            out.append(
                (
                    eid,
                    PROBLEM,
                    (
                        f"イベント {eid}（審査員 {ev.get('reviewer') or '—'}、応募 {ev.get('application') or '—'}）: "
                        f"{why}。採点データベースはこの値を受け付けないため、データベースを通さずに書かれています。"
                    ),
                )
            )
    return out


def readable_comment(comment: object) -> str:
    """A comment as the analysis reads it: a control character of a row written past the rules
    (an old store) removed, a vertical tab as a newline, so that the committee material and the
    Excel sheets can hold it. ``audit`` still names the row (:func:`value_problems`)."""
    return strip_controls(str(comment)) if isinstance(comment, str) else ""


def refuse_impossible_cells(rows: Iterable[tuple[Any, ...]], facts: RoundFacts) -> None:
    """Refuse to read scores (``report``, ``select``…) that hold an impossible cell: a score
    off the scale, an unknown criterion, a timestamp that is no time, a comment over the limit
    (one of 10 MB made ``report`` run for 15 minutes).

    ``rows`` are :meth:`ScoreReads._latest_rows` tuples (application, reviewer, criterion,
    score, comment, timestamp, …, kind last).

    Raises
    ------
    StoreError
        Naming the first such cell and what to do (``python -m scoring audit``).
    """
    now = dt.datetime.now(dt.timezone.utc)
    for a, r, c, s, m, t, *_rest, kind in rows:
        ev = {"kind": kind, "criterion": c, "score": s, "comment": m, "timestamp": t}
        why = _cell_problem(ev, facts) or _time_problem(t, None, now + dt.timedelta(days=36500))
        if not why and isinstance(m, str) and len(m) > COMMENT_MAX:
            why = f"評価項目「{c}」のコメントが {len(m):,} 文字あり、{COMMENT_MAX:,} 文字を超えています"
        if why:
            raise StoreError(
                f"採点データベースに記録できないはずの値があります（審査員 {r} の応募 {a}、{why}）。"
                "集計を止めました。事務局が python -m scoring audit で記録を確かめてください"
                "（データベースを通さずに書き込まれた行です）。"
            )
