"""A failing ``report`` leaves no trace, and two runs at once do not trip over each other (issue 18, Low)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from roundcopy import scored_demo_round

from scoring.analysis.committee import build_committee
from scoring.cli import main
from scoring.reporting import committee_documents, committee_report
from scoring.reporting.committee_report import write_committee_reports
from scoring.round.loader import load_round
from scoring.store.scores import ScoreStore


@pytest.fixture(autouse=True)
def _round_sqlite(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCORING_DATABASE_URL", raising=False)


def test_report_on_a_round_without_a_store_creates_nothing(
    demo_round_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = sorted(p.name for p in demo_round_copy.iterdir())
    assert main(["report", "--round", str(demo_round_copy)]) == 2
    assert "まだ採点がありません" in capsys.readouterr().err
    assert sorted(p.name for p in demo_round_copy.iterdir()) == before  # no scores.sqlite, no checkpoints
    assert main(["run", "--round", str(demo_round_copy), "--out", str(demo_round_copy.parent / "out")]) == 0
    assert not (demo_round_copy / "scores.sqlite").exists()


def test_a_failing_report_appends_no_checkpoint(
    demo_round_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rnd = load_round(demo_round_copy)
    crit = rnd.rubric.criteria[0]
    with ScoreStore.open(rnd) as store:
        store.record("R1", "01", crit.id, crit.levels[0], "下書き（架空）")  # a draft only: nothing counts
        before = store.checkpoints()
    assert main(["report", "--round", str(demo_round_copy)]) == 2
    assert "提出済みの点数がありません" in capsys.readouterr().err
    with ScoreStore.open(rnd) as store:
        assert store.checkpoints() == before
    assert not (demo_round_copy / "reports").exists()


def test_two_reports_at_once_use_their_own_temporary_files(
    tmp_path: Path, demo_round_copier: Callable[[Path], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    rnd = load_round(scored_demo_round(tmp_path / "round", demo_round_copier))
    c = build_committee(rnd, n_boot=50, seed=1)
    out = tmp_path / "reports"
    out.mkdir()
    both_written = threading.Barrier(2, timeout=60)

    def pdf(c: Any, path: Path, *, page: str) -> Path:
        both_written.wait()  # both runs have written their html and xlsx beside the targets
        Path(path).write_bytes(b"%PDF-1.7 test\n")
        return Path(path)

    def other_pdf(page: str, path: Path, **kwargs: Any) -> Path:  # the 参考資料 and 事務局控え: not awaited
        Path(path).write_bytes(b"%PDF-1.7 test\n")
        return Path(path)

    monkeypatch.setattr(committee_report, "write_committee_pdf", pdf)
    monkeypatch.setattr(committee_documents, "write_pdf", other_pdf)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            write_committee_reports(None, out, committee=c)
        except Exception as e:  # noqa: BLE001 - reported by the test's thread
            errors.append(e)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert sorted(p.name for p in out.iterdir()) == [
        "committee.html",
        "committee.pdf",
        "committee.xlsx",
        "committee_reference.pdf",
        "records.pdf",
        "records.xlsx",
    ]
