"""Offline Excel scoring sheets (採点表): export one workbook per reviewer, import it back.

Reviewers who will not open JupyterLab score in Excel. :func:`export_sheet` writes one
workbook per reviewer; :func:`import_sheets` validates each returned workbook as a whole
and, only if it has no error, writes all its scores to the store in one transaction as
events with source ``"excel"``.

Workbook layout
---------------
``採点`` (input sheet, protected: only the yellow input cells can be edited)
    Row 1 a title, row 2 the reviewer and how to fill in, row 3 the header
    (:data:`HEADER_ROW`), one row per application from row 4 (:data:`FIRST_ROW`), in the
    order of the manifest. Columns: 応募ID, 都道府県, 重点テーマ, 状態 (未着手 / 下書き /
    提出済 when exported with a store), then per criterion (rubric order) a score column
    (header: label, 配点 and scale; a drop-down list of the allowed levels) and a comment
    column (header: the levels at which a comment is required). Applications the reviewer
    has already submitted (提出済) are pre-filled and locked. A missing required comment
    turns red (conditional formatting).
``評価基準`` (read-only)
    Every anchor: one row per criterion × level, with 配点, the guidance (着眼点) and
    whether a comment is required at that level.
``記入方法`` (read-only)
    Round, reviewer, rubric version, export time and instructions.
``_manifest`` (very hidden, protected)
    Key/value rows (:data:`MANIFEST_KEYS`): the sheet format and its version (``2``),
    round name, a hash of the round folder's path, reviewer id, rubric id and version, the
    application ids in row order, the criterion ids, the export time, ``key_id``
    (:func:`scoring.core.signing.key_id` of the analyst's key) and ``signature``; then one
    row ``state:<application>`` per application (:data:`STATE_PREFIX`): the reviewer's
    cells in the store at export, a JSON list in criterion order of ``null`` (nothing
    recorded) or ``[last event id, score or null, comment digest]`` (the digest is 12 hex
    characters of SHA-256 of the comment, ``""`` for none). ``signature`` is
    :func:`scoring.core.signing.sign` (HMAC-SHA256 with the analyst's key, kept outside
    the database) over every other row (:func:`manifest_payload`): without the key, nobody
    can change the reviewer, the applications, the round or the exported state and still
    import the file. Export creates the key when there is none.

Sheet and workbook protection use no password: it guards against slips, not people.
To resize columns or rows it need not be removed (that is allowed); everything else an
editor could change is checked again on import.

Validation on import
--------------------
A file is refused as a whole (nothing imported) when any of these is found, each
reported with file, sheet, cell, field and a Japanese message and action: the file is not
a regular file or is a zip bomb (:mod:`scoring.core.safefiles`, checked before openpyxl
opens it); it is not an Excel workbook or not one of ours (no manifest); a sheet of an older format; the
manifest's signature is missing, made with another key or does not match (the manifest
was edited); it is another round's sheet (round name differs); another reviewer's sheet
(when the expected reviewer is given) or an unknown reviewer; the rubric version changed
since the export; header cells changed (columns inserted, deleted or moved); rows
deleted, added, duplicated or reordered (compared with the manifest's application list);
an application that is no longer in the round, is now in conflict with the reviewer, or
is no longer assigned to them (checked against the round's assignments at import, not
only the manifest); text, formulas,
dates, out-of-range or off-step values in score cells (full-width digits such as ``４``
and a trailing ``点`` are accepted); a missing comment at a level that requires one; a
change to an application already submitted (提出済). A sheet whose round folder path
differs but whose round name matches (a round folder moved to a shared drive) gives a
warning only.

Re-imports
----------
The ``state:`` rows say what each cell held when the sheet was exported. On import, a
cell equal to its exported value is never written (an old sheet does not undo newer work
done in the app or through a later sheet), and a cell equal to what the store holds now
is not written again (importing the same file twice writes nothing: status
``"unchanged"``, 「変更はありません。何も書き込みませんでした」). A cell that changed in the
store after the export *and* that the sheet changes to something else stops the file: it
is listed with the value in the store and when, and the value in the sheet, and is
imported only with ``overwrite`` and a ``reason`` (recorded in the events' ``actor``).

Blank scores: a blank score cell whose exported value was blank too is not imported and
is reported as a warning (未入力). A score the reviewer *cleared* in Excel (blank now,
a score at export) is a recorded deletion: a score event without a score (the store's
"cleared" event; the cell is 未採点 again), announced by a warning naming the cell and
the old score.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import numbers
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from ..config.rubric import Criterion, Rubric, format_level
from ..core.columns import CONFLICT_COLUMNS
from ..core.errors import SheetError, StoreError
from ..core.excel import set_text
from ..core.safefiles import BOMB_ACTION, UnsafeFileError, inspect_xlsx, open_regular
from ..core.schema import PROBLEM_COLUMNS
from ..core.signing import key_id, load_key, sign, verify
from ..core.xlsx import write_sheet

if TYPE_CHECKING:
    from ..round.loader import ReviewRound
    from ..store.scores import ScoreStore

__all__ = [
    "ANCHOR_SHEET",
    "BLANK_PREFIX",
    "CONFLICT_COLUMNS",
    "FIRST_ROW",
    "GUIDE_SHEET",
    "HEADER_ROW",
    "MANIFEST_KEYS",
    "MANIFEST_SHEET",
    "MAX_REASON_CHARS",
    "SCORE_SHEET",
    "SHEET_FORMAT",
    "SHEET_FORMAT_VERSION",
    "STATE_PREFIX",
    "SheetColumn",
    "anchor_table",
    "blank_cells",
    "export_all",
    "export_sheet",
    "import_sheets",
    "manifest_payload",
    "read_manifest",
    "reviewer_applications",
    "sheet_columns",
    "sheet_filename",
    "validate_sheet",
]

#: Identifies a workbook written by :func:`export_sheet` (manifest key ``format``).
SHEET_FORMAT = "shinsa-saitenhyo"
#: Version of the layout described in the module docstring.
SHEET_FORMAT_VERSION = "2"
SCORE_SHEET = "採点"
ANCHOR_SHEET = "評価基準"
GUIDE_SHEET = "記入方法"
MANIFEST_SHEET = "_manifest"
#: Fixed keys of the manifest, in sheet order; ``signature`` covers every other row.
MANIFEST_KEYS: tuple[str, ...] = (
    "format", "format_version", "round_name", "round_path_hash", "reviewer", "rubric_id",
    "rubric_version", "applications", "criteria", "exported_at", "key_id", "signature",
)
#: Key prefix of the manifest rows holding the exported state of one application's cells.
STATE_PREFIX = "state:"
#: Row of the header of the 採点 sheet, and the first application row.
HEADER_ROW = 3
FIRST_ROW = 4

_FONT = "Meiryo UI"
_INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
_LOCKED_FILL = PatternFill("solid", fgColor="E7E6E6")
_HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
_MISSING_FILL = PatternFill("solid", fgColor="F8CBAD")
_THIN = Side(style="thin", color="BFBFBF")
_BORDER = Border(top=_THIN, bottom=_THIN, left=_THIN, right=_THIN)
_SEP = ","


# ---------------------------------------------------------------------------
# Layout
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SheetColumn:
    """One column of the 採点 sheet.

    Attributes
    ----------
    key : str
        ``application``, ``prefecture``, ``theme``, ``status``, ``score:<criterion>`` or
        ``comment:<criterion>``.
    header : str
        Header text (row :data:`HEADER_ROW`).
    width : float
        Column width in Excel units.
    criterion : str or None
        Criterion id of a score or comment column.
    """

    key: str
    header: str
    width: float
    criterion: str | None = None

    @property
    def kind(self) -> Literal["fixed", "score", "comment"]:
        if self.key.startswith("score:"):
            return "score"
        if self.key.startswith("comment:"):
            return "comment"
        return "fixed"


def _levels_text(c: Criterion) -> str:
    s = c.effective_scale
    text = f"{format_level(s.min)}〜{format_level(s.max)}"
    return text if float(s.step) == 1.0 else f"{text}、{format_level(s.step)}刻み"


def _required_text(c: Criterion) -> str:
    levels = [lv for lv in c.levels if c.comment_required(lv)]
    return "・".join(format_level(lv) for lv in levels) + "点は必須" if levels else "任意"


def sheet_columns(rubric: Rubric) -> list[SheetColumn]:
    """The columns of the 採点 sheet for ``rubric``, left to right."""
    cols = [
        SheetColumn("application", "応募ID", 8),
        SheetColumn("prefecture", "都道府県", 10),
        SheetColumn("theme", "重点テーマ", 26),
        SheetColumn("status", "状態", 8),
    ]
    for c in rubric.criteria:
        cols.append(SheetColumn(f"score:{c.id}", f"{c.label_ja}\n点数 {_levels_text(c)}（配点{format_level(c.weight)}点）",
                                15, c.id))
        cols.append(SheetColumn(f"comment:{c.id}", f"{c.label_ja}\nコメント（{_required_text(c)}）", 36, c.id))
    return cols


def sheet_filename(reviewer_id: str) -> str:
    """File name used by :func:`export_all`: ``採点表_<reviewer>.xlsx``."""
    safe = re.sub(r'[\\/:*?"<>|\s]+', "_", reviewer_id)
    return f"採点表_{safe}.xlsx"


def reviewer_applications(rnd: ReviewRound, reviewer_id: str) -> list[str]:
    """The applications ``reviewer_id`` scores, in application order, never a conflicted one.

    Taken from ``rnd.assignments()`` (columns ``reviewer``, ``application``) when that
    exists and is not empty, else from the reviewer's ``assignments`` in reviewers.yaml,
    else all the round's applications; applications the reviewer is in conflict with
    (利害関係) and applications not in the round are always left out.

    Raises
    ------
    KeyError
        Unknown reviewer (Japanese message).
    """
    reviewer = rnd.reviewer(reviewer_id)
    all_apps = [str(a) for a in rnd.applications.index]
    chosen: set[str] | None = None
    getter = getattr(rnd, "assignments", None)
    if callable(getter):
        table = getter()
        if isinstance(table, pd.DataFrame) and len(table):
            chosen = {str(a) for a in table.loc[table["reviewer"].astype(str) == reviewer_id, "application"]}
    if chosen is None and reviewer.assignments is not None:
        chosen = set(reviewer.assignments)
    conflicts = set(reviewer.conflicts)
    return [a for a in all_apps if (chosen is None or a in chosen) and a not in conflicts]


# ---------------------------------------------------------------------------
# Manifest
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Cell:
    """One reviewer cell (application × criterion) as the store holds it: its last score event."""

    event_id: int
    score: float | None
    comment: str
    timestamp: object = None


def _norm_comment(value: object) -> str:
    """A comment as compared between sheet, manifest and store (CRLF → LF, stripped)."""
    return _s(value).replace("\r\n", "\n").strip()


def _comment_digest(comment: object) -> str:
    text = _norm_comment(comment)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12] if text else ""


def _same_score(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(a)))


def _state_entry(cell: _Cell | None) -> list[object] | None:
    if cell is None:
        return None
    return [cell.event_id, cell.score, _comment_digest(cell.comment)]


def _store_cells(store: ScoreStore | None, reviewer_id: str) -> dict[tuple[str, str], _Cell]:
    """The reviewer's cells in the store: the last score event per (application, criterion)."""
    if store is None:
        return {}
    ev = store.events()
    ev = ev[(ev["kind"] == "score") & (ev["reviewer"].astype(str) == reviewer_id)]
    out: dict[tuple[str, str], _Cell] = {}
    for eid, app, crit, score, comment, ts in zip(ev["id"], ev["application"], ev["criterion"], ev["score"],
                                                  ev["comment"], ev["timestamp"]):
        missing = score is None or (isinstance(score, float) and math.isnan(score))
        out[(str(app), str(crit))] = _Cell(int(eid), None if missing else float(score), _s(comment), ts)
    return out


