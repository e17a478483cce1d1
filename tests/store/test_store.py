"""The score store: rules, refusals (with their Japanese messages), derived state, audit.

Runs on SQLite and on PostgreSQL (the ``store_url`` fixture of ``tests/conftest.py`` gives
a fresh SQLite file or a fresh schema of the session's throw-away PostgreSQL cluster, or of
``$SCORING_TEST_DATABASE_URL``, per test).
"""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from attack import drop_guards, tamper

from scoring.cli import main
from scoring.core.errors import StoreError
from scoring.core.schema import SCORE_COLUMNS
from scoring.store.eventlog import now_utc
from scoring.store.scores import (
    AUDIT_COLUMNS,
    EVENT_COLUMNS,
    GENESIS_HASH,
    STATUS_COLUMNS,
    ScoreStore,
    event_hash,
)

CRITERIA = [
    "need_pool_gap",
    "need_support_burden",
    "need_self_reliance",
    "pool_issue_analysis",
    "pool_recruitment_plan",
    "pool_hr_finance",
    "theme_fit",
    "theme_plan",
    "theme_reuse",
]


@pytest.fixture
def store(store_url, store_round):
    s = ScoreStore(store_url, store_round)
    yield s
    s.close()


def fill(
    store: ScoreStore, reviewer: str = "R1", application: str = "01", score: float = 3, **kw: object
) -> None:
    """Score every criterion of one pair (3 = no comment needed)."""
    store.record_many(
        [
            {
                "reviewer": reviewer,
                "application": application,
                "criterion": c,
                "score": score,
                "comment": str(kw.get("comment", "")),
            }
            for c in CRITERIA
        ],
        source="widget",
    )


# --------------------------------------------------------------------------- writing and reading


def test_record_and_read_back_canonical_scores(store, store_round):
    assert store.record("R1", "01", "need_pool_gap", 4) == 1
    assert store.record("R1", "01", "need_support_burden", 5, "町村が多い") == 2
    assert store.record("R2", "20", "theme_fit", 2.0, source="excel") == 3
    got = store.scores()
    assert list(got.columns) == [*SCORE_COLUMNS, "source", "status"]
    expected = pd.DataFrame(
        {
            "application": ["01", "01", "20"],
            "reviewer": ["R1", "R1", "R2"],
            "criterion": ["need_pool_gap", "need_support_burden", "theme_fit"],
            "score": [4.0, 5.0, 2.0],
            "comment": ["", "町村が多い", ""],
            "rubric_version": [store_round.rubric.version] * 3,
            "source": ["widget", "widget", "excel"],
            "status": ["下書き"] * 3,
        }
    )
    pd.testing.assert_frame_equal(got.drop(columns="updated_at"), expected, check_dtype=False)
    assert got["score"].dtype == "float64"
    assert str(got["updated_at"].dt.tz) == "UTC"
    assert got["updated_at"].notna().all()


def test_the_last_event_of_a_cell_wins_and_none_clears(store):
    store.record("R1", "01", "need_pool_gap", 2)
    store.record("R1", "01", "need_pool_gap", 4, "見直した")
    store.record("R1", "01", "theme_fit", None, "あとで採点")  # comment before a score
    store.record("R1", "01", "theme_plan", 3)
    store.record("R1", "01", "theme_plan", float("nan"))  # cleared, no comment
    got = store.scores().set_index("criterion")
    assert got.loc["need_pool_gap", "score"] == 4.0
    assert got.loc["need_pool_gap", "comment"] == "見直した"
    assert pd.isna(got.loc["theme_fit", "score"]) and got.loc["theme_fit", "comment"] == "あとで採点"
    assert "theme_plan" not in got.index
    assert len(store.events()) == 5


