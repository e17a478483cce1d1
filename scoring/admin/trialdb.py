"""A throw-away PostgreSQL cluster (initdb + pg_ctl), as root or as a normal user.

The trial database of ``make hub`` without ``HUB_DATABASE_URL`` (``deploy/run_hub.py``), and
the database of the test fixtures (``tests/conftest.py``: ``pg_url``) and of the benchmarks
(``benchmarks/bench_hub_load.py``). Each cluster lives in a folder
``$TMPDIR/shinsa-pg-*`` (:data:`PG_DIR_PREFIX`) that is removed when it stops; clusters left
by a killed process are removed by the next start, or by :func:`remove_stale_clusters`
(``python -m scoring hub-remove``). Failures raise :class:`PgClusterError` (Japanese
message, with the server's log).
"""

from __future__ import annotations

import contextlib
import functools
import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa
from psycopg import sql

from ..core.errors import HubError

__all__ = [
    "PG_DIR_PREFIX",
    "PG_START_TIMEOUT_S",
    "PgClusterError",
    "create_database",
    "find_pg_bindir",
    "remove_stale_clusters",
    "temp_pg_cluster",
]

PG_START_TIMEOUT_S = 60
PG_DIR_PREFIX = "shinsa-pg-"


class PgClusterError(HubError):
    """The throw-away cluster could not be started (Japanese message)."""


def find_pg_bindir() -> Path | None:
    """The folder of the newest PostgreSQL server binaries (Debian: /usr/lib/postgresql/N/bin)."""

    def version(d: str) -> tuple[int, ...]:
        v = Path(d).parent.name
        return tuple(int(x) for x in v.split(".") if x.isdigit())

    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True):
        if (Path(d) / "initdb").is_file() and (Path(d) / "pg_ctl").is_file():
            return Path(d)
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl and Path(initdb).parent == Path(pg_ctl).parent:
        return Path(initdb).parent
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _server_user() -> tuple[int, int] | None:
    """(uid, gid) to run the server as: ``postgres`` (or ``nobody``) when we are root, else None.

    initdb and postgres refuse to run as root.
    """
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None
    import pwd

    for name in ("postgres", "nobody"):
        try:
            pw = pwd.getpwnam(name)
        except KeyError:
            continue
        return pw.pw_uid, pw.pw_gid
    raise PgClusterError("root で実行中ですが、PostgreSQL を起動する一般ユーザー（postgres）がいません。")


