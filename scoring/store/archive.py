"""The score store in a round archive (BagIt bag), and the check of an archive with no secret.

A round is kept as a 行政文書 as one BagIt bag (RFC 8493, the ``bagit`` package;
:mod:`scoring.round.archive` writes it). This module holds what belongs to the store:
the layout of the store's part of the bag, the event log as JSON lines, and
:func:`audit_archive`, which an auditor runs years later with only the bag (public keys,
no database, no password, no private key).

Layout of the store's part (under the bag's ``data/``)
------------------------------------------------------
``store/events.jsonl``
    Every row of ``score_events`` in id order, one JSON object per line with every column of
    :data:`~scoring.store.eventlog.EVENT_COLUMNS` (hashes and payloads included), values
    exactly as stored.
``store/store.json``
    The database's identity: round name, ``created_at`` and ``store_id`` (which the
    checkpoints name), schema version, backend, URL without password, the recorded chain
    head and the number of events.
``store/checkpoints/<name>.jsonl``
    The round's checkpoint file(s) (:mod:`scoring.store.checkpoints`), byte for byte.
``round/keys/public_keys.json``
    The round's public keys (:mod:`scoring.core.keyring`), when the round has them.

The check (:func:`audit_archive`)
---------------------------------
1. The bag: ``bagit`` validation (structure, completeness, every payload and tag file's
   SHA-256/SHA-512 against the manifests, Payload-Oxum).
2. The event log: ``events.jsonl`` is loaded into a temporary SQLite score store through the
   store's own code (:class:`~scoring.store.eventlog.EventLog`, rows inserted verbatim), read
   back, and checked with the store's chain check
   (:func:`~scoring.store.eventlog.chain_problems`) against the recorded head; the head
   must also be the one ``bag-info.txt`` names.
3. The checkpoints: :func:`verify_with_public_keys` (the one place that decides how
   checkpoints are verified; see its docstring).
"""

from __future__ import annotations

import json
import logging
import math
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import bagit
import sqlalchemy as sa

from ..core.columns import EVENT_COLUMNS
from ..core.errors import SigningError, StoreError
from ..core.keyring import Keyring
from .checkpoint_sig import CheckpointVerifier
from .checkpoints import read_checkpoints, store_identity, verify_checkpoints
from .eventlog import EventLog, chain_problems
from .statements import signature_check

__all__ = [
    "BAG_INFO_HEAD_HASH",
    "BAG_INFO_HEAD_ID",
    "BAG_INFO_ROUND",
    "CHECKPOINTS_DIR",
    "EVENTS_FILE",
    "KEYRING_FILE",
    "STORE_FILE",
    "ArchiveAudit",
    "audit_archive",
    "events_jsonl_line",
    "read_events_jsonl",
    "rebuild_event_log",
    "verify_with_public_keys",
]

#: Paths inside the bag's ``data/`` folder.
EVENTS_FILE = "store/events.jsonl"
STORE_FILE = "store/store.json"
CHECKPOINTS_DIR = "store/checkpoints"
KEYRING_FILE = "round/keys/public_keys.json"
#: Our fields of ``bag-info.txt`` (besides the standard ones).
BAG_INFO_ROUND = "Shinsa-Round"
BAG_INFO_HEAD_ID = "Shinsa-Chain-Head-Id"
BAG_INFO_HEAD_HASH = "Shinsa-Chain-Head-Hash"
#: One problem of an archive: ``(event_id, problem, message)`` as in the store's audit (0: not an event).
Problem = tuple[int, str, str]


