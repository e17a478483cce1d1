"""The committee's decision: recorded in the score store's hash chain, read back, exported,
and flagged when the scores or the settings change afterwards."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
import yaml

from scoring.analysis.committee import build_committee, record_committee_decision
from scoring.demo.simulate import write_demo_scores
from scoring.reporting.committee_report import committee_html, section_html, write_committee_workbook
from scoring.round.decision import (
    DECISION_KIND,
    Decision,
    check_decision,
    decision_table,
    latest_decision,
    read_decisions,
    record_decision,
)
from scoring.round.loader import load_round
from scoring.store.scores import ScoreStore

HYPERLINK = '=HYPERLINK("#注記!A1","ここをクリック")'
PROPOSAL = ["20", "30", "42", "38", "32"]  # the demo round's proposal (submitted scores; 1 per theme)
REASONS = {
    "01": "北海道を優先する（委員会の判断）",
    "38": HYPERLINK,
    "34": "広島県の計画を評価（委員会の判断）",
    "32": "島根県は次回に期待（委員会の判断）",
}


@pytest.fixture(scope="module")
def template_round(
    tmp_path_factory: pytest.TempPathFactory, demo_round_copier: Callable[[Path], Path]
) -> Path:
    """The demo round with its seeded scores, written once per module (do not modify)."""
    rd = demo_round_copier(tmp_path_factory.mktemp("template") / "r")
    rnd = load_round(rd)
    with ScoreStore.open(rnd) as store:
        write_demo_scores(rnd, store)
    return rd


@pytest.fixture
def scored_round(tmp_path: Path, template_round: Path) -> Path:
    """A fresh copy of the scored demo round (folder layout and score database included)."""
    shutil.copytree(template_round.parents[2], tmp_path / "r")
    return tmp_path / "r" / template_round.relative_to(template_round.parents[2])


def _decide(rd: Path, **kw: object) -> Decision:
    args: dict[str, object] = {
        "by": "選定委員会 事務局（架空）",
        "reasons": dict(REASONS),
        "locks": ["01"],
        "exclusions": ["38"],
        "note": "第1回選定委員会（架空）",
    }
    args.update(kw)
    selected = args.pop("selected", ["20", "30", "42", "34", "北海道"])
    return record_committee_decision(rd, selected, **args)  # type: ignore[arg-type]


def test_record_and_read_back(scored_round: Path) -> None:
    rnd = load_round(scored_round)
    with ScoreStore.open(rnd) as store:
        statuses, scores = store.statuses(), store.scores()
    before = dt.datetime.now(dt.timezone.utc)
    d = _decide(scored_round)
    assert d.selected == ("20", "30", "42", "34", "01")  # names become JIS codes
    assert d.locks == ("01",) and d.exclusions == ("38",)
    assert d.reasons == REASONS
    assert d.by == "選定委員会 事務局（架空）" and d.note == "第1回選定委員会（架空）"
    assert before <= d.recorded_at <= dt.datetime.now(dt.timezone.utc)
    assert list(d.proposed) == PROPOSAL
    c = build_committee(scored_round, n_boot=10)
    assert (d.settings_hash, d.config_hash, d.score_fingerprint) == (
        c.settings_hash,
        c.config_hash,
        c.score_fingerprint,
    )
    with ScoreStore.open(rnd) as store:
        assert latest_decision(store) == d
        ev = store.events()
        row = ev.loc[ev["id"] == d.event_id].iloc[0]
        assert row["kind"] == DECISION_KIND and row["actor"] == d.by
        assert store.head()[0] == d.event_id  # appended at the end of the chain
        assert store.verify().empty  # and the chain is valid
        assert store.statuses().equals(statuses)  # no score or status changed
        assert store.scores().equals(scores)
    assert c.decision == d and c.decision_status == "決定済" and c.decision_warnings == []


def test_a_later_decision_supersedes_and_both_stay_in_the_log(scored_round: Path) -> None:
    first = _decide(scored_round)
    second = _decide(
        scored_round, selected=PROPOSAL, reasons={}, locks=[], exclusions=[], by="委員長（架空）"
    )
    rnd = load_round(scored_round)
    with ScoreStore.open(rnd) as store:
        assert [x.event_id for x in read_decisions(store)] == [first.event_id, second.event_id]
        assert latest_decision(store) == second
    assert build_committee(scored_round, n_boot=10).decision == second


def test_tampering_with_a_decision_is_detected(scored_round: Path) -> None:
    d = _decide(scored_round)
    con = sqlite3.connect(scored_round / "scores.sqlite")
    con.execute("DROP TRIGGER score_events_no_update")
    con.execute(
        "UPDATE score_events SET payload = replace(payload, '\"01\"', '\"11\"') WHERE id = ?", (d.event_id,)
    )
    con.commit()
    con.close()
    rnd = load_round(scored_round)
    with ScoreStore.open(rnd) as store:
        problems = store.verify()
    assert list(problems["event_id"]) == [d.event_id]
    assert problems["problem"].iloc[0] == "変更"


def test_a_later_score_change_is_a_warning_everywhere(scored_round: Path, tmp_path: Path) -> None:
    d = _decide(scored_round)
    rnd = load_round(scored_round)
    with ScoreStore.open(rnd) as store:
        store.reopen("R2", "01", by="事務局（架空）", reason="記入誤りの訂正")
        old = store.scores().query("reviewer == 'R2' and application == '01' and criterion == 'theme_fit'")
        store.record("R2", "01", "theme_fit", 1 if float(old["score"].iloc[0]) != 1 else 2, "訂正")
        store.submit("R2", "01")
    c = build_committee(scored_round, n_boot=10)
    assert c.decision == d
    assert c.decision_status == "決定後に変更あり"
    assert len(c.decision_warnings) == 1 and "採点が変更" in c.decision_warnings[0]
    assert c.config_hash == d.config_hash and c.score_fingerprint != d.score_fingerprint
    # notebook section, HTML and the workbook all carry it
    assert "採点が変更" in section_html(c, "summary", charts=False)
    assert "採点が変更" in section_html(c, "decision", charts=False)
    assert "採点が変更" in committee_html(c, charts=False)
    wb = openpyxl.load_workbook(write_committee_workbook(c, tmp_path / "committee.xlsx"))
    summary = {r[0]: r[1] for r in wb["概要"].iter_rows(min_row=2, values_only=True)}
    assert "採点が変更" in summary["警告1"]
    assert summary["選定結果"] == "決定後に変更あり"
    notes = {r[0]: r[1] for r in wb["注記"].iter_rows(min_row=2, values_only=True)}
    assert "採点が変更" in notes["警告1"]
    assert notes["決定時の設定ハッシュ"] == d.settings_hash != notes["設定ハッシュ（設定と採点）"]


def test_a_later_settings_change_is_a_warning(scored_round: Path) -> None:
    d = _decide(scored_round)
    assert build_committee(scored_round, n_boot=10).decision_warnings == []
    other_method = build_committee(scored_round, n_boot=10, method="mean")
    assert len(other_method.decision_warnings) == 1 and "設定" in other_method.decision_warnings[0]
    path = scored_round / "round.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["balance"]["max_push"] = 2
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    c = build_committee(scored_round, n_boot=10)
    assert c.config_hash != d.config_hash and c.score_fingerprint == d.score_fingerprint
    assert [w for w in c.decision_warnings if "設定（評価基準・配点" in w]
    assert not [w for w in c.decision_warnings if "採点が変更" in w]
    assert c.decision_status == "決定後に変更あり"


def test_check_decision_without_a_decision_is_silent() -> None:
    assert check_decision(None, config_hash="x", score_fingerprint="y") == []


def test_result_sheet_in_the_workbook(scored_round: Path, tmp_path: Path) -> None:
    _decide(scored_round)
    c = build_committee(scored_round, n_boot=10)
    wb = openpyxl.load_workbook(write_committee_workbook(c, tmp_path / "committee.xlsx"))
    assert "選定結果" in wb.sheetnames
    ws = wb["選定結果"]
    assert not ws.merged_cells.ranges
    header = [cell.value for cell in ws[1]]
    assert header == [
        "応募ID",
        "都道府県",
        "決定",
        "選定案",
        "選定案との違い",
        "必ず含める",
        "除外",
        "理由",
        "記録した人",
        "記録日時（日本時間）",
        "根拠の記録点（イベント）",
        "根拠の記録点（ハッシュ）",
    ]
    rows = {r[0].value: r for r in ws.iter_rows(min_row=2)}
    assert len(rows) == 16
    assert [r[0].value for r in ws.iter_rows(min_row=2, max_row=6)] == ["20", "30", "42", "34", "01"]
    assert (
        rows["01"][2].value == "選定"
        and rows["01"][4].value == "選定案から追加"
        and rows["01"][5].value == "必ず含める"
    )
    assert (
        rows["38"][2].value == "非選定"
        and rows["38"][4].value == "選定案から除外"
        and rows["38"][6].value == "除外"
    )
    reason = rows["38"][7]
    assert reason.value == HYPERLINK and reason.data_type == "s"  # text, never a formula
    assert reason.quotePrefix
    assert isinstance(rows["20"][9].value, dt.datetime)  # a date-time, not text
    page = committee_html(c, charts=False)
    assert "選定案から追加" in page and "第1回選定委員会（架空）" in page


def test_decision_table_marks_differences(scored_round: Path) -> None:
    d = _decide(scored_round)
    t = decision_table(d, load_round(scored_round).applications)
    assert list(t.index[t["decided"]]) == list(d.selected)
    assert t.loc["01", "difference"] == "選定案から追加" and t.loc["38", "difference"] == "選定案から除外"
    assert t.loc["20", "difference"] == "" and bool(t.loc["20", "proposed"])


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"selected": ["20", "99"]}, "この審査ラウンドの応募ではありません"),
        ({"selected": ["20", "長野県"]}, "2回指定"),
        ({"selected": []}, "1件以上"),
        ({"by": "  "}, "記録する人"),
        ({"locks": ["46"]}, "選定に入っていません"),
        ({"exclusions": ["20"]}, "選定に入っています"),
        ({"reasons": {"東京都": "応募なし"}}, "この審査ラウンドの応募ではありません"),
    ],
)
def test_invalid_decisions_are_refused_in_japanese(
    template_round: Path, kw: dict[str, object], message: str
) -> None:
    args: dict[str, object] = {
        "selected": ["20", "30", "01"],
        "by": "事務局（架空）",
        "locks": ["01"],
        "exclusions": ["38"],
        "reasons": {"01": "理由"},
    }
    args.update(kw)
    rnd = load_round(template_round)
    with ScoreStore.open(rnd) as store:
        head = store.head()
        with pytest.raises(ValueError, match=message):
            record_decision(store, **args)  # type: ignore[arg-type]
        assert store.head() == head  # nothing was written


def test_record_decision_on_each_backend(store_url: str, store_round: object) -> None:
    with ScoreStore.open(store_round, store_url) as store:  # type: ignore[arg-type]
        write_demo_scores(store_round, store)  # type: ignore[arg-type]
        d = record_decision(
            store,
            ["20", "30"],
            by="事務局（架空）",
            reasons={"20": HYPERLINK},
            settings_hash="abc",
            config_hash="def",
            score_fingerprint="0" * 64,
        )
        assert latest_decision(store) == d
        assert store.verify().empty
    assert d.reasons["20"] == HYPERLINK and d.settings_hash == "abc"


def test_cli_decide(scored_round: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from scoring.cli import main

    code = main(
        [
            "decide",
            "--round",
            str(scored_round),
            "--select",
            "20,30,42",
            "--select",
            "34、01",
            "--by",
            "委員長（架空）",
            "--reason",
            "01=北海道を優先",
            "--reason",
            f"38={HYPERLINK}",
            "--reason-for",
            "34=広島県を評価",
            "--reason-for",
            "32=島根県は次回",
            "--lock",
            "01",
            "--exclude",
            "38",
            "--note",
            "第1回",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert (
        "選定結果を記録しました" in out and "選定案との違い: 追加 広島県・北海道　除外 愛媛県・島根県" in out
    )
    rnd = load_round(scored_round)
    with ScoreStore.open(rnd) as store:
        d = latest_decision(store)
    assert d is not None and d.selected == ("20", "30", "42", "34", "01")
    assert d.reasons == {"01": "北海道を優先", "38": HYPERLINK, "34": "広島県を評価", "32": "島根県は次回"}
    assert d.note == "第1回"
    assert (
        main(["decide", "--round", str(scored_round), "--select", "20", "--by", "x", "--reason", "理由だけ"])
        == 2
    )
    assert "応募=理由" in capsys.readouterr().err
    assert main(["decide", "--round", str(scored_round), "--select", "20,99", "--by", "x"]) == 2
    assert "この審査ラウンドの応募ではありません" in capsys.readouterr().err
