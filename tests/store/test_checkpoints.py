"""The audit anchored outside the database (issue #10): signed checkpoints and receipts.

The attacker of these tests holds the database (write access, triggers dropped) but not
the analyst's key: they forge or rewrite events, recompute every hash with the public
:func:`scoring.store.scores.event_hash` and move the chain head. Runs on SQLite and on
PostgreSQL (``store_url``).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import sqlalchemy as sa
from attack import drop_guards, tamper

from scoring.cli import main
from scoring.core.canonical import canonical_text
from scoring.store.scores import EVENT_COLUMNS, ScoreStore, event_hash

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


def fill(store: ScoreStore, reviewer: str = "R1", application: str = "01", score: float = 3) -> None:
    """Score every criterion of one pair (3 = no comment needed)."""
    store.record_many(
        [
            {"reviewer": reviewer, "application": application, "criterion": c, "score": score}
            for c in CRITERIA
        ],
        source="widget",
    )


@pytest.fixture
def store(store_url, store_round):
    s = ScoreStore(store_url, store_round)
    yield s
    s.close()


def lines_of(store: ScoreStore) -> list[dict[str, Any]]:
    """This database's checkpoint lines (on PostgreSQL the session's round shares one file)."""
    if not store.checkpoint_path.exists():
        return []
    out = [json.loads(x) for x in store.checkpoint_path.read_text(encoding="utf-8").splitlines()]
    return [x for x in out if x.get("store_id") == store.store_id]


def _raw_events(store: ScoreStore) -> list[dict[str, Any]]:
    engine = sa.create_engine(store.log.engine.url)
    try:
        with engine.connect() as conn:
            return [
                dict(r) for r in conn.exec_driver_sql("SELECT * FROM score_events ORDER BY id").mappings()
            ]
    finally:
        engine.dispose()


def _sql(v: object) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, str):
        return "'" + v.replace("'", "''") + "'"
    return repr(float(v)) if isinstance(v, float) else str(v)


def append_forged(store: ScoreStore, url: str, **fields: object) -> int:
    """Append a forged event with a correct hash and move the chain head (as an attacker would)."""
    last = _raw_events(store)[-1]
    ev: dict[str, Any] = {k: last[k] for k in EVENT_COLUMNS if k != "hash"}
    ev.update(
        {
            "id": int(last["id"]) + 1,  # at the last event's time (the database refuses an impossible one)
            "kind": "score",
            "criterion": CRITERIA[0],
            "score": 5.0,
            "comment": "",
            "source": "widget",
            "prev_hash": last["hash"],
        }
    )
    ev.update(fields)
    ev["hash"] = event_hash(ev)
    cols = ", ".join(ev)
    vals = ", ".join(_sql(v) for v in ev.values())
    tamper(
        url,
        f"INSERT INTO score_events ({cols}) VALUES ({vals})",
        f"UPDATE score_chain_head SET last_id = {ev['id']}, last_hash = '{ev['hash']}' WHERE id = 1",
    )
    return int(ev["id"])


def rewrite_and_rehash(store: ScoreStore, url: str, event_id: int, **fields: object) -> None:
    """Change one event, recompute its hash and every later hash, move the head."""
    rows = _raw_events(store)
    stmts = list(drop_guards(url))
    prev = None
    for ev in rows:
        if int(ev["id"]) == event_id:
            ev.update(fields)
        if prev is not None:
            ev["prev_hash"] = prev
        new = event_hash(ev)
        if int(ev["id"]) >= event_id:
            sets = ", ".join(f"{k} = {_sql(ev[k])}" for k in ("score", "comment", "payload", "prev_hash"))
            stmts.append(f"UPDATE score_events SET {sets}, hash = '{new}' WHERE id = {ev['id']}")
        ev["hash"] = prev = new
    stmts.append(f"UPDATE score_chain_head SET last_id = {rows[-1]['id']}, last_hash = '{prev}' WHERE id = 1")
    tamper(url, *stmts)


# --------------------------------------------------------------------------- the reported attack


def test_a_forged_event_appended_to_a_submitted_pair_fails_the_audit(store, store_url):
    """Issue #10: a forged, correctly hashed event with the head moved used to pass the audit."""
    fill(store, "R1", "01")
    store.submit("R1", "01")
    assert store.verify().empty
    forged = append_forged(store, store_url, reviewer="R1", application="01", actor="R1")
    assert store.scores().set_index(["reviewer", "criterion"]).loc[("R1", CRITERIA[0]), "score"] == 5.0
    got = store.verify()
    assert not got.empty
    assert got["event_id"].iloc[0] == forged
    assert f"イベント {forged}" in got["message"].iloc[0]


