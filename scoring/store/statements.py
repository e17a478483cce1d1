"""What a submission (提出) says, signed by the person who submits it, and how anyone checks it.

Why
---
The hash chain and the analyst's checkpoints stop a rewrite only while the checkpoint file
survives: whoever holds the database owner's password can rewrite a submitted score,
re-hash the chain and delete the file. What they cannot do is sign as the reviewer. At 提出
the reviewer's own kernel signs a *submission statement* with the reviewer's private key
(``~/.shinsa/ed25519_key.pem`` of their account, :mod:`scoring.core.keys`), and the
signature is stored in the submit event. Anyone with the round's public keys
(:mod:`scoring.core.keyring`) rebuilds the statement from the log and checks it: a changed
score or comment, a forged signature or a signature by the wrong person is found with no
checkpoint and no secret at all (:func:`submission_problems`).

The statement
-------------
:func:`submission_statement`: the round's name, the reviewer, the application, the rubric
version, the submit event's nonce (its ``comment``), each criterion's score and comment as
stored (``[criterion, score, comment]``, sorted by criterion, the score as
:func:`~scoring.store.eventlog.canonical_score`) and the time of signing (UTC, ISO 8601). It is
signed as :func:`scoring.core.canonical.canonical_bytes`.

Version 2 (:data:`STATEMENT_V`, since the app's 申請者への所見) covers the 所見 too: a criterion
with one is ``[criterion, score, comment, 所見]``. The version is part of what is signed and is
kept in the payload, so a signature is always checked against the statement it was made for:
every version-1 signature (made before, which never covered a 所見) verifies as it did, and a
version-2 one cannot be passed off as version 1 (the rebuilt statement would differ).

The record
----------
The submit event's ``payload`` (:func:`scoring.core.canonical.canonical_text`)::

    {"statement_v": 2, "signed_by": "R1", "public_key": "ed25519:...",
     "signature": "...", "signed_at": "2027-01-20T01:02:03.456789+00:00"}

``signed_by`` is a person of the keyring: the reviewer's id when the reviewer signed in their
own kernel (a server with per-person roles), ``analyst:<account>`` when the analyst's key
signed (an Excel 採点表 imported by the analyst; every submission on a one-person SQLite
store). ``signed_at`` is the statement's time.

Who signs
---------
:class:`Signer` (private key and person). The store signs with the one it was opened with
(``ScoreStore.open(..., signer=...)``), else :func:`default_signer`: on a reviewer's
database role, that reviewer with their account's key; otherwise the analyst
``analyst:<this account>`` with this account's key. A missing key refuses the submission
(nothing is written) with a message naming where the key was looked for.

The receipt (受領コード)
-----------------------
:func:`signature_receipt`: the first 16 hex digits of SHA-256 of the signature's 64 bytes,
shown as ``3f9a-1c22-7b0e-d4a1``. Only the signer's key can make a signature, so only the
reviewer's own submission has their code; ``verify-receipt`` finds the submission by it and
checks the signature over what the database holds now. Submissions written before signatures
(no payload) keep their old code (:func:`scoring.store.checkpoints.receipt_code`).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import math
import os
import pwd
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ..core.canonical import canonical_text
from ..core.errors import ShinsaError, SigningError
from ..core.keyring import Keyring, keyring_path
from ..core.keys import load_private_key, public_key_text, sign_data, verify_data
from .checkpoints import format_receipt
from .eventlog import canonical_score

__all__ = [
    "STATEMENT_V",
    "STATEMENT_VERSIONS",
    "Signer",
    "analyst_person",
    "default_signer",
    "event_signature",
    "payload_note",
    "signature_check",
    "signature_receipt",
    "signed_payload",
    "submission_problems",
    "submission_statement",
    "submit_receipt",
]

#: The version of the statement a submission is signed with now (``statement_v`` in the payload).
STATEMENT_V = 2
#: Every version a stored signature may have (1: before the 申請者への所見 were signed).
STATEMENT_VERSIONS = (1, 2)
#: The audit's name of a problem found by this check (:data:`scoring.core.columns.AUDIT_COLUMNS`).
PROBLEM = "署名"
#: The source of a reviewer's own submission (the app, or their kernel): where reviewers sign
#: for themselves, such a submission must carry the reviewer's signature. Other sources (an
#: imported 採点表 ``excel``/``import``, ``simulation``, ``analyst``) are the analyst's doing.
OWN_SOURCE = "widget"
_RECEIPT_HEX = 16
Problem = tuple[int, str, str]
Cells = Mapping[str, tuple[object, str]]


def payload_note(raw: object) -> str:
    """The 申請者への所見 in a score event's ``payload`` (``{"to_applicant": ...}``); "" when none."""
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return ""
    try:
        data = json.loads(str(raw))
    except ValueError:
        return ""
    note = data.get("to_applicant") if isinstance(data, dict) else None
    return note if isinstance(note, str) else ""


