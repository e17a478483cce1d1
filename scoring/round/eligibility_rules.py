"""The rules of recording an eligibility decision (受付の判断): who, why, which file, refusals.

:func:`record_eligibility` checks a decision against the round (a reason is required, only
a late application can be accepted, a correction needs the original receipt time, a
プッシュ型 decision only once, …) and appends the event
(:func:`scoring.round.eligibility_records.record_eligibility_event`). How the recorded
decisions take effect is :mod:`scoring.round.eligibility`, which re-exports
:func:`record_eligibility`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from ..core.clock import JST
from ..core.errors import IntakeError
from ..core.normalize import parse_prefecture
from ..core.schema import PUSH_TYPE
from ..store.scores import ScoreStore
from .eligibility_records import ELIGIBILITY_ACTIONS, EligibilityRecord, record_eligibility_event

__all__ = ["application_code", "eligibility_command", "record_eligibility"]


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


_FILE_ACTIONS = ("accept_late", "correction", "resubmission")
_CLI_ACTION = {
    "accept_late": "accept-late",
    "correction": "correction",
    "resubmission": "resubmission",
    "withdraw": "withdraw",
    "reinstate": "reinstate",
    "push": "push",
}


def _fmt(t: dt.datetime | pd.Timestamp) -> str:
    return pd.Timestamp(t).tz_convert(JST).strftime("%Y/%m/%d %H:%M")


def eligibility_command(action: str, application: str, round_path: object = "審査ラウンドのフォルダ") -> str:
    """The CLI command that records ``action`` for ``application`` (for messages)."""
    return (
        f"python -m scoring eligibility {_CLI_ACTION.get(action, action)} --round {round_path} "
        f"--application {application} --by 名前 --reason 理由"
    )


def application_code(rnd: _RoundLike, application: object) -> str:
    """The JIS code of ``application`` given as a code (``43``, ``1``) or a prefecture name (熊本, 熊本県).

    Raises
    ------
    IntakeError
        Not an application of the round (the message names the folder and lists them).
    """
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
    def records(self) -> list[EligibilityRecord]:
        """The decisions recorded so far (the round's, as loaded)."""
        return list(getattr(self.rnd, "eligibility_records", []) or [])

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

    @property
    def tied(self) -> list[str]:
        """Superseded files with the same 提出日時 as the file in use (the analyst chooses one)."""
        at: Any = self.row.get("submitted_at")
        if at is None or pd.isna(at):
            return []
        times = pd.to_datetime(self.earlier["submitted_at"], utc=True)
        same = self.earlier.loc[times.to_numpy() == pd.Timestamp(at).tz_convert("UTC")]
        return [str(f) for f in same["file"]]

    @property
    def chosen(self) -> str:
        """The file the decision is about: ``file`` when given (the one in use, or a tied one)."""
        wanted = str(self.file).strip() if self.file is not None else ""
        return wanted if wanted and wanted in self.tied else self.in_use

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
        or (q.act in ("correction", "resubmission") and str(q.file).strip() in q.tied)
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


def _refuse_pushed(q: _Request) -> str | None:
    if not any(r.action == "push" and r.application == q.code for r in q.records):
        return None
    return f"{q.label}のプッシュ型（総務省の決定）は既に記録されています。記録は不要です。"


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
    "push": (_refuse_pushed,),
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
    q = _Request(rnd, act, application_code(rnd, application), by, reason, file, original_received)
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
        file=q.chosen if act in _FILE_ACTIONS else "",
        original_received=q.original() if act == "correction" else None,
    )
    own = store is None
    st = rnd.store() if store is None else store
    try:
        return record_eligibility_event(st, record)
    finally:
        if own:
            st.close()
