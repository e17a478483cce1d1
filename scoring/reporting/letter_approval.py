"""The analyst's approval of the letters' drafts (``feedback --drafts FILE --approve``).

Until the drafts are approved every letter is a draft: its header says 案 and
「事務局の確認前」. ``--approve --by NAME`` is a recorded decision, like the 事務局's
eligibility decisions (:mod:`scoring.round.eligibility_records`): a record of kind
:data:`APPROVAL_KIND` in the round's score store
(:meth:`scoring.store.scores.ScoreStore.append_record`), in the same SHA-256 hash chain as
the scores and anchored by a signed checkpoint, so ``python -m scoring audit`` detects one
altered, removed or added past the store. The event: ``actor`` = who approved,
``timestamp`` = when, ``payload`` = ``{"version": 1, "drafts_sha256": …, "drafts_file": …}``
(the SHA-256 of the drafts file as approved, and its file name for the reader).

The letters are final only while the drafts file is byte for byte the one of the *latest*
approval in the store: an edit after the approval makes them 案 again until it is approved
anew. A ``<drafts>.approval.json`` beside the drafts (what earlier versions wrote) is a file,
not a record: it is never trusted, and :func:`approval_warning` tells to approve again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.clock import to_jst
from ..core.errors import ShinsaError
from ..store.scores import ScoreStore

__all__ = [
    "APPROVAL_KIND",
    "Approval",
    "approval_path",
    "approval_warning",
    "approve_drafts",
    "approved",
    "drafts_digest",
    "read_approvals",
]

#: ``kind`` of an approval of the letters' drafts in the score store.
APPROVAL_KIND = "letters_approved"
_PAYLOAD_VERSION = 1


@dataclass(frozen=True)
class Approval:
    """One recorded approval: the drafts' SHA-256, who approved and when (ISO 8601, JST)."""

    drafts_sha256: str
    approved_by: str
    approved_at: str
    drafts_file: str = ""
    event_id: int | None = None

    @classmethod
    def from_record(cls, event: Mapping[str, Any], data: Mapping[str, Any]) -> Approval:
        """Rebuild an approval from a record of the store (:meth:`ScoreStore.records`)."""
        ts = pd.Timestamp(event["timestamp"])
        ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts
        return cls(
            drafts_sha256=str(data.get("drafts_sha256", "")),
            approved_by=str(event.get("actor", "")),
            approved_at=to_jst(ts.to_pydatetime()).isoformat(timespec="seconds"),
            drafts_file=str(data.get("drafts_file") or ""),
            event_id=int(event["id"]),
        )


def approval_path(drafts: str | Path) -> Path:
    """``<drafts>.approval.json`` beside the drafts file: what earlier versions wrote (not trusted)."""
    p = Path(drafts)
    return p.with_name(p.name + ".approval.json")


def drafts_digest(drafts: str | Path) -> str:
    """The SHA-256 (hex) of the drafts file's bytes."""
    return hashlib.sha256(Path(drafts).read_bytes()).hexdigest()


def read_approvals(store: ScoreStore) -> list[Approval]:
    """Every recorded approval of the letters' drafts in ``store``, oldest first."""
    return [Approval.from_record(ev, data) for ev, data in store.records(APPROVAL_KIND)]


def approve_drafts(store: ScoreStore, drafts: str | Path, by: str) -> Approval:
    """Record in ``store`` that ``by`` approved the drafts file as it now is; the approval.

    Raises
    ------
    ShinsaError
        The drafts file does not exist, or ``by`` is empty.
    StoreError
        The store refuses the record (a reviewer's database role, the database unreachable).
    """
    p = Path(drafts)
    if not p.is_file():
        raise ShinsaError(
            f"講評の下書き {p} がありません。先に --drafts で下書きを作り、確認してから --approve を付けてください。"
        )
    if not by.strip():
        raise ShinsaError("承認した人の名前（--by）を指定してください。")
    payload = {"version": _PAYLOAD_VERSION, "drafts_sha256": drafts_digest(p), "drafts_file": p.name}
    eid = store.append_record(APPROVAL_KIND, payload=payload, by=by.strip())
    return next(a for a in read_approvals(store) if a.event_id == eid)


def approved(drafts: str | Path | None, approvals: Sequence[Approval]) -> Approval | None:
    """The approval in force for the drafts file, or None.

    Only the latest recorded approval counts, and only while the drafts file is byte for byte
    the one it approved (None: no drafts file, no approval, or the drafts changed since).
    """
    if drafts is None or not approvals or not Path(drafts).is_file():
        return None
    latest = approvals[-1]
    return latest if latest.drafts_sha256 == drafts_digest(drafts) else None


def approval_warning(drafts: str | Path | None, approval: Approval | None) -> str:
    """The Japanese warning for an old ``<drafts>.approval.json`` with no recorded approval in
    force ("" when there is none, or the drafts are approved in the store)."""
    if drafts is None or approval is not None or not approval_path(drafts).is_file():
        return ""
    return (
        f"{approval_path(drafts)} は承認の記録ではないため使いません（採点データベースに承認の記録が"
        "ありません）。講評は「案」のままです。下書きを確認し、--approve --by 名前 を付けて"
        "もう一度承認してください。"
    )
