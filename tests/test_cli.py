"""The command line: the main job, validate, template, lab-settings."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from roundcopy import demo_ignore

from scoring.cli import lab_settings_path, main
from scoring.core.paths import DEMO_ROUND

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def demo_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "round"
    shutil.copytree(DEMO_ROUND, dest, ignore=demo_ignore())
    yaml_path = dest / "round.yaml"
    yaml_path.write_text(
        yaml_path.read_text(encoding="utf-8").replace("../../rubrics/", str(ROOT / "rubrics") + "/"),
        encoding="utf-8",
    )
    return dest


def test_main_job_on_a_round_prints_summary_and_writes_workbook(demo_copy, tmp_path, capsys):
    assert main(["run", "--round", str(demo_copy), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "応募: 16 件" in out and "審査員: 6 名" in out
    assert "05_akita.xlsx" in out and "期限後提出" in out  # the late file is in the problems table
    assert "10_gunma.xlsx" in out  # the warning file
    wb = openpyxl.load_workbook(tmp_path / "out" / "applications.xlsx")
    assert wb.sheetnames == ["応募一覧", "応募書の内容", "問題一覧", "受付の状況", "件数", "注記"]
    status = {r[0].value: r[5].value for r in wb["受付の状況"].iter_rows(min_row=2)}
    assert status["05"] == "期限後・未受理" and status["20"] == "期限内" and len(status) == 16
    ws = wb["応募一覧"]
    assert ws.max_row == 17 and ws["A1"].value == "応募ID"
    headers = [c.value for c in ws[1]]
    col = headers.index("市町村数（団体）") + 1
    assert isinstance(ws.cell(row=2, column=col).value, int)  # numbers stay numbers
    notes = {r[0].value: r[1].value for r in wb["注記"].iter_rows(min_row=2)}
    assert notes["提出期限（和暦）"].startswith("令和8年2月20日")
    assert len(notes["評価基準の版"]) == 12
    assert not any(ws.merged_cells.ranges for ws in wb.worksheets)


def test_main_job_as_a_subprocess_with_the_environment_variable(demo_copy, tmp_path):
    env = {
        "SCORING_ROUND": str(demo_copy),
        "PATH": "/usr/bin:/bin",
        "SCORING_SIGNING_KEY": os.environ["SCORING_SIGNING_KEY"],
        "SCORING_LEGACY_KEY": os.environ["SCORING_LEGACY_KEY"],
    }  # never the developer's keys
    proc = subprocess.run(
        [sys.executable, "-m", "scoring", "run", "--out", str(tmp_path / "r")],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert str(demo_copy) in proc.stdout
    assert (tmp_path / "r" / "applications.xlsx").exists()


def test_main_job_with_a_broken_round_yaml_explains_and_exits_2(demo_copy, capsys):
    (demo_copy / "round.yaml").write_text("name: x\n", encoding="utf-8")
    assert main(["run", "--round", str(demo_copy)]) == 2
    err = capsys.readouterr().err
    assert "deadline" in err and "round.yaml" in err


def test_validate_exit_codes(demo_copy, tmp_path, capsys):
    assert main(["validate", str(demo_copy)]) == 0  # warnings only (late, breakdown)
    out = capsys.readouterr().out
    assert "05_akita.xlsx" in out and "警告" in out
    (demo_copy / "applications" / "broken.xlsx").write_bytes(b"not a workbook")
    assert main(["validate", str(demo_copy / "applications")]) == 1
    assert "broken.xlsx" in capsys.readouterr().out


def test_template_command_writes_a_form_that_reads_back_as_empty(tmp_path, capsys):
    out = tmp_path / "form.xlsx"
    assert main(["template", str(out)]) == 0
    from scoring.intake.applications import read_application

    row, problems = read_application(out)
    assert row is None  # no prefecture: cannot be keyed
    assert any(p["field"] == "都道府県名" and p["severity"] == "error" for p in problems)


def test_lab_settings_make_japanese_the_default(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "prefix", str(tmp_path))
    path = lab_settings_path()
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"other": {"x": 1}}), encoding="utf-8")
    assert main(["lab-settings"]) == 0
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["@jupyterlab/translation-extension:plugin"]["locale"] == "ja_JP"
    assert data["other"] == {"x": 1}  # existing overrides are kept
    # No news pop-up, no update check (the values JupyterLab's schema expects).
    assert data["@jupyterlab/apputils-extension:notification"] == {
        "fetchNews": "false",
        "checkForUpdates": False,
    }


def test_the_japanese_language_pack_is_installed():
    import importlib.metadata as md

    assert md.version("jupyterlab-language-pack-ja-JP")


@pytest.mark.parametrize(
    "args",
    [["--help"], ["validate", "data/demo"], ["template", "{tmp}/t.xlsx"]],
    ids=["help", "validate", "template"],
)
def test_light_commands_do_not_import_the_scientific_stack(args: list[str], tmp_path: Path) -> None:
    """--help, validate and template start fast: no scikit-learn, scipy or matplotlib."""
    argv = [a.format(tmp=tmp_path) for a in args]
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "scoring", *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if "|" in line}
    assert "scoring.cli" in imported
    heavy = sorted(m for m in imported if m.split(".")[0] in ("sklearn", "scipy", "matplotlib"))
    assert heavy == []


def test_report_on_a_round_without_scores_fails_and_keeps_the_old_material(tmp_path: Path, capsys) -> None:
    from scoring.cli import main

    rd = tmp_path / "round"
    shutil.copytree(DEMO_ROUND, rd, ignore=demo_ignore())
    (rd / "round.yaml").write_text(
        (rd / "round.yaml")
        .read_text(encoding="utf-8")
        .replace("../../rubrics/r8_talent_pool.yaml", str(ROOT / "rubrics" / "r8_talent_pool.yaml")),
        encoding="utf-8",
    )
    out = tmp_path / "reports"
    out.mkdir()
    (out / "committee.html").write_text("old", encoding="utf-8")
    assert main(["report", "--round", str(rd), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "まだ採点がありません" in err and "python -m scoring demo --round" in err
    assert (out / "committee.html").read_text(encoding="utf-8") == "old"
    assert not (out / "committee.xlsx").exists()
    assert main(["select", "--round", str(rd)]) == 2


def test_unexpected_errors_are_one_japanese_line_and_the_traceback_with_debug(monkeypatch, capsys) -> None:
    from scoring import cli

    def boom(args):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(cli, "_cmd_template", boom)
    assert cli.main(["template", "x.xlsx"]) == 2
    err = capsys.readouterr().err
    assert (
        err.startswith("エラー: 予期しないエラーが発生しました（ZeroDivisionError") and "Traceback" not in err
    )
    assert len(err.strip().splitlines()) == 1
    assert cli.main(["--debug", "template", "x.xlsx"]) == 2
    assert "Traceback" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["assign", "--per-application", "0"], ["--per-application「0」", "1 以上の整数"]),
        (["select", "--method", "nope"], ["--method「nope」", "mean（平均）", "affine", "指定してください"]),
        (["db-setup", "--admin-url", "garbage"], ["--admin-url", "postgresql+psycopg://"]),
    ],
)
def test_a_bad_option_is_one_japanese_line_naming_it_and_the_allowed_values(
    demo_copy: Path, capsys: pytest.CaptureFixture[str], args: list[str], expected: list[str]
) -> None:
    assert main([args[0], "--round", str(demo_copy), *args[1:]]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("エラー: ") and "予期しないエラー" not in err
    assert all(e in err for e in expected), err
