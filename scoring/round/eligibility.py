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
from collections.abc import Sequence
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
    "期限内", "期限後・未受理", "期限後・受理", "期限適用外（プッシュ型）", "辞退",
)
_FILE_ACTIONS = ("accept_late", "correction", "resubmission")
_CLI_ACTION = {"accept_late": "accept-late", "correction": "correction", "resubmission": "resubmission",
               "withdraw": "withdraw", "reinstate": "reinstate"}


def _fmt(t: dt.datetime | pd.Timestamp) -> str:
    return pd.Timestamp(t).tz_convert(JST).strftime("%Y/%m/%d %H:%M")


def eligibility_command(action: str, application: str, round_path: object = "審査ラウンドのフォルダ") -> str:
    """The CLI command that records ``action`` for ``application`` (for messages)."""
    return (f"python -m scoring eligibility {_CLI_ACTION.get(action, action)} --round {round_path} "
            f"--application {application} --by 名前 --reason 理由")


def _problem(file: str, severity: str, message: str, action: str, field: str = "受付",
             sheet: str = "", cell: str = "") -> dict[str, str]:
    return {"file": file, "sheet": sheet, "cell": cell, "field": field, "severity": severity,
            "message": message, "action": action}


def _is_late_row(row: pd.Series, file: str) -> bool:
    return bool(row["file"] == file and str(row["message"]).startswith("期限後提出:"))


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
    apps = applications.copy()
    rows: list[dict[str, str]] = []
    drop: list[Any] = []
    limit = pd.Timestamp(deadline).tz_convert(JST) if deadline is not None else None
    table = []
    by_app: dict[str, list[EligibilityRecord]] = {}
    for r in records:
        by_app.setdefault(r.application, []).append(r)
    for code, recs in by_app.items():
        if code not in apps.index:
            for r in recs:
                rows.append(_problem("", "warning",
                                     f"応募 {code} について{r.summary_ja()}が記録されていますが、"
                                     "applications フォルダにこの応募の応募書がありません。",
                                     "応募書を applications フォルダに戻すか、記録が誤りでないか確認してください。"))
    late_col, withdrawn_col = [], []
    for code in apps.index:
        file = str(apps.at[code, "file"])
        recs = by_app.get(code, [])
        withdrawn = False
        withdrawal: EligibilityRecord | None = None
        for r in recs:
            if r.action == "withdraw":
                withdrawn, withdrawal = True, r
            elif r.action == "reinstate":
                withdrawn, withdrawal = False, None
        applying = [r for r in recs if r.action in _FILE_ACTIONS and r.file in ("", file)]
        for r in recs:
            if r.action in _FILE_ACTIONS and r.file not in ("", file):
                rows.append(_problem(file, "warning",
                                     f"{r.summary_ja()}は {r.file} についての記録ですが、いま使用している応募書は "
                                     f"{file} です（その後に新しい提出がありました）。この記録は適用していません。",
                                     f"{file} について改めて判断し、記録してください（例: "
                                     f"{eligibility_command(r.action, code, round_path)}）。"))
        correction = next((r for r in reversed(applying) if r.action == "correction"), None)
        accepted = next((r for r in reversed(applying) if r.action == "accept_late"), None)
        submitted: Any = apps.at[code, "submitted_at"] if "submitted_at" in apps else pd.NaT
        received: Any = (pd.Timestamp(correction.original_received).tz_convert(JST)
                         if correction is not None and correction.original_received is not None else submitted)
        push = str(apps.at[code, "application_type"]) == PUSH_TYPE if "application_type" in apps else False
        after = bool(limit is not None and pd.notna(received) and received > limit)
        late = after and not push and accepted is None
        intake_late = [i for i, row in problems.iterrows() if _is_late_row(row, file)]
        drop += intake_late
        where = ({k: str(problems.at[intake_late[0], k]) for k in ("sheet", "cell", "field")}
                 if intake_late else {"field": "提出日時"})
        if after and not push:
            basis = f"受付日時 {_fmt(received)}（訂正のため元の提出の日時）" if correction else f"提出日時 {_fmt(received)}"
            if accepted is None:
                rows.append(_problem(file, "warning", f"期限後提出: {basis} は提出期限 {_fmt(limit)} より後です。",  # type: ignore[arg-type]
                                     "受理する場合は理由を添えて記録してください（"
                                     f"{eligibility_command('accept_late', code, round_path)}）。"
                                     "記録がなければ選定の対象外です。", **where))
            else:
                rows.append(_problem(file, "info", f"期限後提出（{basis}）ですが、受理されています: {accepted.summary_ja()}。",
                                     "対処は不要です。", **where))
        elif correction is not None and limit is not None and not push and pd.notna(submitted) and submitted > limit:
            rows.append(_problem(file, "info",
                                 f"{correction.summary_ja()}のため、受付日時は元の提出の {_fmt(received)} です"
                                 f"（提出期限 {_fmt(limit)} 内）。このファイルの提出日時 {_fmt(submitted)} は使いません。",
                                 "対処は不要です。", **where))
        if withdrawn and withdrawal is not None:
            rows.append(_problem(file, "info", f"{withdrawal.summary_ja()}。この応募は審査・選定の対象外です。",
                                 "撤回された場合は python -m scoring eligibility reinstate で辞退を取り消せます。"))
        status = ("辞退" if withdrawn else "期限適用外（プッシュ型）" if after and push
                  else "期限後・受理" if after and accepted is not None
                  else "期限後・未受理" if late else "期限内")
        late_col.append(late)
        withdrawn_col.append(withdrawn)
        shown = [r.summary_ja() for r in recs if r.action not in _FILE_ACTIONS or r.file in ("", file)]
        table.append({"application": code, "prefecture_name": apps.at[code, "prefecture_name"],
                      "application_type": apps.at[code, "application_type"], "file": file,
                      "received_at": received, "status": status, "late": late, "withdrawn": withdrawn,
                      "records": "；".join(shown)})
    if len(apps):
        apps["late"] = pd.Series(late_col, index=apps.index, dtype=bool)
        apps["withdrawn"] = pd.Series(withdrawn_col, index=apps.index, dtype=bool)
    out = problems.drop(index=drop) if drop else problems.copy()
    if superseded is not None and len(superseded):
        out = out.copy()
        for _, s in superseded.iterrows():
            recorded = [r for r in by_app.get(str(s["application"]), [])
                        if r.action in ("correction", "resubmission") and r.file in ("", str(s["replaced_by"]))]
            if recorded:
                mask = (out["file"] == s["file"]) & (out["severity"] == "info")
                out.loc[mask, "action"] = f"対処は不要です（記録済み: {recorded[-1].summary_ja()}）。"
    if rows:
        out = pd.concat([out, pd.DataFrame(rows, columns=list(PROBLEM_COLUMNS))], ignore_index=True)
    tab = pd.DataFrame(table, columns=["application", *ELIGIBILITY_COLUMNS]).set_index("application")
    tab["received_at"] = pd.to_datetime(tab["received_at"], utc=True).dt.tz_convert(JST)
    tab = tab.astype({"late": bool, "withdrawn": bool})
    return apps, out.reset_index(drop=True), tab


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
        raise IntakeError(f"応募「{text}」はこの審査ラウンド（{rnd.path / 'applications'}）にありません。"
                          f"都道府県コード（2桁）または都道府県名で指定してください。応募: {listing or 'なし'}")
    return code