def test_scores_are_sorted_by_application_reviewer_and_rubric_order(store):
    store.record("R2", "02", "theme_reuse", 3)
    store.record("R2", "02", "need_pool_gap", 3)
    store.record("R1", "02", "pool_hr_finance", 3)
    store.record("R1", "01", "theme_fit", 3)
    got = store.scores()
    assert list(zip(got["application"], got["reviewer"], got["criterion"])) == [
        ("01", "R1", "theme_fit"),
        ("02", "R1", "pool_hr_finance"),
        ("02", "R2", "need_pool_gap"),
        ("02", "R2", "theme_reuse"),
    ]


def test_empty_store_gives_empty_frames_with_columns(store):
    assert list(store.scores().columns) == [*SCORE_COLUMNS, "source", "status"]
    assert store.scores().empty
    assert list(store.events().columns) == list(EVENT_COLUMNS)
    assert list(store.verify().columns) == list(AUDIT_COLUMNS)
    assert store.verify().empty
    assert store.head() == (0, GENESIS_HASH)


def test_events_form_a_hash_chain_of_canonical_fields(store):
    store.record("R1", "01", "need_pool_gap", 4, "理由")
    store.record("R1", "01", "need_pool_gap", None)
    ev = store.events()
    assert ev["id"].tolist() == [1, 2]
    assert ev.loc[0, "prev_hash"] == GENESIS_HASH
    assert ev.loc[1, "prev_hash"] == ev.loc[0, "hash"]
    assert ev["kind"].tolist() == ["score", "score"]
    assert ev["actor"].tolist() == ["R1", "R1"]
    assert str(ev["timestamp"].dt.tz) == "UTC"
    # the stored hash is the documented function of the stored fields
    engine = sa.create_engine(store.log.engine.url)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT * FROM score_events ORDER BY id").mappings().all()
    engine.dispose()
    assert [event_hash(dict(r)) for r in rows] == ev["hash"].tolist()
    assert rows[0]["timestamp"].endswith("+00:00")
    assert store.head() == (2, ev.loc[1, "hash"])


def test_record_many_writes_all_in_one_go(store):
    rows = [
        {"reviewer": "R3", "application": "05", "criterion": c, "score": 3, "comment": ""} for c in CRITERIA
    ]
    assert store.record_many(rows) == 9
    got = store.scores()
    assert len(got) == 9 and set(got["source"]) == {"excel"}


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("R1", "01", "need_pool_gap", 6),
            "に 6 点は記録できません。尺度は 1〜5（1 刻み）です。1、2、3、4、5 のいずれかを入力してください",
        ),
        (("R1", "01", "need_pool_gap", 0), "に 0 点は記録できません。尺度は 1〜5"),
        (("R1", "01", "need_pool_gap", 3.5), "に 3.5 点は記録できません。尺度は 1〜5（1 刻み）"),
        (("R1", "01", "need_pool_gap", float("inf")), "に inf 点は記録できません"),
        (
            ("R1", "01", "need_pool_gap", "3"),
            "点数「3」は数値ではないため、記録できません。1、2、3、4、5 のいずれかを数値で入力してください",
        ),
        (("R1", "01", "need_pool_gap", True), "点数「True」は数値ではないため"),
        (
            ("R9", "01", "need_pool_gap", 3),
            "審査員ID「R9」は reviewers.yaml にないため、記録できません。審査員IDを確認してください（登録済み: R1、R2",
        ),
        (
            ("R1", "13", "need_pool_gap", 3),
            "応募「13」はこの審査ラウンドにないため、記録できません。応募の都道府県コード（2桁、例: 01）を確認してください",
        ),
        (("R1", "1", "need_pool_gap", 3), "応募「1」はこの審査ラウンドにない"),
        (("R1", "01", "budget", 3), "評価項目「budget」は評価基準（版 "),
        (
            ("R6", "20", "need_pool_gap", 3),
            "審査員 R6（架空 六花）は応募 20（長野県）と利害関係があるため、この応募の採点・提出はできません。利害関係の登録（reviewers.yaml の conflicts）に誤りがある場合は事務局に連絡してください",
        ),
    ],
)
def test_record_refuses_with_a_japanese_message(store, args, message):
    with pytest.raises(StoreError) as info:
        store.record(*args)
    assert message in str(info.value)
    assert store.head()[0] == 0 and store.events().empty


