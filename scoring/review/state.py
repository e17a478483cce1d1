"""Where a reviewer left off (前回開いていた応募書): a small per-user state file.

Reloading the scoring page (Voilà starts a new kernel) must bring back the application the
reviewer had open. That is a preference of the person, not a fact of the review, so it is
kept **outside the score store** (the event log stays a record of scores only) in a JSON
file in the user's own home: ``~/.shinsa/review_state.json`` (``$SHINSA_STATE_FILE``
replaces the path). Under JupyterHub every reviewer has their own system account and home,
so nobody sees or changes another's file.

The file maps a round (its folder, resolved) and a reviewer to the last opened
application::

    {"version": 1, "rounds": {"/srv/rounds/2026": {"R1": {"application": "13",
                                                          "updated_at": "2026-...Z"}}}}

It is a convenience: a missing, unreadable or broken file means "start at the first
application not yet submitted", and a failure to write it never stops scoring (the scores
themselves are in the store). Writes replace the file atomically.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["ENV_STATE_FILE", "LastOpened", "default_state_path"]

#: Environment variable with the path of the state file (default ``~/.shinsa/review_state.json``).
ENV_STATE_FILE = "SHINSA_STATE_FILE"
_VERSION = 1


def default_state_path() -> Path:
    """``$SHINSA_STATE_FILE``, else ``~/.shinsa/review_state.json``."""
    env = os.environ.get(ENV_STATE_FILE, "").strip()
    return Path(env) if env else Path.home() / ".shinsa" / "review_state.json"


class LastOpened:
    """The last application each reviewer opened, per round, in one user's state file.

    Parameters
    ----------
    round_path : path
        The round folder (its resolved path names the round in the file).
    path : path, optional
        The state file (default :func:`default_state_path`).

    Examples
    --------
    >>> last = LastOpened(rnd.path)          # doctest: +SKIP
    >>> last.set("R1", "13")                 # doctest: +SKIP
    >>> last.get("R1")                       # doctest: +SKIP
    '13'
    """

    def __init__(self, round_path: str | os.PathLike[str], path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_state_path()
        try:
            self.round_key = str(Path(round_path).resolve())
        except OSError:
            self.round_key = str(round_path)

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) and data.get("version") == _VERSION else {}

    def get(self, reviewer: str) -> str | None:
        """The application the reviewer last opened in this round, None when unknown."""
        rounds = self._read().get("rounds")
        entry = rounds.get(self.round_key, {}).get(reviewer) if isinstance(rounds, dict) else None
        app = entry.get("application") if isinstance(entry, dict) else None
        return app if isinstance(app, str) and app else None

    def set(self, reviewer: str, application: str) -> bool:
        """Remember ``application`` for the reviewer; False when the file could not be written."""
        data = self._read() or {"version": _VERSION}
        rounds = data.setdefault("rounds", {})
        if not isinstance(rounds, dict):
            rounds = data["rounds"] = {}
        here = rounds.setdefault(self.round_key, {})
        if not isinstance(here, dict):
            here = rounds[self.round_key] = {}
        if isinstance(here.get(reviewer), dict) and here[reviewer].get("application") == application:
            return True
        here[reviewer] = {"application": application,
                          "updated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(prefix=".review_state.", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    json.dump(data, f, ensure_ascii=False, indent=1)
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError:
            return False
        return True
