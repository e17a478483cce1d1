"""Stage 3, the review round: a folder that ties settings, applications, reviewers,
assignments and the store together.

- :mod:`~scoring.round.loader`: :func:`load_round` (reads only, never writes) and
  :class:`ReviewRound`;
- :mod:`~scoring.round.assign`: who reviews what (balanced, conflict-free; the proposal's
  local search in :mod:`~scoring.round._assign_search`);
- :mod:`~scoring.round.eligibility`: the deadline, プッシュ型 and the recorded 受付の判断
  applied to the applications, and recording a new one (the rules);
- :mod:`~scoring.round.eligibility_records`: those decisions as records of the score store;
- :mod:`~scoring.round.decision`: the committee's decision (選定結果): its rules, its record
  in the score store and the checks against the current round.
"""

from __future__ import annotations

from .assign import propose_assignments, read_assignments, write_assignments
from .decision import Decision
from .loader import ReviewRound, load_round, round_path

__all__ = [
    "Decision",
    "ReviewRound",
    "load_round",
    "propose_assignments",
    "read_assignments",
    "round_path",
    "write_assignments",
]
