"""The old HMAC-SHA256 key: old (v1) checkpoints and the 採点表 manifests.

Checkpoints are now signed with the analyst's Ed25519 key (:mod:`scoring.core.keys`,
:mod:`scoring.store.checkpoint_sig`), which anyone can check with the round's public keys.
This symmetric key stays for what was signed with it before (v1 checkpoint lines still
verify with it) and for the manifests of the Excel 採点表, which only the analyst's own
import checks. It lives at ``$SCORING_LEGACY_KEY``, else ``~/.shinsa/signing.key``.

Whoever can write the score database can rewrite its hash chain and recompute every hash:
an unkeyed chain proves nothing against them. What they cannot do without the analyst's
key is produce a valid *signature*. This module holds that key and signs plain JSON data
with it: the audit checkpoints (:mod:`scoring.store.checkpoints`) and the manifests of the
Excel 採点表 (:mod:`scoring.review.sheets`) are signed here.

The key
-------
32 random bytes in a file readable only by its owner (mode 0600, in a folder of mode 0700):
``$SCORING_LEGACY_KEY`` if set, else ``~/.shinsa/signing.key`` of the account that runs
the workbench (the analyst's, on a shared server). :func:`load_key` creates it on first
use when asked to, and refuses a key file that other accounts can read or write. Keep a
copy somewhere safe: without it, old signatures can no longer be checked.

Signing
-------
:func:`sign` is HMAC-SHA256 over the canonical JSON text of the data (keys sorted, no
spaces, UTF-8); :func:`verify` compares in constant time. :func:`key_id` names a key
(a hash of it) without revealing it, so that a record can say which key signed it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path
from typing import Any

from .canonical import canonical_bytes
from .environment import ENV_LEGACY_KEY, environment
from .errors import SigningError

__all__ = ["default_key_path", "key_id", "load_key", "sign", "verify"]

#: Environment variable naming the key file.
_KEY_BYTES = 32


def default_key_path() -> Path:
    """``$SCORING_LEGACY_KEY``, else ``~/.shinsa/signing.key``."""
    env = environment().legacy_key
    return Path(env).expanduser() if env else Path.home() / ".shinsa" / "signing.key"


def load_key(path: str | os.PathLike[str] | None = None, *, create: bool = False) -> bytes:
    """The signing key.

    Parameters
    ----------
    path : path-like, optional
        The key file (default :func:`default_key_path`).
    create : bool
        Create a new random key (mode 0600) when the file does not exist. Only the commands
        that write records create it; checking never does.

    Raises
    ------
    SigningError
        No key file (and ``create`` is false), a key file that other accounts can read or
        write, a key folder other accounts can write to (unless sticky, as ``/tmp``), or a
        file that is not a key (Japanese message saying what to do).
    """
    p = Path(path) if path is not None else default_key_path()
    _refuse_open_folder(p.parent)
    if not p.exists():
        if not create:
            raise SigningError(
                f"署名の鍵 {p} がありません。事務局のアカウントで記録を作った鍵を使ってください"
                f"（別の場所にあるときは環境変数 {ENV_LEGACY_KEY} に鍵ファイルのパスを設定します）。"
            )
        p.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        key = secrets.token_bytes(_KEY_BYTES)
        try:
            fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it meanwhile
            return load_key(p)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key.hex().encode("ascii") + b"\n")
        return key
    mode = p.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SigningError(
            f"署名の鍵 {p} を他のアカウントが読めます（権限 {stat.filemode(mode)}）。"
            f"chmod 600 {p} で事務局だけが読めるようにしてください。"
        )
    text = p.read_text(encoding="ascii", errors="replace").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != _KEY_BYTES:
        raise SigningError(f"{p} は署名の鍵ではありません（{_KEY_BYTES} バイトの16進数が必要です）。")
    return key


def _refuse_open_folder(folder: Path) -> None:
    """Refuse a key folder that other accounts may write to (they could swap the key file).

    A folder with the sticky bit (``/tmp``) is fine: there only a file's owner may rename or
    remove it. A folder that does not exist yet is created 0700 by :func:`load_key`.
    """
    try:
        mode = folder.stat().st_mode
    except OSError:
        return
    if mode & (stat.S_IWGRP | stat.S_IWOTH) and not mode & stat.S_ISVTX:
        raise SigningError(
            f"署名の鍵のフォルダ {folder} は他のアカウントが書き込めます（権限 {stat.filemode(mode)}）。"
            f"鍵を差し替えられるおそれがあるため使いません。chmod 700 {folder} で"
            "事務局だけが書き込めるようにしてください。"
        )


def sign(data: Any, key: bytes) -> str:
    """HMAC-SHA256 of :func:`canonical_bytes` of ``data``, as 64 hex characters."""
    return hmac.new(key, canonical_bytes(data), hashlib.sha256).hexdigest()


def verify(data: Any, signature: str, key: bytes) -> bool:
    """Whether ``signature`` is :func:`sign` of ``data`` with ``key`` (constant time)."""
    return hmac.compare_digest(sign(data, key), str(signature))


def key_id(key: bytes) -> str:
    """A short public name of a key (12 hex characters of its SHA-256; reveals nothing)."""
    return hashlib.sha256(b"shinsa-key-id:" + key).hexdigest()[:12]
