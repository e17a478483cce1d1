"""A preheated reviewer page (issue 22 item 6): Voilà runs 02 before the visit
(scoring/admin/voila_preheat.py), so the page must take in what the reviewer saved meanwhile
on an earlier page (before a reload), for every application, without the 「別の画面」 notice;
from the reviewer's first action on, it behaves as any page."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from scoring import load_round
from scoring.round.loader import ReviewRound
from scoring.store.scores import ScoreStore
from scoring.ui.review_view import ReviewApp, ReviewPanel

FIRST = "need_pool_gap"


@pytest.fixture(scope="module")
def rnd(tmp_path_factory: pytest.TempPathFactory, demo_round_copier: Callable[[Path], Path]) -> ReviewRound:
    return load_round(demo_round_copier(tmp_path_factory.mktemp("review-preheated")))


@pytest.fixture
def store(rnd: ReviewRound, tmp_path: Path) -> Iterator[ScoreStore]:
    s = ScoreStore.open(rnd, f"sqlite:///{tmp_path / 'scores.sqlite'}")
    yield s
    s.close()


def open_panel(rnd: ReviewRound, store: ScoreStore) -> ReviewPanel:
    app = ReviewApp(rnd, store, reviewer_id="R1", environ={}, comment_delay=0)
    assert app.panel is not None
    return app.panel


def chosen(panel: ReviewPanel, cid: str) -> list[float]:
    return [lv for lv, b in panel.controls[cid].buttons.items() if b.button_style == "primary"]


def test_preheated_page_takes_in_earlier_saves_silently_until_the_first_action(
    rnd: ReviewRound, store: ScoreStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOILA_PREHEAT", "True")
    preheated = open_panel(rnd, store)  # run before the visit
    monkeypatch.delenv("VOILA_PREHEAT")
    earlier = open_panel(rnd, store)  # the page the reviewer is on, before reloading
    earlier.controls[FIRST].buttons[4.0].click()
    second = earlier.session.applications[1]
    earlier.session.go(second)  # and on another application
    earlier.render()
    earlier.controls[FIRST].buttons[2.0].click()
    assert preheated.check_now() is not None
    assert chosen(preheated, FIRST) == [4.0]
    assert preheated.session.progress().text() == earlier.session.progress().text()
    assert preheated.notice.value == ""  # the reviewer's own earlier page is no news
    # After the reviewer's first action the page is like any other: changes elsewhere are said.
    preheated.controls[FIRST].buttons[3.0].click()
    earlier.session.go(preheated.session.current)
    earlier.render()
    earlier.controls[FIRST].buttons[5.0].click()
    assert preheated.check_now() is not None
    assert "別の画面で変更されました" in preheated.notice.value
