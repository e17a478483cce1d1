"""The hub's key pairs: one per reviewer and analyst, made at set-up, kept on every re-run.

Each reviewer signs their own submissions (:mod:`scoring.store.statements`) and the analyst
signs checkpoints, imports and the round's list of public keys, each with a private key
only they can read: ``~/.shinsa/ed25519_key.pem`` in their own home (file 0600, folder 0700,
home 0700, owned by the account). No other account (another reviewer, the analyst, the
committee, the database owner) can read it; root, who makes it, never keeps a copy.

:func:`publish_keys` (called by :func:`scoring.admin.setup.setup_hub`):

1. makes each person's key pair where they have none (an existing key is never replaced:
   their old signatures must still verify);
2. adds each public key to the round's keyring (:mod:`scoring.core.keyring`): the person is
   the reviewer's id, or ``analyst:<account>``; a person keeps every key they ever had;
3. signs the keyring with the first analyst's key and writes it to ``keys/public_keys.json``
   in the round copy (owned by the analyst, readable by the site's group, like the round) and to
   ``hub/public_keys.json`` in the site's state folder (root only), from which a re-run
   starts again even after the round copy was replaced.
"""

from __future__ import annotations

import os
import pwd
from collections.abc import Mapping, Sequence
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ..core.keyring import Keyring, keyring_path
from ..core.keys import KEY_FILENAME, create_key_file, load_private_key, public_key_text
from ..store.statements import analyst_person
from .site import HubSite, HubUser

__all__ = ["KEYRING_STATE_FILE", "account_key", "key_path", "person_of", "publish_keys"]

#: The master copy of the keyring in the site's state folder (``hub/``, root only).
KEYRING_STATE_FILE = "public_keys.json"
#: The roles that sign (the committee reads only).
SIGNING_ROLES = ("reviewer", "analyst")


def key_path(pw: pwd.struct_passwd) -> Path:
    """``~/.shinsa/ed25519_key.pem`` of an account."""
    return Path(pw.pw_dir) / ".shinsa" / KEY_FILENAME


def person_of(user: HubUser) -> str:
    """The keyring's person of a hub user: the reviewer's id, or ``analyst:<account>``."""
    return user.reviewer if user.role == "reviewer" and user.reviewer else analyst_person(user.name)


def account_key(pw: pwd.struct_passwd) -> Ed25519PrivateKey:
    """The account's private key: the existing one, else a new one made in its home (as its owner)."""
    path = key_path(pw)
    if path.exists() or path.is_symlink():
        return load_private_key(path)
    return create_key_file(path, uid=pw.pw_uid, gid=pw.pw_gid)


def _start(round_name: str, site: HubSite) -> Keyring:
    """The keyring to add to: the site's master copy, else the round copy's, else a new one."""
    for path in (site.state_dir / KEYRING_STATE_FILE, keyring_path(site.round_dir)):
        if path.is_file():
            return Keyring.load(path)
    return Keyring(round_name)


def publish_keys(
    round_name: str,
    users: Sequence[HubUser],
    accounts: Mapping[str, pwd.struct_passwd],
    site: HubSite,
    gid: int,
) -> Keyring:
    """Key pairs for every reviewer and analyst, and the signed keyring (see the module docstring).

    Raises
    ------
    SigningError
        An existing key that cannot be used (readable by others, not a key), or a public key
        already listed for another person.
    """
    ring = _start(round_name, site)
    signer: Ed25519PrivateKey | None = None
    for u in users:
        if u.role not in SIGNING_ROLES:
            continue
        key = account_key(accounts[u.name])
        ring = ring.with_person(person_of(u), u.role, public_key_text(key))
        if u.role == "analyst" and signer is None:
            signer = key
    assert signer is not None, "hub_users() always has an analyst"
    ring = ring.signed(signer)
    ring.save(site.state_dir / KEYRING_STATE_FILE)
    os.chmod(site.state_dir / KEYRING_STATE_FILE, 0o600)
    dest = ring.save(keyring_path(site.round_dir))
    analyst = next(accounts[u.name] for u in users if u.role == "analyst")
    for path, mode in ((dest.parent, 0o750), (dest, 0o640)):
        os.chown(path, analyst.pw_uid, gid)
        os.chmod(path, mode)
    return ring
