"""The reviewer's screen in real use (issue 9 item 4), headless (no browser), real SQLite:
two screens of one reviewer, the store unreachable, a reload, the kernel going away."""

from __future__ import annotations

import asyncio
import json
import math
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from scoring import load_round
from scoring.round.loader import ReviewRound
from scoring.store.scores import ScoreStore
from scoring.ui import review_panel
from scoring.ui.review_view import ReviewApp, ReviewPanel

FIRST, SECOND = "need_pool_gap", "need_support_burden"


@pytest.fixture(scope="module")
def rnd(tmp_path_factory: pytest.TempPathFactory, demo_round_copier: Callable[[Path], Path]) -> ReviewRound:
    return load_round(demo_round_copier(tmp_path_factory.mktemp("review-view-real-use")))


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'scores.sqlite'}"


@pytest.fixture
def store(rnd: ReviewRound, db_url: str) -> Iterator[ScoreStore]:
    s = ScoreStore.open(rnd, db_url)
    yield s
    s.close()


def open_panel(rnd: ReviewRound, store: ScoreStore, **kwargs: Any) -> ReviewPanel:
    kwargs.setdefault("comment_delay", 0)
    app = ReviewApp(rnd, store, reviewer_id="R1", environ={}, **kwargs)
    assert app.panel is not None
    return app.panel


def chosen(panel: ReviewPanel, cid: str) -> list[float]:
    return [lv for lv, b in panel.controls[cid].buttons.items() if b.button_style == "primary"]


def stored(store: ScoreStore, cid: str, app: str = "01") -> list[Any]:
    rows = store.scores().query("reviewer == 'R1' and application == @app and criterion == @cid")
    return [*rows["score"].tolist(), *rows["comment"].tolist()]


# --------------------------------------------------------------------------- two screens


def test_the_other_screen_reloads_and_says_so(rnd: ReviewRound, store: ScoreStore) -> None:
    tab_a, tab_b = open_panel(rnd, store), open_panel(rnd, store)
    assert tab_a.check_now() is None and tab_a.notice.value == ""
    tab_b.controls[FIRST].buttons[4.0].click()
    tab_b.controls[SECOND].comment.value = "別の画面のコメント"
    assert "別の画面" not in tab_b.notice.value  # its own saves are no news
    change = tab_a.check_now()
    assert change is not None and change.criteria == (FIRST, SECOND)
    assert (
        "別の画面で変更されました（" in tab_a.notice.value and "値を読み込み直しました" in tab_a.notice.value
    )
    assert rnd.rubric.criterion(FIRST).label_ja in tab_a.notice.value
    assert "shinsa-notice" in tab_a.notice._dom_classes
    assert chosen(tab_a, FIRST) == [4.0]
    assert tab_a.controls[SECOND].comment.value == "別の画面のコメント"
    assert "1 / " in tab_a.status_count.value  # the status bar follows
    assert tab_a.check_now() is None  # nothing new since
    tab_a.next_button.click()
    assert tab_a.notice.value == ""  # gone with the application


def test_the_last_write_wins_and_the_notice_says_it_overwrote(rnd: ReviewRound, store: ScoreStore) -> None:
    tab_a, tab_b = open_panel(rnd, store), open_panel(rnd, store)
    tab_b.controls[FIRST].buttons[4.0].click()
    tab_a.controls[FIRST].buttons[2.0].click()  # tab A had not seen the 4 yet
    assert stored(store, FIRST) == [2.0, ""]
    assert chosen(tab_a, FIRST) == [2.0]
    assert "別の画面で変更されました" in tab_a.notice.value and "上書きしました" in tab_a.notice.value
    assert "保存済み" in tab_a.saved.value
    tab_b.check_now()
    assert chosen(tab_b, FIRST) == [2.0] and "別の画面で変更されました" in tab_b.notice.value


