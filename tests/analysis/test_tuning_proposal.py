"""The balanced proposal on 03: the committee's selection, recomputed on every weight change."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from scoring.analysis.tuning import TuningModel
from scoring.analysis.tuning_proposal import balanced_proposal, current_proposal, tuning_second_panel
from scoring.demo.simulate import write_demo_scores
from scoring.round.loader import load_round
from scoring.selection import select_round
from scoring.ui.tuning_tables import proposal_html
from scoring.ui.tuning_view import TuningApp


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory, demo_round_copier: Callable[[Path], Path]) -> TuningModel:
    path = demo_round_copier(tmp_path_factory.mktemp("proposal"))
    write_demo_scores(load_round(path))
    return TuningModel.open(load_round(path))


def test_proposal_is_the_committees_selection_and_follows_a_weight_change(model: TuningModel) -> None:
    model.reset_weights()
    p = balanced_proposal(model)
    assert model.round is not None
    assert p.selected == select_round(model.round, model.ranking()[["total"]]).selected
    assert p.selected == p.baseline and not p.entered and not p.left
    assert "既定の配点の選定案と同じです" in proposal_html(p)
    # give one group all the weight: the proposal changes and says who entered and left
    for g in model.groups[1:]:
        model.set_group_weight(g, 0.0)
    moved = balanced_proposal(model)
    assert moved.selected == select_round(model.round, model.ranking()[["total"]]).selected
    assert moved.entered and moved.left
    assert set(moved.entered) == set(moved.selected) - set(moved.baseline)
    assert set(moved.left) == set(moved.baseline) - set(moved.selected)
    html = proposal_html(moved)
    for a in moved.entered + moved.left:
        assert moved.names[a] in html
    assert "入った" in html and "外れた" in html
    # the screen's cached proposal is the same, and follows the weights back to the defaults
    assert current_proposal(model) == moved
    model.reset_weights()
    assert current_proposal(model) == balanced_proposal(model) == p
    model.reset_weights()


def test_second_panel_tab_says_how_many_another_panel_would_pick(model: TuningModel) -> None:
    """Issue 20 items 6 and 10 on the analyst's screen: the second-panel estimate for the current
    weights and method, and the explanation of why one revision moves other totals."""
    model.reset_weights()
    summary, table = tuning_second_panel(model, n_splits=20)
    k = int(model.round.config.select.target) if model.round is not None else 0
    assert f"提案の{k}件のうち平均" in summary
    assert abs(float(table["割合"].sum()) - 1.0) < 1e-9
    app = TuningApp(model)
    app._refresh_tab(len(app.tabs.titles) - 1)
    html = app.certainty.value
    assert app.tabs.titles[-1] == "選定の確かさ"
    assert "別の審査員団なら" in html and "ほかの応募の合計点も少し動きます" in html
    assert model.method not in html and "1000 回" not in html  # Japanese method name; no made-up count
