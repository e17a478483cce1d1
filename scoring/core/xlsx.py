"""Clean, machine-readable Excel output (MIC's 2020 rule for machine-readable tables).

One value per cell, no merged cells, numbers as numbers, units in headers, a Western
date beside any 和暦 date, free text stored as text (never as a formula), a styled
header row, frozen panes, an auto-filter, column widths that fit Japanese text, A4
landscape printing. Every workbook the workbench writes goes through :func:`write_sheet`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from .excel import display_width, set_text

__all__ = ["write_sheet", "write_workbook"]

_HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
_HEADER_FONT = Font(name="Meiryo UI", bold=True, color="FFFFFF")
_BODY_FONT = Font(name="Meiryo UI")
_THIN = Side(style="thin", color="BFBFBF")
_BODY_BORDER = Border(top=_THIN, bottom=_THIN, left=_THIN, right=_THIN)
_MAX_WIDTH = 60


def _cell_value(value: object) -> object:
    """Convert a pandas/numpy value into something openpyxl writes as a number/date/text."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        # Excel has no time zones: write local (JST) wall-clock time; the header says so.
        value = value.replace(tzinfo=None)
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy scalar → python
    return value


def write_sheet(ws: Worksheet, df: pd.DataFrame, *, index: bool = False, wrap_over: int = 40) -> None:
    """Write ``df`` to ``ws`` as one clean table starting at A1.

    Parameters
    ----------
    ws : Worksheet
        An empty worksheet.
    df : DataFrame
        Column names become the header row (put units in them, e.g. ``市町村数（団体）``).
    index : bool
        Write the index as the first column(s).
    wrap_over : int
        Columns whose content is wider than this many half-width characters wrap.
    """
    if index:
        df = df.reset_index()
    headers = [str(c) for c in df.columns]
    widths = [display_width(h) for h in headers]
    for j, head in enumerate(headers, start=1):
        c = ws.cell(row=1, column=j, value=head)
        c.font, c.fill = _HEADER_FONT, _HEADER_FILL
        c.alignment = Alignment(wrap_text=True, vertical="center")
    for i, row in enumerate(df.itertuples(index=False, name=None), start=2):
        for j, raw in enumerate(row, start=1):
            value = _cell_value(raw)
            cell = ws.cell(row=i, column=j)
            if isinstance(value, str):
                set_text(cell, value)
                widths[j - 1] = max(widths[j - 1], max(display_width(s) for s in value.split("\n")))
            else:
                cell.value = value
                if isinstance(value, dt.datetime):
                    cell.number_format = "yyyy-mm-dd hh:mm"
                    widths[j - 1] = max(widths[j - 1], 16)
                elif isinstance(value, dt.date):
                    cell.number_format = "yyyy-mm-dd"
                    widths[j - 1] = max(widths[j - 1], 10)
                elif isinstance(value, float):
                    cell.number_format = "0.0#"
                    widths[j - 1] = max(widths[j - 1], len(f"{value:.2f}"))
                elif value is not None:
                    widths[j - 1] = max(widths[j - 1], len(str(value)))
            cell.font = _BODY_FONT
            cell.border = _BODY_BORDER
    for j, w in enumerate(widths, start=1):
        letter = get_column_letter(j)
        ws.column_dimensions[letter].width = min(_MAX_WIDTH, w + 2)
        if w > wrap_over:
            for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "B2" if len(headers) > 1 else "A2"
    if len(df):
        ws.auto_filter.ref = f"A1:{get_column_letter(max(1, len(headers)))}{len(df) + 1}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_title_rows = "1:1"


def write_workbook(path: str | Path, sheets: Iterable[tuple[str, pd.DataFrame]]) -> Path:
    """Write several tables, one per sheet, to a new workbook at ``path``.

    Sheet names are cut to Excel's 31 characters. Parent folders are created.
    """
    wb = Workbook()
    first = True
    for name, df in sheets:
        ws = wb.active if first else wb.create_sheet()
        assert ws is not None
        ws.title = name[:31]
        write_sheet(ws, df)
        first = False
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out