def _pg_run(
    bindir: Path, owner: tuple[int, int] | None, cwd: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    """Run a PostgreSQL program of ``bindir`` (as ``owner`` when we are root)."""
    run_as: dict[str, Any] = (
        {} if owner is None else {"user": owner[0], "group": owner[1], "extra_groups": []}
    )
    return subprocess.run(
        [str(bindir / args[0]), *args[1:]],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=PG_START_TIMEOUT_S,
        check=False,
        **run_as,
    )


def create_database(url: str, name: str) -> str:
    """Create the database ``name`` on the cluster of ``url`` (a superuser's or a role with
    CREATEDB); returns the URL of the new database (the same role)."""
    u = sa.engine.make_url(url)
    with psycopg.connect(
        u.set(drivername="postgresql").render_as_string(hide_password=False), autocommit=True
    ) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return u.set(database=name).render_as_string(hide_password=False)


def remove_stale_clusters(bindir: Path | None = None, owner: tuple[int, int] | None = None) -> list[Path]:
    """Stop and remove clusters left by sessions that were killed (their pid is gone); returns
    their folders. ``bindir`` and ``owner`` default to :func:`find_pg_bindir` and the server's user."""
    bindir = bindir or find_pg_bindir()
    owner = owner if owner is not None else _server_user()
    removed: list[Path] = []
    for base in Path(tempfile.gettempdir()).glob(f"{PG_DIR_PREFIX}*"):
        try:
            pid = int((base / "owner.pid").read_text())
        except (OSError, ValueError):
            try:
                if time.time() - base.stat().st_mtime < 120:
                    continue  # just created: its owner file is being written
            except OSError:
                continue
        else:
            try:
                os.kill(pid, 0)
                continue  # its session is still running
            except PermissionError:
                continue  # alive, another user's
            except OSError:
                pass
        if bindir is not None and (base / "data" / "postmaster.pid").exists():
            _pg_run(
                bindir,
                owner,
                Path(tempfile.gettempdir()),
                "pg_ctl",
                "-D",
                str(base / "data"),
                "-m",
                "immediate",
                "-w",
                "stop",
            )
        shutil.rmtree(base, ignore_errors=True)
        removed.append(base)
    return removed


def _pg_checked(
    bindir: Path, owner: tuple[int, int] | None, base: Path, log: Path, *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run a PostgreSQL program in the cluster's folder; a :class:`PgClusterError` with the
    server log's tail when it fails and ``check``."""
    res = _pg_run(bindir, owner, base, *args)
    if check and res.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
        raise PgClusterError(
            f"PostgreSQL の {args[0]} が失敗しました（終了コード {res.returncode}）:\n"
            f"{res.stdout}{res.stderr}{tail}"
        )
    return res


def _auth_options(base: Path, owner: tuple[int, int] | None, *, password_auth: bool) -> tuple[list[str], str]:
    """initdb's authentication options and the superuser's password (``""``: trust)."""
    if not password_auth:
        return ["--auth=trust"], ""
    password = secrets.token_hex(16)
    pwfile = base / "pwfile"
    pwfile.write_text(password + "\n")
    if owner is not None:
        os.chown(pwfile, *owner)
    return ["--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={pwfile}"], password


def _start_server(
    pg: Callable[..., subprocess.CompletedProcess[str]], data: Path, log: Path, options: str
) -> int:
    """Start the server on a free port (three tries: another process may take the port); the port."""
    for attempt in range(3):
        port = _free_port()
        res = pg(
            "pg_ctl",
            "-D",
            str(data),
            "-l",
            str(log),
            "-w",
            "-t",
            str(PG_START_TIMEOUT_S),
            "-o",
            f"{options} -p {port}",
            "start",
            check=attempt == 2,
        )
        if res.returncode == 0:
            break
    return port


@contextlib.contextmanager
def temp_pg_cluster(
    bindir: Path | None = None, *, password_auth: bool = False, max_connections: int = 50
) -> Iterator[str]:
    """initdb into a fresh temp folder, start on a free port of 127.0.0.1 (its unix socket in
    the same folder), create the database ``shinsa_test``; yield its URL; stop and remove.

    Parameters
    ----------
    bindir : Path, optional
        The server binaries (default :func:`find_pg_bindir`).
    password_auth : bool
        Connections over TCP need a password (``scram-sha-256``, as on a real server); the
        superuser ``postgres`` gets a random one, included in the URL yielded. Default:
        ``trust`` (any role connects without a password).
    max_connections : int
        The server's ``max_connections``.
    """
    bindir = bindir or find_pg_bindir()
    if bindir is None:
        raise PgClusterError(
            "PostgreSQL のサーバー（initdb, pg_ctl）が見つかりません。"
            "`make deps`（Debian の postgresql）を実行してください。"
        )
    owner = _server_user()
    remove_stale_clusters(bindir, owner)
    base = Path(tempfile.mkdtemp(prefix=PG_DIR_PREFIX))
    (base / "owner.pid").write_text(str(os.getpid()))
    data, log = base / "data", base / "server.log"
    if owner is not None:
        os.chown(base, *owner)
    pg = functools.partial(_pg_checked, bindir, owner, base, log)
    try:
        auth, password = _auth_options(base, owner, password_auth=password_auth)
        pg("initdb", "-D", str(data), "-U", "postgres", *auth, "-E", "UTF8", "--locale=C", "--no-sync")
        # Test data only: no durability needed; only 127.0.0.1 and a socket in our folder.
        options = (
            f"-c listen_addresses=127.0.0.1 -c unix_socket_directories={base} -c fsync=off "
            f"-c synchronous_commit=off -c full_page_writes=off -c max_connections={max_connections}"
        )
        port = _start_server(pg, data, log, options)
        cred = f"postgres:{password}" if password else "postgres"
        yield create_database(f"postgresql+psycopg://{cred}@127.0.0.1:{port}/postgres", "shinsa_test")
    finally:
        if (data / "postmaster.pid").exists():
            pg("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(base, ignore_errors=True)
