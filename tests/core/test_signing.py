"""The analyst's signing key and HMAC signatures."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from scoring.core.environment import ENV_LEGACY_KEY
from scoring.core.errors import SigningError
from scoring.core.signing import default_key_path, key_id, load_key, sign, verify


def test_a_key_is_created_once_readable_only_by_its_owner(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "signing.key"
    with pytest.raises(SigningError, match="署名の鍵 .* がありません"):
        load_key(path)
    key = load_key(path, create=True)
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert load_key(path) == key and load_key(path, create=True) == key


def test_a_key_others_can_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "signing.key"
    load_key(path, create=True)
    os.chmod(path, 0o644)
    with pytest.raises(SigningError, match="chmod 600"):
        load_key(path)
    os.chmod(path, 0o600)
    path.write_text("not a key\n", encoding="ascii")
    with pytest.raises(SigningError, match="署名の鍵ではありません"):
        load_key(path)


def test_signatures_follow_every_byte_of_the_data_and_the_key(tmp_path: Path) -> None:
    key = load_key(tmp_path / "a.key", create=True)
    other = load_key(tmp_path / "b.key", create=True)
    data = {"head": "ab" * 32, "n": 3, "who": "審査員"}
    sig = sign(data, key)
    assert verify(dict(reversed(list(data.items()))), sig, key)  # key order does not matter
    assert not verify({**data, "n": 4}, sig, key)
    assert not verify(data, sig, other)
    assert key_id(key) != key_id(other) and len(key_id(key)) == 12 and key.hex()[:12] != key_id(key)


def test_the_key_path_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The old HMAC key (old checkpoints, 採点表 manifests): ``$SCORING_LEGACY_KEY``, since
    ``$SCORING_SIGNING_KEY`` now names the Ed25519 key (issue 18)."""
    monkeypatch.setenv(ENV_LEGACY_KEY, str(tmp_path / "k"))
    assert default_key_path() == tmp_path / "k"
    monkeypatch.delenv(ENV_LEGACY_KEY)
    assert default_key_path() == Path.home() / ".shinsa" / "signing.key"


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o722])
def test_a_key_folder_others_can_write_is_refused(tmp_path: Path, mode: int) -> None:
    """Issue 18 (Low): whoever can write the folder can swap the key file, whatever its mode."""
    folder = tmp_path / "keys"
    path = folder / "signing.key"
    load_key(path, create=True)
    folder.chmod(mode)
    try:
        with pytest.raises(SigningError, match=f"chmod 700 {folder}") as info:
            load_key(path)
        assert "他のアカウントが書き込めます" in str(info.value)
        with pytest.raises(SigningError, match="chmod 700"):
            load_key(folder / "new.key", create=True)
        assert not (folder / "new.key").exists()
    finally:
        folder.chmod(0o700)
    assert len(load_key(path)) == 32


def test_a_sticky_shared_folder_is_accepted(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o1777)  # as /tmp: only a file's owner may rename or remove it
    assert len(load_key(folder / "signing.key", create=True)) == 32
