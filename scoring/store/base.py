"""What every part of the score store shares: the round's facts, the event log, the checks.

:class:`StoreBase` holds the :class:`~scoring.core.roundfacts.RoundFacts` a store checks
writes against and its :class:`~scoring.store.eventlog.EventLog`; it validates cells and
pairs, reads a pair's state inside a transaction, and signs checkpoints. The public
methods are in :mod:`scoring.store.scores` (writing), :mod:`scoring.store.reads` and
:mod:`scoring.store.audit`.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..core.canonical import canonical_text
from ..core.environment import environment
from ..core.errors import StoreError, StoreUnavailableError, ValueFormatError
from ..core.roundfacts import CriterionFacts, RoundFacts, format_level
from ..core.text import clean_comment
from .anchor_count import bump, ensure_table
from .checkpoint_sig import CheckpointSigner
from .checkpoints import (
    Receipt,
    cell_digest,
    checkpoint_path,
    legacy_checkpoint_paths,
    receipt_code,
    store_identity,
    write_checkpoint,
)
from .constraints import KINDS, install_constraints
from .credentials import read_database_url
from .eventlog import EVENTS, GENESIS_HASH, EventLog
from .statements import (
    Signer,
    default_signer,
    now_signed_at,
    payload_note,
    payload_text,
    signature_receipt,
    signed_payload,
    submission_statement,
)

__all__ = [
    "DB_FILENAME",
    "KINDS",
    "NO_EVENTS",
    "RECORD_KINDS",
    "RELEASE_KINDS",
    "SOURCES",
    "STAGES",
    "STATUSES",
    "TO_APPLICANT",
    "PairVersion",
    "StoreBase",
    "StoreFactsSource",
    "default_url",
    "note_payload",
]

#: File name of the SQLite store in the round folder.
DB_FILENAME = "scores.sqlite"
#: Environment variable with a database URL that replaces the default SQLite file.
#: Where an event came from.
SOURCES: tuple[str, ...] = ("widget", "excel", "import", "simulation", "analyst")
#: Kinds that release an unsubmitted pair from the review (:meth:`ScoreStore.release`).
RELEASE_KINDS: tuple[str, ...] = ("excuse", "reassign")
#: Kinds written by :meth:`ScoreStore.append_record` (a JSON object in ``payload``).
RECORD_KINDS: tuple[str, ...] = ("decision", "eligibility", "letters_approved")
#: Stages of the scores: the reviewers' own scoring (1次), and after the discussion (最終:
#: the first stage with every revision applied). :meth:`ScoreStore.scores` reads either.
STAGES: tuple[str, ...] = ("first", "final")
PAIR_KINDS = ("score", "submit", "reopen")
#: Status of a (reviewer, application) pair: nothing yet, draft, submitted.
STATUSES: tuple[str, ...] = ("未着手", "下書き", "提出済")

_Q_PAIR_CONTROL = (
    sa.select(EVENTS.c.kind)
    .where(
        EVENTS.c.kind.in_(("submit", "reopen")),
        EVENTS.c.reviewer == sa.bindparam("r"),
        EVENTS.c.application == sa.bindparam("a"),
    )
    .order_by(EVENTS.c.id.desc())
    .limit(1)
)


class StoreFactsSource(Protocol):
    """What a store opens with: a round (``ReviewRound``) or :class:`RoundFacts` itself."""

    @property
    def path(self) -> Path: ...

    def store_facts(self) -> RoundFacts: ...


class PairVersion(NamedTuple):
    """Which events a (reviewer, application) pair has: their number and the last one's id
    and hash (:meth:`ScoreStore.pair_versions`). Any new event of the pair changes it."""

    events: int
    last_id: int
    last_hash: str


#: The version of a pair without events.
NO_EVENTS = PairVersion(0, 0, GENESIS_HASH)


def default_url(rnd: StoreFactsSource | str | os.PathLike[str]) -> str:
    """The store URL of a round (or round folder).

    ``$SCORING_DATABASE_URL`` if set; else the URL in ``~/.shinsa/database_url`` (the
    account's own role on a shared server, :mod:`scoring.store.credentials`; refused with a
    :class:`StoreError` when other accounts can read that file); else the round's SQLite file.
    """
    env = environment().database_url
    if env:
        return env
    from_file = read_database_url()
    if from_file:
        return from_file
    folder = rnd if isinstance(rnd, (str, os.PathLike)) else rnd.path
    return f"sqlite:///{(Path(folder) / DB_FILENAME).resolve()}"


#: The key of a score event's ``payload`` that holds the reviewer's 申請者への所見.
TO_APPLICANT = "to_applicant"


def note_payload(note: str) -> str | None:
    """The ``payload`` of a score event with this 申請者への所見 (``None`` when there is none,
    so a score event without one hashes as before)."""
    return canonical_text({TO_APPLICANT: note}) if note else None


def is_missing(value: object) -> bool:
    """None, ``pd.NA`` or NaN."""
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


class StoreBase:
    """The round's facts, the event log, and the checks every write makes (see :class:`ScoreStore`)."""

    def __init__(
        self,
        url: str,
        rnd: StoreFactsSource,
        *,
        checkpoint_file: str | os.PathLike[str] | None = None,
        signer: Signer | None = None,
    ) -> None:
        facts = rnd.store_facts()
        #: Who signs submissions (:mod:`scoring.store.statements`); None: :func:`default_signer`.
        self.signer = signer
        #: What every write is checked against.
        self.facts: RoundFacts = facts
        self._rubric_version = facts.rubric_version
        self._apps: Mapping[str, str] = facts.applications
        self.log = EventLog(url, owner=facts.name)
        if self.log.access == "owner":  # the round's rules as triggers (scoring.store.constraints)
            try:
                install_constraints(self.log, facts)
            except StoreUnavailableError:
                pass  # a database this account cannot write (a read-only copy): nothing to guard
            except StoreError:
                self.log.close()
                raise
        self.url: str = self.log.url
        #: The signed checkpoints of this store (:mod:`scoring.store.checkpoints`), outside the database.
        self.checkpoint_path: Path = (
            Path(checkpoint_file) if checkpoint_file is not None else checkpoint_path(self.url, facts.path)
        )
        #: Names this database (its creation time and round), written into every checkpoint,
        #: so that checkpoints of a deleted and re-created database are told apart.
        self.store_id: str = store_identity(self.log.created_at, facts.name)
        #: Older checkpoint files of this round still read (:func:`legacy_checkpoint_paths`).
        self.legacy_checkpoint_paths: list[Path] = (
            [] if checkpoint_file is not None else legacy_checkpoint_paths(self.url, facts.path)
        )
        if self.anchors:
            ensure_table(self.log.engine)

    @property
    def checkpoint_files(self) -> list[Path]:
        """Every file read for this store's checkpoints: the old ones first, then :attr:`checkpoint_path`."""
        return [*self.legacy_checkpoint_paths, self.checkpoint_path]

    @property
    def access(self) -> str:
        """What this connection may do (:data:`scoring.store.eventlog.ACCESS_KINDS`)."""
        return self.log.access

    @property
    def access_reviewer(self) -> str | None:
        """The reviewer id of a ``"reviewer"`` connection (else None)."""
        return self.log.access_reviewer

    @property
    def access_controlled(self) -> bool:
        """Whether per-person roles are provisioned in this database."""
        return self.log.access_controlled

    @property
    def anchors(self) -> bool:
        """Whether this connection writes signed checkpoints (not a reviewer's or committee's role).

        A reviewer's kernel has neither the analyst's key nor write access to the round
        folder: their submissions are anchored by the analyst's next ``audit`` or
        ``report`` (see :mod:`scoring.admin.roles`).
        """
        return self.access in ("owner", "analyst")

    # ------------------------------------------------------------------ labels and checks
    def _app_label(self, application: str) -> str:
        name = self._apps.get(application, "")
        return f"応募 {application}（{name}）" if name else f"応募 {application}"

    def _reviewer_label(self, reviewer: str) -> str:
        r = self.facts.reviewer(reviewer)
        return f"審査員 {reviewer}（{r.name}）" if r is not None else f"審査員 {reviewer}"

    def _pair_label(self, reviewer: str, application: str) -> str:
        return f"{self._reviewer_label(reviewer)}の{self._app_label(application)}"

    def _check_source(self, source: str) -> str:
        if source not in SOURCES:
            raise StoreError(
                f"記録元 source「{source}」は使えません。次のいずれかにしてください: {'、'.join(SOURCES)}"
            )
        return source

    def _check_by(self, by: object, what: str) -> str:
        if not isinstance(by, str) or not by.strip():
            raise StoreError(f"{what}（by）が空です。事務局の担当者名を入力してください。")
        return by.strip()

    def _check_analyst(self, by: object, reviewer: str, what: str) -> str:
        """``by`` of an analyst's action on a reviewer's pair (再開・免除・担当替え): not the reviewer."""
        who = self._check_by(by, f"{what}を記録する人")
        r = self.facts.reviewer(reviewer)
        if who == reviewer or (r is not None and r.name and who == r.name):
            raise StoreError(
                f"{self._reviewer_label(reviewer)}本人は自分の採点の{what}を記録できません。"
                f"{what}は事務局が記録します（--by に事務局の担当者名を入力してください）。"
            )
        return who

    def _check_pair(self, reviewer: object, application: object, *, analyst: bool = False) -> tuple[str, str]:
        r = self.facts.reviewer(reviewer) if isinstance(reviewer, str) else None
        if r is None:
            raise StoreError(
                f"審査員ID「{reviewer}」は reviewers.yaml にないため、記録できません。"
                f"審査員IDを確認してください（登録済み: {'、'.join(self.facts.reviewer_ids)}）。"
            )
        if not isinstance(application, str) or application not in self._apps:
            raise StoreError(
                f"応募「{application}」はこの審査ラウンドにないため、記録できません。"
                "応募の都道府県コード（2桁、例: 01）を確認してください。"
            )
        if application in r.conflicts:
            fix = (
                "登録に誤りがある場合は reviewers.yaml の conflicts を直してから、もう一度実行してください。"
                if analyst
                else "利害関係の登録（reviewers.yaml の conflicts）に誤りがある場合は事務局に連絡してください。"
            )
            raise StoreError(
                f"{self._reviewer_label(r.id)}は{self._app_label(application)}と利害関係があるため、"
                f"この応募の採点・提出はできません。{fix}"
            )
        return r.id, application

    def _check_score(self, crit: CriterionFacts, application: str, score: object) -> float | None:
        if is_missing(score):
            return None
        where = f"{self._app_label(application)}の評価項目「{crit.label_ja}」（{crit.id}）"
        levels = "、".join(format_level(x) for x in crit.levels)
        if isinstance(score, bool) or not isinstance(score, numbers.Real):
            raise StoreError(
                f"{where}の点数「{score}」は数値ではないため、記録できません。"
                f"{levels} のいずれかを数値で入力してください。"
            )
        if not crit.is_allowed(score):
            raise StoreError(
                f"{where}に {format_level(float(score))} 点は記録できません。尺度は "
                f"{format_level(crit.scale_min)}〜{format_level(crit.scale_max)}"
                f"（{format_level(crit.scale_step)} 刻み）です。{levels} のいずれかを入力してください。"
            )
        return float(score)

    def _check_cell(
        self,
        reviewer: object,
        application: object,
        criterion: object,
        score: object,
        comment: object,
        *,
        analyst: bool = False,
    ) -> tuple[str, str, str, float | None, str]:
        r, a = self._check_pair(reviewer, application, analyst=analyst)
        crit = self.facts.criterion(criterion) if isinstance(criterion, str) else None
        if crit is None:
            raise StoreError(
                f"評価項目「{criterion}」は評価基準（版 {self._rubric_version}）にないため、記録できません。"
                f"次のいずれかにしてください: {'、'.join(self.facts.criterion_ids)}"
            )
        value = self._check_score(crit, a, score)
        try:
            text = "" if is_missing(comment) else clean_comment(comment, field="コメント")  # type: ignore[arg-type]
        except ValueFormatError as e:
            raise StoreError(f"{self._app_label(a)}の評価項目「{crit.label_ja}」の{e}") from e
        return r, a, crit.id, value, text

    def _check_note(self, application: str, criterion: str, note: object) -> str:
        """A 申請者への所見 (:meth:`ScoreStore.record`) as the record keeps it, stripped."""
        try:
            text = "" if is_missing(note) else clean_comment(note, field="申請者への所見")  # type: ignore[arg-type]
        except ValueFormatError as e:
            crit = self.facts.criterion(criterion)
            label = crit.label_ja if crit is not None else criterion
            raise StoreError(f"{self._app_label(application)}の評価項目「{label}」の{e}") from e
        return text.strip()

    def _check_text(self, text: str, field: str) -> str:
        """A reason (再開・修正) as the record keeps it (:func:`clean_comment`), stripped."""
        try:
            return clean_comment(text, field=field).strip()
        except ValueFormatError as e:
            raise StoreError(str(e)) from e

    def _check_kind(self, kind: str) -> str:
        if kind not in RECORD_KINDS:
            raise StoreError(
                f"記録の種類「{kind}」は使えません。次のいずれかにしてください: {'、'.join(RECORD_KINDS)}"
            )
        return kind

    def _check_record(
        self, kind: str, application: str, payload: Mapping[str, Any], by: object
    ) -> tuple[str, str]:
        """A generic record (:meth:`ScoreStore.append_record`): its canonical payload and ``by``."""
        self._check_kind(kind)
        if application and application not in self._apps:
            raise StoreError(
                f"応募「{application}」はこの審査ラウンドにないため、記録できません。"
                "応募の都道府県コード（2桁、例: 01）を確認してください。"
            )
        who = self._check_by(by, "記録する人")
        if not isinstance(payload, Mapping):
            raise StoreError("記録の内容（payload）が JSON のオブジェクトではないため、記録できません。")
        try:
            text = canonical_text(dict(payload))
        except ValueError as e:
            raise StoreError(f"記録の内容（payload）を JSON にできないため、記録できません（{e}）。") from e
        return text, who

    # ------------------------------------------------------------------ state inside a transaction
    def _last_control(self, conn: Connection, pairs: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """Last submit/reopen kind per pair (only pairs that have one)."""
        if not pairs:
            return {}
        if len(pairs) == 1:
            ((r, a),) = pairs
            kind = conn.execute(_Q_PAIR_CONTROL, {"r": r, "a": a}).scalar()
            return {} if kind is None else {(r, a): str(kind)}
        q = (
            sa.select(EVENTS.c.reviewer, EVENTS.c.application, EVENTS.c.kind)
            .where(EVENTS.c.kind.in_(("submit", "reopen")))
            .order_by(EVENTS.c.id)
        )
        reviewers = {r for r, _ in pairs}
        if len(reviewers) <= 50:
            q = q.where(EVENTS.c.reviewer.in_(sorted(reviewers)))
        out: dict[tuple[str, str], str] = {}
        for r, a, kind in conn.execute(q):
            if (r, a) in pairs:
                out[(r, a)] = kind
        return out

    def _refuse_submitted(self, conn: Connection, pairs: set[tuple[str, str]]) -> None:
        control = self._last_control(conn, pairs)
        locked = sorted(p for p, kind in control.items() if kind == "submit")
        if locked:
            what = "、".join(self._pair_label(r, a) for r, a in locked)
            raise StoreError(
                f"{what}の採点は提出済みのため、変更できません。変更が必要な場合は、"
                "事務局に再開（提出の取り消し）を依頼してください。",
                problems=[f"{self._pair_label(r, a)}は提出済みです" for r, a in locked],
            )

    def _cells(
        self, conn: Connection, reviewer: str, application: str
    ) -> dict[str, tuple[float | None, str]]:
        q = (
            sa.select(EVENTS.c.criterion, EVENTS.c.score, EVENTS.c.comment)
            .where(
                EVENTS.c.kind == "score", EVENTS.c.reviewer == reviewer, EVENTS.c.application == application
            )
            .order_by(EVENTS.c.id)
        )
        return {c: (s, m) for c, s, m in conn.execute(q)}

    def _cell_notes(self, conn: Connection, reviewer: str, application: str) -> dict[str, str]:
        """criterion → the 申請者への所見 of the pair's last score event of it ("" when none)."""
        q = (
            sa.select(EVENTS.c.criterion, EVENTS.c.payload)
            .where(
                EVENTS.c.kind == "score", EVENTS.c.reviewer == reviewer, EVENTS.c.application == application
            )
            .order_by(EVENTS.c.id)
        )
        return {str(c): payload_note(p) for c, p in conn.execute(q)}

    def _current_scores(self, conn: Connection, reviewer: str, application: str) -> dict[str, float | None]:
        q = (
            sa.select(EVENTS.c.criterion, EVENTS.c.score)
            .where(
                EVENTS.c.kind.in_(("score", "revise")),
                EVENTS.c.reviewer == reviewer,
                EVENTS.c.application == application,
            )
            .order_by(EVENTS.c.id)
        )
        return {str(c): s for c, s in conn.execute(q)}

    def _missing(self, cells: Mapping[str, tuple[float | None, str]]) -> list[str]:
        unscored: list[str] = []
        uncommented: list[str] = []
        for crit in self.facts.criteria:
            score, comment = cells.get(crit.id, (None, ""))
            if score is None:
                unscored.append(f"「{crit.label_ja}」")
            elif crit.comment_required(score) and not (comment or "").strip():
                uncommented.append(f"「{crit.label_ja}」（{format_level(score)} 点のためコメントが必要）")
        out = []
        if unscored:
            out.append("未採点: " + "、".join(unscored))
        if uncommented:
            out.append("コメント未記入: " + "、".join(uncommented))
        return out

    def _incomplete_error(self, reviewer: str, application: str, missing: list[str]) -> StoreError:
        return StoreError(
            f"{self._pair_label(reviewer, application)}の採点は未完了のため、"
            f"提出できません。次を入力してから提出してください。{' ／ '.join(missing)}",
            problems=missing,
        )

    # ------------------------------------------------------------------ checkpoints and receipts
    def _signing_key(self) -> CheckpointSigner | None:
        """The analyst's key, loaded before a write (so that a missing, unsafe or unregistered
        key refuses the write instead of leaving it without a checkpoint); never created here
        (``python -m scoring keys init``). None when this connection does not write
        checkpoints (:attr:`anchors`)."""
        return CheckpointSigner.load(self.facts.path, self.facts.name) if self.anchors else None

    def _submission_signer(self) -> Signer:
        """Who signs a submission: :attr:`signer`, else this connection's person and key
        (before a write, so that a missing key refuses the submission)."""
        return self.signer or default_signer(self.access, self.access_reviewer)

    def _signed_submit(
        self,
        signer: Signer,
        reviewer: str,
        application: str,
        nonce: str,
        cells: Mapping[str, tuple[float | None, str]],
        notes: Mapping[str, str] | None = None,
    ) -> tuple[str, str]:
        """The payload text of a submit event (``signer``'s signature of its statement, which
        covers the 申請者への所見 ``notes`` too) and the signature."""
        statement = submission_statement(
            round_name=self.facts.name,
            reviewer=reviewer,
            application=application,
            rubric_version=self._rubric_version,
            nonce=nonce,
            cells=cells,
            signed_at=now_signed_at(),
            notes=notes,
        )
        payload = signed_payload(signer, statement)
        return payload_text(payload), str(payload["signature"])

    def _receipt(
        self,
        reviewer: str,
        application: str,
        event_id: int,
        nonce: str,
        cells: Mapping[str, tuple[float | None, str]],
        signature: str | None = None,
    ) -> Receipt:
        """The receipt of a submission: its code from ``signature`` (the old hash code without one)."""
        code = (
            signature_receipt(signature)
            if signature
            else receipt_code(reviewer, application, self._rubric_version, nonce, cells)
        )
        return Receipt(
            reviewer=reviewer,
            application=application,
            code=code,
            event=event_id,
            nonce=nonce,
            rubric_version=self._rubric_version,
            cells={c: cell_digest(nonce, c, s, m) for c, (s, m) in cells.items()},
        )

    def _snapshot(self) -> tuple[tuple[int, str], dict[str, int]]:
        """Chain head and the counts up to it, read in one snapshot."""
        with self.log.snapshot() as conn:
            head = self.log.head(conn)
            upto = EVENTS.c.id <= head[0]
            kinds: dict[str, int] = {
                str(k): int(n)
                for k, n in conn.execute(
                    sa.select(EVENTS.c.kind, sa.func.count()).where(upto).group_by(EVENTS.c.kind)
                ).all()
            }
            control = conn.execute(
                sa.select(EVENTS.c.reviewer, EVENTS.c.application, EVENTS.c.kind)
                .where(upto, EVENTS.c.kind.in_(("submit", "reopen")))
                .order_by(EVENTS.c.id)
            ).all()
        last: dict[tuple[str, str], str] = {(r, a): k for r, a, k in control}
        counts = {k: int(kinds.get(k, 0)) for k in KINDS}
        counts["events"] = sum(kinds.values())
        counts["submitted_pairs"] = sum(1 for k in last.values() if k == "submit")
        return head, counts

    def _anchor(
        self, reason: str, key: CheckpointSigner | None, receipts: Iterable[Receipt] = ()
    ) -> dict[str, Any]:
        if not self.anchors or key is None:
            return {}
        head, counts = self._snapshot()
        return write_checkpoint(
            self.checkpoint_path,
            head=head,
            counts=counts,
            reason=reason,
            round_name=self.facts.name,
            store=self.url,
            store_id=self.store_id,
            signer=key,
            receipts=receipts,
            written=lambda record: bump(self.log, record),
        )