def _round_path_hash(rnd: ReviewRound) -> str:
    return hashlib.sha256(str(Path(rnd.path).resolve()).encode("utf-8")).hexdigest()[:16]


def manifest_payload(fields: Mapping[str, str]) -> dict[str, str]:
    """What the manifest's ``signature`` signs: every row but ``signature``, as stripped text."""
    return {str(k): str(v).strip() for k, v in fields.items() if k != "signature"}


def _manifest(rnd: ReviewRound, reviewer_id: str, apps: Sequence[str], exported_at: dt.datetime,
              cells: Mapping[tuple[str, str], _Cell], key: bytes) -> dict[str, str]:
    fields = {
        "format": SHEET_FORMAT,
        "format_version": SHEET_FORMAT_VERSION,
        "round_name": rnd.config.name,
        "round_path_hash": _round_path_hash(rnd),
        "reviewer": reviewer_id,
        "rubric_id": rnd.rubric.id,
        "rubric_version": rnd.rubric.version,
        "applications": _SEP.join(apps),
        "criteria": _SEP.join(c.id for c in rnd.rubric.criteria),
        "exported_at": exported_at.isoformat(timespec="seconds"),
        "key_id": key_id(key),
    }
    for app in apps:
        fields[STATE_PREFIX + app] = json.dumps(
            [_state_entry(cells.get((app, c.id))) for c in rnd.rubric.criteria], separators=(",", ":"))
    fields["signature"] = sign(manifest_payload(fields), key)
    ordered = {k: fields[k] for k in MANIFEST_KEYS}  # fixed keys first, then the state rows
    ordered.update(fields)
    return ordered