def test_record_refuses_unknown_source_and_non_text_comment(store):
    with pytest.raises(
        StoreError,
        match="記録元 source「web」は使えません。次のいずれかにしてください: widget、excel、import、simulation、analyst",
    ):
        store.record("R1", "01", "need_pool_gap", 3, source="web")
    with pytest.raises(StoreError, match="のコメントが文字列ではありません（int）。文章で入力してください"):
        store.record("R1", "01", "need_pool_gap", 3, 42)  # type: ignore[arg-type]
    assert store.events().empty


def test_record_many_validates_every_row_first_and_writes_nothing_on_error(store):
    rows = [
        {"reviewer": "R1", "application": "01", "criterion": "need_pool_gap", "score": 3, "comment": ""},
        {"reviewer": "R1", "application": "01", "criterion": "need_pool_gap", "score": 9, "comment": ""},
        {"reviewer": "R6", "application": "20", "criterion": "theme_fit", "score": 3, "comment": ""},
        {"reviewer": "R1", "application": "01", "criterion": "theme_fit"},
        {"reviewer": "R1", "application": "01", "criterion": "theme_plan", "score": 2, "comment": ""},
    ]
    with pytest.raises(StoreError) as info:
        store.record_many(rows)
    err = info.value
    assert str(err).startswith(
        "3 件の問題があるため、何も記録しませんでした。直してからもう一度実行してください。"
    )
    assert len(err.problems) == 3
    assert err.problems[0].startswith("2件目: ") and "9 点は記録できません" in err.problems[0]
    assert err.problems[1].startswith("3件目: ") and "利害関係" in err.problems[1]
    assert err.problems[2] == "4件目: 列 score がありません"
    assert store.events().empty


def test_submit_refuses_until_complete_listing_what_is_missing(store):
    store.record("R1", "01", "need_pool_gap", 5)  # needs a comment
    store.record("R1", "01", "need_support_burden", 1, "  ")  # blank comment does not count
    store.record("R1", "01", "need_self_reliance", 3)
    with pytest.raises(StoreError) as info:
        store.submit("R1", "01")
    msg = str(info.value)
    assert msg.startswith(
        "審査員 R1（架空 一郎）の応募 01（北海道）の採点は未完了のため、提出できません。次を入力してから提出してください。"
    )
    assert (
        "未採点: 「課題分析の具体性」、「人材確保の計画性」、「人事・財政当局との連携」、「テーマ選択の妥当性」、"
        "「市町村支援計画の具体性」、「横展開の可能性」"
    ) in msg
    assert (
        "コメント未記入: 「人材プール整備の遅れ」（5 点のためコメントが必要）、「市町村支援の負担の大きさ」（1 点のためコメントが必要）"
        in msg
    )
    assert info.value.problems[0].startswith("未採点: ")
    assert store.status("R1", "01") == "下書き"


