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
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd

from ..config.rubric import format_level
from ..core.columns import HEADERS_JA
from ..core.errors import ReviewError, StoreUnavailableError
from ..core.reference import prefectures
from ..core.schema import FIELDS, FIELDS_BY_KEY, THEMES
from ..core.text import strip_controls
from ..store.scores import NO_EVENTS, PairVersion
from .entries import ExternalChange, Progress, ScoreEntry, clean_score, clean_text, display_value
from .identity import ReviewerIdentity, assigned_applications, identify_reviewer

if TYPE_CHECKING:
    from ..config.rubric import Criterion
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
#: Time zone in which save times are shown to reviewers.

#: Key fields of the summary panel: column of ``ReviewRound.applications`` → Japanese label.
SUMMARY_FIELDS: dict[str, str] = {
    "prefecture_name": HEADERS_JA["prefecture_name"],
    "block": HEADERS_JA["block"],
    "application_type": FIELDS_BY_KEY["application_type"].display_label,
    "theme": FIELDS_BY_KEY["theme"].display_label,
    "pool_status": FIELDS_BY_KEY["pool_status"].display_label,
    "pool_size_total": FIELDS_BY_KEY["pool_size_total"].display_label,
    "pool_accelerators": FIELDS_BY_KEY["pool_accelerators"].display_label,
    "municipalities_supported": FIELDS_BY_KEY["municipalities_supported"].display_label,
    "target_headcount": FIELDS_BY_KEY["target_headcount"].display_label,
    "target_date": FIELDS_BY_KEY["target_date"].display_label,
    "hr_coordination": FIELDS_BY_KEY["hr_coordination"].display_label,
    "finance_coordination": FIELDS_BY_KEY["finance_coordination"].display_label,
    "participating_municipalities": FIELDS_BY_KEY["participating_municipalities"].display_label,
    "submitted_at": "提出日時（日本時間）",
    "late": "期限後提出",
}

_TEXT_KINDS = ("longtext",)


class _Store(Protocol):
    """What the session needs from the score store (:class:`scoring.store.scores.ScoreStore`)."""

    def record(
        self,
        reviewer: str,
        application: str,
        criterion: str,
        score: float | None,
        comment: str = "",
        *,
        source: str = "widget",
    ) -> int: ...

    def submit(self, reviewer: str, application: str) -> str | None: ...

    def status(self, reviewer: str, application: str) -> str: ...

    def revise(
        self,
        reviewer: str,
        application: str,
        criterion: str,
        score: float,
        *,
        reason: str,
        by: str | None = None,
        source: str = "analyst",
    ) -> int: ...

    def scores(self, *, include_drafts: bool = True) -> pd.DataFrame: ...

    def pair_versions(self, reviewer: str, application: str | None = None) -> dict[str, PairVersion]: ...

    def pair_cells(self, reviewer: str, application: str) -> dict[str, tuple[float | None, str]]: ...


