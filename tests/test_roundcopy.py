"""The tests' copies of the demo round leave out what ``make demo`` writes on this machine.

``make demo`` runs ``keys init``, which lists the developer's key in ``data/demo/keys/``; a
copy that carried that list would refuse the tests' own throw-away signing key (every test
that records something would fail after ``make demo``, the README's first command).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from roundcopy import copy_demo_round

import scoring
from scoring.core.paths import PROJECT_DIR


def test_a_copy_of_the_demo_after_make_demo_has_no_key_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo = tmp_path / "project" / "data" / "demo"
    shutil.copytree(PROJECT_DIR / "data" / "demo", demo, ignore=shutil.ignore_patterns("keys", "*.sqlite*"))
    (demo / "keys").mkdir()
    (demo / "keys" / "public_keys.json").write_text('{"v": 1, "people": []}', encoding="utf-8")
    monkeypatch.setattr(scoring, "DEMO_ROUND", demo)
    copied = copy_demo_round(tmp_path / "copy")
    assert (copied / "round.yaml").is_file()
    assert not (copied / "keys").exists()
