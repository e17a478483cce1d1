"""The reviewer's scoring session (審査員の採点): the plain model behind ``02_review.ipynb``.

This module knows nothing of widgets. :class:`ReviewSession` holds one reviewer's state
(their assigned applications, the current one, their own scores and statuses) and talks to
the score store (:class:`scoring.store.scores.ScoreStore`); the widget view
(:mod:`scoring.ui.review_view`) only displays it and forwards clicks.

Blind review (他の審査員の点数は見せない)
    Every read goes through :meth:`ReviewSession.refresh`, which asks the store for the
    current reviewer's rows only (``status(reviewer, ...)``; ``scores(reviewer=...)`` when
    the store offers that filter, otherwise the other rows are dropped at once); the
    session never holds another reviewer's scores or comments, so no view can show them.

Identity (本人確認)
    Under JupyterHub (``JUPYTERHUB_USER`` set) the reviewer is the logged-in user, mapped
    through ``hub_user`` in ``reviewers.yaml``, and cannot be changed
    (:func:`identify_reviewer`). Single-user, the reviewer chooses from the list.

Typical use (what the view does)::

    rnd = load_round()
    store = ScoreStore.open(rnd)
    session = ReviewSession(rnd, store, "R1")
    session.current               # '01'
    session.set_score("need_pool_gap", 4)   # saved at once (autosave)
    session.missing()             # what is still needed before 提出
    session.submit()
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

import pandas as pd

from ..config.rubric import format_level
from ..core.errors import ReviewError
from ..core.text import strip_controls
from ..store.scores import PairVersion
from .autosave import SessionBase, SessionStore
from .content import (
    SUMMARY_FIELDS,
    application_form,
    application_indicators,
    application_sections,
    application_summary,
)
from .entries import ExternalChange, Progress, ScoreEntry, clean_score, clean_text
from .identity import ReviewerIdentity, assigned_applications, identify_reviewer

if TYPE_CHECKING:
    from ..round.loader import ReviewRound

__all__ = [
    "STATUSES",
    "SUMMARY_FIELDS",
    "ExternalChange",
    "Progress",
    "ReviewError",
    "ReviewSession",
    "ReviewerIdentity",
    "ScoreEntry",
    "assigned_applications",
    "format_level",
    "identify_reviewer",
]

#: Statuses of one reviewer × application, in workflow order (as the store reports them).
STATUSES: tuple[str, ...] = ("未着手", "下書き", "提出済")


class ReviewSession(SessionBase):
    """One reviewer's scoring session: assignments, navigation, autosave and submission.

    Parameters
    ----------
    rnd : ReviewRound
        The loaded round (rubric, applications, reviewers).
    store : ScoreStore
        The score store of the round; every change is written to it at once.
    reviewer : str
        The reviewer id (see :func:`identify_reviewer`).
    clock : callable, optional
        Returns the current time (aware); for tests.

    Attributes
    ----------
    applications : tuple of str
        The reviewer's applications (JIS codes), conflicts removed.
    last_saved_at : datetime or None
        When the last change was saved (aware, UTC), None before the first save.
    last_change : ExternalChange or None
        Set by a save, :meth:`check_changes` or :meth:`retry_unsaved` when the current
        pair had changed elsewhere (another tab of the same reviewer); the view shows it
        and resets it to None.

    Notes
    -----
    *Two screens of one reviewer.* The session remembers each pair's
    :class:`~scoring.store.scores.PairVersion` (number of events, last event id and hash)
    as loaded. Before every save it compares it with the store's: when the pair changed
    elsewhere, it reloads the pair first, then saves anyway (the last write wins) and
    reports both in :attr:`last_change`. :meth:`check_changes` does the same without saving
    (the view polls it every few seconds).

    *Store unreachable.* When a save fails with
    :class:`~scoring.core.errors.StoreUnavailableError` (connection dropped, database
    locked), the value is kept as *unsaved* (:attr:`unsaved`; :meth:`entry` shows it) and
    the error is raised; :meth:`retry_unsaved` saves every kept value in order once the
    store answers again. Nothing entered is dropped.

    Raises
    ------
    ReviewError
        Unknown reviewer.
    """

    def __init__(
        self,
        rnd: ReviewRound,
        store: SessionStore,
        reviewer: str,
        *,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.round = rnd
        self.store = store
        self.reviewer = reviewer
        self.applications: tuple[str, ...] = tuple(assigned_applications(rnd, reviewer))
        self.last_saved_at: dt.datetime | None = None
        #: Receipt codes (受領コード) of the applications submitted in this session.
        self.receipts: dict[str, str] = {}
        self._clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        self._entries: dict[str, dict[str, ScoreEntry]] = {}
        self._status: dict[str, str] = {}
        self._versions: dict[str, PairVersion] = {}
        #: Values the store could not save yet, by (application, criterion), oldest first.
        self.unsaved: dict[tuple[str, str], ScoreEntry] = {}
        self.last_change: ExternalChange | None = None
        self._index = 0
        self.refresh()
        todo = [i for i, a in enumerate(self.applications) if self._status.get(a) != "提出済"]
        self._index = todo[0] if todo else 0

    # ------------------------------------------------------------------ reading

    def refresh(self) -> ReviewSession:
        """Reload this reviewer's own scores and statuses from the store."""
        versions = self._read_versions(None)  # before the rows: a write in between is seen again later
        frame = self._own_rows()
        notes = self._read_notes(None)
        entries: dict[str, dict[str, ScoreEntry]] = {a: {} for a in self.applications}
        for row in frame.itertuples(index=False):
            app, cid = str(row.application), str(row.criterion)
            if app in entries:
                note = notes.get((app, cid), "")
                entries[app][cid] = ScoreEntry(clean_score(row.score), clean_text(row.comment), note)
        for (app, cid), note in notes.items():  # a cell with only a 所見 (no score, no comment)
            if app in entries and cid not in entries[app]:
                entries[app][cid] = ScoreEntry(None, "", note)
        self._entries = entries
        self._status = {a: self.store.status(self.reviewer, a) for a in self.applications}
        self._versions = versions
        return self

    def _own_rows(self) -> pd.DataFrame:
        """The store's rows of this reviewer only (the store filters when it can)."""
        scores = self.store.scores
        try:
            params = inspect.signature(scores).parameters
        except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
            params = {}  # type: ignore[assignment]
        if "reviewer" in params:
            frame = scores(reviewer=self.reviewer)  # type: ignore[call-arg]
        else:
            frame = scores()
        if len(frame) == 0:
            return frame
        return frame.loc[frame["reviewer"].astype(str) == self.reviewer]

    @property
    def reviewer_label(self) -> str:
        """e.g. ``R1 架空 一郎（総務省）``."""
        r = self.round.reviewer(self.reviewer)
        return f"{r.id} {r.name}（{r.role}）"

    @property
    def position(self) -> int:
        """Index of the current application in :attr:`applications`."""
        return self._index

    def entry(self, criterion: str, application: str | None = None) -> ScoreEntry:
        """Own score and comment for one criterion (empty :class:`ScoreEntry` if none)."""
        app = self._app(application)
        self._criterion(criterion)
        return self._entry(app, criterion)

    def saved_entry(self, criterion: str, application: str | None = None) -> ScoreEntry:
        """The value as saved in the store (what :meth:`entry` shows unless it is unsaved)."""
        app = self._app(application)
        self._criterion(criterion)
        return self._entries[app].get(criterion, ScoreEntry())

    def status(self, application: str | None = None) -> str:
        """未着手, 下書き or 提出済."""
        return self._status[self._app(application)]

    def is_submitted(self, application: str | None = None) -> bool:
        """Whether the application has been submitted (and is therefore read-only)."""
        return self.status(application) == "提出済"

    def progress(self) -> Progress:
        """How many of the reviewer's applications are submitted and how many are drafts."""
        values = list(self._status.values())
        return Progress(values.count("提出済"), values.count("下書き"), len(self.applications))

    def overview(self) -> pd.DataFrame:
        """One row per own application, in order.

        Index ``application``; columns ``prefecture_name``, ``status`` (未着手/下書き/提出済),
        ``n_scored`` (criteria scored), ``n_criteria``.
        """
        apps = self.round.applications
        n_criteria = len(self.criteria)
        rows = [
            {
                "application": a,
                "prefecture_name": str(apps.at[a, "prefecture_name"]) if "prefecture_name" in apps else a,
                "status": self._status[a],
                "n_scored": sum(1 for e in self._entries[a].values() if e.score is not None),
                "n_criteria": n_criteria,
            }
            for a in self.applications
        ]
        frame = pd.DataFrame(
            rows, columns=["application", "prefecture_name", "status", "n_scored", "n_criteria"]
        )
        return frame.set_index("application")

    def own_scores(self) -> pd.DataFrame:
        """The reviewer's own current scores: columns application, criterion, score, comment.

        Only scored or commented criteria, in application and rubric order.
        """
        order = {c.id: i for i, c in enumerate(self.criteria)}
        rows = [
            {"application": a, "criterion": cid, "score": e.score, "comment": e.comment}
            for a in self.applications
            for cid, e in sorted(self._entries[a].items(), key=lambda kv: order.get(kv[0], len(order)))
            if e.score is not None or e.comment
        ]
        frame = pd.DataFrame(rows, columns=["application", "criterion", "score", "comment"])
        return frame.astype({"score": "float64"})

    def distribution(self) -> pd.Series:
        """How often the reviewer gave each level so far (drafts included).

        Index ``score`` = every level of the rubric's scales, ascending; values = counts;
        name ``count``.
        """
        levels = sorted({float(lv) for c in self.criteria for lv in c.levels})
        scores = self.own_scores()["score"].dropna()
        counts = scores.value_counts().reindex(levels, fill_value=0).astype("int64")
        counts.index = pd.Index(levels, name="score", dtype="float64")
        return counts.rename("count")

    # ------------------------------------------------------------------ application content

    def summary(self, application: str | None = None) -> pd.DataFrame:
        """Key fields of the application (:func:`~scoring.review.content.application_summary`)."""
        return application_summary(self.round, self._app(application))

    def indicators(self, application: str | None = None) -> pd.DataFrame:
        """Reference indicators (参考指標) of the application
        (:func:`~scoring.review.content.application_indicators`)."""
        return application_indicators(self.round, self._app(application))

    def sections(self, application: str | None = None) -> pd.DataFrame:
        """The text sections of the 応募書 (:func:`~scoring.review.content.application_sections`)."""
        return application_sections(self.round, self._app(application))

    def form(self, application: str | None = None) -> pd.DataFrame:
        """The whole 応募書 (:func:`~scoring.review.content.application_form`)."""
        return application_form(self.round, self._app(application))

    # ------------------------------------------------------------------ navigation

    def go(self, application: str) -> str:
        """Make ``application`` current; returns it."""
        app = self._app(application)
        self._index = self.applications.index(app)
        return app

    @property
    def has_next(self) -> bool:
        return self._index + 1 < len(self.applications)

    @property
    def has_prev(self) -> bool:
        return self._index > 0

    def next(self) -> str | None:
        """Move to the next application (stays on the last); returns the current one."""
        if self.has_next:
            self._index += 1
        return self.current

    def prev(self) -> str | None:
        """Move to the previous application (stays on the first); returns the current one."""
        if self.has_prev:
            self._index -= 1
        return self.current

    # ------------------------------------------------------------------ writing

    def set_score(
        self, criterion: str, score: float | None, application: str | None = None
    ) -> dt.datetime | None:
        """Set (autosave) the own score of one criterion; ``None`` clears it.

        The comment already written is kept. Returns the save time (aware, UTC), or None
        when the value is unchanged and nothing was written.

        Raises
        ------
        ReviewError
            Submitted application, unknown criterion, a score not on the criterion's scale.
        StoreError
            The store refused or could not save (the message says why).
        """
        app = self._app(application)
        crit = self._criterion(criterion)
        if score is not None and not crit.is_allowed(score):
            allowed = "、".join(format_level(v) for v in crit.levels)
            raise ReviewError(
                f"評価項目「{crit.label_ja}」の点数 {score} は使えません。次のいずれかにしてください: {allowed}"
            )
        new_score = None if score is None else float(score)
        return self._save(app, criterion, lambda old: replace(old, score=new_score))

    def set_comment(self, criterion: str, comment: str, application: str | None = None) -> dt.datetime | None:
        """Set (autosave) the own comment of one criterion; the score is kept.

        Leading and trailing white space is removed; line breaks become newlines and other
        control characters are removed (:func:`scoring.core.text.strip_controls`). Returns the save time (aware, UTC),
        or None when the comment is unchanged and nothing was written.

        Raises
        ------
        ReviewError, StoreError
            As :meth:`set_score`.
        """
        app = self._app(application)
        self._criterion(criterion)
        text = strip_controls(
            comment or ""
        ).strip()  # invisible characters of a paste; the store checks the rest
        return self._save(app, criterion, lambda old: replace(old, comment=text))

    def set_to_applicant(
        self, criterion: str, text: str, application: str | None = None
    ) -> dt.datetime | None:
        """Set (autosave) the own 申請者への所見 of one criterion; score and comment are kept.

        What the reviewer writes for the applicant (it may be quoted in the 講評 after the
        事務局's review), unlike the comment (for the 事務局 and the committee). Optional at
        every level. Cleaned like :meth:`set_comment`. Returns the save time (aware, UTC), or
        None when it is unchanged and nothing was written.

        Raises
        ------
        ReviewError, StoreError
            As :meth:`set_score`.
        """
        app = self._app(application)
        self._criterion(criterion)
        note = strip_controls(text or "").strip()
        return self._save(app, criterion, lambda old: replace(old, to_applicant=note))

    def comment_missing(self, criterion: str, application: str | None = None) -> bool:
        """True when the chosen level requires a comment (rubric) and none is written."""
        crit = self._criterion(criterion)
        e = self.entry(criterion, application)
        return e.score is not None and crit.comment_required(e.score) and not e.comment.strip()

    def missing(self, application: str | None = None) -> list[str]:
        """What is still needed before the application can be submitted (Japanese, one per item)."""
        app = self._app(application)
        out: list[str] = []
        for c in self.criteria:
            e = self._entry(app, c.id)
            if e.score is None:
                out.append(f"「{c.label_ja}」の点数")
            elif c.comment_required(e.score) and not e.comment.strip():
                out.append(f"「{c.label_ja}」のコメント（{format_level(e.score)}点には理由が必要です）")
        return out

    def submit(self, application: str | None = None) -> str | None:
        """Submit (提出) the application after checking it is complete.

        Returns the receipt code (受領コード) the store gives (also kept in
        :attr:`receipts`), for the reviewer to note and check later with
        ``python -m scoring verify-receipt``.

        Raises
        ------
        ReviewError
            Already submitted, or incomplete (the message lists every missing item).
        StoreError
            The store refused.
        """
        app = self._app(application)
        if self.unsaved:
            self.retry_unsaved()
        self._sync(app)
        self._writable(app)
        todo = self.missing(app)
        if todo:
            raise ReviewError(
                f"応募書 {app}（{self._name(app)}）はまだ提出できません。次を入力してください: "
                + "、".join(todo)
            )
        code = self.store.submit(self.reviewer, app)
        if code:
            self.receipts[app] = code
        self._status[app] = self.store.status(self.reviewer, app)
        self.last_saved_at = self._clock()
        return code

    def revise(self, criterion: str, score: float, reason: str, application: str | None = None) -> int:
        """After the discussion (協議), revise one submitted score with a reason (second stage).

        The submitted score and its receipt stay in the record; the revision is a new event
        (:meth:`scoring.store.scores.ScoreStore.revise`) that the combination uses. Returns
        the event id.

        Raises
        ------
        ReviewError
            The application is not submitted (change a draft with :meth:`set_score`), the
            score is not on the scale, or the reason is empty.
        StoreError
            The store refused.
        """
        app = self._app(application)
        crit = self._criterion(criterion)
        if self._status.get(app) != "提出済":
            raise ReviewError(
                f"応募書 {app}（{self._name(app)}）は提出前です。協議後の修正ではなく、"
                "そのまま点数を直してください。"
            )
        if not crit.is_allowed(score):
            allowed = "、".join(format_level(v) for v in crit.levels)
            raise ReviewError(
                f"評価項目「{crit.label_ja}」の点数 {score} は使えません。次のいずれかにしてください: {allowed}"
            )
        if not (reason or "").strip():
            raise ReviewError("協議後の修正には理由が必要です。協議で分かったことを入力してください。")
        eid = self.store.revise(
            self.reviewer, app, criterion, float(score), reason=reason.strip(), source="widget"
        )
        old = self._entries[app].get(criterion, ScoreEntry())
        self._entries[app][criterion] = replace(old, score=float(score))
        self.last_saved_at = self._clock()
        return eid
