"""Browser test: the analyst's 01_applications.ipynb runs in JupyterLab (Japanese UI)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.ui


def test_applications_notebook_shows_problems(lab) -> None:
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
    # The tile map was drawn as an image.
    assert lab.page.locator(".jp-OutputArea-output img").count() >= 1
    row.scroll_into_view_if_needed()
    shot = lab.screenshot("01_applications")
    assert shot.stat().st_size > 10_000