class ReviewSession:
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
        store: _Store,
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
        entries: dict[str, dict[str, ScoreEntry]] = {a: {} for a in self.applications}
        for row in frame.itertuples(index=False):
            app = str(row.application)
            if app in entries:
                entries[app][str(row.criterion)] = ScoreEntry(clean_score(row.score), clean_text(row.comment))
        self._entries = entries
        self._status = {a: self.store.status(self.reviewer, a) for a in self.applications}
        self._versions = versions
        return self

    @property
    def _can_sync(self) -> bool:
        """Whether the store tells pair versions (a test double may not)."""
        return callable(getattr(type(self.store), "pair_versions", None))

    def _read_versions(self, application: str | None) -> dict[str, PairVersion]:
        """The store's pair versions of this reviewer (empty if the store cannot tell)."""
        if not self._can_sync:
            return {}
        return self.store.pair_versions(self.reviewer, application)

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
    def criteria(self) -> list[Criterion]:
        """The rubric's criteria, in rubric order."""
        return list(self.round.rubric.criteria)

    @property
    def position(self) -> int:
        """Index of the current application in :attr:`applications`."""
        return self._index

    @property
    def current(self) -> str | None:
        """The current application (JIS code), None when the reviewer has none."""
        return self.applications[self._index] if self.applications else None

    def _app(self, application: str | None) -> str:
        app = self.current if application is None else str(application)
        if app is None:
            raise ReviewError("担当の応募書がありません。割り当てを事務局に確認してください。")
        if app not in self._entries:
            raise ReviewError(
                f"応募書 {app} はこの審査員（{self.reviewer}）の担当ではありません"
                "（利害関係がある、または割り当てられていません）。"
            )
        return app

    def entry(self, criterion: str, application: str | None = None) -> ScoreEntry:
        """Own score and comment for one criterion (empty :class:`ScoreEntry` if none)."""
        app = self._app(application)
        self._criterion(criterion)
        return self._entry(app, criterion)

    def _entry(self, app: str, criterion: str) -> ScoreEntry:
        """The value on screen: unsaved if the store could not save it yet, else the saved one."""
        kept = self.unsaved.get((app, criterion))
        return kept if kept is not None else self._entries[app].get(criterion, ScoreEntry())

    def saved_entry(self, criterion: str, application: str | None = None) -> ScoreEntry:
        """The value as saved in the store (what :meth:`entry` shows unless it is unsaved)."""
        app = self._app(application)
        self._criterion(criterion)
        return self._entries[app].get(criterion, ScoreEntry())

    @property
    def has_unsaved(self) -> bool:
        """True while some value waits for the store (see :meth:`retry_unsaved`)."""
        return bool(self.unsaved)

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
        """Key fields of the application: columns ``label``, ``value`` (display text).

        Index = field key (:data:`SUMMARY_FIELDS`). Missing values are shown as ``—``.
        """
        app = self._app(application)
        row = self.round.applications.loc[app]
        rows = []
        for key, label in SUMMARY_FIELDS.items():
            value = row.get(key) if key in row.index else None
            if key == "theme" and clean_text(value):
                text = f"{value}) {THEMES.get(str(value), '')}"
            else:
                text = display_value(value)
            rows.append({"field": key, "label": label, "value": text})
        return pd.DataFrame(rows, columns=["field", "label", "value"]).set_index("field")

    def indicators(self, application: str | None = None) -> pd.DataFrame:
        """Reference indicators (参考指標) the rubric attaches to criteria.

        Columns ``criterion``, ``criterion_label``, ``indicator``, ``label``, ``value``
        (float, NaN when unknown), ``unit``, ``source`` (応募書 / 統計). One row per
        criterion × indicator, in rubric order; context for the reviewer, never a score.
        """
        app = self._app(application)
        row = self.round.applications.loc[app]
        ref = None
        rows = []
        for c in self.criteria:
            for ind in c.indicators:
                value: Any = row.get(ind.field) if ind.field in row.index else None
                if value is None and ind.source == "reference":
                    ref = prefectures() if ref is None else ref
                    if ind.field in ref.columns and app in ref.index:
                        value = ref.at[app, ind.field]
                rows.append(
                    {
                        "criterion": c.id,
                        "criterion_label": c.label_ja,
                        "indicator": ind.id,
                        "label": ind.label_ja,
                        "value": clean_score(value),
                        "unit": ind.unit or "",
                        "source": "応募書" if ind.source == "application" else "統計",
                    }
                )
        columns = ["criterion", "criterion_label", "indicator", "label", "value", "unit", "source"]
        return pd.DataFrame(rows, columns=columns).astype({"value": "float64"})

    def sections(self, application: str | None = None) -> pd.DataFrame:
        """The text sections of the 応募書 (free-text fields), in form order.

        Columns ``section`` (e.g. ``3. 課題``), ``field``, ``label``, ``text``; empty
        fields are left out.
        """
        app = self._app(application)
        row = self.round.applications.loc[app]
        rows = [
            {
                "section": f.section,
                "field": f.key,
                "label": f.display_label,
                "text": clean_text(row.get(f.key)),
            }
            for f in FIELDS
            if f.kind in _TEXT_KINDS and f.key in row.index and clean_text(row.get(f.key)).strip()
        ]
        return pd.DataFrame(rows, columns=["section", "field", "label", "text"])

    def form(self, application: str | None = None) -> pd.DataFrame:
        """The whole 応募書: every field of :data:`scoring.core.schema.FIELDS`, in form order.

        Columns ``section`` (e.g. ``4. 人材確保の計画``), ``field``, ``label`` (with its
        unit), ``text`` (display text; ``—`` when not filled in), ``long`` (True for free
        text). Nothing is left out, so the reviewer sees what the prefecture wrote.
        """
        app = self._app(application)
        row = self.round.applications.loc[app]
        rows = []
        for f in FIELDS:
            value = row.get(f.key) if f.key in row.index else None
            if f.key == "prefecture" and "prefecture_name" in row.index:
                value = row.get("prefecture_name")
            if f.key == "theme" and clean_text(value):
                text = f"{value}) {THEMES.get(str(value), '')}"
            else:
                text = display_value(value).strip() or "—"
            rows.append(
                {
                    "section": f.section,
                    "field": f.key,
                    "label": f.display_label,
                    "text": text,
                    "long": f.kind in _TEXT_KINDS,
                }
            )
        return pd.DataFrame(rows, columns=["section", "field", "label", "text", "long"])

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

    def _criterion(self, criterion: str) -> Criterion:
        try:
            return self.round.rubric.criterion(criterion)
        except (KeyError, ValueError):
            ids = "、".join(c.id for c in self.criteria)
            raise ReviewError(
                f"評価項目「{criterion}」は評価基準にありません。次のいずれかです: {ids}"
            ) from None

    def _writable(self, app: str) -> None:
        if self._status.get(app) == "提出済":
            raise ReviewError(
                f"応募書 {app}（{self._name(app)}）は提出済みのため変更できません。"
                "変更が必要なときは事務局に再開を依頼してください。"
            )

    def _name(self, app: str) -> str:
        apps = self.round.applications
        return str(apps.at[app, "prefecture_name"]) if "prefecture_name" in apps else app

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
        return self._save(app, criterion, lambda old: ScoreEntry(new_score, old.comment))

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
        return self._save(app, criterion, lambda old: ScoreEntry(old.score, text))

    def _save(
        self, app: str, criterion: str, change: Callable[[ScoreEntry], ScoreEntry]
    ) -> dt.datetime | None:
        """Apply ``change`` to the criterion's value on screen and save it (None: unchanged).

        The pair is first brought up to date (:meth:`_sync`); when the store cannot be
        reached the new value is kept in :attr:`unsaved` and the error raised.
        """
        known = self._entries[app].get(criterion, ScoreEntry())
        try:
            changed, status_changed = self._sync(app)
        except StoreUnavailableError:
            shown = self._entry(app, criterion)
            if change(shown) == shown:
                return None  # nothing new to save, nothing to lose
            self._keep_unsaved(app, criterion, change(shown))
            raise
        # Applied to the fresh value: a comment saved here keeps a score set elsewhere.
        fresh = self._entries[app].get(criterion, ScoreEntry())
        entry = change(self._entry(app, criterion))
        unchanged = entry == fresh
        if (app, criterion) not in self.unsaved and unchanged:
            self._note_change(app, changed, (), status_changed)
            return None
        self._writable(app)
        fields = ("score", "comment")
        elsewhere = {f for f in fields if getattr(known, f) != getattr(fresh, f)}
        mine = {f for f in fields if getattr(entry, f) != getattr(fresh, f)}
        overwritten = (criterion,) if elsewhere & mine else ()
        try:
            self._write(app, criterion, entry)
        except StoreUnavailableError:
            self._keep_unsaved(app, criterion, entry)
            raise
        self._note_change(app, changed, overwritten, status_changed)
        return self.last_saved_at

    def _keep_unsaved(self, app: str, criterion: str, entry: ScoreEntry) -> None:
        self.unsaved.pop((app, criterion), None)  # re-inserted last: saved in the order entered
        self.unsaved[(app, criterion)] = entry

    def _write(self, app: str, criterion: str, entry: ScoreEntry) -> None:
        """Record one value; keep the pair's version when no other event came in between."""
        before = self._versions.get(app, NO_EVENTS)
        event_id = self.store.record(
            self.reviewer, app, criterion, entry.score, entry.comment, source="widget"
        )
        self.unsaved.pop((app, criterion), None)
        self._entries[app][criterion] = entry
        self._status[app] = self.store.status(self.reviewer, app)
        after = self._read_versions(app).get(app)
        if after is not None and after.last_id == event_id and after.events == before.events + 1:
            self._versions[app] = after  # only our event since the last sync
        self.last_saved_at = self._clock()

    def _sync(self, app: str) -> tuple[tuple[str, ...], bool]:
        """Reload the pair from the store if it changed elsewhere since it was loaded.

        Returns the criteria whose saved value changed (rubric order) and whether the
        status changed. Values in :attr:`unsaved` stay on screen.
        """
        if not self._can_sync:
            return (), False
        version = self._read_versions(app).get(app, NO_EVENTS)
        if version == self._versions.get(app, NO_EVENTS):
            return (), False
        cells = self.store.pair_cells(self.reviewer, app)
        fresh = {cid: ScoreEntry(clean_score(v), clean_text(m)) for cid, (v, m) in cells.items()}
        old = self._entries[app]
        changed = tuple(
            c.id for c in self.criteria if old.get(c.id, ScoreEntry()) != fresh.get(c.id, ScoreEntry())
        )
        status = self.store.status(self.reviewer, app)
        status_changed = status != self._status.get(app)
        self._entries[app] = fresh
        self._status[app] = status
        self._versions[app] = version
        return changed, status_changed

    def _note_change(
        self, app: str, changed: tuple[str, ...], overwritten: tuple[str, ...], status_changed: bool
    ) -> None:
        if changed or status_changed:
            self.last_change = ExternalChange(app, changed, overwritten, status_changed, self._clock())

    def check_changes(self, application: str | None = None) -> ExternalChange | None:
        """Reload the pair (default: the current one) if it changed elsewhere.

        Returns the :class:`ExternalChange` (also kept in :attr:`last_change`), or None
        when nothing changed.

        Raises
        ------
        StoreUnavailableError
            The store cannot be reached.
        """
        app = self._app(application)
        changed, status_changed = self._sync(app)
        if not (changed or status_changed):
            return None
        self._note_change(app, changed, (), status_changed)
        return self.last_change

    def unsaved_rows(self) -> list[dict[str, Any]]:
        """:attr:`unsaved` as plain rows (application, criterion, score, comment), oldest first."""
        return [
            {"application": a, "criterion": c, "score": e.score, "comment": e.comment}
            for (a, c), e in self.unsaved.items()
        ]

    def restore_unsaved(self, rows: list[dict[str, Any]]) -> int:
        """Take back values kept unsaved by an earlier session (a reload, a new kernel);
        :meth:`retry_unsaved` then saves them. Rows for applications or criteria that are
        not this reviewer's, or scores off the scale, are ignored. Returns how many were taken."""
        taken = 0
        for row in rows:
            app, cid = str(row.get("application")), str(row.get("criterion"))
            score = clean_score(row.get("score"))
            if app not in self._entries or cid not in {c.id for c in self.criteria}:
                continue
            if score is not None and not self._criterion(cid).is_allowed(score):
                continue
            self._keep_unsaved(app, cid, ScoreEntry(score, clean_text(row.get("comment"))))
            taken += 1
        return taken

    def retry_unsaved(self) -> int:
        """Save every value kept in :attr:`unsaved`, oldest first; returns how many were saved.

        Raises
        ------
        StoreUnavailableError
            The store still cannot be reached (the rest stays kept).
        ReviewError, StoreError
            A value can no longer be saved (e.g. the application was submitted in another
            screen): it is dropped, the message says which.
        """
        done = 0
        for (app, criterion), entry in list(self.unsaved.items()):
            try:
                changed, status_changed = self._sync(app)
                self._writable(app)
                overwritten = (criterion,) if criterion in changed else ()
                self._write(app, criterion, entry)
            except StoreUnavailableError:
                raise
            except Exception:
                self.unsaved.pop((app, criterion), None)
                raise
            if app == self.current:
                self._note_change(app, changed, overwritten, status_changed)
            done += 1
        return done

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
        self._entries[app][criterion] = ScoreEntry(float(score), old.comment)
        self.last_saved_at = self._clock()
        return eid
