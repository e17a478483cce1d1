"""Regenerate the pictures in docs/ that the README shows (``make docs``).

- ``docs/committee_page1.png``: the first page of ``committee.pdf`` (the 本体) for the demo
  round (rendered with pdftoppm from Debian's poppler-utils), and beside it
  ``docs/committee_page1.txt``, the text of that page (:func:`scoring.reporting.pdf.page_text`):
  ``tests/reporting/test_committee_documents.py`` fails when the demo no longer produces it;
- ``docs/reviewer_form.png``: the reviewer's scoring app (notebook 02 served by Voilà, as a
  reviewer sees it) at 1366×768, driven by Debian's chromium through Playwright.

Everything runs on a temporary copy of the demo round; nothing in the working tree changes
except the two pictures and the text beside the first. Offline: the servers listen on 127.0.0.1 only.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

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


def copy_round(dest: Path) -> Path:
    """The demo round at ``dest/data/demo`` with ``dest/rubrics`` beside it (no scores)."""
    from scoring.core.paths import DEMO_ROUND, RUBRICS_DIR

    ignore = shutil.ignore_patterns("scores.sqlite*", "checkpoints*.jsonl", "__pycache__")
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


def reviewer_form(work: Path) -> Path:
    from playwright.sync_api import sync_playwright

    base = work / "form"
    round_dir = copy_round(base / "root")
    notebook = base / "notebooks" / "02_review.ipynb"
    notebook.parent.mkdir(parents=True)
    shutil.copyfile(ROOT / "notebooks" / "02_review.ipynb", notebook)
    for d in ("config", "runtime", "ipython"):
        (base / d).mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTERHUB_", "JPY_"))}
    env.update(
        {
            "SCORING_ROUND": str(round_dir),
            "JUPYTERHUB_USER": "r1",  # signed in as reviewer R1
            "JUPYTER_CONFIG_DIR": str(base / "config"),
            "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
            "IPYTHONDIR": str(base / "ipython"),
            "JUPYTER_PLATFORM_DIRS": "1",
            "JUPYTER_PATH": str(ROOT / "scoring" / "ui" / "jupyter"),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")])),
        }
    )
    env.pop("SCORING_DATABASE_URL", None)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = (base / "voila.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "voila",
            str(notebook),
            "--template=shinsa",
            "--Voila.ip=127.0.0.1",
            f"--port={port}",
            "--no-browser",
        ],
        cwd=base,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/voila/static/voila.js", timeout=5):
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit(f"Voilà が起動しませんでした: {base / 'voila.log'}") from None
                time.sleep(0.5)
        out = DOCS / "reviewer_form.png"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="ja-JP")
            page.goto(url, timeout=120_000)
            page.locator(".shinsa-current").first.wait_for(state="visible", timeout=120_000)
            page.wait_for_timeout(1000)
            page.screenshot(path=str(out))
            browser.close()
        return out
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def main() -> None:
    DOCS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for make in (committee_page, reviewer_form):
            print(f"書き出しました: {make(work).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
