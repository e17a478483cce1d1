"""The reviewer's scoring screen (scoring.ui.review_view), headless: ipywidgets 8 fires
callbacks on ``.value`` and ``Button.click()`` without a kernel. A real SQLite store."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import ipywidgets as w
import pandas as pd
import pytest

from scoring import load_round
from scoring.core.errors import StoreError
from scoring.review.session import ReviewSession
from scoring.round.loader import ReviewRound
from scoring.store.scores import ScoreStore
from scoring.ui import widgets
from scoring.ui.review_view import CriterionControl, ReviewApp, ReviewPanel, error_message, level_token

FIRST = "need_pool_gap"


@pytest.fixture(scope="module")
def rnd(tmp_path_factory: pytest.TempPathFactory, demo_round_copier: Callable[[Path], Path]) -> ReviewRound:
    return load_round(demo_round_copier(tmp_path_factory.mktemp("review-view")))


@pytest.fixture
def store(rnd: ReviewRound, tmp_path: Path) -> Iterator[ScoreStore]:
    s = ScoreStore.open(rnd, f"sqlite:///{tmp_path / 'scores.sqlite'}")
    yield s
    s.close()


def make_app(
    rnd: ReviewRound, store: ScoreStore, reviewer_id: str | None = "R1", environ: dict[str, str] | None = None
) -> ReviewApp:
    return ReviewApp(
        rnd, store, reviewer_id=reviewer_id, environ={} if environ is None else environ, comment_delay=0
    )  # comments save at once (the debounce has its own tests)


@pytest.fixture
def panel(rnd: ReviewRound, store: ScoreStore) -> ReviewPanel:
    app = make_app(rnd, store)
    assert app.panel is not None
    return app.panel


def classes(widget: w.DOMWidget) -> list[str]:
    return list(widget._dom_classes)


def walk(widget: Any) -> Iterator[Any]:
    yield widget
    for child in getattr(widget, "children", ()) or ():
        yield from walk(child)


def visible_text(widget: Any) -> str:
    """Everything a person could read in the widget tree (values, labels, options, tooltips)."""
    parts: list[str] = []
    for x in walk(widget):
        for attr in ("value", "description", "tooltip", "placeholder"):
            v = getattr(x, attr, None)
            if isinstance(v, str):
                parts.append(v)
        if isinstance(x, w.Dropdown):
            parts.extend(str(o) for o in x.options)
    return "\n".join(parts)


def fill(panel: ReviewPanel, level: float = 3) -> None:
    for cid, control in panel.controls.items():
        control.buttons[float(level)].click()
        if control.criterion.comment_required(level):
            control.comment.value = f"{cid}の理由"


# --------------------------------------------------------------------------- identity


def test_single_user_chooses_a_reviewer(rnd: ReviewRound, store: ScoreStore) -> None:
    app = make_app(rnd, store, reviewer_id=None)
    assert "shinsa-reviewer-select" in classes(app.select)
    assert not app.select.disabled
    assert [v for _, v in app.select.options] == ["", "R1", "R2", "R3", "R4", "R5", "R6"]
    assert app.panel is None and app.body.children == ()
    app.select.value = "R6"
    assert app.panel is not None and app.panel.session.reviewer == "R6"
    assert "20" not in [v for _, v in app.panel.jump.options]  # conflict
    app.select.value = "R2"
    assert app.panel.session.reviewer == "R2"
    app.select.value = ""
    assert app.panel is None and app.body.children == ()


def test_jupyterhub_user_is_fixed(rnd: ReviewRound, store: ScoreStore) -> None:
    app = make_app(rnd, store, reviewer_id=None, environ={"JUPYTERHUB_USER": "r2"})
    assert app.select.disabled and [v for _, v in app.select.options] == ["R2"]
    assert app.panel is not None and app.panel.session.reviewer == "R2"
    assert "r2" in app.identity_note.value and "変更できません" in app.identity_note.value


def test_jupyterhub_user_asking_for_another_reviewer(rnd: ReviewRound, store: ScoreStore) -> None:
    app = make_app(rnd, store, reviewer_id="R1", environ={"JUPYTERHUB_USER": "r2"})
    assert "審査員 R1 を選ぶことはできません" in app.message.value
    assert app.panel is not None and app.panel.session.reviewer == "R2"
    assert app.select.disabled


def test_unregistered_jupyterhub_user_gets_nothing(rnd: ReviewRound, store: ScoreStore) -> None:
    app = make_app(rnd, store, reviewer_id=None, environ={"JUPYTERHUB_USER": "mallory"})
    assert "「mallory」" in app.message.value and "登録されていません" in app.message.value
    assert app.panel is None and app.select.disabled and list(app.select.options) == []


def test_unknown_reviewer_parameter(rnd: ReviewRound, store: ScoreStore) -> None:
    app = make_app(rnd, store, reviewer_id="R9")
    assert "審査員ID「R9」" in app.message.value
    assert app.panel is None and not app.select.disabled


def test_open_uses_the_round_store_and_reports_a_store_that_cannot_be_opened(
    rnd: ReviewRound, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'own.sqlite'}"
    app = ReviewApp.open(rnd, reviewer_id="R1", url=url, environ={})
    assert app.panel is not None and app.store.url == url
    app.store.close()
    bad = ReviewApp.open(
        rnd, reviewer_id="R1", url=f"sqlite:///{tmp_path / 'missing' / 'x.sqlite'}", environ={}
    )
    assert bad.panel is None and bad.select.disabled
    assert (
        "採点データベースを開けないため、採点できません" in bad.message.value
        and "missing" in bad.message.value
    )


# --------------------------------------------------------------------------- scoring


def test_score_click_autosaves_and_shows_the_anchor(
    rnd: ReviewRound, store: ScoreStore, panel: ReviewPanel
) -> None:
    control = panel.controls[FIRST]
    button = control.buttons[4.0]
    assert f"shinsa-score-{FIRST}-4" in classes(button)
    button.click()
    got = store.scores()
    assert got[["reviewer", "application", "criterion", "score", "source"]].values.tolist() == [
        ["R1", "01", FIRST, 4.0, "widget"]
    ]
    saved_at = panel.session.last_saved_at
    assert saved_at is not None
    assert f"保存済み {saved_at.astimezone(dt.timezone(dt.timedelta(hours=9))):%H:%M:%S}" in panel.saved.value
    assert "shinsa-saved" in classes(panel.saved)
    assert button.button_style == "primary"
    assert all(b.button_style == "" for lv, b in control.buttons.items() if lv != 4.0)
    assert rnd.rubric.criterion(FIRST).anchor(4).ja in control.anchor.value
    assert panel.error.value == ""
    assert "下書き" in panel.current.value and "（下書き）" in {v: k for k, v in panel.jump.options}["01"]
    assert "0 / 16 提出済（下書き 1）" in panel.progress_text.value


def test_level_five_needs_a_comment(store: ScoreStore, panel: ReviewPanel) -> None:
    control = panel.controls[FIRST]
    control.buttons[5.0].click()
    assert "理由（コメント）が必要" in control.note.value
    control.comment.value = "支援実績がほとんどない"
    assert store.scores().at[0, "comment"] == "支援実績がほとんどない"
    assert control.note.value == ""
    assert control.buttons[5.0].button_style == "primary"  # the score is kept


def test_clear_button(store: ScoreStore, panel: ReviewPanel) -> None:
    control = panel.controls[FIRST]
    assert control.clear.disabled
    control.buttons[2.0].click()
    assert not control.clear.disabled
    control.clear.click()
    assert store.scores().empty  # no score, no comment: nothing current
    assert all(b.button_style == "" for b in control.buttons.values())
    assert "未採点" in control.chosen.value and "shinsa-anchor-chosen" not in control.anchor.value


def test_failed_save_shows_the_store_message_and_the_saved_state(
    store: ScoreStore, panel: ReviewPanel
) -> None:
    fill(panel, 3)
    store.submit("R1", "01")  # e.g. from another window; this screen does not know yet
    panel.controls[FIRST].buttons[1.0].click()
    assert "⚠" in panel.error.value and "提出済み" in panel.error.value
    assert "エラー（保存できませんでした）" in panel.saved.value
    assert "shinsa-error" in classes(panel.error)
    # The refused value is not shown as chosen.
    assert panel.controls[FIRST].buttons[3.0].button_style == "primary"
    assert panel.controls[FIRST].buttons[1.0].button_style == ""
    assert store.scores().query("criterion == @FIRST")["score"].tolist() == [3.0]


def test_unexpected_errors_are_shown_not_raised(panel: ReviewPanel, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(panel.session, "set_score", boom)
    panel.controls[FIRST].buttons[2.0].click()  # must not raise
    assert "予期しないエラー" in panel.error.value and "disk on fire" in panel.error.value


def test_error_message() -> None:
    assert error_message(StoreError("保存できません")) == "保存できません"
    assert error_message(KeyError("審査員ID 'X' はありません")) == "審査員ID 'X' はありません"
    assert error_message(OSError("x")).startswith("予期しないエラーが発生しました（OSError")
    # numpy's or pandas' English never reaches the screen
    import numpy as np

    try:
        np.zeros(3).reshape(2, 2)
    except ValueError as numpy_error:
        shown = error_message(numpy_error)
    assert shown.startswith("予期しないエラーが発生しました（ValueError）") and "reshape" not in shown


# --------------------------------------------------------------------------- submission


def test_submit_checks_completeness_first(store: ScoreStore, panel: ReviewPanel) -> None:
    panel.controls[FIRST].buttons[5.0].click()
    panel.submit_button.click()
    assert "まだ提出できません" in panel.error.value
    assert "「人材プール整備の遅れ」のコメント" in panel.error.value
    assert "「横展開の可能性」の点数" in panel.error.value
    assert store.status("R1", "01") == "下書き"


def test_submit_locks_the_application(store: ScoreStore, panel: ReviewPanel) -> None:
    fill(panel, 5)
    assert "すべて入力済み" in panel.submit_message.value
    panel.submit_button.click()  # asks first, saying what cannot be undone
    assert panel.confirm.layout.display is None and store.status("R1", "01") == "下書き"
    assert "変更できなくなります" in panel.confirm_text.value and "事務局" in panel.confirm_text.value
    panel.confirm_yes.click()
    assert panel.error.value == "" and panel.confirm.layout.display == "none"
    assert store.status("R1", "01") == "提出済"
    assert "提出しました" in panel.submit_message.value
    code = store.receipts().set_index("application").loc["01", "receipt"]
    assert (
        f"受領コード <b class='shinsa-receipt'>{code}</b>" in panel.submit_message.value
    )  # signed: kept by the reviewer
    assert panel.submit_button.disabled and panel.submit_button.description == "提出済"
    assert all(b.disabled for c in panel.controls.values() for b in c.buttons.values())
    assert all(c.comment.disabled for c in panel.controls.values())
    assert "1 / 16 提出済" in panel.progress_text.value and panel.progress.value == pytest.approx(1 / 16)
    assert "提出済" in {v: k for k, v in panel.jump.options}["01"]
    panel.next_button.click()
    assert panel.session.current == "02" and not panel.submit_button.disabled
    assert not any(b.disabled for b in panel.controls[FIRST].buttons.values())


# --------------------------------------------------------------------------- navigation


def test_navigation_buttons_and_jump_list(rnd: ReviewRound, panel: ReviewPanel) -> None:
    assert "shinsa-next" in classes(panel.next_button) and "shinsa-prev" in classes(panel.prev_button)
    assert panel.prev_button.disabled and not panel.next_button.disabled
    panel.controls[FIRST].buttons[2.0].click()
    panel.next_button.click()
    assert panel.session.current == "02" and panel.jump.value == "02"
    assert "青森県" in panel.current.value and "data-application='02'" in panel.current.value
    assert all(b.button_style == "" for b in panel.controls[FIRST].buttons.values())  # 02 is unscored
    assert rnd.applications.at["02", "issue_recruitment"] in panel.application.value
    panel.jump.value = "46"
    assert panel.session.current == "46" and panel.next_button.disabled
    panel.prev_button.click()
    assert panel.session.current == "43"
    panel.jump.value = "01"
    assert panel.controls[FIRST].buttons[2.0].button_style == "primary"  # 01's saved score again


def test_application_panel_shows_summary_indicators_and_text(rnd: ReviewRound, panel: ReviewPanel) -> None:
    html = panel.application.value
    assert "北海道" in html and "A) システムの共同調達" in html
    assert "参考指標" in html and "市町村数" in html and "179団体" in html
    assert "3. 課題" in html
    # Free text is escaped, never interpreted as HTML.
    assert "<script" not in html


def test_free_text_is_escaped(rnd: ReviewRound, store: ScoreStore) -> None:
    apps = rnd.applications.copy()
    apps.loc["01", "issue_budget"] = "<script>alert(1)</script> & 予算"
    app = make_app(dataclasses.replace(rnd, applications=apps), store)
    assert app.panel is not None
    html = app.panel.application.value
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; 予算" in html and "<script>" not in html


# --------------------------------------------------------------------------- blind review and chart


def test_nothing_of_other_reviewers_is_shown(rnd: ReviewRound, store: ScoreStore) -> None:
    for reviewer, level in (("R2", 1), ("R3", 2)):
        for c in rnd.rubric.criteria:
            store.record(reviewer, "01", c.id, level, f"{reviewer}だけが書いた秘密の所見")
        store.submit(reviewer, "01")
    app = make_app(rnd, store, reviewer_id=None)
    app.select.value = "R1"
    assert app.panel is not None
    text = visible_text(app.widget)
    assert "秘密の所見" not in text
    assert "提出済" not in {v: k for k, v in app.panel.jump.options}["01"]
    assert all(b.button_style == "" for c in app.panel.controls.values() for b in c.buttons.values())
    assert "0 / 16 提出済" in app.panel.progress_text.value
    # The chart shows the own (empty) distribution.
    assert app.panel._chart_counts is not None and int(app.panel._chart_counts.sum()) == 0


def test_chart_follows_own_scores(panel: ReviewPanel) -> None:
    assert "shinsa-chart" in classes(panel.chart)
    before = panel.chart.value
    assert "<img src='data:image/png;base64,iVBORw0KGgo" in before  # PNG, no file or URL
    assert "alt='自分の点数の分布: まだ採点していません'" in before
    panel.controls[FIRST].buttons[4.0].click()
    assert panel.chart.value != before
    assert "4点 1 件" in panel.chart.value  # the text alternative says what the chart shows
    counts = panel._chart_counts
    assert counts is not None and counts.to_dict() == {1.0: 0, 2.0: 0, 3.0: 0, 4.0: 1, 5.0: 0}


# --------------------------------------------------------------------------- hooks


def test_css_hooks_are_stable(rnd: ReviewRound, panel: ReviewPanel) -> None:
    found = {cls for x in walk(panel.widget) if isinstance(x, w.DOMWidget) for cls in x._dom_classes}
    for c in rnd.rubric.criteria:
        for level in c.levels:
            assert f"shinsa-score-{c.id}-{level_token(level)}" in found
        assert {f"shinsa-comment-{c.id}", f"shinsa-anchor-{c.id}", f"shinsa-clear-{c.id}"} <= found
    assert {
        "shinsa-prev",
        "shinsa-next",
        "shinsa-jump",
        "shinsa-saved",
        "shinsa-error",
        "shinsa-submit",
        "shinsa-progress",
        "shinsa-progress-text",
        "shinsa-chart",
        "shinsa-current",
    } <= found
    assert level_token(2.5) == "2_5" and level_token(3.0) == "3"


def test_panel_for_a_reviewer_without_applications(rnd: ReviewRound, store: ScoreStore) -> None:
    table = pd.DataFrame({"reviewer": ["R1"], "application": ["01"]})
    session = ReviewSession(dataclasses.replace(rnd, assignment_frame=table), store, "R5")
    p = ReviewPanel(session)
    assert "担当の応募書はありません" in p.current.value
    assert p.scoring.layout.display == "none" and p.next_button.disabled and p.prev_button.disabled


def test_criterion_control_alone(rnd: ReviewRound) -> None:
    seen: list[tuple[str, Any]] = []
    c = rnd.rubric.criterion("theme_fit")
    control = CriterionControl(
        c, lambda cid, lv: seen.append((cid, lv)), lambda cid, t: seen.append((cid, t)), comment_delay=0
    )
    control.buttons[3.0].click()
    control.clear.click()
    control.show(2.0, "既存", readonly=False, comment_missing=False)  # programmatic: no callback
    control.comment.value = "新しい"
    assert seen == [("theme_fit", 3.0), ("theme_fit", None), ("theme_fit", "新しい")]
    assert "1点・5点のときは必須" in control.comment.placeholder


# --------------------------------------------------------------------------- issue #12: the form


def _no_running_loop() -> None:
    raise RuntimeError("no running event loop")


def test_comment_saves_while_typing_after_the_debounce(
    rnd: ReviewRound, store: ScoreStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Outside a kernel (no running asyncio loop; the browser tests' Playwright may leave one
    # in this thread): the debounce is a timer thread.
    monkeypatch.setattr(widgets.asyncio, "get_running_loop", _no_running_loop)
    app = ReviewApp(rnd, store, reviewer_id="R1", environ={}, comment_delay=0.2)
    assert app.panel is not None
    panel = app.panel
    control = panel.controls[FIRST]
    control.comment.value = "入"  # every key reaches the kernel (continuous_update)
    control.comment.value = "入力中"
    assert control.comment.continuous_update
    assert control.pending and store.scores().empty
    assert "未保存" in panel.saved.value  # shown while the save waits
    deadline = time.monotonic() + 10
    while (control.pending or store.scores().empty) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not control.pending
    assert store.scores()["comment"].tolist() == ["入力中"]  # one save, the last text
    assert "保存済み" in panel.saved.value and control.comment.value == "入力中"


def test_comment_debounce_on_the_kernels_event_loop(rnd: ReviewRound, tmp_path: Path) -> None:
    """In a kernel, widget callbacks run on its asyncio loop: the save is scheduled there."""
    seen: dict[str, Any] = {}

    async def typing() -> None:
        s = ScoreStore.open(rnd, f"sqlite:///{tmp_path / 'loop.sqlite'}")
        try:
            app = ReviewApp(rnd, s, reviewer_id="R1", environ={}, comment_delay=0.1)
            assert app.panel is not None
            control = app.panel.controls[FIRST]
            control.comment.value = "ループで保存"
            seen["pending"] = control.pending
            await asyncio.sleep(0.4)
            seen["after"] = control.pending
            seen["comments"] = s.scores()["comment"].tolist()
        finally:
            s.close()

    t = threading.Thread(target=asyncio.run, args=(typing(),))  # a thread of its own: a fresh loop
    t.start()
    t.join(10)
    assert seen == {"pending": True, "after": False, "comments": ["ループで保存"]}


def test_pending_comment_is_saved_before_moving_on(rnd: ReviewRound, store: ScoreStore) -> None:
    app = ReviewApp(rnd, store, reviewer_id="R1", environ={}, comment_delay=60)
    assert app.panel is not None
    panel = app.panel
    first = panel.session.current
    panel.controls[FIRST].comment.value = "移動する前に書いた"
    assert store.scores().empty
    panel.next_button.click()  # flushes the waiting comment
    rows = store.scores()
    assert rows["comment"].tolist() == ["移動する前に書いた"] and rows["application"].tolist() == [first]
    assert not panel.controls[FIRST].pending


def test_comment_delay_zero_saves_every_change_at_once(store: ScoreStore, panel: ReviewPanel) -> None:
    control = panel.controls[FIRST]
    control.comment.value = "すぐ保存 "
    assert store.scores()["comment"].tolist() == ["すぐ保存"]
    assert control.comment.value == "すぐ保存 "  # the box keeps what is typed (blank included)


def test_statusbar_shows_state_progress_and_links_to_what_is_missing(
    store: ScoreStore, panel: ReviewPanel
) -> None:
    bar = panel.statusbar
    assert "shinsa-statusbar" in classes(bar)
    inside = {c for x in walk(bar) for c in getattr(x, "_dom_classes", ())}
    assert {"shinsa-saved", "shinsa-error", "shinsa-status-count", "shinsa-status-missing"} <= inside
    n = len(panel.controls)
    assert f"採点 <b>0 / {n}</b> 項目" in panel.status_count.value
    assert f"未入力 {n} 件" in panel.status_missing.value
    assert f"shinsa-goto-{FIRST}" in panel.status_missing.value  # a link that scrolls to it
    assert f".shinsa-criterion-{FIRST}" in panel.status_missing.value
    fifth = list(panel.controls)[4]  # the rest: one link to the next of them
    assert (
        f"shinsa-goto-{fifth}" in panel.status_missing.value
        and f"ほか {n - 4} 件" in panel.status_missing.value
    )
    panel.controls[FIRST].buttons[5.0].click()  # 5 needs a comment
    assert f"採点 <b>1 / {n}</b> 項目" in panel.status_count.value
    assert "保存済み" in panel.saved.value
    label = panel.controls[FIRST].criterion.label_ja
    assert f"{label}（コメント）" in panel.status_missing.value
    assert f"{label}（コメント）" in panel.submit_message.value  # the full list beside 提出
    panel.submit_button.click()  # refused: the reason is in the bar
    assert "まだ提出できません" in panel.error.value
    assert any(panel.error is x for x in walk(panel.statusbar))
    assert "エラー" not in panel.saved.value and "保存済み" in panel.saved.value  # nothing failed to save
    fill(panel)
    assert "すべて入力済み" in panel.status_missing.value and panel.error.value == ""
    assert f"採点 <b>{n} / {n}</b> 項目" in panel.status_count.value


def test_anchors_table_shows_every_level_and_marks_the_chosen_one(
    rnd: ReviewRound, panel: ReviewPanel
) -> None:
    crit = rnd.rubric.criterion(FIRST)
    control = panel.controls[FIRST]
    html = control.anchor.value
    for level in crit.levels:  # all anchors, not tooltips
        assert crit.anchor(level).ja in html
        assert f"shinsa-anchor-level-{level_token(level)}" in html
    assert "shinsa-anchor-chosen" not in html
    control.buttons[3.0].click()
    html = control.anchor.value
    assert html.count("shinsa-anchor-chosen") == 1
    assert "shinsa-anchor-level-3 shinsa-anchor-chosen" in html
    # Issue 22: the tooltip is also the button's accessible name: criterion, level and anchor.
    assert all(crit.anchor(level).ja in b.tooltip for level, b in control.buttons.items())


def test_the_whole_application_is_shown_by_section(rnd: ReviewRound, panel: ReviewPanel) -> None:
    from scoring.core.schema import FIELDS, SECTIONS

    html = panel.application.value
    for section in SECTIONS:
        assert section in html
    for f in FIELDS:  # every field, filled in or not
        assert f">{f.display_label}<" in html, f.key
        assert f"shinsa-field-{f.key}" in html
    app = panel.session.current
    for key in ("planned_employment", "funding"):
        assert str(rnd.applications.at[app, key]) in html
    assert f">{rnd.applications.at[app, 'pool_fixed_term']}<" in html
    assert panel.application.layout.overflow is None and panel.application.layout.max_height is None


def test_rubric_is_named_without_its_version_hash(rnd: ReviewRound, store: ScoreStore) -> None:
    """Issue 22: reviewers see the rubric's name, never its version hash."""
    app = make_app(rnd, store)
    text = visible_text(app.widget)
    assert f"評価基準: {rnd.rubric.name_ja}" in text
    assert rnd.rubric.version[:8] not in text and "版 " not in text


