"""Shared fixtures. Application files are built in tmp_path; no binaries are committed."""

from __future__ import annotations

import contextlib
import gc
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from roundcopy import copy_demo_round

from scoring.admin.trialdb import PgClusterError, find_pg_bindir, temp_pg_cluster
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


# ---------------------------------------------------------------------------
# The longest test files first
# ---------------------------------------------------------------------------

#: Test files that take the longest (wall seconds in ``make test``, measured), in that order. ``make test`` runs
#: with ``--dist loadfile --no-loadscope-reorder``: xdist hands out whole files in collection
#: order, so these start first and the short files fill in beside them at the end, instead of
#: one long file starting last on one worker while the other one is idle.
SLOWEST_FILES = (
    "tests/test_round_procedure.py",
    "tests/ui/test_review_real_use_ui.py",
    "tests/ui/test_committee_ui.py",
    "tests/ui/test_review_ui.py",
    "tests/store/test_store_concurrency.py",
    "tests/test_notebooks.py",
    "tests/ui/test_review_a11y_ui.py",
    "tests/ui/test_applications_ui.py",
    "tests/ui/test_tuning_ui.py",
    "tests/analysis/test_committee.py",
    "tests/analysis/test_discussion_stage.py",
    "tests/admin/test_roles.py",
    "tests/store/test_constraints.py",
    "tests/round/test_eligibility.py",
    "tests/admin/test_siteaccess.py",
    "tests/test_typing.py",
)


#: The cyclic garbage collector's thresholds in the test processes: Python's (700, 10, 10) runs
#: a collection every 700 new containers, and the suite makes millions of them (pandas frames,
#: SQLAlchemy rows, WeasyPrint boxes); (50 000, 20, 20) measured 3–5 % less CPU on the heavy
#: test files for about 70 MB more memory per process. Cycles are still collected.
GC_THRESHOLDS = (50_000, 20, 20)


def pytest_configure(config: pytest.Config) -> None:
    """Collect garbage less often in this test process (:data:`GC_THRESHOLDS`)."""
    gc.set_threshold(*GC_THRESHOLDS)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put the files of :data:`SLOWEST_FILES` first (the rest keep their order)."""
    rank = {name: i for i, name in enumerate(SLOWEST_FILES)}

    def key(item: pytest.Item) -> int:
        return rank.get(item.path.relative_to(REPO_DIR).as_posix(), len(rank))

    items.sort(key=key)


# ---------------------------------------------------------------------------
# Tests never write into the working tree
# ---------------------------------------------------------------------------

REPO_DIR = Path(__file__).resolve().parents[1]
#: Folders of tools, not of the project (caches, the virtualenv, git itself).
_NOT_WATCHED = {
    ".git",
    ".venv",
    "__pycache__",
    ".pytest_cache",
    ".hypothesis",
    ".mypy_cache",
    ".ruff_cache",
    "node_modules",
    "build",
}
#: Folders of data that no test may change, add to or remove from.
_PROTECTED = ("data", "notebooks", "rubrics", "reports")
#: Source files that people add while the tests run (in a shared working tree); no test writes these.
_SOURCE_SUFFIXES = (".py", ".pyi", ".md")


def _tree_snapshot(root: Path = REPO_DIR) -> dict[str, tuple[int, int]]:
    """Every file of the working tree (outside :data:`_NOT_WATCHED`): path → (mtime_ns, size)."""
    snap: dict[str, tuple[int, int]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in _NOT_WATCHED and not d.endswith(".egg-info")]
        for name in filenames:
            path = os.path.join(dirpath, name)
            try:
                st = os.lstat(path)
            except OSError:
                continue
            snap[os.path.relpath(path, root)] = (st.st_mtime_ns, st.st_size)
    return snap


def tree_changes(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> list[str]:
    """What a test run did to the working tree: any new file, and any file of the data
    folders (:data:`_PROTECTED`) changed or removed. Source files (:data:`_SOURCE_SUFFIXES`)
    outside those folders are not compared: people edit and add them while tests run."""

    def protected(rel: str) -> bool:
        return rel.split(os.sep, 1)[0] in _PROTECTED

    out = [
        f"新規: {rel}"
        for rel in sorted(after.keys() - before.keys())
        if protected(rel) or not rel.endswith(_SOURCE_SUFFIXES)
    ]
    out += [
        f"変更: {rel}"
        for rel in sorted(after.keys() & before.keys())
        if protected(rel) and after[rel] != before[rel]
    ]
    out += [f"削除: {rel}" for rel in sorted(before.keys() - after.keys()) if protected(rel)]
    return out


@pytest.fixture(scope="session", autouse=True)
def working_tree_untouched() -> Iterator[None]:
    """Fails the run if a test created a file in the repository's working tree, or changed a
    file of data/, notebooks/, rubrics/ or reports/ (e.g. data/demo/scores.sqlite).
    Tests write only into their tmp_path."""
    before = _tree_snapshot()
    yield
    changes = tree_changes(before, _tree_snapshot())
    if changes:
        pytest.fail(
            "テストが作業ツリーに書き込みました（テストは tmp_path にだけ書くこと）:\n  "
            + "\n  ".join(changes[:50]),
            pytrace=False,
        )


@pytest.fixture(scope="session", autouse=True)
def signing_key_of_the_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every test signs with a throw-away analyst key, Ed25519 (never the developer's ~/.shinsa key).

    Subprocesses inherit them through the environment. Yields the Ed25519 key's path.
    """
    from scoring.core.keys import create_key_file

    folder = tmp_path_factory.mktemp("signing")
    folder.chmod(0o700)
    path = folder / "ed25519_key.pem"
    create_key_file(path)
    saved = {k: os.environ.get(k) for k in ("SCORING_SIGNING_KEY", "SCORING_LEGACY_KEY")}
    os.environ["SCORING_SIGNING_KEY"] = str(path)
    # the old HMAC key (採点表 manifests, old checkpoints): a throw-away one too
    os.environ["SCORING_LEGACY_KEY"] = str(folder / "signing.key")
    yield path
    for k, old in saved.items():
        if old is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = old


