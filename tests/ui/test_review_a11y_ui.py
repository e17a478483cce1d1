"""Browser tests: the reviewer app (02_review in Voilà) is usable by everyone (issue 22 items 1–3).

* axe-core finds no WCAG 2.0 A/AA violation (JIS X 8341-3:2016 AA) before scoring, after
  scoring and submitting, and after a refused 提出 (:mod:`axecheck`, no exceptions needed);
* one whole application is scored and submitted with the keyboard only (Tab, Space, typing,
  Enter), through the confirmation, and the receipt code appears in 「提出の記録」;
* every score button is named by criterion, level and anchor; the status bar is a live region;
  the focus ring has a contrast of at least 3:1; a missing-item link moves the focus to the
  field; texts are at least 14 px; at 200 % zoom on a 1366 px screen (683 CSS px) nothing
  scrolls sideways.

One Voilà for the module (as tests/ui/test_review_real_use_ui.py); each test its own reviewer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import test_review_real_use_ui as real_use
from axecheck import assert_accessible
from playwright.sync_api import expect
from test_review_real_use_ui import ReviewVoila, open_as

from scoring.round.loader import load_round
from scoring.store.scores import ScoreStore
from scoring.ui.review_note_box import NOTE_LABEL
from scoring.ui.review_view import level_token

pytestmark = pytest.mark.ui

#: The module's own Voilà on 02_review and the tabs of one browser (fixtures of real use).
review_voila = real_use.review_voila
pages = real_use.pages

ACTIVE = "() => document.activeElement ? document.activeElement.className : ''"


def tab_to(page: Any, css_class: str, limit: int = 60) -> None:
    """Press Tab until the focused element has ``css_class`` (fails after ``limit`` presses)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if css_class in str(page.evaluate(ACTIVE)).split():
            return
    pytest.fail(f"Tab を {limit} 回押しても {css_class} に届きません（いま: {page.evaluate(ACTIVE)}）")


def _luminance(rgb: str) -> float:
    r, g, b = (int(x) / 255 for x in re.findall(r"\d+", rgb)[:3])

    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_keyboard_only_scoring_and_submit_with_no_axe_violation(
    review_voila: ReviewVoila, pages: Callable[[], Any], ui_artifacts: Path
) -> None:
    rnd = load_round(review_voila.round_path)
    page = pages()
    app = open_as(page, review_voila, "R2")
    assert_accessible(page, "採点画面（採点前）")

    # Screen reader: names of the score buttons, the status bar announced.
    first = rnd.rubric.criteria[0]
    for level in first.levels:
        button = page.locator(f".shinsa-score-{first.id}-{level_token(level)}")
        expect(button).to_have_accessible_name(f"{first.label_ja} {level}点: {first.anchor(level).ja}")
    unnamed = page.evaluate(
        "() => [...document.querySelectorAll('.shinsa-level-btn')]"
        ".filter(b => !(b.getAttribute('aria-label') || '').includes('点: ')).length"
    )
    assert unnamed == 0
    assert page.locator(".shinsa-statusbar").get_attribute("aria-live") == "polite"

    # Keyboard only: Tab to each criterion's level, Space; one level that needs a comment.
    page.locator("body").click(position={"x": 2, "y": 2})
    for c in rnd.rubric.criteria:
        level = 5 if c is first else 3
        tab_to(page, f"shinsa-score-{c.id}-{level}")
        if c is first:  # the focus ring: visible, ≥ 3:1 against the page
            ring = page.evaluate(
                "() => { const s = getComputedStyle(document.activeElement);"
                " return [s.outlineStyle, s.outlineWidth, s.outlineColor]; }"
            )
            assert ring[0] != "none" and float(ring[1].rstrip("px")) >= 2, ring
            assert contrast(ring[2], "rgb(255, 255, 255)") >= 3.0, ring
        page.keyboard.press("Space")
        expect(page.locator(f".shinsa-score-{c.id}-{level}")).to_have_class(re.compile(r"\bmod-primary\b"))
        if c is first:
            for _ in range(10):
                page.keyboard.press("Tab")
                if page.evaluate("() => document.activeElement.tagName") == "TEXTAREA":
                    break
            page.keyboard.type("キーボードだけで書いた理由")
    expect(page.locator(".shinsa-status-missing")).to_contain_text("すべて入力済み", timeout=20_000)
    assert_accessible(page, "採点画面（採点後）")

    tab_to(page, "shinsa-submit", limit=40)
    page.keyboard.press("Enter")
    expect(page.locator(".shinsa-confirm")).to_contain_text("変更できなくなります")
    page.wait_for_function("() => document.activeElement.closest('.shinsa-confirm-yes') !== null")
    page.keyboard.press("Enter")
    message = page.locator(".shinsa-submit-message")
    expect(message).to_contain_text("提出しました", timeout=20_000)
    with ScoreStore.open(rnd, review_voila.db_url) as store:
        code = store.receipts().set_index(["reviewer", "application"]).loc[("R2", app), "receipt"]
        assert store.status("R2", app) == "提出済"
    expect(message).to_contain_text(code)
    receipts = page.locator(".shinsa-receipts-list")
    expect(receipts).to_contain_text(code)
    assert review_voila.cell("R2", app, first.id) == [5.0, "キーボードだけで書いた理由"]
    assert_accessible(page, "採点画面（提出後）")
    page.locator(".shinsa-receipts-list").scroll_into_view_if_needed()
    page.screenshot(path=str(ui_artifacts / "02_review_a11y_receipts.png"))

    # The focus is on 次へ after 提出: Enter opens the next application (same page session).
    page.keyboard.press("Enter")
    expect(page.locator(".shinsa-current-code")).not_to_have_text(app, timeout=20_000)
    receipts.locator(".shinsa-copy-receipts").click()  # 「提出の記録」 stays, and can be copied
    expect(receipts.locator(".shinsa-copied")).to_have_text("コピーしました")
    _refused_submit_focus_text_sizes_and_200_percent_zoom(page, rnd, ui_artifacts)


