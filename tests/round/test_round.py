"""The review round folder: round.yaml, reviewers.yaml, rubric, applications."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from roundcopy import demo_ignore

from scoring import load_round
from scoring.config.rubric import RubricError
from scoring.core.errors import ConfigError
from scoring.core.paths import DEMO_ROUND
from scoring.core.schema import PROBLEM_COLUMNS
from scoring.round.loader import round_path


@pytest.fixture
def round_dir(tmp_path: Path) -> Path:
    """A private copy of the demo round (without any score database)."""
    dest = tmp_path / "round"
    shutil.copytree(DEMO_ROUND, dest, ignore=demo_ignore())
    text = (dest / "round.yaml").read_text(encoding="utf-8")
    # The rubric path is relative to the round folder: point it at the repository's rubric.
    (dest / "round.yaml").write_text(
        text.replace(
            "../../rubrics/r8_talent_pool.yaml",
            str(DEMO_ROUND.parent.parent / "rubrics" / "r8_talent_pool.yaml"),
        ),
        encoding="utf-8",
    )
    return dest


def test_demo_round_loads_with_the_documented_attributes(round_dir):
    rnd = load_round(round_dir)
    assert len(rnd.applications) == 16
    assert rnd.applications.index.name == "application"
    assert {"prefecture_name", "block", "theme", "application_type", "late"} <= set(rnd.applications.columns)
    assert [r.id for r in rnd.reviewers] == ["R1", "R2", "R3", "R4", "R5", "R6"]
    assert sorted({r.role for r in rnd.reviewers}) == ["委託事業者", "有識者", "総務省"]
    assert [r.id for r in rnd.reviewers if r.conflicts] == ["R6"]
    assert rnd.rubric.total_weight == 100
    assert list(rnd.problems.columns) == list(PROBLEM_COLUMNS)
    assert not rnd.has_errors
    assert rnd.applications["late"].sum() == 1
    assert rnd.config.select.target == 5
    assert rnd.config.deadline.utcoffset().total_seconds() == 9 * 3600


def test_round_chosen_by_environment_variable(round_dir, monkeypatch):
    monkeypatch.setenv("SCORING_ROUND", str(round_dir))
    assert round_path() == round_dir
    assert load_round().path == round_dir
    monkeypatch.delenv("SCORING_ROUND")
    assert round_path() == DEMO_ROUND


def test_block_scheme_is_a_setting(round_dir):
    yaml_path = round_dir / "round.yaml"
    yaml_path.write_text(
        yaml_path.read_text(encoding="utf-8").replace("8blocks", "10blocks"), encoding="utf-8"
    )
    rnd = load_round(round_dir)
    assert rnd.applications.at["20", "block"] == "北陸信越"
    assert rnd.config.block_scheme == "10blocks"


def test_bad_round_yaml_names_file_line_and_every_problem(round_dir):
    (round_dir / "round.yaml").write_text(
        "name: テスト\n"
        "deadline: 2026-02-20T17:00:00\n"  # no time zone
        "rubric: r8_talent_pool.yaml\n"
        "select: {target: 5, min: 6}\n"  # min > target
        "block_scheme: 9blocks\n"
        "balanse: {}\n",  # typo
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as e:
        load_round(round_dir)
    lines = {p.line: p.message for p in e.value.problems}
    assert set(lines) == {2, 4, 5, 6}
    assert "タイムゾーン" in lines[2]
    assert "min" in lines[4]
    assert "9blocks" in lines[5] and "8blocks" in lines[5]
    assert "balanse" in lines[6]
    assert str(round_dir / "round.yaml") in str(e.value)


def test_yaml_syntax_error_gives_line(round_dir):
    (round_dir / "round.yaml").write_text("name: x\ndeadline: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_round(round_dir)
    assert e.value.problems[0].line is not None and "YAML" in e.value.problems[0].message


def test_bad_reviewers_are_reported_with_lines(round_dir):
    (round_dir / "reviewers.yaml").write_text(
        "reviewers:\n"
        "  - id: R1\n"
        "    name: 架空 一郎\n"
        "    role: 総務省\n"
        "  - id: R1\n"  # duplicate id
        "    name: 架空 二郎\n"
        "    role: 大臣\n"  # unknown role
        "    conflicts: [長埼県]\n",  # unknown prefecture, closest is 長崎県
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as e:
        load_round(round_dir)
    text = str(e.value)
    assert "7行目" in text and "総務省" in text  # role with the allowed values
    assert "8行目" in text and "長崎県" in text  # conflict, with a suggestion


def test_duplicate_reviewer_id(round_dir):
    (round_dir / "reviewers.yaml").write_text(
        "reviewers:\n  - {id: R1, name: a, role: 総務省}\n  - {id: R1, name: b, role: 有識者}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="R1.*重複"):
        load_round(round_dir)


def test_conflicts_accept_names_and_codes(round_dir):
    (round_dir / "reviewers.yaml").write_text(
        "reviewers:\n  - {id: R1, name: a, role: 総務省, conflicts: [長野, '38', 北海道]}\n", encoding="utf-8"
    )
    assert load_round(round_dir).reviewers[0].conflicts == ("20", "38", "01")


def test_assignment_to_a_conflicted_application_is_an_error(round_dir):
    (round_dir / "reviewers.yaml").write_text(
        "reviewers:\n"
        "  - id: R1\n    name: a\n    role: 総務省\n    conflicts: ['20']\n    assignments: ['20', '38', '13']\n",
        encoding="utf-8",
    )
    rnd = load_round(round_dir)
    rows = rnd.problems[rnd.problems["field"] == "R1 の担当"]
    assert set(rows["severity"]) == {"error", "warning"}
    assert rows[rows["severity"] == "error"]["message"].str.contains("利害関係").all()
    assert rows[rows["severity"] == "warning"]["message"].str.contains("13").all()
    assert rnd.has_errors


def test_missing_folder_and_missing_parts(tmp_path, round_dir):
    with pytest.raises(ConfigError, match="見つかりません"):
        load_round(tmp_path / "nowhere")
    shutil.rmtree(round_dir / "applications")
    with pytest.raises(ConfigError, match="applications"):
        load_round(round_dir)


def test_missing_rubric_and_bad_rubric(round_dir):
    path = round_dir / "round.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("r8_talent_pool.yaml", "no_such_rubric.yaml"), encoding="utf-8")
    with pytest.raises(RubricError):
        load_round(round_dir)


def test_a_rubric_name_resolves_to_the_bundled_rubrics(round_dir):
    path = round_dir / "round.yaml"
    lines = [
        ln if not ln.startswith("rubric:") else "rubric: r8_talent_pool"
        for ln in path.read_text(encoding="utf-8").splitlines()
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert load_round(round_dir).rubric.id == "r8_talent_pool"


def test_settings_messages_name_the_key_in_japanese(round_dir):
    """round.yaml and reviewers.yaml errors go through the one pydantic translator."""
    (round_dir / "round.yaml").write_text(
        'name: テスト\ndeadline: "2026-02-20T17:00:00+09:00"\nrubric: r8_talent_pool.yaml\n'
        "balance: {max_per_block: 0}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as e:
        load_round(round_dir)
    [problem] = e.value.problems
    assert problem.line == 4
    assert (
        problem.message
        == "バランスの条件（balance）の同一ブロックの上限（max_per_block）は 1 以上にしてください（現在 0）"
    )
