"""Import returned Excel 採点表 (:func:`import_sheets`), each file all-or-nothing.

Each file is validated as a whole first
(:func:`~scoring.review.sheet_checks.validate_sheet`); a file with any error imports
nothing, and the other files are still imported. Only the cells the
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

The store is read, compared and written without holding a lock in between, so the write
passes the version of each of the reviewer's pairs it read (``record_many(expected=...)``)
and the store rechecks them under its write lock (:mod:`scoring.store.pairguard`): a
reviewer's save or another import that came in between stops the file (status
``"conflict"``, an error naming the pair and who changed it; nothing written), never
overwritten. Importing the file again shows the change as a conflict cell if it is one.

The sheet's layout and its rules are described in :mod:`scoring.review.sheets`.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..config.rubric import format_level
from ..core.clock import JST
from ..core.columns import CONFLICT_COLUMNS
from ..core.errors import SheetError, StoreConflictError, StoreError
from ..core.schema import PROBLEM_COLUMNS
from ..core.signing import load_key
from .sheet_checks import _Checked, _Report, _validate
from .sheet_manifest import _Cell, _comment_digest, _norm_comment, _same_score, _store_cells
from .sheets import SCORE_SHEET

if TYPE_CHECKING:
    from ..round.loader import ReviewRound
    from ..store.scores import ScoreStore

__all__ = ["BLANK_PREFIX", "CONFLICT_COLUMNS", "MAX_REASON_CHARS", "blank_cells", "import_sheets"]


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
    return when.tz_convert(JST).strftime("%Y-%m-%d %H:%M")


def _submitted_check(
    rows: list[dict[str, object]], store: ScoreStore, rep: _Report, coords: Mapping[tuple[str, str], str]
) -> None:
    """Report, as errors, changes to applications already submitted (提出済)."""
    if not rows:
        return
    reviewer = str(rows[0]["reviewer"])
    apps = sorted({str(r["application"]) for r in rows})
    submitted = {a for a in apps if store.status(reviewer, a) == "提出済"}
    for row in rows:
        app, crit = str(row["application"]), str(row["criterion"])
        if app in submitted:
            rep.error(
                f"応募 {app} は提出済みのため変更できません（評価項目 {crit}）。",
                "変更が必要な場合は事務局に再開（差し戻し）を依頼してから、新しい採点表で返送してください。",
                sheet=SCORE_SHEET,
                cell=coords.get((app, crit), ""),
                field=crit,
            )


def _plan(
    rows: list[dict[str, object]], checked: _Checked, current: Mapping[tuple[str, str], _Cell], file: str
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """The rows to write and the conflicts: cells changed in the store since the export
    that the sheet changes too, to something else."""
    write: list[dict[str, object]] = []
    conflicts: list[dict[str, object]] = []
    for row in rows:
        k = (str(row["application"]), str(row["criterion"]))
        score = None if row["score"] is None else float(str(row["score"]))
        comment = str(row["comment"])
        note = str(row.get("to_applicant") or "")
        now = current.get(k)
        now_score, now_comment = (now.score, _norm_comment(now.comment)) if now is not None else (None, "")
        now_note = _norm_comment(now.note) if now is not None else ""
        if _same_score(score, now_score) and comment == now_comment and note == now_note:
            continue  # the store already holds it (e.g. the same file imported before)
        exported = checked.exported.get(k)
        ex_score, ex_digest = exported if exported is not None else (None, "")
        if not (_same_score(now_score, ex_score) and _comment_digest(now_comment, now_note) == ex_digest):
            conflicts.append(
                {
                    "file": file,
                    "cell": checked.coords.get(k, ""),
                    "application": k[0],
                    "criterion": k[1],
                    "store_score": now_score,
                    "store_comment": now_comment,
                    "store_updated_at": None if now is None else now.timestamp,
                    "exported_score": ex_score,
                    "sheet_score": score,
                    "sheet_comment": comment,
                }
            )
        write.append(row)
    return write, conflicts


def _overwrite_reason(reason: str | None, *, overwrite: bool) -> str:
    """The reason, stripped; a :class:`SheetError` when ``overwrite`` has none or it is too long."""
    reason_text = (reason or "").strip()
    if overwrite and not reason_text:
        raise SheetError("上書き（--overwrite）には理由（--reason）が必要です。理由は採点の記録に残ります。")
    if len(reason_text) > MAX_REASON_CHARS:
        raise SheetError(
            f"上書きの理由（--reason）は {MAX_REASON_CHARS} 文字以内にしてください（{len(reason_text)} 文字）。"
        )
    return reason_text


def _import_one(
    rnd: ReviewRound,
    store: ScoreStore,
    path: str | Path,
    reviewer: str | None,
    key: bytes,
    all_conflicts: list[dict[str, object]],
    *,
    overwrite: bool,
    reason_text: str,
    submit: bool,
) -> tuple[list[pd.DataFrame], int, str]:
    """Validate and import one file: its report frames, the score events written and its status."""
    rows, checked_rep, checked = _validate(rnd, path, reviewer, key)
    frames = [checked_rep.frame()]
    rep = _Report(str(path))
    n = 0
    state = "refused" if checked_rep.has_errors else "unchanged"
    if not checked_rep.has_errors and rows:
        n, state = _import_file(
            rnd,
            store,
            rows,
            checked,
            rep,
            all_conflicts,
            overwrite=overwrite,
            reason_text=reason_text,
            submit=submit,
        )
    if rep.rows:
        frames.append(rep.frame())
    return frames, n, state


def import_sheets(
    rnd: ReviewRound,
    paths: str | Path | Iterable[str | Path],
    store: ScoreStore,
    *,
    reviewer: str | None = None,
    overwrite: bool = False,
    reason: str | None = None,
    key: bytes | None = None,
    submit: bool = False,
) -> pd.DataFrame:
    """Validate and import returned 採点表, each file all-or-nothing (see the module's description).

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
    reason_text = _overwrite_reason(reason, overwrite=overwrite)
    key = load_key() if key is None else key
    if isinstance(paths, (str, Path)):
        paths = [paths]
    frames: list[pd.DataFrame] = []
    imported: dict[str, int] = {}
    status: dict[str, str] = {}
    all_conflicts: list[dict[str, object]] = []
    for path in paths:
        file_frames, imported[str(path)], status[str(path)] = _import_one(
            rnd,
            store,
            path,
            reviewer,
            key,
            all_conflicts,
            overwrite=overwrite,
            reason_text=reason_text,
            submit=submit,
        )
        frames += file_frames
    return _report(frames, imported, status, all_conflicts)


def _report(
    frames: list[pd.DataFrame],
    imported: dict[str, int],
    status: dict[str, str],
    conflicts: list[dict[str, object]],
) -> pd.DataFrame:
    """The report of :func:`import_sheets`: the files' problems, with its ``attrs``."""
    non_empty = [f for f in frames if len(f)]
    report = (
        pd.concat(non_empty, ignore_index=True) if non_empty else pd.DataFrame(columns=list(PROBLEM_COLUMNS))
    )
    report = report.astype({c: "object" for c in PROBLEM_COLUMNS}) if report.empty else report
    report.attrs["imported"] = imported
    report.attrs["status"] = status
    report.attrs["conflicts"] = pd.DataFrame(conflicts, columns=list(CONFLICT_COLUMNS))
    return report


def _import_file(
    rnd: ReviewRound,
    store: ScoreStore,
    rows: list[dict[str, object]],
    checked: _Checked,
    rep: _Report,
    all_conflicts: list[dict[str, object]],
    *,
    overwrite: bool,
    reason_text: str,
    submit: bool,
) -> tuple[int, str]:
    """Write one valid file's changes: (score events written, status); its conflicts go to ``all_conflicts``."""
    state = "unchanged"
    try:
        # The pairs' versions first, then the cells: the write is refused if either moved (pairguard).
        expected = {
            (checked.reviewer, a): v.last_id for a, v in store.pair_versions(checked.reviewer).items()
        }
        write, conflicts = _plan(rows, checked, _store_cells(store, checked.reviewer), rep.file)
        actor: str | None = None
        if conflicts:
            all_conflicts.extend(conflicts)
            _report_conflicts(rnd, conflicts, rep, overwrite=overwrite, reason_text=reason_text)
            state = "conflict"
            actor = f"{checked.reviewer}（採点表で上書き: {reason_text}）"
        if not conflicts or overwrite:
            return _write(rnd, store, checked, write, rep, actor=actor, submit=submit, expected=expected)
    except StoreConflictError as e:
        rep.error(str(e), "採点表の取り込みをもう一度実行してください。", sheet=SCORE_SHEET)
        return 0, "conflict"
    except StoreError as e:
        rep.error(
            f"採点を保存できませんでした。このファイルからは何も取り込んでいません: {e}",
            "内容を確認し、必要なら事務局に相談してください。",
            sheet=SCORE_SHEET,
        )
        return 0, "refused"
    return 0, state


def _report_conflicts(
    rnd: ReviewRound, conflicts: list[dict[str, object]], rep: _Report, *, overwrite: bool, reason_text: str
) -> None:
    """Each conflicting cell: a warning when overwritten, else an error (nothing imported)."""
    for c in conflicts:
        crit = rnd.rubric.criterion(str(c["criterion"]))
        what = (
            f"応募 {c['application']}「{crit.label_ja}」: 書き出し後に採点データベースで変更されています"
            f"（データベース: {_show(c['store_score'], str(c['store_comment']))}"  # type: ignore[arg-type]
            f" {_jst(c['store_updated_at'])}、"
            f"採点表: {_show(c['sheet_score'], str(c['sheet_comment']))}）"  # type: ignore[arg-type]
        )
        if overwrite:
            rep.warning(
                what + "。採点表の値で上書きします。",
                f"理由: {reason_text}",
                sheet=SCORE_SHEET,
                cell=str(c["cell"]),
                field=crit.label_ja,
            )
        else:
            rep.error(
                what + "。このファイルからは何も取り込んでいません。",
                "どちらを残すか審査員に確認してください。採点表の値を残す場合は --overwrite と "
                "--reason 理由 を付けて取り込み直してください。",
                sheet=SCORE_SHEET,
                cell=str(c["cell"]),
                field=crit.label_ja,
            )


def _write(
    rnd: ReviewRound,
    store: ScoreStore,
    checked: _Checked,
    write: list[dict[str, object]],
    rep: _Report,
    *,
    actor: str | None,
    submit: bool,
    expected: Mapping[tuple[str, str], int] | None = None,
) -> tuple[int, str]:
    """Record ``write`` (and the submissions with ``submit``) in one transaction unless ``rep`` has errors;
    ``expected``: the pairs' versions the plan was made on, rechecked under the store's lock."""
    _submitted_check(write, store, rep, checked.coords)
    to_submit = _to_submit(rnd, store, checked, write, rep) if submit else []
    if rep.has_errors:
        return 0, "refused"
    if not (write or to_submit):
        return 0, "unchanged"
    result = store.record_many(write, source="excel", actor=actor, submit=to_submit, expected=expected)
    n = int(result) if isinstance(result, numbers.Integral) else len(write)
    if to_submit:
        rep.add(
            "info",
            f"提出しました: 応募 {'、'.join(a for _, a in to_submit)}（提出済になり、変更できなくなります）。",
            "",
            sheet=SCORE_SHEET,
        )
    return n, "imported"


def _to_submit(
    rnd: ReviewRound, store: ScoreStore, checked: _Checked, write: list[dict[str, object]], rep: _Report
) -> list[tuple[str, str]]:
    """The sheet's applications to submit with ``submit=True``: complete once ``write`` is
    written and not submitted yet; an incomplete one is a warning (it stays 下書き)."""
    reviewer = checked.reviewer
    scores = {k: c.score for k, c in _store_cells(store, reviewer).items()}
    for row in write:
        score = row["score"]
        scores[(str(row["application"]), str(row["criterion"]))] = (
            None if score is None else float(str(score))
        )
    apps = sorted({a for a, _ in checked.coords})
    out: list[tuple[str, str]] = []
    for app in apps:
        if store.status(reviewer, app) == "提出済":
            continue
        blank = [c.label_ja for c in rnd.rubric.criteria if scores.get((app, c.id)) is None]
        if blank:
            rep.warning(
                f"応募 {app} は未入力の項目（{'、'.join(blank)}）があるため提出しませんでした（下書きのままです）。",
                "すべての項目を採点した採点表を返送してもらい、もう一度 --submit を付けて取り込んでください。",
                sheet=SCORE_SHEET,
            )
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
        The report of :func:`import_sheets` (or :func:`~scoring.review.sheet_checks.validate_sheet`).
    file : str, optional
        Only this file's blanks (its ``file`` value in the report).

    Returns
    -------
    list of str
        One entry per blank, in report order, e.g. 「01 北海道 の「人材プールの遅れ」（セル F7）」,
        or 「02 青森県 の全項目（セル E8:P8）」 for an application not scored at all.
    """
    rows = report[
        (report["severity"] == "warning") & report["message"].astype(str).str.startswith(BLANK_PREFIX)
    ]
    if file is not None:
        rows = rows[rows["file"] == file]
    out = []
    for msg, cell in zip(rows["message"], rows["cell"]):
        what = (
            str(msg)
            .removeprefix(f"{BLANK_PREFIX}応募 ")
            .removesuffix("（取り込みません）。")
            .replace(" はまだ採点されていません", " の全項目")
        )
        out.append(f"{what}（セル {cell}）" if cell else what)
    return out
