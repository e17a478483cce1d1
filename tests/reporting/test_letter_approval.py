"""The approval of the letters' drafts is a recorded decision (issue 21): an event of kind
``letters_approved`` in the score store's hash chain, anchored by a signed checkpoint, read
back by :func:`approved`; a file beside the drafts is never trusted. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scoring.core.errors import StoreError
from scoring.reporting.letter_approval import (
    APPROVAL_KIND,
    approval_path,
    approval_warning,
    approve_drafts,
    approved,
    drafts_digest,
    read_approvals,
)
from scoring.store.checkpoints import read_checkpoints
from scoring.store.scores import ScoreStore


def _drafts(tmp_path: Path) -> Path:
    p = tmp_path / "講評.yaml"
    p.write_text("round: demo\nletters:\n  '20':\n    note: ヒアリングに感謝します。\n", encoding="utf-8")
    return p


def test_approval_is_an_anchored_event_read_back_from_the_store_and_audit_stays_clean(
    store_url: str, store_round: Any, tmp_path: Path
) -> None:
    drafts = _drafts(tmp_path)
    cp = tmp_path / "cp.jsonl"
    with ScoreStore(store_url, store_round, checkpoint_file=cp) as store:
        assert approved(drafts, read_approvals(store)) is None
        a = approve_drafts(store, drafts, " 架空 事務局 ")
        ((ev, data),) = store.records(APPROVAL_KIND)
        assert ev["actor"] == "架空 事務局" and ev["reviewer"] == "" and int(ev["id"]) == a.event_id
        assert data["drafts_sha256"] == drafts_digest(drafts) == a.drafts_sha256
        assert data["drafts_file"] == "講評.yaml" and a.approved_at.endswith("+09:00")
        assert approved(drafts, read_approvals(store)) == a
        assert [c.record["reason"] for c in read_checkpoints(cp)][-1] == APPROVAL_KIND
        assert not approval_path(drafts).exists()  # nothing is written beside the drafts
        # an edit makes the letters 案 again; approving the edit makes them final again
        drafts.write_text(drafts.read_text(encoding="utf-8") + "# 追記\n", encoding="utf-8")
        assert approved(drafts, read_approvals(store)) is None
        b = approve_drafts(store, drafts, "架空 事務局")
        assert approved(drafts, read_approvals(store)) == b != a
        audit = store.audit()
        assert audit.problems.empty, audit.problems.to_string()


def test_a_forged_approval_file_alone_is_not_an_approval(
    store_url: str, store_round: Any, tmp_path: Path
) -> None:
    drafts = _drafts(tmp_path)
    forged = {
        "drafts_sha256": drafts_digest(drafts),
        "approved_by": "誰か",
        "approved_at": "2026-12-07T10:00:00+09:00",
    }
    approval_path(drafts).write_text(json.dumps(forged, ensure_ascii=False), encoding="utf-8")
    with ScoreStore(store_url, store_round, checkpoint_file=tmp_path / "cp.jsonl") as store:
        found = approved(drafts, read_approvals(store))
        assert found is None
        warning = approval_warning(drafts, found)
        assert str(approval_path(drafts)) in warning and "--approve" in warning and "もう一度承認" in warning
        # once approved in the store the old file is no matter
        a = approve_drafts(store, drafts, "架空 事務局")
        assert approval_warning(drafts, approved(drafts, read_approvals(store))) == ""
        assert a.approved_by == "架空 事務局"


def test_approval_needs_the_drafts_and_a_name_and_the_kind_is_a_record(
    store_url: str, store_round: Any, tmp_path: Path
) -> None:
    with ScoreStore(store_url, store_round, checkpoint_file=tmp_path / "cp.jsonl") as store:
        with pytest.raises(Exception, match="下書き .* がありません"):
            approve_drafts(store, tmp_path / "none.yaml", "架空 事務局")
        with pytest.raises(Exception, match="--by"):
            approve_drafts(store, _drafts(tmp_path), "  ")
        with pytest.raises(StoreError, match="記録する人"):
            store.append_record(APPROVAL_KIND, payload={"drafts_sha256": "0" * 64}, by="")
        assert read_approvals(store) == []
