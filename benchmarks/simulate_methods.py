"""Which combiner should be the default?  A simulation with known true merit.

Every simulated round looks like a real one (架空): 16 applications, 6–8 reviewers, 3 or 4
reviews per application, a few conflicts of interest (利害関係: never assigned), a few
unfinished reviews, the shipped rubric (9 criteria, 配点 15/10/10/12/12/11/10/10/10), and
scores rounded onto its 1–5 scale.  Because the true merit is known, each method can be
judged by how well its ranking recovers the truth:

* Kendall's tau-b between the method's weighted total and the true weighted merit;
* how many of the true top five are in the method's top five (the selection is about 5).

The reviewers differ the way real panels do: leniency (甘辛), use of the scale (compressed or
extreme), a per-criterion quirk, a halo per application (one impression coloring every
criterion) and noise.  Three scenarios are run with the same seeds:

* ``standard``: moderate reviewer differences (the basis of the choice);
* ``no_reviewer_effects``: only halo and noise (does calibration cost anything when there is
  nothing to correct?);
* ``strong``: large leniency and scale differences.

Usage::

    .venv/bin/python benchmarks/simulate_methods.py              # 200 rounds per scenario
    .venv/bin/python benchmarks/simulate_methods.py --rounds 20  # fast check (tests use it)

Prints Markdown tables (mean and SD over rounds, and the paired difference to ``mean`` with
its standard error) and the run time.  Seeded: the same arguments give the same figures.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import kendalltau

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scoring.combine import DEFAULT_METHOD, METHODS, make_combiner
from scoring.config.rubric import Rubric, load_rubric

RUBRIC_PATH = Path(__file__).resolve().parent.parent / "rubrics" / "r8_talent_pool.yaml"

#: (label, method, options): every method with its defaults, then a few variants.
CONFIGS: list[tuple[str, str, dict[str, Any]]] = [
    *((m, m, {}) for m in METHODS),
    ("zscore (calibrate=criterion)", "zscore", {"calibrate": "criterion"}),
    ("additive (calibrate=criterion)", "additive", {"calibrate": "criterion"}),
    ("additive (bias_shrinkage=5)", "additive", {"bias_shrinkage": 5.0}),
    ("affine (scale_shrinkage=0)", "affine", {"scale_shrinkage": 0.0}),
    ("affine (scale_shrinkage=5)", "affine", {"scale_shrinkage": 5.0}),
]


@dataclass(frozen=True)
class Scenario:
    """How reviewers differ (SDs on the 1–5 scale unless stated)."""

    name: str
    leniency_sd: float = 0.5  # reviewer bias
    log_scale_sd: float = 0.3  # log of the reviewer's scale use (compressed < 1 < extreme)
    criterion_quirk_sd: float = 0.15  # reviewer × criterion bias
    halo_sd: float = 0.3  # reviewer × application impression, shared by all criteria
    noise_sd: float = 0.5  # per score
    merit_sd: float = 0.8  # spread of true criterion merit around 3
    criterion_corr: float = 0.7  # loading of criterion merit on the application's quality
    conflict_p: float = 0.05  # per reviewer × application
    unfinished_p: float = 0.03  # per assignment: the reviewer scores nothing
    skipped_p: float = 0.01  # per score: one criterion left blank


SCENARIOS: list[Scenario] = [
    Scenario("standard"),
    Scenario("no_reviewer_effects", leniency_sd=0.0, log_scale_sd=0.0, criterion_quirk_sd=0.0),
    Scenario("strong", leniency_sd=0.8, log_scale_sd=0.5, criterion_quirk_sd=0.25),
]


def simulate_round(
    rng: np.random.Generator, rubric: Rubric, sc: Scenario, n_apps: int = 16
) -> tuple[pd.DataFrame, pd.Series]:
    """One round: the canonical long score table and the true weighted merit per application."""
    crits = [c.id for c in rubric.criteria]
    weights = rubric.weights().to_numpy() / rubric.weights().sum()
    n_c = len(crits)
    n_revs = int(rng.integers(6, 9))
    k = int(rng.integers(3, 5))
    apps = [f"{i + 1:02d}" for i in range(n_apps)]
    revs = [f"R{j + 1}" for j in range(n_revs)]

    quality = rng.normal(size=n_apps)
    rho = sc.criterion_corr
    t = rho * quality[:, None] + math.sqrt(1 - rho**2) * rng.normal(size=(n_apps, n_c))
    truth = pd.Series(t @ weights, index=pd.Index(apps, name="application"), name="truth")
    mu = 3.0 + sc.merit_sd * t

    bias = rng.normal(0, sc.leniency_sd, n_revs)
    scale = np.exp(rng.normal(0, sc.log_scale_sd, n_revs))
    quirk = rng.normal(0, sc.criterion_quirk_sd, (n_revs, n_c))

    # Assignment: k reviewers per application, least loaded first, never in conflict.
    conflict = rng.random((n_revs, n_apps)) < sc.conflict_p
    load = np.zeros(n_revs)
    rows: list[tuple[str, str, str, float]] = []
    for a in rng.permutation(n_apps):
        eligible = np.flatnonzero(~conflict[:, a])
        order = eligible[np.lexsort((rng.random(len(eligible)), load[eligible]))]
        chosen = order[:k]
        load[chosen] += 1
        for r in chosen:
            if rng.random() < sc.unfinished_p:
                for c in crits:
                    rows.append((apps[a], revs[r], c, math.nan))
                continue
            halo = rng.normal(0, sc.halo_sd)
            x = 3.0 + bias[r] + quirk[r] + scale[r] * (mu[a] - 3.0) + halo + rng.normal(0, sc.noise_sd, n_c)
            s = np.clip(np.round(x), 1, 5)
            s[rng.random(n_c) < sc.skipped_p] = math.nan
            rows.extend((apps[a], revs[r], c, float(v)) for c, v in zip(crits, s, strict=True))
    scores = pd.DataFrame(rows, columns=["application", "reviewer", "criterion", "score"])
    return scores, truth


def evaluate(totals: pd.DataFrame, truth: pd.Series, top: int = 5) -> tuple[float, int]:
    """Kendall's tau-b with the truth and the number of the true top ``top`` in the method's."""
    est = totals["total"].reindex(truth.index)
    tau = float(kendalltau(est.to_numpy(), truth.to_numpy(), nan_policy="omit").statistic)
    true_top = set(truth.sort_values(ascending=False, kind="stable").index[:top])
    method_top = set(totals.index[:top])  # totals() is sorted best first (NaN last)
    return tau, len(true_top & method_top)


def run(rounds: int, seed: int, scenarios: list[Scenario]) -> pd.DataFrame:
    """One row per scenario × round × configuration: tau, top5, fit seconds."""
    rubric = load_rubric(RUBRIC_PATH)
    out: list[dict[str, Any]] = []
    for si, sc in enumerate(scenarios):
        rng = np.random.default_rng([seed, si])
        for i in range(rounds):
            scores, truth = simulate_round(rng, rubric, sc)
            for label, method, options in CONFIGS:
                t0 = time.perf_counter()
                tot = make_combiner(method, **options).fit(scores, rubric).totals()
                dt = time.perf_counter() - t0
                tau, hit = evaluate(tot, truth)
                out.append(
                    {"scenario": sc.name, "round": i, "config": label, "tau": tau, "top5": hit, "seconds": dt}
                )
    return pd.DataFrame(out)


def summarise(res: pd.DataFrame, scenario: str, default: str = DEFAULT_METHOD) -> pd.DataFrame:
    """Mean and SD per configuration, and paired differences (mean ± SE over rounds) to the
    plain ``mean`` and to ``default``."""
    sub = res[res["scenario"] == scenario]
    by = {label: sub[sub["config"] == label].set_index("round") for label, _, _ in CONFIGS}
    rows = []
    for label, _, _ in CONFIGS:
        d = by[label]
        n = len(d)
        row: dict[str, Any] = {
            "method": label,
            "tau_mean": d["tau"].mean(),
            "tau_sd": d["tau"].std(ddof=1),
            "top5_mean": d["top5"].mean(),
            "top5_sd": d["top5"].std(ddof=1),
            "ms_per_fit": 1000 * d["seconds"].median(),
        }
        for ref, tag in (("mean", "mean"), (default, "default")):
            for metric in ("tau", "top5"):
                diff = (d[metric] - by[ref][metric]).to_numpy()
                row[f"d{metric}_{tag}"] = diff.mean()
                row[f"d{metric}_{tag}_se"] = diff.std(ddof=1) / math.sqrt(n)
        rows.append(row)
    return pd.DataFrame(rows)


def markdown(table: pd.DataFrame, default: str = DEFAULT_METHOD) -> str:
    """The summary as a Markdown table."""
    head = (
        "| method | Kendall's tau (mean ± SD) | true top 5 in top 5 (mean ± SD) "
        f"| Δtau vs mean (± SE) | Δtop5 vs mean (± SE) | Δtau vs {default} (± SE) "
        f"| Δtop5 vs {default} (± SE) | ms/fit |"
    )
    lines = [head, "|---|---|---|---|---|---|---|---|"]
    for r in table.itertuples():
        lines.append(
            f"| {r.method} | {r.tau_mean:.3f} ± {r.tau_sd:.3f} | {r.top5_mean:.2f} ± {r.top5_sd:.2f} "
            f"| {r.dtau_mean:+.3f} ± {r.dtau_mean_se:.3f} | {r.dtop5_mean:+.2f} ± {r.dtop5_mean_se:.2f} "
            f"| {r.dtau_default:+.3f} ± {r.dtau_default_se:.3f} "
            f"| {r.dtop5_default:+.2f} ± {r.dtop5_default_se:.2f} | {r.ms_per_fit:.1f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=200, help="simulated rounds per scenario (default 200)")
    parser.add_argument("--seed", type=int, default=20260220, help="random seed (default 20260220)")
    parser.add_argument(
        "--scenario",
        choices=[s.name for s in SCENARIOS],
        action="append",
        help="run only this scenario (repeatable; default: all)",
    )
    args = parser.parse_args(argv)
    if args.rounds < 2:
        parser.error("--rounds must be at least 2")
    chosen = [s for s in SCENARIOS if not args.scenario or s.name in args.scenario]
    t0 = time.perf_counter()
    res = run(args.rounds, args.seed, chosen)
    elapsed = time.perf_counter() - t0
    print(
        f"# Simulation: {args.rounds} rounds per scenario, seed {args.seed}, "
        f"DEFAULT_METHOD = {DEFAULT_METHOD}"
    )
    for sc in chosen:
        print(f"\n## Scenario: {sc.name}  ({sc})\n")
        print(markdown(summarise(res, sc.name)))
    print(f"\nElapsed: {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
