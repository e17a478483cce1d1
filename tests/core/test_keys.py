"""Key pairs and the round's keyring (scoring.core.keys, scoring.core.keyring)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from scoring.core.errors import SigningError
from scoring.core.keyring import Keyring, keyring_path
from scoring.core.keys import (
    create_key_file,
    fingerprint,
    load_private_key,
    public_key_text,
    sign_data,
    verify_data,
)


def test_a_signature_verifies_with_the_public_key_only_and_not_after_a_change(tmp_path: Path) -> None:
    key = create_key_file(tmp_path / "k" / "ed25519_key.pem")
    pub = public_key_text(key)
    data = {"reviewer": "r1", "scores": {"need": 4}, "comment": "良い"}
    sig = sign_data(key, data)
    assert verify_data(pub, data, sig)
    assert not verify_data(pub, data | {"scores": {"need": 5}}, sig)
    other = public_key_text(create_key_file(tmp_path / "k2" / "key.pem"))
    assert not verify_data(other, data, sig)
    assert not verify_data(pub, data, "not base64!")
    assert not verify_data("ed25519:AAAA", data, sig)
    assert len(fingerprint(pub)) == 16


def test_the_key_file_is_private_and_never_replaced(tmp_path: Path) -> None:
    path = tmp_path / "home" / ".shinsa" / "ed25519_key.pem"
    key = create_key_file(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert public_key_text(load_private_key(path)) == public_key_text(key)
    with pytest.raises(SigningError, match="既にあります"):
        create_key_file(path)
    assert public_key_text(load_private_key(path)) == public_key_text(key)


def test_a_missing_key_names_where_it_was_looked_for_and_the_command(tmp_path: Path) -> None:
    with pytest.raises(SigningError) as e:
        load_private_key(tmp_path / "nowhere.pem")
    assert str(tmp_path / "nowhere.pem") in str(e.value)
    assert "keys init" in str(e.value)


@pytest.mark.parametrize(
    "file_mode,folder_mode,what", [(0o644, 0o700, "読み書き"), (0o600, 0o777, "書き込め")]
)
def test_keys_others_can_read_or_swap_are_refused(
    tmp_path: Path, file_mode: int, folder_mode: int, what: str
) -> None:
    path = tmp_path / "k" / "key.pem"
    create_key_file(path)
    os.chmod(path, file_mode)
    os.chmod(path.parent, folder_mode)
    with pytest.raises(SigningError, match=what):
        load_private_key(path)


def test_a_file_that_is_not_a_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "k" / "key.pem"
    path.parent.mkdir(mode=0o700)
    path.write_text("00" * 32)
    os.chmod(path, 0o600)
    with pytest.raises(SigningError, match="Ed25519"):
        load_private_key(path)


def _ring(tmp_path: Path) -> tuple[Keyring, Ed25519PrivateKey, Ed25519PrivateKey]:
    analyst = create_key_file(tmp_path / "a" / "key.pem")
    reviewer = create_key_file(tmp_path / "r" / "key.pem")
    ring = (
        Keyring("demo")
        .with_person("analyst", "analyst", public_key_text(analyst))
        .with_person("r1", "reviewer", public_key_text(reviewer))
        .signed(analyst)
    )
    return ring, analyst, reviewer


def test_a_keyring_round_trips_and_verifies(tmp_path: Path) -> None:
    ring, analyst, reviewer = _ring(tmp_path)
    path = ring.save(keyring_path(tmp_path / "round"))
    back = Keyring.load(tmp_path / "round")
    assert back.problems() == []
    assert back.public_key("r1") == public_key_text(reviewer)
    assert back.analyst_fingerprints() == [fingerprint(public_key_text(analyst))]
    assert back.problems([fingerprint(public_key_text(analyst))]) == []
    data = {"x": 1}
    assert back.verify_signed("r1", data, sign_data(reviewer, data))
    assert not back.verify_signed("analyst", data, sign_data(reviewer, data))
    assert path.stat().st_mode & 0o777 == 0o644


def test_a_keyring_with_a_swapped_key_fails(tmp_path: Path) -> None:
    ring, analyst, _ = _ring(tmp_path)
    path = ring.save(keyring_path(tmp_path / "round"))
    data = json.loads(path.read_text())
    forger = create_key_file(tmp_path / "f" / "key.pem")
    data["people"][1]["public_key"] = public_key_text(forger)
    path.write_text(json.dumps(data))
    assert "書き換え" in Keyring.load(path).problems()[0]
    # The forger re-signs the whole file with a key of their own: it verifies in itself,
    # but not against the analyst key the auditor knows.
    forged = Keyring("demo").with_person("analyst", "analyst", public_key_text(forger)).signed(forger)
    forged.save(path)
    assert Keyring.load(path).problems() == []
    trusted = [fingerprint(public_key_text(analyst))]
    assert "差し替え" in Keyring.load(path).problems(trusted)[0]


def test_only_a_listed_analyst_signs_and_a_key_belongs_to_one_person(tmp_path: Path) -> None:
    ring, _, reviewer = _ring(tmp_path)
    with pytest.raises(SigningError, match="事務局として登録"):
        ring.signed(reviewer)
    with pytest.raises(SigningError, match="既に r1"):
        ring.with_person("r2", "reviewer", ring.public_key("r1") or "")
    with pytest.raises(SigningError, match="役割"):
        ring.with_person("x", "root", ring.public_key("r1") or "")


def test_a_missing_or_broken_keyring_is_named(tmp_path: Path) -> None:
    with pytest.raises(SigningError, match="public_keys.json"):
        Keyring.load(tmp_path)
    bad = tmp_path / "keys" / "public_keys.json"
    bad.parent.mkdir()
    bad.write_text("{}")
    with pytest.raises(SigningError, match="形ではありません"):
        Keyring.load(tmp_path)
