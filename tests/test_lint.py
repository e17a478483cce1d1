"""The linter runs: ``ruff check`` finds nothing in the package, the tests, the benchmarks,
the scripts and the hub's configuration, and ``ruff format --check`` finds them formatted.

Configured in pyproject.toml ``[tool.ruff]``; ruff is pinned in the ``test`` extra, so every
machine reports alike. To fix: ``.venv/bin/ruff check --fix scoring tests benchmarks scripts deploy``
and ``.venv/bin/ruff format scoring tests benchmarks scripts deploy``. The commit that first
formatted the whole tree is listed in ``.git-blame-ignore-revs`` (``git config
blame.ignoreRevsFile .git-blame-ignore-revs`` to skip it in ``git blame``).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TREES = ["scoring", "tests", "benchmarks", "scripts", "deploy"]


def _ruff() -> str:
    found = Path(sys.executable).with_name("ruff")
    ruff = str(found) if found.exists() else shutil.which("ruff")
    if ruff is None:
        pytest.fail("ruff is not installed: pip install -e '.[test]' (it is in the test extra).")
    return ruff


def test_ruff_check_finds_nothing() -> None:
    out = subprocess.run([_ruff(), "check", *TREES], cwd=ROOT, capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]


def test_ruff_format_finds_nothing_to_change() -> None:
    """The same trees as ``ruff check`` are formatted as ``ruff format`` would write them."""
    out = subprocess.run(
        [_ruff(), "format", "--check", *TREES], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]


def test_ruff_format_check_can_fail(tmp_path: Path) -> None:
    """The same command reports a file it would reformat (guards against a check that cannot fail)."""
    bad = tmp_path / "bad.py"
    bad.write_text("x  =  [1,2]\n", encoding="utf-8")
    out = subprocess.run(
        [_ruff(), "format", "--check", "--no-cache", str(bad)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 1 and "bad.py" in out.stdout


def test_ruff_check_can_fail(tmp_path: Path) -> None:
    """The same command reports an unused import (guards against a check that cannot fail)."""
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n", encoding="utf-8")
    out = subprocess.run(
        [_ruff(), "check", "--no-cache", str(bad)], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert out.returncode == 1 and "F401" in out.stdout
