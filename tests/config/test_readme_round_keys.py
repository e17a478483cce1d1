"""README documents every key of round.yaml and reviewers.yaml, and its examples are valid files."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from scoring.config.letters import LetterSettings
from scoring.config.round import Balance, Reviewer, ReviewerList, RoundConfig, SelectSpec

README = Path(__file__).resolve().parents[2] / "README.md"


def _block(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(title)
    m = re.search(r"```yaml\n(.*?)```", text[start:], re.DOTALL)
    assert m is not None, f"README の「{title}」に yaml の例がありません"
    return m.group(1)


def test_every_round_key_is_in_the_readme_example_and_the_example_is_valid() -> None:
    block = _block("### round.yaml の全項目")
    keys = set(re.findall(r"^\s*(\w+):", block, re.MULTILINE)) | set(re.findall(r"[{,]\s*(\w+):", block))
    for model in (RoundConfig, SelectSpec, Balance, LetterSettings):
        missing = set(model.model_fields) - keys
        assert not missing, f"README の round.yaml の例に {sorted(missing)} がありません"
    cfg = RoundConfig.model_validate(yaml.safe_load(block))
    assert cfg.locks == ("20",) and cfg.exclusions == ("05",) and not cfg.demo


def test_every_reviewer_key_is_in_the_readme_example_and_the_example_is_valid() -> None:
    block = _block("### reviewers.yaml の全項目")
    keys = set(re.findall(r"^\s*(?:- )?(\w+):", block, re.MULTILINE))
    missing = set(Reviewer.model_fields) - keys
    assert not missing, f"README の reviewers.yaml の例に {sorted(missing)} がありません"
    [r] = ReviewerList.model_validate(yaml.safe_load(block)).reviewers
    assert r.conflicts == ("20", "42") and r.assignments == ("01", "05") and r.role == "総務省"
