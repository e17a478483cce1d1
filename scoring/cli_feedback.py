"""``feedback``: the 講評 (drafts, approval, letters) from the command line.

``feedback --drafts FILE.yaml`` writes the drafts when the file does not exist; with the file,
the letters are written from it, marked 案 until ``--approve --by NAME`` records in the score
store's hash chain that the analyst approved the drafts as they stand
(:mod:`scoring.reporting.letter_approval`).
"""

from __future__ import annotations

import argparse

__all__ = ["add_feedback_options", "cmd_feedback"]


def add_feedback_options(fb: argparse.ArgumentParser) -> None:
    """``--approve`` and ``--by`` of ``feedback``."""
    fb.add_argument(
        "--approve",
        action="store_true",
        help="--drafts の下書きを確認済みとして承認し、「案」の表示のない講評を書き出す（決定の記録が必要）",
    )
    fb.add_argument("--by", default=None, help="承認した人（--approve で必須）")


def cmd_feedback(args: argparse.Namespace) -> int:
    from .cli_commands import _check_records
    from .core.errors import ShinsaError
    from .reporting.feedback import write_feedback
    from .round.loader import round_path

    _check_records(args.round, "feedback")
    approve = getattr(args, "approve", False)
    if approve and not (getattr(args, "by", None) or "").strip():
        raise ShinsaError(
            "--approve には承認した人の名前を --by で指定してください（例: --by 事務局 山田）。"
        )
    out = args.out
    if (args.drafts is None or approve) and out is None:
        out = str(round_path(args.round) / "reports" / "講評")
    res = write_feedback(args.round, out, drafts_path=args.drafts, approve_by=args.by if approve else None)
    for w in res["warnings"]:
        print(f"警告: {w}")
    if res["drafts_written"]:
        print(f"講評の下書きを書き出しました: {res['drafts']}")
        print("編集してから同じコマンドに --out を付けて再実行すると、その内容で講評を書き出します。")
        return 0
    if res["drafts"] is not None:
        print(f"講評の下書きを読み込みました: {res['drafts']}")
    for lt in res["letters"]:
        print(f"{lt.application} {lt.prefecture_name}: {lt.result}")
    print(f"講評 {len(res['letters'])} 通（PDF と .xlsx）を書き出しました: {out}")
    a = res["approval"]
    if a is not None:
        print(
            f"下書きは {a.approved_by} が {a.approved_at} に承認済みです（講評に「案」の表示はありません）。"
        )
    else:
        print(
            "講評はすべて「案」です（事務局の確認前）。--drafts の下書きを確認し、"
            "--approve --by 名前 を付けて承認すると「案」の表示が消えます。"
        )
    return 0
