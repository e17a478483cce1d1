"""Load a folder of 応募書 (.xlsx) into one applications table and one problems table.

Every file in the folder is looked at once. Bad input never stops the load and never
hides a good file: each fault becomes a row of the problems table (what is wrong, where,
and what to do, in Japanese) and the other files still load.

Typical use in a notebook::

    intake = read_applications("data/round/applications", deadline=DEADLINE)
    intake.problems      # show to the analyst first
    intake.applications  # one row per prefecture, index "application" (JIS code)

The two tables of :func:`read_applications`:

**applications** — one row per prefecture, ordered by JIS code. Index ``application``:
the prefecture's two-digit JIS code (str, "01".."47"). Columns, in this order
(:data:`APPLICATION_COLUMNS`):

- ``file`` (str): name of the file the row was read from.
- one column per field of :data:`scoring.core.schema.FIELDS`, missing or invalid values as
  NA:

  - text, long text, e-mail and choice fields: pandas' default string dtype
    (``str`` in pandas 3, missing = NaN; ``string`` in pandas 2). Choice fields hold
    the canonical choice (手上げ式, 構築済 …).
  - ``prefecture``: JIS code (str, equal to the index); ``theme``: letter A–F (str).
  - int fields (人, 団体): ``Int64``.
  - ``submitted_at``: ``datetime64[ns, Asia/Tokyo]``.
  - date fields (``dx_body_since``, ``target_date``): ``datetime64[ns]``, naive,
    at midnight (a calendar date; use ``.dt.date`` for ``datetime.date``).
- ``theme_name`` (str): the Japanese name of the theme (データ利活用).
- ``prefecture_name`` (str): official name (長野県).
- ``late`` (bool): ``submitted_at`` after ``deadline`` (False without a deadline or a
  submission time, and always False for a プッシュ型 application: 総務省 chose it, so
  the deadline does not apply; an 情報 row says so). A round applies its recorded
  eligibility decisions on top (:func:`scoring.round.eligibility.apply_eligibility`).
- ``withdrawn`` (bool): the application was withdrawn (辞退); always False here, set by
  the round's recorded decisions.
- ``has_errors`` (bool): the file has at least one ``error`` problem (a required field
  missing or invalid); the row is kept so that the analyst can decide.
- ``n_warnings`` (int64): number of ``warning`` problems of the file.
- reference columns from :func:`scoring.core.reference.prefectures`: ``block`` (str, the
  textbook 8 regional blocks ``region_ja``; a round may re-map it with
  :func:`scoring.core.reference.prefecture_blocks`), ``municipalities`` (int64, 市町村
  without Tokyo's 特別区), ``municipalities_incl_wards`` (int64, 市区町村),
  ``population_2020_exact`` (int64, persons, 2020 census),
  ``pop_change_2015_2020_pct`` (float64, %), ``towns_villages_share_pct`` (float64,
  % of 町村 among municipalities), ``cities_shi``, ``towns_machi``,
  ``villages_mura`` (int64).

**problems** — columns :data:`scoring.core.schema.PROBLEM_COLUMNS`, all str: ``file`` (file
name; "" for the folder), ``sheet`` (応募書, or "" for a file-level problem), ``cell``
(C12, or ""), ``field`` (Japanese label, or ""), ``severity`` (error / warning / info),
``message`` (what is wrong, quoting what was typed), ``action`` (対処: what to do).
Sorted by file, then row.
"""

from __future__ import annotations

import datetime as dt
import os
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO, Final, Literal, NamedTuple

import pandas as pd
from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string
from openpyxl.utils.exceptions import InvalidFileException

from ..core.clock import JST
from ..core.columns import APPLICATION_COLUMNS, REFERENCE_COLUMNS, SUPERSEDED_COLUMNS
from ..core.normalize import (
    is_blank,
    parse_choice,
    parse_date,
    parse_datetime,
    parse_email,
    parse_int,
    parse_prefecture,
    parse_text,
    parse_theme,
)
from ..core.reference import prefectures
from ..core.safefiles import (
    BOMB_ACTION,
    UnsafeFileError,
    inspect_xlsx,
    link_problem,
    name_problem,
    open_regular,
    visible_name,
)
from ..core.schema import (
    FIELDS,
    FIELDS_BY_KEY,
    META_SHEET,
    PROBLEM_COLUMNS,
    PUSH_TYPE,
    TEMPLATE_SHEET,
    TEMPLATE_VERSION,
    THEMES,
    YES_NO,
    Field,
)
from ._filetype import sniff
from .template import FIRST_ROW, INPUT_COL, KEY_COL

