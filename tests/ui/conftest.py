"""Browser tests: a real JupyterLab server driven by Python Playwright and Debian's chromium.

A session-scoped JupyterLab runs on 127.0.0.1 (free port, random token) with its own
settings (Japanese language pack, no news, every cell rendered). Each test gets its own
folder inside the server's root with a fresh copy of the demo round (no scores) and, when
it opens a notebook, a copy of that notebook whose papermill ``parameters`` cell names
that round (``round_path = "..."``): no test sees another test's scores or decisions, in
any order. The server's ``$SCORING_ROUND`` names a folder that does not exist, so a
notebook that was not given its round fails instead of using a shared one. The browser
is ``/usr/bin/chromium`` from Debian, launched by Playwright: never ``playwright install``.

Tests use the :class:`Lab` helper (fixture ``lab``: ``lab.round_path`` is the test's own
round); a test that needs the demo reviewers' scores writes them into it with
:func:`scoring.demo.simulate.write_demo_scores`. On failure a screenshot is saved in the
session's artifact folder (fixture ``ui_artifacts``, or ``$SHINSA_UI_ARTIFACTS``).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from uiserver import PROJECT, free_port, isolated_env, log_tail, running_server

#: Kernel start and the first widget render are slow on a 2-core CI machine.
KERNEL_TIMEOUT_MS = 90_000
#: How often a wait for the kernel checks the page. Playwright's default for
#: ``wait_for_function`` is every animation frame, which keeps chromium painting 60 times a
#: second for the seconds a kernel takes to start (measured: 0.4–0.6 s of CPU per 8 s waited,
#: against 0.05 s at 100 ms).
POLL_MS = 100


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the item so fixtures can see whether the test failed."""
    report = yield
    setattr(item, f"_shinsa_rep_{report.when}", report)
    return report


#: The papermill parameter line that every notebook has (see notebooks/*.ipynb).
ROUND_PARAMETER = re.compile(r"^round_path = None\b.*$", re.MULTILINE)


def notebook_for_round(name: str, dest_dir: Path, round_dir: Path) -> Path:
    """Copy ``notebooks/<name>`` to ``dest_dir`` with ``round_path`` set to ``round_dir``.

    Only the papermill ``parameters`` cell changes (as ``papermill -p round_path`` would);
    fails if that cell or its ``round_path = None`` line is missing.
    """
    nb = json.loads((PROJECT / "notebooks" / name).read_text(encoding="utf-8"))
    cells = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, f"{name}: papermill の parameters セルが一つではありません"
    source = "".join(cells[0]["source"])
    new, n = ROUND_PARAMETER.subn(f"round_path = {str(round_dir)!r}  # このテストのラウンド", source)
    assert n == 1, f"{name}: parameters セルに round_path = None がありません"
    cells[0]["source"] = new.splitlines(keepends=True)
    dest = dest_dir / name
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(nb, ensure_ascii=False, indent=1), encoding="utf-8")
    return dest


def _write_settings(settings_dir: Path) -> None:
    """JupyterLab user settings: Japanese UI, no news or update checks, all cells in the DOM."""
    files: dict[str, dict[str, Any]] = {
        "@jupyterlab/translation-extension/plugin.jupyterlab-settings": {"locale": "ja_JP"},
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
            "fetchNews": "false",
            "checkForUpdates": False,
        },
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    }
    for rel, data in files.items():
        path = settings_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data), encoding="utf-8")


