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
    Key/value rows (:data:`MANIFEST_KEYS`): the sheet format, round name, a hash of the
    round folder's path, reviewer id, rubric id and version, the application ids in row
    order, the criterion ids, the export time, and ``hash``: SHA-256 over all of these
    (:func:`manifest_hash`). The hash detects edits of the manifest (a reviewer "fixing"
    the reviewer id, an application list typed by hand); it is not a signature and does
    not stop a determined forger, which the store's own refusals (unknown reviewer,
    利害関係, out-of-scale scores) still cover.

Sheet and workbook protection use no password: it guards against slips, not people.
To resize columns or rows it need not be removed (that is allowed); everything else an
editor could change is checked again on import.

Validation on import
--------------------
A file is refused as a whole (nothing imported) when any of these is found, each
reported with file, sheet, cell, field and a Japanese message and action: the file is not
an Excel workbook or not one of ours (no manifest); the manifest hash does not match; it
is another round's sheet (round name differs); another reviewer's sheet (when the
expected reviewer is given) or an unknown reviewer; the rubric version changed since the
export; header cells changed (columns inserted, deleted or moved); rows deleted, added,
duplicated or reordered (compared with the manifest's application list); an application
that is no longer in the round or is now in conflict with the reviewer; text, formulas,
dates, out-of-range or off-step values in score cells (full-width digits such as ``４``
and a trailing ``点`` are accepted); a missing comment at a level that requires one; a
change to an application already submitted (提出済). A blank score is not imported and is
reported as a warning (未入力). A sheet whose round folder path differs but whose round
name matches (a round folder moved to a shared drive) gives a warning only.
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
from dataclasses import dataclass
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
from ..core.errors import StoreError
from ..core.excel import set_text
from ..core.schema import PROBLEM_COLUMNS
from ..core.xlsx import write_sheet

if TYPE_CHECKING:
    from ..round.loader import ReviewRound
    from ..store.scores import ScoreStore

__all__ = [
    "ANCHOR_SHEET",
    "FIRST_ROW",
    "GUIDE_SHEET",
    "HEADER_ROW",
    "MANIFEST_KEYS",
    "MANIFEST_SHEET",
    "SCORE_SHEET",
    "SHEET_FORMAT",
    "SHEET_FORMAT_VERSION",
    "SheetColumn",
    "export_all",
    "export_sheet",
    "import_sheets",
    "manifest_hash",
    "read_manifest",
    "reviewer_applications",
    "sheet_columns",
    "sheet_filename",
    "validate_sheet",
]

#: Identifies a workbook written by :func:`export_sheet` (manifest key ``format``).
SHEET_FORMAT = "shinsa-saitenhyo"
#: Version of the layout described in the module docstring.
SHEET_FORMAT_VERSION = "1"
SCORE_SHEET = "採点"
ANCHOR_SHEET = "評価基準"
GUIDE_SHEET = "記入方法"
MANIFEST_SHEET = "_manifest"
#: Keys of the manifest, in sheet order; ``hash`` covers all the others.
MANIFEST_KEYS: tuple[str, ...] = (
    "format", "format_version", "round_name", "round_path_hash", "reviewer", "rubric_id",
    "rubric_version", "applications", "criteria", "exported_at", "hash",
)
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


def _round_path_hash(rnd: ReviewRound) -> str:
    return hashlib.sha256(str(Path(rnd.path).resolve()).encode("utf-8")).hexdigest()[:16]


def manifest_hash(fields: Mapping[str, str]) -> str:
    """SHA-256 (hex) over the manifest fields other than ``hash`` (canonical JSON)."""
    payload = {k: str(fields.get(k, "")) for k in MANIFEST_KEYS if k != "hash"}
    text = SHEET_FORMAT + "\n" + json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _manifest(rnd: ReviewRound, reviewer_id: str, apps: Sequence[str], exported_at: dt.datetime) -> dict[str, str]:
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
    }
    fields["hash"] = manifest_hash(fields)
    return fields


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
    if MANIFEST_SHEET not in wb.sheetnames:
        return None
    ws = wb[MANIFEST_SHEET]
    out: dict[str, str] = {}
    for key, value, *_ in ws.iter_rows(min_row=2, max_col=2, values_only=True):
        if key is not None:
            if isinstance(value, float) and value.is_integer():
                value = int(value)  # a writer that stored "1" as a number
            out[str(key).strip()] = "" if value is None else str(value).strip()
    return out


# ---------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------


