"""Hostile or odd files in the applications folder: a problem row, never a crash, a hang
or a memory blow-up (issue #10, reproductions 6, 9 and 10). The good file always loads.

The bombs are built here with :mod:`zipfile` (a valid 応募書 whose sheet XML is padded
with blanks that compress about 1000 times); nothing binary is committed.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import textwrap
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from scoring.core.safefiles import MAX_MEMBER_BYTES, MAX_RATIO
from scoring.intake.applications import read_application, read_applications

WriteApp = Callable[..., Path]
SHEET = "xl/worksheets/sheet1.xml"
GIB = 1024**3


class _RepeatedBlockDeflate:
    """A compressor for :mod:`zipfile` that deflates each piece it is given and then makes a full
    flush, after which deflate starts afresh: the same 1 MiB block of padding always gives the
    same bytes, so it is compressed once and its bytes repeated (one valid deflate stream)."""

    def __init__(self) -> None:
        self._z = zlib.compressobj(6, zlib.DEFLATED, -15)
        self._last: tuple[bytes | None, bytes] = (None, b"")

    def compress(self, data: bytes) -> bytes:
        if data is self._last[0]:
            return self._last[1]
        out = self._z.compress(data) + self._z.flush(zlib.Z_FULL_FLUSH)
        self._last = (data, out)
        return out

    def flush(self) -> bytes:
        return self._z.flush()


def write_bomb(path: Path, good: Path, pad_bytes: int, member: str = SHEET, chunk: bytes = b" ") -> Path:
    """Copy the 応募書 ``good`` to ``path`` with ``pad_bytes`` of ``chunk`` inside ``member``.

    The padding goes before ``</sheetData>`` (blanks are valid XML there), streamed into
    ZIP_DEFLATED (~1 MB of disk for a 1 GiB member). Over 64 MiB of padding, each 1 MiB block is
    deflated once (:class:`_RepeatedBlockDeflate`): a 1 GiB member costs ~0.3 s, not ~4 s.
    """
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename != member:
                dst.writestr(info, data, zipfile.ZIP_DEFLATED)
                continue
            cut = data.index(b"</sheetData>") if b"</sheetData>" in data else data.rindex(b"</")
            with dst.open(member, "w", force_zip64=True) as out:
                if pad_bytes > 64 * 1024 * 1024:
                    out._compressor = _RepeatedBlockDeflate()  # type: ignore[attr-defined]
                out.write(data[:cut])
                block = chunk * (1024 * 1024 // len(chunk))
                left = pad_bytes
                while left > 0:
                    piece = block if left >= len(block) else block[:left]
                    out.write(piece)
                    left -= len(piece)
                out.write(data[cut:])
    return path


@pytest.fixture(scope="module")
def gib_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Reproduction 6: a ~1 MB 応募書 whose sheet XML expands to 1 GiB (built once)."""
    from scoring.intake.template import example_values, write_template

    folder = tmp_path_factory.mktemp("bomb")
    good = write_template(folder / "src" / "good.xlsx", example_values("13"))
    bomb = write_bomb(folder / "bomb.xlsx", good, GIB)
    good.unlink()
    good.parent.rmdir()
    return bomb


def _only_error(folder: Path, file: str) -> dict[str, str]:
    intake = read_applications(folder)
    rows = intake.problems[intake.problems["file"] == file]
    assert len(rows) == 1, rows.to_dict("records")
    row = rows.iloc[0].to_dict()
    assert row["severity"] == "error" and row["action"]
    assert list(intake.applications.index) == ["20"], "the good file must still load"
    return row


# ---------------------------------------------------------------- 6. decompression bombs


def test_gib_bomb_is_refused_before_expansion(gib_bomb: Path) -> None:
    assert gib_bomb.stat().st_size < 2 * 1024 * 1024
    with zipfile.ZipFile(gib_bomb) as z:
        assert z.getinfo(SHEET).file_size > GIB
    record, problems = read_application(gib_bomb)
    assert record is None and len(problems) == 1
    assert problems[0]["severity"] == "error" and problems[0]["action"]
    assert "圧縮爆弾" in problems[0]["message"] and SHEET in problems[0]["message"]


@pytest.mark.parametrize(
    ("pad", "chunk", "word"),
    [
        (MAX_MEMBER_BYTES + 1024, b"<!-- x -->\n", "展開後"),  # over the member size limit
        (4 * 1024 * 1024, b" ", f"上限 {MAX_RATIO} 倍"),  # under the size limit, ratio ~1000
    ],
    ids=["member-size", "ratio"],
)
def test_bomb_in_folder_gives_an_error_row(
    pad: int, chunk: bytes, word: str, write_app: WriteApp, tmp_path: Path
) -> None:
    good = write_app("good.xlsx", "20")
    source = write_app("src.xlsx", "13")
    write_bomb(tmp_path / "bomb.xlsx", source, pad, chunk=chunk)
    source.unlink()
    row = _only_error(tmp_path, "bomb.xlsx")
    assert "開いていません" in row["message"] and word in row["message"]
    assert row["cell"] == "" and good.exists()


def test_padded_but_reasonable_file_still_loads(write_app: WriteApp, tmp_path: Path) -> None:
    """Under the grace size a well-compressed member is fine (no false alarm)."""
    source = write_app("src.xlsx", "20")
    write_bomb(tmp_path / "padded.xlsx", source, 512 * 1024)
    source.unlink()
    intake = read_applications(tmp_path)
    assert intake.problems.empty, intake.problems.to_dict("records")
    assert list(intake.applications.index) == ["20"]


