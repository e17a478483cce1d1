"""The analyst's approval of the letters' drafts (``feedback --drafts FILE --approve``).

Until the drafts are approved every letter is a draft: its header says 案 and
「事務局の確認前」. ``--approve`` writes, beside the drafts file, ``<drafts>.approval.json``:
the SHA-256 of the drafts file as approved, who approved it and when (JST). The letters are
final only while the drafts file is byte for byte the approved one: an edit after the
approval makes them 案 again until it is approved anew.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from ..core.clock import now_jst
from ..core.errors import ShinsaError

__all__ = ["Approval", "approval_path", "approve_drafts", "approved"]


@dataclass(frozen=True)
class Approval:
    """One approval: the drafts' SHA-256, who approved and when (ISO 8601, JST)."""

    drafts_sha256: str
    approved_by: str
    approved_at: str


def approval_path(drafts: str | Path) -> Path:
    """``<drafts>.approval.json`` beside the drafts file."""
    p = Path(drafts)
    return p.with_name(p.name + ".approval.json")


def _digest(drafts: Path) -> str:
    return hashlib.sha256(drafts.read_bytes()).hexdigest()


def approve_drafts(drafts: str | Path, by: str) -> Approval:
    """Record that ``by`` approved the drafts file as it now is.

    Raises
    ------
    ShinsaError
        The drafts file does not exist, or ``by`` is empty.
    """
    p = Path(drafts)
    if not p.is_file():
        raise ShinsaError(
            f"講評の下書き {p} がありません。先に --drafts で下書きを作り、確認してから --approve を付けてください。"
        )
    if not by.strip():
        raise ShinsaError("承認した人の名前（--by）を指定してください。")
    a = Approval(_digest(p), by.strip(), now_jst().isoformat(timespec="seconds"))
    approval_path(p).write_text(json.dumps(a.__dict__, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return a


def approved(drafts: str | Path | None) -> Approval | None:
    """The approval in force for the drafts file, or None (no file, or the drafts changed since)."""
    if drafts is None:
        return None
    p = Path(drafts)
    a = approval_path(p)
    if not p.is_file() or not a.is_file():
        return None
    try:
        data = json.loads(a.read_text(encoding="utf-8"))
        approval = Approval(str(data["drafts_sha256"]), str(data["approved_by"]), str(data["approved_at"]))
    except (ValueError, KeyError, TypeError):
        return None
    return approval if approval.drafts_sha256 == _digest(p) else None
