"""The saving half of the review session: autosave, two screens of one reviewer, and values
kept while the store cannot be reached.

:class:`SessionBase` holds the state of :class:`scoring.review.session.ReviewSession` that
saving needs (the reviewer's own entries, statuses and the pairs' versions as loaded) and
the methods that save one value (:meth:`SessionBase._save`), bring a pair up to date
(:meth:`SessionBase.check_changes`) and keep or retry unsaved values
(:meth:`SessionBase.retry_unsaved`); see the class notes of ``ReviewSession``.
:class:`SessionStore` is what the session needs of the score store.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd

from ..core.errors import ReviewError, StoreUnavailableError
from ..store.scores import NO_EVENTS, PairVersion
from .entries import ExternalChange, ScoreEntry, clean_score, clean_text

if TYPE_CHECKING:
    from ..config.rubric import Criterion
    from ..round.loader import ReviewRound

__all__ = ["SessionBase", "SessionStore"]


class SessionStore(Protocol):
    """What the session needs from the score store (:class:`scoring.store.scores.ScoreStore`)."""

    def record(
        self,
        reviewer: str,
        application: str,
        criterion: str,
        score: float | None,
        comment: str = "",
        *,
        to_applicant: str = "",
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

    def own_notes(self, reviewer: str, application: str | None = None) -> dict[tuple[str, str], str]: ...


class SessionBase:
    """The state and the saving of a review session (the base of
    :class:`scoring.review.session.ReviewSession`, which sets these attributes)."""

    round: ReviewRound
    store: SessionStore
    reviewer: str
    applications: tuple[str, ...]
    last_saved_at: dt.datetime | None
    unsaved: dict[tuple[str, str], ScoreEntry]
    last_change: ExternalChange | None
    _clock: Callable[[], dt.datetime]
    _entries: dict[str, dict[str, ScoreEntry]]
    _status: dict[str, str]
    _versions: dict[str, PairVersion]
    _index: int

    @property
    def current(self) -> str | None:
        """The current application (JIS code), None when the reviewer has none."""
        return self.applications[self._index] if self.applications else None

    @property
    def _can_sync(self) -> bool:
        """Whether the store tells pair versions (a test double may not)."""
        return callable(getattr(type(self.store), "pair_versions", None))

    def _read_notes(self, application: str | None) -> dict[tuple[str, str], str]:
        """The reviewer's own 申請者への所見 by (application, criterion) (empty if the store cannot tell)."""
        if not callable(getattr(type(self.store), "own_notes", None)):
            return {}
        return self.store.own_notes(self.reviewer, application)

    def _read_versions(self, application: str | None) -> dict[str, PairVersion]:
        """The store's pair versions of this reviewer (empty if the store cannot tell)."""
        if not self._can_sync:
            return {}
        return self.store.pair_versions(self.reviewer, application)

    @property
    def criteria(self) -> list[Criterion]:
        """The rubric's criteria, in rubric order."""
        return list(self.round.rubric.criteria)

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

    def _entry(self, app: str, criterion: str) -> ScoreEntry:
        """The value on screen: unsaved if the store could not save it yet, else the saved one."""
        kept = self.unsaved.get((app, criterion))
        return kept if kept is not None else self._entries[app].get(criterion, ScoreEntry())

    @property
    def has_unsaved(self) -> bool:
        """True while some value waits for the store (see :meth:`retry_unsaved`)."""
        return bool(self.unsaved)

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
        fields = ("score", "comment", "to_applicant")
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
            self.reviewer,
            app,
            criterion,
            entry.score,
            entry.comment,
            to_applicant=entry.to_applicant,  # as it now stands: a save without it would clear it
            source="widget",
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
        notes = self._read_notes(app)
        fresh = {
            cid: ScoreEntry(clean_score(v), clean_text(m), notes.get((app, cid), ""))
            for cid, (v, m) in cells.items()
        }
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
        """:attr:`unsaved` as plain rows (application, criterion, score, comment, to_applicant),
        oldest first."""
        return [
            {
                "application": a,
                "criterion": c,
                "score": e.score,
                "comment": e.comment,
                "to_applicant": e.to_applicant,
            }
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
            entry = ScoreEntry(score, clean_text(row.get("comment")), clean_text(row.get("to_applicant")))
            self._keep_unsaved(app, cid, entry)
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
