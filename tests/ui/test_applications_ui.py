"""Browser test: the analyst's 01_applications.ipynb runs in JupyterLab (Japanese UI)."""

from __future__ import annotations

import pytest

from scoring.reporting.overview import problem_table
from scoring.round.loader import load_round

pytestmark = pytest.mark.ui


def test_applications_notebook_shows_problems(lab) -> None:
    # The analyst's laptop: 1366 × 768.
    lab.page.set_viewport_size({"width": 1366, "height": 768})
    lab.open_notebook("01_applications.ipynb")
    # The Japanese language pack is active: the menu bar reads ファイル, not File.
    menu = lab.ui_text()
    assert "ファイル" in menu and "File" not in menu

    lab.run_all()

    # The demo round's late file is a row of the problems table, with its reason.
    row = lab.page.locator(".jp-OutputArea-output tr", has_text="05_akita.xlsx").first
    row.wait_for(state="visible", timeout=30_000)
    text = row.inner_text()
    assert "期限後提出" in text and "C9" in text
    # Every problem's 内容 and 対処 in full: nothing cut off with "..." or "…".
    problems = problem_table(load_round(lab.round_path).problems)
    tables = lab.page.locator(".jp-OutputArea-output table.shinsa-analyst-table")
    assert tables.count() >= 2
    shown = tables.first.inner_text()
    assert "..." not in shown and "…" not in shown
    for col in ("内容", "対処"):
        for value in problems[col]:
            assert " ".join(str(value).split()) in " ".join(shown.split())
    # The applications table: 都道府県 is at least four characters wide (not one a line).
    header = tables.nth(1).locator("th", has_text="都道府県").first
    cell_box = header.bounding_box()
    font = float(lab.page.evaluate("el => parseFloat(getComputedStyle(el).fontSize)", header.element_handle()))
    assert cell_box is not None and cell_box["width"] >= 4 * font
    # The tile map was drawn as an image.
    assert lab.page.locator(".jp-OutputArea-output img").count() >= 1
    row.scroll_into_view_if_needed()
    shot = lab.screenshot("01_applications")
    assert shot.stat().st_size > 10_000
    tables.nth(1).scroll_into_view_if_needed()
    lab.screenshot("01_applications_table")