def events_jsonl_line(row: Mapping[str, Any]) -> str:
    """One event as a line of ``events.jsonl``: every column, in :data:`EVENT_COLUMNS` order.

    ``score`` is written as JSON's shortest round-trip form of the float (what the hash
    covers), NaN as ``null``; every other value as stored.
    """
    out: dict[str, Any] = {}
    for key in EVENT_COLUMNS:
        value = row[key]
        if key == "score" and value is not None:
            value = None if math.isnan(float(value)) else float(value)
        elif key == "id":
            value = int(value)
        out[key] = value
    return json.dumps(out, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n"


def _event_from_json(data: object) -> dict[str, Any] | None:
    """A row read back from one line, or None when it is not an event in the archive's form."""
    if not isinstance(data, dict) or list(data) != list(EVENT_COLUMNS):
        return None
    if not isinstance(data["id"], int) or isinstance(data["id"], bool):
        return None
    score = data["score"]
    if score is not None and (isinstance(score, bool) or not isinstance(score, (int, float))):
        return None
    if any(v is not None and not isinstance(v, str) for k, v in data.items() if k not in ("id", "score")):
        return None
    return {**data, "score": None if score is None else float(score)}


def read_events_jsonl(path: str | Path) -> tuple[list[dict[str, Any]], list[Problem]]:
    """The events of an archive's ``events.jsonl`` and the lines that are not events."""
    rows: list[dict[str, Any]] = []
    problems: list[Problem] = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for n, text in enumerate(f, start=1):
            try:
                row = _event_from_json(json.loads(text))
            except ValueError:
                row = None
            if row is None:
                problems.append(
                    (0, "形式", f"{EVENTS_FILE} の {n}行目は採点の記録（イベント）の形ではありません。")
                )
            else:
                rows.append(row)
    return rows, problems


def rebuild_event_log(
    rows: Sequence[Mapping[str, Any]], head: tuple[int, str], sqlite_path: Path, *, owner: str
) -> EventLog:
    """A SQLite score store at ``sqlite_path`` holding exactly ``rows`` and the chain head ``head``.

    The rows go in verbatim through the store's own write path (nothing is recomputed), so
    that the store's checks then read what the archive holds. The caller closes the log.

    Raises
    ------
    StoreError
        The rows cannot be stored (two events with one id or one hash).
    """
    log = EventLog(f"sqlite:///{sqlite_path}", owner=owner)
    try:
        with log.locked("アーカイブの採点の記録") as tx:
            tx.pending = [dict(r) for r in rows]
            tx.last_id, tx.last_hash = int(head[0]), str(head[1])
    except sa.exc.IntegrityError as e:
        log.close()
        raise StoreError(
            f"{EVENTS_FILE} の記録を採点データベースに戻せません（同じ id またはハッシュのイベントが複数あります）: "
            f"{type(e.orig).__name__}。アーカイブが書き換えられています。"
        ) from e
    return log


def verify_with_public_keys(
    events: Sequence[Mapping[str, Any]],
    checkpoint_files: Sequence[Path],
    *,
    store_id: str,
    keyring_file: Path | None,
    round_name: str = "",
) -> tuple[list[Problem], list[str]]:
    """Verify an event log against its checkpoint files with public keys only: ``(problems, warnings)``.

    The single place where the archive's audit decides how checkpoints are verified: each
    line's Ed25519 signature with the analyst keys of the archived keyring
    (:class:`~scoring.store.checkpoint_sig.CheckpointVerifier`, as ``audit --public-keys``),
    their content against the log (:func:`scoring.store.checkpoints.verify_checkpoints`: the
    hash at each checkpoint's head, the counts, every receipt), and every submission's own
    signature (:func:`scoring.store.statements.signature_check`). Lines of the old format
    (HMAC, a secret) cannot be checked with public keys: a warning says so, and their content
    is still compared with the log.
    """
    problems: list[Problem] = []
    warnings: list[str] = []
    ring = keyring_file if keyring_file is not None else Path("/nonexistent/public_keys.json")
    verifier = CheckpointVerifier.for_round(ring.parent.parent)
    problems += [(0, "公開鍵", p) for p in verifier.keyring_problems]
    read = read_checkpoints(list(checkpoint_files), verifier)
    old = {id(c) for c in read if c.record and c.record.get("v", 1) == 1}
    if old:
        warnings.append(
            f"以前の版の記録点 {len(old)} 行は事務局の共通鍵（HMAC）で署名されているため、公開鍵ではその署名を"
            "確かめられません。それらの行は採点の記録との一致（ハッシュ・件数・受領コード）だけを確かめました。"
        )
        read = [replace(c, valid=True) if id(c) in old else c for c in read]
    label = "、".join(p.name for p in checkpoint_files) or f"{CHECKPOINTS_DIR}/"
    more, notes = verify_checkpoints(events, read, file_label=label, store_id=store_id)
    signed, sig_notes = signature_check(events, ring.parent.parent, round_name=round_name, keyring_file=ring)
    return problems + more + signed, warnings + notes + sig_notes


@dataclass
class ArchiveAudit:
    """What :func:`audit_archive` found.

    ``bag_problems`` are the bag's own (Japanese; validation, completeness, fixity);
    ``problems`` the record's (``(event_id, problem, message)``, first bad event first);
    ``ok`` is True when both are empty.
    """

    path: Path
    bag_problems: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    round_name: str = ""
    head: tuple[int, str] = (0, "")
    events: int = 0
    checkpoints: int = 0
    analyst_fingerprints: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.bag_problems and not self.problems


def _bag_problems(bag_dir: Path) -> tuple[bagit.Bag | None, list[str]]:
    """The bag at ``bag_dir`` (None when it is not one) and what its validation found."""
    try:
        bag = bagit.Bag(str(bag_dir))
    except bagit.BagError as e:
        return None, [f"{bag_dir} は BagIt のバッグとして読めません: {e}"]
    quiet = logging.getLogger("bagit")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)  # its English log lines; the problems are reported in Japanese
    try:
        bag.validate(processes=1)
    except bagit.BagValidationError as e:
        details = [_detail_ja(d) for d in e.details] or [str(e.message)]
        return bag, details
    except bagit.BagError as e:
        return bag, [f"バッグの検証に失敗しました: {e}"]
    finally:
        quiet.setLevel(level)
    return bag, []


