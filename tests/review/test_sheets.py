"""Offline Excel 採点表: export, fill with another writer, validate and import into a real store.

Every test works on a copy of the demo round in ``tmp_path`` (with its own rubric file and
its own SQLite store), so ``data/demo`` and its database are never touched. Bad sheets are
built by editing an exported sheet with openpyxl; the round trip fills the sheet with
xlsxwriter, an independent writer.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
import xlsxwriter
from pandas.testing import assert_frame_equal

from scoring.cli import main
from scoring.core.errors import StoreError
from scoring.core.paths import DEMO_ROUND, PROJECT_DIR
from scoring.core.schema import PROBLEM_COLUMNS
from scoring.review.sheets import (
    ANCHOR_SHEET,
    FIRST_ROW,
    GUIDE_SHEET,
    HEADER_ROW,
    MANIFEST_SHEET,
    SCORE_SHEET,
    export_all,
    export_sheet,
    import_sheets,
    manifest_hash,
    read_manifest,
    reviewer_applications,
    sheet_columns,
    validate_sheet,
)
from scoring.round.loader import ReviewRound, load_round
from scoring.store.scores import ScoreStore

KEY = ["application", "reviewer", "criterion"]


# ---------------------------------------------------------------------------
# Fixtures and helpers
# ---------------------------------------------------------------------------


def copy_round(dest: Path, *, name: str | None = None) -> Path:
    """A self-contained copy of the demo round (own rubric file, no database)."""
    shutil.copytree(DEMO_ROUND, dest, ignore=shutil.ignore_patterns("*.sqlite*", "assignments.csv"))
    shutil.copy(PROJECT_DIR / "rubrics" / "r8_talent_pool.yaml", dest / "rubric.yaml")
    text = (dest / "round.yaml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^rubric:.*$", "rubric: rubric.yaml", text)
    if name is not None:
        text = re.sub(r"(?m)^name:.*$", f"name: {name}", text)
    (dest / "round.yaml").write_text(text, encoding="utf-8")
    return dest


@pytest.fixture(autouse=True)
def _no_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test uses the SQLite file of its own round copy, never a server from the environment."""
    monkeypatch.delenv("SCORING_DATABASE_URL", raising=False)


@pytest.fixture(scope="module")
def rnd(tmp_path_factory: pytest.TempPathFactory) -> ReviewRound:
    """A copy of the demo round shared by the tests of this module (read only: no store in it)."""
    return load_round(copy_round(tmp_path_factory.mktemp("shared") / "round"))


@pytest.fixture
def round_dir(tmp_path: Path) -> Path:
    """A test's own copy of the demo round, for tests that change it or use its default store."""
    return copy_round(tmp_path / "round")


@pytest.fixture
def store(rnd: ReviewRound, tmp_path: Path) -> Iterator[ScoreStore]:
    """A fresh SQLite store for the shared round, in the test's own folder."""
    s = ScoreStore.open(rnd, f"sqlite:///{tmp_path / 'scores.sqlite'}")
    yield s
    s.close()


def columns_of(rnd: ReviewRound) -> dict[str, str]:
    """Column key → letter of the 採点 sheet."""
    return {c.key: openpyxl.utils.get_column_letter(j) for j, c in enumerate(sheet_columns(rnd.rubric), start=1)}


def canonical(df: pd.DataFrame) -> pd.DataFrame:
    """The score table reduced to what a sheet carries, in a fixed order and dtype."""
    out = df.loc[:, ["application", "reviewer", "criterion", "score", "comment"]].copy()
    out = out.astype({"application": str, "reviewer": str, "criterion": str, "score": "float64"})
    out["comment"] = out["comment"].fillna("").astype(str)
    return out.sort_values(KEY).reset_index(drop=True)


