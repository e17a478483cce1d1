"""Formula cells in a 応募書 (issue #10, reproduction 7): never read silently.

A formula's cached value is used with a warning; without a usable cached value (none, an
error value, or the 0 / empty string that programs store when they do not calculate) it
is an error 「数式のセル: 値を直接入力してください」 naming the cell, and the field is empty.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import xlsxwriter
from openpyxl import load_workbook

from scoring.core.schema import FIELDS, META_SHEET, TEMPLATE_SHEET, TEMPLATE_VERSION
from scoring.intake.applications import read_applications
from scoring.intake.template import FIRST_ROW, example_values

WriteApp = Callable[..., Path]


def cell_of(key: str) -> str:
    return f"C{FIRST_ROW + [f.key for f in FIELDS].index(key)}"


def write_xlsxwriter(
    path: Path, code: str = "20", formulas: dict[str, tuple[str, Any]] | None = None, **overrides: Any
) -> Path:
    """A 応募書 written by xlsxwriter (as other programs write them): the same layout as the
    template; ``formulas`` maps a field key to (formula, cached value or None for xlsxwriter's 0)."""
    values = example_values(code, **overrides)
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(TEMPLATE_SHEET)
    dates = wb.add_format({"num_format": "yyyy/mm/dd hh:mm"})
    for i, f in enumerate(FIELDS):
        row = FIRST_ROW - 1 + i  # 0-based
        ws.write_string(row, 1, f.label)
        ws.write_string(row, 4, f.key)
        if formulas and f.key in formulas:
            formula, cached = formulas[f.key]
            if cached is None:
                ws.write_formula(row, 2, formula)
            else:
                ws.write_formula(row, 2, formula, None, cached)
            continue
        value = values.get(f.key)
        if value is None:
            continue
        if isinstance(value, str):
            ws.write_string(row, 2, value)
        elif hasattr(value, "year"):
            ws.write_datetime(row, 2, value, dates)
        else:
            ws.write_number(row, 2, value)
    meta = wb.add_worksheet(META_SHEET)
    meta.write_string(0, 0, "template_version")
    meta.write_string(0, 1, TEMPLATE_VERSION)
    wb.close()
    return path


def problems_of(folder: Path, file: str) -> pd.DataFrame:
    intake = read_applications(folder)
    return intake.problems[intake.problems["file"] == file]


def test_plain_xlsxwriter_file_reads_cleanly(tmp_path: Path) -> None:
    write_xlsxwriter(tmp_path / "x.xlsx")
    intake = read_applications(tmp_path)
    assert intake.problems.empty, intake.problems.to_dict("records")
    assert intake.applications.loc["20", "pool_size_total"] == 6


@pytest.mark.parametrize(
    ("key", "formula", "cached", "why"),
    [
        ("pool_size_total", "=2+1+2+1", None, "0 で"),  # xlsxwriter's cached 0: read as 0 before
        ("department", "=B1", None, "0 で"),  # read as 「0」 before
        ("pool_size_total", "=1/0", "#DIV/0!", "エラー値"),
        ("department", '=""', "", "保存されていません"),
    ],
)
def test_formula_without_a_usable_value_is_an_error(
    key: str, formula: str, cached: Any, why: str, tmp_path: Path
) -> None:
    write_xlsxwriter(tmp_path / "good.xlsx", "13")
    write_xlsxwriter(tmp_path / "f.xlsx", "20", formulas={key: (formula, cached)})
    intake = read_applications(tmp_path)
    rows = intake.problems[intake.problems["file"] == "f.xlsx"]
    assert len(rows) == 1, rows.to_dict("records")
    row = rows.iloc[0]
    assert row["severity"] == "error" and row["cell"] == cell_of(key) and row["sheet"] == TEMPLATE_SHEET
    assert "数式のセル" in row["message"] and "値を直接入力してください" in row["message"]
    assert cell_of(key) in row["message"] and formula in row["message"] and why in row["message"]
    assert pd.isna(intake.applications.loc["20", key])  # never a silent 0 or 「0」
    assert intake.applications.loc["20", "has_errors"] and not intake.applications.loc["13", "has_errors"]


def test_openpyxl_formula_without_cached_value_is_an_error(write_app: WriteApp, tmp_path: Path) -> None:
    path = write_app("f.xlsx", "20")
    wb = load_workbook(path)
    wb[TEMPLATE_SHEET][cell_of("target_headcount")] = "=5*2"  # openpyxl stores no cached value
    wb.save(path)
    rows = problems_of(tmp_path, "f.xlsx")
    assert len(rows) == 1
    row = rows.iloc[0]
    assert row["severity"] == "error" and row["cell"] == cell_of("target_headcount")
    assert "数式のセル" in row["message"] and "保存されていません" in row["message"]
    assert "空欄" not in row["message"]  # one row, not a second 「必須項目が空欄」


def test_formula_with_cached_value_is_used_with_a_warning(tmp_path: Path) -> None:
    write_xlsxwriter(
        tmp_path / "f.xlsx",
        "20",
        formulas={"pool_size_total": ("=2+1+2+1", 6), "department": ('="DX"&"推進課"', "DX推進課")},
    )
    intake = read_applications(tmp_path)
    rows = intake.problems
    assert set(rows["severity"]) == {"warning"} and len(rows) == 2
    assert set(rows["cell"]) == {cell_of("pool_size_total"), cell_of("department")}
    assert rows["message"].str.contains("数式のセル").all()
    assert rows["message"].str.contains("「6」を使いました").any()
    app = intake.applications.loc["20"]
    assert app["pool_size_total"] == 6 and app["department"] == "DX推進課"
    assert not app["has_errors"] and app["n_warnings"] == 2


def test_text_that_starts_with_equals_is_not_a_formula(write_app: WriteApp, tmp_path: Path) -> None:
    write_app("t.xlsx", "20", kpis="=満足度 80% 以上")  # stored as text by the template writer
    intake = read_applications(tmp_path)
    assert intake.problems.empty
    assert intake.applications.loc["20", "kpis"] == "=満足度 80% 以上"