def _aware(value: dt.datetime | str | None, what: str) -> dt.datetime | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip().replace("/", "-"))
        except ValueError as e:
            raise IntakeError(f"{what}「{value}」を日時として読めません。2026-02-20T16:40 の形で指定してください"
                              "（時差がなければ日本時間）。") from e
    if value.tzinfo is None:
        value = pd.Timestamp(value).tz_localize(JST).to_pydatetime()
    return value


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
        raise IntakeError(f"受付の判断「{action}」はありません。次のいずれかにしてください: "
                          + "、".join(f"{_CLI_ACTION[k]}（{v}）" for k, v in ELIGIBILITY_ACTIONS.items()))
    code = _code(rnd, application)
    if not isinstance(by, str) or not by.strip():
        raise IntakeError("記録する人（--by）が空です。事務局の担当者名を指定してください（記録に残ります）。")
    if not isinstance(reason, str) or not reason.strip():
        raise IntakeError(f"{ELIGIBILITY_ACTIONS[act]}の理由（--reason）が空です。理由を指定してください（記録に残ります）。")
    row = rnd.applications.loc[code]
    name = str(row["prefecture_name"])
    label = f"応募 {code}（{name}）"
    in_use = str(row["file"])
    if file is not None and str(file).strip() and act in _FILE_ACTIONS and str(file).strip() != in_use:
        raise IntakeError(f"{label}で使用している応募書は {in_use} です（指定: {file}）。"
                          "使用している応募書についてだけ記録できます。ファイル名を確認してください。")
    if original_received is not None and act != "correction":
        raise IntakeError("元の受付日時（--original-received）は訂正（correction）のときだけ指定できます。")
    info = rnd.eligibility.loc[code] if rnd.eligibility is not None and code in rnd.eligibility.index else None
    status = str(info["status"]) if info is not None else ""
    withdrawn = bool(row.get("withdrawn", False))
    orig: dt.datetime | None = None
    if act == "withdraw" and withdrawn:
        raise IntakeError(f"{label}は既に辞退として記録されています。記録は不要です。")
    if act == "reinstate" and not withdrawn:
        raise IntakeError(f"{label}は辞退として記録されていないため、取り消せません。")
    if act == "accept_late":
        if str(row.get("application_type", "")) == PUSH_TYPE:
            raise IntakeError(f"{label}はプッシュ型のため提出期限は適用されません。期限後受理の記録は不要です。")
        if status == "期限後・受理":
            raise IntakeError(f"{label}（{in_use}）の期限後受理は既に記録されています。記録は不要です。")
        if not bool(row["late"]):
            raise IntakeError(f"{label}（{in_use}）は提出期限内の受付です（期限後提出ではありません）。期限後受理の記録は不要です。")
    sup = rnd.superseded if rnd.superseded is not None else pd.DataFrame(columns=["application", "submitted_at"])
    earlier = sup.loc[sup["application"] == code]
    if act == "resubmission" and earlier.empty:
        raise IntakeError(f"{label}には置き換えられた以前の提出がありません（applications フォルダに同じ団体の古い応募書がない）。"
                          "再提出は、以前の応募書を残したまま新しい応募書を置いてから記録してください。")
    if act == "correction":
        orig = _aware(original_received, "元の受付日時（--original-received）")
        if orig is None:
            times = pd.to_datetime(earlier["submitted_at"], utc=True).dropna()
            if times.empty:
                raise IntakeError(f"{label}の訂正には元の提出の受付日時が必要ですが、置き換えられた以前の応募書がありません。"
                                  "--original-received 2026-02-20T16:40 のように元の受付日時を指定してください。")
            orig = times.max().tz_convert(JST).to_pydatetime()
        submitted_at: Any = row.get("submitted_at")
        if submitted_at is not None and pd.notna(submitted_at) and pd.Timestamp(orig) > pd.Timestamp(submitted_at):
            raise IntakeError(f"元の受付日時 {_fmt(orig)} が、訂正の応募書 {in_use} の提出日時 {_fmt(submitted_at)} より後です。"
                              "元の提出の受付日時を確認してください。")
    record = EligibilityRecord(action=act, application=code, by=by.strip(), reason=reason.strip(),
                               recorded_at=dt.datetime.now(dt.timezone.utc),
                               file=in_use if act in _FILE_ACTIONS else "", original_received=orig)
    own = store is None
    st = rnd.store() if store is None else store
    try:
        return record_eligibility_event(st, record)
    finally:
        if own:
            st.close()
