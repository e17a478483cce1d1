"""Waiting times through the real hub (issue 22 item 6).

Starts the test suite's throw-away hub (tests/deploy/conftest.py: system accounts, PostgreSQL,
JupyterHub as root) and prints the waiting times with met / not met, and the CPU seconds the
person's server and kernels used meanwhile (steadier than wall time on a loaded machine):

* sign-in → a usable reviewer form when the reviewer's server must start (target 10 s),
* sign-in → a usable form when the server is already running and idle (target 5 s; also, for
  reference, at once after a reload, while a preheated kernel is still being prepared),
* a reload of the form (target 3 s),
* sign-in → the committee dashboard with its ranking and proposal, when its server must start
  and when it runs (target 8 s).

Run as root (as the deploy tests): ``python benchmarks/bench_waiting_times.py``; with
``--no-preheat`` the servers run without preheated Voilà kernels (the comparison). The figures
depend on the machine's load, printed with them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


def main() -> int:
    preheat = "0" if "--no-preheat" in sys.argv[1:] else "1"
    env = dict(os.environ, SHINSA_BENCH_WAITING="1", SHINSA_PREHEAT=preheat)
    test = "tests/deploy/test_hub_waiting_times.py"
    cmd = [sys.executable, "-m", "pytest", test, "-s", "-q", "-p", "no:cacheprovider"]
    return subprocess.call(cmd, cwd=PROJECT, env=env)


if __name__ == "__main__":
    raise SystemExit(main())
