"""Auditing the score store: the hash chain, the signed checkpoints and the receipts.

:class:`StoreAudit` is the checking half of :class:`~scoring.store.scores.ScoreStore`:
:meth:`~StoreAudit.audit` (``python -m scoring audit``), the checkpoints
(:mod:`scoring.store.checkpoints`) and :meth:`~StoreAudit.check_receipt`
(``python -m scoring verify-receipt``).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.clock import to_jst
from ..core.columns import AUDIT_COLUMNS
from ..core.errors import ShinsaError, StoreError
from ..core.roundfacts import format_level
from .anchor_count import read_count
from .base import PAIR_KINDS, is_missing
from .checkpoint_sig import CheckpointVerifier
from .checkpoints import (
    Checkpoint,
    Receipt,
    ReceiptCheck,
    cell_digest,
    current_cells,
    format_receipt,
    must_be_anchored,
    normalize_receipt,
    read_checkpoints,
    receipt_nonce,
)
from .constraints import value_problems
from .eventlog import ACCESS_JA, GENESIS_HASH, record_payload
from .reads import ScoreReads
from .record_checks import (
    Problem,
    RecordContext,
    is_unsigned_tail,
    register_check,
    register_tail_check,
    run_checks,
    tail_refusals,
)
from .statements import event_signature, signature_check, signed_submits

__all__ = ["Audit", "StoreAudit"]


class StoreAudit(ScoreReads):
    """The audit, checkpoint and receipt methods of :class:`~scoring.store.scores.ScoreStore`."""

    def checkpoint(self, reason: str = "report") -> dict[str, Any]:
        """Write a signed checkpoint of the chain as it stands (the ``report`` command does).

        The store writes one by itself after every submission, reopening, import and
        decision. Returns the record written. Raises :class:`~scoring.core.errors.SigningError`
        when the key is unsafe. Records the receipts of reviewers' submissions made since the
        last checkpoint without one (see :meth:`audit`).
        """
        key = self._signing_key()
        receipts: list[Receipt] = []
        if self.access_controlled and self.anchors:
            _, receipts = self._pending_submissions(self.log.rows(), self.checkpoints())
        return self._anchor(reason, key, receipts)

    def checkpoints(self, *, verify_signatures: bool = True) -> list[Checkpoint]:
        """The checkpoints of this database (file order); each marked valid or not.

        Lines of another database (``store_id``: one deleted and re-created) are left out.
        They are checked with the round's public keys (no secret needed); with
        ``verify_signatures`` false they are returned unchecked (``valid`` None).
        """
        verifier = CheckpointVerifier.for_round(self.facts.path) if verify_signatures else None
        return [c for c in read_checkpoints(self.checkpoint_files, verifier) if c.store_id == self.store_id]

    def check_receipt(self, code: str) -> ReceiptCheck:
        """Whether the store still holds exactly what was submitted with receipt ``code``.

        The code is looked up in the signed checkpoints (each records the receipts issued,
        with a digest per criterion), else among the current receipts. Found: the pair's
        current scores and comments are compared with the submitted ones, criterion by
        criterion; where the submitted event is still in the log its values are shown.
        The committee material lists :meth:`receipts`, so a match here means the committee
        saw the same code.
        """
        h = normalize_receipt(code)
        shown = format_receipt(h) if h else str(code)
        if len(h) != 16:
            return ReceiptCheck(
                "不明",
                shown,
                f"「{code}」は受領コードの形ではありません（16桁の英数字、例: 3f9a-1c22-7b0e-d4a1）。",
            )
        events = self.log.rows()
        checkpoints = self.checkpoints()
        notes: list[str] = []
        found = _signed_receipt(checkpoints, h)
        current = self.receipts()
        if found is None:
            return self._check_unsigned_receipt(h, shown, current, events, notes)
        return self._check_signed_receipt(found, h, shown, current, events, notes)

    def _check_unsigned_receipt(
        self, h: str, shown: str, current: pd.DataFrame, events: list[dict[str, Any]], notes: list[str]
    ) -> ReceiptCheck:
        """A code no valid checkpoint records: ``一致`` if a current receipt has it, else ``不明``."""
        now = current.loc[current["receipt"].map(normalize_receipt) == h]
        gone = signed_submits(events, h) if now.empty else []
        if gone:
            return self._changed_signed_receipt(gone[-1], shown, events, notes)
        if now.empty:
            return ReceiptCheck(
                "不明",
                shown,
                (
                    f"受領コード {shown} の提出は見つかりません。コードの写し間違いがないか確認してください"
                    "（このラウンドの採点データベースと署名された記録点のどちらにもありません）。"
                ),
                notes=tuple(notes),
            )
        row = now.iloc[0]
        notes.append("このコードは署名された記録点にありません（記録点のファイルを確認してください）。")
        return ReceiptCheck(
            "一致",
            shown,
            self._receipt_ok(
                shown, str(row["reviewer"]), str(row["application"]), int(row["event_id"]), events
            ),
            str(row["reviewer"]),
            str(row["application"]),
            notes=tuple(notes),
        )

    def _changed_signed_receipt(
        self, ev: Mapping[str, Any], shown: str, events: list[dict[str, Any]], notes: list[str]
    ) -> ReceiptCheck:
        """A code of a signed submission whose signature no longer matches the log (``変更``)."""
        r, a, eid = str(ev["reviewer"]), str(ev["application"]), int(ev["id"])
        reopened = any(
            e["kind"] == "reopen" and e["reviewer"] == r and e["application"] == a and int(e["id"]) > eid
            for e in events
        )
        how = (
            "事務局による再開の後に変更されています。"
            if reopened
            else "提出の署名が、採点データベースにある現在の点数・コメントと一致しません。再開されていないため、"
            "採点データベースを通さずに書き換えられています（python -m scoring audit で確認してください）。"
        )
        msg = (
            f"受領コード {shown}（{self._reviewer_label(r)}の{self._app_label(a)}、イベント {eid} の提出）の後に、"
            f"採点が変わっています。{how}"
        )
        return ReceiptCheck("変更", shown, msg, r, a, notes=tuple(notes))

    def _check_signed_receipt(
        self,
        r: Receipt,
        h: str,
        shown: str,
        current: pd.DataFrame,
        events: list[dict[str, Any]],
        notes: list[str],
    ) -> ReceiptCheck:
        """Compare the pair's current scores and comments with the signed receipt ``r``."""
        who = f"{self._reviewer_label(r.reviewer)}の{self._app_label(r.application)}"
        changes = self._receipt_changes(r, events)
        mine = current.loc[(current["reviewer"] == r.reviewer) & (current["application"] == r.application)]
        if not changes and not mine.empty and normalize_receipt(str(mine["receipt"].iloc[0])) == h:
            return ReceiptCheck(
                "一致",
                shown,
                self._receipt_ok(shown, r.reviewer, r.application, r.event, events),
                r.reviewer,
                r.application,
                notes=tuple(notes),
            )
        if mine.empty:
            notes.append(f"{who}は提出後に再開され、現在は提出されていません（下書き）。")
        elif not changes and int(mine["event_id"].iloc[0]) == r.event:
            # The same submission, whose signature no longer verifies although every score and
            # comment matches the receipt: what changed is what the cell digests leave out.
            changes = ["申請者への所見（または提出の署名）が、提出したときと一致しません"]
        elif not changes:
            notes.append(
                f"{who}は再開・再提出されました。点数とコメントは同じですが、選定委員会資料の受領コードは "
                f"{mine['receipt'].iloc[0]} です。"
            )
            return ReceiptCheck(
                "一致",
                shown,
                self._receipt_ok(shown, r.reviewer, r.application, r.event, events),
                r.reviewer,
                r.application,
                notes=tuple(notes),
            )
        reopened = any(
            e["kind"] == "reopen"
            and e["reviewer"] == r.reviewer
            and e["application"] == r.application
            and int(e["id"]) > r.event
            for e in events
        )
        how = (
            "事務局による再開の後に変更されています。"
            if reopened
            else "再開されていないため、採点データベースを通さずに書き換えられています（python -m scoring audit で確認してください）。"
        )
        msg = (
            f"受領コード {shown}（{who}、イベント {r.event} の提出）の後に、採点が変わっています"
            f"（{len(changes)} 項目）。{how if changes else ''}"
        )
        return ReceiptCheck("変更", shown, msg, r.reviewer, r.application, tuple(changes), tuple(notes))

    def _receipt_changes(self, r: Receipt, events: list[dict[str, Any]]) -> list[str]:
        """One line per criterion (rubric order) whose current score or comment differs from receipt ``r``."""
        cells = current_cells(events, r.reviewer, r.application)
        at_submit = current_cells([e for e in events if int(e["id"]) <= r.event], r.reviewer, r.application)
        nonce = receipt_nonce(events, r)
        labels = {c.id: c.label_ja for c in self.facts.criteria}
        order = self.facts.criterion_ids
        changes: list[str] = []
        for crit, digest in sorted(
            r.cells.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)
        ):
            score, comment, _ = cells.get(crit, (None, "", 0))
            if cell_digest(nonce, crit, score, comment) == digest:
                continue
            was = at_submit.get(crit)
            before = ""
            if was is not None and cell_digest(nonce, crit, was[0], was[1]) == digest:
                before = f"提出時 {_fmt_cell(was[0], was[1])} → "
            changes.append(
                f"「{labels.get(crit, crit)}」（{crit}）: {before}現在 {_fmt_cell(score, comment)}"
            )
        return changes

    def _receipt_ok(
        self, code: str, reviewer: str, application: str, event_id: int, events: list[dict[str, Any]]
    ) -> str:
        when = ""
        for ev in events:
            if int(ev["id"]) == event_id:
                try:
                    ts = to_jst(dt.datetime.fromisoformat(str(ev["timestamp"])))
                    when = f"{ts:%Y-%m-%d %H:%M} 日本時間、"
                except ValueError:
                    pass
        revised = self._revisions_after(reviewer, application, event_id, events)
        if not revised:
            return (
                f"受領コード {code} は、{self._reviewer_label(reviewer)}の{self._app_label(application)}の提出"
                f"（{when}イベント {event_id}）のものです。採点データベースには提出したとおりの点数とコメントが記録されており、"
                "選定委員会資料の受領コードの表にも同じコードが載ります。"
            )
        return (
            f"受領コード {code} は、{self._reviewer_label(reviewer)}の{self._app_label(application)}の提出"
            f"（{when}イベント {event_id}）のものです。採点データベースには提出したとおりの点数とコメントが1段階目として"
            f"記録されています（選定委員会資料の受領コードの表にも同じコードが載ります）。ただし、その後の協議で"
            f"2段階目の修正が {len(revised)} 件記録されており、選定には修正後の点数が使われます: {'／'.join(revised)}"
        )

    def _revisions_after(
        self, reviewer: str, application: str, event_id: int, events: list[dict[str, Any]]
    ) -> list[str]:
        """One line per second-stage revision (協議後の修正) of the pair after submit ``event_id``."""
        labels = {c.id: c.label_ja for c in self.facts.criteria}
        last: dict[str, Any] = {}
        out: list[str] = []
        for ev in events:
            if (
                ev["reviewer"] != reviewer
                or ev["application"] != application
                or ev["kind"] not in ("score", "revise")
            ):
                continue
            crit = str(ev["criterion"])
            if ev["kind"] == "revise" and int(ev["id"]) > event_id:
                reason = str(record_payload(ev).get("reason", ""))
                before = last.get(crit)
                was = (
                    f"{format_level(float(before))} → "
                    if before is not None and not is_missing(before)
                    else ""
                )
                out.append(
                    f"「{labels.get(crit, crit)}」{was}{format_level(float(ev['score']))} 点"
                    f"（理由: {reason}、記録: {ev['actor']}、イベント {int(ev['id'])}）"
                )
            last[crit] = ev["score"]
        return out

    # ------------------------------------------------------------------ reading
    def verify(self) -> pd.DataFrame:
        """Audit the log: every altered, removed or foreign event (``audit().problems``).

        See :meth:`audit`.

        Returns
        -------
        DataFrame
            Columns :data:`AUDIT_COLUMNS`: ``event_id`` (int; the first id of a removed
            range, or the head of a checkpoint that no longer matches), ``problem``
            (``変更`` altered, ``削除`` removed, ``追加`` added outside the store, ``記録点``
            a signed checkpoint contradicted or not verifiable, ``未署名`` a submission,
            reopening or decision no checkpoint covers, ``署名`` a submission whose own
            signature is missing, does not verify or is by the wrong person:
            :mod:`scoring.store.statements`) and ``message`` (Japanese). Sorted by
            ``event_id``: the first row names the first bad event. Empty when all is well.
        """
        return self.audit().problems

    def audit(self, *, public_keys: str | os.PathLike[str] | None = None) -> Audit:
        """Audit the hash chain against itself and against every signed checkpoint.

        Inside the database: each event's hash is recomputed from its fields; each
        ``prev_hash`` must be the previous event's hash; ids must run 1, 2, 3, … without
        gaps; the last event must be the recorded chain head; and the log must be one the
        store could have written (no score, submission or reopening on a pair in a state
        that the store refuses, e.g. a score on a submitted pair).

        Outside it (:func:`scoring.store.checkpoints.verify_checkpoints`): every checkpoint
        must be signed with the analyst's key, the event at its head must still have the
        signed hash and the counts up to it must match; every submission never reopened must
        still match its receipt; every submission, reopening and decision must be
        covered by a checkpoint (those operations always write one). This is what catches a log rewritten *and re-hashed* by
        someone who holds the database but not the key.

        A missing checkpoint file is an error (``未署名``) when the log has submissions,
        reopenings or decisions, and only a warning (``Audit.warnings``) when it
        holds draft scores only (drafts never write checkpoints).

        Every submission's own signature is checked with the round's public keys
        (:func:`scoring.store.statements.signature_check`): this needs no checkpoint, so a
        rewrite of a submitted score is found even with the checkpoint file deleted.

        On a server with per-person roles (:mod:`scoring.admin.roles`) reviewers submit
        without writing a checkpoint (they sign with their own key, not the analyst's). When the only problem found is
        that such submissions (``submit`` events whose actor is their reviewer) follow the
        last checkpoint, the analyst's audit signs a checkpoint with their receipts and
        audits again (a warning says so). Only the analyst's (or owner's) connection does.

        The checks are :data:`scoring.store.record_checks.RECORD_CHECKS`. Checkpoints are
        checked with public keys only: the round's ``keys/public_keys.json``, or the keyring
        ``public_keys`` names (an auditor's trusted copy; then the audit writes nothing).
        The database's count of checkpoints (:mod:`scoring.store.anchor_count`) makes a
        deleted or truncated checkpoint file a problem.

        Raises
        ------
        StoreError
            Run as a reviewer's or the committee's role (the audit needs every event).
        """
        if not self.anchors:
            raise StoreError(
                f"{ACCESS_JA.get(self.access, 'このアカウント')}では監査（audit）はできません"
                "（全員の記録を読めないため）。事務局のアカウントで python -m scoring audit を実行してください。"
            )
        result = self._audit(public_keys)
        if self.access_controlled and public_keys is None:
            n = self._anchor_reviewer_submissions(result)
            if n:
                result = self._audit()
                result.warnings.append(
                    f"審査員が自分のアカウントで提出した {n} 件に、この監査で記録点を書きました"
                    f"（{result.checkpoint_path}）。"
                )
        return result

    def _pending_submissions(
        self, events: list[dict[str, Any]], checkpoints: Iterable[Checkpoint]
    ) -> tuple[list[dict[str, Any]], list[Receipt]]:
        """Events after the last valid checkpoint that need one, and the receipts of those that
        are reviewers' own submissions (with their scores as submitted)."""
        top = max((c.head_id for c in checkpoints if c.valid), default=0)
        late = [ev for ev in events if int(ev["id"]) > top and must_be_anchored(ev)]
        receipts = [
            self._submitted_receipt(events, ev)
            for ev in late
            if ev["kind"] == "submit" and ev["actor"] == ev["reviewer"]
        ]
        return late, receipts

    def sign_tail(self, audit: Audit) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """Sign the events after the last valid checkpoint (``python -m scoring sign-tail``).

        Only when ``audit`` (:meth:`audit`, just run) found nothing but such a tail, and no
        check of :data:`~scoring.store.record_checks.TAIL_CHECKS` refuses one of its events.
        Returns the events signed and the checkpoint written (with the receipts of the
        submissions among them).

        Raises
        ------
        StoreError
            Other problems, a refused event, or nothing to sign (Japanese, naming the event).
        """
        ctx = audit.context
        if ctx is None or not is_unsigned_tail(audit):
            raise StoreError(
                "監査で末尾の署名漏れ以外の問題が見つかったため、何も署名しませんでした。"
                "python -m scoring audit で問題を確認してください。"
            )
        tail = [ev for ev in ctx.events if int(ev["id"]) > audit.last_signed]
        refused = tail_refusals(ctx, tail)
        if refused:
            eid, _, why = refused[0]
            raise StoreError(f"イベント {eid} は署名できないため、何も署名しませんでした: {why}")
        key = self._signing_key()
        receipts = [self._submitted_receipt(ctx.events, ev) for ev in tail if ev["kind"] == "submit"]
        return tail, self._anchor("tail", key, receipts)

    def _submitted_receipt(self, events: list[dict[str, Any]], ev: Mapping[str, Any]) -> Receipt:
        """The receipt of submit event ``ev`` from the scores before it."""
        eid = int(ev["id"])
        cells = current_cells(
            [e for e in events if int(e["id"]) < eid], str(ev["reviewer"]), str(ev["application"])
        )
        return self._receipt(
            str(ev["reviewer"]),
            str(ev["application"]),
            eid,
            str(ev["comment"]),
            {c: (None if is_missing(s) else float(s), str(m)) for c, (s, m, _) in cells.items()},  # type: ignore[arg-type]
            (event_signature(ev) or {}).get("signature"),
        )

    def _anchor_reviewer_submissions(self, result: Audit) -> int:
        """Sign the reviewers' unanchored submissions when they are the audit's only problem."""
        p = result.problems
        if len(p) != 1 or p["problem"].iloc[0] != "未署名" or result.context is None:
            return 0
        late, receipts = self._pending_submissions(result.context.events, result.checkpoints)
        if not late or len(receipts) != len(late) or tail_refusals(result.context, late):
            return 0
        try:
            key = self._signing_key()
        except ShinsaError:
            return 0
        self._anchor("submit", key, receipts)
        return len(receipts)

    def record_context(self, public_keys: str | os.PathLike[str] | None = None) -> RecordContext:
        """One consistent reading of the store for the checks (count first, then files, then events)."""
        count = read_count(self.log.engine)
        verifier = CheckpointVerifier.for_round(self.facts.path, public_keys)
        checkpoints = read_checkpoints(self.checkpoint_files, verifier)
        with self.log.snapshot() as conn:
            head = self.log.recorded_head(conn)
            events = self.log.rows(conn)
        return RecordContext(self, events, head, checkpoints, count, verifier, str(self.checkpoint_path))

    def _audit(self, public_keys: str | os.PathLike[str] | None = None) -> Audit:
        ctx = self.record_context(public_keys)
        problems = run_checks(ctx)
        df = pd.DataFrame(problems, columns=list(AUDIT_COLUMNS))
        df["event_id"] = df["event_id"].astype("int64")
        df = df.sort_values("event_id", kind="stable").reset_index(drop=True)
        head_t = (0, GENESIS_HASH) if ctx.head is None else ctx.head
        return Audit(
            problems=df,
            warnings=ctx.warnings,
            checkpoints=[c for c in ctx.checkpoints if c.store_id == self.store_id],
            checkpoint_path=self.checkpoint_path,
            head=head_t,
            last_signed=ctx.last_signed,
            context=ctx,
        )

    def _impossible(self, ev: Mapping[str, Any], control: dict[tuple[str, str], str]) -> str:
        """Why the store could not have written ``ev`` in this place of the log ("" if it could).

        ``control`` (pair → last submit/reopen kind) is updated with ``ev``.
        """
        kind = ev["kind"]
        if kind == "revise":
            pair = (str(ev["reviewer"]), str(ev["application"]))
            if control.get(pair, "") != "submit":
                return (
                    f"イベント {int(ev['id'])} は提出されていない審査員 {pair[0]} の応募 {pair[1]} への協議後の修正です。"
                    "採点データベースはこの操作を受け付けないため、データベースを通さずに追加されています。"
                )
            return ""
        if kind not in PAIR_KINDS:
            return ""
        pair = (str(ev["reviewer"]), str(ev["application"]))
        state = control.get(pair, "")
        who = f"審査員 {pair[0]} の応募 {pair[1]}"
        eid = int(ev["id"])
        why = ""
        if kind == "score" and state == "submit":
            why = f"イベント {eid} は提出済みの{who}への点数の記録です"
        elif kind == "submit" and state == "submit":
            why = f"イベント {eid} は既に提出済みの{who}の提出です"
        elif kind == "reopen" and state != "submit":
            why = f"イベント {eid} は提出されていない{who}の再開です"
        if kind in ("submit", "reopen"):
            control[pair] = kind
        if not why:
            return ""
        return (
            why + "。採点データベースはこの操作を受け付けないため、データベースを通さずに追加されています。"
        )


