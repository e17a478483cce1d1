"""Signed checkpoints of the score log, kept outside the database, and reviewers' receipts.

Whoever can write the score database can rewrite its hash chain, recompute every hash with
the public :func:`scoring.store.scores.event_hash` and move the chain head: the chain alone
then proves nothing. A *checkpoint* anchors the chain outside the database: the chain head
(id and hash of the last event), the counts (events, events per kind, submitted pairs), the
time, the reason and the receipts issued, signed with the analyst's Ed25519 key
(:mod:`scoring.store.checkpoint_sig`). Nobody without the key can write a checkpoint that
verifies, anyone with the round's public keys can check one, and a rewrite of any event at
or before a checkpoint's head changes that head's hash (every hash covers the previous one).
The database keeps how many checkpoints were written and the last one's digest
(:mod:`scoring.store.anchor_count`), so that a deleted or truncated file is noticed.

When
----
The store writes one after every submission (提出), reopening (再開), import (scores with
source ``excel``/``import``, or any batch that submits) and decision (選定結果), and the
``report``/``run`` commands write one before computing the committee material. Draft
autosaves of the widget do not (they would write a line per keystroke); they are anchored
by the next checkpoint.

Where
-----
An append-only JSON-lines file, one signed checkpoint per line
(:func:`checkpoint_path`):

* the round's own SQLite file, and a server database (PostgreSQL) whoever writes →
  ``<round>/checkpoints.jsonl`` (lines of another database of the same round are told
  apart by their ``store_id`` and left out);
* another SQLite file ``<dir>/<name>.sqlite`` → ``<dir>/<name>.checkpoints.jsonl`` beside it.

Older versions kept a server database's lines in ``<round>/checkpoints-<12 hex>.jsonl`` (one
file per role, issue 18); those files are still read (:func:`legacy_checkpoint_paths`).

The file sits beside the round, not in the database: the database's owner can delete it
but cannot forge it. Keep a copy with the committee's minutes (the 注記 of the committee
material prints the latest checkpoints).

Each line is a JSON object: ``v`` (2), ``written_at`` (UTC ISO 8601), ``reason``
(:data:`REASONS`), ``round``, ``store`` (URL without password), ``head`` (``{"id", "hash"}``),
``counts`` (``events``, ``score``, ``submit``, ``reopen``, ``decision``,
``submitted_pairs``, all up to the head), ``receipts`` (see below), ``signer``
(``analyst:<account>``), ``public_key``, ``key_fingerprint`` and ``signature`` (Ed25519
over all other fields). Format 1 lines had ``key_id`` and an HMAC ``signature`` instead.

Receipts (受領コード)
---------------------
At each submission the reviewer gets a code: the first 16 hex digits of SHA-256 over the
canonical JSON of reviewer, application, rubric version, a random nonce stored in the
submit event (128 bits, so that nobody can recover the scores from the code by trying
every combination) and each criterion's score and comment; shown in groups of four
(``3f9a-1c22-7b0e-d4a1``). The checkpoint of the submission records the code, the submit
event and a digest per criterion salted with the nonce (so that a later check can say
*which* criterion changed without storing the scores outside the database). The nonce
itself stays in the database and is never written to the file: without it nobody can
recover a score from the file by trying every level (format 1 lines wrote it).
A submission signed by its submitter (:mod:`scoring.store.statements`) gets its code from the
signature instead.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import re
import secrets
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..core.canonical import canonical_text, sha256_hex
from ..core.clock import to_jst
from .checkpoint_sig import CheckpointSigner, CheckpointVerifier
from .eventlog import canonical_score

__all__ = [
    "CHECKPOINT_FILENAME",
    "REASONS",
    "Checkpoint",
    "Receipt",
    "ReceiptCheck",
    "cell_digest",
    "checkpoint_path",
    "format_receipt",
    "legacy_checkpoint_paths",
    "new_nonce",
    "normalize_receipt",
    "read_checkpoints",
    "receipt_code",
    "receipt_nonce",
    "store_identity",
    "verify_checkpoints",
    "write_checkpoint",
]

#: File name of the checkpoints of the round's own SQLite store.
CHECKPOINT_FILENAME = "checkpoints.jsonl"
#: Why a checkpoint was written.
REASONS: tuple[str, ...] = (
    "submit",
    "reopen",
    "import",
    "decision",
    "eligibility",
    "revise",
    "letters_approved",
    "report",
    "tail",
)
REASON_JA = {
    "submit": "提出",
    "reopen": "再開",
    "import": "取り込み",
    "decision": "選定結果",
    "eligibility": "受付の判断",
    "revise": "協議後の修正",
    "letters_approved": "講評の承認",
    "report": "資料の作成",
    "tail": "末尾の署名",
}
_VERSION = 2
_RECEIPT_VERSION = 1
_RECEIPT_HEX = 16
_DIGEST_HEX = 12
_KIND_JA = {
    "submit": "提出",
    "reopen": "再開",
    "decision": "選定結果",
    "eligibility": "受付の判断",
    "score": "点数",
    "revise": "協議後の修正",
    "letters_approved": "講評の承認",
}
_COUNT_KEYS = ("events", "score", "submit", "reopen", "decision", "eligibility", "revise", "submitted_pairs")
#: One audit row ``(event_id, problem, message)`` (:data:`scoring.core.columns.AUDIT_COLUMNS`).
Problem = tuple[int, str, str]


def checkpoint_path(url: str, round_path: str | os.PathLike[str]) -> Path:
    """Where the checkpoints of the store at ``url`` (of the round in ``round_path``) live.

    See the module docstring: beside a SQLite file, ``checkpoints.jsonl`` in the round
    folder for a server (one file per round, whoever writes).
    """
    u = sa.engine.make_url(url)
    if u.get_backend_name() == "sqlite" and u.database:
        db = Path(u.database)
        if db.name == "scores.sqlite":
            return db.parent / CHECKPOINT_FILENAME
        return db.parent / f"{db.stem}.checkpoints.jsonl"
    return Path(round_path) / CHECKPOINT_FILENAME


def legacy_checkpoint_paths(url: str, round_path: str | os.PathLike[str]) -> list[Path]:
    """The files older versions wrote a server database's checkpoints to (that exist).

    ``<round>/checkpoints-<12 hex>.jsonl``: one per database URL, and in practice one per
    role (the user name stayed in the URL). Read with the current file; lines of other
    databases are told apart by ``store_id``.
    """
    if sa.engine.make_url(url).get_backend_name() == "sqlite":
        return []
    return sorted(Path(round_path).glob("checkpoints-*.jsonl"))


def store_identity(created_at: str, round_name: str) -> str:
    """12 hex digits naming one database (its creation time in ``score_meta`` and its round)."""
    return _digest({"created_at": created_at, "round": round_name}, 12)


# --------------------------------------------------------------------------- receipts


def new_nonce() -> str:
    """A random nonce for a submission (32 hex digits)."""
    return secrets.token_hex(16)


def _digest(data: Any, n: int) -> str:
    return sha256_hex(data)[:n]


def cell_digest(nonce: str, criterion: str, score: object, comment: str) -> str:
    """12 hex digits over one criterion's score and comment (salted with the nonce)."""
    return _digest(
        {"nonce": nonce, "criterion": criterion, "score": canonical_score(score), "comment": comment or ""},
        _DIGEST_HEX,
    )


