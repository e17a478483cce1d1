"""Numbers the committee can take at their word (issue 20): calibration, SEs, the 協議 lists.

A simulation with known true merit (the generator of ``simulate_methods.py``, scenario
``standard``: leniency, use of the scale, per-criterion quirks, a halo per application and
noise differing by reviewer), at the size of a round: 30 applications, 8 reviewers, 3–5
reviewers per application (drawn per round), 5 places, the shipped rubric and its 1–5 scale.
The true top 5 is the top 5 of the true weighted merit. For every round:

1. **P(selected)** — the stability analysis *before* (all six methods mixed, the former
   default) and *after* (the committee's method only, the new default): the reliability table
   by bin (mean P against the share truly in the top 5), the Brier score and the share of
   applications in the 0.1–0.9 zone.
2. **Stability ties** — the number of tie groups of the baseline totals and how many of them
   the stability table splits (a different ``rank`` for equal totals), for
   the default method and for ``mean`` (where equal totals are common). The figure of the
   former code is measured on the same rounds' scores (``--save-scores``) with main's
   ``StabilityAnalysis`` (see ``RESULTS.md``).
3. **協議 「選定ラインの近く」** — recall of the selection errors (applications whose selection
   differs from the true top 5), precision, and the share flagged: the former list
   (:func:`scoring.agreement.disagreement.discussion_list`) against
   :func:`scoring.analysis.quality.near_line`.
4. **SE coverage** — the combiner's plug-in SE against :func:`scoring.analysis.uncertainty.honest_se`:
   the estimand is the expected total of the application over fresh panels of reviewers
   (same merit, same design; ``--panels`` replicate panels per round, the replicate mean's own
   noise is added to the interval), and the share of 95 % intervals covering it.
5. **Second panel** (``--second-panel``) — :func:`scoring.analysis.quality.second_panel`'s
   estimate of how many of the proposed five another panel would pick, against the truth of
   the simulation (the same merits scored by a fresh panel: how many of the five it selects).

Usage::

    .venv/bin/python benchmarks/bench_uncertainty.py                  # 100 rounds (about 7 min, shared machine)
    .venv/bin/python benchmarks/bench_uncertainty.py --rounds 8 --n-boot 100 --panels 8 --second-panel 30

Seeded: the same arguments give the same figures. Intervals are 95 % over rounds (bootstrap
over rounds for the ratios).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulate_methods import RUBRIC_PATH, SCENARIOS, Scenario

from scoring.agreement.disagreement import discussion_list
from scoring.analysis.quality import near_line, second_panel
from scoring.analysis.uncertainty import honest_cov
from scoring.combine import DEFAULT_METHOD, METHODS, make_combiner
from scoring.config.rubric import Rubric, load_rubric
from scoring.core.columns import review_rank
from scoring.selection import candidates_frame
from scoring.selection.stability import StabilityAnalysis

K = 5
BINS = (0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0)


def draw_merit(
    rng: np.random.Generator, rubric: Rubric, sc: Scenario, n_apps: int
) -> tuple[np.ndarray, pd.Series]:
    """True criterion merit (applications × criteria, on the 1–5 scale) and the true weighted merit."""
    n_c = len(rubric.criteria)
    weights = rubric.weights().to_numpy() / rubric.weights().sum()
    quality = rng.normal(size=n_apps)
    rho = sc.criterion_corr
    t = rho * quality[:, None] + math.sqrt(1 - rho**2) * rng.normal(size=(n_apps, n_c))
    apps = [f"{i + 1:02d}" for i in range(n_apps)]
    truth = pd.Series(t @ weights, index=pd.Index(apps, name="application"), name="truth")
    return 3.0 + sc.merit_sd * t, truth


def draw_panel(
    rng: np.random.Generator, rubric: Rubric, sc: Scenario, mu: np.ndarray, n_revs: int, k: int
) -> pd.DataFrame:
    """A fresh panel of ``n_revs`` reviewers scoring the merits ``mu`` (``k`` per application)."""
    crits = [c.id for c in rubric.criteria]
    n_apps, n_c = mu.shape
    apps = [f"{i + 1:02d}" for i in range(n_apps)]
    revs = [f"R{j + 1}" for j in range(n_revs)]
    bias = rng.normal(0, sc.leniency_sd, n_revs)
    scale = np.exp(rng.normal(0, sc.log_scale_sd, n_revs))
    quirk = rng.normal(0, sc.criterion_quirk_sd, (n_revs, n_c))
    load = np.zeros(n_revs)
    rows: list[tuple[str, str, str, float]] = []
    for a in rng.permutation(n_apps):
        order = np.lexsort((rng.random(n_revs), load))
        chosen = order[:k]
        load[chosen] += 1
        for r in chosen:
            halo = rng.normal(0, sc.halo_sd)
            x = 3.0 + bias[r] + quirk[r] + scale[r] * (mu[a] - 3.0) + halo + rng.normal(0, sc.noise_sd, n_c)
            s = np.clip(np.round(x), 1, 5)
            rows.extend((apps[a], revs[r], c, float(v)) for c, v in zip(crits, s, strict=True))
    return pd.DataFrame(rows, columns=["application", "reviewer", "criterion", "score"])


def applications(ids: list[str]) -> pd.DataFrame:
    """The application facts the selection needs (no balance rule binds: one block, one theme)."""
    return pd.DataFrame(
        {
            "prefecture_name": ids,
            "block": "関東",
            "theme": "A",
            "application_type": "公募",
            "late": False,
            "has_errors": False,
        },
        index=pd.Index(ids, name="application"),
    )


def _fit_totals(scores: pd.DataFrame, rubric: Rubric) -> pd.DataFrame:
    t = make_combiner(DEFAULT_METHOD).fit(scores, rubric).totals()
    t.index = t.index.astype(str)
    return t


def tie_splits(table: pd.DataFrame) -> tuple[int, int]:
    """Tie groups of the baseline totals (equal at 4 decimals) and how many the stability table
    splits (different ``rank`` within the group). Within each resample equal totals share a rank
    too, so a median or interval differs only when the resampled totals differ."""
    key = table["total"].round(4)
    groups = split = 0
    for _, g in table[key.duplicated(keep=False) & table["total"].notna()].groupby(key):
        groups += 1
        split += int(g["rank"].astype(float).nunique() > 1)
    return groups, split


def _pairs(
    rows: pd.DataFrame, reps: np.ndarray, cov: pd.DataFrame, selected: set[str]
) -> list[tuple[float, ...]]:
    """Pairs across the line among the top 10: estimated and expected difference, the replicate
    variance of the difference, and its SE without and with the covariance."""
    top = rows["total"].sort_values(ascending=False).index[:10]
    pos = {a: j for j, a in enumerate(rows.index)}
    out = []
    for u in [a for a in top if a in selected]:
        for lo in [a for a in top if a not in selected]:
            d_reps = reps[:, pos[u]] - reps[:, pos[lo]]
            v_u, v_l, c = cov.at[u, u], cov.at[lo, lo], cov.at[u, lo]
            out.append(
                (
                    rows.at[u, "total"] - rows.at[lo, "total"],
                    d_reps.mean(),
                    d_reps.var(ddof=1),
                    float(np.sqrt(v_u + v_l)),
                    float(np.sqrt(max(v_u + v_l - 2 * c, 0.0))),
                )
            )
    return out


def one_round(i: int, a: argparse.Namespace, rubric: Rubric, sc: Scenario) -> pd.DataFrame:
    """Per-application rows of one simulated round (everything the summary needs)."""
    rng = np.random.default_rng([a.seed, i])
    n_revs = a.reviewers
    k = int(rng.integers(3, 6))
    mu, truth = draw_merit(rng, rubric, sc, a.apps)
    scores = draw_panel(rng, rubric, sc, mu, n_revs, k)
    ids = list(truth.index)
    apps = applications(ids)
    totals = _fit_totals(scores, rubric)
    cov = honest_cov(scores, rubric, DEFAULT_METHOD, totals=totals)
    hs = pd.DataFrame(
        {"se": np.sqrt(np.diag(cov.to_numpy())), "se_plugin": totals["se"].reindex(cov.index)},
        index=cov.index,
    )
    cand = candidates_frame(totals["total"], apps)
    stab = {}
    for tag, methods in (("before", METHODS), ("after", None)):
        an = StabilityAnalysis(n_boot=a.n_boot, seed=i, methods=methods, baseline_method=DEFAULT_METHOD)
        stab[tag] = an.fit(scores, rubric, cand, K).table_
    after = stab["after"]
    selected = set(after.index[after["baseline_selected"]])
    true_top = set(truth.sort_values(ascending=False, kind="stable").index[:K])
    old = discussion_list(
        scores,
        rubric,
        combined=totals,
        select=K,
        p_selected=stab["before"]["p_selected"],
        rank=review_rank(totals["total"]),
        band=(0.25, 0.75),  # the former list as it was: mixed-method P, band 25–75 %
    )
    new = near_line(totals["total"], hs["se"], after["p_selected"], K, selected=selected)
    rows = pd.DataFrame(index=pd.Index(ids, name="application"))
    rows["round"] = i
    rows["k"] = k
    rows["total"] = totals["total"].reindex(ids)
    rows["se_plugin"] = hs["se_plugin"].reindex(ids)
    rows["se"] = hs["se"].reindex(ids)
    rows["p_before"] = stab["before"]["p_selected"].reindex(ids)
    rows["p_after"] = after["p_selected"].reindex(ids)
    rows["selected"] = [x in selected for x in ids]
    rows["true_top"] = [x in true_top for x in ids]
    rows["old_flag"] = rows.index.isin(set(old["application"]))
    rows["old_border"] = rows.index.isin(set(old.loc[old["border_flag"], "application"]))
    rows["new_flag"] = rows.index.isin(set(new.index[new["flag"]]))
    rows.attrs["ties_affine"] = tie_splits(after)
    mean_tab = (
        StabilityAnalysis(n_boot=50, seed=i, baseline_method="mean").fit(scores, rubric, cand, K).table_
    )
    rows.attrs["ties_mean"] = tie_splits(mean_tab)
    if a.save_scores:
        a.save_scores.mkdir(parents=True, exist_ok=True)
        scores.to_csv(a.save_scores / f"round{i:03d}.csv", index=False)
    if a.panels:
        reps = np.array(
            [
                _fit_totals(draw_panel(rng, rubric, sc, mu, n_revs, k), rubric)["total"].reindex(ids)
                for _ in range(a.panels)
            ]
        )
        rows["expected"] = reps.mean(axis=0)
        rows["rep_var"] = reps.var(axis=0, ddof=1)
        rows.attrs["pairs"] = _pairs(rows, reps, cov, selected)
    if a.second_panel:
        sp = second_panel(scores, rubric, cand, K, n_splits=a.second_panel, seed=i)
        fresh = _fit_totals(draw_panel(rng, rubric, sc, mu, n_revs, k), rubric)["total"].reindex(ids)
        other = set(fresh.sort_values(ascending=False, kind="stable").index[:K])
        rows.attrs["second_panel"] = (sp["expected"], sp["lo"], sp["hi"], len(other & selected))
    return rows


def _reliability(p: pd.Series, y: pd.Series) -> list[str]:
    cut = pd.cut(p, BINS, include_lowest=True)
    lines = ["| P(選定) の区間 | 応募数 | 平均 P | 真の上位5に入った割合 |", "|---|---|---|---|"]
    for b, g in y.groupby(cut, observed=False):
        if len(g):
            lines.append(f"| {b} | {len(g)} | {p[g.index].mean():.3f} | {g.mean():.3f} |")
    return lines


def _boot_ci(values: np.ndarray, rounds: np.ndarray, fn: Any, n: int = 400) -> tuple[float, float]:
    """95 % bootstrap interval over rounds of ``fn(values restricted to the drawn rounds)``."""
    rng = np.random.default_rng(0)
    ur = np.unique(rounds)
    by = {r: np.flatnonzero(rounds == r) for r in ur}
    stats = []
    for _ in range(n):
        pick = np.concatenate([by[r] for r in rng.choice(ur, len(ur))])
        stats.append(fn(values[pick]))
    lo, hi = np.nanquantile(stats, [0.025, 0.975])
    return float(lo), float(hi)


def summarise(res: pd.DataFrame, attrs: list[dict[str, Any]], a: argparse.Namespace) -> None:
    res = res.reset_index()
    y = res["true_top"].astype(float)
    rounds = res["round"].to_numpy()
    print("## 1. P(選定) の較正（before: 6方法を混ぜる / after: 委員会と同じ方法だけ）\n")
    for tag in ("before", "after"):
        p = res[f"p_{tag}"]
        brier = float(((p - y) ** 2).mean())
        zone = float(((p > 0.1) & (p < 0.9)).mean())
        arr = np.c_[p.to_numpy(), y.to_numpy()]
        b_lo, b_hi = _boot_ci(arr, rounds, lambda v: ((v[:, 0] - v[:, 1]) ** 2).mean())
        z_lo, z_hi = _boot_ci(arr, rounds, lambda v: ((v[:, 0] > 0.1) & (v[:, 0] < 0.9)).mean())
        print(
            f"### {tag}: Brier {brier:.4f} (95% {b_lo:.4f}–{b_hi:.4f}), 0.1–0.9 の割合 {zone:.1%} ({z_lo:.1%}–{z_hi:.1%})\n"
        )
        print("\n".join(_reliability(p, y)) + "\n")
    print("## 2. 安定性の表で同点の順位が分かれた数\n")
    for tag in ("affine", "mean"):
        g = sum(d[f"ties_{tag}"][0] for d in attrs)
        s = sum(d[f"ties_{tag}"][1] for d in attrs)
        print(f"- {tag}: 同点のグループ {g}、うち順位が分かれた {s}")
    print("\n## 3. 協議「選定ラインの近く」: 選定の誤りの再現率・適合率・対象の割合\n")
    err = res["selected"] != res["true_top"]
    print(f"選定の誤り（真の上位5と違う選定/非選定）: 応募の {err.mean():.1%}\n")
    print("| リスト | 再現率 | 適合率 | 対象の割合 |\n|---|---|---|---|")
    for col, label in (
        ("old_flag", "従来の協議対象（全体）"),
        ("old_border", "従来: うち選定ライン付近"),
        ("new_flag", "新: 選定ラインの近く"),
    ):
        f = res[col]
        arr = np.c_[f.to_numpy(), err.to_numpy()].astype(float)
        r_lo, r_hi = _boot_ci(
            arr, rounds, lambda v: v[v[:, 1] == 1, 0].mean() if (v[:, 1] == 1).any() else np.nan
        )
        print(
            f"| {label} | {f[err].mean():.1%} ({r_lo:.1%}–{r_hi:.1%}) | {err[f].mean():.1%} | {f.mean():.1%} |"
        )
    if "expected" in res:
        print(f"\n## 4. 合計点の95%区間が期待値を含む割合（{a.panels} の別パネルの平均を期待値に）\n")
        for col, label in (
            ("se_plugin", "before（合算方法の標準誤差）"),
            ("se", "after（審査員ジャックナイフ）"),
        ):
            half = 1.96 * np.sqrt(res[col] ** 2 + res["rep_var"] / a.panels)
            cov = (res["total"] - res["expected"]).abs() <= half
            ratio = float(res[col].mean() / np.sqrt(res["rep_var"].mean()))
            arr = np.c_[cov.to_numpy().astype(float)]
            c_lo, c_hi = _boot_ci(arr, rounds, lambda v: v[:, 0].mean())
            print(
                f"- {label}: 被覆率 {cov.mean():.1%} (95% {c_lo:.1%}–{c_hi:.1%})；平均SE / 実際のSD = {ratio:.2f}"
            )
        pairs = np.array([p for d in attrs for p in d.get("pairs", [])])
        if len(pairs):
            print(
                f"\n差（選定ラインをまたぐ組、上位10件の中、{len(pairs)} 組）の95%区間が期待値の差を含む割合:\n"
            )
            for j, label in ((3, "独立とみなす √(v1+v2)"), (4, "共分散込み √(v1+v2−2c)")):
                half = 1.96 * np.sqrt(pairs[:, j] ** 2 + pairs[:, 2] / a.panels)
                cov_ok = np.abs(pairs[:, 0] - pairs[:, 1]) <= half
                ratio = float(np.mean(pairs[:, j]) / np.sqrt(np.mean(pairs[:, 2])))
                print(f"- {label}: 被覆率 {cov_ok.mean():.1%}；平均SE / 実際のSD = {ratio:.2f}")
    if a.second_panel:
        sp = np.array([d["second_panel"] for d in attrs])
        inside = ((sp[:, 3] >= sp[:, 1]) & (sp[:, 3] <= sp[:, 2])).mean()
        print("\n## 5. もう一つのパネルが同じ5件を選ぶ数\n")
        print(
            f"- 推定（平均）{sp[:, 0].mean():.2f} 件、実際（新しいパネル）{sp[:, 3].mean():.2f} 件；"
            f"推定の区間が実際を含む割合 {inside:.1%}（{len(sp)} 回）"
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=100)
    ap.add_argument("--seed", type=int, default=20)
    ap.add_argument("--apps", type=int, default=30)
    ap.add_argument("--reviewers", type=int, default=8)
    ap.add_argument("--n-boot", type=int, default=200)
    ap.add_argument(
        "--panels", type=int, default=15, help="replicate panels per round for the SE estimand (0: skip)"
    )
    ap.add_argument("--second-panel", type=int, default=100, help="split-panel resamples (0: skip)")
    ap.add_argument("--save", type=Path, help="write the per-application rows (CSV)")
    ap.add_argument("--save-scores", type=Path, help="write each round's scores (CSV) into this folder")
    a = ap.parse_args(argv)
    rubric = load_rubric(RUBRIC_PATH)
    sc = SCENARIOS[0]
    t0 = time.perf_counter()
    parts = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for i in range(a.rounds):
            parts.append(one_round(i, a, rubric, sc))
    res = pd.concat(parts)
    if a.save:
        res.to_csv(a.save)
    print(
        f"# 選定の確率・標準誤差・協議リスト（模擬 {a.rounds} 回、応募 {a.apps}・審査員 {a.reviewers}・"
        f"応募ごと 3〜5・選定 {K}、n_boot {a.n_boot}）\n"
    )
    summarise(res, [p.attrs for p in parts], a)
    print(f"\n{time.perf_counter() - t0:.0f} 秒", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
