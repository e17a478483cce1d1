"""Eligibility of the round's applications: the deadline, プッシュ型, and the recorded decisions.

The intake (:func:`scoring.intake.applications.read_applications`) flags a file submitted
after the deadline (``late``), whatever its form says, and reports a file replaced by a newer one of the same
prefecture once, as 情報. The 事務局's decisions on receipt are recorded as hash-chained
records of the score store (:mod:`scoring.round.eligibility_records`):

======================  ==================================================================
期限後受理 accept_late   the late file is accepted: ``late`` becomes False
訂正 correction          the file corrects an earlier submission: its receipt time is the
                         original one (``original_received``), so lateness is judged on it
再提出 resubmission      the file replaces an earlier submission (its own time counts)
辞退 withdraw            ``withdrawn`` True: 対象外 in the selection, the tuning screen, the
                         committee material and the feedback letters (辞退のため対象外)
辞退の取消 reinstate      undoes a withdrawal
プッシュ型 push          総務省 chose the prefecture: the deadline does not apply and it
                         counts as プッシュ型 for the caps. A form that says プッシュ型
                         without this record counts as 手上げ式 (``application_type`` is
                         rewritten) with a warning naming the missing record
======================  ==================================================================

:func:`apply_eligibility` applies them to the applications and problems tables (so
everything that reads ``ReviewRound.applications`` sees them); :func:`load_round` calls it
with the decisions read from the store. A decision about a file (accept_late, correction,
resubmission) applies only while that file is the one in use: if a newer file arrives, a
warning says the decision must be recorded again for it. :func:`record_eligibility`
checks the rules (a reason is required, only a late application can be accepted, a
correction needs the original receipt time, …) and appends the event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..core.clock import JST
from ..core.columns import ELIGIBILITY_COLUMNS
from ..core.schema import APPLICATION_TYPES, PROBLEM_COLUMNS, PUSH_TYPE, problem_row
from .late_hints import correction_hints

#: The type a form that says プッシュ型 without a recorded decision counts as.
HAND_RAISED = APPLICATION_TYPES[0]
from .eligibility_records import EligibilityRecord
from .eligibility_rules import _FILE_ACTIONS, _fmt, eligibility_command, record_eligibility

__all__ = [
    "ELIGIBILITY_STATUSES",
    "apply_eligibility",
    "eligibility_command",
    "record_eligibility",
]

#: Status words of the eligibility table (:attr:`ReviewRound.eligibility`).
ELIGIBILITY_STATUSES: tuple[str, ...] = (
    "期限内",
    "期限後・未受理",
    "期限後・受理",
    "期限適用外（プッシュ型）",
    "辞退",
)


def _problem(
    file: str, severity: str, message: str, action: str, field: str = "受付", sheet: str = "", cell: str = ""
) -> dict[str, str]:
    return problem_row(file, severity, message, action, sheet=sheet, cell=cell, field=field)


def _is_late_row(row: pd.Series, file: str) -> bool:
    return bool(row["file"] == file and str(row["message"]).startswith("期限後提出:"))


@dataclass(frozen=True)
class _Context:
    """What every eligibility rule reads: the intake's tables, the decisions, the deadline."""

    apps: pd.DataFrame
    problems: pd.DataFrame
    by_app: dict[str, list[EligibilityRecord]]
    limit: pd.Timestamp | None
    round_path: object


@dataclass(frozen=True)
class _Facts:
    """One application's facts, from its file, its decisions and the deadline."""

    code: str
    file: str
    recs: list[EligibilityRecord]
    withdrawal: EligibilityRecord | None
    correction: EligibilityRecord | None
    accepted: EligibilityRecord | None
    submitted: Any
    received: Any
    pushed: EligibilityRecord | None
    typed_push: bool
    after: bool
    intake_late: list[Any]
    where: dict[str, str]

    @property
    def push(self) -> bool:
        """プッシュ型: only by a recorded ministry decision (``eligibility push``)."""
        return self.pushed is not None

    @property
    def late(self) -> bool:
        return self.after and not self.push and self.accepted is None

    def applies(self, r: EligibilityRecord) -> bool:
        """Whether ``r`` applies to the file in use (a decision about an older file does not)."""
        return r.action not in _FILE_ACTIONS or r.file in ("", self.file)


