"""Issue 19, items 9–12: what stopped or misled a careful analyst, each with a test.

Cheap on purpose: the CLI in process (``scoring.cli.main``), one scored demo round for the
module (``select`` and ``feedback``), one subprocess only where the process is the point
(``… | head``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from roundcopy import copy_demo_round, scored_demo_round

from scoring.analysis.committee import build_committee
from scoring.cli import main
from scoring.cli_review import example_code
from scoring.core.errors import StoreError
from scoring.core.normalize import parse_date
from scoring.intake.template import example_values, write_template
from scoring.reporting.feedback import draft_texts, reviewer_words
from scoring.reporting.overview import application_table
from scoring.reporting.report import received_times
from scoring.round.loader import load_round
from scoring.store.scores import ScoreStore

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _no_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCORING_DATABASE_URL", raising=False)


@pytest.fixture
def corrected(tmp_path: Path) -> Path:
    """The demo round in a folder with a Japanese name, plus a correction of 長野 sent after the deadline."""
    folder = copy_demo_round(tmp_path / "審査 ラウンド")
    write_template(
        folder / "applications" / "20_nagano_訂正.xlsx",
        example_values("20", submitted_at="2026/2/21 10:00", theme="F"),
    )
    return folder


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return scored_demo_round(tmp_path_factory.mktemp("scored"), copy_demo_round)


# ---------------------------------------------------------------------------- item 10


def test_the_late_warning_of_a_corrected_file_recommends_correction(corrected: Path) -> None:
    rnd = load_round(corrected)
    [row] = rnd.problems[
        (rnd.problems["file"] == "20_nagano_訂正.xlsx") & (rnd.problems["severity"] == "warning")
    ].to_dict("records")
    assert row["message"].startswith("期限後提出:")
    assert "eligibility correction" in row["action"] and "20_nagano.xlsx" in row["action"]
    late = rnd.problems[
        rnd.problems["file"] == "05_akita.xlsx"
    ]  # a late file correcting nothing: accept-late
    assert "eligibility accept-late" in late["action"].iloc[0]


def test_month_end_in_wareki_parses() -> None:
    assert str(parse_date("令和9年3月末日")) == "2027-03-31"
    assert str(parse_date("2027年2月末")) == "2027-02-28"


# ---------------------------------------------------------------------------- items 9 and 12 (applications.xlsx)


def test_run_and_applications_xlsx_show_the_recorded_receipt_time_and_the_prefecture_name(
    corrected: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["eligibility", "correction", "--round", str(corrected), "--application", "長野"]
    assert main([*argv, "--by", "山田", "--reason", "人数の誤記の訂正"]) == 0
    rnd = load_round(corrected)
    table = application_table(rnd.applications, rnd.problems, received_times(rnd))
    assert table.loc["20", "受付日時（日本時間）"] == pd.Timestamp("2026-02-20 16:40")
    assert table.loc["20", "提出日時（日本時間）"] == pd.Timestamp("2026-02-21 10:00")  # as typed in the form
    capsys.readouterr()
    assert main(["run", "--round", str(corrected), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    [line] = [ln for ln in out.splitlines() if ln.startswith("20 ") and "長野県" in ln]
    assert "2026-02-20 16:40" in line
    wb = openpyxl.load_workbook(tmp_path / "out" / "applications.xlsx", read_only=True)
    head, *rows = list(wb["応募一覧"].values)
    assert "受付日時（日本時間）" in head
    head, *rows = list(wb["応募書の内容"].values)
    names = {r[0]: r[head.index("都道府県名")] for r in rows}
    assert names["20"] == "長野県" and names["01"] == "北海道"


# ---------------------------------------------------------------------------- item 11


def test_audit_names_the_last_checkpoint_line_and_a_readable_path(
    corrected: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            [
                "eligibility",
                "withdraw",
                "--round",
                str(corrected),
                "--application",
                "02",
                "--by",
                "山田",
                "--reason",
                "辞退届",
            ]
        )
        == 0
    )
    rnd = load_round(corrected)
    with ScoreStore.open(rnd) as store:  # two more checkpoints of the same head (as report and run write)
        store._anchor("report", store._signing_key())
        store._anchor("report", store._signing_key())
        lines = store.checkpoint_path.read_text(encoding="utf-8").splitlines()
    capsys.readouterr()
    assert main(["audit", "--round", str(corrected)]) == 0
    out = capsys.readouterr().out
    assert f"最後の記録点: 記録点（{len(lines)}行目" in out
    assert "審査 ラウンド" in out and "%E5" not in out


def test_revise_accepts_a_prefecture_name_and_its_refusal_speaks_to_the_analyst(
    corrected: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rnd = load_round(corrected)
    crit = rnd.rubric.criteria[0]
    plain = [lv for lv in crit.levels if not crit.comment_required(lv)]
    with ScoreStore.open(rnd) as store:
        for c in rnd.rubric.criteria:
            lv = next(x for x in c.levels if not c.comment_required(x))
            store.record("R1", "43", c.id, lv)
        store.submit("R1", "43")
        with pytest.raises(StoreError) as info:
            store.revise("R6", "20", crit.id, plain[0], reason="協議", by="山田")  # R6 is in conflict with 20
    assert "事務局に連絡" not in str(info.value) and "reviewers.yaml の conflicts を直して" in str(info.value)
    args = ["--reviewer", "R1", "--application", "熊本", "--criterion", crit.id, "--score", str(plain[-1])]
    assert main(["revise", "--round", str(corrected), *args, "--reason", "協議で確認"]) == 0
    assert "応募 43" in capsys.readouterr().out


def test_decide_error_example_names_a_real_code(corrected: Path) -> None:
    rnd = load_round(corrected)
    assert example_code(rnd, "応募 05（秋田県）は対象外です（期限後提出）。", ["01,05"]) == "05"
    assert example_code(rnd, "理由がありません", ["43、01"]) == "43"
    assert example_code(rnd, "", None) == "01"


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """``python -m scoring … | head``: the reader has gone when the command writes (here before
    it starts, so that the test does not depend on timing); no error is printed."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "scoring", "template", str(tmp_path / "様式.xlsx")],
            check=False,
            stdout=write_end,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            timeout=120,
        )
    finally:
        os.close(write_end)
    err = proc.stderr.decode("utf-8", "replace")
    assert "Broken pipe" not in err and "BrokenPipeError" not in err, err


