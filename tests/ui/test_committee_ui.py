"""Browser test: Voilà serves 04_committee as a read-only dashboard, offline.

A Voilà server (started here for each test, on a free port of 127.0.0.1) renders
``notebooks/04_committee.ipynb`` with the offline template ``shinsa``
(``scoring/ui/jupyter/voila/templates/shinsa``) on the test's own copy of the demo round with
the demo scores written into it (``$SCORING_ROUND``, as ``make committee``): a decision or a
score change made by one test is never seen by another. Debian's chromium (fixture ``browser`` of
``tests/ui/conftest.py``, Playwright, never ``playwright install``) must show the ranked
table and the proposal, no source code, and must request nothing but 127.0.0.1 and
``data:`` URIs.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from axecheck import assert_accessible
from uiserver import PROJECT, log_tail, running_voila

from scoring.analysis.committee import Committee, build_committee, record_committee_decision
from scoring.demo.simulate import write_demo_scores
from scoring.round.loader import load_round
from scoring.store.scores import ScoreStore

pytestmark = pytest.mark.ui

NOTEBOOK = PROJECT / "notebooks" / "04_committee.ipynb"
#: Voilà executes the whole notebook before it shows the page (kernel start included).
PAGE_TIMEOUT_MS = 150_000
#: Code of the notebook that must never be visible on the dashboard.
CODE_SNIPPETS = ("build_committee", "display(*section", "round_path", "import ", "open_committee")


@dataclass
class VoilaServer:
    """A running Voilà: ``url`` (no trailing slash), the round it shows, its log."""

    url: str
    round_path: Path
    log: Path
    process: subprocess.Popen[bytes]

    def log_tail(self, n: int = 60) -> str:
        return log_tail(self.log, n)


@pytest.fixture
def voila_server(tmp_path: Path, demo_round_copier: Callable[[Path], Path]) -> Iterator[VoilaServer]:
    """``voila notebooks/04_committee.ipynb --template=shinsa`` on 127.0.0.1 (as ``make committee``),
    on the test's own round with the demo scores.

    The notebook is served from a copy (unchanged: it finds the round via ``$SCORING_ROUND``),
    so its kernel runs outside the working tree.
    """
    base = tmp_path / "voila"
    round_dir = demo_round_copier(base / "root")
    notebook = base / "notebooks" / NOTEBOOK.name
    notebook.parent.mkdir(parents=True)
    shutil.copyfile(NOTEBOOK, notebook)
    rnd = load_round(round_dir)
    with ScoreStore.open(rnd) as store:
        write_demo_scores(rnd, store)
    with running_voila(base, notebook, round_dir) as (url, log, proc):
        yield VoilaServer(url, round_dir, log, proc)


@dataclass
class Dashboard:
    page: Any
    requests: list[str]
    failed: list[str]


@pytest.fixture
def dashboard(
    request: pytest.FixtureRequest, browser: Any, voila_server: VoilaServer, ui_artifacts: Path
) -> Iterator[Callable[[], Dashboard]]:
    """Factory: open the dashboard in a fresh page and wait until every cell is rendered;
    every request URL is recorded."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
    context.set_default_timeout(30_000)
    pages: list[Any] = []

    def open_page() -> Dashboard:
        page = context.new_page()
        pages.append(page)
        requests: list[str] = []
        failed: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.on("requestfailed", lambda r: failed.append(r.url))
        page.goto(f"{voila_server.url}/", wait_until="domcontentloaded", timeout=PAGE_TIMEOUT_MS)
        page.locator("#rendered_cells").wait_for(state="visible", timeout=PAGE_TIMEOUT_MS)
        # the last output: the folded 参考資料 (its last section is the map)
        page.locator("details.shinsa-fold summary", has_text="地図（応募と選定案）").wait_for(
            state="attached", timeout=PAGE_TIMEOUT_MS
        )
        return Dashboard(page, requests, failed)

    try:
        yield open_page
    finally:
        rep = getattr(request.node, "_shinsa_rep_call", None)
        if rep is not None and rep.failed and pages:
            shot = ui_artifacts / f"FAILED-{request.node.name}.png"
            try:
                pages[-1].screenshot(path=str(shot))
                print(f"\nスクリーンショット: {shot}\nVoilà のログ（末尾）:\n{voila_server.log_tail()}")
            except Exception as exc:  # noqa: BLE001 - best effort on failure
                print(f"\nスクリーンショットを保存できませんでした: {exc}")
        context.close()


def _expected(voila_server: VoilaServer) -> Committee:
    return build_committee(voila_server.round_path, n_boot=10)


def _assert_local_only(d: Dashboard, server: VoilaServer) -> None:
    outside = [u for u in d.requests if not u.startswith((f"{server.url}/", "data:"))]
    assert not outside, f"127.0.0.1 以外へのリクエスト: {outside}"
    assert d.requests and d.requests[0] == f"{server.url}/"
    assert not d.failed, f"失敗したリクエスト: {d.failed}"


def _full_screenshot(page: Any, path: Path) -> None:
    """The whole dashboard (Voilà scrolls inside the page, so grow the viewport first)."""
    height = page.evaluate("""() => Math.max(document.documentElement.scrollHeight, document.body.scrollHeight,
        ...Array.from(document.querySelectorAll('#rendered_cells, .jp-Notebook, body > div'))
            .map(e => e.scrollHeight))""")
    page.set_viewport_size({"width": 1400, "height": min(int(height) + 40, 16_000)})
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": 1400, "height": 1000})