__all__ = [
    "APPLICATION_COLUMNS",
    "MAX_BYTES",
    "REFERENCE_COLUMNS",
    "Intake",
    "empty_applications",
    "empty_problems",
    "read_application",
    "read_applications",
    "superseded_frame",
]

#: Default size limit of one file; larger files are reported and not opened.
MAX_BYTES = 20 * 1024 * 1024

_POOL_PARTS = ("pool_accelerators", "pool_fixed_term", "pool_fulltime", "pool_outsourced", "pool_secondees")
_YES_NO_ALIASES = {
    "有": "あり",
    "有り": "あり",
    "ある": "あり",
    "○": "あり",
    "〇": "あり",
    "無": "なし",
    "無し": "なし",
    "ない": "なし",
    "無い": "なし",
    "×": "なし",
}
#: Other spellings of choices that are the same word, not a guess (手挙げ式 for 手上げ式).
_CHOICE_ALIASES = {"手挙げ式": "手上げ式", "手挙げ": "手上げ式"}
#: Other files that look like an application in the wrong format: an error, not a warning.
_SPREADSHEET_EXTS = {".xls", ".xlsb", ".ods", ".csv", ".numbers"}
_IGNORED_NAMES = {"thumbs.db", "desktop.ini"}
_INT_DTYPE: Final = "Int64"
#: pandas' default string dtype: "str" in pandas 3 (missing = NaN), "string" before (missing = NA).
_STR_DTYPE: Literal["str", "string"] = "str" if int(pd.__version__.split(".")[0]) >= 3 else "string"
_DATETIME_DTYPE = pd.DatetimeTZDtype("ns", JST)
_DATE_DTYPE: Final = "datetime64[ns]"


class Intake(NamedTuple):
    """Result of :func:`read_applications`: the applications and the problems found."""

    applications: pd.DataFrame
    problems: pd.DataFrame
    #: Files replaced by a newer submission of the same prefecture: columns
    #: :data:`~scoring.core.columns.SUPERSEDED_COLUMNS` (``submitted_at`` aware, JST).
    superseded: pd.DataFrame | None = None


# ---------------------------------------------------------------- problems


def _problem(
    file: str,
    severity: str,
    message: str,
    action: str,
    *,
    sheet: str = "",
    cell: str = "",
    field: str = "",
) -> dict[str, str]:
    return {
        "file": file,
        "sheet": sheet,
        "cell": cell,
        "field": field,
        "severity": severity,
        "message": message,
        "action": action,
    }


def _cell_row(cell: str) -> int:
    digits = "".join(ch for ch in cell if ch.isdigit())
    return int(digits) if digits else 0


def empty_problems() -> pd.DataFrame:
    """A problems table with no rows and the columns of ``PROBLEM_COLUMNS``."""
    return pd.DataFrame({c: pd.Series([], dtype=_STR_DTYPE) for c in PROBLEM_COLUMNS})


def _problem_frame(rows: list[dict[str, str]]) -> pd.DataFrame:
    if not rows:
        return empty_problems()
    ordered = sorted(enumerate(rows), key=lambda ir: (ir[1]["file"], _cell_row(ir[1]["cell"]), ir[0]))
    df = pd.DataFrame([r for _, r in ordered], columns=list(PROBLEM_COLUMNS))
    return df.astype(_STR_DTYPE).reset_index(drop=True)


# ---------------------------------------------------------------- one file


@dataclass
class _Read:
    """What reading one file gives: the typed record, its problems, and field cells."""

    file: str
    record: dict[str, Any] | None = None
    problems: list[dict[str, str]] = dataclass_field(default_factory=list)
    cells: dict[str, str] = dataclass_field(default_factory=dict)
    #: Fields already reported (a formula without a usable value): not reported again as empty.
    reported: set[str] = dataclass_field(default_factory=set)

    def add(self, severity: str, message: str, action: str, *, key: str = "", cell: str = "") -> None:
        label = FIELDS_BY_KEY[key].label if key else ""
        if key and not cell:
            cell = self.cells.get(key, "")
        sheet = TEMPLATE_SHEET if cell else ""
        self.problems.append(
            _problem(self.file, severity, message, action, sheet=sheet, cell=cell, field=label)
        )


