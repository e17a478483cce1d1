"""Issue 20: honest SEs of the totals, near-ties, shared ranks in stability, P(selected) as the
committee sees it, and the committee's quality numbers (correctness; thresholds live in
benchmarks/bench_uncertainty.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import scoring
from scoring.agreement.scoretable import reviewer_totals
from scoring.analysis.committee import Committee, build_committee
from scoring.analysis.committee_quality import committee_near_ties, committee_quality
from scoring.analysis.nearties import NEAR_TIE_COLUMNS, TIE, WITHIN_ONE, WITHIN_Z, near_ties
from scoring.analysis.quality import near_line, split_points
from scoring.analysis.uncertainty import UNCERTAINTY_COLUMNS, honest_cov, honest_se
from scoring.round.loader import load_round
from scoring.selection.stability import StabilityAnalysis, stability_round


@pytest.fixture(scope="module")
def rubric() -> scoring.config.Rubric:
    return scoring.load_round().rubric


def _scores(rubric: scoring.config.Rubric, n_apps: int = 8, n_revs: int = 5, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    crits = [c.id for c in rubric.criteria]
    rows = []
    for a in range(n_apps):
        revs = rng.choice(n_revs, 3, replace=False)
        for r in revs:
            for cid in crits:
                rows.append((f"{a + 1:02d}", f"R{r + 1}", cid, float(rng.integers(1, 6))))
    return pd.DataFrame(rows, columns=["application", "reviewer", "criterion", "score"])


def test_honest_se_of_a_plain_mean_is_the_textbook_se(rubric: scoring.config.Rubric) -> None:
    # mean: a total is the mean of its reviewers' weighted totals, and leaving out a reviewer
    # changes nothing else; unmoderated, the jackknife is then exactly sd / √n.
    scores = _scores(rubric)
    out = honest_se(scores, rubric, "mean", prior_df=0.0)
    assert list(out.columns) == list(UNCERTAINTY_COLUMNS)
    rt = reviewer_totals(scores, rubric, warn=False)
    by_app = rt.groupby("application")["total"]
    expected = by_app.std(ddof=1) / np.sqrt(by_app.size())
    expected.index = expected.index.astype(str)
    assert np.allclose(out["se"].to_numpy(), expected.reindex(out.index).to_numpy(), atol=1e-9)
    assert np.allclose(out["se_calibration"].to_numpy(), 0.0, atol=1e-9)
    assert np.allclose(out["total"].to_numpy(), by_app.mean().reindex(out.index).to_numpy(), atol=1e-9)


def test_honest_se_moderation_and_calibration_part(rubric: scoring.config.Rubric) -> None:
    scores = _scores(rubric, seed=1)
    pooled = honest_se(scores, rubric, "mean", prior_df=1e9)
    # fully moderated: every application with 3 reviewers gets the same SE
    assert np.allclose(pooled["se"], pooled["se"].iloc[0])
    cal = honest_se(scores, rubric, "affine")
    # a calibrating method moves other applications' totals: a calibration part, and never below it
    assert (cal["se_calibration"] > 0).any()
    assert (cal["se"] >= cal["se_calibration"] - 1e-12).all()
    cov = honest_cov(scores, rubric, "affine")
    assert np.allclose(np.diag(cov.to_numpy()), cal["se"].to_numpy() ** 2)
    assert np.allclose(cov.to_numpy(), cov.to_numpy().T)


def test_near_ties_lists_pairs_across_the_line() -> None:
    totals = pd.Series({"a": 60.0, "b": 55.0, "c": 54.5, "d": 40.0, "e": 52.5})
    se = pd.Series({"a": 1.0, "b": 1.0, "c": 1.0, "d": 1.0, "e": 1.0})
    out = near_ties(totals, se, 2)
    assert list(out.columns) == list(NEAR_TIE_COLUMNS)
    pairs = {(u, lo): j for u, lo, j in zip(out["応募ID_上"], out["応募ID_下"], out["判定"], strict=True)}
    # b − c = 0.5 < √2; b − e = 2.5 < 1.96 √2; a − c = 5.5 is a real difference; d far below
    assert pairs == {("b", "c"): WITHIN_ONE, ("b", "e"): WITHIN_Z}
    assert out["差の標準誤差"].iloc[0] == pytest.approx(np.sqrt(2))
    # a balanced selection that skips a higher total: the sides follow the selection
    sel = near_ties(totals, se, 2, selected=["a", "c"])
    assert ("c", "b") in set(zip(sel["応募ID_上"], sel["応募ID_下"], strict=True))
    assert float(sel.loc[sel["応募ID_下"] == "b", "差"].iloc[0]) == pytest.approx(-0.5)
    # a shared covariance makes the difference's SE smaller: b − e = 2.5 is then a real difference
    cov = pd.DataFrame(0.0, index=totals.index, columns=totals.index)
    cov.loc["b", "e"] = cov.loc["e", "b"] = 0.5
    with_cov = near_ties(totals, se, 2, cov=cov)
    assert set(zip(with_cov["応募ID_上"], with_cov["応募ID_下"], strict=True)) == {("b", "c")}
    # an exact tie is 同点 even without an SE
    tie = near_ties(pd.Series({"x": 50.0, "y": 50.0}), pd.Series({"x": np.nan, "y": np.nan}), 1)
    assert tie["判定"].tolist() == [TIE]


def test_stability_shares_tied_ranks(rubric: scoring.config.Rubric) -> None:
    crits = [c.id for c in rubric.criteria]
    rows = []
    # 01 and 02: every reviewer gives 4 everywhere, so every resample ties them exactly
    for app, base in (("01", 4), ("02", 4), ("03", 5), ("04", 2), ("05", 3)):
        for r in ("R1", "R2", "R3"):
            for c in crits:
                rows.append((app, r, c, float(base if app in ("01", "02", "03") else base + (r == "R1"))))
    scores = pd.DataFrame(rows, columns=["application", "reviewer", "criterion", "score"])
    ids = ["01", "02", "03", "04", "05"]
    cand = pd.DataFrame(
        {
            "prefecture_name": ids,
            "block": "関東",
            "theme": "A",
            "application_type": "手上げ式",
            "late": False,
            "has_errors": False,
        },
        index=pd.Index(ids, name="application"),
    )
    an = StabilityAnalysis(n_boot=40, seed=2, baseline_method="mean").fit(scores, rubric, cand, 2)
    t = an.table_
    assert t.loc["01", "rank"] == t.loc["02", "rank"] == 2
    for col in ("rank_median", "rank_lo", "rank_hi"):
        assert t.loc["01", col] == t.loc["02", col] == 2.0
    assert an.summary_["methods"] == {"mean": 40}  # default: the baseline's method only


@pytest.fixture(scope="module")
def committee(
    tmp_path_factory: pytest.TempPathFactory, demo_round_copier: Callable[[Path], Path]
) -> Committee:
    from roundcopy import scored_demo_round

    rd = scored_demo_round(tmp_path_factory.mktemp("quality"), demo_round_copier)
    return build_committee(rd, n_boot=60, seed=3)


def test_p_selected_is_what_the_committee_sees(committee: Committee) -> None:
    rnd = load_round(committee.round_path)
    table = stability_round(rnd, committee.scored, n_boot=60, seed=3, baseline_method=committee.method)
    p = committee.ranked["p_selected"].astype(float)
    assert ((p >= 0) & (p <= 1)).all()
    assert np.allclose(table["p_selected"].reindex(p.index).to_numpy(dtype=float), p.to_numpy(), atol=1e-12)
    assert committee.stability_summary["methods"] == {committee.method: 60}


def test_committee_quality(committee: Committee) -> None:
    q = committee_quality(committee, n_splits=30)
    assert committee_quality(committee) is q  # cached
    assert q.near_ties.equals(committee_near_ties(committee))
    assert set(q.near_ties["応募ID_上"]) <= set(committee.selected)
    assert (
        0 <= q.second_panel["lo"] <= q.second_panel["expected"] <= q.second_panel["hi"] <= q.second_panel["k"]
    )
    assert abs(sum(q.second_panel["shares"].values()) - 1) < 1e-9
    assert "別の審査員団" in q.second_panel_table.attrs["summary"]
    assert len(q.method_sensitivity) == 6
    row = q.method_sensitivity.set_index("method").loc[committee.method]
    assert row["n_changed"] == 0  # the committee's own method gives the proposal
    assert "甘辛" in q.explanation and "方法を変えた場合" in q.explanation
    assert q.near_line["reason"].str.len().gt(0).all()


def test_near_line_and_split_points(rubric: scoring.config.Rubric) -> None:
    totals = pd.Series({"a": 70.0, "b": 61.0, "c": 60.0, "d": 40.0})
    se = pd.Series(2.0, index=totals.index)
    p = pd.Series({"a": 1.0, "b": 0.6, "c": 0.4, "d": 0.0})
    nl = near_line(totals, se, p, 2)
    assert nl["flag"].to_dict() == {"a": False, "b": True, "c": True, "d": False}
    assert nl.loc["b", "distance"] == pytest.approx(0.25)
    scores = _scores(rubric, seed=4)
    sp = split_points(scores, rubric)
    assert (sp["gap_levels"] >= 2 - 1e-9).all()
    assert sp["scores"].str.contains("=").all()
