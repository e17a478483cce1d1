"""The ``sheets`` commands of :mod:`scoring.cli` (the offline Excel 採点表): ``sheets export``
and ``sheets import``, split from :mod:`scoring.cli_commands`.

Like the other commands, each imports what it needs inside itself, so that
``python -m scoring --help`` stays fast; ``sheets import`` prints one line per file, the
cells changed in the store since the export (when any) and the problems of the sheets.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from .cli_commands import _print_table

if TYPE_CHECKING:
    import pandas as pd

    from .round.loader import ReviewRound
    from .store.scores import ScoreStore

__all__: list[str] = []


def _cmd_sheets_export(args: argparse.Namespace) -> int:
    from .review.progress import open_existing_store
    from .review.sheets import export_all, export_sheet, sheet_filename
    from .round.loader import load_round

    rnd = load_round(args.round)
    if args.reviewer is not None and args.reviewer not in {r.id for r in rnd.reviewers}:
        print(
            f"エラー: 審査員ID '{args.reviewer}' は reviewers.yaml にありません。"
            f"使える審査員ID: {'、'.join(r.id for r in rnd.reviewers)}",
            file=sys.stderr,
        )
        return 2
    store = open_existing_store(rnd, args.db)
    try:
        out = Path(args.out)
        if args.all:
            paths = export_all(rnd, out, store=store)
        else:
            target = (
                out / sheet_filename(args.reviewer) if out.is_dir() or out.suffix.lower() != ".xlsx" else out
            )
            paths = [export_sheet(rnd, args.reviewer, target, store=store)]
    finally:
        if store is not None:
            store.close()
    for p in paths:
        print(f"採点表を書き出しました: {p}")
    return 0


def _cmd_sheets_import(args: argparse.Namespace) -> int:
    from .reporting.overview import problem_table
    from .review.sheet_import import import_sheets
    from .round.loader import load_round
    from .store.scores import ScoreStore

    if args.overwrite and not (args.reason or "").strip():
        print(
            "エラー: --overwrite には --reason（上書きの理由）が必要です。理由は採点の記録に残ります。",
            file=sys.stderr,
        )
        return 2
    rnd = load_round(args.round)
    store = ScoreStore.open(rnd, args.db)
    try:
        head = store.head()[0]
        report = import_sheets(
            rnd,
            args.files,
            store,
            reviewer=args.reviewer,
            overwrite=args.overwrite,
            reason=args.reason,
            submit=args.submit,
        )
        failed = set(report.loc[report["severity"] == "error", "file"])
        _print_imported(report, failed)
        if args.submit:
            _print_receipts(rnd, store, head, args.slips)
    finally:
        store.close()
    conflicts = report.attrs["conflicts"]
    shown = (report["severity"] == "warning") & report["message"].str.startswith("未入力")
    if len(conflicts):
        _print_conflicts(rnd, conflicts, failed, args.overwrite, str(args.reason or "").strip())
        # the conflicting cells are in that table; any other problem of the same cell stays below
        shown |= report["message"].astype(str).str.contains("書き出し後に採点データベースで変更されています")
    _print_table(
        "採点表の問題一覧（未入力と上の表を除く）" if len(conflicts) else "採点表の問題一覧（未入力を除く）",
        problem_table(report[~shown]),
    )
    return 1 if failed else 0


def _print_conflicts(
    rnd: ReviewRound, conflicts: pd.DataFrame, failed: set[str], overwrite: bool, reason: str
) -> None:
    """The cells changed both in the store and in the sheet: overwritten, or not imported and why."""
    if not overwrite:
        title = "書き出し後に変更されたセル（--overwrite --reason 理由 で採点表の値を取り込めます）"
        _print_table(title, _conflict_table(rnd, conflicts))
        return
    done = conflicts[~conflicts["file"].isin(failed)]
    if len(done):
        _print_table(f"上書きしたセル（理由: {reason}）", _conflict_table(rnd, done))
    stopped = conflicts[conflicts["file"].isin(failed)]
    if len(stopped):
        _print_table(
            "上書きしなかったセル（ファイルにエラーがあるため取り込んでいません。エラーは下の問題一覧）",
            _conflict_table(rnd, stopped),
        )


def _print_receipts(rnd: ReviewRound, store: ScoreStore, head: int, slips: str | None) -> None:
    """Each reviewer's receipt codes of the submissions of this import, and their slips (受領票)."""
    from .review.receipts import receipts_for, write_receipt_slip

    events = store.events()
    new = events[(events["id"] > head) & (events["kind"] == "submit")]
    for reviewer in dict.fromkeys(new["reviewer"].astype(str)):
        mine = receipts_for(store, reviewer)
        fresh = set(new.loc[new["reviewer"] == reviewer, "application"].astype(str))
        print(f"\n■ 受領コード（審査員 {reviewer}）: 今回の提出 {len(fresh)} 件")
        for r in mine:
            if r.application in fresh:
                print(f"  {r.line_ja()}")
        path = write_receipt_slip(rnd, reviewer, mine, new=fresh, folder=slips)
        print(f"受領票を書き出しました（審査員に送ってください）: {path}")


def _print_imported(report: pd.DataFrame, failed: set[str]) -> None:
    """One line per file of ``sheets import``: how many scores it brought, or why none."""
    from .review.sheet_import import blank_cells

    status = report.attrs["status"]
    for f, n in report.attrs["imported"].items():
        where = blank_cells(report, f)
        shown_where = "、".join(where[:10]) + (f" ほか {len(where) - 10} 箇所" if len(where) > 10 else "")
        note = f"（未入力 {len(where)} 箇所は取り込んでいません: {shown_where}）" if where else ""
        if status.get(f) == "conflict":
            print(
                f"{f}: 書き出し後に採点データベースで変更されたセルを採点表も変更しているため、取り込みを止めました（0 件）"
            )
        elif f in failed:
            print(f"{f}: エラーがあるため取り込みませんでした（0 件）{note}")
        elif status.get(f) == "unchanged":
            print(f"{f}: 変更はありません。何も書き込みませんでした{note}")
        else:
            print(f"{f}: {n} 件の点数を取り込みました{note}")


def _cell_value(score: object, comment: object) -> str:
    """A score and its comment as the conflict table shows them (（点数なし） for none)."""
    text = (
        "（点数なし）"
        if score is None or (isinstance(score, float) and math.isnan(score))
        else f"{float(str(score)):g}点"
    )
    return f"{text}「{comment}」" if comment else text


def _conflict_table(rnd: ReviewRound, conflicts: pd.DataFrame) -> pd.DataFrame:
    """The cells changed both in the store since the export and in the sheet, in Japanese."""
    import pandas as pd

    from .core.clock import JST

    when = pd.to_datetime(conflicts["store_updated_at"], utc=True).dt.tz_convert(JST)
    return pd.DataFrame(
        {
            "ファイル": conflicts["file"],
            "セル": conflicts["cell"],
            "応募": conflicts["application"],
            "評価項目": [rnd.rubric.criterion(str(c)).label_ja for c in conflicts["criterion"]],
            "データベースの値": [
                _cell_value(s, c) for s, c in zip(conflicts["store_score"], conflicts["store_comment"])
            ],
            "データベースの更新日時": when.dt.strftime("%Y-%m-%d %H:%M").fillna(""),
            "採点表の値": [
                _cell_value(s, c) for s, c in zip(conflicts["sheet_score"], conflicts["sheet_comment"])
            ],
        }
    )