@dataclass(frozen=True)
class Audit:
    """The result of :meth:`ScoreStore.audit`.

    Attributes
    ----------
    problems : DataFrame
        Columns :data:`AUDIT_COLUMNS`, sorted by ``event_id`` (empty: all is well).
    warnings : list of str
        Japanese notes that are not failures (e.g. no checkpoint file yet for drafts only).
    checkpoints : list of Checkpoint
        The checkpoints read (each with ``valid``).
    checkpoint_path : Path
        Where they are kept.
    head : (int, str)
        Id and hash of the chain head as recorded in the database.
    last_signed : int
        Head of the last valid checkpoint (0: none); later events are not yet signed.
    context : RecordContext or None
        What the checks read (events, checkpoints, count), for a caller that acts on it.
    """

    problems: pd.DataFrame
    warnings: list[str]
    checkpoints: list[Checkpoint]
    checkpoint_path: Path
    head: tuple[int, str]
    last_signed: int = 0
    context: RecordContext | None = field(default=None, repr=False, compare=False)


def _fmt_cell(score: object, comment: str) -> str:
    text = "点数なし" if is_missing(score) else f"{format_level(float(score))} 点"  # type: ignore[arg-type]
    if comment:
        short = comment if len(comment) <= 30 else comment[:30] + "…"
        text += f"・コメント「{short}」"
    return text


