"""`make lab` starts JupyterLab for whoever runs it, root included (issue 22).

As root, JupyterLab refuses to start without ``--allow-root`` (an English line); the Makefile
adds it and says in Japanese what to use on a server instead. The server is reached over HTTP
and stopped at once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from uiserver import PROJECT, free_port, isolated_env

pytestmark = pytest.mark.ui


def test_make_lab_starts_jupyterlab_as_this_user(
    tmp_path: Path, demo_round_copier: Callable[[Path], Path]
) -> None:
    round_dir = demo_round_copier(tmp_path / "round")
    stamp = tmp_path / "installed"
    stamp.touch()  # the venv is this interpreter's, already set up
    port = free_port()
    env = isolated_env(tmp_path, round_dir)
    cmd = ["make", "-s", "lab", f"VENV={sys.prefix}", f"STAMP={stamp}", f"ROUND={round_dir}", f"PORT={port}"]
    log = tmp_path / "lab.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd, cwd=PROJECT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        text = log.read_text(encoding="utf-8", errors="replace")
        assert proc.poll() is None, f"make lab が終了しました:\n{text[-3000:]}"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api", timeout=5) as r:
            assert r.status == 200
        assert (
            "Running as root is not recommended" not in text or "--allow-root" not in text.split("Running")[0]
        )
        if os.geteuid() == 0:
            assert "管理者（root）として起動します（127.0.0.1 のみ）" in text
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
