"""Per-user resource limits of the hub's Jupyter servers and kernels (rlimits).

These machines have no systemd (no cgroups per user), so each person's server is started
with POSIX rlimits, set in the spawner's ``pre_spawn_hook`` (``deploy/jupyterhub_config.py``)
by :func:`limit_spawner`: they are set in the child process just before it becomes the
person's account, and its kernels (child processes) inherit them. A limit applies to each
process (a server, each kernel), not to the person as a whole.

Defaults (:class:`Limits`) for a 24 GiB, 2-core machine shared by about ten people, of whom
a few run a kernel at the same time:

- ``RLIMIT_AS`` 6 GiB of address space per process: a round's data and the combine/select
  models need well under 1 GiB; three runaway kernels cannot take the whole memory from the
  hub and PostgreSQL;
- ``RLIMIT_CPU`` 4 hours of CPU time per process (the method simulation takes minutes);
  the kernel gets ``SIGXCPU`` and is restarted by the person;
- ``RLIMIT_FSIZE`` 2 GiB per file written (reports and packets are a few MB).

The values live in ``hub/site.json`` (``python -m scoring hub-setup`` writes them).
"""

from __future__ import annotations

import os
import resource
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from ..core.errors import HubError

__all__ = ["GIB", "Limits", "limit_spawner", "with_rlimits"]

GIB = 1024**3


@dataclass(frozen=True)
class Limits:
    """The rlimits of every process of a hub user's server (soft = hard)."""

    address_space: int = 6 * GIB
    cpu_seconds: int = 4 * 3600
    file_size: int = 2 * GIB

    def rlimits(self) -> dict[int, tuple[int, int]]:
        """``resource`` constant → (soft, hard)."""
        return {
            resource.RLIMIT_AS: (self.address_space, self.address_space),
            resource.RLIMIT_CPU: (self.cpu_seconds, self.cpu_seconds),
            resource.RLIMIT_FSIZE: (self.file_size, self.file_size),
        }

    def to_dict(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Limits:
        """The limits of site.json (missing keys: the defaults).

        Raises
        ------
        HubError
            An unknown key or a value that is not a positive whole number.
        """
        data = dict(data or {})
        unknown = sorted(set(data) - set(asdict(cls())))
        bad = [k for k, v in data.items() if not isinstance(v, int) or isinstance(v, bool) or v <= 0]
        if unknown or bad:
            raise HubError(
                f"site.json の limits: {'、'.join(unknown + bad)} は使えません"
                "（address_space・cpu_seconds・file_size に正の整数を指定してください）。"
            )
        return cls(**data)


def with_rlimits(preexec: Callable[[], None] | None, limits: Limits) -> Callable[[], None]:
    """A ``preexec_fn`` that sets ``limits`` and then runs ``preexec`` (the spawner's own,
    which switches to the person's account: the limits are set while still root, so the
    hard limits can be anything and the person cannot raise them again). It also sets umask
    027: what a server or kernel writes is never readable by other accounts (only by the
    group of the folder, see :mod:`scoring.round.server`)."""
    values = limits.rlimits()

    def preexec_fn() -> None:
        for which, value in values.items():
            resource.setrlimit(which, value)
        os.umask(0o027)
        if preexec is not None:
            preexec()

    return preexec_fn


def limit_spawner(spawner: Any, limits: Limits) -> None:
    """Make a LocalProcessSpawner start its server with ``limits`` (call from ``pre_spawn_hook``)."""
    make = type(spawner).make_preexec_fn

    def make_preexec_fn(name: str) -> Callable[[], None]:
        return with_rlimits(make(spawner, name), limits)

    spawner.make_preexec_fn = make_preexec_fn
