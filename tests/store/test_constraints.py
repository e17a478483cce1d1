"""The database refuses what no person could type (scoring.store.constraints, scoring.core.text).

Runs on SQLite and PostgreSQL (``store_url``). The attacks are rows appended past the store
with a correct hash, id and chain head (what anyone holding the SQLite file, or a role that
may insert, can send); the store API and the command line are tried with the texts people
paste (PowerPoint's vertical tab, NUL, a 10 MB comment). The reviewer roles of PostgreSQL
are attacked in tests/admin/test_role_limits.py.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from attack import drop_guards, tamper

from scoring.cli import main
from scoring.core.columns import EVENT_COLUMNS
from scoring.core.errors import StoreError, ValueFormatError
from scoring.core.text import COMMENT_MAX, clean_comment, strip_controls
from scoring.round.loader import load_round
from scoring.store.eventlog import event_hash, now_utc
from scoring.store.scores import ScoreStore

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
TEN_MB = "あ" * (10 * 1024 * 1024 // 3)

#: The impossible values of the issue (and the ones beside them).
IMPOSSIBLE: dict[str, dict[str, Any]] = {
    "1000 points": {"score": 1000.0},
    "off the step": {"score": 2.5},
    "unknown criterion": {"criterion": "no_such_criterion"},
    "not-a-time": {"timestamp": "not-a-time"},
    "'now'": {"timestamp": "now"},
    "30 February": {"timestamp": "2026-02-30T00:00:00+00:00"},
    "in the future": {"timestamp": "2099-01-01T00:00:00+00:00"},
    "before the round": {"timestamp": "2001-01-01T00:00:00+00:00"},
    "10 MB comment": {"comment": TEN_MB},
    "vertical tab": {"comment": "一行目\x0b二行目"},
    "escape": {"comment": "色\x1b[31m付き"},
    "unknown kind": {"kind": "bribe", "criterion": None, "score": None},
}


def chained_row(url: str, **fields: Any) -> dict[str, Any]:
    """An event as an attacker writes it past the store: the next id, the chain head's hash as
    ``prev_hash``, a correct hash; R1's score of 01 unless ``fields`` say otherwise."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            last_id, last_hash = conn.execute(
                sa.text("SELECT last_id, last_hash FROM score_chain_head")
            ).one()
    finally:
        engine.dispose()
    ev: dict[str, Any] = {
        "id": int(last_id) + 1,
        "timestamp": now_utc(),
        "kind": "score",
        "reviewer": "R1",
        "application": "01",
        "criterion": "theme_fit",
        "score": 3.0,
        "comment": "",
        "rubric_version": "v",
        "source": "widget",
        "actor": "R1",
        "prev_hash": last_hash,
        "payload": None,
    }
    ev.update(fields)
    ev["hash"] = event_hash(ev)
    return ev


def append_chained(url: str, ev: dict[str, Any], *, before: tuple[str, ...] = ()) -> None:
    """INSERT ``ev`` and move the chain head to it, in one transaction (raw SQL, bound values)."""
    cols = [c for c in EVENT_COLUMNS if c in ev]
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.begin() as conn:
            for s in before:
                conn.exec_driver_sql(s)
            conn.execute(
                sa.text(
                    f"INSERT INTO score_events ({', '.join(cols)}) VALUES ({', '.join(':' + c for c in cols)})"
                ),
                {c: ev[c] for c in cols},
            )
            conn.execute(
                sa.text("UPDATE score_chain_head SET last_id = :i, last_hash = :h WHERE id = 1"),
                {"i": ev["id"], "h": ev["hash"]},
            )
    finally:
        engine.dispose()


@pytest.fixture
def store(store_url: str, store_round: Any) -> Any:
    s = ScoreStore(store_url, store_round)
    yield s
    s.close()


def fill(store: ScoreStore, reviewer: str = "R1", application: str = "01", comment: str = "") -> None:
    store.record_many(
        [
            {"reviewer": reviewer, "application": application, "criterion": c, "score": 3, "comment": comment}
            for c in CRITERIA
        ],
        source="widget",
    )


# --------------------------------------------------------------------------- the shared rule


def test_clean_comment_keeps_line_breaks_and_refuses_control_characters_and_long_texts() -> None:
    assert clean_comment("一行目\x0b二行目\r\n三行目\r四\t行目") == "一行目\n二行目\n三行目\n四\t行目"
    assert clean_comment("あ" * COMMENT_MAX) == "あ" * COMMENT_MAX
    with pytest.raises(ValueFormatError, match=r"コメントの 3 文字目に制御文字（NUL）"):
        clean_comment("ab\x00c")
    with pytest.raises(ValueFormatError, match=r"修正の理由の 2 文字目に制御文字（U\+0085）"):
        clean_comment("a\x85", field="修正の理由")
    with pytest.raises(ValueFormatError, match="長すぎます（4,001 文字）。4,000 文字以内"):
        clean_comment("あ" * (COMMENT_MAX + 1))
    assert strip_controls("a\x00b\x0bc\x1bd") == "ab\ncd"