def _read_cells(source: BinaryIO, read: _Read) -> dict[str, tuple[int, object]] | None:
    """Field key → (row, input value) from the sheet, or None if the file is not usable."""
    corrupt_action = "ファイルが壊れています（送信途中で切れた可能性があります）。再送を依頼してください。"
    try:
        wb = load_workbook(source, read_only=True, data_only=False)
    except zipfile.BadZipFile:
        read.add("error", "ファイルが壊れていて開けません（zip として読めません）。", corrupt_action)
        return None
    except (InvalidFileException, KeyError, ValueError) as exc:
        read.add("error", f"Excel ブックとして読めません（{type(exc).__name__}）。", corrupt_action)
        return None
    except Exception as exc:  # noqa: BLE001 - never let one file stop the load
        read.add("error", f"ファイルを開けませんでした（{type(exc).__name__}: {exc}）。", corrupt_action)
        return None
    try:
        version = None
        if META_SHEET in wb.sheetnames:
            for (value,) in wb[META_SHEET].iter_rows(
                min_row=1, max_row=1, min_col=2, max_col=2, values_only=True
            ):
                version = value
        if TEMPLATE_SHEET not in wb.sheetnames or str(version).strip() != TEMPLATE_VERSION:
            found = (
                "シート「応募書」がありません"
                if TEMPLATE_SHEET not in wb.sheetnames
                else (
                    f"様式バージョン {version}" if version is not None else "様式バージョンの記録がありません"
                )
            )
            read.add(
                "error",
                f"様式が異なります（{found}。この審査の様式はバージョン {TEMPLATE_VERSION}）。このファイルは読み込んでいません。",
                f"配布した最新の様式（バージョン {TEMPLATE_VERSION}）に記入し直して再提出するよう依頼してください。",
            )
            return None
        input_col = column_index_from_string(INPUT_COL)
        key_col = column_index_from_string(KEY_COL)
        cells: dict[str, tuple[int, object]] = {}
        formulas: dict[str, str] = {}
        rows = wb[TEMPLATE_SHEET].iter_rows(min_row=FIRST_ROW, min_col=input_col, max_col=key_col)
        for row, row_cells in enumerate(rows, start=FIRST_ROW):
            if len(row_cells) <= key_col - input_col:
                continue
            values = [c.value for c in row_cells]
            key = values[key_col - input_col]
            if not isinstance(key, str) or key.strip() not in FIELDS_BY_KEY:
                continue
            key = key.strip()
            if key in cells:
                read.add(
                    "warning",
                    f"項目「{FIELDS_BY_KEY[key].label}」の行が2つあります（{INPUT_COL}{cells[key][0]} と "
                    f"{INPUT_COL}{row}）。先の行の値を使いました。",
                    "行をコピーしていないか確認し、必要なら修正を依頼してください。",
                    key=key,
                    cell=f"{INPUT_COL}{row}",
                )
                continue
            cells[key] = (row, values[0])
            if row_cells[0].data_type == "f":
                formulas[key] = str(values[0])
        if formulas:
            _use_cached_values(source, formulas, cells, read)
        return cells
    except Exception as exc:  # noqa: BLE001 - a damaged sheet: report, do not crash
        read.add("error", f"シートを読み取れませんでした（{type(exc).__name__}: {exc}）。", corrupt_action)
        return None
    finally:
        wb.close()


def _use_cached_values(
    source: BinaryIO, formulas: Mapping[str, str], cells: dict[str, tuple[int, object]], read: _Read
) -> None:
    """Replace each input formula by its cached value, and report every one.

    A formula is never silent. Its cached value (what the program that saved the file
    computed) is used with a warning. It is an error, and the field is left empty, when
    there is no cached value (openpyxl writes none), when it is an Excel error (#REF!), and
    when it is 0 or empty: programs that write formulas without computing them
    (xlsxwriter, some converters) store 0 there, so ``=2+1+2+1`` would be read as 0 人, and
    Excel itself gives 0 for a reference to an empty cell (``=B1``). A real 0 costs a
    prefecture one retyped cell; a wrong 0 would cost a wrong score.
    """
    source.seek(0)
    wanted = {cells[key][0]: key for key in formulas}
    cached: dict[str, tuple[object, str]] = {}
    wb = load_workbook(source, read_only=True, data_only=True)
    try:
        column = column_index_from_string(INPUT_COL)
        rows = wb[TEMPLATE_SHEET].iter_rows(
            min_row=min(wanted), max_row=max(wanted), min_col=column, max_col=column
        )
        for row, (cell,) in enumerate(rows, start=min(wanted)):
            if row in wanted:
                cached[wanted[row]] = (cell.value, cell.data_type)
    finally:
        wb.close()
    for key, formula in formulas.items():
        row = cells[key][0]
        cell = f"{INPUT_COL}{row}"
        label = FIELDS_BY_KEY[key].label
        value, data_type = cached.get(key, (None, "n"))
        shown = formula if len(formula) <= 40 else formula[:40] + "…"
        if (
            value is None
            or data_type == "e"
            or value == ""
            or (isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0)
        ):
            why = (
                "計算結果が保存されていません"
                if value is None or value == ""
                else f"計算結果がエラー値 {value} です"
                if data_type == "e"
                else "保存された計算結果が 0 で、計算されずに保存された可能性があります"
            )
            read.add(
                "error",
                f"数式のセル（{cell}）: 値を直接入力してください。「{label}」に数式 {shown} が入っており、"
                f"{why}。この項目は読み込んでいません。",
                f"{cell} に数式ではなく値を直接入力して再提出するよう依頼してください。",
                key=key,
                cell=cell,
            )
            cells[key] = (row, None)
            read.reported.add(key)
        else:
            read.add(
                "warning",
                f"数式のセル（{cell}）: 値を直接入力してください。「{label}」に数式 {shown} が入っています。"
                f"保存された計算結果「{value}」を使いました。",
                f"{cell} の値が正しいか確認してください。次回からは値を直接入力するよう依頼してください。",
                key=key,
                cell=cell,
            )
            cells[key] = (row, value)


