"""Browser test: a reviewer scores in 02_review.ipynb and the score is in the database.

JupyterLab runs in Japanese; every locator uses the screen's own CSS classes
(``shinsa-*``), never English text or JupyterLab's own 保存 button.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from scoring import load_round
from scoring.store.scores import ScoreStore
from scoring.ui.review_view import level_token

pytestmark = pytest.mark.ui


def test_reviewer_scores_and_the_score_is_saved(lab) -> None:
    rnd = load_round(lab.round_path)  # this test's own round: no scores yet
    db_url = f"sqlite:///{lab.round_path / 'scores.sqlite'}"  # the round's own store
    first = rnd.rubric.criteria[0]
    page = lab.page
    page.set_viewport_size({"width": 1440, "height": 1400})

    # Single-user server: the reviewer chooses their name.
    application = _open_as_r1(lab)
    assert application in rnd.applications.index

    with ScoreStore.open(rnd, db_url) as store:
        assert store.scores().empty
    level = 4
    page.locator(f".shinsa-score-{first.id}-{level}").click()

    expect(page.locator(".shinsa-saved")).to_contain_text("保存済み", timeout=30_000)
    expect(page.locator(f".shinsa-anchor-{first.id}")).to_contain_text(first.anchor(level).ja)
    assert page.locator(".shinsa-error").first.inner_text().strip() == ""

    with ScoreStore.open(rnd, db_url) as store:
        rows = store.scores().query(
            "reviewer == 'R1' and application == @application and criterion == @first.id"
        )
    assert rows["score"].tolist() == [float(level)]
    assert rows["source"].tolist() == ["widget"]

    # Saved elsewhere (another tab or window of R1): JupyterLab's kernel notices it by itself.
    second = rnd.rubric.criteria[1]
    with ScoreStore.open(rnd, db_url) as store:
        store.record("R1", application, second.id, 2)
    expect(page.locator(".shinsa-notice")).to_contain_text("別の画面で変更されました", timeout=20_000)
    expect(page.locator(f".shinsa-score-{second.id}-2")).to_have_class(re.compile(r"\bmod-primary\b"))

    page.locator(".shinsa-app").first.scroll_into_view_if_needed()
    shot = lab.screenshot("02_review")
    assert shot.stat().st_size > 20_000
    page.locator(".shinsa-chart").first.scroll_into_view_if_needed()
    lab.screenshot("02_review_chart")


# --------------------------------------------------------------------------- issue #12: the form at 1366×768

LAPTOP = {"width": 1366, "height": 768}


def _open_as_r1(lab) -> str:
    """Run 02_review.ipynb on the test's round, choose R1; returns the current application."""
    page = lab.page
    lab.open_notebook("02_review.ipynb")
    lab.run_all()
    select = page.locator(".shinsa-reviewer-select select")
    expect(select).to_be_enabled(timeout=60_000)
    labels = select.locator("option").all_inner_texts()
    index = next(i for i, text in enumerate(labels) if text.replace("\u00a0", " ").startswith("R1 "))
    select.select_option(index=index)
    current = page.locator(".shinsa-current-code")
    expect(current).to_have_count(1, timeout=60_000)
    return current.inner_text().strip()