def valid_fill(rnd: ReviewRound, reviewer: str, apps: list[str] | None = None,
               skip: int = 0) -> dict[tuple[str, str], tuple[Any, str]]:
    """Deterministic valid scores: (application, criterion) → (cell value, comment).

    Every level is used; levels that need a comment get one; the last ``skip``
    applications stay blank.
    """
    apps = apps if apps is not None else reviewer_applications(rnd, reviewer)
    out: dict[tuple[str, str], tuple[Any, str]] = {}
    for i, app in enumerate(apps[: len(apps) - skip]):
        for k, crit in enumerate(rnd.rubric.criteria):
            level = crit.levels[(i + 2 * k + len(reviewer)) % len(crit.levels)]
            comment = f"{reviewer}: {app} の{crit.label_ja}の理由（架空）" if crit.comment_required(level) else ""
            if not comment and (i + k) % 4 == 0:
                comment = "=参考: 先頭が等号でも文章"  # free text, never a formula
            out[(app, crit.id)] = (level, comment)
    return out


def fill_openpyxl(path: Path, rnd: ReviewRound, fill: dict[tuple[str, str], tuple[Any, str]]) -> Path:
    """Fill an exported sheet in place with openpyxl (used to build the bad sheets)."""
    cols = columns_of(rnd)
    wb = openpyxl.load_workbook(path)
    ws = wb[SCORE_SHEET]
    rows = {ws[f"A{r}"].value: r for r in range(FIRST_ROW, ws.max_row + 1)}
    for (app, crit), (score, comment) in fill.items():
        r = rows[app]
        ws[f"{cols['score:' + crit]}{r}"] = score
        if comment:
            c = ws[f"{cols['comment:' + crit]}{r}"]
            c.value, c.data_type = comment, "s"
    wb.save(path)
    return path


def expected_table(reviewer: str, fill: dict[tuple[str, str], tuple[Any, str]]) -> pd.DataFrame:
    rows = [
        {"application": app, "reviewer": reviewer, "criterion": crit,
         "score": float(score), "comment": comment}
        for (app, crit), (score, comment) in fill.items()
    ]
    return canonical(pd.DataFrame(rows))


def errors(report: pd.DataFrame, file: Path | str | None = None) -> pd.DataFrame:
    out = report[report["severity"] == "error"]
    return out[out["file"] == str(file)] if file is not None else out


def assert_problem(report: pd.DataFrame, file: Path, sheet: str, cell: str, text: str) -> None:
    errs = errors(report, file)
    hit = errs[(errs["sheet"] == sheet) & (errs["cell"] == cell) & errs["message"].str.contains(text, regex=False)]
    assert len(hit) >= 1, f"no error at {sheet}!{cell} containing {text!r}:\n{errs.to_string()}"
    assert (hit["action"].str.len() > 0).all()


def rewrite_with_xlsxwriter(src: Path, dst: Path, cells: dict[str, Any]) -> Path:
    """Re-create ``src`` with xlsxwriter: every sheet, every value, the very-hidden manifest.

    ``cells`` (``"E4"`` → value) overrides or adds values on the 採点 sheet, as a reviewer
    filling the sheet would.
    """
    src_wb = openpyxl.load_workbook(src)
    out = xlsxwriter.Workbook(str(dst))
    for ws in src_wb.worksheets:
        xs = out.add_worksheet(ws.title)
        values: dict[str, Any] = {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value is not None}
        if ws.title == SCORE_SHEET:
            values.update(cells)
        for coord, value in values.items():
            if value is None:
                continue
            if isinstance(value, bool):
                xs.write_boolean(coord, value)
            elif isinstance(value, (int, float)):
                xs.write_number(coord, value)
            else:
                xs.write_string(coord, str(value))
        if ws.sheet_state == "veryHidden":
            xs.very_hidden()
        elif ws.sheet_state == "hidden":
            xs.hide()
        if ws.title == SCORE_SHEET:
            xs.activate()
    out.close()
    return dst


# ---------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------


def test_reviewer_applications_leave_out_conflicts(rnd: ReviewRound) -> None:
    all_apps = list(rnd.applications.index)
    assert reviewer_applications(rnd, "R1") == all_apps
    assert reviewer_applications(rnd, "R6") == [a for a in all_apps if a != "20"]
    with pytest.raises(KeyError, match="R9"):
        reviewer_applications(rnd, "R9")


