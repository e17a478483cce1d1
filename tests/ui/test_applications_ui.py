"""Browser test: the analyst's 01_applications.ipynb runs in JupyterLab (Japanese UI)."""

from __future__ import annotations

import pytest

from scoring.reporting.overview import _to_the_panel, problem_table
from scoring.round.loader import load_round

pytestmark = pytest.mark.ui


def tables_text(lab) -> str:
    return " ".join(t.inner_text() for t in lab.page.locator(".jp-OutputArea-output table").all())


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
    problems["対処"] = problems["対処"].map(_to_the_panel)  # 01 points to its panel, not a command
    assert "python -m scoring eligibility" not in tables_text(lab)
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
    font = float(
        lab.page.evaluate("el => parseFloat(getComputedStyle(el).fontSize)", header.element_handle())
    )
    assert cell_box is not None and cell_box["width"] >= 4 * font
    # The tile map was drawn as an image.
    assert lab.page.locator(".jp-OutputArea-output img").count() >= 1
    row.scroll_into_view_if_needed()
    shot = lab.screenshot("01_applications")
    assert shot.stat().st_size > 10_000
    tables.nth(1).scroll_into_view_if_needed()
    lab.screenshot("01_applications_table")
    # The プッシュ型 table: no nan, head-counts whole, no column cut at the right (it scrolls).
    push = tables.last
    push.scroll_into_view_if_needed()
    assert "nan" not in push.inner_text() and ".00" not in push.inner_text().split("必要性の得点")[0]
    area = lab.page.locator(".jp-OutputArea-output", has=push).first.bounding_box()
    box = push.bounding_box()
    assert area is not None and box is not None and box["x"] + box["width"] <= area["x"] + area["width"] + 1
    lab.screenshot("01_push_table")


def test_the_eligibility_panel_records_a_late_acceptance(lab) -> None:
    """Notebook 01's 受付の判断 panel in the browser: a missing reason is refused in Japanese;
    a late acceptance is recorded (who, why) and the round then treats 秋田 as accepted."""
    lab.open_notebook("01_applications.ipynb")
    lab.run_all()
    page = lab.page
    button = page.locator("button", has_text="記録する").first
    button.wait_for(state="visible", timeout=30_000)
    panel = page.locator(".widget-vbox", has=button).last
    panel.locator("select").first.select_option(label="期限後受理")
    panel.locator("select").nth(1).select_option(label="05 秋田県")
    panel.locator("input[placeholder='事務局の担当者名']").fill("事務局 山田")
    # an irreversible record asks for a confirmation first; nothing is written without it
    button.click()
    page.get_by_text("まだ記録していません", exact=False).first.wait_for(timeout=30_000)
    assert load_round(lab.round_path).eligibility_records == []
    panel.get_by_text("取り消せない記録であることを確認しました").first.click()
    button.click()
    page.get_by_text("記録できませんでした", exact=False).first.wait_for(timeout=30_000)
    assert "理由（--reason）が空です" in panel.inner_text()
    assert load_round(lab.round_path).eligibility_records == []
    panel.locator("textarea").first.fill("郵便事故のため（2/21 電話で確認）")
    button.click()  # the confirmation stays ticked after a refusal
    page.get_by_text("記録しました: 応募 05 期限後受理", exact=False).first.wait_for(timeout=30_000)
    panel.get_by_text("期限後・受理").first.wait_for(timeout=30_000)  # the table below is reloaded
    assert "郵便事故のため（2/21 電話で確認）" in panel.inner_text()
    rnd = load_round(lab.round_path)
    [rec] = rnd.eligibility_records
    assert (rec.action, rec.by, rec.reason) == (
        "accept_late",
        "事務局 山田",
        "郵便事故のため（2/21 電話で確認）",
    )
    assert not rnd.applications.loc["05", "late"]
