"""Offline Excel scoring sheets (採点表): export one workbook per reviewer, import it back.

Reviewers who will not open JupyterLab score in Excel. :func:`export_sheet` writes one
workbook per reviewer; :func:`~scoring.review.sheet_import.import_sheets` validates each
returned workbook as a whole and, only if it has no error, writes all its scores to the
store in one transaction as events with source ``"excel"``.

This module holds the layout and the export; :mod:`~scoring.review.sheet_manifest` the
manifest and its signature; :mod:`~scoring.review.sheet_checks` the checks of a returned
workbook (:func:`~scoring.review.sheet_checks.validate_sheet`), a list of small checks;
:mod:`~scoring.review.sheet_import` the import.

Workbook layout
---------------
``採点`` (input sheet, protected: only the yellow input cells can be edited)
    Row 1 a title, row 2 the reviewer and how to fill in, row 3 the header
    (:data:`HEADER_ROW`), one row per application from row 4 (:data:`FIRST_ROW`), in the
    order of the manifest. Columns: 応募ID, 都道府県, 重点テーマ, 状態 (未着手 / 下書き /
    提出済 when exported with a store), then per criterion (rubric order) a score column
    (header: label, 配点 and scale; a drop-down list of the allowed levels) and a comment
    column (header: the levels at which a comment is required); after them, per criterion,
    a 申請者への所見 column (optional: what the reviewer writes for the applicant, which a
    講評 may quote; the comment never reaches a letter). Applications the reviewer
    has already submitted (提出済) are pre-filled and locked. A missing required comment
    turns red (conditional formatting).
``評価基準`` (read-only)
    Every anchor: one row per criterion × level, with 配点, the guidance (着眼点) and
    whether a comment is required at that level.
``記入方法`` (read-only)
    Round, reviewer, rubric version, export time and instructions.
``_manifest`` (very hidden, protected; :mod:`~scoring.review.sheet_manifest`)
    Key/value rows (:data:`~scoring.review.sheet_manifest.MANIFEST_KEYS`): the sheet
    format and its version (``2``), round name, a hash of the round folder's path,
    reviewer id, rubric id and version, the application ids in row order, the criterion
    ids, the export time, ``key_id`` (:func:`scoring.core.signing.key_id` of the
    analyst's key) and ``signature``; then one row ``state:<application>`` per
    application (:data:`~scoring.review.sheet_manifest.STATE_PREFIX`): the reviewer's
    cells in the store at export, a JSON list in criterion order of ``null`` (nothing
    recorded) or ``[last event id, score or null, comment digest]`` (the digest is 12 hex
    characters of SHA-256 of the comment, ``""`` for none). ``signature`` is
    :func:`scoring.core.signing.sign` (HMAC-SHA256 with the analyst's key, kept outside
    the database) over every other row
    (:func:`~scoring.review.sheet_manifest.manifest_payload`): without the key, nobody
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
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pandas as pd
from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from ..config.rubric import Criterion, Rubric, format_level
from ..core.clock import now_jst
from ..core.columns import HEADERS_JA
from ..core.errors import SheetError
from ..core.excel import set_text
from ..core.signing import load_key
from ..core.xlsx import write_sheet
from .sheet_manifest import MANIFEST_SHEET, _Cell, _cell_score, _manifest, _norm_comment, _s, _store_cells

if TYPE_CHECKING:
    from ..round.loader import ReviewRound
    from ..store.scores import ScoreStore

__all__ = [
    "ANCHOR_SHEET",
    "FIRST_ROW",
    "GUIDE_SHEET",
    "HEADER_ROW",
    "NOTE_HEADER",
    "SCORE_SHEET",
    "SheetColumn",
    "anchor_table",
    "export_all",
    "export_sheet",
    "reviewer_applications",
    "sheet_columns",
    "sheet_filename",
]

SCORE_SHEET = "採点"
ANCHOR_SHEET = "評価基準"
GUIDE_SHEET = "記入方法"
#: Row of the header of the 採点 sheet, and the first application row.
HEADER_ROW = 3
FIRST_ROW = 4
#: Header (after the criterion's label) of a 申請者への所見 column.
NOTE_HEADER = "申請者への所見（任意。講評に引用されることがあります）"

_FONT = "Meiryo UI"
_INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
_LOCKED_FILL = PatternFill("solid", fgColor="E7E6E6")
_HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
_MISSING_FILL = PatternFill("solid", fgColor="F8CBAD")
_THIN = Side(style="thin", color="BFBFBF")
_BORDER = Border(top=_THIN, bottom=_THIN, left=_THIN, right=_THIN)


# ---------------------------------------------------------------------------
# Layout
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SheetColumn:
    """One column of the 採点 sheet.

    Attributes
    ----------
    key : str
        ``application``, ``prefecture``, ``theme``, ``status``, ``score:<criterion>``,
        ``comment:<criterion>`` or ``note:<criterion>`` (申請者への所見).
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
    def kind(self) -> Literal["fixed", "score", "comment", "note"]:
        if self.key.startswith("score:"):
            return "score"
        if self.key.startswith("comment:"):
            return "comment"
        if self.key.startswith("note:"):
            return "note"
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
        SheetColumn("application", HEADERS_JA["application"], 8),
        SheetColumn("prefecture", HEADERS_JA["prefecture_name"], 10),
        SheetColumn("theme", HEADERS_JA["theme"], 26),
        SheetColumn("status", "状態", 8),
    ]
    for c in rubric.criteria:
        cols.append(
            SheetColumn(
                f"score:{c.id}",
                f"{c.label_ja}\n点数 {_levels_text(c)}（配点{format_level(c.weight)}点）",
                15,
                c.id,
            )
        )
        cols.append(
            SheetColumn(f"comment:{c.id}", f"{c.label_ja}\nコメント（{_required_text(c)}）", 36, c.id)
        )
    # 申請者への所見 (what the reviewer writes for the applicant; may be quoted in a 講評),
    # after every criterion, so the score and comment columns keep their places.
    for c in rubric.criteria:
        cols.append(SheetColumn(f"note:{c.id}", f"{c.label_ja}\n{NOTE_HEADER}", 36, c.id))
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
# Export
# ---------------------------------------------------------------------------


