"""What of the hub runs as root, and what does not.

The hub (``jupyterhub``) must run as root: LocalProcessSpawner switches to each person's
account to start their server, and PAM reads ``/etc/shadow`` to check a password. Nothing
else needs it. The proxy (configurable-http-proxy) only forwards HTTP on an unprivileged
port (8000) and learns its routes from the hub over its API, and the idle culler only calls
the hub's API with its token: the hub starts both as ``nobody`` (:func:`unprivileged`:
``setpriv`` from util-linux, no capabilities, no new privileges; the culler keeps the site's
group, to run the hub's Python), so a hole in either does not give root.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
from collections.abc import Sequence

__all__ = ["UNPRIVILEGED_USER", "unprivileged"]

#: The account the proxy runs as.
UNPRIVILEGED_USER = "nobody"


def _group_exists(name: str) -> bool:
    try:
        grp.getgrnam(name)
    except KeyError:
        return False
    return True


def unprivileged(
    command: Sequence[str], user: str = UNPRIVILEGED_USER, groups: Sequence[str] = ()
) -> list[str]:
    """``command`` run as ``user`` when we are root, through ``setpriv``: its own group and
    ``groups`` only (the culler needs the site's group to run a Python that only the hub's
    accounts may reach), no capabilities, no new privileges.

    Not root (nothing to drop), no ``setpriv`` or no such user: ``command`` as it is.
    """
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        return list(command)
    try:
        pw = pwd.getpwnam(user)
    except KeyError:
        return list(command)
    gids = [str(grp.getgrnam(g).gr_gid) for g in groups if _group_exists(g)]
    return [
        setpriv,
        f"--reuid={pw.pw_uid}",
        f"--regid={pw.pw_gid}",
        f"--groups={','.join(gids)}" if gids else "--clear-groups",
        "--inh-caps=-all",
        "--no-new-privs",
        *command,
    ]