def test_assignments_file_limits_the_sheet(round_dir: Path, tmp_path: Path) -> None:
    (round_dir / "assignments.csv").write_text(
        "reviewer,application\nR1,38\nR1,02\nR6,20\nR6,01\nR2,01\n", encoding="utf-8")
    rnd = load_round(round_dir)
    assert reviewer_applications(rnd, "R1") == ["02", "38"]  # application order
    assert reviewer_applications(rnd, "R6") == ["01"]  # the conflicted 20 is never on a sheet
    assert reviewer_applications(rnd, "R3") == []
    paths = export_all(rnd, tmp_path / "all")
    assert [p.name for p in paths] == ["採点表_R1.xlsx", "採点表_R2.xlsx", "採点表_R6.xlsx"]
    assert read_manifest(paths[0])["applications"] == "02,38"  # type: ignore[index]


def test_export_layout(rnd: ReviewRound, tmp_path: Path) -> None:
    path = export_sheet(rnd, "R6", tmp_path / "r6.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [SCORE_SHEET, ANCHOR_SHEET, GUIDE_SHEET, MANIFEST_SHEET]
    assert wb.security is not None and wb.security.lockStructure
    ws = wb[SCORE_SHEET]
    apps = [a for a in rnd.applications.index if a != "20"]  # R6 is in conflict with 長野 (20)
    assert [ws[f"A{FIRST_ROW + i}"].value for i in range(len(apps))] == apps
    assert ws[f"A{FIRST_ROW + len(apps)}"].value is None
    assert ws[f"B{FIRST_ROW}"].value == rnd.applications.loc[apps[0], "prefecture_name"]
    cols = sheet_columns(rnd.rubric)
    assert [ws.cell(row=HEADER_ROW, column=j).value for j in range(1, len(cols) + 1)] == [c.header for c in cols]
    first = rnd.rubric.criteria[0]
    assert ws["E3"].value.startswith(first.label_ja) and "配点15点" in ws["E3"].value and "1〜5" in ws["E3"].value
    assert "1・5点は必須" in ws["F3"].value
    # Protection: the sheet is protected; only score/comment cells are unlocked.
    assert ws.protection.sheet
    assert ws[f"A{FIRST_ROW}"].protection.locked and ws["E3"].protection.locked
    assert not ws[f"E{FIRST_ROW}"].protection.locked and not ws[f"F{FIRST_ROW}"].protection.locked
    # Drop-down of the allowed levels on every score column, over all rows.
    last = FIRST_ROW + len(apps) - 1
    lists = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    for j, c in enumerate(cols, start=1):
        if c.kind == "score":
            letter = openpyxl.utils.get_column_letter(j)
            dv = lists[f"{letter}{FIRST_ROW}:{letter}{last}"]
            assert dv.type == "list" and dv.formula1 == '"1,2,3,4,5"' and dv.showErrorMessage
    assert len(lists) == len(rnd.rubric.criteria)
    assert ws.freeze_panes == f"E{FIRST_ROW}"
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)
    # Anchors: criterion × level → the rubric's Japanese text.
    anchors = pd.read_excel(path, sheet_name=ANCHOR_SHEET)
    assert len(anchors) == sum(len(c.levels) for c in rnd.rubric.criteria)
    for row in anchors.itertuples(index=False):
        crit = rnd.rubric.criterion(row[1])
        assert row[5] == crit.anchor(row[4]).ja
        assert row[6] == ("必須" if crit.comment_required(row[4]) else "任意")
    assert wb[ANCHOR_SHEET].protection.sheet and wb[GUIDE_SHEET].protection.sheet
    # The manifest: very hidden, consistent, hash over its fields.
    assert wb[MANIFEST_SHEET].sheet_state == "veryHidden"
    man = read_manifest(path)
    assert man is not None
    assert man["reviewer"] == "R6" and man["round_name"] == rnd.config.name
    assert man["rubric_version"] == rnd.rubric.version
    assert man["applications"].split(",") == apps
    assert man["hash"] == manifest_hash(man)
    assert manifest_hash({**man, "reviewer": "R1"}) != man["hash"]


def test_export_without_applications_is_refused(tmp_path: Path) -> None:
    d = copy_round(tmp_path / "round")
    text = (d / "reviewers.yaml").read_text(encoding="utf-8")
    codes = ", ".join(f'"{c}"' for c in load_round(d).applications.index)
    (d / "reviewers.yaml").write_text(text.replace('conflicts: ["20"]', f"conflicts: [{codes}]"), encoding="utf-8")
    rnd = load_round(d)
    with pytest.raises(ValueError, match="採点する応募がありません"):
        export_sheet(rnd, "R6", tmp_path / "r6.xlsx")
    paths = export_all(rnd, tmp_path / "all")
    assert [p.name for p in paths] == [f"採点表_R{i}.xlsx" for i in range(1, 6)]


