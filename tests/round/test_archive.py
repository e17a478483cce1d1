"""The round archive (issue 18, item 7): a BagIt bag of the whole round that an auditor checks
years later with no secret (``archive`` and ``audit --archive``).

Real files, real SQLite and PostgreSQL stores, the real ``bagit`` validator: the archive of
the scored demo round validates and passes ``audit --archive``; one changed byte of a payload
or a tag file fails both; a rewrite that rebuilds the bag's manifests (and even re-hashes the
chain) is still caught by the chain and checkpoint checks.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bagit
import pytest
import sqlalchemy as sa
from roundcopy import copy_demo_round

from scoring.cli import main
from scoring.core.errors import ArchiveError
from scoring.core.keyring import Keyring, keyring_path
from scoring.core.keys import create_key_file, fingerprint, load_private_key, public_key_text
from scoring.demo.simulate import write_demo_scores
from scoring.round.archive import write_archive
from scoring.round.decision import record_decision
from scoring.round.loader import load_round
from scoring.store.archive import EVENTS_FILE, STORE_FILE, audit_archive
from scoring.store.eventlog import event_hash
from scoring.store.scores import ScoreStore

LETTER = "講評/20_長野_講評.pdf"


def _scored_round(root: Path, url: str | None = None) -> Path:
    """The demo round scored (seeded), with a decision, committee material, letters and keys."""
    rd = copy_demo_round(root)
    rnd = load_round(rd)
    with ScoreStore.open(rnd, url) as store:
        write_demo_scores(rnd, store)
        record_decision(
            store,
            ["20", "30"],
            by="事務局（架空）",
            reasons={"20": "委員会の判断"},
            settings_hash="abc",
            config_hash="def",
            score_fingerprint="0" * 64,
        )
    reports = rd / "reports"
    (reports / "講評").mkdir(parents=True)
    (reports / "committee.html").write_text("<html>選定委員会資料</html>", encoding="utf-8")
    (reports / LETTER).write_bytes(b"%PDF-1.4 letter")
    # the round's keyring lists the analyst's key since its first checkpoint (as `keys init` would)
    assert keyring_path(rd).is_file()
    return rd


def _audit(path: Path) -> int:
    return main(["audit", "--archive", str(path)])


def _validates(path: Path) -> bool:
    try:
        bagit.Bag(str(path)).validate()
    except bagit.BagValidationError:
        return False
    return True


def _rows(path: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line) for line in (path / "data" / EVENTS_FILE).read_text(encoding="utf-8").splitlines()
    ]


def _write_rows(path: Path, rows: list[dict[str, Any]]) -> None:
    text = "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in rows)
    (path / "data" / EVENTS_FILE).write_text(text, encoding="utf-8")


def _flip(path: Path, needle: bytes, new: bytes) -> None:
    data = path.read_bytes()
    assert needle in data, path
    path.write_bytes(data.replace(needle, new, 1))


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def archived(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """(round folder, store URL, archive folder) for each backend, made once per module (tests
    change copies of the archive, never the archive itself). On PostgreSQL the store's URL
    carries a password (which must not reach the bag)."""
    root = tmp_path_factory.mktemp(f"archived-{request.param}")
    with contextlib.ExitStack() as stack:
        url: str | None = None
        if request.param == "postgres":
            url = stack.enter_context(_pg_schema(request.getfixturevalue("pg_url")))
        with pytest.MonkeyPatch.context() as mp:
            if url is not None:
                mp.setenv("SCORING_DATABASE_URL", url)
            rd = _scored_round(root / "r", url)
            out = root / "archive"
            result = write_archive(rd, out, zip_file=True)
        assert result.check.ok, (result.check.bag_problems, result.check.problems)
        yield rd, url or f"sqlite:///{rd / 'scores.sqlite'}", out


@contextlib.contextmanager
def _pg_schema(pg_url: str) -> Iterator[str]:
    """A fresh PostgreSQL schema owned by a new role with a password (both dropped after)."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    password = f"pw-{uuid.uuid4().hex}"
    base = sa.engine.make_url(pg_url)
    url = base.set(username=name, password=password).render_as_string(hide_password=False)
    url += f"{'&' if '?' in url else '?'}options=-csearch_path%3D{name}"
    admin = sa.create_engine(pg_url)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {name} LOGIN PASSWORD '{password}'")
        conn.exec_driver_sql(f"CREATE SCHEMA {name} AUTHORIZATION {name}")
    try:
        yield url
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {name} CASCADE")
            conn.exec_driver_sql(f"DROP ROLE IF EXISTS {name}")
        admin.dispose()


