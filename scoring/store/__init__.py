"""Stage 2, the score store: an append-only, hash-chained event log (SQLite or PostgreSQL).

- :mod:`~scoring.store.scores`: :class:`ScoreStore` (scores, drafts, submissions, audit);
- :mod:`~scoring.store.checkpoints`: signed checkpoints of the log outside the database,
  and the reviewers' receipt codes (受領コード);
- :mod:`~scoring.store.decision`: the committee's decision, logged like the scores;
- :mod:`~scoring.store.credentials`: reading the account's database URL in
  ``~/.shinsa/database_url`` (the per-person PostgreSQL roles that enforce blindness and
  conflicts are set up by :mod:`scoring.admin.roles`).
- :mod:`~scoring.store.eligibility`: the 事務局's 受付の判断 (期限後受理, 訂正, 再提出, 辞退),
  logged like the scores.
"""

from __future__ import annotations

from .decision import Decision
from .scores import ScoreStore, StoreError

__all__ = ["Decision", "ScoreStore", "StoreError"]
