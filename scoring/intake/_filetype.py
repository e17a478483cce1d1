"""What a submitted file really is, from its first bytes: an xlsx, or what else.

Private to :mod:`scoring.intake`: :func:`sniff` gives the Japanese (message, action) of a file
named .xlsx that is not one (empty, PDF, text, .xls binary, password-protected).
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["sniff"]

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"


def sniff(path: Path, head: bytes) -> tuple[str, str] | None:
    """(message, action) when the bytes are not an xlsx (zip) file, else None."""
    resend = "応募書の様式（.xlsx）で提出し直すよう都道府県に依頼してください。"
    if not head:
        return "空のファイル（0 バイト）です。", "送付時に壊れた可能性があります。" + resend
    if head.startswith(_OLE_MAGIC):
        return _sniff_ole(path)
    if head.startswith(_ZIP_MAGIC):
        return None
    if head.startswith(b"%PDF"):
        return "拡張子は .xlsx ですが、中身は PDF です（xlsx ではありません）。", resend
    return "拡張子は .xlsx ですが、Excel ブックではありません（xlsx ではありません）。", resend


def _sniff_ole(path: Path) -> tuple[str, str]:
    """Tell a password-protected xlsx from an old .xls binary (both are OLE files)."""
    try:
        import olefile

        with olefile.OleFileIO(str(path)) as ole:
            streams = {"/".join(s) for s in ole.listdir()}
    except Exception:  # noqa: BLE001 - a damaged OLE file: same advice as a damaged xlsx
        streams = set()
    if "EncryptedPackage" in streams:
        return (
            "パスワードで保護（暗号化）されているため開けません。",
            "パスワードを解除して再提出するよう依頼してください。",
        )
    if streams & {"Workbook", "Book"}:
        return (
            "Excel 97-2003 形式（.xls）のファイルです（xlsx ではありません）。",
            "Excel で開き「Excel ブック (*.xlsx)」として保存し直すか、様式での再提出を依頼してください。",
        )
    return (
        "Excel ブック（xlsx）ではない Office ファイルです。",
        "応募書の様式（.xlsx）で提出し直すよう都道府県に依頼してください。",
    )
