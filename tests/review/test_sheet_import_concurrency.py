"""Issue 18 item 8: the 採点表 import rechecks the store under the write lock (compare-and-swap).

Real concurrency on SQLite and PostgreSQL: each writer has its own store (own engine and
connections) and runs in its own thread. The interleaving is forced, not left to chance: a
hook placed between the import's check and its write (a wrapper of ``record_many``) lets the
other writer in there, so the old code (check outside the write transaction) fails every
time, not once in three.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from roundcopy import copy_demo_round

from scoring.core.errors import StoreConflictError
from scoring.review.sheet_import import import_sheets
from scoring.review.sheets import FIRST_ROW, SCORE_SHEET, export_sheet, reviewer_applications, sheet_columns
from scoring.round.loader import ReviewRound, load_round
from scoring.store.scores import ScoreStore

REVIEWER = "R1"


@pytest.fixture(scope="module")
def rnd(tmp_path_factory: pytest.TempPathFactory) -> ReviewRound:
    return load_round(copy_demo_round(tmp_path_factory.mktemp("cas")))


@pytest.fixture
def stores(rnd: ReviewRound, store_url: str) -> Iterator[Callable[[], ScoreStore]]:
    """Open as many stores of one database as a test needs (each its own engine); closed after."""
    opened: list[ScoreStore] = []

    def open_one() -> ScoreStore:
        s = ScoreStore.open(rnd, store_url)
        opened.append(s)
        return s

    yield open_one
    for s in opened:
        s.close()


def _levels(rnd: ReviewRound) -> tuple[Any, Any, Any]:
    crit = rnd.rubric.criteria[0]
    plain = [lv for lv in crit.levels if not crit.comment_required(lv)]
    return crit, plain[0], plain[1]


def _score_column(rnd: ReviewRound, crit: Any) -> str:
    keys = [c.key for c in sheet_columns(rnd.rubric)]
    return openpyxl.utils.get_column_letter(keys.index(f"score:{crit.id}") + 1)


def _sheet(rnd: ReviewRound, path: Path, app: str, crit: Any, level: Any) -> Path:
    """R1's exported 採点表 with one score filled in (as the reviewer would)."""
    export_sheet(rnd, REVIEWER, path)
    wb = openpyxl.load_workbook(path)
    ws = wb[SCORE_SHEET]
    row = next(r for r in range(FIRST_ROW, ws.max_row + 1) if ws[f"A{r}"].value == app)
    ws[f"{_score_column(rnd, crit)}{row}"] = level
    wb.save(path)
    return path


def _in_thread(fn: Callable[[], Any]) -> Any:
    """Run ``fn`` in a thread of its own (its own connection) and return what it returned."""
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["value"] = fn()
        except Exception as e:  # noqa: BLE001 - handed to the test's thread
            out["error"] = e

    t = threading.Thread(target=run)
    t.start()
    t.join(timeout=120)
    assert not t.is_alive(), "the other writer hung"
    if "error" in out:
        raise out["error"]
    return out.get("value")


def _score(store: ScoreStore, app: str, crit: str) -> float:
    s = store.scores().set_index(["application", "criterion"])
    return float(s.loc[(app, crit), "score"])


def test_reviewer_save_between_check_and_write_is_reported_not_overwritten(
    rnd: ReviewRound, stores: Callable[[], ScoreStore], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = reviewer_applications(rnd, REVIEWER)[0]
    crit, sheet_level, app_level = _levels(rnd)
    analyst, reviewer = stores(), stores()
    sheet = _sheet(rnd, tmp_path / "r1.xlsx", app, crit, sheet_level)

    original = ScoreStore.record_many

    def hook(self: ScoreStore, *args: Any, **kwargs: Any) -> int:
        # The import has checked the store: the reviewer saves now, from their own session.
        _in_thread(lambda: reviewer.record(REVIEWER, app, crit.id, app_level, "", source="widget"))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ScoreStore, "record_many", hook)
    report = import_sheets(rnd, [sheet], analyst)
    monkeypatch.setattr(ScoreStore, "record_many", original)

    assert _score(analyst, app, crit.id) == float(app_level), "the reviewer's save was overwritten"
    assert report.attrs["status"] == {str(sheet): "conflict"}
    assert report.attrs["imported"] == {str(sheet): 0}
    errs = report[report["severity"] == "error"]
    assert len(errs) == 1 and errs["sheet"].iloc[0] == SCORE_SHEET
    msg = errs["message"].iloc[0]
    assert f"審査員 {REVIEWER}" in msg and f"応募 {app}" in msg and "採点画面での保存" in msg
    assert "何も記録していません" in msg and errs["action"].iloc[0]
    assert len(analyst.events()) == 1  # only the reviewer's save

    # Imported again, the change is seen at planning time: a conflict cell, as for any newer save.
    again = import_sheets(rnd, [sheet], analyst)
    assert again.attrs["status"] == {str(sheet): "conflict"}
    cell = _score_column(rnd, crit)
    assert again.attrs["conflicts"]["cell"].str.startswith(cell).all()


