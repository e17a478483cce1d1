"""Offline Excel 採点表: export, fill with another writer, validate and import into a real store.

Every test works on a copy of the demo round in ``tmp_path`` (with its own rubric file and
its own SQLite store), so ``data/demo`` and its database are never touched. Bad sheets are
built by editing an exported sheet with openpyxl; the round trip fills the sheet with
xlsxwriter, an independent writer.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import shutil
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
import xlsxwriter
from pandas.testing import assert_frame_equal
from roundcopy import demo_ignore

from scoring.cli import main
from scoring.core.errors import SheetError, StoreError
from scoring.core.paths import DEMO_ROUND, PROJECT_DIR
from scoring.core.schema import PROBLEM_COLUMNS
from scoring.core.signing import key_id, load_key, verify
from scoring.review.sheet_checks import validate_sheet
from scoring.review.sheet_import import import_sheets
from scoring.review.sheet_manifest import MANIFEST_SHEET, manifest_payload, read_manifest
from scoring.review.sheets import (
    ANCHOR_SHEET,
    FIRST_ROW,
    GUIDE_SHEET,
    HEADER_ROW,
    SCORE_SHEET,
    export_all,
    export_sheet,
    reviewer_applications,
    sheet_columns,
)
from scoring.round.loader import ReviewRound, load_round
from scoring.store.scores import ScoreStore

KEY = ["application", "reviewer", "criterion"]


# ---------------------------------------------------------------------------
# Fixtures and helpers
# ---------------------------------------------------------------------------


def copy_round(dest: Path, *, name: str | None = None) -> Path:
    """A self-contained copy of the demo round (own rubric file, no database)."""
    shutil.copytree(DEMO_ROUND, dest, ignore=demo_ignore("*.sqlite*", "assignments.csv"))
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
    return {
        c.key: openpyxl.utils.get_column_letter(j) for j, c in enumerate(sheet_columns(rnd.rubric), start=1)
    }


def canonical(df: pd.DataFrame) -> pd.DataFrame:
    """The score table reduced to what a sheet carries, in a fixed order and dtype."""
    out = df.loc[:, ["application", "reviewer", "criterion", "score", "comment"]].copy()
    out = out.astype({"application": str, "reviewer": str, "criterion": str, "score": "float64"})
    out["comment"] = out["comment"].fillna("").astype(str)
    return out.sort_values(KEY).reset_index(drop=True)


def valid_fill(
    rnd: ReviewRound, reviewer: str, apps: list[str] | None = None, skip: int = 0
) -> dict[tuple[str, str], tuple[Any, str]]:
    """Deterministic valid scores: (application, criterion) → (cell value, comment).

    Every level is used; levels that need a comment get one; the last ``skip``
    applications stay blank.
    """
    apps = apps if apps is not None else reviewer_applications(rnd, reviewer)
    out: dict[tuple[str, str], tuple[Any, str]] = {}
    for i, app in enumerate(apps[: len(apps) - skip]):
        for k, crit in enumerate(rnd.rubric.criteria):
            level = crit.levels[(i + 2 * k + len(reviewer)) % len(crit.levels)]
            comment = (
                f"{reviewer}: {app} の{crit.label_ja}の理由（架空）" if crit.comment_required(level) else ""
            )
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
        {
            "application": app,
            "reviewer": reviewer,
            "criterion": crit,
            "score": float(score),
            "comment": comment,
        }
        for (app, crit), (score, comment) in fill.items()
    ]
    return canonical(pd.DataFrame(rows))


def errors(report: pd.DataFrame, file: Path | str | None = None) -> pd.DataFrame:
    out = report[report["severity"] == "error"]
    return out[out["file"] == str(file)] if file is not None else out


def assert_problem(report: pd.DataFrame, file: Path, sheet: str, cell: str, text: str) -> None:
    errs = errors(report, file)
    hit = errs[
        (errs["sheet"] == sheet) & (errs["cell"] == cell) & errs["message"].str.contains(text, regex=False)
    ]
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
        values: dict[str, Any] = {
            c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value is not None
        }
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
        "reviewer,application\nR1,38\nR1,02\nR6,20\nR6,01\nR2,01\n", encoding="utf-8"
    )
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
    assert [ws.cell(row=HEADER_ROW, column=j).value for j in range(1, len(cols) + 1)] == [
        c.header for c in cols
    ]
    first = rnd.rubric.criteria[0]
    assert (
        ws["E3"].value.startswith(first.label_ja)
        and "配点15点" in ws["E3"].value
        and "1〜5" in ws["E3"].value
    )
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
    # The manifest: very hidden, consistent, signed with the analyst's key over all its rows.
    assert wb[MANIFEST_SHEET].sheet_state == "veryHidden"
    man = read_manifest(path)
    assert man is not None
    assert man["reviewer"] == "R6" and man["round_name"] == rnd.config.name
    assert man["rubric_version"] == rnd.rubric.version
    assert man["applications"].split(",") == apps
    assert [k for k in man if k.startswith("state:")] == [f"state:{a}" for a in apps]
    assert man[f"state:{apps[0]}"] == "[" + ",".join(["null"] * len(rnd.rubric.criteria)) + "]"
    key = load_key()
    assert man["key_id"] == key_id(key)
    assert verify(manifest_payload(man), man["signature"], key)
    assert not verify(manifest_payload({**man, "reviewer": "R1"}), man["signature"], key)
    assert not verify(manifest_payload({**man, "state:01": "[]"}), man["signature"], key)


def test_export_without_applications_is_refused(tmp_path: Path) -> None:
    d = copy_round(tmp_path / "round")
    text = (d / "reviewers.yaml").read_text(encoding="utf-8")
    codes = ", ".join(f'"{c}"' for c in load_round(d).applications.index)
    (d / "reviewers.yaml").write_text(
        text.replace('conflicts: ["20"]', f"conflicts: [{codes}]"), encoding="utf-8"
    )
    rnd = load_round(d)
    with pytest.raises(SheetError, match="採点する応募がありません"):
        export_sheet(rnd, "R6", tmp_path / "r6.xlsx")
    paths = export_all(rnd, tmp_path / "all")
    assert [p.name for p in paths] == [f"採点表_R{i}.xlsx" for i in range(1, 6)]


def test_export_prefills_drafts_and_locks_submitted(
    rnd: ReviewRound, store: ScoreStore, tmp_path: Path
) -> None:
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
    # The manifest records the exported cells: last event id, score, comment digest.
    state = json.loads(read_manifest(path)["state:01"])  # type: ignore[index]
    assert state[:2] == [[1, 4.0, ""], [2, 5.0, hashlib.sha256("理由（架空）".encode()).hexdigest()[:12]]]
    # Importing the untouched pre-filled sheet writes nothing and keeps the scores as they are.
    n_events = len(store.events())
    report = import_sheets(rnd, [path], store)
    assert errors(report).empty
    assert report.attrs["imported"] == {str(path): 0}
    assert report.attrs["status"] == {str(path): "unchanged"}
    assert len(store.events()) == n_events
    mine = canonical(store.scores().query("reviewer == 'R1'"))
    assert mine["score"].tolist() == [4.0, 5.0]


def test_submitted_rows_locked_unchanged_skipped_changed_refused(
    rnd: ReviewRound, store: ScoreStore, tmp_path: Path
) -> None:
    done = valid_fill(rnd, "R1", apps=["01"])
    store.record_many(
        [
            {"reviewer": "R1", "application": a, "criterion": c, "score": s, "comment": m}
            for (a, c), (s, m) in done.items()
        ],
        source="widget",
        submit=[("R1", "01")],
    )
    assert store.status("R1", "01") == "提出済"
    path = export_sheet(rnd, "R1", tmp_path / "r1.xlsx", store=store)
    ws = openpyxl.load_workbook(path)[SCORE_SHEET]
    cols = columns_of(rnd)
    assert ws[f"{cols['status']}{FIRST_ROW}"].value == "提出済"
    assert ws[f"E{FIRST_ROW}"].protection.locked and ws[f"F{FIRST_ROW}"].protection.locked
    assert not ws[f"E{FIRST_ROW + 1}"].protection.locked

    # Unchanged submitted scores are not written again; the new draft row is imported.
    new = valid_fill(rnd, "R1", apps=["02"])
    unchanged = fill_openpyxl(path, rnd, new)
    n_events = len(store.events())
    report = import_sheets(rnd, [unchanged], store)
    assert errors(report).empty, report.to_string()
    assert report.attrs["imported"] == {str(unchanged): len(new)}
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
    assert sorted(blanks["cell"]) == sorted(
        f"E{rows[a]}:{cols['note:theme_reuse']}{rows[a]}" for a in apps[-2:]
    )
    assert (blanks["severity"] == "warning").all()
    assert report.attrs["imported"] == {str(filled): len(fill)}
    after = store.scores()
    mine = after[after["reviewer"] == "R3"]
    assert_frame_equal(canonical(mine), expected_table("R3", fill))
    assert set(mine["source"]) == {"excel"}
    assert set(mine["rubric_version"]) == {rnd.rubric.version}
    assert_frame_equal(
        canonical(after[after["reviewer"] != "R3"]), before[before["reviewer"] != "R3"].reset_index(drop=True)
    )


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


def _tamper_state(wb: openpyxl.Workbook) -> None:
    ws = wb[MANIFEST_SHEET]
    for row in ws.iter_rows(min_row=2):
        if row[0].value == "state:05":
            row[1].value = row[1].value.replace("null", '[1,3.0,""]', 1)


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
    "missing_comment": (
        _set(f"F{FIRST_ROW + 3}", None),
        SCORE_SHEET,
        f"F{FIRST_ROW + 3}",
        "コメント（理由）が必要です",
    ),
    "deleted_row": (_delete_row, SCORE_SHEET, f"A{FIRST_ROW + 1}", "応募 02 青森県 の行がありません"),
    "reordered_rows": (_swap_rows, SCORE_SHEET, f"A{FIRST_ROW}", "行の順序が書き出し時と違います"),
    "added_row": (
        _added_row,
        SCORE_SHEET,
        f"A{FIRST_ROW + 15}",
        "応募ID '20' はこの採点表に書き出されていません",
    ),
    "deleted_column": (_delete_column, SCORE_SHEET, "F3", "見出しが書き出し時と違います"),
    "tampered_manifest": (_tamper_manifest, MANIFEST_SHEET, "B13", "署名が一致しません"),
    "tampered_state": (_tamper_state, MANIFEST_SHEET, "B13", "署名が一致しません"),
    "no_manifest": (_drop_manifest, "", "", "本ワークベンチが書き出した採点表ではありません"),
}


@pytest.fixture(scope="module")
def good_and_base(
    rnd: ReviewRound, tmp_path_factory: pytest.TempPathFactory
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
    assert any(
        r["application"] == "05" and r["criterion"] == "need_pool_gap" and r["score"] in (1, 5) for r in rows
    )


@pytest.mark.parametrize("case", sorted(BAD_SHEETS))
def test_bad_sheet_refused_good_sheet_imported(
    case: str, rnd: ReviewRound, store: ScoreStore, good_and_base: tuple[Path, Any, Path], tmp_path: Path
) -> None:
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


def test_zip_bomb_is_refused_before_opening(rnd: ReviewRound, store: ScoreStore, tmp_path: Path) -> None:
    """The hostile-file check of core.safefiles runs before openpyxl opens a 採点表."""
    sheet = export_sheet(rnd, "R1", tmp_path / "r1.xlsx")
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(sheet) as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        dst.writestr("xl/media/zeros.bin", b"\0" * (20 * 1024 * 1024))
    report = import_sheets(rnd, [bomb], store)
    assert_problem(report, bomb, "", "", "開いていません")
    assert store.events().empty


def test_application_form_is_not_a_scoring_sheet(rnd: ReviewRound, tmp_path: Path) -> None:
    from scoring.intake.template import write_template

    form = write_template(tmp_path / "form.xlsx")
    rows, problems = validate_sheet(rnd, form)
    assert rows == []
    assert_problem(problems, form, "", "", "本ワークベンチが書き出した採点表ではありません")


def test_another_reviewers_sheet(
    rnd: ReviewRound, store: ScoreStore, good_and_base: tuple[Path, Any, Path]
) -> None:
    good, _, base = good_and_base
    report = import_sheets(rnd, [base], store, reviewer="R2")
    assert_problem(report, base, MANIFEST_SHEET, "B6", "別の審査員の採点表です（採点表: R6、取り込み先: R2）")
    assert store.scores().empty
    report = import_sheets(rnd, [good], store, reviewer="R2")
    assert errors(report).empty
    assert (store.scores()["reviewer"] == "R2").all() and len(store.scores())


def test_another_rounds_sheet(rnd: ReviewRound, store: ScoreStore, tmp_path: Path) -> None:
    other = load_round(copy_round(tmp_path / "other", name="令和9年度 別の審査（架空）"))
    sheet = fill_openpyxl(
        export_sheet(other, "R1", tmp_path / "other_r1.xlsx"), other, valid_fill(other, "R1")
    )
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
    rubric.write_text(
        rubric.read_text(encoding="utf-8").replace("weight: 15", "weight: 16", 1), encoding="utf-8"
    )
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
    assert list(one["severity"]) == ["warning"] and one["message"].iloc[0].startswith(
        "未入力: 応募 01 北海道"
    )
    only_comment = report[report["cell"] == f"{cols['score:theme_reuse']}{FIRST_ROW + 1}"]
    assert "コメントだけで点数がありません" in only_comment["message"].iloc[0]
    assert report.attrs["imported"] == {str(sheet): len(fill)}
    assert_frame_equal(canonical(store.scores()), expected_table("R4", fill))


def test_store_refusal_imports_nothing_from_that_file(
    round_dir: Path, good_and_base: tuple[Path, Any, Path]
) -> None:
    """The store's own refusal (here a 利害関係 declared after export) rejects the whole file."""
    good, good_fill, _ = good_and_base
    rnd = load_round(round_dir)
    text = (round_dir / "reviewers.yaml").read_text(encoding="utf-8")
    (round_dir / "reviewers.yaml").write_text(
        text.replace("conflicts: []", 'conflicts: ["46"]', 1), encoding="utf-8"
    )
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


