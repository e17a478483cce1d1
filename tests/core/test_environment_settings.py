"""The environment variables are read in one place (scoring.core.environment)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import scoring
from scoring.core.environment import ENV_DATABASE_URL, ENV_ROUND, Environment, environment
from scoring.core.keys import default_key_path
from scoring.round.loader import round_path

PACKAGE = Path(scoring.__file__).resolve().parent


def test_read_takes_each_variable_stripped_and_blank_as_unset() -> None:
    env = Environment.read(
        {
            "SCORING_ROUND": " /r ",
            "SCORING_DATABASE_URL": "   ",
            "JUPYTERHUB_USER": "r1",
            "SCORING_SIGNING_KEY": "/k",
            "SHINSA_STATE_FILE": "/s.json",
            "OTHER": "x",
        }
    )
    assert env == Environment(
        round="/r", database_url="", signing_key="/k", state_file="/s.json", hub_user="r1"
    )
    assert Environment.read({}) == Environment()


def test_the_process_environment_is_read_when_needed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(ENV_ROUND, str(tmp_path))
    monkeypatch.setenv("SCORING_SIGNING_KEY", str(tmp_path / "k"))
    assert environment().round == str(tmp_path) and round_path() == tmp_path
    assert default_key_path() == tmp_path / "k"
    monkeypatch.delenv(ENV_ROUND)
    monkeypatch.setenv(ENV_DATABASE_URL, "sqlite:////x.sqlite")
    assert environment().round == "" and environment().database_url == "sqlite:////x.sqlite"


def test_no_other_module_reads_the_environment() -> None:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.relative_to(PACKAGE).as_posix() == "core/environment.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in ("environ", "getenv")
                and isinstance(node.value, ast.Name)
                and node.value.id == "os"
            ):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert found == []
