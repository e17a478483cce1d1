"""A store written by the previous code (schema version 1, fixtures in fixtures/v1) opens
with today's code: it is migrated in place (a nullable ``payload`` column), no event is
rewritten, the audit passes, every old receipt still verifies, and new records (decision,
eligibility, revision) written afterwards audit clean and read back with the old ones."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from attack import drop_guards, tamper

from scoring.admin.roles import provision
from scoring.admin.trialdb import find_pg_bindir
from scoring.cli import main
from scoring.round.decision import read_decisions, record_decision
from scoring.round.eligibility import record_eligibility
from scoring.round.eligibility_records import read_eligibility
from scoring.round.loader import ReviewRound, load_round
from scoring.store.checkpoints import checkpoint_path
from scoring.store.eventlog import SCHEMA_VERSION
from scoring.store.scores import ScoreStore

FIXTURES = Path(__file__).parent / "fixtures" / "v1"
RECEIPTS: dict[str, dict[str, Any]] = json.loads((FIXTURES / "receipts.json").read_text(encoding="utf-8"))


def _sql(url: str, statement: str) -> list[tuple[Any, ...]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.exec_driver_sql(statement).all()]
    finally:
        engine.dispose()


def _use_the_old_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = tmp_path / "signing.key"
    shutil.copy(FIXTURES / "signing.key", key)
    key.chmod(0o600)
    monkeypatch.setenv("SCORING_LEGACY_KEY", str(key))


def _load_pg_dump(request: pytest.FixtureRequest, folder: Path) -> str:
    """A database of the test's own with the old dump loaded (``psql -f``), and the old
    checkpoints where the store of that database keeps them; its URL."""
    url, _ = request.getfixturevalue("pg_database")
    bindir = find_pg_bindir()
    assert bindir is not None
    libpq = sa.engine.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    subprocess.run(
        [
            str(bindir / "psql"),
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-f",
            str(FIXTURES / "postgres" / "v1-dump.sql"),
            libpq,
        ],
        check=True,
        capture_output=True,
    )
    shutil.copy(FIXTURES / "postgres" / "v1-checkpoints.jsonl", checkpoint_path(url, folder))
    return str(url)


@pytest.fixture(params=["sqlite", "postgres"])
def old_store(
    request: pytest.FixtureRequest, demo_round_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, Path, str]]:
    """(backend, round folder, URL) of the fixture store written by the old code, with the
    old code's signing key; nothing of today's code has opened it yet."""
    _use_the_old_key(tmp_path, monkeypatch)
    backend = str(request.param)
    if backend == "sqlite":
        shutil.copy(FIXTURES / "sqlite" / "v1.sqlite", demo_round_copy / "scores.sqlite")
        shutil.copy(FIXTURES / "sqlite" / "v1-checkpoints.jsonl", demo_round_copy / "checkpoints.jsonl")
        url = f"sqlite:///{demo_round_copy / 'scores.sqlite'}"
    else:
        url = _load_pg_dump(request, demo_round_copy)
    monkeypatch.setenv("SCORING_DATABASE_URL", url)
    yield backend, demo_round_copy, url


def _events(url: str) -> list[tuple[Any, ...]]:
    return _sql(url, "SELECT id, kind, comment, prev_hash, hash FROM score_events ORDER BY id")


def _version(url: str) -> str:
    return str(_sql(url, "SELECT value FROM score_meta WHERE key = 'schema_version'")[0][0])


def test_a_store_of_the_previous_version_migrates_audits_clean_and_keeps_every_receipt(
    old_store: tuple[str, Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    backend, folder, url = old_store
    before = _events(url)
    assert _version(url) == "1" and len(before) == RECEIPTS[backend]["head"][0]
    assert main(["audit", "--round", str(folder)]) == 0  # opens the store: the migration
    assert "改ざん・削除は見つかりませんでした" in capsys.readouterr().out
    assert _version(url) == SCHEMA_VERSION == "2"
    assert _events(url) == before  # not one row rewritten
    assert _sql(url, "SELECT count(*) FROM score_events WHERE payload IS NOT NULL") == [(0,)]
    info = RECEIPTS[backend]
    for code in (info["submitted"], info["resubmitted"], info["current"][0], info["current"][-1]):
        assert main(["verify-receipt", "--round", str(folder), code]) == 0, code
    assert "確認できました" in capsys.readouterr().out
    # a receipt superseded by a reopening and a change still says so (exit 1), as before
    assert main(["verify-receipt", "--round", str(folder), info["reopened_then_changed"]]) == 1
    with load_round(folder).store() as store:
        assert sorted(store.receipts()["receipt"]) == sorted(info["current"])
        assert all(store.check_receipt(code).status == "一致" for code in info["current"])


def _old_and_new(rnd: ReviewRound, store: ScoreStore) -> tuple[str, str, str]:
    """Write a revision, an eligibility decision and a committee decision with today's code."""
    withdrawn = [str(r.application) for r in read_eligibility(store)]
    record_eligibility(
        rnd, "reinstate", withdrawn[0], by="事務局 新版", reason="辞退の連絡は誤りだった", store=store
    )
    sub = store.statuses()
    r, a = sub.loc[sub["status"] == "提出済", ["reviewer", "application"]].iloc[-1]
    crit = store.facts.criteria[-1]
    now = store.pair_cells(str(r), str(a))[crit.id][0]
    store.revise(str(r), str(a), crit.id, 1 if now != 1 else 2, reason="協議で新版の根拠を確認")
    record_decision(store, list(store.facts.applications)[3:5], by="委員長 新版", note="新版で記録")
    return withdrawn[0], str(r), str(a)


