"""A round archive: the whole round as one BagIt bag (RFC 8493), to keep as a 行政文書.

:func:`write_archive` (``python -m scoring archive --round DIR --out DIR2 [--zip]``) writes a
bag directory with SHA-256 and SHA-512 manifests of every payload file and of every tag file
(``bagit``). Its ``data/`` folder holds:

``round/``
    ``round.yaml``, ``reviewers.yaml``, ``assignments.csv``, ``push_candidates.yaml``,
    ``README.md`` (as present), the applications (``applications/``, 応募書 files as received), the public keys
    (``keys/public_keys.json``, when the round has them) and the committee material and
    letters (``reports/``: ``committee.html``, ``committee.xlsx``, ``applications.xlsx``,
    ``講評/``…), byte for byte;
``rubric/``
    the rubric file round.yaml names;
``store/``
    the event log as JSON lines, the database's identity and the checkpoint file(s)
    (:mod:`scoring.store.archive`, :func:`checkpoint_files`);
``decision/decisions.json``
    every decision of the committee recorded in the store (also in the event log), readable.

``bag-info.txt`` names the organisation (総務省), the date, a description in Japanese, the
round, the chain head (id and hash) and the fingerprints of the analysts' public keys.

The bag folder is made 0700 and the zip 0600: they hold the committee material and every
comment, which only the analysts read on a shared server. Nothing secret goes in: only the files above are copied (never a private key, a database
URL with its password, ``scores.sqlite``), and every file is checked before the bag is made
(a file holding ``PRIVATE KEY`` or the database password stops the archive). The bag is
then checked as an auditor would (:func:`scoring.store.archive.audit_archive`).
"""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bagit
import sqlalchemy as sa

from ..core.clock import now_jst
from ..core.errors import ArchiveError, SigningError
from ..core.keyring import KEYRING_PATH, Keyring
from ..store.archive import (
    BAG_INFO_HEAD_HASH,
    BAG_INFO_HEAD_ID,
    BAG_INFO_ROUND,
    CHECKPOINTS_DIR,
    EVENTS_FILE,
    STORE_FILE,
    ArchiveAudit,
    audit_archive,
    events_jsonl_line,
)
from ..store.base import default_url
from ..store.eventlog import SCHEMA_VERSION, parse_url
from ..store.scores import ScoreStore
from .decision import read_decisions
from .loader import ReviewRound, load_round

__all__ = ["ArchiveResult", "checkpoint_files", "report_folders", "write_archive"]

#: Checksums of the manifests (payload and tag files).
CHECKSUMS = ("sha256", "sha512")
#: Files of the round folder that go into the archive, as present.
ROUND_FILES = ("round.yaml", "reviewers.yaml", "assignments.csv", "push_candidates.yaml", "README.md")
_DESCRIPTION = (
    "審査ワークベンチ（shinsa）の審査ラウンドの記録一式（行政文書としての保存用）。"
    "応募書、評価基準、審査員と割当、採点の記録（ハッシュチェーン）、署名された記録点、公開鍵、"
    "選定委員会の資料と決定、講評を含む。検証: python -m scoring audit --archive このフォルダ"
    "（秘密鍵もデータベースも不要）。"
)
_FORBIDDEN = b"PRIVATE KEY"


@dataclass(frozen=True)
class ArchiveResult:
    """What :func:`write_archive` wrote: the bag, the zip (or None), the counts, and its check."""

    bag: Path
    zip_path: Path | None
    files: int
    events: int
    head: tuple[int, str]
    check: ArchiveAudit


def report_folders(rnd: ReviewRound) -> list[tuple[Path, str]]:
    """Where the round's committee material and letters are: ``(folder, name in the bag)``.

    Today the round's ``reports/`` (``report``, ``run`` and ``feedback`` write there; the
    letters in ``reports/講評``).
    """
    return [(Path(rnd.path) / "reports", "round/reports")]


def checkpoint_files(store: ScoreStore) -> list[Path]:
    """The checkpoint files to archive: the store's own
    (:func:`scoring.store.checkpoints.checkpoint_path`) and any other checkpoint file of the
    round folder (another role's or an earlier database's; the audit uses only the lines of
    this database and names the others in a warning)."""
    own = store.checkpoint_path
    folder = Path(store.facts.path)
    others = sorted({*folder.glob("checkpoints*.jsonl"), *folder.glob("*.checkpoints.jsonl")})
    found = [own] + [p for p in others if p.name != own.name]
    return [p for p in found if p.is_file() and not p.is_symlink()]


