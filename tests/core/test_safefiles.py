"""scoring.core.safefiles: the checks made before an Excel library sees a file."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest

from scoring.core import safefiles
from scoring.core.safefiles import (
    MAX_MEMBER_BYTES,
    MAX_MEMBERS,
    MAX_TOTAL_BYTES,
    UnsafeFileError,
    inspect_xlsx,
    is_regular_file,
    link_problem,
    name_problem,
    open_regular,
    visible_name,
)


def test_limits_are_ordered() -> None:
    assert safefiles.RATIO_GRACE_BYTES < MAX_MEMBER_BYTES < MAX_TOTAL_BYTES
    assert safefiles.MAX_RATIO >= 100 and MAX_MEMBERS >= 100


def _zip(members: dict[str, bytes]) -> io.BytesIO:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    buf.seek(0)
    return buf


def test_inspect_xlsx_accepts_ordinary_and_leaves_position() -> None:
    buf = _zip({"a.xml": b"<x/>" * 1000, "b.xml": os.urandom(2 * 1024 * 1024)})
    assert inspect_xlsx(buf) is None and buf.tell() == 0
    assert inspect_xlsx(io.BytesIO(b"not a zip")) is None  # the reader reports damage itself


def test_inspect_xlsx_refuses() -> None:
    assert "圧縮率" in (inspect_xlsx(_zip({"s.xml": b" " * (2 * 1024 * 1024)})) or "")
    many = _zip({f"m{i}.xml": b"" for i in range(MAX_MEMBERS + 1)})
    assert "ファイル数" in (inspect_xlsx(many) or "")


def test_inspect_xlsx_total_limit(tmp_path: Path) -> None:
    # stored (uncompressed) members just under the member limit, over the total limit in all
    path = tmp_path / "t.xlsx"
    block = os.urandom(MAX_MEMBER_BYTES - 1024)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for i in range(MAX_TOTAL_BYTES // len(block) + 1):
            z.writestr(f"p{i}.bin", block)
    message = inspect_xlsx(path)
    assert message is not None and "合計" in message


def test_names() -> None:
    assert name_problem("長野県_応募書.xlsx") is None
    assert name_problem("葛\U000e0100飾区.xlsx") is None
    message = name_problem("a\u202excod.xlsx")
    assert message is not None and "U+202E" in message and "a<U+202E>xcod.xlsx" in message
    assert visible_name("x\u200d\ufeffy") == "x<U+200D><U+FEFF>y"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs")
def test_open_regular_never_blocks(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "p.xlsx")
    assert not is_regular_file(tmp_path / "p.xlsx")
    with pytest.raises(UnsafeFileError, match="FIFO"):
        open_regular(tmp_path / "p.xlsx")
    with pytest.raises(UnsafeFileError, match="フォルダ"):
        open_regular(tmp_path)
    with pytest.raises(UnsafeFileError, match="読めません"):
        open_regular(tmp_path / "missing.xlsx")
    (tmp_path / "f.xlsx").write_bytes(b"abc")
    with open_regular(tmp_path / "f.xlsx") as fh:
        assert fh.read() == b"abc"


def test_link_problem(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (tmp_path / "out.xlsx").write_bytes(b"x")
    (folder / "own.xlsx").write_bytes(b"x")
    (folder / "a.xlsx").symlink_to(tmp_path / "out.xlsx")
    (folder / "b.xlsx").symlink_to(folder / "own.xlsx")
    (folder / "c.xlsx").symlink_to(folder / "nothing.xlsx")
    assert "フォルダの外" in (link_problem(folder / "a.xlsx", folder) or "")
    assert link_problem(folder / "b.xlsx", folder) is None
    assert link_problem(folder / "own.xlsx", folder) is None
    assert "リンク先" in (link_problem(folder / "c.xlsx", folder) or "")