_MEMORY_PROBE = textwrap.dedent("""
    import json, resource, sys
    from scoring.intake.applications import read_application

    def vm_kb():
        for line in open("/proc/self/status"):
            if line.startswith("VmSize:"):
                return int(line.split()[1])
    # warm up on a good file: every lazy import is done before the cap
    read_application(sys.argv[2])
    baseline = vm_kb() * 1024
    cap = baseline + int(sys.argv[3])
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    record, problems = read_application(sys.argv[1])
    print(json.dumps({"baseline_vm": baseline, "cap": cap,
                      "maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                      "loaded": record is not None,
                      "messages": [p["message"] for p in problems]}))
""")


def measure(path: Path, good: Path, headroom: int = 300 * 1024 * 1024) -> dict[str, object]:
    """Read ``path`` in a subprocess whose address space is capped at its baseline + ``headroom``."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    out = subprocess.run(
        [sys.executable, "-c", _MEMORY_PROBE, str(path), str(good), str(headroom)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    result: dict[str, object] = json.loads(out.stdout)
    return result


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS and /proc are Linux")
def test_bomb_memory_stays_bounded(gib_bomb: Path, write_app: WriteApp) -> None:
    """Under an address-space cap of (baseline after imports) + 300 MB, the 1 GiB bomb is
    refused with a problem row, not a MemoryError."""
    good = write_app("good.xlsx", "20")
    result = measure(gib_bomb, good)
    assert result["loaded"] is False
    messages = result["messages"]
    assert isinstance(messages, list) and len(messages) == 1 and "圧縮爆弾" in messages[0]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS and /proc are Linux")
def test_largest_accepted_member_stays_bounded(write_app: WriteApp, tmp_path: Path) -> None:
    """The worst file the limits accept (a sheet member just under MAX_MEMBER_BYTES with a
    ratio under MAX_RATIO) is read within the same 300 MB of headroom."""
    good = write_app("good.xlsx", "20")
    source = write_app("src.xlsx", "13")
    # blanks in a pseudo-random order compress ~4x, so only the size limit applies
    chunk = bytes(random.Random(0).choices(b" \t\n\r", k=1 << 16))
    worst = write_bomb(tmp_path / "worst.xlsx", source, MAX_MEMBER_BYTES - 256 * 1024, chunk=chunk)
    result = measure(worst, good)
    assert result["loaded"] is True, result["messages"]


# ---------------------------------------------------------------- 9. not a regular file


@pytest.mark.timeout(20)
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_fifo_named_xlsx_does_not_hang(write_app: WriteApp, tmp_path: Path) -> None:
    write_app("good.xlsx", "20")
    os.mkfifo(tmp_path / "pipe.xlsx")
    row = _only_error(tmp_path, "pipe.xlsx")
    assert "FIFO" in row["message"] and "通常のファイルではありません" in row["message"]
    record, problems = read_application(tmp_path / "pipe.xlsx")
    assert record is None and "FIFO" in problems[0]["message"]


def test_directory_named_xlsx_is_skipped_with_a_row(write_app: WriteApp, tmp_path: Path) -> None:
    write_app("good.xlsx", "20")
    (tmp_path / "folder.xlsx").mkdir()
    intake = read_applications(tmp_path)
    assert list(intake.problems["file"]) == ["folder.xlsx"]
    assert list(intake.applications.index) == ["20"]
    record, problems = read_application(tmp_path / "folder.xlsx")
    assert record is None and "フォルダです" in problems[0]["message"]


# ---------------------------------------------------------------- 10. hidden files


def test_symlink_leaving_the_folder_is_not_read(write_app: WriteApp, tmp_path: Path) -> None:
    folder = tmp_path / "apps"
    folder.mkdir()
    outside = write_app("outside.xlsx", "13")  # a valid 応募書 outside the folder
    (folder / "good.xlsx").write_bytes(write_app("g.xlsx", "20").read_bytes())
    (folder / "link.xlsx").symlink_to(outside)
    (folder / "dangling.xlsx").symlink_to(tmp_path / "nowhere.xlsx")
    (folder / "same.xlsx").symlink_to(folder / "good.xlsx")  # inside the folder: read as that file
    intake = read_applications(folder)
    assert "13" not in intake.applications.index
    by_file = intake.problems.set_index("file")
    assert by_file.loc["link.xlsx", "severity"] == "error"
    assert "フォルダの外" in by_file.loc["link.xlsx", "message"]
    assert "リンク先のファイルがありません" in by_file.loc["dangling.xlsx", "message"]
    assert list(intake.applications.index) == ["20"]


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("応募書_\u202excod.xlsx", "応募書_<U+202E>xcod.xlsx"),  # right-to-left override
        ("長野\u200b県.xlsx", "長野<U+200B>県.xlsx"),  # zero-width space
        ("長野県\u2066.xlsx", "長野県<U+2066>.xlsx"),  # left-to-right isolate
        ("tab\there.xlsx", "tab<U+0009>here.xlsx"),  # control character
    ],
)
def test_filename_with_hidden_characters_is_an_error(
    name: str, shown: str, write_app: WriteApp, tmp_path: Path
) -> None:
    write_app("good.xlsx", "20")
    write_app(name, "13")
    row = _only_error(tmp_path, shown)
    assert shown in row["message"] and "読み込んでいません" in row["message"]


def test_variation_selector_in_a_name_is_allowed(write_app: WriteApp, tmp_path: Path) -> None:
    write_app("葛\U000e0100飾区_東京都.xlsx", "13")  # 異体字セレクタ: a real Japanese name
    intake = read_applications(tmp_path)
    assert intake.problems.empty and list(intake.applications.index) == ["13"]
