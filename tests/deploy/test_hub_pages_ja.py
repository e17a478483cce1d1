"""The hub's own pages speak Japanese and meet JIS X 8341-3 AA (issue 22 items 1 and 3).

Uses the session's real hub (tests/deploy/conftest.py); one page, no sign-in: cheap.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from axecheck import assert_accessible
from hubkit import Hub

pytestmark = pytest.mark.ui

#: Words that may stay in Latin letters on a Japanese page.
ALLOWED = {"JupyterHub", "Jupyter", "Voilà"}


def test_hub_pages_are_japanese_and_accessible(hub: Hub, browser, ui_artifacts: Path) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="ja-JP")
    try:
        page = context.new_page()
        page.goto(f"{hub.url}/hub/login")
        text = page.locator("body").inner_text()
        for words in ("ログイン", "ユーザー名", "パスワード", "事務局"):
            assert words in text
        english = set(re.findall(r"[A-Za-zà]{2,}", text + page.title())) - ALLOWED
        assert not english, english
        assert page.locator("html").get_attribute("lang") == "ja"
        toggle = page.locator("#toggle_password_visibility")
        assert toggle.inner_text() == "表示"  # a word, not an icon that may render as an empty box
        toggle.click()
        assert page.locator("#password_input").get_attribute("type") == "text"
        assert_accessible(page, "ハブのログイン画面")
        page.screenshot(path=str(ui_artifacts / "hub_sign_in.png"))

        # A wrong password: the message is Japanese too.
        page.locator("#username_input").fill("nobody_here")
        page.locator("#password_input").fill("wrong")
        page.locator("#login_submit").click()
        error = page.locator(".login_error")
        error.wait_for()
        assert "ユーザー名またはパスワードが違います" in error.inner_text()
        assert_accessible(page, "ハブのログイン画面（失敗の後）")

        # An error page (404) of the hub.
        page.goto(f"{hub.url}/hub/no-such-page")
        text = page.locator("main, .error").first.inner_text()
        assert "ページが見つかりません" in text and "事務局" in text
        assert not set(re.findall(r"[A-Za-zà]{2,}", text)) - ALLOWED, text
        assert_accessible(page, "ハブのエラー画面（404）")

        # The home page of a signed-in person (next=/hub/home: no server is started).
        user = f"{hub.prefix}co"
        page.goto(f"{hub.url}/hub/login?next=%2Fhub%2Fhome")
        page.locator("#username_input").fill(user)
        page.locator("#password_input").fill(hub.passwords[user])
        page.locator("#login_submit").click()
        page.wait_for_url("**/hub/home")
        text = page.locator("body").inner_text()
        assert "ログアウト" in text and "ホーム" in text, text
        assert not set(re.findall(r"[A-Za-zà]{2,}", text.replace(user, ""))) - ALLOWED, text
        assert_accessible(page, "ハブのホーム画面")
    finally:
        context.close()
