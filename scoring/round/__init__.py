"""Stage 3, the review round: a folder that ties settings, applications, reviewers,
assignments and the store together.

- :mod:`~scoring.round.loader`: :func:`load_round` (reads only, never writes) and
  :class:`ReviewRound`;
- :mod:`~scoring.round.assign`: who reviews what (balanced, conflict-free);
- :mod:`~scoring.round.eligibility`: the deadline, プッシュ型 and the recorded 受付の判断
  applied to the applications, and recording a new one.
"""

from __future__ import annotations

from .assign import propose_assignments, read_assignments, write_assignments
from .loader import ReviewRound, load_round, round_path

__all__ = ["ReviewRound", "load_round", "propose_assignments", "read_assignments", "round_path", "write_assignments"]
