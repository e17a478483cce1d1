"""Benchmark of the score store: batched writes (an Excel import) and one save (the widget).

Prints, for SQLite (and PostgreSQL when ``SCORING_TEST_DATABASE_URL`` is set):

* events per second of ``record_many`` with batches the size of one reviewer's Excel
  採点表 for the demo round (16 applications × 9 criteria = 144 scores) and of the whole
  demo round at once (855 scores); target ≥ 1,000 events/s on SQLite;
* the median (and 90th percentile) latency of one ``record`` call, as the widget's
  autosave does it, on a store that already holds a few thousand events; target ≤ 20 ms.

Run: ``python benchmarks/bench_store.py [--repeat N]``. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from scoring.core.paths import DEMO_ROUND, PROJECT_DIR
from scoring.round.loader import load_round
from scoring.store.scores import ScoreStore


def _copy_round(dest: Path) -> Path:
    folder = dest / "data" / "demo"
    shutil.copytree(DEMO_ROUND, folder, ignore=shutil.ignore_patterns("scores.sqlite*", "assignments.csv"))
    shutil.copytree(PROJECT_DIR / "rubrics", dest / "rubrics")
    return folder


def _rows(rnd, reviewer: str | None, salt: int) -> list[dict[str, object]]:
    crits = [c.id for c in rnd.rubric.criteria]
    out = []
    for r in rnd.reviewers:
        if reviewer is not None and r.id != reviewer:
            continue
        for i, a in enumerate(rnd.applications.index):
            if a in r.conflicts:
                continue
            for j, c in enumerate(crits):
                out.append(
                    {
                        "reviewer": r.id,
                        "application": str(a),
                        "criterion": c,
                        "score": float(2 + (i + j + salt) % 3),
                        "comment": "",
                    }
                )
    return out


def bench(label: str, url: str, rnd, repeat: int) -> None:
    with ScoreStore(url, rnd) as store:
        for name, reviewer in (("1人分の採点表（144件）", "R1"), ("全員分（855件）", None)):
            rates = []
            for k in range(repeat):
                rows = _rows(rnd, reviewer, k)
                t = time.perf_counter()
                n = store.record_many(rows, source="excel")
                rates.append(n / (time.perf_counter() - t))
            print(
                f"{label}  record_many {name}: 中央値 {statistics.median(rates):,.0f} 件/秒"
                f"（{repeat} 回, 最小 {min(rates):,.0f}）"
            )
        n_before = store.head()[0]
        lat = []
        crits = [c.id for c in rnd.rubric.criteria]
        for i in range(max(200, repeat * 40)):
            t = time.perf_counter()
            store.record(
                "R2",
                "05",
                crits[i % len(crits)],
                float(1 + i % 5) if i % 5 not in (0, 4) else 3.0,
                source="widget",
            )
            lat.append((time.perf_counter() - t) * 1000)
        lat.sort()
        p90 = lat[int(len(lat) * 0.9)]
        print(
            f"{label}  record 1件（自動保存, 既存 {n_before:,} 件）: 中央値 {statistics.median(lat):.2f} ms"
            f"・90% 点 {p90:.2f} ms（{len(lat)} 回）"
        )
        assert store.verify().empty


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--repeat", type=int, default=10)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rnd = load_round(_copy_round(Path(tmp)))
        print(f"CPU {os.cpu_count()} コア、Python {sys.version.split()[0]}、SQLAlchemy {sa.__version__}")
        bench("SQLite    ", f"sqlite:///{Path(tmp) / 'bench.sqlite'}", rnd, args.repeat)
        pg = os.environ.get("SCORING_TEST_DATABASE_URL", "").strip()
        if pg:
            schema = f"bench_{uuid.uuid4().hex[:8]}"
            admin = sa.create_engine(pg)
            with admin.begin() as conn:
                conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
            try:
                sep = "&" if "?" in pg else "?"
                bench("PostgreSQL", f"{pg}{sep}options=-csearch_path%3D{schema}", rnd, args.repeat)
            finally:
                with admin.begin() as conn:
                    conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
                admin.dispose()
        else:
            print("PostgreSQL: SCORING_TEST_DATABASE_URL が未設定のため省略")


if __name__ == "__main__":
    main()
