"""scoring.reporting.pdf.write_pdf: the same document asked for twice in a process is printed once
(on a server round ``report`` writes the 本体 and the 参考資料 for the analysts and, identical,
for the committee's folder); anything that differs is printed anew."""

from __future__ import annotations

from pathlib import Path

import pytest

from scoring.reporting import pdf

PAGE = '<html lang="ja"><head><meta charset="utf-8"></head><body><p>{}</p></body></html>'


def test_the_same_document_is_printed_once_and_anything_else_anew(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    printed: list[str] = []
    real = pdf._print

    def counted(page: str, title: str, lang: str) -> bytes:
        printed.append(title)
        return real(page, title, lang)

    monkeypatch.setattr(pdf, "_print", counted)
    first = pdf.write_pdf(PAGE.format("審査結果（一度目の印刷）"), tmp_path / "a.pdf", title="文書 A")
    again = pdf.write_pdf(PAGE.format("審査結果（一度目の印刷）"), tmp_path / "b.pdf", title="文書 A")
    assert printed == ["文書 A"]
    assert first.read_bytes() == again.read_bytes() and first.read_bytes()[:5] == b"%PDF-"
    pdf.write_pdf(PAGE.format("審査結果（一度目の印刷）"), tmp_path / "c.pdf", title="文書 B")
    pdf.write_pdf(PAGE.format("審査結果（本文が違う）"), tmp_path / "d.pdf", title="文書 A")
    pdf.write_pdf(PAGE.format("審査結果（本文が違う）"), tmp_path / "e.pdf", title="文書 A", lang="en")
    assert printed == ["文書 A", "文書 B", "文書 A", "文書 A"]
    assert (tmp_path / "c.pdf").read_bytes() != first.read_bytes()
