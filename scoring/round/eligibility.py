"""Eligibility of the round's applications: the deadline, プッシュ型, and the recorded decisions.

The intake (:func:`scoring.intake.applications.read_applications`) flags a file submitted
after the deadline (``late``), except a プッシュ型 application (総務省 chose it itself, so
the deadline does not apply), and reports a file replaced by a newer one of the same
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
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from ..core.clock import JST
from ..core.columns import ELIGIBILITY_COLUMNS
from ..core.errors import IntakeError
from ..core.normalize import parse_prefecture
from ..core.schema import PROBLEM_COLUMNS, PUSH_TYPE
from ..store.scores import ScoreStore
from .eligibility_records import ELIGIBILITY_ACTIONS, EligibilityRecord, record_eligibility_event
from .late_hints import correction_hints


class _RoundLike(Protocol):
    """What the eligibility rules need of a round (a :class:`~scoring.round.loader.ReviewRound`)."""

    @property
    def path(self) -> Path: ...
    @property
    def applications(self) -> pd.DataFrame: ...
    @property
    def eligibility(self) -> pd.DataFrame | None: ...
    @property
    def superseded(self) -> pd.DataFrame | None: ...
    def store(self, url: str | None = None) -> ScoreStore: ...


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
_FILE_ACTIONS = ("accept_late", "correction", "resubmission")
_CLI_ACTION = {
    "accept_late": "accept-late",
    "correction": "correction",
    "resubmission": "resubmission",
    "withdraw": "withdraw",
    "reinstate": "reinstate",
}


def _fmt(t: dt.datetime | pd.Timestamp) -> str:
    return pd.Timestamp(t).tz_convert(JST).strftime("%Y/%m/%d %H:%M")


def eligibility_command(action: str, application: str, round_path: object = "審査ラウンドのフォルダ") -> str:
    """The CLI command that records ``action`` for ``application`` (for messages)."""
    return (
        f"python -m scoring eligibility {_CLI_ACTION.get(action, action)} --round {round_path} "
        f"--application {application} --by 名前 --reason 理由"
    )


def _problem(
    file: str, severity: str, message: str, action: str, field: str = "受付", sheet: str = "", cell: str = ""
) -> dict[str, str]:
    return {
        "file": file,
        "sheet": sheet,
        "cell": cell,
        "field": field,
        "severity": severity,
        "message": message,
        "action": action,
    }


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
    push: bool
    after: bool
    intake_late: list[Any]
    where: dict[str, str]

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
    push = str(apps.at[code, "application_type"]) == PUSH_TYPE if "application_type" in apps else False
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
        push,
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
    """The 期限後提出 row: a warning while not accepted, 情報 once accepted."""
    if not f.after or f.push:
        return []
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


def _table_row(ctx: _Context, f: _Facts) -> dict[str, Any]:
    """The application's row of the eligibility table."""
    return {
        "application": f.code,
        "prefecture_name": ctx.apps.at[f.code, "prefecture_name"],
        "application_type": ctx.apps.at[f.code, "application_type"],
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
    drop = [i for f in facts for i in f.intake_late]
    out = _note_superseded(problems.drop(index=drop) if drop else problems.copy(), superseded, by_app)
    if rows:
        out = pd.concat([out, pd.DataFrame(rows, columns=list(PROBLEM_COLUMNS))], ignore_index=True)
    out = correction_hints(out, superseded, limit, round_path)  # a late file correcting one in time
    return apps, out.reset_index(drop=True), _eligibility_table([_table_row(ctx, f) for f in facts])


def _code(rnd: _RoundLike, application: object) -> str:
    text = str(application).strip()
    if text in rnd.applications.index:
        return text
    try:
        code = parse_prefecture(text)
    except ValueError:
        code = ""
    if code not in rnd.applications.index:
        listing = "、".join(f"{c} {n}" for c, n in rnd.applications["prefecture_name"].items())
        raise IntakeError(
            f"応募「{text}」はこの審査ラウンド（{rnd.path / 'applications'}）にありません。"
            f"都道府県コード（2桁）または都道府県名で指定してください。応募: {listing or 'なし'}"
        )
    return code


def _aware(value: dt.datetime | str | None, what: str) -> dt.datetime | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip().replace("/", "-"))
        except ValueError as e:
            raise IntakeError(
                f"{what}「{value}」を日時として読めません。2026-02-20T16:40 の形で指定してください"
                "（時差がなければ日本時間）。"
            ) from e
    if value.tzinfo is None:
        value = pd.Timestamp(value).tz_localize(JST).to_pydatetime()
    return value


