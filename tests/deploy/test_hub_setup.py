"""The hub site's set-up (scoring.ui.hub, python -m scoring hub-setup): what it refuses, in Japanese."""

from __future__ import annotations

import re

import pytest

from scoring import load_round
from scoring.cli import main
from scoring.core.errors import HubError
from scoring.ui import hub as hubmod
from scoring.ui.hub import hub_users, read_passwords, setup_hub


def _set_people(round_dir, *, analysts: str = "[jimukyoku]", hub_user_r1: str = "r1") -> None:
    f = round_dir / "reviewers.yaml"
    text = f.read_text(encoding="utf-8")
    text = re.sub(r"^analysts: .*$", f"analysts: {analysts}", text, flags=re.MULTILINE)
    text = text.replace("hub_user: r1\n", f"hub_user: {hub_user_r1}\n")
    f.write_text(text, encoding="utf-8")


def test_hub_users_of_the_demo_round_by_role(demo_round_copy) -> None:
    users = hub_users(load_round(demo_round_copy))
    roles = {u.name: (u.role, u.reviewer) for u in users}
    assert roles["r6"] == ("reviewer", "R6")
    assert roles["jimukyoku"] == ("analyst", None)
    assert roles["iin"] == ("committee", None)
    assert len(users) == 8


def test_a_hub_user_that_cannot_be_a_system_account_is_refused(demo_round_copy) -> None:
    _set_people(demo_round_copy, hub_user_r1="Taro.Yamada")
    with pytest.raises(HubError, match=r"Taro\.Yamada.*システムのアカウント名に使えません"):
        hub_users(load_round(demo_round_copy))


def test_a_round_without_an_analyst_is_refused(demo_round_copy) -> None:
    _set_people(demo_round_copy, analysts="[]")
    with pytest.raises(HubError, match="事務局（analysts: \\[ユーザー名\\]）がありません"):
        hub_users(load_round(demo_round_copy))


def test_passwords_file_is_read_and_bad_ones_are_refused(tmp_path) -> None:
    good = tmp_path / "pw.yaml"
    good.write_text("r1: correct-horse-1\nr2: 'battery-staple-2'\n", encoding="utf-8")
    assert read_passwords(good) == {"r1": "correct-horse-1", "r2": "battery-staple-2"}
    short = tmp_path / "short.yaml"
    short.write_text("r1: abc\n", encoding="utf-8")
    with pytest.raises(HubError, match="r1 のパスワードが8文字未満"):
        read_passwords(short)
    listed = tmp_path / "list.yaml"
    listed.write_text("- r1\n- r2\n", encoding="utf-8")
    with pytest.raises(HubError, match="「ユーザー名: パスワード」の形"):
        read_passwords(listed)
    with pytest.raises(HubError, match="読めません"):
        read_passwords(tmp_path / "missing.yaml")


def test_setup_needs_root(demo_round_copy, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(hubmod.os, "geteuid", lambda: 1000)
    with pytest.raises(HubError, match="root で実行してください"):
        setup_hub(load_round(demo_round_copy), "postgresql+psycopg://x@127.0.0.1:1/x", tmp_path / "site")
    assert not (tmp_path / "site").exists()


def test_cli_hub_setup_reports_a_bad_passwords_file_and_exits_2(demo_round_copy, tmp_path, capsys) -> None:
    bad = tmp_path / "pw.yaml"
    bad.write_text("r1: short\n", encoding="utf-8")
    code = main(["hub-setup", "--round", str(demo_round_copy), "--admin-url", "postgresql+psycopg://x@127.0.0.1:1/x",
                 "--site", str(tmp_path / "site"), "--passwords", str(bad)])
    assert code == 2
    assert "8文字未満" in capsys.readouterr().err
    assert not (tmp_path / "site").exists()