def _text(value: object) -> str:
    """A cell value as stripped, NFKC-normalised text ('' for empty)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def read_manifest(path: str | Path) -> dict[str, str] | None:
    """The manifest of a 採点表 as ``key → value`` (``None`` when the workbook has none)."""
    wb = load_workbook(Path(path))
    return _manifest_of(wb)


def _manifest_of(wb: Workbook) -> dict[str, str] | None:
    found = _manifest_rows(wb)
    return None if found is None else found[0]


def _manifest_rows(wb: Workbook) -> tuple[dict[str, str], dict[str, int], list[str]] | None:
    """``key → value``, ``key → row`` and the keys found more than once (``None``: no manifest)."""
    if MANIFEST_SHEET not in wb.sheetnames:
        return None
    ws = wb[MANIFEST_SHEET]
    out: dict[str, str] = {}
    rows: dict[str, int] = {}
    twice: list[str] = []
    for r, (key, value, *_) in enumerate(ws.iter_rows(min_row=2, max_col=2, values_only=True), start=2):
        if key is not None:
            if isinstance(value, float) and value.is_integer():
                value = int(value)  # a writer that stored "1" as a number
            name = str(key).strip()
            if name in out:
                twice.append(name)
            out[name] = "" if value is None else str(value).strip()
            rows.setdefault(name, r)
    return out, rows, twice


# ---------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------


def _s(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _cell_score(x: float) -> int | float:
    return int(x) if float(x).is_integer() else float(x)


def _write_score_sheet(ws: Worksheet, rnd: ReviewRound, reviewer_id: str, apps: Sequence[str],
                       store: ScoreStore | None, current: Mapping[tuple[str, str], _Cell]) -> None:
    reviewer = rnd.reviewer(reviewer_id)
    cols = sheet_columns(rnd.rubric)
    statuses = {a: store.status(reviewer_id, a) for a in apps} if store is not None else {}
    last_row = FIRST_ROW + len(apps) - 1
    last_col = get_column_letter(len(cols))

    set_text(ws["A1"], f"採点表　{rnd.config.name}")
    ws["A1"].font = Font(name=_FONT, size=14, bold=True)
    set_text(ws["A2"], (f"審査員: {reviewer.id} {reviewer.name}（{reviewer.role}）　評価基準の版: {rnd.rubric.version}　"
                        "黄色のセルに点数（一覧から選択）とコメントを入力してください。"
                        "行・列の追加や削除、並べ替えはしないでください。評価基準は「評価基準」シートにあります。"))
    ws["A2"].font = Font(name=_FONT, size=10)

    for j, col in enumerate(cols, start=1):
        cell = ws.cell(row=HEADER_ROW, column=j)
        set_text(cell, col.header)
        cell.font = Font(name=_FONT, bold=True)
        cell.fill = _HEADER_FILL
        cell.border = _BORDER
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[get_column_letter(j)].width = col.width
    ws.row_dimensions[HEADER_ROW].height = 48

    apps_df = rnd.applications
    for i, app in enumerate(apps):
        r = FIRST_ROW + i
        row = apps_df.loc[app]
        status = statuses.get(app, "")
        submitted = status == "提出済"
        theme = _s(row.get("theme"))
        fixed = {
            "application": app,
            "prefecture": _s(row.get("prefecture_name")),
            "theme": f"{theme} {_s(row.get('theme_name'))}".strip(),
            "status": status,
        }
        for j, col in enumerate(cols, start=1):
            cell = ws.cell(row=r, column=j)
            cell.font = Font(name=_FONT)
            cell.border = _BORDER
            if col.kind == "fixed":
                if fixed[col.key]:
                    set_text(cell, fixed[col.key])
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                continue
            assert col.criterion is not None
            prior = current.get((app, col.criterion))
            if col.kind == "score":
                if prior is not None and prior.score is not None:
                    cell.value = _cell_score(prior.score)
                cell.alignment = Alignment(horizontal="center", vertical="top")
            else:
                if prior is not None and _norm_comment(prior.comment):
                    set_text(cell, _norm_comment(prior.comment))
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            if submitted:
                cell.fill = _LOCKED_FILL
            else:
                cell.fill = _INPUT_FILL
                cell.protection = Protection(locked=False)

    if apps:
        for j, col in enumerate(cols, start=1):
            if col.kind != "score":
                continue
            crit = rnd.rubric.criterion(col.criterion or "")
            letter = get_column_letter(j)
            levels = ",".join(format_level(lv) for lv in crit.levels)
            dv = DataValidation(type="list", formula1=f'"{levels}"', allow_blank=True,
                                showErrorMessage=True, showInputMessage=True)
            dv.errorTitle = "点数"
            dv.error = f"{crit.label_ja}: {levels} のいずれかを選んでください。"[:255]
            dv.promptTitle = crit.label_ja[:32]
            dv.prompt = (f"{levels} から選択（配点{format_level(crit.weight)}点）。"
                         f"コメント: {_required_text(crit)}。基準は「評価基準」シート。")[:255]
            ws.add_data_validation(dv)
            dv.add(f"{letter}{FIRST_ROW}:{letter}{last_row}")
            required = [lv for lv in crit.levels if crit.comment_required(lv)]
            if required:
                comment_letter = get_column_letter(j + 1)
                cond = ",".join(f"{letter}{FIRST_ROW}={format_level(lv)}" for lv in required)
                ws.conditional_formatting.add(
                    f"{comment_letter}{FIRST_ROW}:{comment_letter}{last_row}",
                    FormulaRule(formula=[f"AND(OR({cond}),LEN(TRIM({comment_letter}{FIRST_ROW}))=0)"],
                                fill=_MISSING_FILL),
                )
        for r in range(FIRST_ROW, last_row + 1):
            ws.row_dimensions[r].height = 45

    ws.freeze_panes = f"E{FIRST_ROW}"
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.print_title_cols = "A:B"
    ws.print_area = f"A1:{last_col}{max(last_row, HEADER_ROW)}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.oddFooter.center.text = "&P / &N"
    ws.oddHeader.right.text = f"審査員 {reviewer.id}"
    ws.protection.sheet = True  # no password: input cells are unlocked, the rest locked
    ws.protection.formatColumns = False  # reviewers may widen columns and rows
    ws.protection.formatRows = False


def anchor_table(rubric: Rubric) -> pd.DataFrame:
    """The rubric's level anchors, one row per criterion × level (highest level first).

    Columns 観点, 評価項目ID, 評価項目, 配点（点）, 点数, 評価基準, コメント (必須/任意), 着眼点:
    the 評価基準 sheet of the 採点表 and the anchors of a reviewer's packet.
    """
    rows = []
    for g in rubric.groups:
        for c in g.criteria:
            for lv in reversed(c.levels):
                rows.append({
                    "観点": g.label_ja,
                    "評価項目ID": c.id,
                    "評価項目": c.label_ja,
                    "配点（点）": _cell_score(c.weight),
                    "点数": _cell_score(lv),
                    "評価基準": c.anchor(lv).ja,
                    "コメント": "必須" if c.comment_required(lv) else "任意",
                    "着眼点": c.guidance_ja,
                })
    return pd.DataFrame(rows)


def _guide_frame(rnd: ReviewRound, reviewer_id: str, n_apps: int, exported_at: dt.datetime) -> pd.DataFrame:
    reviewer = rnd.reviewer(reviewer_id)
    items = [
        ("審査ラウンド", rnd.config.name),
        ("審査員", f"{reviewer.id} {reviewer.name}（{reviewer.role}）"),
        ("担当の応募数（件）", str(n_apps)),
        ("評価基準", rnd.rubric.name_ja),
        ("評価基準の版", rnd.rubric.version),
        ("書き出し日時", exported_at.isoformat(timespec="seconds")),
        ("記入方法1", "「採点」シートの黄色のセルだけに入力してください。灰色の行は提出済みのため変更できません。"),
        ("記入方法2", "点数は一覧から選ぶか、半角または全角の数字で入力してください（例: 4）。"),
        ("記入方法3", "コメント欄の見出しに「必須」とある点数を付けたときは、理由をコメントに書いてください。未記入のコメント欄は赤くなります。"),
        ("記入方法4", "行や列の追加・削除・並べ替え、シート名の変更はしないでください。取り込み時にエラーになります。"),
        ("記入方法5", "空欄の点数は取り込まれません（未入力として報告されます）。全部入力しなくても途中で返送できます。"),
        ("記入方法6", "記入したファイルを事務局に返送してください。事務局が python -m scoring sheets import で取り込みます。"),
        ("利害関係", "利害関係のある応募はこの採点表に含まれていません。"),
    ]
    return pd.DataFrame(items, columns=["項目", "内容"])


def _protect_readonly(ws: Worksheet) -> None:
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.protection.autoFilter = False  # filtering the reference table is harmless


def export_sheet(rnd: ReviewRound, reviewer_id: str, path: str | Path, store: ScoreStore | None = None, *,
                 key: bytes | None = None) -> Path:
    """Write the Excel 採点表 of one reviewer.

    Parameters
    ----------
    rnd : ReviewRound
        The round (its rubric, applications and reviewers).
    reviewer_id : str
        The reviewer; the sheet holds only their applications
        (:func:`reviewer_applications`), never a conflicted one.
    path : str or Path
        Output .xlsx; parent folders are created.
    store : ScoreStore, optional
        When given, the reviewer's current scores and comments (drafts included) are
        pre-filled, the 状態 column shows 未着手 / 下書き / 提出済, and submitted rows are
        locked. The manifest records these cells as exported (the ``state:`` rows), so that
        an import writes only what the reviewer changed and stops at cells changed in the
        store meanwhile.
    key : bytes, optional
        The analyst's signing key (default :func:`scoring.core.signing.load_key`, created
        when missing).

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    KeyError
        Unknown reviewer.
    ValueError
        The reviewer has no application to score.
    SigningError
        The signing key file is unsafe or not a key.
    """
    apps = reviewer_applications(rnd, reviewer_id)
    if not apps:
        raise ValueError(f"審査員 {reviewer_id} には採点する応募がありません（担当なし、または全て利害関係あり）。")
    key = load_key(create=True) if key is None else key
    current = _store_cells(store, reviewer_id)
    exported_at = dt.datetime.now(dt.timezone.utc).astimezone(dt.timezone(dt.timedelta(hours=9)))

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = SCORE_SHEET
    _write_score_sheet(ws, rnd, reviewer_id, apps, store, current)

    anchors = wb.create_sheet(ANCHOR_SHEET)
    write_sheet(anchors, anchor_table(rnd.rubric), wrap_over=30)
    anchors.column_dimensions["F"].width = 60
    anchors.column_dimensions["H"].width = 60
    anchors.freeze_panes = "D2"
    _protect_readonly(anchors)

    guide = wb.create_sheet(GUIDE_SHEET)
    write_sheet(guide, _guide_frame(rnd, reviewer_id, len(apps), exported_at), wrap_over=80)
    guide.column_dimensions["B"].width = 90
    _protect_readonly(guide)

    man = wb.create_sheet(MANIFEST_SHEET)
    man["A1"], man["B1"] = "key", "value"
    for i, (name, value) in enumerate(_manifest(rnd, reviewer_id, apps, exported_at, current, key).items(), start=2):
        set_text(man.cell(row=i, column=1), name)
        set_text(man.cell(row=i, column=2), value)
    man.column_dimensions["A"].width = 18
    man.column_dimensions["B"].width = 70
    man.sheet_state = "veryHidden"
    man.protection.sheet = True

    wb.active = 0
    wb.security = WorkbookProtection(lockStructure=True)  # no password: sheets cannot be renamed or unhidden by a slip
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out


def export_all(rnd: ReviewRound, out_dir: str | Path, store: ScoreStore | None = None, *,
               key: bytes | None = None) -> list[Path]:
    """Write one 採点表 per reviewer into ``out_dir`` (:func:`sheet_filename`).

    Reviewers without any application to score are skipped. Returns the written paths in
    reviewers.yaml order. ``key`` as in :func:`export_sheet`.
    """
    key = load_key(create=True) if key is None else key
    out: list[Path] = []
    for r in rnd.reviewers:
        if reviewer_applications(rnd, r.id):
            out.append(export_sheet(rnd, r.id, Path(out_dir) / sheet_filename(r.id), store=store, key=key))
    return out


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------


class _Report:
    """Collects problem rows for one file."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.rows: list[dict[str, str]] = []

    def add(self, severity: str, message: str, action: str, *, sheet: str = "", cell: str = "", field: str = "") -> None:
        self.rows.append({"file": self.file, "sheet": sheet, "cell": cell, "field": field,
                          "severity": severity, "message": message, "action": action})

    def error(self, message: str, action: str, **kw: str) -> None:
        self.add("error", message, action, **kw)

    def warning(self, message: str, action: str, **kw: str) -> None:
        self.add("warning", message, action, **kw)

    @property
    def has_errors(self) -> bool:
        return any(r["severity"] == "error" for r in self.rows)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=list(PROBLEM_COLUMNS))


