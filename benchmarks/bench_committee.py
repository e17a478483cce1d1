"""Benchmark: the committee material (model, HTML with charts, Excel) and the main job.

Run: ``.venv/bin/python benchmarks/bench_committee.py``

1. The demo round (16 applications, 6 reviewers), copied to a temporary folder with its
   seeded scores: ``build_committee`` (1,000 stability resamples), ``committee_html``
   (four PNG charts embedded), ``committee.xlsx``, and ``python -m scoring run`` end to end
   (a fresh process: imports, intake of the 16 応募書, applications.xlsx, committee
   reports), which is what ``make demo`` runs.
2. A synthetic round of 47 applications (every prefecture, random themes, 15 % プッシュ型),
   8 reviewers × 9 criteria with leniency and noise, the demo round's settings: the same
   steps without the intake.

Wall-clock seconds, median of 3 repeats (the main job: one run).
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from scoring.analysis.committee import build_committee
from scoring.core.paths import DEMO_ROUND, PROJECT_DIR
from scoring.core.reference import prefecture_blocks, prefectures
from scoring.core.schema import THEMES
from scoring.demo.simulate import write_demo_scores
from scoring.reporting.committee_report import committee_html, write_committee_workbook
from scoring.round.loader import load_round
from scoring.store.scores import ScoreStore


def timed(fn: Callable[[], object], repeat: int = 3) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def demo_copy(root: Path) -> Path:
    rd = root / "data" / "demo"
    shutil.copytree(DEMO_ROUND, rd, ignore=shutil.ignore_patterns("scores.sqlite*"))
    shutil.copytree(PROJECT_DIR / "rubrics", root / "rubrics")
    rnd = load_round(rd)
    with ScoreStore.open(rnd) as store:
        write_demo_scores(rnd, store)
    return rd


def synthetic_47(seed: int = 0) -> tuple[object, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    base = load_round(DEMO_ROUND)
    pref = prefectures()
    apps = pd.DataFrame(index=pd.Index(pref.index.astype(str), name="application"))
    apps["prefecture_name"] = pref["name_ja"].to_numpy()
    apps["block"] = prefecture_blocks("8blocks").reindex(apps.index).to_numpy()
    apps["theme"] = rng.choice(list(THEMES), len(apps))
    apps["theme_name"] = [THEMES[t] for t in apps["theme"]]
    apps["application_type"] = np.where(rng.random(len(apps)) < 0.15, "プッシュ型", "手上げ式")
    apps["late"] = False
    apps["has_errors"] = False
    rnd = replace(base, applications=apps)
    crits = [c.id for c in base.rubric.criteria]
    merit = rng.normal(3.0, 0.7, len(apps))
    rows = []
    for r in range(8):
        lenient = rng.normal(0, 0.4)
        for i, a in enumerate(apps.index):
            if rng.random() < 0.1:
                continue
            for c in crits:
                s = int(np.clip(np.round(merit[i] + lenient + rng.normal(0, 0.8)), 1, 5))
                rows.append((a, f"R{r + 1}", c, float(s)))
    scores = pd.DataFrame(rows, columns=["application", "reviewer", "criterion", "score"])
    return rnd, scores


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rd = demo_copy(Path(tmp) / "demo")
        t_build, c = timed(lambda: build_committee(rd))
        t_html, page = timed(lambda: committee_html(c))  # type: ignore[arg-type]
        t_xlsx, _ = timed(lambda: write_committee_workbook(c, Path(tmp) / "c.xlsx"))  # type: ignore[arg-type]
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "scoring", "run", "--round", str(rd), "--out", str(Path(tmp) / "out")],
            check=True,
            capture_output=True,
        )
        t_run = time.perf_counter() - t
        print("demo round (16 applications, 6 reviewers)")
        print(f"  build_committee (1,000 resamples)   {t_build:6.2f} s")
        print(f"  committee_html (4 charts)           {t_html:6.2f} s   ({len(str(page)) / 1e6:.2f} MB)")
        print(f"  committee.xlsx                      {t_xlsx:6.2f} s")
        print(f"  python -m scoring run (main job)    {t_run:6.2f} s")

    rnd, scores = synthetic_47()
    t_build, c = timed(lambda: build_committee(rnd, scores=scores))  # type: ignore[arg-type]
    t_html, page = timed(lambda: committee_html(c))  # type: ignore[arg-type]
    with tempfile.TemporaryDirectory() as tmp:
        t_xlsx, _ = timed(lambda: write_committee_workbook(c, Path(tmp) / "c.xlsx"))  # type: ignore[arg-type]
    print("synthetic round (47 applications, 8 reviewers, 9 criteria)")
    print(f"  build_committee (1,000 resamples)   {t_build:6.2f} s")
    print(f"  committee_html (4 charts)           {t_html:6.2f} s   ({len(str(page)) / 1e6:.2f} MB)")
    print(f"  committee.xlsx                      {t_xlsx:6.2f} s")


if __name__ == "__main__":
    main()