def test_dashboard_shows_ranked_table_and_selection_without_code(
    dashboard: Callable[[], Dashboard], voila_server: VoilaServer, ui_artifacts: Path
) -> None:
    d = dashboard()
    page = d.page
    expected = _expected(voila_server)

    # the ranked table: every applicant, in rank order
    ranked = page.locator("table.shinsa.ranking").first
    ranked.wait_for(state="visible")
    rows = ranked.locator("tbody tr")
    assert rows.count() == 16
    headers = [h.strip() for h in ranked.locator("thead th").all_inner_texts()]
    name_col, status_col = headers.index("都道府県"), headers.index("選定案")
    names = [rows.nth(i).locator("td").nth(name_col).inner_text() for i in range(rows.count())]
    assert names == list(expected.ranked["prefecture_name"])
    assert rows.nth(1).locator("td").nth(status_col).inner_text() == "選定"

    # the 本体 first: 審議事項, the proposal, 要協議 (issue 21)
    assert page.locator("p.proposal").first.inner_text().startswith("16 件の応募からおおむね 5 件")
    assert page.get_by_text(f"選定案（5 件）: {expected.names(expected.selected)}").first.is_visible()
    assert page.get_by_text("要協議").first.is_visible()
    assert page.locator("tr.selected").count() >= 5
    # the 参考資料 folded below it: the reasons are there once a section is opened
    folds = page.locator("details.shinsa-fold")
    assert folds.count() == 8
    assert not page.get_by_text("応募ごとの理由").is_visible()
    for i in range(folds.count()):
        folds.nth(i).locator("summary").click()
    assert page.get_by_text("応募ごとの理由").is_visible()

    # three charts (breakdown, stability, map), embedded PNGs that the browser decoded
    imgs = page.locator("#rendered_cells img")
    assert imgs.count() == 3
    for i in range(3):
        assert imgs.nth(i).evaluate("e => e.complete && e.naturalWidth > 300")
    # the progress line while the notebook runs is Japanese (not 「Executing 2 of 34」)
    assert "画面を準備しています" in page.evaluate("() => String(window.voila_process)")
    # what the committee may not read is said so, not shown as missing
    assert page.get_by_text("委員の画面には表示しません").first.is_visible()
    assert "提出された採点はまだありません" not in page.locator("body").inner_text()

    # no source code: no code input area, no editor, none of the notebook's code text
    assert page.locator(".jp-CodeCell .jp-InputArea").count() == 0
    assert page.locator(".jp-InputArea-editor, .cm-editor, .CodeMirror, .jp-InputPrompt:visible").count() == 0
    text = page.locator("body").inner_text()
    for snippet in CODE_SNIPPETS:
        assert snippet not in text, f"コードが表示されています: {snippet}"
    assert "Traceback" not in text and "Error" not in text
    # Japanese headings from the markdown cells
    for heading in ("選定委員会資料", "審議事項と選定案", "順位表", "地域×重点テーマ", "決定欄", "参考資料"):
        assert page.get_by_role("heading", name=heading).count() >= 1
    for fold in ("選定の安定性", "地図（応募と選定案）"):
        assert page.locator("details.shinsa-fold summary", has_text=fold).count() == 1

    _assert_local_only(d, voila_server)
    page.screenshot(path=str(ui_artifacts / "committee-voila.png"))
    _full_screenshot(page, ui_artifacts / "committee-voila-full.png")
    # JIS X 8341-3 AA (issue 22 items 1 and 5): no WCAG 2.0 A/AA violation, folded sections open too
    for summary in page.locator("details.shinsa-fold > summary").all():
        summary.click()
    assert_accessible(page, "委員会の画面（Voilà）")


def test_dashboard_warns_when_scores_change_after_the_decision(
    dashboard: Callable[[], Dashboard], voila_server: VoilaServer, ui_artifacts: Path
) -> None:
    rd = voila_server.round_path
    before = _expected(voila_server)
    record_committee_decision(
        rd,
        before.selected,
        by="選定委員会 事務局（架空）",
        reasons={before.selected[0]: "総合的に最も優れる（架空）"},
    )
    d = dashboard()
    assert d.page.get_by_text("決定済").first.is_visible()
    assert d.page.get_by_text("総合的に最も優れる（架空）").is_visible()
    assert d.page.locator(".warning").count() == 0

    rnd = load_round(rd)
    with ScoreStore.open(rnd) as store:
        store.reopen("R2", "01", by="事務局（架空）", reason="記入誤りの訂正")
        old = float(
            store.scores()
            .query("reviewer == 'R2' and application == '01' and criterion == 'theme_fit'")["score"]
            .iloc[0]
        )
        store.record("R2", "01", "theme_fit", 1 if old != 1 else 2, "訂正")
        store.submit("R2", "01")
    d = dashboard()
    warning = d.page.locator(".warning").first
    warning.wait_for(state="visible")
    assert "採点が変更されています" in warning.inner_text()
    assert d.page.get_by_text("決定後に変更あり").first.is_visible()
    _assert_local_only(d, voila_server)
    d.page.screenshot(path=str(ui_artifacts / "committee-voila-warning.png"))
    _full_screenshot(d.page, ui_artifacts / "committee-voila-warning-full.png")
