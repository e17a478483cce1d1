"""What the checks of a returned 採点表 read and return (split from
:mod:`scoring.review.sheet_checks`, which holds the checks themselves and their order).

:class:`Problem` is one problem of a file and :class:`_Report` the rows of one file's report;
:func:`_read` opens the workbook safely; :class:`_SheetContext` is the workbook read back
with its manifest and the round's facts, with what the checks derive from them (the
applications, the rows found, the exported state); cell values are read as text and as
scores by :func:`_text`, :func:`_app_id` and :func:`_parse_score`.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.worksheet import Worksheet

from ..config.rubric import Criterion
from ..core.safefiles import BOMB_ACTION, UnsafeFileError, inspect_xlsx, open_regular
from ..core.schema import PROBLEM_COLUMNS, problem_row
from .sheet_manifest import (
    _SEP,
    STATE_PREFIX,
    _parse_state,
    _s,
)
from .sheets import (
    FIRST_ROW,
    SCORE_SHEET,
    SheetColumn,
    reviewer_applications,
    sheet_columns,
)

if TYPE_CHECKING:
    from ..config.round import Reviewer
    from ..round.loader import ReviewRound


@dataclass(frozen=True)
class Problem:
    """One problem found in a file: a row of the report (:data:`~scoring.core.schema.PROBLEM_COLUMNS`) but its file."""

    severity: str
    message: str
    action: str
    sheet: str = ""
    cell: str = ""
    field: str = ""


def _error(message: str, action: str, *, sheet: str = "", cell: str = "", field: str = "") -> Problem:
    return Problem("error", message, action, sheet, cell, field)


def _warning(message: str, action: str, *, sheet: str = "", cell: str = "", field: str = "") -> Problem:
    return Problem("warning", message, action, sheet, cell, field)


class _Report:
    """Collects problem rows for one file."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.rows: list[dict[str, str]] = []

    def add(
        self, severity: str, message: str, action: str, *, sheet: str = "", cell: str = "", field: str = ""
    ) -> None:
        self.rows.append(
            problem_row(self.file, severity, message, action, sheet=sheet, cell=cell, field=field)
        )

    def error(self, message: str, action: str, **kw: str) -> None:
        self.add("error", message, action, **kw)

    def warning(self, message: str, action: str, **kw: str) -> None:
        self.add("warning", message, action, **kw)

    def extend(self, problems: list[Problem]) -> None:
        for p in problems:
            self.add(p.severity, p.message, p.action, sheet=p.sheet, cell=p.cell, field=p.field)

    @property
    def has_errors(self) -> bool:
        return any(r["severity"] == "error" for r in self.rows)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=list(PROBLEM_COLUMNS))


_REEXPORT = "事務局に新しい採点表を書き出してもらい、点数を写して返送してください。"


_NUMBER_RE = re.compile(r"^[+]?\d+(\.\d+)?$")


#: Where to look when a file cannot be read at all.
_CHECK_FILE = "ファイル名と場所を確認してください。"


_NO_NEW_ROWS = "行を追加せず、書き出された行に入力してください。"


