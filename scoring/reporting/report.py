"""Reports written for people: Excel workbooks built from the round's tables.

``applications.xlsx`` (this step): 応募一覧 (every application and its fields), 問題一覧
(problems), 受付の状況 (each application's receipt time and eligibility after the recorded
受付の判断: :mod:`scoring.round.eligibility`), 受付の判断 (the decisions themselves, when
there are any), 件数 (counts by region, theme, pool status and 応募区分) and 注記 (round,
rubric version, deadline in Western and 和暦 form, generation time). All sheets follow
:mod:`scoring.core.xlsx` (machine-readable, no merged cells, free text never a formula).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..core.clock import JST, now_jst
from ..core.columns import HEADERS_JA
from ..core.excel import to_wareki
from ..core.schema import FIELDS, TEMPLATE_VERSION
from ..core.xlsx import write_workbook
from .overview import application_table, breakdown, eligibility_log_table, eligibility_table, problem_table

if TYPE_CHECKING:
    from ..round.loader import ReviewRound

__all__ = ["applications_detail", "notes_table", "write_applications_report"]


def notes_table(rnd: ReviewRound, now: dt.datetime | None = None) -> pd.DataFrame:
    """The 注記 sheet: one row per fact (項目, 値), dates in Western and 和暦 form."""
    now = now or now_jst()
    deadline = rnd.config.deadline
    rows = [
        ("審査ラウンド", rnd.config.name),
        ("ラウンドのフォルダ", str(rnd.path)),
        ("提出期限", deadline.isoformat()),
        ("提出期限（和暦）", f"{to_wareki(deadline.date())} {deadline:%H:%M}"),
        ("評価基準", f"{rnd.rubric.name_ja}（{rnd.rubric.id}）"),
        ("評価基準の版", rnd.rubric.version),
        ("応募書様式の版", TEMPLATE_VERSION),
        ("地方ブロック区分", rnd.config.block_scheme),
        ("応募数（件）", len(rnd.applications)),
        ("審査員数（名）", len(rnd.reviewers)),
        ("作成日時", now.isoformat(timespec="seconds")),
        ("作成日（和暦）", to_wareki(now.date())),
    ]
    return pd.DataFrame(rows, columns=["項目", "値"]).astype({"値": "object"})


def applications_detail(applications: pd.DataFrame) -> pd.DataFrame:
    """Every 応募書 field of every application, headers = field labels with units."""
    df = applications.copy()
    if "submitted_at" in df and len(df):
        df["submitted_at"] = (
            pd.to_datetime(df["submitted_at"], utc=True).dt.tz_convert(JST).dt.tz_localize(None)
        )
    if "prefecture_name" in df and "prefecture" in df:  # 都道府県名 is the name, not the code
        df["prefecture"] = df["prefecture_name"]
    labels = {f.key: f.display_label for f in FIELDS}
    cols = [f.key for f in FIELDS if f.key in df]
    out = df.loc[:, cols].rename(columns=labels)
    out.insert(0, HEADERS_JA["application"], df.index.astype(str))
    return out.reset_index(drop=True)


def received_times(rnd: ReviewRound) -> pd.Series | None:
    """The recorded receipt time of each application (a correction keeps the original one)."""
    e = rnd.eligibility
    return e["received_at"] if e is not None and "received_at" in e else None


def write_applications_report(rnd: ReviewRound, path: str | Path) -> Path:
    """Write ``applications.xlsx`` for a loaded round; returns the path."""
    summary = application_table(rnd.applications, rnd.problems, received_times(rnd)).reset_index()
    counts = [
        frame.reset_index()
        .rename(columns={frame.index.name: "区分"})
        .assign(集計=title)[["集計", "区分", "件数"]]
        for title, frame in breakdown(rnd.applications).items()
    ]
    sheets = [
        ("応募一覧", summary),
        ("応募書の内容", applications_detail(rnd.applications)),
        ("問題一覧", problem_table(rnd.problems)),
        *([("受付の状況", eligibility_table(rnd).reset_index())] if rnd.eligibility is not None else []),
        *([("受付の判断", eligibility_log_table(rnd).reset_index())] if rnd.eligibility_records else []),
        (
            "件数",
            pd.concat(counts, ignore_index=True)
            if counts
            else pd.DataFrame(columns=["集計", "区分", "件数"]),
        ),
        ("注記", notes_table(rnd)),
    ]
    return write_workbook(path, sheets)
