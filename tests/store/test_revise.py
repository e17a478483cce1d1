"""The second stage (協議後の修正): a reviewer revises a submitted score after the discussion.

Recorded as ``revise`` events in the same hash chain on SQLite and PostgreSQL; the
submitted first-stage score and its receipt stay; the final stage is what counts; the
audit still catches forgeries; databases and checkpoints written before revisions existed
stay valid.
"""

from __future__ import annotations

import pytest
from test_checkpoints import CRITERIA, append_forged, fill, rewrite_and_rehash

from scoring.cli import main
from scoring.core.columns import REVISION_COLUMNS
from scoring.core.errors import StoreError
from scoring.store.scores import ScoreStore


@pytest.fixture
def store(store_url, store_round):
    s = ScoreStore(store_url, store_round)
    yield s
    s.close()


def _submitted(store: ScoreStore) -> str:
    fill(store, "R1", "01", 3)
    fill(store, "R2", "01", 4)
    store.submit("R2", "01")
    return store.submit("R1", "01")


def test_a_revision_is_the_final_stage_and_the_first_stage_stays(store):
    _submitted(store)
    eid = store.revise("R1", "01", CRITERIA[0], 2, reason="協議で人材プールの不足が確認された")
    first = store.scores(stage="first").set_index(["reviewer", "criterion"])["score"]
    final = store.scores().set_index(["reviewer", "criterion"])["score"]
    assert first[("R1", CRITERIA[0])] == 3.0 and final[("R1", CRITERIA[0])] == 2.0
    assert final.drop(("R1", CRITERIA[0])).equals(first.drop(("R1", CRITERIA[0])))
    assert store.status("R1", "01") == "提出済"  # a revision is no reopening
    rev = store.revisions()
    assert list(rev.columns) == list(REVISION_COLUMNS)
    assert rev[
        ["application", "reviewer", "criterion", "first_score", "final_score", "reason", "by", "event_id"]
    ].values.tolist() == [
        ["01", "R1", CRITERIA[0], 3.0, 2.0, "協議で人材プールの不足が確認された", "R1", eid]
    ]
    # a second revision of the same cell starts from the first revision
    store.revise("R1", "01", CRITERIA[0], 4, reason="再協議", by="事務局")
    rev = store.revisions()
    assert rev[["first_score", "final_score", "by"]].values.tolist() == [
        [3.0, 2.0, "R1"],
        [2.0, 4.0, "事務局"],
    ]
    assert store.scores().set_index(["reviewer", "criterion"]).at[("R1", CRITERIA[0]), "score"] == 4.0
    # the chain, the receipts and the checkpoints all stay valid
    audit = store.audit()
    assert audit.problems.empty, audit.problems
    assert [c.reason for c in audit.checkpoints][-2:] == ["revise", "revise"]
    assert audit.checkpoints[-1].counts["revise"] == 2


def test_refused_revisions_say_what_to_do(store):
    fill(store, "R1", "01", 3)  # a draft, not submitted
    with pytest.raises(StoreError, match="提出されていないため、協議後の修正は記録できません"):
        store.revise("R1", "01", CRITERIA[0], 2, reason="x")
    store.submit("R1", "01")
    with pytest.raises(StoreError, match="修正の理由（reason）が空です"):
        store.revise("R1", "01", CRITERIA[0], 2, reason="  ")
    with pytest.raises(StoreError, match="既に 3 点です"):
        store.revise("R1", "01", CRITERIA[0], 3, reason="同じ")
    with pytest.raises(StoreError, match="尺度は"):
        store.revise("R1", "01", CRITERIA[0], 7, reason="範囲外")
    with pytest.raises(StoreError, match="修正後の点数が空です"):
        store.revise("R1", "01", CRITERIA[0], float("nan"), reason="空")
    with pytest.raises(StoreError, match="評価項目「nope」は評価基準"):
        store.revise("R1", "01", "nope", 2, reason="x")
    with pytest.raises(StoreError, match="審査員ID「R9」"):
        store.revise("R9", "01", CRITERIA[0], 2, reason="x")
    with pytest.raises(StoreError, match="stage「second」は使えません"):
        store.scores(stage="second")
    assert store.revisions().empty and store.audit().problems.empty


