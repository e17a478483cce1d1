"""申請者への所見 in the 採点表: its own column per criterion, imported into the store beside the
comment (never as the comment), pre-filled on the next export, and covered by the re-import check."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from scoring.review.sheet_import import import_sheets
from scoring.review.sheets import FIRST_ROW, NOTE_HEADER, SCORE_SHEET, export_sheet, sheet_columns
from scoring.round.loader import load_round
from scoring.store.scores import ScoreStore


@pytest.fixture(autouse=True)
def _no_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCORING_DATABASE_URL", raising=False)


def test_the_applicant_note_round_trips_through_the_sheet(demo_round_copy: Path, tmp_path: Path) -> None:
    rnd = load_round(demo_round_copy)
    columns = sheet_columns(rnd.rubric)
    cols = {c.key: openpyxl.utils.get_column_letter(j) for j, c in enumerate(columns, start=1)}
    # the 所見 columns come after every criterion: the score and comment columns keep their places
    assert [c.kind for c in columns][-len(rnd.rubric.criteria) :] == ["note"] * len(rnd.rubric.criteria)
    sheet = export_sheet(rnd, "R4", tmp_path / "r4.xlsx")
    wb = openpyxl.load_workbook(sheet)
    ws = wb[SCORE_SHEET]
    assert NOTE_HEADER in str(ws[f"{cols['note:pool_issue_analysis']}3"].value)
    app = str(ws[f"A{FIRST_ROW}"].value)
    for crit in rnd.rubric.criteria:
        level = crit.levels[3]
        ws[f"{cols['score:' + crit.id]}{FIRST_ROW}"] = level
        if crit.comment_required(level):
            ws[f"{cols['comment:' + crit.id]}{FIRST_ROW}"] = "理由（架空）"
    ws[f"{cols['comment:pool_issue_analysis']}{FIRST_ROW}"] = "内部メモ: ヒアリングで確認したい。"
    ws[f"{cols['note:pool_issue_analysis']}{FIRST_ROW}"] = "課題の分析が具体的です。"
    wb.save(sheet)
    with ScoreStore.open(rnd) as store:
        report = import_sheets(rnd, [sheet], store)
        assert not (report["severity"] == "error").any(), report.to_string()
        notes = store.applicant_notes(include_drafts=True)
        assert notes.to_dict("records") == [
            {
                "application": app,
                "reviewer": "R4",
                "criterion": "pool_issue_analysis",
                "to_applicant": "課題の分析が具体的です。",
            }
        ]
        scores = store.scores()
        comment = scores[(scores["application"] == app) & (scores["criterion"] == "pool_issue_analysis")]
        assert comment["comment"].tolist() == ["内部メモ: ヒアリングで確認したい。"]
        # the same file again writes nothing; a new export is pre-filled with the 所見
        n = len(store.events())
        import_sheets(rnd, [sheet], store)
        assert len(store.events()) == n
        again = export_sheet(rnd, "R4", tmp_path / "r4_again.xlsx", store=store)
    ws2 = openpyxl.load_workbook(again)[SCORE_SHEET]
    assert ws2[f"{cols['note:pool_issue_analysis']}{FIRST_ROW}"].value == "課題の分析が具体的です。"
