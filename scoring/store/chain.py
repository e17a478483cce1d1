"""The hash chain of the event log: each event's SHA-256 over its canonical fields, and
what is wrong with a chain read back (:func:`chain_problems`).

Split from :mod:`scoring.store.eventlog`, which re-exports every public name here; the chain
knows nothing of databases (the event log writes and reads the rows).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..core.canonical import sha256_hex

__all__ = ["GENESIS_HASH", "canonical_score", "chain_problems", "event_hash"]

#: ``prev_hash`` of the first event.
GENESIS_HASH = "0" * 64
_HASHED = (
    "id",
    "timestamp",
    "kind",
    "reviewer",
    "application",
    "criterion",
    "score",
    "comment",
    "rubric_version",
    "source",
    "actor",
    "prev_hash",
)


def canonical_score(score: object) -> str | None:
    """A score as hashed: Python's shortest round-trip ``repr`` of the float; None for none or NaN."""
    if score is None:
        return None
    value = float(score)  # type: ignore[arg-type]
    return None if math.isnan(value) else repr(value)


def event_hash(event: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of an event's canonical fields, ``prev_hash`` included.

    The canonical form is :func:`scoring.core.canonical.canonical_bytes` of :data:`EVENT_COLUMNS` minus ``hash``:
    ``score`` as Python's shortest round-trip ``repr`` of the float (or ``null``), ``id``
    as an integer, everything else as stored text. ``payload`` enters only when it is
    present and not ``NULL`` (so hashes written before schema version 2 are unchanged).
    """
    fields: dict[str, object] = {}
    for key in _HASHED:
        value = event[key]
        if key == "id":
            fields[key] = int(value)
        elif key == "score":
            fields[key] = canonical_score(value)
        else:
            fields[key] = None if value is None else str(value)
    payload = event.get("payload")
    if payload is not None and not (isinstance(payload, float) and math.isnan(payload)):  # NaN: pandas' NULL
        fields["payload"] = str(payload)
    return sha256_hex(fields)


def _range_text(lo: int, hi: int) -> str:
    return f"イベント {lo}" if lo == hi else f"イベント {lo}〜{hi}（{hi - lo + 1} 件）"


def chain_problems(rows: list[dict[str, Any]], head: tuple[int, str] | None) -> list[tuple[int, str, str]]:
    """What is wrong with the chain itself: ``(event_id, problem, message)`` rows.

    Each event's hash is recomputed from its fields; each ``prev_hash`` must be the
    previous event's hash; ids must run 1, 2, 3, … without gaps; the last event must be
    the recorded chain ``head`` (None: the head row is gone). ``rows`` are in id order.
    """
    problems: list[tuple[int, str, str]] = []
    prev_id, prev_hash = 0, GENESIS_HASH
    for ev in rows:
        eid = int(ev["id"])
        if event_hash(ev) != ev["hash"]:
            problems.append(
                (eid, "変更", f"イベント {eid} の内容が記録後に変更されています（ハッシュが一致しません）。")
            )
        if eid != prev_id + 1:
            problems.append((prev_id + 1, "削除", f"{_range_text(prev_id + 1, eid - 1)}が削除されています。"))
        elif ev["prev_hash"] != prev_hash:
            problems.append(
                (
                    prev_id,
                    "変更",
                    (
                        f"イベント {prev_id} が書き換えられています"
                        f"（次のイベント {eid} に記録された前のハッシュと一致しません）。"
                    ),
                )
            )
        prev_id, prev_hash = eid, str(ev["hash"])
    if head is None:
        problems.append((prev_id, "削除", "チェーンの末尾の記録（score_chain_head）が削除されています。"))
        return problems
    last_id, last_hash = head
    if last_id > prev_id:
        problems.append(
            (prev_id + 1, "削除", f"末尾の{_range_text(prev_id + 1, last_id)}が削除されています。")
        )
    elif last_id < prev_id:
        problems.append(
            (
                last_id + 1,
                "追加",
                (
                    f"イベント {last_id + 1}〜{prev_id} は採点データベースを通さずに"
                    "追加されています（チェーンの末尾の記録と一致しません）。"
                ),
            )
        )
    elif last_hash != prev_hash:
        problems.append(
            (
                prev_id,
                "変更",
                (
                    f"最後のイベント {prev_id} のハッシュが、チェーンの末尾の記録と一致しません"
                    "（書き換えられています）。"
                ),
            )
        )
    return problems