def test_submit_locks_the_pair_until_the_analyst_reopens_it(store):
    fill(store)
    store.submit("R1", "01")
    assert store.status("R1", "01") == "提出済"
    locked = "審査員 R1（架空 一郎）の応募 01（北海道）の採点は提出済みのため、変更できません。変更が必要な場合は、事務局に再開（提出の取り消し）を依頼してください。"
    with pytest.raises(StoreError) as info:
        store.record("R1", "01", "need_pool_gap", 4)
    assert str(info.value) == locked
    n = store.head()[0]
    with pytest.raises(StoreError, match="提出済みのため、変更できません"):
        store.record_many(
            [
                {"reviewer": "R2", "application": "01", "criterion": "theme_fit", "score": 3, "comment": ""},
                {"reviewer": "R1", "application": "01", "criterion": "theme_fit", "score": 3, "comment": ""},
            ]
        )
    assert store.head()[0] == n  # the valid R2 row was not written either
    with pytest.raises(
        StoreError, match="の採点は既に提出済みです。変更が必要な場合は、事務局に再開を依頼してください"
    ):
        store.submit("R1", "01")

    with pytest.raises(StoreError, match=r"再開の理由（reason）が空です"):
        store.reopen("R1", "01", by="事務局 架空", reason=" ")
    with pytest.raises(StoreError, match=r"再開を記録する人（by）が空です"):
        store.reopen("R1", "01", by="", reason="誤入力の訂正")
    store.reopen("R1", "01", by="事務局 架空", reason="誤入力の訂正")
    assert store.status("R1", "01") == "下書き"
    last = store.events().iloc[-1]
    assert (last["kind"], last["actor"], last["comment"], last["source"]) == (
        "reopen",
        "事務局 架空",
        "誤入力の訂正",
        "analyst",
    )
    assert pd.isna(last["criterion"]) and pd.isna(last["score"])
    store.record("R1", "01", "need_pool_gap", 4)
    store.submit("R1", "01")
    assert store.status("R1", "01") == "提出済"
    assert store.verify().empty


def test_reopen_refuses_a_pair_that_is_not_submitted(store):
    with pytest.raises(
        StoreError,
        match="審査員 R1（架空 一郎）の応募 01（北海道）は提出されていないため、再開する必要はありません。",
    ):
        store.reopen("R1", "01", by="事務局", reason="確認")
    with pytest.raises(StoreError, match="審査員ID「R9」は reviewers.yaml にないため、再開できません"):
        store.reopen("R9", "01", by="事務局", reason="確認")


def test_submit_refuses_conflict_and_unknown_pairs(store):
    with pytest.raises(StoreError, match="利害関係があるため"):
        store.submit("R6", "20")
    with pytest.raises(StoreError, match="応募「99」はこの審査ラウンドにない"):
        store.submit("R1", "99")
    with pytest.raises(StoreError, match="審査員ID「R9」は reviewers.yaml にありません"):
        store.status("R9", "01")


def test_record_many_can_submit_atomically(store):
    rows = [
        {"reviewer": "R2", "application": "03", "criterion": c, "score": 4, "comment": ""} for c in CRITERIA
    ]
    store.record_many(rows, submit=[("R2", "03")])
    assert store.status("R2", "03") == "提出済"
    # an incomplete pair to submit rolls back the whole batch
    n = store.head()[0]
    incomplete = [dict(r, reviewer="R3") for r in rows[:-1]]  # theme_reuse left out
    with pytest.raises(StoreError) as info:
        store.record_many(incomplete, submit=[("R3", "03")])
    assert "提出できない組があるため、何も記録しませんでした。" in str(info.value)
    assert "未採点: 「横展開の可能性」" in str(info.value)
    assert store.head()[0] == n


def test_record_many_require_empty_refuses_a_used_store(store):
    store.record("R1", "01", "need_pool_gap", 3)
    with pytest.raises(
        StoreError, match="には既に 1 件の記録があるため、何も書き込みませんでした。作り直す場合は"
    ):
        store.record_many(
            [{"reviewer": "R1", "application": "02", "criterion": "theme_fit", "score": 3}],
            require_empty=True,
        )
    assert store.head()[0] == 1


def test_statuses_and_submitted_only_scores(store, store_round):
    fill(store, "R1", "01")
    fill(store, "R2", "01")
    store.submit("R1", "01")
    st = store.statuses()
    assert list(st.columns) == list(STATUS_COLUMNS)
    assert len(st) == len(store_round.assignments()) == 6 * 16 - 1
    lookup = st.set_index(["reviewer", "application"])["status"]
    assert lookup[("R1", "01")] == "提出済"
    assert lookup[("R2", "01")] == "下書き"
    assert lookup[("R3", "01")] == "未着手"
    assert ("R6", "20") not in lookup.index
    assert st["status"].value_counts().to_dict() == {"未着手": 93, "提出済": 1, "下書き": 1}
    submitted = store.scores(include_drafts=False)
    assert set(submitted["reviewer"]) == {"R1"} and len(submitted) == 9
    assert set(submitted["status"]) == {"提出済"}
    assert len(store.scores()) == 18


