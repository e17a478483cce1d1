"""The Excel 応募書 template, generated from :mod:`scoring.core.schema`.

Layout of the sheet ``応募書`` (one row per field, no merged cells):

====  =======  ==========  ======================  =========================
col   A        B           C                       D                  E (hidden)
====  =======  ==========  ======================  =========================
      区分     項目        入力欄 (yellow, unlocked) 記入上の注意      field key
====  =======  ==========  ======================  =========================

The hidden column E holds each row's field key, so the reader finds a field even if a
prefecture inserts a row. The hidden sheet ``_meta`` holds the template version.
Drop-down lists (都道府県, 重点テーマ, 人材プールの状況, 応募区分, 調整状況) refer to the
hidden sheet ``選択肢``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from ..core.excel import set_text
from ..core.reference import prefectures
from ..core.schema import FIELDS, LISTS_SHEET, META_SHEET, TEMPLATE_SHEET, TEMPLATE_VERSION, Field

__all__ = ["FIRST_ROW", "INPUT_COL", "KEY_COL", "example_values", "write_template"]

#: First row that holds a field (rows above: title, note, header).
FIRST_ROW = 4
#: Column letters of the input cells and of the hidden field keys.
INPUT_COL = "C"
KEY_COL = "E"

_INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
_HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
_FONT = "Meiryo UI"


def _lists(field: Field) -> tuple[str, ...]:
    if field.kind == "prefecture":
        return tuple(prefectures()["name_ja"])
    return field.choices


def write_template(path: str | Path, values: Mapping[str, object] | None = None) -> Path:
    """Write the 応募書 template to ``path``, optionally filled with ``values``.

    Parameters
    ----------
    path : str or Path
        Output .xlsx path; parent folders are created.
    values : mapping, optional
        Field key → value to put in the input cell (str, int, float, date, datetime).
        Unknown keys raise ``KeyError`` so that a typo in a generator is not silent.
        Strings are always stored as text, never as formulas.

    Returns
    -------
    Path
        The written path.
    """
    values = dict(values or {})
    unknown = set(values) - {f.key for f in FIELDS}
    if unknown:
        raise KeyError(f"応募書の項目にないキー: {sorted(unknown)}")

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    _write_heading(ws)
    lists = wb.create_sheet(LISTS_SHEET)
    list_col = 0
    for i, f in enumerate(FIELDS):
        cell = _write_field_row(ws, FIRST_ROW + i, f)
        options = _lists(f)
        if options:
            list_col += 1
            _add_drop_down(ws, lists, get_column_letter(list_col), f.label, options, cell)
        if values.get(f.key) is not None:
            _fill(cell, values[f.key])
    lists.sheet_state = "hidden"
    _protect_and_set_page(ws)
    _write_meta(wb)

    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out


def _write_heading(ws: Worksheet) -> None:
    """Title, note and column headers of the sheet 応募書; column widths; the hidden key column."""
    ws.title = TEMPLATE_SHEET
    ws["A1"] = "自治体デジタル人材確保支援事業 応募書"
    ws["A1"].font = Font(name=_FONT, size=14, bold=True)
    ws["A2"] = "※印は必須項目です。黄色の入力欄に記入してください。行や列の削除はしないでください。"
    ws["A2"].font = Font(name=_FONT, size=10)
    for col, head in zip("ABCDE", ("区分", "項目", "入力欄", "記入上の注意", "項目キー")):
        c = ws[f"{col}{FIRST_ROW - 1}"]
        c.value = head
        c.font = Font(name=_FONT, bold=True)
        c.fill = _HEADER_FILL
    widths = {"A": 22, "B": 38, "C": 60, "D": 50, "E": 28}
    for col, w in widths.items():
        ws.column_dimensions[col].width = w
    ws.column_dimensions[KEY_COL].hidden = True
    ws.freeze_panes = f"C{FIRST_ROW}"


def _write_field_row(ws: Worksheet, row: int, f: Field) -> Cell:
    """The row of one field (section, label, help, hidden key); returns its empty input cell."""
    wrap = Alignment(wrap_text=True, vertical="top")
    ws[f"A{row}"] = f.section
    ws[f"B{row}"] = ("※ " if f.required else "") + f.display_label
    ws[f"D{row}"] = f.help
    ws[f"{KEY_COL}{row}"] = f.key
    for col in "ABD":
        ws[f"{col}{row}"].font = Font(name=_FONT)
        ws[f"{col}{row}"].alignment = wrap
    cell = ws[f"{INPUT_COL}{row}"]
    cell.fill = _INPUT_FILL
    cell.protection = Protection(locked=False)
    cell.alignment = wrap
    cell.font = Font(name=_FONT)
    if f.kind == "longtext":
        ws.row_dimensions[row].height = 60
    return cell


def _add_drop_down(
    ws: Worksheet, lists: Worksheet, letter: str, label: str, options: tuple[str, ...], cell: Cell
) -> None:
    """Write ``options`` in column ``letter`` of the hidden sheet 選択肢 and offer them in ``cell``."""
    lists[f"{letter}1"] = label
    for j, opt in enumerate(options, start=2):
        lists[f"{letter}{j}"] = opt
    dv = DataValidation(
        type="list",
        formula1=f"'{LISTS_SHEET}'!${letter}$2:${letter}${len(options) + 1}",
        allow_blank=True,
        showErrorMessage=False,  # people paste and type; the reader normalises
    )
    dv.promptTitle = label
    dv.prompt = "一覧から選択してください"
    ws.add_data_validation(dv)
    dv.add(cell)


def _fill(cell: Cell, value: object) -> None:
    """Put ``value`` in an input cell: a str always as text (never a formula), dates formatted."""
    if isinstance(value, str):
        set_text(cell, value)
    else:
        cell.value = value
        if isinstance(value, dt.datetime):
            cell.number_format = "yyyy/mm/dd hh:mm"
        elif isinstance(value, dt.date):
            cell.number_format = "yyyy/mm/dd"


def _protect_and_set_page(ws: Worksheet) -> None:
    """Lock the labels (not the input cells, no password) and print on A4 portrait, one page wide."""
    ws.protection.sheet = True  # labels are locked; input cells are not. No password.
    ws.protection.formatRows = False  # people may widen rows for long text
    ws.page_setup.orientation = "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToHeight = 0


def _write_meta(wb: Workbook) -> None:
    """The hidden sheet _meta: the template version (checked by the reader) and the generator."""
    meta = wb.create_sheet(META_SHEET)
    meta["A1"], meta["B1"] = "template_version", TEMPLATE_VERSION
    meta["A2"], meta["B2"] = "generator", "shinsa scoring.intake.template"
    meta.sheet_state = "hidden"


def example_values(code: str = "20", **overrides: Any) -> dict[str, Any]:
    """A complete, valid and self-consistent application for prefecture ``code`` (架空).

    Used by tests, benchmarks and ``python -m scoring template --example``; ``overrides``
    replace single fields (a key that is not a field raises ``KeyError`` in
    :func:`write_template`).
    """
    ref = cast("pd.Series", prefectures().loc[code])  # one row: the index is unique
    n = int(ref["municipalities_incl_wards"])
    values: dict[str, Any] = {
        "prefecture": str(ref["name_ja"]),
        "department": "企画振興部DX推進課（架空）",
        "contact_name": "架空 太郎",
        "contact_email": "dx-suishin@example.lg.jp",
        "contact_phone": "000-000-0000",
        "submitted_at": dt.datetime(2026, 2, 18, 15, 0),
        "application_type": "手上げ式",
        "dx_body_exists": "あり",
        "dx_body_since": dt.date(2022, 4, 1),
        "pool_status": "構築中",
        "pool_size_total": 6,
        "pool_accelerators": 2,
        "pool_fixed_term": 1,
        "pool_fulltime": 2,
        "pool_outsourced": 1,
        "pool_secondees": 0,
        "municipalities_supported": min(12, n),
        "support_so_far": "架空の支援内容。",
        "issue_recruitment": "架空の課題: 人材の確保が難しい。",
        "one_person_it_municipalities": min(3, n),
        "target_headcount": 10,
        "target_date": dt.date(2027, 3, 31),
        "planned_employment": "任期付職員",
        "funding": "普通交付税措置",
        "hr_coordination": "調整中",
        "finance_coordination": "未着手",
        "theme": "A) システムの共同調達",
        "theme_reason": "架空の理由。",
        "participating_municipalities": min(5, n),
        "participating_names": "架空市、架空町",
    }
    values.update(overrides)
    return values