def test_the_note_for_the_applicant_is_typed_saved_reloaded_and_accessible(
    review_voila: ReviewVoila, pages: Callable[[], Any], ui_artifacts: Path
) -> None:
    """申請者への所見 (issue 21): a labelled box of its own, saved, kept by a score, back after a reload."""
    rnd = load_round(review_voila.round_path)
    first = rnd.rubric.criteria[0]
    page = pages()
    page.set_viewport_size({"width": 1366, "height": 768})
    app = open_as(page, review_voila, "R3")
    box = page.locator(f".shinsa-to-applicant-{first.id} textarea")
    expect(box).to_have_accessible_name(f"{first.label_ja} の{NOTE_LABEL}")
    expect(page.locator(f".shinsa-criterion-{first.id} .shinsa-to-applicant-label")).to_have_text(NOTE_LABEL)
    box.click()
    box.press_sequentially("人材の確保計画が具体的です。", delay=20)
    page.locator(f".shinsa-score-{first.id}-4").click()  # flushes the 所見, then saves the score

    def saved() -> dict[tuple[str, str], str]:
        with ScoreStore.open(rnd, review_voila.db_url) as store:
            return store.own_notes("R3", app)

    # A pause while typing may save a first part (the box saves after a pause, as the comment
    # does); what counts is that the whole text is saved with the score.
    for _ in range(75):
        if saved() == {(app, first.id): "人材の確保計画が具体的です。"} and review_voila.cell(
            "R3", app, first.id
        )[:1] == [4.0]:
            break
        page.wait_for_timeout(200)
    assert saved() == {(app, first.id): "人材の確保計画が具体的です。"}
    assert review_voila.cell("R3", app, first.id)[:1] == [4.0]
    page.locator(f".shinsa-criterion-{first.id}").scroll_into_view_if_needed()
    page.screenshot(path=str(ui_artifacts / "02_review_to_applicant.png"))

    assert open_as(page, review_voila, "R3", reload=True) == app
    box = page.locator(f".shinsa-to-applicant-{first.id} textarea")
    expect(box).to_have_value("人材の確保計画が具体的です。")
    assert_accessible(page, "採点画面（申請者への所見）")


def _refused_submit_focus_text_sizes_and_200_percent_zoom(page: Any, rnd: Any, ui_artifacts: Path) -> None:
    """On an application not scored yet (one page session with the test above: a Voilà page
    costs a kernel start)."""
    page.locator(".shinsa-app").first.scroll_into_view_if_needed()
    page.screenshot(path=str(ui_artifacts / "02_review_a11y_top.png"))

    # Texts of at least 14 px: guidance, level texts, the application, the comment counter.
    sizes = page.evaluate(
        """cid => ['.shinsa-criterion-' + cid + ' .shinsa-muted', '.shinsa-anchors td',
                  '.shinsa-application td', '.shinsa-usage li', '[class*="shinsa-count-"] span']
           .map(s => [s, parseFloat(getComputedStyle(document.querySelector(s)).fontSize)])""",
        rnd.rubric.criteria[0].id,
    )
    assert all(px >= 14 for _, px in sizes), sizes
    rows = page.locator(f".shinsa-comment-{rnd.rubric.criteria[0].id} textarea").evaluate(
        "t => t.getBoundingClientRect().height / parseFloat(getComputedStyle(t).lineHeight)"
    )
    assert rows >= 2.9, rows  # a comment box of three lines
    box = page.locator(f".shinsa-comment-{rnd.rubric.criteria[0].id} textarea")
    before = box.bounding_box()["height"]
    box.fill("\n".join(f"{i} 行目の理由" for i in range(1, 8)))
    assert box.bounding_box()["height"] > before * 1.5  # and it grows with the text

    # A refused 提出: the reason in the status bar, nothing for axe to object to.
    page.locator(".shinsa-submit").click()
    expect(page.locator(".shinsa-statusbar .shinsa-error")).to_contain_text("まだ提出できません")
    assert_accessible(page, "採点画面（提出を断られた後）")

    # A missing-item link moves the focus to the field (keyboard: Enter on the link).
    target = rnd.rubric.criteria[1]
    page.locator(f".shinsa-statusbar .shinsa-goto-{target.id}").focus()
    page.keyboard.press("Enter")
    page.wait_for_function(
        f"() => document.activeElement.closest('.shinsa-criterion-{target.id}') !== null"
        " && document.activeElement.tagName === 'BUTTON'"
    )

    # 200 % zoom on a 1366 px screen: 683 CSS px; no sideways scrolling of the text.
    page.set_viewport_size({"width": 683, "height": 384})
    page.wait_for_timeout(300)
    wide = page.evaluate(
        """() => [document.documentElement.scrollWidth, window.innerWidth,
                  ...['.shinsa-application', '.shinsa-scoring', '.shinsa-statusbar', '.shinsa-usage']
                  .map(s => Math.round(document.querySelector(s).getBoundingClientRect().right))]"""
    )
    assert max(wide[0], *wide[2:]) <= wide[1], wide
    page.screenshot(path=str(ui_artifacts / "02_review_a11y_zoom200.png"))