def test_rubric_version_is_stored_with_each_event(store_url, store_round, tmp_path):
    from scoring.config.rubric import load_rubric

    with ScoreStore(store_url, store_round) as s:
        s.record("R1", "01", "need_pool_gap", 3)
    text = Path(store_round.rubric.source).read_text(encoding="utf-8")
    assert "        weight: 15\n" in text
    changed = tmp_path / "tuned.yaml"
    changed.write_text(text.replace("        weight: 15\n", "        weight: 20\n", 1), encoding="utf-8")
    other = dataclasses.replace(store_round, rubric=load_rubric(changed))
    assert other.rubric.version != store_round.rubric.version
    with ScoreStore(store_url, other) as s:
        s.record("R1", "01", "need_support_burden", 3)
        assert s.events()["rubric_version"].tolist() == [store_round.rubric.version, other.rubric.version]


# --------------------------------------------------------------------------- opening


def test_a_database_belongs_to_one_round(store_url, store_round):
    ScoreStore(store_url, store_round).close()
    renamed = dataclasses.replace(
        store_round, config=store_round.config.model_copy(update={"name": "別のラウンド"})
    )
    with pytest.raises(
        StoreError,
        match=f"は別の審査ラウンド「{store_round.config.name}」のものです（開こうとしたのは「別のラウンド」）",
    ):
        ScoreStore(store_url, renamed)


def test_open_defaults_to_the_round_folder_and_env_overrides(demo_round_copy, tmp_path, monkeypatch):
    from scoring.round.loader import load_round

    monkeypatch.delenv("SCORING_DATABASE_URL", raising=False)
    rnd = load_round(demo_round_copy)
    with rnd.store() as s:
        s.record("R1", "01", "need_pool_gap", 3)
        assert s.url == f"sqlite:///{(demo_round_copy / 'scores.sqlite').resolve()}"
    assert (demo_round_copy / "scores.sqlite").exists()
    with sqlite3.connect(demo_round_copy / "scores.sqlite") as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    other = tmp_path / "elsewhere.sqlite"
    monkeypatch.setenv("SCORING_DATABASE_URL", f"sqlite:///{other}")
    with ScoreStore.open(rnd) as s:
        assert s.head()[0] == 0
    assert other.exists()


def test_open_refuses_unusable_urls(store_round, tmp_path):
    with pytest.raises(StoreError, match="を解釈できません"):
        ScoreStore("not a url", store_round)
    with pytest.raises(StoreError, match="SQLite のデータベースはファイルにしてください"):
        ScoreStore("sqlite://", store_round)
    with pytest.raises(StoreError, match="データベースのフォルダ .* がありません"):
        ScoreStore(f"sqlite:///{tmp_path / 'missing' / 'x.sqlite'}", store_round)
    with pytest.raises(StoreError, match=r"を開けません: .*サーバーの起動状態"):
        ScoreStore("postgresql://nobody:wrong@127.0.0.1:1/none", store_round)


def test_opening_twice_and_concurrent_stores_share_one_chain(store_url, store_round):
    a = ScoreStore(store_url, store_round)
    b = ScoreStore(store_url, store_round)
    try:
        a.record("R1", "01", "need_pool_gap", 3)
        b.record("R2", "01", "need_pool_gap", 4)
        a.record("R3", "01", "need_pool_gap", 5, "理由")
        assert b.events()["id"].tolist() == [1, 2, 3]
        assert a.verify().empty
    finally:
        a.close()
        b.close()


# --------------------------------------------------------------------------- audit


