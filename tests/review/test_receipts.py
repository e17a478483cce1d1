"""Receipts reach every reviewer (issue 19, items 5 and 8, the parts outside the app).

``sheets import --submit`` prints each reviewer's receipt codes and writes a slip (受領票) per
reviewer; :func:`receipts_for` lists a reviewer's receipts for the app; ``verify-receipt`` on a
pair revised in the 協議 names the revision; ``sheets import --overwrite`` onto a submitted pair
shows the real error. One copy of the demo round (no demo scores) serves the module: each
test uses its own reviewer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from roundcopy import copy_demo_round

from scoring.cli import main
from scoring.review.receipts import SLIP_COLUMNS, receipts_for
from scoring.review.sheets import FIRST_ROW, SCORE_SHEET, export_sheet, reviewer_applications, sheet_columns
from scoring.round.loader import ReviewRound, load_round
from scoring.store.scores import ScoreStore


@pytest.fixture(autouse=True)
def _no_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCORING_DATABASE_URL", raising=False)


@pytest.fixture(scope="module")
def rnd(tmp_path_factory: pytest.TempPathFactory) -> ReviewRound:
    return load_round(copy_demo_round(tmp_path_factory.mktemp("receipts")))


def _level(crit: Any, shift: int = 0) -> float:
    """A level that needs no comment (the first such, ``shift`` levels on when possible)."""
    plain = [lv for lv in crit.levels if not crit.comment_required(lv)]
    return plain[min(shift, len(plain) - 1)]


def _filled_sheet(rnd: ReviewRound, reviewer: str, path: Path, shift: int = 0) -> Path:
    """An exported 採点表 of ``reviewer`` with every application scored (no comment needed)."""
    export_sheet(rnd, reviewer, path)
    cols = {
        c.key: openpyxl.utils.get_column_letter(j) for j, c in enumerate(sheet_columns(rnd.rubric), start=1)
    }
    wb = openpyxl.load_workbook(path)
    ws = wb[SCORE_SHEET]
    for r in range(FIRST_ROW, ws.max_row + 1):
        if ws[f"A{r}"].value:
            for crit in rnd.rubric.criteria:
                ws[f"{cols['score:' + crit.id]}{r}"] = _level(crit, shift)
    wb.save(path)
    return path


def test_import_with_submit_prints_each_code_and_writes_the_slip(rnd, tmp_path, capsys):
    sheet = _filled_sheet(rnd, "R2", tmp_path / "r2.xlsx")
    slips = tmp_path / "slips"
    code = main(["sheets", "import", "--round", str(rnd.path), "--submit", "--slips", str(slips), str(sheet)])
    out = capsys.readouterr().out
    assert code == 0, out
    with ScoreStore.open(rnd) as store:
        mine = receipts_for(store, "R2")
    apps = reviewer_applications(rnd, "R2")
    assert [r.application for r in mine] == apps
    assert "■ 受領コード（審査員 R2）" in out
    for r in mine:
        assert f"受領コード {r.code}" in out
        assert r.prefecture_name and r.submitted_at.utcoffset().total_seconds() == 9 * 3600
    (slip,) = slips.glob("受領票_R2_*.xlsx")
    assert str(slip) in out
    wb = openpyxl.load_workbook(slip)
    assert wb.sheetnames == ["受領票", "説明"]
    ws = wb["受領票"]
    assert [c.value for c in ws[1]] == ["今回の提出", *SLIP_COLUMNS]
    assert {ws.cell(row=i, column=5).value for i in range(2, ws.max_row + 1)} == {r.code for r in mine}
    assert {ws.cell(row=i, column=1).value for i in range(2, ws.max_row + 1)} == {"〇"}


def test_verify_receipt_names_a_second_stage_revision_and_its_reason(rnd, capsys):
    crit = rnd.rubric.criteria[0]
    with ScoreStore.open(rnd) as store:
        app = reviewer_applications(rnd, "R4")[0]
        for c in rnd.rubric.criteria:
            store.record("R4", app, c.id, _level(c))
        code = store.submit("R4", app)
    assert main(["verify-receipt", "--round", str(rnd.path), code]) == 0
    assert "提出したとおり" in capsys.readouterr().out
    new = _level(crit, 1)
    args = ["--reviewer", "R4", "--application", app, "--criterion", crit.id, "--score", str(new)]
    assert main(["revise", "--round", str(rnd.path), *args, "--reason", "協議で地域の実情が分かった"]) == 0
    capsys.readouterr()
    assert main(["verify-receipt", "--round", str(rnd.path), code]) == 0
    out = capsys.readouterr().out
    assert "2段階目の修正が 1 件" in out
    assert f"「{crit.label_ja}」" in out and "協議で地域の実情が分かった" in out


def test_overwrite_onto_a_submitted_pair_shows_the_real_error(rnd, tmp_path, capsys):
    apps = reviewer_applications(rnd, "R5")
    sheet = export_sheet(rnd, "R5", tmp_path / "r5.xlsx")  # exported before anything is scored
    with ScoreStore.open(rnd) as store:  # then scored and submitted in the app
        for c in rnd.rubric.criteria:
            store.record("R5", apps[0], c.id, _level(c))
        store.submit("R5", apps[0])
    wb = openpyxl.load_workbook(sheet)  # the sheet scores the same application differently
    ws = wb[SCORE_SHEET]
    cols = {
        c.key: openpyxl.utils.get_column_letter(j) for j, c in enumerate(sheet_columns(rnd.rubric), start=1)
    }
    row = next(r for r in range(FIRST_ROW, ws.max_row + 1) if ws[f"A{r}"].value == apps[0])
    for c in rnd.rubric.criteria:
        ws[f"{cols['score:' + c.id]}{row}"] = _level(c, 1)
    wb.save(sheet)
    argv = [
        "sheets",
        "import",
        "--round",
        str(rnd.path),
        "--overwrite",
        "--reason",
        "審査員の確認済み",
        str(sheet),
    ]
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "エラーがあるため取り込みませんでした" in out
    assert "上書きしたセル" not in out
    assert "上書きしなかったセル" in out
    problems = out.split("採点表の問題一覧", 1)[1]
    assert "提出済みのため変更できません" in problems
