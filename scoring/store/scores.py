"""The score store (採点データベース): an append-only, hash-chained event log of scores.

Every save of a score, every submission (提出) and every reopening (再開) is one *event*,
appended to the table ``score_events`` and never changed. The current scores, and the
status of each (reviewer, application) pair, are derived from the log. Each event carries
the SHA-256 hash of its canonical fields and of the previous event's hash, so the log is a
hash chain: :meth:`ScoreStore.audit` (``python -m scoring audit``) finds any event that
was altered or removed afterwards.

The store is built in layers, each importing only the ones below it:

* :mod:`scoring.store.eventlog`: :class:`~scoring.store.eventlog.EventLog`, the database
  (SQLite or PostgreSQL), its tables and migrations, transactions, the locked append and
  the chain (it knows nothing of rubrics or rounds);
* :mod:`scoring.store.base`: the round's facts (:class:`~scoring.core.roundfacts.RoundFacts`)
  and the checks of a cell, a pair and a record;
* :mod:`scoring.store.reads`: scores, statuses, revisions, receipts, records, events;
* :mod:`scoring.store.audit`: the audit, the checkpoints and the receipt check;
* this module: :class:`ScoreStore`, the writes (scores, submissions, reopenings,
  revisions and generic records such as the committee's decision).

The structured content of a record (a decision, an eligibility decision, a revision's
reason) is a JSON object in the ``payload`` column (schema version 2); what it means is
up to the stage that owns it (:mod:`scoring.round.decision`,
:mod:`scoring.round.eligibility_records`). Tables and backends: :mod:`scoring.store.eventlog`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..core.canonical import canonical_text
from ..core.columns import AUDIT_COLUMNS, EVENT_COLUMNS, RECEIPT_COLUMNS, REVISION_COLUMNS, STATUS_COLUMNS
from ..core.errors import StoreError, StoreUnavailableError
from ..core.roundfacts import RoundFacts, format_level
from .audit import Audit, StoreAudit
from .base import (
    DB_FILENAME,
    KINDS,
    NO_EVENTS,
    RECORD_KINDS,
    RELEASE_KINDS,
    SOURCES,
    STAGES,
    STATUSES,
    PairVersion,
    StoreFactsSource,
    default_url,
    is_missing,
    note_payload,
)
from .checkpoints import Receipt, new_nonce
from .eventlog import (
    ACCESS_KINDS,
    ACCESS_PAIRS_TABLE,
    ACCESS_ROLES_TABLE,
    COMMITTEE_EVENTS_VIEW,
    GENESIS_HASH,
    AppendTx,
    event_hash,
)
from .pairguard import changed_pairs, conflict_error
from .statements import Signer

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = [
    "ACCESS_KINDS",
    "ACCESS_PAIRS_TABLE",
    "ACCESS_ROLES_TABLE",
    "AUDIT_COLUMNS",
    "COMMITTEE_EVENTS_VIEW",
    "DB_FILENAME",
    "EVENT_COLUMNS",
    "GENESIS_HASH",
    "KINDS",
    "NO_EVENTS",
    "RECEIPT_COLUMNS",
    "RECORD_KINDS",
    "REVISION_COLUMNS",
    "SOURCES",
    "STAGES",
    "STATUSES",
    "STATUS_COLUMNS",
    "Audit",
    "PairVersion",
    "RoundFacts",
    "ScoreStore",
    "StoreError",
    "StoreFactsSource",
    "StoreUnavailableError",
    "default_url",
    "event_hash",
]


class ScoreStore(StoreAudit):
    """The score store of one review round.

    Parameters
    ----------
    url : str
        SQLAlchemy URL: ``sqlite:////abs/path/scores.sqlite`` or
        ``postgresql+psycopg://user:pw@host/db`` (plain ``postgresql://`` is read as
        psycopg 3). Tables are created when missing, and migrated from an older schema.
    rnd : RoundFacts or ReviewRound
        What every write is validated against: :class:`~scoring.core.roundfacts.RoundFacts`,
        or anything with ``store_facts()`` and ``path`` (a ``ReviewRound``).

    Raises
    ------
    StoreError
        The database cannot be opened, or it belongs to another round.

    Notes
    -----
    Refusals (all :class:`StoreError`, Japanese, naming what and what to do): a score not
    on the criterion's scale or off its step, a non-numeric score, an unknown reviewer,
    application or criterion, a reviewer scoring an application they are in conflict with
    (利害関係), any change to a submitted pair until the analyst reopens it, a submission
    with an unscored criterion or a missing required comment, an unknown ``source``.

    Examples
    --------
    >>> store = ScoreStore.open(rnd)                      # doctest: +SKIP
    >>> store.record("R1", "01", "need_pool_gap", 4)      # doctest: +SKIP
    >>> store.scores()                                    # doctest: +SKIP
    """

    @classmethod
    def open(
        cls,
        rnd: StoreFactsSource,
        url: str | None = None,
        *,
        checkpoint_file: str | os.PathLike[str] | None = None,
        signer: Signer | None = None,
    ) -> ScoreStore:
        """Open (creating if needed) the store of ``rnd``.

        The URL is ``url`` if given, else ``$SCORING_DATABASE_URL``, else the SQLite file
        ``scores.sqlite`` in the round folder. The checkpoint file is ``checkpoint_file``
        if given, else :func:`scoring.store.checkpoints.checkpoint_path` of the URL
        (``checkpoints.jsonl`` in the round folder for the round's own SQLite file).
        ``signer`` signs every submission (:mod:`scoring.store.statements`); by default the
        reviewer of a reviewer's database role with their own key, else the analyst
        (``analyst:<account>``) with this account's key.
        """
        return cls(url or default_url(rnd), rnd, checkpoint_file=checkpoint_file, signer=signer)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release all database connections."""
        self.log.close()

    def __repr__(self) -> str:
        return f"ScoreStore({self.url!r}, round={self.facts.name!r})"

    # ------------------------------------------------------------------ writing
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
        actor: str | None = None,
    ) -> int:
        """Record one score (and its comment) as a new event; returns the event id.

        Parameters
        ----------
        reviewer, application, criterion : str
            Reviewer id, application id (2-digit JIS code), criterion id.
        score : float or None
            A level of the criterion's scale. ``None`` (or NaN) records no score: it clears
            an earlier score, or saves a comment before scoring.
        comment : str
            The comment for this criterion as it now stands (replaces the earlier one): the
            reviewer's note for the analyst and the committee, never quoted in a letter.
        to_applicant : str
            申請者への所見: what the reviewer writes for the applicant on this criterion, as it
            now stands (replaces the earlier one; "" clears it). Kept in the event's
            ``payload`` (``{"to_applicant": ...}``, covered by the hash chain; hidden from the
            committee's role like the comments); only this text can reach a 講評.
        source : str
            One of :data:`SOURCES`; the widget saves with ``"widget"``.
        actor : str, optional
            Who did it, if not the reviewer (e.g. the analyst who imported a file).

        Raises
        ------
        StoreError
            See the class notes; also when the pair is already submitted.
        """
        src = self._check_source(source)
        r, a, c, value, text = self._check_cell(reviewer, application, criterion, score, comment)
        note = self._check_note(a, c, to_applicant)
        with self.log.locked(f"{self._pair_label(r, a)}の点数") as tx:
            self._refuse_submitted(tx.conn, {(r, a)})
            return tx.append(
                kind="score",
                reviewer=r,
                application=a,
                criterion=c,
                score=value,
                comment=text,
                rubric_version=self._rubric_version,
                source=src,
                actor=actor or r,
                payload=note_payload(note),
            )

    def record_many(
        self,
        rows: Iterable[Mapping[str, object]],
        *,
        source: str = "excel",
        submit: Iterable[tuple[str, str]] = (),
        require_empty: bool = False,
        actor: str | None = None,
        expected: Mapping[tuple[str, str], int] | None = None,
    ) -> int:
        """Record many scores atomically: all rows are validated, then written in one transaction.

        Parameters
        ----------
        rows : iterable of mappings
            Keys ``reviewer``, ``application``, ``criterion``, ``score``, optionally ``comment``
            and ``to_applicant`` (:meth:`record`); a DataFrame works too. Later rows win.
        source : str
            One of :data:`SOURCES` (an Excel import uses ``"excel"``).
        submit : iterable of (reviewer, application)
            Pairs to submit in the same transaction, after the rows are written; each must
            then be complete.
        require_empty : bool
            Refuse unless the log is still empty (used to seed demo data exactly once).
        actor : str, optional
            Who did it, if not the reviewer of each row.
        expected : mapping, optional
            Compare-and-swap, under the write lock: ``(reviewer, application)`` → the pair's
            :meth:`pair_versions` ``last_id`` when the write was planned (left out: no events).

        Returns
        -------
        int
            Number of score events written (``len(rows)``).

        Raises
        ------
        StoreError
            If any row is invalid (``problems`` lists every refused row, numbered from 1),
            any pair is already submitted, a pair to submit is incomplete, or
            ``require_empty`` and the log has events. Nothing is written then.
        StoreConflictError
            A pair changed since ``expected`` (:mod:`scoring.store.pairguard`); nothing written.
        """
        src = self._check_source(source)
        valid, to_submit, notes = self._check_rows(rows, submit)
        anchored = bool(to_submit) or src in ("excel", "import")
        key = self._signing_key() if anchored else None
        signer = self._submission_signer() if to_submit else None
        receipts: list[Receipt] = []
        whose = sorted({r for r, *_ in valid} | {r for r, _ in to_submit})
        with self.log.locked(f"審査員 {'、'.join(whose)} の点数") as tx:
            if require_empty and tx.last_id > 0:
                raise StoreError(
                    f"採点データベース（{self.url}）には既に {tx.last_id} 件の記録があるため、"
                    "何も書き込みませんでした。作り直す場合は、データベースのファイルを削除してから実行してください。"
                )
            pairs = {(r, a) for r, a, *_ in valid} | set(to_submit)
            if expected is not None and (changes := changed_pairs(tx.conn, pairs, expected)):
                raise conflict_error(changes, self._pair_label)
            self._refuse_submitted(tx.conn, pairs)
            for (r, a, c, value, text), note in zip(valid, notes, strict=True):
                tx.append(
                    kind="score",
                    reviewer=r,
                    application=a,
                    criterion=c,
                    score=value,
                    comment=text,
                    rubric_version=self._rubric_version,
                    source=src,
                    actor=actor or r,
                    payload=note_payload(note),
                )
            if to_submit:
                assert signer is not None
                receipts = self._submit_batch(tx, valid, notes, to_submit, src, actor, signer)
        if anchored:
            self._anchor("import" if src in ("excel", "import") else "submit", key, receipts)
        return len(valid)

    def _check_rows(
        self, rows: Iterable[Mapping[str, object]], submit: Iterable[tuple[str, str]]
    ) -> tuple[list[tuple[str, str, str, float | None, str]], list[tuple[str, str]], list[str]]:
        """The rows, the pairs to submit and the rows' 申請者への所見 of :meth:`record_many`,
        checked (every problem at once)."""
        if isinstance(rows, pd.DataFrame):
            rows = rows.to_dict("records")  # type: ignore[assignment]
        valid: list[tuple[str, str, str, float | None, str]] = []
        notes: list[str] = []
        problems: list[str] = []
        for i, row in enumerate(rows, start=1):
            lacking = [k for k in ("reviewer", "application", "criterion", "score") if k not in row]
            if lacking:
                problems.append(f"{i}件目: 列 {'、'.join(lacking)} がありません")
                continue
            try:
                cell = self._check_cell(
                    row["reviewer"],
                    row["application"],
                    row["criterion"],
                    row["score"],
                    row.get("comment", ""),
                )
                notes.append(self._check_note(cell[1], cell[2], row.get("to_applicant", "")))
                valid.append(cell)
            except StoreError as e:
                problems.append(f"{i}件目: {e}")
        to_submit: list[tuple[str, str]] = []
        for j, pair in enumerate(submit, start=1):
            try:
                to_submit.append(self._check_pair(*pair))
            except (StoreError, TypeError) as e:
                problems.append(f"提出 {j}件目: {e}")
        if problems:
            raise StoreError(
                f"{len(problems)} 件の問題があるため、何も記録しませんでした。直してからもう一度実行してください。\n"
                + "\n".join(problems),
                problems=problems,
            )
        return valid, to_submit, notes

    def _submit_batch(
        self,
        tx: AppendTx,
        valid: list[tuple[str, str, str, float | None, str]],
        notes: list[str],
        to_submit: list[tuple[str, str]],
        src: str,
        actor: str | None,
        signer: Signer,
    ) -> list[Receipt]:
        """Append the submissions of :meth:`record_many` (after its rows, whose 所見 are ``notes``); their receipts."""
        batch: dict[tuple[str, str], dict[str, tuple[float | None, str]]] = {}
        batch_notes: dict[tuple[str, str], dict[str, str]] = {}
        for (r, a, c, value, text), note in zip(valid, notes, strict=True):
            batch.setdefault((r, a), {})[c] = (value, text)
            batch_notes.setdefault((r, a), {})[c] = note
        incomplete: list[str] = []
        receipts: list[Receipt] = []
        for r, a in dict.fromkeys(to_submit):
            cells = self._cells(tx.conn, r, a)
            cells.update(batch.get((r, a), {}))
            cell_notes = self._cell_notes(tx.conn, r, a) | batch_notes.get((r, a), {})
            missing = self._missing(cells)
            if missing:
                incomplete.append(str(self._incomplete_error(r, a, missing)))
            receipts.append(self._append_submit(tx, signer, r, a, cells, src, actor, cell_notes))
        if incomplete:
            raise StoreError(
                "提出できない組があるため、何も記録しませんでした。\n" + "\n".join(incomplete),
                problems=incomplete,
            )
        return receipts

    def _append_submit(
        self,
        tx: AppendTx,
        signer: Signer,
        r: str,
        a: str,
        cells: dict[str, tuple[float | None, str]],
        src: str,
        actor: str | None,
        notes: Mapping[str, str] | None = None,
    ) -> Receipt:
        """Append one signed submit event of pair (``r``, ``a``) to ``tx`` (its signature covers
        the 申請者への所見 ``notes``); its receipt."""
        nonce = new_nonce()
        payload, signature = self._signed_submit(signer, r, a, nonce, cells, notes)
        eid = tx.append(
            kind="submit",
            reviewer=r,
            application=a,
            criterion=None,
            score=None,
            comment=nonce,
            rubric_version=self._rubric_version,
            source=src,
            actor=actor or r,
            payload=payload,
        )
        return self._receipt(r, a, eid, nonce, cells, signature)

    def submit(
        self, reviewer: str, application: str, *, source: str = "widget", actor: str | None = None
    ) -> str:
        """Submit (提出) a reviewer's scores of one application; afterwards they are locked.

        The submission is signed (:mod:`scoring.store.statements`): by the reviewer with their
        own key on their database role, else by the analyst; the submit event's ``payload``
        holds the signature. Writes a signed checkpoint (:mod:`scoring.store.checkpoints`)
        recording the receipt.

        Returns
        -------
        str
            The reviewer's receipt code (受領コード, e.g. ``3f9a-1c22-7b0e-d4a1``): a hash of
            the signature over the submitted scores and comments; ``python -m scoring
            verify-receipt`` checks it later. :meth:`receipts` lists the codes of every submitted pair.

        Raises
        ------
        StoreError
            Unknown reviewer/application, conflict, already submitted, or incomplete: the
            message lists every unscored criterion and every missing required comment.
        """
        src = self._check_source(source)
        r, a = self._check_pair(reviewer, application)
        key = self._signing_key()
        signer = self._submission_signer()
        with self.log.locked(f"{self._pair_label(r, a)}の提出") as tx:
            if self._last_control(tx.conn, {(r, a)}).get((r, a)) == "submit":
                raise StoreError(
                    f"{self._pair_label(r, a)}の採点は既に提出済みです。"
                    "変更が必要な場合は、事務局に再開を依頼してください。"
                )
            cells = self._cells(tx.conn, r, a)
            missing = self._missing(cells)
            if missing:
                raise self._incomplete_error(r, a, missing)
            notes = self._cell_notes(tx.conn, r, a)
            receipt = self._append_submit(tx, signer, r, a, cells, src, actor, notes)
        self._anchor("submit", key, [receipt])
        return receipt.code

    def reopen(
        self, reviewer: str, application: str, *, by: str, reason: str, source: str = "analyst"
    ) -> None:
        """Reopen a submitted pair so that the reviewer can change it (an analyst action, logged).

        Parameters
        ----------
        by : str
            Who reopens it (the analyst); stored as the event's ``actor``.
        reason : str
            Why; stored as the event's ``comment``. Required.

        Raises
        ------
        StoreError
            Unknown reviewer/application, ``by`` or ``reason`` empty, or the pair is not
            submitted.
        """
        src = self._check_source(source)
        if not isinstance(reviewer, str) or self.facts.reviewer(reviewer) is None:
            raise StoreError(
                f"審査員ID「{reviewer}」は reviewers.yaml にないため、再開できません。審査員IDを確認してください。"
            )
        if not isinstance(application, str) or application not in self._apps:
            raise StoreError(
                f"応募「{application}」はこの審査ラウンドにないため、再開できません。都道府県コードを確認してください。"
            )
        who = self._check_analyst(by, reviewer, "再開")
        if not isinstance(reason, str) or not reason.strip():
            raise StoreError("再開の理由（reason）が空です。理由を入力してください（記録に残ります）。")
        reason = self._check_text(reason, "再開の理由")
        r, a = reviewer, application
        key = self._signing_key()
        with self.log.locked(f"{self._pair_label(r, a)}の再開") as tx:
            if self._last_control(tx.conn, {(r, a)}).get((r, a)) != "submit":
                raise StoreError(
                    f"{self._pair_label(r, a)}は提出されていないため、再開する必要はありません。"
                )
            tx.append(
                kind="reopen",
                reviewer=r,
                application=a,
                criterion=None,
                score=None,
                comment=reason.strip(),
                rubric_version=self._rubric_version,
                source=src,
                actor=who,
            )
        self._anchor("reopen", key)

    def release(
        self,
        reviewer: str,
        application: str,
        *,
        action: str,
        by: str,
        reason: str,
        to: str = "",
        source: str = "analyst",
    ) -> int:
        """Release a pair that will not be submitted (an analyst action, logged); the event id.

        ``action`` ``"excuse"`` (免除: the pair is no longer asked of the reviewer) or
        ``"reassign"`` (担当替え: the application goes to reviewer ``to`` instead). The event
        has that kind, the pair, ``actor`` = ``by`` and ``{"reason": …, "to": …}`` as its
        ``payload``; it is part of the chain and anchored like a reopening. The pair's status
        becomes 免除 or 担当替え (:meth:`statuses`) until the reviewer submits it after all.

        Raises
        ------
        StoreError
            Unknown reviewer/application/``to``, ``by`` empty or the reviewer themselves,
            reason empty, ``to`` in conflict with the application or the same reviewer, or
            the pair is already submitted (nothing to release).
        """
        src = self._check_source(source)
        if action not in RELEASE_KINDS:
            raise StoreError(
                f"操作「{action}」は使えません。次のいずれかにしてください: {'、'.join(RELEASE_KINDS)}"
            )
        what = {"excuse": "免除", "reassign": "担当替え"}[action]
        r, a = self._check_pair(reviewer, application, analyst=True)
        who = self._check_analyst(by, r, what)
        if not isinstance(reason, str) or not reason.strip():
            raise StoreError(f"{what}の理由（reason）が空です。理由を入力してください（記録に残ります）。")
        reason = self._check_text(reason, f"{what}の理由")
        payload: dict[str, str] = {"reason": reason}
        if action == "reassign":
            if to == r:
                raise StoreError(
                    f"担当替えの先（--to）が同じ{self._reviewer_label(r)}です。別の審査員を指定してください。"
                )
            payload["to"] = self._check_pair(to, a, analyst=True)[0]
        key = self._signing_key()
        with self.log.locked(f"{self._pair_label(r, a)}の{what}") as tx:
            if self._last_control(tx.conn, {(r, a)}).get((r, a)) == "submit":
                raise StoreError(
                    f"{self._pair_label(r, a)}は提出済みのため、{what}は不要です"
                    "（点数を変えるときは再開 python -m scoring reopen を使ってください）。"
                )
            eid = tx.append(
                kind=action,
                reviewer=r,
                application=a,
                criterion=None,
                score=None,
                comment="",
                rubric_version=self._rubric_version,
                source=src,
                actor=who,
                payload=canonical_text(payload),
            )
        self._anchor(action, key)
        return eid

    def append_record(
        self,
        kind: str,
        *,
        application: str = "",
        payload: Mapping[str, Any],
        by: str,
        source: str = "analyst",
    ) -> int:
        """Append a record (the committee's decision, an eligibility decision) to the log; its id.

        The event has ``kind`` (one of :data:`RECORD_KINDS`), ``application`` (``""`` for a
        record about the whole round), ``reviewer`` and ``comment`` empty, ``payload`` =
        :func:`~scoring.core.canonical.canonical_text` of ``payload`` and ``actor`` = ``by``.
        It is part of the hash chain, is anchored by a signed checkpoint, and changes no
        score or status. What the content means, and when it may be recorded, is checked
        by the stage that owns it (:mod:`scoring.round.decision`,
        :mod:`scoring.round.eligibility_records`); :meth:`records` reads them back.

        Raises
        ------
        StoreError
            Unknown ``kind`` or application, ``by`` empty, ``payload`` not a mapping that
            JSON can hold (NaN refused).
        """
        src = self._check_source(source)
        text, who = self._check_record(kind, application, payload, by)
        key = self._signing_key()
        with self.log.locked() as tx:
            eid = tx.append(
                kind=kind,
                reviewer="",
                application=application,
                criterion=None,
                score=None,
                comment="",
                rubric_version=self._rubric_version,
                source=src,
                actor=who,
                payload=text,
            )
        self._anchor(kind, key)
        return eid

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
    ) -> int:
        """Record a second-stage score (協議後の修正) of a submitted pair; returns the event id.

        After the discussion (協議) a reviewer may change a submitted score. The change is a
        new event of kind ``"revise"`` (the submitted first-stage score and its receipt stay
        as they were), with ``{"reason": reason}`` as its ``payload`` and ``by`` (default the
        reviewer) as its ``actor``. :meth:`scores` with ``stage="final"`` (the default) reads
        it, and :meth:`revisions` lists every revision beside the first-stage score. A signed
        checkpoint anchors it like a submission.

        Raises
        ------
        StoreError
            Unknown reviewer/application/criterion, a conflict, a score off the scale, an
            empty reason, a pair that is not submitted (a draft is changed by scoring it), or
            the same score as the current one (nothing to revise).
        """
        src = self._check_source(source)
        if not isinstance(reason, str) or not reason.strip():
            raise StoreError(
                "修正の理由（reason）が空です。協議で何が分かって点数を変えるのかを入力してください（記録に残ります）。"
            )
        reason = self._check_text(reason, "修正の理由")
        if is_missing(score):
            raise StoreError("修正後の点数が空です。評価基準の尺度の点数を入力してください。")
        r, a, c, value, _ = self._check_cell(reviewer, application, criterion, score, "", analyst=True)
        actor = (by or r).strip() if isinstance(by or r, str) else r
        key = self._signing_key()
        with self.log.locked() as tx:
            if self._last_control(tx.conn, {(r, a)}).get((r, a)) != "submit":
                raise StoreError(
                    f"{self._pair_label(r, a)}は提出されていないため、協議後の修正は"
                    "記録できません。提出前の点数は採点画面か採点表で直してください。"
                )
            current = self._current_scores(tx.conn, r, a).get(c)
            if current is not None and value is not None and abs(float(current) - value) < 1e-9:
                crit = self.facts.criterion(c)
                label = crit.label_ja if crit is not None else c
                raise StoreError(
                    f"{self._pair_label(r, a)}の評価項目「{label}」は"
                    f"既に {format_level(value)} 点です。修正する点数を確かめてください。"
                )
            eid = tx.append(
                kind="revise",
                reviewer=r,
                application=a,
                criterion=c,
                score=value,
                comment="",
                rubric_version=self._rubric_version,
                source=src,
                actor=actor,
                payload=canonical_text({"reason": reason.strip()}),
            )
        self._anchor("revise", key)
        return eid
