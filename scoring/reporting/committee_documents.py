"""The three documents from the same templates, each for its reader.

``committee.pdf``
    The 本体 (:mod:`scoring.reporting.committee_body`): a chair's four pages.
``committee_reference.pdf``
    The 参考資料 (:mod:`scoring.reporting.committee_reference`).
``records.pdf`` and ``records.xlsx``
    The 事務局控え (:mod:`scoring.reporting.records`), never handed to the committee.

All three are rendered by ``templates/document.html.j2`` and printed by
:func:`scoring.reporting.pdf.write_pdf` (PDF/A, tagged, title and language set). Dates are in
和暦 with the Western year in brackets; 資料番号 and 会議日 come from round.yaml
(``document_number``, ``meeting_date``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..analysis.committee import Committee
from .committee_body import BODY_SECTIONS, DocInfo, body_sections, doc_info
from .committee_reference import REFERENCE_SECTIONS, reading_blocks, reference_blocks, reference_sections
from .pdf import write_pdf
from .records import record_sections, write_records_workbook
from .templating import _render
from .wording import wareki

__all__ = ["DOCUMENT_TITLES", "document_html", "write_documents"]

#: Heading of each document (and its PDF title, after the round name).
DOCUMENT_TITLES = {
    "committee": "選定委員会資料（本体）",
    "reference": "選定委員会資料（参考資料）",
    "records": "事務局控え",
}


def _meta(c: Committee, info: DocInfo) -> list[str]:
    out = []
    if info.meeting_date is not None:
        out.append(f"会議日 {wareki(info.meeting_date)}")
    out.append(f"作成 {wareki(c.generated_at)}")
    return out


def document_html(
    c: Committee,
    kind: str,
    sections: Sequence[Mapping[str, Any]],
    *,
    info: DocInfo | None = None,
) -> str:
    """One document (``committee``, ``reference`` or ``records``) as a static HTML page."""
    info = info if info is not None else doc_info(c)
    number = info.document_number
    if kind == "reference" and number:
        number = f"{number}（参考資料）"
    return _render(
        "document.html.j2",
        kind=kind,
        title=f"{DOCUMENT_TITLES[kind]} — {c.round_name}",
        heading=DOCUMENT_TITLES[kind],
        round_name=c.round_name,
        number=number if kind != "records" else "",
        meta=_meta(c, info),
        mark="事務局控え（委員会には配付しない）" if kind == "records" else "",
        sections=sections,
    )


def _once(c: Committee, ref: list[dict[str, object]]) -> list[dict[str, object]]:
    """The 参考資料's sections with its 読み方 without the drafts sentence (for ``committee.html``,
    where the 本体 before it says it)."""
    return [{**s, "blocks": reading_blocks(c, drafts=False)} if s["key"] == "reading" else s for s in ref]


def write_documents(
    c: Committee,
    tables: Mapping[str, pd.DataFrame],
    targets: Mapping[str, Path],
    *,
    cache: dict[str, bytes] | None = None,
) -> dict[str, str]:
    """Write the documents named in ``targets`` (keys ``pdf``, ``reference_pdf``,
    ``records_pdf``, ``records_xlsx``); returns the HTML of the 本体 and the 参考資料
    (``committee``, ``reference``) and of ``committee.html`` (``page``: both in one page; the
    committee.html 参考資料 leaves the drafts sentence out, said once in the 本体's caveats), each
    section built once."""
    info = doc_info(c)
    body = body_sections(c)
    ref = reference_sections(c, tables, cache=cache, sees_comments=info.sees_comments)
    pages = {
        "committee": document_html(c, "committee", body, info=info),
        "reference": document_html(c, "reference", ref, info=info),
        "page": document_html(c, "committee", [*body, *_once(c, ref)], info=info),
    }
    if "pdf" in targets:
        write_pdf(
            pages["committee"], targets["pdf"], title=f"{DOCUMENT_TITLES['committee']} — {c.round_name}"
        )
    if "reference_pdf" in targets:
        write_pdf(
            pages["reference"],
            targets["reference_pdf"],
            title=f"{DOCUMENT_TITLES['reference']} — {c.round_name}",
        )
    if "records_pdf" in targets:
        page = document_html(c, "records", record_sections(c, tables), info=info)
        write_pdf(page, targets["records_pdf"], title=f"{DOCUMENT_TITLES['records']} — {c.round_name}")
    if "records_xlsx" in targets:
        write_records_workbook(c, tables, targets["records_xlsx"])
    return pages


def document_blocks(
    c: Committee, key: str, tables: Mapping[str, pd.DataFrame], cache: dict[str, bytes] | None
) -> list[Any] | None:
    """The blocks of a section of the 本体 or the 参考資料 (for the dashboard), None for other keys.

    The dashboard shows the 本体's caveats, so its 読み方 leaves the drafts sentence out (once per screen)."""
    if key in BODY_SECTIONS:
        return BODY_SECTIONS[key][1](c)
    if key in REFERENCE_SECTIONS:
        sees = doc_info(c).sees_comments
        return reference_blocks(c, key, tables, cache=cache, sees_comments=sees, drafts=False)
    return None


def document_headings() -> dict[str, str]:
    """Heading of every section of the 本体 and the 参考資料, by key."""
    return {**{k: h for k, (h, _) in BODY_SECTIONS.items()}, **REFERENCE_SECTIONS}
