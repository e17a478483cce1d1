"""End-to-end fixtures: a real JupyterHub (deploy/jupyterhub_config.py) on a real PostgreSQL.

One hub for the whole session (it is slow to start), set up exactly as README's
「複数の審査員で使う（サーバー）」 says, with :func:`scoring.admin.setup.setup_hub`:

- a PostgreSQL cluster that asks for passwords over TCP (``scram-sha-256``, as a real
  server): with ``trust`` any account could connect as any role, and the per-person roles
  would prove nothing;
- the demo round with its hub users renamed to a unique prefix (``t<hex>_r1`` …, analyst
  ``t<hex>_an``, committee ``t<hex>_co``), assignments that give each reviewer about half of
  the applications, and R6's conflict (20, 長野) assigned to R6 anyway (the loader drops it);
- the demo reviewers' simulated scores for R2–R5 (so the committee has a ranking), written
  after set-up and signed with the hub analyst's key; R1 and R6, the reviewers under test,
  start with none;
- system accounts and a group with that prefix, homes 0700 in a temp folder, all removed at
  the end (``userdel -r``, :func:`scoring.admin.sysaccounts.remove_accounts`). Run as root,
  as CI does;
- rlimits other than the defaults (:data:`TEST_LIMITS`), which a kernel must report.

``hub.restart(env)`` restarts the hub with more environment variables (the idle culler's test
shortens the timeout); the next test that uses the hub gets it restarted as configured.

The servers must run this Python as the test accounts. When it lives under a folder they may
not enter (pyenv in ``/root``, mode 0700), the test group gets the right to pass through that
folder only (``setfacl -m g:<group>:x``), removed at the end; a real site installs its Python
where everyone can read it (README).
"""

from __future__ import annotations

import contextlib
import os
import pwd
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
from typing import Any

import pytest
from hubkit import Hub, prefixed_round

from scoring.admin.keys import account_key, key_path, person_of
from scoring.admin.limits import GIB, Limits
from scoring.admin.setup import setup_hub
from scoring.admin.site import HubSite, hub_users
from scoring.admin.siteaccess import private_groups
from scoring.admin.sysaccounts import grant_python_access, remove_accounts, revoke_python_access
from scoring.admin.trialdb import PgClusterError, temp_pg_cluster
from scoring.demo.simulate import write_demo_scores
from scoring.round.loader import load_round
from scoring.store.scores import ScoreStore
from scoring.store.statements import Signer

REPO = Path(__file__).resolve().parents[2]
HUB_CONFIG = REPO / "deploy" / "jupyterhub_config.py"
HUB_START_TIMEOUT_S = 90
#: The reviewers the tests drive (R6 is in conflict with 20 in the demo round).
REVIEWERS_UNDER_TEST = ("R1", "R6")
#: The rlimits of the test site (not the defaults, so that a kernel shows they were applied).
TEST_LIMITS = Limits(address_space=5 * GIB, cpu_seconds=3000, file_size=GIB)