def test_records_written_after_the_migration_audit_clean_and_read_back_with_the_old_ones(
    old_store: tuple[str, Path, str],
) -> None:
    _, folder, _url = old_store
    rnd = load_round(folder)
    with rnd.store() as store:
        app, r, a = _old_and_new(rnd, store)
        assert store.audit().problems.empty
        old_d, new_d = read_decisions(store)
        assert old_d.note == "旧版で記録した決定" and old_d.by == "委員長 佐藤、委員 鈴木"
        assert new_d.note == "新版で記録" and new_d.selected == tuple(list(store.facts.applications)[3:5])
        old_e, new_e = read_eligibility(store)
        assert (old_e.action, old_e.reason) == ("withdraw", "県から辞退の連絡（旧版）")
        assert (new_e.action, new_e.application, new_e.reason) == ("reinstate", app, "辞退の連絡は誤りだった")
        rev = store.revisions()
        assert rev["reason"].tolist() == ["協議で補足資料を確認した", "協議で新版の根拠を確認"]
        assert (rev["reviewer"].iloc[-1], rev["application"].iloc[-1]) == (r, a)
        ev = store.events()
    new = ev.iloc[-3:]
    assert new["comment"].tolist() == ["", "", ""] and new["payload"].notna().all()
    assert ev.iloc[:-3]["payload"].isna().all()
    assert not bool(load_round(folder).applications.loc[app, "withdrawn"])  # the round reads both
    assert main(["audit", "--round", str(folder)]) == 0


def test_rewriting_an_old_event_after_the_migration_is_still_caught(old_store: tuple[str, Path, str]) -> None:
    """The migration must not look like a rewrite, and must not hide one either."""
    _, folder, url = old_store
    assert main(["audit", "--round", str(folder)]) == 0
    [(eid, comment)] = _sql(url, "SELECT id, comment FROM score_events WHERE kind = 'decision'")
    forged = comment.replace("旧版で記録した決定", "書き換えた決定")
    tamper(url, *drop_guards(url), f"UPDATE score_events SET comment = '{forged}' WHERE id = {eid}")
    with load_round(folder).store() as store:
        problems = store.audit().problems
    assert eid in problems["event_id"].tolist() and "変更" in problems["problem"].tolist()
    assert main(["audit", "--round", str(folder)]) == 1


def test_a_provisioned_server_store_migrates_and_the_committee_reads_old_and_new_decisions(
    request: pytest.FixtureRequest, demo_round_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL with per-person roles: the committee's view of version 1 (made by db-setup
    without ``payload``) is dropped by the migration, db-setup makes it again, and the
    committee's role reads the decisions recorded before and after."""
    _use_the_old_key(tmp_path, monkeypatch)
    url = _load_pg_dump(request, demo_round_copy)
    # the committee's view as db-setup of version 1 made it (every column but comment, then comment)
    tamper(
        url,
        "CREATE VIEW score_events_committee WITH (security_barrier) AS SELECT id, timestamp, kind, "
        "reviewer, application, criterion, score, rubric_version, source, actor, prev_hash, hash, "
        "CASE WHEN kind = 'score' THEN '' ELSE comment END AS comment FROM score_events",
    )
    rnd = load_round(demo_round_copy)
    ScoreStore(url, rnd).close()  # the migration, as the database owner
    assert _version(url) == "2"
    views = "SELECT count(*) FROM information_schema.views WHERE table_name = 'score_events_committee'"
    assert _sql(url, views) == [(0,)]
    urls = provision(url, rnd, role_prefix=f"mig_{uuid.uuid4().hex[:8]}")  # roles are cluster-wide
    with ScoreStore(url, rnd) as owner:
        record_decision(owner, list(rnd.applications.index[5:7]), by="委員長 新版", note="新版で記録")
    with ScoreStore(urls[rnd.committee[0]], rnd) as iin:
        assert iin.access == "committee"
        assert [d.note for d in read_decisions(iin)] == ["旧版で記録した決定", "新版で記録"]
        assert [r.reason for r in read_eligibility(iin)] == ["県から辞退の連絡（旧版）"]


def test_an_old_server_store_with_its_per_role_checkpoint_file_still_audits_clean(
    request: pytest.FixtureRequest, demo_round_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Older versions kept a server database's checkpoints in ``checkpoints-<hex>.jsonl`` (one
    per role, issue 18 Medium 7); those files are still read, new lines go to ``checkpoints.jsonl``."""
    _use_the_old_key(tmp_path, monkeypatch)
    url = _load_pg_dump(request, demo_round_copy)
    (demo_round_copy / "checkpoints.jsonl").rename(demo_round_copy / "checkpoints-0123456789ab.jsonl")
    monkeypatch.setenv("SCORING_DATABASE_URL", url)
    assert main(["audit", "--round", str(demo_round_copy)]) == 0
    with load_round(demo_round_copy).store() as store:
        assert store.checkpoint_path == demo_round_copy / "checkpoints.jsonl"
        record_decision(store, list(store.facts.applications)[3:5], by="委員長 新版", note="新版で記録")
        assert store.audit().problems.empty
    assert (demo_round_copy / "checkpoints.jsonl").exists()
    assert main(["audit", "--round", str(demo_round_copy)]) == 0
