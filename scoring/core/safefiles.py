"""Checks that make a submitted file safe to open: before any Excel library sees it.

A file that comes from outside (an 応募書, an Excel 採点表) may be hostile or just odd. These
functions say, in Japanese, why a file is not opened, so that the caller can turn it into
a problem row instead of crashing, hanging or running out of memory:

- :func:`name_problem`: a file name with control, bidirectional or zero-width characters
  (``report\\u202Excsl.xlsx`` shows as ``reportlsx.xsl`` in a file list); the message shows
  the name with those characters made visible (:func:`visible_name`, ``<U+202E>``).
- :func:`link_problem`: a symbolic link that leads outside its folder, or nowhere.
- :func:`is_regular_file` and :func:`open_regular`: a FIFO, device or directory named
  ``.xlsx`` is never opened for reading (opening a FIFO blocks forever); the open itself
  does not block and checks the opened file again (no race between check and open).
- :func:`inspect_xlsx`: a decompression bomb. The zip directory is read (it is small and
  bounded by the file size) and each member's *uncompressed* size, the total and the
  compression ratio are checked against :data:`MAX_MEMBER_BYTES`, :data:`MAX_TOTAL_BYTES`
  and :data:`MAX_RATIO` before anything is decompressed.

The declared sizes can be trusted for Python's :mod:`zipfile` (which openpyxl uses): a
member is never inflated beyond its declared ``file_size``, and a member that would be
larger fails its CRC check (:class:`zipfile.BadZipFile`) instead.

Only the standard library is imported here, so that ``python -m scoring --help`` stays fast.
"""

from __future__ import annotations

import os
import stat
import unicodedata
import zipfile
from pathlib import Path
from typing import BinaryIO

from .errors import IntakeError

__all__ = [
    "BOMB_ACTION",
    "MAX_MEMBERS",
    "MAX_MEMBER_BYTES",
    "MAX_RATIO",
    "MAX_TOTAL_BYTES",
    "RATIO_GRACE_BYTES",
    "UnsafeFileError",
    "inspect_xlsx",
    "is_regular_file",
    "link_problem",
    "name_problem",
    "open_regular",
    "visible_name",
]

_MB = 1024 * 1024

#: Largest uncompressed size of one zip member. A 応募書 written by Excel is about 30 KB;
#: its largest member (sharedStrings.xml) stays under 4 MB even if every input cell holds
#: Excel's maximum of 32,767 characters of 3-byte UTF-8. 8 MB is twice that, and small
#: enough that openpyxl's full parse of the worst such member (styles.xml packed with cell
#: formats, measured: +210 MB of memory at 16 MB) stays near +100 MB.
MAX_MEMBER_BYTES = 8 * _MB
#: Largest uncompressed size of all members together: a few such members plus pictures
#: (pictures hardly compress, so they are bounded by the file-size limit already).
MAX_TOTAL_BYTES = 64 * _MB
#: Largest compression ratio (uncompressed / compressed) of a member above
#: :data:`RATIO_GRACE_BYTES`. Real XML compresses 5–30 times; zeros or one repeated
#: element compress about 1000 times. Apache POI's ZipSecureFile uses the same bound
#: (its minimum inflate ratio 0.01).
MAX_RATIO = 100
#: Members smaller than this are not ratio-checked: a small member of repeated text can
#: compress very well and is harmless.
RATIO_GRACE_BYTES = 1 * _MB
#: Largest number of members: a 応募書 has about 12; thousands only cost memory and time.
MAX_MEMBERS = 1000

#: Unicode categories that are invisible or change how a name is displayed: control
#: characters (Cc), format characters (Cf: the bidirectional overrides and isolates
#: U+202A–U+202E, U+2066–U+2069, U+200E/U+200F, and the zero-width U+200B–U+200D, U+2060,
#: U+FEFF), line and paragraph separators, and lone surrogates (a name that is not valid
#: UTF-8 on disk). Variation selectors (異体字セレクタ, category Mn) are allowed.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


class UnsafeFileError(IntakeError):
    """A file is not opened: not a regular file, unreadable, or otherwise unsafe (Japanese message)."""


# ---------------------------------------------------------------- names and links


def _hidden(ch: str) -> bool:
    return unicodedata.category(ch) in _HIDDEN_CATEGORIES


def visible_name(name: str) -> str:
    """``name`` with every hidden character shown as ``<U+XXXX>`` (U+202E for the RTL override)."""
    return "".join(f"<U+{ord(ch):04X}>" if _hidden(ch) else ch for ch in name)


