"""The checks of a returned Excel 採点表: a list of small checks, each returning problems.

:func:`validate_sheet` reads the workbook back (:func:`_read`: a regular file, no zip bomb,
an Excel workbook with our manifest) and runs :data:`_STAGES` in order. Each check takes one
:class:`_SheetContext` (the workbook, its manifest, the round's facts) and returns its
:class:`Problem` rows, each naming sheet, cell and field, with a Japanese message and what to
do; a stage marked ``fatal`` ends the validation when one of its checks found an error. The
rules are listed in :mod:`scoring.review.sheets` (Validation on import). What the checks
share (:class:`Problem`, :func:`_read`, :class:`_SheetContext`) is in
:mod:`scoring.review.sheet_context`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import pandas as pd
from openpyxl.cell.cell import Cell
from openpyxl.utils import get_column_letter

from ..config.rubric import Criterion, format_level
from ..core.columns import HEADERS_JA
from ..core.signing import key_id, load_key, verify
from .sheet_context import (
    _NO_NEW_ROWS,
    _REEXPORT,
    Problem,
    _Check,
    _Checked,
    _error,
    _header_text,
    _parse_score,
    _read,
    _Report,
    _SheetCell,
    _SheetContext,
    _warning,
)
from .sheet_manifest import (
    _SEP,
    MANIFEST_SHEET,
    SHEET_FORMAT,
    SHEET_FORMAT_VERSION,
    STATE_PREFIX,
    _cell_score,
    _comment_digest,
    _manifest_rows,
    _norm_comment,
    _round_path_hash,
    _s,
    _same_score,
    manifest_payload,
)
from .sheet_text import comment_text_problems
from .sheets import (
    FIRST_ROW,
    HEADER_ROW,
    SCORE_SHEET,
    _levels_text,
)

if TYPE_CHECKING:
    from ..round.loader import ReviewRound

__all__ = ["Problem", "validate_sheet"]


# ---------------------------------------------------------------------------
# The manifest: format, signature, round, reviewer, rubric
# ---------------------------------------------------------------------------


def _check_format_version(ctx: _SheetContext) -> list[Problem]:
    version = ctx.manifest.get("format_version")
    if version == SHEET_FORMAT_VERSION:
        return []
    return [
        _error(
            f"採点表の形式の版 {version!r} には対応していません（対応: {SHEET_FORMAT_VERSION}）。",
            _REEXPORT,
            sheet=MANIFEST_SHEET,
            cell=ctx.mcell("format_version"),
            field="形式の版",
        )
    ]


def _check_signature(ctx: _SheetContext) -> list[Problem]:
    """The manifest's signature, checked with the analyst's key."""
    manifest, key = ctx.manifest, ctx.key
    where = {"sheet": MANIFEST_SHEET, "cell": ctx.mcell("signature"), "field": "署名"}
    signature = manifest.get("signature", "")
    if not signature:
        return [
            _error(
                "採点表の管理情報に署名がありません（書き換えられたか、古い形式です）。", _REEXPORT, **where
            )
        ]
    if ctx.twice:
        return [
            _error(
                f"採点表の管理情報に同じ項目が二度あります（{'、'.join(sorted(set(ctx.twice)))}）。書き換えられています。",
                _REEXPORT,
                **where,
            )
        ]
    if verify(manifest_payload(manifest), signature, key):
        return []
    if manifest.get("key_id", "") != key_id(key):
        return [
            _error(
                f"この採点表は別の鍵で署名されています（採点表の鍵: {manifest.get('key_id', '')}、"
                f"この環境の鍵: {key_id(key)}）。",
                "書き出した事務局の環境（署名の鍵）で取り込むか、" + _REEXPORT,
                **where,
            )
        ]
    return [
        _error(
            "採点表の管理情報の署名が一致しません（審査員・応募・ラウンドなどの管理情報が書き換えられています）。",
            _REEXPORT,
            **where,
        )
    ]


def _check_round(ctx: _SheetContext) -> list[Problem]:
    manifest, rnd = ctx.manifest, ctx.rnd
    if manifest.get("round_name") != rnd.config.name:
        return [
            _error(
                f"別の審査ラウンドの採点表です（採点表: 「{manifest.get('round_name')}」、取り込み先: 「{rnd.config.name}」）。",
                "取り込み先の審査ラウンド（--round）を確認してください。",
                sheet=MANIFEST_SHEET,
                cell=ctx.mcell("round_name"),
                field="審査ラウンド",
            )
        ]
    if manifest.get("round_path_hash") != _round_path_hash(rnd):
        return [
            _warning(
                "この採点表は、同じ名前の別の場所にある審査ラウンドから書き出されました。",
                "審査ラウンドのフォルダを移動・複製した場合はこのままで構いません。そうでなければ取り込み先を確認してください。",
                sheet=MANIFEST_SHEET,
                cell=ctx.mcell("round_path_hash"),
                field="審査ラウンド",
            )
        ]
    return []


def _check_reviewer_known(ctx: _SheetContext) -> list[Problem]:
    if ctx.sheet_reviewer in ctx.known:
        return []
    return [
        _error(
            f"審査員ID '{ctx.sheet_reviewer}' はこの審査ラウンドの reviewers.yaml にありません。",
            "正しい審査員の採点表か確認してください。",
            sheet=MANIFEST_SHEET,
            cell=ctx.mcell("reviewer"),
            field="審査員",
        )
    ]


def _check_reviewer_expected(ctx: _SheetContext) -> list[Problem]:
    if ctx.reviewer is None or ctx.sheet_reviewer == ctx.reviewer:
        return []
    return [
        _error(
            f"別の審査員の採点表です（採点表: {ctx.sheet_reviewer}、取り込み先: {ctx.reviewer}）。",
            "本人の採点表か、指定した審査員ID（--reviewer）を確認してください。",
            sheet=MANIFEST_SHEET,
            cell=ctx.mcell("reviewer"),
            field="審査員",
        )
    ]


def _check_rubric_version(ctx: _SheetContext) -> list[Problem]:
    version = ctx.manifest.get("rubric_version")
    if version == ctx.rnd.rubric.version:
        return []
    return [
        _error(
            f"書き出し後に評価基準が変更されています（採点表の版: {version}、現在の版: {ctx.rnd.rubric.version}）。",
            _REEXPORT,
            sheet=MANIFEST_SHEET,
            cell=ctx.mcell("rubric_version"),
            field="評価基準の版",
        )
    ]


def _check_criteria(ctx: _SheetContext) -> list[Problem]:
    """The criteria of the manifest (not reported when the rubric version differs already)."""
    if (
        ctx.manifest.get("criteria", "").split(_SEP) == ctx.criteria
        or ctx.manifest.get("rubric_version") != ctx.rnd.rubric.version
    ):
        return []
    return [
        _error(
            "評価項目の一覧が現在の評価基準と一致しません。",
            _REEXPORT,
            sheet=MANIFEST_SHEET,
            cell=ctx.mcell("criteria"),
            field="評価項目",
        )
    ]


def _check_score_sheet(ctx: _SheetContext) -> list[Problem]:
    if SCORE_SHEET in ctx.wb.sheetnames:
        return []
    return [
        _error(
            f"「{SCORE_SHEET}」シートがありません（シート名が変更または削除されています）。",
            _REEXPORT,
            sheet=SCORE_SHEET,
        )
    ]


# ---------------------------------------------------------------------------
# The 採点 sheet: header and rows
# ---------------------------------------------------------------------------


def _check_header(ctx: _SheetContext) -> list[Problem]:
    """The first header cell that differs from the export (columns inserted, deleted or moved)."""
    for j, col in enumerate(ctx.cols, start=1):
        cell = ctx.ws.cell(row=HEADER_ROW, column=j)
        if _header_text(cell.value) != _header_text(col.header):
            return [
                _error(
                    f"見出しが書き出し時と違います（「{_s(cell.value)}」、正しくは「{col.header}」）。列が追加・削除・移動された可能性があります。",
                    "列を元に戻すか、" + _REEXPORT,
                    sheet=SCORE_SHEET,
                    cell=cell.coordinate,
                    field=col.header.replace("\n", " "),
                )
            ]
    return []


def _row_error(message: str, action: str, r: int) -> Problem:
    return _error(message, action, sheet=SCORE_SHEET, cell=f"A{r}", field=HEADERS_JA["application"])


def _check_rows_without_id(ctx: _SheetContext) -> list[Problem]:
    return [
        _row_error("応募IDのない行に入力があります。", _NO_NEW_ROWS, r) for r, app in ctx.filled if app == ""
    ]


def _check_unknown_rows(ctx: _SheetContext) -> list[Problem]:
    """Rows of applications the sheet was not exported with, and rows duplicated."""
    out = []
    for r, app in ctx.found:
        if app not in ctx.apps:
            out.append(_row_error(f"応募ID '{app}' はこの採点表に書き出されていません。", _NO_NEW_ROWS, r))
        elif ctx.seen[app] != r:
            out.append(
                _row_error(
                    f"応募 {ctx.label(app)} の行が重複しています（{ctx.seen[app]}行目と{r}行目）。",
                    "重複した行を削除し、元の1行に入力してください。",
                    r,
                )
            )
    return out


def _check_missing_rows(ctx: _SheetContext) -> list[Problem]:
    return [
        _row_error(
            f"応募 {ctx.label(app)} の行がありません（行が削除された可能性があります）。",
            "行を元に戻すか、" + _REEXPORT,
            FIRST_ROW + i,
        )
        for i, app in enumerate(ctx.apps)
        if app not in ctx.seen
    ]


def _check_row_order(ctx: _SheetContext) -> list[Problem]:
    """Rows reordered (only when no row is there twice)."""
    present = [(r, a) for r, a in ctx.found if a in ctx.apps]
    expected_order = [a for a in ctx.apps if a in ctx.seen]
    if len(present) != len({a for _, a in present}) or [a for _, a in present] == expected_order:
        return []
    return [
        _row_error(
            f"行の順序が書き出し時と違います（この行は応募 {ctx.label(app)}、書き出し時は応募 {ctx.label(want)}）。",
            "並べ替えを元に戻してください（書き出し時の順: " + "、".join(ctx.apps) + "）。",
            r,
        )
        for (r, app), want in zip(present, expected_order)
        if app != want
    ]


def _check_applications(ctx: _SheetContext) -> list[Problem]:
    """Each row against the round at import: still in the round, no conflict, still assigned."""
    out = []
    who = ctx.who
    for app, r in ctx.seen.items():
        if app not in ctx.rnd.applications.index:
            out.append(
                _row_error(
                    f"応募 {app} はこの審査ラウンドにありません（取り下げ等）。",
                    "事務局に確認してください。",
                    r,
                )
            )
        elif who is not None and app in who.conflicts:
            out.append(
                _row_error(
                    f"審査員 {who.id} は応募 {ctx.label(app)} と利害関係があります。この応募は採点できません。",
                    "この行の点数とコメントを消して返送してください。",
                    r,
                )
            )
        elif who is not None and app not in ctx.assigned:
            out.append(
                _row_error(
                    f"応募 {ctx.label(app)} は現在、審査員 {who.id} の担当ではありません（担当の割当が書き出し後に変わりました）。",
                    "担当の割当（assignments.csv または reviewers.yaml）を確認し、" + _REEXPORT,
                    r,
                )
            )
    return out


def _check_states(ctx: _SheetContext) -> list[Problem]:
    return [
        _error(
            f"採点表の管理情報に応募 {ctx.label(app)} の書き出し時の状態がありません。",
            _REEXPORT,
            sheet=MANIFEST_SHEET,
            cell=ctx.mcell(STATE_PREFIX + app),
            field="管理情報",
        )
        for app in ctx.apps
        if app not in ctx.states
    ]


# ---------------------------------------------------------------------------
# The cells: scores, comments, and what changed since the export
# ---------------------------------------------------------------------------


def _score_problem(
    ctx: _SheetContext, app: str, crit: Criterion, cell: Cell
) -> tuple[float | None, Problem | None]:
    """The score of ``cell`` (one of the criterion's levels, or None for blank), or why it is not one."""
    score, reason = _parse_score(cell.value, cell.data_type)
    allowed = f"{'、'.join(format_level(v) for v in crit.levels)} のいずれかを入力してください。"
    if reason is not None:
        return None, _error(
            f"応募 {ctx.label(app)}: {reason}。点数は {_levels_text(crit)} です。",
            allowed,
            sheet=SCORE_SHEET,
            cell=cell.coordinate,
            field=crit.label_ja,
        )
    if score is None:
        return None, None
    if not crit.is_allowed(score):
        s = crit.effective_scale
        what = (
            "範囲外です"
            if not float(s.min) - 1e-9 <= score <= float(s.max) + 1e-9
            else f"刻み（{format_level(s.step)}）に合いません"
        )
        return None, _error(
            f"応募 {ctx.label(app)}: 点数 {format_level(score)} は{what}（{_levels_text(crit)}）。",
            allowed,
            sheet=SCORE_SHEET,
            cell=cell.coordinate,
            field=crit.label_ja,
        )
    return float(
        next(lv for lv in crit.levels if abs(float(lv) - score) <= 1e-9 * max(1.0, abs(float(lv))))
    ), None


def _read_row(ctx: _SheetContext, app: str, r: int) -> tuple[list[_SheetCell], list[Problem]]:
    """The valid cells of one application row, and the problems of the others."""
    state = ctx.states.get(app, [None] * len(ctx.criteria))
    cells: list[_SheetCell] = []
    problems: list[Problem] = []
    crit_cols = [(j, col) for j, col in enumerate(ctx.cols, start=1) if col.kind == "score"]
    note_cols = {col.criterion: j for j, col in enumerate(ctx.cols, start=1) if col.kind == "note"}
    for k, (j, col) in enumerate(crit_cols):
        crit = ctx.rnd.rubric.criterion(col.criterion or "")
        score_cell = ctx.ws.cell(row=r, column=j)
        comment_cell = ctx.ws.cell(row=r, column=j + 1)
        note_cell = ctx.ws.cell(row=r, column=note_cols[crit.id]) if crit.id in note_cols else None
        for text_cell, what in ((comment_cell, "コメント"), (note_cell, "申請者への所見")):
            if text_cell is not None and text_cell.data_type == "f":
                problems.append(
                    _error(
                        f"応募 {ctx.label(app)}: {what}欄に数式が入っています。",
                        "文章で入力してください。",
                        sheet=SCORE_SHEET,
                        cell=text_cell.coordinate,
                        field=f"{crit.label_ja} {what}",
                    )
                )
        score, problem = _score_problem(ctx, app, crit, score_cell)
        if problem is not None:
            problems.append(problem)
            continue
        cells.append(
            _SheetCell(
                crit,
                score_cell.coordinate,
                score,
                _norm_comment(comment_cell.value),
                comment_cell.coordinate,
                state[k],
                _norm_comment(note_cell.value) if note_cell is not None else "",
                note_cell.coordinate if note_cell is not None else "",
            )
        )
    return cells, problems


def _comment_missing(ctx: _SheetContext, app: str, cell: _SheetCell, score: float) -> Problem:
    crit = cell.crit
    return _error(
        f"応募 {ctx.label(app)}: 「{crit.label_ja}」を {format_level(score)} 点にしたときはコメント（理由）が必要です。",
        "コメント欄に理由を書いてください。",
        sheet=SCORE_SHEET,
        cell=cell.comment_coord,
        field=f"{crit.label_ja} コメント",
    )


def _blank(ctx: _SheetContext, app: str, cell: _SheetCell) -> Problem:
    return _warning(
        f"未入力: 応募 {ctx.label(app)} の「{cell.crit.label_ja}」（取り込みません）。",
        "採点する場合は点数を入力してください。",
        sheet=SCORE_SHEET,
        cell=cell.coord,
        field=cell.crit.label_ja,
    )


def _change(ctx: _SheetContext, app: str, cell: _SheetCell) -> tuple[dict[str, object] | None, list[Problem]]:
    """The row to import for one cell (None: nothing), and its problems."""
    score, comment, crit = cell.score, cell.comment, cell.crit
    before_score, before_digest = cell.exported if cell.exported is not None else (None, "")
    if _same_score(score, before_score) and _comment_digest(comment, cell.note) == before_digest:
        # unchanged since the export: never written again
        if score is not None and crit.comment_required(score) and not comment:
            return None, [_comment_missing(ctx, app, cell, score)]
        return None, [_blank(ctx, app, cell)] if score is None and not comment else []
    row: dict[str, object] = {
        "reviewer": ctx.sheet_reviewer,
        "application": app,
        "criterion": crit.id,
        "score": None,
        "comment": comment,
        "to_applicant": cell.note,
    }
    if score is None:
        if before_score is None:
            return None, [
                _warning(
                    f"応募 {ctx.label(app)}: コメントだけで点数がありません（取り込みません）。",
                    "点数を入力してください。",
                    sheet=SCORE_SHEET,
                    cell=cell.coord,
                    field=crit.label_ja,
                )
                if comment
                else _blank(ctx, app, cell)
            ]
        return row, [
            _warning(
                f"応募 {ctx.label(app)} の「{crit.label_ja}」の点数が消されています（書き出し時: "
                f"{format_level(before_score)} 点）。取り込むと採点データベースの点数も消え、未採点に戻ります。",
                "消すつもりでなければ点数を入力し直して返送してください。",
                sheet=SCORE_SHEET,
                cell=cell.coord,
                field=crit.label_ja,
            )
        ]
    if crit.comment_required(score) and not comment:
        return None, [_comment_missing(ctx, app, cell, score)]
    return {**row, "score": _cell_score(score)}, []


def _check_cells(ctx: _SheetContext) -> list[Problem]:
    """Each application row's cells; the changed ones are left in ``ctx.rows``."""
    out: list[Problem] = []
    ctx.checked.reviewer = ctx.sheet_reviewer
    last_letter = get_column_letter(len(ctx.cols))
    for app, r in ctx.seen.items():
        cells, problems = _read_row(ctx, app, r)
        out += problems
        exported_scores = any(e is not None and e[0] is not None for e in ctx.states.get(app, []))
        if not exported_scores and all(c.score is None and not c.comment for c in cells):
            out.append(
                _warning(
                    f"未入力: 応募 {ctx.label(app)} はまだ採点されていません（取り込みません）。",
                    "採点する場合は点数を入力して返送してください。",
                    sheet=SCORE_SHEET,
                    cell=f"E{r}:{last_letter}{r}",
                    field="点数",
                )
            )
            continue
        for cell in cells:
            ctx.checked.coords[(app, cell.crit.id)] = cell.coord
            ctx.checked.note_coords[(app, cell.crit.id)] = cell.note_coord
            ctx.checked.exported[(app, cell.crit.id)] = cell.exported
            row, problems = _change(ctx, app, cell)
            out += problems
            if row is not None:
                ctx.rows.append(row)
    return out


class _Stage(NamedTuple):
    """Checks run one after the other; a ``fatal`` stage with an error ends the validation."""

    checks: tuple[_Check, ...]
    fatal: bool


#: The checks of a returned sheet, in report order.
_STAGES: tuple[_Stage, ...] = (
    _Stage((_check_format_version,), fatal=True),
    _Stage((_check_signature,), fatal=True),
    _Stage((_check_round, _check_reviewer_known, _check_reviewer_expected), fatal=False),
    _Stage((_check_rubric_version, _check_criteria, _check_score_sheet), fatal=True),
    _Stage((_check_header,), fatal=True),
    _Stage(
        (
            _check_rows_without_id,
            _check_unknown_rows,
            _check_missing_rows,
            _check_row_order,
            _check_applications,
            _check_states,
            _check_cells,
            lambda ctx: comment_text_problems(ctx, _error),  # scoring.review.sheet_text
        ),
        fatal=False,
    ),
)


def validate_sheet(
    rnd: ReviewRound, path: str | Path, *, reviewer: str | None = None, key: bytes | None = None
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


def _validate(
    rnd: ReviewRound, path: str | Path, reviewer: str | None, key: bytes
) -> tuple[list[dict[str, object]], _Report, _Checked]:
    """:func:`validate_sheet`, also returning the cells and their exported state."""
    rep = _Report(str(path))
    wb = _read(Path(path))
    if isinstance(wb, Problem):
        rep.extend([wb])
        return [], rep, _Checked()
    found_manifest = _manifest_rows(wb)
    if found_manifest is None or found_manifest[0].get("format") != SHEET_FORMAT:
        rep.extend(
            [
                _error(
                    "本ワークベンチが書き出した採点表ではありません（管理情報がありません）。",
                    "python -m scoring sheets export で書き出した採点表に記入して返送してください。",
                    sheet=MANIFEST_SHEET if found_manifest is not None else "",
                )
            ]
        )
        return [], rep, _Checked()
    ctx = _SheetContext(rnd, wb, *found_manifest, reviewer=reviewer, key=key)
    for stage in _STAGES:
        problems = [p for check in stage.checks for p in check(ctx)]
        rep.extend(problems)
        if stage.fatal and any(p.severity == "error" for p in problems):
            return [], rep, _Checked()
    if rep.has_errors:
        return [], rep, _Checked()
    return ctx.rows, rep, ctx.checked