def _write_score_sheet(
    ws: Worksheet,
    rnd: ReviewRound,
    reviewer_id: str,
    apps: Sequence[str],
    store: ScoreStore | None,
    current: Mapping[tuple[str, str], _Cell],
) -> None:
    reviewer = rnd.reviewer(reviewer_id)
    cols = sheet_columns(rnd.rubric)
    statuses = {a: store.status(reviewer_id, a) for a in apps} if store is not None else {}
    last_row = FIRST_ROW + len(apps) - 1
    last_col = get_column_letter(len(cols))

    set_text(ws["A1"], f"採点表　{rnd.config.name}")
    ws["A1"].font = Font(name=_FONT, size=14, bold=True)
    set_text(
        ws["A2"],
        (
            f"審査員: {reviewer.id} {reviewer.name}（{reviewer.role}）　評価基準の版: {rnd.rubric.version}　"
            "黄色のセルに点数（一覧から選択）とコメントを入力してください。"
            "行・列の追加や削除、並べ替えはしないでください。評価基準は「評価基準」シートにあります。"
        ),
    )
    ws["A2"].font = Font(name=_FONT, size=10)
    _write_header(ws, cols)

    apps_df = rnd.applications
    for i, app in enumerate(apps):
        _write_application_row(ws, FIRST_ROW + i, cols, app, apps_df, statuses.get(app, ""), current)

    if apps:
        for j, col in enumerate(cols, start=1):
            if col.kind == "score":
                _add_score_rules(ws, rnd.rubric.criterion(col.criterion or ""), j, last_row)
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


def _write_header(ws: Worksheet, cols: Sequence[SheetColumn]) -> None:
    for j, col in enumerate(cols, start=1):
        cell = ws.cell(row=HEADER_ROW, column=j)
        set_text(cell, col.header)
        cell.font = Font(name=_FONT, bold=True)
        cell.fill = _HEADER_FILL
        cell.border = _BORDER
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[get_column_letter(j)].width = col.width
    ws.row_dimensions[HEADER_ROW].height = 48


def _write_application_row(
    ws: Worksheet,
    r: int,
    cols: Sequence[SheetColumn],
    app: str,
    apps_df: pd.DataFrame,
    status: str,
    current: Mapping[tuple[str, str], _Cell],
) -> None:
    """Row ``r``: one application, its fixed cells, and its score and comment cells (locked when 提出済)."""
    row = apps_df.loc[app]
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
            text = (
                "" if prior is None else _norm_comment(prior.comment if col.kind == "comment" else prior.note)
            )
            if text:
                set_text(cell, text)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        if submitted:
            cell.fill = _LOCKED_FILL
        else:
            cell.fill = _INPUT_FILL
            cell.protection = Protection(locked=False)


def _add_score_rules(ws: Worksheet, crit: Criterion, j: int, last_row: int) -> None:
    """The drop-down list of score column ``j``, and the red of a missing required comment beside it."""
    letter = get_column_letter(j)
    levels = ",".join(format_level(lv) for lv in crit.levels)
    dv = DataValidation(
        type="list", formula1=f'"{levels}"', allow_blank=True, showErrorMessage=True, showInputMessage=True
    )
    dv.errorTitle = "点数"
    dv.error = f"{crit.label_ja}: {levels} のいずれかを選んでください。"[:255]
    dv.promptTitle = crit.label_ja[:32]
    dv.prompt = (
        f"{levels} から選択（配点{format_level(crit.weight)}点）。"
        f"コメント: {_required_text(crit)}。基準は「評価基準」シート。"
    )[:255]
    ws.add_data_validation(dv)
    dv.add(f"{letter}{FIRST_ROW}:{letter}{last_row}")
    required = [lv for lv in crit.levels if crit.comment_required(lv)]
    if required:
        comment_letter = get_column_letter(j + 1)
        cond = ",".join(f"{letter}{FIRST_ROW}={format_level(lv)}" for lv in required)
        ws.conditional_formatting.add(
            f"{comment_letter}{FIRST_ROW}:{comment_letter}{last_row}",
            FormulaRule(
                formula=[f"AND(OR({cond}),LEN(TRIM({comment_letter}{FIRST_ROW}))=0)"], fill=_MISSING_FILL
            ),
        )


