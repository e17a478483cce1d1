"""Who signs a checkpoint line, and how anyone checks it with public keys only.

A checkpoint (:mod:`scoring.store.checkpoints`) of format 2 is signed with the analyst's
Ed25519 private key (:mod:`scoring.core.keys`). The line carries the signer's person id
(``analyst:<account>``), public key and fingerprint; it verifies when that public key is an
analyst key of the round's keyring (``keys/public_keys.json``, :mod:`scoring.core.keyring`)
or of a keyring the auditor names (``audit --public-keys FILE``), and the keyring itself is
signed by one of its analysts. No secret is needed to check it.

Old lines (format 1) were signed with the symmetric HMAC key (:mod:`scoring.core.signing`,
``$SCORING_LEGACY_KEY``, else ``~/.shinsa/signing.key``); they still verify with that key,
and only with it.
"""

from __future__ import annotations

import os
import pwd
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ..core.canonical import sha256_hex
from ..core.errors import ShinsaError, SigningError
from ..core.keyring import Keyring, keyring_path
from ..core.keys import (
    INIT_COMMAND,
    default_key_path,
    fingerprint,
    load_private_key,
    public_key_text,
    sign_data,
)
from ..core.keys import verify_data as ed25519_verify
from ..core.signing import default_key_path as legacy_key_path
from ..core.signing import key_id, load_key, verify

__all__ = [
    "ANALYST_PREFIX",
    "CheckpointSigner",
    "CheckpointVerifier",
    "analyst_person",
    "record_digest",
    "register_analyst",
]

#: How an analyst's person id starts in the keyring.
ANALYST_PREFIX = "analyst:"
#: Fields a v2 line adds to name its signer.
SIGNER_FIELDS = ("signer", "public_key", "key_fingerprint")


def analyst_person() -> str:
    """``analyst:<account name>`` of the account running the workbench."""
    return ANALYST_PREFIX + pwd.getpwuid(os.getuid()).pw_name