def test_no_reload_while_a_comment_is_being_typed(rnd: ReviewRound, store: ScoreStore) -> None:
    tab_a = open_panel(rnd, store, comment_delay=60)
    tab_b = open_panel(rnd, store)
    tab_a.controls[FIRST].comment.value = "入力中の文"
    tab_b.controls[FIRST].buttons[3.0].click()
    assert tab_a.check_now() is None and tab_a.controls[FIRST].comment.value == "入力中の文"
    tab_a.controls[FIRST].flush()  # its save wins and reports the change
    assert stored(store, FIRST) == [3.0, "入力中の文"]
    assert "別の画面で変更されました" in tab_a.notice.value and chosen(tab_a, FIRST) == [3.0]


def test_polls_on_the_kernels_event_loop(rnd: ReviewRound, db_url: str, store: ScoreStore) -> None:
    """In a kernel the check runs every ``poll_interval`` seconds on its asyncio loop."""
    seen: dict[str, Any] = {}

    async def two_tabs() -> None:
        s = ScoreStore.open(rnd, db_url)
        try:
            tab_a = open_panel(rnd, s, poll_interval=0.1)
            store.record("R1", "01", FIRST, 5, "別の画面で 5 点")
            await asyncio.sleep(0.6)
            seen["notice"] = "別の画面で変更されました" in tab_a.notice.value
            seen["chosen"] = chosen(tab_a, FIRST)
            tab_a.close()
            seen["closed"] = tab_a._poll_handle is None
        finally:
            s.close()

    t = threading.Thread(target=asyncio.run, args=(two_tabs(),))
    t.start()
    t.join(20)
    assert seen == {"notice": True, "chosen": [5.0], "closed": True}