def anchor_table(rubric: Rubric) -> pd.DataFrame:
    """The rubric's level anchors, one row per criterion × level (highest level first).

    Columns 観点, 評価項目ID, 評価項目, 配点（点）, 点数, 評価基準, コメント (必須/任意), 着眼点:
    the 評価基準 sheet of the 採点表 and the anchors of a reviewer's packet.
    """
    rows = []
    for g in rubric.groups:
        for c in g.criteria:
            for lv in reversed(c.levels):
                rows.append(
                    {
                        "観点": g.label_ja,
                        "評価項目ID": c.id,
                        "評価項目": c.label_ja,
                        "配点（点）": _cell_score(c.weight),
                        "点数": _cell_score(lv),
                        "評価基準": c.anchor(lv).ja,
                        "コメント": "必須" if c.comment_required(lv) else "任意",
                        "着眼点": c.guidance_ja,
                    }
                )
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
        (
            "記入方法1",
            "「採点」シートの黄色のセルだけに入力してください。灰色の行は提出済みのため変更できません。",
        ),
        ("記入方法2", "点数は一覧から選ぶか、半角または全角の数字で入力してください（例: 4）。"),
        (
            "記入方法3",
            "コメント欄の見出しに「必須」とある点数を付けたときは、理由をコメントに書いてください。未記入のコメント欄は赤くなります。",
        ),
        (
            "記入方法4",
            "行や列の追加・削除・並べ替え、シート名の変更はしないでください。取り込み時にエラーになります。",
        ),
        (
            "記入方法5",
            "空欄の点数は取り込まれません（未入力として報告されます）。全部入力しなくても途中で返送できます。",
        ),
        (
            "記入方法6",
            "記入したファイルを事務局に返送してください。事務局が python -m scoring sheets import で取り込みます。",
        ),
        (
            "記入方法7",
            (
                "右端の「申請者への所見」欄は応募団体あての所見です（任意）。事務局の確認を経て講評に引用される"
                "ことがあります。他の団体名・審査員名は書かず、事務局・委員会向けのメモは「コメント」欄に書いてください。"
            ),
        ),
        ("利害関係", "利害関係のある応募はこの採点表に含まれていません。"),
    ]
    return pd.DataFrame(items, columns=["項目", "内容"])


def _protect_readonly(ws: Worksheet) -> None:
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.protection.autoFilter = False  # filtering the reference table is harmless


def _write_anchor_sheet(wb: Workbook, rnd: ReviewRound) -> None:
    """The read-only sheet of the rubric's anchors (the level descriptions)."""
    anchors = wb.create_sheet(ANCHOR_SHEET)
    write_sheet(anchors, anchor_table(rnd.rubric), wrap_over=30)
    anchors.column_dimensions["F"].width = 60
    anchors.column_dimensions["H"].width = 60
    anchors.freeze_panes = "D2"
    _protect_readonly(anchors)


def _write_manifest_sheet(wb: Workbook, manifest: Mapping[str, str]) -> None:
    """The hidden (very hidden), protected sheet of the signed manifest: one key and value a row."""
    man = wb.create_sheet(MANIFEST_SHEET)
    man["A1"], man["B1"] = "key", "value"
    for i, (name, value) in enumerate(manifest.items(), start=2):
        set_text(man.cell(row=i, column=1), name)
        set_text(man.cell(row=i, column=2), value)
    man.column_dimensions["A"].width = 18
    man.column_dimensions["B"].width = 70
    man.sheet_state = "veryHidden"
    man.protection.sheet = True


def export_sheet(
    rnd: ReviewRound,
    reviewer_id: str,
    path: str | Path,
    store: ScoreStore | None = None,
    *,
    key: bytes | None = None,
) -> Path:
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
        raise SheetError(
            f"審査員 {reviewer_id} には採点する応募がありません（担当なし、または全て利害関係あり）。担当（assignments）と利害関係（conflicts）を確認してください。"
        )
    key = load_key(create=True) if key is None else key
    current = _store_cells(store, reviewer_id)
    exported_at = now_jst()

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = SCORE_SHEET
    _write_score_sheet(ws, rnd, reviewer_id, apps, store, current)

    _write_anchor_sheet(wb, rnd)
    guide = wb.create_sheet(GUIDE_SHEET)
    write_sheet(guide, _guide_frame(rnd, reviewer_id, len(apps), exported_at), wrap_over=80)
    guide.column_dimensions["B"].width = 90
    _protect_readonly(guide)
    _write_manifest_sheet(wb, _manifest(rnd, reviewer_id, apps, exported_at, current, key))

    wb.active = 0
    wb.security = WorkbookProtection(
        lockStructure=True
    )  # no password: sheets cannot be renamed or unhidden by a slip
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out


def export_all(
    rnd: ReviewRound, out_dir: str | Path, store: ScoreStore | None = None, *, key: bytes | None = None
) -> list[Path]:
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
