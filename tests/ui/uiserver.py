"""Starting and stopping the servers that the browser tests drive (JupyterLab, Voilà)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
SERVER_TIMEOUT_S = 90.0


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def log_tail(log: Path, n: int = 60) -> str:
    """The last ``n`` lines of a server log (empty if it cannot be read)."""
    try:
        return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-n:])
    except OSError:
        return ""


def isolated_env(base: Path, round_dir: Path, **extra: str) -> dict[str, str]:
    """Environment for a server under test: single-user (no JupyterHub), the round's own
    SQLite store (no SCORING_DATABASE_URL), private Jupyter folders under ``base``, the
    project importable, ``$SCORING_ROUND`` pointing at ``round_dir``."""
    for d in ("config", "runtime", "ipython"):
        (base / d).mkdir(exist_ok=True)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("JUPYTERHUB_", "JPY_")) and k != "SCORING_DATABASE_URL"
    }
    env.update(
        {
            "SCORING_ROUND": str(round_dir),
            "JUPYTER_CONFIG_DIR": str(base / "config"),
            "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
            "IPYTHONDIR": str(base / "ipython"),
            "JUPYTER_PLATFORM_DIRS": "1",
            "SHINSA_STATE_FILE": str(base / "review_state.json"),  # the reviewers' last application
            "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT), env.get("PYTHONPATH", "")])),
        }
    )
    env.update(extra)
    return env


@contextlib.contextmanager
def running_server(
    name: str, args: Sequence[str], *, cwd: Path, env: dict[str, str], log: Path, ready: Callable[[], bool]
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``python -m <args>`` until the test session is done; wait until ``ready()``.

    Fails the test with the log's tail when the server exits or is not ready within
    :data:`SERVER_TIMEOUT_S`; always stops the server afterwards.
    """
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", *args], cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + SERVER_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"{name} が起動しませんでした（終了コード {proc.returncode}）:\n{log_tail(log)}")
            try:
                if ready():
                    break
            except (urllib.error.URLError, OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"{name} が {SERVER_TIMEOUT_S:.0f} 秒以内に応答しませんでした:\n{log_tail(log)}")
            time.sleep(0.5)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@contextlib.contextmanager
def running_voila(
    base: Path, notebook: Path, round_dir: Path, **extra_env: str
) -> Iterator[tuple[str, Path, subprocess.Popen[bytes]]]:
    """``voila NOTEBOOK --template=shinsa`` on a free port of 127.0.0.1 (as ``make committee``),
    with the offline template on ``JUPYTER_PATH``, the round of ``round_dir`` and ``extra_env``;
    yields (base URL, log file, process) once Voilà serves its script."""
    import urllib.request

    jupyter_path = os.pathsep.join(
        filter(None, [str(PROJECT / "scoring" / "ui" / "jupyter"), os.environ.get("JUPYTER_PATH", "")])
    )
    env = isolated_env(base, round_dir, JUPYTER_PATH=jupyter_path, **extra_env)
    port = free_port()
    args = [
        "voila",
        str(notebook),
        "--template=shinsa",
        "--Voila.ip=127.0.0.1",
        f"--port={port}",
        "--no-browser",
        "--Voila.port_retries=0",
    ]
    url = f"http://127.0.0.1:{port}"
    log = base / "voila.log"

    def ready() -> bool:
        with urllib.request.urlopen(f"{url}/voila/static/voila.js", timeout=5) as resp:
            return bool(resp.status == 200)

    with running_server("Voilà", args, cwd=base, env=env, log=log, ready=ready) as proc:
        yield url, log, proc
