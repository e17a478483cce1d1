"""Browser tests: the reviewer's scoring app (02_review) served by Voilà survives real use
(issue 9 item 4).

* A reload (Voilà starts a new kernel) brings back the same application, its scores and
  the comment typed just before the reload.
* Two tabs of the same reviewer: a score saved in one shows up in the other with the
  notice 「別の画面で変更されました（時刻）: 値を読み込み直しました」; the last write wins.
* The database connection dropped (a PostgreSQL database that refuses connections): the
  status bar shows 「未保存（接続を再試行中…）」, the value stays, and it is saved by itself
  once the database is back.

Voilà (``--template=shinsa``, ``scoring/ui/jupyter/voila``) serves a copy of the notebook on
the module's own copy of the demo round (``$SCORING_ROUND``); each test uses a reviewer of
its own, so none sees another's scores. Screenshots go to the session's artifact folder.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from uiserver import PROJECT, log_tail, running_voila

from scoring.round.loader import ReviewRound, load_round
from scoring.store.scores import ScoreStore

pytestmark = pytest.mark.ui

NOTEBOOK = PROJECT / "notebooks" / "02_review.ipynb"
#: Voilà starts a kernel and runs the whole notebook before the page shows the app.
PAGE_TIMEOUT_MS = 150_000
#: The app checks for changes made elsewhere every 3 s; a save takes well under a second.
SEEN_TIMEOUT_MS = 20_000
#: The class of the chosen level's button.
PRIMARY = re.compile(r"\bmod-primary\b")


@dataclass
class ReviewVoila:
    """A running Voilà with 02_review: ``url``, the round it serves, the store's URL, its log."""

    url: str
    round_path: Path
    db_url: str
    log: Path
    process: subprocess.Popen[bytes]

    def log_tail(self, n: int = 60) -> str:
        return log_tail(self.log, n)

    def cell(self, reviewer: str, application: str, criterion: str) -> list[Any]:
        """[score, comment] saved for one cell ([] when none)."""
        with ScoreStore.open(load_round(self.round_path), self.db_url) as store:
            rows = store.scores().query(
                "reviewer == @reviewer and application == @application and criterion == @criterion"
            )
        return [*rows["score"].tolist(), *rows["comment"].tolist()]


def start_voila(base: Path, round_dir: Path, db_url: str | None = None) -> Iterator[ReviewVoila]:
    """``voila notebooks/02_review.ipynb --template=shinsa`` on 127.0.0.1, on ``round_dir``
    (and on ``db_url`` instead of the round's SQLite file when given)."""
    notebook = base / "notebooks" / NOTEBOOK.name
    notebook.parent.mkdir(parents=True)
    shutil.copyfile(NOTEBOOK, notebook)
    extra = {} if db_url is None else {"SCORING_DATABASE_URL": db_url}
    with running_voila(base, notebook, round_dir, **extra) as (url, log, proc):
        yield ReviewVoila(url, round_dir, db_url or f"sqlite:///{round_dir / 'scores.sqlite'}", log, proc)


@pytest.fixture(scope="module")
def review_voila(
    tmp_path_factory: pytest.TempPathFactory, demo_round_copier: Callable[[Path], Path]
) -> Iterator[ReviewVoila]:
    base = tmp_path_factory.mktemp("voila-review")
    yield from start_voila(base, demo_round_copier(base / "root"))


