"""Krippendorff's alpha: :func:`scoring.agreement.alpha.krippendorff_alpha` against the
``krippendorff`` package (Castro 2017) on the same long-format input.

Run: ``.venv/bin/python benchmarks/bench_alpha.py`` (``--repeats N``, default 31, at least 11).

One criterion of the generator of ``bench_selection.py`` at 47 applications × 8 reviewers
(every reviewer scores every application, 10 % missing) and 1,741 × 30 (5 reviewers per
application), discrete levels 1–5. Both sides start from the same long table
(``application, reviewer, criterion, score``): ours is ``krippendorff_alpha(one, level,
total=False)`` (the whole result table: alpha, counts, judgement); the package's is
``one.pivot(...)`` (the reviewers × units matrix it needs) + ``krippendorff.alpha``. The
package on a matrix built beforehand is printed as well, for information. The two are timed
in interleaved pairs in one process (order alternating), and the median of the per-pair
times and of the per-pair ratios is printed. Target: ratio (ours ÷ package) ≤ 1.
"""

from __future__ import annotations

import importlib.util
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd


def _instance_maker() -> Callable[..., tuple[pd.DataFrame, pd.DataFrame]]:
    path = Path(__file__).resolve().parent / "bench_selection.py"
    spec = importlib.util.spec_from_file_location("bench_selection", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod.make_instance  # type: ignore[no-any-return]


def _time(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def pairs(ours: Callable[[], object], theirs: Callable[[], object], repeats: int) -> tuple[float, float, float]:
    """Median time of each side (s) and median per-pair ratio, over interleaved pairs."""
    for _ in range(3):  # warm up both
        ours(), theirs()
    t_o, t_t, ratio = [], [], []
    for i in range(repeats):
        if i % 2:
            b, a = _time(theirs), _time(ours)
        else:
            a, b = _time(ours), _time(theirs)
        t_o.append(a)
        t_t.append(b)
        ratio.append(a / b)
    return statistics.median(t_o), statistics.median(t_t), statistics.median(ratio)


def main(argv: list[str]) -> None:
    import krippendorff

    import scoring
    from scoring.agreement.alpha import krippendorff_alpha

    repeats = int(argv[argv.index("--repeats") + 1]) if "--repeats" in argv else 31
    repeats = max(repeats, 11)
    make_instance = _instance_maker()
    rubric = scoring.load_round().rubric
    crits = [c.id for c in rubric.criteria]
    weights = {c.id: float(c.weight) for c in rubric.criteria}
    print(
        f"Krippendorff's alpha, one criterion, long table → result; {repeats} interleaved pairs, medians "
        "[target: ours ÷ package ≤ 1]"
    )
    for n, (n_rev, per_app) in ((47, (8, 8)), (1741, (30, 5))):
        _, scores = make_instance(n, n_rev, per_app, crits, weights, seed=n)
        one = scores[scores["criterion"] == crits[0]].reset_index(drop=True)
        matrix = one.pivot(index="reviewer", columns="application", values="score").to_numpy(dtype=float)
        for level in ("interval", "ordinal", "nominal"):

            def ours(lv: str = level) -> float:
                return float(krippendorff_alpha(one, lv, total=False)["alpha"].iloc[0])

            def package(lv: str = level) -> float:
                m = one.pivot(index="reviewer", columns="application", values="score").to_numpy(dtype=float)
                return float(krippendorff.alpha(reliability_data=m, level_of_measurement=lv))

            def package_matrix(lv: str = level) -> float:
                return float(krippendorff.alpha(reliability_data=matrix, level_of_measurement=lv))

            a_o, a_p = ours(), package()
            assert np.isclose(a_o, a_p, atol=1e-12), (a_o, a_p)
            t_o, t_p, r = pairs(ours, package, repeats)
            _, t_m, r_m = pairs(ours, package_matrix, repeats)
            print(
                f"  {n:5d} × {n_rev:2d} {level:8s}: ours {t_o * 1e3:7.3f} ms, package (pivot + alpha) "
                f"{t_p * 1e3:7.3f} ms → ratio {r:5.2f} {'met' if r <= 1 else 'NOT met'};"
                f" package on a ready matrix {t_m * 1e3:7.3f} ms (ratio {r_m:5.2f})   α = {a_o:.4f}"
            )


if __name__ == "__main__":
    main(sys.argv[1:])
