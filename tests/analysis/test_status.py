"""対象外 in 03 and in the committee material: one function, the selection's words."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import yaml

from scoring import load_round
from scoring.analysis.committee import build_committee
from scoring.analysis.status import exclusion_reasons
from scoring.analysis.tuning import TuningModel
from scoring.demo.simulate import write_demo_scores
from scoring.round.loader import ReviewRound
from scoring.selection import select_round
from scoring.ui.tuning_view import TuningApp


@pytest.fixture(scope="module")
def scored(
    tmp_path_factory: pytest.TempPathFactory, demo_round_copier: Callable[[Path], Path]
) -> ReviewRound:
    rd = demo_round_copier(tmp_path_factory.mktemp("status"))
    # One more way out: the committee excluded 群馬 (written as round.yaml allows, by name).
    path = rd / "round.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["exclusions"] = ["群馬"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    rnd = load_round(rd)
    write_demo_scores(rnd)
    return rnd


def test_reasons_are_the_selections(scored: ReviewRound) -> None:
    model = TuningModel.open(scored)
    totals = model.combiner().totals(model.effective_weights())
    reasons = exclusion_reasons(scored, totals)
    sel = select_round(scored, totals, n_alternatives=0).reasons
    expected = sel["reason"].where(sel["status"] == "対象外", "").reindex(reasons.index)
    pd.testing.assert_series_equal(reasons, expected.astype(object).rename("reason"), check_names=True)
    assert reasons["05"] == "期限後提出（受理せず）のため対象外"
    assert reasons["10"] == "総務省の判断（除外の指定）により対象外"


def test_no_total_is_outside_the_review() -> None:
    totals = pd.DataFrame({"total": [70.0, float("nan")]}, index=pd.Index(["01", "02"], name="application"))
    r = exclusion_reasons(None, totals)
    assert r.tolist() == ["", "採点がないため対象外"]


def test_tuning_ranking_marks_what_the_committee_marks(scored: ReviewRound) -> None:
    model = TuningModel.open(scored)
    rk = model.ranking()
    c = build_committee(scored, scores=model.scores, n_boot=1)
    committee_excluded = c.ranked.index[c.ranked["status"] == "対象外"]
    assert set(rk.index[rk["status"] == "対象外"]) == set(committee_excluded)
    for a in committee_excluded:
        assert rk.at[a, "reason"] == c.exclusion_reasons[a]
        assert rk.at[a, "flags"].startswith(c.exclusion_reasons[a])
    # The late 秋田県 is ranked by its total (as in the committee's table) but marked.
    assert rk.at["05", "status"] == "対象外" and rk.at["05", "reason"] == "期限後提出（受理せず）のため対象外"
    ja = model.ranking_ja()
    assert ja.at["05", "状況"] == "対象外" and ja.at["05", "注意"].startswith(
        "期限後提出（受理せず）のため対象外"
    )


def test_screen_shows_the_mark_and_skips_it_in_the_shaded_top(scored: ReviewRound) -> None:
    app = TuningApp(TuningModel.open(scored))
    html = app.ranking.value
    row = html.split('data-application="05"')[1].split("</tr>")[0]
    assert "対象外" in row and "期限後提出（受理せず）のため対象外" in row
    assert "shinsa-excluded" in row and "shinsa-top" not in row
    k = app.model.select if app.model is not None else 0
    shaded = [part.split("</tr>")[0] for part in html.split("<tr data-application=")[1:]]
    assert sum("shinsa-top" in r for r in shaded) == k