# ---------------------------------------------------------------------------- item 12 (select, feedback)


def test_select_by_k_table_has_the_right_columns(scored: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["select", "--round", str(scored), "--alternatives", "0"]) == 0
    out = capsys.readouterr().out.split("■ 選定数ごとの最良案", 1)[1]
    assert "目標件数の案との差（点）" in out and "目標件数との差" not in out
    assert "True" not in out and "False" not in out and "目標" in out


def test_feedback_tells_the_analyst_which_applicant_note_it_left_out(scored: Path) -> None:
    rnd = load_round(scored)
    with ScoreStore.open(rnd) as store:
        scores = store.counted_scores()
    c = build_committee(rnd, scores=scores, n_boot=1, n_alternatives=0)
    a = str(c.applications.index[0])
    other = str(c.applications["prefecture_name"].iloc[1])
    # what a reviewer wrote FOR the applicant (申請者への所見) names another prefecture
    notes = scores.loc[scores["application"] == a, ["application", "reviewer", "criterion"]].assign(
        to_applicant=f"{other}の計画と同じ水準です"
    )
    dropped: list[str] = []
    drafts = draft_texts(c, rnd.rubric, scores, notes, forbidden=reviewer_words(rnd), dropped=dropped)
    assert not any(other in q for q in drafts[a].strengths + drafts[a].improvements)
    assert dropped and all(other in w and c.name(a) in w for w in dropped)
    assert f"「{other}の計画と同じ水準です」" in dropped[0]
