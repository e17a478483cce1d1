"""The committee's decision (選定結果): recorded in the round, logged like the scores.

The 選定委員会 reads the proposal and decides: the final list, the applications it locked
in (必ず含める) or excluded (除外), a free-text reason per applicant, who recorded it and when.
The decision is stored as a record of kind ``"decision"`` in the round's score store
(:meth:`scoring.store.scores.ScoreStore.append_record`, its content in the ``payload``
column): append-only and in the same SHA-256 hash chain as the scores, so
``python -m scoring audit`` detects a decision altered or removed afterwards. A later
decision supersedes an earlier one; every one stays in the log.

With the decision the fingerprints of what it was based on are recorded:

- ``config_hash``: the settings (round, rubric version, weights, method, number to select,
  balance, locks, exclusions, eligibility overrides) — :func:`scoring.core.settings.settings_hash`
  of the settings without the scores;
- ``score_fingerprint``: the scores (:func:`scoring.core.settings.score_fingerprint`);
- ``settings_hash``: both together (what the committee output records in its 注記).

:func:`check_decision` compares them with the current round: a change of scores or of
settings after the decision becomes a Japanese warning on the committee output (notebook,
HTML and Excel).

Recording a decision (:func:`record_decision`)
----------------------------------------------
The decision also records the signed checkpoint it rests on (a new one is written when
events were added since the last), so the minutes can quote the exact state of the scores
(``checkpoint_id``, ``checkpoint_hash``). A reason is any text and is kept as text (it
never becomes a formula in the exported workbook).

It is refused (``ValueError``, Japanese message) for an unknown application, a duplicate,
an empty list or ``by``, a lock not selected, an exclusion selected, a 対象外 application
without ``force`` or without a reason, and a difference from the proposal without a reason
(all missing ones listed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..core.clock import to_jst
from ..core.columns import DECISION_COLUMNS
from ..core.errors import OptionError, SigningError
from ..core.normalize import parse_prefecture
from ..store.scores import ScoreStore

__all__ = [
    "DECISION_COLUMNS",
    "DECISION_KIND",
    "DECISION_STATUSES",
    "Decision",
    "check_decision",
    "decision_status",
    "decision_table",
    "latest_decision",
    "read_decisions",
    "record_decision",
]

#: ``kind`` of a decision event in the score store.
DECISION_KIND = "decision"
#: Status of the decision shown on the committee output.
DECISION_STATUSES: tuple[str, ...] = ("未決定", "決定済", "決定後に変更あり")
_PAYLOAD_VERSION = 1


@dataclass(frozen=True)
class Decision:
    """One recorded decision of the committee.

    Attributes
    ----------
    selected : tuple of str
        The final list (application ids = JIS codes), in the order given.
    by : str
        Who recorded it (the committee's secretary, a name).
    recorded_at : datetime
        When (UTC, timezone-aware).
    locks, exclusions : tuple of str
        Applications the committee locked in (必ず含める) or excluded (除外).
    reasons : dict
        Application id → free-text reason (any applicant, selected or not).
    note : str
        A free-text note on the whole decision.
    proposed : tuple of str
        The proposal (選定案) the committee saw, for the record.
    settings_hash, config_hash, score_fingerprint : str
        What the decision was based on (see the module docstring).
    event_id : int or None
        Id of the event in the score store (None before it is recorded).
    deciders : tuple of str
        Who decided (one or more names; ``by`` joins them with 「、」).
    checkpoint_id, checkpoint_hash : int, str
        The signed checkpoint the decision rests on (:mod:`scoring.store.checkpoints`): the
        id and hash of the last event it anchors (0 and "" in decisions recorded before
        this was kept).
    checkpoint_key : str
        Fingerprint of the analyst's public key that signed that checkpoint
        (:func:`scoring.core.keys.fingerprint`; "" before format 2): an auditor compares it with
        the keyring they check the round with (``audit --public-keys``).
    forced : tuple of str
        Applications marked 対象外 that the committee selected anyway (``force``).
    """

    selected: tuple[str, ...]
    by: str
    recorded_at: dt.datetime
    locks: tuple[str, ...] = ()
    exclusions: tuple[str, ...] = ()
    reasons: Mapping[str, str] = field(default_factory=dict)
    note: str = ""
    proposed: tuple[str, ...] = ()
    settings_hash: str = ""
    config_hash: str = ""
    score_fingerprint: str = ""
    event_id: int | None = None
    deciders: tuple[str, ...] = ()
    checkpoint_id: int = 0
    checkpoint_hash: str = ""
    forced: tuple[str, ...] = ()
    checkpoint_key: str = ""

    def to_payload(self) -> dict[str, Any]:
        """The content stored in the record's ``payload`` (the store writes it as canonical JSON)."""
        return {
            "version": _PAYLOAD_VERSION,
            "selected": list(self.selected),
            "locks": list(self.locks),
            "exclusions": list(self.exclusions),
            "reasons": dict(sorted(self.reasons.items())),
            "note": self.note,
            "proposed": list(self.proposed),
            "settings_hash": self.settings_hash,
            "config_hash": self.config_hash,
            "score_fingerprint": self.score_fingerprint,
            "deciders": list(self.deciders),
            "checkpoint": {"id": self.checkpoint_id, "hash": self.checkpoint_hash}
            | ({"key": self.checkpoint_key} if self.checkpoint_key else {}),
            "forced": list(self.forced),
        }

    @classmethod
    def from_record(cls, event: Mapping[str, Any], data: Mapping[str, Any]) -> Decision:
        """Rebuild a decision from a record of the store (:meth:`ScoreStore.records`: the event
        row and its content)."""
        ts = pd.Timestamp(event["timestamp"])
        ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
        return cls(
            selected=tuple(data.get("selected", ())),
            by=str(event.get("actor", "")),
            recorded_at=ts.to_pydatetime(),
            locks=tuple(data.get("locks", ())),
            exclusions=tuple(data.get("exclusions", ())),
            reasons=dict(data.get("reasons", {})),
            note=str(data.get("note", "")),
            proposed=tuple(data.get("proposed", ())),
            settings_hash=str(data.get("settings_hash", "")),
            config_hash=str(data.get("config_hash", "")),
            score_fingerprint=str(data.get("score_fingerprint", "")),
            event_id=int(event["id"]),
            deciders=tuple(str(x) for x in data.get("deciders", ())) or (str(event.get("actor", "")),),
            checkpoint_id=int(dict(data.get("checkpoint") or {}).get("id", 0)),
            checkpoint_hash=str(dict(data.get("checkpoint") or {}).get("hash", "")),
            forced=tuple(str(x) for x in data.get("forced", ())),
            checkpoint_key=str(dict(data.get("checkpoint") or {}).get("key", "")),
        )

    @property
    def recorded_at_jst(self) -> dt.datetime:
        """``recorded_at`` in Japan Standard Time."""
        return to_jst(self.recorded_at)


def _codes(values: Iterable[object], known: Mapping[str, str], what: str) -> tuple[str, ...]:
    out: list[str] = []
    for v in values:
        text = str(v).strip()
        if not text:
            continue
        try:
            code = text if text in known else parse_prefecture(text)
        except ValueError:
            code = ""
        if code not in known:
            listing = "、".join(f"{c} {n}" for c, n in known.items())
            raise OptionError(
                f"{what}の「{text}」はこの審査ラウンドの応募ではありません。"
                f"都道府県コード（2桁）または都道府県名で指定してください。応募: {listing}"
            )
        if code in out:
            raise OptionError(f"{what}に {code}（{known[code]}）が2回指定されています。1回にしてください")
        out.append(code)
    return tuple(out)


def _label(code: str, known: Mapping[str, str]) -> str:
    return f"{code}（{known[code]}）" if known.get(code) else code


def _anchor_checkpoint(store: ScoreStore) -> tuple[int, str, str]:
    """Head id, hash and signer's key fingerprint of the latest valid signed checkpoint, written
    first when the chain has moved on since the last one (so the decision rests on exactly what
    was shown)."""
    head = store.head()
    valid = [c for c in store.checkpoints() if c.valid]
    latest = max(valid, key=lambda c: c.head_id, default=None)
    if latest is None or latest.head_id != head[0]:
        store.checkpoint("decision")
        valid = [c for c in store.checkpoints() if c.valid]
        latest = max(valid, key=lambda c: c.head_id, default=None)
    if latest is None:  # pragma: no cover - checkpoint() raises when it cannot sign
        raise SigningError(
            "署名された記録点を作れないため、選定結果を記録できません。分析者の鍵を確認してください。"
        )
    return latest.head_id, latest.head_hash, str(latest.record.get("key_fingerprint", ""))


def _deciders(by: str | Sequence[str]) -> tuple[str, ...]:
    who = [by] if isinstance(by, str) else list(by)
    if any(not isinstance(x, str) for x in who):
        raise OptionError("決定した人（by）は名前の文字列で指定してください。")
    deciders = tuple(dict.fromkeys(x.strip() for x in who if x.strip()))
    if not deciders:
        raise OptionError("記録する人（by）が空です。選定結果を決定した人の名前を入力してください。")
    return deciders


def _selection(
    known: Mapping[str, str],
    selected: Sequence[object],
    locks: Sequence[object],
    exclusions: Sequence[object],
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """The selected, locked and excluded applications as codes, checked against one another."""
    sel = _codes(selected, known, "選定する応募")
    if not sel:
        raise OptionError("選定する応募が指定されていません。1件以上指定してください。")
    lk = _codes(locks, known, "必ず含める応募")
    ex = _codes(exclusions, known, "除外する応募")
    bad = [c for c in lk if c not in sel]
    if bad:
        raise OptionError(
            f"必ず含める応募 {'、'.join(f'{c}（{known[c]}）' for c in bad)} が選定に入っていません。"
            "選定に加えるか、必ず含める指定を外してください。"
        )
    bad = [c for c in ex if c in sel]
    if bad:
        raise OptionError(
            f"除外する応募 {'、'.join(f'{c}（{known[c]}）' for c in bad)} が選定に入っています。"
            "選定から外すか、除外の指定を外してください。"
        )
    return sel, lk, ex


def _reasons(known: Mapping[str, str], reasons: Mapping[str, str]) -> dict[str, str]:
    """Application code → reason (stripped; empty ones left out)."""
    rs: dict[str, str] = {}
    for key, text in reasons.items():
        (code,) = _codes([key], known, "理由の応募")
        if not isinstance(text, str):
            raise OptionError(f"{code}（{known[code]}）の理由は文字列にしてください。")
        if text.strip():
            rs[code] = text.strip()
    return rs


def _chosen_out_of_review(
    known: Mapping[str, str], sel: tuple[str, ...], ineligible: Mapping[str, str], force: bool
) -> list[str]:
    """The 対象外 applications selected (refused unless ``force``)."""
    out_of_review = {str(a): str(r) for a, r in ineligible.items() if str(r)}
    chosen_out = [c for c in sel if c in out_of_review]
    if chosen_out and not force:
        listing = "、".join(f"{_label(c, known)}: {out_of_review[c]}" for c in chosen_out)
        raise OptionError(
            f"対象外の応募が選定に入っています（{listing}）。対象外の応募は選定できません。"
            "委員会の判断で選定する場合は、対象外から選定することを明示し（force）、"
            "応募ごとに理由を添えてください。"
        )
    return chosen_out


def _refuse_missing_reasons(
    known: Mapping[str, str],
    sel: tuple[str, ...],
    prop: tuple[str, ...],
    chosen_out: list[str],
    reasons: Mapping[str, str],
) -> None:
    missing = [f"{_label(c, known)}（対象外）" for c in chosen_out if c not in reasons]
    if prop:
        missing += [
            f"{_label(c, known)}（選定案から追加）"
            for c in sel
            if c not in prop and c not in chosen_out and c not in reasons
        ]
        missing += [
            f"{_label(c, known)}（選定案から除外）" for c in prop if c not in sel and c not in reasons
        ]
    if missing:
        raise OptionError(
            f"次の応募の理由がありません: {'、'.join(missing)}。選定案と違う応募と対象外の応募には、"
            "それぞれ理由を記録してください。"
        )


def _check_against_proposal(
    known: Mapping[str, str],
    sel: tuple[str, ...],
    reasons: Mapping[str, str],
    proposed: Sequence[str],
    ineligible: Mapping[str, str],
    force: bool,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The 対象外 applications selected with ``force``, and the proposal; refuses a forced
    selection or a difference from the proposal without a reason."""
    chosen_out = _chosen_out_of_review(known, sel, ineligible, force)
    prop = tuple(str(p) for p in proposed)
    _refuse_missing_reasons(known, sel, prop, chosen_out, reasons)
    return tuple(chosen_out), prop


def record_decision(
    store: ScoreStore,
    selected: Sequence[object],
    *,
    by: str | Sequence[str],
    reasons: Mapping[str, str] | None = None,
    locks: Sequence[object] = (),
    exclusions: Sequence[object] = (),
    note: str = "",
    proposed: Sequence[str] = (),
    settings_hash: str = "",
    config_hash: str = "",
    score_fingerprint: str = "",
    ineligible: Mapping[str, str] | None = None,
    force: bool = False,
) -> Decision:
    """Validate the committee's decision and append it to the score store's chain, with the
    signed checkpoint it rests on (see the module docstring, Recording a decision).

    Parameters
    ----------
    store : ScoreStore
        The round's store (the decision is checked against its round's applications).
    selected : sequence
        The final list: JIS codes or prefecture names. At least one.
    by : str or sequence of str
        Who decided: one name or several (the committee members who decided). Required.
    reasons : mapping, optional
        Application (code or name) → free-text reason. Required for every difference from
        the proposal (an application added to it or dropped from it) and for every
        対象外 application selected with ``force``.
    locks, exclusions : sequence
        Applications locked in / excluded by the committee. A lock must be in ``selected``
        and an exclusion must not be.
    note : str
        A note on the whole decision.
    proposed, settings_hash, config_hash, score_fingerprint
        What the decision was based on; :func:`scoring.analysis.committee.record_committee_decision`
        fills them from the current committee material.
    ineligible : mapping, optional
        Application id → why it is 対象外 (:data:`scoring.selection.EXCLUSION_REASONS`);
        such an application cannot be selected unless ``force``.
    force : bool
        Select 対象外 applications anyway (each needs a reason).

    Returns
    -------
    Decision
        As recorded (with ``event_id`` and ``recorded_at``).

    Raises
    ------
    ValueError
        Japanese message: the decision breaks a rule (listed in the module docstring).
    """
    known = dict(store.facts.applications)
    deciders = _deciders(by)
    sel, lk, ex = _selection(known, selected, locks, exclusions)
    rs = _reasons(known, reasons or {})
    forced, prop = _check_against_proposal(known, sel, rs, proposed, ineligible or {}, force)
    cp_id, cp_hash, cp_key = _anchor_checkpoint(store)
    decision = Decision(
        selected=sel,
        by="、".join(deciders),
        recorded_at=dt.datetime.now(dt.timezone.utc),
        locks=lk,
        exclusions=ex,
        reasons=rs,
        note=note.strip(),
        proposed=prop,
        settings_hash=settings_hash,
        config_hash=config_hash,
        score_fingerprint=score_fingerprint,
        deciders=deciders,
        checkpoint_id=cp_id,
        checkpoint_hash=cp_hash,
        forced=forced,
        checkpoint_key=cp_key,
    )
    return _append_decision(store, decision)


def _append_decision(store: ScoreStore, decision: Decision) -> Decision:
    """Append ``decision`` to the store's chain; the decision as recorded (``event_id``, ``recorded_at``)."""
    event_id = store.append_record(DECISION_KIND, payload=decision.to_payload(), by=decision.by)
    return next(d for d in read_decisions(store) if d.event_id == event_id)


def read_decisions(store: ScoreStore) -> list[Decision]:
    """Every decision recorded in the store, oldest first."""
    return [Decision.from_record(ev, data) for ev, data in store.records(DECISION_KIND)]


def latest_decision(store: ScoreStore) -> Decision | None:
    """The decision in force (the last one recorded), or None."""
    found = read_decisions(store)
    return found[-1] if found else None


def check_decision(decision: Decision | None, *, config_hash: str, score_fingerprint: str) -> list[str]:
    """Japanese warnings when the scores or the settings changed after the decision.

    Returns an empty list when there is no decision or nothing changed.
    """
    if decision is None:
        return []
    when = f"{decision.recorded_at_jst:%Y-%m-%d %H:%M}（日本時間）"
    who = f"{decision.by} が {when} に記録"
    out: list[str] = []
    if decision.score_fingerprint != score_fingerprint:
        out.append(
            f"選定結果（{who}）の後に採点が変更されています。この資料の合計点・順位・選定案は"
            "決定の時点と異なります。採点の変更を確認し、必要なら選定結果を記録し直してください。"
        )
    if decision.config_hash != config_hash:
        out.append(
            f"選定結果（{who}）の後に設定（評価基準・配点・統合方法・選定数・バランスの条件・"
            "必ず含める／除外の指定・受付の判断）が変更されています。この資料は決定の時点とは異なる設定で計算されています。"
        )
    return out


def decision_status(decision: Decision | None, warnings: Sequence[str]) -> str:
    """One of :data:`DECISION_STATUSES`."""
    if decision is None:
        return DECISION_STATUSES[0]
    return DECISION_STATUSES[2] if warnings else DECISION_STATUSES[1]


def decision_table(decision: Decision, applications: pd.DataFrame) -> pd.DataFrame:
    """The decision per applicant.

    Returns
    -------
    DataFrame
        Index ``application`` (every application of the round, decided ones first in the
        decision's order, then the others by id); columns :data:`DECISION_COLUMNS`:
        ``prefecture_name``; ``decided`` and ``proposed`` (bool: in the final list / in the
        proposal the committee saw); ``difference`` (Japanese: 選定案から追加 / 選定案から除外
        / ""); ``locked``, ``excluded`` (bool); ``reason`` (the committee's free text, "").
    """
    names = (
        applications["prefecture_name"] if "prefecture_name" in applications.columns else pd.Series(dtype=str)
    )
    ids = [str(a) for a in applications.index]
    order = [a for a in decision.selected if a in ids] + sorted(a for a in ids if a not in decision.selected)
    rows = []
    for a in order:
        dec, prop = a in decision.selected, a in decision.proposed
        diff = ""
        if decision.proposed and dec != prop:
            diff = "選定案から追加" if dec else "選定案から除外"
        rows.append(
            {
                "application": a,
                "prefecture_name": str(names.get(a, "")),
                "decided": dec,
                "proposed": prop,
                "difference": diff,
                "locked": a in decision.locks,
                "excluded": a in decision.exclusions,
                "reason": decision.reasons.get(a, ""),
            }
        )
    out = pd.DataFrame(rows, columns=["application", *DECISION_COLUMNS]).set_index("application")
    return out