def test_export_prefills_drafts_and_locks_submitted(rnd: ReviewRound, store: ScoreStore, tmp_path: Path) -> None:
    store.record("R1", "01", "need_pool_gap", 4, "", source="widget")
    store.record("R1", "01", "need_support_burden", 5, "理由（架空）", source="widget")
    store.record("R2", "02", "need_pool_gap", 2, "", source="widget")  # another reviewer: never shown
    path = export_sheet(rnd, "R1", tmp_path / "r1.xlsx", store=store)
    ws = openpyxl.load_workbook(path)[SCORE_SHEET]
    cols = columns_of(rnd)
    r01, r02 = FIRST_ROW, FIRST_ROW + 1
    assert ws[f"{cols['score:need_pool_gap']}{r01}"].value == 4
    assert ws[f"{cols['score:need_support_burden']}{r01}"].value == 5
    assert ws[f"{cols['comment:need_support_burden']}{r01}"].value == "理由（架空）"
    assert ws[f"{cols['status']}{r01}"].value == "下書き"
    assert ws[f"{cols['status']}{r02}"].value == "未着手"
    assert ws[f"{cols['score:need_pool_gap']}{r02}"].value is None
    # Importing the untouched pre-filled sheet keeps the scores as they are.
    report = import_sheets(rnd, [path], store)
    assert errors(report).empty
    assert report.attrs["imported"] == {str(path): 2}
    mine = canonical(store.scores().query("reviewer == 'R1'"))
    assert mine["score"].tolist() == [4.0, 5.0]


def test_submitted_rows_locked_unchanged_skipped_changed_refused(rnd: ReviewRound, store: ScoreStore,
                                                                tmp_path: Path) -> None:
    done = valid_fill(rnd, "R1", apps=["01"])
    store.record_many([{"reviewer": "R1", "application": a, "criterion": c, "score": s, "comment": m}
                       for (a, c), (s, m) in done.items()], source="widget", submit=[("R1", "01")])
    assert store.status("R1", "01") == "提出済"
    path = export_sheet(rnd, "R1", tmp_path / "r1.xlsx", store=store)
    ws = openpyxl.load_workbook(path)[SCORE_SHEET]
    cols = columns_of(rnd)
    assert ws[f"{cols['status']}{FIRST_ROW}"].value == "提出済"
    assert ws[f"E{FIRST_ROW}"].protection.locked and ws[f"F{FIRST_ROW}"].protection.locked
    assert not ws[f"E{FIRST_ROW + 1}"].protection.locked

    # Unchanged submitted scores are skipped; the new draft row is imported.
    new = valid_fill(rnd, "R1", apps=["02"])
    unchanged = fill_openpyxl(path, rnd, new)
    n_events = len(store.events())
    report = import_sheets(rnd, [unchanged], store)
    assert errors(report).empty, report.to_string()
    assert report.attrs["imported"] == {str(unchanged): len(new)}
    assert "提出済みの応募（01）は変更がないため取り込みません" in " ".join(report["message"])
    assert len(store.events()) == n_events + len(new)

    # A changed score of a submitted application refuses the whole file.
    wb = openpyxl.load_workbook(unchanged)
    old = wb[SCORE_SHEET][f"E{FIRST_ROW}"].value
    wb[SCORE_SHEET][f"E{FIRST_ROW}"] = 3 if old != 3 else 2
    wb[SCORE_SHEET][f"E{FIRST_ROW + 2}"] = 3
    changed = tmp_path / "r1_changed.xlsx"
    wb.save(changed)
    report = import_sheets(rnd, [changed], store)
    assert_problem(report, changed, SCORE_SHEET, f"E{FIRST_ROW}", "応募 01 は提出済みのため変更できません")
    assert report.attrs["imported"] == {str(changed): 0}
    assert len(store.events()) == n_events + len(new)