def _parse(f: Field, value: object) -> object:
    if f.kind in ("text", "longtext"):
        return parse_text(value)
    if f.kind == "int":
        return parse_int(value, f.unit)
    if f.kind == "datetime":
        return parse_datetime(value)
    if f.kind == "date":
        return parse_date(value)
    if f.kind == "choice":
        aliases = _YES_NO_ALIASES if f.choices == YES_NO else _CHOICE_ALIASES
        return parse_choice(value, f.choices, {k: v for k, v in aliases.items() if v in f.choices})
    if f.kind == "prefecture":
        return parse_prefecture(value)
    if f.kind == "theme":
        return parse_theme(value)
    if f.kind == "email":
        return parse_email(value)
    raise AssertionError(f"unknown field kind {f.kind!r}")  # pragma: no cover - schema bug


def _read_fields(cells: Mapping[str, tuple[int, object]], read: _Read) -> dict[str, Any]:
    read.cells = {key: f"{INPUT_COL}{row}" for key, (row, _) in cells.items()}
    values: dict[str, Any] = {}
    for f in FIELDS:
        values[f.key] = None
        if f.key not in cells:
            if f.required:
                read.add(
                    "error",
                    f"必須項目「{f.label}」の行が見つかりません（行が削除された可能性があります）。",
                    "様式の行を削除せずに記入し直して再提出するよう依頼してください。",
                    key=f.key,
                )
            continue
        row, raw = cells[f.key]
        cell = f"{INPUT_COL}{row}"
        if f.key in read.reported:
            continue
        if is_blank(raw):
            if f.required:
                read.add(
                    "error",
                    f"必須項目「{f.label}」（{cell}）が空欄です。",
                    f"{cell} に記入して再提出するよう依頼してください。",
                    key=f.key,
                )
            continue
        try:
            value = _parse(f, raw)
        except ValueError as exc:
            read.add(
                "error",
                f"「{f.label}」（{cell}）: {exc}",
                f"{cell} の値を確認し、修正を依頼してください。",
                key=f.key,
            )
            continue
        if f.kind == "int" and isinstance(value, int):
            low = f.min if f.min is not None else 0
            high = f.max
            if value < low or (high is not None and value > high):
                span = f"{low}〜{high}" if high is not None else f"{low} 以上"
                read.add(
                    "error",
                    f"「{f.label}」（{cell}）の値 {value} は範囲外です（{span}{f.unit}）。",
                    f"{cell} の値を確認し、修正を依頼してください。",
                    key=f.key,
                )
                continue
        values[f.key] = value
    return values