def _withdrawal(recs: Sequence[EligibilityRecord]) -> EligibilityRecord | None:
    """The withdrawal in force (the last one not reinstated since), if any."""
    withdrawal: EligibilityRecord | None = None
    for r in recs:
        if r.action == "withdraw":
            withdrawal = r
        elif r.action == "reinstate":
            withdrawal = None
    return withdrawal


def _facts(ctx: _Context, code: str) -> _Facts:
    """Gather what the checks read of application ``code``."""
    apps, problems = ctx.apps, ctx.problems
    file = str(apps.at[code, "file"])
    recs = ctx.by_app.get(code, [])
    applying = [r for r in recs if r.action in _FILE_ACTIONS and r.file in ("", file)]
    correction = next((r for r in reversed(applying) if r.action == "correction"), None)
    accepted = next((r for r in reversed(applying) if r.action == "accept_late"), None)
    submitted: Any = apps.at[code, "submitted_at"] if "submitted_at" in apps else pd.NaT
    received: Any = (
        pd.Timestamp(correction.original_received).tz_convert(JST)
        if correction is not None and correction.original_received is not None
        else submitted
    )
    typed_push = str(apps.at[code, "application_type"]) == PUSH_TYPE if "application_type" in apps else False
    pushed = next((r for r in reversed(recs) if r.action == "push"), None)
    after = bool(ctx.limit is not None and pd.notna(received) and received > ctx.limit)
    intake_late = [i for i, row in problems.iterrows() if _is_late_row(row, file)]
    where = (
        {k: str(problems.at[intake_late[0], k]) for k in ("sheet", "cell", "field")}
        if intake_late
        else {"field": "提出日時"}
    )
    return _Facts(
        code,
        file,
        recs,
        _withdrawal(recs),
        correction,
        accepted,
        submitted,
        received,
        pushed,
        typed_push,
        after,
        intake_late,
        where,
    )


def _missing_application_problems(ctx: _Context) -> list[dict[str, str]]:
    """A warning per decision about an application whose 応募書 is no longer in the folder."""
    return [
        _problem(
            "",
            "warning",
            f"応募 {code} について{r.summary_ja()}が記録されていますが、"
            "applications フォルダにこの応募の応募書がありません。",
            "応募書を applications フォルダに戻すか、記録が誤りでないか確認してください。",
        )
        for code, recs in ctx.by_app.items()
        if code not in ctx.apps.index
        for r in recs
    ]


def _other_file_problems(ctx: _Context, f: _Facts) -> list[dict[str, str]]:
    """A warning per decision about a file that a newer one has replaced."""
    return [
        _problem(
            f.file,
            "warning",
            f"{r.summary_ja()}は {r.file} についての記録ですが、いま使用している応募書は "
            f"{f.file} です（その後に新しい提出がありました）。この記録は適用していません。",
            f"{f.file} について改めて判断し、記録してください（例: "
            f"{eligibility_command(r.action, f.code, ctx.round_path)}）。",
        )
        for r in f.recs
        if not f.applies(r)
    ]


def _late_problems(ctx: _Context, f: _Facts) -> list[dict[str, str]]:
    """The 期限後提出 row: a warning while not accepted, 情報 once accepted or a recorded プッシュ型."""
    if not f.after:
        return []
    if f.pushed is not None:
        return [
            _problem(
                f.file,
                "info",
                f"プッシュ型のため提出期限は適用しません（提出日時 {_fmt(f.received)}、提出期限 "
                f"{_fmt(ctx.limit)}。{f.pushed.summary_ja()}）。",  # type: ignore[arg-type]
                "対処は不要です（総務省のプッシュ型の決定が記録されています）。",
                **f.where,
            )
        ]
    basis = (
        f"受付日時 {_fmt(f.received)}（訂正のため元の提出の日時）"
        if f.correction
        else f"提出日時 {_fmt(f.received)}"
    )
    if f.accepted is None:
        return [
            _problem(
                f.file,
                "warning",
                f"期限後提出: {basis} は提出期限 {_fmt(ctx.limit)} より後です。",  # type: ignore[arg-type]
                "受理する場合は理由を添えて記録してください（"
                f"{eligibility_command('accept_late', f.code, ctx.round_path)}）。"
                "記録がなければ選定の対象外です。",
                **f.where,
            )
        ]
    return [
        _problem(
            f.file,
            "info",
            f"期限後提出（{basis}）ですが、受理されています: {f.accepted.summary_ja()}。",
            "対処は不要です。",
            **f.where,
        )
    ]


