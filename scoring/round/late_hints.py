"""The 期限後提出 warning of a file that replaced one received in time: record a correction.

A prefecture that corrects its 応募書 after the deadline sends a second file; read alone it is
late. When an earlier file of the same application was received in time, the right record is
usually ``eligibility correction`` (the original receipt time counts, so the application is
not late), not ``accept-late``; :func:`correction_hints` says so in the warning's 対処.
"""

from __future__ import annotations

import pandas as pd

from ..core.clock import JST

__all__ = ["correction_hints"]

_LATE_PREFIX = "期限後提出:"


def correction_hints(
    problems: pd.DataFrame, superseded: pd.DataFrame | None, limit: pd.Timestamp | None, round_path: object
) -> pd.DataFrame:
    """``problems`` with the 対処 of each late warning of a file that replaced an in-time one
    (``superseded``: ``Intake.superseded``) recommending ``eligibility correction``."""
    if superseded is None or not len(superseded) or limit is None or not len(problems):
        return problems
    out = problems.copy()
    for _, s in superseded.iterrows():
        when = pd.to_datetime(s["submitted_at"], errors="coerce")
        if pd.isna(when):
            continue
        when = when.tz_localize(JST) if when.tzinfo is None else when.tz_convert(JST)
        if when > limit:
            continue
        new = str(s["replaced_by"])
        mask = (
            (out["file"] == new)
            & (out["severity"] == "warning")
            & out["message"].astype(str).str.startswith(_LATE_PREFIX)
        )
        out.loc[mask, "action"] = (
            f"この応募書が期限内に受け付けた {s['file']}（{when:%Y/%m/%d %H:%M}）の訂正であれば、訂正として記録してください"
            f"（python -m scoring eligibility correction --round {round_path} --application {s['application']} "
            f"--file {new} --by 名前 --reason 理由）。元の受付日時が使われ、期限後提出ではなくなります。"
            "訂正ではない期限後の再提出を受理するときだけ accept-late を使います。記録がなければ選定の対象外です。"
        )
    return out
