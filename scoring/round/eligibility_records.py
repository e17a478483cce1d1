"""Eligibility decisions (受付の判断): late acceptance, correction, resubmission, withdrawal, プッシュ型.

Each decision of the 事務局 on the receipt of an application is a record of kind
``"eligibility"`` in the round's score store (:meth:`scoring.store.scores.ScoreStore.append_record`): append-only, in
the same SHA-256 hash chain as the scores and the committee's decision, anchored by a
signed checkpoint, so ``python -m scoring audit`` detects one altered or removed afterwards.
Nothing is ever changed in place: a withdrawal recorded by mistake is undone by a later
``reinstate`` event, and both stay in the log.

The event: ``application`` = the JIS code, ``reviewer`` empty, ``actor`` = who recorded it,
``timestamp`` = when, ``payload`` = the JSON object below (:meth:`EligibilityRecord.to_payload`;
records written before the store's schema version 2 kept it in ``comment``)::

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
``push`` (プッシュ型（総務省の決定）)
    総務省 chose the prefecture itself (プッシュ型): the deadline does not apply and it counts
    towards the プッシュ型 caps. Without this record a form that says プッシュ型 is treated
    as 手上げ式 (a prefecture cannot exempt itself from the deadline by typing it).
    ``python -m scoring push-candidate`` records it when it writes the form.

How the decisions take effect on the round (the ``late`` / ``withdrawn`` columns, the
problems, the status table, the rules of :func:`scoring.round.eligibility.record_eligibility`)
is :mod:`scoring.round.eligibility`. This module reads and writes the records;
:func:`read_eligibility_at` reads them without opening (or creating) a store, for
:func:`scoring.round.load_round`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..core.clock import JST, to_jst
from ..core.columns import ELIGIBILITY_LOG_COLUMNS
from ..core.errors import StoreError
from ..store.eventlog import read_records_at
from ..store.scores import ScoreStore

__all__ = [
    "ELIGIBILITY_ACTIONS",
    "ELIGIBILITY_KIND",
    "EligibilityRecord",
    "eligibility_log",
    "read_eligibility",
    "read_eligibility_at",
    "record_eligibility_event",
    "recorded_files",
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
    "push": "プッシュ型（総務省の決定）",
}
_PAYLOAD_VERSION = 1


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
        when = to_jst(self.recorded_at).strftime("%Y/%m/%d %H:%M")
        return f"{self.action_ja}（{self.by}、{when} 記録: {self.reason}）"

    def to_payload(self) -> dict[str, Any]:
        """The content stored in the record's ``payload`` (the store writes it as canonical JSON)."""
        return {
            "version": _PAYLOAD_VERSION,
            "action": self.action,
            "file": self.file,
            "reason": self.reason,
            "original_received": self.original_received.isoformat() if self.original_received else None,
        }

    @classmethod
    def from_record(cls, event: Mapping[str, Any], data: Mapping[str, Any]) -> EligibilityRecord:
        """Rebuild a record from a record of the store (:meth:`ScoreStore.records`: the event
        row and its content)."""
        original = data.get("original_received")
        try:
            orig = dt.datetime.fromisoformat(str(original)) if original else None
        except ValueError as e:
            raise StoreError(
                f"受付の判断の記録（イベント {event.get('id')}）の元の受付日時を読めません: {e}"
            ) from e
        ts = pd.Timestamp(event["timestamp"])
        ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
        return cls(
            action=str(data.get("action", "")),
            application=str(event.get("application", "")),
            by=str(event.get("actor", "")),
            reason=str(data.get("reason", "")),
            recorded_at=ts.to_pydatetime(),
            file=str(data.get("file") or ""),
            original_received=orig,
            event_id=int(event["id"]),
        )


def read_eligibility(store: ScoreStore) -> list[EligibilityRecord]:
    """Every eligibility decision recorded in ``store``, oldest first."""
    return [EligibilityRecord.from_record(ev, data) for ev, data in store.records(ELIGIBILITY_KIND)]


def record_eligibility_event(store: ScoreStore, record: EligibilityRecord) -> EligibilityRecord:
    """Append ``record`` (already checked against the round) to ``store``; as recorded.

    Raises
    ------
    StoreError
        The reason is empty, or the store refuses it (:meth:`ScoreStore.append_record`).
    """
    if not record.reason.strip():
        raise StoreError(
            "受付の判断に理由がないため、記録できません。理由を入力してください（記録に残ります）。"
        )
    eid = store.append_record(
        ELIGIBILITY_KIND, application=record.application, payload=record.to_payload(), by=record.by
    )
    return next(r for r in read_eligibility(store) if r.event_id == eid)


def read_eligibility_at(url: str, round_name: str) -> list[EligibilityRecord]:
    """The eligibility decisions in the store at ``url``, read without creating anything.

    A SQLite file that does not exist, a database without the store's tables, or one that
    belongs to another round gives ``[]`` (:func:`scoring.store.eventlog.read_records_at`).

    Raises
    ------
    StoreError
        The database exists but cannot be read (server down, permissions), or a record
        cannot be read.
    """
    return [
        EligibilityRecord.from_record(ev, data)
        for ev, data in read_records_at(
            url, round_name, ELIGIBILITY_KIND, what="受付の判断（期限後受理・訂正・辞退など）"
        )
    ]


def recorded_files(records: Sequence[EligibilityRecord]) -> dict[str, list[str]]:
    """Application → the files its corrections and resubmissions name, oldest first.

    What :func:`scoring.intake.applications.read_applications` reads (``recorded``) to choose,
    among files of one prefecture with the same 提出日時, the one that counts.
    """
    out: dict[str, list[str]] = {}
    for r in records:
        if r.action in ("correction", "resubmission") and r.file:
            out.setdefault(r.application, []).append(r.file)
    return out


def eligibility_log(
    records: Sequence[EligibilityRecord], names: Mapping[str, str] | None = None
) -> pd.DataFrame:
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
        return pd.Timestamp(t).tz_convert(JST).tz_localize(None) if t is not None else pd.NaT

    rows = [
        {
            "event_id": r.event_id,
            "recorded_at": jst(r.recorded_at),
            "action": r.action_ja,
            "application": r.application,
            "prefecture_name": names.get(r.application, ""),
            "file": r.file,
            "original_received": jst(r.original_received),
            "by": r.by,
            "reason": r.reason,
        }
        for r in records
    ]
    df = pd.DataFrame(rows, columns=list(ELIGIBILITY_LOG_COLUMNS))
    for c in ("recorded_at", "original_received"):
        df[c] = pd.to_datetime(df[c])
    return df