def _cross_checks(values: Mapping[str, Any], read: _Read) -> None:
    """Warnings about values that are each valid but do not agree with each other."""
    total = values.get("pool_size_total")
    parts = [values.get(k) for k in _POOL_PARTS]
    given = [p for p in parts if p is not None]
    if total is not None and given:
        labels = "・".join(FIELDS_BY_KEY[k].label.removeprefix("うち") for k in _POOL_PARTS)
        if len(given) == len(parts) and sum(given) != total:
            read.add(
                "warning",
                f"人材プールの内訳（{labels}）の合計 {sum(given)} 人が、人材プールの人数 {total} 人と一致しません。",
                "内訳に重複や漏れがないか都道府県に確認してください。",
                key="pool_size_total",
            )
        elif len(given) < len(parts) and sum(given) > total:
            read.add(
                "warning",
                f"人材プールの内訳の合計 {sum(given)} 人が、人材プールの人数 {total} 人を超えています。",
                "内訳に重複がないか都道府県に確認してください。",
                key="pool_size_total",
            )
    status = values.get("pool_status")
    if status == "未構築" and total:
        read.add(
            "warning",
            f"人材プールの状況が「未構築」ですが、人材プールの人数が {total} 人です。",
            "状況（構築中・構築済）か人数のどちらが正しいか確認してください。",
            key="pool_status",
        )
    if status == "構築済" and total == 0:
        read.add(
            "warning",
            "人材プールの状況が「構築済」ですが、人材プールの人数が 0 人です。",
            "状況か人数のどちらが正しいか確認してください。",
            key="pool_status",
        )
    code = values.get("prefecture")
    if code is None:
        return
    n_muni = _municipality_counts()[code]
    for key in ("municipalities_supported", "participating_municipalities"):
        n = values.get(key)
        if n is not None and n > n_muni:
            read.add(
                "warning",
                f"「{FIELDS_BY_KEY[key].label}」{n} 団体が、{_names()[code]}の市区町村数 {n_muni} を超えています。",
                "数え方（延べ数など）を都道府県に確認してください。",
                key=key,
            )


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    return {str(k): str(v) for k, v in prefectures()["name_ja"].items()}


@lru_cache(maxsize=1)
def _municipality_counts() -> dict[str, int]:
    """市区町村 per prefecture (Tokyo's 23 特別区 included)."""
    return {str(k): int(v) for k, v in prefectures()["municipalities_incl_wards"].items()}


def _read(path: Path, max_bytes: int) -> _Read:
    read = _Read(file=visible_name(path.name))
    unreadable = "ファイルの権限を確認するか、別の場所にコピーしてから読み込んでください。"
    try:
        fh = open_regular(path)
    except UnsafeFileError as exc:
        read.add(
            "error",
            str(exc),
            "応募書であれば、通常のファイルとしてこのフォルダに保存し直してください。"
            if "通常のファイルではありません" in str(exc)
            else unreadable,
        )
        return read
    with fh:
        try:
            size = os.fstat(fh.fileno()).st_size
            if size > max_bytes:
                read.add(
                    "error",
                    f"ファイルが大きすぎます（{size / 1024 / 1024:.1f} MB、上限 {max_bytes / 1024 / 1024:.1f} MB）。開いていません。",
                    "画像などを除いて再提出を依頼するか、上限（max_bytes）を見直してください。",
                )
                return read
            head = fh.read(8)
            fh.seek(0)
        except OSError as exc:
            read.add("error", f"ファイルを読めません（{exc.strerror or exc}）。", unreadable)
            return read
        sniffed = sniff(path, head)
        if sniffed is not None:
            read.add("error", *sniffed)
            return read
        bomb = inspect_xlsx(fh)
        if bomb is not None:
            read.add("error", bomb, BOMB_ACTION)
            return read
        cells = _read_cells(fh, read)
    if cells is None:
        return read
    values = _read_fields(cells, read)
    _cross_checks(values, read)
    if values["prefecture"] is None:
        read.problems.append(
            _problem(
                read.file,
                "error",
                "都道府県を特定できないため、この応募書は一覧に入れていません。",
                "都道府県名を修正した様式の再提出を依頼してください。",
                sheet=TEMPLATE_SHEET,
                cell=read.cells.get("prefecture", ""),
                field=FIELDS_BY_KEY["prefecture"].label,
            )
        )
        return read
    read.record = {"file": read.file, **values}
    return read


def read_application(
    path: str | Path, *, max_bytes: int = MAX_BYTES
) -> tuple[dict[str, Any] | None, list[dict[str, str]]]:
    """Read one 応募書 file.

    Parameters
    ----------
    path : str or Path
        The .xlsx file.
    max_bytes : int
        Files larger than this are reported and not opened.

    Returns
    -------
    record : dict or None
        ``file`` (the file name) and every field key of :data:`scoring.core.schema.FIELDS`
        with its typed value (``None`` when empty or invalid): ``prefecture`` is the JIS
        code, ``theme`` the letter, ints are ``int``, ``submitted_at`` an aware
        ``datetime`` (JST), date fields ``datetime.date``. ``None`` when the file cannot
        be used or its prefecture cannot be identified.
    problems : list of dict
        One dict per problem with the keys of :data:`scoring.core.schema.PROBLEM_COLUMNS`.
        Checks that need the other files (duplicates) or the deadline are done by
        :func:`read_applications`.
    """
    read = _read(Path(path), max_bytes)
    return read.record, read.problems


