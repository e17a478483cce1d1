"""One 応募書 book read into a typed record and its problems (split from
:mod:`scoring.intake.applications`, which reads a folder of them and builds the tables).

:func:`_read` opens the file safely (size, kind, decompression bomb), reads the input cells
of the 応募書 sheet (a formula's cached value with a warning), parses each field of
:data:`scoring.core.schema.FIELDS` and runs the cross-field checks; every fault is a problem
row (keys of :data:`scoring.core.schema.PROBLEM_COLUMNS`), never an exception.
"""

from __future__ import annotations

import copy
import hashlib
import io
import os
import zipfile
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO

from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string
from openpyxl.utils.exceptions import InvalidFileException

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
    open_regular,
    visible_name,
)
from ..core.schema import (
    FIELDS,
    FIELDS_BY_KEY,
    META_SHEET,
    TEMPLATE_SHEET,
    TEMPLATE_VERSION,
    YES_NO,
    Field,
    problem_row,
)
from ._filetype import sniff
from .template import FIRST_ROW, INPUT_COL, KEY_COL

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
    return problem_row(file, severity, message, action, sheet=sheet, cell=cell, field=field)


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


#: Parsed 応募書 by (shown name, size limit, SHA-256 of the bytes): each content is parsed once
#: per process (:func:`_read`). Bounded; entries are never handed out, only copies of them.
_PARSED: OrderedDict[tuple[str, int, bytes], _Read] = OrderedDict()
_PARSED_MAX = 512


def _read(path: Path, max_bytes: int) -> _Read:
    """Read one 応募書 file: its typed record and its problems.

    The file is opened once (never blocking on a FIFO, size checked before reading) and its
    bytes read; what they give is parsed once per process for each content
    (:data:`_PARSED`): loading a round reads every 応募書, and the notebooks, the committee
    material and the CLI load the same round many times. The cache is keyed by the bytes
    themselves (SHA-256), so a changed file is always parsed anew, whatever its dates say."""
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
            data = fh.read(max_bytes + 1) if size <= max_bytes else b""
            size = max(size, len(data))
            if size > max_bytes:
                read.add(
                    "error",
                    f"ファイルが大きすぎます（{size / 1024 / 1024:.1f} MB、上限 {max_bytes / 1024 / 1024:.1f} MB）。開いていません。",
                    "画像などを除いて再提出を依頼するか、上限（max_bytes）を見直してください。",
                )
                return read
        except OSError as exc:
            read.add("error", f"ファイルを読めません（{exc.strerror or exc}）。", unreadable)
            return read
    key = (read.file, max_bytes, hashlib.sha256(data).digest())
    parsed = _PARSED.get(key)
    if parsed is None:
        parsed = _PARSED[key] = _parse_bytes(path, data, read)
        if len(_PARSED) > _PARSED_MAX:
            _PARSED.popitem(last=False)
    return copy.deepcopy(parsed)


def _parse_bytes(path: Path, data: bytes, read: _Read) -> _Read:
    """:func:`_read`'s work on the file's bytes (``path`` only for the OLE sniffing's messages)."""
    sniffed = sniff(path, data[:8])
    if sniffed is not None:
        read.add("error", *sniffed)
        return read
    bomb = inspect_xlsx(io.BytesIO(data))
    if bomb is not None:
        read.add("error", bomb, BOMB_ACTION)
        return read
    cells = _read_cells(io.BytesIO(data), read)
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
