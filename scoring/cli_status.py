"""What the CLI says about applications that are 対象外 (:mod:`scoring.round.status`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from .round.loader import ReviewRound

__all__ = ["print_left_out", "with_status"]


def print_left_out(rnd: ReviewRound, left_out: pd.DataFrame) -> None:
    """Tell the analyst which applications ``assign`` leaves out, and why (one line each)."""
    if left_out.empty:
        return
    print("次の応募は対象外のため、審査員を割り当てません:")
    for code, row in left_out.iterrows():
        print(f"  {code} {row['prefecture_name']}: {row['理由']}")
    print(
        "対象にする場合は、受付の判断（例: python -m scoring eligibility accept-late / reinstate "
        f"--round {rnd.path} --application コード --by 名前 --reason 理由）を記録するか応募書を直してから、"
        "assign --force で割当案を作り直してください。"
    )


def with_status(rnd: ReviewRound, table: pd.DataFrame) -> pd.DataFrame:
    """``table`` (index: application) with 区分 and 対象外の理由 of :func:`application_statuses`."""
    from .round.status import application_statuses

    st = application_statuses(rnd)
    out = table.copy()
    out["区分"] = st["区分"].reindex(out.index.astype(str)).fillna("").to_numpy()
    out["対象外の理由"] = st["理由"].reindex(out.index.astype(str)).fillna("").to_numpy()
    return out