def test_the_note_for_the_applicant_box_saves_reloads_keeps_and_locks(
    rnd: ReviewRound, store: ScoreStore, panel: ReviewPanel
) -> None:
    """申請者への所見 (issue 21): its own box beside the comment, saved through the session."""
    control = panel.controls[FIRST]
    assert control.to_applicant is not None
    box = control.to_applicant.box
    assert "申請者への所見（任意・講評で申請者に伝わります）" in control.to_applicant.label.value
    assert "申請者には伝わりません" in control.comment_label.value  # the comment says it is not sent
    assert (
        box.tooltip
        == f"{rnd.rubric.criterion(FIRST).label_ja} の申請者への所見（任意・講評で申請者に伝わります）"
    )
    assert f"shinsa-to-applicant-{FIRST}" in classes(box)
    box.value = "計画が具体的です。"
    notes = store.applicant_notes(include_drafts=True)
    assert notes[["application", "criterion", "to_applicant"]].values.tolist() == [
        ["01", FIRST, "計画が具体的です。"]
    ]
    control.buttons[3.0].click()
    control.comment.value = "委員会向けのメモ"
    assert store.own_notes("R1") == {("01", FIRST): "計画が具体的です。"}  # kept by both saves
    again = make_app(rnd, store).panel  # a reload
    assert again is not None and again.controls[FIRST].to_applicant.box.value == "計画が具体的です。"
    fill(again, 3)
    again.submit_button.click()
    again.confirm_yes.click()
    assert again.session.is_submitted("01")
    assert again.controls[FIRST].to_applicant.box.disabled and again.controls[FIRST].comment.disabled


def test_a_pending_note_is_saved_before_moving_on_and_at_kernel_exit(
    rnd: ReviewRound, store: ScoreStore
) -> None:
    app = ReviewApp(rnd, store, reviewer_id="R1", environ={}, comment_delay=60)
    assert app.panel is not None
    panel = app.panel
    note = panel.controls[FIRST].to_applicant
    assert note is not None
    note.box.value = "移動する前に書いた所見"
    assert panel.controls[FIRST].pending and store.own_notes("R1") == {}
    panel.next_button.click()  # flushes the waiting 所見
    assert store.own_notes("R1") == {("01", FIRST): "移動する前に書いた所見"}
    panel.controls[FIRST].to_applicant.box.value = "閉じる直前の所見"
    panel.controls[FIRST].comment.value = "閉じる直前のコメント"
    panel.save_pending_now()  # the kernel exits: both are saved, neither is left pending
    assert store.own_notes("R1")[("02", FIRST)] == "閉じる直前の所見"
    assert store.scores().query("application == '02'")["comment"].tolist() == ["閉じる直前のコメント"]
    assert not panel.controls[FIRST].pending
    panel.close()
