"""The reviewer's scoring model (scoring.review.session): identity, assignments, autosave, submission,
blind review, against a real SQLite score store on a copy of the demo round."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal, assert_series_equal

from scoring import load_round
from scoring.core.errors import ReviewError, StoreError
from scoring.core.reference import prefectures
from scoring.reporting.charts import distribution_png
from scoring.review.session import (
    Progress,
    ReviewSession,
    ScoreEntry,
    assigned_applications,
    format_level,
    identify_reviewer,
)
from scoring.round.loader import ReviewRound
from scoring.store.scores import ScoreStore

ALL_APPS = ["01", "02", "03", "05", "10", "11", "20", "29", "30", "32", "34", "38", "39", "42", "43", "46"]
FIRST = "need_pool_gap"


@pytest.fixture(scope="module")
def rnd(tmp_path_factory: pytest.TempPathFactory, demo_round_copier: Callable[[Path], Path]) -> ReviewRound:
    return load_round(demo_round_copier(tmp_path_factory.mktemp("review-model")))


@pytest.fixture
def store(rnd: ReviewRound, tmp_path: Path) -> Iterator[ScoreStore]:
    s = ScoreStore.open(rnd, f"sqlite:///{tmp_path / 'scores.sqlite'}")
    yield s
    s.close()


class Clock:
    """A fixed, advanceable clock (aware UTC)."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 3, 2, 1, 2, 3, tzinfo=dt.timezone.utc)

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(seconds=1)
        return self.now


@pytest.fixture
def session(rnd: ReviewRound, store: ScoreStore) -> ReviewSession:
    return ReviewSession(rnd, store, "R1", clock=Clock())


def complete(session: ReviewSession, app: str | None = None, level: float = 3) -> None:
    """Score every criterion of ``app`` at ``level`` (comment where the rubric needs one)."""
    for c in session.criteria:
        session.set_score(c.id, level, app)
        if c.comment_required(level):
            session.set_comment(c.id, f"{c.label_ja}の理由", app)


# --------------------------------------------------------------------------- identity


def test_identity_single_user_lets_the_person_choose(rnd: ReviewRound) -> None:
    ident = identify_reviewer(rnd, None, environ={})
    assert ident.reviewer is None and not ident.locked and ident.hub_user is None
    assert ident.choices == ("R1", "R2", "R3", "R4", "R5", "R6")
    assert identify_reviewer(rnd, "R2", environ={}).reviewer == "R2"
    assert identify_reviewer(rnd, " ", environ={}).reviewer is None


def test_identity_unknown_reviewer_id_lists_the_choices(rnd: ReviewRound) -> None:
    with pytest.raises(
        ReviewError, match=r"審査員ID「R9」は reviewers.yaml にありません.*R1、R2、R3、R4、R5、R6"
    ):
        identify_reviewer(rnd, "R9", environ={})


def test_identity_under_jupyterhub_is_the_logged_in_user_and_locked(rnd: ReviewRound) -> None:
    ident = identify_reviewer(rnd, None, environ={"JUPYTERHUB_USER": "r3"})
    assert ident == type(ident)("R3", True, "r3", ("R3",))
    # JupyterHub user names are matched case-insensitively; the own id may be passed.
    assert identify_reviewer(rnd, "R3", environ={"JUPYTERHUB_USER": "R3"}).reviewer == "R3"


def test_identity_under_jupyterhub_cannot_pick_another_reviewer(rnd: ReviewRound) -> None:
    with pytest.raises(ReviewError, match=r"ログインした本人.*r3.*R3.*審査員 R1 を選ぶことはできません"):
        identify_reviewer(rnd, "R1", environ={"JUPYTERHUB_USER": "r3"})


def test_identity_unregistered_jupyterhub_user_is_refused(rnd: ReviewRound) -> None:
    with pytest.raises(
        ReviewError, match=r"ユーザー「alice」は reviewers.yaml の hub_user に登録されていません"
    ):
        identify_reviewer(rnd, None, environ={"JUPYTERHUB_USER": "alice"})


# --------------------------------------------------------------------------- assignments


def test_assignments_default_to_all_applications_without_conflicts(rnd: ReviewRound) -> None:
    assert assigned_applications(rnd, "R1") == ALL_APPS
    r6 = assigned_applications(rnd, "R6")  # R6 declared a conflict with 20 長野
    assert "20" not in r6 and r6 == [a for a in ALL_APPS if a != "20"]