# ---------------------------------------------------------------------------
# Round trip through another writer
# ---------------------------------------------------------------------------


def test_round_trip_filled_with_xlsxwriter(rnd: ReviewRound, store: ScoreStore, tmp_path: Path) -> None:
    before = canonical(store.scores())
    exported = export_sheet(rnd, "R3", tmp_path / "r3.xlsx")
    apps = reviewer_applications(rnd, "R3")
    fill = valid_fill(rnd, "R3", skip=2)
    cols = columns_of(rnd)
    rows = {app: FIRST_ROW + i for i, app in enumerate(apps)}
    cells: dict[str, Any] = {}
    for n, ((app, crit), (score, comment)) in enumerate(fill.items()):
        value: Any = score
        if n % 7 == 1:
            value = str(score)  # typed as text
        elif n % 7 == 2:
            value = float(score)  # 3.0
        elif n % 7 == 3 and score == 4:
            value = "４"  # full-width digit (NFKC)
        elif n % 7 == 4:
            value = f"{score}点"  # with the unit
        cells[f"{cols['score:' + crit]}{rows[app]}"] = value
        if comment:
            cells[f"{cols['comment:' + crit]}{rows[app]}"] = comment
    kinds = [type(v).__name__ + ("-fullwidth" if v == "４" else "") for v in cells.values()]
    assert {"int", "float", "str", "str-fullwidth"} <= set(kinds)
    filled = rewrite_with_xlsxwriter(exported, tmp_path / "r3_filled.xlsx", cells)
    assert openpyxl.load_workbook(filled)[MANIFEST_SHEET].sheet_state == "veryHidden"

    report = import_sheets(rnd, [filled], store, reviewer="R3")

    assert list(report.columns) == list(PROBLEM_COLUMNS)
    assert errors(report).empty, report.to_string()
    blanks = report[report["message"].str.startswith("未入力")]
    assert sorted(blanks["cell"]) == sorted(f"E{rows[a]}:{cols['comment:theme_reuse']}{rows[a]}" for a in apps[-2:])
    assert (blanks["severity"] == "warning").all()
    assert report.attrs["imported"] == {str(filled): len(fill)}
    after = store.scores()
    mine = after[after["reviewer"] == "R3"]
    assert_frame_equal(canonical(mine), expected_table("R3", fill))
    assert set(mine["source"]) == {"excel"}
    assert set(mine["rubric_version"]) == {rnd.rubric.version}
    assert_frame_equal(canonical(after[after["reviewer"] != "R3"]), before[before["reviewer"] != "R3"].reset_index(drop=True))


# ---------------------------------------------------------------------------
# Bad sheets: nothing imported from the bad file, the good file in the same call is
# ---------------------------------------------------------------------------


def _set(cell: str, value: Any) -> Callable[[openpyxl.Workbook], None]:
    def edit(wb: openpyxl.Workbook) -> None:
        wb[SCORE_SHEET][cell] = value
    return edit


def _delete_row(wb: openpyxl.Workbook) -> None:
    wb[SCORE_SHEET].delete_rows(FIRST_ROW + 1)


def _swap_rows(wb: openpyxl.Workbook) -> None:
    ws = wb[SCORE_SHEET]
    for col in range(1, ws.max_column + 1):
        a, b = ws.cell(row=FIRST_ROW, column=col), ws.cell(row=FIRST_ROW + 1, column=col)
        a.value, b.value = b.value, a.value


def _delete_column(wb: openpyxl.Workbook) -> None:
    wb[SCORE_SHEET].delete_cols(6)


def _added_row(wb: openpyxl.Workbook) -> None:
    ws = wb[SCORE_SHEET]
    r = ws.max_row + 1
    ws[f"A{r}"] = "20"
    ws[f"E{r}"] = 3


def _tamper_manifest(wb: openpyxl.Workbook) -> None:
    ws = wb[MANIFEST_SHEET]
    for row in ws.iter_rows(min_row=2):
        if row[0].value == "applications":
            row[1].value = row[1].value + ",20"


def _drop_manifest(wb: openpyxl.Workbook) -> None:
    wb.remove(wb[MANIFEST_SHEET])


def _comment_formula(wb: openpyxl.Workbook) -> None:
    wb[SCORE_SHEET][f"F{FIRST_ROW}"] = "=A1"


