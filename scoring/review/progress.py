"""Review progress: who has not finished what (for reminders), per reviewer and per application.

:func:`review_progress` reads the score store's status of every assigned, non-conflicted
pair (:meth:`scoring.store.scores.ScoreStore.statuses` restricted to
:func:`scoring.review.sheets.reviewer_applications`, the rule of the 採点表 and the packets) and
counts 未着手 (nothing recorded), 下書き (drafted, not submitted) and 提出済 (submitted); a pair
the 事務局 released (免除 ``excuse``, 担当替え ``reassign``, :mod:`scoring.round.pair_release`)
counts as finished, like a submitted one.
Pairs with events that are no longer assigned (an assignment changed after scoring) are
left out: progress is about what is asked now.

:func:`progress_ja` gives the Japanese tables (the command ``python -m scoring progress``,
notebook 03) and :func:`write_progress_workbook` the .xlsx for reminder e-mails: one sheet
per reviewer-facing view (審査員別, 未提出の一覧 with names, 応募別, 全件).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..core.columns import (
    HEADERS_JA,
    PROGRESS_APPLICATION_COLUMNS,
    PROGRESS_COLUMNS,
    PROGRESS_REVIEWER_COLUMNS,
)
from ..core.environment import environment
from ..core.xlsx import write_workbook
from ..round.loader import ReviewRound
from ..store.scores import DB_FILENAME, ScoreStore
from .sheets import reviewer_applications

__all__ = [
    "PROGRESS_APPLICATION_COLUMNS",
    "PROGRESS_COLUMNS",
    "PROGRESS_REVIEWER_COLUMNS",
    "ReviewProgress",
    "open_existing_store",
    "progress_ja",
    "review_progress",
    "round_progress",
    "write_progress_workbook",
]

MISSING, DRAFT, SUBMITTED = "未着手", "下書き", "提出済"
#: A pair the 事務局 released (``python -m scoring excuse`` / ``reassign``): no longer asked.
EXCUSED, REASSIGNED = "免除", "担当替え"
#: The statuses that finish a pair: the review phase is over when every pair has one.
DONE = (SUBMITTED, EXCUSED, REASSIGNED)


@dataclass
class ReviewProgress:
    """Progress of a round's review.

    Attributes
    ----------
    pairs : DataFrame
        Columns :data:`PROGRESS_COLUMNS`, reviewers in reviewers.yaml order, then
        applications in round order.
    reviewers : DataFrame
        Columns :data:`PROGRESS_REVIEWER_COLUMNS`: counts per reviewer (every reviewer,
        also one with nothing assigned) and ``todo``, the applications not yet submitted
        by name (「02 青森県（下書き）、05 秋田県（未着手）」).
    applications : DataFrame
        Columns :data:`PROGRESS_APPLICATION_COLUMNS`: the same per application, ``todo``
        naming the reviewers.
    """

    pairs: pd.DataFrame
    reviewers: pd.DataFrame
    applications: pd.DataFrame

    @property
    def complete(self) -> bool:
        """True when every assigned pair is submitted, excused or reassigned (:data:`DONE`)."""
        return bool(self.pairs["status"].isin(DONE).all())

    @property
    def open_pairs(self) -> pd.DataFrame:
        """The pairs still open (未着手 and 下書き)."""
        return self.pairs[~self.pairs["status"].isin(DONE)].reset_index(drop=True)

    def counts(self) -> dict[str, int]:
        """Pairs per status: {未着手: n, 下書き: n, 提出済: n}, and 免除 / 担当替え when any."""
        vc = self.pairs["status"].value_counts()
        out = {s: int(vc.get(s, 0)) for s in (MISSING, DRAFT, SUBMITTED)}
        out.update({s: int(vc[s]) for s in (EXCUSED, REASSIGNED) if vc.get(s, 0)})
        return out

    def headline(self) -> str:
        """One Japanese line: 「割り当てられた採点 95 組: 未着手 3 組　下書き 4 組　提出済 88 組」
        (and 免除 / 担当替え when the 事務局 released any pair)."""
        return f"割り当てられた採点 {len(self.pairs)} 組: " + "　".join(
            f"{k} {v} 組" for k, v in self.counts().items()
        )


def open_existing_store(rnd: ReviewRound, url: str | None = None) -> ScoreStore | None:
    """The round's score store when one exists (``url`` given, ``$SCORING_DATABASE_URL`` set,
    or the round's SQLite file present), else None: reading progress never creates a database."""
    existing = url or environment().database_url or (rnd.path / DB_FILENAME).exists()
    return ScoreStore.open(rnd, url) if existing else None