def test_two_concurrent_imports_one_wins_the_other_is_reported(
    rnd: ReviewRound, stores: Callable[[], ScoreStore], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = reviewer_applications(rnd, REVIEWER)[0]
    crit, a_level, b_level = _levels(rnd)
    sheets = [
        _sheet(rnd, tmp_path / "a.xlsx", app, crit, a_level),
        _sheet(rnd, tmp_path / "b.xlsx", app, crit, b_level),
    ]
    both_checked = threading.Barrier(2, timeout=60)
    original = ScoreStore.record_many

    def hook(self: ScoreStore, *args: Any, **kwargs: Any) -> int:
        both_checked.wait()  # each import has read the store and planned; now both write
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ScoreStore, "record_many", hook)
    results: dict[int, pd.DataFrame] = {}
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            results[i] = import_sheets(rnd, [sheets[i]], stores())
        except Exception as e:  # noqa: BLE001 - reported by the test's thread
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    monkeypatch.setattr(ScoreStore, "record_many", original)
    assert not errors, errors
    states = sorted(results[i].attrs["status"][str(sheets[i])] for i in range(2))
    assert states == ["conflict", "imported"], states
    loser = next(i for i in range(2) if results[i].attrs["status"][str(sheets[i])] == "conflict")
    winner = 1 - loser
    bad = results[loser]
    msg = bad[bad["severity"] == "error"]["message"].iloc[0]
    assert "採点表の取り込み" in msg and f"応募 {app}" in msg
    check = stores()
    assert _score(check, app, crit.id) == float((a_level, b_level)[winner])
    assert len(check.events()) == 1


def test_record_many_compare_and_swap(rnd: ReviewRound, stores: Callable[[], ScoreStore]) -> None:
    """The store's own check: a stale ``expected`` refuses the whole write, a fresh one writes."""
    app = reviewer_applications(rnd, REVIEWER)[0]
    crit, one, two = _levels(rnd)
    store = stores()
    row = {"reviewer": REVIEWER, "application": app, "criterion": crit.id, "score": one, "comment": ""}
    assert store.record_many([row], source="widget", expected={}) == 1
    first = store.pair_versions(REVIEWER)[app].last_id
    with pytest.raises(StoreConflictError, match=f"応募 {app}"):
        store.record_many([{**row, "score": two}], source="widget", expected={})  # planned before the save
    store.record_many([{**row, "score": two}], source="widget", expected={(REVIEWER, app): first})
    assert _score(store, app, crit.id) == float(two)
    assert len(store.events()) == 2


def test_the_recheck_holds_the_lock_until_the_write(
    rnd: ReviewRound, stores: Callable[[], ScoreStore], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A save arriving after the recheck waits for the import's commit, then lands on top of it."""
    import scoring.store.scores as scores_module

    app = reviewer_applications(rnd, REVIEWER)[0]
    crit, sheet_level, app_level = _levels(rnd)
    analyst, reviewer = stores(), stores()
    sheet = _sheet(rnd, tmp_path / "r1.xlsx", app, crit, sheet_level)
    original = scores_module.changed_pairs
    saver: list[threading.Thread] = []

    def hook(*args: Any, **kwargs: Any) -> Any:
        found = original(*args, **kwargs)  # the recheck, inside the import's write transaction
        t = threading.Thread(target=reviewer.record, args=(REVIEWER, app, crit.id, app_level, ""))
        t.start()
        t.join(timeout=0.5)
        assert t.is_alive(), "a save got in between the recheck and the write"
        saver.append(t)
        return found

    monkeypatch.setattr(scores_module, "changed_pairs", hook)
    report = import_sheets(rnd, [sheet], analyst)
    saver[0].join(timeout=120)
    assert report.attrs["status"] == {str(sheet): "imported"}, report.to_string()
    ev = analyst.events()
    assert list(ev["source"]) == ["excel", "widget"]
    assert _score(analyst, app, crit.id) == float(app_level)
