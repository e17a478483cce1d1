"""What ``report`` and ``run`` do around the committee material so that a failure leaves no trace.

A round whose store does not exist yet (no ``scores.sqlite``) has no scores:
:func:`refuse_missing_store` says so before anything opens the store, which would create
the file. The checkpoint that anchors the material (reason ``report``) is signed only once
the material has been computed (:func:`anchor_report`), so a ``report`` that fails (no
scores, a value the material cannot use) appends no checkpoint; the material then lists
that checkpoint in its 注記 as before.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from .analysis.committee import Committee
from .core.errors import NoScoresError
from .round.loader import ReviewRound, no_scores_message
from .store.eventlog import parse_url
from .store.scores import ScoreStore, default_url

__all__ = ["anchor_report", "refuse_missing_store"]


def refuse_missing_store(rnd: ReviewRound) -> None:
    """Raise :class:`NoScoresError` when the round's store is a SQLite file that does not exist."""
    url = default_url(rnd)
    u = parse_url(url)
    if u.get_backend_name() == "sqlite" and not Path(u.database or "").is_file():
        raise NoScoresError(no_scores_message(rnd))


def anchor_report(rnd: ReviewRound, c: Committee) -> Committee:
    """Sign a ``report`` checkpoint over the head of the round's store (when it has events);
    ``c`` with the store's checkpoints as they now are."""
    with ScoreStore.open(rnd) as store:
        if store.head()[0] == 0:
            return c
        store.checkpoint("report")
        return dataclasses.replace(c, checkpoints=store.checkpoints())