def test_archive_round_trips_validates_and_passes_the_audit(archived: Any) -> None:
    rd, url, out = archived
    bagit.Bag(str(out)).validate()  # raises on any problem
    assert _audit(out) == 0
    data = out / "data"
    rnd = load_round(rd)
    with ScoreStore.open(rnd, url) as store:
        stored = store.log.rows()
        head = store.log.head()
    assert _rows(out) == stored  # every column, in id order
    assert [event_hash(r) for r in _rows(out)] == [r["hash"] for r in stored]
    meta = json.loads((data / STORE_FILE).read_text(encoding="utf-8"))
    assert (meta["head"]["id"], meta["head"]["hash"]) == head
    for app in (rd / "applications").iterdir():
        assert (data / "round" / "applications" / app.name).read_bytes() == app.read_bytes()
    for name in ("round.yaml", "reviewers.yaml", "reports/committee.html", f"reports/{LETTER}"):
        assert (data / "round" / name).read_bytes() == (rd / name).read_bytes()
    assert (data / "round" / "keys" / "public_keys.json").is_file()
    assert list((data / "rubric").glob("*.yaml"))
    assert list((data / "store" / "checkpoints").glob("*.jsonl"))
    decisions = json.loads((data / "decision" / "decisions.json").read_text(encoding="utf-8"))
    assert decisions["latest"]["selected"] == ["20", "30"]
    info = bagit.Bag(str(out)).info
    assert info["Source-Organization"] == "総務省"
    assert info["Shinsa-Round"] == rnd.name
    assert (info["Shinsa-Chain-Head-Id"], info["Shinsa-Chain-Head-Hash"]) == (str(head[0]), head[1])
    ring = Keyring.load(rd)
    assert info["Shinsa-Analyst-Key-Fingerprint"] == fingerprint(ring.analyst_keys()[0])
    assert "Bagging-Date" in info and "External-Description" in info
    assert out.stat().st_mode & 0o077 == 0  # the committee material: the analyst's only
    assert out.with_name(out.name + ".zip").stat().st_mode & 0o077 == 0
    assert {p.name for p in out.glob("tagmanifest-*.txt")} == {
        "tagmanifest-sha256.txt",
        "tagmanifest-sha512.txt",
    }


def test_no_file_in_the_bag_holds_a_private_key_or_the_database_password(archived: Any) -> None:
    _, url, out = archived
    password = sa.engine.make_url(url).password
    assert password or url.startswith("sqlite")
    for p in out.rglob("*"):
        if p.is_file():
            data = p.read_bytes()
            assert b"PRIVATE KEY" not in data, p
            if password:
                assert password.encode() not in data, p


