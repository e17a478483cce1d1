"""Regenerate the pictures in docs/ that the README shows (``make docs``).

- ``docs/committee_page1.png``: the first page of ``committee.pdf`` (the 本体) for the demo
  round (rendered with pdftoppm from Debian's poppler-utils), and beside it
  ``docs/committee_page1.txt``, the text of that page (:func:`scoring.reporting.pdf.page_text`):
  ``tests/reporting/test_committee_documents.py`` fails when the demo no longer produces it;
- ``docs/reviewer_form.png``: the app a reviewer of the hub lands on, taken where a reviewer
  sees it: a throw-away hub of the demo round set up and run by ``deploy/run_hub.py`` (what
  ``make hub`` runs: the system accounts, a trial PostgreSQL cluster with a role per person,
  the simulated scores of every reviewer but R1), signed in as R1 (``r1``) through the hub's
  login page in Debian's chromium (Playwright), 1366×900; beside it ``docs/reviewer_form.txt``,
  the page's visible text: ``tests/deploy/test_hub.py`` fails when the hub reviewer's page no
  longer shows it. Afterwards the hub is stopped as Ctrl-C stops it and everything is removed
  as ``make hub-remove`` removes it (accounts and homes, group, site folder, cluster), also
  when something failed. Needs root and refuses to run while the demo's accounts exist (a
  ``make hub`` site: remove it first).

Everything runs on temporary copies of the demo round; nothing in the working tree changes
except the pictures and the texts beside them. Offline: the servers listen on 127.0.0.1 only.

    python scripts/make_docs.py [committee_page1 | reviewer_form]   (default: both)
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: The demo reviewer pictured: left without simulated scores by ``make hub`` (deploy/run_hub.py).
DOCS_REVIEWER = "R1"
#: A reviewer's window: the README's picture and its text are what fits in it.
VIEWPORT = {"width": 1366, "height": 900}
#: Set-up (accounts, PostgreSQL, the demo's simulated scores) and the hub's start.
HUB_START_TIMEOUT_S = 300
#: The first start of the reviewer's server and Voilà rendering notebook 02 (as tests/deploy).
LANDING_TIMEOUT_MS = 150_000


def copy_round(dest: Path) -> Path:
    """The demo round at ``dest/data/demo`` with ``dest/rubrics`` beside it (no scores)."""
    from scoring.core.paths import DEMO_ROUND, RUBRICS_DIR

    ignore = shutil.ignore_patterns("scores.sqlite*", "checkpoints*.jsonl", "__pycache__", "keys")
    round_dir = dest / "data" / "demo"
    shutil.copytree(DEMO_ROUND, round_dir, ignore=ignore)
    shutil.copytree(RUBRICS_DIR, dest / "rubrics")
    return round_dir


def committee_page(work: Path) -> Path:
    from scoring.demo.simulate import write_demo_scores
    from scoring.reporting.committee_report import write_committee_reports
    from scoring.reporting.pdf import page_text
    from scoring.round.loader import load_round

    round_dir = copy_round(work / "committee")
    write_demo_scores(load_round(round_dir))
    paths = write_committee_reports(round_dir, work / "reports")
    out = DOCS / "committee_page1"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(paths["pdf"]), str(out)],
        check=True,
    )
    out.with_suffix(".txt").write_text(page_text(paths["pdf"], 1), encoding="utf-8")
    return out.with_suffix(".png")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _need_root() -> None:
    if os.geteuid() != 0:
        raise SystemExit(
            "make docs は root で実行してください: 審査員の画面は、使い捨てのハブ（make hub と同じ手順）に"
            "デモの審査員のアカウントでログインして撮ります。"
        )


def _new_hub_users(round_dir: Path) -> dict[str, str]:
    """The demo's hub users (``r1`` … and the 事務局・委員 accounts), each with its reviewer id
    (empty for the others); refuses when one of them exists already (e.g. a ``make hub`` trial
    site): the clean-up removes them."""
    import pwd

    from scoring.admin.site import hub_users
    from scoring.round.loader import load_round

    _need_root()
    users = {u.name: u.reviewer or "" for u in hub_users(load_round(round_dir))}
    existing = []
    for name in users:
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        existing.append(name)
    if existing:
        raise SystemExit(
            f"システムのアカウント {'、'.join(existing)} が既にあります（make hub のサイト？）。"
            "make docs は後片付けでデモのアカウントを削除するため、先に make hub-remove で片付けてください。"
        )
    return users


def _start_trial_hub(round_dir: Path, site: Path, password_file: Path, log: Path) -> tuple[Any, int]:
    """``deploy/run_hub.py`` (``make hub``) for ``round_dir`` on free ports, in a session of its
    own (Ctrl-C on ``make docs`` reaches this script, which stops it): the process and its port."""
    port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("JUPYTERHUB_", "JPY_", "SCORING_", "SHINSA_", "HUB_"))
    }
    env.update({"SHINSA_HUB_API_PORT": str(_free_port()), "SHINSA_PROXY_API_PORT": str(_free_port())})
    cmd = [sys.executable, str(ROOT / "deploy" / "run_hub.py"), "--round", str(round_dir)]
    cmd += ["--site", str(site), "--port", str(port), "--passwords", str(password_file)]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    return proc, port


def _wait_for_hub(proc: Any, url: str, log: Path) -> None:
    deadline = time.monotonic() + HUB_START_TIMEOUT_S
    while True:
        try:
            with urllib.request.urlopen(f"{url}/hub/api", timeout=5):
                return
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
                raise SystemExit(f"使い捨てのハブが起動しませんでした（{log}）:\n{tail}") from None
            time.sleep(1)


def _stop_trial_hub(proc: Any, site: Path, names: list[str]) -> None:
    """Stop run_hub.py as Ctrl-C does (its trial cluster goes with it), then ``hub-remove``:
    the accounts and their homes, the group, the site folder, clusters left behind."""
    from scoring.admin.setup import remove_hub
    from scoring.admin.sysaccounts import remove_accounts
    from scoring.admin.trialdb import remove_stale_clusters
    from scoring.core.errors import HubError

    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=20)
    try:
        remove_hub(site)
    except HubError:  # set-up stopped before site.json: what it may have made (checked new before)
        remove_accounts(names)
        remove_stale_clusters()
        shutil.rmtree(site, ignore_errors=True)


def _shoot_reviewer(url: str, user: str, password: str) -> str:
    """Sign in through the hub's login page, wait for the app the reviewer lands on, write the
    picture; returns the page's visible text."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT, locale="ja-JP")
            page.set_default_timeout(LANDING_TIMEOUT_MS)
            page.goto(f"{url}/hub/login")
            page.locator("#username_input").fill(user)
            page.locator("#password_input").fill(password)
            page.locator("#login_submit").click()
            page.wait_for_url(f"**/user/{user}/voila/render/02_review.ipynb")
            page.locator(".shinsa-current-code").first.wait_for(state="visible")
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(1000)
            page.screenshot(path=str(DOCS / "reviewer_form.png"))
            return str(page.locator("body").inner_text())
        finally:
            browser.close()


