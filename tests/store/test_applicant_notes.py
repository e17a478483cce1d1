"""申請者への所見 in the store: a score event's payload, in the hash chain, read by applicant_notes()."""

from __future__ import annotations

from typing import Any

import pytest

from scoring.core.errors import StoreError
from scoring.store.scores import ScoreStore


def test_the_note_is_kept_beside_the_comment_and_audited(store_round: Any, store_url: str) -> None:
    rnd = store_round
    crit = rnd.rubric.criteria[0].id
    with ScoreStore.open(rnd, store_url) as store:
        reviewer = rnd.reviewers[0].id
        app = next(str(a) for a in rnd.applications.index if str(a) not in rnd.reviewers[0].conflicts)
        store.record(reviewer, app, crit, 3, "内部メモ", to_applicant="  計画が具体的です。 ")
        # a draft pair: read only when drafts are counted
        assert store.applicant_notes(include_drafts=False).empty
        notes = store.applicant_notes(include_drafts=True)
        assert notes.to_dict("records") == [
            {
                "application": app,
                "reviewer": reviewer,
                "criterion": crit,
                "to_applicant": "計画が具体的です。",
            }
        ]
        assert store.scores()["comment"].tolist() == ["内部メモ"]  # the comment is untouched
        # the next save of the cell without a 所見 clears it ("as it now stands")
        store.record(reviewer, app, crit, 4, "内部メモ")
        assert store.applicant_notes(include_drafts=True).empty
        store.record(reviewer, app, crit, 4, "", to_applicant="良い点があります。")
        ev = store.events()
        assert ev["payload"].iloc[-1] == '{"to_applicant":"良い点があります。"}'
        assert ev["payload"].iloc[-2] is None or ev["payload"].isna().iloc[-2]
        assert store.audit().problems.empty
        with pytest.raises(StoreError, match="申請者への所見"):
            store.record(reviewer, app, crit, 4, "", to_applicant="x" * 100_000)
