"""Stage 2, the score store: an append-only, hash-chained event log (SQLite or PostgreSQL).

- :mod:`~scoring.store.eventlog`: :class:`~scoring.store.eventlog.EventLog`, the database,
  its schema and migrations and the locked append (nothing of rubrics or rounds);
- :mod:`~scoring.store.chain`: the hash chain, each event's hash and the chain's checks;
- :mod:`~scoring.store.scores`: :class:`ScoreStore` (scores, drafts, submissions, revisions,
  generic records), built on :mod:`~scoring.store.base`, :mod:`~scoring.store.reads` and
  :mod:`~scoring.store.audit`; it checks writes against a
  :class:`~scoring.core.roundfacts.RoundFacts`, never against the round itself;
- :mod:`~scoring.store.checkpoints`: signed checkpoints of the log outside the database,
  and the reviewers' receipt codes (受領コード); :mod:`~scoring.store.checkpoint_sig` signs
  them with the analyst's Ed25519 key and checks them with the round's public keys;
  :mod:`~scoring.store.anchor_count` keeps their number and the last one's digest in the
  database;
- :mod:`~scoring.store.record_checks`: the one list of record checks that ``audit`` runs
  and every signing command runs first (:func:`~scoring.store.record_checks.check_before_signing`);
- :mod:`~scoring.store.credentials`: reading the account's database URL in
  ``~/.shinsa/database_url`` (the per-person PostgreSQL roles that enforce blindness and
  conflicts are set up by :mod:`scoring.admin.roles`).

The committee's decision and the 事務局's eligibility decisions are records of the store
whose rules and content belong to the round (:mod:`scoring.round.decision`,
:mod:`scoring.round.eligibility_records`).
"""

from __future__ import annotations

from .scores import ScoreStore, StoreError

__all__ = ["ScoreStore", "StoreError"]