def reviewer_form(work: Path) -> Path:
    """The reviewer's app as demo reviewer R1 sees it after signing in to a throw-away hub of
    the demo round (``make hub``'s deploy/run_hub.py, removed as ``make hub-remove`` does)."""
    import secrets

    round_dir = copy_round(work / "hub")
    users = _new_hub_users(round_dir)
    user = next(name for name, reviewer in users.items() if reviewer == DOCS_REVIEWER)
    password = secrets.token_urlsafe(12)
    password_file = work / "passwords.yaml"
    password_file.write_text(f"{user}: {password}\n", encoding="utf-8")
    base = Path(tempfile.mkdtemp(prefix="shinsa-docs-hub-"))  # the accounts pass through it
    os.chmod(base, 0o755)
    try:
        proc, port = _start_trial_hub(round_dir, base / "site", password_file, work / "hub.log")
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_for_hub(proc, url, work / "hub.log")
            text = _shoot_reviewer(url, user, password)
        finally:
            _stop_trial_hub(proc, base / "site", list(users))
    finally:
        shutil.rmtree(base, ignore_errors=True)
    out = DOCS / "reviewer_form.png"
    out.with_suffix(".txt").write_text(text.rstrip() + "\n", encoding="utf-8")
    return out


def main() -> None:
    makers = {"committee_page1": committee_page, "reviewer_form": reviewer_form}
    wanted = sys.argv[1:] or list(makers)
    unknown = [w for w in wanted if w not in makers]
    if unknown:
        raise SystemExit(f"不明な画像: {', '.join(unknown)}（{' / '.join(makers)} のどれか）")
    if "reviewer_form" in wanted:
        _need_root()  # before the committee's page is written, not after
    DOCS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name in wanted:
            started = time.monotonic()
            out = makers[name](work)
            print(f"書き出しました: {out.relative_to(ROOT)}（{time.monotonic() - started:.0f} 秒）")


if __name__ == "__main__":
    main()
