"""Sign-in on the hub: JupyterHub's own PAMAuthenticator, with a lock-out after failures.

The hub (running as root, so it may read ``/etc/shadow``) checks the password of the system
account of the same name, the one :func:`scoring.admin.setup.setup_hub` created and whose
password it set with ``chpasswd``. Why PAM: it ships with JupyterHub (maintained with it,
works on 6.x), needs no table of its own, and the accounts exist anyway because each
person's server runs as their account. NativeAuthenticator 1.3 does not work on JupyterHub
6 (its login handler uses the removed statsd).

``deploy/jupyterhub_config.py`` keeps the other guarantees: only the people of
reviewers.yaml (``allowed_users``), nobody an admin. :class:`ShinsaPAMAuthenticator` adds
what NativeAuthenticator gave, so that nobody can lock a named reviewer out and nobody can
tell from the answer's timing whether an account exists (issue 18):

* **Lock-out per name and source.** After :attr:`allowed_failed_logins` wrong passwords for
  one name *from one source address*, that name is refused from that address for
  :attr:`seconds_before_next_try` seconds, even with the right password. Someone guessing
  from elsewhere therefore does not lock the reviewer out of their own machine. Guessing
  from many addresses is bounded by :attr:`allowed_failed_logins_per_name` failures of the
  name from all addresses together; past it the name is refused from every address that has
  not signed in to it successfully before (the reviewer's own addresses still work). The
  source is the request's ``remote_ip``: behind a reverse proxy, configure JupyterHub's
  trusted proxies so that it is the client's address, else every sign-in comes from the
  proxy and the lock-out is per name again. Kept in the hub's memory: a restart clears it.
* **Equal time for every failure.** A failed sign-in (wrong password, unknown name, a name
  locked out) answers no sooner than :attr:`failed_sign_in_seconds` after it began, and no
  sooner than the slowest recent failure PAM itself took: PAM answers at once for an unknown
  name (0.01 s) but takes its time for a real one (0.47 s measured), which told anyone
  whether an account exists. A success is not delayed (it only reveals the account to its
  owner).
"""

from __future__ import annotations

import asyncio
import collections
import time
from typing import Any

from jupyterhub.auth import PAMAuthenticator
from traitlets import Float, Integer

__all__ = ["ShinsaPAMAuthenticator"]

#: How many of PAM's own failure times are remembered for the padding.
_RECENT_DURATIONS = 50


def _source(handler: Any) -> str:
    """The address a sign-in comes from (``""`` when unknown, e.g. no request)."""
    request = getattr(handler, "request", None)
    return str(getattr(request, "remote_ip", "") or "")


class ShinsaPAMAuthenticator(PAMAuthenticator):
    """PAMAuthenticator with a lock-out per (name, source) and failures that all take as long."""

    allowed_failed_logins = Integer(
        5, help="Failed sign-ins of one name from one address before that address is locked out."
    ).tag(config=True)
    allowed_failed_logins_per_name = Integer(
        50,
        help="Failed sign-ins of one name from all addresses before addresses that never signed "
        "in to it are locked out.",
    ).tag(config=True)
    seconds_before_next_try = Integer(300, help="Seconds a locked-out name is refused.").tag(config=True)
    failed_sign_in_seconds = Float(
        1.0, help="Shortest time a failed sign-in takes (at least PAM's slowest recent failure)."
    ).tag(config=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._failures: dict[tuple[str, str], list[float]] = {}  # (name, source) → failure times
        self._name_failures: dict[str, list[float]] = {}  # name → failure times, all sources
        self._trusted: dict[str, set[str]] = {}  # name → sources that signed in to it successfully
        self._pam_failures: collections.deque[float] = collections.deque(maxlen=_RECENT_DURATIONS)

    def _recent(self, table: dict[Any, list[float]], key: Any, now: float) -> list[float]:
        recent = [t for t in table.get(key, []) if now - t < self.seconds_before_next_try]
        if recent:
            table[key] = recent
        else:
            table.pop(key, None)
        return recent

    def locked(self, name: str, source: str = "", now: float | None = None) -> bool:
        """``name`` is refused from ``source``: too many recent failures from there, or from
        everywhere and ``source`` never signed in to it."""
        now = time.monotonic() if now is None else now
        if len(self._recent(self._failures, (name, source), now)) >= self.allowed_failed_logins:
            return True
        everywhere = len(self._recent(self._name_failures, name, now))
        return everywhere >= self.allowed_failed_logins_per_name and source not in self._trusted.get(name, ())

    def failure_floor(self) -> float:
        """How long a failed sign-in takes at least (seconds)."""
        return max([self.failed_sign_in_seconds, *self._pam_failures])

    async def authenticate(self, handler: Any, data: dict[str, Any]) -> str | None:
        started = time.monotonic()
        name = self.normalize_username(str(data.get("username", "")))
        source = _source(handler)
        result: str | None = None
        if self.locked(name, source):
            self.log.warning(
                "Sign-in of %r from %r refused: locked out after %d failures",
                name[:32],
                source,
                self.allowed_failed_logins,
            )
        else:
            result = await super().authenticate(handler, data)
            now = time.monotonic()
            if result is None:
                self._pam_failures.append(now - started)
                self._failures.setdefault((name, source), []).append(now)
                self._name_failures.setdefault(name, []).append(now)
            else:
                self._failures.pop((name, source), None)
                self._trusted.setdefault(name, set()).add(source)
        if result is None:
            await asyncio.sleep(max(0.0, started + self.failure_floor() - time.monotonic()))
        return result