def _refuse_out(out: Path, zip_path: Path | None) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ArchiveError(
            f"出力先 {out} は既にあり、空のフォルダではありません。アーカイブは新しいフォルダにだけ書き出します"
            "（別の --out を指定してください。既存の記録は上書きしません）。"
        )
    if zip_path is not None and zip_path.exists():
        raise ArchiveError(f"zip ファイル {zip_path} は既にあります。別の --out を指定してください。")
    if not out.parent.is_dir():
        raise ArchiveError(f"出力先のフォルダ {out.parent} がありません。先に作ってから実行してください。")


def _store_exists(url: str) -> bool:
    """Whether the store at ``url`` exists (nothing is created to find out)."""
    u = parse_url(url)
    if u.get_backend_name() == "sqlite":
        return bool(u.database) and Path(str(u.database)).is_file()
    engine = sa.create_engine(u)
    try:
        with engine.connect() as conn:
            return sa.inspect(conn).has_table("score_events")
    except sa.exc.SQLAlchemyError as e:
        raise ArchiveError(
            f"採点データベース（{u.render_as_string(hide_password=True)}）に接続できません: "
            f"{type(e).__name__}。サーバーと SCORING_DATABASE_URL を確認してください。"
        ) from e
    finally:
        engine.dispose()


def _copy_file(src: Path, dest: Path) -> int:
    """Copy one regular file (not a link); 1 if copied."""
    if src.is_symlink() or not src.is_file():
        return 0
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest)
    return 1


def _copy_tree(src: Path, dest: Path) -> int:
    """Copy the regular files under ``src`` (links not followed; no hidden or Office lock files)."""
    if src.is_symlink() or not src.is_dir():
        return 0
    n = 0
    for folder, dirs, names in os.walk(src):  # does not enter linked folders
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "~$")))
        base = Path(folder)
        for name in sorted(names):
            if not name.startswith((".", "~$")):
                n += _copy_file(base / name, dest / (base / name).relative_to(src))
    return n


def _copy_round(rnd: ReviewRound, data: Path) -> int:
    folder = Path(rnd.path)
    n = sum(_copy_file(folder / name, data / "round" / name) for name in ROUND_FILES)
    n += _copy_tree(folder / "applications", data / "round" / "applications")
    n += _copy_file(folder / KEYRING_PATH, data / "round" / KEYRING_PATH)
    for src, name in report_folders(rnd):
        n += _copy_tree(src, data / name)
    rubric = rnd.rubric.source
    if rubric is not None:
        n += _copy_file(rubric, data / "rubric" / rubric.name)
    return n


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _copy_store(store: ScoreStore, data: Path) -> tuple[int, tuple[int, str], bool]:
    """Checkpoints first, then one snapshot of the log (so no checkpoint names an event not
    archived); the events, the store's identity and the decisions.

    Returns the number of events, the chain head and whether a decision is recorded.
    """
    cps = data / CHECKPOINTS_DIR
    cps.mkdir(parents=True)
    for path in checkpoint_files(store):
        _copy_file(path, cps / path.name)
    with store.log.snapshot() as conn:
        head = store.log.head(conn)
        rows = store.log.rows(conn)
    with open(data / EVENTS_FILE, "w", encoding="utf-8", newline="\n") as f:
        f.writelines(events_jsonl_line(r) for r in rows)
    _write_json(
        data / STORE_FILE,
        {
            "round": store.facts.name,
            "created_at": store.log.created_at,
            "store_id": store.store_id,
            "schema_version": SCHEMA_VERSION,
            "backend": "sqlite" if store.log.sqlite else "postgresql",
            "url": store.url,
            "head": {"id": head[0], "hash": head[1]},
            "events": len(rows),
            "exported_at": now_jst().isoformat(timespec="seconds"),
        },
    )
    decisions = [
        {"event_id": d.event_id, "recorded_at": d.recorded_at_jst.isoformat(), "by": d.by, **d.to_payload()}
        for d in read_decisions(store)
    ]
    if decisions:
        _write_json(data / "decision" / "decisions.json", {"latest": decisions[-1], "all": decisions})
    return len(rows), head, bool(decisions)


