"""The true reason everywhere (issue 19, wrong results 3 and 4).

3. A late application that was not accepted (05 秋田) was labelled 「採点がないため対象外」 once
   its rows were removed from assignments.csv (as the README allows), and ``assign`` had
   assigned it in the first place. Now it is 期限後提出（受理せず） in the status, the selection,
   the ranking and the committee material, and ``assign`` leaves it out and says why.
4. The decision table of ``decide`` (sheet 選定結果) called withdrawn and late applications
   「非選定」: now 対象外, with the reason.

One scored copy of the demo round per module (05 out of assignments.csv, 10 群馬 withdrawn);
the CLI runs in-process.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from scoring import load_round
from scoring.analysis.committee import build_committee
from scoring.analysis.status import application_statuses, exclusion_reasons
from scoring.cli import main
from scoring.combine import combine
from scoring.demo.simulate import write_demo_scores
from scoring.reporting.committee_tables import decision_ja
from scoring.round.eligibility import record_eligibility
from scoring.selection import select_round
from scoring.store.scores import ScoreStore

AKITA, GUNMA = "05", "10"
LATE = "期限後提出（受理せず）のため対象外"


@pytest.fixture(scope="module")
def rdir(tmp_path_factory: pytest.TempPathFactory, demo_round_copier: Callable[[Path], Path]) -> Path:
    rd = demo_round_copier(tmp_path_factory.mktemp("reason"))
    rnd = load_round(rd)
    pairs = rnd.assignments()
    pairs.loc[pairs["application"] != AKITA].to_csv(rd / "assignments.csv", index=False)
    write_demo_scores(load_round(rd))
    record_eligibility(load_round(rd), "withdraw", "群馬", by="山田", reason="県の事情により辞退")
    return rd


def test_a_late_application_without_scores_is_late_not_unscored(rdir: Path) -> None:
    rnd = load_round(rdir)
    st = application_statuses(rnd)
    assert st.loc[AKITA, "区分"] == "対象外" and st.loc[AKITA, "理由"] == "期限後提出（受理せず）"
    assert st.loc[GUNMA, "理由"] == "辞退" and st.loc["01", "区分"] == "選定対象"
    c = build_committee(rnd, n_boot=1)
    assert c.exclusion_reasons[AKITA] == LATE
    assert exclusion_reasons(rnd, pd.Series(dtype=float))[AKITA] == LATE
    assert c.ranked.at[AKITA, "status"] == "対象外"


def test_select_prints_the_true_reason(rdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["select", "--round", str(rdir), "--alternatives", "0"]) == 0
    out = capsys.readouterr().out
    [row] = [line for line in out.splitlines() if line.lstrip().startswith(AKITA) and "秋田" in line]
    assert LATE in row and "採点がない" not in row


def test_assign_leaves_out_what_is_out_of_review_and_says_why(
    demo_round_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["assign", "--round", str(demo_round_copy), "--per-application", "2"]) == 0
    out = capsys.readouterr().out
    assert "対象外のため、審査員を割り当てません" in out
    assert any(
        AKITA in line and "秋田" in line and "期限後提出（受理せず）" in line for line in out.splitlines()
    )
    pairs = pd.read_csv(demo_round_copy / "assignments.csv", dtype=str)
    assert AKITA not in set(pairs["application"]) and "01" in set(pairs["application"])
    rnd = load_round(demo_round_copy)
    assert not rnd.problems["message"].str.contains("秋田県）を担当する審査員がいません").any()


def test_the_decision_table_says_out_of_review_not_unselected(
    rdir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    rd = Path(shutil.copytree(rdir, tmp_path / "round"))
    rnd = load_round(rd)
    with ScoreStore.open(rnd) as store:
        totals = combine(store.counted_scores(), rnd.rubric)
    proposal = select_round(rnd, totals, n_alternatives=0).selected
    assert main(["decide", "--round", str(rd), "--select", ",".join(proposal), "--by", "委員長"]) == 0
    capsys.readouterr()
    table = decision_ja(build_committee(load_round(rd), n_boot=1)).set_index("応募ID")
    assert table.at[AKITA, "決定"] == "対象外" and table.at[AKITA, "理由"].startswith(LATE)
    assert table.at[GUNMA, "決定"] == "対象外" and table.at[GUNMA, "理由"].startswith("辞退のため対象外")
    assert set(table["決定"]) == {"選定", "非選定", "対象外"}