def test_polling_pauses_on_an_idle_page_and_resumes_on_the_next_click(
    rnd: ReviewRound, db_url: str, store: ScoreStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page closed without telling the kernel must not poll the database for ever."""
    monkeypatch.setattr(review_panel, "POLL_IDLE_LIMIT", 0.3)
    seen: dict[str, Any] = {}

    async def idle_then_back() -> None:
        s = ScoreStore.open(rnd, db_url)
        try:
            tab_a = open_panel(rnd, s, poll_interval=0.1)
            await asyncio.sleep(0.8)
            seen["paused"] = tab_a._poll_handle is None
            store.record("R1", "01", FIRST, 5)
            await asyncio.sleep(0.3)
            seen["unnoticed"] = tab_a.notice.value == ""
            tab_a.controls[SECOND].buttons[2.0].click()  # back at work: its save reloads, polling resumes
            seen["noticed"] = "別の画面で変更されました" in tab_a.notice.value and chosen(tab_a, FIRST) == [
                5.0
            ]
            seen["polling"] = tab_a._poll_handle is not None
            tab_a.close()
        finally:
            s.close()

    t = threading.Thread(target=asyncio.run, args=(idle_then_back(),))
    t.start()
    t.join(20)
    assert seen == {"paused": True, "unnoticed": True, "noticed": True, "polling": True}


# --------------------------------------------------------------------------- the store unreachable


def test_unreachable_store_shows_unsaved_keeps_the_values_and_retries(
    rnd: ReviewRound, db_url: str, store: ScoreStore, sqlite_locked: Callable[[str], Any]
) -> None:
    panel = open_panel(rnd, store)
    panel.controls[FIRST].buttons[3.0].click()
    with sqlite_locked(db_url):
        panel.controls[FIRST].buttons[5.0].click()
        panel.controls[FIRST].comment.value = "5点の理由"
        assert "未保存（接続を再試行中…）" in panel.saved.value and "shinsa-unsaved" in panel.saved.value
        assert "2 件" not in panel.saved.value and "1 件" in panel.saved.value  # one criterion waits
        assert "まだ保存されていません" in panel.error.value and "自動で保存されます" in panel.error.value
        assert chosen(panel, FIRST) == [5.0]  # what was entered stays
        assert panel.controls[FIRST].comment.value == "5点の理由"
        assert stored(store, FIRST) == [3.0, ""]
        assert panel.check_now() is None  # no reload over unsaved values
        assert panel.retry_now() is False and "未保存（接続を再試行中…）" in panel.saved.value
    assert panel.retry_now() is True
    assert stored(store, FIRST) == [5.0, "5点の理由"]
    assert "保存済み" in panel.saved.value and panel.error.value == ""
    assert chosen(panel, FIRST) == [5.0]


def test_values_not_saved_survive_a_new_kernel(
    rnd: ReviewRound, db_url: str, store: ScoreStore, sqlite_locked: Callable[[str], Any], tmp_path: Path
) -> None:
    state = tmp_path / "review_state.json"
    with sqlite_locked(db_url):
        panel = open_panel(rnd, store, state_path=state)
        panel.controls[FIRST].buttons[4.0].click()
        panel.controls[FIRST].comment.value = "接続が切れている間に書いた"
        assert panel.session.has_unsaved
        # The page is reloaded, or the kernel dies: a new one takes the values back.
        again = open_panel(rnd, store, state_path=state)
        assert "未保存（接続を再試行中…）" in again.saved.value
        assert chosen(again, FIRST) == [4.0]
        assert again.controls[FIRST].comment.value == "接続が切れている間に書いた"
        panel.close()
    assert again.retry_now() is True
    assert stored(store, FIRST) == [4.0, "接続が切れている間に書いた"]
    assert "保存済み" in again.saved.value
    assert (
        json.loads(state.read_text(encoding="utf-8"))["rounds"][str(rnd.path.resolve())]["R1"]["unsaved"]
        == []
    )


def test_a_kept_value_that_can_no_longer_be_saved_is_reported_and_the_others_saved(
    rnd: ReviewRound, store: ScoreStore, tmp_path: Path
) -> None:
    from scoring.review.state import ReviewState

    state_path = tmp_path / "review_state.json"
    for c in rnd.rubric.criteria:  # 01 is submitted meanwhile (another screen)
        store.record("R1", "01", c.id, 3)
    store.submit("R1", "01")
    ReviewState(rnd.path, state_path).set_unsaved(
        "R1",
        [
            {"application": "01", "criterion": FIRST, "score": 4.0, "comment": ""},
            {"application": "02", "criterion": FIRST, "score": 2.0, "comment": "残っていた値"},
        ],
    )
    panel = open_panel(rnd, store, state_path=state_path)
    assert "未保存（接続を再試行中…）" in panel.saved.value and "2 件" in panel.saved.value
    assert panel.retry_now() is None  # shown, not raised
    assert "提出済み" in panel.error.value and "1 件" in panel.saved.value  # the other still waits
    assert panel.session.unsaved_rows() == [
        {"application": "02", "criterion": FIRST, "score": 2.0, "comment": "残っていた値", "to_applicant": ""}
    ]
    assert ReviewState(rnd.path, state_path).unsaved("R1") == panel.session.unsaved_rows()
    assert panel.retry_now() is True
    assert stored(store, FIRST, "02") == [2.0, "残っていた値"] and stored(store, FIRST, "01") == [3.0, ""]
    assert "保存済み" in panel.saved.value and ReviewState(rnd.path, state_path).unsaved("R1") == []


def test_retries_by_themselves_on_the_kernels_event_loop(
    rnd: ReviewRound, db_url: str, monkeypatch: pytest.MonkeyPatch, sqlite_locked: Callable[[str], Any]
) -> None:
    monkeypatch.setattr(review_panel, "RETRY_DELAYS", (0.1, 0.2))
    seen: dict[str, Any] = {}

    async def offline_then_back() -> None:
        s = ScoreStore.open(rnd, db_url)
        try:
            panel = open_panel(rnd, s, poll_interval=0)
            with sqlite_locked(db_url):
                panel.controls[FIRST].buttons[4.0].click()
                seen["during"] = "未保存（接続を再試行中…）" in panel.saved.value
                await asyncio.sleep(0.7)  # retries fail while locked
                seen["still"] = "未保存（接続を再試行中…）" in panel.saved.value
            await asyncio.sleep(1.0)
            seen["after"] = "保存済み" in panel.saved.value
            seen["stored"] = stored(s, FIRST)
        finally:
            s.close()

    t = threading.Thread(target=asyncio.run, args=(offline_then_back(),))
    t.start()
    t.join(30)
    assert seen == {"during": True, "still": True, "after": True, "stored": [4.0, ""]}


def test_a_refused_save_is_still_an_error_not_a_retry(rnd: ReviewRound, store: ScoreStore) -> None:
    panel = open_panel(rnd, store)
    for c in rnd.rubric.criteria:
        store.record("R1", "01", c.id, 3)
    store.submit("R1", "01")
    panel.controls[FIRST].buttons[1.0].click()
    assert "提出済み" in panel.error.value and "エラー" in panel.saved.value
    assert "接続を再試行中" not in panel.saved.value and not panel.session.has_unsaved


# --------------------------------------------------------------------------- reload, kernel exit


def test_a_new_kernel_reopens_the_last_application(
    rnd: ReviewRound, store: ScoreStore, tmp_path: Path
) -> None:
    state = tmp_path / "home" / "review_state.json"
    first = open_panel(rnd, store, state_path=state)
    assert first.session.current == "01"
    first.next_button.click()
    first.next_button.click()
    third = first.session.current
    first.controls[FIRST].buttons[2.0].click()
    first.controls[FIRST].comment.value = "再読み込み前のコメント"
    first.close()
    again = open_panel(rnd, store, state_path=state)  # what a reload in Voilà does
    assert again.session.current == third != "01"
    assert chosen(again, FIRST) == [2.0] and again.controls[FIRST].comment.value == "再読み込み前のコメント"
    again.jump.value = "20"
    assert open_panel(rnd, store, state_path=state).session.current == "20"
    # Another reviewer, or another state file, starts at the first open application.
    assert open_panel(rnd, store, state_path=tmp_path / "other.json").session.current == "01"


def test_kernel_exit_saves_the_comment_still_waiting(rnd: ReviewRound, store: ScoreStore) -> None:
    panel = open_panel(rnd, store, comment_delay=60)
    panel.controls[FIRST].comment.value = "閉じる直前に書いた"
    assert stored(store, FIRST) == []
    review_panel._save_on_exit()  # what atexit runs when the kernel stops
    score, comment = stored(store, FIRST)
    assert math.isnan(score) and comment == "閉じる直前に書いた"  # no score (NaN), the comment
    assert not panel.controls[FIRST].pending


def test_a_kernel_shut_down_saves_the_comment_still_waiting(
    rnd: ReviewRound, db_url: str, store: ScoreStore, tmp_path: Path
) -> None:
    """A real kernel (ipykernel) with a comment waiting 60 s for its save is shut down the
    way Jupyter does (shutdown_request): the comment is in the store afterwards."""
    from jupyter_client.manager import start_new_kernel

    code = f"""
from scoring import load_round
from scoring.store.scores import ScoreStore
from scoring.ui.review_view import ReviewApp
rnd = load_round({str(rnd.path)!r})
app = ReviewApp(rnd, ScoreStore.open(rnd, {db_url!r}), reviewer_id="R1", environ={{}}, comment_delay=60)
control = app.panel.controls[{FIRST!r}]
control.comment.value = "カーネル終了の直前に書いた"
assert control.pending
"""
    km, kc = start_new_kernel(kernel_name="python3", cwd=str(tmp_path))
    try:
        reply = kc.execute_interactive(code, timeout=120)
        assert reply["content"]["status"] == "ok", reply["content"]
        assert stored(store, FIRST) == []  # still waiting for the debounce
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
    score, comment = stored(store, FIRST)
    assert math.isnan(score) and comment == "カーネル終了の直前に書いた"