@dataclass(frozen=True)
class _Request:
    """An eligibility decision to record, with what the refusal checks read of the round."""

    rnd: _RoundLike
    act: str
    code: str
    by: str
    reason: str
    file: str | None
    original_received: dt.datetime | str | None

    @property
    def row(self) -> pd.Series | pd.DataFrame:
        """The application's row of ``rnd.applications``."""
        return self.rnd.applications.loc[self.code]

    @property
    def label(self) -> str:
        return f"応募 {self.code}（{self.row['prefecture_name']}）"

    @property
    def in_use(self) -> str:
        return str(self.row["file"])

    @property
    def withdrawn(self) -> bool:
        return bool(self.row.get("withdrawn", False))

    @property
    def status(self) -> str:
        table = self.rnd.eligibility
        return str(table.loc[self.code]["status"]) if table is not None and self.code in table.index else ""

    @property
    def earlier(self) -> pd.DataFrame:
        sup = self.rnd.superseded
        if sup is None:
            sup = pd.DataFrame(columns=["application", "submitted_at"])
        return sup.loc[sup["application"] == self.code]

    def original(self) -> dt.datetime | None:
        """The original receipt time of a correction: as given, else the newest superseded file's."""
        orig = _aware(self.original_received, "元の受付日時（--original-received）")
        if orig is not None:
            return orig
        times = pd.to_datetime(self.earlier["submitted_at"], utc=True).dropna()
        return None if times.empty else times.max().tz_convert(JST).to_pydatetime()


# The refusal checks: each returns the Japanese message that refuses the request, or None.
def _refuse_no_by(q: _Request) -> str | None:
    if isinstance(q.by, str) and q.by.strip():
        return None
    return "記録する人（--by）が空です。事務局の担当者名を指定してください（記録に残ります）。"


def _refuse_no_reason(q: _Request) -> str | None:
    if isinstance(q.reason, str) and q.reason.strip():
        return None
    return (
        f"{ELIGIBILITY_ACTIONS[q.act]}の理由（--reason）が空です。理由を指定してください（記録に残ります）。"
    )


def _refuse_other_file(q: _Request) -> str | None:
    if (
        q.file is None
        or not str(q.file).strip()
        or q.act not in _FILE_ACTIONS
        or str(q.file).strip() == q.in_use
    ):
        return None
    return (
        f"{q.label}で使用している応募書は {q.in_use} です（指定: {q.file}）。"
        "使用している応募書についてだけ記録できます。ファイル名を確認してください。"
    )


def _refuse_original_for_other(q: _Request) -> str | None:
    if q.original_received is None or q.act == "correction":
        return None
    return "元の受付日時（--original-received）は訂正（correction）のときだけ指定できます。"


def _refuse_withdrawn(q: _Request) -> str | None:
    return f"{q.label}は既に辞退として記録されています。記録は不要です。" if q.withdrawn else None


def _refuse_not_withdrawn(q: _Request) -> str | None:
    return None if q.withdrawn else f"{q.label}は辞退として記録されていないため、取り消せません。"


def _refuse_push(q: _Request) -> str | None:
    if str(q.row.get("application_type", "")) != PUSH_TYPE:
        return None
    return f"{q.label}はプッシュ型のため提出期限は適用されません。期限後受理の記録は不要です。"


def _refuse_accepted(q: _Request) -> str | None:
    if q.status != "期限後・受理":
        return None
    return f"{q.label}（{q.in_use}）の期限後受理は既に記録されています。記録は不要です。"


def _refuse_not_late(q: _Request) -> str | None:
    if bool(q.row["late"]):
        return None
    return f"{q.label}（{q.in_use}）は提出期限内の受付です（期限後提出ではありません）。期限後受理の記録は不要です。"


def _refuse_no_earlier(q: _Request) -> str | None:
    if not q.earlier.empty:
        return None
    return (
        f"{q.label}には置き換えられた以前の提出がありません（applications フォルダに同じ団体の古い応募書がない）。"
        "再提出は、以前の応募書を残したまま新しい応募書を置いてから記録してください。"
    )


