"""Reading the score store: current scores, statuses, revisions, receipts, records, the raw log.

:class:`ScoreReads` is the reading half of :class:`~scoring.store.scores.ScoreStore`;
everything here is derived from the event log and nothing is written.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..core.columns import EVENT_COLUMNS, RECEIPT_COLUMNS, REVISION_COLUMNS, STATUS_COLUMNS
from ..core.errors import StoreError
from ..core.schema import SCORE_COLUMNS
from .base import PAIR_KINDS, RELEASE_KINDS, STAGES, TO_APPLICANT, PairVersion, StoreBase, is_missing
from .checkpoints import receipt_code
from .constraints import readable_comment, refuse_impossible_cells
from .eventlog import EVENTS, record_payload, with_payloads
from .statements import payload_note, submit_receipt

__all__ = ["RELEASED_JA", "REVIEW_EVENT_KINDS", "ScoreReads"]

#: The status of a pair the analyst released (:meth:`ScoreStore.release`), by kind.
RELEASED_JA = {"excuse": "免除", "reassign": "担当替え"}
#: The analyst's actions on a reviewer's pair, in Japanese (:meth:`ScoreReads.review_events`).
REVIEW_EVENT_KINDS = {"reopen": "再開", **RELEASED_JA}


class ScoreReads(StoreBase):
    """The reading methods of :class:`~scoring.store.scores.ScoreStore`."""

    def head(self) -> tuple[int, str]:
        """Id and hash of the last event (``(0, GENESIS_HASH)`` when empty).

        Writing the hash into the committee's minutes anchors the log: a later rewrite of
        the whole chain would no longer end in it.
        """
        return self.log.head()

    def _pair_status(self, conn: Connection, *, released: bool = False) -> dict[tuple[str, str], str]:
        """Status of each pair with events; ``released``: 免除 / 担当替え for a pair the analyst
        released (:meth:`ScoreStore.release`) and that was not submitted after."""
        out: dict[tuple[str, str], str] = {}
        kinds = PAIR_KINDS + RELEASE_KINDS if released else PAIR_KINDS
        q = (
            sa.select(EVENTS.c.reviewer, EVENTS.c.application, EVENTS.c.kind)
            .where(EVENTS.c.kind.in_(kinds))
            .order_by(EVENTS.c.id)
        )
        for r, a, kind in conn.execute(q):
            if kind == "submit":
                out[(r, a)] = "提出済"
            elif kind in RELEASE_KINDS:
                out[(r, a)] = RELEASED_JA[kind]
            elif kind == "reopen" or (r, a) not in out:
                out[(r, a)] = "下書き"
        return out

    def status(self, reviewer: str, application: str) -> str:
        """``"未着手"`` (nothing recorded), ``"下書き"`` (draft) or ``"提出済"`` (submitted)."""
        if not isinstance(reviewer, str) or self.facts.reviewer(reviewer) is None:
            raise StoreError(
                f"審査員ID「{reviewer}」は reviewers.yaml にありません。審査員IDを確認してください。"
            )
        if not isinstance(application, str) or application not in self._apps:
            raise StoreError(
                f"応募「{application}」はこの審査ラウンドにありません。都道府県コードを確認してください。"
            )
        with self.log.transaction(write=False) as conn:
            rows = (
                conn.execute(
                    sa.select(EVENTS.c.kind)
                    .where(
                        EVENTS.c.reviewer == reviewer,
                        EVENTS.c.application == application,
                        EVENTS.c.kind.in_(PAIR_KINDS),
                    )
                    .order_by(EVENTS.c.id)
                )
                .scalars()
                .all()
            )
        status = "未着手"
        for kind in rows:
            if kind == "submit":
                status = "提出済"
            elif kind == "reopen" or status == "未着手":
                status = "下書き"
        return status

    def pair_versions(self, reviewer: str, application: str | None = None) -> dict[str, PairVersion]:
        """The :class:`PairVersion` of each of a reviewer's pairs that has events.

        One cheap query; a screen compares it with what it loaded to notice a change made
        elsewhere (another browser tab of the same reviewer). Only ``reviewer``'s rows are
        read. ``application`` limits it to one pair.
        """
        q = (
            sa.select(
                EVENTS.c.application, sa.func.count().label("n"), sa.func.max(EVENTS.c.id).label("last")
            )
            .where(EVENTS.c.reviewer == reviewer, EVENTS.c.kind.in_(PAIR_KINDS))
            .group_by(EVENTS.c.application)
        )
        if application is not None:
            q = q.where(EVENTS.c.application == application)
        agg = q.subquery()
        joined = sa.select(agg.c.application, agg.c.n, agg.c.last, EVENTS.c.hash).join_from(
            agg, EVENTS, EVENTS.c.id == agg.c.last
        )
        with self.log.transaction(write=False) as conn:
            rows = conn.execute(joined).all()
        return {str(a): PairVersion(int(n), int(last), str(h)) for a, n, last, h in rows}

    def pair_cells(self, reviewer: str, application: str) -> dict[str, tuple[float | None, str]]:
        """The current score and comment of each criterion of one pair that has a score event
        (``{criterion: (score or None, comment)}``); only ``reviewer``'s rows are read."""
        with self.log.transaction(write=False) as conn:
            cells = self._cells(conn, reviewer, application)
        return {c: (None if v is None or is_missing(v) else float(v), m or "") for c, (v, m) in cells.items()}

    def own_notes(self, reviewer: str, application: str | None = None) -> dict[tuple[str, str], str]:
        """One reviewer's 申請者への所見 as they now stand, drafts included (for the reviewer's own
        form): ``{(application, criterion): text}`` from the last score event of each cell,
        cells without one left out; only ``reviewer``'s rows (of ``application`` if given) are read."""
        latest = (
            sa.select(sa.func.max(EVENTS.c.id))
            .where(EVENTS.c.kind == "score", EVENTS.c.reviewer == reviewer)
            .group_by(EVENTS.c.application, EVENTS.c.criterion)
        )
        if application is not None:
            latest = latest.where(EVENTS.c.application == application)
        q = sa.select(EVENTS.c.application, EVENTS.c.criterion, EVENTS.c.payload).where(
            EVENTS.c.id.in_(latest), EVENTS.c.payload.is_not(None)
        )
        with self.log.transaction(write=False) as conn:
            rows = conn.execute(q).all()
        notes = {(str(a), str(c)): payload_note(p) for a, c, p in rows}
        return {k: v for k, v in notes.items() if v}

    def statuses(self) -> pd.DataFrame:
        """Status of every assigned pair and every pair with events.

        Returns
        -------
        DataFrame
            Columns :data:`STATUS_COLUMNS` (``reviewer``, ``application``, ``status`` in
            :data:`STATUSES`, or 免除 / 担当替え for a pair the analyst released and that was
            not submitted after, :meth:`ScoreStore.release`), sorted by reviewer then application; RangeIndex. Assigned
            pairs come from the round's assignments (``RoundFacts.assignments``).
        """
        with self.log.transaction(write=False) as conn:
            known = self._pair_status(conn, released=True)
        pairs: set[tuple[str, str]] = set(known) | set(self.facts.assignments)
        if self.access == "reviewer":  # a reviewer's role sees only their own rows: show only their pairs
            pairs = {p for p in pairs if p[0] == self.access_reviewer}
        order = {r: i for i, r in enumerate(self.facts.reviewer_ids)}
        rows = sorted(pairs, key=lambda p: (order.get(p[0], len(order)), p[0], p[1]))
        return pd.DataFrame(
            [(r, a, known.get((r, a), "未着手")) for r, a in rows], columns=list(STATUS_COLUMNS)
        )

    def _latest_rows(self, conn: Connection, kinds: tuple[str, ...]) -> list[Any]:
        """The last event of each cell among ``kinds``: application, reviewer, criterion, score,
        comment (blank where this role may not read comments), timestamp, rubric version, source, kind."""
        latest = (
            sa.select(sa.func.max(EVENTS.c.id))
            .where(EVENTS.c.kind.in_(kinds))
            .group_by(EVENTS.c.reviewer, EVENTS.c.application, EVENTS.c.criterion)
        )
        # The committee's role may not read comments (round.yaml committee_sees_comments).
        comment = EVENTS.c.comment if self.log.comments_readable else sa.literal("").label("comment")
        q = sa.select(
            EVENTS.c.application,
            EVENTS.c.reviewer,
            EVENTS.c.criterion,
            EVENTS.c.score,
            comment,
            EVENTS.c.timestamp,
            EVENTS.c.rubric_version,
            EVENTS.c.source,
            EVENTS.c.kind,
        ).where(EVENTS.c.id.in_(latest))
        return list(conn.execute(q).all())

    def scores(self, *, include_drafts: bool = True, stage: str = "final") -> pd.DataFrame:
        """Current scores: the last score event of each (reviewer, application, criterion).

        Parameters
        ----------
        include_drafts : bool
            If False, only pairs whose status is 提出済.
        stage : {"final", "first"}
            ``"final"`` (default): second-stage revisions (:meth:`revise`) replace the
            submitted scores; ``"first"``: the scores as the reviewers submitted them.

        Returns
        -------
        DataFrame
            Columns :data:`scoring.core.schema.SCORE_COLUMNS` (``application``, ``reviewer``,
            ``criterion``, ``score`` float, ``comment`` str, ``updated_at`` UTC datetime,
            ``rubric_version``) plus ``source`` (of the last event) and ``status`` (of the
            pair). One row per cell that has a score or a comment; ``score`` is NaN where a
            draft has a comment but no score (never in submitted pairs). ``comment`` is the
            reviewer's (a revision's reason is in :meth:`revisions`; a revision recorded
            before schema version 2 kept it as the cell's comment). Sorted by application,
            reviewer and criterion in rubric order; RangeIndex.
        """
        if stage not in STAGES:
            raise StoreError(f"stage「{stage}」は使えません。次のいずれかにしてください: {'、'.join(STAGES)}")
        with self.log.transaction(write=False) as conn:
            rows = self._latest_rows(conn, ("score", "revise") if stage == "final" else ("score",))
            status = self._pair_status(conn)
            first = (
                {(r, a, c): m for a, r, c, _, m, *_ in self._latest_rows(conn, ("score",))}
                if stage == "final"
                else {}
            )
        refuse_impossible_cells(rows, self.facts)
        cols = [*SCORE_COLUMNS, "source", "status"]
        records = []
        for a, r, c, s, m, t, v, src, kind in rows:
            if kind == "revise" and not m:  # a revision (schema 2): the reviewer's comment stays
                m = first.get((r, a, c), "")
            if s is not None or (m or "").strip():
                records.append((a, r, c, s, readable_comment(m), t, v, src, status.get((r, a), "下書き")))
        df = pd.DataFrame(records, columns=cols)
        if not include_drafts:
            df = df[df["status"] == "提出済"]
        df["score"] = pd.to_numeric(df["score"], errors="coerce").astype("float64")
        df["updated_at"] = pd.to_datetime(df["updated_at"], utc=True, format="ISO8601")
        for col in ("application", "reviewer", "criterion", "comment", "rubric_version", "source", "status"):
            df[col] = df[col].astype("str")
        crit_order = {c: i for i, c in enumerate(self.facts.criterion_ids)}
        df["_c"] = df["criterion"].map(lambda c: crit_order.get(c, len(crit_order)))
        df = df.sort_values(["application", "reviewer", "_c", "criterion"], kind="stable")
        return df.drop(columns="_c").reset_index(drop=True)

    def applicant_notes(self, *, include_drafts: bool | None = None) -> pd.DataFrame:
        """The reviewers' 申請者への所見 (:meth:`record` ``to_applicant``) as they now stand.

        The last score event of each cell; a cell whose last event has no 所見 has none.
        Only the pairs :meth:`counted_scores` counts (submitted, and drafts only when
        ``include_drafts``, default round.yaml's). The committee's role (which may not read
        the comments) reads none.

        Returns
        -------
        DataFrame
            Columns ``application``, ``reviewer``, ``criterion``, ``to_applicant`` (non-empty
            only), sorted by application, reviewer and rubric order; RangeIndex.
        """
        cols = ["application", "reviewer", "criterion", TO_APPLICANT]
        drafts = self.facts.include_drafts if include_drafts is None else include_drafts
        if not self.log.comments_readable:
            return pd.DataFrame(columns=cols)
        with self.log.transaction(write=False) as conn:
            latest = (
                sa.select(sa.func.max(EVENTS.c.id))
                .where(EVENTS.c.kind == "score")
                .group_by(EVENTS.c.reviewer, EVENTS.c.application, EVENTS.c.criterion)
            )
            q = sa.select(
                EVENTS.c.id,
                EVENTS.c.kind,
                EVENTS.c.application,
                EVENTS.c.reviewer,
                EVENTS.c.criterion,
                EVENTS.c.payload,
            ).where(EVENTS.c.id.in_(latest), EVENTS.c.payload.is_not(None))
            rows = list(conn.execute(q).all())
            status = self._pair_status(conn)
        crit_order = {c: i for i, c in enumerate(self.facts.criterion_ids)}
        out = []
        for eid, kind, a, r, c, payload in rows:
            if not drafts and status.get((r, a)) != "提出済":
                continue
            note = str(record_payload({"id": eid, "kind": kind, "payload": payload}).get(TO_APPLICANT, ""))
            if note.strip():
                out.append((str(a), str(r), str(c), note.strip()))
        out.sort(key=lambda t: (t[0], t[1], crit_order.get(t[2], len(crit_order)), t[2]))
        return pd.DataFrame(out, columns=cols)

    def counted_scores(self) -> pd.DataFrame:
        """The scores the analysis counts: final stage, submitted pairs only.

        Drafts (下書き) count too only when round.yaml says ``include_drafts: true``
        (``RoundFacts.include_drafts``). The combination, the selection, the committee
        material and the feedback letters all read this.
        """
        return self.scores(include_drafts=self.facts.include_drafts)

    def revisions(self) -> pd.DataFrame:
        """Every second-stage revision (協議後の修正), oldest first.

        Returns
        -------
        DataFrame
            Columns :data:`REVISION_COLUMNS`: ``application``, ``reviewer``, ``criterion``;
            ``first_score`` (float: the score before this revision — the submitted one, or the
            previous revision's); ``final_score`` (float: the revised score); ``reason``;
            ``by`` (who recorded it); ``revised_at`` (UTC datetime); ``event_id`` (int).
            RangeIndex; empty when nothing was revised.
        """
        ev = self.log.readable()  # the committee's role: revision reasons yes, reviewers' comments no
        cols = [
            self.log.column(ev, k)
            for k in (
                "id",
                "kind",
                "reviewer",
                "application",
                "criterion",
                "score",
                "comment",
                "payload",
                "actor",
                "timestamp",
            )
        ]
        q = sa.select(*cols).where(ev.c.kind.in_(("score", "revise"))).order_by(ev.c.id)
        with self.log.transaction(write=False) as conn:
            rows = conn.execute(q).mappings().all()
        last: dict[tuple[str, str, str], float | None] = {}
        out = []
        for row in rows:
            cell = (str(row["reviewer"]), str(row["application"]), str(row["criterion"]))
            if row["kind"] == "revise":
                reason = str(record_payload(dict(row)).get("reason", ""))
                out.append(
                    (
                        cell[1],
                        cell[0],
                        cell[2],
                        last.get(cell),
                        row["score"],
                        reason,
                        row["actor"],
                        row["timestamp"],
                        int(row["id"]),
                    )
                )
            last[cell] = row["score"]
        df = pd.DataFrame(out, columns=list(REVISION_COLUMNS))
        for col in ("first_score", "final_score"):
            df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
        df["revised_at"] = pd.to_datetime(df["revised_at"], utc=True, format="ISO8601")
        df["event_id"] = df["event_id"].astype("int64")
        for col in ("application", "reviewer", "criterion", "reason", "by"):
            df[col] = df[col].astype("str")
        return df

    def review_events(self) -> pd.DataFrame:
        """The analyst's actions on reviewers' pairs, oldest first: 再開, 免除, 担当替え.

        Returns
        -------
        DataFrame
            Columns ``event_id`` (int), ``kind`` (``reopen`` / ``excuse`` / ``reassign``),
            ``action`` (Japanese), ``reviewer``, ``application``, ``to`` (the reviewer a
            reassigned pair went to, else ""), ``reason``, ``by``, ``recorded_at`` (UTC);
            RangeIndex. A reopening keeps its reason in ``comment`` (readable by every
            analyst's and the committee's role), the others in ``payload``.
        """
        ev = self.log.readable()
        cols = [
            self.log.column(ev, k)
            for k in ("id", "kind", "reviewer", "application", "comment", "payload", "actor", "timestamp")
        ]
        q = sa.select(*cols).where(ev.c.kind.in_(tuple(REVIEW_EVENT_KINDS))).order_by(ev.c.id)
        with self.log.transaction(write=False) as conn:
            rows = [dict(r) for r in conn.execute(q).mappings().all()]
        out = []
        for row in rows:
            data = record_payload(row) if row["kind"] != "reopen" else {"reason": row["comment"] or ""}
            out.append(
                (
                    int(row["id"]),
                    str(row["kind"]),
                    REVIEW_EVENT_KINDS[str(row["kind"])],
                    str(row["reviewer"]),
                    str(row["application"]),
                    str(data.get("to") or ""),
                    str(data.get("reason") or ""),
                    str(row["actor"]),
                    row["timestamp"],
                )
            )
        cols_out = [
            "event_id",
            "kind",
            "action",
            "reviewer",
            "application",
            "to",
            "reason",
            "by",
            "recorded_at",
        ]
        df = pd.DataFrame(out, columns=cols_out)
        df["event_id"] = df["event_id"].astype("int64")
        df["recorded_at"] = pd.to_datetime(df["recorded_at"], utc=True, format="ISO8601")
        return df

    def events(self) -> pd.DataFrame:
        """The whole event log, oldest first.

        Returns
        -------
        DataFrame
            Columns :data:`EVENT_COLUMNS`; ``timestamp`` as UTC datetime, ``score`` float
            (NaN for none), ``criterion`` None for submit/reopen, ``payload`` None except
            for records written since schema version 2; RangeIndex.
        """
        # The committee's role may not read the reviewers' comments: it reads its view, where
        # they are blanked and the analyst's records (decisions, eligibility) are whole.
        rows = self.log.rows(readable=True)
        df = pd.DataFrame([tuple(r[k] for k in EVENT_COLUMNS) for r in rows], columns=list(EVENT_COLUMNS))
        df["id"] = df["id"].astype("int64")
        df["score"] = pd.to_numeric(df["score"], errors="coerce").astype("float64")
        df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True, format="ISO8601")
        return df

    def records(self, kind: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """Every record of ``kind`` (:data:`RECORD_KINDS`), oldest first: ``(event, payload)``.

        ``event`` is the row (dict of :data:`EVENT_COLUMNS`, ``timestamp`` as stored text);
        ``payload`` the content as a dict (:func:`scoring.store.eventlog.record_payload`: from
        ``payload``, or from ``comment`` for records written before schema version 2).

        Raises
        ------
        StoreError
            Unknown kind, or a record whose content is not a JSON object.
        """
        src = self.log.readable()
        q = (
            sa.select(*[self.log.column(src, k) for k in EVENT_COLUMNS])
            .where(src.c.kind == self._check_kind(kind))
            .order_by(src.c.id)
        )
        with self.log.transaction(write=False) as conn:
            rows = [dict(r) for r in conn.execute(q).mappings().all()]
        return with_payloads(rows)

    def receipts(self) -> pd.DataFrame:
        """The receipt code of every pair submitted now, computed from the current log.

        Returns
        -------
        DataFrame
            Columns :data:`RECEIPT_COLUMNS`: ``reviewer``, ``application``, ``receipt``
            (``xxxx-xxxx-xxxx-xxxx``), ``event_id`` (the submit event), ``submitted_at``
            (UTC); sorted by reviewer then application; RangeIndex. A code equals the one
            the reviewer got at 提出 exactly when the scores and comments are unchanged.
            Empty for a role that may not read comments (the committee's): a code covers
            the comments, so it cannot be computed without them.
        """
        if not self.log.comments_readable:
            return pd.DataFrame(columns=list(RECEIPT_COLUMNS))
        q = (
            sa.select(
                EVENTS.c.id,
                EVENTS.c.timestamp,
                EVENTS.c.kind,
                EVENTS.c.reviewer,
                EVENTS.c.application,
                EVENTS.c.criterion,
                EVENTS.c.score,
                EVENTS.c.comment,
                EVENTS.c.rubric_version,
                EVENTS.c.payload,
            )
            .where(EVENTS.c.kind.in_(PAIR_KINDS))
            .order_by(EVENTS.c.id)
        )
        with self.log.transaction(write=False) as conn:
            rows = conn.execute(q).all()
        cells: dict[tuple[str, str], dict[str, tuple[float | None, str]]] = {}
        notes: dict[tuple[str, str], dict[str, str]] = {}
        submitted: dict[tuple[str, str], dict[str, Any] | None] = {}
        for eid, ts, kind, r, a, c, s, m, v, p in rows:
            if kind == "score":
                cells.setdefault((r, a), {})[c] = (s, m or "")
                notes.setdefault((r, a), {})[c] = payload_note(p)
            else:
                submitted[(r, a)] = (
                    {"id": eid, "timestamp": ts, "kind": kind, "reviewer": r, "application": a}
                    | {"comment": str(m or ""), "rubric_version": str(v), "payload": p}
                    if kind == "submit"
                    else None
                )
        order = {r: i for i, r in enumerate(self.facts.reviewer_ids)}
        out = []
        for (r, a), sub in sorted(submitted.items(), key=lambda kv: (order.get(kv[0][0], len(order)), kv[0])):
            if sub is None:
                continue
            now = cells.get((r, a), {})
            code = submit_receipt(sub, now, self.facts.name, notes.get((r, a), {})) or receipt_code(
                r, a, sub["rubric_version"], sub["comment"], now
            )
            out.append((r, a, code, int(sub["id"]), str(sub["timestamp"])))
        df = pd.DataFrame(out, columns=list(RECEIPT_COLUMNS))
        df["event_id"] = df["event_id"].astype("int64")
        df["submitted_at"] = pd.to_datetime(df["submitted_at"], utc=True, format="ISO8601")
        return df
