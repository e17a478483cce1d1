"""Shared fixtures. Application files are built in tmp_path; no binaries are committed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from scoring.intake.template import example_values, write_template

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


def copy_demo_round(dest: Path) -> Path:
    """Copy the demo round to ``dest/data/demo`` with ``dest/rubrics`` beside it.

    The layout is kept because round.yaml names its rubric by a relative path
    (``../../rubrics/...``). A score database in the demo folder is not copied.
    Returns the copied round folder.
    """
    import shutil

    from scoring import DEMO_ROUND
    from scoring.core.paths import PROJECT_DIR

    ignore = shutil.ignore_patterns("scores.sqlite*", "*.sqlite-wal", "*.sqlite-shm", "__pycache__")
    round_dir = dest / "data" / "demo"
    shutil.copytree(DEMO_ROUND, round_dir, ignore=ignore)
    if not (dest / "rubrics").exists():
        shutil.copytree(PROJECT_DIR / "rubrics", dest / "rubrics")
    return round_dir


@pytest.fixture
def demo_round_copy(tmp_path: Path) -> Path:
    """A fresh copy of the demo round in tmp_path (no score database): its folder."""
    return copy_demo_round(tmp_path / "round")


@pytest.fixture(scope="session")
def demo_round_copier() -> Callable[[Path], Path]:
    """The function :func:`copy_demo_round` (for fixtures of wider scope than a test)."""
    return copy_demo_round


# ---------------------------------------------------------------------------
# Score store fixtures (issue 3): the demo round loaded once, and a store URL per backend.
# ---------------------------------------------------------------------------

import os as _os
import uuid as _uuid

#: Set (e.g. by .ci/run) to also run the store tests against PostgreSQL.
PG_URL = _os.environ.get("SCORING_TEST_DATABASE_URL", "").strip()


@pytest.fixture(scope="session")
def store_round(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The demo round loaded once from a session copy (no scores). Read only: do not modify it."""
    from scoring.round.loader import load_round

    return load_round(copy_demo_round(tmp_path_factory.mktemp("store_round")))


def _pg_schema_url(base: str) -> tuple[str, str]:
    schema = f"t_{_uuid.uuid4().hex[:12]}"
    sep = "&" if "?" in base else "?"
    return schema, f"{base}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.skipif(
    not PG_URL, reason="SCORING_TEST_DATABASE_URL が未設定（PostgreSQL のテストは CI で実行）"))])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """A fresh, empty score-store URL: a SQLite file, or a new PostgreSQL schema (dropped after)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'scores.sqlite'}"
        return
    import sqlalchemy as sa

    schema, url = _pg_schema_url(PG_URL)
    admin = sa.create_engine(PG_URL)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        yield url
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.dispose()
