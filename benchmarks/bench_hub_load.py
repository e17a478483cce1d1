"""Load of a JupyterHub morning: 30 reviewers, each with their own PostgreSQL role, saving at once.

Starts a throw-away PostgreSQL cluster with password authentication (``scoring/admin/trialdb.py``),
provisions a round of 30 reviewers (``scoring.admin.roles.provision``: one role each,
row-level security), then starts one process per reviewer (``spawn``: a clean interpreter,
as a reviewer's kernel). Each opens its own :class:`ScoreStore` with its own role's URL and,
all at the same moment, saves ``--saves`` single scores (the widget's autosave, one
transaction each) and submits one application.

Prints the p50 / p95 / max latency of one save and of one submission in ms (target: save
p95 ≤ 50 ms; printed, not asserted), the throughput, and checks that no event was lost
(event count, ids without gaps) and that the analyst's audit is clean; exits 1 if not.

Run: ``python benchmarks/bench_hub_load.py [--reviewers 30] [--saves 20] [--threads] [--think-ms MS]``
(``--think-ms``: a mean pause between one reviewer's saves, as people type; default 0, a burst).
The machine's load average is printed with the figures: on a shared machine they vary a lot.
The same scenario at a smaller scale, without timing, is a test
(``tests/admin/test_roles.py::test_thirty_reviewer_roles_saving_at_once_lose_nothing``).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "tests"))

from roundcopy import copy_demo_round

from scoring.admin.roles import provision
from scoring.admin.trialdb import temp_pg_cluster
from scoring.round.loader import load_round
from scoring.store.scores import ScoreStore

APPS_PER_REVIEWER = 4
CHECKPOINTS = "checkpoints.jsonl"


def make_load_round(dest: Path, n_reviewers: int) -> Path:
    """The demo round with ``n_reviewers`` reviewers (hub users ``rev01``…), each assigned
    :data:`APPS_PER_REVIEWER` applications round-robin; analyst ``jimu``, committee ``iin``."""
    folder = copy_demo_round(dest)
    apps = sorted(p.name[:2] for p in (folder / "applications").glob("*.xlsx"))
    lines = ["reviewers:"]
    rows = ["reviewer,application"]
    for k in range(1, n_reviewers + 1):
        lines += [
            f"  - id: R{k}",
            f"    name: 架空 審査員{k}",
            "    role: 有識者",
            f"    hub_user: rev{k:02d}",
        ]
        rows += [f"R{k},{apps[(k * APPS_PER_REVIEWER + j) % len(apps)]}" for j in range(APPS_PER_REVIEWER)]
    lines += ["analysts: [jimu]", "committee: [iin]"]
    (folder / "reviewers.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "assignments.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder


def reviewer_session(
    url: str, rnd: Any, reviewer: str, saves: int, ready: Any, start: Any, think_ms: float = 0.0
) -> dict[str, Any]:
    """One reviewer's kernel: ``saves`` single saves, then a submission; latencies in ms.

    ``think_ms``: mean pause between saves (uniform 0–2×; 0 = a burst, every save at once).
    """
    rng = random.Random(reviewer)
    crits = [c.id for c in rnd.rubric.criteria]
    mine = rnd.assignments()
    apps = sorted(mine.loc[mine["reviewer"] == reviewer, "application"])
    save_ms: list[float] = []
    submit_ms: list[float] = []
    with ScoreStore(url, rnd, checkpoint_file=Path(rnd.path) / CHECKPOINTS) as store:
        store.head()  # connect before the start
        ready()
        start.wait()
        for i in range(saves):
            t = time.perf_counter()
            store.record(reviewer, apps[(i // len(crits)) % len(apps)], crits[i % len(crits)], 3.0, "")
            save_ms.append((time.perf_counter() - t) * 1000)
            if think_ms:
                time.sleep(rng.uniform(0, 2 * think_ms) / 1000)
        events = saves
        if saves >= len(crits):  # the first application is complete: submit it
            t = time.perf_counter()
            store.submit(reviewer, apps[0])
            submit_ms.append((time.perf_counter() - t) * 1000)
            events += 1
    return {"reviewer": reviewer, "save_ms": save_ms, "submit_ms": submit_ms, "events": events}


def _process_main(
    url: str, folder: str, reviewer: str, saves: int, think_ms: float, ready: Any, start: Any, out: Any
) -> None:
    try:
        rnd = load_round(folder)
        out.put(reviewer_session(url, rnd, reviewer, saves, ready.release, start, think_ms))
    except Exception as e:  # noqa: BLE001 - reported by the parent
        ready.release()
        out.put({"reviewer": reviewer, "error": repr(e)})


@dataclass
class LoadResult:
    """What :func:`run_load` measured and checked."""

    sessions: list[dict[str, Any]]
    elapsed_s: float
    events_expected: int
    events_found: int
    ids_without_gaps: bool
    audit_problems: list[dict[str, Any]]
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            not self.errors
            and self.events_found == self.events_expected
            and self.ids_without_gaps
            and not self.audit_problems
        )


def run_load(
    admin_url: str, folder: Path, *, saves: int, threads: bool = False, think_ms: float = 0.0
) -> LoadResult:
    """Provision ``folder``'s round on ``admin_url``, run every reviewer at once, check the log."""
    rnd = load_round(folder)
    urls = provision(admin_url, rnd)
    reviewers = [(r.id, urls[r.hub_user or ""]) for r in rnd.reviewers]
    sessions: list[dict[str, Any]] = []
    if threads:
        ready = threading.Semaphore(0)
        start = threading.Event()
        lock = threading.Lock()

        def work(rid: str, url: str) -> None:
            try:
                res = reviewer_session(url, rnd, rid, saves, ready.release, start, think_ms)
            except Exception as e:  # noqa: BLE001 - reported below
                ready.release()
                res = {"reviewer": rid, "error": repr(e)}
            with lock:
                sessions.append(res)

        workers = [threading.Thread(target=work, args=(rid, url)) for rid, url in reviewers]
        for w in workers:
            w.start()
        for _ in workers:
            ready.acquire()
        t0 = time.perf_counter()
        start.set()
        for w in workers:
            w.join()
    else:
        ctx = mp.get_context("spawn")
        ready_s, start_e, out = ctx.Semaphore(0), ctx.Event(), ctx.Queue()
        procs = [
            ctx.Process(
                target=_process_main, args=(url, str(folder), rid, saves, think_ms, ready_s, start_e, out)
            )
            for rid, url in reviewers
        ]
        for p in procs:
            p.start()
        deadline = time.monotonic() + 300
        for _ in procs:
            while not ready_s.acquire(timeout=0.5):
                dead = [p for p in procs if p.exitcode not in (None, 0)]
                if dead or time.monotonic() > deadline:
                    for p in procs:
                        p.kill()
                    raise RuntimeError(
                        f"審査員のプロセスが起動しませんでした（終了コード {[p.exitcode for p in dead]}）。"
                    )
        t0 = time.perf_counter()
        start_e.set()
        sessions = [out.get(timeout=600) for _ in procs]
        for p in procs:
            p.join(timeout=60)
    elapsed = time.perf_counter() - t0
    errors = [f"{s['reviewer']}: {s['error']}" for s in sessions if "error" in s]
    expected = len(reviewers) * (saves + (1 if saves >= len(rnd.rubric.criteria) else 0))
    analyst = urls[rnd.analysts[0]] if rnd.analysts else admin_url
    with ScoreStore(analyst, rnd, checkpoint_file=Path(folder) / CHECKPOINTS) as store:
        ids = store.events()["id"].tolist()
        audit = store.audit()
    return LoadResult(
        sessions=sessions,
        elapsed_s=elapsed,
        events_expected=expected,
        events_found=len(ids),
        ids_without_gaps=ids == list(range(1, len(ids) + 1)),
        audit_problems=audit.problems.to_dict("records"),
        errors=errors,
    )


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q * (len(values) - 1))))] if values else float("nan")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reviewers", type=int, default=30)
    ap.add_argument("--saves", type=int, default=20, help="saves per reviewer (≥ 9: then one submission too)")
    ap.add_argument(
        "--threads", action="store_true", help="threads with separate connections instead of processes"
    )
    ap.add_argument(
        "--think-ms",
        type=float,
        default=0.0,
        help="mean pause between one reviewer's saves (default 0: a burst, all at once)",
    )
    args = ap.parse_args(argv)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="shinsa-hub-load-") as tmp:
        os.environ["SCORING_SIGNING_KEY"] = str(Path(tmp) / "signing.key")  # never the developer's key
        folder = make_load_round(Path(tmp), args.reviewers)
        with temp_pg_cluster(password_auth=True, max_connections=max(50, args.reviewers + 20)) as url:
            res = run_load(url, folder, saves=args.saves, threads=args.threads, think_ms=args.think_ms)
    saves = [x for s in res.sessions for x in s.get("save_ms", [])]
    submits = [x for s in res.sessions for x in s.get("submit_ms", [])]
    how = "スレッド" if args.threads else "プロセス"
    pace = f"、保存の間隔 平均 {args.think_ms:.0f} ms" if args.think_ms else "、間隔なし（一斉）"
    print(
        f"{args.reviewers} 人（各自のロール、{how}{pace}）× 保存 {args.saves} 回 + 提出: {res.elapsed_s:.2f} 秒、"
        f"{(len(saves) + len(submits)) / res.elapsed_s:.0f} 件/秒（CPU {os.cpu_count()} コア、"
        f"開始前のロードアベレージ {load_before:.1f}）"
    )
    print(
        f"  保存 1 回: p50 {_pct(saves, 0.5):.1f} ms, p95 {_pct(saves, 0.95):.1f} ms, max {max(saves, default=0):.1f} ms"
        f"（目標 p95 ≤ 50 ms）"
    )
    if submits:
        print(
            f"  提出 1 回: p50 {_pct(submits, 0.5):.1f} ms, p95 {_pct(submits, 0.95):.1f} ms, max {max(submits):.1f} ms"
        )
    print(
        f"  イベント: {res.events_found} 件（期待 {res.events_expected} 件）、ID の欠番 {'なし' if res.ids_without_gaps else 'あり'}、"
        f"監査の問題 {len(res.audit_problems)} 件"
    )
    for e in res.errors:
        print(f"  エラー: {e}")
    return 0 if res.ok else 1


if __name__ == "__main__":
    sys.exit(main())
