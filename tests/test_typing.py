"""The package is typed (STYLE.md): mypy, as configured in pyproject.toml, finds no issue."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parent.parent


def test_pandas_stubs_are_installed():
    """Without pandas-stubs a DataFrame is ``Any`` to mypy and the check below has no teeth."""
    try:
        importlib.metadata.version("pandas-stubs")
    except importlib.metadata.PackageNotFoundError:
        pytest.fail("pandas-stubs is not installed: pip install -e '.[test]' (it is in the test extra).")


def test_mypy_reuses_its_cache_in_the_project():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    assert config["cache_dir"] == ".mypy_cache"
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert ".mypy_cache/" in ignored or ".mypy_cache" in ignored


def test_mypy_passes_on_the_package():
    pytest.importorskip("mypy")
    # The cache is .mypy_cache at the project root ([tool.mypy] cache_dir), so a repeated run is fast.
    proc = subprocess.run(
        [sys.executable, "-m", "mypy"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (ROOT / "scoring" / "py.typed").exists()