def name_problem(name: str) -> str | None:
    """A Japanese message when the file name holds control, bidirectional or zero-width characters.

    Such a name displays differently from what it is (``請求書\\u202Excsl.xlsx`` looks like
    ``請求書lsx.xsl``) or looks identical to another file's name. The message shows the
    name with the characters made visible.
    """
    hidden = sorted({f"U+{ord(ch):04X}" for ch in name if _hidden(ch)})
    if not hidden:
        return None
    return (
        f"ファイル名に見えない制御文字（{'、'.join(hidden)}）が含まれています: "
        f"「{visible_name(name)}」。表示される名前と実際の名前が異なるため、読み込んでいません。"
    )


def link_problem(path: Path, folder: Path) -> str | None:
    """A Japanese message when ``path`` is a symbolic link that leaves ``folder`` or leads nowhere.

    A link to another file of the same folder is allowed (it is read as that file).
    """
    if not path.is_symlink():
        return None
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return "リンク（シンボリックリンク）ですが、リンク先のファイルがありません。読み込んでいません。"
    try:
        inside = target.parent == folder.resolve(strict=True)
    except OSError:
        inside = False
    if not inside:
        return (
            "フォルダの外のファイルへのリンク（シンボリックリンク）です。"
            "提出されたファイルではないため、読み込んでいません。"
        )
    return None


# ---------------------------------------------------------------- regular files


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "フォルダ"
    if stat.S_ISFIFO(mode):
        return "名前付きパイプ（FIFO）"
    if stat.S_ISSOCK(mode):
        return "ソケット"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "デバイスファイル"
    return "通常のファイルではないもの"


def _not_regular(mode: int) -> str:
    return f"{_kind(mode)}です（通常のファイルではありません）。開いていません。"


def is_regular_file(path: str | Path) -> bool:
    """True when ``path`` (a link is followed) is a regular file; never opens it, never blocks."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def open_regular(path: str | Path) -> BinaryIO:
    """Open a regular file for binary reading without ever blocking.

    The path is checked with ``stat`` first (so that a device is never opened), then opened
    with ``O_NONBLOCK`` and checked again on the open descriptor (so that a file swapped
    for a FIFO between the two steps is refused, not waited on).

    Raises
    ------
    UnsafeFileError
        Not a regular file (FIFO, device, socket, directory) or cannot be opened; the
        Japanese message says which.
    """
    try:
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):
            raise UnsafeFileError(_not_regular(mode))
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
        fd = os.open(path, flags)
    except OSError as exc:
        raise UnsafeFileError(f"ファイルを読めません（{exc.strerror or exc}）。") from exc
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise UnsafeFileError(_not_regular(mode))
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


# ---------------------------------------------------------------- zip bombs


def _mb(n: float) -> str:
    return f"{n / _MB:,.1f} MB"


def inspect_xlsx(source: str | Path | BinaryIO) -> str | None:
    """A Japanese problem message when an xlsx (zip) file is unsafe to open, else None.

    Reads only the zip directory; nothing is decompressed. Checks, in this order: the
    number of members (:data:`MAX_MEMBERS`), each member's uncompressed size
    (:data:`MAX_MEMBER_BYTES`) and compression ratio (:data:`MAX_RATIO`, for members over
    :data:`RATIO_GRACE_BYTES`), and the total uncompressed size (:data:`MAX_TOTAL_BYTES`).
    A file that is not a readable zip gives None: the caller's own reader reports it as
    damaged. A file object is left at position 0.
    """
    try:
        with zipfile.ZipFile(source) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    finally:
        if not isinstance(source, (str, Path)):
            source.seek(0)
    if len(infos) > MAX_MEMBERS:
        return (
            f"Excel ブックの中のファイル数が多すぎます（{len(infos):,} 個、上限 {MAX_MEMBERS:,} 個）。"
            "開いていません。"
        )
    total = 0
    for info in infos:
        size, packed = info.file_size, max(info.compress_size, 1)
        if size > MAX_MEMBER_BYTES:
            return (
                f"展開すると大きすぎるデータを含んでいます（{info.filename} が展開後 {_mb(size)}、"
                f"上限 {_mb(MAX_MEMBER_BYTES)}）。圧縮爆弾の可能性があるため開いていません。"
            )
        if size > RATIO_GRACE_BYTES and size / packed > MAX_RATIO:
            return (
                f"異常に高い圧縮率のデータを含んでいます（{info.filename}: {_mb(packed)} → 展開後 {_mb(size)}、"
                f"{size / packed:,.0f} 倍、上限 {MAX_RATIO} 倍）。圧縮爆弾の可能性があるため開いていません。"
            )
        total += size
    if total > MAX_TOTAL_BYTES:
        return (
            f"展開後の合計サイズが大きすぎます（{_mb(total)}、上限 {_mb(MAX_TOTAL_BYTES)}）。開いていません。"
        )
    return None


#: What to do about a file refused by :func:`inspect_xlsx` (shared by the 応募書 and 採点表 readers).
BOMB_ACTION = (
    "通常の Excel で作成したファイルではない可能性があります。開かずに、"
    "Excel で保存し直したファイルを再提出するよう依頼してください。"
)