BAD_SHEETS: dict[str, tuple[Callable[[openpyxl.Workbook], None], str, str, str]] = {
    # name: (edit, sheet, cell, message part)
    "text": (_set(f"E{FIRST_ROW}", "よい"), SCORE_SHEET, f"E{FIRST_ROW}", "「よい」は数値ではありません"),
    "out_of_range": (_set(f"G{FIRST_ROW}", 6), SCORE_SHEET, f"G{FIRST_ROW}", "点数 6 は範囲外です"),
    "zero": (_set(f"G{FIRST_ROW + 2}", "０"), SCORE_SHEET, f"G{FIRST_ROW + 2}", "点数 0 は範囲外です"),
    "off_step": (_set(f"I{FIRST_ROW + 1}", 3.5), SCORE_SHEET, f"I{FIRST_ROW + 1}", "刻み（1）に合いません"),
    "formula": (_set(f"E{FIRST_ROW}", "=2+2"), SCORE_SHEET, f"E{FIRST_ROW}", "数式が入っています"),
    "comment_formula": (_comment_formula, SCORE_SHEET, f"F{FIRST_ROW}", "コメント欄に数式"),
    "missing_comment": (_set(f"F{FIRST_ROW + 3}", None), SCORE_SHEET, f"F{FIRST_ROW + 3}",
                        "コメント（理由）が必要です"),
    "deleted_row": (_delete_row, SCORE_SHEET, f"A{FIRST_ROW + 1}", "応募 02 青森県 の行がありません"),
    "reordered_rows": (_swap_rows, SCORE_SHEET, f"A{FIRST_ROW}", "行の順序が書き出し時と違います"),
    "added_row": (_added_row, SCORE_SHEET, f"A{FIRST_ROW + 15}", "応募ID '20' はこの採点表に書き出されていません"),
    "deleted_column": (_delete_column, SCORE_SHEET, "F3", "見出しが書き出し時と違います"),
    "tampered_manifest": (_tamper_manifest, MANIFEST_SHEET, "B12", "ハッシュが一致しません"),
    "no_manifest": (_drop_manifest, "", "", "本ワークベンチが書き出した採点表ではありません"),
}


@pytest.fixture(scope="module")
def good_and_base(rnd: ReviewRound, tmp_path_factory: pytest.TempPathFactory
                  ) -> tuple[Path, dict[tuple[str, str], tuple[Any, str]], Path]:
    """R2's valid filled sheet, its fill, and R6's exported sheet filled validly (to be spoiled; read only)."""
    folder = tmp_path_factory.mktemp("sheets")
    good_fill = valid_fill(rnd, "R2")
    good = fill_openpyxl(export_sheet(rnd, "R2", folder / "r2.xlsx"), rnd, good_fill)
    base = fill_openpyxl(export_sheet(rnd, "R6", folder / "r6.xlsx"), rnd, valid_fill(rnd, "R6"))
    return good, good_fill, base


def test_valid_base_sheet_is_valid(rnd: ReviewRound, good_and_base: tuple[Path, Any, Path]) -> None:
    _, _, base = good_and_base
    rows, problems = validate_sheet(rnd, base, reviewer="R6")
    assert problems.empty, problems.to_string()
    assert len(rows) == 15 * len(rnd.rubric.criteria)
    # The spoiled cells below hold values that need it: E4 and F8 carry a required comment.
    assert any(r["application"] == "05" and r["criterion"] == "need_pool_gap" and r["score"] in (1, 5) for r in rows)


@pytest.mark.parametrize("case", sorted(BAD_SHEETS))
def test_bad_sheet_refused_good_sheet_imported(case: str, rnd: ReviewRound, store: ScoreStore,
                                               good_and_base: tuple[Path, Any, Path], tmp_path: Path) -> None:
    good, good_fill, base = good_and_base
    edit, sheet, cell, text = BAD_SHEETS[case]
    wb = openpyxl.load_workbook(base)
    edit(wb)
    bad = tmp_path / f"bad_{case}.xlsx"
    wb.save(bad)

    rows, problems = validate_sheet(rnd, bad)
    assert rows == []
    assert_problem(problems, bad, sheet, cell, text)

    report = import_sheets(rnd, [bad, good], store)
    assert_problem(report, bad, sheet, cell, text)
    assert errors(report, good).empty
    assert report.attrs["imported"] == {str(bad): 0, str(good): len(good_fill)}
    scores = store.scores()
    assert (scores["reviewer"] == "R6").sum() == 0
    assert_frame_equal(canonical(scores), expected_table("R2", good_fill))