def _refuse_no_original(q: _Request) -> str | None:
    if q.original() is not None:
        return None
    return (
        f"{q.label}の訂正には元の提出の受付日時が必要ですが、置き換えられた以前の応募書がありません。"
        "--original-received 2026-02-20T16:40 のように元の受付日時を指定してください。"
    )


def _refuse_original_after_file(q: _Request) -> str | None:
    orig = q.original()
    submitted_at: Any = q.row.get("submitted_at")
    if (
        orig is None
        or submitted_at is None
        or pd.isna(submitted_at)
        or pd.Timestamp(orig) <= pd.Timestamp(submitted_at)
    ):
        return None
    return (
        f"元の受付日時 {_fmt(orig)} が、訂正の応募書 {q.in_use} の提出日時 {_fmt(submitted_at)} より後です。"
        "元の提出の受付日時を確認してください。"
    )


_Refusal = Callable[[_Request], str | None]

#: The refusals of every decision, then those of each action, in the order they are checked.
_COMMON_REFUSALS: tuple[_Refusal, ...] = (
    _refuse_no_by,
    _refuse_no_reason,
    _refuse_other_file,
    _refuse_original_for_other,
)
_ACTION_REFUSALS: dict[str, tuple[_Refusal, ...]] = {
    "accept_late": (_refuse_push, _refuse_accepted, _refuse_not_late),
    "correction": (_refuse_no_original, _refuse_original_after_file),
    "resubmission": (_refuse_no_earlier,),
    "withdraw": (_refuse_withdrawn,),
    "reinstate": (_refuse_not_withdrawn,),
}


def record_eligibility(
    rnd: _RoundLike,
    action: str,
    application: object,
    *,
    by: str,
    reason: str,
    file: str | None = None,
    original_received: dt.datetime | str | None = None,
    store: ScoreStore | None = None,
) -> EligibilityRecord:
    """Check an eligibility decision against the round and append it to the score store.

    Parameters
    ----------
    rnd : ReviewRound
        The round as loaded (its ``applications`` already reflect earlier decisions).
    action : str
        A key of :data:`scoring.round.eligibility_records.ELIGIBILITY_ACTIONS` (``accept_late``,
        ``correction``, ``resubmission``, ``withdraw``, ``reinstate``; ``accept-late`` too).
    application : str
        JIS code or prefecture name.
    by, reason : str
        Who records it and why (both required; kept in the log).
    file : str, optional
        For accept_late / correction / resubmission: the 応募書 file the decision is about.
        Default: the file in use. Another file is refused.
    original_received : datetime or str, optional
        For a correction: the receipt time of the original submission (naive = Japan time).
        Default: the time of the newest superseded file of the same prefecture.
    store : ScoreStore, optional
        The store to write to (default: the round's, opened and closed here).

    Returns
    -------
    EligibilityRecord
        As recorded (with ``event_id`` and ``recorded_at``).

    Raises
    ------
    IntakeError
        Japanese message: unknown action or application, empty ``by`` / ``reason``, a file
        not in use, accepting an application that is not late (or already accepted, or
        プッシュ型), a correction without an original receipt time (or one later than the
        file), a resubmission without an earlier file, withdrawing a withdrawn application,
        reinstating one that is not withdrawn, an original time given for another action.
    """
    act = action.replace("-", "_")
    if act not in ELIGIBILITY_ACTIONS:
        raise IntakeError(
            f"受付の判断「{action}」はありません。次のいずれかにしてください: "
            + "、".join(f"{_CLI_ACTION[k]}（{v}）" for k, v in ELIGIBILITY_ACTIONS.items())
        )
    q = _Request(rnd, act, _code(rnd, application), by, reason, file, original_received)
    for refuse in (*_COMMON_REFUSALS, *_ACTION_REFUSALS.get(act, ())):
        message = refuse(q)
        if message is not None:
            raise IntakeError(message)
    record = EligibilityRecord(
        action=act,
        application=q.code,
        by=by.strip(),
        reason=reason.strip(),
        recorded_at=dt.datetime.now(dt.timezone.utc),
        file=q.in_use if act in _FILE_ACTIONS else "",
        original_received=q.original() if act == "correction" else None,
    )
    own = store is None
    st = rnd.store() if store is None else store
    try:
        return record_eligibility_event(st, record)
    finally:
        if own:
            st.close()
