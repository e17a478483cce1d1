"""The hub site's set-up and removal (scoring.admin, python -m scoring hub-setup / hub-remove):
what it refuses, in Japanese, before it creates anything; what it creates; what it removes.

Real system accounts (as root), real PAM, a fresh database on the session's cluster.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import grp
import json
import pwd
import re
import secrets
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from hubkit import Hub, prefixed_round
from roundcopy import copy_demo_round

from scoring import load_round
from scoring.admin import setup as setupmod
from scoring.admin.authenticator import ShinsaPAMAuthenticator
from scoring.admin.passwords import password_lines, read_passwords
from scoring.admin.setup import remove_hub, setup_hub
from scoring.admin.site import HubSite, hub_users
from scoring.admin.siteaccess import private_groups
from scoring.admin.sysaccounts import (
    ACCOUNT_MARKER,
    UID_CEILING,
    UID_FLOOR,
    grant_python_access,
    remove_accounts,
    revoke_python_access,
)
from scoring.admin.trialdb import create_database
from scoring.cli import main
from scoring.core.errors import HubError, StoreError

#: An owner URL nobody listens on: set-up must refuse before it gets that far, or because of it.
NO_DATABASE = "postgresql+psycopg://x@127.0.0.1:1/x"


def _set_people(round_dir, *, analysts: str = "[jimukyoku]", hub_user_r1: str = "r1") -> None:
    f = round_dir / "reviewers.yaml"
    text = f.read_text(encoding="utf-8")
    text = re.sub(r"^analysts: .*$", f"analysts: {analysts}", text, flags=re.MULTILINE)
    text = text.replace("hub_user: r1\n", f"hub_user: {hub_user_r1}\n")
    f.write_text(text, encoding="utf-8")


def _exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


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
    colon = tmp_path / "colon.yaml"
    colon.write_text("r1: 'a:b:c:d:e:f'\n", encoding="utf-8")
    with pytest.raises(HubError, match="r1 のパスワードに改行・「:」は使えません"):
        read_passwords(colon)


def test_setup_needs_root(demo_round_copy, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(setupmod.os, "geteuid", lambda: 1000)
    with pytest.raises(HubError, match="root で実行してください"):
        setup_hub(load_round(demo_round_copy), NO_DATABASE, tmp_path / "site")
    assert not (tmp_path / "site").exists()


def test_cli_hub_setup_reports_a_bad_passwords_file_and_exits_2(demo_round_copy, tmp_path, capsys) -> None:
    bad = tmp_path / "pw.yaml"
    bad.write_text("r1: short\n", encoding="utf-8")
    code = main(
        [
            "hub-setup",
            "--round",
            str(demo_round_copy),
            "--admin-url",
            NO_DATABASE,
            "--site",
            str(tmp_path / "site"),
            "--passwords",
            str(bad),
        ]
    )
    assert code == 2
    assert "8文字未満" in capsys.readouterr().err
    assert not (tmp_path / "site").exists()


# --------------------------------------------------------------------------- refusals: nothing created


@pytest.fixture
def ordinary_account() -> Iterator[str]:
    """An ordinary account made the usual way (``useradd``, uid from 1000), removed after."""
    name = f"o{secrets.token_hex(3)}"
    subprocess.run(["useradd", "--create-home", name], check=True, capture_output=True)
    try:
        yield name
    finally:
        subprocess.run(["userdel", "--remove", name], capture_output=True, check=False)


@pytest.fixture
def marker_only_account() -> Iterator[str]:
    """An account with our comment but an ordinary uid: not ours either."""
    name = f"m{secrets.token_hex(3)}"
    subprocess.run(["useradd", "--comment", ACCOUNT_MARKER, name], check=True, capture_output=True)
    try:
        yield name
    finally:
        subprocess.run(["userdel", name], capture_output=True, check=False)


def _refused_round(tmp_path: Path, analyst: str) -> tuple[object, list[str]]:
    """The demo round with fresh hub users, and ``analyst`` as the 事務局; the other names."""
    prefix = f"t{secrets.token_hex(3)}_"
    round_dir = prefixed_round(tmp_path / "src", copy_demo_round, prefix)
    _set_people(round_dir, analysts=f"[{analyst}]")
    rnd = load_round(round_dir)
    others = [u.name for u in hub_users(rnd) if u.name != analyst]
    assert len(others) == 7 and not any(_exists(n) for n in others)
    return rnd, others


@pytest.mark.parametrize("who", ["postgres", "root", "ordinary", "marker_only"])
def test_setup_refuses_an_account_it_did_not_create_and_creates_nothing(
    who: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    name = request.getfixturevalue(f"{who}_account") if who in ("ordinary", "marker_only") else who
    before = pwd.getpwnam(name)
    groups_before = sorted(g.gr_name for g in grp.getgrall() if name in g.gr_mem)
    rnd, others = _refused_round(tmp_path, name)
    group = f"g{secrets.token_hex(3)}"
    with pytest.raises(
        HubError, match=rf"{name}.*(システムで使われる名前|審査ワークベンチが作ったものではありません)"
    ):
        setup_hub(rnd, NO_DATABASE, tmp_path / "site", home_base=tmp_path / "home", group=group)
    assert not (tmp_path / "site").exists() and not (tmp_path / "home").exists()
    assert not any(_exists(n) for n in others)
    with pytest.raises(KeyError):
        grp.getgrnam(group)
    assert pwd.getpwnam(name) == before  # not adopted, not changed
    assert sorted(g.gr_name for g in grp.getgrall() if name in g.gr_mem) == groups_before


def test_setup_refuses_an_unreachable_database_before_any_account(tmp_path: Path) -> None:
    rnd, others = _refused_round(tmp_path, f"t{secrets.token_hex(3)}_an")
    with pytest.raises(StoreError, match="に接続できません"):
        setup_hub(rnd, NO_DATABASE, tmp_path / "site", home_base=tmp_path / "home", group="shinsa-none")
    assert not (tmp_path / "site").exists()
    assert not any(_exists(n) for n in [*others, f"{rnd.analysts[0]}"])


def test_setup_refuses_a_folder_it_did_not_make(tmp_path: Path) -> None:
    rnd, others = _refused_round(tmp_path, f"t{secrets.token_hex(3)}_an")
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "important.txt").write_text("x", encoding="utf-8")
    with pytest.raises(HubError, match="hub-setup で作ったものではありません"):
        setup_hub(rnd, NO_DATABASE, tmp_path / "site", home_base=tmp_path / "home")
    assert sorted(p.name for p in (tmp_path / "site").iterdir()) == ["important.txt"]
    assert not any(_exists(n) for n in others)


# --------------------------------------------------------------------------- set up, sign in, remove


@pytest.fixture
def fresh_database(hub: Hub) -> Iterator[str]:
    """A new database on the session's cluster (its own role names), dropped after."""
    db = f"rm_{uuid.uuid4().hex[:10]}"
    super_url = hub.admin_url.rsplit("/", 1)[0] + "/postgres"
    url = create_database(super_url, db)
    eng = sa.create_engine(super_url, isolation_level="AUTOCOMMIT")
    try:
        yield url
    finally:
        with eng.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        eng.dispose()


