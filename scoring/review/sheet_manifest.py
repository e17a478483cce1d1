"""The manifest of an Excel 採点表: what was exported, signed with the analyst's key.

The very hidden ``_manifest`` sheet (:data:`MANIFEST_SHEET`) of a workbook written by
:func:`scoring.review.sheets.export_sheet` holds key/value rows (:data:`MANIFEST_KEYS`), then
one ``state:<application>`` row per application (:data:`STATE_PREFIX`): the reviewer's cells
in the store at export. The layout and the rules are described in :mod:`scoring.review.sheets`;
the checks on import are in :mod:`scoring.review.sheet_checks`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from openpyxl import Workbook, load_workbook

from ..core.signing import key_id, sign
from ..core.text import strip_controls
from ..store.base import TO_APPLICANT

if TYPE_CHECKING:
    from ..round.loader import ReviewRound
    from ..store.scores import ScoreStore

__all__ = [
    "MANIFEST_KEYS",
    "MANIFEST_SHEET",
    "SHEET_FORMAT",
    "SHEET_FORMAT_VERSION",
    "STATE_PREFIX",
    "manifest_payload",
    "read_manifest",
]

#: Identifies a workbook written by :func:`~scoring.review.sheets.export_sheet` (manifest key ``format``).
SHEET_FORMAT = "shinsa-saitenhyo"
#: Version of the layout described in :mod:`scoring.review.sheets`.
SHEET_FORMAT_VERSION = "3"  # 3: the 申請者への所見 columns
MANIFEST_SHEET = "_manifest"
#: Fixed keys of the manifest, in sheet order; ``signature`` covers every other row.
MANIFEST_KEYS: tuple[str, ...] = (
    "format",
    "format_version",
    "round_name",
    "round_path_hash",
    "reviewer",
    "rubric_id",
    "rubric_version",
    "applications",
    "criteria",
    "exported_at",
    "key_id",
    "signature",
)
#: Key prefix of the manifest rows holding the exported state of one application's cells.
STATE_PREFIX = "state:"
_SEP = ","


@dataclass(frozen=True)
class _Cell:
    """One reviewer cell (application × criterion) as the store holds it: its last score event."""

    event_id: int
    score: float | None
    comment: str
    timestamp: object = None
    #: The reviewer's 申請者への所見 (the event's ``payload`` ``to_applicant``), "" when none.
    note: str = ""


def _norm_comment(value: object) -> str:
    """A comment as compared between sheet, manifest and store (CRLF → LF, stripped)."""
    return _s(value).replace("\r\n", "\n").strip()


def _comment_digest(comment: object, note: object = "") -> str:
    """12 hex characters of SHA-256 of the comment (and the 申請者への所見 when there is one;
    without one the digest is the comment's alone, as before the 所見 existed)."""
    text = _norm_comment(comment)
    extra = _norm_comment(note)
    if extra:
        text = f"{text}\n\x1f申請者への所見\n{extra}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12] if text else ""


def _same_score(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(a)))


def _state_entry(cell: _Cell | None) -> list[object] | None:
    if cell is None:
        return None
    return [cell.event_id, cell.score, _comment_digest(cell.comment, cell.note)]


def _note_of(payload: object) -> str:
    """The 申請者への所見 of a score event's ``payload`` ("" when none)."""
    if payload is None or (isinstance(payload, float) and math.isnan(payload)) or not str(payload).strip():
        return ""
    try:
        data = json.loads(str(payload))
    except ValueError:
        return ""
    return str(data.get(TO_APPLICANT, "")) if isinstance(data, dict) else ""


def _store_cells(store: ScoreStore | None, reviewer_id: str) -> dict[tuple[str, str], _Cell]:
    """The reviewer's cells in the store: the last score event per (application, criterion)."""
    if store is None:
        return {}
    ev = store.events()
    ev = ev[(ev["kind"] == "score") & (ev["reviewer"].astype(str) == reviewer_id)]
    out: dict[tuple[str, str], _Cell] = {}
    payloads = ev["payload"] if "payload" in ev.columns else [None] * len(ev)
    for eid, app, crit, score, comment, ts, payload in zip(
        ev["id"], ev["application"], ev["criterion"], ev["score"], ev["comment"], ev["timestamp"], payloads
    ):
        missing = score is None or (isinstance(score, float) and math.isnan(score))
        # a control character of an old row (written past the database's rules) cannot go in a cell
        text = strip_controls(_s(comment))
        note = strip_controls(_note_of(payload))
        out[(str(app), str(crit))] = _Cell(int(eid), None if missing else float(score), text, ts, note)
    return out