def _refuse_secrets(data: Path, secrets: Iterable[str]) -> None:
    needles = [_FORBIDDEN, *(s.encode("utf-8") for s in secrets if s)]
    for p in sorted(data.rglob("*")):
        if p.is_file() and any(n in p.read_bytes() for n in needles):
            raise ArchiveError(
                f"{p.relative_to(data)} に秘密の情報（秘密鍵またはデータベースのパスワード）が含まれています。"
                "アーカイブには入れられません。ファイルを確認して取り除いてから、もう一度実行してください。"
            )


def _passwords(url: str) -> list[str]:
    """The database password to look for in the bag: when it is long enough to tell (8
    characters or more) and not a part of the URL shown without it (``postgres:***@``)."""
    u = parse_url(url)
    pw = u.password or ""
    shown = u.render_as_string(hide_password=True)
    return [pw] if len(pw) >= 8 and pw not in shown else []


def _analyst_fingerprints(rnd: ReviewRound) -> list[str]:
    try:
        return Keyring.load(rnd.path).analyst_fingerprints()
    except SigningError:
        return []


def _bag_info(rnd: ReviewRound, head: tuple[int, str], decisions: bool) -> dict[str, Any]:
    fps = _analyst_fingerprints(rnd)
    info: dict[str, Any] = {
        "Source-Organization": "総務省",
        "Bagging-Date": now_jst().date().isoformat(),
        "External-Description": _DESCRIPTION,
        "External-Identifier": rnd.name,
        BAG_INFO_ROUND: rnd.name,
        BAG_INFO_HEAD_ID: str(head[0]),
        BAG_INFO_HEAD_HASH: head[1],
        "Shinsa-Decision": "記録あり（data/decision/decisions.json）" if decisions else "記録なし",
    }
    if fps:
        info["Shinsa-Analyst-Key-Fingerprint"] = fps if len(fps) > 1 else fps[0]
    return info


def _write_zip(bag: Path, zip_path: Path) -> None:
    tmp = zip_path.with_name(f".{zip_path.name}.tmp")
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))  # private, like the bag
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for p in sorted(bag.rglob("*")):
                if p.is_file():
                    zf.write(p, (Path(bag.name) / p.relative_to(bag)).as_posix())
        tmp.replace(zip_path)
    finally:
        tmp.unlink(missing_ok=True)


def write_archive(round_dir: str | Path | None, out: str | Path, *, zip_file: bool = False) -> ArchiveResult:
    """Write the round's archive as a bag at ``out`` (a new or empty folder); see the module docstring.

    With ``zip_file`` the bag is also written as ``<out>.zip`` (one top folder, the bag).
    The bag is checked with :func:`scoring.store.archive.audit_archive` at the end
    (``ArchiveResult.check``).

    Raises
    ------
    ArchiveError
        ``out`` exists and is not empty, the zip exists, the round has no score store, the
        account cannot read every record, or a file holds a secret (nothing is left behind).
    """
    out = Path(out).absolute()
    zip_path = out.with_name(out.name + ".zip") if zip_file else None
    _refuse_out(out, zip_path)
    rnd = load_round(round_dir)
    url = default_url(rnd)
    if not _store_exists(url):
        raise ArchiveError(
            f"審査ラウンド {rnd.path} には採点データベース（{parse_url(url).render_as_string(hide_password=True)}）"
            "がありません。採点の記録のないラウンドはアーカイブできません（--round を確認してください）。"
        )
    created = not out.exists()
    try:
        out.mkdir(mode=0o700, exist_ok=True)
        out.chmod(0o700)  # the committee material and the comments: only the analyst reads the bag
        with ScoreStore.open(rnd, url) as store:
            if store.access not in ("owner", "analyst"):
                raise ArchiveError(
                    f"{store.log.who()}ではアーカイブを作れません（全員の記録とコメントを読めないため）。"
                    "事務局のアカウントで実行してください。"
                )
            events, head, decided = _copy_store(store, out)
        _copy_round(rnd, out)
        _refuse_secrets(out, _passwords(url))
        bagit.make_bag(str(out), _bag_info(rnd, head, decided), processes=1, checksums=list(CHECKSUMS))
    except BaseException:
        if created:
            shutil.rmtree(out, ignore_errors=True)
        else:
            for p in out.iterdir():
                shutil.rmtree(p) if p.is_dir() else p.unlink()
        raise
    if zip_path is not None:
        _write_zip(out, zip_path)
    files = sum(1 for p in (out / "data").rglob("*") if p.is_file())
    return ArchiveResult(out, zip_path, files, events, head, audit_archive(out))
