"""Errors a user or the analyst can cause are ShinsaError subclasses (clean line, exit 2 in the CLI)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scoring.combine import METHODS, make_combiner
from scoring.config.round import set_round_rubric
from scoring.core.errors import ConfigError, OptionError, ShinsaError, ValueFormatError
from scoring.core.normalize import parse_int, parse_prefecture


def test_unreadable_values_are_value_format_errors() -> None:
    with pytest.raises(ValueFormatError, match="都道府県名として認識できません") as info:
        parse_prefecture("どこか")
    assert isinstance(info.value, ShinsaError) and isinstance(info.value, ValueError)
    with pytest.raises(ValueFormatError, match="小数です"):
        parse_int("1.5")


def test_an_unknown_method_names_the_allowed_ones() -> None:
    with pytest.raises(OptionError, match="method 'nope' はありません") as info:
        make_combiner("nope")
    assert all(m in str(info.value) for m in METHODS)
    with pytest.raises(OptionError, match="使えるオプション"):
        make_combiner("mean", nope=1)


def test_a_round_yaml_without_a_rubric_line_is_a_config_error(tmp_path: Path) -> None:
    yaml_path = tmp_path / "round.yaml"
    yaml_path.write_text("name: テスト\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="rubric: の行がありません") as info:
        set_round_rubric(yaml_path, tmp_path / "r.yaml")
    assert info.value.problems[0].file == str(yaml_path)
    assert yaml_path.read_text(encoding="utf-8") == "name: テスト\n"