def test_a_rewritten_and_rehashed_submitted_score_fails_the_audit_naming_it(store, store_url):
    fill(store, "R1", "01")
    store.submit("R1", "01")
    fill(store, "R2", "02")  # later drafts, not anchored by a checkpoint
    assert store.verify().empty
    rewrite_and_rehash(store, store_url, 3, score=1.0)
    assert store.scores().query("reviewer == 'R1'")["score"].tolist()[2] == 1.0
    got = store.verify()
    assert not got.empty
    assert got["event_id"].iloc[0] == 3
    assert "イベント 3" in got["message"].iloc[0]


def test_a_forged_reopen_change_and_resubmit_is_not_covered_by_any_checkpoint(store, store_url):
    fill(store, "R1", "01")
    store.submit("R1", "01")
    first = append_forged(
        store,
        store_url,
        kind="reopen",
        reviewer="R1",
        application="01",
        criterion=None,
        score=None,
        comment="誤り",
        source="analyst",
        actor="事務局",
    )
    append_forged(store, store_url, reviewer="R1", application="01", actor="R1")
    append_forged(
        store,
        store_url,
        kind="submit",
        reviewer="R1",
        application="01",
        criterion=None,
        score=None,
        comment="",
        actor="R1",
    )
    got = store.verify()
    assert got["event_id"].tolist()[0] == first
    assert got["problem"].tolist() == ["未署名", "署名"]  # the forged submission is not signed either
    assert "署名された記録点がありません" in got["message"].iloc[0]


# --------------------------------------------------------------------------- the checkpoint file


def test_every_submit_reopen_import_and_decision_writes_a_signed_checkpoint(store):
    from scoring.core.keys import fingerprint, load_private_key, public_key_text

    fill(store, "R1", "01")
    assert not lines_of(store)  # drafts write none
    store.submit("R1", "01")
    store.reopen("R1", "01", by="事務局", reason="確認")
    store.record_many(
        [{"reviewer": "R2", "application": "02", "criterion": CRITERIA[0], "score": 3}], source="excel"
    )
    store.append_record("decision", payload={"selected": ["01"]}, by="事務局")
    store.checkpoint("report")
    lines = lines_of(store)
    assert [x["reason"] for x in lines] == ["submit", "reopen", "import", "decision", "report"]
    assert [x["head"]["id"] for x in lines] == [10, 11, 12, 13, 13]
    assert lines[0]["counts"] == {
        "events": 10,
        "score": 9,
        "submit": 1,
        "reopen": 0,
        "decision": 0,
        "eligibility": 0,
        "revise": 0,
        "submitted_pairs": 1,
    }
    assert lines[1]["counts"]["submitted_pairs"] == 0
    assert lines[0]["head"]["hash"] == store.events()["hash"].iloc[9]
    pub = public_key_text(load_private_key())
    assert {(x["v"], x["public_key"], x["key_fingerprint"]) for x in lines} == {(2, pub, fingerprint(pub))}
    assert not any("nonce" in r for x in lines for r in x["receipts"])  # the salt stays in the database
    assert all(c.valid for c in store.checkpoints())
    assert store.verify().empty


def test_an_altered_or_foreign_checkpoint_line_fails_the_audit(store):
    fill(store, "R1", "01")
    store.submit("R1", "01")
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from scoring.core.keys import public_key_text

    path = store.checkpoint_path
    (rec,) = lines_of(store)
    rec["counts"]["events"] = 11
    path.write_text(json.dumps(rec) + "\n", encoding="utf-8")
    got = store.verify()
    # the altered line does not verify, the database's last counted line is gone, the submission is unsigned
    assert sorted(got["problem"]) == ["未署名", "記録点", "記録点"]
    text = "".join(got["message"])
    assert "署名が一致しません" in text and "切り詰められています" in text
    rec["public_key"] = public_key_text(Ed25519PrivateKey.generate())
    path.write_text(json.dumps(rec) + "\n", encoding="utf-8")
    assert "事務局として登録されていない鍵" in "".join(store.verify()["message"])