def test_not_an_excel_file(rnd: ReviewRound, store: ScoreStore, tmp_path: Path) -> None:
    bad = tmp_path / "notes.xlsx"
    bad.write_text("これは Excel ではありません", encoding="utf-8")
    missing = tmp_path / "missing.xlsx"
    report = import_sheets(rnd, [bad, missing], store)
    assert_problem(report, bad, "", "", "Excel ファイル（.xlsx）として読めません")
    assert_problem(report, missing, "", "", "ファイルが見つかりません")


def test_application_form_is_not_a_scoring_sheet(rnd: ReviewRound, tmp_path: Path) -> None:
    from scoring.intake.template import write_template

    form = write_template(tmp_path / "form.xlsx")
    rows, problems = validate_sheet(rnd, form)
    assert rows == []
    assert_problem(problems, form, "", "", "本ワークベンチが書き出した採点表ではありません")


def test_another_reviewers_sheet(rnd: ReviewRound, store: ScoreStore,
                                 good_and_base: tuple[Path, Any, Path]) -> None:
    good, _, base = good_and_base
    report = import_sheets(rnd, [base], store, reviewer="R2")
    assert_problem(report, base, MANIFEST_SHEET, "B6", "別の審査員の採点表です（採点表: R6、取り込み先: R2）")
    assert store.scores().empty
    report = import_sheets(rnd, [good], store, reviewer="R2")
    assert errors(report).empty
    assert (store.scores()["reviewer"] == "R2").all() and len(store.scores())


def test_another_rounds_sheet(rnd: ReviewRound, store: ScoreStore, tmp_path: Path) -> None:
    other = load_round(copy_round(tmp_path / "other", name="令和9年度 別の審査（架空）"))
    sheet = fill_openpyxl(export_sheet(other, "R1", tmp_path / "other_r1.xlsx"), other, valid_fill(other, "R1"))
    report = import_sheets(rnd, [sheet], store)
    assert_problem(report, sheet, MANIFEST_SHEET, "B4", "別の審査ラウンドの採点表です")
    assert store.scores().empty


def test_same_round_moved_folder_is_a_warning(rnd: ReviewRound, store: ScoreStore, tmp_path: Path) -> None:
    moved = load_round(copy_round(tmp_path / "moved"))
    fill = valid_fill(moved, "R1")
    sheet = fill_openpyxl(export_sheet(moved, "R1", tmp_path / "moved_r1.xlsx"), moved, fill)
    report = import_sheets(rnd, [sheet], store)
    assert errors(report).empty
    warn = report[report["field"] == "審査ラウンド"]
    assert list(warn["severity"]) == ["warning"] and list(warn["cell"]) == ["B5"]
    assert_frame_equal(canonical(store.scores()), expected_table("R1", fill))


def test_changed_rubric_version(round_dir: Path, tmp_path: Path) -> None:
    rnd = load_round(round_dir)
    sheet = fill_openpyxl(export_sheet(rnd, "R1", tmp_path / "r1.xlsx"), rnd, valid_fill(rnd, "R1"))
    rubric = round_dir / "rubric.yaml"
    rubric.write_text(rubric.read_text(encoding="utf-8").replace("weight: 15", "weight: 16", 1), encoding="utf-8")
    changed = load_round(round_dir)
    assert changed.rubric.version != rnd.rubric.version
    s = ScoreStore.open(changed)
    try:
        report = import_sheets(changed, [sheet], s)
        assert_problem(report, sheet, MANIFEST_SHEET, "B8", "書き出し後に評価基準が変更されています")
        assert s.scores().empty
    finally:
        s.close()


