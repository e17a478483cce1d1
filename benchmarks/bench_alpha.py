"""Krippendorff's alpha: :func:`scoring.agreement.alpha.krippendorff_alpha` against the
``krippendorff`` package (Castro 2017) on the same long-format input.

Run: ``.venv/bin/python benchmarks/bench_alpha.py`` (``--repeats N``, default 31, at least 11).

One criterion of the generator of ``bench_selection.py`` at 47 applications × 8 reviewers
(every reviewer scores every application, 10 % missing) and 1,741 × 30 (5 reviewers per
application), discrete levels 1–5, levels interval, ordinal and nominal. Ours starts from
the long table (``application, reviewer, criterion, score``):

- ``alpha_value(one, level)``: the number, as the package gives it;
- ``krippendorff_alpha(one, level, total=False)``: the whole result table (alpha, counts,
  the Japanese judgement; a pandas DataFrame, whose construction alone costs ~0.1–0.3 ms).

The package gets a reviewers × units matrix built beforehand (how issue 20 measured "5.6–6.8×
slower at 47 × 8, 3.0–3.2× at 1,741 × 30"), and, for the same long-format input, the
``pivot`` into that matrix + ``krippendorff.alpha``. Each pair is timed interleaved in one
process (order alternating, 3 warm-up calls); the medians of the per-pair times and of the
per-pair ratios are printed. Target: ``alpha_value`` ÷ package on the matrix ≤ 1.

Before (commit 35a7344, this script, 11 pairs, shared 2-core machine): the table function
÷ package on the matrix 6.4–7.6 at 47 × 8 and 4.3–4.4 at 1,741 × 30; ÷ pivot + package
0.88–0.89 and 1.32–1.33.

After (this branch, 21 pairs, the same machine at load 12–14, so single medians move by tens of
per cent between runs): ``alpha_value`` ÷ package on the matrix 1.5–2.1 at 47 × 8 (not met: the
package's own call is ~0.13 ms and three pandas column reads + one hash of the keys already
cost about that) and 0.84–1.04 at 1,741 × 30 (met in the quieter run); the table function
4.6–6.3 and 1.3–4.1 (it builds a DataFrame, ~0.1–0.3 ms alone), and 0.5–0.6 / 0.2–0.35 of
pivot + package.
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


def pairs(
    ours: Callable[[], object], theirs: Callable[[], object], repeats: int
) -> tuple[float, float, float]:
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
    from scoring.agreement.alpha import alpha_value, krippendorff_alpha

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

            def value(lv: str = level, one: pd.DataFrame = one) -> float:
                return alpha_value(one, lv)

            def table(lv: str = level, one: pd.DataFrame = one) -> float:
                return float(krippendorff_alpha(one, lv, total=False)["alpha"].iloc[0])

            def package(lv: str = level, matrix: np.ndarray = matrix) -> float:
                return float(krippendorff.alpha(reliability_data=matrix, level_of_measurement=lv))

            def package_long(lv: str = level, one: pd.DataFrame = one) -> float:
                m = one.pivot(index="reviewer", columns="application", values="score").to_numpy(dtype=float)
                return float(krippendorff.alpha(reliability_data=m, level_of_measurement=lv))

            a_v, a_t, a_p = value(), table(), package()
            assert np.isclose(a_v, a_p, atol=1e-12) and np.isclose(a_t, a_p, atol=1e-12), (a_v, a_t, a_p)
            t_v, t_p, r_v = pairs(value, package, repeats)
            t_t, _, r_t = pairs(table, package, repeats)
            _, t_l, r_vl = pairs(value, package_long, repeats)
            _, _, r_tl = pairs(table, package_long, repeats)
            print(
                f"  {n:5d} × {n_rev:2d} {level:8s}: package {t_p * 1e3:6.3f} ms (pivot + package "
                f"{t_l * 1e3:6.3f}); alpha_value {t_v * 1e3:6.3f} ms → ratio {r_v:4.2f} "
                f"{'met' if r_v <= 1 else 'NOT met'} (vs pivot + package {r_vl:4.2f}); "
                f"krippendorff_alpha table {t_t * 1e3:6.3f} ms → {r_t:4.2f} (vs pivot + package {r_tl:4.2f})"
                f"   α = {a_v:.4f}"
            )


if __name__ == "__main__":
    main(sys.argv[1:])
