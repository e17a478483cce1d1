"""Clean Excel output: formulas neutralised, numbers as numbers, 和暦 dates."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd
import pytest

from scoring.core.excel import display_width, to_wareki
from scoring.core.xlsx import write_workbook


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2026, 2, 20), "令和8年2月20日"),
        (dt.date(2019, 5, 1), "令和元年5月1日"),
        (dt.date(2019, 4, 30), "平成31年4月30日"),
        (dt.date(1989, 1, 8), "平成元年1月8日"),
    ],
)
def test_to_wareki(day, expected):
    assert to_wareki(day) == expected


def test_display_width_counts_full_width_as_two():
    assert display_width("長野県") == 6
    assert display_width("abc") == 3


def test_written_table_keeps_text_as_text_and_numbers_as_numbers(tmp_path):
    df = pd.DataFrame(
        {
            "項目": ['=HYPERLINK("http://x","x")', "+1", "普通の文"],
            "人数（人）": pd.array([12, None, 3], dtype="Int64"),
            "割合（％）": [1.5, 2.25, float("nan")],
            "日時": [pd.Timestamp("2026-02-18 15:00", tz="Asia/Tokyo"), pd.NaT, pd.NaT],
        }
    )
    path = write_workbook(tmp_path / "out.xlsx", [("表", df)])
    wb = openpyxl.load_workbook(path)
    ws = wb["表"]
    assert [c.value for c in ws[1]] == list(df.columns)
    assert ws["A2"].data_type == "s" and ws["A2"].value.startswith("=HYPERLINK")
    assert ws["A3"].value == "+1" and ws["A3"].data_type == "s"
    assert ws["B2"].value == 12 and ws["B2"].data_type == "n"
    assert ws["B3"].value is None
    assert ws["C3"].value == 2.25
    assert ws["D2"].value == dt.datetime(2026, 2, 18, 15, 0)
    assert ws.freeze_panes == "B2"
    assert ws.merged_cells.ranges == set() or len(ws.merged_cells.ranges) == 0
    assert ws.page_setup.orientation == "landscape"