@dataclass
class LabServer:
    """A running JupyterLab: ``url`` (no trailing slash), ``token``, its folders and log."""

    url: str
    token: str
    root: Path
    log: Path
    process: subprocess.Popen[bytes]

    def api(self, method: str, path: str) -> Any:
        """Call the server's REST API; returns the decoded JSON (None when empty)."""
        req = urllib.request.Request(
            f"{self.url}{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(req, timeout=30) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        """End every notebook session (frees the kernels between tests)."""
        for session in self.api("GET", "/api/sessions") or []:
            self.api("DELETE", f"/api/sessions/{session['id']}")

    def log_tail(self, n: int = 60) -> str:
        return log_tail(self.log, n)


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """Start JupyterLab on 127.0.0.1 with a random token; stop it after the session.

    Its root folder starts empty: the ``lab`` fixture puts each test's round and notebooks
    in a folder of its own.
    """
    base = tmp_path_factory.mktemp("jupyterlab")
    root = base / "root"
    root.mkdir()
    settings = base / "user-settings"
    _write_settings(settings)
    (base / "workspaces").mkdir()
    port = free_port()
    token = secrets.token_hex(24)
    # No shared round: a notebook that was not given its own round_path fails loudly.
    env = isolated_env(base, root / "このテストのラウンドがありません")
    args = [
        "jupyterlab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.terminals_enabled=False",
        f"--LabApp.user_settings_dir={settings}",
        f"--LabApp.workspaces_dir={base / 'workspaces'}",
        "--LabApp.expose_app_in_browser=True",
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # CI containers run as root
        args.append("--allow-root")
    log = base / "server.log"
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        req = urllib.request.Request(f"{url}/api/status", headers={"Authorization": f"token {token}"})
        with urllib.request.urlopen(req, timeout=5) as resp:
            return bool(resp.status == 200)

    with running_server("JupyterLab", args, cwd=root, env=env, log=log, ready=ready) as proc:
        yield LabServer(url, token, root, log, proc)


class Lab:
    """Drives one JupyterLab page on the test's own folder ``folder`` (inside the server's
    root) and round ``round_path``: open a notebook, run it, wait for the kernel."""

    def __init__(self, page: Any, server: LabServer, artifacts: Path, folder: Path, round_path: Path) -> None:
        self.page = page
        self.server = server
        self.artifacts = artifacts
        self.folder = folder
        self.round_path = round_path

    def open_notebook(self, name: str) -> None:
        """Open ``notebooks/<name>`` on this test's round and wait until its kernel is idle.

        The notebook is copied into the test's folder with ``round_path`` set to
        :attr:`round_path` (see :func:`notebook_for_round`), then opened from there.
        """
        path = notebook_for_round(name, self.folder / "notebooks", self.round_path)
        relpath = path.relative_to(self.server.root).as_posix()
        # ?reset: start from an empty workspace (no tabs left over from earlier tests).
        self.page.goto(
            f"{self.server.url}/lab/tree/{relpath}?reset&token={self.server.token}",
            wait_until="domcontentloaded",
        )
        self.page.wait_for_function(
            "() => !!(window.jupyterapp && window.jupyterapp.shell)",
            timeout=KERNEL_TIMEOUT_MS,
            polling=POLL_MS,
        )
        self.page.locator(".jp-NotebookPanel").first.wait_for(state="visible", timeout=KERNEL_TIMEOUT_MS)
        self.wait_kernel_idle()

    def wait_kernel_idle(self, timeout_ms: int = KERNEL_TIMEOUT_MS) -> None:
        """Wait until the current notebook's kernel is connected and idle."""
        self.page.wait_for_function(
            """() => {
                const w = window.jupyterapp.shell.currentWidget;
                const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
                return !!k && k.connectionStatus === 'connected' && k.status === 'idle';
            }""",
            timeout=timeout_ms,
            polling=POLL_MS,
        )

    def ui_text(self) -> str:
        """Text of JupyterLab's menu bar (shows which language pack is active)."""
        return str(self.page.locator(".lm-MenuBar-content").first.inner_text(timeout=30_000))

    def run_all(self, timeout_ms: int = KERNEL_TIMEOUT_MS) -> None:
        """Run every cell (JupyterLab command ``notebook:run-all-cells``) and wait for the end.

        Fails with the error's text if a cell raised.
        """
        self.page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        self.page.wait_for_function(
            """() => {
                const w = window.jupyterapp.shell.currentWidget;
                const k = w.sessionContext.session && w.sessionContext.session.kernel;
                const cells = w.content.widgets.filter(c => c.model.type === 'code');
                return !!k && k.status === 'idle' && cells.every(c => c.model.executionCount !== null);
            }""",
            timeout=timeout_ms,
            polling=POLL_MS,
        )
        errors = self.page.evaluate(
            """() => window.jupyterapp.shell.currentWidget.content.widgets
                 .filter(c => c.model.type === 'code')
                 .flatMap(c => c.model.outputs.toJSON())
                 .filter(o => o.output_type === 'error')
                 .map(o => o.ename + ': ' + o.evalue)"""
        )
        assert not errors, f"ノートブックの実行でエラー: {errors}"

    def screenshot(self, name: str) -> Path:
        path = self.artifacts / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path


def _test_folder_name(node: pytest.Item) -> str:
    """A folder name unique to the test (module and test name, parameters included)."""
    return re.sub(r"[^\w.-]+", "_", f"{node.path.stem}-{node.name}")


@pytest.fixture
def lab(
    request: pytest.FixtureRequest,
    browser: Any,
    lab_server: LabServer,
    ui_artifacts: Path,
    demo_round_copier: Callable[[Path], Path],
) -> Iterator[Lab]:
    """A fresh browser page on the test server, and the test's own copy of the demo round
    (no scores) in its own folder of the server's root; a screenshot is kept when the test
    fails."""
    folder = lab_server.root / _test_folder_name(request.node)
    assert not folder.exists(), f"テストのフォルダが既にあります: {folder}"
    round_dir = demo_round_copier(folder)
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="ja-JP")
    context.set_default_timeout(30_000)
    page = context.new_page()
    helper = Lab(page, lab_server, ui_artifacts, folder, round_dir)
    try:
        yield helper
    finally:
        rep = getattr(request.node, "_shinsa_rep_call", None)
        if rep is not None and rep.failed:
            try:
                shot = helper.screenshot(f"FAILED-{request.node.name}")
                print(f"\nスクリーンショット: {shot}\nJupyterLab のログ（末尾）:\n{lab_server.log_tail()}")
            except Exception as exc:  # noqa: BLE001 - best effort on failure
                print(f"\nスクリーンショットを保存できませんでした: {exc}")
        context.close()
        try:
            lab_server.shutdown_kernels()
        except (urllib.error.URLError, OSError) as exc:
            print(f"\nカーネルを停止できませんでした: {exc}")
