"""Settings files (round.yaml, reviewers.yaml, a rubric) are read safely (issue 18, Low).

A link to a device or a FIFO is refused without being opened for reading or read, a huge
file is refused after reading just over the limit, and a file that is not a settings file
(a link to ``/etc/shadow``, a private key) is never printed in the error beyond a short
excerpt of a value and the length of a key.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from roundcopy import copy_demo_round

from scoring.config.rubric import load_rubric
from scoring.config.yamlfile import EXCERPT_CHARS, MAX_SETTINGS_BYTES, load_yaml
from scoring.core.errors import ConfigError
from scoring.round.loader import load_round

SHADOW = (
    "root:$6$SALTsalt$SECRETHASHsecrethashSECRETHASH:19000:0:99999:7:::\n"
    "daemon:*:19000:0:99999:7:::\n"
    "reviewer1:$y$j9T$ANOTHERSECRET$moreSECRET:19000:0:99999:7:::\n"
)


@pytest.fixture
def round_dir(tmp_path: Path) -> Path:
    return copy_demo_round(tmp_path)


def _error(fn: object, *args: object) -> str:
    with pytest.raises(ConfigError) as info:
        fn(*args)  # type: ignore[operator]
    return str(info.value)


def test_round_yaml_linked_to_dev_zero_is_refused_unread(round_dir: Path) -> None:
    target = round_dir / "round.yaml"
    target.unlink()
    target.symlink_to("/dev/zero")
    msg = _error(load_round, round_dir)
    assert "デバイスファイル" in msg and "round.yaml" in msg


def test_a_fifo_is_refused_without_blocking(round_dir: Path) -> None:
    target = round_dir / "reviewers.yaml"
    target.unlink()
    os.mkfifo(target)
    out: dict[str, str] = {}

    def load() -> None:
        try:
            load_yaml(target)
        except ConfigError as e:
            out["msg"] = str(e)

    t = threading.Thread(target=load, daemon=True)
    t.start()
    t.join(timeout=20)
    if t.is_alive():  # unblock the reader so that the test process can end
        with open(target, "w"):
            pass
        pytest.fail("reading a FIFO blocked")
    assert "名前付きパイプ" in out["msg"]


def test_a_huge_settings_file_is_refused(round_dir: Path) -> None:
    target = round_dir / "round.yaml"
    text = target.read_text(encoding="utf-8")
    target.write_text(text + "#" * (MAX_SETTINGS_BYTES + 10) + "\n", encoding="utf-8")
    msg = _error(load_round, round_dir)
    assert "大きすぎます" in msg and "round.yaml" in msg


def test_a_settings_file_just_under_the_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("a: 1\n" + "#" * (MAX_SETTINGS_BYTES - 100) + "\n", encoding="utf-8")
    assert load_yaml(path)[0] == {"a": 1}


def test_a_rubric_linked_to_a_shadow_file_is_not_printed(round_dir: Path, tmp_path: Path) -> None:
    shadow = tmp_path / "shadow"
    shadow.write_text(SHADOW, encoding="utf-8")
    shadow.chmod(0o600)
    link = round_dir / "rubric_link.yaml"
    link.symlink_to(shadow)
    msg = _error(load_rubric, link)
    assert "未知のキー" in msg and "内容は表示しません" in msg
    for secret in ("SECRET", "root:", "daemon", "reviewer1", "19000", "$6$"):
        assert secret not in msg, msg


def test_a_private_key_as_rubric_shows_only_an_excerpt(tmp_path: Path) -> None:
    body = "SECRETKEYMATERIAL" * 20
    path = tmp_path / "key.yaml"
    path.write_text(
        f"-----BEGIN OPENSSH PRIVATE KEY-----\n{body}\n-----END OPENSSH PRIVATE KEY-----\n", encoding="utf-8"
    )
    msg = _error(load_rubric, path)
    assert "対応表" in msg and "文字）" in msg
    assert "SECRETKEYMATERIAL" not in msg
    assert "-----BEGIN OPENSSH PRIVATE KEY-----"[:EXCERPT_CHARS] in msg


def test_a_plain_unknown_key_is_still_named(tmp_path: Path) -> None:
    path = tmp_path / "round.yaml"
    path.write_text("nmae: x\n", encoding="utf-8")
    from scoring.config.round import RoundConfig
    from scoring.config.yamlfile import validate_yaml

    msg = _error(validate_yaml, path, RoundConfig)
    assert "未知のキー 'nmae'" in msg
