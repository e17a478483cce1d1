"""Blindness and conflicts enforced by PostgreSQL (scoring.admin.roles): attacked as each role.

Every test gets a fresh database on a throw-away cluster that checks passwords (SCRAM), as a
real server does; the roles (cluster-wide) are named after that database and dropped after.
The attacks use raw SQL with the role's own URL (what a reviewer's kernel can do) and the
ScoreStore (what the workbench does).
"""

from __future__ import annotations

import dataclasses
import json
import os
import stat
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from scoring.admin.credentials import write_credentials
from scoring.admin.roles import accounts, allowed_pairs, default_role_prefix, provision
from scoring.admin.trialdb import PgClusterError, create_database, temp_pg_cluster
from scoring.cli import main
from scoring.core.errors import ConfigError, StoreError
from scoring.round.loader import load_round
from scoring.store.credentials import read_database_url
from scoring.store.eventlog import EVENT_COLUMNS, event_hash, now_utc
from scoring.store.scores import ScoreStore, default_url

CRITERIA = [
    "need_pool_gap",
    "need_support_burden",
    "need_self_reliance",
    "pool_issue_analysis",
    "pool_recruitment_plan",
    "pool_hr_finance",
    "theme_fit",
    "theme_plan",
    "theme_reuse",
]

#: Who reviews what in the test round (R6 declared a conflict with 20 in the demo round).
ASSIGNMENTS = {
    "R1": ["01", "02", "03"],
    "R2": ["01", "20"],
    "R3": ["02", "20"],
    "R4": ["03", "05"],
    "R5": ["05", "10"],
    "R6": ["10", "11"],
}


@pytest.fixture(scope="module")
def scram_cluster() -> Iterator[str]:
    """A cluster whose TCP connections need a password; yields the superuser's URL (db shinsa_test)."""
    try:
        with temp_pg_cluster(password_auth=True) as url:
            yield url
    except PgClusterError as e:
        pytest.fail(str(e), pytrace=False)


def _drop(super_url: str, db: str, prefix: str) -> None:
    eng = sa.create_engine(super_url, isolation_level="AUTOCOMMIT")
    try:
        with eng.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            for (role,) in conn.execute(
                sa.text("SELECT rolname FROM pg_roles WHERE rolname LIKE :p"), {"p": prefix + "%"}
            ):
                conn.exec_driver_sql(f'DROP ROLE "{role}"')
    finally:
        eng.dispose()


@pytest.fixture
def admin_url(scram_cluster: str) -> Iterator[str]:
    """A fresh database (its owner is the superuser); its roles are dropped after the test."""
    db = f"acc_{uuid.uuid4().hex[:10]}"
    super_url = scram_cluster.rsplit("/", 1)[0] + "/postgres"
    url = create_database(super_url, db)
    try:
        yield url
    finally:
        _drop(super_url, db, default_role_prefix(url))


