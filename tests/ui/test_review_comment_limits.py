"""The reviewer's comment box: its length shown against the 4,000-character limit, a longer
comment kept on screen but never saved (nor cut), and pasted control characters cleaned
(PowerPoint's vertical tab becomes a line break; NUL and the like are removed)."""

from __future__ import annotations

from test_review_view import FIRST, panel, rnd, store  # noqa: F401 (fixtures)

from scoring.core.text import COMMENT_MAX
from scoring.store.scores import ScoreStore
from scoring.ui.review_view import ReviewPanel


def test_the_comment_box_shows_its_length_and_the_limit(panel: ReviewPanel) -> None:  # noqa: F811
    control = panel.controls[FIRST]
    assert "0 / 4,000 文字" in control.count.value
    control.comment.value = "支援実績がない"
    assert "7 / 4,000 文字" in control.count.value and "shinsa-over" not in control.count.value


def test_a_pasted_vertical_tab_becomes_a_line_break_and_nul_is_removed(
    store: ScoreStore,  # noqa: F811
    panel: ReviewPanel,  # noqa: F811
) -> None:
    control = panel.controls[FIRST]
    control.buttons[3.0].click()
    control.comment.value = "スライドの一行目\x0b二行目\x00"
    assert store.scores().at[0, "comment"] == "スライドの一行目\n二行目"
    assert panel.error.value == ""


def test_a_comment_over_the_limit_stays_on_screen_unsaved_and_stops_moving_on(
    store: ScoreStore,  # noqa: F811
    panel: ReviewPanel,  # noqa: F811
) -> None:
    control = panel.controls[FIRST]
    control.buttons[3.0].click()
    control.comment.value = "最初の講評"
    long = "あ" * (COMMENT_MAX + 1)
    control.comment.value = long
    assert "shinsa-over" in control.count.value and "4,001 / 4,000 文字" in control.count.value
    assert store.scores().at[0, "comment"] == "最初の講評"  # not saved, not cut
    assert control.comment.value == long and control.pending
    panel.next_button.click()
    assert "4,000 文字を超えている" in panel.error.value
    assert panel.session.current == "01"  # did not move on
    control.buttons[4.0].click()  # a score click saves the comment first: refused the same way
    assert "4,000 文字を超えている" in panel.error.value
    assert control.comment.value == long  # what the reviewer typed stays
    control.comment.value = long[:COMMENT_MAX]
    assert panel.error.value == "", panel.error.value
    assert store.scores().at[0, "comment"] == long[:COMMENT_MAX]
    assert "shinsa-over" not in control.count.value