def record_digest(record: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of a whole checkpoint line (signature included): what the database keeps."""
    return sha256_hex(dict(record))


def register_analyst(
    round_dir: str | os.PathLike[str],
    round_name: str,
    key: Ed25519PrivateKey,
    person: str | None = None,
    *,
    add: bool = False,
) -> tuple[Keyring, bool]:
    """Make sure the round's keyring lists ``key`` as an analyst key; ``(keyring, changed)``.

    Creates the keyring when the round has none. A keyring that lists other analyst keys
    but not this one is refused unless ``add`` (``python -m scoring keys init`` and
    ``hub-setup`` add a new analyst's key on purpose; a checkpoint writer never does, so a
    mistyped key path cannot slip a stranger's key into the round).
    """
    path = keyring_path(round_dir)
    pub = public_key_text(key)
    who = person or analyst_person()
    if path.exists():
        ring = Keyring.load(path)
        if pub in ring.analyst_keys() and not ring.problems():
            return ring, False
        if pub not in ring.analyst_keys() and ring.analyst_keys() and not add:
            raise SigningError(
                f"この鍵（指紋 {fingerprint(pub)}、{default_key_path()}）は公開鍵の一覧 {path} に事務局の鍵として"
                "登録されていません。一覧に登録された事務局の鍵を使うか（環境変数 SCORING_SIGNING_KEY）、"
                f"新しい鍵を使うなら {INIT_COMMAND} --round でラウンドに登録してください。"
            )
    else:
        ring = Keyring(round_name)
    ring = ring.with_person(who, "analyst", pub).signed(key)
    ring.save(path)
    return Keyring.load(path), True


@dataclass(frozen=True)
class CheckpointSigner:
    """The analyst's private key and how the line names it."""

    key: Ed25519PrivateKey
    person: str
    public_key: str

    @classmethod
    def load(cls, round_dir: str | os.PathLike[str], round_name: str) -> CheckpointSigner:
        """The analyst's key (never created here), checked against the round's keyring.

        A round without a keyring gets one listing this key (the first checkpoint of a
        round); a keyring that lists other analyst keys but not this one is refused.

        Raises
        ------
        SigningError
            No key (naming where it was looked for and ``python -m scoring keys init``), an
            unsafe key file, or a key the round's keyring does not list.
        """
        key = load_private_key()
        person = analyst_person()
        ring, _ = register_analyst(round_dir, round_name, key, person)
        pub = public_key_text(key)
        listed = [p.person for p in ring.people if p.public_key == pub]
        return cls(key, listed[0] if listed else person, pub)

    def sign(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """``record`` with the signer's fields and the Ed25519 signature over all of them."""
        body = dict(record) | {
            "signer": self.person,
            "public_key": self.public_key,
            "key_fingerprint": fingerprint(self.public_key),
        }
        return body | {"signature": sign_data(self.key, body)}


@dataclass
class CheckpointVerifier:
    """Checks checkpoint lines: v2 with the analyst keys of a keyring, v1 with the old HMAC key.

    ``keyring_problems`` are the reasons the keyring itself cannot be trusted (its own
    signature, or a signer that is not the trusted analyst); every v2 line then fails too.
    ``keyring`` is the keyring checked against (None when it could not be read): other
    record checks (reviewers' signatures) take their public keys from it.
    """

    analyst_keys: frozenset[str]
    keyring_source: str
    keyring_problems: list[str] = field(default_factory=list)
    keyring: Keyring | None = None
    _legacy: bytes | None = None
    _legacy_tried: bool = False

    @classmethod
    def for_round(
        cls, round_dir: str | os.PathLike[str], public_keys: str | os.PathLike[str] | None = None
    ) -> CheckpointVerifier:
        """The verifier of a round: the keyring ``public_keys`` if given (the auditor's trusted
        copy), else the round's own ``keys/public_keys.json``."""
        path = Path(public_keys) if public_keys is not None else keyring_path(round_dir)
        try:
            ring = Keyring.load(path)
        except ShinsaError as e:
            return cls(frozenset(), str(path), [str(e)])
        problems = ring.problems()
        if public_keys is not None and not problems:
            problems = _round_keyring_problems(round_dir, ring)
        return cls(frozenset(ring.analyst_keys()), str(path), problems, ring)

    def legacy_key(self) -> bytes | None:
        """The old HMAC key, when this account has it (read once)."""
        if not self._legacy_tried:
            self._legacy_tried = True
            try:
                self._legacy = load_key()
            except ShinsaError:
                self._legacy = None
        return self._legacy

    def problem(self, rec: Mapping[str, Any], where: str) -> str:
        """Why the line ``rec`` does not verify ("" when it does), in Japanese."""
        sig = rec.get("signature")
        if not sig:
            return f"{where}の記録点には署名がありません。"
        body = {k: v for k, v in rec.items() if k != "signature"}
        if int(rec.get("v", 1) or 1) < 2:
            return self._legacy_problem(body, str(sig), str(rec.get("key_id", "")), where)
        pub = str(rec.get("public_key", ""))
        if self.keyring_problems:
            return f"{where}の記録点を確かめられません: {self.keyring_problems[0]}"
        if pub not in self.analyst_keys:
            return (
                f"{where}の記録点は、公開鍵の一覧 {self.keyring_source} に事務局として登録されていない鍵"
                f"（指紋 {fingerprint(pub)}）で署名されています（鍵が差し替えられた可能性があります）。"
            )
        if not ed25519_verify(pub, body, str(sig)):
            return f"{where}の記録点の署名が一致しません（署名の後に書き換えられています）。"
        return ""

    def _legacy_problem(self, body: Mapping[str, Any], sig: str, kid: str, where: str) -> str:
        key = self.legacy_key()
        if key is None:
            return (
                f"{where}の記録点は古い形式（共通鍵の署名）で、その鍵 {legacy_key_path()} がないため確かめられません"
                "（環境変数 SCORING_LEGACY_KEY で古い鍵のファイルを指定してください）。"
            )
        if kid != key_id(key):
            return (
                f"{where}の記録点は別の鍵（鍵ID {kid}）で署名されていて、この鍵（鍵ID {key_id(key)}）では"
                "確かめられません。記録を作った事務局の古い鍵（環境変数 SCORING_LEGACY_KEY）で監査してください。"
            )
        if not verify(dict(body), sig, key):
            return f"{where}の記録点の署名が一致しません（署名の後に書き換えられています）。"
        return ""


def _round_keyring_problems(round_dir: str | os.PathLike[str], trusted: Keyring) -> list[str]:
    """A round keyring signed by a key the trusted keyring does not list as an analyst's."""
    try:
        ring = Keyring.load(round_dir)
    except ShinsaError:
        return []  # the round's own copy is not needed: the trusted keyring decides
    return [
        p.replace("信頼できる鍵として指定されたもの", f"指定された公開鍵の一覧 {trusted.path} の事務局の鍵")
        for p in ring.problems(trusted.analyst_keys())
    ]
