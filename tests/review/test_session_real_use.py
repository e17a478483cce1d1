"""The reviewer's session in real use (issue 9 item 4), on real stores, no browser:

* two screens (tabs) of one reviewer: a change made in one is noticed and reloaded in the
  other, before every save and when polled; the last write wins and says so;
* the store unreachable (a SQLite database locked by another writer, a PostgreSQL
  connection dropped and refused): the value is kept unsaved, nothing is written, and
  :meth:`ReviewSession.retry_unsaved` saves everything once the store answers;
* where the reviewer left off (:class:`scoring.review.state.ReviewState`).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from scoring import load_round
from scoring.core.errors import ReviewError, StoreError, StoreUnavailableError
from scoring.review.session import ExternalChange, ReviewSession, ScoreEntry
from scoring.review.state import ReviewState, default_state_path
from scoring.round.loader import ReviewRound
from scoring.store.scores import NO_EVENTS, ScoreStore

FIRST, SECOND = "need_pool_gap", "need_support_burden"


@pytest.fixture(scope="module")
def rnd(tmp_path_factory: pytest.TempPathFactory, demo_round_copier: Callable[[Path], Path]) -> ReviewRound:
    return load_round(demo_round_copier(tmp_path_factory.mktemp("review-real-use")))


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'scores.sqlite'}"


@pytest.fixture
def store(rnd: ReviewRound, db_url: str) -> Iterator[ScoreStore]:
    s = ScoreStore.open(rnd, db_url)
    yield s
    s.close()


def cell(store: ScoreStore, application: str, criterion: str, reviewer: str = "R1") -> tuple[Any, str] | None:
    rows = store.scores().query(
        "reviewer == @reviewer and application == @application and criterion == @criterion"
    )
    if rows.empty:
        return None
    score = rows["score"].iloc[0]
    return (None if math.isnan(score) else float(score)), str(rows["comment"].iloc[0])


def complete(session: ReviewSession, level: float = 3) -> None:
    for c in session.criteria:
        session.set_score(c.id, level)
        if c.comment_required(level):
            session.set_comment(c.id, f"{c.label_ja}の理由")


def test_criteria_used_here_exist(rnd: ReviewRound) -> None:
    ids = [c.id for c in rnd.rubric.criteria]
    assert FIRST in ids and SECOND in ids


# --------------------------------------------------------------------------- the store's pair versions


def test_pair_versions_change_with_every_event_of_the_pair_only(store: ScoreStore) -> None:
    assert store.pair_versions("R1") == {}
    store.record("R1", "01", FIRST, 3)
    v1 = store.pair_versions("R1")["01"]
    assert v1.events == 1 and v1.last_id == 1 and len(v1.last_hash) == 64
    store.record("R2", "01", FIRST, 4)  # another reviewer: not R1's pair
    store.record("R1", "02", FIRST, 4)  # another application
    assert store.pair_versions("R1", "01") == {"01": v1}
    assert set(store.pair_versions("R1")) == {"01", "02"}
    store.record("R1", "01", FIRST, 3)  # the same value again is still a new event
    v2 = store.pair_versions("R1", "01")["01"]
    assert v2.events == 2 and v2.last_id == 4 and v2.last_hash != v1.last_hash
    assert store.pair_versions("R1", "03").get("03", NO_EVENTS) == NO_EVENTS
    assert store.pair_cells("R1", "01") == {FIRST: (3.0, "")}
    store.record("R1", "01", SECOND, None, "コメントだけ")
    assert store.pair_cells("R1", "01") == {FIRST: (3.0, ""), SECOND: (None, "コメントだけ")}


# --------------------------------------------------------------------------- two screens


def two_screens(rnd: ReviewRound, store: ScoreStore) -> tuple[ReviewSession, ReviewSession]:
    return ReviewSession(rnd, store, "R1"), ReviewSession(rnd, store, "R1")


def test_a_change_in_the_other_screen_is_noticed_and_reloaded(rnd: ReviewRound, store: ScoreStore) -> None:
    tab_a, tab_b = two_screens(rnd, store)
    assert tab_a.check_changes() is None
    tab_b.set_score(FIRST, 4)
    tab_b.set_comment(SECOND, "別タブのコメント")
    change = tab_a.check_changes()
    assert isinstance(change, ExternalChange)
    assert change.application == "01" and change.criteria == (FIRST, SECOND) and change.overwritten == ()
    assert change.status_changed  # 未着手 → 下書き
    assert tab_a.last_change == change
    assert tab_a.entry(FIRST) == ScoreEntry(4.0, "") and tab_a.entry(SECOND) == ScoreEntry(
        None, "別タブのコメント"
    )
    assert tab_a.status() == "下書き"
    assert tab_a.check_changes() is None  # reloaded: nothing new
    # Its own saves are not reported as changes made elsewhere.
    tab_a.last_change = None
    tab_a.set_score(FIRST, 2)
    assert tab_a.last_change is None and tab_a.check_changes() is None
    assert tab_b.check_changes() is not None and tab_b.entry(FIRST).score == 2.0


def test_the_last_write_wins_and_says_what_it_overwrote(rnd: ReviewRound, store: ScoreStore) -> None:
    tab_a, tab_b = two_screens(rnd, store)
    tab_b.set_score(FIRST, 4)  # tab A still shows nothing
    tab_b.set_score(SECOND, 5)
    assert tab_a.set_score(FIRST, 2) is not None  # saved anyway
    assert cell(store, "01", FIRST) == (2.0, "")
    change = tab_a.last_change
    assert change is not None and change.overwritten == (FIRST,) and change.criteria == (FIRST, SECOND)
    assert tab_a.entry(SECOND).score == 5.0  # the other criterion was reloaded
    # A click on the value the other screen already saved writes nothing but reloads.
    tab_b.set_score(SECOND, 3)
    tab_a.last_change = None
    assert tab_a.set_score(SECOND, 3) is None
    assert tab_a.last_change is not None and tab_a.last_change.overwritten == ()
    assert len(store.events()) == 4


def test_a_write_between_the_check_and_the_save_is_still_noticed(
    rnd: ReviewRound, db_url: str, store: ScoreStore
) -> None:
    other = ScoreStore.open(rnd, db_url)  # tab A's own connection
    try:
        tab_a, tab_b = ReviewSession(rnd, other, "R1"), ReviewSession(rnd, store, "R1")
        real_record = other.record

        def record_after_the_other_tab(*args: Any, **kwargs: Any) -> int:
            tab_b.set_score(SECOND, 5)  # lands after tab A's check, before its write
            return real_record(*args, **kwargs)

        other.record = record_after_the_other_tab  # type: ignore[method-assign]
        tab_a.set_score(FIRST, 2)
        other.record = real_record  # type: ignore[method-assign]
        assert tab_a.last_change is None and tab_a.entry(SECOND).score is None
        change = tab_a.check_changes()
        assert change is not None and change.criteria == (SECOND,)
        assert tab_a.entry(SECOND).score == 5.0 and tab_a.entry(FIRST).score == 2.0
    finally:
        other.close()


def test_submitted_in_the_other_screen(rnd: ReviewRound, store: ScoreStore) -> None:
    tab_a, tab_b = two_screens(rnd, store)
    complete(tab_b)
    tab_b.submit()
    with pytest.raises(ReviewError, match="提出済み"):
        tab_a.set_score(FIRST, 1)
    assert tab_a.status() == "提出済" and tab_a.last_change is None
    assert tab_a.entry(FIRST).score == 3.0 and tab_a.unsaved == {}
    with pytest.raises(ReviewError, match="提出済み"):
        tab_a.submit()


# --------------------------------------------------------------------------- the store unreachable


def test_locked_sqlite_keeps_the_values_unsaved_and_retries(
    rnd: ReviewRound, db_url: str, store: ScoreStore, sqlite_locked: Callable[[str], Any]
) -> None:
    s = ReviewSession(rnd, store, "R1")
    s.set_score(FIRST, 3)
    with sqlite_locked(db_url):
        with pytest.raises(StoreUnavailableError, match="書き込めませんでした"):
            s.set_score(FIRST, 5)
        with pytest.raises(StoreUnavailableError):
            s.set_comment(FIRST, "5点の理由")
        with pytest.raises(StoreUnavailableError):
            s.set_score(SECOND, 2)
        # On screen: what was entered; in the store: nothing of it.
        assert s.entry(FIRST) == ScoreEntry(5.0, "5点の理由") and s.entry(SECOND) == ScoreEntry(2.0, "")
        assert s.saved_entry(FIRST) == ScoreEntry(3.0, "") and s.has_unsaved
        assert list(s.unsaved) == [("01", FIRST), ("01", SECOND)]
        assert s.missing() and not any("need_pool_gap" in m for m in s.missing())
        with pytest.raises(StoreUnavailableError):
            s.retry_unsaved()
        with pytest.raises(StoreUnavailableError):
            s.submit()
        assert cell(store, "01", FIRST) == (3.0, "") and cell(store, "01", SECOND) is None
    assert s.retry_unsaved() == 2
    assert not s.has_unsaved and s.last_change is None
    assert cell(store, "01", FIRST) == (5.0, "5点の理由") and cell(store, "01", SECOND) == (2.0, "")
    assert s.entry(FIRST) == s.saved_entry(FIRST) == ScoreEntry(5.0, "5点の理由")
    assert s.retry_unsaved() == 0


def test_a_value_that_can_no_longer_be_saved_is_dropped_with_the_reason(
    rnd: ReviewRound, db_url: str, store: ScoreStore, sqlite_locked: Callable[[str], Any]
) -> None:
    tab_a, tab_b = two_screens(rnd, store)
    complete(tab_a)
    with sqlite_locked(db_url), pytest.raises(StoreUnavailableError):
        tab_a.set_score(FIRST, 4)
    tab_b.refresh()
    tab_b.submit()  # meanwhile the other screen submits
    with pytest.raises(ReviewError, match="提出済み"):
        tab_a.retry_unsaved()
    assert not tab_a.has_unsaved and tab_a.entry(FIRST).score == 3.0


def test_postgres_connection_dropped_then_back(
    rnd: ReviewRound, pg_database: tuple[str, Callable[[bool], None]]
) -> None:
    url, cut = pg_database
    with ScoreStore.open(rnd, url) as store:
        s = ReviewSession(rnd, store, "R1")
        s.set_score(FIRST, 3)
        cut(True)
        with pytest.raises(StoreUnavailableError) as info:
            s.set_score(FIRST, 4)
        assert isinstance(info.value, StoreError) and "採点データベース" in str(info.value)
        assert s.entry(FIRST).score == 4.0 and s.has_unsaved
        with pytest.raises(StoreUnavailableError):
            s.retry_unsaved()
        cut(False)
        assert s.retry_unsaved() == 1
        assert cell(store, "01", FIRST) == (4.0, "") and not s.has_unsaved
        assert store.verify().empty and len(store.events()) == 2


# --------------------------------------------------------------------------- where the reviewer left off


def test_state_is_remembered_per_round_and_reviewer(tmp_path: Path) -> None:
    path = tmp_path / "home" / ".shinsa" / "review_state.json"
    a = ReviewState(tmp_path / "round-a", path)
    assert a.get("R1") is None
    assert a.set("R1", "13") and a.set("R2", "02")
    assert ReviewState(tmp_path / "round-a", path).get("R1") == "13"
    assert ReviewState(tmp_path / "round-a" / ".." / "round-a", path).get("R2") == "02"
    assert ReviewState(tmp_path / "round-b", path).get("R1") is None
    data = json.loads(path.read_text(encoding="utf-8"))
    assert (
        data["version"] == 1
        and data["rounds"][str((tmp_path / "round-a").resolve())]["R1"]["application"] == "13"
    )
    dt.datetime.fromisoformat(data["rounds"][str((tmp_path / "round-a").resolve())]["R1"]["updated_at"])
    assert [p.name for p in path.parent.iterdir()] == ["review_state.json"]  # no temp file left


def test_a_broken_or_unwritable_state_file_never_stops_scoring(tmp_path: Path) -> None:
    path = tmp_path / "review_state.json"
    path.write_text("{これは JSON ではない", encoding="utf-8")
    last = ReviewState(tmp_path, path)
    assert last.get("R1") is None
    assert last.set("R1", "01") and last.get("R1") == "01"  # replaced by a good file
    path.write_text(
        json.dumps({"version": 1, "rounds": {str(tmp_path.resolve()): {"R1": "01"}}}), encoding="utf-8"
    )
    assert last.get("R1") is None
    blocked = ReviewState(tmp_path, tmp_path / "a-file" / "review_state.json")
    (tmp_path / "a-file").write_text("", encoding="utf-8")  # its folder cannot be made
    assert blocked.set("R1", "01") is False and blocked.get("R1") is None


def test_unsaved_values_are_kept_in_the_state_file_and_taken_back(
    rnd: ReviewRound, store: ScoreStore, tmp_path: Path
) -> None:
    state = ReviewState(rnd.path, tmp_path / "review_state.json")
    rows = [
        {"application": "02", "criterion": FIRST, "score": 4.0, "comment": "理由", "to_applicant": ""},
        {
            "application": "02",
            "criterion": SECOND,
            "score": None,
            "comment": "コメントだけ",
            "to_applicant": "",
        },
    ]
    assert state.set("R1", "02") and state.set_unsaved("R1", rows)
    assert state.get("R1") == "02" and state.unsaved("R1") == rows and state.unsaved("R2") == []
    # What a broken or hostile file may hold is left out.
    bad = [
        *rows,
        {"application": "02", "criterion": FIRST, "score": "4"},
        "x",
        {"application": "02", "criterion": FIRST, "score": True, "comment": ""},
    ]
    raw = json.loads(state.path.read_text(encoding="utf-8"))
    raw["rounds"][state.round_key]["R1"]["unsaved"] = bad
    state.path.write_text(json.dumps(raw), encoding="utf-8")
    assert state.unsaved("R1") == rows
    s = ReviewSession(rnd, store, "R1")
    extra = [
        {"application": "99", "criterion": FIRST, "score": 3.0, "comment": ""},  # not an application
        {"application": "02", "criterion": "nope", "score": 3.0, "comment": ""},  # not a criterion
        {"application": "02", "criterion": FIRST, "score": 2.5, "comment": ""},
    ]  # off the scale
    assert s.restore_unsaved(state.unsaved("R1") + extra) == 2
    assert s.entry(FIRST, "02") == ScoreEntry(4.0, "理由") and s.unsaved_rows() == rows
    assert store.scores().empty  # taken back, not yet saved
    assert s.retry_unsaved() == 2 and cell(store, "02", SECOND) == (None, "コメントだけ")
    assert state.set_unsaved("R1", []) and state.unsaved("R1") == [] and state.get("R1") == "02"


def test_default_state_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SHINSA_STATE_FILE", str(tmp_path / "x.json"))
    assert default_state_path() == tmp_path / "x.json"
    monkeypatch.delenv("SHINSA_STATE_FILE")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_state_path() == tmp_path / ".shinsa" / "review_state.json"