def test_the_database_refuses_update_and_delete_of_events(store, store_url):
    store.record("R1", "01", "need_pool_gap", 3)
    with pytest.raises(sa.exc.DBAPIError, match="追記のみ"):
        tamper(store_url, "UPDATE score_events SET score = 5 WHERE id = 1")
    with pytest.raises(sa.exc.DBAPIError, match="追記のみ"):
        tamper(store_url, "DELETE FROM score_events WHERE id = 1")
    assert store.verify().empty


def _five_events(store: ScoreStore) -> None:
    for i, c in enumerate(CRITERIA[:5]):
        store.record("R1", "01", c, 2 + i % 3)


def test_audit_detects_an_altered_score(store, store_url):
    _five_events(store)
    tamper(store_url, *drop_guards(store_url), "UPDATE score_events SET score = 5 WHERE id = 3")
    got = store.verify()
    assert got["event_id"].tolist() == [3]
    assert got["problem"].tolist() == ["変更"]
    assert got["message"].iloc[0] == "イベント 3 の内容が記録後に変更されています（ハッシュが一致しません）。"
    assert (
        store.scores().set_index("criterion").loc[CRITERIA[2], "score"] == 5.0
    )  # the tampered value is read...
    # ...but the audit names it


def test_audit_detects_an_altered_score_whose_hash_was_recomputed(store, store_url):
    _five_events(store)
    engine = sa.create_engine(store.log.engine.url)
    with engine.connect() as conn:
        raw = dict(conn.exec_driver_sql("SELECT * FROM score_events WHERE id = 2").mappings().one())
    engine.dispose()
    raw["score"] = 1.0
    new_hash = event_hash(raw)
    tamper(
        store_url,
        *drop_guards(store_url),
        f"UPDATE score_events SET score = 1, hash = '{new_hash}' WHERE id = 2",
    )
    got = store.verify()
    assert got["event_id"].tolist() == [2]
    assert got["problem"].tolist() == ["変更"]
    assert (
        "イベント 2 が書き換えられています（次のイベント 3 に記録された前のハッシュと一致しません）"
        in got["message"].iloc[0]
    )


def test_audit_detects_deleted_events_in_the_middle_and_at_the_end(store, store_url):
    _five_events(store)
    tamper(store_url, *drop_guards(store_url), "DELETE FROM score_events WHERE id IN (2, 3)")
    got = store.verify()
    assert got.to_dict("records") == [
        {"event_id": 2, "problem": "削除", "message": "イベント 2〜3（2 件）が削除されています。"}
    ]
    tamper(store_url, "DELETE FROM score_events WHERE id = 5")
    got = store.verify()
    assert got["event_id"].tolist() == [2, 5]
    assert got["message"].iloc[1] == "末尾のイベント 5が削除されています。"


def test_audit_detects_events_added_outside_the_store(store, store_url):
    _five_events(store)
    ev = store.events().iloc[-1]
    forged = {
        "id": 6,
        "timestamp": now_utc(),  # a plausible time: the database refuses an impossible one
        "kind": "score",
        "reviewer": "R2",
        "application": "01",
        "criterion": "need_pool_gap",
        "score": 5.0,
        "comment": "",
        "rubric_version": ev["rubric_version"],
        "source": "widget",
        "actor": "R2",
        "prev_hash": ev["hash"],
    }
    forged["hash"] = event_hash(forged)
    cols = ", ".join(forged)
    vals = ", ".join(f"'{v}'" if isinstance(v, str) else str(v) for v in forged.values())
    tamper(store_url, f"INSERT INTO score_events ({cols}) VALUES ({vals})")
    got = store.verify()
    assert got["problem"].tolist() == ["追加"]
    assert got["event_id"].tolist() == [6]


