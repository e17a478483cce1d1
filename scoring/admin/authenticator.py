"""Sign-in on the hub: JupyterHub's own PAMAuthenticator, with a lock-out after failures.

The hub (running as root, so it may read ``/etc/shadow``) checks the password of the system
account of the same name, the one :func:`scoring.admin.setup.setup_hub` created and whose
password it set with ``chpasswd``. Why PAM: it ships with JupyterHub (maintained with it,
works on 6.x), needs no table of its own, and the accounts exist anyway because each
person's server runs as their account. NativeAuthenticator 1.3 does not work on JupyterHub
6 (its login handler uses the removed statsd).

``deploy/jupyterhub_config.py`` keeps the other guarantees: only the people of
reviewers.yaml (``allowed_users``), nobody an admin. :class:`ShinsaPAMAuthenticator` adds
what NativeAuthenticator gave: after :attr:`allowed_failed_logins` wrong passwords for one
name, that name is refused for :attr:`seconds_before_next_try` seconds, even with the right
password (kept in the hub's memory: a restart clears it).
"""

from __future__ import annotations

import time
from typing import Any

from jupyterhub.auth import PAMAuthenticator
from traitlets import Dict, Integer

__all__ = ["ShinsaPAMAuthenticator"]


class ShinsaPAMAuthenticator(PAMAuthenticator):
    """PAMAuthenticator that locks a name out after too many failed sign-ins."""

    allowed_failed_logins = Integer(5, help="Failed sign-ins of one name before it is locked out.").tag(
        config=True
    )
    seconds_before_next_try = Integer(300, help="Seconds a locked-out name is refused.").tag(config=True)
    _failures = Dict()

    def locked(self, name: str, now: float | None = None) -> bool:
        """``name`` has failed :attr:`allowed_failed_logins` times in the last
        :attr:`seconds_before_next_try` seconds."""
        now = time.monotonic() if now is None else now
        recent = [t for t in self._failures.get(name, []) if now - t < self.seconds_before_next_try]
        self._failures[name] = recent
        return len(recent) >= self.allowed_failed_logins

    async def authenticate(self, handler: Any, data: dict[str, Any]) -> str | None:
        name = self.normalize_username(str(data.get("username", "")))
        if self.locked(name):
            self.log.warning(
                "Sign-in of %r refused: locked out after %d failures", name[:32], self.allowed_failed_logins
            )
            return None
        result = await super().authenticate(handler, data)
        if result is None:
            self._failures.setdefault(name, []).append(time.monotonic())
        else:
            self._failures.pop(name, None)
        return result
