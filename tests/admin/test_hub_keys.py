"""Key pairs made at hub set-up (scoring.admin.keys): one per signer, kept on re-runs.

The accounts here are this test's own (homes in tmp_path, this process's uid); the real hub
(other accounts, the analyst unable to read a reviewer's key) is tested in tests/deploy.
"""

from __future__ import annotations

import os
import pwd
import shutil
from pathlib import Path

from scoring.admin.keys import key_path, publish_keys
from scoring.admin.site import HubSite, HubUser
from scoring.core.keyring import Keyring, keyring_path
from scoring.core.keys import load_private_key, public_key_text


def _account(name: str, home: Path) -> pwd.struct_passwd:
    home.mkdir(parents=True, mode=0o700)
    return pwd.struct_passwd(
        (name, "x", os.getuid(), os.getgid(), "shinsa-workbench", str(home), "/bin/false")
    )


def test_each_signer_gets_a_private_key_and_the_signed_keyring_lists_them_and_a_rerun_keeps_them(
    tmp_path: Path,
) -> None:
    users = [HubUser("r1", "reviewer", "R1"), HubUser("r2", "reviewer", "R2"), HubUser("an", "analyst")]
    users.append(HubUser("co", "committee"))
    accounts = {u.name: _account(u.name, tmp_path / "home" / u.name) for u in users}
    site = HubSite(tmp_path / "site")
    site.round_dir.mkdir(parents=True)
    site.state_dir.mkdir(mode=0o700)

    ring = publish_keys("R", users, accounts, site, os.getgid())
    for name in ("r1", "r2", "an"):
        path = key_path(accounts[name])
        assert path.stat().st_mode & 0o777 == 0o600
        assert path.parent.stat().st_mode & 0o777 == 0o700
    assert not key_path(accounts["co"]).exists()  # the committee signs nothing
    loaded = Keyring.load(site.round_dir)
    assert loaded.problems() == []
    assert {(p.person, p.role) for p in loaded.people} == {
        ("R1", "reviewer"),
        ("R2", "reviewer"),
        ("analyst:an", "analyst"),
    }
    assert loaded.public_key("R1") == public_key_text(load_private_key(key_path(accounts["r1"])))
    assert loaded.signed_by == public_key_text(load_private_key(key_path(accounts["an"])))

    # A re-run (the round copy replaced, as hub-setup does) keeps every key and the keyring.
    before = {n: key_path(accounts[n]).read_bytes() for n in ("r1", "r2", "an")}
    shutil.rmtree(site.round_dir)
    site.round_dir.mkdir()
    again = publish_keys("R", users, accounts, site, os.getgid())
    assert {n: key_path(accounts[n]).read_bytes() for n in before} == before
    assert again.people == ring.people  # same keys, same times: nothing replaced
    assert keyring_path(site.round_dir).is_file() and Keyring.load(site.round_dir).problems() == []
