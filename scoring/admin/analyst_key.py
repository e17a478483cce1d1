"""The analyst's signing key on a shared server, made by ``hub-setup`` (as root).

The analyst's account gets its own Ed25519 key pair (:mod:`scoring.core.keys`): the private
key ``~/.shinsa/ed25519_key.pem`` (0600, owned by the analyst, in their 0700 home), the
public key listed as ``analyst:<account>`` in the round copy's signed keyring
(``keys/public_keys.json``, :mod:`scoring.core.keyring`). A key that exists already is kept
(re-running ``hub-setup`` never replaces it).
"""

from __future__ import annotations

import pwd
from pathlib import Path

from ..core.keys import KEY_FILENAME, create_key_file, load_private_key
from ..store.checkpoint_sig import ANALYST_PREFIX, register_analyst

__all__ = ["analyst_key_path", "ensure_analyst_key"]


def analyst_key_path(pw: pwd.struct_passwd) -> Path:
    """``~/.shinsa/ed25519_key.pem`` of the account ``pw``."""
    return Path(pw.pw_dir) / ".shinsa" / KEY_FILENAME


def ensure_analyst_key(pw: pwd.struct_passwd, round_dir: Path, round_name: str) -> Path:
    """Create the analyst's key when missing and list it in the round's keyring; the key's path."""
    path = analyst_key_path(pw)
    key = load_private_key(path) if path.exists() else create_key_file(path, uid=pw.pw_uid, gid=pw.pw_gid)
    register_analyst(round_dir, round_name, key, ANALYST_PREFIX + pw.pw_name, add=True)
    return path