# ---------------------------------------------------------------- the folder


def _other_file(name: str) -> dict[str, str]:
    ext = Path(name).suffix.lower()
    if ext in _SPREADSHEET_EXTS:
        return _problem(
            name,
            "error",
            f"{ext or '拡張子なし'} のファイルです（xlsx ではありません）。応募書として読み込んでいません。",
            "Excel で開き「Excel ブック (*.xlsx)」として保存し直すか、様式（.xlsx）での再提出を依頼してください。",
        )
    if ext == ".zip":
        return _problem(
            name,
            "warning",
            "zip ファイルです（xlsx ではありません）。中身は読み込んでいません。",
            "展開して、中の応募書（.xlsx）をこのフォルダに置いてください。",
        )
    return _problem(
        name,
        "warning",
        f"{ext or '拡張子なし'} のファイルです（xlsx ではありません）。読み込んでいません。",
        "添付資料であればそのままで構いません。応募書であれば様式（.xlsx）での再提出を依頼してください。",
    )


def _as_aware(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=JST) if value.tzinfo is None else value


def _fmt(value: dt.datetime) -> str:
    return value.astimezone(JST).strftime("%Y/%m/%d %H:%M")


def _keep_latest(reads: list[_Read], mtimes: Mapping[str, float]) -> tuple[list[_Read], list[dict[str, Any]]]:
    """One read per prefecture: the latest submission; each superseded file reported once (情報).

    Returns the kept reads and one record per superseded file (``SUPERSEDED_COLUMNS``). The
    superseded file's own problems are dropped: it is not used, so only the reason it was
    replaced is reported.
    """
    by_code: dict[str, list[_Read]] = {}
    for r in reads:
        assert r.record is not None
        by_code.setdefault(r.record["prefecture"], []).append(r)
    names = _names()
    kept: list[_Read] = []
    superseded: list[dict[str, Any]] = []
    earliest = dt.datetime.min.replace(tzinfo=dt.timezone.utc)
    for code, group in by_code.items():
        if len(group) == 1:
            kept.append(group[0])
            continue
        group.sort(
            key=lambda r: (
                r.record["submitted_at"] or earliest,  # type: ignore[index]
                mtimes.get(r.file, 0.0),
                r.file,
            )
        )
        winner, losers = group[-1], group[:-1]
        kept.append(winner)
        assert winner.record is not None
        won_at = winner.record["submitted_at"]
        when = f"{_fmt(won_at)}" if won_at is not None else "受付日時なし"
        for r in losers:
            assert r.record is not None
            r.problems = []
            r.add(
                "info",
                f"同じ団体（{names[code]}）の新しい提出（{winner.file}, 受付日時 {when}）があるため、"
                "この提出は置き換えられました（使用していません）。",
                "再提出・訂正であれば対処は不要です（python -m scoring eligibility resubmission / correction で"
                "記録できます）。別の都道府県の誤記であれば、提出元に修正を依頼してください。",
                key="prefecture",
            )
            superseded.append(
                {
                    "file": r.file,
                    "application": code,
                    "submitted_at": r.record["submitted_at"],
                    "replaced_by": winner.file,
                }
            )
    return kept, superseded


def superseded_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    """The superseded files as a table (columns :data:`~scoring.core.columns.SUPERSEDED_COLUMNS`)."""
    df = pd.DataFrame(records, columns=list(SUPERSEDED_COLUMNS))
    df["submitted_at"] = pd.to_datetime(df["submitted_at"], utc=True).dt.tz_convert(JST)
    return df.astype({c: object for c in ("file", "application", "replaced_by")})


