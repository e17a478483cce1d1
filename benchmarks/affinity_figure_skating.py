"""Worked example: the affinity check on real panel data (2018 Olympic figure skating).

Nine judges score every performance; each judge has a home country and each skater a
nation. A judge scoring a skater of their own country is a *linked* pair, the same
kind of connection (same region, same former employer) the affinity check looks for
between reviewers and applicants. This script turns the judges' marks into the
canonical long score table, runs :func:`scoring.affinity` (and, on one complete
panel, :func:`scoring.icc` and :func:`scoring.kendall_w`) and prints the results
that ``benchmarks/AFFINITY.md`` documents.

Data: BuzzFeed News, 2018-02-olympic-figure-skating-analysis (CC BY 4.0), read from
``data/figure-skating-2018`` in this repository (override with the environment variable
``SHINSA_FIGURE_SKATING_DIR`` or the first command-line argument).

Run: ``.venv/bin/python benchmarks/affinity_figure_skating.py``
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from scoring.agreement.disagreement import affinity
from scoring.agreement.reliability import icc, kendall_w, krippendorff_alpha

DEFAULT_DIR = Path(__file__).resolve().parents[1] / "data" / "figure-skating-2018"


def data_dir(arg: str | None = None) -> Path:
    """The folder with the four CSV files (argument, env variable, or the default)."""
    return Path(arg or os.environ.get("SHINSA_FIGURE_SKATING_DIR") or DEFAULT_DIR)


@dataclass
class SkatingPanels:
    """The data in the shapes the workbench uses.

    Attributes
    ----------
    components : DataFrame
        Canonical score table: application = performance_id, reviewer = judge name,
        criterion = program component (5 per performance), score = the judge's mark
        × the component's factor (points of the program component score). The sum
        over criteria is the judge's program component score (PCS) in points.
    goe : DataFrame
        Canonical score table with one criterion ``goe_mean``: the judge's mean
        grade of execution (−3 … +3) over the performance's elements.
    links : DataFrame
        reviewer, application, linked: the judge's home country equals the
        skater's nation.
    marks : DataFrame
        Every mark with its context (performance, program, nation, judge, seat,
        judge country, section, aspect, factor, score).
    """

    components: pd.DataFrame
    goe: pd.DataFrame
    links: pd.DataFrame
    marks: pd.DataFrame


def load(folder: str | os.PathLike[str] | None = None) -> SkatingPanels:
    """Read the four CSV files and build the canonical tables (see :class:`SkatingPanels`)."""
    d = Path(folder) if folder is not None else data_dir()
    perf = pd.read_csv(d / "performances.csv", dtype={"performance_id": str})
    aspects = pd.read_csv(d / "judged-aspects.csv", dtype={"aspect_id": str, "performance_id": str})
    scores = pd.read_csv(d / "judge-scores.csv", dtype={"aspect_id": str})
    judges = pd.read_csv(d / "judges.csv")
    marks = (
        scores.merge(
            aspects[["aspect_id", "performance_id", "section", "aspect_num", "aspect_desc", "factor"]],
            on="aspect_id",
            validate="many_to_one",
        )
        .merge(
            perf[["performance_id", "program", "nation", "name"]], on="performance_id", validate="many_to_one"
        )
        .merge(
            judges[["program", "clean_role", "clean_judge_name", "judge_country"]],
            left_on=["program", "judge"],
            right_on=["program", "clean_role"],
            validate="many_to_one",
        )
        .drop(columns="clean_role")
    )
    comp = marks[marks["section"] == "components"].copy()
    # "Interpretation of the Music/Timing" (ice dance) and "... of the Music" are one component
    comp["criterion"] = comp["aspect_desc"].str.replace(r"^Interpretation.*$", "Interpretation", regex=True)
    comp["points"] = comp["score"] * comp["factor"]
    components = pd.DataFrame(
        {
            "application": comp["performance_id"],
            "reviewer": comp["clean_judge_name"],
            "criterion": comp["criterion"],
            "score": comp["points"],
        }
    ).reset_index(drop=True)
    el = marks[marks["section"] == "elements"]
    g = el.groupby(["performance_id", "clean_judge_name"], sort=False)["score"].mean().reset_index()
    goe = pd.DataFrame(
        {
            "application": g["performance_id"],
            "reviewer": g["clean_judge_name"],
            "criterion": "goe_mean",
            "score": g["score"],
        }
    )
    pairs = marks.drop_duplicates(["performance_id", "clean_judge_name"])
    links = pd.DataFrame(
        {
            "reviewer": pairs["clean_judge_name"],
            "application": pairs["performance_id"],
            "linked": (pairs["nation"] == pairs["judge_country"]).to_numpy(),
        }
    ).reset_index(drop=True)
    return SkatingPanels(components=components, goe=goe, links=links, marks=marks.reset_index(drop=True))


def home_judge_totals(folder: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Each judge's total points for each performance, as BuzzFeed News computed them.

    Element points = base value + the judge's GOE points (``judge-goe.csv``), component
    points = mark × factor, each rounded to 2 decimals and summed per judge and performance
    (the technical panel's deductions are the same for every judge and cancel in the
    deviations). Columns: ``performance_id, judge (seat), clean_judge_name, program,
    program_type ('short'/'free'), nation, judge_country, points``.
    """
    d = Path(folder) if folder is not None else data_dir()
    perf = pd.read_csv(d / "performances.csv", dtype={"performance_id": str})
    aspects = pd.read_csv(d / "judged-aspects.csv", dtype={"aspect_id": str, "performance_id": str})
    scores = pd.read_csv(d / "judge-scores.csv", dtype={"aspect_id": str})
    goe = pd.read_csv(d / "judge-goe.csv", dtype={"aspect_id": str})
    judges = pd.read_csv(d / "judges.csv")
    x = scores.merge(goe, on=["aspect_id", "judge"], how="left", validate="one_to_one").merge(
        aspects[["aspect_id", "performance_id", "section", "base_value", "factor"]],
        on="aspect_id",
        validate="many_to_one",
    )
    element = x["section"] == "elements"
    x["points"] = (x["base_value"] + x["judge_goe"]).where(element, x["factor"] * x["score"]).round(2)
    t = x.groupby(["performance_id", "judge"], as_index=False)["points"].sum()
    t = t.merge(perf[["performance_id", "program", "nation"]], on="performance_id", validate="many_to_one")
    t = t.merge(
        judges[["program", "clean_role", "clean_judge_name", "judge_country"]],
        left_on=["program", "judge"],
        right_on=["program", "clean_role"],
        validate="many_to_one",
    ).drop(columns="clean_role")
    t["program_type"] = t["program"].str.upper().str.contains("SHORT").map({True: "short", False: "free"})
    return t


