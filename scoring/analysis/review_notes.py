"""The review phase in the committee material's notes (注記): every 再開, 免除 and 担当替え.

The 事務局 reopens a submitted review, excuses a pair that will not be submitted or hands it to
another reviewer (:mod:`scoring.round.pair_release`); each is an event of the score store with
a reason (:meth:`scoring.store.scores.ScoreStore.review_events`). The committee sees them as
注記 rows, one per event, reviewers shown as the material shows them (審査員A, B, …).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd

from ..core.clock import to_jst

__all__ = ["review_event_rows"]


def review_event_rows(
    events: pd.DataFrame, labels: Mapping[str, str], name: Callable[[str], str]
) -> list[tuple[str, object]]:
    """注記 rows (項目, 値) of the review-phase events, oldest first; ``[]`` when there are none.

    ``events`` has the columns of :meth:`~scoring.store.scores.ScoreStore.review_events`;
    ``labels`` maps a reviewer id to what the material shows; ``name`` gives an application's
    display name.
    """
    if events is None or not len(events):
        return []
    rows: list[tuple[str, object]] = [
        (
            "採点の再開・免除・担当替え",
            f"{len(events)} 件（事務局が理由とともに記録。採点データベースのハッシュチェーンにあります）",
        )
    ]
    for i, ev in enumerate(events.to_dict("records"), start=1):
        who = labels.get(str(ev["reviewer"]), str(ev["reviewer"]))
        to = f" → {labels.get(str(ev['to']), str(ev['to']))}" if ev["to"] else ""
        when = to_jst(pd.Timestamp(ev["recorded_at"]).to_pydatetime())
        what = (
            f"{who}の応募 {ev['application']}（{name(str(ev['application']))}）{to}　理由: {ev['reason']}　"
        )
        rows.append(
            (
                f"{ev['action']}{i}",
                what + f"記録: {ev['by']}、{when:%Y-%m-%d %H:%M}（イベント {int(ev['event_id'])}）",
            )
        )
    return rows
