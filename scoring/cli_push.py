"""``push-candidate``: write a プッシュ型 応募書 and record the ministry's decision.

プッシュ型 is 総務省's decision, not what a form says: the command writes the form into the
round's ``applications/`` and records the decision (``eligibility push``, a hash-chained
record with who, when and why; :func:`scoring.analysis.push.write_push_application`). A
form written elsewhere (``--out``) is recorded once it is in the folder, with
``eligibility push``.
"""

from __future__ import annotations

import argparse

__all__ = ["cmd_push_candidate"]


def cmd_push_candidate(args: argparse.Namespace) -> int:
    from .analysis.push import DEFAULT_PUSH_BY, DEFAULT_PUSH_REASON, write_push_application
    from .round.loader import load_round

    rnd = load_round(args.round)
    rec = write_push_application(
        rnd,
        args.prefecture,
        args.out,
        by=args.by or DEFAULT_PUSH_BY,
        reason=args.reason or DEFAULT_PUSH_REASON,
    )
    print(f"{rec.prefecture_name}のプッシュ型の応募書を書き出しました: {rec.path}")
    if rec.decision is None:
        print(
            f"注意: 応募書のフォルダ（{rnd.path / 'applications'}）の外です。審査に含めるには、記入後にそのフォルダへ置き、"
            f"プッシュ型の決定を記録してください（python -m scoring eligibility push --round {rnd.path} "
            f"--application {rec.code} --by 名前 --reason 理由）。"
        )
    else:
        d = rec.decision
        print(
            f"プッシュ型（総務省の決定）を記録しました: 応募 {rec.code}（イベント {d.event_id}、"
            f"記録: {d.by}、理由: {d.reason}）"
        )
    if rec.to_fill:
        print(
            "ヒアリングの結果から次の必須項目を記入してください（記入するまで validate はエラーを示します）: "
            + "、".join(rec.to_fill)
        )
    return 0
