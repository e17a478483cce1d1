"""A review phase that can finish (issue 19, item 4): reopen, excuse and reassign.

One scored copy of the demo round (half of the pairs assigned, so that a pair can be handed
to a reviewer who had not got it) is taken through the whole phase once, in process
(``scoring.cli.main``); the tests check what it left: progress at exit 0, the store's audit
clean, the reopened score changed through the store API the reviewer's screen uses, and the
committee material's notes listing each event with its reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from roundcopy import copy_demo_round

from scoring.analysis.committee import build_committee
from scoring.cli import main
from scoring.core.errors import OptionError, StoreError
from scoring.demo.simulate import write_demo_scores
from scoring.reporting.committee_tables import notes_ja
from scoring.review.progress import round_progress
from scoring.round.loader import load_round
from scoring.round.pair_release import application_code, release_pair
from scoring.store.scores import ScoreStore

BY = "事務局 山田"


@pytest.fixture(autouse=True)
def _no_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCORING_DATABASE_URL", raising=False)


def _half_assigned(folder: Path) -> None:
    """assignments.csv with every other (reviewer, application) pair of the demo round."""
    rnd = load_round(folder)
    pairs = rnd.assignments()
    order = {r.id: i for i, r in enumerate(rnd.reviewers)}
    apps = {a: i for i, a in enumerate(rnd.applications.index)}
    keep = [(order[r] + apps[a]) % 2 == 0 for r, a in zip(pairs["reviewer"], pairs["application"])]
    lines = ["reviewer,application"] + [f"{r},{a}" for r, a in pairs[keep].itertuples(index=False)]
    (folder / "assignments.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def phase(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The round taken through the review phase once; what each step printed and returned."""
    mp = pytest.MonkeyPatch()
    mp.delenv("SCORING_DATABASE_URL", raising=False)
    folder = copy_demo_round(tmp_path_factory.mktemp("phase"))
    _half_assigned(folder)
    rnd = load_round(folder)
    with ScoreStore.open(rnd) as store:
        write_demo_scores(rnd, store)
    before = round_progress(rnd)
    out: dict[str, Any] = {"folder": folder, "complete_before": before.complete}
    open_pairs = before.open_pairs
    assert len(open_pairs) >= 2
    # one open pair goes to a reviewer who was not assigned its application
    r0, a0 = str(open_pairs["reviewer"].iloc[0]), str(open_pairs["application"].iloc[0])
    assigned = {(str(r), str(a)) for r, a in rnd.assignments().itertuples(index=False)}
    to = next(r.id for r in rnd.reviewers if (r.id, a0) not in assigned and a0 not in r.conflicts)
    name0 = str(rnd.applications.loc[a0, "prefecture_name"])
    out["reassign"] = (r0, a0, to)
    out["exit_reassign"] = main(
        ["reassign", "--round", str(folder), "--reviewer", r0, "--application", name0, "--to", to]
        + ["--reason", "審査員と連絡が取れないため", "--by", BY]
    )
    # the new reviewer scores and submits it as the app does (ScoreStore.record, submit)
    rnd = load_round(folder)
    with ScoreStore.open(rnd) as store:
        for c in rnd.rubric.criteria:
            level = c.levels[len(c.levels) // 2]
            store.record(to, a0, c.id, level, "担当替えで採点（架空）" if c.comment_required(level) else "")
        store.submit(to, a0)
    # every other open pair: excused (one reviewer never submits); the first by the command
    out["excused"] = [
        (str(r), str(a)) for r, a in open_pairs[["reviewer", "application"]].iloc[1:].itertuples(index=False)
    ]
    (r, a), *rest = out["excused"]
    why = "期限までに提出なし"
    out["exit_excuse"] = main(
        ["excuse", "--round", str(folder), "--reviewer", r, "--application", a, "--reason", why, "--by", BY]
    )
    with ScoreStore.open(rnd) as store:
        for r, a in rest:
            release_pair(rnd, store, "excuse", r, a, by=BY, reason=why)
    out["complete_after"] = round_progress(rnd).complete
    # a submitted pair reopened, changed through the store API and submitted again
    with ScoreStore.open(rnd) as store:
        receipts = store.receipts()
        r1, a1 = str(receipts["reviewer"].iloc[0]), str(receipts["application"].iloc[0])
        out["reopened"] = (r1, a1)
        crit = rnd.rubric.criteria[0]
        before = store.pair_cells(r1, a1)[crit.id][0]
        new = next(lv for lv in crit.levels if lv != before and not crit.comment_required(lv))
        with pytest.raises(StoreError, match="提出済み"):
            store.record(r1, a1, crit.id, new)
    out["exit_reopen"] = main(
        ["reopen", "--round", str(folder), "--reviewer", r1, "--application", a1]
        + ["--reason", "評価項目の読み違いの訂正", "--by", BY]
    )
    with ScoreStore.open(rnd) as store:
        store.record(r1, a1, crit.id, new)
        store.submit(r1, a1)
        out["score_after"] = store.pair_cells(r1, a1)[crit.id][0]
        out["new_score"] = new
        out["audit"] = store.audit()
        out["statuses"] = store.statuses()
    out["exit_final"] = main(["progress", "--round", str(folder)])
    out["notes"] = notes_ja(build_committee(rnd, n_boot=20, n_alternatives=0))
    yield out
    mp.undo()


def test_progress_reaches_exit_0_once_every_pair_is_submitted_excused_or_reassigned(phase):
    assert not phase["complete_before"]
    assert phase["exit_reassign"] == 0
    assert phase["exit_excuse"] == 0
    assert phase["complete_after"]
    assert phase["exit_final"] == 0
    st = phase["statuses"].set_index(["reviewer", "application"])["status"]
    r0, a0, to = phase["reassign"]
    assert st[(r0, a0)] == "担当替え"
    assert st[(to, a0)] == "提出済"
    assert {st[p] for p in phase["excused"]} == {"免除"}


def test_reassign_adds_the_new_pair_to_assignments_csv(phase):
    r0, a0, to = phase["reassign"]
    table = pd.read_csv(phase["folder"] / "assignments.csv", dtype=str, encoding="utf-8-sig")
    assert ((table["reviewer"] == to) & (table["application"] == a0)).any()
    assert (
        (table["reviewer"] == r0) & (table["application"] == a0)
    ).any()  # the old row stays (the record says why)


def test_reopen_lets_the_reviewer_change_a_submitted_score_and_the_audit_stays_clean(phase):
    assert phase["exit_reopen"] == 0
    assert phase["score_after"] == phase["new_score"]
    assert phase["audit"].problems.empty, phase["audit"].problems.to_string()


def test_committee_notes_list_each_reopen_excuse_and_reassign_with_its_reason(phase):
    notes = dict(zip(phase["notes"]["項目"], phase["notes"]["値"].astype(str)))
    n = 1 + len(phase["excused"]) + 1
    assert notes["採点の再開・免除・担当替え"].startswith(f"{n} 件")
    lines = [v for k, v in notes.items() if k.startswith(("再開", "免除", "担当替え")) and k[-1].isdigit()]
    assert len(lines) == n
    assert any("理由: 評価項目の読み違いの訂正" in v for k, v in notes.items() if k.startswith("再開"))
    assert any(
        "理由: 審査員と連絡が取れないため" in v and "→ 審査員" in v
        for k, v in notes.items()
        if k.startswith("担当替え")
    )
    assert sum("理由: 期限までに提出なし" in v for k, v in notes.items() if k.startswith("免除")) == len(
        phase["excused"]
    )
    assert not any(
        phase["reopened"][0] + "の" in v for v in lines
    )  # reviewers shown as the material shows them


def test_release_refuses_the_reviewer_themselves_a_submitted_or_unassigned_pair(demo_round_copy):
    _half_assigned(demo_round_copy)
    rnd = load_round(demo_round_copy)
    pairs = rnd.assignments()
    r, a = str(pairs["reviewer"].iloc[0]), str(pairs["application"].iloc[0])
    with ScoreStore.open(rnd) as store:
        with pytest.raises(StoreError, match="本人は自分の採点の免除を記録できません"):
            release_pair(rnd, store, "excuse", r, a, by=r, reason="自分で")
        with pytest.raises(StoreError, match="本人は自分の採点の再開を記録できません"):
            store.reopen(r, a, by=rnd.reviewer(r).name, reason="自分で")
        with pytest.raises(StoreError, match="理由"):
            release_pair(rnd, store, "excuse", r, a, by=BY, reason="  ")
        assigned = {(str(x), str(y)) for x, y in pairs.itertuples(index=False)}
        other = next(str(x) for x in rnd.applications.index if (r, str(x)) not in assigned)
        with pytest.raises(OptionError, match="割り当てられていない"):
            release_pair(rnd, store, "excuse", r, other, by=BY, reason="担当外")
        with pytest.raises(OptionError, match="既に応募"):
            taken = next(str(x) for x, y in assigned if y == a and x != r)
            release_pair(rnd, store, "reassign", r, a, by=BY, reason="担当替え", to=taken)
        for c in rnd.rubric.criteria:
            lv = c.levels[0] if not c.comment_required(c.levels[0]) else c.levels[len(c.levels) // 2]
            store.record(r, a, c.id, lv, "理由（架空）" if c.comment_required(lv) else "")
        store.submit(r, a)
        with pytest.raises(StoreError, match="提出済みのため、免除は不要"):
            release_pair(rnd, store, "excuse", r, a, by=BY, reason="提出済み")
        assert store.audit().problems.empty
    assert application_code(rnd, "北海道") == "01" and application_code(rnd, "1") == "01"


def test_release_is_an_event_both_backends_accept_and_audit_keeps_clean(store_round, store_url, tmp_path):
    """On SQLite and PostgreSQL the database's rules take the new kinds; a reopening after the
    release and a submission still chain and sign."""
    with ScoreStore(store_url, store_round, checkpoint_file=tmp_path / "cp.jsonl") as store:
        eid = store.release("R1", "01", action="excuse", by=BY, reason="長期不在")
        eid2 = store.release("R2", "01", action="reassign", by=BY, reason="担当替え", to="R3")
        st = store.statuses().set_index(["reviewer", "application"])["status"]
        assert (st[("R1", "01")], st[("R2", "01")]) == ("免除", "担当替え")
        ev = store.review_events()
        assert list(ev["event_id"]) == [eid, eid2]
        assert list(ev["to"]) == ["", "R3"] and list(ev["reason"]) == ["長期不在", "担当替え"]
        assert store.audit().problems.empty


def test_the_analysts_panel_records_an_excuse_and_shows_refusals(demo_round_copy):
    from scoring.ui.pair_view import PairPanel

    panel = PairPanel(load_round(demo_round_copy))
    panel.action.value, panel.reviewer.value, panel.application.value = "excuse", "R1", "01"
    panel.by.value, panel.reason.value = "R1", "自分で免除"
    panel._record()
    assert "記録できませんでした" in panel.message.value and "本人" in panel.message.value
    panel.by.value, panel.reason.value = BY, "長期不在"
    panel._record()
    assert "免除を記録しました" in panel.message.value
    with ScoreStore.open(panel.rnd) as store:
        assert store.review_events()["reason"].tolist() == ["長期不在"]
