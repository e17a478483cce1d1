"""A reviewer's role on PostgreSQL cannot write what no person could type, cannot block the
others' saves for long or use up the connections, and learns nothing from EXPLAIN
(scoring.store.constraints, scoring.admin.role_limits).

The attacks are raw SQL with the reviewer's own URL, as their kernel can send it: rows with
the next id, the chain head's hash and a correct hash of their own.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
import sqlalchemy as sa
from test_roles import admin_url, fill, refused, rnd, scram_cluster, sql, urls  # noqa: F401 (fixtures)

from scoring.admin.role_limits import CONNECTION_LIMIT
from scoring.core.columns import EVENT_COLUMNS
from scoring.core.errors import StoreError, StoreUnavailableError
from scoring.store.eventlog import event_hash, now_utc
from scoring.store.scores import ScoreStore

TEN_MB = "あ" * (10 * 1024 * 1024 // 3)


def chained_insert(url: str, **fields: Any) -> list[str]:
    """The statements of a correctly chained event of R1 (id, prev_hash and hash right), head moved."""
    last_id, last_hash = sql(url, "SELECT last_id, last_hash FROM score_chain_head")[0]
    ev: dict[str, Any] = {
        "id": int(last_id) + 1,
        "timestamp": now_utc(),
        "kind": "score",
        "reviewer": "R1",
        "application": "01",
        "criterion": "theme_fit",
        "score": 3.0,
        "comment": "",
        "rubric_version": "v",
        "source": "widget",
        "actor": "R1",
        "prev_hash": last_hash,
        "payload": None,
    }
    ev.update(fields)
    ev["hash"] = event_hash(ev)

    def lit(v: object) -> str:
        if v is None:
            return "NULL"
        return repr(float(v)) if isinstance(v, float) else "'" + str(v).replace("'", "''") + "'"

    cols = [c for c in EVENT_COLUMNS if c in ev]
    return [
        f"INSERT INTO score_events ({', '.join(cols)}) VALUES ({', '.join(lit(ev[c]) for c in cols)})",
        f"UPDATE score_chain_head SET last_id = {ev['id']}, last_hash = '{ev['hash']}'",
    ]


@pytest.mark.parametrize(
    "fields",
    [
        {"score": 1000.0},
        {"criterion": "no_such_criterion"},
        {"timestamp": "not-a-time"},
        {"timestamp": "2099-01-01T00:00:00+00:00"},
        {"comment": TEN_MB},
        {"comment": "一行目\x0b二行目"},
    ],
    ids=["1000 points", "unknown criterion", "not-a-time", "future", "10 MB comment", "vertical tab"],
)
def test_a_reviewer_role_cannot_append_a_correctly_chained_impossible_row(urls, rnd, fields):  # noqa: F811
    r1 = urls["r1"]
    good = chained_insert(r1)
    assert "採点データベースが受け付けない値です" in refused(r1, *chained_insert(r1, **fields))
    sql(r1, *good)  # the same row with possible values goes in: the rule, not the role, refused it
    with ScoreStore(urls["jimu1"], rnd) as an:
        assert an.audit().problems.empty


def test_a_reviewer_store_refuses_nul_and_a_10_mb_comment_in_japanese(urls, rnd):  # noqa: F811
    with ScoreStore(urls["r1"], rnd) as s1:
        with pytest.raises(StoreError, match="制御文字（NUL）"):
            s1.record("R1", "01", "theme_fit", 3, "a\x00b")
        started = time.perf_counter()
        with pytest.raises(StoreError, match="コメントが長すぎます"):
            s1.record("R1", "01", "theme_fit", 3, TEN_MB)
        print(f"10 MB comment refused in {(time.perf_counter() - started) * 1000:.1f} ms")
        s1.record("R1", "01", "theme_fit", 3, "スライドから\x0b貼り付け")
        assert s1.pair_cells("R1", "01")["theme_fit"] == (3.0, "スライドから\n貼り付け")


def test_reviewer_roles_have_timeouts_and_a_connection_limit(urls):  # noqa: F811
    r1 = urls["r1"]
    got = sql(
        r1,
        "SELECT current_setting('lock_timeout'), current_setting('statement_timeout'), "
        "current_setting('idle_in_transaction_session_timeout'), "
        "(SELECT rolconnlimit FROM pg_roles WHERE rolname = current_user)",
    )
    assert got == [("5s", "30s", "1min", CONNECTION_LIMIT)]
    engine = sa.create_engine(r1, poolclass=sa.pool.NullPool)
    held = [engine.connect() for _ in range(CONNECTION_LIMIT)]
    try:
        with pytest.raises(sa.exc.OperationalError, match="too many connections for role"):
            engine.connect()
    finally:
        for c in held:
            c.close()
        engine.dispose()


def test_a_reviewer_holding_the_chain_head_blocks_another_save_for_seconds_not_forever(urls, rnd):  # noqa: F811
    blocker = sa.create_engine(urls["r1"]).connect()
    blocker.exec_driver_sql("BEGIN")
    blocker.exec_driver_sql("SELECT * FROM score_chain_head FOR UPDATE")  # and then nothing
    outcome: list[StoreError | None] = []

    def save() -> None:
        try:
            with ScoreStore(urls["r2"], rnd) as s2:
                s2.record("R2", "01", "theme_fit", 3)
            outcome.append(None)
        except StoreError as e:
            outcome.append(e)

    started = time.perf_counter()
    t = threading.Thread(target=save, daemon=True)
    t.start()
    t.join(30)
    waited = time.perf_counter() - started
    blocker.rollback()
    blocker.close()
    t.join(30)
    assert waited < 30, "the save waited for the lock until the blocker gave it up"
    assert outcome and isinstance(outcome[0], StoreUnavailableError), outcome
    assert "少し待ってから" in str(outcome[0])


def test_explain_does_not_reveal_how_many_events_another_reviewer_has(urls, rnd, admin_url):  # noqa: F811
    with ScoreStore(urls["r2"], rnd) as s2:
        for app in ("01", "20"):
            fill(s2, "R2", app, 4)
    with ScoreStore(urls["r1"], rnd) as s1:
        s1.record("R1", "01", "theme_fit", 3)
    sql(admin_url, "ANALYZE score_events")  # as autovacuum would

    def estimate(who: str) -> int:
        plan = sql(urls["r1"], f"EXPLAIN (FORMAT JSON) SELECT * FROM score_events WHERE reviewer = '{who}'")
        data = plan[0][0]
        return int((data if isinstance(data, list) else json.loads(data))[0]["Plan"]["Plan Rows"])

    # R2 has 18 events, R9 none: the estimates the reviewer sees are the same
    assert estimate("R2") == estimate("R9")
    assert sql(urls["r1"], "SELECT count(*) FROM pg_stats WHERE tablename = 'score_events'") == [(0,)]
    # what a reviewer does learn: the total number of events (the chain head they must read)
    assert sql(urls["r1"], "SELECT last_id FROM score_chain_head") == [(19,)]
