"""Every check of the record, in one list: what ``audit`` runs and what is checked before signing.

:data:`RECORD_CHECKS` is the list of checks the audit runs over one consistent reading of
the store (:class:`RecordContext`): the hash chain, events the store could not have
written, the signed checkpoints, the database's count of checkpoints. Each check returns
``(event_id, problem, message)`` rows and may add warnings. Another check (the reviewers'
signatures, impossible values) is added with :func:`register_check`; every caller of
:meth:`scoring.store.scores.ScoreStore.audit` and :func:`check_before_signing` then runs it.

:data:`TAIL_CHECKS` are the checks of one event after the last checkpoint before it is
signed (``python -m scoring sign-tail``, or the audit anchoring reviewers' own submissions):
each returns a Japanese reason to refuse the event, or ``""``. The reviewers' signatures
(issue 18, item 1) plug in here with :func:`register_tail_check`.

:func:`check_before_signing` is what ``report``, ``run``, ``decide``, ``revise`` and
``feedback`` call before they write anything: it raises :class:`RecordsError` (exit 2)
naming the first bad event, and says so when the only problem is a tail of events a crash
left without a checkpoint (not tampering; ``sign-tail`` signs it after checking it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import pandas as pd

from ..core.errors import ShinsaError
from .anchor_count import CheckpointCount, count_problems
from .checkpoint_sig import CheckpointVerifier
from .checkpoints import Checkpoint, verify_checkpoints
from .eventlog import chain_problems


class _Store(Protocol):
    """What the checks need of :class:`scoring.store.audit.StoreAudit` (no import: it imports us)."""

    store_id: str

    def _impossible(self, ev: Mapping[str, Any], control: dict[tuple[str, str], str]) -> str: ...

    def audit(self) -> Any: ...


class _Audit(Protocol):
    """What is read of :class:`scoring.store.audit.Audit`."""

    @property
    def problems(self) -> pd.DataFrame: ...

    @property
    def last_signed(self) -> int: ...


__all__ = [
    "RECORD_CHECKS",
    "TAIL_CHECKS",
    "RecordContext",
    "RecordsError",
    "check_before_signing",
    "register_check",
    "register_tail_check",
    "tail_refusals",
]

Problem = tuple[int, str, str]
#: The problem kind of events after the last checkpoint that always write one.
UNSIGNED = "未署名"


class RecordsError(ShinsaError):
    """The record did not pass its checks, so nothing was written or signed (exit 2)."""

    exit_code = 2


@dataclass
class RecordContext:
    """One consistent reading of a store, handed to every check.

    ``checkpoints`` are every line of the checkpoint files (verified with ``verifier``),
    other databases' lines included (the checkpoint check tells them apart); ``count`` was
    read before the files.
    """

    store: _Store
    events: list[dict[str, Any]]
    head: tuple[int, str] | None
    checkpoints: list[Checkpoint]
    count: CheckpointCount
    verifier: CheckpointVerifier
    file_label: str
    warnings: list[str] = field(default_factory=list)
    #: What a check computed once for this reading (another check may reuse it).
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def mine(self) -> list[Checkpoint]:
        """The lines of this database (and unreadable lines)."""
        sid = self.store.store_id
        return [c for c in self.checkpoints if not c.record or c.store_id == sid]

    @property
    def last_signed(self) -> int:
        """Head of this database's last valid checkpoint (0: none)."""
        return max((c.head_id for c in self.mine if c.valid), default=0)


RecordCheck = Callable[[RecordContext], list[Problem]]
TailCheck = Callable[[RecordContext, Mapping[str, Any]], str]


def _chain(ctx: RecordContext) -> list[Problem]:
    return chain_problems(ctx.events, ctx.head)


def _impossible(ctx: RecordContext) -> list[Problem]:
    control: dict[tuple[str, str], str] = {}
    out: list[Problem] = []
    for ev in ctx.events:
        why = ctx.store._impossible(ev, control)
        if why:
            out.append((int(ev["id"]), "追加", why))
    return out