def test_assignments_from_reviewers_yaml_drop_conflicts(
    tmp_path: Path, demo_round_copier: Callable[[Path], Path]
) -> None:
    folder = demo_round_copier(tmp_path)
    yml = folder / "reviewers.yaml"
    text = yml.read_text(encoding="utf-8")
    text = text.replace(
        'conflicts: ["20"]\n    hub_user: r6',
        'conflicts: ["20"]\n    assignments: ["43", "長野県", "03", "01"]\n    hub_user: r6',
    )
    yml.write_text(text, encoding="utf-8")
    variant = load_round(folder)
    assert variant.assignment_source == "reviewers.yaml"
    assert assigned_applications(variant, "R6") == ["01", "03", "43"]  # 20 長野 is a conflict
    assert assigned_applications(variant, "R1") == []  # reviewers.yaml assigns R1 nothing


def test_assignments_from_the_round_table(rnd: ReviewRound) -> None:
    table = pd.DataFrame(
        {"reviewer": ["R1", "R1", "R6", "R6", "R2"], "application": ["43", "02", "20", "05", "01"]}
    )
    variant = dataclasses.replace(rnd, assignment_frame=table)
    assert assigned_applications(variant, "R1") == ["02", "43"]
    assert assigned_applications(variant, "R6") == ["05"]  # conflict 20 removed even if listed
    assert assigned_applications(variant, "R3") == []  # the table assigns R3 nothing
    empty = dataclasses.replace(rnd, assignment_frame=table.iloc[0:0])
    assert assigned_applications(empty, "R3") == ALL_APPS


def test_assignments_unknown_reviewer(rnd: ReviewRound) -> None:
    with pytest.raises(ReviewError, match="審査員ID「X」"):
        assigned_applications(rnd, "X")


# --------------------------------------------------------------------------- session basics


def test_new_session_starts_at_the_first_application(session: ReviewSession) -> None:
    assert session.applications == tuple(ALL_APPS)
    assert session.current == "01" and session.position == 0
    assert session.status() == "未着手"
    assert session.progress() == Progress(0, 0, 16)
    assert session.progress().text() == "0 / 16 提出済"
    assert session.last_saved_at is None
    assert session.reviewer_label == "R1 架空 一郎（総務省）"


def test_unknown_reviewer_session(rnd: ReviewRound, store: ScoreStore) -> None:
    with pytest.raises(ReviewError, match="R0"):
        ReviewSession(rnd, store, "R0")


def test_navigation(session: ReviewSession) -> None:
    assert not session.has_prev and session.prev() == "01"
    assert session.next() == "02" and session.has_prev
    assert session.go("46") == "46" and not session.has_next
    assert session.next() == "46"
    assert session.prev() == "43"
    with pytest.raises(ReviewError, match="応募書 47 はこの審査員（R1）の担当ではありません"):
        session.go("47")


def test_conflicted_application_is_not_reachable(rnd: ReviewRound, store: ScoreStore) -> None:
    s = ReviewSession(rnd, store, "R6")
    assert "20" not in s.applications
    with pytest.raises(ReviewError, match="利害関係"):
        s.go("20")
    with pytest.raises(ReviewError):
        s.set_score(FIRST, 3, "20")


# --------------------------------------------------------------------------- autosave


def test_set_score_saves_at_once(session: ReviewSession, store: ScoreStore) -> None:
    at = session.set_score(FIRST, 4)
    assert at == session.last_saved_at == dt.datetime(2026, 3, 2, 1, 2, 4, tzinfo=dt.timezone.utc)
    got = store.scores()[["application", "reviewer", "criterion", "score", "comment", "source", "status"]]
    expected = pd.DataFrame(
        {
            "application": ["01"],
            "reviewer": ["R1"],
            "criterion": [FIRST],
            "score": [4.0],
            "comment": [""],
            "source": ["widget"],
            "status": ["下書き"],
        }
    )
    assert_frame_equal(got, expected, check_dtype=False)
    assert session.entry(FIRST) == ScoreEntry(4.0, "")
    assert session.status() == "下書き"
    assert session.progress() == Progress(0, 1, 16)


def test_unchanged_values_write_nothing(session: ReviewSession, store: ScoreStore) -> None:
    session.set_score(FIRST, 4)
    session.set_comment(FIRST, "根拠")
    n = len(store.events())
    assert session.set_score(FIRST, 4) is None
    assert session.set_comment(FIRST, "  根拠 ") is None  # white space is trimmed
    assert len(store.events()) == n