def test_a_deleted_checkpoint_file_is_an_error_after_a_submit_and_a_warning_for_drafts(store):
    fill(store, "R1", "01")
    audit = store.audit()
    assert audit.problems.empty and any("署名された記録点のファイル" in w for w in audit.warnings)
    store.submit("R1", "01")
    store.checkpoint_path.unlink()
    got = store.verify()
    # the database counted one checkpoint: a deleted file is a problem, not a round without one (issue 18)
    assert got["problem"].tolist() == ["記録点", "未署名"]
    assert "がない、または空です" in got["message"].iloc[0] and "1 件書かれた" in got["message"].iloc[0]
    assert "イベント 10" in got["message"].iloc[1]


def test_deleting_events_before_a_checkpoint_and_rehashing_fails_on_the_counts_or_hash(store, store_url):
    fill(store, "R1", "01")
    store.submit("R1", "01")
    fill(store, "R2", "02")
    store.submit("R2", "02")
    # drop R1's submission entirely: renumber and rehash what is left, move the head
    rows = [r for r in _raw_events(store) if r["reviewer"] != "R1"]
    stmts = [*drop_guards(store_url), "DELETE FROM score_events"]
    prev = "0" * 64
    for i, ev in enumerate(rows, start=1):
        ev.update(id=i, prev_hash=prev)
        ev["hash"] = prev = event_hash(ev)
        stmts.append(
            f"INSERT INTO score_events ({', '.join(ev)}) VALUES ({', '.join(_sql(v) for v in ev.values())})"
        )
    stmts.append(f"UPDATE score_chain_head SET last_id = {len(rows)}, last_hash = '{prev}' WHERE id = 1")
    tamper(store_url, *stmts)
    got = store.verify()
    assert set(got["problem"]) <= {"記録点", "変更"} and (got["problem"] == "記録点").any()
    assert 10 in got.loc[got["problem"] == "記録点", "event_id"].tolist() or 11 in got["event_id"].tolist()


# --------------------------------------------------------------------------- receipts


def test_submit_returns_a_receipt_that_receipts_lists_and_a_change_alters(store):
    fill(store, "R1", "01")
    code = store.submit("R1", "01")
    assert len(code) == 19 and code.count("-") == 3
    got = store.receipts()
    assert got[["reviewer", "application", "receipt"]].to_dict("records") == [
        {"reviewer": "R1", "application": "01", "receipt": code}
    ]
    rec = lines_of(store)[-1]
    assert rec["receipts"][0]["code"] == code and sorted(rec["receipts"][0]["cells"]) == sorted(CRITERIA)
    store.reopen("R1", "01", by="事務局", reason="確認")
    assert store.receipts().empty
    store.record("R1", "01", CRITERIA[0], 4)
    code2 = store.submit("R1", "01")
    assert code2 != code and store.receipts()["receipt"].tolist() == [code2]
    assert store.verify().empty


def test_record_many_submits_with_receipts(store):
    rows = [
        {"reviewer": "R1", "application": a, "criterion": c, "score": 3}
        for a in ("01", "02")
        for c in CRITERIA
    ]
    store.record_many(rows, source="excel", submit=[("R1", "01"), ("R1", "02")])
    rec = lines_of(store)[-1]
    assert rec["reason"] == "import"
    assert [r["code"] for r in rec["receipts"]] == store.receipts()["receipt"].tolist()


def test_cli_audit_fails_on_a_rehashed_forgery_and_names_the_first_bad_event(
    demo_round_copy, monkeypatch, capsys, store_url
):
    from scoring.round.loader import load_round

    monkeypatch.setenv("SCORING_DATABASE_URL", store_url)
    rnd = load_round(demo_round_copy)
    with ScoreStore.open(rnd) as s:
        fill(s, "R1", "01")
        s.submit("R1", "01")
    assert main(["audit", "--round", str(demo_round_copy)]) == 0
    out = capsys.readouterr().out
    assert "改ざん・削除は見つかりませんでした" in out and "うち署名が有効 1 件" in out
    with ScoreStore.open(rnd) as s:
        forged = append_forged(s, store_url, reviewer="R1", application="01", actor="R1")
    assert main(["audit", "--round", str(demo_round_copy)]) == 1
    captured = capsys.readouterr()
    assert "改ざん・削除は見つかりませんでした" not in captured.out
    assert f"最初の問題: イベント {forged}（追加）" in captured.err


