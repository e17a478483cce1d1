"""Speed of the rubric-tuning screen: a weight change → a new ranking.

Two sizes (架空 scores from ``bench_combine.make_scores``: leniency and noise, shipped rubric
with 9 criteria, scores 1–5), the default method (``scoring.combine.DEFAULT_METHOD``):

* ``small``: 47 applications × 8 reviewers × 9 criteria (everyone scores everything, minus a
  few conflicts).  Target: ranking after a weight change ≤ 50 ms (median).
* ``large``: 1,741 applications × 30 reviewers, 5 reviews per application × 9 criteria.
  Target: ≤ 1 s (median).

For each size: the first ranking (fits the method and the baseline once), then the median
over 50 weight changes (a criterion weight or a group multiplier, random values) of
``model.set_*_weight(...)`` + ``model.ranking()`` — the "ranking part" — and of the whole
screen callback (``scoring.ui.tuning_view.TuningApp``: slider value set → ranking recomputed
and drawn as HTML, settings hash and the visible analysis tab redrawn), with the split
between recomputing and drawing the table.

Usage::

    .venv/bin/python benchmarks/bench_tuning.py
    .venv/bin/python benchmarks/bench_tuning.py --quick     # 10 changes instead of 50
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_combine import RUBRIC_PATH, make_scores  # reuse the combiner benchmark's data

from scoring.analysis.tuning import TuningModel
from scoring.combine import DEFAULT_METHOD
from scoring.config.rubric import Rubric, load_rubric
from scoring.ui.tuning_view import TuningApp


def changes(rng: np.random.Generator, model: TuningModel, n: int) -> list[tuple[str, str, float]]:
    """``n`` random weight changes: ("criterion"|"group", id, value)."""
    out: list[tuple[str, str, float]] = []
    for i in range(n):
        if i % 3 == 2:
            out.append(("group", str(rng.choice(model.groups)), float(np.round(rng.uniform(0.3, 3.0), 1))))
        else:
            out.append(("criterion", str(rng.choice(model.criteria)), float(rng.integers(1, 31))))
    return out


def bench_model(scores: pd.DataFrame, rubric: Rubric, n: int) -> dict[str, float]:
    rng = np.random.default_rng(7)
    model = TuningModel(scores, rubric)
    t0 = time.perf_counter()
    model.ranking()
    first = time.perf_counter() - t0
    times = []
    for kind, key, value in changes(rng, model, n):
        t0 = time.perf_counter()
        if kind == "criterion":
            model.set_criterion_weight(key, value)
        else:
            model.set_group_weight(key, value)
        model.ranking()
        times.append(time.perf_counter() - t0)
    return {
        "first_ms": first * 1000,
        "median_ms": statistics.median(times) * 1000,
        "max_ms": max(times) * 1000,
    }


def bench_view(scores: pd.DataFrame, rubric: Rubric, n: int) -> dict[str, float]:
    rng = np.random.default_rng(11)
    app = TuningApp(TuningModel(scores, rubric), author="")
    assert app.model is not None
    total, ranking, render = [], [], []
    for kind, key, value in changes(rng, app.model, n):
        slider = app.criterion_sliders[key] if kind == "criterion" else app.group_sliders[key]
        if slider.value == value:
            value = value + 1.0 if kind == "criterion" else round(value + 0.1, 1)
        t0 = time.perf_counter()
        slider.value = value
        total.append(time.perf_counter() - t0)
        ranking.append(app.last_ranking_ms)
        render.append(app.last_render_ms)
        if app.error.value:
            raise RuntimeError(app.error.value)
    return {
        "ranking_ms": statistics.median(ranking),
        "render_ms": statistics.median(render),
        "callback_ms": statistics.median(total) * 1000,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="rubric-tuning speed")
    parser.add_argument("--quick", action="store_true", help="10 weight changes instead of 50")
    args = parser.parse_args(argv)
    n = 10 if args.quick else 50
    rubric = load_rubric(RUBRIC_PATH)
    rng = np.random.default_rng(20260220)
    small = make_scores(rng, rubric, 47, 8, None)
    large = make_scores(rng, rubric, 1741, 30, 5)
    print(f"method: {DEFAULT_METHOD}; median over {n} weight changes\n")
    print(
        "| size | scores | first ranking (fit, ms) | weight change → ranking (median, ms) | max (ms) | target |"
    )
    print("|---|---|---|---|---|---|")
    for name, scores, target in (
        ("47 × 8 × 9", small, "≤ 50 ms"),
        ("1,741 × 30 × 5 reviews × 9", large, "≤ 1 s"),
    ):
        r = bench_model(scores, rubric, n)
        print(
            f"| {name} | {len(scores):,} | {r['first_ms']:.1f} | {r['median_ms']:.2f} | {r['max_ms']:.2f} | {target} |"
        )
    print("\nWhole screen callback (slider value set → everything on screen redrawn), median ms:\n")
    print("| size | ranking (model) | ranking table HTML | whole callback (incl. hash and the visible tab) |")
    print("|---|---|---|---|")
    for name, scores in (("47 × 8 × 9", small), ("1,741 × 30 × 5 reviews × 9", large)):
        v = bench_view(scores, rubric, n)
        print(f"| {name} | {v['ranking_ms']:.2f} | {v['render_ms']:.2f} | {v['callback_ms']:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
