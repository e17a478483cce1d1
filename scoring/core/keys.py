"""Key pairs: each person signs with a private key only they hold; anyone checks with public keys.

Why public-key signatures
-------------------------
A keyed hash (HMAC, :mod:`scoring.core.signing`) can be checked only by whoever holds the
key, and whoever can check can also forge. With a key *pair* the signer keeps the private
key and publishes the public one: the committee's secretary or an outside auditor checks a
record with the public keys alone, and cannot forge it.

Who holds which key
-------------------
Every person has one Ed25519 key pair (RFC 8032, via ``cryptography``):

* the analyst (事務局): signs checkpoints of the score log, decisions, Excel imports and the
  round's list of public keys (:mod:`scoring.core.keyring`);
* each reviewer (審査員): signs their own submissions (提出), in their own kernel.

The private key is a PEM file (PKCS #8, unencrypted) readable only by its owner: mode 0600
in a folder of mode 0700 that no other account can write, by default
``~/.shinsa/ed25519_key.pem`` of the account (``$SCORING_SIGNING_KEY`` names another file).
Only ``python -m scoring keys init`` (or the server set-up, for each account) creates one;
nothing else does, so that a missing or mistyped key is an error, never a silent new key.

Text forms
----------
A public key is written ``ed25519:<base64 of the 32 raw bytes>``; a signature is the base64
of its 64 bytes, over :func:`scoring.core.canonical.canonical_bytes` of the signed data. A
:func:`fingerprint` (16 hex digits of SHA-256 of the public key text) names a key briefly.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import stat
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .canonical import canonical_bytes
from .environment import ENV_SIGNING_KEY, environment
from .errors import SigningError

__all__ = [
    "KEY_FILENAME",
    "PUBLIC_PREFIX",
    "create_key_file",
    "default_key_path",
    "fingerprint",
    "load_private_key",
    "parse_public_key",
    "public_key_text",
    "sign_data",
    "verify_data",
]

#: The private key's file name in ``~/.shinsa/``.
KEY_FILENAME = "ed25519_key.pem"
#: How a public key's text starts.
PUBLIC_PREFIX = "ed25519:"
#: The command that creates the analyst's key (named in every "no key" message).
INIT_COMMAND = "python -m scoring keys init"


def default_key_path() -> Path:
    """``$SCORING_SIGNING_KEY``, else ``~/.shinsa/ed25519_key.pem`` of this account."""
    env = environment().signing_key
    return Path(env).expanduser() if env else Path.home() / ".shinsa" / KEY_FILENAME


def create_key_file(
    path: str | os.PathLike[str] | None = None, *, uid: int | None = None, gid: int | None = None
) -> Ed25519PrivateKey:
    """Create a new key pair and write its private key to ``path`` (mode 0600, folder 0700).

    ``uid``/``gid`` hand the file and its folder to another account (the server set-up,
    running as root, creates each person's key in their own home).

    Raises
    ------
    SigningError
        The file exists already (a key is never replaced silently: remove it by hand if that
        is really meant), or its folder can be written by other accounts.
    """
    p = Path(path) if path is not None else default_key_path()
    if p.exists() or p.is_symlink():
        raise SigningError(
            f"署名の鍵 {p} は既にあります。鍵を作り直すと、これまでの署名をその鍵で確かめられなくなります。"
            "本当に作り直すときは、古い鍵を安全な場所へ移してから実行してください。"
        )
    created = not p.parent.exists()
    p.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if uid is not None and created:
        os.chown(p.parent, uid, gid if gid is not None else -1)
    _check_folder(p)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    if uid is not None:
        os.chown(p, uid, gid if gid is not None else -1)
    return key


def load_private_key(path: str | os.PathLike[str] | None = None) -> Ed25519PrivateKey:
    """This account's private key (never created here).

    Raises
    ------
    SigningError
        No file (the message names where it was looked for and how to create one), a file
        or folder other accounts can read or write, or a file that is not an Ed25519 key.
    """
    p = Path(path) if path is not None else default_key_path()
    if not p.is_file():
        raise SigningError(
            f"署名の鍵がありません（探した場所: {p}）。事務局は {INIT_COMMAND} で鍵を作ってください"
            f"（別の場所の鍵を使うときは環境変数 {ENV_SIGNING_KEY} にそのファイルのパスを設定します）。"
        )
    mode = p.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SigningError(
            f"署名の鍵 {p} を他のアカウントが読み書きできます（権限 {stat.filemode(mode)}）。"
            f"chmod 600 {p} で本人だけが読めるようにしてください。"
        )
    _check_folder(p)
    try:
        key = serialization.load_pem_private_key(p.read_bytes(), password=None)
    except (ValueError, TypeError) as e:
        raise SigningError(
            f"{p} は署名の鍵（Ed25519 の PEM ファイル）ではありません: {type(e).__name__}。"
        ) from e
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningError(f"{p} は Ed25519 の鍵ではありません（{type(key).__name__}）。")
    return key


def _check_folder(p: Path) -> None:
    """Refuse a key whose folder other accounts can write (they could swap the key)."""
    folder = p.parent.resolve()
    mode = folder.stat().st_mode
    if mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise SigningError(
            f"署名の鍵のフォルダ {folder} に他のアカウントが書き込めます（権限 {stat.filemode(mode)}）。"
            f"chmod 700 {folder} で本人だけが使えるようにしてください。"
        )


def public_key_text(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """``ed25519:<base64>`` of the public half of ``key``."""
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return PUBLIC_PREFIX + base64.b64encode(raw).decode("ascii")


def parse_public_key(text: str) -> Ed25519PublicKey:
    """The public key written as ``ed25519:<base64>``.

    Raises
    ------
    SigningError
        ``text`` is not such a key.
    """
    body = str(text).strip()
    if not body.startswith(PUBLIC_PREFIX):
        raise SigningError(f"公開鍵「{body[:60]}」の形が違います（ed25519: で始まる文字列が必要です）。")
    try:
        raw = base64.b64decode(body[len(PUBLIC_PREFIX) :], validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError) as e:
        raise SigningError(f"公開鍵「{body[:60]}」を読めません（32 バイトの base64 が必要です）。") from e


def fingerprint(public_text: str) -> str:
    """A short name of a public key: 16 hex digits of SHA-256 of its text."""
    return hashlib.sha256(str(public_text).strip().encode("ascii", "replace")).hexdigest()[:16]


def sign_data(key: Ed25519PrivateKey, data: Any) -> str:
    """The base64 Ed25519 signature of :func:`canonical_bytes` of ``data``."""
    return base64.b64encode(key.sign(canonical_bytes(data))).decode("ascii")


def verify_data(public_text: str, data: Any, signature: str) -> bool:
    """Whether ``signature`` is a valid signature of ``data`` by the key ``public_text``.

    False (never an exception) for a malformed key or signature: a record that carries one
    simply does not verify.
    """
    try:
        pub = parse_public_key(public_text)
        sig = base64.b64decode(str(signature), validate=True)
        pub.verify(sig, canonical_bytes(data))
    except (SigningError, binascii.Error, ValueError, InvalidSignature):
        return False
    return True