def test_comment_and_score_keep_each_other(session: ReviewSession, store: ScoreStore) -> None:
    session.set_comment(FIRST, "先にコメント")
    assert session.entry(FIRST) == ScoreEntry(None, "先にコメント")
    session.set_score(FIRST, 2)
    session.set_score(FIRST, 3)
    assert session.entry(FIRST) == ScoreEntry(3.0, "先にコメント")
    session.set_score(FIRST, None)
    assert session.entry(FIRST) == ScoreEntry(None, "先にコメント")
    row = store.scores().iloc[0]
    assert pd.isna(row["score"]) and row["comment"] == "先にコメント"


@pytest.mark.parametrize("bad", [6, 0, 2.5, "3", True, float("nan")])
def test_off_scale_scores_are_refused_before_the_store(
    session: ReviewSession, store: ScoreStore, bad: Any
) -> None:
    with pytest.raises(ReviewError, match="使えません。次のいずれかにしてください: 1、2、3、4、5"):
        session.set_score(FIRST, bad)
    assert len(store.events()) == 0 and session.last_saved_at is None


def test_unknown_criterion(session: ReviewSession) -> None:
    with pytest.raises(ReviewError, match="評価項目「nope」は評価基準にありません.*need_pool_gap"):
        session.set_score("nope", 3)


def test_store_refusal_propagates_and_keeps_the_saved_state(
    session: ReviewSession, store: ScoreStore
) -> None:
    complete(session)
    # Another window (or an Excel import) submits behind this session's back.
    store.submit("R1", "01")
    # The session notices the submission before it writes (its pair changed elsewhere);
    # a submission that slips in between is refused by the store itself (StoreError).
    with pytest.raises((ReviewError, StoreError), match="提出済み"):
        session.set_score(FIRST, 1)
    assert session.entry(FIRST) == ScoreEntry(3.0, "")
    assert session.status() == "提出済" and session.refresh().status() == "提出済"


# --------------------------------------------------------------------------- submission


def test_missing_lists_unscored_and_uncommented(session: ReviewSession) -> None:
    c = session.criteria
    assert len(session.missing()) == len(c)
    session.set_score(c[0].id, 5)
    assert session.comment_missing(c[0].id)
    session.set_score(c[1].id, 3)
    assert not session.comment_missing(c[1].id)
    missing = session.missing()
    assert missing[0] == f"「{c[0].label_ja}」のコメント（5点には理由が必要です）"
    assert len(missing) == len(c) - 1
    assert all(f"「{x.label_ja}」の点数" in missing for x in c[2:])


def test_submit_refuses_when_incomplete(session: ReviewSession, store: ScoreStore) -> None:
    complete(session)
    session.set_score("theme_reuse", 1)  # needs a comment now
    with pytest.raises(ReviewError, match=r"01（北海道）はまだ提出できません.*「横展開の可能性」のコメント"):
        session.submit()
    assert store.status("R1", "01") == "下書き"


def test_submit_then_read_only(session: ReviewSession, store: ScoreStore) -> None:
    complete(session, level=5)
    session.submit()
    assert session.status() == "提出済" and session.is_submitted()
    assert store.status("R1", "01") == "提出済"
    assert session.progress() == Progress(1, 0, 16)
    with pytest.raises(ReviewError, match="提出済みのため変更できません.*事務局に再開を依頼"):
        session.set_score(FIRST, 4)
    with pytest.raises(ReviewError, match="提出済み"):
        session.set_comment(FIRST, "変更")
    with pytest.raises(ReviewError, match="提出済み"):
        session.submit()
    submitted = store.scores(include_drafts=False)
    assert len(submitted) == len(session.criteria) and set(submitted["score"]) == {5.0}


def test_new_session_opens_at_the_first_unsubmitted(
    rnd: ReviewRound, store: ScoreStore, session: ReviewSession
) -> None:
    complete(session, "01")
    session.submit("01")
    complete(session, "02")
    session.submit("02")
    again = ReviewSession(rnd, store, "R1")
    assert again.current == "03"
    assert again.overview().loc[["01", "02", "03"], "status"].tolist() == ["提出済", "提出済", "未着手"]


def test_refresh_picks_up_scores_saved_elsewhere(session: ReviewSession, store: ScoreStore) -> None:
    store.record("R1", "02", FIRST, 2, "Excel から", source="excel")
    assert session.entry(FIRST, "02") == ScoreEntry()
    session.refresh()
    assert session.entry(FIRST, "02") == ScoreEntry(2.0, "Excel から")
    assert session.status("02") == "下書き"