def test_a_forged_revision_is_caught_by_the_audit(store, store_url):
    _submitted(store)
    fill(store, "R3", "02", 3)  # a draft pair
    # a correctly hashed revise event on a pair that was never submitted, head moved
    forged = append_forged(
        store, store_url, kind="revise", reviewer="R3", application="02", actor="R3", comment="偽の修正"
    )
    got = store.verify()
    assert forged in set(got["event_id"])
    assert any("協議後の修正" in m for m in got["message"])


def test_a_rewritten_revision_is_caught_by_its_checkpoint(store, store_url):
    _submitted(store)
    eid = store.revise("R1", "01", CRITERIA[0], 2, reason="協議の結果")
    rewrite_and_rehash(store, store_url, eid, score=5.0)
    got = store.verify()
    assert not got.empty and (got["problem"] == "記録点").any()


def test_checkpoints_written_before_revisions_existed_still_verify(store):
    """A line signed before revisions existed has no ``revise`` count: read as 0, so a
    database of an earlier version audits clean (and no schema change is needed)."""
    import json

    from scoring.core.signing import key_id, load_key, sign

    _submitted(store)
    key = load_key(create=True)  # the old HMAC key: format 1 lines still verify with it
    head, counts = store._snapshot()
    record = {
        "v": 1,
        "written_at": "2026-02-25T00:00:00.000000+00:00",
        "reason": "report",
        "round": store.facts.name,
        "store": store.url,
        "store_id": store.store_id,
        "head": {"id": head[0], "hash": head[1]},
        "counts": {k: v for k, v in counts.items() if k != "revise"},
        "receipts": [],
        "key_id": key_id(key),
    }
    record["signature"] = sign(record, key)
    with store.checkpoint_path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n")
    cps = store.checkpoints()
    assert cps[-1].valid and "revise" not in cps[-1].counts
    assert store.audit().problems.empty
    # and a revision afterwards is anchored by a new line that counts it
    store.revise("R1", "01", CRITERIA[1], 5, reason="協議の結果、全市町村で合意済みと確認")
    audit = store.audit()
    assert audit.problems.empty and audit.checkpoints[-1].counts["revise"] == 1


def test_cli_revise(tmp_path, demo_round_copy, capsys):
    from scoring.demo.simulate import write_demo_scores
    from scoring.round.loader import load_round

    rnd = load_round(demo_round_copy)
    with ScoreStore.open(rnd) as st:
        write_demo_scores(rnd, st)
        row = st.scores().query("reviewer == 'R3' and application == '20' and status == '提出済'").iloc[0]
    crit, old = str(row["criterion"]), float(row["score"])
    new = 4.0 if old != 4.0 else 3.0
    code = main(
        [
            "revise",
            "--round",
            str(demo_round_copy),
            "--reviewer",
            "R3",
            "--application",
            "20",
            "--criterion",
            crit,
            "--score",
            str(new),
            "--reason",
            "協議で計画の具体性を確認",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0 and "協議後の修正を記録しました" in out and f"{old:g} → {new:g}" in out
    with ScoreStore.open(rnd) as st:
        rev = st.revisions()
        assert rev[["reviewer", "application", "criterion", "final_score"]].values.tolist() == [
            ["R3", "20", crit, new]
        ]
    # an unsubmitted pair: exit 2 and the reason on stderr
    with ScoreStore.open(rnd) as st:
        drafts = st.statuses().query("status == '下書き'").iloc[0]
    code = main(
        [
            "revise",
            "--round",
            str(demo_round_copy),
            "--reviewer",
            str(drafts["reviewer"]),
            "--application",
            str(drafts["application"]),
            "--criterion",
            crit,
            "--score",
            "2",
            "--reason",
            "x",
        ]
    )
    assert code == 2 and "提出されていないため" in capsys.readouterr().err
