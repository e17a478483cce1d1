"""Calibrate the discussion list (協議対象): which share of a typical round does it flag?

:func:`scoring.agreement.disagreement.discussion_list` should flag what matters — about
20–35 % of a round — not every application. This script simulates many rounds of typical
size with :func:`scoring.demo.simulate.typical_round` (30 applications, 8 reviewers, 4 per
application, 5 places; reviewers with random leniency, noise, halo and use of the scale),
combines them with the default method, runs the stability analysis (200 resamples), and
prints the distribution of the flagged share, overall and per reason.

Usage::

    .venv/bin/python benchmarks/calibrate_discussion.py               # 200 rounds
    .venv/bin/python benchmarks/calibrate_discussion.py --rounds 10 --json   # (tests use it)

Options ``--band``, ``--ratio``, ``--gap``, ``--margin`` try other thresholds. Seeded: the same
arguments give the same figures. The figures quoted in the function's docstring and the
README come from the default run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from scoring.agreement.disagreement import BORDER_BAND, GAP_LEVELS, RANK_MARGIN, SPREAD_RATIO, discussion_list
from scoring.combine import DEFAULT_METHOD, make_combiner
from scoring.config.rubric import load_rubric
from scoring.core.columns import review_rank
from scoring.demo.simulate import typical_round
from scoring.selection import candidates_frame
from scoring.selection.stability import StabilityAnalysis

RUBRIC = Path(__file__).resolve().parent.parent / "rubrics" / "r8_talent_pool.yaml"


def one_round(
    seed: int,
    *,
    n_apps: int,
    n_reviewers: int,
    per_app: int,
    select: int,
    n_boot: int,
    band: tuple[float, float],
    ratio: float,
    gap: float,
    margin: int,
) -> dict[str, float]:
    """Flagged shares (overall and per reason) of one simulated round."""
    rubric = load_rubric(RUBRIC)
    scores, apps = typical_round(
        rubric, n_applications=n_apps, n_reviewers=n_reviewers, per_application=per_app, seed=seed
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        totals = make_combiner(DEFAULT_METHOD).fit(scores, rubric).totals()
        stab = (
            StabilityAnalysis(n_boot=n_boot, seed=seed, baseline_method=DEFAULT_METHOD)
            .fit(scores, rubric, candidates_frame(totals["total"], apps), select)
            .table_
        )
    d = discussion_list(
        scores,
        rubric,
        combined=totals,
        select=select,
        p_selected=stab["p_selected"],
        rank=review_rank(totals["total"]),
        band=band,
        spread_ratio=ratio,
        gap=gap,
        rank_margin=margin,
    )
    n = len(apps)
    return {
        "seed": seed,
        "flagged": len(d) / n,
        "border": float(d["border_flag"].sum()) / n,
        "disagree": float(d["disagree_flag"].sum()) / n,
        "few": float(d["few_flag"].sum()) / n,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--apps", type=int, default=30)
    ap.add_argument("--reviewers", type=int, default=8)
    ap.add_argument("--per-app", type=int, default=4)
    ap.add_argument("--select", type=int, default=5)
    ap.add_argument("--n-boot", type=int, default=200)
    ap.add_argument("--band", type=float, nargs=2, default=BORDER_BAND)
    ap.add_argument("--ratio", type=float, default=SPREAD_RATIO)
    ap.add_argument("--gap", type=float, default=GAP_LEVELS)
    ap.add_argument("--margin", type=int, default=RANK_MARGIN)
    ap.add_argument("--json", action="store_true", help="print one JSON object (for tests)")
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    rows = [
        one_round(
            a.seed + i,
            n_apps=a.apps,
            n_reviewers=a.reviewers,
            per_app=a.per_app,
            select=a.select,
            n_boot=a.n_boot,
            band=tuple(a.band),
            ratio=a.ratio,
            gap=a.gap,
            margin=a.margin,
        )
        for i in range(a.rounds)
    ]
    res = pd.DataFrame(rows)
    q = res["flagged"].quantile([0.1, 0.5, 0.9])
    summary = {
        "rounds": a.rounds,
        "mean": float(res["flagged"].mean()),
        "sd": float(res["flagged"].std(ddof=1)),
        "p10": float(q[0.1]),
        "median": float(q[0.5]),
        "p90": float(q[0.9]),
        "border": float(res["border"].mean()),
        "disagree": float(res["disagree"].mean()),
        "few": float(res["few"].mean()),
        "seconds": round(time.perf_counter() - t0, 1),
    }
    if a.json:
        print(json.dumps(summary))
        return 0
    print(
        f"# 協議対象の割合（模擬ラウンド {a.rounds} 回、応募 {a.apps}・審査員 {a.reviewers}・応募ごと {a.per_app}・"
        f"選定 {a.select}）\n"
    )
    print(f"band={tuple(a.band)} ratio={a.ratio} gap={a.gap} margin={a.margin} n_boot={a.n_boot}\n")
    print("| | 平均 | SD | 10% | 中央値 | 90% |")
    print("|---|---|---|---|---|---|")
    print(
        f"| 協議対象 | {summary['mean']:.1%} | {summary['sd']:.1%} | {summary['p10']:.1%} | {summary['median']:.1%} "
        f"| {summary['p90']:.1%} |"
    )
    for k, ja in (
        ("border", "選定ライン付近"),
        ("disagree", "甘辛で説明できない違い"),
        ("few", "審査員不足"),
    ):
        print(
            f"| うち{ja} | {res[k].mean():.1%} | {res[k].std(ddof=1):.1%} | {res[k].quantile(0.1):.1%} "
            f"| {res[k].median():.1%} | {res[k].quantile(0.9):.1%} |"
        )
    hist = np.histogram(res["flagged"], bins=np.arange(0, 0.65, 0.05))
    print("\n分布（協議対象の割合）:")
    for lo, n in zip(hist[1][:-1], hist[0]):
        print(f"  {lo:4.0%}–{lo + 0.05:4.0%} {'#' * int(n)}")
    print(f"\n{summary['seconds']} 秒", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