def test_cli_export_and_import(
    round_dir: Path, rnd: ReviewRound, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
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


# ---------------------------------------------------------------------------
# Issue #10: forged manifests, old sheets, repeated imports, cleared cells
# ---------------------------------------------------------------------------


def _manifest_cell(path: Path, key: str) -> str:
    """The value cell (``B<row>``) of ``key`` on the manifest sheet ('' when there is none)."""
    ws = openpyxl.load_workbook(path)[MANIFEST_SHEET]
    rows = [r for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=1).value == key]
    return f"B{rows[0]}" if rows else ""


def forge_manifest(path: Path, dst: Path, **changes: str) -> Path:
    """What anyone can do with a public hash: edit manifest fields and recompute the hash.

    The forger recomputes SHA-256 over the other fields, as the format used to (and puts
    the same digest in a ``signature`` row, their best guess without the analyst's key).
    """
    wb = openpyxl.load_workbook(path)
    ws = wb[MANIFEST_SHEET]
    cells = {str(row[0].value): row[1] for row in ws.iter_rows(min_row=2) if row[0].value is not None}
    for key, value in changes.items():
        cells[key].value = value
    payload = {
        k: ("" if c.value is None else str(c.value))
        for k, c in cells.items()
        if k not in ("hash", "signature")
    }
    text = "shinsa-saitenhyo\n" + json.dumps(
        payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    for key in ("hash", "signature"):
        if key in cells:
            cells[key].value = digest
    wb.save(dst)
    return dst


def score_events(store: ScoreStore) -> pd.DataFrame:
    ev = store.events()
    return ev[ev["kind"] == "score"]


def test_forged_reviewer_in_manifest_is_refused(rnd: ReviewRound, store: ScoreStore, tmp_path: Path) -> None:
    """#10.2: R4's sheet with the manifest's reviewer edited to R2 and the hash recomputed."""
    sheet = fill_openpyxl(export_sheet(rnd, "R4", tmp_path / "r4.xlsx"), rnd, valid_fill(rnd, "R4"))
    forged = forge_manifest(sheet, tmp_path / "r4_as_r2.xlsx", reviewer="R2")
    for who in (None, "R2"):
        report = import_sheets(rnd, [forged], store, reviewer=who)
        assert_problem(
            report, forged, MANIFEST_SHEET, _manifest_cell(forged, "signature"), "署名が一致しません"
        )
        assert report.attrs["imported"] == {str(forged): 0}
    assert store.events().empty
    # The genuine sheet is still R4's only.
    report = import_sheets(rnd, [sheet], store, reviewer="R2")
    assert_problem(
        report, sheet, MANIFEST_SHEET, "B6", "別の審査員の採点表です（採点表: R4、取り込み先: R2）"
    )
    assert store.events().empty


def test_application_added_to_manifest_is_refused(round_dir: Path, tmp_path: Path) -> None:
    """#10.2: an application code added to the manifest (and a row for it), even with --reviewer."""
    (round_dir / "assignments.csv").write_text(
        "reviewer,application\nR4,01\nR4,02\nR1,03\n", encoding="utf-8"
    )
    rnd = load_round(round_dir)
    sheet = fill_openpyxl(export_sheet(rnd, "R4", tmp_path / "r4.xlsx"), rnd, valid_fill(rnd, "R4"))
    assert read_manifest(sheet)["applications"] == "01,02"  # type: ignore[index]
    wb = openpyxl.load_workbook(sheet)
    ws = wb[SCORE_SHEET]
    ws[f"A{FIRST_ROW + 2}"] = "03"
    wb.save(tmp_path / "with_row.xlsx")
    fill_openpyxl(tmp_path / "with_row.xlsx", rnd, valid_fill(rnd, "R4", apps=["03"]))
    forged = forge_manifest(tmp_path / "with_row.xlsx", tmp_path / "forged.xlsx", applications="01,02,03")
    s = ScoreStore.open(rnd)
    try:
        report = import_sheets(rnd, [forged], s, reviewer="R4")
        assert_problem(
            report, forged, MANIFEST_SHEET, _manifest_cell(forged, "signature"), "署名が一致しません"
        )
        assert s.events().empty
    finally:
        s.close()


def test_assignment_checked_at_import_time(round_dir: Path, tmp_path: Path) -> None:
    """An application taken off the reviewer after export is refused, whatever the manifest says."""
    (round_dir / "assignments.csv").write_text(
        "reviewer,application\nR4,01\nR4,02\nR4,03\n", encoding="utf-8"
    )
    rnd = load_round(round_dir)
    sheet = fill_openpyxl(export_sheet(rnd, "R4", tmp_path / "r4.xlsx"), rnd, valid_fill(rnd, "R4"))
    (round_dir / "assignments.csv").write_text(
        "reviewer,application\nR4,01\nR4,02\nR1,03\n", encoding="utf-8"
    )
    now = load_round(round_dir)
    s = ScoreStore.open(now)
    try:
        report = import_sheets(now, [sheet], s, reviewer="R4")
        assert_problem(report, sheet, SCORE_SHEET, f"A{FIRST_ROW + 2}", "審査員 R4 の担当ではありません")
        assert s.events().empty
    finally:
        s.close()


def test_missing_signature_is_refused(rnd: ReviewRound, store: ScoreStore, tmp_path: Path) -> None:
    sheet = fill_openpyxl(export_sheet(rnd, "R4", tmp_path / "r4.xlsx"), rnd, valid_fill(rnd, "R4"))
    wb = openpyxl.load_workbook(sheet)
    ws = wb[MANIFEST_SHEET]
    for row in ws.iter_rows(min_row=2):
        if row[0].value == "signature":
            row[1].value = None
    wb.save(sheet)
    report = import_sheets(rnd, [sheet], store)
    assert_problem(report, sheet, MANIFEST_SHEET, _manifest_cell(sheet, "signature"), "署名がありません")
    assert store.events().empty


def test_sheet_signed_with_another_key_is_refused(
    rnd: ReviewRound, store: ScoreStore, tmp_path: Path
) -> None:
    other_key = bytes(range(32))
    sheet = fill_openpyxl(
        export_sheet(rnd, "R4", tmp_path / "r4.xlsx", key=other_key), rnd, valid_fill(rnd, "R4")
    )
    report = import_sheets(rnd, [sheet], store)
    assert_problem(
        report, sheet, MANIFEST_SHEET, _manifest_cell(sheet, "signature"), "別の鍵で署名されています"
    )
    assert store.events().empty
    assert import_sheets(rnd, [sheet], store, key=other_key).attrs["imported"] == {
        str(sheet): len(reviewer_applications(rnd, "R4")) * len(rnd.rubric.criteria)
    }


def _other_level(crit: Any, level: Any) -> Any:
    return next(lv for lv in crit.levels if lv != level and not crit.comment_required(lv))


def test_older_sheet_stops_at_a_newer_score(rnd: ReviewRound, store: ScoreStore, tmp_path: Path) -> None:
    """#10.3: export, import, change a score in the app, import the first file again."""
    fill = valid_fill(rnd, "R1", apps=["01"])
    first = fill_openpyxl(export_sheet(rnd, "R1", tmp_path / "r1.xlsx"), rnd, fill)
    assert import_sheets(rnd, [first], store).attrs["imported"] == {str(first): len(fill)}
    crit = rnd.rubric.criteria[0]
    newer = _other_level(crit, fill[("01", crit.id)][0])
    store.record("R1", "01", crit.id, newer, "アプリで直した（架空）", source="widget")
    n_events = len(store.events())

    report = import_sheets(rnd, [first], store)
    cell = f"{columns_of(rnd)['score:' + crit.id]}{FIRST_ROW}"
    assert_problem(report, first, SCORE_SHEET, cell, "書き出し後に採点データベースで変更されています")
    msg = errors(report, first)["message"].iloc[0]
    assert f"データベース: {newer}点" in msg and "アプリで直した（架空）" in msg
    assert f"採点表: {fill[('01', crit.id)][0]}点" in msg
    assert report.attrs["imported"] == {str(first): 0}
    assert report.attrs["status"] == {str(first): "conflict"}
    diff = report.attrs["conflicts"]
    assert list(diff[["file", "cell", "application", "criterion"]].itertuples(index=False, name=None)) == [
        (str(first), cell, "01", crit.id)
    ]
    assert float(diff["store_score"].iloc[0]) == float(newer)
    assert len(store.events()) == n_events
    mine = store.scores().set_index(["application", "criterion"])
    assert mine.loc[("01", crit.id), "score"] == float(newer)

    # Overwriting takes a reason, which is recorded with the events.
    with pytest.raises(SheetError, match="--reason"):
        import_sheets(rnd, [first], store, overwrite=True)
    report = import_sheets(rnd, [first], store, overwrite=True, reason="審査員に電話で確認（架空）")
    assert errors(report).empty
    assert report.attrs["imported"] == {str(first): 1}
    last = store.events().iloc[-1]
    assert last["criterion"] == crit.id and last["score"] == float(fill[("01", crit.id)][0])
    assert "審査員に電話で確認（架空）" in last["actor"] and last["source"] == "excel"


def test_older_sheet_after_corrected_reexport(rnd: ReviewRound, store: ScoreStore, tmp_path: Path) -> None:
    """#10.3: a corrected re-export writes only its change; the first file then stops."""
    fill = valid_fill(rnd, "R1", apps=["01", "02"])
    first = fill_openpyxl(export_sheet(rnd, "R1", tmp_path / "r1.xlsx"), rnd, fill)
    import_sheets(rnd, [first], store)
    crit = rnd.rubric.criteria[1]
    corrected = _other_level(crit, fill[("02", crit.id)][0])
    second = fill_openpyxl(
        export_sheet(rnd, "R1", tmp_path / "r1_v2.xlsx", store=store), rnd, {("02", crit.id): (corrected, "")}
    )
    n_events = len(score_events(store))
    report = import_sheets(rnd, [second], store)
    assert errors(report).empty and report.attrs["imported"] == {str(second): 1}
    assert len(score_events(store)) == n_events + 1

    report = import_sheets(rnd, [first], store)
    cell = f"{columns_of(rnd)['score:' + crit.id]}{FIRST_ROW + 1}"
    assert list(errors(report, first)["cell"]) == [cell]
    assert len(score_events(store)) == n_events + 1
    assert store.scores().set_index(["application", "criterion"]).loc[("02", crit.id), "score"] == float(
        corrected
    )


def test_old_sheet_never_undoes_cells_it_did_not_change(
    rnd: ReviewRound, store: ScoreStore, tmp_path: Path
) -> None:
    fill = valid_fill(rnd, "R1", apps=["01"])
    store.record_many(
        [
            {"reviewer": "R1", "application": a, "criterion": c, "score": s, "comment": m}
            for (a, c), (s, m) in fill.items()
        ],
        source="widget",
    )
    sheet = export_sheet(rnd, "R1", tmp_path / "r1.xlsx", store=store)
    y, x = rnd.rubric.criteria[0], rnd.rubric.criteria[1]
    newer_y = _other_level(y, fill[("01", y.id)][0])
    store.record("R1", "01", y.id, newer_y, "", source="widget")  # in the app, after the export
    new_x = _other_level(x, fill[("01", x.id)][0])
    fill_openpyxl(sheet, rnd, {("01", x.id): (new_x, "")})  # the reviewer changes only x
    report = import_sheets(rnd, [sheet], store)
    assert errors(report).empty, report.to_string()
    assert report.attrs["imported"] == {str(sheet): 1}
    now = store.scores().set_index(["application", "criterion"])
    assert now.loc[("01", y.id), "score"] == float(newer_y)
    assert now.loc[("01", x.id), "score"] == float(new_x)


def test_importing_the_same_file_twice_writes_nothing(
    round_dir: Path, rnd: ReviewRound, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """#10.4: the second import of the same file appends nothing and says so."""
    sheet = tmp_path / "r1.xlsx"
    assert main(["sheets", "export", "--round", str(round_dir), "--reviewer", "R1", "--out", str(sheet)]) == 0
    fill = valid_fill(rnd, "R1")
    fill_openpyxl(sheet, rnd, fill)
    capsys.readouterr()
    assert main(["sheets", "import", "--round", str(round_dir), str(sheet)]) == 0
    assert f"{len(fill)} 件の点数を取り込みました" in capsys.readouterr().out
    s = ScoreStore.open(load_round(round_dir))
    try:
        n_events = len(s.events())
        assert main(["sheets", "import", "--round", str(round_dir), str(sheet)]) == 0
        printed = capsys.readouterr().out
        assert "変更はありません。何も書き込みませんでした" in printed and "取り込みました" not in printed
        assert len(s.events()) == n_events
        report = import_sheets(load_round(round_dir), [sheet], s)
        assert report.attrs["imported"] == {str(sheet): 0}
        assert report.attrs["status"] == {str(sheet): "unchanged"}
        assert len(s.events()) == n_events
    finally:
        s.close()


def test_score_cleared_in_excel_is_recorded_as_a_deletion(
    rnd: ReviewRound, store: ScoreStore, tmp_path: Path
) -> None:
    """#10.5: a score cleared in Excel clears it in the store (an event without a score), visibly."""
    fill = valid_fill(rnd, "R1", apps=["01"])
    store.record_many(
        [
            {"reviewer": "R1", "application": a, "criterion": c, "score": s, "comment": m}
            for (a, c), (s, m) in fill.items()
        ],
        source="widget",
    )
    sheet = export_sheet(rnd, "R1", tmp_path / "r1.xlsx", store=store)
    crit = next(c for c in rnd.rubric.criteria if not fill[("01", c.id)][1])
    cols = columns_of(rnd)
    cell = f"{cols['score:' + crit.id]}{FIRST_ROW}"
    wb = openpyxl.load_workbook(sheet)
    wb[SCORE_SHEET][cell] = None
    wb.save(sheet)

    report = import_sheets(rnd, [sheet], store)
    assert errors(report).empty, report.to_string()
    assert report.attrs["imported"] == {str(sheet): 1}
    cleared = report[report["cell"] == cell]
    assert list(cleared["severity"]) == ["warning"]
    assert "点数が消されています（書き出し時: " in cleared["message"].iloc[0]
    last = store.events().iloc[-1]
    assert (last["kind"], last["application"], last["criterion"]) == ("score", "01", crit.id)
    assert math.isnan(last["score"])
    assert ("01", crit.id) not in set(zip(store.scores()["application"], store.scores()["criterion"]))
    # A blank cell that was blank in the store too stays 未入力 (a warning, nothing written).
    blank = report[report["message"].str.startswith("未入力: 応募 02")]
    assert list(blank["severity"]) == ["warning"]
    # Importing it again writes nothing.
    assert import_sheets(rnd, [sheet], store).attrs["status"] == {str(sheet): "unchanged"}


# ---------------------------------------------------------------------------
# --submit: the returned sheet is the reviewer's final answer
# ---------------------------------------------------------------------------


def test_import_with_submit_submits_the_complete_applications_only(
    rnd: ReviewRound, store: ScoreStore, tmp_path: Path
) -> None:
    apps = reviewer_applications(rnd, "R3")
    exported = export_sheet(rnd, "R3", tmp_path / "r3.xlsx")
    fill = valid_fill(rnd, "R3", skip=1)  # the last application stays blank
    half = next(iter(c.id for c in rnd.rubric.criteria))
    del fill[(apps[0], half)]  # and the first one lacks one criterion
    filled = fill_openpyxl(exported, rnd, fill)

    report = import_sheets(rnd, [filled], store, reviewer="R3", submit=True)

    assert errors(report).empty, report.to_string()
    assert store.status("R3", apps[0]) == "下書き"
    assert store.status("R3", apps[-1]) == "未着手"
    assert all(store.status("R3", a) == "提出済" for a in apps[1:-1])
    not_submitted = report[report["message"].str.contains("提出しませんでした")]
    assert list(not_submitted["severity"]) == ["warning"]
    assert apps[0] in not_submitted.iloc[0]["message"]
    receipts = store.receipts()
    assert set(receipts.loc[receipts["reviewer"] == "R3", "application"]) == set(apps[1:-1])
    # the same file again: nothing to write, nothing more to submit
    again = import_sheets(rnd, [filled], store, reviewer="R3", submit=True)
    assert again.attrs["status"] == {str(filled): "unchanged"}


def test_import_without_submit_leaves_drafts(rnd: ReviewRound, store: ScoreStore, tmp_path: Path) -> None:
    apps = reviewer_applications(rnd, "R3")
    filled = fill_openpyxl(export_sheet(rnd, "R3", tmp_path / "r3.xlsx"), rnd, valid_fill(rnd, "R3"))
    import_sheets(rnd, [filled], store, reviewer="R3")
    assert {store.status("R3", a) for a in apps} == {"下書き"}
    # submitting later from the same, unchanged file (the reviewer confirmed by e-mail)
    report = import_sheets(rnd, [filled], store, reviewer="R3", submit=True)
    assert errors(report).empty, report.to_string()
    assert {store.status("R3", a) for a in apps} == {"提出済"}
