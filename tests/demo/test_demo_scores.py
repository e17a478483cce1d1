"""Simulated reviewers and the demo round's scores."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scoring.cli import main
from scoring.core.errors import OptionError, StoreError
from scoring.core.schema import SCORE_COLUMNS
from scoring.demo.simulate import (
    DEMO_BEHAVIOUR,
    DEMO_SEED,
    ReviewerBehaviour,
    demo_scores,
    is_demo_round,
    latent_merit,
    simulate_scores,
    write_demo_scores,
)
from scoring.round.loader import load_round
from scoring.store.scores import ScoreStore

# --------------------------------------------------------------------------- latent merit


def test_latent_merit_shape_and_range(store_round):
    m = latent_merit(store_round.rubric, store_round.applications, seed=1)
    assert m.index.name == "application" and m.columns.name == "criterion"
    assert list(m.columns) == [c.id for c in store_round.rubric.criteria]
    assert list(m.index) == list(store_round.applications.index)
    assert ((m >= 1) & (m <= 5)).all().all()
    pd.testing.assert_frame_equal(m, latent_merit(store_round.rubric, store_round.applications, seed=1))
    assert not m.equals(latent_merit(store_round.rubric, store_round.applications, seed=2))


def test_latent_merit_follows_the_application_data(store_round):
    apps = store_round.applications
    m = latent_merit(store_round.rubric, apps, seed=DEMO_SEED, quality_sd=0.0, idiosyncratic_sd=0.0)
    by_status = m["need_pool_gap"].groupby(apps["pool_status"]).mean()
    assert by_status["未構築"] > by_status["構築中"] > by_status["構築済"]
    # many small 町村 and decline (北海道, 秋田) against a growing, city-heavy prefecture (埼玉)
    assert m.loc["01", "need_support_burden"] > m.loc["11", "need_support_burden"] + 1.5
    assert m.loc["05", "need_support_burden"] > m.loc["11", "need_support_burden"] + 1.5
    # HR and finance agreed (群馬, 広島, 愛媛) against not started (岩手, 高知)
    agreed = m.loc[["10", "34", "38"], "pool_hr_finance"]
    not_started = m.loc[["03", "39"], "pool_hr_finance"]
    assert agreed.min() > not_started.max() + 2
    # readiness: the established pools plan recruitment more concretely than those without one
    plan = m["pool_recruitment_plan"].groupby(apps["pool_status"]).mean()
    assert plan["構築済"] > plan["未構築"]
    # need and readiness pull in opposite directions (the demo's built-in trade-off)
    need = m[["need_pool_gap", "need_self_reliance"]].mean(axis=1)
    ready = m[["pool_recruitment_plan", "pool_hr_finance", "theme_plan"]].mean(axis=1)
    assert np.corrcoef(need, ready)[0, 1] < -0.3


def test_unknown_criteria_get_the_scale_centre_plus_noise(store_round):
    m = latent_merit(store_round.rubric, store_round.applications.iloc[:0], seed=0)
    assert m.empty and list(m.columns) == [c.id for c in store_round.rubric.criteria]


# --------------------------------------------------------------------------- simulated scores


def _synthetic(store_round, n_apps: int, value: float | None = None, seed: int = 0):
    codes = [f"A{i:03d}" for i in range(n_apps)]
    rng = np.random.default_rng(seed)
    crits = [c.id for c in store_round.rubric.criteria]
    data = (
        rng.uniform(2.0, 4.0, size=(n_apps, len(crits)))
        if value is None
        else np.full((n_apps, len(crits)), value)
    )
    merit = pd.DataFrame(data, index=pd.Index(codes, name="application"), columns=crits)
    return codes, merit


def test_simulate_is_pure_and_canonical(store_round):
    merit = latent_merit(store_round.rubric, store_round.applications, seed=3)
    asg = store_round.assignments()
    a = simulate_scores(store_round.rubric, asg, merit, DEMO_BEHAVIOUR, seed=5)
    b = simulate_scores(store_round.rubric, asg, merit, DEMO_BEHAVIOUR, seed=5)
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns) == list(SCORE_COLUMNS)
    assert len(a) == len(asg) * 9
    assert a["score"].dtype == "float64"
    assert (a["updated_at"] == pd.Timestamp("2026-02-27T00:00:00Z")).all()
    assert set(a["rubric_version"]) == {store_round.rubric.version}
    for crit in store_round.rubric.criteria:
        rows = a[a["criterion"] == crit.id]
        assert all(crit.is_allowed(s) for s in rows["score"])
        needs = rows["score"].map(crit.comment_required)
        assert (rows.loc[needs, "comment"].str.len() > 0).all()
    when = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    c = simulate_scores(store_round.rubric, asg, merit, seed=5, when=when)
    assert (c["updated_at"] == pd.Timestamp("2026-03-01T00:00:00Z")).all()


def test_bias_spread_and_range_are_what_the_behaviour_says(store_round):
    """Statistical check on 400 applications with merit well inside the scale."""
    codes, merit = _synthetic(store_round, 400)
    asg = pd.DataFrame(
        [(r, a) for r in ("fair", "lenient", "harsh", "middle") for a in codes],
        columns=["reviewer", "application"],
    )
    behaviour = {
        "fair": ReviewerBehaviour(noise=0.5, halo=0.0),
        "lenient": ReviewerBehaviour(bias=0.7, noise=0.5, halo=0.0),
        "harsh": ReviewerBehaviour(bias=-0.7, noise=0.5, halo=0.0),
        "middle": ReviewerBehaviour(spread=0.45, noise=0.35, halo=0.0, low=2, high=4),
    }
    s = simulate_scores(store_round.rubric, asg, merit, behaviour, seed=11)
    true = merit.stack().rename("merit")
    s = s.join(true, on=["application", "criterion"])
    err = (s["score"] - s["merit"]).groupby(s["reviewer"]).mean()
    assert abs(err["fair"]) < 0.05
    assert err["lenient"] == pytest.approx(0.7, abs=0.08)
    assert err["harsh"] == pytest.approx(-0.7, abs=0.08)
    middle = s[s["reviewer"] == "middle"]
    assert set(middle["score"]) <= {2.0, 3.0, 4.0}
    assert middle["score"].std() < s.loc[s["reviewer"] == "fair", "score"].std() * 0.8
    # scores follow the merit: correlation with the truth is clear but not perfect
    fair = s[s["reviewer"] == "fair"]
    assert 0.5 < np.corrcoef(fair["score"], fair["merit"])[0, 1] < 0.95


def test_unscored_and_partial_pairs(store_round):
    codes, merit = _synthetic(store_round, 10)
    asg = pd.DataFrame([(r, a) for r in ("X", "Y") for a in codes], columns=["reviewer", "application"])
    s = simulate_scores(store_round.rubric, asg, merit, seed=2, unscored=3, partial=4)
    counts = (
        s.groupby(["reviewer", "application"])
        .size()
        .reindex(pd.MultiIndex.from_frame(asg[["reviewer", "application"]]), fill_value=0)
    )
    assert (counts == 0).sum() == 3
    assert ((counts > 0) & (counts < 9)).sum() == 4
    assert (counts >= 6).sum() == 20 - 3  # at most three criteria left out
    with pytest.raises(OptionError, match="未着手 15 組と下書き 6 組の合計が、割当の 20 組を超えています"):
        simulate_scores(store_round.rubric, asg, merit, unscored=15, partial=6)
    with pytest.raises(ValueError, match="真の評価（merit）に応募 ZZZ がありません"):
        simulate_scores(store_round.rubric, pd.DataFrame({"reviewer": ["X"], "application": ["ZZZ"]}), merit)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"spread": 0}, "spread（0）は正の数にしてください"),
        ({"noise": -1}, "noise（-1）は0以上にしてください"),
        ({"low": 4, "high": 2}, "low（4）は high（2）以下にしてください"),
        ({"comment_rate": 2}, "comment_rate（2）は0〜1にしてください"),
    ],
)
def test_behaviour_is_validated(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ReviewerBehaviour(**kwargs)


# --------------------------------------------------------------------------- the demo round


def test_demo_reviewers_behave_like_real_ones(store_round):
    scores, submitted = demo_scores(store_round)
    assert ("R6", "20") not in set(zip(scores["reviewer"], scores["application"]))
    means = scores.groupby("reviewer")["score"].mean()
    assert means["R2"] - means["R3"] > 0.9  # lenient vs harsh
    assert means["R2"] == means.max() and means["R3"] == means.min()
    assert set(scores.loc[scores["reviewer"] == "R4", "score"]) <= {2.0, 3.0, 4.0}
    sd = scores.groupby("reviewer")["score"].std()
    assert sd["R4"] == sd.min()
    # reviewers agree on the ranking more than chance: totals correlate with the true merit
    merit = latent_merit(store_round.rubric, store_round.applications, seed=DEMO_SEED)
    w = store_round.rubric.weights()
    true_total = (merit * w).sum(axis=1)
    observed = scores.pivot_table(index="application", columns="criterion", values="score").mul(w).sum(axis=1)
    assert np.corrcoef(true_total.loc[observed.index], observed)[0, 1] > 0.6
    # most pairs submitted; a few left unscored or as drafts; submitted pairs are complete
    counts = scores.groupby(["reviewer", "application"]).size()
    pairs = set(zip(submitted["reviewer"], submitted["application"]))
    assert all(counts[p] == 9 for p in pairs)
    assert len(pairs) == 95 - 3 - 2 - 2
    assert (counts < 9).sum() == 2


def test_cli_demo_writes_once_through_the_store(demo_round_copy, capsys, monkeypatch):
    monkeypatch.delenv("SCORING_DATABASE_URL", raising=False)
    assert main(["demo", "--round", str(demo_round_copy)]) == 0
    out = capsys.readouterr().out
    assert "デモの採点 824 件を書き込みました" in out
    assert "状況: 提出済 88 組　下書き 4 組　未着手 3 組" in out
    rnd = load_round(demo_round_copy)
    with rnd.store() as store:
        ev = store.events()
        scored = ev.loc[ev["kind"] != "eligibility"]
        assert set(scored["source"]) == {"simulation"}
        # … and the demo's プッシュ型 decisions for its own forms 03 and 39 (issue 19)
        assert ev["kind"].value_counts().to_dict() == {"score": 824, "submit": 88, "eligibility": 2}
        assert sorted(ev.loc[ev["kind"] == "eligibility", "application"]) == ["03", "39"]
        assert store.verify().empty
        expected, _ = demo_scores(rnd)
        got = store.scores()
        pd.testing.assert_frame_equal(
            got[["application", "reviewer", "criterion", "score", "comment"]].reset_index(drop=True),
            expected[["application", "reviewer", "criterion", "score", "comment"]].reset_index(drop=True),
        )
        n = store.head()[0]
    assert main(["demo", "--round", str(demo_round_copy)]) == 0
    out = capsys.readouterr().out
    # a second run keeps the scores and says so without reading like a failure
    assert f"デモの採点は既にあります（記録 {n} 件）。そのまま使います。" in out
    assert "書き込みませんでした" not in out
    with rnd.store() as store:
        assert store.head()[0] == n


def test_write_demo_scores_refuses_a_store_in_use(store_url, store_round):
    with ScoreStore(store_url, store_round) as store:
        store.record("R1", "01", "need_pool_gap", 3)
        with pytest.raises(StoreError, match="には既に 1 件の記録があるため、何も書き込みませんでした"):
            write_demo_scores(store_round, store)
        assert store.head()[0] == 1


def test_cli_demo_refuses_a_round_without_the_demo_flag(demo_round_copy, capsys):
    path = demo_round_copy / "round.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("demo: true", "demo: false"), encoding="utf-8")
    assert main(["demo", "--round", str(demo_round_copy)]) == 1
    assert (
        "はデモではない（round.yaml に demo: true がない）ため、架空の採点は書き込みません"
        in capsys.readouterr().err
    )
    assert not (demo_round_copy / "scores.sqlite").exists()
    assert main(["demo", "--round", str(demo_round_copy), "--force"]) == 0


def test_a_demo_like_name_does_not_make_a_demo(demo_round_copy):
    """Only round.yaml's ``demo: true`` counts: not デモ/架空 in the name, not the folder."""
    path = demo_round_copy / "round.yaml"
    text = path.read_text(encoding="utf-8")
    assert "架空のデモ" in text
    assert is_demo_round(load_round(demo_round_copy))
    path.write_text(text.replace("demo: true", "demo: false"), encoding="utf-8")
    assert not is_demo_round(load_round(demo_round_copy))


