"""The score store under load and faults: concurrent writers, and a writer killed mid-run.

Worker processes are forked by a ``forkserver`` (a clean interpreter that has imported the
store's modules once, so each worker is as fresh as a separate reviewer's kernel without paying
1–2 s of CPU for its imports); each opens its own :class:`ScoreStore` on the same database.
"""

from __future__ import annotations

import multiprocessing as mp
import multiprocessing.forkserver
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from scoring.store.scores import ScoreStore

N_PROCS = 8
N_EACH = 500


@pytest.fixture(scope="module")
def ctx() -> Iterator[Any]:
    """The processes' context: a forkserver that has imported the store (for this module only)."""
    context = mp.get_context("forkserver")
    context.set_forkserver_preload(["scoring.store.scores", "scoring.round.loader"])
    yield context
    # End the forkserver (it reaps the workers), so that their CPU time is counted with this module's
    multiprocessing.forkserver._forkserver._stop()  # type: ignore[attr-defined]


def _cells(rnd: Any) -> list[tuple[str, str, str]]:
    crits = [c.id for c in rnd.rubric.criteria]
    return [
        (r.id, str(a), c)
        for r in rnd.reviewers
        for a in rnd.applications.index
        if str(a) not in r.conflicts
        for c in crits
    ]


def _writer(url: str, rnd: Any, k: int, n: int, start: Any, out: Any) -> None:
    """Record ``n`` single scores (one transaction each), tagged ``w{k}-{i}``."""
    cells = _cells(rnd)
    store = ScoreStore(url, rnd)
    start.wait()
    for i in range(n):
        r, a, c = cells[(k * 131 + i * 7) % len(cells)]
        store.record(r, a, c, float(1 + (i + k) % 5), f"w{k}-{i}", source="import", actor=f"w{k}")
    store.close()
    out.put((k, n))


def _killable(url: str, rnd: Any, ack_path: str, batch: int) -> None:
    """Write forever; after each commit append the last event id to ``ack_path`` (unbuffered)."""
    cells = _cells(rnd)
    store = ScoreStore(url, rnd)
    fd = os.open(ack_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    i = 0
    while True:
        if batch == 1:
            r, a, c = cells[i % len(cells)]
            eid = store.record(r, a, c, float(1 + i % 5), f"k-{i}", source="import", actor="killed")
            os.write(fd, f"{eid}\n".encode())
            i += 1
        else:
            rows = []
            for _ in range(batch):
                r, a, c = cells[i % len(cells)]
                rows.append(
                    {
                        "reviewer": r,
                        "application": a,
                        "criterion": c,
                        "score": float(1 + i % 5),
                        "comment": f"k-{i}",
                    }
                )
                i += 1
            store.record_many(rows, source="import", actor="killed")
            os.write(fd, f"{i}\n".encode())


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_eight_processes_500_scores_each_leave_4000_events_and_a_valid_chain(store_url, store_round, ctx):
    ScoreStore(store_url, store_round).close()  # create the tables once, as the analyst would
    start = ctx.Event()
    out = ctx.Queue()
    procs = [
        ctx.Process(target=_writer, args=(store_url, store_round, k, N_EACH, start, out))
        for k in range(N_PROCS)
    ]
    for p in procs:
        p.start()
    time.sleep(0.5)
    t0 = time.perf_counter()
    start.set()
    done = dict(out.get(timeout=150) for _ in procs)
    elapsed = time.perf_counter() - t0
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    assert done == {k: N_EACH for k in range(N_PROCS)}

    with ScoreStore(store_url, store_round) as store:
        events = store.events()
        assert len(events) == N_PROCS * N_EACH
        assert events["id"].tolist() == list(range(1, N_PROCS * N_EACH + 1))
        assert store.verify().empty
        assert store.head() == (N_PROCS * N_EACH, events["hash"].iloc[-1])
        # the chain is linear: each event points at the one before it
        assert (events["prev_hash"].iloc[1:].to_numpy() == events["hash"].iloc[:-1].to_numpy()).all()
        for k in range(N_PROCS):
            mine = events[events["actor"] == f"w{k}"]
            assert len(mine) == N_EACH
            # each writer's events are in the order it wrote them
            assert mine["comment"].tolist() == [f"w{k}-{i}" for i in range(N_EACH)]
    print(f"\n{N_PROCS}×{N_EACH} events in {elapsed:.1f} s ({N_PROCS * N_EACH / elapsed:.0f} events/s)")


def _sqlite_path(url: str) -> Path | None:
    u = sa.engine.make_url(url)
    return Path(u.database) if u.get_backend_name() == "sqlite" and u.database else None


@pytest.mark.slow
@pytest.mark.timeout(120)
@pytest.mark.parametrize("batch", [1, 50], ids=["record", "record_many"])
def test_sigkill_mid_run_loses_nothing_committed(store_url, store_round, tmp_path, batch, ctx):
    ScoreStore(store_url, store_round).close()
    ack = tmp_path / "ack.txt"
    proc = ctx.Process(target=_killable, args=(store_url, store_round, str(ack), batch))
    proc.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if ack.exists() and len(ack.read_text().split()) >= (300 if batch == 1 else 6):
            break
        time.sleep(0.02)
    else:
        proc.kill()
        pytest.fail("the writer did not get going")
    os.kill(proc.pid, signal.SIGKILL)
    proc.join(timeout=30)
    assert proc.exitcode == -signal.SIGKILL
    acked = [int(x) for x in ack.read_text().split()]

    path = _sqlite_path(store_url)
    if path is not None:  # the file is intact after the kill
        import sqlite3

        with sqlite3.connect(path) as con:
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with ScoreStore(store_url, store_round) as store:
        events = store.events()
        assert store.verify().empty
        n = len(events)
        if batch == 1:
            # every acknowledged event is there, with its content
            assert set(acked) <= set(events["id"])
            assert n >= max(acked)
            by_id = events.set_index("id")["comment"]
            assert all(by_id[e] == f"k-{e - 1}" for e in acked)
        else:
            # batches are all or nothing, and every acknowledged batch is there
            assert n % batch == 0
            assert n >= max(acked)
            assert events["comment"].tolist() == [f"k-{i}" for i in range(n)]
        # the database is still writable after the kill
        store.record("R1", "01", "need_pool_gap", 3)
        assert store.head()[0] == n + 1
        assert store.verify().empty
