"""The comments of a returned 採点表 meet the record's text rule (scoring.review.sheet_text):
a line break pasted from PowerPoint (a vertical tab, kept by Excel as ``_x000B_``) is imported
as a line break; NUL and a comment over 4,000 characters refuse the file, naming the cell."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from test_sheets import _no_database_url, columns_of, errors, rewrite_with_xlsxwriter, rnd, store  # noqa: F401

from scoring.core.text import COMMENT_MAX
from scoring.review.sheet_import import import_sheets
from scoring.review.sheets import FIRST_ROW, SCORE_SHEET, export_sheet, reviewer_applications
from scoring.round.loader import ReviewRound
from scoring.store.scores import ScoreStore


def _sheet(
    rnd: ReviewRound,  # noqa: F811
    tmp_path: Path,
    name: str,
    comments: dict[str, str],
) -> tuple[Path, dict[str, str]]:
    """R3's sheet, its first application scored 3 everywhere, with ``comments`` (criterion →
    text) written by xlsxwriter as Excel would; the comment cell of each criterion."""
    exported = export_sheet(rnd, "R3", tmp_path / f"{name}-export.xlsx")
    app = reviewer_applications(rnd, "R3")[0]
    cols = columns_of(rnd)
    cells: dict[str, Any] = {f"{cols['score:' + c.id]}{FIRST_ROW}": 3 for c in rnd.rubric.criteria}
    where = {}
    for crit, text in comments.items():
        where[crit] = f"{cols['comment:' + crit]}{FIRST_ROW}"
        cells[where[crit]] = text
    assert app
    return rewrite_with_xlsxwriter(exported, tmp_path / f"{name}.xlsx", cells), where


def test_a_vertical_tab_in_an_excel_comment_is_imported_as_a_line_break(
    rnd: ReviewRound,  # noqa: F811
    store: ScoreStore,  # noqa: F811
    tmp_path: Path,
) -> None:
    crit = rnd.rubric.criteria[0].id
    sheet, _ = _sheet(rnd, tmp_path, "vt", {crit: "スライドの一行目\x0b二行目"})
    report = import_sheets(rnd, [sheet], store, reviewer="R3")
    assert errors(report).empty, report.to_string()
    got = store.scores().query("criterion == @crit")["comment"].tolist()
    assert got == ["スライドの一行目\n二行目"]


def test_nul_and_a_comment_over_the_limit_refuse_the_sheet_naming_the_cells(
    rnd: ReviewRound,  # noqa: F811
    store: ScoreStore,  # noqa: F811
    tmp_path: Path,
) -> None:
    first, second = rnd.rubric.criteria[0].id, rnd.rubric.criteria[1].id
    sheet, where = _sheet(rnd, tmp_path, "bad", {first: "見えない\x00文字", second: "長" * (COMMENT_MAX + 1)})
    report = import_sheets(rnd, [sheet], store, reviewer="R3")
    errs = errors(report)
    nul = errs[errs["cell"] == where[first]]
    assert nul["sheet"].tolist() == [SCORE_SHEET] and "制御文字（NUL）" in nul["message"].iloc[0]
    long = errs[errs["cell"] == where[second]]
    assert "長すぎます（4,001 文字）" in long["message"].iloc[0]
    assert store.events().empty  # nothing of the file imported