def submission_statement(
    *,
    round_name: str,
    reviewer: str,
    application: str,
    rubric_version: str,
    nonce: str,
    cells: Cells,
    signed_at: str,
    notes: Mapping[str, str] | None = None,
    version: int = STATEMENT_V,
) -> dict[str, Any]:
    """The canonical statement of one submission (see the module docstring).

    ``cells`` maps each criterion id to ``(score, comment)`` as stored; the order does not matter.
    ``notes`` maps a criterion id to its 申請者への所見 as stored (none, or "": a row of three);
    ``version`` 1 (a signature made before the 所見 were signed) leaves them out.
    """
    notes = (notes or {}) if version >= 2 else {}
    return {
        "statement_v": version,
        "what": "submission",
        "round": str(round_name),
        "reviewer": str(reviewer),
        "application": str(application),
        "rubric_version": str(rubric_version),
        "nonce": str(nonce),
        "scores": [
            [str(c), canonical_score(s), str(m or "")] + ([str(notes[c])] if notes.get(c) else [])
            for c, (s, m) in sorted(cells.items())
        ],
        "signed_at": str(signed_at),
    }


@dataclass(frozen=True)
class Signer:
    """Who signs submissions: a person of the keyring and their private key."""

    person: str
    key: Ed25519PrivateKey

    @property
    def public_key(self) -> str:
        return public_key_text(self.key)


def analyst_person(account: str | None = None) -> str:
    """``analyst:<account>`` (default: the account this process runs as)."""
    return f"analyst:{account or pwd.getpwuid(os.geteuid()).pw_name}"


def default_signer(
    access: str, reviewer: str | None, key_path: str | os.PathLike[str] | None = None
) -> Signer:
    """The signer of a store connection: the reviewer of a reviewer's role, else the analyst.

    Raises
    ------
    SigningError
        No usable key (the message names where it was looked for; for a reviewer, whom to ask).
    """
    if access == "reviewer" and reviewer:
        try:
            return Signer(reviewer, load_private_key(key_path))
        except SigningError as e:
            raise SigningError(
                f"審査員 {reviewer} の署名の鍵を読めないため、提出できません（何も記録していません）: {e} "
                "審査員の方は事務局に連絡してください（事務局がサーバーの準備 hub-setup をもう一度実行すると鍵が作られます）。"
            ) from e
    return Signer(analyst_person(), load_private_key(key_path))


def now_signed_at() -> str:
    """The time of signing (UTC, ISO 8601 with microseconds, as the log's timestamps)."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")


def signed_payload(signer: Signer, statement: Mapping[str, Any]) -> dict[str, Any]:
    """The submit event's payload: ``statement`` signed by ``signer``."""
    return {
        "statement_v": statement["statement_v"],
        "signed_by": signer.person,
        "public_key": signer.public_key,
        "signature": sign_data(signer.key, dict(statement)),
        "signed_at": str(statement["signed_at"]),
    }


def payload_text(payload: Mapping[str, Any]) -> str:
    """How the payload is stored (canonical JSON)."""
    return canonical_text(dict(payload))


def signature_receipt(signature: str) -> str:
    """The receipt code of a signed submission (``xxxx-xxxx-xxxx-xxxx``)."""
    try:
        raw = base64.b64decode(str(signature), validate=True)
    except (binascii.Error, ValueError):
        raw = str(signature).encode("utf-8", "replace")
    return format_receipt(hashlib.sha256(raw).hexdigest()[:_RECEIPT_HEX])


def event_signature(ev: Mapping[str, Any]) -> dict[str, Any] | None:
    """The signature record of a submit event; None when it has none (written before
    signatures); ``{}`` when its payload is not a signature record (altered)."""
    raw = ev.get("payload")
    if ev.get("kind") != "submit" or raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return None
    try:
        data = json.loads(str(raw))
    except ValueError:
        return {}
    version = data.get("statement_v") if isinstance(data, dict) else None
    if type(version) is not int or version not in STATEMENT_VERSIONS:
        return {}
    if not all(isinstance(data.get(k), str) for k in ("signed_by", "public_key", "signature", "signed_at")):
        return {}
    return data


def event_statement(
    ev: Mapping[str, Any],
    cells: Cells,
    round_name: str,
    signed_at: str,
    notes: Mapping[str, str] | None = None,
    version: int = STATEMENT_V,
) -> dict[str, Any]:
    """The statement of submit event ``ev`` (of statement ``version``), rebuilt with ``cells``
    and ``notes`` (the pair's scores, comments and 申請者への所見 then)."""
    return submission_statement(
        round_name=round_name,
        reviewer=str(ev["reviewer"]),
        application=str(ev["application"]),
        rubric_version=str(ev["rubric_version"]),
        nonce=str(ev["comment"] or ""),
        cells=cells,
        signed_at=signed_at,
        notes=notes,
        version=version,
    )