def _checkpoints(ctx: RecordContext) -> list[Problem]:
    problems, warnings = verify_checkpoints(
        ctx.events, ctx.checkpoints, file_label=ctx.file_label, store_id=ctx.store.store_id
    )
    ctx.warnings += warnings
    return problems


def _count(ctx: RecordContext) -> list[Problem]:
    lines = [c.record for c in ctx.mine if c.record]
    last = int(ctx.events[-1]["id"]) if ctx.events else 0
    first_unanchored = min(ctx.last_signed + 1, last) if last else 0
    return count_problems(ctx.count, lines, file_label=ctx.file_label, head_id=first_unanchored)


#: The checks of :meth:`~scoring.store.audit.StoreAudit.audit`, in order.
RECORD_CHECKS: list[RecordCheck] = [_chain, _impossible, _checkpoints, _count]
#: The checks of an event before it is signed after the fact (see the module docstring).
TAIL_CHECKS: list[TailCheck] = []


def register_check(check: RecordCheck) -> RecordCheck:
    """Add ``check`` to :data:`RECORD_CHECKS` (once); returns it (usable as a decorator)."""
    if check not in RECORD_CHECKS:
        RECORD_CHECKS.append(check)
    return check


def register_tail_check(check: TailCheck) -> TailCheck:
    """Add ``check`` to :data:`TAIL_CHECKS` (once); returns it."""
    if check not in TAIL_CHECKS:
        TAIL_CHECKS.append(check)
    return check


def run_checks(ctx: RecordContext) -> list[Problem]:
    """Every problem of every check of :data:`RECORD_CHECKS`."""
    out: list[Problem] = []
    for check in RECORD_CHECKS:
        out += check(ctx)
    return out


def tail_refusals(ctx: RecordContext, events: Sequence[Mapping[str, Any]]) -> list[Problem]:
    """``(event_id, "署名", reason)`` for each event a check of :data:`TAIL_CHECKS` refuses."""
    out: list[Problem] = []
    for ev in events:
        for check in TAIL_CHECKS:
            why = check(ctx, ev)
            if why:
                out.append((int(ev["id"]), "署名", why))
                break
    return out


def is_unsigned_tail(audit: _Audit) -> bool:
    """Whether the audit's only problems are events after the last checkpoint (a crash's tail)."""
    p = audit.problems
    return not p.empty and bool((p["problem"] == UNSIGNED).all())


def check_before_signing(store: _Store, *, command: str, round_arg: str = "") -> Any:
    """Audit ``store`` before ``command`` writes or signs anything; the audit when it is clean.

    Reviewers' own submissions after the last checkpoint (a server round) are anchored by the
    audit itself when they pass :data:`TAIL_CHECKS` (as ``audit`` does).

    Raises
    ------
    RecordsError
        Any problem: the message names the first bad event, and says when the problem is
        only a tail left without a checkpoint (then ``python -m scoring sign-tail``).
    """
    audit = store.audit()
    p = audit.problems
    if p.empty:
        return audit
    first = p.iloc[0]
    where = f" --round {round_arg}" if round_arg else ""
    if is_unsigned_tail(audit):
        raise RecordsError(
            f"{command} は何も書き込みませんでした: イベント {int(first['event_id'])} 以降の記録に、署名された"
            f"記録点がありません（最後の記録点はイベント {audit.last_signed} まで）。{first['message']} "
            "記録の直後に処理が中断されたときにも起きます。内容を確かめて、正しければ "
            f"python -m scoring sign-tail{where} で署名してから、もう一度実行してください。"
        )
    raise RecordsError(
        f"{command} は何も書き込みませんでした: 採点の記録の検査で {len(p)} 件の問題が見つかりました。"
        f"最初の問題はイベント {int(first['event_id'])}（{first['problem']}）: {first['message']} "
        f"python -m scoring audit{where} で一覧を確認してください。"
    )
