"""End-to-end fixtures: a real JupyterHub (deploy/jupyterhub_config.py) on a real PostgreSQL.

One hub for the whole session (it is slow to start), set up exactly as README's
「複数の審査員で使う（サーバー）」 says, with :func:`scoring.ui.hub.setup_hub`:

- a PostgreSQL cluster that asks for passwords over TCP (``scram-sha-256``, as a real
  server): with ``trust`` any account could connect as any role, and the per-person roles
  would prove nothing;
- the demo round with its hub users renamed to a unique prefix (``t<hex>_r1`` …, analyst
  ``t<hex>_an``, committee ``t<hex>_co``), assignments that give each reviewer about half of
  the applications, and R6's conflict (20, 長野) assigned to R6 anyway (the loader drops it);
- the demo reviewers' simulated scores for R2–R5 (so the committee has a ranking); R1 and
  R6, the reviewers under test, start with none;
- system accounts and a group with that prefix, homes 0700 in a temp folder, all removed at
  the end (``userdel -r``). Run as root, as CI does.

The servers must run this Python as the test accounts. When it lives under a folder they may
not enter (pyenv in ``/root``, mode 0700), the test group gets the right to pass through that
folder only (``setfacl -m g:<group>:x``), removed at the end; a real site installs its Python
where everyone can read it (README).
"""

from __future__ import annotations

import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hubkit import Hub
from pgcluster import PgClusterError, temp_pg_cluster

REPO = Path(__file__).resolve().parents[2]
HUB_CONFIG = REPO / "deploy" / "jupyterhub_config.py"
HUB_START_TIMEOUT_S = 90
#: The reviewers the tests drive (R6 is in conflict with 20 in the demo round).
REVIEWERS_UNDER_TEST = ("R1", "R6")


def _free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(*cmd: str) -> None:
    subprocess.run(cmd, check=False, capture_output=True)


def _kill_processes_of(uids: set[int]) -> None:
    """SIGKILL every process owned by these (test-only) accounts."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if proc.stat().st_uid in uids:
                os.kill(int(proc.name), signal.SIGKILL)
        except (OSError, ProcessLookupError):
            continue


def _test_round(dest: Path, copy_round: Callable[[Path], Path], prefix: str) -> Path:
    """The demo round with prefixed hub users, the analyst and the committee, and
    assignments.csv (each reviewer about half of the applications, R6 also given 20)."""
    from scoring.round.loader import load_round

    round_dir = copy_round(dest)
    text = (round_dir / "reviewers.yaml").read_text(encoding="utf-8")
    text, n = re.subn(r"hub_user: r(\d)", rf"hub_user: {prefix}r\1", text)
    short = {"analysts": "an", "committee": "co"}
    text, m = re.subn(r"^(analysts|committee): \[\w+\]", lambda k: f"{k[1]}: [{prefix}{short[k[1]]}]", text,
                      flags=re.MULTILINE)
    assert (n, m) == (6, 2), "デモの reviewers.yaml の hub_user・analysts・committee が想定と違います"
    (round_dir / "reviewers.yaml").write_text(text, encoding="utf-8")
    rnd = load_round(round_dir)
    apps = [str(a) for a in rnd.applications.index]
    ids = [r.id for r in rnd.reviewers]
    rows = {(ids[(i + k) % len(ids)], a) for i, a in enumerate(apps) for k in range(3)}
    rows.add(("R6", "20"))
    lines = ["reviewer,application"] + [f"{r},{a}" for r, a in sorted(rows)]
    (round_dir / "assignments.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return round_dir


@pytest.fixture(scope="session")
def hub(demo_round_copier: Callable[[Path], Path]) -> Iterator[Hub]:
    """A running JupyterHub for the session (see the module docstring)."""
    if os.geteuid() != 0:
        pytest.fail("tests/deploy はシステムのアカウントを作るため root で実行してください（CI は root です）。")

    from scoring.demo.simulate import write_demo_scores
    from scoring.round.loader import load_round
    from scoring.store.scores import ScoreStore
    from scoring.ui.hub import (
        grant_python_access,
        hub_users,
        remove_accounts,
        revoke_python_access,
        setup_hub,
    )

    prefix = f"t{secrets.token_hex(3)}_"
    group = f"{prefix}shinsa"
    base = Path(tempfile.mkdtemp(prefix="shinsa-hub-"))
    os.chmod(base, 0o755)
    (base / "home").mkdir(mode=0o755)
    src = base / "src"
    src.mkdir(mode=0o700)
    round_dir = _test_round(src, demo_round_copier, prefix)
    rnd = load_round(round_dir)
    users = hub_users(rnd)
    names = [u.name for u in users]
    passwords = {u.name: secrets.token_urlsafe(12) for u in users}
    acl: list[Path] = []
    proc: subprocess.Popen[bytes] | None = None
    try:
        with temp_pg_cluster(password_auth=True) as admin_url:
            # The reviewers who are not under test have scored already (simulated, submitted).
            with ScoreStore(admin_url, rnd, checkpoint_file=src / "checkpoints.jsonl") as store:
                write_demo_scores(rnd, store, leave_out=REVIEWERS_UNDER_TEST)

            subprocess.run(["groupadd", "--system", group], check=True, capture_output=True)
            acl = grant_python_access(group)
            setup_hub(rnd, admin_url, base / "site", passwords=passwords, home_base=base / "home", group=group)

            port, api_port, proxy_port = _free_port(), _free_port(), _free_port()
            log = base / "site" / "hub" / "hub.log"
            env = {k: v for k, v in os.environ.items()
                   if not k.startswith(("JUPYTERHUB_", "JPY_", "SCORING_"))}
            env.update({"SHINSA_SITE": str(base / "site"), "SHINSA_HUB_PORT": str(port),
                        "SHINSA_HUB_API_PORT": str(api_port), "SHINSA_PROXY_API_PORT": str(proxy_port),
                        "CONFIGPROXY_AUTH_TOKEN": secrets.token_hex(16)})
            with log.open("wb") as out:
                proc = subprocess.Popen([str(Path(sys.executable).parent / "jupyterhub"), "-f", str(HUB_CONFIG)],
                                        cwd=base / "site" / "hub", env=env, stdout=out, stderr=subprocess.STDOUT,
                                        start_new_session=True)
            url = f"http://127.0.0.1:{port}"
            hub = Hub(url, prefix, {u.name: u.role for u in users},
                      {u.reviewer: u.name for u in users if u.reviewer}, passwords, base / "site",
                      base / "home", round_dir, admin_url, log)
            deadline = time.monotonic() + HUB_START_TIMEOUT_S
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"JupyterHub が起動しませんでした（終了コード {proc.returncode}）:\n{hub.log_tail()}")
                try:
                    with urllib.request.urlopen(f"{url}/hub/api", timeout=5) as resp:
                        if resp.status == 200:
                            break
                except (urllib.error.URLError, OSError):
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterHub が {HUB_START_TIMEOUT_S} 秒以内に応答しませんでした:\n{hub.log_tail()}")
                time.sleep(0.5)
            yield hub
    except PgClusterError as e:
        pytest.fail(str(e), pytrace=False)
    finally:
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        uids = set()
        for n in names:
            try:
                uids.add(pwd.getpwnam(n).pw_uid)
            except KeyError:
                pass
        _kill_processes_of(uids)
        remove_accounts(names)
        revoke_python_access(acl, group)  # before groupdel: the entry is found by the group's name
        _run("groupdel", group)
        shutil.rmtree(base, ignore_errors=True)