def _detail_ja(d: object) -> str:
    path = getattr(d, "path", "")
    if isinstance(d, bagit.ChecksumMismatch):
        return f"{path} の内容がマニフェストの {d.algorithm} と一致しません（アーカイブの後に変更されています）。"
    if isinstance(d, bagit.FileMissing):
        return f"{path} がありません（マニフェストに載っているファイルが削除されています）。"
    if isinstance(d, bagit.UnexpectedFile):
        return f"{path} はマニフェストに載っていません（アーカイブの後に追加されています）。"
    return f"バッグの検証で問題が見つかりました: {d}"


def _store_meta(data_dir: Path) -> tuple[dict[str, Any], list[Problem]]:
    path = data_dir / STORE_FILE
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
        head = (int(meta["head"]["id"]), str(meta["head"]["hash"]))
        meta["head"] = head
        for key in ("round", "created_at"):
            meta[key] = str(meta[key])
    except (OSError, ValueError, KeyError, TypeError) as e:
        return {}, [(0, "形式", f"{STORE_FILE} を読めません（{type(e).__name__}: {e}）。")]
    return meta, []


def _info_problems(info: Mapping[str, Any], meta: Mapping[str, Any]) -> list[Problem]:
    """The round and chain head that ``bag-info.txt`` names must be those of ``store.json``."""
    head_id, head_hash = meta["head"]
    want = {BAG_INFO_ROUND: meta["round"], BAG_INFO_HEAD_ID: str(head_id), BAG_INFO_HEAD_HASH: head_hash}
    return [
        (
            0,
            "形式",
            f"bag-info.txt の {k}（{info.get(k, 'なし')}）が {STORE_FILE} の値（{v}）と一致しません。",
        )
        for k, v in want.items()
        if str(info.get(k, "")) != v
    ]


