"""Browser test: the analyst's 03_rubric_tuning.ipynb in JupyterLab (Japanese UI).

Runs the notebook, reads the live ranking, types a new weight into a slider's readout
(as a person would) and checks that the ranking and the settings hash change.
"""

from __future__ import annotations

import pytest

from scoring.demo.simulate import write_demo_scores
from scoring.round.loader import load_round

pytestmark = pytest.mark.ui


def test_weight_change_moves_the_ranking(lab) -> None:
    # The test's own round has no scores: give it the demo reviewers' scores, as `make lab` does.
    write_demo_scores(load_round(lab.round_path))
    lab.open_notebook("03_rubric_tuning.ipynb")
    lab.run_all()
    page = lab.page
    ranking = page.locator(".shinsa-ranking").first
    ranking.wait_for(state="visible", timeout=60_000)
    assert "長野県" in ranking.inner_text()
    hash_widget = page.locator(".shinsa-settings-hash").first
    before_hash = hash_widget.inner_text()
    before_rows = ranking.inner_text()

    readout = page.locator(".shinsa-weight-theme_reuse .widget-readout").first
    readout.scroll_into_view_if_needed()
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("60")
    page.keyboard.press("Enter")

    page.wait_for_function(
        "([sel, old]) => { const el = document.querySelector(sel); return el && el.innerText !== old; }",
        arg=[".shinsa-settings-hash", before_hash], timeout=30_000,
    )
    assert ranking.inner_text() != before_rows
    assert page.locator(".shinsa-error").first.inner_text().strip() == ""
    ranking.scroll_into_view_if_needed()
    shot = lab.screenshot("03_rubric_tuning")
    assert shot.stat().st_size > 10_000