def submit_receipt(
    ev: Mapping[str, Any], cells: Cells, round_name: str, notes: Mapping[str, str] | None = None
) -> str | None:
    """The receipt code of signed submit event ``ev`` when its signature verifies over
    ``cells`` and ``notes`` (so that a code equals the reviewer's exactly when nothing
    changed); a code of the changed content otherwise; None for an unsigned (old) event."""
    sig = event_signature(ev)
    if sig is None:
        return None
    if sig:
        statement = event_statement(ev, cells, round_name, sig["signed_at"], notes, sig["statement_v"])
        if verify_data(sig["public_key"], statement, sig["signature"]):
            return signature_receipt(sig["signature"])
    # Not verifying: a code that is not the reviewer's (a digest of what is there now).
    body = event_statement(ev, cells, round_name, str((sig or {}).get("signed_at", "")), notes)
    return format_receipt(hashlib.sha256(canonical_text(body).encode("utf-8")).hexdigest()[:_RECEIPT_HEX])


# --------------------------------------------------------------------------- verification


def _when(text: object) -> dt.datetime | None:
    try:
        t = dt.datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return t if t.tzinfo is not None else t.replace(tzinfo=dt.timezone.utc)


@dataclass
class _Walk:
    """The state of the log up to an event: each pair's cells and 所見, whether signing had begun."""

    cells: dict[tuple[str, str], dict[str, tuple[object, str]]]
    notes: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    signed_seen: bool = False
    latest: dt.datetime | None = None


def submission_problems(
    events: Sequence[Mapping[str, Any]],
    keyring: Keyring | None,
    *,
    round_name: str,
    reviewers_sign: bool,
) -> list[Problem]:
    """Every submit event whose signature is missing, does not verify or is by the wrong person.

    ``events`` are the rows of ``score_events`` in id order. Each submit event's statement is
    rebuilt from the log (the pair's scores and comments in force at that event) and its
    signature checked with the keyring's keys of ``signed_by``, who must be the reviewer, or
    an analyst of the keyring. ``reviewers_sign`` (reviewers have keys of their own: a
    server store): a reviewer's own submission (source ``widget``: the app or their kernel)
    signed by an analyst is named too; an import (``excel``) signed by the analyst is not. Without a keyring the signature is checked with the public key the
    event carries (a change of the scores is found; who signed is not known).

    A submission without a signature is accepted only as an old one: before the keyring's
    first key, with no signed submission before it and no earlier event written later.
    Rows are ``(event_id, "署名", message)``.
    """
    since = min(
        (t for t in (_when(p.added_at) for p in (keyring.people if keyring else ())) if t), default=None
    )
    walk = _Walk({})
    problems: list[Problem] = []
    for ev in events:
        kind = str(ev["kind"])
        pair = (str(ev["reviewer"]), str(ev["application"]))
        if kind == "score":
            walk.cells.setdefault(pair, {})[str(ev["criterion"])] = (ev["score"], str(ev["comment"] or ""))
            walk.notes.setdefault(pair, {})[str(ev["criterion"])] = payload_note(ev.get("payload"))
        elif kind == "submit":
            problem = _submit_problem(ev, walk, keyring, since, round_name, reviewers_sign)
            if problem:
                problems.append((int(ev["id"]), PROBLEM, problem))
        t = _when(ev["timestamp"])
        if t is not None and (walk.latest is None or t > walk.latest):
            walk.latest = t
    return problems


def _submit_problem(
    ev: Mapping[str, Any],
    walk: _Walk,
    keyring: Keyring | None,
    since: dt.datetime | None,
    round_name: str,
    reviewers_sign: bool,
) -> str:
    """Why one submit event's signature cannot be trusted ("" when it can)."""
    eid, r, a = int(ev["id"]), str(ev["reviewer"]), str(ev["application"])
    what = f"イベント {eid}（審査員 {r} の応募 {a} の提出）"
    sig = event_signature(ev)
    if sig is None:
        t = _when(ev["timestamp"])
        old = (
            not walk.signed_seen
            and t is not None
            and (since is None or t < since)
            and (walk.latest is None or t >= walk.latest)
        )
        if old:
            return ""
        return (
            f"{what}に署名がありません。署名が始まった後の提出（または時刻が前の記録より前の提出）のため、"
            "データベースを通さずに書き換えられた可能性があります。"
        )
    walk.signed_seen = True
    if not sig:
        return f"{what}の署名の記録（payload）が署名の形ではありません（書き換えられています）。"
    person = sig["signed_by"]
    cells, notes = walk.cells.get((r, a), {}), walk.notes.get((r, a), {})
    statement = event_statement(ev, cells, round_name, sig["signed_at"], notes, sig["statement_v"])
    if keyring is None or _unenrolled_reviewer(keyring, person, r):
        ok = verify_data(sig["public_key"], statement, sig["signature"])
    else:
        ok = keyring.verify_signed(person, statement, sig["signature"])
        who = _who_problem(ev, person, keyring, reviewers_sign)
        if who:
            return f"{what}: {who}"
        if not ok and sig["public_key"] not in keyring.keys_of(person):
            return (
                f"{what}の署名は、公開鍵の一覧にある {person} の鍵のものではありません"
                "（署名が偽造されたか、別の鍵で署名し直されています）。"
            )
    if not ok:
        return (
            f"{what}の {person} の署名が、記録にある点数・コメントと一致しません。"
            "提出の後にデータベースを通さずに書き換えられています（または署名が偽造されています）。"
        )
    return ""


