"""申請者への所見 in the reviewer's app model (scoring.review.session): saved with the score through the
same save, reloaded from the store, kept by every save that does not touch it (one entered in the
Excel 採点表 included), locked after 提出, kept across a reload while the store is unreachable."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from scoring import load_round
from scoring.core.errors import ReviewError
from scoring.review.session import ReviewSession, ScoreEntry
from scoring.review.state import ReviewState
from scoring.round.loader import ReviewRound
from scoring.store.scores import ScoreStore

FIRST = "need_pool_gap"


@pytest.fixture(scope="module")
def rnd(tmp_path_factory: pytest.TempPathFactory, demo_round_copier: Callable[[Path], Path]) -> ReviewRound:
    return load_round(demo_round_copier(tmp_path_factory.mktemp("review-notes")))


@pytest.fixture
def store(rnd: ReviewRound, tmp_path: Path) -> Iterator[ScoreStore]:
    s = ScoreStore.open(rnd, f"sqlite:///{tmp_path / 'scores.sqlite'}")
    yield s
    s.close()


def notes(store: ScoreStore) -> dict[tuple[str, str], str]:
    """R1's 所見 as the letters read them (drafts included)."""
    frame = store.applicant_notes(include_drafts=True)
    return {(r.application, r.criterion): r.to_applicant for r in frame.itertuples() if r.reviewer == "R1"}


def test_a_save_from_the_app_keeps_the_note_entered_in_excel(rnd: ReviewRound, store: ScoreStore) -> None:
    """Fails before the app knew the 所見: its save passed none, and so cleared it."""
    store.record("R1", "01", FIRST, 3, "Excel のコメント", to_applicant="Excel で書いた所見", source="excel")
    s = ReviewSession(rnd, store, "R1")
    s.set_score(FIRST, 4, "01")
    assert notes(store) == {("01", FIRST): "Excel で書いた所見"}  # main: {} (the save cleared it)
    s.set_comment(FIRST, "アプリで直したコメント", "01")
    assert notes(store) == {("01", FIRST): "Excel で書いた所見"}
    assert s.entry(FIRST, "01") == ScoreEntry(4.0, "アプリで直したコメント", "Excel で書いた所見")


def test_the_note_is_saved_with_the_score_and_comes_back_on_reload(
    rnd: ReviewRound, store: ScoreStore
) -> None:
    s = ReviewSession(rnd, store, "R1")
    s.set_score(FIRST, 4)
    s.set_comment(FIRST, "委員会向けのメモ")
    at = s.set_to_applicant(FIRST, "  人材の確保計画が具体的です。\n ")
    assert at is not None and at == s.last_saved_at
    assert s.entry(FIRST) == ScoreEntry(4.0, "委員会向けのメモ", "人材の確保計画が具体的です。")
    row = store.scores().iloc[0]
    assert (row["score"], row["comment"], row["source"]) == (4.0, "委員会向けのメモ", "widget")
    assert notes(store) == {("01", FIRST): "人材の確保計画が具体的です。"}
    n = len(store.events())
    assert s.set_to_applicant(FIRST, "人材の確保計画が具体的です。 ") is None  # unchanged: nothing written
    assert len(store.events()) == n
    again = ReviewSession(rnd, store, "R1")  # a reload (a new kernel)
    assert again.entry(FIRST, "01") == ScoreEntry(4.0, "委員会向けのメモ", "人材の確保計画が具体的です。")
    # a 所見 alone (no score, no comment yet) is a cell too
    s.set_to_applicant("theme_fit", "テーマとの関係が明確です。", "02")
    assert ReviewSession(rnd, store, "R1").entry("theme_fit", "02") == ScoreEntry(
        None, "", "テーマとの関係が明確です。"
    )
    s.set_to_applicant(FIRST, "")  # cleared on purpose
    assert ("01", FIRST) not in notes(store)


def test_a_note_saved_in_another_tab_is_picked_up_and_kept(rnd: ReviewRound, store: ScoreStore) -> None:
    s = ReviewSession(rnd, store, "R1")
    s.set_score(FIRST, 2)
    store.record("R1", "01", FIRST, 2, "", to_applicant="別のタブの所見")  # R1's other tab
    change = s.check_changes()
    assert change is not None and change.criteria == (FIRST,)
    assert s.entry(FIRST).to_applicant == "別のタブの所見"
    s.set_comment(FIRST, "2点の理由")
    assert notes(store) == {("01", FIRST): "別のタブの所見"}


def test_the_note_is_locked_after_submission(rnd: ReviewRound, store: ScoreStore) -> None:
    s = ReviewSession(rnd, store, "R1")
    for c in s.criteria:
        s.set_score(c.id, 3)
    s.set_to_applicant(FIRST, "提出前の所見")
    s.submit()
    with pytest.raises(ReviewError, match="提出済み"):
        s.set_to_applicant(FIRST, "提出後の書き換え")
    assert notes(store) == {("01", FIRST): "提出前の所見"}
    assert ReviewSession(rnd, store, "R1").entry(FIRST, "01").to_applicant == "提出前の所見"


def test_unsaved_notes_survive_a_reload_through_the_state_file(
    rnd: ReviewRound, store: ScoreStore, tmp_path: Path
) -> None:
    s = ReviewSession(rnd, store, "R1")
    s.unsaved[("01", FIRST)] = ScoreEntry(3.0, "", "保存できなかった所見")
    state = ReviewState(rnd.path, tmp_path / "state.json")
    assert state.set_unsaved("R1", s.unsaved_rows())
    rows = state.unsaved("R1")
    assert rows[0]["to_applicant"] == "保存できなかった所見"
    again = ReviewSession(rnd, store, "R1")
    assert again.restore_unsaved(rows) == 1 and again.retry_unsaved() == 1
    assert notes(store) == {("01", FIRST): "保存できなかった所見"}
    # a state file written before the 所見 (rows without the key) still reads
    old = [{"application": "01", "criterion": FIRST, "score": 4.0, "comment": ""}]
    assert state.set_unsaved("R1", old) and state.unsaved("R1")[0]["to_applicant"] == ""
