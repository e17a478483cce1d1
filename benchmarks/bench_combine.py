"""Speed of the combiners: fit, and totals after a change of weights (配点).

Two sizes (架空 data, shipped rubric with 9 criteria, scores 1–5):

* ``small``: 47 applications × 8 reviewers (everyone scores every application, minus a few
  conflicts) × 9 criteria: the whole country in one prefectural round.  Target: a new
  ranking after a weight change in ≤ 50 ms (median).
* ``large``: 1,741 applications (every 市区町村) × 30 reviewers, 5 reviews per application,
  × 9 criteria (78,345 scores): a municipal-level call.  Target: totals ≤ 1 s.

For each method: median fit time over the repeats and median ``totals(weights)`` time over
many random weight vectors (no refit; the weights are a new ``pandas.Series`` every time, as
from the tuning widget's sliders).

Usage::

    .venv/bin/python benchmarks/bench_combine.py            # both sizes
    .venv/bin/python benchmarks/bench_combine.py --quick    # fewer repeats
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scoring.combine import METHODS, make_combiner
from scoring.config.rubric import Rubric, load_rubric

RUBRIC_PATH = Path(__file__).resolve().parent.parent / "rubrics" / "r8_talent_pool.yaml"


def make_scores(
    rng: np.random.Generator, rubric: Rubric, n_apps: int, n_revs: int, per_app: int | None
) -> pd.DataFrame:
    """A canonical long score table with leniency and noise; ``per_app=None``: everyone scores all."""
    crits = [c.id for c in rubric.criteria]
    apps = np.array([f"{i + 1:04d}" for i in range(n_apps)])
    revs = np.array([f"R{j + 1:02d}" for j in range(n_revs)])
    if per_app is None:
        pairs = [(a, r) for a in range(n_apps) for r in range(n_revs) if rng.random() > 0.02]
    else:
        load = np.zeros(n_revs)
        pairs = []
        for a in range(n_apps):
            chosen = np.lexsort((rng.random(n_revs), load))[:per_app]
            load[chosen] += 1
            pairs.extend((a, int(r)) for r in chosen)
    pa = np.array([p[0] for p in pairs])
    pr = np.array([p[1] for p in pairs])
    merit = rng.normal(3, 0.8, (n_apps, len(crits)))
    bias = rng.normal(0, 0.5, n_revs)
    x = merit[pa] + bias[pr][:, None] + rng.normal(0, 0.6, (len(pairs), len(crits)))
    s = np.clip(np.round(x), 1, 5)
    return pd.DataFrame(
        {
            "application": np.repeat(apps[pa], len(crits)),
            "reviewer": np.repeat(revs[pr], len(crits)),
            "criterion": np.tile(crits, len(pairs)),
            "score": s.ravel(),
        }
    )


def timed(fn: object, repeats: int) -> float:
    """Median wall time in seconds of ``fn()`` over ``repeats`` runs."""
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        out.append(time.perf_counter() - t0)
    return statistics.median(out)


def bench(
    name: str, scores: pd.DataFrame, rubric: Rubric, fit_repeats: int, totals_repeats: int, target_ms: float
) -> None:
    rng = np.random.default_rng(1)
    crits = [c.id for c in rubric.criteria]
    n_apps = scores["application"].nunique()
    n_revs = scores["reviewer"].nunique()
    print(
        f"\n## {name}: {n_apps} applications × {n_revs} reviewers × {len(crits)} criteria, "
        f"{len(scores):,} scores (target: totals ≤ {target_ms:.0f} ms)\n"
    )
    print("| method | fit (median, ms) | totals after weight change (median, ms) |")
    print("|---|---|---|")
    for method in METHODS:
        comb = make_combiner(method)
        fit_s = timed(lambda c=comb: c.fit(scores, rubric), fit_repeats)
        weights = [
            pd.Series(rng.uniform(1, 20, len(crits)), index=pd.Index(crits, name="criterion"))
            for _ in range(totals_repeats)
        ]
        it = iter(weights)
        tot_s = timed(lambda c=comb, it=it: c.totals(next(it)), totals_repeats)
        print(f"| {method} | {1000 * fit_s:.1f} | {1000 * tot_s:.2f} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="combiner speed")
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args(argv)
    rubric = load_rubric(RUBRIC_PATH)
    rng = np.random.default_rng(20260220)
    small = make_scores(rng, rubric, 47, 8, None)
    large = make_scores(rng, rubric, 1741, 30, 5)
    q = args.quick
    bench("small", small, rubric, 5 if q else 20, 50 if q else 200, 50)
    bench("large", large, rubric, 2 if q else 5, 10 if q else 50, 1000)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