def _round_path_hash(rnd: ReviewRound) -> str:
    return hashlib.sha256(str(Path(rnd.path).resolve()).encode("utf-8")).hexdigest()[:16]


def manifest_payload(fields: Mapping[str, str]) -> dict[str, str]:
    """What the manifest's ``signature`` signs: every row but ``signature``, as stripped text."""
    return {str(k): str(v).strip() for k, v in fields.items() if k != "signature"}


def _manifest(
    rnd: ReviewRound,
    reviewer_id: str,
    apps: Sequence[str],
    exported_at: dt.datetime,
    cells: Mapping[tuple[str, str], _Cell],
    key: bytes,
) -> dict[str, str]:
    fields = {
        "format": SHEET_FORMAT,
        "format_version": SHEET_FORMAT_VERSION,
        "round_name": rnd.config.name,
        "round_path_hash": _round_path_hash(rnd),
        "reviewer": reviewer_id,
        "rubric_id": rnd.rubric.id,
        "rubric_version": rnd.rubric.version,
        "applications": _SEP.join(apps),
        "criteria": _SEP.join(c.id for c in rnd.rubric.criteria),
        "exported_at": exported_at.isoformat(timespec="seconds"),
        "key_id": key_id(key),
    }
    for app in apps:
        fields[STATE_PREFIX + app] = json.dumps(
            [_state_entry(cells.get((app, c.id))) for c in rnd.rubric.criteria], separators=(",", ":")
        )
    fields["signature"] = sign(manifest_payload(fields), key)
    ordered = {k: fields[k] for k in MANIFEST_KEYS}  # fixed keys first, then the state rows
    ordered.update(fields)
    return ordered


def read_manifest(path: str | Path) -> dict[str, str] | None:
    """The manifest of a 採点表 as ``key → value`` (``None`` when the workbook has none)."""
    wb = load_workbook(Path(path))
    return _manifest_of(wb)


def _manifest_of(wb: Workbook) -> dict[str, str] | None:
    found = _manifest_rows(wb)
    return None if found is None else found[0]


def _manifest_rows(wb: Workbook) -> tuple[dict[str, str], dict[str, int], list[str]] | None:
    """``key → value``, ``key → row`` and the keys found more than once (``None``: no manifest)."""
    if MANIFEST_SHEET not in wb.sheetnames:
        return None
    ws = wb[MANIFEST_SHEET]
    out: dict[str, str] = {}
    rows: dict[str, int] = {}
    twice: list[str] = []
    for r, (key, value, *_) in enumerate(ws.iter_rows(min_row=2, max_col=2, values_only=True), start=2):
        if key is not None:
            if isinstance(value, float) and value.is_integer():
                value = int(value)  # a writer that stored "1" as a number
            name = str(key).strip()
            if name in out:
                twice.append(name)
            out[name] = "" if value is None else str(value).strip()
            rows.setdefault(name, r)
    return out, rows, twice


def _s(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _cell_score(x: float) -> int | float:
    return int(x) if float(x).is_integer() else float(x)


def _parse_state(text: str, n_criteria: int) -> list[tuple[float | None, str] | None] | None:
    """A ``state:`` row → per criterion (exported score, comment digest) or None; None if malformed."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, list) or len(data) != n_criteria:
        return None
    out: list[tuple[float | None, str] | None] = []
    for item in data:
        if item is None:
            out.append(None)
        elif (
            isinstance(item, list)
            and len(item) == 3
            and isinstance(item[2], str)
            and (item[1] is None or isinstance(item[1], (int, float)))
        ):
            out.append((None if item[1] is None else float(item[1]), item[2]))
        else:
            return None
    return out
