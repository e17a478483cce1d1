"""Benchmark: the round archive (``python -m scoring archive``) and its check (``audit --archive``).

Run: ``.venv/bin/python benchmarks/bench_archive.py``

1. The demo round (16 applications, 6 reviewers) with its seeded scores, a recorded decision
   and the committee material (``python -m scoring report``, not timed): ``write_archive``
   (the bag with SHA-256 and SHA-512 manifests, then its own check) and ``audit_archive``
   (bagit validation, the log rebuilt in a temporary SQLite store, chain and checkpoints).
2. The same round with 10,000 more draft score events (autosaves), to show how the check
   grows with the log.

Wall-clock seconds, median of 3 repeats. Targets: archive and audit of the demo round
under 5 s each, of a 10,000-event log under 15 s.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from roundcopy import copy_demo_round

from scoring.demo.simulate import write_demo_scores
from scoring.round.archive import write_archive
from scoring.round.decision import record_decision
from scoring.round.loader import load_round
from scoring.store.archive import audit_archive
from scoring.store.scores import ScoreStore


def timed(fn: Callable[[int], object], repeat: int = 3) -> float:
    times = []
    for i in range(repeat):
        t = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _round(root: Path) -> Path:
    rd = copy_demo_round(root)
    rnd = load_round(rd)
    with ScoreStore.open(rnd) as store:
        write_demo_scores(rnd, store)
    subprocess.run(
        [sys.executable, "-m", "scoring", "report", "--round", str(rd)], check=True, capture_output=True
    )
    with ScoreStore.open(rnd) as store:
        record_decision(
            store,
            ["20", "30", "42"],
            by="委員長（架空）",
            reasons={"20": "ベンチマーク"},
            settings_hash="x",
            config_hash="y",
            score_fingerprint="0" * 64,
        )
    return rd


def _drafts(rd: Path, n: int) -> None:
    """``n`` more draft score events (as autosaves write them), appended straight to the log: the
    archive checks the chain and the checkpoints, not the round's rubric, so any pair will do."""
    rnd = load_round(rd)
    with ScoreStore.open(rnd) as store, store.log.locked("drafts") as tx:
        for i in range(n):
            tx.append(
                kind="score",
                reviewer="R1",
                application="99",
                criterion="c",
                score=float(i % 5 + 1),
                comment="下書き",
                rubric_version="bench",
                source="widget",
                actor="R1",
            )


def _measure(label: str, rd: Path, work: Path) -> None:
    t_archive = timed(lambda i: write_archive(rd, work / f"{label}-{i}"))
    t_zip = timed(lambda i: write_archive(rd, work / f"{label}-zip-{i}", zip_file=True))
    bag = work / f"{label}-0"
    t_audit = timed(lambda i: audit_archive(bag))
    t_audit_zip = timed(lambda i: audit_archive(work / f"{label}-zip-0.zip"))
    check = audit_archive(bag)
    size = sum(p.stat().st_size for p in bag.rglob("*") if p.is_file()) / 1e6
    files = sum(1 for p in (bag / "data").rglob("*") if p.is_file())
    print(
        f"{label}: {check.events:,} events, {files} files, {size:.1f} MB; "
        f"archive {t_archive:.2f} s (with --zip {t_zip:.2f} s; both include its own check), "
        f"audit --archive {t_audit:.2f} s (zip {t_audit_zip:.2f} s); ok={check.ok}"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        rd = _round(work / "round")
        _measure("demo round", rd, work)
        _drafts(rd, 10_000)
        _measure("demo round + 10,000 drafts", rd, work)


if __name__ == "__main__":
    main()
