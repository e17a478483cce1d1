"""The comments of a returned 採点表 against the record's text rule (:mod:`scoring.core.text`).

A comment cell longer than :data:`~scoring.core.text.COMMENT_MAX` characters or holding a
control character other than tab and newline (NUL, an escape) refuses the file, with the
cell named; a vertical tab (a line break pasted from PowerPoint) and CR are taken as line
breaks. Excel keeps control characters in the file as ``_x000B_`` (OOXML's escape), which
openpyxl returns as it is: those escapes are read as the characters they stand for first. Run by :mod:`scoring.review.sheet_checks` after
the cells are read (on the changed cells, :attr:`_SheetContext.rows`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, get_column_letter

from ..core.errors import ValueFormatError
from ..core.text import clean_comment
from .sheets import SCORE_SHEET

__all__ = ["comment_text_problems", "unescape_controls"]

P = TypeVar("P")
#: OOXML's escape of a control character (``_x000B_``: a vertical tab).
_ESCAPED_CONTROL = re.compile(r"_x00([01][0-9A-Fa-f])_")


def unescape_controls(text: str) -> str:
    """``text`` with Excel's ``_x0000_``–``_x001F_`` escapes as the control characters they are."""
    return _ESCAPED_CONTROL.sub(lambda m: chr(int(m.group(1), 16)), text)


def _comment_cell(score_cell: str) -> str:
    """The comment cell beside a score cell (the next column)."""
    if not score_cell:
        return ""
    col, row = coordinate_from_string(score_cell)
    return f"{get_column_letter(column_index_from_string(col) + 1)}{row}"


def comment_text_problems(ctx: Any, error: Callable[..., P]) -> list[P]:
    """One error per changed comment the record would refuse; the others cleaned in place.

    ``ctx`` is the sheet's ``_SheetContext`` (``rows``, ``checked.coords``, ``rnd``,
    ``label``); ``error`` makes a problem row (``sheet_checks._error``).
    """
    out: list[P] = []
    for row in ctx.rows:
        for key, what in (("comment", "コメント"), ("to_applicant", "申請者への所見")):
            text = row.get(key) or ""
            if not isinstance(text, str) or not text:
                continue
            app, cid = str(row["application"]), str(row["criterion"])
            crit = ctx.rnd.rubric.criterion(cid)
            label = getattr(crit, "label_ja", cid)
            try:
                row[key] = clean_comment(unescape_controls(text), field=what)
            except ValueFormatError as e:
                cell = _comment_cell(ctx.checked.coords.get((app, cid), ""))
                if key == "to_applicant":
                    cell = ctx.checked.note_coords.get((app, cid), "")
                out.append(
                    error(
                        f"応募 {ctx.label(app)}: 「{label}」の{e}",
                        "Excel でそのセルの文章を直してから返送してください。",
                        sheet=SCORE_SHEET,
                        cell=cell,
                        field=f"{label} {what}",
                    )
                )
    return out
