"""The Excel 応募書 template generated from the schema."""

from __future__ import annotations

import openpyxl

from scoring.core.schema import FIELDS, LISTS_SHEET, META_SHEET, TEMPLATE_SHEET, TEMPLATE_VERSION, THEMES
from scoring.intake.template import FIRST_ROW, INPUT_COL, KEY_COL, example_values, write_template


def test_template_has_one_labelled_row_per_field_and_a_hidden_version(tmp_path):
    wb = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx"))
    assert wb.sheetnames == [TEMPLATE_SHEET, LISTS_SHEET, META_SHEET]
    assert wb[META_SHEET].sheet_state == "hidden" and wb[META_SHEET]["B1"].value == TEMPLATE_VERSION
    ws = wb[TEMPLATE_SHEET]
    keys = [ws[f"{KEY_COL}{FIRST_ROW + i}"].value for i in range(len(FIELDS))]
    assert keys == [f.key for f in FIELDS]
    assert ws.column_dimensions[KEY_COL].hidden
    for i, f in enumerate(FIELDS):
        label = ws[f"B{FIRST_ROW + i}"].value
        assert f.label in label and (label.startswith("※") == f.required)
        assert ws[f"{INPUT_COL}{FIRST_ROW + i}"].protection.locked is False
    assert ws.protection.sheet is True
    assert ws["B4"].protection.locked is not False


def test_template_drop_downs_cover_the_lists(tmp_path):
    wb = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx"))
    ws, lists = wb[TEMPLATE_SHEET], wb[LISTS_SHEET]
    row_of = {f.key: FIRST_ROW + i for i, f in enumerate(FIELDS)}
    validated = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            validated[rng.min_row] = dv.formula1
    for key in ("prefecture", "theme", "pool_status", "application_type"):
        assert row_of[key] in validated, key
    # The theme list holds A) … F) with the call's names.
    col = next(c for c in lists[1] if c.value == "重点テーマ").column_letter
    themes = [lists[f"{col}{r}"].value for r in range(2, 8)]
    assert themes == [f"{k}) {v}" for k, v in THEMES.items()]
    col = next(c for c in lists[1] if c.value == "都道府県名").column_letter
    assert lists[f"{col}2"].value == "北海道" and lists[f"{col}48"].value == "沖縄県"


def test_filled_template_keeps_formula_like_text_as_text(tmp_path):
    values = example_values("20", theme_reason='=HYPERLINK("http://example.com")')
    wb = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx", values))
    ws = wb[TEMPLATE_SHEET]
    row = FIRST_ROW + [f.key for f in FIELDS].index("theme_reason")
    cell = ws[f"{INPUT_COL}{row}"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


def test_unknown_value_key_is_refused(tmp_path):
    import pytest

    with pytest.raises(KeyError, match="themee"):
        write_template(tmp_path / "t.xlsx", {"themee": "A"})