def _text(value: object) -> str:
    """A cell value as stripped, NFKC-normalised text ('' for empty)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def _app_id(value: object) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, numbers.Integral) or (isinstance(value, float) and value.is_integer()):
        return f"{int(value):02d}"
    text = _text(value)
    return text.zfill(2) if text.isdigit() and len(text) == 1 else text


def _parse_score(value: object, data_type: str | None) -> tuple[float | None, str | None]:
    """(number, None), (None, None) for a blank cell, or (None, reason) for a bad one."""
    if value is None:
        return None, None
    if data_type == "f" or (isinstance(value, str) and value.lstrip().startswith("=")):
        return None, "数式が入っています"
    if isinstance(value, bool):
        return None, f"「{value}」は点数ではありません（TRUE/FALSE）"
    if isinstance(value, (dt.date, dt.time, dt.timedelta)):
        return None, "日付・時刻になっています"
    if isinstance(value, numbers.Real):
        x = float(value)
        return (x, None) if math.isfinite(x) else (None, "数値ではありません")
    raw = str(value)
    text = unicodedata.normalize("NFKC", raw).strip().replace(" ", "")
    if text == "":
        return None, None
    text = text.removesuffix("点")
    if not _NUMBER_RE.match(text):
        return None, f"「{raw.strip()}」は数値ではありません"
    return float(text), None


def _header_text(value: object) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", _s(value)))


@dataclass
class _Checked:
    """What :func:`_validate` learnt about a file besides its problems."""

    reviewer: str = ""
    #: Score cell of each (application, criterion) of the sheet.
    coords: dict[tuple[str, str], str] = field(default_factory=dict)
    #: (score, comment digest) of each cell at export; None where the store had nothing.
    exported: dict[tuple[str, str], tuple[float | None, str] | None] = field(default_factory=dict)
    #: 申請者への所見 cell of each (application, criterion) of the sheet.
    note_coords: dict[tuple[str, str], str] = field(default_factory=dict)


def _read(p: Path) -> Workbook | Problem:
    """The workbook, opened safely (:mod:`scoring.core.safefiles`), or why it cannot be read."""
    if not p.is_file():
        return _error("ファイルが見つかりません。", _CHECK_FILE)
    # The hostile-file check (scoring.core.safefiles): never a FIFO or device, and the zip
    # directory is checked for bombs before openpyxl decompresses anything.
    try:
        fh = open_regular(p)
    except UnsafeFileError as e:
        return _error(str(e), _CHECK_FILE)
    with fh:
        hostile = inspect_xlsx(fh)
        if hostile is not None:
            return _error(hostile, BOMB_ACTION)
        try:
            return load_workbook(fh, data_only=False)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as e:
            return _error(
                f"Excel ファイル（.xlsx）として読めません（{type(e).__name__}）。",
                "書き出された採点表を Excel で開き、.xlsx 形式で保存し直してください。",
            )


@dataclass(frozen=True)
class _SheetCell:
    """One criterion of one application row as the sheet holds it (a valid score or none)."""

    crit: Criterion
    coord: str
    score: float | None
    comment: str
    comment_coord: str
    #: (score, comment digest) at export; None where the store had nothing.
    exported: tuple[float | None, str] | None
    #: The 申請者への所見 (its own column after every criterion) and its cell.
    note: str = ""
    note_coord: str = ""


@dataclass
class _SheetContext:
    """What every check reads: the workbook read back, its manifest and the round's facts.

    The checks of the cells also leave the changed cells (:attr:`rows`) and what was learnt
    (:attr:`checked`) here.
    """

    rnd: ReviewRound
    wb: Workbook
    manifest: dict[str, str]
    #: Row of each manifest key.
    rows_of_key: dict[str, int]
    #: Manifest keys found more than once.
    twice: list[str]
    #: The reviewer the sheet must belong to (None: any).
    reviewer: str | None
    key: bytes
    rows: list[dict[str, object]] = field(default_factory=list)
    checked: _Checked = field(default_factory=_Checked)

    def mcell(self, key: str) -> str:
        """The manifest cell of ``key`` (``""`` when absent)."""
        return f"B{self.rows_of_key[key]}" if key in self.rows_of_key else ""

    def label(self, app: str) -> str:
        return f"{app} {self.names.get(app, '')}".strip()

    @cached_property
    def names(self) -> pd.Series:
        apps = self.rnd.applications
        return apps["prefecture_name"] if "prefecture_name" in apps else pd.Series(dtype=str)

    @cached_property
    def sheet_reviewer(self) -> str:
        return self.manifest.get("reviewer", "")

    @cached_property
    def known(self) -> set[str]:
        return {r.id for r in self.rnd.reviewers}

    @cached_property
    def who(self) -> Reviewer | None:
        return self.rnd.reviewer(self.sheet_reviewer) if self.sheet_reviewer in self.known else None

    @cached_property
    def assigned(self) -> set[str]:
        return set(reviewer_applications(self.rnd, self.sheet_reviewer)) if self.who is not None else set()

    @cached_property
    def criteria(self) -> list[str]:
        return [c.id for c in self.rnd.rubric.criteria]

    @cached_property
    def apps(self) -> list[str]:
        """The applications of the manifest, in row order."""
        return [a for a in self.manifest.get("applications", "").split(_SEP) if a]

    @cached_property
    def cols(self) -> list[SheetColumn]:
        return sheet_columns(self.rnd.rubric)

    @property
    def ws(self) -> Worksheet:
        return self.wb[SCORE_SHEET]

    @cached_property
    def filled(self) -> list[tuple[int, str]]:
        """(row, application id) of each row with any value (``""``: no application id)."""
        out = []
        for r in range(FIRST_ROW, self.ws.max_row + 1):
            values = [self.ws.cell(row=r, column=j).value for j in range(1, len(self.cols) + 1)]
            if not all(_text(v) == "" for v in values):
                out.append((r, _app_id(values[0])))
        return out

    @cached_property
    def found(self) -> list[tuple[int, str]]:
        """(row, application id) of each row with an application id."""
        return [(r, app) for r, app in self.filled if app != ""]

    @cached_property
    def seen(self) -> dict[str, int]:
        """Row of each exported application (its first row)."""
        seen: dict[str, int] = {}
        for r, app in self.found:
            if app in self.apps and app not in seen:
                seen[app] = r
        return seen

    @cached_property
    def states(self) -> dict[str, list[tuple[float | None, str] | None]]:
        """The exported state of each application whose ``state:`` row is well formed."""
        states = {}
        for app in self.apps:
            state = _parse_state(self.manifest.get(STATE_PREFIX + app, ""), len(self.criteria))
            if state is not None:
                states[app] = state
        return states


#: A check: the problems it finds in a file.
_Check = Callable[[_SheetContext], list[Problem]]