def write_round(
    folder: Path, assignments: dict[str, list[str]] = ASSIGNMENTS, *, extra_yaml: str = ""
) -> Path:
    """The copied demo round with assignments.csv, analysts and committee (and round.yaml extras)."""
    lines = ["reviewer,application"] + [f"{r},{a}" for r, apps in assignments.items() for a in apps]
    (folder / "assignments.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    reviewers = folder / "reviewers.yaml"
    # The demo's own analysts / committee lines (one each) are replaced by these tests' people.
    text = "".join(
        line
        for line in reviewers.read_text(encoding="utf-8").splitlines(keepends=True)
        if not line.startswith(("analysts:", "committee:"))
    )
    reviewers.write_text(text + "analysts: [jimu1, jimu2]\ncommittee: [iin1]\n", encoding="utf-8")
    if extra_yaml:
        rf = folder / "round.yaml"
        rf.write_text(rf.read_text(encoding="utf-8") + extra_yaml, encoding="utf-8")
    return folder


@pytest.fixture
def rnd(demo_round_copy: Path) -> Any:
    return load_round(write_round(demo_round_copy))


@pytest.fixture
def urls(admin_url: str, rnd: Any) -> dict[str, str]:
    return provision(admin_url, rnd)


def sql(url: str, *statements: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
    """Run SQL as the role of ``url`` (what any kernel can do); the last statement's rows."""
    eng = sa.create_engine(url)
    try:
        with eng.begin() as conn:
            res = None
            for s in statements:
                res = conn.execute(sa.text(s), params or {})
            return [tuple(r) for r in res] if res is not None and res.returns_rows else []
    finally:
        eng.dispose()


def refused(url: str, *statements: str, params: dict[str, Any] | None = None) -> str:
    """The error PostgreSQL gives for ``statements`` as that role (the test fails if none)."""
    with pytest.raises(sa.exc.DBAPIError) as info:
        sql(url, *statements, params=params)
    return str(info.value.orig)


def insert_event(reviewer: str, application: str, *, actor: str | None = None, kind: str = "score") -> str:
    """A raw INSERT of one event, as a reviewer's kernel could send it (with values the
    database's rules accept, scoring.store.constraints: the role's rights are what is tried)."""
    cell = "'theme_fit', 3" if kind == "score" else "NULL, NULL"
    return (
        "INSERT INTO score_events (id, timestamp, kind, reviewer, application, criterion, score, comment, "
        "rubric_version, source, actor, prev_hash, hash) VALUES ("
        f"(SELECT last_id + 1 FROM score_chain_head), '{now_utc()}', '{kind}', '{reviewer}', "
        f"'{application}', {cell}, '', 'v', 'widget', '{actor or reviewer}', 'x', "
        f"md5(random()::text) || md5(random()::text))"
    )


def fill(store: ScoreStore, reviewer: str, application: str, score: float = 3, comment: str = "") -> None:
    for c in CRITERIA:
        store.record(reviewer, application, c, score, comment)


# --------------------------------------------------------------------------- provisioning


def test_provision_returns_one_url_per_account_and_the_allowed_pairs(admin_url, rnd, urls):
    prefix = default_role_prefix(admin_url)
    assert set(urls) == {"r1", "r2", "r3", "r4", "r5", "r6", "jimu1", "jimu2", "iin1"}
    assert sa.engine.make_url(urls["r2"]).username == f"{prefix}_r_r2"
    assert urls["jimu1"] == urls["jimu2"]  # one analyst role
    assert sa.engine.make_url(urls["iin1"]).username == f"{prefix}_committee"
    assert {a.kind for a in accounts(rnd, prefix)} == {"reviewer", "analyst", "committee"}
    pairs = allowed_pairs(rnd)
    assert sorted(map(tuple, pairs.to_numpy().tolist())) == sorted(
        (r, a) for r, apps in ASSIGNMENTS.items() for a in apps
    )
    # the table holds exactly those pairs
    got = sql(admin_url, "SELECT reviewer, application FROM score_access_pairs ORDER BY 1, 2")
    assert got == sorted((r, a) for r, apps in ASSIGNMENTS.items() for a in apps)
    # passwords are checked: a wrong one, or none, is refused
    bad = sa.engine.make_url(urls["r1"]).set(password="wrong").render_as_string(hide_password=False)
    assert "password authentication failed" in refused(bad, "SELECT 1")


def test_a_conflicted_assignment_never_becomes_an_allowed_pair(admin_url, demo_round_copy):
    rnd = load_round(write_round(demo_round_copy, {**ASSIGNMENTS, "R6": ["10", "20"]}))  # R6 × 20: conflict
    provision(admin_url, rnd)
    assert ("R6", "20") not in set(map(tuple, allowed_pairs(rnd).to_numpy().tolist()))
    assert sql(
        admin_url, "SELECT count(*) FROM score_access_pairs WHERE reviewer = 'R6' AND application = '20'"
    ) == [(0,)]


def test_provision_refuses_sqlite_and_a_non_owner(admin_url, rnd, urls, tmp_path):
    with pytest.raises(StoreError, match="PostgreSQL でだけ"):
        provision(f"sqlite:///{tmp_path / 'x.sqlite'}", rnd)
    with pytest.raises(StoreError, match="所有者"):
        provision(urls["jimu1"], rnd)


# --------------------------------------------------------------------------- reviewers: raw SQL


def test_reviewer_reads_only_own_rows_with_raw_sql(admin_url, rnd, urls):
    with ScoreStore(urls["r1"], rnd) as s1, ScoreStore(urls["r2"], rnd) as s2:
        s1.record("R1", "01", "theme_fit", 4, "R1 のコメント")
        s2.record("R2", "01", "theme_fit", 2, "R2 の秘密のコメント")
    assert sql(urls["r1"], "SELECT count(*) FROM score_events WHERE reviewer = 'R2'") == [(0,)]
    assert sql(urls["r1"], "SELECT DISTINCT reviewer FROM score_events") == [("R1",)]
    assert sql(urls["r2"], "SELECT comment FROM score_events") == [("R2 の秘密のコメント",)]
    # the role→reviewer and pairs tables show only the role's own rows
    assert sql(urls["r1"], "SELECT reviewer FROM score_access_roles") == [("R1",)]
    assert {r for (r,) in sql(urls["r1"], "SELECT reviewer FROM score_access_pairs")} == {"R1"}
    assert sql(admin_url, "SELECT count(*) FROM score_events") == [(2,)]


def test_reviewer_cannot_insert_for_others_unassigned_conflicted_or_other_kinds_with_raw_sql(urls):
    r1, r6 = urls["r1"], urls["r6"]
    rls = "new row violates row-level security policy"
    assert rls in refused(r1, insert_event("R2", "01"))  # as another reviewer
    assert rls in refused(r1, insert_event("R1", "01", actor="R2"))  # in another's name
    assert rls in refused(r1, insert_event("R1", "05"))  # unassigned
    assert rls in refused(r6, insert_event("R6", "20"))  # conflicted
    assert rls in refused(r1, insert_event("R1", "01", kind="reopen"))
    assert rls in refused(r1, insert_event("R1", "01", kind="decision"))
    assert rls in refused(r1, insert_event("R1", "01", kind="excuse"))
    assert rls in refused(r1, insert_event("R1", "01", kind="reassign"))
    assert rls in refused(r1, insert_event("R1", "01", kind="letters_approved"))  # the 講評's approval
    assert rls in refused(r1, insert_event("", "", actor="R1", kind="letters_approved"))
    sql(r1, insert_event("R1", "01"))  # the same statement for an own assigned pair goes through
    for stmt in (
        "UPDATE score_events SET score = 5",
        "DELETE FROM score_events",
        "TRUNCATE score_events",
        "DROP TABLE score_events",
        "ALTER TABLE score_events DISABLE ROW LEVEL SECURITY",
        "DROP POLICY score_reviewer_read ON score_events",
        "INSERT INTO score_access_pairs VALUES ('R1', '05')",
        "UPDATE score_access_roles SET reviewer = 'R2'",
        "CREATE TABLE mine (x int)",
        "DELETE FROM score_meta",
    ):
        msg = refused(r1, stmt)
        assert "permission denied" in msg or "must be owner" in msg, (stmt, msg)


def test_reviewer_role_cannot_escape_by_set_role(urls):
    prefix = sa.engine.make_url(urls["r1"]).username.rsplit("_r_", 1)[0]
    for other in (f"{prefix}_analyst", f"{prefix}_r_r2", f"{prefix}_committee", "postgres"):
        assert "permission denied" in refused(urls["r1"], f'SET ROLE "{other}"')


# --------------------------------------------------------------------------- reviewers: the store


def test_reviewer_store_is_refused_with_a_japanese_message(rnd, urls):
    with ScoreStore(urls["r1"], rnd) as s1:
        assert (s1.access, s1.access_reviewer, s1.anchors) == ("reviewer", "R1", False)
        with pytest.raises(
            StoreError,
            match=r"データベースが拒否しました: .*審査員 R1 のアカウント.*審査員 R2（架空 二葉）の応募 01",
        ):
            s1.record("R2", "01", "theme_fit", 3)
        with pytest.raises(StoreError, match="データベースが拒否しました"):
            s1.record("R1", "05", "theme_fit", 3)  # unassigned
        with pytest.raises(StoreError, match="データベースが拒否しました"):
            s1.record_many(
                [
                    {"reviewer": "R1", "application": "01", "criterion": "theme_fit", "score": 3},
                    {"reviewer": "R2", "application": "01", "criterion": "theme_fit", "score": 3},
                ]
            )
        fill(s1, "R1", "01")
        s1.submit("R1", "01")
        with pytest.raises(StoreError, match="本人は自分の採点の再開を記録できません"):
            s1.reopen("R1", "01", by="R1", reason="自分で再開")
        with pytest.raises(StoreError, match="データベースが拒否しました: .*再開"):
            s1.reopen("R1", "01", by="jimu1", reason="事務局を名乗って再開")
        with pytest.raises(StoreError, match="データベースが拒否しました: .*免除"):
            s1.release("R1", "02", action="excuse", by="jimu1", reason="自分で免除")
        with pytest.raises(StoreError, match="データベースが拒否しました: .*担当替え"):
            s1.release("R1", "03", action="reassign", by="jimu1", reason="自分で担当替え", to="R4")
        with pytest.raises(StoreError, match="データベースが拒否しました"):
            s1.append_record("decision", payload={"selected": []}, by="R1")
        with pytest.raises(StoreError, match="データベースが拒否しました"):
            s1.append_record("letters_approved", payload={"drafts_sha256": "0" * 64}, by="R1")
        with pytest.raises(StoreError, match="監査"):
            s1.audit()
    # the store as the reviewer's kernel could patch it: conflict removed from its own copy of the round
    lying = dataclasses.replace(
        rnd, reviewers=[r.model_copy(update={"conflicts": ()}) if r.id == "R6" else r for r in rnd.reviewers]
    )
    with ScoreStore(urls["r6"], lying) as s6, pytest.raises(StoreError, match="データベースが拒否しました"):
        s6.record("R6", "20", "theme_fit", 3)


def test_reviewer_store_reads_only_own_scores_and_statuses(rnd, urls):
    with ScoreStore(urls["r1"], rnd) as s1, ScoreStore(urls["r2"], rnd) as s2:
        fill(s2, "R2", "01", 4)
        s1.record("R1", "02", "theme_fit", 3)
        assert set(s1.scores()["reviewer"]) == {"R1"}
        st = s1.statuses()
        assert set(st["reviewer"]) == {"R1"}
        assert set(st["application"]) == set(ASSIGNMENTS["R1"])
        assert s1.status("R2", "01") == "未着手"  # invisible, not "下書き"
        assert len(s2.scores()) == len(CRITERIA)


def test_a_reviewer_role_reads_its_own_notes_and_the_app_keeps_them(rnd, urls):
    """申請者への所見 (issue 21) on a reviewer's own role: read back, and an app save keeps them."""
    from scoring.review.session import ReviewSession

    with ScoreStore(urls["r1"], rnd) as s1, ScoreStore(urls["r2"], rnd) as s2:
        s2.record("R2", "01", "theme_fit", 3, to_applicant="R2 の所見")
        s1.record("R1", "02", "theme_fit", 3, to_applicant="採点表で書いた所見")
        assert s1.own_notes("R1") == {("02", "theme_fit"): "採点表で書いた所見"}
        assert s1.own_notes("R2") == {}  # another reviewer's rows are invisible
        session = ReviewSession(rnd, s1, "R1")
        assert session.entry("theme_fit", "02").to_applicant == "採点表で書いた所見"
        session.set_score("theme_fit", 4, "02")
        assert s1.own_notes("R1") == {("02", "theme_fit"): "採点表で書いた所見"}


def test_happy_path_reviewers_submit_the_analyst_sees_everything_and_audit_is_clean(rnd, urls, tmp_path):
    cp = tmp_path / "checkpoints.jsonl"
    codes = {}
    with (
        ScoreStore(urls["r1"], rnd, checkpoint_file=cp) as s1,
        ScoreStore(urls["r2"], rnd, checkpoint_file=cp) as s2,
    ):
        fill(s1, "R1", "01", 4)
        fill(s2, "R2", "01", 2, comment="R2 の講評")
        codes["R1"] = s1.submit("R1", "01")
        codes["R2"] = s2.submit("R2", "01")
        assert not cp.exists()  # reviewers write no checkpoint
        assert s1.receipts()["receipt"].tolist() == [codes["R1"]]
    with ScoreStore(urls["jimu1"], rnd, checkpoint_file=cp) as an:
        assert an.access == "analyst" and an.anchors
        sc = an.scores(include_drafts=False)
        assert len(sc) == 2 * len(CRITERIA) and set(sc["reviewer"]) == {"R1", "R2"}
        assert set(an.receipts()["receipt"]) == set(codes.values())
        audit = an.audit()
        assert audit.problems.empty, audit.problems.to_dict("records")
        assert any("記録点を書きました" in w for w in audit.warnings)
        # the checkpoint now holds the reviewers' receipts: their codes verify against it
        check = an.check_receipt(codes["R2"])
        assert check.status == "一致" and not check.notes, check
        # the analyst reopens (a right reviewers lack) and audit stays clean
        an.reopen("R1", "01", by="jimu1", reason="確認のため")
        assert an.audit().problems.empty
        # (no keyring in this round: the submissions' signatures are checked with the keys they carry)
        assert [w for w in an.audit().warnings if "公開鍵の一覧" not in w] == []


def test_audit_of_the_analyst_still_fails_on_a_reviewer_submission_with_tampering(
    admin_url, rnd, urls, tmp_path
):
    cp = tmp_path / "checkpoints.jsonl"
    with ScoreStore(urls["r1"], rnd, checkpoint_file=cp) as s1:
        fill(s1, "R1", "01", 4)
        s1.submit("R1", "01")
    sql(
        admin_url,
        "ALTER TABLE score_events DISABLE TRIGGER USER",
        "UPDATE score_events SET score = 1 WHERE id = 1",
    )
    with ScoreStore(urls["jimu1"], rnd, checkpoint_file=cp) as an:
        audit = an.audit()
        assert set(audit.problems["problem"]) >= {"変更"}
        assert not cp.exists()  # nothing signed over a tampered chain


def test_a_reviewer_corrupting_the_chain_head_is_found_by_audit(rnd, urls, tmp_path):
    cp = tmp_path / "checkpoints.jsonl"
    with ScoreStore(urls["r1"], rnd, checkpoint_file=cp) as s1:
        s1.record("R1", "01", "theme_fit", 3)
    sql(
        urls["r1"], "UPDATE score_chain_head SET last_hash = repeat('f', 64)"
    )  # the right reviewers must have
    with ScoreStore(urls["jimu1"], rnd, checkpoint_file=cp) as an:
        problems = an.audit().problems
        assert problems["problem"].tolist() == ["変更"]
        assert "チェーンの末尾の記録と一致しません" in problems["message"].iloc[0]


# --------------------------------------------------------------------------- committee and analyst


def test_committee_reads_scores_but_never_comments(rnd, urls):
    with ScoreStore(urls["r1"], rnd) as s1:
        fill(s1, "R1", "01", 4, comment="委員には見せないコメント")
    assert "permission denied" in refused(urls["iin1"], "SELECT comment FROM score_events")
    assert "permission denied" in refused(urls["iin1"], "SELECT * FROM score_events")
    assert sql(urls["iin1"], "SELECT count(*), sum(score) FROM score_events") == [
        (len(CRITERIA), 4.0 * len(CRITERIA))
    ]
    for stmt in (insert_event("R1", "02"), "UPDATE score_chain_head SET last_id = 0"):
        assert "permission denied" in refused(urls["iin1"], stmt)
    with ScoreStore(urls["iin1"], rnd) as com:
        assert com.access == "committee" and not com.anchors
        sc = com.scores()
        assert len(sc) == len(CRITERIA) and (sc["comment"] == "").all() and (sc["score"] == 4).all()
        # The committee's dashboard reads the log (decisions) without the comment column.
        ev = com.events()
        assert len(ev) == len(CRITERIA) and (ev["comment"] == "").all()
        assert com.receipts().empty  # a receipt covers the comments: not computable without them
        with pytest.raises(StoreError, match="データベースが拒否しました"):
            com.record("R1", "02", "theme_fit", 3)


def test_committee_cannot_confirm_a_guessed_comment_by_hashing_or_verifying(rnd, urls, tmp_path):
    """Issue 18 (Low): the committee's view showed each event's hash and the submissions'
    signatures; with the scores in view and the comment blank, hashing a guess ("" here, as
    most comments are) confirmed it. Fails on the old code (the guess was confirmed for every
    score event); now the hashes and signatures are NULL in the view and refused in the table,
    and the committee's own reads (scores, events, decisions, revisions) still work."""
    cp = tmp_path / "cp.jsonl"
    with ScoreStore(urls["r1"], rnd, checkpoint_file=cp) as s1:
        fill(s1, "R1", "01", 4)  # no comments
        s1.submit("R1", "01")
    with ScoreStore(urls["jimu1"], rnd, checkpoint_file=cp) as an:
        an.revise("R1", "01", "theme_fit", 5, reason="協議で加点", by="jimu1")
        an.append_record("decision", payload={"selected": ["01"]}, by="jimu1")
    committee = urls["iin1"]
    rows = [
        dict(zip(EVENT_COLUMNS, r, strict=True))
        for r in sql(committee, f"SELECT {', '.join(EVENT_COLUMNS)} FROM score_events_committee ORDER BY id")
    ]
    # The committee's guess: every field but the comment is in view; try the empty comment.
    guessed = [
        r["id"]
        for r in rows
        if r["kind"] == "score" and r["hash"] and event_hash({**r, "comment": ""}) == r["hash"]
    ]
    assert guessed == []
    assert {(r["prev_hash"], r["hash"]) for r in rows} == {(None, None)}
    assert [r["payload"] for r in rows if r["kind"] in ("score", "submit")] == [None] * (len(CRITERIA) + 1)
    for column in ("hash", "prev_hash", "payload", "comment"):
        assert "permission denied" in refused(committee, f"SELECT {column} FROM score_events")
    assert "permission denied" in refused(committee, "SELECT last_hash FROM score_chain_head")
    assert sql(committee, "SELECT last_id FROM score_chain_head") == [(len(rows),)]
    with ScoreStore(committee, rnd, checkpoint_file=cp) as com:
        assert (com.scores()["score"] == 4).sum() == len(CRITERIA) - 1
        assert com.revisions()["reason"].tolist() == ["協議で加点"]
        assert [p for _, p in com.records("decision")] == [{"selected": ["01"]}]
        assert len(com.events()) == len(rows)


def test_committee_sees_comments_when_the_round_allows_it(admin_url, demo_round_copy):
    rnd = load_round(write_round(demo_round_copy, extra_yaml="committee_sees_comments: true\n"))
    urls = provision(admin_url, rnd)
    with ScoreStore(urls["r1"], rnd) as s1:
        s1.record("R1", "01", "theme_fit", 3, "見せてよいコメント")
    assert sql(urls["iin1"], "SELECT comment FROM score_events") == [("見せてよいコメント",)]
    # and back to the default: the comment column is closed again
    (demo_round_copy / "round.yaml").write_text(
        (demo_round_copy / "round.yaml")
        .read_text(encoding="utf-8")
        .replace("committee_sees_comments: true\n", ""),
        encoding="utf-8",
    )
    urls = provision(admin_url, load_round(demo_round_copy))
    assert "permission denied" in refused(urls["iin1"], "SELECT comment FROM score_events")


def test_analyst_reads_all_and_may_reopen_and_decide(rnd, urls, tmp_path):
    cp = tmp_path / "cp.jsonl"
    with (
        ScoreStore(urls["r1"], rnd, checkpoint_file=cp) as s1,
        ScoreStore(urls["r3"], rnd, checkpoint_file=cp) as s3,
    ):
        fill(s1, "R1", "02")
        fill(s3, "R3", "02")
        s1.submit("R1", "02")
    with ScoreStore(urls["jimu2"], rnd, checkpoint_file=cp) as an:
        assert set(an.events()["reviewer"]) == {"R1", "R3"}
        an.reopen("R1", "02", by="jimu2", reason="誤記")
        an.release("R3", "20", action="excuse", by="jimu2", reason="長期不在")  # R3 has 02 and 20
        assert an.statuses().set_index(["reviewer", "application"]).loc[("R3", "20"), "status"] == "免除"
        an.append_record("decision", payload={"selected": ["02"]}, by="jimu2")
        an.append_record("letters_approved", payload={"drafts_sha256": "0" * 64}, by="jimu2")
        an.record("R4", "05", "theme_fit", 3, source="excel", actor="jimu2")  # an analyst's import
        assert an.audit().problems.empty
    assert "permission denied" in refused(urls["jimu1"], "UPDATE score_events SET score = 1")
    assert "permission denied" in refused(urls["jimu1"], "DELETE FROM score_events")


def test_one_checkpoint_file_per_round_whoever_writes_and_the_database_counts_them(admin_url, rnd, urls):
    """Issue 18, Medium 7: each role wrote its own ``checkpoints-<hex>.jsonl`` (the user name
    stayed in the URL), so the analyst's audit ignored the owner's checkpoints. Now there is
    one file per round; the database counts the lines (the analyst's role may update the
    count), and the committee's view hides the submissions' nonces (the receipts' salt)."""
    with ScoreStore(urls["r1"], rnd) as s1:
        fill(s1, "R1", "02")
        s1.submit("R1", "02")
    with ScoreStore(admin_url, rnd) as owner, ScoreStore(urls["jimu1"], rnd) as an:
        assert owner.checkpoint_path == an.checkpoint_path == Path(rnd.path) / "checkpoints.jsonl"
        owner.reopen("R1", "02", by="所有者", reason="誤記")
        an.append_record("decision", payload={"selected": ["02"]}, by="jimu1")
        assert an.audit().problems.empty
    lines = (Path(rnd.path) / "checkpoints.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(x)["reason"] for x in lines] == ["reopen", "decision"]
    assert sql(admin_url, "SELECT written FROM score_checkpoint_count") == [(2,)]
    assert sql(urls["iin1"], "SELECT comment FROM score_events_committee WHERE kind = 'submit'") == [("",)]
    assert "permission denied" in refused(urls["r1"], "UPDATE score_checkpoint_count SET written = 0")


# --------------------------------------------------------------------------- re-provisioning


def test_reprovision_after_an_assignment_change_updates_the_allowed_pairs(admin_url, demo_round_copy):
    folder = write_round(demo_round_copy)
    urls = provision(admin_url, load_round(folder))
    rnd = load_round(folder)
    with ScoreStore(urls["r1"], rnd) as s1:
        s1.record("R1", "01", "theme_fit", 3)
    write_round(folder, {**ASSIGNMENTS, "R1": ["05"]})  # R1 now reviews 05 only
    rnd2 = load_round(folder)
    urls2 = provision(admin_url, rnd2)
    assert urls2["r1"] != urls["r1"]  # new password
    assert "password authentication failed" in refused(urls["r1"], "SELECT 1")
    with ScoreStore(urls2["r1"], rnd2) as s1:
        s1.record("R1", "05", "theme_fit", 3)
        with pytest.raises(StoreError, match="データベースが拒否しました"):
            s1.record("R1", "01", "theme_fit", 4)
        assert len(s1.scores()) == 2  # earlier rows stay readable by their reviewer


def test_reprovision_removes_a_reviewer_who_left(admin_url, demo_round_copy):
    folder = write_round(demo_round_copy)
    urls = provision(
        admin_url, load_round(folder), passwords={f"{default_role_prefix(admin_url)}_r_r6": "pw6"}
    )
    assert sa.engine.make_url(urls["r6"]).password == "pw6"
    text = (folder / "reviewers.yaml").read_text(encoding="utf-8")
    (folder / "reviewers.yaml").write_text(
        text[: text.index("  - id: R6")] + text[text.index("analysts:") :], encoding="utf-8"
    )
    write_round(folder, {k: v for k, v in ASSIGNMENTS.items() if k != "R6"})
    provision(admin_url, load_round(folder))
    assert "not permitted to log in" in refused(urls["r6"], "SELECT 1")


# --------------------------------------------------------------------------- credentials files


def test_credentials_file_is_0600_and_a_readable_one_is_refused(rnd, urls, tmp_path, monkeypatch):
    home = tmp_path / "home"
    path = write_credentials(urls["r1"], home / ".shinsa" / "database_url")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("SCORING_DATABASE_URL", raising=False)
    assert default_url(rnd) == urls["r1"]
    with ScoreStore.open(rnd) as s:
        assert s.access_reviewer == "R1"
    monkeypatch.setenv("SCORING_DATABASE_URL", urls["r2"])  # the variable wins
    assert default_url(rnd) == urls["r2"]
    monkeypatch.delenv("SCORING_DATABASE_URL")
    os.chmod(path, 0o640)
    with pytest.raises(StoreError, match=r"他のアカウントが読めます.*chmod 600"):
        default_url(rnd)
    os.chmod(path, 0o600)
    path.write_text("")
    with pytest.raises(StoreError, match="空です"):
        read_database_url(path)
    path.unlink()
    assert default_url(rnd).startswith("sqlite:///")


def test_hub_users_must_be_unique_across_reviewers_analysts_and_committee(demo_round_copy):
    f = demo_round_copy / "reviewers.yaml"
    demo = f.read_text(encoding="utf-8")
    assert "analysts: [jimukyoku]" in demo and "committee: [iin]" in demo
    f.write_text(
        demo.replace("analysts: [jimukyoku]", "analysts: [r2]").replace(
            "committee: [iin]", "committee: [iin1]"
        ),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="r2"):
        load_round(demo_round_copy)
    f.write_text(
        f.read_text(encoding="utf-8").replace("analysts: [r2]", "analysts: [jimu1]"), encoding="utf-8"
    )
    r = load_round(demo_round_copy)
    assert (r.analysts, r.committee) == (("jimu1",), ("iin1",))


def test_cli_db_setup_writes_one_credentials_file_per_account(admin_url, demo_round_copy, tmp_path, capsys):
    folder = write_round(demo_round_copy)
    out = tmp_path / "creds"
    assert (
        main(["db-setup", "--round", str(folder), "--admin-url", admin_url, "--credentials-dir", str(out)])
        == 0
    )
    printed = capsys.readouterr().out
    assert "R1" in printed and "3 組" in printed and "選定委員" in printed
    files = sorted(p.name for p in out.iterdir())
    assert files == sorted(f"{u}.url" for u in ("r1", "r2", "r3", "r4", "r5", "r6", "jimu1", "jimu2", "iin1"))
    for p in out.iterdir():
        assert stat.S_IMODE(p.stat().st_mode) == 0o600
    rnd = load_round(folder)
    with ScoreStore(read_database_url(out / "r4.url"), rnd) as s4:
        assert s4.access_reviewer == "R4"
    assert (
        main(["db-setup", "--round", str(folder), "--admin-url", f"sqlite:///{tmp_path / 'x.sqlite'}"]) == 2
    )
    assert "PostgreSQL" in capsys.readouterr().err


# --------------------------------------------------------------------------- concurrency


def _bench() -> Any:
    """benchmarks/bench_hub_load.py: the scenario of the load benchmark (run here without timing).

    Imported by name from the benchmarks folder put on ``sys.path`` (spawned workers inherit it).
    """
    folder = str(Path(__file__).resolve().parents[2] / "benchmarks")
    if folder not in sys.path:
        sys.path.insert(0, folder)
    import bench_hub_load

    return bench_hub_load


@pytest.mark.timeout(300)
def test_thirty_reviewer_roles_saving_at_once_lose_nothing(admin_url, tmp_path):
    bench = _bench()
    folder = bench.make_load_round(tmp_path / "load", 30)
    res = bench.run_load(admin_url, folder, saves=10, threads=True)  # 10 saves, then a submission each
    assert res.errors == []
    assert res.events_expected == 30 * 11
    assert res.events_found == res.events_expected and res.ids_without_gaps
    assert res.audit_problems == []
    assert res.ok
    assert sorted(s["reviewer"] for s in res.sessions) == sorted(f"R{k}" for k in range(1, 31))


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_reviewer_roles_in_separate_processes_keep_the_chain_valid(admin_url, tmp_path):
    bench = _bench()
    folder = bench.make_load_round(tmp_path / "load", 6)
    res = bench.run_load(admin_url, folder, saves=12, threads=False)
    assert res.errors == [] and res.ok, (res.errors, res.audit_problems)
    assert res.events_found == 6 * 13


def test_a_reviewer_role_cannot_create_the_tables(admin_url, rnd, urls, scram_cluster):
    # the same roles on a second, empty database of the cluster: the store is not there yet
    db = f"empty_{uuid.uuid4().hex[:8]}"
    super_url = scram_cluster.rsplit("/", 1)[0] + "/postgres"
    create_database(super_url, db)
    try:
        other = sa.engine.make_url(urls["r1"]).set(database=db).render_as_string(hide_password=False)
        with pytest.raises(StoreError, match="データベースが拒否しました: .*db-setup"):
            ScoreStore(other, rnd)
    finally:
        _drop(super_url, db, "no_roles_to_drop_")


def test_roles_of_one_round_cannot_connect_to_another_rounds_database(
    admin_url, rnd, urls, scram_cluster, demo_round_copy
):
    db = f"other_{uuid.uuid4().hex[:8]}"
    base = scram_cluster.rsplit("/", 1)[0]
    eng = sa.create_engine(base + "/postgres", isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{db}"')
    eng.dispose()
    other_admin = f"{base}/{db}"
    try:
        other = provision(other_admin, rnd)
        assert sa.engine.make_url(other["r1"]).username != sa.engine.make_url(urls["r1"]).username
        stray = sa.engine.make_url(urls["r1"]).set(database=db).render_as_string(hide_password=False)
        assert "permission denied for database" in refused(stray, "SELECT 1")
        sql(other["r1"], "SELECT 1")
    finally:
        _drop(base + "/postgres", db, default_role_prefix(other_admin))


def test_write_credentials_for_another_account(tmp_path):
    import pwd

    target = pwd.getpwnam("nobody") if os.geteuid() == 0 else pwd.getpwuid(os.getuid())
    path = write_credentials(
        "postgresql+psycopg://u:secret@h/db",
        tmp_path / "u" / ".shinsa" / "database_url",
        uid=target.pw_uid,
        gid=target.pw_gid,
    )
    st = path.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (target.pw_uid, target.pw_gid, 0o600)
    assert path.parent.stat().st_uid == target.pw_uid
    assert path.read_text().strip() == "postgresql+psycopg://u:secret@h/db"
    assert [p.name for p in path.parent.iterdir()] == ["database_url"]  # no temporary file left