def test_cli_verify_receipt_exit_codes(demo_round_copy, monkeypatch, capsys, store_url):
    from scoring.round.loader import load_round

    monkeypatch.setenv("SCORING_DATABASE_URL", store_url)
    rnd = load_round(demo_round_copy)
    with ScoreStore.open(rnd) as s:
        fill(s, "R1", "01")
        code = s.submit("R1", "01")
        fill(s, "R2", "02")
        code2 = s.submit("R2", "02")
    assert main(["verify-receipt", "--round", str(demo_round_copy), code.upper().replace("-", " ")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("確認できました") and "審査員 R1" in out and "応募 01" in out and code in out
    assert main(["verify-receipt", "--round", str(demo_round_copy), "0000-0000-0000-0000"]) == 2
    assert "見つかりません" in capsys.readouterr().err
    assert main(["verify-receipt", "--round", str(demo_round_copy), "12"]) == 2
    assert "受領コードの形ではありません" in capsys.readouterr().err
    # a submitted score rewritten in the database (re-hashed): code 1, what changed
    with ScoreStore.open(rnd) as s:
        rewrite_and_rehash(s, store_url, 3, score=1.0)
    assert main(["verify-receipt", "--round", str(demo_round_copy), code]) == 1
    err = capsys.readouterr().err
    assert err.startswith("提出後に変更があります") and "書き換えられています" in err
    assert (
        "変更: 「自力での解決の難しさ」（need_self_reliance）: 現在 1 点" in err
    )  # the original event is gone
    assert main(["verify-receipt", "--round", str(demo_round_copy), code2]) == 0
    # reopened by the analyst and changed
    with ScoreStore.open(rnd) as s:
        s.reopen("R2", "02", by="事務局", reason="確認")
        s.record("R2", "02", CRITERIA[1], 4)
    assert main(["verify-receipt", "--round", str(demo_round_copy), code2]) == 1
    err = capsys.readouterr().err
    assert "再開の後に変更されています" in err and "現在は提出されていません" in err
    assert "（need_support_burden）: 提出時 3 点 → 現在 4 点" in err


def test_a_forged_or_rehashed_eligibility_decision_fails_the_audit(store, store_url):
    """An attacker with the database but not the key: a forged 辞退 of a competitor, or a
    期限後受理 rewritten into a 辞退 and re-hashed, is found by the signed checkpoints."""
    from scoring.round.eligibility_records import EligibilityRecord

    def record(action: str) -> dict[str, Any]:
        return EligibilityRecord(
            action=action,
            application="05",
            by="事務局",
            reason="理由",
            recorded_at=dt.datetime.now(dt.timezone.utc),
        ).to_payload()

    def payload(action: str) -> str:
        return canonical_text(record(action))

    eid = store.append_record("eligibility", application="05", payload=record("accept_late"), by="事務局")
    assert store.verify().empty
    lines = lines_of(store)
    assert lines[-1]["reason"] == "eligibility" and lines[-1]["counts"]["eligibility"] == 1
    rewrite_and_rehash(store, store_url, eid, payload=payload("withdraw"))
    got = store.verify()
    assert got["event_id"].tolist() == [eid] and got["problem"].tolist() == ["記録点"]
    rewrite_and_rehash(store, store_url, eid, payload=payload("accept_late"))  # put it back
    assert store.verify().empty
    forged = append_forged(
        store,
        store_url,
        kind="eligibility",
        reviewer="",
        application="02",
        criterion=None,
        score=None,
        comment="",
        payload=payload("withdraw"),
        source="analyst",
        actor="事務局",
    )
    got = store.verify()
    assert got["event_id"].tolist() == [forged] and got["problem"].tolist() == ["未署名"]
    assert "受付の判断" in got["message"].iloc[0]
