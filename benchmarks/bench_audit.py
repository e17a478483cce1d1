"""Benchmark of ``audit`` (every record check) on a round of about 10,000 events.

Builds the demo round's SQLite store with repeated draft saves of every cell (widget
autosaves, no checkpoint) until about 10,000 events, then submits every pair one by one (one
signed checkpoint each, as the app does), and times:

* ``ScoreStore.audit()`` with the round's public keys (what ``audit`` and every signing
  command run first: chain, impossible events, Ed25519 checkpoints, the database's count);
* the same with ``--public-keys`` (a trusted keyring file, no secret).

Run: ``python benchmarks/bench_audit.py [--events N] [--repeat N]``. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from scoring.core.keyring import keyring_path
from scoring.core.keys import create_key_file
from scoring.core.paths import DEMO_ROUND, PROJECT_DIR
from scoring.round.loader import load_round
from scoring.store.scores import ScoreStore


def _copy_round(dest: Path) -> Path:
    folder = dest / "data" / "demo"
    shutil.copytree(
        DEMO_ROUND, folder, ignore=shutil.ignore_patterns("scores.sqlite*", "checkpoints*", "keys")
    )
    shutil.copytree(PROJECT_DIR / "rubrics", dest / "rubrics")
    return folder


def _build(rnd, target: int) -> int:
    crits = [c.id for c in rnd.rubric.criteria]
    pairs = sorted(rnd.store_facts().assignments)
    with ScoreStore.open(rnd) as store:
        salt = 0
        while store.head()[0] + len(pairs) < target:
            rows = [
                {"reviewer": r, "application": a, "criterion": c, "score": float(2 + (i + j + salt) % 3)}
                for i, (r, a) in enumerate(pairs)
                for j, c in enumerate(crits)
            ]
            store.record_many(rows[: max(0, target - len(pairs) - store.head()[0])], source="widget")
            salt += 1
        for r, a in pairs:
            store.submit(r, a)
        return int(store.head()[0])


def _time(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--events", type=int, default=10_000)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        keydir = Path(tmp) / "key"
        keydir.mkdir(mode=0o700)
        os.environ["SCORING_SIGNING_KEY"] = str(keydir / "ed25519_key.pem")
        os.environ.pop("SCORING_DATABASE_URL", None)
        create_key_file(keydir / "ed25519_key.pem")
        rnd = load_round(_copy_round(Path(tmp)))
        t0 = time.perf_counter()
        n = _build(rnd, args.events)
        print(f"ストア作成: {n:,} 件（{time.perf_counter() - t0:.1f} 秒）")
        trusted = Path(tmp) / "trusted.json"
        shutil.copy(keyring_path(rnd.path), trusted)
        with ScoreStore.open(rnd) as store:
            audit = store.audit()
            assert audit.problems.empty, audit.problems
            lines = len(audit.checkpoints)
            own = _time(store.audit, args.repeat)
            pub = _time(lambda: store.audit(public_keys=trusted), args.repeat)
        print(f"記録点: {lines} 行（Ed25519 署名）")
        print(
            f"audit（ラウンドの公開鍵）: 中央値 {statistics.median(own):.2f} 秒（{args.repeat} 回: "
            + "、".join(f"{t:.2f}" for t in own)
            + "）"
        )
        print(
            f"audit --public-keys: 中央値 {statistics.median(pub):.2f} 秒（{args.repeat} 回: "
            + "、".join(f"{t:.2f}" for t in pub)
            + "）"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