def _corrected_in_time_problems(ctx: _Context, f: _Facts) -> list[dict[str, str]]:
    """情報: a late file that corrects one received in time is not late."""
    if f.after or f.push or f.correction is None or ctx.limit is None:
        return []
    if not (pd.notna(f.submitted) and f.submitted > ctx.limit):
        return []
    return [
        _problem(
            f.file,
            "info",
            f"{f.correction.summary_ja()}のため、受付日時は元の提出の {_fmt(f.received)} です"
            f"（提出期限 {_fmt(ctx.limit)} 内）。このファイルの提出日時 {_fmt(f.submitted)} は使いません。",
            "対処は不要です。",
            **f.where,
        )
    ]


def _unrecorded_push_problems(ctx: _Context, f: _Facts) -> list[dict[str, str]]:
    """A warning for a form that says プッシュ型 without the ministry's recorded decision."""
    if not f.typed_push or f.pushed is not None:
        return []
    return [
        _problem(
            f.file,
            "warning",
            "応募区分が「プッシュ型」ですが、総務省のプッシュ型の決定（eligibility push）が記録されていません。"
            "手上げ式として扱います（提出期限とプッシュ型の上限・下限）。",
            "総務省がこの団体をプッシュ型として選んだ場合は、理由を添えて記録してください（"
            f"{eligibility_command('push', f.code, ctx.round_path)}）。そうでなければ応募区分を"
            "手上げ式に直すよう提出元に依頼してください。",
            field="応募区分",
        )
    ]


def _withdrawal_problems(ctx: _Context, f: _Facts) -> list[dict[str, str]]:
    """情報: the application is withdrawn."""
    if f.withdrawal is None:
        return []
    return [
        _problem(
            f.file,
            "info",
            f"{f.withdrawal.summary_ja()}。この応募は審査・選定の対象外です。",
            "撤回された場合は python -m scoring eligibility reinstate で辞退を取り消せます。",
        )
    ]


#: The per-application checks, in the order their problems are listed.
_APPLICATION_CHECKS: tuple[Callable[[_Context, _Facts], list[dict[str, str]]], ...] = (
    _other_file_problems,
    _late_problems,
    _corrected_in_time_problems,
    _unrecorded_push_problems,
    _withdrawal_problems,
)


def _status(f: _Facts) -> str:
    """The status word (one of :data:`ELIGIBILITY_STATUSES`)."""
    if f.withdrawal is not None:
        return "辞退"
    if f.after and f.push:
        return "期限適用外（プッシュ型）"
    if f.after and f.accepted is not None:
        return "期限後・受理"
    return "期限後・未受理" if f.late else "期限内"


def _effective_type(ctx: _Context, f: _Facts) -> object:
    """The application type that counts: プッシュ型 only with a recorded decision."""
    if f.pushed is not None:
        return PUSH_TYPE
    return HAND_RAISED if f.typed_push else ctx.apps.at[f.code, "application_type"]


def _table_row(ctx: _Context, f: _Facts) -> dict[str, Any]:
    """The application's row of the eligibility table."""
    return {
        "application": f.code,
        "prefecture_name": ctx.apps.at[f.code, "prefecture_name"],
        "application_type": _effective_type(ctx, f),
        "form_type": ctx.apps.at[f.code, "application_type"],
        "file": f.file,
        "received_at": f.received,
        "status": _status(f),
        "late": f.late,
        "withdrawn": f.withdrawal is not None,
        "records": "；".join(r.summary_ja() for r in f.recs if f.applies(r)),
    }


