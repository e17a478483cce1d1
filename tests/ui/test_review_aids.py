"""The reviewer app's aids (issue 22 item 3, issue 19 item 5), in process: the confirmation
before 提出, 「提出の記録」 with the receipt codes from the store, the ログアウト link under
JupyterHub, the last save time after a reload, the accessible names of the score buttons."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from scoring import load_round
from scoring.round.loader import ReviewRound
from scoring.store.scores import ScoreStore
from scoring.ui.review_view import ReviewApp, ReviewPanel


@pytest.fixture(scope="module")
def rnd(tmp_path_factory: pytest.TempPathFactory, demo_round_copier: Callable[[Path], Path]) -> ReviewRound:
    return load_round(demo_round_copier(tmp_path_factory.mktemp("review-aids")))


@pytest.fixture
def store(rnd: ReviewRound, tmp_path: Path) -> Iterator[ScoreStore]:
    s = ScoreStore.open(rnd, f"sqlite:///{tmp_path / 'scores.sqlite'}")
    yield s
    s.close()


def open_panel(rnd: ReviewRound, store: ScoreStore, environ: dict[str, str] | None = None) -> ReviewPanel:
    app = ReviewApp(rnd, store, reviewer_id="R1", environ=environ or {}, comment_delay=0, poll_interval=0)
    assert app.panel is not None
    return app.panel


def fill(panel: ReviewPanel, level: float = 3) -> None:
    for control in panel.controls.values():
        control.buttons[float(level)].click()


def test_submit_asks_first_and_can_be_cancelled(rnd: ReviewRound, store: ScoreStore) -> None:
    panel = open_panel(rnd, store)
    assert panel.confirm.layout.display == "none"
    fill(panel)
    panel.submit_button.click()
    assert panel.confirm.layout.display is None
    assert "提出しますか" in panel.confirm_text.value and "再開を依頼" in panel.confirm_text.value
    panel.confirm_no.click()
    assert panel.confirm.layout.display == "none" and store.status("R1", "01") == "下書き"


def test_an_incomplete_application_is_refused_without_asking(rnd: ReviewRound, store: ScoreStore) -> None:
    panel = open_panel(rnd, store)
    panel.submit_button.click()
    assert panel.confirm.layout.display == "none" and "まだ提出できません" in panel.error.value


def test_receipts_list_from_the_store_survives_a_reload(rnd: ReviewRound, store: ScoreStore) -> None:
    panel = open_panel(rnd, store)
    assert "まだ提出した応募書はありません" in panel.receipts.value
    fill(panel)
    panel.submit_button.click()
    panel.confirm_yes.click()
    code = store.receipts().set_index("application").loc["01", "receipt"]
    assert f"受領コード <b class='shinsa-receipt'>{code}</b>" in panel.submit_message.value
    for shown in (panel.receipts.value, open_panel(rnd, store).receipts.value):  # a reload: a new kernel
        assert "提出の記録" in shown and f"<code class='shinsa-receipt-code'>{code}</code>" in shown
        assert "01 " in shown and "記録をコピー" in shown and "記録を印刷" in shown
        assert f"\t{code}" in shown  # the plain-text copy (application, time, code)


def test_logout_link_only_under_jupyterhub(rnd: ReviewRound, store: ScoreStore) -> None:
    alone = ReviewApp(rnd, store, reviewer_id="R1", environ={}, poll_interval=0)
    assert "ログアウト" not in alone.widget.children[0].value
    hub = {"JUPYTERHUB_USER": rnd.reviewer("R1").hub_user or "R1", "JUPYTERHUB_BASE_URL": "/shinsa/"}
    app = ReviewApp(rnd, store, environ=hub, poll_interval=0)
    header = app.widget.children[0].value
    assert "href='/shinsa/hub/logout'" in header and ">ログアウト<" in header
    assert "使い方" in header and "変更できません" in header


def test_last_save_time_is_shown_after_a_reload(rnd: ReviewRound, store: ScoreStore) -> None:
    first = open_panel(rnd, store)
    assert "自動保存" in first.saved.value
    first.controls[rnd.rubric.criteria[0].id].buttons[4.0].click()
    again = open_panel(rnd, store)
    assert "保存済み" in again.saved.value and "自動保存" not in again.saved.value


def test_every_score_button_is_named_by_criterion_level_and_anchor(
    rnd: ReviewRound, store: ScoreStore
) -> None:
    panel = open_panel(rnd, store)
    for control in panel.controls.values():
        c = control.criterion
        for level, button in control.buttons.items():
            assert c.label_ja in button.tooltip and c.anchor(level).ja in button.tooltip
            assert f" {button.description}点" in button.tooltip
        assert control.comment.rows == 3 and c.label_ja in control.comment.tooltip
