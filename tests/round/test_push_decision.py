"""プッシュ型 is a recorded ministry decision (issue 19, wrong result 1).

佐賀 (41) files after the deadline with 応募区分 = プッシュ型 typed on its own form. On the old
code ``validate`` said 「対処は不要です（プッシュ型は…）」, ``eligibility list`` said 期限適用外 and
``select`` ranked 佐賀 and gave it the プッシュ型 place. Now, without the ministry's recorded
decision (``eligibility push``; ``push-candidate`` records it), the form counts as 手上げ式 for
the deadline and the caps, with a warning naming the missing record; ``validate``,
``eligibility list``, ``select`` and the committee material say which type counts.

One scored copy of the demo round per module (the demo records its own forms' プッシュ型,
03 岩手 and 39 高知, as the 事務局 would); the CLI runs in-process.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from scoring import load_round
from scoring.analysis.status import application_statuses
from scoring.cli import main
from scoring.demo.simulate import write_demo_scores
from scoring.intake.template import example_values, write_template

SAGA = "41"


@pytest.fixture(scope="module")
def rdir(tmp_path_factory: pytest.TempPathFactory, demo_round_copier: Callable[[Path], Path]) -> Path:
    rd = demo_round_copier(tmp_path_factory.mktemp("push"))
    form = rd / "applications" / "41_saga.xlsx"
    write_template(form, example_values(SAGA, submitted_at="2026/2/23 10:00", theme="D"))
    write_demo_scores(load_round(rd))  # 佐賀 scored; the demo records its own プッシュ型 (03, 39)
    # … then 佐賀's form says プッシュ型, typed by the prefecture itself
    write_template(
        form, example_values(SAGA, submitted_at="2026/2/23 10:00", application_type="プッシュ型", theme="D")
    )
    return rd


def test_a_form_that_says_push_without_a_record_counts_as_hand_raised(rdir: Path) -> None:
    rnd = load_round(rdir)
    assert rnd.applications.loc[SAGA, "application_type"] == "手上げ式"
    assert bool(rnd.applications.loc[SAGA, "late"])
    e = rnd.eligibility
    assert e is not None
    assert e.loc[SAGA, "status"] == "期限後・未受理" and e.loc[SAGA, "form_type"] == "プッシュ型"
    # the demo's own プッシュ型 forms carry the (fictitious) ministry decision
    for code in ("03", "39"):
        assert rnd.applications.loc[code, "application_type"] == "プッシュ型"
        assert "プッシュ型（総務省の決定）" in str(e.loc[code, "records"])
    st = application_statuses(rnd)
    assert st.loc[SAGA, "区分"] == "対象外" and st.loc[SAGA, "理由"] == "期限後提出（受理せず）"
    assert st.loc[SAGA, "応募区分"] == "手上げ式" and st.loc["39", "応募区分"] == "プッシュ型"


def test_validate_and_the_list_name_the_missing_record(
    rdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["validate", str(rdir)])
    out = capsys.readouterr().out
    saga = [line for line in out.splitlines() if "41_saga.xlsx" in line]
    assert any("eligibility push" in line and "記録されていません" in line for line in saga), saga
    assert not any("プッシュ型は総務省が選んだ団体のため" in line for line in saga), saga
    assert main(["eligibility", "list", "--round", str(rdir)]) == 0
    out = capsys.readouterr().out
    [row] = [line for line in out.splitlines() if line.lstrip().startswith(SAGA) and "佐賀" in line]
    assert "期限後・未受理" in row and "手上げ式" in row and "プッシュ型" in row  # counts as / form says


def test_select_never_gives_the_push_place_to_an_unrecorded_form(
    rdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["select", "--round", str(rdir), "--alternatives", "0"]) == 0
    out = capsys.readouterr().out
    [row] = [line for line in out.splitlines() if line.lstrip().startswith(SAGA) and "佐賀" in line]
    assert "対象外" in row and "期限後提出（受理せず）のため対象外" in row and "手上げ式" in row, row
    assert "応募区分" in out


def test_recording_the_decision_makes_it_push(
    tmp_path: Path, rdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    rd = Path(shutil.copytree(rdir, tmp_path / "round"))
    args = ["eligibility", "push", "--round", str(rd), "--application", "佐賀", "--by", "総務省 地域DX室"]
    assert main([*args, "--reason", "ヒアリングの結果、プッシュ型で支援する"]) == 0
    out = capsys.readouterr().out
    assert "プッシュ型（総務省の決定）" in out and "期限適用外（プッシュ型）" in out
    rnd = load_round(rd)
    assert rnd.applications.loc[SAGA, "application_type"] == "プッシュ型"
    assert not bool(rnd.applications.loc[SAGA, "late"])
    assert application_statuses(rnd).loc[SAGA, "区分"] == "選定対象"
    assert main(["audit", "--round", str(rd)]) == 0