def read_applications(
    folder: str | Path,
    *,
    deadline: dt.datetime | None = None,
    max_bytes: int = MAX_BYTES,
) -> Intake:
    """Read every 応募書 in ``folder`` into an applications table and a problems table.

    Every ``*.xlsx`` in the folder (not its subfolders) is read; ``*.xlsm`` too, with a
    warning. Other files are reported (spreadsheets such as .xls/.csv as errors,
    attachments such as .pdf/.docx as warnings); hidden files are ignored and Excel lock
    files (``~$*.xlsx``) reported as warnings. A bad file never stops the load: it gives
    problem rows and the other files still load.

    Parameters
    ----------
    folder : str or Path
        Folder that holds the submitted files.
    deadline : datetime, optional
        Submission deadline (naive = Japan time). Applications submitted after it stay in
        the table with ``late`` True and a 期限後提出 warning.
    max_bytes : int
        Files larger than this are reported and not opened (default 20 MB).

    Returns
    -------
    Intake
        ``applications`` and ``problems`` as described below.

    Notes
    -----
    The columns of the two tables are described in the docstring of this module
    (:mod:`scoring.intake.applications`).

    Kinds of problem: folder missing or without .xlsx files; non-xlsx files; lock files;
    subfolders; a name with control, bidirectional or zero-width characters (shown as
    ``<U+202E>``, not read); a symbolic link leaving the folder (not read); a FIFO, device
    or other non-regular file (never opened); a decompression bomb
    (:func:`scoring.core.safefiles.inspect_xlsx`, not opened); a formula in an input cell
    (its cached value used with a warning; none, 0, empty or an error value is an error
    「数式のセル: 値を直接入力してください」); file over ``max_bytes``; empty file; text or PDF named .xlsx; corrupt zip;
    password-protected (encrypted) file; .xls binary renamed; another template version
    or no 応募書 sheet (様式が異なります, file not loaded); a field row deleted or
    duplicated; a required field empty; a value that cannot be read (number, date,
    choice, prefecture with suggestions, theme, e-mail); an int out of range; an
    unidentifiable prefecture (file not loaded); two files for one prefecture (the later
    ``submitted_at`` is kept, ties by file time then name; the superseded file is reported
    once, as ``info``, naming the file that replaced it and its time, and listed in
    ``Intake.superseded``); cross-field warnings (pool
    breakdown sum, 未構築 with members, 構築済 without, municipality counts above the
    prefecture's); submission after the deadline (期限後提出).
    """
    folder = Path(folder)
    if not folder.is_dir():
        missing = _problem(
            "",
            "error",
            f"フォルダ {folder} が見つかりません。",
            "応募書を保存したフォルダのパスを確認してください。",
        )
        return Intake(empty_applications(), _problem_frame([missing]), superseded_frame([]))
    problems, reads, mtimes = _read_folder(folder, max_bytes)
    kept, superseded = _keep_latest([r for r in reads if r.record is not None], mtimes)
    late = _check_deadline(kept, deadline)
    for r in reads:
        problems.extend(r.problems)
    records = [_application_record(r, late[r.file]) for r in kept]
    return Intake(_application_frame(records), _problem_frame(problems), superseded_frame(superseded))


def _read_folder(folder: Path, max_bytes: int) -> tuple[list[dict[str, str]], list[_Read], dict[str, float]]:
    """Look at each file of ``folder`` once: the folder's problems, the reads, the files' times."""
    problems: list[dict[str, str]] = []
    reads: list[_Read] = []
    mtimes: dict[str, float] = {}
    n_books = 0
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        name = path.name
        if name.startswith(".") or name.lower() in _IGNORED_NAMES:
            continue
        unsafe = name_problem(name) or link_problem(path, folder)
        if unsafe is not None:
            n_books += path.suffix.lower() in (".xlsx", ".xlsm")
            problems.append(
                _problem(
                    visible_name(name),
                    "error",
                    unsafe,
                    "提出されたファイルか確認し、応募書であれば通常の名前（見えない文字なし）のファイルとして"
                    "このフォルダに保存し直してください。",
                )
            )
            continue
        not_read = _not_a_book(path)
        if not_read is not None:
            problems.append(not_read)
            continue
        n_books += 1
        reads.append(_read_book(path, max_bytes))
        mtimes[name] = _mtime(path)
    if n_books == 0:
        problems.append(
            _problem(
                "",
                "error",
                f"フォルダ {folder.name} に応募書（.xlsx）がありません。",
                "応募書を保存したフォルダを指定しているか確認してください。",
            )
        )
    return problems, reads, mtimes


def _not_a_book(path: Path) -> dict[str, str] | None:
    """The problem of a subfolder, an Excel lock file or a file that is not .xlsx/.xlsm, else None."""
    name = path.name
    if path.is_dir():
        return _problem(
            name,
            "warning",
            "サブフォルダです。中のファイルは読み込んでいません。",
            "応募書であれば、このフォルダの直下に移してください。",
        )
    if name.startswith("~$"):
        return _problem(
            name,
            "warning",
            "Excel で開いたままのロックファイルです。無視しました。",
            "Excel を閉じてから読み込み直してください（ファイルが残る場合は削除して構いません）。",
        )
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return _other_file(name)
    return None


def _read_book(path: Path, max_bytes: int) -> _Read:
    """Read one .xlsx or .xlsm file of the folder (a macro-enabled book with a warning)."""
    read = _read(path, max_bytes)
    if path.suffix.lower() == ".xlsm":
        read.add(
            "warning",
            "マクロ有効ブック（.xlsm）です。入力値のみ読み込みました（マクロは実行しません）。",
            "次回からは様式どおり .xlsx で提出するよう依頼してください。",
        )
    return read