_REEXPORT = "事務局に新しい採点表を書き出してもらい、点数を写して返送してください。"
_NUMBER_RE = re.compile(r"^[+]?\d+(\.\d+)?$")


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


def _signature_ok(manifest: Mapping[str, str], twice: Sequence[str], key: bytes, rep: _Report, cell: str) -> bool:
    """Check the manifest's signature with the analyst's key; report an error and return False if bad."""
    where = {"sheet": MANIFEST_SHEET, "cell": cell, "field": "署名"}
    signature = manifest.get("signature", "")
    if not signature:
        rep.error("採点表の管理情報に署名がありません（書き換えられたか、古い形式です）。", _REEXPORT, **where)
        return False
    if twice:
        rep.error(f"採点表の管理情報に同じ項目が二度あります（{'、'.join(sorted(set(twice)))}）。書き換えられています。",
                  _REEXPORT, **where)
        return False
    if verify(manifest_payload(manifest), signature, key):
        return True
    if manifest.get("key_id", "") != key_id(key):
        rep.error(f"この採点表は別の鍵で署名されています（採点表の鍵: {manifest.get('key_id', '')}、"
                  f"この環境の鍵: {key_id(key)}）。",
                  "書き出した事務局の環境（署名の鍵）で取り込むか、" + _REEXPORT, **where)
    else:
        rep.error("採点表の管理情報の署名が一致しません（審査員・応募・ラウンドなどの管理情報が書き換えられています）。",
                  _REEXPORT, **where)
    return False


