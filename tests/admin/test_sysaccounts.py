"""What counts as our account (scoring.admin.sysaccounts), without creating any (the deploy
tests create and refuse real ones as root)."""

from __future__ import annotations

import pwd
from pathlib import Path

import pytest

from scoring.admin import sysaccounts
from scoring.admin.sysaccounts import ACCOUNT_MARKER, UID_CEILING, UID_FLOOR, check_accounts, is_ours
from scoring.core.errors import HubError


def _pw(uid: int, gecos: str) -> pwd.struct_passwd:
    return pwd.struct_passwd(("r1", "x", uid, uid, gecos, "/home/r1", "/usr/sbin/nologin"))


def test_ours_needs_both_our_uid_range_and_our_comment() -> None:
    assert is_ours(_pw(UID_FLOOR, ACCOUNT_MARKER)) and is_ours(_pw(UID_CEILING, f"{ACCOUNT_MARKER},,,"))
    assert not is_ours(_pw(1000, ACCOUNT_MARKER))  # an ordinary uid with our comment
    assert not is_ours(_pw(UID_FLOOR + 1, "Taro Yamada"))  # our range, another comment
    assert not is_ours(_pw(UID_CEILING + 1, ACCOUNT_MARKER))
    assert not is_ours(pwd.getpwnam("root"))


@pytest.mark.parametrize("name", ["root", "postgres", "nobody"])
def test_system_names_are_refused_whether_the_account_exists_or_not(name: str) -> None:
    with pytest.raises(HubError, match=f"{name} はシステムで使われる名前"):
        check_accounts(["fresh_name_1", name])


def test_an_existing_account_we_did_not_create_is_refused_by_name() -> None:
    other = next(p for p in pwd.getpwall() if p.pw_name not in sysaccounts.RESERVED_NAMES and not is_ours(p))
    with pytest.raises(
        HubError,
        match=f"{other.pw_name}（uid {other.pw_uid}）は既にあり、審査ワークベンチが作ったものではありません",
    ):
        check_accounts([other.pw_name])
    check_accounts(["t_no_such_account_x"])  # absent and not reserved: accepted


def test_a_machine_whose_uid_max_reaches_our_range_is_refused(tmp_path: Path, monkeypatch) -> None:
    read = sysaccounts._login_defs_uid_max
    defs = tmp_path / "login.defs"
    defs.write_text("#UID_MAX 99999\nUID_MIN 1000\nUID_MAX 60000\n", encoding="utf-8")
    assert read(defs) == 60000 < UID_FLOOR  # Debian's; a commented line does not count
    defs.write_text("UID_MIN 1000\nUID_MAX 80000\n", encoding="utf-8")
    monkeypatch.setattr(sysaccounts, "_login_defs_uid_max", lambda: read(defs))
    with pytest.raises(HubError, match="UID_MAX（80000）"):
        check_accounts(["t_no_such_account_x"])
