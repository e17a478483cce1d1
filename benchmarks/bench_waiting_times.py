"""Waiting times through the real hub (issue 22 item 6).

Starts the test suite's throw-away hub (tests/deploy/conftest.py: system accounts, PostgreSQL,
JupyterHub as root) and prints four times with met / not met:

* sign-in → a usable reviewer form when the reviewer's server must start (target 10 s),
* sign-in → a usable form when the server is already running (target 5 s),
* a reload of the form (target 3 s),
* sign-in → the committee dashboard with its ranking and proposal (target 8 s).

Run as root (as the deploy tests): ``python benchmarks/bench_waiting_times.py``. The figures
depend on the machine's load, printed with them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


def main() -> int:
    env = dict(os.environ, SHINSA_BENCH_WAITING="1")
    test = "tests/deploy/test_hub_waiting_times.py"
    cmd = [sys.executable, "-m", "pytest", test, "-s", "-q", "-p", "no:cacheprovider"]
    return subprocess.call(cmd, cwd=PROJECT, env=env)


if __name__ == "__main__":
    raise SystemExit(main())