def _in_viewport(page, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= LAPTOP["height"]


def test_typed_comment_survives_an_immediate_reload(lab) -> None:
    rnd = load_round(lab.round_path)
    db_url = f"sqlite:///{lab.round_path / 'scores.sqlite'}"
    crit = rnd.rubric.criteria[0]
    page = lab.page
    page.set_viewport_size(LAPTOP)
    page.on("dialog", lambda d: d.accept())  # a 'leave the page?' prompt must not block the reload
    application = _open_as_r1(lab)

    box = page.locator(f".shinsa-comment-{crit.id} textarea")
    box.click()
    box.press_sequentially("再読み込みしても残るコメント", delay=40)
    expect(page.locator(".shinsa-saved")).to_contain_text("保存済み", timeout=1_500)  # while typing
    page.wait_for_timeout(300)  # within ~1.5 s of the last key; the box never lost the focus
    assert page.evaluate("() => document.activeElement && document.activeElement.tagName") == "TEXTAREA"
    page.reload(wait_until="domcontentloaded")

    with ScoreStore.open(rnd, db_url) as store:
        rows = store.scores().query(
            "reviewer == 'R1' and application == @application and criterion == @crit.id"
        )
    assert rows["comment"].tolist() == ["再読み込みしても残るコメント"]

    assert _open_as_r1(lab) == application  # the reopened form shows it too
    expect(page.locator(f".shinsa-comment-{crit.id} textarea")).to_have_value("再読み込みしても残るコメント")


def test_form_at_1366x768_statusbar_anchors_and_the_whole_application(lab) -> None:
    from scoring.core.schema import FIELDS, SECTIONS

    rnd = load_round(lab.round_path)
    page = lab.page
    page.set_viewport_size(LAPTOP)
    _open_as_r1(lab)
    bar = ".shinsa-statusbar"
    expect(page.locator(bar)).to_have_count(1)

    first, last = rnd.rubric.criteria[0], rnd.rubric.criteria[-1]
    page.locator(f".shinsa-score-{first.id}-3").click()
    expect(page.locator(".shinsa-saved")).to_contain_text("保存済み", timeout=30_000)
    page.locator(".shinsa-app").first.scroll_into_view_if_needed()
    lab.screenshot("02_review_1366_top")

    # Scrolled to the last criterion: the status bar is still on screen, above it.
    page.locator(f".shinsa-criterion-{last.id}").scroll_into_view_if_needed()
    page.locator(f".shinsa-score-{last.id}-5").click()  # 5 needs a comment
    expect(page.locator(".shinsa-saved")).to_contain_text("保存済み", timeout=30_000)
    page.wait_for_timeout(300)
    assert _in_viewport(page, bar), page.locator(bar).bounding_box()
    assert _in_viewport(page, ".shinsa-saved")
    expect(page.locator(f"{bar} .shinsa-goto-{rnd.rubric.criteria[1].id}")).to_be_visible()
    # Every anchor of the criterion is on screen as text, the chosen one marked.
    for level in last.levels:
        row = page.locator(f".shinsa-anchor-{last.id} .shinsa-anchor-level-{level_token(level)}")
        expect(row).to_be_visible()
        expect(row).to_contain_text(last.anchor(level).ja)
    expect(page.locator(f".shinsa-anchor-{last.id} .shinsa-anchor-chosen")).to_contain_text(last.anchor(5).ja)
    # The application column is not blank beside the last criterion.
    left = page.locator(".shinsa-left").first.bounding_box()
    assert left is not None and left["y"] < LAPTOP["height"] - 200 and left["y"] + left["height"] > 300, left
    lab.screenshot("02_review_1366_last")

    # 提出 with something missing: the reason is in the status bar, on screen.
    page.locator(".shinsa-submit").click()
    expect(page.locator(f"{bar} .shinsa-error")).to_contain_text("まだ提出できません", timeout=30_000)
    assert _in_viewport(page, f"{bar} .shinsa-error")
    lab.screenshot("02_review_1366_submit")

    # A link in the status bar takes the reviewer to what is missing.
    missing = rnd.rubric.criteria[1]
    page.locator(f"{bar} .shinsa-goto-{missing.id}").click()
    page.wait_for_timeout(800)
    # Its score buttons are on screen below the status bar (the whole criterion, with its comment
    # and 申請者への所見 boxes, is taller than JupyterLab's part of a 768 px screen).
    buttons = f".shinsa-score-{missing.id}-1"
    below = page.locator(buttons).bounding_box()["y"] >= sum(
        page.locator(bar).bounding_box()[k] for k in ("y", "height")
    )
    assert _in_viewport(page, buttons) and below

    # The whole 応募書: every section and every field label of the schema.
    text = page.locator(".shinsa-application").first.inner_text()
    for section in SECTIONS:
        assert section in text
    for f in FIELDS:
        assert f.display_label in text, f.key
    # No scroll box of its own.
    overflow = page.locator(".shinsa-application").first.evaluate("e => getComputedStyle(e).overflowY")
    assert overflow == "visible"
    page.locator(".shinsa-field-planned_employment").scroll_into_view_if_needed()
    lab.screenshot("02_review_1366_plan")