# --------------------------------------------------------------------------- blind review


class SpyStore:
    """Forwards to a real store and records every call with its arguments.

    Its ``scores`` accepts a ``reviewer`` filter; when the real store has none, the spy
    filters itself, so that the test sees what the session *asked for*.
    """

    def __init__(self, real: ScoreStore) -> None:
        self.real = real
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def record(self, *args: Any, **kwargs: Any) -> int:
        self.calls.append(("record", args, kwargs))
        return self.real.record(*args, **kwargs)

    def submit(self, *args: Any, **kwargs: Any) -> None:
        self.calls.append(("submit", args, kwargs))
        self.real.submit(*args, **kwargs)

    def status(self, *args: Any, **kwargs: Any) -> str:
        self.calls.append(("status", args, kwargs))
        return self.real.status(*args, **kwargs)

    def scores(self, *, reviewer: str | None = None, include_drafts: bool = True) -> pd.DataFrame:
        self.calls.append(("scores", (), {"reviewer": reviewer, "include_drafts": include_drafts}))
        frame = self.real.scores(include_drafts=include_drafts)
        return frame if reviewer is None else frame[frame["reviewer"] == reviewer]

    def pair_versions(self, *args: Any, **kwargs: Any) -> Any:
        self.calls.append(("pair_versions", args, kwargs))
        return self.real.pair_versions(*args, **kwargs)

    def pair_cells(self, *args: Any, **kwargs: Any) -> Any:
        self.calls.append(("pair_cells", args, kwargs))
        return self.real.pair_cells(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the session used store.{name}, which can read other reviewers' data")


def seed_other_reviewers(store: ScoreStore) -> None:
    for reviewer, level in (("R2", 1), ("R3", 2)):
        for c in store.facts.criteria:
            store.record(reviewer, "01", c.id, level, f"{reviewer}の秘密のコメント")
        store.submit(reviewer, "01")


def test_blind_review_the_session_only_asks_for_its_own_rows(rnd: ReviewRound, store: ScoreStore) -> None:
    seed_other_reviewers(store)
    spy = SpyStore(store)
    s = ReviewSession(rnd, spy, "R1")  # type: ignore[arg-type]
    s.set_score(FIRST, 4)
    s.set_comment(FIRST, "自分のコメント")
    store.record("R1", "01", "need_support_burden", 2)  # from another screen of R1
    assert s.check_changes() is not None
    s.refresh()
    assert spy.calls, "the session did not use the store"
    assert {"pair_versions", "pair_cells"} <= {name for name, _, _ in spy.calls}
    for name, args, kwargs in spy.calls:
        who = kwargs.get("reviewer", args[0] if args else None)
        assert who == "R1", f"store.{name} called for {who!r}: {args} {kwargs}"
    # Nothing of R2/R3 is in the session's state.
    assert s.own_scores()["comment"].tolist() == ["自分のコメント", ""]
    assert s.overview().at["01", "n_scored"] == 2
    assert s.status("01") == "下書き"  # not 提出済 like R2's and R3's
    assert int(s.distribution().sum()) == 2


def test_blind_review_with_the_real_store(rnd: ReviewRound, store: ScoreStore) -> None:
    seed_other_reviewers(store)
    s = ReviewSession(rnd, store, "R1")
    assert len(s.own_scores()) == 0
    assert all(s.entry(c.id, "01") == ScoreEntry() for c in s.criteria)
    assert s.progress() == Progress(0, 0, 16)
    text = " ".join(str(v) for v in vars(s).values())
    assert "秘密" not in text


# --------------------------------------------------------------------------- distribution


def test_distribution_counts_own_levels(session: ReviewSession) -> None:
    session.set_score(FIRST, 4)
    session.set_score("need_support_burden", 4)
    session.set_score("need_self_reliance", 5, "02")
    session.set_comment("pool_hr_finance", "点数なしのコメント")
    expected = pd.Series(
        [0, 0, 0, 2, 1], index=pd.Index([1.0, 2.0, 3.0, 4.0, 5.0], name="score"), name="count"
    )
    assert_series_equal(session.distribution(), expected)


def test_distribution_png(session: ReviewSession) -> None:
    empty = distribution_png(session.distribution())
    assert empty[:8] == b"\x89PNG\r\n\x1a\n"
    session.set_score(FIRST, 2)
    one = distribution_png(session.distribution())
    assert one[:8] == b"\x89PNG\r\n\x1a\n" and one != empty


def test_format_level() -> None:
    assert [format_level(x) for x in (4, 4.0, 2.5, 0.25)] == ["4", "4", "2.5", "0.25"]


# --------------------------------------------------------------------------- application content


def test_summary_key_fields(session: ReviewSession, rnd: ReviewRound) -> None:
    summary = session.summary("01")
    assert summary.columns.tolist() == ["label", "value"]
    values = summary["value"].to_dict()
    assert values["prefecture_name"] == "北海道"
    assert values["theme"] == "A) システムの共同調達"
    assert values["submitted_at"] == "2026-02-19 15:12"
    assert values["target_date"] == "2028-03-31"
    assert values["late"] == "いいえ"
    assert values["pool_size_total"] == str(rnd.applications.at["01", "pool_size_total"])
    assert summary.at["pool_size_total", "label"] == "人材プールの人数（人）"
    assert session.summary("05")["value"]["late"] == "はい"  # 秋田 was submitted late


def test_indicators_come_from_the_application_and_the_reference_table(session: ReviewSession) -> None:
    ind = session.indicators("20")
    first = ind[ind["criterion"] == FIRST].reset_index(drop=True)
    ref = prefectures().loc["20"]
    expected = pd.DataFrame(
        {
            "criterion": [FIRST, FIRST],
            "criterion_label": ["人材プール整備の遅れ"] * 2,
            "indicator": ["pool_size_total", "municipalities"],
            "label": ["人材プールの人数", "市町村数"],
            "value": [
                float(session.round.applications.at["20", "pool_size_total"]),
                float(ref["municipalities"]),
            ],
            "unit": ["人", "団体"],
            "source": ["応募書", "統計"],
        }
    )
    assert_frame_equal(first, expected, check_dtype=False)
    assert first.at[1, "value"] == 77.0  # 長野: 77 市町村
    n_expected = sum(len(c.indicators) for c in session.criteria)
    assert len(ind) == n_expected


def test_sections_are_the_free_text_of_the_application(session: ReviewSession, rnd: ReviewRound) -> None:
    secs = session.sections("01")
    assert secs.columns.tolist() == ["section", "field", "label", "text"]
    assert secs["text"].str.strip().ne("").all()
    row = secs.set_index("field").loc["issue_recruitment"]
    assert row["section"] == "3. 課題"
    assert row["text"] == rnd.applications.at["01", "issue_recruitment"]
    assert list(dict.fromkeys(secs["section"])) == sorted(set(secs["section"]))  # form order


def test_session_with_no_assignments(rnd: ReviewRound, store: ScoreStore) -> None:
    table = pd.DataFrame({"reviewer": ["R1"], "application": ["01"]})
    s = ReviewSession(dataclasses.replace(rnd, assignment_frame=table), store, "R4")
    assert s.current is None and s.progress() == Progress(0, 0, 0)
    assert s.progress().fraction == 0.0
    with pytest.raises(ReviewError, match="担当の応募書がありません"):
        s.set_score(FIRST, 3)


def test_after_the_discussion_a_submitted_score_is_revised_with_a_reason(
    session: ReviewSession, store: ScoreStore, rnd: ReviewRound
) -> None:
    app = session.applications[0]
    crit = session.criteria[0].id
    complete(session, app, 3)
    with pytest.raises(ReviewError, match="提出前です"):
        session.revise(crit, 2, "協議の結果", app)  # a draft is simply changed
    session.submit(app)
    with pytest.raises(ReviewError, match="理由が必要です"):
        session.revise(crit, 2, "  ", app)
    with pytest.raises(ReviewError, match="使えません"):
        session.revise(crit, 9, "協議の結果", app)
    eid = session.revise(crit, 2, "協議で不足が確認された", app)
    assert session.own_scores().set_index(["application", "criterion"]).at[(app, crit), "score"] == 2.0
    assert store.status("R1", app) == "提出済"
    rev = store.revisions()
    assert rev[
        ["application", "reviewer", "criterion", "first_score", "final_score", "event_id"]
    ].values.tolist() == [[app, "R1", crit, 3.0, 2.0, eid]]
    assert store.events().set_index("id").at[eid, "source"] == "widget"
    again = ReviewSession(rnd, store, "R1")  # a new session shows the final stage
    assert again.own_scores().set_index(["application", "criterion"]).at[(app, crit), "score"] == 2.0