def test_loading_a_round_writes_nothing(demo_round_copy, monkeypatch, tmp_path):
    """Loading is reading: no score database, no file of any kind, for the demo round too."""
    monkeypatch.delenv("SCORING_DATABASE_URL", raising=False)
    before = sorted(p.relative_to(demo_round_copy) for p in demo_round_copy.rglob("*"))
    rnd = load_round(demo_round_copy)
    assert rnd.config.demo
    assert sorted(p.relative_to(demo_round_copy) for p in demo_round_copy.rglob("*")) == before
    monkeypatch.setenv("SCORING_DATABASE_URL", f"sqlite:///{tmp_path / 'shared.sqlite'}")
    load_round(demo_round_copy)
    assert not (tmp_path / "shared.sqlite").exists()


def test_opening_an_empty_demo_round_says_how_to_create_scores(demo_round_copy):
    from scoring.analysis.committee import build_committee
    from scoring.analysis.tuning import TuningModel
    from scoring.core.errors import NoScoresError
    from scoring.reporting.committee_report import open_committee, section

    rnd = load_round(demo_round_copy)
    with pytest.raises(NoScoresError, match=r"まだ採点がありません.*python -m scoring demo --round"):
        build_committee(rnd)
    with pytest.raises(NoScoresError, match="python -m scoring sheets import"):
        TuningModel.open(rnd)
    c, notice = open_committee(demo_round_copy)
    assert c is None and "python -m scoring demo" in notice.data and section(c, "ranked") == []
    # after the explicit step, the same calls work and still write nothing more
    assert main(["demo", "--round", str(demo_round_copy)]) == 0
    c, notice = open_committee(demo_round_copy)
    assert c is not None and notice.data == ""


def test_typical_round_is_seeded_complete_and_checks_its_size() -> None:
    from scoring.config.rubric import load_rubric
    from scoring.demo.simulate import typical_round

    rub = load_rubric(Path(__file__).resolve().parents[2] / "rubrics" / "r8_talent_pool.yaml")
    scores, apps = typical_round(rub, n_applications=12, n_reviewers=5, per_application=3, seed=4)
    again, _ = typical_round(rub, n_applications=12, n_reviewers=5, per_application=3, seed=4)
    pd.testing.assert_frame_equal(scores, again)
    assert len(apps) == 12 and apps.index.is_unique and set(apps["late"]) == {False}
    per_app = scores.groupby("application")["reviewer"].nunique()
    assert (per_app == 3).all() and len(scores) == 12 * 3 * len(rub.criteria)
    load = scores.groupby("reviewer")["application"].nunique()
    assert load.max() - load.min() <= 1  # least loaded first
    with pytest.raises(ValueError, match="模擬ラウンドの大きさが正しくありません"):
        typical_round(rub, n_reviewers=3, per_application=4)