def _parse_state(text: str, n_criteria: int) -> list[tuple[float | None, str] | None] | None:
    """A ``state:`` row → per criterion (exported score, comment digest) or None; None if malformed."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, list) or len(data) != n_criteria:
        return None
    out: list[tuple[float | None, str] | None] = []
    for item in data:
        if item is None:
            out.append(None)
        elif (isinstance(item, list) and len(item) == 3 and isinstance(item[2], str)
              and (item[1] is None or isinstance(item[1], (int, float)))):
            out.append((None if item[1] is None else float(item[1]), item[2]))
        else:
            return None
    return out


@dataclass
class _Checked:
    """What :func:`_validate` learnt about a file besides its problems."""

    reviewer: str = ""
    #: Score cell of each (application, criterion) of the sheet.
    coords: dict[tuple[str, str], str] = field(default_factory=dict)
    #: (score, comment digest) of each cell at export; None where the store had nothing.
    exported: dict[tuple[str, str], tuple[float | None, str] | None] = field(default_factory=dict)


def validate_sheet(rnd: ReviewRound, path: str | Path, *, reviewer: str | None = None, key: bytes | None = None
                   ) -> tuple[list[dict[str, object]], pd.DataFrame]:
    """Validate a whole returned 採点表 without writing anything.

    Parameters
    ----------
    rnd : ReviewRound
        The round the sheet is imported into.
    path : str or Path
        The workbook.
    reviewer : str, optional
        The reviewer the sheet must belong to (an error if the manifest names another).
    key : bytes, optional
        The analyst's signing key (default :func:`scoring.core.signing.load_key`).

    Returns
    -------
    rows : list of dict
        The cells the sheet changed since its export (compared with the manifest's
        ``state:`` rows), with keys ``reviewer``, ``application``, ``criterion``, ``score``
        (int when integral, else float; ``None`` for a score the reviewer cleared) and
        ``comment`` (``""`` when none), in sheet order. Empty whenever ``problems`` holds
        an error: a file with any error imports nothing.
    problems : DataFrame
        Columns :data:`scoring.core.schema.PROBLEM_COLUMNS`; ``file`` is ``str(path)``, ``cell``
        an Excel reference such as ``F7``. Errors refuse the file; warnings (未入力, a
        comment without a score, a cleared score, a moved round folder) do not.

    Raises
    ------
    SigningError
        No signing key (nothing can be checked without it).
    """
    rows, rep, _ = _validate(rnd, path, reviewer, load_key() if key is None else key)
    return rows, rep.frame()


def _validate(rnd: ReviewRound, path: str | Path, reviewer: str | None, key: bytes
              ) -> tuple[list[dict[str, object]], _Report, _Checked]:
    """:func:`validate_sheet`, also returning the cells and their exported state."""
    p = Path(path)
    rep = _Report(str(path))
    if not p.is_file():
        rep.error("ファイルが見つかりません。", "ファイル名と場所を確認してください。")
        return [], rep, _Checked()
    # The hostile-file check (scoring.core.safefiles): never a FIFO or device, and the zip
    # directory is checked for bombs before openpyxl decompresses anything.
    try:
        fh = open_regular(p)
    except UnsafeFileError as e:
        rep.error(str(e), "ファイル名と場所を確認してください。")
        return [], rep, _Checked()
    with fh:
        hostile = inspect_xlsx(fh)
        if hostile is not None:
            rep.error(hostile, BOMB_ACTION)
            return [], rep, _Checked()
        try:
            wb = load_workbook(fh, data_only=False)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as e:
            rep.error(f"Excel ファイル（.xlsx）として読めません（{type(e).__name__}）。",
                      "書き出された採点表を Excel で開き、.xlsx 形式で保存し直してください。")
            return [], rep, _Checked()

    found_manifest = _manifest_rows(wb)
    if found_manifest is None or found_manifest[0].get("format") != SHEET_FORMAT:
        rep.error("本ワークベンチが書き出した採点表ではありません（管理情報がありません）。",
                  "python -m scoring sheets export で書き出した採点表に記入して返送してください。",
                  sheet=MANIFEST_SHEET if found_manifest is not None else "")
        return [], rep, _Checked()
    manifest, rows_of_key, twice = found_manifest

    def mcell(key: str) -> str:
        return f"B{rows_of_key[key]}" if key in rows_of_key else ""

    if manifest.get("format_version") != SHEET_FORMAT_VERSION:
        rep.error(f"採点表の形式の版 {manifest.get('format_version')!r} には対応していません（対応: {SHEET_FORMAT_VERSION}）。",
                  _REEXPORT, sheet=MANIFEST_SHEET, cell=mcell("format_version"), field="形式の版")
        return [], rep, _Checked()
    if not _signature_ok(manifest, twice, key, rep, mcell("signature")):
        return [], rep, _Checked()
    layout_ok = True
    if manifest.get("round_name") != rnd.config.name:
        rep.error(f"別の審査ラウンドの採点表です（採点表: 「{manifest.get('round_name')}」、取り込み先: 「{rnd.config.name}」）。",
                  "取り込み先の審査ラウンド（--round）を確認してください。",
                  sheet=MANIFEST_SHEET, cell=mcell("round_name"), field="審査ラウンド")
    elif manifest.get("round_path_hash") != _round_path_hash(rnd):
        rep.warning("この採点表は、同じ名前の別の場所にある審査ラウンドから書き出されました。",
                    "審査ラウンドのフォルダを移動・複製した場合はこのままで構いません。そうでなければ取り込み先を確認してください。",
                    sheet=MANIFEST_SHEET, cell=mcell("round_path_hash"), field="審査ラウンド")
    sheet_reviewer = manifest.get("reviewer", "")
    known = {r.id for r in rnd.reviewers}
    if sheet_reviewer not in known:
        rep.error(f"審査員ID '{sheet_reviewer}' はこの審査ラウンドの reviewers.yaml にありません。",
                  "正しい審査員の採点表か確認してください。", sheet=MANIFEST_SHEET, cell=mcell("reviewer"), field="審査員")
    if reviewer is not None and sheet_reviewer != reviewer:
        rep.error(f"別の審査員の採点表です（採点表: {sheet_reviewer}、取り込み先: {reviewer}）。",
                  "本人の採点表か、指定した審査員ID（--reviewer）を確認してください。",
                  sheet=MANIFEST_SHEET, cell=mcell("reviewer"), field="審査員")
    if manifest.get("rubric_version") != rnd.rubric.version:
        rep.error(f"書き出し後に評価基準が変更されています（採点表の版: {manifest.get('rubric_version')}、現在の版: {rnd.rubric.version}）。",
                  _REEXPORT, sheet=MANIFEST_SHEET, cell=mcell("rubric_version"), field="評価基準の版")
        layout_ok = False
    criteria = [c.id for c in rnd.rubric.criteria]
    if manifest.get("criteria", "").split(_SEP) != criteria:
        if layout_ok:
            rep.error("評価項目の一覧が現在の評価基準と一致しません。", _REEXPORT,
                      sheet=MANIFEST_SHEET, cell=mcell("criteria"), field="評価項目")
        layout_ok = False
    apps = [a for a in manifest.get("applications", "").split(_SEP) if a]
    if SCORE_SHEET not in wb.sheetnames:
        rep.error(f"「{SCORE_SHEET}」シートがありません（シート名が変更または削除されています）。", _REEXPORT, sheet=SCORE_SHEET)
        layout_ok = False
    if not layout_ok:
        return [], rep, _Checked()

    ws = wb[SCORE_SHEET]
    cols = sheet_columns(rnd.rubric)
    for j, col in enumerate(cols, start=1):
        cell = ws.cell(row=HEADER_ROW, column=j)
        if _header_text(cell.value) != _header_text(col.header):
            rep.error(f"見出しが書き出し時と違います（「{_s(cell.value)}」、正しくは「{col.header}」）。列が追加・削除・移動された可能性があります。",
                      "列を元に戻すか、" + _REEXPORT, sheet=SCORE_SHEET, cell=cell.coordinate,
                      field=col.header.replace("\n", " "))
            return [], rep, _Checked()

    # Application rows, compared with the manifest's list.
    ncols = len(cols)
    found: list[tuple[int, str]] = []
    for r in range(FIRST_ROW, ws.max_row + 1):
        values = [ws.cell(row=r, column=j).value for j in range(1, ncols + 1)]
        if all(_text(v) == "" for v in values):
            continue
        app = _app_id(values[0])
        if app == "":
            rep.error("応募IDのない行に入力があります。", "行を追加せず、書き出された行に入力してください。",
                      sheet=SCORE_SHEET, cell=f"A{r}", field="応募ID")
            continue
        found.append((r, app))
    names = rnd.applications["prefecture_name"] if "prefecture_name" in rnd.applications else pd.Series(dtype=str)

    def label(app: str) -> str:
        return f"{app} {names.get(app, '')}".strip()

    seen: dict[str, int] = {}
    for r, app in found:
        if app not in apps:
            rep.error(f"応募ID '{app}' はこの採点表に書き出されていません。", "行を追加せず、書き出された行に入力してください。",
                      sheet=SCORE_SHEET, cell=f"A{r}", field="応募ID")
        elif app in seen:
            rep.error(f"応募 {label(app)} の行が重複しています（{seen[app]}行目と{r}行目）。", "重複した行を削除し、元の1行に入力してください。",
                      sheet=SCORE_SHEET, cell=f"A{r}", field="応募ID")
        else:
            seen[app] = r
    for i, app in enumerate(apps):
        if app not in seen:
            rep.error(f"応募 {label(app)} の行がありません（行が削除された可能性があります）。",
                      "行を元に戻すか、" + _REEXPORT, sheet=SCORE_SHEET, cell=f"A{FIRST_ROW + i}", field="応募ID")
    present = [a for _, a in found if a in apps]
    expected_order = [a for a in apps if a in seen]
    if len(present) == len(set(present)) and present != expected_order:
        for (r, app), want in zip([(r, a) for r, a in found if a in apps], expected_order):
            if app != want:
                rep.error(f"行の順序が書き出し時と違います（この行は応募 {label(app)}、書き出し時は応募 {label(want)}）。",
                          "並べ替えを元に戻してください（書き出し時の順: " + "、".join(apps) + "）。",
                          sheet=SCORE_SHEET, cell=f"A{r}", field="応募ID")

    who = rnd.reviewer(sheet_reviewer) if sheet_reviewer in known else None
    assigned = set(reviewer_applications(rnd, sheet_reviewer)) if who is not None else set()
    for app, r in seen.items():
        if app not in rnd.applications.index:
            rep.error(f"応募 {app} はこの審査ラウンドにありません（取り下げ等）。", "事務局に確認してください。",
                      sheet=SCORE_SHEET, cell=f"A{r}", field="応募ID")
        elif who is not None and app in who.conflicts:
            rep.error(f"審査員 {who.id} は応募 {label(app)} と利害関係があります。この応募は採点できません。",
                      "この行の点数とコメントを消して返送してください。", sheet=SCORE_SHEET, cell=f"A{r}", field="応募ID")
        elif who is not None and app not in assigned:
            rep.error(f"応募 {label(app)} は現在、審査員 {who.id} の担当ではありません（担当の割当が書き出し後に変わりました）。",
                      "担当の割当（assignments.csv または reviewers.yaml）を確認し、" + _REEXPORT,
                      sheet=SCORE_SHEET, cell=f"A{r}", field="応募ID")
    states: dict[str, list[tuple[float | None, str] | None]] = {}
    for app in apps:
        state = _parse_state(manifest.get(STATE_PREFIX + app, ""), len(criteria))
        if state is None:
            rep.error(f"採点表の管理情報に応募 {label(app)} の書き出し時の状態がありません。", _REEXPORT,
                      sheet=MANIFEST_SHEET, cell=mcell(STATE_PREFIX + app), field="管理情報")
        else:
            states[app] = state

    rows: list[dict[str, object]] = []
    checked = _Checked(reviewer=sheet_reviewer)
    crit_cols = [(j, col) for j, col in enumerate(cols, start=1) if col.kind == "score"]
    last_letter = get_column_letter(ncols)
    for app, r in seen.items():
        state = states.get(app, [None] * len(criteria))
        cells: list[tuple[Criterion, str, float | None, str, str, tuple[float | None, str] | None]] = []
        for k, (j, col) in enumerate(crit_cols):
            crit = rnd.rubric.criterion(col.criterion or "")
            score_cell = ws.cell(row=r, column=j)
            comment_cell = ws.cell(row=r, column=j + 1)
            field_name = crit.label_ja
            score, reason = _parse_score(score_cell.value, score_cell.data_type)
            if comment_cell.data_type == "f":
                rep.error(f"応募 {label(app)}: コメント欄に数式が入っています。", "文章で入力してください。",
                          sheet=SCORE_SHEET, cell=comment_cell.coordinate, field=f"{field_name} コメント")
            comment = _norm_comment(comment_cell.value)
            if reason is not None:
                rep.error(f"応募 {label(app)}: {reason}。点数は {_levels_text(crit)} です。",
                          f"{'、'.join(format_level(v) for v in crit.levels)} のいずれかを入力してください。",
                          sheet=SCORE_SHEET, cell=score_cell.coordinate, field=field_name)
                continue
            if score is not None and not crit.is_allowed(score):
                s = crit.effective_scale
                what = ("範囲外です" if not float(s.min) - 1e-9 <= score <= float(s.max) + 1e-9
                        else f"刻み（{format_level(s.step)}）に合いません")
                rep.error(f"応募 {label(app)}: 点数 {format_level(score)} は{what}（{_levels_text(crit)}）。",
                          f"{'、'.join(format_level(v) for v in crit.levels)} のいずれかを入力してください。",
                          sheet=SCORE_SHEET, cell=score_cell.coordinate, field=field_name)
                continue
            if score is not None:
                score = float(next(lv for lv in crit.levels
                                   if abs(float(lv) - score) <= 1e-9 * max(1.0, abs(float(lv)))))
            cells.append((crit, score_cell.coordinate, score, comment, comment_cell.coordinate, state[k]))
        exported_scores = any(e is not None and e[0] is not None for e in state)
        if not exported_scores and all(score is None and not comment for _, _, score, comment, _, _ in cells):
            rep.warning(f"未入力: 応募 {label(app)} はまだ採点されていません（取り込みません）。",
                        "採点する場合は点数を入力して返送してください。",
                        sheet=SCORE_SHEET, cell=f"E{r}:{last_letter}{r}", field="点数")
            continue
        for crit, coord, score, comment, comment_coord, exported in cells:
            checked.coords[(app, crit.id)] = coord
            checked.exported[(app, crit.id)] = exported
            before_score, before_digest = exported if exported is not None else (None, "")
            if _same_score(score, before_score) and _comment_digest(comment) == before_digest:
                if score is not None and crit.comment_required(score) and not comment:
                    rep.error(f"応募 {label(app)}: 「{crit.label_ja}」を {format_level(score)} 点にしたときはコメント（理由）が必要です。",
                              "コメント欄に理由を書いてください。", sheet=SCORE_SHEET, cell=comment_coord,
                              field=f"{crit.label_ja} コメント")
                elif score is None and not comment:
                    rep.warning(f"未入力: 応募 {label(app)} の「{crit.label_ja}」（取り込みません）。",
                                "採点する場合は点数を入力してください。", sheet=SCORE_SHEET, cell=coord, field=crit.label_ja)
                continue  # unchanged since the export: never written again
            if score is None:
                if before_score is None:
                    if comment:
                        rep.warning(f"応募 {label(app)}: コメントだけで点数がありません（取り込みません）。",
                                    "点数を入力してください。", sheet=SCORE_SHEET, cell=coord, field=crit.label_ja)
                    else:
                        rep.warning(f"未入力: 応募 {label(app)} の「{crit.label_ja}」（取り込みません）。",
                                    "採点する場合は点数を入力してください。", sheet=SCORE_SHEET, cell=coord,
                                    field=crit.label_ja)
                    continue
                rep.warning(f"応募 {label(app)} の「{crit.label_ja}」の点数が消されています（書き出し時: "
                            f"{format_level(before_score)} 点）。取り込むと採点データベースの点数も消え、未採点に戻ります。",
                            "消すつもりでなければ点数を入力し直して返送してください。",
                            sheet=SCORE_SHEET, cell=coord, field=crit.label_ja)
                rows.append({"reviewer": sheet_reviewer, "application": app, "criterion": crit.id,
                             "score": None, "comment": comment})
                continue
            if crit.comment_required(score) and not comment:
                rep.error(f"応募 {label(app)}: 「{crit.label_ja}」を {format_level(score)} 点にしたときはコメント（理由）が必要です。",
                          "コメント欄に理由を書いてください。", sheet=SCORE_SHEET, cell=comment_coord,
                          field=f"{crit.label_ja} コメント")
                continue
            rows.append({"reviewer": sheet_reviewer, "application": app, "criterion": crit.id,
                         "score": _cell_score(score), "comment": comment})
    if rep.has_errors:
        return [], rep, _Checked()
    return rows, rep, checked


# ---------------------------------------------------------------------------
# Import
# ---------------------------------------------------------------------------


#: Longest ``reason`` :func:`import_sheets` takes with ``overwrite`` (it is stored in the events' actor).
MAX_REASON_CHARS = 120


def _show(score: float | None, comment: str) -> str:
    text = "点数なし" if score is None else f"{format_level(score)}点"
    return f"{text}「{comment}」" if comment else text


def _jst(ts: object) -> str:
    try:
        when = pd.Timestamp(ts)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    if pd.isna(when):
        return ""
    if when.tzinfo is None:
        when = when.tz_localize("UTC")
    return when.tz_convert("Asia/Tokyo").strftime("%Y-%m-%d %H:%M")


def _submitted_check(rows: list[dict[str, object]], store: ScoreStore, rep: _Report,
                     coords: Mapping[tuple[str, str], str]) -> None:
    """Report, as errors, changes to applications already submitted (提出済)."""
    if not rows:
        return
    reviewer = str(rows[0]["reviewer"])
    apps = sorted({str(r["application"]) for r in rows})
    submitted = {a for a in apps if store.status(reviewer, a) == "提出済"}
    for row in rows:
        app, crit = str(row["application"]), str(row["criterion"])
        if app in submitted:
            rep.error(f"応募 {app} は提出済みのため変更できません（評価項目 {crit}）。",
                      "変更が必要な場合は事務局に再開（差し戻し）を依頼してから、新しい採点表で返送してください。",
                      sheet=SCORE_SHEET, cell=coords.get((app, crit), ""), field=crit)


def _plan(rows: list[dict[str, object]], checked: _Checked, current: Mapping[tuple[str, str], _Cell],
          file: str) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """The rows to write and the conflicts: cells changed in the store since the export
    that the sheet changes too, to something else."""
    write: list[dict[str, object]] = []
    conflicts: list[dict[str, object]] = []
    for row in rows:
        k = (str(row["application"]), str(row["criterion"]))
        score = None if row["score"] is None else float(str(row["score"]))
        comment = str(row["comment"])
        now = current.get(k)
        now_score, now_comment = (now.score, _norm_comment(now.comment)) if now is not None else (None, "")
        if _same_score(score, now_score) and comment == now_comment:
            continue  # the store already holds it (e.g. the same file imported before)
        exported = checked.exported.get(k)
        ex_score, ex_digest = exported if exported is not None else (None, "")
        if not (_same_score(now_score, ex_score) and _comment_digest(now_comment) == ex_digest):
            conflicts.append({
                "file": file, "cell": checked.coords.get(k, ""), "application": k[0], "criterion": k[1],
                "store_score": now_score, "store_comment": now_comment,
                "store_updated_at": None if now is None else now.timestamp,
                "exported_score": ex_score, "sheet_score": score, "sheet_comment": comment,
            })
        write.append(row)
    return write, conflicts


def import_sheets(rnd: ReviewRound, paths: str | Path | Iterable[str | Path], store: ScoreStore, *,
                  reviewer: str | None = None, overwrite: bool = False, reason: str | None = None,
                  key: bytes | None = None, submit: bool = False) -> pd.DataFrame:
    """Validate and import returned 採点表, each file all-or-nothing.

    Each file is validated as a whole first (:func:`validate_sheet`); a file with any
    error imports nothing, and the other files are still imported. Only the cells the
    sheet changed since its export are written (an old sheet never undoes newer work in
    cells it did not change), and only those that differ from the store (importing the
    same file twice writes nothing the second time). A valid file's changes are written
    with ``store.record_many(rows, source="excel")`` in one transaction; a score cleared
    in the sheet is recorded as a score event without a score (the cell is 未採点 again).

    When a cell changed in the store after the export *and* the sheet changes it to
    something else, the file is stopped: nothing is imported, and each such cell is an
    error row and a row of ``report.attrs["conflicts"]`` (the value in the store and
    when, the value in the sheet). ``overwrite=True`` with a ``reason`` imports such a
    file anyway; the events it writes then carry ``actor`` = ``"<reviewer>（採点表で上書き:
    <reason>）"``, so the reason is in the hash-chained log (the store's schema is
    unchanged). Changes to applications already submitted (提出済) refuse the file; any
    :class:`~scoring.store.scores.StoreError` the store raises refuses that file too.

    Parameters
    ----------
    rnd : ReviewRound
        The round.
    paths : path or iterable of paths
        The returned workbooks.
    store : ScoreStore
        The score store to write to.
    reviewer : str, optional
        When given, every file must be this reviewer's sheet.
    overwrite : bool
        Import files whose changes conflict with newer changes in the store.
    reason : str, optional
        Why (required with ``overwrite``; at most :data:`MAX_REASON_CHARS` characters).
    key : bytes, optional
        The analyst's signing key (default :func:`scoring.core.signing.load_key`).
    submit : bool
        The returned sheet is the reviewer's final answer (提出): every application of the
        sheet that is complete once the file is written, and not yet submitted, is
        submitted (提出済) in the same transaction, with its receipt. Incomplete ones stay
        下書き and are reported as warnings. Without it, Excel scores are drafts, which the
        committee material counts only when round.yaml says ``include_drafts: true``.

    Returns
    -------
    DataFrame
        The report: columns :data:`scoring.core.schema.PROBLEM_COLUMNS`, one row per problem,
        per file and cell (``file`` is ``str(path)``). ``report.attrs["imported"]`` maps
        each file to the number of score events written (0 for a refused file);
        ``report.attrs["status"]`` maps it to ``"imported"``, ``"unchanged"`` (nothing
        differs from the store: nothing written), ``"conflict"`` (stopped, see above) or
        ``"refused"`` (errors); ``report.attrs["conflicts"]`` is a DataFrame with the
        columns :data:`CONFLICT_COLUMNS` (one row per conflicting cell; when ``overwrite``,
        the cells overwritten).

    Raises
    ------
    SheetError
        ``overwrite`` without a ``reason``, or a reason that is too long.
    SigningError
        No signing key (nothing can be checked without it).
    """
    reason_text = (reason or "").strip()
    if overwrite and not reason_text:
        raise SheetError("上書き（--overwrite）には理由（--reason）が必要です。理由は採点の記録に残ります。")
    if len(reason_text) > MAX_REASON_CHARS:
        raise SheetError(f"上書きの理由（--reason）は {MAX_REASON_CHARS} 文字以内にしてください（{len(reason_text)} 文字）。")
    key = load_key() if key is None else key
    if isinstance(paths, (str, Path)):
        paths = [paths]
    frames: list[pd.DataFrame] = []
    imported: dict[str, int] = {}
    status: dict[str, str] = {}
    all_conflicts: list[dict[str, object]] = []
    for path in paths:
        file = str(path)
        rows, checked_rep, checked = _validate(rnd, path, reviewer, key)
        frames.append(checked_rep.frame())
        rep = _Report(file)
        n = 0
        state = "refused" if checked_rep.has_errors else "unchanged"
        if not checked_rep.has_errors and rows:
            try:
                write, conflicts = _plan(rows, checked, _store_cells(store, checked.reviewer), file)
                actor: str | None = None
                if conflicts:
                    all_conflicts.extend(conflicts)
                    for c in conflicts:
                        crit = rnd.rubric.criterion(str(c["criterion"]))
                        what = (f"応募 {c['application']}「{crit.label_ja}」: 書き出し後に採点データベースで変更されています"
                                f"（データベース: {_show(c['store_score'], str(c['store_comment']))}"  # type: ignore[arg-type]
                                f" {_jst(c['store_updated_at'])}、"
                                f"採点表: {_show(c['sheet_score'], str(c['sheet_comment']))}）")  # type: ignore[arg-type]
                        if overwrite:
                            rep.warning(what + "。採点表の値で上書きします。", f"理由: {reason_text}",
                                        sheet=SCORE_SHEET, cell=str(c["cell"]), field=crit.label_ja)
                        else:
                            rep.error(what + "。このファイルからは何も取り込んでいません。",
                                      "どちらを残すか審査員に確認してください。採点表の値を残す場合は --overwrite と "
                                      "--reason 理由 を付けて取り込み直してください。",
                                      sheet=SCORE_SHEET, cell=str(c["cell"]), field=crit.label_ja)
                    state = "conflict"
                    actor = f"{checked.reviewer}（採点表で上書き: {reason_text}）"
                if not conflicts or overwrite:
                    _submitted_check(write, store, rep, checked.coords)
                    to_submit = _to_submit(rnd, store, checked, write, rep) if submit else []
                    if rep.has_errors:
                        state = "refused"
                    elif write or to_submit:
                        result = store.record_many(write, source="excel", actor=actor, submit=to_submit)
                        n = int(result) if isinstance(result, numbers.Integral) else len(write)
                        state = "imported"
                        if to_submit:
                            rep.add("info", f"提出しました: 応募 {'、'.join(a for _, a in to_submit)}（提出済になり、変更できなくなります）。",
                                     "", sheet=SCORE_SHEET)
                    else:
                        state = "unchanged"
            except StoreError as e:
                rep.error(f"採点を保存できませんでした。このファイルからは何も取り込んでいません: {e}",
                          "内容を確認し、必要なら事務局に相談してください。", sheet=SCORE_SHEET)
                n, state = 0, "refused"
        if rep.rows:
            frames.append(rep.frame())
        imported[file] = n
        status[file] = state
    non_empty = [f for f in frames if len(f)]
    report = (pd.concat(non_empty, ignore_index=True) if non_empty
              else pd.DataFrame(columns=list(PROBLEM_COLUMNS)))
    report = report.astype({c: "object" for c in PROBLEM_COLUMNS}) if report.empty else report
    report.attrs["imported"] = imported
    report.attrs["status"] = status
    report.attrs["conflicts"] = pd.DataFrame(all_conflicts, columns=list(CONFLICT_COLUMNS))
    return report


def _to_submit(rnd: ReviewRound, store: ScoreStore, checked: _Checked, write: list[dict[str, object]],
               rep: _Report) -> list[tuple[str, str]]:
    """The sheet's applications to submit with ``submit=True``: complete once ``write`` is
    written and not submitted yet; an incomplete one is a warning (it stays 下書き)."""
    reviewer = checked.reviewer
    scores = {k: c.score for k, c in _store_cells(store, reviewer).items()}
    for row in write:
        score = row["score"]
        scores[(str(row["application"]), str(row["criterion"]))] = None if score is None else float(str(score))
    apps = sorted({a for a, _ in checked.coords})
    out: list[tuple[str, str]] = []
    for app in apps:
        if store.status(reviewer, app) == "提出済":
            continue
        blank = [c.label_ja for c in rnd.rubric.criteria if scores.get((app, c.id)) is None]
        if blank:
            rep.warning(f"応募 {app} は未入力の項目（{'、'.join(blank)}）があるため提出しませんでした（下書きのままです）。",
                        "すべての項目を採点した採点表を返送してもらい、もう一度 --submit を付けて取り込んでください。",
                        sheet=SCORE_SHEET)
            continue
        out.append((reviewer, app))
    return out


#: Start of the warning of a score left blank in a returned sheet (未入力).
BLANK_PREFIX = "未入力: "


def blank_cells(report: pd.DataFrame, file: str | None = None) -> list[str]:
    """Where a returned sheet left scores blank (未入力), by application and criterion.

    Parameters
    ----------
    report : DataFrame
        The report of :func:`import_sheets` (or :func:`validate_sheet`).
    file : str, optional
        Only this file's blanks (its ``file`` value in the report).

    Returns
    -------
    list of str
        One entry per blank, in report order, e.g. 「01 北海道 の「人材プールの遅れ」（セル F7）」,
        or 「02 青森県 の全項目（セル E8:P8）」 for an application not scored at all.
    """
    rows = report[(report["severity"] == "warning") & report["message"].astype(str).str.startswith(BLANK_PREFIX)]
    if file is not None:
        rows = rows[rows["file"] == file]
    out = []
    for msg, cell in zip(rows["message"], rows["cell"]):
        what = (str(msg).removeprefix(f"{BLANK_PREFIX}応募 ").removesuffix("（取り込みません）。")
                .replace(" はまだ採点されていません", " の全項目"))
        out.append(f"{what}（セル {cell}）" if cell else what)
    return out