def _unenrolled_reviewer(keyring: Keyring, person: str, reviewer: str) -> bool:
    """A reviewer signing for themselves in a round whose keyring lists no reviewer at all (a
    store provisioned with ``db-setup`` alone: nobody enrolled the reviewers' keys). Their
    signature is then checked with the key it carries, as without a keyring (a warning says so)."""
    return person == reviewer and not any(p.role == "reviewer" for p in keyring.people)


def _who_problem(ev: Mapping[str, Any], person: str, keyring: Keyring, reviewers_sign: bool) -> str:
    """Why ``person`` may not sign this submission ("" when they may)."""
    r = str(ev["reviewer"])
    roles = {p.role for p in keyring.people if p.person == person}
    if not roles:
        return f"署名した {person} は公開鍵の一覧にいません（誰の署名か確かめられません）。"
    if person == r and "reviewer" in roles:
        return ""
    if "analyst" not in roles:
        return f"審査員 {r} の提出に、本人ではない {person} が署名しています。"
    if reviewers_sign and str(ev.get("source") or "") == OWN_SOURCE:
        return (
            f"審査員 {r} が自分で提出したことになっていますが、署名は事務局（{person}）の鍵です。"
            "審査員が署名するサーバーでは、審査員本人の署名が必要です（事務局による書き換えの可能性があります）。"
        )
    return ""


def signature_check(
    events: Sequence[Mapping[str, Any]],
    round_dir: str | os.PathLike[str],
    *,
    round_name: str,
    reviewers_sign: bool = False,
    keyring_file: str | os.PathLike[str] | None = None,
) -> tuple[list[Problem], list[str]]:
    """The audit's check of the submissions' signatures: ``(problems, warnings)``.

    Reads the keyring ``keyring_file`` (``audit --public-keys``), else the round's
    (``keys/public_keys.json``); its own problems (not signed by an analyst it lists, altered)
    are problems of event 0. Reviewers sign for themselves (``reviewers_sign``) when the
    caller says so (a store with per-person roles) or the keyring lists any reviewer. Without
    a keyring, signed submissions are checked with the keys they carry and a warning says that
    the signers are not known.
    """
    warnings: list[str] = []
    keyring: Keyring | None = None
    problems: list[Problem] = []
    path = Path(keyring_file) if keyring_file is not None else keyring_path(round_dir)
    if path.exists():
        try:
            keyring = Keyring.load(path)
            problems += [(0, PROBLEM, p) for p in keyring.problems()]
        except ShinsaError as e:
            problems.append((0, PROBLEM, str(e)))
    elif any(event_signature(ev) is not None for ev in events):
        warnings.append(
            f"公開鍵の一覧 {path} がないため、提出の署名は記録にある公開鍵で確かめました（誰の鍵かは確かめていません）。"
        )
    if keyring is not None and any(p.role == "reviewer" for p in keyring.people):
        reviewers_sign = True
    elif keyring is not None and any(
        (sig := event_signature(ev)) and _unenrolled_reviewer(keyring, sig["signed_by"], str(ev["reviewer"]))
        for ev in events
    ):
        warnings.append(
            f"公開鍵の一覧 {path} に審査員の鍵が登録されていないため、審査員の提出の署名は記録にある公開鍵で"
            "確かめました（誰の鍵かは確かめていません）。サーバーでは hub-setup が審査員の鍵を一覧に登録します。"
        )
    problems += submission_problems(events, keyring, round_name=round_name, reviewers_sign=reviewers_sign)
    return problems, warnings


def signed_submits(events: Iterable[Mapping[str, Any]], code: str) -> list[Mapping[str, Any]]:
    """The submit events whose signature gives receipt ``code`` (bare hex)."""
    return [
        ev
        for ev in events
        if (sig := event_signature(ev)) and signature_receipt(sig["signature"]).replace("-", "") == code
    ]
