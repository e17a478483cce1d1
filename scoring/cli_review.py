"""The commands that let the review phase finish: ``reopen``, ``excuse`` and ``reassign``.

Registered by :mod:`scoring.cli` (:func:`add_review_phase_commands`); each handler takes
``args`` and returns the exit code. What they record: :mod:`scoring.round.pair_release`.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .round.loader import ReviewRound

__all__ = ["add_review_phase_commands", "example_code"]


def example_code(rnd: ReviewRound, error: object, selected: Sequence[str] | None) -> str:
    """A real application code for the example of ``decide``'s error: the first code of the
    round the error names, else the first code selected, else the round's first."""
    import re

    codes = [str(a) for a in rnd.applications.index]
    named = [c for c in re.findall(r"(?<!\d)(\d{2})(?!\d)", str(error)) if c in codes]
    chosen = [c for item in selected or [] for c in re.split(r"[,、\s]+", str(item)) if c in codes]
    return (named or chosen or codes or ["01"])[0]


def _cmd_pair(args: argparse.Namespace) -> int:
    from .cli_records import check_records
    from .review.progress import review_progress
    from .round.loader import load_round
    from .round.pair_release import release_pair, reopen_pair
    from .store.scores import ScoreStore

    rnd = load_round(args.round)
    check_records(rnd, args.command)
    with ScoreStore.open(rnd) as store:
        if args.command == "reopen":
            done = reopen_pair(rnd, store, args.reviewer, args.application, by=args.by, reason=args.reason)
        else:
            done = release_pair(
                rnd,
                store,
                args.command,
                args.reviewer,
                args.application,
                by=args.by,
                reason=args.reason,
                to=getattr(args, "to", "") or "",
            )
        print(done.summary_ja(rnd))
        if done.assignments_file is not None:
            print(
                f"担当に審査員 {done.to} の応募 {done.application} を加えました: {done.assignments_file}"
                "（共有サーバーでは python -m scoring db-setup をもう一度実行してください）"
            )
        if done.action == "reopen":
            print(
                f"審査員 {done.reviewer} は採点画面（または新しい採点表）で点数を直して、もう一度提出できます。"
            )
        print(review_progress(load_round(args.round) if done.assignments_file else rnd, store).headline())
    return 0


def add_review_phase_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``reopen``, ``excuse`` and ``reassign`` to the parser."""
    helps = {
        "reopen": "提出済みの採点を再開する（審査員がもう一度直して提出できる。理由が必要）",
        "excuse": "提出されない採点を免除する（進み具合で完了として数える。理由が必要）",
        "reassign": "提出されない採点を別の審査員に担当替えする（理由が必要）",
    }
    for name, text in helps.items():
        p = sub.add_parser(name, help=text)
        p.add_argument(
            "--round", default=None, help="審査ラウンドのフォルダ（既定: $SCORING_ROUND またはデモ）"
        )
        p.add_argument("--reviewer", required=True, metavar="ID", help="審査員ID（例: R3）")
        p.add_argument(
            "--application",
            required=True,
            metavar="CODE",
            help="応募（都道府県コードまたは都道府県名、例: 20、長野）",
        )
        p.add_argument(
            "--reason", required=True, metavar="TEXT", help="理由（記録に残り、選定委員会資料の注記に載る）"
        )
        p.add_argument("--by", required=True, metavar="NAME", help="記録する事務局の担当者名")
        if name == "reassign":
            p.add_argument("--to", required=True, metavar="ID", help="新しく担当する審査員ID（例: R2）")
        p.set_defaults(func=_cmd_pair)
