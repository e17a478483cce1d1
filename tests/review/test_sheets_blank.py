"""A returned 採点表 with blank scores: the import says where (application, criterion, cell)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from scoring.cli import main
from scoring.review.sheet_import import blank_cells, import_sheets
from scoring.review.sheets import FIRST_ROW, SCORE_SHEET, export_sheet, sheet_columns
from scoring.round.loader import load_round
from scoring.store.scores import ScoreStore


@pytest.fixture(autouse=True)
def _no_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCORING_DATABASE_URL", raising=False)


def test_the_import_names_each_blank_cell(
    demo_round_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rnd = load_round(demo_round_copy)
    sheet = export_sheet(rnd, "R4", tmp_path / "r4.xlsx")
    cols = {
        c.key: openpyxl.utils.get_column_letter(j) for j, c in enumerate(sheet_columns(rnd.rubric), start=1)
    }
    wb = openpyxl.load_workbook(sheet)
    ws = wb[SCORE_SHEET]
    crits = rnd.rubric.criteria
    left_out = crits[2]
    for crit in crits:
        if crit is left_out:
            continue
        level = crit.levels[1]
        ws[f"{cols['score:' + crit.id]}{FIRST_ROW}"] = level
        if crit.comment_required(level):
            ws[f"{cols['comment:' + crit.id]}{FIRST_ROW}"] = "理由（架空）"
    wb.save(sheet)
    first = str(ws[f"A{FIRST_ROW}"].value)
    name = rnd.applications.at[first, "prefecture_name"]
    cell = f"{cols['score:' + left_out.id]}{FIRST_ROW}"
    with ScoreStore.open(rnd) as store:
        report = import_sheets(rnd, [sheet], store)
    where = blank_cells(report, str(sheet))
    assert where[0] == f"{first} {name} の「{left_out.label_ja}」（セル {cell}）"
    second = str(ws[f"A{FIRST_ROW + 1}"].value)
    assert (
        f"{second} {rnd.applications.at[second, 'prefecture_name']} の全項目（セル E{FIRST_ROW + 1}:"
        in where[1]
    )
    assert blank_cells(report, "other.xlsx") == []
    # The command line prints them (the first ten, then how many more).
    fresh = export_sheet(rnd, "R5", tmp_path / "r5.xlsx")
    assert main(["sheets", "import", "--round", str(demo_round_copy), str(fresh)]) == 0
    out = capsys.readouterr().out
    n_apps = len(rnd.applications)
    assert f"未入力 {n_apps} 箇所は取り込んでいません: " in out and f"ほか {n_apps - 10} 箇所" in out
    assert "の全項目（セル E" in out
