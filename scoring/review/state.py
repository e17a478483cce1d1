"""Where a reviewer left off (前回開いていた応募書, 未保存の入力): a small per-user state file.

Reloading the scoring page (Voilà starts a new kernel) must bring back the application the
reviewer had open. That is a preference of the person, not a fact of the review, so it is
kept **outside the score store** (the event log stays a record of scores only) in a JSON
file in the user's own home: ``~/.shinsa/review_state.json`` (``$SHINSA_STATE_FILE``
replaces the path). Under JupyterHub every reviewer has their own system account and home,
so nobody sees or changes another's file.

The file maps a round (its folder, resolved) and a reviewer to the last opened
application, and to the values the store could not save yet (the database was unreachable),
so that a reload or a new kernel still has them and saves them::

    {"version": 1, "rounds": {"/srv/rounds/2026": {"R1": {
        "application": "13", "updated_at": "2026-...Z",
        "unsaved": [{"application": "13", "criterion": "need_pool_gap", "score": 4.0, "comment": "",
                     "to_applicant": ""}]}}}}

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

from ..core.environment import environment

__all__ = ["ReviewState", "default_state_path"]

#: Environment variable with the path of the state file (default ``~/.shinsa/review_state.json``).
_VERSION = 1


def default_state_path() -> Path:
    """``$SHINSA_STATE_FILE``, else ``~/.shinsa/review_state.json``."""
    env = environment().state_file
    return Path(env) if env else Path.home() / ".shinsa" / "review_state.json"


class ReviewState:
    """What each reviewer left in one user's state file, per round: the last application
    opened and the values not saved yet.

    Parameters
    ----------
    round_path : path
        The round folder (its resolved path names the round in the file).
    path : path, optional
        The state file (default :func:`default_state_path`).

    Examples
    --------
    >>> state = ReviewState(rnd.path)        # doctest: +SKIP
    >>> state.set("R1", "13")                # doctest: +SKIP
    >>> state.get("R1")                      # doctest: +SKIP
    '13'
    """

    def __init__(
        self, round_path: str | os.PathLike[str], path: str | os.PathLike[str] | None = None
    ) -> None:
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

    def _entry(self, reviewer: str) -> dict[str, Any]:
        rounds = self._read().get("rounds")
        entry = rounds.get(self.round_key, {}).get(reviewer) if isinstance(rounds, dict) else None
        return entry if isinstance(entry, dict) else {}

    def get(self, reviewer: str) -> str | None:
        """The application the reviewer last opened in this round, None when unknown."""
        app = self._entry(reviewer).get("application")
        return app if isinstance(app, str) and app else None

    def unsaved(self, reviewer: str) -> list[dict[str, Any]]:
        """The values the store could not save yet, oldest first (keys ``application``,
        ``criterion``, ``score`` (float or None), ``comment``, ``to_applicant`` ("" in a file
        written before the 申請者への所見)); malformed rows are left out."""
        rows = self._entry(reviewer).get("unsaved")
        out = []
        for row in rows if isinstance(rows, list) else []:
            if not isinstance(row, dict):
                continue
            app, crit, score, comment = (row.get(k) for k in ("application", "criterion", "score", "comment"))
            note = row.get("to_applicant", "")
            if (
                isinstance(app, str)
                and isinstance(crit, str)
                and isinstance(comment, str)
                and isinstance(note, str)
                and (score is None or (isinstance(score, (int, float)) and not isinstance(score, bool)))
            ):
                out.append(
                    {
                        "application": app,
                        "criterion": crit,
                        "score": None if score is None else float(score),
                        "comment": comment,
                        "to_applicant": note,
                    }
                )
        return out

    def set(self, reviewer: str, application: str) -> bool:
        """Remember ``application`` for the reviewer; False when the file could not be written."""
        return self._update(reviewer, application=application)

    def set_unsaved(self, reviewer: str, rows: list[dict[str, Any]]) -> bool:
        """Keep the values not saved yet (``[]`` once all are saved); False if not written."""
        return self._update(reviewer, unsaved=rows)

    def _update(self, reviewer: str, **values: Any) -> bool:
        data = self._read() or {"version": _VERSION}
        rounds = data.setdefault("rounds", {})
        if not isinstance(rounds, dict):
            rounds = data["rounds"] = {}
        here = rounds.setdefault(self.round_key, {})
        if not isinstance(here, dict):
            here = rounds[self.round_key] = {}
        found = here.get(reviewer)
        entry: dict[str, Any] = found if isinstance(found, dict) else {}
        if values.get("unsaved") == [] and not entry.get("unsaved"):
            values.pop("unsaved")
        if all(entry.get(k) == v for k, v in values.items()):
            return True
        here[reviewer] = {
            **entry,
            **values,
            "updated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        }
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