def _sign_in(auth: ShinsaPAMAuthenticator, name: str, password: str) -> str | None:
    """The authenticator's coroutine, in a thread of its own (Playwright's sync API keeps an
    event loop in the main thread once a browser test has run)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(
            asyncio.run, auth.authenticate(None, {"username": name, "password": password})
        ).result()


def test_setup_creates_our_accounts_prints_passwords_with_roles_and_hub_remove_removes_them(
    hub: Hub, fresh_database: str, demo_round_copier, tmp_path: Path, capsys
) -> None:
    prefix = f"t{secrets.token_hex(3)}_"
    rnd = load_round(prefixed_round(tmp_path / "src", demo_round_copier, prefix))
    users = hub_users(rnd)
    site = tmp_path / "site"
    group = f"{prefix}g"
    acl = grant_python_access(group)  # as a trial does: the group made before set-up, for the ACL
    try:
        generated = setup_hub(
            rnd, fresh_database, site, home_base=tmp_path / "home", group=group, group_created=True
        )
        for u in users:
            pw = pwd.getpwnam(u.name)
            assert UID_FLOOR <= pw.pw_uid <= UID_CEILING and pw.pw_gecos.startswith(ACCOUNT_MARKER)
        # Every password printed once, with the role (and the reviewer id) of its account.
        lines = password_lines(generated, users)
        assert len(lines) == len(users) == len(generated)
        assert f"  審査員 R1\t{prefix}r1\t{generated[prefix + 'r1']}" in lines
        assert f"  事務局\t{prefix}an\t{generated[prefix + 'an']}" in lines
        assert f"  選定委員\t{prefix}co\t{generated[prefix + 'co']}" in lines
        # Run again: the accounts are ours, their passwords are kept (nothing generated).
        assert setup_hub(rnd, fresh_database, site, home_base=tmp_path / "home", group=group) == {}

        # PAM signs in with the password; 2 failures lock the name out, even with the right one.
        user, right = f"{prefix}r1", generated[f"{prefix}r1"]
        auth = ShinsaPAMAuthenticator(allowed_failed_logins=2, seconds_before_next_try=60)
        assert _sign_in(auth, user, right) == user
        assert _sign_in(auth, user, right + "x") is None
        assert _sign_in(auth, user, "wrong-password") is None
        assert _sign_in(auth, user, right) is None  # locked out
        assert _sign_in(ShinsaPAMAuthenticator(), user, right) == user  # a restarted hub starts afresh

        # hub-remove refuses a site that lists an account we did not create, and removes nothing.
        state = HubSite(site).site_file
        data = json.loads(state.read_text(encoding="utf-8"))
        state.write_text(json.dumps({**data, "accounts": [*data["accounts"], "postgres"]}), encoding="utf-8")
        with pytest.raises(HubError, match="postgres は審査ワークベンチが作ったものではないため削除しません"):
            remove_hub(site)
        assert all(_exists(u.name) for u in users) and _exists("postgres") and site.exists()
        state.write_text(json.dumps(data), encoding="utf-8")

        revoke_python_access(acl, group)  # the trial does it when the hub stops
        capsys.readouterr()
        assert main(["hub-remove", "--site", str(site)]) == 0
        out = capsys.readouterr().out
        assert f"{prefix}r1" in out and f"{prefix}co" in out
        assert not any(_exists(u.name) for u in users)
        assert not site.exists() and not (tmp_path / "home" / f"{prefix}r1").exists()
        assert f"グループ: {group}" in out
        for name in (group, *private_groups(group)):  # the analysts' and the staff's groups too
            with pytest.raises(KeyError):
                grp.getgrnam(name)
    finally:
        for u in users:
            if _exists(u.name) and pwd.getpwnam(u.name).pw_gecos.startswith(ACCOUNT_MARKER):
                subprocess.run(["userdel", "--remove", u.name], capture_output=True, check=False)
        revoke_python_access(acl, group)
        for name in (*private_groups(group), group):
            subprocess.run(["groupdel", name], capture_output=True, check=False)


def test_hub_remove_keeps_a_group_it_did_not_make(
    hub: Hub, fresh_database: str, demo_round_copier, tmp_path: Path
) -> None:
    """The session's group existed before this set-up: removing the site keeps it."""
    prefix = f"t{secrets.token_hex(3)}_"
    rnd = load_round(prefixed_round(tmp_path / "src", demo_round_copier, prefix))
    names = [u.name for u in hub_users(rnd)]
    try:
        setup_hub(rnd, fresh_database, tmp_path / "site", home_base=tmp_path / "home", group=hub.group)
        removed = remove_hub(tmp_path / "site")
        assert sorted(removed.accounts) == sorted(names) and removed.group is None
        assert grp.getgrnam(hub.group) and not any(_exists(n) for n in names)
    finally:
        remove_accounts([n for n in names if _exists(n)])
