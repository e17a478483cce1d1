"""The event log at the base of the store, on its own: no rubric, no round, plain strings."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from scoring.core.canonical import canonical_text
from scoring.core.errors import StoreError
from scoring.store.eventlog import (
    GENESIS_HASH,
    SCHEMA_VERSION,
    EventLog,
    chain_problems,
    event_hash,
    record_payload,
)


def _append(log: EventLog, n: int, payload: str | None = None) -> None:
    with log.locked() as tx:
        for i in range(n):
            tx.append(
                kind="score",
                reviewer="R1",
                application="01",
                criterion="c",
                score=float(i),
                comment="",
                rubric_version="v",
                source="widget",
                actor="R1",
                payload=payload,
            )


def test_an_event_log_needs_only_a_url_and_an_owner_name(store_url: str) -> None:
    log = EventLog(store_url, owner="ラウンドA")
    try:
        _append(log, 3)
        _append(log, 1, payload=canonical_text({"reason": "協議"}))
        rows = log.rows()
        assert [r["id"] for r in rows] == [1, 2, 3, 4] and rows[0]["prev_hash"] == GENESIS_HASH
        assert [r["payload"] for r in rows] == [None, None, None, '{"reason":"協議"}']
        assert chain_problems(rows, log.head()) == []
        with log.transaction(write=False) as conn:
            assert (
                conn.exec_driver_sql("SELECT value FROM score_meta WHERE key = 'schema_version'").scalar()
                == SCHEMA_VERSION
            )
    finally:
        log.close()
    with pytest.raises(StoreError, match="別の審査ラウンド「ラウンドA」のもの"):
        EventLog(store_url, owner="ラウンドB")


def test_the_hash_of_an_event_without_payload_is_the_one_schema_1_wrote() -> None:
    ev = {
        "id": 7,
        "timestamp": "2026-02-25T00:00:00.000000+00:00",
        "kind": "decision",
        "reviewer": "",
        "application": "",
        "criterion": None,
        "score": None,
        "comment": '{"selected":["01"]}',
        "rubric_version": "v",
        "source": "analyst",
        "actor": "事務局",
        "prev_hash": "a" * 64,
    }
    old = hashlib.sha256(
        json.dumps(ev, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    ).hexdigest()
    assert event_hash(ev) == event_hash({**ev, "payload": None}) == old
    moved = {**ev, "comment": "", "payload": '{"selected":["01"]}'}
    assert event_hash(moved) not in (old, event_hash({**moved, "payload": '{"selected":["11"]}'}))


def test_canonical_text_is_one_text_and_refuses_nan() -> None:
    assert canonical_text({"b": 1, "a": ["辞退", None]}) == '{"a":["辞退",null],"b":1}'
    for bad in ({"x": float("nan")}, {"x": float("inf")}, {"x": object()}):
        with pytest.raises(ValueError):
            canonical_text(bad)


def test_one_reader_for_records_old_and_new() -> None:
    assert record_payload({"id": 1, "kind": "decision", "comment": '{"a":1}', "payload": None}) == {"a": 1}
    assert record_payload({"id": 2, "kind": "decision", "comment": "", "payload": '{"a":2}'}) == {"a": 2}
    assert record_payload({"id": 3, "kind": "revise", "comment": "理由", "payload": None}) == {
        "reason": "理由"
    }
    assert record_payload({"id": 4, "kind": "revise", "comment": "", "payload": '{"reason":"新"}'}) == {
        "reason": "新"
    }
    with pytest.raises(ValueError, match="イベント 5 の記録の内容を読めません"):
        record_payload({"id": 5, "kind": "eligibility", "comment": "[1]", "payload": None})


def test_a_schema_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'scores.sqlite'}"
    EventLog(url, owner="r").close()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE score_meta SET value = '3' WHERE key = 'schema_version'")
    engine.dispose()
    with pytest.raises(StoreError, match="形式（版 3）にこのワークベンチ（版 2）は対応していません"):
        EventLog(url, owner="r")
