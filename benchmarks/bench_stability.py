"""Benchmark: balanced selection and its stability for 47 applications.

Run: ``.venv/bin/python benchmarks/bench_stability.py``

Data: 47 prefectures (real regional blocks), random themes A–F, 15 % プッシュ型; 8
reviewers, 9 criteria (the demo rubric), each reviewer missing ~10 % of the applications
(conflicts); scores with reviewer leniency and noise. Settings as in the demo round:
k = 5, max 2 per block, max 2 per theme, at least 3 themes, at most 1 プッシュ型.

What is timed (wall clock, median of repeats):
- ``select()``: the full MILP selection with 3 alternatives, the reasons for every
  applicant (the gaps: at most one MILP per block × theme × 手上げ/プッシュ signature) and
  the 4–6 range. Larger instances (200 and 1,741 applications): bench_selection.py.
- ``select(..., n_alternatives=0)`` core and one ``FastSelector.select`` call.
- ``StabilityAnalysis.fit`` with n_boot = 1,000: everything, i.e. the one-time combiner fits
  (and their consistency check), drawing reviewers/weights/methods, the vectorised
  combination of all resamples, the exact branch-and-bound selection of every resample,
  ranks and the summary. Once with method ``mean`` only, once switching between all six
  methods (calibrated methods with the calibration held fixed, see scoring/stability.py);
  and once with tight settings where the branch and bound has more work.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

import scoring
from scoring.combine import METHODS, combine
from scoring.config.round import Balance, SelectSpec
from scoring.core.reference import prefectures
from scoring.selection import FastSelector, select
from scoring.selection.stability import StabilityAnalysis


def make_round(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, scoring.config.Rubric]:
    rubric = scoring.load_round().rubric
    ref = prefectures()
    rng = np.random.default_rng(seed)
    crits = [c.id for c in rubric.criteria]
    revs = [f"R{i}" for i in range(1, 9)]
    merit = rng.normal(3, 0.7, (47, 1)) + rng.normal(0, 0.4, (47, len(crits)))
    bias = rng.normal(0, 0.4, len(revs))
    rows = []
    for a, code in enumerate(ref.index):
        for r, rv in enumerate(revs):
            if rng.random() < 0.1:
                continue
            for c, cid in enumerate(crits):
                s = int(np.clip(np.round(merit[a, c] + bias[r] + rng.normal(0, 0.6)), 1, 5))
                rows.append((code, rv, cid, float(s)))
    scores = pd.DataFrame(rows, columns=["application", "reviewer", "criterion", "score"])
    cand = pd.DataFrame(
        {
            "prefecture_name": ref["name_ja"],
            "block": ref["region_ja"],
            "theme": rng.choice(list("ABCDEF"), 47),
            "application_type": np.where(rng.random(47) < 0.15, "プッシュ型", "手上げ式"),
            "late": False,
            "has_errors": False,
        },
        index=ref.index.rename("application"),
    )
    return scores, cand, rubric


def timeit(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    scores, cand, rubric = make_round()
    balance = Balance(max_per_block=2, max_per_theme=2, min_distinct_themes=3, max_push=1)
    totals = combine(scores, rubric, method="mean")["total"]
    c = cand.copy()
    c["total"] = totals.reindex(c.index)
    spec = SelectSpec(target=5, min=4, max=6)
    print(
        f"47 applications × 8 reviewers × 9 criteria ({len(scores)} scores); k = 5 (range 4–6), "
        "max 2 per block, max 2 per theme, ≥ 3 themes, ≤ 1 プッシュ型"
    )
    res = select(c, spec, balance)
    t_full = timeit(lambda: select(c, spec, balance), 5)
    t_core = timeit(lambda: select(c, 5, balance, n_alternatives=0), 5)
    fs = FastSelector(c, 5, balance)
    vec = c.loc[fs.ids, "total"].to_numpy()
    assert fs.select_ids(vec) == res.selected
    t_fast = timeit(lambda: fs.select(vec), 200)
    print(f"select() with reasons, 3 alternatives and k = 4–6: {t_full * 1000:8.1f} ms")
    print(f"select() core (k = 5, with reasons, no alternatives): {t_core * 1000:8.1f} ms")
    print(f"FastSelector.select (one exact branch-and-bound):     {t_fast * 1e6:8.1f} µs")
    print(f"  selection: {', '.join(res.selected)}; price of balance {res.price_of_balance:.2f} points")

    weights = {cr.id: (0.5 * cr.weight, 1.5 * cr.weight) for cr in rubric.criteria}
    for methods in (("mean",), tuple(METHODS)):

        def run(methods: tuple[str, ...] = methods) -> StabilityAnalysis:
            return StabilityAnalysis(n_boot=1000, methods=methods, weight_ranges=weights, seed=1).fit(
                scores, rubric, cand, 5, balance
            )

        an = run()
        t = timeit(run, 3)
        s = an.summary_
        print(
            f"stability, 1,000 resamples incl. full selection, methods={'/'.join(methods)}: "
            f"{t:6.2f} s  (baseline kept exactly in {s['baseline_frequency']:.1%}; "
            f"border zone: {int(an.table_['border'].sum())} applicants)"
        )
    tight = Balance(max_per_block=1, max_per_theme=1, min_push=1, max_push=1)
    an = StabilityAnalysis(n_boot=1000, methods=METHODS, weight_ranges=weights, seed=1)
    t = timeit(lambda: an.fit(scores, rubric, cand, 6, tight), 3)
    print(
        f"stability with tight settings (k = 6, 1 per block, 1 per theme, exactly 1 プッシュ型), six methods: {t:6.2f} s"
    )
    # where the time goes, for the six-method run
    an = StabilityAnalysis(n_boot=1000, methods=METHODS, weight_ranges=weights, seed=1)
    totals_b = an.fit(scores, rubric, cand, 5, balance).totals_.to_numpy()
    t_sel = timeit(lambda: [fs.select(totals_b[b]) for b in range(1000)], 3)
    print(f"  of which the 1,000 exact selections alone: {t_sel:6.2f} s")


if __name__ == "__main__":
    main()