def test_blank_cells_are_warnings_not_imported(rnd: ReviewRound, store: ScoreStore, tmp_path: Path) -> None:
    cols = columns_of(rnd)
    fill = {k: v for k, v in valid_fill(rnd, "R4", apps=["01"]).items() if k[1] != "theme_reuse"}
    sheet = fill_openpyxl(export_sheet(rnd, "R4", tmp_path / "r4.xlsx"), rnd, fill)
    wb = openpyxl.load_workbook(sheet)
    wb[SCORE_SHEET][f"{cols['comment:theme_reuse']}{FIRST_ROW + 1}"] = "コメントだけ（架空）"
    wb.save(sheet)
    report = import_sheets(rnd, [sheet], store)
    assert errors(report).empty
    one = report[report["cell"] == f"{cols['score:theme_reuse']}{FIRST_ROW}"]
    assert list(one["severity"]) == ["warning"] and one["message"].iloc[0].startswith("未入力: 応募 01 北海道")
    only_comment = report[report["cell"] == f"{cols['score:theme_reuse']}{FIRST_ROW + 1}"]
    assert "コメントだけで点数がありません" in only_comment["message"].iloc[0]
    assert report.attrs["imported"] == {str(sheet): len(fill)}
    assert_frame_equal(canonical(store.scores()), expected_table("R4", fill))


def test_store_refusal_imports_nothing_from_that_file(round_dir: Path,
                                                      good_and_base: tuple[Path, Any, Path]) -> None:
    """The store's own refusal (here a 利害関係 declared after export) rejects the whole file."""
    good, good_fill, _ = good_and_base
    rnd = load_round(round_dir)
    text = (round_dir / "reviewers.yaml").read_text(encoding="utf-8")
    (round_dir / "reviewers.yaml").write_text(text.replace("conflicts: []", 'conflicts: ["46"]', 1), encoding="utf-8")
    later = load_round(round_dir)
    assert "46" in later.reviewer("R1").conflicts
    s = ScoreStore.open(later)
    try:
        with pytest.raises(StoreError):
            s.record("R1", "46", "need_pool_gap", 3)
        r1 = fill_openpyxl(export_sheet(rnd, "R1", round_dir.parent / "r1.xlsx"), rnd, valid_fill(rnd, "R1"))
        # Validated against the round as exported; the store refuses on its own.
        report = import_sheets(rnd, [r1, good], s)
        errs = errors(report, r1)
        assert len(errs) == 1 and "何も取り込んでいません" in errs["message"].iloc[0]
        assert_frame_equal(canonical(s.scores()), expected_table("R2", good_fill))
        # Validated against the current round, the conflict is found cell by cell.
        report = import_sheets(later, [r1], s)
        assert_problem(report, r1, SCORE_SHEET, f"A{FIRST_ROW + 15}", "利害関係があります")
    finally:
        s.close()


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------


def test_cli_export_and_import(round_dir: Path, rnd: ReviewRound, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sheets"
    assert main(["sheets", "export", "--round", str(round_dir), "--all", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [f"採点表_R{i}.xlsx" for i in range(1, 7)]
    one = tmp_path / "one" / "r5.xlsx"
    assert main(["sheets", "export", "--round", str(round_dir), "--reviewer", "R5", "--out", str(one)]) == 0
    assert read_manifest(one)["reviewer"] == "R5"  # type: ignore[index]

    good_fill = valid_fill(rnd, "R1")
    good = fill_openpyxl(out / "採点表_R1.xlsx", rnd, good_fill)
    bad = fill_openpyxl(out / "採点表_R2.xlsx", rnd, valid_fill(rnd, "R2"))
    wb = openpyxl.load_workbook(bad)
    wb[SCORE_SHEET][f"E{FIRST_ROW}"] = "よい"
    wb.save(bad)
    capsys.readouterr()
    assert main(["sheets", "import", "--round", str(round_dir), str(good), str(bad)]) == 1
    printed = capsys.readouterr().out
    assert f"E{FIRST_ROW}" in printed and "「よい」は数値ではありません" in printed
    assert "取り込みませんでした" in printed and f"{len(good_fill)} 件" in printed
    s = ScoreStore.open(load_round(round_dir))
    try:
        assert_frame_equal(canonical(s.scores()), expected_table("R1", good_fill))
    finally:
        s.close()
    assert main(["sheets", "import", "--round", str(round_dir), str(good)]) == 0
