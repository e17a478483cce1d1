"""Stability of the selection: the fast resampling path against the combine module."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import scoring
from scoring.combine import METHODS, make_combiner
from scoring.config.round import Balance
from scoring.selection import select
from scoring.selection.stability import (
    STABILITY_COLUMNS,
    StabilityAnalysis,
    _order_statistic_location,
    _Reviews,
    _weighted_location,
    _weighted_totals,
    stability,
    stability_round,
)


@pytest.fixture(scope="module")
def rubric() -> scoring.config.Rubric:
    return scoring.load_round().rubric


def make_scores(
    rubric: scoring.config.Rubric, n_apps: int = 10, n_revs: int = 6, seed: int = 0, p_missing: float = 0.15
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    crits = [c.id for c in rubric.criteria]
    merit = rng.normal(3, 0.8, (n_apps, 1)) + rng.normal(0, 0.4, (n_apps, len(crits)))
    bias = rng.normal(0, 0.5, n_revs)
    rows = []
    for a in range(n_apps):
        for r in range(n_revs):
            if rng.random() < p_missing and r > 0:
                continue
            for c, cid in enumerate(crits):
                s = float(np.clip(np.round(merit[a, c] + bias[r] + rng.normal(0, 0.6)), 1, 5))
                rows.append((f"{a + 1:02d}", f"R{r + 1}", cid, s))
    return pd.DataFrame(rows, columns=["application", "reviewer", "criterion", "score"])


def make_candidates(ids: list[str], seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "prefecture_name": [f"県{i}" for i in ids],
            "block": rng.choice(["東北", "関東", "近畿", "九州・沖縄"], len(ids)),
            "theme": rng.choice(list("ABCD"), len(ids)),
            "application_type": "手上げ式",
            "late": False,
            "has_errors": False,
        },
        index=pd.Index(ids, name="application"),
    )


def resampled_table(data: _Reviews, draws: np.ndarray) -> pd.DataFrame:
    """The long table of one resample; a reviewer drawn twice becomes two pseudo-reviewers."""
    rows = []
    for a, app in enumerate(data.apps):
        for j in range(int(data.n[a])):
            slot = int(draws[a, j])
            rev = data.revs[int(data.rev[a, slot])]
            for c, cid in enumerate(data.crits):
                u = data.u[a, slot, c]
                if not np.isnan(u):
                    rows.append((app, f"{rev}~{j}", cid, data.mins[c] + u * data.widths[c]))
    return pd.DataFrame(rows, columns=["application", "reviewer", "criterion", "score"])


@pytest.mark.parametrize("method", ["mean", "median", "trimmed"])
def test_resampled_values_equal_the_combine_module(rubric: scoring.config.Rubric, method: str) -> None:
    scores = make_scores(rubric, n_apps=8, n_revs=7, seed=3)
    data = _Reviews(scores, rubric)
    rng = np.random.default_rng(11)
    A, J, _ = data.u.shape
    for _ in range(4):
        draws = (rng.random((1, A, J)) * data.n[None, :, None]).astype(np.intp)
        mask = np.arange(J)[None, None, :] < data.n[None, :, None]
        if method == "mean":
            mine = _weighted_location(data.u, np.ones_like(data.u), draws, mask)[0]
        else:
            mine = _order_statistic_location(data.u, draws, mask, method, 0.25)[0]
        comb = make_combiner(method).fit(resampled_table(data, draws[0]), rubric)
        ref = (
            comb.criterion_values_.reindex(index=data.apps, columns=data.crits).to_numpy() - data.mins
        ) / data.widths
        np.testing.assert_allclose(mine, ref, atol=1e-12)
        # and the weighted totals equal Combiner.totals with other weights
        w = pd.Series(rng.uniform(1, 20, len(data.crits)), index=data.crits)
        tot = _weighted_totals(mine[None], w.to_numpy()[None])[0]
        ref_tot = comb.totals(w)["total"].reindex(data.apps).to_numpy()
        np.testing.assert_allclose(tot, ref_tot, atol=1e-9)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {
            "zscore": {"calibrate": "criterion"},
            "additive": {"calibrate": "criterion"},
            "trimmed": {"proportion": 0.1},
        },
    ],
)
def test_every_method_reproduces_the_combine_module_and_baseline_selection(
    rubric: scoring.config.Rubric, options: dict
) -> None:
    scores = make_scores(rubric, n_apps=12, n_revs=6, seed=5)
    cand = make_candidates([f"{i:02d}" for i in range(1, 13)])
    balance = Balance(max_per_block=2, min_distinct_themes=2)
    for method in METHODS:
        # fit() checks the fast path against combine with every reviewer drawn once
        an = StabilityAnalysis(
            n_boot=30, methods=[method], method_options=options, seed=1, baseline_method=method
        )
        an.fit(scores, rubric, cand, 3, balance)
        base = make_combiner(method, **options.get(method, {})).fit(scores, rubric).totals()["total"]
        t = an.table_
        np.testing.assert_allclose(t["total"].to_numpy(), base.reindex(t.index).to_numpy(), atol=1e-12)
        c = cand.copy()
        c["total"] = base.reindex(c.index)
        want = select(c, 3, balance, n_alternatives=0).selected
        assert sorted(t.index[t["baseline_selected"]]) == sorted(want)
        assert an.summary_["baseline"] == want


def test_bootstrap_draws_reviewers_within_each_application(rubric: scoring.config.Rubric) -> None:
    crits = [c.id for c in rubric.criteria]
    rows = [("01", "R1", c, 1.0) for c in crits] + [("01", "R2", c, 5.0) for c in crits]
    rows += [("02", "R1", c, 3.0) for c in crits]  # one reviewer: always 50
    rows += [("03", "R2", c, 2.0) for c in crits] + [("03", "R3", c, 2.0) for c in crits]
    scores = pd.DataFrame(rows, columns=["application", "reviewer", "criterion", "score"])
    cand = make_candidates(["01", "02", "03"])
    an = StabilityAnalysis(n_boot=4000, methods=["mean"], seed=2).fit(scores, rubric, cand, 1)
    t01 = an.totals_["01"]
    # two reviewers scoring 1 and 5: both draws 1 (0 points), both 5 (100) or one each (50)
    freq = t01.round(6).value_counts(normalize=True)
    assert set(freq.index) == {0.0, 50.0, 100.0}
    assert freq[50.0] == pytest.approx(0.5, abs=0.03)
    assert freq[0.0] == pytest.approx(0.25, abs=0.03)
    assert (an.totals_["02"] == 50.0).all()
    assert (an.totals_["03"] == 25.0).all()
    # 01 beats 02 exactly when at least one of its draws is the 5 (p = 3/4)
    assert an.table_.loc["01", "p_selected"] == pytest.approx(0.75, abs=0.03)
    assert an.table_.loc["01", "p_selected"] + an.table_.loc["02", "p_selected"] == pytest.approx(1.0)
    assert an.table_.loc["03", "p_selected"] == 0.0
    assert not an.table_.loc["03", "border"]
    assert an.table_.loc["01", "border"] and an.table_.loc["02", "border"]


def test_no_noise_gives_a_certain_selection(rubric: scoring.config.Rubric) -> None:
    crits = [c.id for c in rubric.criteria]
    rows = [
        (f"{a:02d}", f"R{r}", c, float(1 + a % 5)) for a in range(1, 9) for r in range(1, 5) for c in crits
    ]
    scores = pd.DataFrame(rows, columns=["application", "reviewer", "criterion", "score"])
    cand = make_candidates([f"{a:02d}" for a in range(1, 9)])
    table = stability(scores, rubric, cand, 2, Balance(), n_boot=200, methods=["mean", "median", "trimmed"])
    assert list(table.columns) == list(STABILITY_COLUMNS)
    assert set(table["p_selected"].unique()) <= {0.0, 1.0}
    assert not table["border"].any()
    assert table.attrs["summary"]["baseline_frequency"] == 1.0
    assert table.attrs["summary"]["mean_overlap"] == 1.0
    assert (table["rank_lo"] == table["rank_hi"]).all()
    assert table.attrs["selections"] == {",".join(sorted(table.index[table["baseline_selected"]])): 1.0}


def test_weight_ranges_move_the_ranking(rubric: scoring.config.Rubric) -> None:
    crits = [c.id for c in rubric.criteria]
    # 01 is best on the first criterion, 02 on all the others: which wins depends on weights
    rows = []
    for r in ("R1", "R2", "R3"):
        rows += [("01", r, c, 5.0 if c == crits[0] else 3.0) for c in crits]
        rows += [("02", r, c, 1.0 if c == crits[0] else 4.0) for c in crits]
    scores = pd.DataFrame(rows, columns=["application", "reviewer", "criterion", "score"])
    cand = make_candidates(["01", "02"])
    fixed = stability(scores, rubric, cand, 1, n_boot=100, methods=["mean"])
    assert fixed.loc["02", "p_selected"] == 1.0  # rubric weights: 15 vs 85
    wide = stability(
        scores, rubric, cand, 1, n_boot=2000, methods=["mean"], weight_ranges={crits[0]: (0.0, 100.0)}
    )
    # on the 0–1 scale 01 has (1, 0.5, …) and 02 (0, 0.75, …): before renormalisation
    # total01 = w0 + 0.5 · 85 and total02 = 0.75 · 85, so 01 wins iff w0 > 21.25
    p01 = wide.loc["01", "p_selected"]
    assert p01 == pytest.approx(1 - 21.25 / 100, abs=0.03)
    assert wide.loc["01", "border"]


def test_ineligible_and_unscored_candidates(rubric: scoring.config.Rubric) -> None:
    scores = make_scores(rubric, n_apps=6, n_revs=4, seed=9)
    cand = make_candidates([f"{i:02d}" for i in range(1, 8)])  # 07 has no scores
    cand.loc["01", "late"] = True
    t = stability(scores, rubric, cand, 2, n_boot=50, methods=["mean"])
    assert t.loc["01", "p_selected"] == 0.0 and np.isnan(t.loc["01", "rank_median"])
    assert pd.isna(t.loc["01", "rank"])
    assert t.loc["07", "p_selected"] == 0.0 and np.isnan(t.loc["07", "total"])
    assert t["p_selected"].sum() == pytest.approx(2.0)
    t2 = stability(scores, rubric, cand, 2, n_boot=50, methods=["mean"], overrides=["01"])
    assert not np.isnan(t2.loc["01", "rank_median"])


def test_seed_reproducibility_and_infeasible_resamples(rubric: scoring.config.Rubric) -> None:
    scores = make_scores(rubric, n_apps=10, n_revs=5, seed=1)
    cand = make_candidates([f"{i:02d}" for i in range(1, 11)])
    a = stability(scores, rubric, cand, 3, n_boot=100, seed=4)
    b = stability(scores, rubric, cand, 3, n_boot=100, seed=4)
    c = stability(scores, rubric, cand, 3, n_boot=100, seed=5)
    pd.testing.assert_frame_equal(a, b)
    assert not a["p_selected"].equals(c["p_selected"])
    assert a.attrs["summary"]["methods"] == b.attrs["summary"]["methods"]
    assert sum(a.attrs["summary"]["methods"].values()) == 100
    cand.loc[["01", "02"], "block"] = "東北"
    bad = stability(scores, rubric, cand, 3, Balance(max_per_block=1), n_boot=20, locks=["01", "02"])
    assert bad.attrs["summary"]["n_infeasible"] == 20
    assert bad.attrs["summary"]["baseline"] is None
    assert (bad["p_selected"] == 0).all()


def test_invalid_options_are_reported_in_japanese(rubric: scoring.config.Rubric) -> None:
    scores = make_scores(rubric, n_apps=4, n_revs=3)
    cand = make_candidates(["01", "02", "03", "04"])
    with pytest.raises(ValueError, match="使える method: mean"):
        stability(scores, rubric, cand, 2, methods=["average"])
    with pytest.raises(ValueError, match="評価項目 'nope' はルーブリックにありません"):
        stability(scores, rubric, cand, 2, weight_ranges={"nope": (1, 2)})
    with pytest.raises(ValueError, match="0 ≤ 下限 ≤ 上限"):
        stability(scores, rubric, cand, 2, weight_ranges={rubric.criteria[0].id: (5, 1)})
    with pytest.raises(ValueError, match="n_boot"):
        stability(scores, rubric, cand, 2, n_boot=0)
    with pytest.raises(ValueError, match="border"):
        stability(scores, rubric, cand, 2, border=(0.9, 0.1))


def test_stability_round_uses_the_round_settings_and_the_proposal(demo_round_copy) -> None:
    from scoring.combine import DEFAULT_METHOD, combine
    from scoring.demo.simulate import write_demo_scores
    from scoring.selection import select_round
    from scoring.store.scores import ScoreStore

    rnd = scoring.load_round(demo_round_copy)
    write_demo_scores(rnd)
    with ScoreStore.open(rnd) as store:
        scores = store.scores()
    table = stability_round(rnd, scores, n_boot=300, seed=0)
    proposal = select_round(rnd, combine(scores, rnd.rubric, method=DEFAULT_METHOD))
    summary = table.attrs["summary"]
    assert summary["baseline_method"] == DEFAULT_METHOD
    assert summary["baseline"] == proposal.selected
    assert sorted(table.index[table["baseline_selected"]]) == sorted(proposal.selected)
    assert set(table.index) == set(rnd.applications.index)
    late = rnd.applications.index[rnd.applications["late"]]
    assert (table.loc[late, "p_selected"] == 0).all()
    assert table["p_selected"].sum() == pytest.approx(
        rnd.config.select.target * (1 - summary["n_infeasible"] / 300)
    )
    assert 0 <= summary["baseline_frequency"] <= 1 and 0 <= summary["mean_overlap"] <= 1
    # rank intervals are ordered and contain the median
    ok = table["rank_median"].notna()
    assert (table.loc[ok, "rank_lo"] <= table.loc[ok, "rank_median"]).all()
    assert (table.loc[ok, "rank_median"] <= table.loc[ok, "rank_hi"]).all()
    assert list(table["border"]) == list((table["p_selected"] > 0.1) & (table["p_selected"] < 0.9))