def test_a_10_mb_comment_is_refused_at_once(store: ScoreStore) -> None:
    started = time.perf_counter()
    with pytest.raises(StoreError, match="コメントが長すぎます"):
        store.record("R1", "01", "theme_fit", 3, TEN_MB)
    took = time.perf_counter() - started
    print(f"10 MB comment refused by the store in {took * 1000:.1f} ms")
    assert store.events().empty


# --------------------------------------------------------------------------- the store API


def test_the_store_turns_a_vertical_tab_into_a_newline_and_refuses_nul_in_japanese(store: ScoreStore) -> None:
    store.record("R1", "01", "theme_fit", 3, "一行目\x0b二行目")
    assert store.pair_cells("R1", "01")["theme_fit"] == (3.0, "一行目\n二行目")
    with pytest.raises(
        StoreError, match=r"応募 01（北海道）の評価項目「.+」のコメントの 3 文字目に制御文字（NUL）"
    ):
        store.record("R1", "01", "theme_plan", 3, "ab\x00c")
    with pytest.raises(StoreError, match="1件目: .*制御文字") as info:
        store.record_many(
            [{"reviewer": "R1", "application": "02", "criterion": "theme_fit", "score": 3, "comment": "\x07"}]
        )
    assert info.value.problems
    fill(store)
    store.submit("R1", "01")
    with pytest.raises(StoreError, match="修正の理由の 3 文字目に制御文字（NUL）"):
        store.revise("R1", "01", "theme_fit", 4, reason="協議\x00")
    with pytest.raises(StoreError, match="再開の理由が長すぎます"):
        store.reopen("R1", "01", by="事務局", reason="理" * (COMMENT_MAX + 1))
    assert len(store.events()) == len(CRITERIA) + 2  # nothing refused was written
    assert store.audit().problems.empty


# --------------------------------------------------------------------------- past the store


@pytest.mark.parametrize("case", list(IMPOSSIBLE), ids=list(IMPOSSIBLE))
def test_the_database_refuses_a_correctly_chained_impossible_row(
    store: ScoreStore, store_url: str, case: str
) -> None:
    fill(store)
    head = store.head()
    ev = chained_row(store_url, **IMPOSSIBLE[case])
    started = time.perf_counter()
    with pytest.raises(sa.exc.DBAPIError, match="採点データベースが受け付けない値です"):
        append_chained(store_url, ev)
    if case == "10 MB comment":
        print(f"10 MB comment refused by the database in {(time.perf_counter() - started) * 1000:.0f} ms")
    assert store.head() == head
    assert store.audit().problems.empty


def test_nul_in_raw_sql_is_refused_on_both_backends(store: ScoreStore, store_url: str) -> None:
    ev = chained_row(store_url, comment="a\x00b")
    with pytest.raises((sa.exc.DBAPIError, ValueError)):
        append_chained(store_url, ev)
    assert store.events().empty


def test_a_plausible_row_past_the_store_still_goes_in(store: ScoreStore, store_url: str) -> None:
    """The rules refuse impossible values only (the chain's own checks find a forged row)."""
    append_chained(store_url, chained_row(store_url, comment="一行目\n二行目\tタブ"))
    assert store.pair_cells("R1", "01")["theme_fit"] == (3.0, "一行目\n二行目\tタブ")


def _forge_impossible(store: ScoreStore, store_url: str) -> list[int]:
    """The owner drops the rules and appends the three impossible rows of the issue."""
    ids = []
    for i, fields in enumerate(
        ({"score": 1000.0}, {"criterion": "no_such_criterion"}, {"timestamp": "not-a-time"})
    ):
        ev = chained_row(store_url, **fields)
        append_chained(store_url, ev, before=drop_guards(store_url) if i == 0 else ())
        ids.append(int(ev["id"]))
    return ids


def test_audit_names_each_impossible_row_instead_of_signing_it(store: ScoreStore, store_url: str) -> None:
    fill(store)
    store.submit("R1", "01")
    ids = _forge_impossible(store, store_url)
    audit = store.audit()
    bad = audit.problems[audit.problems["problem"] == "不正な値"]
    assert bad["event_id"].tolist() == ids
    messages = bad["message"].tolist()
    assert "1000.0 は尺度の段階" in messages[0]
    assert "評価項目「no_such_criterion」は評価基準" in messages[1]
    assert "記録時刻「not-a-time」は ISO 8601 の時刻ではありません" in messages[2]
    with pytest.raises(StoreError, match=r"記録できないはずの値があります（審査員 R1 の応募 01、.*audit"):
        store.scores()


def test_the_chain_head_moved_back_gives_a_japanese_error_not_a_unique_violation(
    store: ScoreStore, store_url: str
) -> None:
    fill(store)
    tamper(store_url, "UPDATE score_chain_head SET last_id = last_id - 1")
    with pytest.raises(StoreError, match=r"記録の番号が既にある記録と重なった.*score_chain_head.*audit"):
        store.record("R1", "02", "theme_fit", 3)


# --------------------------------------------------------------------------- the commands


