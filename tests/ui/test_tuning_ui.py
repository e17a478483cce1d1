"""Browser test: the analyst's 03_rubric_tuning.ipynb in JupyterLab (Japanese UI).

Runs the notebook at 1366 × 768 (the analyst's laptop), reads the live ranking (the late
秋田県 marked 対象外 as in the committee material, the 順位変動 column in view), types a new
weight into a slider's readout (as a person would) and checks that the ranking and the
settings hash change, with the changed ranking and the balanced proposal in view beside the
slider; the 信頼性 tab gives ICCs for the demo's incomplete design (conflicts of interest).
"""

from __future__ import annotations

import pytest
from axecheck import JUPYTERLAB, assert_accessible

from scoring.demo.simulate import write_demo_scores
from scoring.round.loader import load_round

pytestmark = pytest.mark.ui


def test_weight_change_moves_the_ranking(lab) -> None:
    # The test's own round has no scores: give it the demo reviewers' scores, as `make lab` does.
    write_demo_scores(load_round(lab.round_path))
    lab.page.set_viewport_size({"width": 1366, "height": 768})
    lab.open_notebook("03_rubric_tuning.ipynb")
    lab.run_all()
    page = lab.page
    ranking = page.locator(".shinsa-ranking").first
    ranking.wait_for(state="visible", timeout=60_000)
    assert "長野県" in ranking.inner_text()
    # The late 秋田県: 対象外 with the committee material's reason.
    akita = ranking.locator("tr[data-application='05']").first
    assert "対象外" in akita.inner_text() and "期限後提出（受理せず）のため対象外" in akita.inner_text()
    # The 順位変動 column is inside the window and inside the ranking's own (scrolling) box.
    header = ranking.locator("th", has_text="順位変動").first
    header.scroll_into_view_if_needed()
    box, outer = header.bounding_box(), ranking.bounding_box()
    assert box is not None and outer is not None
    assert 0 <= box["x"] and box["x"] + box["width"] <= 1366
    assert outer["x"] - 1 <= box["x"] and box["x"] + box["width"] <= outer["x"] + outer["width"] + 1
    ranking.scroll_into_view_if_needed()
    lab.screenshot("03_rubric_tuning_1366")

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
        arg=[".shinsa-settings-hash", before_hash],
        timeout=30_000,
    )
    assert ranking.inner_text() != before_rows
    assert page.locator(".shinsa-error").first.inner_text().strip() == ""
    # At 1366 × 768 the changed ranking and the balanced proposal are in view beside the slider.
    proposal = page.locator(".shinsa-proposal-panel").first
    assert "バランス調整後の選定案" in proposal.inner_text()
    for el in (readout, proposal, ranking):
        b = el.bounding_box()
        assert b is not None and 0 <= b["y"] < 768 and b["x"] + min(b["width"], 200) <= 1366, b
    lab.screenshot("03_slider_moved_1366")
    # 信頼性: the demo has conflicts (an incomplete design), yet the ICCs have values.
    page.get_by_role("tab", name="信頼性").first.click()
    reliability = page.locator(".shinsa-reliability table").first
    reliability.wait_for(state="visible", timeout=30_000)
    header = [c.inner_text() for c in reliability.locator("th").all()]
    icc_col = header.index("ICC(A,1)")
    cells = [r.locator("td").nth(icc_col).inner_text() for r in reliability.locator("tbody tr").all()]
    assert cells and all(c.replace(".", "").isdigit() for c in cells), cells
    assert "選定ライン付近" in page.locator(".shinsa-reliability").first.inner_text()
    # JIS X 8341-3 AA: no WCAG 2.0 A/AA violation (JupyterLab's own chrome: listed exceptions)
    assert_accessible(page, "03_rubric_tuning（JupyterLab）", JUPYTERLAB)
    ranking.scroll_into_view_if_needed()
    shot = lab.screenshot("03_rubric_tuning")
    assert shot.stat().st_size > 10_000