def round_progress(rnd: ReviewRound, url: str | None = None) -> ReviewProgress:
    """:func:`review_progress` of the round's own store (all 未着手 when it has none yet)."""
    store = open_existing_store(rnd, url)
    try:
        return review_progress(rnd, store)
    finally:
        if store is not None:
            store.close()


def _counts(g: pd.DataFrame, label: pd.Series) -> dict[str, object]:
    st = g["status"]
    todo = g[~st.isin(DONE)]
    return {
        "assigned": len(g),
        "submitted": int((st == SUBMITTED).sum()),
        "drafted": int((st == DRAFT).sum()),
        "missing": int((st == MISSING).sum()),
        "todo": "、".join(f"{lab}（{s}）" for lab, s in zip(label[todo.index], todo["status"])),
    }


def review_progress(rnd: ReviewRound, store: ScoreStore | None) -> ReviewProgress:
    """Status of every assigned, non-conflicted (reviewer, application) pair, with counts.

    Parameters
    ----------
    rnd : ReviewRound
        The round (assignments, reviewers, applications).
    store : ScoreStore or None
        Its score store (read only); None when the round has none yet (all 未着手).
    """
    rows_st = store.statuses().itertuples(index=False) if store is not None else ()
    status = {(str(r), str(a)): str(s) for r, a, s in rows_st}
    names = {r.id: r.name for r in rnd.reviewers}
    apps = [str(a) for a in rnd.applications.index]
    pref = rnd.applications["prefecture_name"].astype(str)
    pref.index = pref.index.astype(str)
    # The same rule as the 採点表 and the packets: assigned, never a conflict.
    rows = [
        (r.id, r.name, a, str(pref.get(a, a)), status.get((r.id, a), MISSING))
        for r in rnd.reviewers
        for a in reviewer_applications(rnd, r.id)
    ]
    pairs = pd.DataFrame(rows, columns=list(PROGRESS_COLUMNS))
    app_label = pairs["application"] + " " + pairs["prefecture_name"]
    rev_label = pairs["reviewer"] + " " + pairs["reviewer_name"]
    per_rev = []
    for r in rnd.reviewers:
        g = pairs[pairs["reviewer"] == r.id]
        per_rev.append({"reviewer": r.id, "reviewer_name": names[r.id], **_counts(g, app_label)})
    per_app = []
    for a in apps:
        g = pairs[pairs["application"] == a]
        per_app.append({"application": a, "prefecture_name": str(pref.get(a, a)), **_counts(g, rev_label)})
    return ReviewProgress(
        pairs=pairs,
        reviewers=pd.DataFrame(per_rev, columns=list(PROGRESS_REVIEWER_COLUMNS)),
        applications=pd.DataFrame(per_app, columns=list(PROGRESS_APPLICATION_COLUMNS)),
    )


def progress_ja(progress: ReviewProgress) -> dict[str, pd.DataFrame]:
    """The Japanese tables by sheet name: 審査員別, 未提出の一覧, 応募別, 全件.

    未提出の一覧 has one row per open pair (審査員, 氏名, 応募ID, 都道府県, 状況), sorted by
    reviewer, ready for a reminder e-mail.
    """
    h = dict(HEADERS_JA)
    rev = progress.reviewers.rename(columns=h)
    app = progress.applications.rename(columns={**h, "todo": "未提出の審査員"})
    return {
        "審査員別": rev,
        "未提出の一覧": progress.open_pairs.rename(columns=h),
        "応募別": app,
        "全件": progress.pairs.rename(columns=h),
    }


def write_progress_workbook(progress: ReviewProgress, path: str | Path) -> Path:
    """Write the progress tables (:func:`progress_ja`) as a clean .xlsx (:mod:`scoring.core.xlsx`)."""
    return write_workbook(path, list(progress_ja(progress).items()))
