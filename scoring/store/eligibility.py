"""Eligibility decisions (受付の判断): late acceptance, correction, resubmission, withdrawal.

Each decision of the 事務局 on the receipt of an application is an event of kind
``"eligibility"`` in the round's score store (:mod:`scoring.store.scores`): append-only, in
the same SHA-256 hash chain as the scores and the committee's decision, anchored by a
signed checkpoint, so ``python -m scoring audit`` detects one altered or removed afterwards.
Nothing is ever changed in place: a withdrawal recorded by mistake is undone by a later
``reinstate`` event, and both stay in the log.

The event: ``application`` = the JIS code, ``reviewer`` empty, ``actor`` = who recorded it,
``timestamp`` = when, ``comment`` = the JSON payload below (:meth:`EligibilityRecord.to_payload`)::

    {"version": 1, "action": "correction", "file": "20_nagano_v2.xlsx",
     "original_received": "2026-02-20T16:40:00+09:00", "reason": "..."}

Actions (:data:`ELIGIBILITY_ACTIONS`):

``accept_late`` (期限後受理)
    A late application (期限後提出) is accepted: it is reviewed and may be selected.
``correction`` (訂正)
    The file ``file`` corrects an earlier submission: its receipt time is the original
    one (``original_received``), so a correction sent after the deadline is not late.
``resubmission`` (再提出)
    The file ``file`` replaces an earlier submission (its own receipt time counts).
``withdraw`` (辞退・取下げ)
    The prefecture withdrew: the application is 対象外 everywhere.
``reinstate`` (辞退の取消)
    A withdrawal is undone (e.g. recorded by mistake).

How the decisions take effect on the round (the ``late`` / ``withdrawn`` columns, the
problems, the status table) is :mod:`scoring.round.eligibility`. This module only writes
and reads the events; :func:`read_eligibility_at` reads them without opening (or creating)
a store, for :func:`scoring.round.load_round`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pandas as pd
import sqlalchemy as sa

from ..core.columns import ELIGIBILITY_LOG_COLUMNS
from ..core.errors import StoreError
from .scores import COMMITTEE_EVENTS_VIEW

if TYPE_CHECKING:
    from .scores import ScoreStore

__all__ = [
    "ELIGIBILITY_ACTIONS",
    "ELIGIBILITY_KIND",
    "EligibilityRecord",
    "eligibility_log",
    "read_eligibility",
    "read_eligibility_at",
]

#: ``kind`` of an eligibility event in the score store.
ELIGIBILITY_KIND = "eligibility"
#: The actions, with their Japanese names (as the CLI and the tables show them).
ELIGIBILITY_ACTIONS: dict[str, str] = {
    "accept_late": "期限後受理",
    "correction": "訂正",
    "resubmission": "再提出",
    "withdraw": "辞退",
    "reinstate": "辞退の取消",
}
_PAYLOAD_VERSION = 1
_JST = dt.timezone(dt.timedelta(hours=9))


@dataclass(frozen=True)
class EligibilityRecord:
    """One recorded eligibility decision.

    Attributes
    ----------
    action : str
        A key of :data:`ELIGIBILITY_ACTIONS`.
    application : str
        The application (JIS code).
    by : str
        Who recorded it (the 事務局's name).
    reason : str
        Why (required; free text).
    recorded_at : datetime
        When (UTC, timezone-aware).
    file : str
        The 応募書 file the decision is about ("" = whichever file is in use).
    original_received : datetime or None
        For a correction: the receipt time of the original submission (aware).
    event_id : int or None
        Id of the event in the score store (None before it is recorded).
    """

    action: str
    application: str
    by: str
    reason: str
    recorded_at: dt.datetime
    file: str = ""
    original_received: dt.datetime | None = None
    event_id: int | None = None

    @property
    def action_ja(self) -> str:
        """The action in Japanese (期限後受理, 訂正, …)."""
        return ELIGIBILITY_ACTIONS.get(self.action, self.action)

    def summary_ja(self) -> str:
        """One Japanese line: 「訂正（山田, 2026/02/21 10:00 記録: 理由）」."""
        when = self.recorded_at.astimezone(_JST).strftime("%Y/%m/%d %H:%M")
        return f"{self.action_ja}（{self.by}、{when} 記録: {self.reason}）"

    def to_payload(self) -> str:
        """The JSON text stored in the event's ``comment`` (sorted keys, UTF-8)."""
        data = {"version": _PAYLOAD_VERSION, "action": self.action, "file": self.file, "reason": self.reason,
                "original_received": self.original_received.isoformat() if self.original_received else None}
        return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> EligibilityRecord:
        """Rebuild a record from a score-store event (a row of ``ScoreStore.events()``)."""
        try:
            data = json.loads(str(event["comment"]))
        except (TypeError, ValueError) as e:
            raise StoreError(f"受付の判断の記録（イベント {event.get('id')}）を読めません: {e}") from e
        if not isinstance(data, dict):
            raise StoreError(f"受付の判断の記録（イベント {event.get('id')}）を読めません: JSON のオブジェクトではありません")
        original = data.get("original_received")
        try:
            orig = dt.datetime.fromisoformat(str(original)) if original else None
        except ValueError as e:
            raise StoreError(f"受付の判断の記録（イベント {event.get('id')}）の元の受付日時を読めません: {e}") from e
        ts = pd.Timestamp(event["timestamp"])
        ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
        return cls(action=str(data.get("action", "")), application=str(event.get("application", "")),
                   by=str(event.get("actor", "")), reason=str(data.get("reason", "")),
                   recorded_at=ts.to_pydatetime(), file=str(data.get("file") or ""),
                   original_received=orig, event_id=int(event["id"]))


def read_eligibility(store: ScoreStore) -> list[EligibilityRecord]:
    """Every eligibility decision recorded in ``store``, oldest first."""
    events = store.events()
    rows = events.loc[events["kind"] == ELIGIBILITY_KIND]
    return [EligibilityRecord.from_event(cast("dict[str, Any]", r)) for r in rows.to_dict("records")]


def read_eligibility_at(url: str, round_name: str) -> list[EligibilityRecord]:
    """The eligibility decisions in the store at ``url``, read without creating anything.

    A SQLite file that does not exist, a database without the store's tables, or one that
    belongs to another round (its ``score_meta`` names another round; opening the store
    then refuses it with its own message) gives ``[]``.

    Raises
    ------
    StoreError
        The database exists but cannot be read (server down, permissions).
    """
    u = sa.engine.make_url(url)
    if u.get_backend_name() == "sqlite":
        db = u.database or ""
        if not db or db == ":memory:" or db.startswith("file:") or not Path(db).is_file():
            return []
    elif u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    engine = sa.create_engine(u)
    try:
        with engine.connect() as conn:
            insp = sa.inspect(conn)
            if not (insp.has_table("score_events") and insp.has_table("score_meta")):
                return []
            name = conn.execute(sa.text("SELECT value FROM score_meta WHERE key = 'round_name'")).scalar()
            if name is not None and name != round_name:
                return []
            table = "score_events"
            if conn.dialect.name == "postgresql" and not conn.execute(sa.text(
                    "SELECT has_column_privilege('score_events', 'comment', 'SELECT')")).scalar():
                table = COMMITTEE_EVENTS_VIEW  # the committee's role (scoring.admin.roles)
            rows = conn.execute(sa.text(
                f"SELECT id, timestamp, application, comment, actor FROM {table} "
                "WHERE kind = :k ORDER BY id"), {"k": ELIGIBILITY_KIND}).mappings().all()
    except sa.exc.SQLAlchemyError as e:
        shown = u.render_as_string(hide_password=True)
        raise StoreError(f"採点データベース（{shown}）から受付の判断（期限後受理・訂正・辞退など）を読めません: "
                         f"{str(e).splitlines()[0][:200]}。サーバーの起動状態、SCORING_DATABASE_URL、"
                         "ファイルの権限を確認してください。") from e
    finally:
        engine.dispose()
    return [EligibilityRecord.from_event(dict(r)) for r in rows]


def eligibility_log(records: Sequence[EligibilityRecord], names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The recorded decisions as a table, oldest first.

    Returns
    -------
    DataFrame
        Columns :data:`~scoring.core.columns.ELIGIBILITY_LOG_COLUMNS`: ``event_id``,
        ``recorded_at`` and ``original_received`` (Japan time, naive, NaT when none),
        ``action`` (Japanese), ``application``, ``prefecture_name``, ``file``, ``by``,
        ``reason``; RangeIndex.
    """
    names = names or {}

    def jst(t: dt.datetime | None) -> object:
        return pd.Timestamp(t).tz_convert("Asia/Tokyo").tz_localize(None) if t is not None else pd.NaT

    rows = [{"event_id": r.event_id, "recorded_at": jst(r.recorded_at), "action": r.action_ja,
             "application": r.application, "prefecture_name": names.get(r.application, ""), "file": r.file,
             "original_received": jst(r.original_received), "by": r.by, "reason": r.reason} for r in records]
    df = pd.DataFrame(rows, columns=list(ELIGIBILITY_LOG_COLUMNS))
    for c in ("recorded_at", "original_received"):
        df[c] = pd.to_datetime(df[c])
    return df
