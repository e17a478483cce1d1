"""Browser test: a reviewer scores in 02_review.ipynb and the score is in the database.

JupyterLab runs in Japanese; every locator uses the screen's own CSS classes
(``shinsa-*``), never English text or JupyterLab's own 保存 button.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from scoring import load_round
from scoring.store.scores import ScoreStore

pytestmark = pytest.mark.ui


def test_reviewer_scores_and_the_score_is_saved(lab) -> None:
    rnd = load_round(lab.round_path)  # this test's own round: no scores yet
    db_url = f"sqlite:///{lab.round_path / 'scores.sqlite'}"  # the round's own store
    first = rnd.rubric.criteria[0]
    page = lab.page
    page.set_viewport_size({"width": 1440, "height": 1400})

    lab.open_notebook("02_review.ipynb")
    lab.run_all()

    # Single-user server: the reviewer chooses their name.
    select = page.locator(".shinsa-reviewer-select select")
    expect(select).to_be_enabled(timeout=60_000)
    labels = select.locator("option").all_inner_texts()
    index = next(i for i, text in enumerate(labels) if text.replace("\u00a0", " ").startswith("R1 "))
    select.select_option(index=index)

    current = page.locator(".shinsa-current-code")
    expect(current).to_have_count(1, timeout=60_000)
    application = current.inner_text().strip()
    assert application in rnd.applications.index

    with ScoreStore.open(rnd, db_url) as store:
        assert store.scores().empty
    level = 4
    page.locator(f".shinsa-score-{first.id}-{level}").click()

    expect(page.locator(".shinsa-saved")).to_contain_text("保存済み", timeout=30_000)
    expect(page.locator(f".shinsa-anchor-{first.id}")).to_contain_text(first.anchor(level).ja)
    assert page.locator(".shinsa-error").first.inner_text().strip() == ""

    with ScoreStore.open(rnd, db_url) as store:
        rows = store.scores().query("reviewer == 'R1' and application == @application and criterion == @first.id")
    assert rows["score"].tolist() == [float(level)]
    assert rows["source"].tolist() == ["widget"]

    page.locator(".shinsa-app").first.scroll_into_view_if_needed()
    shot = lab.screenshot("02_review")
    assert shot.stat().st_size > 20_000
    page.locator(".shinsa-chart").first.scroll_into_view_if_needed()
    lab.screenshot("02_review_chart")
