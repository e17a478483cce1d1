"""The one way a PDF for people is written: archival PDF/A, tagged, title and language set.

:func:`write_pdf` prints an HTML page with WeasyPrint as PDF/A-2a (ISO 19005-2 level A: the
``pdf_variant`` ``pdf/a-2a``, which also writes the structure tags a screen reader follows),
with the sRGB OutputIntent WeasyPrint adds for PDF/A, every font embedded (subsets), the
document title and language in the metadata (``/Title``, ``/Lang`` and the XMP), and nothing
fetched: the page's pictures are data: URLs and any other URL is refused. The committee
material, the reference material, the 事務局控え and the letters are all written through it.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from pathlib import Path
from typing import Any

__all__ = ["PDF_VARIANT", "write_pdf"]

#: PDF/A-2 level A (accessible: tagged). WeasyPrint writes the XMP identification and the OutputIntent.
PDF_VARIANT = "pdf/a-2a"


def _data_urls_only(url: str, *args: Any, **kwargs: Any) -> Any:
    """URL fetcher of older WeasyPrint (a function): data: URLs only."""
    if not url.startswith("data:"):
        raise ValueError(f"PDF は外部の URL を読みません: {url[:80]}")
    from weasyprint import default_url_fetcher

    return default_url_fetcher(url, *args, **kwargs)


#: The last PDFs printed in this process, by the SHA-256 of what was printed (page, title,
#: language, variant): the same document asked for again is written from here, not laid out
#: again (on a server round ``report`` writes the 本体 and the 参考資料 for the analysts and,
#: identical, for the committee's folder: about 4 s of CPU each time).
_PRINTED: OrderedDict[bytes, bytes] = OrderedDict()
_PRINTED_MAX = 8


def write_pdf(page: str, path: str | Path, *, title: str, lang: str = "ja") -> Path:
    """Print the HTML ``page`` into ``path`` as tagged PDF/A with ``title`` and ``lang`` set.

    Parameters
    ----------
    page : str
        A whole HTML document (its own style sheet inline; pictures as data: URLs).
    path : path
        Where the PDF is written (replaced).
    title : str
        The document title (shown by readers in the window title, read by screen readers).
    lang : str
        The document language (BCP 47), ``ja`` by default.
    """
    key = hashlib.sha256(f"{PDF_VARIANT}\0{lang}\0{title}\0{page}".encode()).digest()
    data = _PRINTED.get(key)
    if data is None:
        data = _PRINTED[key] = _print(page, title, lang)
        if len(_PRINTED) > _PRINTED_MAX:
            _PRINTED.popitem(last=False)
    out = Path(path)
    out.write_bytes(data)
    return out


def _print(page: str, title: str, lang: str) -> bytes:
    """:func:`write_pdf`'s printing: the PDF's bytes."""
    import weasyprint  # heavy (Pango through cffi): loaded only when a PDF is written

    fetcher: Any = _data_urls_only
    if hasattr(weasyprint, "URLFetcher"):  # WeasyPrint ≥ 68: a class with a protocol list
        fetcher = weasyprint.URLFetcher(allowed_protocols=("data",), fail_on_errors=True)
    doc = weasyprint.HTML(string=page, url_fetcher=fetcher).render(pdf_variant=PDF_VARIANT, pdf_tags=True)
    doc.metadata.title = title
    doc.metadata.lang = lang
    data = doc.write_pdf(pdf_variant=PDF_VARIANT, pdf_tags=True)
    assert isinstance(data, bytes)
    return data


def page_text(path: str | Path, page: int = 1) -> str:
    """The text of one page of a PDF as ``make docs`` keeps it beside its picture (poppler's
    pdftotext ``-layout``; the 作成 date, which changes every day, replaced by 「（作成日）」)."""
    import re
    import subprocess

    out = subprocess.run(
        ["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    out = re.sub(r"作成 \S+（\d+年）", "作成 （作成日）", out)
    return "\n".join(line.rstrip() for line in out.splitlines()).strip() + "\n"