def _signed_receipt(checkpoints: list[Checkpoint], h: str) -> Receipt | None:
    """The latest receipt with normalized code ``h`` among the checkpoints not found invalid."""
    found: Receipt | None = None
    for c in checkpoints:
        if c.valid is False:
            continue
        for r in c.receipts:
            if normalize_receipt(r.code) == h and (found is None or r.event > found.event):
                found = r
    return found


# -- the store's own record checks (scoring.store.record_checks runs them in every audit) ----
def _value_check(ctx: RecordContext) -> list[Problem]:
    """Rows the database's rules refuse today (:mod:`scoring.store.constraints`)."""
    store: Any = ctx.store
    return value_problems(ctx.events, store.facts, store.log.created_at)


def _signature_problems(ctx: RecordContext) -> list[Problem]:
    """The submissions' own signatures (:mod:`scoring.store.statements`), checked once per reading."""
    cached = ctx.cache.get("signatures")
    if cached is None:
        store: Any = ctx.store
        cached = signature_check(
            ctx.events,
            store.facts.path,
            round_name=store.facts.name,
            reviewers_sign=store.access_controlled,
            keyring_file=ctx.verifier.keyring_source,
        )
        ctx.cache["signatures"] = cached
    return list(cached[0])


def _signature_check(ctx: RecordContext) -> list[Problem]:
    problems = _signature_problems(ctx)
    ctx.warnings += ctx.cache["signatures"][1]
    return problems


def _signature_tail_check(ctx: RecordContext, ev: Mapping[str, Any]) -> str:
    """Refuse to sign after the fact an event whose author's signature does not verify."""
    eid = int(ev["id"])
    return next((why for e, _, why in _signature_problems(ctx) if e in (eid, 0)), "")


register_check(_value_check)
register_check(_signature_check)
register_tail_check(_signature_tail_check)