@pytest.fixture(autouse=True)
def review_state_of_the_test(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Each test remembers the reviewer's last application in a state file of its own (never
    the developer's ``~/.shinsa/review_state.json``); subprocesses inherit it."""
    path = tmp_path_factory.mktemp("review-state") / "review_state.json"
    monkeypatch.setenv("SHINSA_STATE_FILE", str(path))
    return path


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


#: An existing PostgreSQL database to test against instead of the throw-away cluster.
PG_URL_OVERRIDE = os.environ.get("SCORING_TEST_DATABASE_URL", "").strip()


@pytest.fixture(scope="session")
def store_round(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The demo round loaded once from a session copy (no scores). Read only: do not modify it."""
    from scoring.round.loader import load_round

    return load_round(copy_demo_round(tmp_path_factory.mktemp("store_round")))


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A PostgreSQL database URL (``postgresql+psycopg://...``) for the whole session.

    ``$SCORING_TEST_DATABASE_URL`` if set; otherwise a throw-away cluster started from the
    PostgreSQL server binaries (Debian's ``postgresql`` package, installed by
    ``make deps``) and removed at the end. Fails, never skips, without them.
    """
    if PG_URL_OVERRIDE:
        yield PG_URL_OVERRIDE
        return
    bindir = find_pg_bindir()
    if bindir is None:
        pytest.fail(
            "PostgreSQL のサーバー（initdb, pg_ctl）が見つかりません。PostgreSQL のテストは"
            "省略できません: `make deps`（Debian の postgresql）を実行するか、"
            "SCORING_TEST_DATABASE_URL に既存のデータベースを指定してください。"
        )
    try:
        with temp_pg_cluster(bindir) as url:
            yield url
    except PgClusterError as e:
        pytest.fail(str(e), pytrace=False)


def _pg_schema_url(base: str) -> tuple[str, str]:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    sep = "&" if "?" in base else "?"
    return schema, f"{base}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """A fresh, empty score-store URL: a SQLite file, or a new PostgreSQL schema (dropped after)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'scores.sqlite'}"
        return
    import sqlalchemy as sa

    base = request.getfixturevalue("pg_url")
    schema, url = _pg_schema_url(base)
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        yield url
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.dispose()


@pytest.fixture
def sqlite_locked(
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[[str], contextlib.AbstractContextManager[None]]:
    """``with sqlite_locked(url):`` another process holds the SQLite store's write lock, and
    our writers give up after 0.2 s instead of 60 s (the store is unreachable for writing)."""
    import sqlite3

    from scoring.store import eventlog

    monkeypatch.setattr(eventlog, "_SQLITE_LOCK_WAIT", 0.2)

    @contextlib.contextmanager
    def locked(url: str) -> Iterator[None]:
        conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None, timeout=0)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()

    return locked


@pytest.fixture
def pg_database(pg_url: str) -> Iterator[tuple[str, Callable[[bool], None]]]:
    """A PostgreSQL database of the test's own (URL) and ``cut(down)``: ``cut(True)`` drops
    every connection to it and refuses new ones (the server is unreachable for it),
    ``cut(False)`` lets connections in again. Dropped after the test."""
    import sqlalchemy as sa

    name = f"t_cut_{uuid.uuid4().hex[:10]}"
    base = sa.engine.make_url(pg_url)
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")

    def cut(down: bool) -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"ALTER DATABASE {name} ALLOW_CONNECTIONS {'false' if down else 'true'}")
            if down:
                conn.exec_driver_sql(
                    f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
                )

    try:
        yield base.set(database=name).render_as_string(hide_password=False), cut
    finally:
        cut(False)
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


# ---------------------------------------------------------------------------
# The browser of the UI and end-to-end tests (tests/ui, tests/deploy)
# ---------------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's chromium, launched by Playwright (headless)."""
    if not CHROMIUM.exists():
        pytest.fail(
            "ブラウザ /usr/bin/chromium がありません。Debian のパッケージを入れてください: "
            "apt-get install chromium fonts-noto-cjk（playwright install は使いません）"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="session")
def ui_artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Folder for screenshots (``$SHINSA_UI_ARTIFACTS`` if set, else a session temp dir)."""
    env = os.environ.get("SHINSA_UI_ARTIFACTS", "").strip()
    if env:
        path = Path(env)
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("ui-screenshots")