def _s(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _current_scores(store: ScoreStore | None, reviewer_id: str) -> dict[tuple[str, str], tuple[float | None, str]]:
    """The reviewer's current (score or None, comment) per (application, criterion)."""
    if store is None:
        return {}
    df = store.scores(include_drafts=True)
    df = df[df["reviewer"].astype(str) == reviewer_id]
    out: dict[tuple[str, str], tuple[float | None, str]] = {}
    for app, crit, score, comment in zip(df["application"], df["criterion"], df["score"], df["comment"]):
        missing = score is None or (isinstance(score, float) and math.isnan(score))
        out[(str(app), str(crit))] = (None if missing else float(score), _s(comment))
    return out


def _cell_score(x: float) -> int | float:
    return int(x) if float(x).is_integer() else float(x)


def _write_score_sheet(ws: Worksheet, rnd: ReviewRound, reviewer_id: str, apps: Sequence[str],
                       store: ScoreStore | None) -> None:
    reviewer = rnd.reviewer(reviewer_id)
    cols = sheet_columns(rnd.rubric)
    current = _current_scores(store, reviewer_id)
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
                if prior is not None and prior[0] is not None:
                    cell.value = _cell_score(prior[0])
                cell.alignment = Alignment(horizontal="center", vertical="top")
            else:
                if prior is not None and prior[1]:
                    set_text(cell, prior[1])
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


def _anchor_frame(rubric: Rubric) -> pd.DataFrame:
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


def export_sheet(rnd: ReviewRound, reviewer_id: str, path: str | Path, store: ScoreStore | None = None) -> Path:
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
        locked.

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
    """
    apps = reviewer_applications(rnd, reviewer_id)
    if not apps:
        raise ValueError(f"審査員 {reviewer_id} には採点する応募がありません（担当なし、または全て利害関係あり）。")
    exported_at = dt.datetime.now(dt.timezone.utc).astimezone(dt.timezone(dt.timedelta(hours=9)))

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = SCORE_SHEET
    _write_score_sheet(ws, rnd, reviewer_id, apps, store)

    anchors = wb.create_sheet(ANCHOR_SHEET)
    write_sheet(anchors, _anchor_frame(rnd.rubric), wrap_over=30)
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
    for i, (key, value) in enumerate(_manifest(rnd, reviewer_id, apps, exported_at).items(), start=2):
        set_text(man.cell(row=i, column=1), key)
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


def export_all(rnd: ReviewRound, out_dir: str | Path, store: ScoreStore | None = None) -> list[Path]:
    """Write one 採点表 per reviewer into ``out_dir`` (:func:`sheet_filename`).

    Reviewers without any application to score are skipped. Returns the written paths in
    reviewers.yaml order.
    """
    out: list[Path] = []
    for r in rnd.reviewers:
        if reviewer_applications(rnd, r.id):
            out.append(export_sheet(rnd, r.id, Path(out_dir) / sheet_filename(r.id), store=store))
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


def validate_sheet(rnd: ReviewRound, path: str | Path, *, reviewer: str | None = None
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

    Returns
    -------
    rows : list of dict
        The scores to import, one per filled score cell, with keys ``reviewer``,
        ``application``, ``criterion``, ``score`` (int when integral, else float) and
        ``comment`` (``""`` when none), in sheet order. Empty whenever ``problems`` holds
        an error: a file with any error imports nothing.
    problems : DataFrame
        Columns :data:`scoring.core.schema.PROBLEM_COLUMNS`; ``file`` is ``str(path)``, ``cell``
        an Excel reference such as ``F7``. Errors refuse the file; warnings (未入力, a
        comment without a score, a moved round folder) do not.
    """
    rows, rep, _ = _validate(rnd, path, reviewer)
    return rows, rep.frame()


def _validate(rnd: ReviewRound, path: str | Path, reviewer: str | None
              ) -> tuple[list[dict[str, object]], _Report, dict[tuple[str, str], str]]:
    """:func:`validate_sheet`, also returning the score cell of each row to import."""
    p = Path(path)
    rep = _Report(str(path))
    if not p.is_file():
        rep.error("ファイルが見つかりません。", "ファイル名と場所を確認してください。")
        return [], rep, {}
    try:
        wb = load_workbook(p, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as e:
        rep.error(f"Excel ファイル（.xlsx）として読めません（{type(e).__name__}）。",
                  "書き出された採点表を Excel で開き、.xlsx 形式で保存し直してください。")
        return [], rep, {}

    manifest = _manifest_of(wb)
    if manifest is None or manifest.get("format") != SHEET_FORMAT:
        rep.error("本ワークベンチが書き出した採点表ではありません（管理情報がありません）。",
                  "python -m scoring sheets export で書き出した採点表に記入して返送してください。",
                  sheet=MANIFEST_SHEET if manifest is not None else "")
        return [], rep, {}
    rows_of_key = {k: i for i, k in enumerate(manifest, start=2)}

    def mcell(key: str) -> str:
        return f"B{rows_of_key[key]}" if key in rows_of_key else ""

    layout_ok = True
    if manifest.get("format_version") != SHEET_FORMAT_VERSION:
        rep.error(f"採点表の形式の版 {manifest.get('format_version')!r} には対応していません（対応: {SHEET_FORMAT_VERSION}）。",
                  _REEXPORT, sheet=MANIFEST_SHEET, cell=mcell("format_version"), field="形式の版")
        layout_ok = False
    if manifest.get("hash", "") != manifest_hash(manifest):
        rep.error("採点表の管理情報が書き換えられています（ハッシュが一致しません）。",
                  _REEXPORT, sheet=MANIFEST_SHEET, cell=mcell("hash"), field="管理情報")
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
        return [], rep, {}

    ws = wb[SCORE_SHEET]
    cols = sheet_columns(rnd.rubric)
    for j, col in enumerate(cols, start=1):
        cell = ws.cell(row=HEADER_ROW, column=j)
        if _header_text(cell.value) != _header_text(col.header):
            rep.error(f"見出しが書き出し時と違います（「{_s(cell.value)}」、正しくは「{col.header}」）。列が追加・削除・移動された可能性があります。",
                      "列を元に戻すか、" + _REEXPORT, sheet=SCORE_SHEET, cell=cell.coordinate,
                      field=col.header.replace("\n", " "))
            return [], rep, {}

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
    for app, r in seen.items():
        if app not in rnd.applications.index:
            rep.error(f"応募 {app} はこの審査ラウンドにありません（取り下げ等）。", "事務局に確認してください。",
                      sheet=SCORE_SHEET, cell=f"A{r}", field="応募ID")
        elif who is not None and app in who.conflicts:
            rep.error(f"審査員 {who.id} は応募 {label(app)} と利害関係があります。この応募は採点できません。",
                      "この行の点数とコメントを消して返送してください。", sheet=SCORE_SHEET, cell=f"A{r}", field="応募ID")

    rows: list[dict[str, object]] = []
    coords: dict[tuple[str, str], str] = {}
    crit_cols = [(j, col) for j, col in enumerate(cols, start=1) if col.kind == "score"]
    last_letter = get_column_letter(ncols)
    for app, r in seen.items():
        row_blank = True
        row_scores: list[tuple[Criterion, str, float | None, str, str]] = []
        for j, col in crit_cols:
            crit = rnd.rubric.criterion(col.criterion or "")
            score_cell = ws.cell(row=r, column=j)
            comment_cell = ws.cell(row=r, column=j + 1)
            field_name = crit.label_ja
            score, reason = _parse_score(score_cell.value, score_cell.data_type)
            comment_value = comment_cell.value
            if comment_cell.data_type == "f":
                rep.error(f"応募 {label(app)}: コメント欄に数式が入っています。", "文章で入力してください。",
                          sheet=SCORE_SHEET, cell=comment_cell.coordinate, field=f"{field_name} コメント")
            comment = "" if comment_value is None else str(comment_value).strip()
            if reason is not None or score is not None or comment:
                row_blank = False
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
            row_scores.append((crit, score_cell.coordinate, score, comment, comment_cell.coordinate))
        if row_blank:
            rep.warning(f"未入力: 応募 {label(app)} はまだ採点されていません（取り込みません）。",
                        "採点する場合は点数を入力して返送してください。",
                        sheet=SCORE_SHEET, cell=f"E{r}:{last_letter}{r}", field="点数")
            continue
        for crit, coord, score, comment, comment_coord in row_scores:
            if score is None:
                if comment:
                    rep.warning(f"応募 {label(app)}: コメントだけで点数がありません（取り込みません）。",
                                "点数を入力してください。", sheet=SCORE_SHEET, cell=coord, field=crit.label_ja)
                else:
                    rep.warning(f"未入力: 応募 {label(app)} の「{crit.label_ja}」（取り込みません）。",
                                "採点する場合は点数を入力してください。", sheet=SCORE_SHEET, cell=coord, field=crit.label_ja)
                continue
            level = next(lv for lv in crit.levels if abs(float(lv) - score) <= 1e-9 * max(1.0, abs(float(lv))))
            if crit.comment_required(level) and not comment:
                rep.error(f"応募 {label(app)}: 「{crit.label_ja}」を {format_level(level)} 点にしたときはコメント（理由）が必要です。",
                          "コメント欄に理由を書いてください。", sheet=SCORE_SHEET, cell=comment_coord,
                          field=f"{crit.label_ja} コメント")
                continue
            rows.append({"reviewer": sheet_reviewer, "application": app, "criterion": crit.id,
                         "score": _cell_score(level), "comment": comment})
            coords[(app, crit.id)] = coord
    if rep.has_errors:
        return [], rep, {}
    return rows, rep, coords


# ---------------------------------------------------------------------------
# Import
# ---------------------------------------------------------------------------


def _submitted_check(rows: list[dict[str, object]], store: ScoreStore, rep: _Report,
                     coords: Mapping[tuple[str, str], str]) -> list[dict[str, object]]:
    """Drop unchanged scores of submitted applications; report changed ones as errors."""
    if not rows:
        return rows
    reviewer = str(rows[0]["reviewer"])
    apps = sorted({str(r["application"]) for r in rows})
    submitted = {a for a in apps if store.status(reviewer, a) == "提出済"}
    if not submitted:
        return rows
    current = _current_scores(store, reviewer)
    keep: list[dict[str, object]] = []
    for row in rows:
        app, crit = str(row["application"]), str(row["criterion"])
        if app not in submitted:
            keep.append(row)
            continue
        prior = current.get((app, crit))
        same = (prior is not None and prior[0] is not None and abs(prior[0] - float(str(row["score"]))) < 1e-9
                and prior[1] == row["comment"])
        if not same:
            rep.error(f"応募 {app} は提出済みのため変更できません（評価項目 {crit}）。",
                      "変更が必要な場合は事務局に再開（差し戻し）を依頼してから、新しい採点表で返送してください。",
                      sheet=SCORE_SHEET, cell=coords.get((app, crit), ""), field=crit)
    if len(keep) < len(rows) and not rep.has_errors:
        rep.warning(f"提出済みの応募（{'、'.join(sorted(submitted))}）は変更がないため取り込みません。", "対応は不要です。",
                    sheet=SCORE_SHEET, field="状態")
    return keep


def import_sheets(rnd: ReviewRound, paths: str | Path | Iterable[str | Path], store: ScoreStore, *,
                  reviewer: str | None = None) -> pd.DataFrame:
    """Validate and import returned 採点表, each file all-or-nothing.

    Each file is validated as a whole first (:func:`validate_sheet`); a file with any
    error imports nothing, and the other files are still imported. A valid file's filled
    scores are written with ``store.record_many(rows, source="excel")`` in one
    transaction. Scores of applications already submitted (提出済) are skipped when
    unchanged and refuse the file when changed; any :class:`~scoring.store.scores.StoreError`
    the store raises refuses that file too.

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

    Returns
    -------
    DataFrame
        The report: columns :data:`scoring.core.schema.PROBLEM_COLUMNS`, one row per problem,
        per file and cell (``file`` is ``str(path)``). ``report.attrs["imported"]`` maps
        each file to the number of score events written (0 for a refused file).
    """

    if isinstance(paths, (str, Path)):
        paths = [paths]
    frames: list[pd.DataFrame] = []
    imported: dict[str, int] = {}
    for path in paths:
        rows, checked, coords = _validate(rnd, path, reviewer)
        problems = checked.frame()
        rep = _Report(str(path))
        n = 0
        if not checked.has_errors and rows:
            try:
                rows = _submitted_check(rows, store, rep, coords)
                if rows and not rep.has_errors:
                    result = store.record_many(rows, source="excel")
                    n = int(result) if isinstance(result, numbers.Integral) else len(rows)
            except StoreError as e:
                rep.error(f"採点を保存できませんでした。このファイルからは何も取り込んでいません: {e}",
                          "内容を確認し、必要なら事務局に相談してください。", sheet=SCORE_SHEET)
                n = 0
        frames.append(problems)
        if rep.rows:
            frames.append(rep.frame())
        imported[str(path)] = n
    non_empty = [f for f in frames if len(f)]
    report = (pd.concat(non_empty, ignore_index=True) if non_empty
              else pd.DataFrame(columns=list(PROBLEM_COLUMNS)))
    report = report.astype({c: "object" for c in PROBLEM_COLUMNS}) if report.empty else report
    report.attrs["imported"] = imported
    return report
