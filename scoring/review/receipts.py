"""A reviewer's receipts (受領コード): the list the app shows and the slip the 事務局 sends back.

Every submission gets a receipt code (:meth:`scoring.store.scores.ScoreStore.submit`); the
committee material lists them, and ``python -m scoring verify-receipt CODE`` checks one.
:func:`receipts_for` lists one reviewer's current codes (application, time, code) for the
reviewer's screen (「提出の記録」) and for :func:`write_receipt_slip`, the .xlsx slip per
reviewer that ``sheets import --submit`` writes for the 事務局 to send to an Excel reviewer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..core.clock import now_jst, to_jst
from ..core.columns import SLIP_COLUMNS
from ..core.xlsx import write_workbook
from ..round.loader import ReviewRound
from ..store.scores import ScoreStore

__all__ = ["SLIP_COLUMNS", "SubmittedReceipt", "receipts_for", "slip_path", "write_receipt_slip"]

#: The columns of the slip's table (and of the app's 「提出の記録」).


@dataclass(frozen=True)
class SubmittedReceipt:
    """One submitted pair of a reviewer, as the reviewer sees it.

    ``submitted_at`` is Japan time (aware); ``code`` the receipt code (``xxxx-xxxx-xxxx-xxxx``);
    ``event_id`` the submit event in the store.
    """

    reviewer: str
    application: str
    prefecture_name: str
    submitted_at: dt.datetime
    code: str
    event_id: int

    def line_ja(self) -> str:
        """「01 北海道　2026-02-10 14:05　受領コード 3f9a-1c22-7b0e-d4a1」."""
        return (
            f"{self.application} {self.prefecture_name}　{self.submitted_at:%Y-%m-%d %H:%M}　"
            f"受領コード {self.code}"
        )


def receipts_for(store: ScoreStore, reviewer: str) -> list[SubmittedReceipt]:
    """The receipt of each pair ``reviewer`` has submitted now, in application order.

    Read from :meth:`~scoring.store.scores.ScoreStore.receipts` (a reviewer's own database role
    reads its own rows, which is all this needs). A pair reopened and not submitted again has
    none; one submitted again has its new code.
    """
    table = store.receipts()
    mine = table[table["reviewer"].astype(str) == reviewer].sort_values("application", kind="stable")
    names = store.facts.applications
    return [
        SubmittedReceipt(
            reviewer=reviewer,
            application=str(a),
            prefecture_name=str(names.get(str(a), "")),
            submitted_at=to_jst(pd.Timestamp(t).to_pydatetime()),
            code=str(code),
            event_id=int(eid),
        )
        for a, t, code, eid in zip(
            mine["application"], mine["submitted_at"], mine["receipt"], mine["event_id"]
        )
    ]


def slip_table(receipts: Iterable[SubmittedReceipt]) -> pd.DataFrame:
    """The receipts as the slip's table (:data:`SLIP_COLUMNS`)."""
    rows = [(r.application, r.prefecture_name, r.submitted_at.replace(tzinfo=None), r.code) for r in receipts]
    return pd.DataFrame(rows, columns=list(SLIP_COLUMNS))


def slip_path(rnd: ReviewRound, reviewer: str, folder: str | Path | None = None) -> Path:
    """Where the slip of ``reviewer`` goes: ``folder`` (default the round's ``reports/受領票``),
    file 受領票_<reviewer>_<YYYYMMDD-HHMM>.xlsx."""
    base = Path(folder) if folder is not None else Path(rnd.path) / "reports" / "受領票"
    return base / f"受領票_{reviewer}_{now_jst():%Y%m%d-%H%M}.xlsx"


def write_receipt_slip(
    rnd: ReviewRound,
    reviewer: str,
    receipts: list[SubmittedReceipt],
    *,
    new: Iterable[str] = (),
    folder: str | Path | None = None,
) -> Path:
    """Write the receipt slip (受領票) of ``reviewer``: every current receipt, the new ones marked.

    Sheets 受領票 (the table, with 今回の提出 = 〇 for the applications in ``new``) and 説明
    (what the code is and how it is checked). Returns the path written.
    """
    person = next((r for r in rnd.reviewers if r.id == reviewer), None)
    name = person.name if person is not None else ""
    fresh = set(new)
    table = slip_table(receipts)
    table.insert(0, "今回の提出", ["〇" if r.application in fresh else "" for r in receipts])
    notes = pd.DataFrame(
        {
            "説明": [
                f"審査ラウンド: {rnd.config.name}",
                f"審査員: {reviewer} {name}",
                f"作成日時（日本時間）: {now_jst():%Y-%m-%d %H:%M}",
                "採点表の提出を受け付けました。受領コードは、提出した点数・コメント・申請者への所見から作られる確認用の番号です。",
                "この受領票を保管してください。選定委員会資料の「受領コード」の表に同じコードが載ります。",
                (
                    "コードが資料と違うときや、提出した内容を確かめたいときは、事務局にコードを伝えてください"
                    "（事務局は python -m scoring verify-receipt で照合します）。"
                ),
            ]
        }
    )
    path = slip_path(rnd, reviewer, folder)
    for d in reversed(
        [path.parent, *path.parent.parents][:2]
    ):  # the slips (and reports/) only for the 事務局
        d.mkdir(mode=0o700, parents=True, exist_ok=True)
    return write_workbook(path, [("受領票", table), ("説明", notes)])
