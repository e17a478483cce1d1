"""The round's list of public keys (``keys/public_keys.json``), signed by the analyst.

Whoever checks a record (the analyst's ``audit``, the committee's secretary, an outside
auditor with ``audit --public-keys``) needs the public key of each person who signed in
it. The round keeps them in one file::

    {"v": 1, "round": "...",
     "people": [{"person": "reviewer-01", "role": "reviewer",
                 "public_key": "ed25519:...", "added_at": "2027-01-10T09:00:00+09:00"}, ...],
     "signed_by": "ed25519:...", "signature": "..."}

``signed_by`` is an analyst's public key listed in ``people``; ``signature`` covers every
other field (:func:`scoring.core.keys.sign_data`). A person keeps every key they ever had
(a new key is added, never replaces the old one), so that old signatures still verify.

A keyring that verifies only proves that *someone holding an analyst key listed in it*
wrote it: whoever could replace the file could list their own key. An auditor therefore
compares :meth:`Keyring.analyst_fingerprints` with the analyst fingerprint printed in the
committee's decision record, or checks against a keyring they kept themselves.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .clock import now_jst
from .errors import SigningError
from .keys import fingerprint, parse_public_key, public_key_text, sign_data, verify_data

__all__ = ["KEYRING_PATH", "ROLES", "Keyring", "KeyringPerson", "keyring_path"]

#: Where the keyring lives in a round folder.
KEYRING_PATH = Path("keys") / "public_keys.json"
#: The roles a key can have.
ROLES = ("analyst", "reviewer")
#: The largest keyring file read (a round has tens of people, not millions).
_MAX_BYTES = 1_000_000


def keyring_path(round_dir: str | os.PathLike[str]) -> Path:
    """``<round>/keys/public_keys.json``."""
    return Path(round_dir) / KEYRING_PATH


@dataclass(frozen=True)
class KeyringPerson:
    """One public key of one person."""

    person: str
    role: str
    public_key: str
    added_at: str

    def to_dict(self) -> dict[str, str]:
        return {
            "person": self.person,
            "role": self.role,
            "public_key": self.public_key,
            "added_at": self.added_at,
        }


@dataclass(frozen=True)
class Keyring:
    """Every person's public keys for one round, and the analyst's signature over them."""

    round_name: str
    people: tuple[KeyringPerson, ...] = ()
    signed_by: str | None = None
    signature: str | None = None
    path: Path | None = field(default=None, compare=False)

    # -- reading --------------------------------------------------------------------------
    @classmethod
    def load(cls, where: str | os.PathLike[str]) -> Keyring:
        """The keyring of a round folder, or of a keyring file named directly.

        Raises
        ------
        SigningError
            No file (naming where it was looked for), or a file that is not a keyring.
        """
        p = Path(where)
        if p.is_dir():
            p = keyring_path(p)
        if not p.is_file():
            raise SigningError(
                f"公開鍵の一覧 {p} がありません。事務局が python -m scoring keys init で作ります"
                "（監査する人は、受け取った公開鍵の一覧のファイルを --public-keys で指定してください）。"
            )
        if p.stat().st_size > _MAX_BYTES:
            raise SigningError(f"{p} は公開鍵の一覧としては大きすぎます（{_MAX_BYTES:,} バイトまで）。")
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
            people = tuple(KeyringPerson(**{k: str(d[k]) for k in _PERSON_FIELDS}) for d in data["people"])
            ring = cls(str(data["round"]), people, data.get("signed_by"), data.get("signature"), p)
        except (ValueError, KeyError, TypeError) as e:
            raise SigningError(f"{p} は公開鍵の一覧の形ではありません（{type(e).__name__}: {e}）。") from e
        for person in ring.people:
            parse_public_key(person.public_key)
        return ring

    def keys_of(self, person: str) -> list[str]:
        """Every public key ``person`` ever had (oldest first)."""
        return [p.public_key for p in self.people if p.person == person]

    def public_key(self, person: str) -> str | None:
        """``person``'s newest public key, or None when they have none."""
        keys = self.keys_of(person)
        return keys[-1] if keys else None

    def analyst_keys(self) -> list[str]:
        """The public keys of every analyst (oldest first)."""
        return [p.public_key for p in self.people if p.role == "analyst"]

    def analyst_fingerprints(self) -> list[str]:
        """:func:`~scoring.core.keys.fingerprint` of each analyst key."""
        return [fingerprint(k) for k in self.analyst_keys()]

    def verify_signed(self, person: str, data: Any, signature: str) -> bool:
        """Whether any key of ``person`` verifies ``signature`` over ``data``."""
        return any(verify_data(k, data, signature) for k in self.keys_of(person))

    # -- writing --------------------------------------------------------------------------
    def with_person(self, person: str, role: str, public_key: str) -> Keyring:
        """This keyring with ``public_key`` added for ``person`` (unchanged if already there).

        Raises
        ------
        SigningError
            An unknown role, a malformed key, or a key already listed for another person.
        """
        if role not in ROLES:
            raise SigningError(f"鍵の役割「{role}」は使えません（{'・'.join(ROLES)} のどれか）。")
        parse_public_key(public_key)
        for p in self.people:
            if p.public_key == public_key:
                if p.person == person and p.role == role:
                    return self
                raise SigningError(f"この公開鍵は既に {p.person}（{p.role}）の鍵として登録されています。")
        added = KeyringPerson(person, role, public_key, now_jst().isoformat(timespec="seconds"))
        return replace(self, people=(*self.people, added), signed_by=None, signature=None)

    def body(self) -> dict[str, Any]:
        """What the signature covers."""
        return {"v": 1, "round": self.round_name, "people": [p.to_dict() for p in self.people]}

    def signed(self, key: Ed25519PrivateKey) -> Keyring:
        """This keyring signed with an analyst's private key (which it must list as analyst)."""
        pub = public_key_text(key)
        if pub not in self.analyst_keys():
            raise SigningError("公開鍵の一覧に署名できるのは、一覧に事務局として登録された鍵だけです。")
        body = self.body() | {"signed_by": pub}
        return replace(self, signed_by=pub, signature=sign_data(key, body))

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the (signed) keyring to ``path`` atomically (mode 0644: public keys are public)."""
        if self.signature is None:
            raise SigningError("署名されていない公開鍵の一覧は保存できません。")
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_name(f".{p.name}.{os.getpid()}.tmp")
        data = self.body() | {"signed_by": self.signed_by, "signature": self.signature}
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        os.chmod(tmp, 0o644)
        os.replace(tmp, p)
        return p

    # -- checking -------------------------------------------------------------------------
    def problems(self, trusted_analysts: Iterable[str] = ()) -> list[str]:
        """Why this keyring cannot be trusted (empty when it can), in Japanese.

        ``trusted_analysts``: fingerprints or public keys of analyst keys known from
        elsewhere (the decision record, a copy the auditor kept); when given, the signer
        must be one of them.
        """
        where = str(self.path) if self.path else "公開鍵の一覧"
        if not self.signed_by or not self.signature:
            return [f"{where} に事務局の署名がありません。"]
        if self.signed_by not in self.analyst_keys():
            return [f"{where} の署名者は、一覧に事務局として登録された鍵ではありません。"]
        if not verify_data(self.signed_by, self.body() | {"signed_by": self.signed_by}, self.signature):
            return [f"{where} の署名が一致しません（一覧が書き換えられています）。"]
        trusted = {str(t).strip() for t in trusted_analysts}
        if trusted and not ({self.signed_by, fingerprint(self.signed_by)} & trusted):
            fp = fingerprint(self.signed_by)
            why = (
                f"{where} に署名した事務局の鍵（指紋 {fp}）は、信頼できる鍵として指定されたものではありません"
            )
            return [why + "（鍵が差し替えられた可能性があります）。"]
        return []


_PERSON_FIELDS = ("person", "role", "public_key", "added_at")
