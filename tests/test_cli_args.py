"""The command line's parser speaks Japanese, and counts that make no sense are refused (issue 18, Low)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from roundcopy import demo_ignore

from scoring.cli import main
from scoring.cli_args import translate
from scoring.core.paths import DEMO_ROUND

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def demo_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "round"
    shutil.copytree(DEMO_ROUND, dest, ignore=demo_ignore("assignments.csv"))
    yaml_path = dest / "round.yaml"
    yaml_path.write_text(
        yaml_path.read_text(encoding="utf-8").replace("../../rubrics/", str(ROOT / "rubrics") + "/"),
        encoding="utf-8",
    )
    return dest


def _parse_error(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as info:
        main(args)
    assert info.value.code == 2
    return capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["nosuch"], ["「nosuch」は選べません", "run、validate"]),
        (["assign"], ["次の引数を指定してください: --per-application"]),
        (["assign", "--per-application", "x"], ["引数 --per-application", "「x」は整数として読めません"]),
        (["select", "--bogus"], ["使えない引数があります: --bogus"]),
        (["sheets", "export", "--out", "x"], ["次の引数のどれか 1 つを指定してください: --reviewer --all"]),
        (["sheets", "export", "--reviewer", "R1", "--all", "--out", "x"], ["と同時には指定できません"]),
        (["assign", "--per-application"], ["値を 1 つ指定してください"]),
    ],
)
def test_argparse_errors_are_japanese(
    args: list[str], expected: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    err = _parse_error(args, capsys)
    assert err.startswith("使い方: python -m scoring"), err
    assert "エラー: " in err and all(e in err for e in expected), err
    english = re.findall(r"\b(usage|error|argument|required|invalid|unrecognized|expected|choose)\b", err)
    assert english == [], err


def test_help_is_japanese(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["assign", "-h"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("使い方: ") and "オプション:" in out and "この説明を表示して終了する" in out
    assert "show this help" not in out and "options:" not in out


def test_an_unknown_message_is_left_as_it_is() -> None:
    assert translate("something new in Python 3.99") == "something new in Python 3.99"


@pytest.mark.parametrize("top", ["-5", "0", "x"])
def test_push_candidates_top_must_be_positive(
    demo_copy: Path, top: str, capsys: pytest.CaptureFixture[str]
) -> None:
    err = _parse_error(["push-candidates", "--round", str(demo_copy), "--top", top], capsys)
    assert f"引数 --top: 「{top}」" in err and "1 以上の整数を指定してください" in err
    assert capsys.readouterr().out == ""


def test_assign_refuses_more_reviewers_per_application_than_there_are(
    demo_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    existing = demo_copy / "assignments.csv"
    assert main(["assign", "--round", str(demo_copy), "--per-application", "99"]) == 2
    err = capsys.readouterr().err
    assert "--per-application「99」" in err and "6 名" in err and "以下で指定してください" in err
    assert not existing.exists()
    assert main(["assign", "--round", str(demo_copy), "--per-application", "3"]) == 0
    before = existing.read_bytes()
    # Neither a refused count, even with --force, nor a second run without --force touches it.
    assert main(["assign", "--round", str(demo_copy), "--per-application", "99", "--force"]) == 2
    assert main(["assign", "--round", str(demo_copy), "--per-application", "2"]) == 1
    assert "--force" in capsys.readouterr().err
    assert existing.read_bytes() == before


@pytest.mark.parametrize(
    "args",
    [
        ["template", "{missing}/form.xlsx"],
        ["progress", "--round", "{round}", "--xlsx", "{missing}/p.xlsx"],
        ["feedback", "--round", "{round}", "--drafts", "{missing}/drafts.yaml"],
    ],
)
def test_output_files_never_create_folders(
    demo_copy: Path, tmp_path: Path, args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "no" / "such"
    argv = [a.format(missing=missing, round=demo_copy) for a in args]
    err = _parse_error(argv, capsys)
    assert f"書き出し先のフォルダ {missing} がありません" in err and "自動では作りません" in err
    assert not (tmp_path / "no").exists()