@pytest.fixture
def pages(request: pytest.FixtureRequest, browser: Any, ui_artifacts: Path) -> Iterator[Callable[[], Any]]:
    """Factory of browser tabs (one browser context, as one person's browser)."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="ja-JP")
    context.set_default_timeout(30_000)
    opened: list[Any] = []

    def new_page() -> Any:
        page = context.new_page()
        page.on("dialog", lambda d: d.accept())
        opened.append(page)
        return page

    try:
        yield new_page
    finally:
        rep = getattr(request.node, "_shinsa_rep_call", None)
        if rep is not None and rep.failed:
            for i, page in enumerate(opened):
                try:
                    shot = ui_artifacts / f"FAILED-{request.node.name}-{i}.png"
                    page.screenshot(path=str(shot))
                    print(f"\nスクリーンショット: {shot}")
                except Exception as exc:  # noqa: BLE001 - best effort on failure
                    print(f"\nスクリーンショットを保存できませんでした: {exc}")
        context.close()


def open_as(page: Any, server: ReviewVoila, reviewer: str, *, reload: bool = False) -> str:
    """Open (or reload) the app, choose ``reviewer``; returns the application shown."""
    if reload:
        page.reload(wait_until="domcontentloaded", timeout=PAGE_TIMEOUT_MS)
    else:
        page.goto(f"{server.url}/", wait_until="domcontentloaded", timeout=PAGE_TIMEOUT_MS)
    select = page.locator(".shinsa-reviewer-select select")
    select.or_(page.get_by_text("Internal Server Error")).first.wait_for(timeout=PAGE_TIMEOUT_MS)
    if "Internal Server Error" in page.title() + page.locator("body").inner_text()[:200]:
        pytest.fail(f"Voilà がページを作れませんでした（500）。Voilà のログ（末尾）:\n{server.log_tail()}")
    expect(select).to_be_enabled(timeout=PAGE_TIMEOUT_MS)
    labels = select.locator("option").all_inner_texts()
    index = next(i for i, text in enumerate(labels) if text.replace("\u00a0", " ").startswith(f"{reviewer} "))
    select.select_option(index=index)
    current = page.locator(".shinsa-current-code")
    expect(current).to_have_count(1, timeout=60_000)
    return str(current.inner_text().strip())


def chosen(page: Any, cid: str, level: int) -> Any:
    return page.locator(f".shinsa-score-{cid}-{level}")


def test_reload_brings_back_the_application_scores_and_the_comment(
    review_voila: ReviewVoila, pages: Callable[[], Any], ui_artifacts: Path
) -> None:
    rnd: ReviewRound = load_round(review_voila.round_path)
    crit = rnd.rubric.criteria[0]
    page = pages()
    first = open_as(page, review_voila, "R4")
    page.locator(".shinsa-next").click()
    current = page.locator(".shinsa-current-code")
    expect(current).not_to_have_text(first, timeout=30_000)
    second = current.inner_text().strip()
    chosen(page, crit.id, 4).click()
    expect(page.locator(".shinsa-saved")).to_contain_text("保存済み", timeout=30_000)
    box = page.locator(f".shinsa-comment-{crit.id} textarea")
    box.click()
    box.press_sequentially("再読み込みの直前に書いた理由", delay=30)
    page.wait_for_timeout(150)  # reloaded while the comment waits for its save (0.8 s)

    assert open_as(page, review_voila, "R4", reload=True) == second != first
    expect(chosen(page, crit.id, 4)).to_have_class(PRIMARY, timeout=30_000)
    expect(page.locator(f".shinsa-comment-{crit.id} textarea")).to_have_value("再読み込みの直前に書いた理由")
    assert review_voila.cell("R4", second, crit.id) == [4.0, "再読み込みの直前に書いた理由"]
    page.locator(".shinsa-app").first.scroll_into_view_if_needed()
    page.screenshot(path=str(ui_artifacts / "02_review_voila_after_reload.png"))


def test_two_tabs_of_one_reviewer_see_each_others_saves(
    review_voila: ReviewVoila, pages: Callable[[], Any], ui_artifacts: Path
) -> None:
    rnd: ReviewRound = load_round(review_voila.round_path)
    crit = rnd.rubric.criteria[1]
    tab_a, tab_b = pages(), pages()
    app = open_as(tab_a, review_voila, "R5")
    assert open_as(tab_b, review_voila, "R5") == app

    chosen(tab_a, crit.id, 4).click()
    expect(tab_a.locator(".shinsa-saved")).to_contain_text("保存済み", timeout=30_000)
    notice_b = tab_b.locator(".shinsa-notice")
    expect(notice_b).to_contain_text("別の画面で変更されました（", timeout=SEEN_TIMEOUT_MS)
    expect(notice_b).to_contain_text("値を読み込み直しました")
    expect(chosen(tab_b, crit.id, 4)).to_have_class(PRIMARY)
    tab_b.locator(".shinsa-statusbar").first.scroll_into_view_if_needed()
    tab_b.screenshot(path=str(ui_artifacts / "02_review_voila_changed_elsewhere.png"))

    # The other way round: the last write wins, and the first tab follows.
    chosen(tab_b, crit.id, 2).click()
    expect(tab_b.locator(".shinsa-saved")).to_contain_text("保存済み", timeout=30_000)
    expect(tab_a.locator(".shinsa-notice")).to_contain_text(
        "別の画面で変更されました", timeout=SEEN_TIMEOUT_MS
    )
    expect(chosen(tab_a, crit.id, 2)).to_have_class(PRIMARY)
    expect(chosen(tab_a, crit.id, 4)).not_to_have_class(PRIMARY)
    assert review_voila.cell("R5", app, crit.id) == [2.0, ""]


@pytest.fixture
def review_voila_pg(
    tmp_path: Path, demo_round_copier: Callable[[Path], Path], pg_database: tuple[str, Callable[[bool], None]]
) -> Iterator[tuple[ReviewVoila, Callable[[bool], None]]]:
    url, cut = pg_database
    base = tmp_path / "voila-pg"
    for server in start_voila(base, demo_round_copier(base / "root"), url):
        yield server, cut


def test_dropped_database_connection_shows_unsaved_and_saves_when_back(
    review_voila_pg: tuple[ReviewVoila, Callable[[bool], None]], pages: Callable[[], Any], ui_artifacts: Path
) -> None:
    server, cut = review_voila_pg
    rnd: ReviewRound = load_round(server.round_path)
    crit = rnd.rubric.criteria[0]
    page = pages()
    app = open_as(page, server, "R1")
    chosen(page, crit.id, 3).click()
    saved = page.locator(".shinsa-saved")
    expect(saved).to_contain_text("保存済み", timeout=30_000)

    cut(True)
    try:
        chosen(page, crit.id, 5).click()
        expect(saved).to_contain_text("未保存（接続を再試行中…）", timeout=30_000)
        expect(page.locator(".shinsa-statusbar .shinsa-error")).to_contain_text("まだ保存されていません")
        expect(chosen(page, crit.id, 5)).to_have_class(PRIMARY)  # the value stays
        page.locator(".shinsa-statusbar").first.scroll_into_view_if_needed()
        page.screenshot(path=str(ui_artifacts / "02_review_voila_unsaved.png"))
        page.wait_for_timeout(2_500)  # a retry fails meanwhile
        expect(saved).to_contain_text("未保存（接続を再試行中…）")
    finally:
        cut(False)
    expect(saved).to_contain_text("保存済み", timeout=40_000)  # retried by itself
    expect(page.locator(".shinsa-statusbar .shinsa-error")).to_have_text("")
    assert server.cell("R1", app, crit.id) == [5.0, ""]


@pytest.fixture
def review_voila_alone(tmp_path: Path, demo_round_copier: Callable[[Path], Path]) -> Iterator[ReviewVoila]:
    """A Voilà of this test only (the test stops it)."""
    base = tmp_path / "voila-alone"
    yield from start_voila(base, demo_round_copier(base / "root"))


def test_lost_server_connection_is_not_shown_as_saved(
    review_voila_alone: ReviewVoila, pages: Callable[[], Any], ui_artifacts: Path
) -> None:
    server = review_voila_alone
    crit = load_round(server.round_path).rubric.criteria[0]
    page = pages()
    open_as(page, server, "R6")
    chosen(page, crit.id, 3).click()
    saved = page.locator(".shinsa-saved")
    expect(saved).to_contain_text("保存済み", timeout=30_000)
    page.wait_for_timeout(5_000)  # answered: no warning while connected
    expect(saved).to_contain_text("保存済み")

    server.process.terminate()  # the server (and the kernel) is gone
    server.process.wait(timeout=30)
    box = page.locator(f".shinsa-comment-{crit.id} textarea")
    box.click()
    box.press_sequentially("届かない入力", delay=30)
    expect(saved).to_contain_text("未保存（サーバーから応答がありません", timeout=15_000)
    expect(saved).not_to_contain_text("保存済み")
    page.locator(".shinsa-statusbar").first.scroll_into_view_if_needed()
    page.screenshot(path=str(ui_artifacts / "02_review_voila_connection_lost.png"))