def _free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _culler_processes(hub_pid: int) -> list[int]:
    """The idle culler service started by the hub ``hub_pid`` (its child processes running
    ``jupyterhub_idle_culler``)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (stat.parent / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == hub_pid and b"jupyterhub_idle_culler" in cmdline:
            found.append(int(stat.parent.name))
    return found


def _run(*cmd: str) -> None:
    subprocess.run(cmd, check=False, capture_output=True)


class _HubProcess:
    """The hub's process: started with the session's environment plus ``extra``."""

    def __init__(self, site: Path, env: dict[str, str], url: str, log: Path) -> None:
        self.site, self.env, self.url, self.log = site, env, url, log
        self.proc: subprocess.Popen[bytes] | None = None
        self.hub: Hub | None = None

    def start(self, extra: dict[str, str] | None = None) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [str(Path(sys.executable).parent / "jupyterhub"), "-f", str(HUB_CONFIG)],
                cwd=self.site / "hub",
                env={**self.env, **(extra or {})},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + HUB_START_TIMEOUT_S
        while True:
            if self.proc.poll() is not None:
                pytest.fail(
                    f"JupyterHub が起動しませんでした（終了コード {self.proc.returncode}）:\n{self.tail()}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/hub/api", timeout=5) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterHub が {HUB_START_TIMEOUT_S} 秒以内に応答しませんでした:\n{self.tail()}")
            time.sleep(0.5)

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        os.killpg(proc.pid, signal.SIGTERM)
        # The hub's managed service (the idle culler, in a session of its own) outlived a stopping
        # hub: the hub waited ~27 s for it, then this test gave up at 30 s and killed the hub,
        # leaving the culler running. It is told to stop together with the hub.
        for pid in _culler_processes(proc.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        started = time.monotonic()
        try:
            proc.wait(timeout=30)
            print(f"\nhub stopped in {time.monotonic() - started:.1f} s", flush=True)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    def restart(self, extra: dict[str, str] | None = None) -> None:
        self.stop()
        self.start(extra)
        if self.hub is not None:
            self.hub.extra_env = dict(extra or {})

    def tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-80:]) if self.log.exists() else ""


@pytest.fixture(scope="session")
def hub(demo_round_copier: Callable[[Path], Path]) -> Iterator[Hub]:
    """A running JupyterHub for the session (see the module docstring)."""
    if os.geteuid() != 0:
        pytest.fail(
            "tests/deploy はシステムのアカウントを作るため root で実行してください（CI は root です）。"
        )

    prefix = f"t{secrets.token_hex(3)}_"
    group = f"{prefix}shinsa"
    base = Path(tempfile.mkdtemp(prefix="shinsa-hub-"))
    os.chmod(base, 0o755)
    (base / "home").mkdir(mode=0o755)
    src = base / "src"
    src.mkdir(mode=0o700)
    round_dir = prefixed_round(src, demo_round_copier, prefix)
    rnd = load_round(round_dir)
    users = hub_users(rnd)
    names = [u.name for u in users]
    passwords = {u.name: secrets.token_urlsafe(12) for u in users}
    acl: list[Path] = []
    process: _HubProcess | None = None
    try:
        with temp_pg_cluster(password_auth=True) as admin_url:
            subprocess.run(["groupadd", "--system", group], check=True, capture_output=True)
            acl = grant_python_access(group)
            setup_hub(
                rnd,
                admin_url,
                base / "site",
                passwords=passwords,
                home_base=base / "home",
                group=group,
                limits=TEST_LIMITS,
            )
            # The reviewers who are not under test have scored already (simulated, submitted),
            # signed as the hub's analyst signs: with the analyst's key from hub-setup, into the
            # round copy's one checkpoint file (the database counts its lines).
            _write_demo_scores_as_the_analyst(admin_url, HubSite(base / "site"), users)

            port, api_port, proxy_port = _free_port(), _free_port(), _free_port()
            env = {
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("JUPYTERHUB_", "JPY_", "SCORING_", "SHINSA_"))
            }
            env.update(
                {
                    "SHINSA_SITE": str(base / "site"),
                    "SHINSA_HUB_PORT": str(port),
                    "SHINSA_HUB_API_PORT": str(api_port),
                    "SHINSA_PROXY_API_PORT": str(proxy_port),
                    "CONFIGPROXY_AUTH_TOKEN": secrets.token_hex(16),
                    # Preheated Voilà kernels (deploy/jupyterhub_config.py); the waiting-time
                    # benchmark's --no-preheat measures without them.
                    "SHINSA_PREHEAT": os.environ.get("SHINSA_PREHEAT", "1"),
                }
            )
            url = f"http://127.0.0.1:{port}"
            log = base / "site" / "hub" / "hub.log"
            process = _HubProcess(base / "site", env, url, log)
            hub = Hub(
                url,
                prefix,
                {u.name: u.role for u in users},
                {u.reviewer: u.name for u in users if u.reviewer},
                passwords,
                base / "site",
                base / "home",
                round_dir,
                admin_url,
                log,
                limits=TEST_LIMITS,
                group=group,
                restart=process.restart,
            )
            process.hub = hub
            process.start()
            yield hub
    except PgClusterError as e:
        pytest.fail(str(e), pytrace=False)
    finally:
        if process is not None:
            process.stop()
        remove_accounts(names)
        revoke_python_access(acl, group)  # before groupdel: the entry is found by the group's name
        for name in (*private_groups(group), group):
            _run("groupdel", name)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(autouse=True)
def _hub_as_configured(request: pytest.FixtureRequest) -> None:
    """A test that uses the hub gets it as configured (after a test restarted it otherwise)."""
    if "hub" in request.fixturenames:
        hub: Hub = request.getfixturevalue("hub")
        if hub.extra_env and hub.restart is not None:
            hub.restart(None)


def _write_demo_scores_as_the_analyst(admin_url: str, site: HubSite, users: Any) -> None:
    """The simulated scores of the reviewers not under test, written and signed as the hub's analyst."""
    analyst = next(u for u in users if u.role == "analyst")
    pw = pwd.getpwnam(analyst.name)
    signer = Signer(person_of(analyst), account_key(pw))
    dest = site.round_dir / "checkpoints.jsonl"
    rnd = load_round(site.round_dir)
    saved = os.environ.get("SCORING_SIGNING_KEY")
    os.environ["SCORING_SIGNING_KEY"] = str(key_path(pw))  # the checkpoints: the analyst's key too
    try:
        with ScoreStore(admin_url, rnd, checkpoint_file=dest, signer=signer) as store:
            write_demo_scores(rnd, store, leave_out=REVIEWERS_UNDER_TEST)
    finally:
        if saved is None:
            os.environ.pop("SCORING_SIGNING_KEY", None)
        else:
            os.environ["SCORING_SIGNING_KEY"] = saved
    os.chown(dest, pw.pw_uid, site.round_dir.stat().st_gid)
    os.chmod(dest, 0o640)
