"""The idle culler: ``jupyterhub-idle-culler`` as a hub service stops idle servers.

An analyst's JupyterLab (or anyone's server) left open holds memory and a kernel; the
culler, run by the hub (``c.JupyterHub.services``), stops every server idle for longer than
the timeout (default one hour; ``idle_timeout`` of site.json, or ``$SHINSA_IDLE_TIMEOUT``).
It gets a role with only the scopes it needs. Unsaved work in an open notebook is lost
when its server is stopped; the reviewers' app saves each score at once.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["CULLER_SCOPES", "DEFAULT_CULL_EVERY", "DEFAULT_IDLE_TIMEOUT", "idle_culler"]

DEFAULT_IDLE_TIMEOUT = 3600
DEFAULT_CULL_EVERY = 300
#: What the culler may do through the hub's API: see the users and their servers' activity,
#: stop servers.
CULLER_SCOPES = ["list:users", "read:users:activity", "read:servers", "delete:servers"]
_NAME = "idle-culler"


def idle_culler(
    timeout: int = DEFAULT_IDLE_TIMEOUT, every: int = DEFAULT_CULL_EVERY, python: str = sys.executable
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The service and the role to add to ``c.JupyterHub.services`` and ``c.JupyterHub.load_roles``.

    Parameters
    ----------
    timeout : int
        Seconds of inactivity after which a server is stopped.
    every : int
        Seconds between two checks.
    python : str
        The interpreter that has ``jupyterhub_idle_culler`` (the hub's).
    """
    service = {
        "name": _NAME,
        "command": [
            python,
            "-m",
            "jupyterhub_idle_culler",
            f"--timeout={int(timeout)}",
            f"--cull-every={int(every)}",
        ],
    }
    role = {"name": f"{_NAME}-role", "scopes": list(CULLER_SCOPES), "services": [_NAME]}
    return service, role