def receipt_code(
    reviewer: str, application: str, rubric_version: str, nonce: str, cells: Mapping[str, tuple[object, str]]
) -> str:
    """The receipt code (16 hex digits, grouped by :func:`format_receipt`) of a submission.

    ``cells`` maps each criterion id to ``(score, comment)``; the order does not matter.
    """
    payload = {
        "v": _RECEIPT_VERSION,
        "reviewer": reviewer,
        "application": application,
        "rubric_version": rubric_version,
        "nonce": nonce,
        "scores": [[c, canonical_score(s), m or ""] for c, (s, m) in sorted(cells.items())],
    }
    return format_receipt(_digest(payload, _RECEIPT_HEX))


def format_receipt(hex_code: str) -> str:
    """``3f9a1c227b0ed4a1`` → ``3f9a-1c22-7b0e-d4a1``."""
    h = normalize_receipt(hex_code)
    return "-".join(h[i : i + 4] for i in range(0, len(h), 4))


def normalize_receipt(text: str) -> str:
    """A code as typed (any case, hyphens, spaces, full-width digits) → bare lowercase hex."""
    return re.sub(r"[^0-9a-f]", "", unicodedata.normalize("NFKC", str(text)).lower())


@dataclass(frozen=True)
class Receipt:
    """A receipt issued at a submission (as recorded in a checkpoint)."""

    reviewer: str
    application: str
    code: str
    event: int
    nonce: str
    rubric_version: str
    cells: Mapping[str, str] = field(default_factory=dict)  # criterion → cell_digest

    def to_json(self) -> dict[str, Any]:
        return {
            "reviewer": self.reviewer,
            "application": self.application,
            "code": self.code,
            "event": self.event,
            "rubric_version": self.rubric_version,
            "cells": dict(sorted(self.cells.items())),
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Receipt:
        return cls(
            reviewer=str(d["reviewer"]),
            application=str(d["application"]),
            code=str(d["code"]),
            event=int(d["event"]),
            nonce=str(d.get("nonce", "")),
            rubric_version=str(d.get("rubric_version", "")),
            cells={str(k): str(v) for k, v in dict(d.get("cells", {})).items()},
        )


@dataclass(frozen=True)
class ReceiptCheck:
    """What :meth:`scoring.store.scores.ScoreStore.check_receipt` found for a code.

    ``status`` is ``"一致"`` (the store holds exactly what was submitted; exit 0),
    ``"変更"`` (changed since; exit 1) or ``"不明"`` (no submission has this code; exit 2).
    ``message`` is the Japanese verdict; ``changes`` one line per changed criterion;
    ``notes`` further remarks.
    """

    status: str
    code: str
    message: str
    reviewer: str = ""
    application: str = ""
    changes: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def exit_code(self) -> int:
        return {"一致": 0, "変更": 1}.get(self.status, 2)


# --------------------------------------------------------------------------- checkpoints


@dataclass(frozen=True)
class Checkpoint:
    """One line of the checkpoint file.

    ``valid`` is None when no key was given to check it, else whether the signature
    verifies with that key; ``problem`` says why a line is unusable (Japanese, "" if fine).
    """

    line: int
    record: Mapping[str, Any]
    valid: bool | None = None
    problem: str = ""

    @property
    def head_id(self) -> int:
        return int(self.record.get("head", {}).get("id", 0))

    @property
    def head_hash(self) -> str:
        return str(self.record.get("head", {}).get("hash", ""))

    @property
    def counts(self) -> dict[str, int]:
        return {k: int(v) for k, v in dict(self.record.get("counts", {})).items()}

    @property
    def written_at(self) -> dt.datetime | None:
        try:
            return dt.datetime.fromisoformat(str(self.record.get("written_at", "")))
        except ValueError:
            return None

    @property
    def store_id(self) -> str:
        return str(self.record.get("store_id", ""))

    @property
    def reason(self) -> str:
        return str(self.record.get("reason", ""))

    @property
    def key_id(self) -> str:
        """The signer's key: its fingerprint (format 2) or HMAC key id (format 1)."""
        return str(self.record.get("key_fingerprint") or self.record.get("key_id", ""))

    @property
    def receipts(self) -> list[Receipt]:
        out = []
        for r in self.record.get("receipts", []) or []:
            try:
                out.append(Receipt.from_json(r))
            except (KeyError, TypeError, ValueError):
                continue
        return out

    def label(self) -> str:
        """``記録点（3行目、2026-02-20 10:00 日本時間、提出）``."""
        when = self.written_at
        w = to_jst(when).strftime("%Y-%m-%d %H:%M:%S") + " 日本時間" if when else "日時不明"
        return f"記録点（{self.line}行目、{w}、{REASON_JA.get(self.reason, self.reason)}）"


def write_checkpoint(
    path: str | os.PathLike[str],
    *,
    head: tuple[int, str],
    counts: Mapping[str, int],
    reason: str,
    round_name: str,
    store: str,
    store_id: str,
    signer: CheckpointSigner,
    receipts: Iterable[Receipt] = (),
    now: dt.datetime | None = None,
    written: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Sign a checkpoint and append it as one line to ``path`` (created with mode 0644:
    checkpoints hold no secret, anyone may check them).

    Appends under an exclusive lock of the file, so that concurrent writers never mix
    their lines; ``written(record)`` is called while the lock is held, after the line is
    on disk (the store counts it in the database there, so that the count and the file
    grow in the same order). Returns the record written (with its signature).
    """
    record: dict[str, Any] = {
        "v": _VERSION,
        "written_at": (now or dt.datetime.now(dt.timezone.utc))
        .astimezone(dt.timezone.utc)
        .isoformat(timespec="microseconds"),
        "reason": reason,
        "round": round_name,
        "store": store,
        "store_id": store_id,
        "head": {"id": int(head[0]), "hash": str(head[1])},
        "counts": {k: int(counts.get(k, 0)) for k in _COUNT_KEYS},
        "receipts": [r.to_json() for r in receipts],
    }
    record = signer.sign(record)
    line = canonical_text(record) + "\n"
    p = Path(path)
    fd = os.open(p, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
        if written is not None:
            written(record)
    finally:
        os.close(fd)  # releases the lock
    return record


def read_checkpoints(
    path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    verifier: CheckpointVerifier | None = None,
) -> list[Checkpoint]:
    """Every line of the checkpoint file (or files, in order), in file order ([] when there is none).

    With ``verifier``, each is checked: ``valid`` False with a Japanese ``problem`` for a
    line that is not JSON, has no signature, was signed with a key the round's keyring
    does not list as an analyst's, or whose signature does not match (altered after signing).
    """
    paths = [Path(path)] if isinstance(path, (str, os.PathLike)) else [Path(p) for p in path]
    out: list[Checkpoint] = []
    for p in paths:
        if p.exists():
            out += _read_one(p, verifier)
    return out


def _read_one(p: Path, verifier: CheckpointVerifier | None) -> list[Checkpoint]:
    out: list[Checkpoint] = []
    for i, text in enumerate(p.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            rec = json.loads(text)
            if not isinstance(rec, dict):
                raise TypeError("not an object")
            int(rec.get("head", {}).get("id", 0))
        except (ValueError, TypeError, AttributeError):
            out.append(
                Checkpoint(
                    i, {}, False, f"{p.name} の {i}行目は記録点として読めません（書き換えられています）。"
                )
            )
            continue
        if verifier is None:
            out.append(Checkpoint(i, rec))
            continue
        problem = verifier.problem(rec, f"{p.name} の {i}行目")
        out.append(Checkpoint(i, rec, not problem, problem))
    return out


# --------------------------------------------------------------------------- verification


def chain_counts(events: Sequence[Mapping[str, Any]], upto: int) -> dict[str, int]:
    """The counts a checkpoint records, recomputed from events (dicts with id, kind, reviewer, application)."""
    return counts_at(events, [upto])[upto]


def counts_at(events: Sequence[Mapping[str, Any]], heads: Iterable[int]) -> dict[int, dict[str, int]]:
    """:func:`chain_counts` at each of ``heads``, in one pass over ``events`` (in id order)."""
    wanted = sorted(set(heads))
    out: dict[int, dict[str, int]] = {}
    counts = dict.fromkeys(_COUNT_KEYS, 0)
    pair: dict[tuple[str, str], str] = {}
    i = 0
    for ev in events:
        eid = int(ev["id"])
        while i < len(wanted) and wanted[i] < eid:
            out[wanted[i]] = dict(counts)
            i += 1
        if i == len(wanted):
            break
        counts["events"] += 1
        kind = str(ev["kind"])
        if kind in counts:
            counts[kind] += 1
        if kind in ("submit", "reopen"):
            key = (str(ev["reviewer"]), str(ev["application"]))
            counts["submitted_pairs"] += (kind == "submit") - (pair.get(key) == "submit")
            pair[key] = kind
    for h in wanted[i:]:
        out[h] = dict(counts)
    return out


def current_cells(
    events: Sequence[Mapping[str, Any]], reviewer: str, application: str
) -> dict[str, tuple[object, str, int]]:
    """criterion → (score, comment, event id) of the pair's last score event per criterion."""
    return all_current_cells(events).get((reviewer, application), {})


def all_current_cells(
    events: Sequence[Mapping[str, Any]],
) -> dict[tuple[str, str], dict[str, tuple[object, str, int]]]:
    """:func:`current_cells` of every pair, in one pass."""
    out: dict[tuple[str, str], dict[str, tuple[object, str, int]]] = {}
    for ev in events:
        if ev["kind"] == "score":
            cells = out.setdefault((str(ev["reviewer"]), str(ev["application"])), {})
            cells[str(ev["criterion"])] = (ev["score"], str(ev["comment"] or ""), int(ev["id"]))
    return out


#: Kinds whose operation always writes a checkpoint (so one must follow them): submissions,
#: reopenings, decisions, eligibility decisions, second-stage revisions and the letters'
#: approval. Imported scores are anchored by the checkpoint of their batch (``record_many``),
#: but single scores may carry any source, so a score event never needs one.
ANCHORED_KINDS: tuple[str, ...] = (
    "submit",
    "reopen",
    "decision",
    "eligibility",
    "revise",
    "letters_approved",
)


def must_be_anchored(ev: Mapping[str, Any]) -> bool:
    """The event is of one of :data:`ANCHORED_KINDS`."""
    return ev["kind"] in ANCHORED_KINDS


def verify_checkpoints(
    events: Sequence[Mapping[str, Any]], checkpoints: Sequence[Checkpoint], *, file_label: str, store_id: str
) -> tuple[list[Problem], list[str]]:
    """Check the event log against every checkpoint: ``(problems, warnings)``.

    ``events`` are the rows of ``score_events`` in id order; ``checkpoints`` come from
    :func:`read_checkpoints` *with* the key. Problems are ``(event_id, problem, message)``
    rows of :data:`scoring.core.columns.AUDIT_COLUMNS`:

    * ``記録点``: a checkpoint that is not signed with the key, or whose head event no longer
      has the signed hash (the chain up to it was rewritten, even if re-hashed), or whose
      counts differ, or that names events that are gone; ``event_id`` is the checkpoint's
      head (the last event it anchors);
    * ``変更``: a criterion of a submission whose score or comment differs from its receipt
      although the pair was never reopened; ``event_id`` is the score event that now holds it;
    * ``未署名``: a submission, reopening or decision after the last valid checkpoint
      (those operations always write one; this one was not written by the workbench).

    Warnings (not failures): no checkpoint file while the log has only draft scores; lines
    of another database (another ``store_id``: the database was deleted and re-created;
    if that was done to hide a rewrite, its submissions have no checkpoint: ``未署名``).
    """
    warnings = _foreign_warnings(checkpoints, file_label=file_label, store_id=store_id)
    checkpoints = [c for c in checkpoints if not c.record or c.store_id == store_id]
    if not checkpoints:
        return _no_checkpoint_problems(events, file_label), warnings + _no_checkpoint_warnings(
            events, file_label
        )
    valid = [c for c in checkpoints if c.valid]
    problems = _invalid_problems(checkpoints)
    problems += _head_problems(events, valid)
    problems += _receipt_problems(events, valid)
    problems += _late_problems(events, valid)
    return problems, warnings


def _foreign_warnings(checkpoints: Sequence[Checkpoint], *, file_label: str, store_id: str) -> list[str]:
    """Warn of the checkpoints of another (re-created) database, which the audit does not use."""
    foreign = [c for c in checkpoints if c.record and c.store_id != store_id]
    if not foreign:
        return []
    return [
        (
            f"{file_label} の記録点 {len(foreign)} 件は別の（作り直される前の）データベースのもので、"
            "この監査では使いません。"
        )
    ]


def _no_checkpoint_problems(events: Sequence[Mapping[str, Any]], file_label: str) -> list[Problem]:
    """``未署名`` when there is no checkpoint although the log has events that always write one."""
    needing = [ev for ev in events if must_be_anchored(ev)]
    if not needing:
        return []
    first = int(needing[0]["id"])
    return [
        (
            first,
            "未署名",
            (
                f"署名された記録点のファイル {file_label} がない、または空です。提出・再開・選定結果の記録"
                f"（最初はイベント {first}、計 {len(needing)} 件）があるのに、データベースの外の記録点がないため、"
                "採点の記録が書き換えられていないことを確かめられません。ファイルが削除された可能性があります。"
            ),
        )
    ]


def _no_checkpoint_warnings(events: Sequence[Mapping[str, Any]], file_label: str) -> list[str]:
    """Warn of a missing checkpoint file while the log has only draft scores."""
    if not events or any(must_be_anchored(ev) for ev in events):
        return []
    return [
        (
            f"署名された記録点のファイル {file_label} がありません。下書きの記録（{len(events)} 件）だけのため"
            "問題ではありませんが、最初の提出・取り込みで作られます。"
        )
    ]


def _invalid_problems(checkpoints: Sequence[Checkpoint]) -> list[Problem]:
    """``記録点`` for every checkpoint whose signature does not verify."""
    return [
        (c.head_id, "記録点", c.problem or f"{c.label()}の署名を確かめられません。")
        for c in checkpoints
        if not c.valid
    ]


def _head_problems(events: Sequence[Mapping[str, Any]], valid: Sequence[Checkpoint]) -> list[Problem]:
    """``記録点`` for each valid checkpoint whose head is gone, re-hashed or whose counts differ."""
    by_id = {int(ev["id"]): ev for ev in events}
    last_id = max(by_id, default=0)
    problems: list[Problem] = []
    good_heads: list[int] = []
    counts = counts_at(events, [c.head_id for c in valid])
    for c in sorted(valid, key=lambda c: c.head_id):
        problem = _head_problem(counts[c.head_id], by_id, last_id, good_heads, c)
        if problem is None:
            good_heads.append(c.head_id)
        else:
            problems.append(problem)
    return problems


def _head_problem(
    got: Mapping[str, int],
    by_id: Mapping[int, Mapping[str, Any]],
    last_id: int,
    good_heads: Sequence[int],
    c: Checkpoint,
) -> Problem | None:
    """The first problem of one valid checkpoint's head (missing, hash, counts), or ``None``."""
    h = c.head_id
    if h > last_id:
        return (
            last_id + 1,
            "記録点",
            (
                f"{c.label()}はイベント {h} までを記録していますが、データベースにはイベント {last_id} までしかありません"
                f"（イベント {last_id + 1}〜{h} が削除されています）。"
            ),
        )
    ev = by_id.get(h) if h else None
    if h and (ev is None or str(ev["hash"]) != c.head_hash):
        lo = (good_heads[-1] + 1) if good_heads else 1
        now = str(ev["hash"]) if ev is not None else "（イベントがありません）"
        return (
            h,
            "記録点",
            (
                f"{c.label()}に署名されたイベント {h} のハッシュ {c.head_hash[:16]}… と、現在のハッシュ {now[:16]}… が"
                f"一致しません。イベント {lo}〜{h} のいずれかが書き換えられ、ハッシュが計算し直されています。"
            ),
        )
    want = c.counts
    diff = [f"{k} {want.get(k, 0)}→{got[k]}" for k in _COUNT_KEYS if want.get(k, 0) != got[k]]
    if diff:
        return (
            h,
            "記録点",
            (
                f"{c.label()}の件数（イベント {h} まで）が現在の記録と一致しません: {'、'.join(diff)}"
                "（記録が削除・追加されています）。"
            ),
        )
    return None


def _receipt_problems(events: Sequence[Mapping[str, Any]], valid: Sequence[Checkpoint]) -> list[Problem]:
    """``変更``: a submission never reopened must still hold what was submitted."""
    reopened: dict[tuple[str, str], list[int]] = {}
    for ev in events:
        if ev["kind"] == "reopen":
            reopened.setdefault((str(ev["reviewer"]), str(ev["application"])), []).append(int(ev["id"]))
    problems: list[Problem] = []
    seen: set[tuple[str, str, int]] = set()
    nonces = {int(ev["id"]): str(ev["comment"] or "") for ev in events if ev["kind"] == "submit"}
    cells = all_current_cells(events)
    for c in valid:
        for r in c.receipts:
            if (r.reviewer, r.application, r.event) in seen:
                continue
            seen.add((r.reviewer, r.application, r.event))
            if any(i > r.event for i in reopened.get((r.reviewer, r.application), [])):
                continue
            nonce = r.nonce or nonces.get(r.event, "")
            problems += _changed_cells(cells.get((r.reviewer, r.application), {}), nonce, r)
    return problems


def receipt_nonce(events: Sequence[Mapping[str, Any]], r: Receipt) -> str:
    """The nonce of receipt ``r``: from a format 1 line, else from its submit event in the database."""
    if r.nonce:
        return r.nonce
    for ev in events:
        if int(ev["id"]) == r.event:
            return str(ev["comment"] or "") if ev["kind"] == "submit" else ""
    return ""


def _changed_cells(cells: Mapping[str, tuple[object, str, int]], nonce: str, r: Receipt) -> list[Problem]:
    """``変更`` for each criterion of one receipt whose current score or comment differs from it."""
    problems: list[Problem] = []
    for crit, digest in sorted(r.cells.items()):
        score, comment, eid = cells.get(crit, (None, "", r.event))
        if cell_digest(nonce, crit, score, comment) != digest:
            problems.append(
                (
                    eid,
                    "変更",
                    (
                        f"イベント {eid}: 審査員 {r.reviewer} の応募 {r.application} の評価項目 {crit} の点数・コメントが、"
                        f"提出時（受領コード {r.code}、イベント {r.event}）と異なります。再開されていないため、"
                        "データベースを通さずに書き換えられています。"
                    ),
                )
            )
    return problems


def _late_problems(events: Sequence[Mapping[str, Any]], valid: Sequence[Checkpoint]) -> list[Problem]:
    """``未署名``: events that always write a checkpoint after the last valid one."""
    top = max((c.head_id for c in valid), default=0)
    late = [ev for ev in events if int(ev["id"]) > top and must_be_anchored(ev)]
    if not late:
        return []
    first = int(late[0]["id"])
    return [
        (
            first,
            "未署名",
            (
                f"イベント {first}（{_KIND_JA.get(str(late[0]['kind']), '')}）以降の{'・'.join(_KIND_JA[k] for k in ANCHORED_KINDS)} "
                f"{len(late)} 件の後に、署名された記録点が"
                f"ありません（最後の記録点はイベント {top} まで）。これらの操作は必ず記録点を書くため、"
                "データベースを通さずに追加された可能性があります。"
            ),
        )
    ]