def _fingerprint_problems(keyring_file: Path, named: Sequence[str]) -> list[Problem]:
    """The analyst fingerprints ``bag-info.txt`` names must be those of the archived keyring."""
    if not keyring_file.is_file():
        return []
    try:
        listed = Keyring.load(keyring_file).analyst_fingerprints()
    except SigningError:
        return []  # reported by verify_with_public_keys
    if sorted(listed) == sorted(named):
        return []
    why = (
        f"bag-info.txt の事務局の公開鍵の指紋（{'、'.join(named) or 'なし'}）が、{KEYRING_FILE} の事務局の鍵"
        f"（{'、'.join(listed) or 'なし'}）と一致しません。"
    )
    return [(0, "公開鍵", why)]


def _record_checks(data_dir: Path, result: ArchiveAudit, info: Mapping[str, Any]) -> None:
    """Rebuild the log from the archive and run the chain and checkpoint checks into ``result``."""
    meta, problems = _store_meta(data_dir)
    result.problems += problems
    if not meta:
        return
    result.round_name, result.head = meta["round"], meta["head"]
    result.problems += _info_problems(info, meta)
    result.problems += _fingerprint_problems(data_dir / KEYRING_FILE, result.analyst_fingerprints)
    rows, bad_lines = read_events_jsonl(data_dir / EVENTS_FILE)
    result.problems += bad_lines
    with tempfile.TemporaryDirectory(prefix="shinsa-archive-") as tmp:
        try:
            log = rebuild_event_log(rows, meta["head"], Path(tmp) / "scores.sqlite", owner=meta["round"])
        except StoreError as e:
            result.problems.append((0, "形式", str(e)))
            return
        try:
            with log.snapshot() as conn:
                events, head = log.rows(conn), log.recorded_head(conn)
        finally:
            log.close()
    result.events = len(events)
    result.problems += chain_problems(events, head)
    files = sorted((data_dir / CHECKPOINTS_DIR).glob("*.jsonl"))
    result.checkpoints = sum(len(read_checkpoints(f)) for f in files)
    more, warnings = verify_with_public_keys(
        events,
        files,
        store_id=store_identity(meta["created_at"], meta["round"]),
        keyring_file=data_dir / KEYRING_FILE,
        round_name=meta["round"],
    )
    result.problems += more
    result.warnings += warnings


def audit_archive(path: str | Path) -> ArchiveAudit:
    """Check a round archive (a bag folder, or the zip ``archive --zip`` wrote) with no secret.

    See the module docstring for what is checked. Nothing is written except a temporary
    folder (removed). Problems are sorted by event id, the first bad event first.

    Raises
    ------
    StoreError
        ``path`` is neither a folder nor a zip file.
    """
    p = Path(path)
    if p.is_file() and zipfile.is_zipfile(p):
        with tempfile.TemporaryDirectory(prefix="shinsa-archive-zip-") as tmp:
            with zipfile.ZipFile(p) as zf:
                zf.extractall(tmp)
            tops = [d for d in Path(tmp).iterdir() if d.is_dir()]
            inner = tops[0] if len(tops) == 1 and not (Path(tmp) / "bagit.txt").exists() else Path(tmp)
            result = audit_archive(inner)
            result.path = p
            return result
    if not p.is_dir():
        raise StoreError(
            f"アーカイブ {p} がありません（python -m scoring archive が書き出したフォルダか zip ファイルを指定してください）。"
        )
    result = ArchiveAudit(p)
    bag, result.bag_problems = _bag_problems(p)
    if bag is None:
        return result
    fps = bag.info.get("Shinsa-Analyst-Key-Fingerprint", [])
    result.analyst_fingerprints = [fps] if isinstance(fps, str) else list(fps)
    data_dir = p / "data"
    missing = [f for f in (EVENTS_FILE, STORE_FILE) if not (data_dir / f).is_file()]
    if missing:
        result.problems += [(0, "形式", f"アーカイブに {f} がありません。") for f in missing]
        return result
    _record_checks(data_dir, result, bag.info)
    result.problems.sort(key=lambda r: r[0])
    return result