@pytest.mark.parametrize(
    "target",
    ["events", "application", "bag-info", "manifest-sha256.txt", "tagmanifest-sha512.txt", "checkpoints"],
)
def test_one_changed_byte_fails_bagit_and_the_audit(archived: Any, tmp_path: Path, target: str) -> None:
    _, _, out = archived
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    if target == "events":
        _flip(copy / "data" / EVENTS_FILE, b'"score":', b'"score": ')  # one byte (a space) added
    elif target == "application":
        app = min((copy / "data" / "round" / "applications").iterdir())
        data = bytearray(app.read_bytes())
        data[len(data) // 2] ^= 1
        app.write_bytes(bytes(data))
    elif target == "bag-info":
        _flip(copy / "bag-info.txt", "総務省".encode(), "総務庁".encode())
    elif target == "checkpoints":
        cp = min((copy / "data" / "store" / "checkpoints").iterdir())
        _flip(cp, b'"reason":"', b'"reason":"x')
    else:  # a manifest or a tag manifest: one hex digit of its first checksum
        path = copy / target
        text = path.read_text(encoding="utf-8")
        path.write_text(("1" if text[0] != "1" else "2") + text[1:], encoding="utf-8")
    assert not _validates(copy)
    assert _audit(copy) == 1


def test_a_score_changed_and_the_manifests_rebuilt_is_caught_by_the_chain(
    archived: Any, tmp_path: Path
) -> None:
    _, _, out = archived
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    rows = _rows(copy)
    victim = next(r for r in rows if r["kind"] == "score" and r["score"] is not None)
    victim["score"] = float(victim["score"]) - 1
    _write_rows(copy, rows)
    bagit.Bag(str(copy)).save(manifests=True)  # the forger rebuilds the bag
    assert _validates(copy)
    check = audit_archive(copy)
    assert not check.ok
    assert check.problems[0][0] == victim["id"]
    assert _audit(copy) == 1


def test_a_rehashed_rewrite_with_a_rebuilt_bag_is_caught_by_the_checkpoints(
    archived: Any, tmp_path: Path
) -> None:
    """The forger changes a submitted score, re-hashes the whole chain, moves the head in
    store.json and bag-info.txt and rebuilds every manifest: the checkpoints still name the old hashes."""
    _, _, out = archived
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    rows = _rows(copy)
    first = next(i for i, r in enumerate(rows) if r["kind"] == "score" and r["score"] is not None)
    rows[first]["score"] = float(rows[first]["score"]) - 1
    for i in range(first, len(rows)):
        if i:
            rows[i]["prev_hash"] = rows[i - 1]["hash"]
        rows[i]["hash"] = event_hash(rows[i])
    _write_rows(copy, rows)
    meta_path = copy / "data" / STORE_FILE
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["head"]["hash"] = rows[-1]["hash"]
    meta_path.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    bag = bagit.Bag(str(copy))
    bag.info["Shinsa-Chain-Head-Hash"] = rows[-1]["hash"]
    bag.save(manifests=True)
    assert _validates(copy)
    check = audit_archive(copy)
    assert any(kind in ("記録点", "変更") for _, kind, _ in check.problems), check.problems
    assert _audit(copy) == 1


def test_a_replaced_keyring_with_a_rebuilt_bag_fails_the_audit(archived: Any, tmp_path: Path) -> None:
    _, _, out = archived
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    ring_file = copy / "data" / "round" / "keys" / "public_keys.json"
    data = json.loads(ring_file.read_text(encoding="utf-8"))
    other = tmp_path / "other.pem"
    create_key_file(other)
    data["people"][0]["public_key"] = public_key_text(load_private_key(other))
    ring_file.write_text(json.dumps(data), encoding="utf-8")
    bagit.Bag(str(copy)).save(manifests=True)
    assert _validates(copy)
    assert any(kind == "公開鍵" for _, kind, _ in audit_archive(copy).problems)
    assert _audit(copy) == 1


def test_the_zip_extracts_to_a_bag_that_validates(archived: Any, tmp_path: Path) -> None:
    _, _, out = archived
    zip_path = out.with_name(out.name + ".zip")
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(tmp_path / "unzipped")
    bagit.Bag(str(tmp_path / "unzipped" / out.name)).validate()
    assert _audit(tmp_path / "unzipped" / out.name) == 0
    assert _audit(zip_path) == 0


def test_archive_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rd = _scored_round(tmp_path / "r")
    assert main(["archive", "--round", str(rd), "--out", str(tmp_path / "a")]) == 0
    out = capsys.readouterr().out
    assert "アーカイブを書き出しました" in out and "改ざん・欠落は見つかりませんでした" in out
    assert main(["audit", "--archive", str(tmp_path / "a"), "--round", str(rd)]) == 2  # one or the other


def test_refusals_leave_nothing_behind(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rd = _scored_round(tmp_path / "r")
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "old.txt").write_text("前の記録", encoding="utf-8")
    with pytest.raises(ArchiveError, match="空のフォルダではありません"):
        write_archive(rd, busy)
    assert [p.name for p in busy.iterdir()] == ["old.txt"]
    assert main(["archive", "--round", str(rd), "--out", str(busy)]) == 2
    assert "エラー: 出力先" in capsys.readouterr().err

    (rd / "reports" / "key.pem").write_text(
        "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n", encoding="utf-8"
    )
    with pytest.raises(ArchiveError, match="秘密の情報"):
        write_archive(rd, tmp_path / "leak", zip_file=True)
    assert not (tmp_path / "leak").exists() and not (tmp_path / "leak.zip").exists()

    bare = copy_demo_round(tmp_path / "bare")  # no score store
    with pytest.raises(ArchiveError, match="採点データベース"):
        write_archive(bare, tmp_path / "none")
    assert not (tmp_path / "none").exists() and not (bare / "scores.sqlite").exists()

    empty = tmp_path / "empty"
    empty.mkdir()
    (rd / "reports" / "key.pem").unlink()
    assert write_archive(rd, empty).check.ok  # an existing empty folder is fine


def test_audit_of_something_that_is_not_a_bag(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    assert _audit(tmp_path / "plain") == 1
    assert _audit(tmp_path / "missing") == 2


def test_a_changed_fingerprint_in_bag_info_with_rebuilt_manifests_fails_the_audit(
    archived: Any, tmp_path: Path
) -> None:
    _, _, out = archived
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    bag = bagit.Bag(str(copy))
    bag.info["Shinsa-Analyst-Key-Fingerprint"] = "0000-0000-0000-0000"
    bag.save(manifests=True)
    assert _validates(copy)
    assert any(kind == "公開鍵" for _, kind, _ in audit_archive(copy).problems)
    assert _audit(copy) == 1


@pytest.mark.parametrize("archived", ["postgres"], indirect=True)
def test_a_file_holding_the_database_password_stops_the_archive(
    archived: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rd, url, _ = archived
    password = sa.engine.make_url(url).password
    assert password
    monkeypatch.setenv("SCORING_DATABASE_URL", url)
    leak = rd / "reports" / "メモ.txt"
    leak.write_text(f"接続: {password}", encoding="utf-8")
    try:
        with pytest.raises(ArchiveError, match="パスワード"):
            write_archive(rd, tmp_path / "leak")
    finally:
        leak.unlink()
    assert not (tmp_path / "leak").exists()
