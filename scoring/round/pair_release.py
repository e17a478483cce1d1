"""A review phase that can finish: the 事務局 reopens a submitted pair, or releases one that
will not be submitted (免除) or hands it to another reviewer (担当替え).

Each is an event of the score store's hash chain, recorded by the analyst with a reason
(:meth:`scoring.store.scores.ScoreStore.reopen` and :meth:`~scoring.store.scores.ScoreStore.release`),
anchored by a signed checkpoint, and listed in the committee material's notes
(:mod:`scoring.analysis.review_notes`). ``python -m scoring progress`` counts a released pair
as finished, so it reaches exit 0 once every pair is submitted, excused or reassigned.

A reassignment also asks the new reviewer for the application: when the round's assignments
come from ``assignments.csv`` (or are every pair), the new pair is written into
``assignments.csv``; when they are in reviewers.yaml the analyst adds it there first (the
command says so). On a shared PostgreSQL server ``python -m scoring db-setup`` then gives the
new reviewer's role the pair.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..core.errors import OptionError
from ..store.scores import ScoreStore
from .assign import write_assignments
from .eligibility_rules import application_code
from .loader import ReviewRound

__all__ = ["ACTIONS_JA", "Released", "application_code", "release_pair", "reopen_pair"]

#: The analyst's actions on a pair, in Japanese.
ACTIONS_JA = {"reopen": "再開", "excuse": "免除", "reassign": "担当替え"}


@dataclass(frozen=True)
class Released:
    """What :func:`release_pair` and :func:`reopen_pair` recorded.

    ``event_id`` is the event in the store (``None`` for a reopening, which returns none);
    ``assignments_file`` the ``assignments.csv`` written for a reassignment (else ``None``).
    """

    action: str
    reviewer: str
    application: str
    reason: str
    by: str
    to: str = ""
    event_id: int | None = None
    assignments_file: Path | None = None

    def summary_ja(self, rnd: ReviewRound) -> str:
        """One Japanese line for the command's output."""
        name = str(rnd.applications["prefecture_name"].get(self.application, ""))
        where = f"審査員 {self.reviewer} の応募 {self.application}（{name}）"
        event = f"（イベント {self.event_id}）" if self.event_id is not None else ""
        to = f" → 審査員 {self.to}" if self.to else ""
        return f"{ACTIONS_JA[self.action]}を記録しました{event}: {where}{to}　理由: {self.reason}　記録: {self.by}"


def _assigned(rnd: ReviewRound) -> set[tuple[str, str]]:
    table = rnd.assignments()
    return set(zip(table["reviewer"].astype(str), table["application"].astype(str)))


def _check_assigned(rnd: ReviewRound, reviewer: str, application: str, what: str) -> None:
    if (reviewer, application) not in _assigned(rnd):
        raise OptionError(
            f"審査員 {reviewer} には応募 {application} が割り当てられていないため、{what}できません。"
            f"担当（{rnd.assignment_source or 'assignments.csv'}）と python -m scoring progress を確認してください。"
        )


def reopen_pair(
    rnd: ReviewRound, store: ScoreStore, reviewer: str, application: str, *, by: str, reason: str
) -> Released:
    """Reopen a submitted pair (再開) so that the reviewer can change it (see the module docstring)."""
    a = application_code(rnd, application)
    store.reopen(reviewer, a, by=by, reason=reason)
    return Released("reopen", reviewer, a, reason.strip(), by.strip())


def release_pair(
    rnd: ReviewRound,
    store: ScoreStore,
    action: str,
    reviewer: str,
    application: str,
    *,
    by: str,
    reason: str,
    to: str = "",
) -> Released:
    """Record 免除 (``action="excuse"``) or 担当替え (``"reassign"``, to reviewer ``to``) of an
    assigned pair that is not submitted.

    Raises
    ------
    OptionError
        The pair is not assigned, ``to`` is missing for a reassignment, or the new pair cannot
        be added to the assignments (they are in reviewers.yaml).
    StoreError
        The store refused (see :meth:`~scoring.store.scores.ScoreStore.release`).
    """
    a = application_code(rnd, application)
    what = ACTIONS_JA.get(action, action)
    _check_assigned(rnd, reviewer, a, what)
    new_pairs: pd.DataFrame | None = None
    if action == "reassign":
        if not to:
            raise OptionError("担当替えの先の審査員を --to に指定してください（例: --to R2）。")
        assigned = (to, a) in _assigned(rnd)
        if rnd.assignment_source == "reviewers.yaml":
            if not assigned:  # the analyst adds the pair there first (a comment may explain it)
                raise OptionError(
                    f"担当は reviewers.yaml に書かれているため、担当替えの前に審査員 {to} の assignments に "
                    f"応募 {a} を加えてください（加えた後にもう一度実行してください）。"
                )
        elif assigned:
            raise OptionError(
                f"審査員 {to} は既に応募 {a} を担当しているため、担当替えの先にできません"
                "（採点の数を減らしてよければ python -m scoring excuse で免除してください）。"
            )
        else:
            table = rnd.assignments()
            new_pairs = pd.concat(
                [table, pd.DataFrame({"reviewer": [to], "application": [a]})], ignore_index=True
            )
    eid = store.release(reviewer, a, action=action, by=by, reason=reason, to=to)
    written = write_assignments(rnd, new_pairs) if new_pairs is not None else None
    return Released(action, reviewer, a, reason.strip(), by.strip(), to, eid, written)