def home_judge_affinity(totals: pd.DataFrame, reviewer: str = "judge × program") -> pd.Series:
    """The overall row of :func:`scoring.affinity` on the judges' total points, leniency-adjusted.

    ``reviewer``: ``"judge × program"`` (each judge in the short and in the free programs is
    one rater, BuzzFeed News' adjustment for "generosity by program type": gives their
    published 3.887 points, t 13.52), ``"judge × segment"`` (each of the ten events' panels
    apart) or ``"judge"`` (one leniency per judge over the whole Games).
    """
    keys = {
        "judge × program": totals["clean_judge_name"] + " | " + totals["program_type"],
        "judge × segment": totals["clean_judge_name"] + " | " + totals["program"],
        "judge": totals["clean_judge_name"],
    }
    rev = keys[reviewer]
    table = pd.DataFrame(
        {
            "application": totals["performance_id"],
            "reviewer": rev,
            "criterion": "total",
            "score": totals["points"],
        }
    )
    links = pd.DataFrame(
        {
            "reviewer": rev,
            "application": totals["performance_id"],
            "linked": (totals["nation"] == totals["judge_country"]).to_numpy(),
        }
    )
    return affinity(table, links, adjust="reviewer").iloc[0]


def _fmt_row(r: pd.Series) -> str:
    return (
        f"  diff {r['diff']:+.3f}  SE {r['se']:.3f}  t {r['t']:.2f}  df {r['df']:.1f}  p {r['p']:.2g}  "
        f"d {r['cohen_d']:.2f}  (linked n={int(r['n_linked'])}: {r['mean_linked']:+.3f}; "
        f"unlinked n={int(r['n_unlinked'])}: {r['mean_unlinked']:+.3f})"
    )


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    folder = data_dir(argv[0] if argv else None)
    t0 = time.perf_counter()
    panels = load(folder)
    t_load = time.perf_counter() - t0
    m = panels.marks
    print(f"data: {folder}")
    print(
        f"performances {m['performance_id'].nunique()}, programs {m['program'].nunique()}, "
        f"judges {m['clean_judge_name'].nunique()}, marks {len(m):,}"
    )
    n_link = int(panels.links["linked"].sum())
    print(
        f"judge × performance pairs {len(panels.links):,}; same country (linked) {n_link}, "
        f"other {len(panels.links) - n_link}"
    )
    print(f"load {t_load * 1000:.0f} ms")
    print()
    for title, table, unit in (
        (
            "Program components (judge's PCS, points = mark × factor, summed over 5 components)",
            panels.components,
            "points",
        ),
        ("Grade of execution (judge's mean GOE grade over the elements, -3..+3)", panels.goe, "grade steps"),
    ):
        print(f"== {title}; unit: {unit}")
        for adjust in ("none", "reviewer"):
            t0 = time.perf_counter()
            res = affinity(table, panels.links, adjust=adjust)
            ms = (time.perf_counter() - t0) * 1000
            print(f" overall, adjust={adjust!r} ({ms:.0f} ms):")
            print(_fmt_row(res.iloc[0]))
            print(f"  {res.iloc[0]['judgement']}")
        per = res[(res["scope"] == "reviewer") & (res["n_linked"] >= 2)].sort_values("diff", ascending=False)
        n_pos = int((per["diff"] > 0).sum())
        n_sig = int(((per["p"] < 0.05) & (per["diff"] > 0)).sum())
        print(
            f" per judge with >= 2 linked pairs: {len(per)} judges; {n_pos} score own country higher; "
            f"{n_sig} significantly (p<0.05)"
        )
        show = per.head(5)
        for _, r in show.iterrows():
            print(
                f"   {r['reviewer']:<24} n_linked {int(r['n_linked']):>2}  diff {r['diff']:+7.3f}  "
                f"t {r['t']:6.2f}  p {r['p']:.2g}"
            )
        print()

    totals = home_judge_totals(folder)
    print(
        "== Total points (base value + judge's GOE points + components × factor), leniency-adjusted; "
        "BuzzFeed News published 3.887 points, t 13.52"
    )
    for reviewer in ("judge × program", "judge × segment", "judge"):
        r = home_judge_affinity(totals, reviewer)
        print(
            f" reviewer = {reviewer:<16}: diff {r['diff']:.3f}  t {r['t']:.2f}  (linked n={int(r['n_linked'])})"
        )
    print()

    # One complete panel: Ladies' free skating, 9 judges × 24 skaters, judge's PCS.
    prog = "Ladies Single Skating - Free Skating"
    comp = m[(m["section"] == "components") & (m["program"] == prog)]
    pcs = (
        comp.assign(points=comp["score"] * comp["factor"])
        .groupby(["performance_id", "judge"])["points"]
        .sum()
        .unstack("judge")
    )
    print(
        f"== Reliability of one complete panel: {prog}, PCS per judge seat ({pcs.shape[0]} × {pcs.shape[1]})"
    )
    res_icc = icc(pcs)
    for _, r in res_icc.iterrows():
        print(
            f"   {r['type']:<9} {r['icc']:.3f}  [{r['ci_low']:.3f}, {r['ci_high']:.3f}]  F {r['F']:.1f}  p {r['p']:.2g}"
        )
    w = kendall_w(pcs).iloc[0]
    print(f"   Kendall W {w['W']:.3f} (chi2 {w['chi2']:.1f}, df {int(w['df'])}, p {w['p']:.2g})")
    long = (
        pcs.stack()
        .rename("score")
        .reset_index()
        .rename(columns={"performance_id": "application", "judge": "reviewer"})
        .assign(criterion="pcs")
    )
    a = krippendorff_alpha(long, "interval", total=False).iloc[0]
    print(f"   Krippendorff alpha (interval) {a['alpha']:.3f}")


if __name__ == "__main__":
    main()
