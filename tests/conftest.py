"""Shared fixtures. Application files are built in tmp_path; no binaries are committed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from scoring.template import example_values, write_template

make_valid_values = example_values


@pytest.fixture
def valid_values() -> Callable[..., dict[str, Any]]:
    """Factory: ``valid_values(code="20", **overrides)`` → a complete valid application dict."""
    return make_valid_values


@pytest.fixture
def write_app(tmp_path: Path) -> Callable[..., Path]:
    """Factory: ``write_app(name, code="20", **overrides)`` writes a filled 応募書 in tmp_path."""

    def write(name: str, code: str = "20", **overrides: Any) -> Path:
        return write_template(tmp_path / name, make_valid_values(code, **overrides))

    return write
