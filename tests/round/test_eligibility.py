"""Eligibility as recorded decisions (issue 11): late acceptance, correction, resubmission,
withdrawal; プッシュ型 exempt from the deadline; superseded files as 情報; where they take
effect (intake problems, selection, the tuning/committee status, validate); the rubric of a
copied round; reports in the round's own folder.

Every round here is a copy of the demo round in tmp_path with extra 応募書 written by the
template writer (real xlsx read back), and a real SQLite or PostgreSQL store.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
import sys
from pathlib import Path

import pandas as pd
import pytest
from roundcopy import demo_ignore

from scoring.analysis.status import exclusion_reasons
from scoring.cli import main
from scoring.core.errors import ConfigError, IntakeError, StoreError
from scoring.core.paths import DEMO_ROUND
from scoring.intake.template import example_values, write_template
from scoring.round.eligibility import record_eligibility
from scoring.round.eligibility_records import (
    ELIGIBILITY_KIND,
    EligibilityRecord,
    eligibility_log,
    read_eligibility,
    read_eligibility_at,
    record_eligibility_event,
)
from scoring.round.loader import load_round
from scoring.selection import EXCLUSION_REASONS, select_round

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "store"))
from attack import drop_guards, tamper

JST = dt.timezone(dt.timedelta(hours=9))


def _app(folder: Path, name: str, code: str, when: str, **overrides: object) -> Path:
    return write_template(
        folder / "applications" / name, example_values(code, submitted_at=when, **overrides)
    )


@pytest.fixture
def rdir(demo_round_copy: Path) -> Path:
    """The demo round plus: a correction of 長野 sent after the deadline, a resubmission of
    鹿児島 in time, and a プッシュ型 東京 filed after the deadline. 秋田 (05) is late."""
    _app(demo_round_copy, "20_nagano_訂正.xlsx", "20", "2026/2/21 10:00", theme="F")
    _app(demo_round_copy, "46_kagoshima_再提出.xlsx", "46", "2026/2/20 16:59", theme="A")
    _app(demo_round_copy, "13_tokyo.xlsx", "13", "2026/2/25 10:00", application_type="プッシュ型", theme="C")
    return demo_round_copy


def _rows(rnd, file: str) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    return rnd.problems.loc[rnd.problems["file"] == file]


def test_the_intake_before_any_decision(rdir: Path) -> None:
    rnd = load_round(rdir)
    e = rnd.eligibility
    assert e.loc["05", "status"] == "期限後・未受理" and rnd.applications.loc["05", "late"]
    # the correction is late by its own time until it is recorded as a correction
    assert e.loc["20", "file"] == "20_nagano_訂正.xlsx" and e.loc["20", "status"] == "期限後・未受理"
    # a form that says プッシュ型 without the ministry's recorded decision: 手上げ式, late (issue 19)
    assert e.loc["13", "status"] == "期限後・未受理" and rnd.applications.loc["13", "late"]
    assert rnd.applications.loc["13", "application_type"] == "手上げ式"
    assert e.loc["13", "application_type"] == "手上げ式"
    tokyo = _rows(rnd, "13_tokyo.xlsx")
    assert tokyo["severity"].tolist() == ["warning", "warning"]
    assert any(
        "eligibility push" in a and "記録されていません" in m
        for m, a in zip(tokyo["message"], tokyo["action"])
    )
    # superseded files: one 情報 row each, naming the newer file and its time
    [old] = _rows(rnd, "20_nagano.xlsx").to_dict("records")
    assert old["severity"] == "info"
    assert (
        "20_nagano_訂正.xlsx, 受付日時 2026/02/21 10:00" in old["message"]
        and "置き換えられました" in old["message"]
    )
    assert _rows(rnd, "46_kagoshima.xlsx")["severity"].tolist() == ["info"]
    assert not rnd.has_errors
    assert set(rnd.superseded["file"]) == {"20_nagano.xlsx", "46_kagoshima.xlsx"}
    late = _rows(rnd, "05_akita.xlsx")
    assert late["severity"].tolist() == ["warning"] and "eligibility accept-late" in late["action"].iloc[0]
    assert late["sheet"].iloc[0] == "応募書" and late["cell"].iloc[0].startswith("C")  # the cell of 提出日時


def test_a_correction_keeps_the_original_receipt_time(rdir: Path) -> None:
    rec = record_eligibility(load_round(rdir), "correction", "長野", by="山田", reason="人数の誤記の訂正")
    assert rec.original_received == dt.datetime(2026, 2, 20, 16, 40, tzinfo=JST)  # the superseded file's time
    assert rec.file == "20_nagano_訂正.xlsx" and rec.event_id == 1
    rnd = load_round(rdir)
    assert not rnd.applications.loc["20", "late"]
    e = rnd.eligibility.loc["20"]
    assert e["status"] == "期限内" and e["received_at"] == pd.Timestamp("2026-02-20 16:40", tz="Asia/Tokyo")
    assert "訂正（山田" in e["records"]
    note = _rows(rnd, "20_nagano_訂正.xlsx")
    assert note["severity"].tolist() == ["info"] and "元の提出の 2026/02/20 16:40" in note["message"].iloc[0]
    # the superseded file's row now says the correction was recorded
    assert "記録済み: 訂正（山田" in _rows(rnd, "20_nagano.xlsx")["action"].iloc[0]


def test_a_correction_with_an_explicit_original_time_that_was_late_stays_late(rdir: Path) -> None:
    record_eligibility(
        load_round(rdir), "correction", "20", by="山田", reason="訂正", original_received="2026-02-20T17:30"
    )
    rnd = load_round(rdir)
    assert rnd.applications.loc["20", "late"]
    msg = _rows(rnd, "20_nagano_訂正.xlsx")["message"].iloc[0]
    assert "受付日時 2026/02/20 17:30（訂正のため元の提出の日時）" in msg


def test_late_acceptance_takes_effect_in_the_selection_and_the_status(rdir: Path) -> None:
    rnd = load_round(rdir)
    totals = pd.Series({a: 90.0 - i for i, a in enumerate(rnd.applications.index)}, name="total")
    assert select_round(rnd, totals).reasons.loc["05", "reason"] == EXCLUSION_REASONS["late"]
    assert exclusion_reasons(rnd, totals)["05"] == EXCLUSION_REASONS["late"]
    record_eligibility(rnd, "accept-late", "05", by="山田", reason="システム障害による遅延")
    rnd = load_round(rdir)
    assert not rnd.applications.loc["05", "late"] and rnd.eligibility.loc["05", "status"] == "期限後・受理"
    assert select_round(rnd, totals).reasons.loc["05", "status"] != "対象外"
    assert exclusion_reasons(rnd, totals)["05"] == ""
    [row] = _rows(rnd, "05_akita.xlsx").to_dict("records")
    assert row["severity"] == "info" and "受理されています: 期限後受理（山田" in row["message"]
    assert row["field"] == "提出日時" and row["cell"].startswith("C")
    with pytest.raises(IntakeError, match="既に記録されています"):
        record_eligibility(rnd, "accept_late", "05", by="山田", reason="二度目")
    with pytest.raises(IntakeError, match="期限内の受付"):
        record_eligibility(rnd, "accept_late", "01", by="山田", reason="不要")
    record_eligibility(rnd, "push", "東京", by="総務省 地域DX室", reason="ヒアリングで選定")
    rnd = load_round(rdir)
    with pytest.raises(IntakeError, match="プッシュ型のため提出期限は適用されません"):
        record_eligibility(rnd, "accept_late", "13", by="山田", reason="不要")
    with pytest.raises(IntakeError, match="プッシュ型（総務省の決定）は既に記録されています"):
        record_eligibility(rnd, "push", "13", by="山田", reason="二度目")


def test_a_newer_file_needs_a_new_decision(rdir: Path) -> None:
    record_eligibility(load_round(rdir), "accept_late", "05", by="山田", reason="遅延")
    _app(rdir, "05_akita_v2.xlsx", "05", "2026/2/22 9:00")
    rnd = load_round(rdir)
    assert rnd.applications.loc["05", "late"] and rnd.eligibility.loc["05", "status"] == "期限後・未受理"
    stale = _rows(rnd, "05_akita_v2.xlsx")
    assert stale["message"].str.contains("05_akita.xlsx についての記録ですが").any()
    assert stale["message"].str.contains("この記録は適用していません").any()


def test_withdrawal_and_reinstatement(rdir: Path) -> None:
    rnd = load_round(rdir)
    totals = pd.Series({a: 90.0 - i for i, a in enumerate(rnd.applications.index)}, name="total")
    record_eligibility(rnd, "withdraw", "42", by="山田", reason="県から辞退の連絡（2/25 文書）")
    rnd = load_round(rdir)
    assert rnd.applications.loc["42", "withdrawn"] and rnd.eligibility.loc["42", "status"] == "辞退"
    res = select_round(rnd, totals, n_alternatives=0)
    assert res.reasons.loc["42", "reason"] == EXCLUSION_REASONS["withdrawn"] == "辞退のため対象外"
    assert "42" not in res.selected
    assert exclusion_reasons(rnd, totals)["42"] == "辞退のため対象外"
    assert _rows(rnd, "42_nagasaki.xlsx")["message"].str.contains("辞退（山田").any()
    with pytest.raises(IntakeError, match="既に辞退として記録されています"):
        record_eligibility(rnd, "withdraw", "42", by="山田", reason="二度目")
    record_eligibility(rnd, "reinstate", "42", by="山田", reason="誤って記録したため取消")
    rnd = load_round(rdir)
    assert not rnd.applications.loc["42", "withdrawn"]
    assert select_round(rnd, totals, n_alternatives=0).reasons.loc["42", "status"] != "対象外"
    with pytest.raises(IntakeError, match="辞退として記録されていないため"):
        record_eligibility(rnd, "reinstate", "42", by="山田", reason="不要")
    log = eligibility_log(rnd.eligibility_records, dict(rnd.applications["prefecture_name"]))
    assert (
        log["action"].tolist() == ["辞退", "辞退の取消"] and log["prefecture_name"].tolist() == ["長崎県"] * 2
    )


def test_errors_are_japanese_and_write_nothing(rdir: Path) -> None:
    rnd = load_round(rdir)
    cases = [
        ({"action": "accept_late", "application": "99"}, "この審査ラウンド"),
        ({"action": "accept_late", "application": "05", "reason": " "}, "理由（--reason）が空です"),
        ({"action": "accept_late", "application": "05", "by": ""}, "記録する人（--by）が空です"),
        ({"action": "approve", "application": "05"}, "受付の判断「approve」はありません"),
        ({"action": "correction", "application": "01"}, "元の提出の受付日時が必要"),
        (
            {"action": "correction", "application": "20", "original_received": "2026-02-22T10:00"},
            "より後です",
        ),
        ({"action": "correction", "application": "20", "original_received": "昨日"}, "日時として読めません"),
        ({"action": "resubmission", "application": "01"}, "置き換えられた以前の提出がありません"),
        (
            {"action": "accept_late", "application": "05", "original_received": "2026-02-20T10:00"},
            "訂正（correction）のときだけ",
        ),
        (
            {"action": "accept_late", "application": "05", "file": "other.xlsx"},
            "使用している応募書は 05_akita.xlsx",
        ),
    ]
    for kwargs, match in cases:
        args = {"by": "山田", "reason": "理由", **kwargs}
        action, app = args.pop("action"), args.pop("application")
        with pytest.raises(IntakeError, match=match):
            record_eligibility(rnd, action, app, **args)  # type: ignore[arg-type]
    assert not (rdir / "scores.sqlite").exists()  # nothing was recorded, no store created
    with rnd.store() as store, pytest.raises(StoreError, match="理由"):
        record_eligibility_event(
            store,
            EligibilityRecord(
                "accept_late", "05", by="山田", reason=" ", recorded_at=dt.datetime.now(dt.timezone.utc)
            ),
        )


def test_decisions_are_in_the_hash_chain_and_tampering_is_found(rdir: Path) -> None:
    rnd = load_round(rdir)
    record_eligibility(rnd, "resubmission", "46", by="山田", reason="差し替えの依頼")
    record_eligibility(rnd, "accept_late", "05", by="山田", reason="遅延")
    with rnd.store() as store:
        assert store.audit().problems.empty
        [r1, r2] = read_eligibility(store)
        assert (r1.action, r1.file, r2.action) == ("resubmission", "46_kagoshima_再提出.xlsx", "accept_late")
        assert store.events()["kind"].tolist() == [ELIGIBILITY_KIND] * 2
        url = f"sqlite:///{rdir / 'scores.sqlite'}"
    forged = json.dumps(
        {"version": 1, "action": "withdraw", "file": "", "reason": "偽", "original_received": None}
    )
    tamper(url, *drop_guards(url), f"UPDATE score_events SET payload = '{forged}' WHERE id = 2")
    with load_round(rdir).store() as store:
        problems = store.audit().problems
    assert not problems.empty and problems.iloc[0]["event_id"] == 2 and problems.iloc[0]["problem"] == "変更"


def test_decisions_are_read_from_postgresql(rdir: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import uuid

    import sqlalchemy as sa

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(pg_url)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        sep = "&" if "?" in pg_url else "?"
        monkeypatch.setenv("SCORING_DATABASE_URL", f"{pg_url}{sep}options=-csearch_path%3D{schema}")
        assert load_round(rdir).eligibility_records == []  # no tables yet: nothing created by loading
        record_eligibility(load_round(rdir), "withdraw", "42", by="山田", reason="辞退")
        assert load_round(rdir).applications.loc["42", "withdrawn"]
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.dispose()


def test_reading_without_a_store_creates_nothing(tmp_path: Path) -> None:
    assert read_eligibility_at(f"sqlite:///{tmp_path / 'scores.sqlite'}", "x") == []
    assert not (tmp_path / "scores.sqlite").exists()
    # a database of another round: its decisions do not apply
    with sqlite3.connect(tmp_path / "other.sqlite") as c:
        c.execute("CREATE TABLE score_meta (key TEXT, value TEXT)")
        c.execute("CREATE TABLE score_events (id INTEGER)")
        c.execute("INSERT INTO score_meta VALUES ('round_name', '別のラウンド')")
    assert read_eligibility_at(f"sqlite:///{tmp_path / 'other.sqlite'}", "このラウンド") == []


# ---------------------------------------------------------------------------------- CLI


def test_cli_records_lists_and_refuses(rdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(rdir)]) == 0  # superseded files and a late one: no error
    out = capsys.readouterr().out
    assert (
        "エラー 0 件・警告 7 件・情報 2 件" in out and "期限後提出" in out
    )  # 群馬, 秋田, 長野 (訂正 not yet recorded), 東京 late and プッシュ型 not recorded, 岩手 and 高知's
    # プッシュ型 not recorded (no demo scores here)
    assert (
        main(
            [
                "eligibility",
                "accept-late",
                "--round",
                str(rdir),
                "--application",
                "秋田",
                "--by",
                "山田",
                "--reason",
                "郵便事故",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "記録しました: 応募 05 期限後受理（イベント 1" in out and "期限後・受理" in out
    assert (
        main(
            [
                "eligibility",
                "correction",
                "--round",
                str(rdir),
                "--application",
                "20",
                "--by",
                "山田",
                "--reason",
                "誤記",
                "--original-received",
                "2026-02-20T16:40",
            ]
        )
        == 0
    )
    assert "元の受付日時: 2026-02-20 16:40" in capsys.readouterr().out
    assert (
        main(
            [
                "eligibility",
                "push",
                "--round",
                str(rdir),
                "--application",
                "東京",
                "--by",
                "総務省",
                "--reason",
                "選定",
            ]
        )
        == 0
    )
    assert "プッシュ型（総務省の決定）" in capsys.readouterr().out
    assert main(["eligibility", "list", "--round", str(rdir)]) == 0
    out = capsys.readouterr().out
    assert "郵便事故" in out and "誤記" in out and "期限適用外（プッシュ型）" in out
    # validate of the round folder applies the recorded decisions
    assert main(["validate", str(rdir)]) == 0
    out = capsys.readouterr().out
    assert (
        "エラー 0 件・警告 3 件・情報 5 件" in out.splitlines()[0] and "受理されています" in out
    )  # 群馬, and 岩手 and 高知's プッシュ型 not recorded
    assert (
        main(
            [
                "eligibility",
                "withdraw",
                "--round",
                str(rdir),
                "--application",
                "99",
                "--by",
                "山田",
                "--reason",
                "x",
            ]
        )
        == 2
    )
    assert "応募「99」はこの審査ラウンド" in capsys.readouterr().err
    assert (
        main(
            [
                "eligibility",
                "correction",
                "--round",
                str(rdir),
                "--application",
                "01",
                "--by",
                "山田",
                "--reason",
                "x",
            ]
        )
        == 2
    )
    assert "--original-received" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["eligibility", "withdraw", "--round", str(rdir), "--application", "42", "--by", "山田"])
    assert e.value.code == 2 and "--reason" in capsys.readouterr().err
    assert main(["audit", "--round", str(rdir)]) == 0


# ------------------------------------------------------------------ a copied round folder


def test_a_copied_demo_folder_finds_its_rubric_and_warns_about_demo(tmp_path: Path) -> None:
    dest = tmp_path / "R8_本番"
    shutil.copytree(DEMO_ROUND, dest, ignore=demo_ignore("checkpoints*"))
    rnd = load_round(dest)
    assert rnd.rubric.id == "r8_talent_pool"
    rows = rnd.problems.loc[rnd.problems["file"] == str(dest / "round.yaml")]
    assert set(rows["severity"]) == {"info", "warning"}
    assert rows["message"].str.contains("同梱の評価基準").any()
    assert rows["message"].str.contains("demo: true").any()
    assert not load_round(DEMO_ROUND).problems["message"].str.contains("demo: true").any()
    text = (dest / "round.yaml").read_text(encoding="utf-8")
    (dest / "round.yaml").write_text(
        text.replace("demo: true", "demo: false").replace(
            "../../rubrics/r8_talent_pool.yaml", "r8_talent_pool"
        ),
        encoding="utf-8",
    )
    assert not load_round(dest).problems["file"].eq(str(dest / "round.yaml")).any()
    (dest / "round.yaml").write_text(
        text.replace("../../rubrics/r8_talent_pool.yaml", "rubrics/無い.yaml"), encoding="utf-8"
    )
    with pytest.raises(ConfigError) as err:
        load_round(dest)
    msg = str(err.value)
    assert "評価基準（rubric）" in msg and "「rubrics/無い.yaml」が見つかりません" in msg
    assert str(dest / "rubrics" / "無い.yaml") in msg and "無い.yaml.yaml" in msg


def test_reports_go_to_the_round_folder_by_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import openpyxl

    dest = tmp_path / "round"
    shutil.copytree(DEMO_ROUND, dest, ignore=demo_ignore("checkpoints*"))
    assert main(["demo", "--round", str(dest)]) == 0
    # a recorded decision first: the main job's applications.xlsx lists it (who, when, why)
    withdraw = ["eligibility", "withdraw", "--round", str(dest), "--application", "42"]
    assert main([*withdraw, "--by", "山田", "--reason", "辞退の文書"]) == 0
    capsys.readouterr()
    assert main(["run", "--round", str(dest)]) == 0
    out = capsys.readouterr().out
    for name in ("applications.xlsx", "committee.html", "committee.xlsx", "committee.pdf"):
        assert (dest / "reports" / name).is_file()
        assert f"書き出しました: {dest / 'reports' / name}" in out
    assert out.index("applications.xlsx") < out.index("選定案（5件")  # the main job ends with the material
    wb = openpyxl.load_workbook(dest / "reports" / "applications.xlsx")
    assert "受付の判断" in wb.sheetnames
    *demo_push, row = list(wb["受付の判断"].iter_rows(min_row=2, values_only=True))
    assert len(demo_push) == 2  # the demo's own プッシュ型 decisions (03, 39; issue 19)
    assert "辞退" in row and "山田" in row and "辞退の文書" in row and "42" in row
    status = {r[0]: r[5] for r in wb["受付の状況"].iter_rows(min_row=2, values_only=True)}
    assert status["42"] == "辞退"
    # `report --out` writes the material elsewhere
    elsewhere = tmp_path / "elsewhere"
    assert main(["report", "--round", str(dest), "--out", str(elsewhere)]) == 0
    out = capsys.readouterr().out
    assert "選定案（5件" in out and "committee.html" in out and "設定ハッシュ" in out
    assert (elsewhere / "committee.html").stat().st_size > 10_000
    openpyxl.load_workbook(elsewhere / "committee.xlsx")
    assert (elsewhere / "committee.pdf").read_bytes()[:5] == b"%PDF-"


def test_the_notebook_panel_records_and_shows_errors(rdir: Path) -> None:
    from scoring.ui.eligibility_view import EligibilityPanel

    panel = EligibilityPanel(load_round(rdir))
    assert ("05 秋田県", "05") in panel.application.options
    panel.action.value, panel.application.value = "withdraw", "42"
    panel.by.value, panel.reason.value = "山田", ""
    panel.button.click()  # not confirmed: nothing recorded, the panel says what to do
    assert "まだ記録していません" in panel.message.value and load_round(rdir).eligibility_records == []
    panel.confirm.value = True
    panel.button.click()
    assert "記録できませんでした" in panel.message.value and "理由（--reason）が空です" in panel.message.value
    assert load_round(rdir).eligibility_records == []
    panel.reason.value = "県から辞退の文書"
    panel.button.click()  # the confirmation stays ticked after a refusal
    assert "記録しました: 応募 42 辞退（山田" in panel.message.value
    assert panel.rnd.applications.loc["42", "withdrawn"] and panel.reason.value == ""
    assert not panel.confirm.value  # each record is confirmed on its own
    panel.action.value, panel.application.value, panel.reason.value = "correction", "20", "誤記"
    panel.original.value = "2026-02-20T16:30"
    panel.confirm.value = True
    panel.button.click()
    assert "記録しました: 応募 20 訂正" in panel.message.value
    [_, rec] = panel.rnd.eligibility_records
    assert rec.original_received == dt.datetime(2026, 2, 20, 16, 30, tzinfo=JST)
    assert not panel.rnd.applications.loc["20", "late"]


def test_the_committee_material_and_a_recorded_decision_follow_eligibility(demo_round_copy: Path) -> None:
    from scoring.analysis.committee import build_committee, record_committee_decision
    from scoring.demo.simulate import write_demo_scores
    from scoring.reporting.feedback import letter_result

    rnd = load_round(demo_round_copy)
    with rnd.store() as store:
        write_demo_scores(rnd, store)
    c = build_committee(rnd, n_boot=1)
    assert c.exclusion_reasons["05"] == EXCLUSION_REASONS["late"]
    decided = [a for a in c.selection.selected]
    record_committee_decision(rnd, decided, by="委員会事務局")
    record_eligibility(rnd, "accept_late", "05", by="山田", reason="郵便事故")
    record_eligibility(rnd, "withdraw", decided[0], by="山田", reason="辞退の文書")
    other = next(a for a in rnd.applications.index if a not in decided and a != "05")
    record_eligibility(rnd, "withdraw", other, by="山田", reason="辞退の文書")
    rnd = load_round(demo_round_copy)
    c = build_committee(rnd, n_boot=1)
    assert c.exclusion_reasons["05"] == "" and c.exclusion_reasons[decided[0]] == "辞退のため対象外"
    assert decided[0] not in c.selection.selected and other not in c.selection.selected
    assert letter_result(c, other) == ("審査対象外", "辞退のため対象外")
    # the recorded decision still selects the withdrawn one: the material warns that it predates the change
    assert letter_result(c, decided[0]) == ("選定", "")
    assert any("受付の判断" in w for w in c.all_warnings)
    # the material lists the recorded decisions (who, why) in its settings notes
    from scoring.reporting.committee_report import committee_html
    from scoring.reporting.committee_tables import summary

    page = committee_html(c, charts=False)
    assert (
        "受付の判断（期限後受理・訂正・再提出・辞退）" in page and "辞退の文書" in page and "郵便事故" in page
    )
    rows = dict(zip(summary(c).iloc[:, 0], summary(c).iloc[:, 1]))
    assert (
        "05 秋田県（期限後・受理）: 期限後受理（山田" in rows["受付の判断（期限後受理・訂正・再提出・辞退）"]
    )