@pytest.fixture
def demo_round(demo_round_copy: Path, store_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The demo round with its simulated, submitted scores in the test's store."""
    if not store_url.startswith("sqlite"):
        monkeypatch.setenv("SCORING_DATABASE_URL", store_url)
    assert main(["demo", "--round", str(demo_round_copy)]) == 0
    return demo_round_copy


def _reopen_and_comment(folder: Path, comment: str) -> tuple[str, str]:
    rnd = load_round(folder)
    with rnd.store() as s:
        sub = s.statuses()
        r, a = sub.loc[sub["status"] == "提出済", ["reviewer", "application"]].iloc[0]
        s.reopen(r, a, by="事務局", reason="コメントの追記")
        crit = rnd.rubric.criteria[0].id
        score = s.pair_cells(r, a)[crit][0]
        s.record(r, a, crit, score, comment)
        s.submit(r, a)
    return str(r), str(a)


def test_report_and_sheets_export_work_with_a_comment_typed_with_a_vertical_tab(
    demo_round: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    r, _ = _reopen_and_comment(demo_round, "スライドから貼り付け\x0b二行目")
    assert main(["report", "--round", str(demo_round), "--out", str(tmp_path / "reports")]) == 0
    assert (
        main(
            [
                "sheets",
                "export",
                "--round",
                str(demo_round),
                "--reviewer",
                r,
                "--out",
                str(tmp_path / "s.xlsx"),
            ]
        )
        == 0
    )
    assert "予期しない" not in capsys.readouterr().err


def test_report_and_select_name_an_impossible_row_instead_of_an_unexpected_error(
    demo_round: Path, store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = store_url if not store_url.startswith("sqlite") else f"sqlite:///{demo_round / 'scores.sqlite'}"
    ev = chained_row(url, reviewer="R1", application="01", criterion="theme_fit", score=1000.0)
    append_chained(url, ev, before=drop_guards(url))
    capsys.readouterr()
    assert main(["audit", "--round", str(demo_round)]) == 1
    assert f"イベント {ev['id']}" in capsys.readouterr().out
    for argv in (
        ["report", "--round", str(demo_round), "--out", str(tmp_path / "r")],
        ["select", "--round", str(demo_round)],
    ):
        assert main(argv) == 2
        err = capsys.readouterr().err
        # report checks the record before it signs (and names the row's event); select names the cell
        assert "予期しない" not in err and ("記録できないはずの値" in err or f"イベント {ev['id']}" in err), (
            err
        )


def test_cli_revise_cleans_the_reason_and_refuses_control_characters_in_japanese(
    demo_round: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rnd = load_round(demo_round)
    with rnd.store() as s:
        sub = s.statuses()
        r, a = sub.loc[sub["status"] == "提出済", ["reviewer", "application"]].iloc[0]
        crit = rnd.rubric.criteria[0].id
        score = s.pair_cells(r, a)[crit][0]
    new = 1 if score != 1 else 2
    base = ["revise", "--round", str(demo_round), "--reviewer", r, "--application", a, "--criterion", crit]
    capsys.readouterr()
    assert main([*base, "--score", str(new), "--reason", "協議\x1b[2Jで確認"]) == 2
    err = capsys.readouterr().err
    assert "修正の理由の 3 文字目に制御文字（U+001B）" in err and "予期しない" not in err
    assert main([*base, "--score", str(new), "--reason", "協議で\x0b確認"]) == 0
    with rnd.store() as s:
        assert s.revisions()["reason"].tolist() == ["協議で\n確認"]


def test_an_old_row_with_a_vertical_tab_is_named_by_audit_and_still_read(
    demo_round: Path, store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A row written before the rules (or past them by the owner): audit names it; the scores
    (report, sheets export) read the comment with the vertical tab as a line break instead of failing."""
    url = store_url if not store_url.startswith("sqlite") else f"sqlite:///{demo_round / 'scores.sqlite'}"
    rnd = load_round(demo_round)
    with rnd.store() as s:
        st = s.statuses()
        r, a = st.loc[st["status"] == "提出済", ["reviewer", "application"]].iloc[0]
        s.reopen(r, a, by="事務局", reason="追記")
        crit = rnd.rubric.criteria[0].id
        score = s.pair_cells(r, a)[crit][0]
    ev = chained_row(url, reviewer=r, application=a, actor=r, criterion=crit, score=score, comment="旧\x0b行")
    append_chained(url, ev, before=drop_guards(url))
    with rnd.store() as s:
        s.submit(r, a)
        assert s.scores().query("reviewer == @r and application == @a and criterion == @crit")[
            "comment"
        ].tolist() == ["旧\n行"]
    capsys.readouterr()
    assert main(["audit", "--round", str(demo_round)]) == 1
    out = capsys.readouterr().out
    assert f"イベント {ev['id']}" in out and "制御文字" in out
    sheet = tmp_path / "s.xlsx"
    assert main(["sheets", "export", "--round", str(demo_round), "--reviewer", r, "--out", str(sheet)]) == 0
