"""Waiting times through the real hub (issue 22 item 6): measured, printed, not asserted.

Runs only for the benchmark (``python benchmarks/bench_waiting_times.py`` sets
``SHINSA_BENCH_WAITING=1``); skipped in ``make test``. Each time is from the moment the person
acts (presses ログイン, or reloads) until the screen is usable: the reviewer's score buttons
are on screen and enabled, or the committee dashboard shows its ranking and proposal.
"""

from __future__ import annotations

import os
import time
from typing import Any

import pytest
from hubkit import Hub

pytestmark = [
    pytest.mark.ui,
    pytest.mark.skipif(
        os.environ.get("SHINSA_BENCH_WAITING") != "1",
        reason="benchmark: python benchmarks/bench_waiting_times.py",
    ),
]

WAIT_MS = 180_000
#: (what, target in seconds) — issue 22 item 6.
TARGETS = {
    "cold": ("ログイン → 採点画面（サーバー起動から）", 10.0),
    "warm": ("ログイン → 採点画面（サーバー起動済み）", 5.0),
    "reload": ("再読み込み → 採点画面", 3.0),
    "committee": ("ログイン → 委員会の画面", 8.0),
}


def _usable_form(page: Any) -> None:
    page.locator(".shinsa-level-btn:not([disabled])").first.wait_for(state="visible", timeout=WAIT_MS)


def _sign_in(browser: Any, hub: Hub, user: str) -> tuple[Any, Any, float]:
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="ja-JP")
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.goto(f"{hub.url}/hub/login")
    page.locator("#username_input").fill(user)
    page.locator("#password_input").fill(hub.passwords[user])
    start = time.monotonic()
    page.locator("#login_submit").click()
    return context, page, start


def test_waiting_times_through_the_hub(hub: Hub, browser) -> None:
    times: dict[str, float] = {}
    reviewer = hub.user("R2")
    context, page, start = _sign_in(browser, hub, reviewer)
    _usable_form(page)
    times["cold"] = time.monotonic() - start
    start = time.monotonic()
    page.reload()
    _usable_form(page)
    times["reload"] = time.monotonic() - start
    context.close()
    context, page, start = _sign_in(browser, hub, reviewer)  # the server is running now
    _usable_form(page)
    times["warm"] = time.monotonic() - start
    context.close()

    context, page, start = _sign_in(browser, hub, f"{hub.prefix}co")
    page.get_by_text("審議事項と選定案").first.wait_for(timeout=WAIT_MS)
    times["committee"] = time.monotonic() - start
    context.close()

    load = os.getloadavg()
    print(f"\n待ち時間（実際のハブ経由、負荷平均 {load[0]:.1f} / {os.cpu_count()} コア）")
    for key, (what, target) in TARGETS.items():
        verdict = "達成 (met)" if times[key] <= target else "未達 (not met)"
        print(f"  {what:<28} {times[key]:6.1f} 秒  目標 {target:4.1f} 秒  {verdict}")