def _mtime(path: Path) -> float:
    """The file's modification time (0.0 when it cannot be read): breaks ties between submissions."""
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _check_deadline(kept: list[_Read], deadline: dt.datetime | None) -> dict[str, bool]:
    """File → submitted after the deadline (期限後提出, a warning); プッシュ型 is never late (情報)."""
    limit = _as_aware(deadline) if deadline is not None else None
    late: dict[str, bool] = {}
    for r in kept:
        assert r.record is not None
        submitted = r.record["submitted_at"]
        after = bool(limit is not None and submitted is not None and submitted > limit)
        # プッシュ型: 総務省 itself chose the prefecture, so the deadline does not apply.
        push = r.record.get("application_type") == PUSH_TYPE
        late[r.file] = after and not push
        if after and push:
            assert limit is not None
            r.add(
                "info",
                f"プッシュ型のため提出期限は適用しません（提出日時 {_fmt(submitted)}、提出期限 {_fmt(limit)}）。",
                "対処は不要です（プッシュ型は総務省が選んだ団体のため、期限後提出になりません）。",
                key="submitted_at",
            )
        if late[r.file]:
            assert limit is not None
            r.add(
                "warning",
                f"期限後提出: 提出日時 {_fmt(submitted)} は提出期限 {_fmt(limit)} より後です。",
                "受理するかどうかを事務局で判断してください（applications の late 列が True です）。",
                key="submitted_at",
            )
    return late


def _application_record(read: _Read, late: bool) -> dict[str, Any]:
    """One row of the applications table: the read's record and its status columns."""
    assert read.record is not None
    errors = sum(p["severity"] == "error" for p in read.problems)
    warnings = sum(p["severity"] == "warning" for p in read.problems)
    return {**read.record, "late": late, "withdrawn": False, "has_errors": errors > 0, "n_warnings": warnings}


# ---------------------------------------------------------------- the table


def empty_applications() -> pd.DataFrame:
    """An applications table with no rows, the columns of :data:`APPLICATION_COLUMNS` and their dtypes."""
    return _application_frame([])


def _application_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    records = sorted(records, key=lambda r: r["prefecture"])
    codes = [r["prefecture"] for r in records]
    index = pd.Index(codes, dtype=_STR_DTYPE, name="application")
    ref = prefectures()
    ref = ref.assign(block=ref["region_ja"]).reindex(codes)

    def col(key: str) -> list[Any]:
        return [r.get(key) for r in records]

    data: dict[str, Any] = {"file": pd.Series(col("file"), index=index, dtype=_STR_DTYPE)}
    for f in FIELDS:
        values = col(f.key)
        if f.kind == "int":
            data[f.key] = pd.Series(pd.array(values, dtype=_INT_DTYPE), index=index)
        elif f.kind == "datetime":
            stamps = [pd.Timestamp(v).tz_convert(JST) if v is not None else pd.NaT for v in values]
            data[f.key] = pd.Series(stamps, index=index, dtype="object").astype(_DATETIME_DTYPE)
        elif f.kind == "date":
            stamps = [pd.Timestamp(v) if v is not None else pd.NaT for v in values]
            data[f.key] = pd.Series(stamps, index=index, dtype="object").astype(_DATE_DTYPE)
        else:
            data[f.key] = pd.Series(values, index=index, dtype="object").astype(_STR_DTYPE)
    data["theme_name"] = pd.Series(
        [THEMES.get(t) if t else None for t in col("theme")], index=index, dtype="object"
    ).astype(_STR_DTYPE)
    data["prefecture_name"] = pd.Series(ref["name_ja"].to_numpy(), index=index, dtype=_STR_DTYPE)
    data["late"] = pd.Series(col("late"), index=index, dtype=bool)
    data["withdrawn"] = pd.Series([bool(v) for v in col("withdrawn")], index=index, dtype=bool)
    data["has_errors"] = pd.Series(col("has_errors"), index=index, dtype=bool)
    data["n_warnings"] = pd.Series(col("n_warnings"), index=index, dtype="int64")
    for c in REFERENCE_COLUMNS:
        source = ref[c]
        dtype = _STR_DTYPE if c == "block" else prefectures()[c].dtype
        data[c] = pd.Series(source.to_numpy(), index=index).astype(dtype)
    df = pd.DataFrame(data, index=index)
    return df.loc[:, list(APPLICATION_COLUMNS)]
