"""Review progress: per reviewer and per application, only assigned non-conflicted pairs, the reminder workbook."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from scoring.cli import main
from scoring.core.columns import PROGRESS_APPLICATION_COLUMNS, PROGRESS_COLUMNS, PROGRESS_REVIEWER_COLUMNS
from scoring.demo.simulate import write_demo_scores
from scoring.review.progress import progress_ja, review_progress, round_progress, write_progress_workbook
from scoring.round.loader import load_round
from scoring.store.scores import ScoreStore


@pytest.fixture(autouse=True)
def _no_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCORING_DATABASE_URL", raising=False)


def _assign(round_dir: Path, pairs: list[tuple[str, str]]) -> None:
    lines = ["reviewer,application", *(f"{r},{a}" for r, a in pairs)]
    (round_dir / "assignments.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_progress_counts_every_assigned_pair_and_names_what_is_missing(
    store_url: str, demo_round_copy: Path
) -> None:
    rnd = load_round(demo_round_copy)
    with ScoreStore.open(rnd, store_url) as store:
        write_demo_scores(rnd, store)
        status = store.statuses()
        prog = review_progress(rnd, store)
    assert list(prog.pairs.columns) == list(PROGRESS_COLUMNS)
    assert list(prog.reviewers.columns) == list(PROGRESS_REVIEWER_COLUMNS)
    assert list(prog.applications.columns) == list(PROGRESS_APPLICATION_COLUMNS)
    # The same statuses as the store, pair by pair.
    expected = {(r, a): s for r, a, s in status.itertuples(index=False)}
    got = {(r, a): s for r, a, s in prog.pairs[["reviewer", "application", "status"]].itertuples(index=False)}
    assert got == {k: expected.get(k, "未着手") for k in got}
    assert set(prog.pairs["status"]) == {"未着手", "下書き", "提出済"}  # the demo has all three
    # Never a conflicted pair: R6 declared 20 (長野).
    assert ("R6", "20") not in got
    r6 = prog.reviewers.set_index("reviewer").loc["R6"]
    assert r6["assigned"] == len(rnd.applications) - 1
    for row in prog.reviewers.itertuples():
        assert row.assigned == row.submitted + row.drafted + row.missing
        mine = prog.pairs[(prog.pairs["reviewer"] == row.reviewer) & (prog.pairs["status"] != "提出済")]
        for a, name, s in zip(mine["application"], mine["prefecture_name"], mine["status"]):
            assert f"{a} {name}（{s}）" in row.todo
        if not len(mine):
            assert row.todo == ""
    assert prog.applications["assigned"].sum() == len(prog.pairs)
    assert prog.counts() == {
        s: int((prog.pairs["status"] == s).sum()) for s in ("未着手", "下書き", "提出済")
    }
    assert not prog.complete
    assert len(prog.open_pairs) == prog.counts()["未着手"] + prog.counts()["下書き"]


def test_only_current_assignments_count(demo_round_copy: Path) -> None:
    rnd = load_round(demo_round_copy)
    write_demo_scores(rnd)
    with ScoreStore.open(rnd) as store:
        submitted = store.statuses().query("status == '提出済'")
    pairs = [(r, a) for r, a in zip(submitted["reviewer"], submitted["application"])][:5]
    _assign(demo_round_copy, [*pairs, ("R6", "20")])  # the conflicted row is refused at load
    rnd = load_round(demo_round_copy)
    prog = round_progress(rnd)
    assert sorted(zip(prog.pairs["reviewer"], prog.pairs["application"])) == sorted(pairs)
    assert prog.complete and prog.open_pairs.empty
    assert (
        prog.reviewers.loc[~prog.reviewers["reviewer"].isin([r for r, _ in pairs]), "assigned"] == 0
    ).all()


def test_a_round_without_a_database_is_all_missing_and_no_database_is_created(demo_round_copy: Path) -> None:
    rnd = load_round(demo_round_copy)
    prog = round_progress(rnd)
    assert not (demo_round_copy / "scores.sqlite").exists()
    assert set(prog.pairs["status"]) == {"未着手"}
    assert len(prog.pairs) == len(rnd.reviewers) * len(rnd.applications) - 1  # R6 × 20 is a conflict


def test_the_reminder_workbook_reads_back(demo_round_copy: Path, tmp_path: Path) -> None:
    rnd = load_round(demo_round_copy)
    write_demo_scores(rnd)
    prog = round_progress(rnd)
    path = write_progress_workbook(prog, tmp_path / "進捗.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == list(progress_ja(prog))
    ws = wb["未提出の一覧"]
    header = [c.value for c in ws[1]]
    assert header == ["審査員", "氏名", "応募ID", "都道府県", "状況"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    assert len(rows) == len(prog.open_pairs)
    assert rows == prog.open_pairs.astype(object).values.tolist()
    per = wb["審査員別"]
    assert [c.value for c in per[1]][:3] == ["審査員", "氏名", "割当（件）"]
    assert per.max_row == len(rnd.reviewers) + 1


def test_progress_command_exit_codes_and_xlsx(
    demo_round_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rnd = load_round(demo_round_copy)
    write_demo_scores(rnd)
    out = tmp_path / "p.xlsx"
    assert main(["progress", "--round", str(demo_round_copy), "--xlsx", str(out)]) == 1
    cap = capsys.readouterr()
    prog = round_progress(rnd)
    assert prog.headline() in cap.out and "未提出の採点（督促用）" in cap.out
    first = prog.open_pairs.iloc[0]
    assert first["reviewer_name"] in cap.out
    assert f"未提出の採点が {len(prog.open_pairs)} 組あります" in cap.err
    assert out.exists()
    # Everything assigned is submitted → 0.
    with ScoreStore.open(rnd) as store:
        done = store.statuses().query("status == '提出済'")
    _assign(demo_round_copy, list(zip(done["reviewer"], done["application"])))
    assert main(["progress", "--round", str(demo_round_copy)]) == 0
    assert "すべて提出されています" in capsys.readouterr().out
    assert main(["progress", "--round", str(tmp_path / "nowhere")]) == 2
    assert "審査ラウンドのフォルダが見つかりません" in capsys.readouterr().err
