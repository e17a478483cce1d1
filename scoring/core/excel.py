"""Small helpers for text in Excel and on paper: safe cells, display width, 和暦 dates.

Used at every edge that writes Excel (the 応募書 template, the 採点表, the reports).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openpyxl.cell.cell import Cell

__all__ = ["display_width", "set_text", "to_wareki"]


def set_text(cell: Cell, value: str) -> None:
    """Write free text so that Excel never takes it as a formula (``=``, ``+``, ``-``, ``@``)."""
    cell.value = value
    cell.data_type = "s"
    if value[:1] in ("=", "+", "-", "@"):
        cell.quotePrefix = True


_ERAS: tuple[tuple[dt.date, str], ...] = (
    (dt.date(2019, 5, 1), "令和"),
    (dt.date(1989, 1, 8), "平成"),
    (dt.date(1926, 12, 25), "昭和"),
)


def display_width(text: str) -> int:
    """Width of ``text`` in half-width columns (full-width characters count 2)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WFA" else 1 for ch in text)


def to_wareki(day: dt.date) -> str:
    """``2026-02-20`` → ``令和8年2月20日`` (令和元年 for the first year)."""
    for start, era in _ERAS:
        if day >= start:
            year = day.year - start.year + 1
            y = "元" if year == 1 else str(year)
            return f"{era}{y}年{day.month}月{day.day}日"
    return f"{day.year}年{day.month}月{day.day}日"
