"""Reviewers sign what they submit (issue 18, item 1): on SQLite and PostgreSQL.

The attacker holds the database owner's password, not a reviewer's private key: they rewrite
a submitted score, re-hash the chain and delete every checkpoint; or they sign the rewritten
statement with a key of their own. The reviewer's signature, checked with the round's public
keys alone, names the submission either way.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from test_checkpoints import CRITERIA, _raw_events, fill, rewrite_and_rehash

from scoring.core.keyring import Keyring, keyring_path
from scoring.core.keys import create_key_file, load_private_key, public_key_text, sign_data, verify_data
from scoring.round.loader import load_round
from scoring.store.scores import ScoreStore
from scoring.store.statements import (
    Signer,
    analyst_person,
    signature_check,
    signature_receipt,
    submission_problems,
    submission_statement,
    submit_receipt,
)


@pytest.fixture
def signed_round(demo_round_copy: Path, tmp_path: Path) -> dict[str, Any]:
    """The demo round with a keyring: the analyst (the session's key), R1 and R2 (keys of their own)."""
    rnd = load_round(demo_round_copy)
    analyst = load_private_key()
    keys = {r: create_key_file(tmp_path / "homes" / r / ".shinsa" / "ed25519_key.pem") for r in ("R1", "R2")}
    _write_keyring(rnd, analyst, keys)
    return {"round": rnd, "keys": keys, "analyst": analyst}


def _write_keyring(rnd, analyst, reviewer_keys) -> None:
    ring = Keyring(rnd.name).with_person(analyst_person(), "analyst", public_key_text(analyst))
    for r, k in reviewer_keys.items():
        ring = ring.with_person(r, "reviewer", public_key_text(k))
    ring.signed(analyst).save(keyring_path(rnd.path))


@pytest.fixture
def open_store(signed_round, store_url, tmp_path):
    stores: list[ScoreStore] = []

    def open_(signer: Signer | None = None) -> ScoreStore:
        s = ScoreStore.open(
            signed_round["round"], store_url, checkpoint_file=tmp_path / "cp.jsonl", signer=signer
        )
        stores.append(s)
        return s

    yield open_
    for s in stores:
        s.close()


def _submit_event(store: ScoreStore, reviewer: str, application: str) -> dict[str, Any]:
    return [
        e
        for e in _raw_events(store)
        if e["kind"] == "submit" and e["reviewer"] == reviewer and e["application"] == application
    ][-1]


def _signature_rows(store: ScoreStore, rnd) -> list[tuple[int, str, str]]:
    """The signature check alone (no checkpoints, no secret: the keyring's public keys)."""
    problems, _ = signature_check(_raw_events(store), rnd.path, round_name=rnd.name, reviewers_sign=False)
    return problems


def test_a_submission_carries_the_reviewers_valid_signature_and_the_receipt_comes_from_it(
    signed_round, open_store
):
    rnd = signed_round["round"]
    store = open_store(Signer("R1", signed_round["keys"]["R1"]))
    fill(store, "R1", "01", score=4)
    code = store.submit("R1", "01")
    ev = _submit_event(store, "R1", "01")
    payload = json.loads(ev["payload"])
    assert payload["statement_v"] == 2 and payload["signed_by"] == "R1"
    ring = Keyring.load(rnd.path)
    assert payload["public_key"] == ring.public_key("R1")
    statement = submission_statement(
        round_name=rnd.name,
        reviewer="R1",
        application="01",
        rubric_version=rnd.rubric.version,
        nonce=ev["comment"],
        cells={c: (4.0, "") for c in CRITERIA},
        signed_at=payload["signed_at"],
    )
    assert verify_data(ring.public_key("R1"), statement, payload["signature"])
    assert code == signature_receipt(payload["signature"])
    assert store.receipts().set_index("application").loc["01", "receipt"] == code
    assert store.verify().empty
    assert store.check_receipt(code).status == "一致"


def test_one_person_submissions_are_signed_by_the_analyst_and_say_so(signed_round, open_store):
    """SQLite, or the analyst's own connection, where no reviewer has a key: the analyst signs."""
    _write_keyring(signed_round["round"], signed_round["analyst"], {})
    store = open_store()
    fill(store, "R2", "02")
    code = store.submit("R2", "02")
    payload = json.loads(_submit_event(store, "R2", "02")["payload"])
    assert payload["signed_by"] == analyst_person()
    assert code == signature_receipt(payload["signature"])
    assert store.verify().empty


def test_an_owners_rewrite_of_a_submitted_score_with_every_checkpoint_gone_is_named_by_the_signature(
    signed_round, open_store, store_url, tmp_path
):
    rnd = signed_round["round"]
    store = open_store(Signer("R1", signed_round["keys"]["R1"]))
    fill(store, "R1", "01")
    code = store.submit("R1", "01")
    submit_id = int(_submit_event(store, "R1", "01")["id"])
    assert _signature_rows(store, rnd) == []
    target = next(e for e in _raw_events(store) if e["kind"] == "score" and e["criterion"] == CRITERIA[2])
    rewrite_and_rehash(store, store_url, int(target["id"]), score=1.0)
    (tmp_path / "cp.jsonl").unlink()
    rows = _signature_rows(store, rnd)
    assert [(eid, kind) for eid, kind, _ in rows] == [(submit_id, "署名")]
    assert "一致しません" in rows[0][2]
    got = store.verify()
    assert submit_id in got.loc[got["problem"] == "署名", "event_id"].tolist()
    check = store.check_receipt(code)
    assert check.status == "変更" and "書き換え" in check.message
    # Removing the signature as well does not hide it: a submission after signing began must carry one.
    rewrite_and_rehash(store, store_url, submit_id, payload=None)
    rows = _signature_rows(store, rnd)
    assert [(eid, kind) for eid, kind, _ in rows] == [(submit_id, "署名")]
    assert "署名がありません" in rows[0][2]


def test_a_forged_reviewer_signature_is_named(signed_round, open_store, store_url, tmp_path):
    rnd = signed_round["round"]
    store = open_store(Signer("R1", signed_round["keys"]["R1"]))
    fill(store, "R1", "01")
    store.submit("R1", "01")
    ev = _submit_event(store, "R1", "01")
    target = next(e for e in _raw_events(store) if e["kind"] == "score" and e["criterion"] == CRITERIA[0])
    # The owner changes a score and signs the new statement as "R1" with a key of their own.
    forger = create_key_file(tmp_path / "owner" / "key.pem")
    payload = json.loads(ev["payload"])
    cells = {c: (3.0, "") for c in CRITERIA} | {CRITERIA[0]: (5.0, "")}
    statement = submission_statement(
        round_name=rnd.name,
        reviewer="R1",
        application="01",
        rubric_version=rnd.rubric.version,
        nonce=ev["comment"],
        cells=cells,
        signed_at=payload["signed_at"],
    )
    forged = payload | {"public_key": public_key_text(forger), "signature": sign_data(forger, statement)}
    rewrite_and_rehash(store, store_url, int(target["id"]), score=5.0)
    rewrite_and_rehash(store, store_url, int(ev["id"]), payload=json.dumps(forged))
    (tmp_path / "cp.jsonl").unlink()
    rows = _signature_rows(store, rnd)
    assert [(eid, kind) for eid, kind, _ in rows] == [(int(ev["id"]), "署名")]
    assert "R1 の鍵のものではありません" in rows[0][2]
    # Signing with another reviewer's real key and naming them is named too.
    r2 = signed_round["keys"]["R2"]
    as_r2 = payload | {
        "signed_by": "R2",
        "public_key": public_key_text(r2),
        "signature": sign_data(r2, statement),
    }
    rewrite_and_rehash(store, store_url, int(ev["id"]), payload=json.dumps(as_r2))
    rows = _signature_rows(store, rnd)
    assert [(eid, kind) for eid, kind, _ in rows] == [(int(ev["id"]), "署名")]
    assert "本人ではない R2" in rows[0][2]


def test_an_excel_import_is_signed_by_the_analyst_and_says_so(signed_round, open_store):
    rnd = signed_round["round"]
    store = open_store()
    rows = [{"reviewer": "R1", "application": "01", "criterion": c, "score": 3} for c in CRITERIA]
    store.record_many(rows, source="excel", submit=[("R1", "01")], actor="事務局（採点表の取り込み）")
    payload = json.loads(_submit_event(store, "R1", "01")["payload"])
    assert payload["signed_by"] == analyst_person()
    assert payload["public_key"] == public_key_text(signed_round["analyst"])
    assert store.verify().empty
    # A reviewer's own submission (the app) signed by the analyst's key is named where
    # reviewers sign for themselves (they have keys in the keyring), and only there.
    fill(store, "R2", "02")
    store.submit("R2", "02")
    got = store.verify()
    assert got["event_id"].tolist() == [int(_submit_event(store, "R2", "02")["id"])]
    events = _raw_events(store)
    assert (
        submission_problems(events, Keyring.load(rnd.path), round_name=rnd.name, reviewers_sign=False) == []
    )
    flagged = submission_problems(events, Keyring.load(rnd.path), round_name=rnd.name, reviewers_sign=True)
    assert [eid for eid, _, _ in flagged] == [int(_submit_event(store, "R2", "02")["id"])]
    assert "事務局" in flagged[0][2] and "本人の署名が必要" in flagged[0][2]


def test_a_missing_key_refuses_the_submission_and_writes_nothing(
    signed_round, open_store, monkeypatch, tmp_path
):
    store = open_store()
    fill(store, "R1", "01")
    before = len(_raw_events(store))
    monkeypatch.setenv("SCORING_SIGNING_KEY", str(tmp_path / "nowhere.pem"))
    with pytest.raises(Exception, match="nowhere.pem"):
        store.submit("R1", "01")
    assert len(_raw_events(store)) == before


def test_the_signature_covers_the_applicant_notes_and_a_rewritten_note_is_named(
    signed_round, open_store, store_url, tmp_path
):
    """申請者への所見 (issue 21) are signed like the comments; fails before: a rewritten 所見 verified."""
    rnd = signed_round["round"]
    store = open_store(Signer("R1", signed_round["keys"]["R1"]))
    fill(store, "R1", "01", score=4)
    store.record("R1", "01", CRITERIA[0], 4, "", to_applicant="計画が具体的です。")
    code = store.submit("R1", "01")
    ev = _submit_event(store, "R1", "01")
    payload = json.loads(ev["payload"])
    statement = submission_statement(
        round_name=rnd.name,
        reviewer="R1",
        application="01",
        rubric_version=rnd.rubric.version,
        nonce=ev["comment"],
        cells={c: (4.0, "") for c in CRITERIA},
        signed_at=payload["signed_at"],
        notes={CRITERIA[0]: "計画が具体的です。"},
    )
    assert [CRITERIA[0], "4.0", "", "計画が具体的です。"] in statement["scores"]
    assert [CRITERIA[1], "4.0", ""] in statement["scores"]  # no 所見: the row as before
    assert verify_data(Keyring.load(rnd.path).public_key("R1"), statement, payload["signature"])
    assert store.receipts().set_index("application").loc["01", "receipt"] == code
    assert store.check_receipt(code).status == "一致"
    assert _signature_rows(store, rnd) == []
    submit_id = int(ev["id"])
    note_event = [e for e in _raw_events(store) if e["kind"] == "score" and e["criterion"] == CRITERIA[0]][-1]
    rewrite_and_rehash(store, store_url, int(note_event["id"]), payload='{"to_applicant":"書き換えた所見"}')
    check = store.check_receipt(code)  # the checkpoint's receipt: its cell digests hold no 所見
    assert check.status == "変更" and "申請者への所見" in " ".join(check.changes), check
    (tmp_path / "cp.jsonl").unlink()
    rows = _signature_rows(store, rnd)
    assert [(eid, kind) for eid, kind, _ in rows] == [(submit_id, "署名")]
    assert store.check_receipt(code).status == "変更"


def test_a_receipt_signed_before_the_applicant_notes_existed_still_verifies() -> None:
    """An old submission (statement version 1: rows [criterion, score, comment], no 所見) keeps its
    receipt, with or without 所見 in the log (version 1 never covered them); a version-2 signature
    cannot be passed off as version 1."""
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    old_statement = {  # exactly what the code before the 所見 signed
        "statement_v": 1,
        "what": "submission",
        "round": "2026年度 審査",
        "reviewer": "R1",
        "application": "01",
        "rubric_version": "151d4bb38a99",
        "nonce": "n0nce",
        "scores": [["need_pool_gap", "4.0", "理由"], ["theme_fit", "3.0", ""]],
        "signed_at": "2027-01-20T01:02:03.456789+00:00",
    }
    signature = sign_data(key, old_statement)
    record = {
        "statement_v": 1,
        "signed_by": "R1",
        "public_key": public_key_text(key),
        "signature": signature,
        "signed_at": old_statement["signed_at"],
    }
    scores = [("need_pool_gap", 4.0, "理由"), ("theme_fit", 3.0, "")]
    events = [
        {"id": i, "kind": "score", "reviewer": "R1", "application": "01", "criterion": c, "score": s}
        | {"comment": m, "payload": None, "timestamp": "2027-01-20T01:00:00+00:00"}
        for i, (c, s, m) in enumerate(scores, start=1)
    ]
    submit = {"id": 3, "kind": "submit", "reviewer": "R1", "application": "01", "criterion": None}
    submit |= {"score": None, "comment": "n0nce", "rubric_version": "151d4bb38a99"}
    submit |= {"payload": json.dumps(record), "timestamp": "2027-01-20T01:02:04+00:00", "source": "widget"}
    cells = {c: (s, m) for c, s, m in scores}
    code = signature_receipt(signature)
    assert submit_receipt(submit, cells, "2026年度 審査") == code
    assert submit_receipt(submit, cells, "2026年度 審査", {"need_pool_gap": "", "theme_fit": ""}) == code
    assert submit_receipt(submit, cells, "2026年度 審査", {"theme_fit": "版1の署名が覆わない所見"}) == code
    assert (
        submission_problems([*events, submit], None, round_name="2026年度 審査", reviewers_sign=False) == []
    )
    # Version 2 signs the 所見: the same record claiming version 1 no longer verifies.
    new = submission_statement(
        round_name="2026年度 審査",
        reviewer="R1",
        application="01",
        rubric_version="151d4bb38a99",
        nonce="n0nce",
        cells=cells,
        signed_at=old_statement["signed_at"],
        notes={"theme_fit": "所見"},
    )
    signed = record | {"statement_v": 2, "signature": sign_data(key, new)}
    notes = {"theme_fit": "所見"}
    code2 = signature_receipt(signed["signature"])
    assert submit_receipt(submit | {"payload": json.dumps(signed)}, cells, "2026年度 審査", notes) == code2
    assert submit_receipt(submit | {"payload": json.dumps(signed)}, cells, "2026年度 審査", {}) != code2
    downgraded = json.dumps(signed | {"statement_v": 1})
    assert submit_receipt(submit | {"payload": downgraded}, cells, "2026年度 審査", notes) != code2