def _note_superseded(
    out: pd.DataFrame, superseded: pd.DataFrame | None, by_app: dict[str, list[EligibilityRecord]]
) -> pd.DataFrame:
    """Name the recorded correction or resubmission in the info rows of superseded files."""
    if superseded is None or not len(superseded):
        return out
    out = out.copy()
    for _, s in superseded.iterrows():
        recorded = [
            r
            for r in by_app.get(str(s["application"]), [])
            if r.action in ("correction", "resubmission") and r.file in ("", str(s["replaced_by"]))
        ]
        if recorded:
            mask = (out["file"] == s["file"]) & (out["severity"] == "info")
            out.loc[mask, "action"] = f"対処は不要です（記録済み: {recorded[-1].summary_ja()}）。"
    return out


def _eligibility_table(table: list[dict[str, Any]]) -> pd.DataFrame:
    tab = pd.DataFrame(table, columns=["application", *ELIGIBILITY_COLUMNS]).set_index("application")
    tab["received_at"] = pd.to_datetime(tab["received_at"], utc=True).dt.tz_convert(JST)
    return tab.astype({"late": bool, "withdrawn": bool})


def apply_eligibility(
    applications: pd.DataFrame,
    problems: pd.DataFrame,
    records: Sequence[EligibilityRecord],
    *,
    deadline: dt.datetime | None,
    superseded: pd.DataFrame | None = None,
    round_path: object = "審査ラウンドのフォルダ",
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Apply the recorded eligibility decisions to an intake's tables.

    Parameters
    ----------
    applications, problems : DataFrame
        From :func:`scoring.intake.applications.read_applications` (not modified).
    records : sequence of EligibilityRecord
        The decisions, oldest first (:func:`scoring.round.eligibility_records.read_eligibility`).
    deadline : datetime, optional
        The round's deadline (aware). ``None``: nothing is late.
    superseded : DataFrame, optional
        ``Intake.superseded``: the info rows of superseded files then name the recorded
        correction or resubmission.
    round_path : object
        The round folder, shown in the commands that messages suggest.

    Returns
    -------
    applications : DataFrame
        A copy with ``late`` (after the deadline by the effective receipt time, not
        プッシュ型, not accepted) and ``withdrawn`` recomputed.
    problems : DataFrame
        A copy: the intake's 期限後提出 warnings replaced by the effective ones (a warning
        while not accepted, 情報 once accepted or corrected in time), a 情報 row per
        withdrawal, and a warning per decision that no longer applies (a newer file, an
        application no longer in the folder).
    table : DataFrame
        Index ``application``; columns :data:`~scoring.core.columns.ELIGIBILITY_COLUMNS`:
        ``application_type`` is the type that counts (プッシュ型 only with a recorded
        ``push`` decision), ``form_type`` what the form says;
        ``received_at`` is the effective receipt time (the original one for a correction),
        ``status`` one of :data:`ELIGIBILITY_STATUSES`, ``records`` the decisions that apply,
        in Japanese.
    """
    by_app: dict[str, list[EligibilityRecord]] = {}
    for r in records:
        by_app.setdefault(r.application, []).append(r)
    limit = pd.Timestamp(deadline).tz_convert(JST) if deadline is not None else None
    ctx = _Context(applications, problems, by_app, limit, round_path)
    facts = [_facts(ctx, code) for code in applications.index]
    rows = _missing_application_problems(ctx)
    for f in facts:
        for check in _APPLICATION_CHECKS:
            rows += check(ctx, f)
    apps = applications.copy()
    if len(apps):
        apps["late"] = pd.Series([f.late for f in facts], index=apps.index, dtype=bool)
        apps["withdrawn"] = pd.Series([f.withdrawal is not None for f in facts], index=apps.index, dtype=bool)
        if "application_type" in apps:
            types = [_effective_type(ctx, f) for f in facts]
            apps["application_type"] = pd.Series(types, index=apps.index, dtype=object).astype(
                apps["application_type"].dtype
            )
    drop = [i for f in facts for i in f.intake_late]
    out = _note_superseded(problems.drop(index=drop) if drop else problems.copy(), superseded, by_app)
    if rows:
        out = pd.concat([out, pd.DataFrame(rows, columns=list(PROBLEM_COLUMNS))], ignore_index=True)
    out = correction_hints(out, superseded, limit, round_path)  # a late file correcting one in time
    return apps, out.reset_index(drop=True), _eligibility_table([_table_row(ctx, f) for f in facts])