def test_cli_audit_exit_codes(demo_round_copy, monkeypatch, capsys, store_url):
    from scoring.round.loader import load_round

    monkeypatch.setenv("SCORING_DATABASE_URL", store_url)
    rnd = load_round(demo_round_copy)
    with ScoreStore.open(rnd) as s:
        _five_events(s)
    assert main(["audit", "--round", str(demo_round_copy)]) == 0
    out = capsys.readouterr().out
    assert "記録: 5 件" in out and "改ざん・削除は見つかりませんでした" in out
    tamper(
        store_url,
        *drop_guards(store_url),
        "UPDATE score_events SET score = 1 WHERE id = 4",
        "DELETE FROM score_events WHERE id = 2",
    )
    assert main(["audit", "--round", str(demo_round_copy)]) == 1
    captured = capsys.readouterr()
    assert "監査で見つかった問題（2 件）" in captured.out
    assert "イベント 2が削除されています" in captured.out
    assert "イベント 4 の内容が記録後に変更されています" in captured.out
    assert "採点の記録が変更または削除されています" in captured.err


def test_cli_audit_as_a_subprocess(demo_round_copy):
    """The documented command line, end to end, on the default SQLite file."""
    import os
    import subprocess
    import sys

    from scoring.round.loader import load_round

    env = {k: v for k, v in os.environ.items() if k != "SCORING_DATABASE_URL"}
    with load_round(demo_round_copy).store() as s:
        _five_events(s)
    url = f"sqlite:///{demo_round_copy / 'scores.sqlite'}"
    tamper(url, *drop_guards(url), "DELETE FROM score_events WHERE id = 3")
    proc = subprocess.run(
        [sys.executable, "-m", "scoring", "audit", "--round", str(demo_round_copy)],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert proc.returncode == 1, proc.stderr
    assert "イベント 3が削除されています" in proc.stdout


def test_record_many_accepts_a_canonical_dataframe(store):
    df = pd.DataFrame(
        {
            "application": ["01", "02"],
            "reviewer": ["R1", "R1"],
            "criterion": ["theme_fit"] * 2,
            "score": [3.0, float("nan")],
            "comment": ["", "未定"],
        }
    )
    assert store.record_many(df, source="import") == 2
    got = store.scores()
    assert got["score"].tolist()[0] == 3.0 and pd.isna(got["score"].tolist()[1])
    assert got["comment"].tolist() == ["", "未定"]


def test_a_committee_decision_is_chained_but_changes_no_score_or_status(store):
    fill(store)
    store.submit("R1", "01")
    before_scores, before_status = store.scores(), store.statuses()
    eid = store.append_record(
        "decision", payload={"selected": ["01", "20"], "note": "決定"}, by="事務局 架空"
    )
    ev = store.events().set_index("id").loc[eid]
    assert (ev["kind"], ev["actor"], ev["reviewer"], ev["application"], ev["source"]) == (
        "decision",
        "事務局 架空",
        "",
        "",
        "analyst",
    )
    # the content in its own column, as the one canonical JSON (sorted keys, no spaces, UTF-8)
    assert ev["comment"] == "" and ev["payload"] == '{"note":"決定","selected":["01","20"]}'
    [(row, data)] = store.records("decision")
    assert row["id"] == eid and data == {"selected": ["01", "20"], "note": "決定"}
    pd.testing.assert_frame_equal(store.scores(), before_scores)
    pd.testing.assert_frame_equal(store.statuses(), before_status)
    assert store.verify().empty
    with pytest.raises(StoreError, match="記録する人（by）が空です"):
        store.append_record("decision", payload={}, by=" ")
    with pytest.raises(StoreError, match="JSON のオブジェクトではないため"):
        store.append_record("decision", payload=[1, 2], by="事務局")  # type: ignore[arg-type]
    with pytest.raises(StoreError, match="JSON にできないため"):
        store.append_record("decision", payload={"x": float("nan")}, by="事務局")
    with pytest.raises(StoreError, match="記録の種類「score」は使えません"):
        store.append_record("score", payload={}, by="事務局")
    with pytest.raises(StoreError, match="応募「99」はこの審査ラウンドにない"):
        store.append_record("eligibility", application="99", payload={}, by="事務局")
    assert len(store.records("decision")) == 1 and store.verify().empty
