"""The committee's reading material: ``committee.html``, ``committee.pdf``, ``committee.xlsx`` and the notebook.

Everything here is drawn from a :class:`scoring.analysis.committee.Committee`; nothing is computed
anew. Three outputs share the same tables and charts:

``committee.html``
    One static page in Japanese: inline CSS, every chart embedded as a base64 PNG data
    URI, no script, no external URL (no CDN, no web font: the fonts are the reader's own
    Japanese fonts), so it opens offline (LGWAN) and prints on A4 portrait. Rendered from
    the Jinja2 templates in ``templates/`` (autoescape on: everything people typed is
    escaped); technical records (hashes, paths, the command) sit in an appendix.
``committee.pdf``
    The same page printed by WeasyPrint (:func:`write_committee_pdf`): A4 portrait, Noto
    Sans CJK embedded, round name and 委員限り on every page, 「n / N」 in the footer.
``committee.xlsx``
    One sheet per table (:func:`scoring.reporting.committee_tables.tables_ja`) through :mod:`scoring.core.xlsx`:
    machine-readable (one value per cell, no merged cells, numbers as numbers, free text
    never a formula), styled header, frozen panes, widths for Japanese text, A4
    landscape; 注記 with the round, rubric version, settings hash and generation time.
``notebooks/04_committee.ipynb``
    :func:`section` returns the display objects (HTML tables and PNG images) of one
    section; the notebook only calls it. Voilà serves the same notebook without code.

The sections (:data:`SECTIONS`) are built by the registry of
:mod:`scoring.reporting.committee_sections`; the charts are drawn by
:mod:`scoring.reporting.committee_charts`.
"""

from __future__ import annotations

import html
import os
import secrets
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..analysis.committee import Committee, build_committee
from ..core.errors import NoScoresError
from ..core.xlsx import write_workbook
from .committee_body import body_sections, doc_info
from .committee_documents import (
    DOCUMENT_TITLES,
    document_blocks,
    document_headings,
    document_html,
    write_documents,
)
from .committee_reference import reference_sections
from .committee_sections import SECTIONS, Block, _p, _table_block, section_blocks
from .committee_tables import tables_ja
from .pdf import (
    _data_urls_only,  # noqa: F401  (scoring.reporting.feedback imports it from here)
    write_pdf,
)
from .templating import _ENV, CSS, _blocks_html, _render  # noqa: F401  (feedback imports _ENV from here)

if TYPE_CHECKING:
    from ..round.loader import ReviewRound

__all__ = [
    "CSS",
    "SECTIONS",
    "committee_html",
    "committee_page",
    "folded",
    "html_table",
    "open_committee",
    "section",
    "section_html",
    "write_committee_pdf",
    "write_committee_reports",
    "write_committee_workbook",
]


def html_table(
    df: pd.DataFrame,
    *,
    row_classes: Sequence[str] | None = None,
    css_class: str = "shinsa",
    formatters: Mapping[str, Callable[[object], str]] | None = None,
) -> str:
    """``df`` as an HTML table (no index): every value escaped, numbers right-aligned.

    Floats show one decimal (``"順位"`` columns with whole numbers show none); booleans
    はい/"" ; missing values are empty. ``row_classes`` gives a CSS class per row
    (``selected``, ``runner``, ``ineligible``, ``total``).
    """
    return _blocks_html(
        [_table_block(df, row_classes=row_classes, css_class=css_class, formatters=formatters)]
    )


def _section(
    c: Committee,
    key: str,
    tables: Mapping[str, pd.DataFrame],
    *,
    heading: bool = True,
    charts: bool = True,
    cache: dict[str, bytes] | None = None,
) -> dict[str, Any]:
    blocks = section_blocks(c, key, tables, charts=charts, cache=cache)
    return {"key": key, "heading": SECTIONS[key] if heading else "", "blocks": blocks}


def section_html(
    c: Committee,
    key: str,
    *,
    heading: bool = True,
    charts: bool = True,
    tables: Mapping[str, pd.DataFrame] | None = None,
    cache: dict[str, bytes] | None = None,
) -> str:
    """One section of the committee material as an HTML fragment (charts as data URIs)."""
    tables = tables if tables is not None else tables_ja(c)
    return _render("section.html.j2", s=_section(c, key, tables, heading=heading, charts=charts, cache=cache))


def _fragment(blocks: Sequence[Block], *, style: bool = True, css_class: str = "shinsa-committee") -> str:
    return _render("fragment.html.j2", blocks=blocks, style=style, css_class=css_class)


def open_committee(round_path: str | Path | None = None) -> tuple[Committee | None, Any]:
    """The committee material for a notebook or dashboard, or a notice why there is none.

    Returns ``(committee, notice)``: with scores, the :class:`Committee` and an empty HTML
    object; for a round without scores yet, ``None`` and a Japanese notice that says how to
    create or import them (:func:`section` then shows nothing). Reading only.
    """
    from IPython.display import HTML

    try:
        return build_committee(round_path), HTML("")
    except NoScoresError as e:
        return None, HTML(_fragment([_p(str(e))], css_class="shinsa-committee shinsa-notice"))


def section(c: Committee | None, key: str) -> list[Any]:
    """Display objects of one section for a notebook: ``IPython.display.HTML`` and ``Image``.

    Use ``display(*section(c, "ranked"))``. Keys: :data:`SECTIONS`. The first HTML object
    carries the scoped style sheet, so the tables look the same in JupyterLab and Voilà.
    ``c=None`` (a round without scores, see :func:`open_committee`) gives no objects.
    """
    from IPython.display import HTML, Image

    if c is None:
        return []

    cache: dict[str, bytes] = c.render_cache.setdefault("png", {})
    if "tables_ja" not in c.render_cache:
        c.render_cache["tables_ja"] = tables_ja(c)
    tables: dict[str, pd.DataFrame] = c.render_cache["tables_ja"]
    blocks = document_blocks(c, key, tables, cache)
    if blocks is None:
        blocks = section_blocks(c, key, tables, charts=True, cache=cache)
    out: list[Any] = []
    run: list[Block] = []
    for b in [*blocks, None]:
        if b is not None and b["kind"] != "figure":
            run.append(b)
            continue
        if run:
            out.append(HTML(_fragment(run)))
            run = []
        if b is not None:
            out.append(Image(data=b["png"], format="png"))
            if b["caption"]:
                out.append(HTML(_fragment([_p(b["caption"])], style=False)))
    return out


def folded(c: Committee | None, keys: Sequence[str]) -> list[Any]:
    """Sections of the 本体 or the 参考資料 folded for the dashboard: one ``IPython.display.HTML``
    with a ``<details>`` per section (heading as its summary, charts inline as data URIs)."""
    from IPython.display import HTML

    if c is None:
        return []
    cache: dict[str, bytes] = c.render_cache.setdefault("png", {})
    if "tables_ja" not in c.render_cache:
        c.render_cache["tables_ja"] = tables_ja(c)
    tables: dict[str, pd.DataFrame] = c.render_cache["tables_ja"]
    headings = document_headings()
    parts = []
    for key in keys:
        blocks = document_blocks(c, key, tables, cache) or []
        parts.append(
            f'<details class="shinsa-fold"><summary>{html.escape(headings.get(key, key))}</summary>'
            f"{_blocks_html(blocks)}</details>"
        )
    return [HTML(f'<style>{CSS}</style><div class="shinsa-committee">{"".join(parts)}</div>')]


def committee_html(c: Committee, *, charts: bool = True) -> str:
    """The analyst's whole material as one static HTML page (every section of :data:`SECTIONS`,
    the appendix with settings and records included): for the notebooks and checks. The file
    ``committee.html`` is :func:`committee_page` (本体 and 参考資料, no records). ``charts=False``
    leaves the charts out (a check of the words needs no drawing)."""
    tables = tables_ja(c)
    cache: dict[str, bytes] = {}
    keys = ["summary", *(k for k in SECTIONS if k != "summary")]
    return _render(
        "committee.html.j2",
        c=c,
        title=f"選定委員会資料 — {c.round_name}",
        generated=f"{c.generated_at:%Y-%m-%d %H:%M}",
        sections=[_section(c, k, tables, charts=charts, cache=cache) for k in keys],
    )


def committee_page(
    c: Committee, tables: Mapping[str, pd.DataFrame] | None = None, *, cache: dict[str, bytes] | None = None
) -> str:
    """``committee.html``: the 本体 and then the 参考資料 in one static page (no 事務局控え)."""
    info = doc_info(c)
    tables = tables if tables is not None else tables_ja(c)
    ref = reference_sections(c, tables, cache=cache, sees_comments=info.sees_comments, drafts=False)
    return document_html(c, "committee", [*body_sections(c), *ref], info=info)


def write_committee_workbook(
    c: Committee, path: str | Path, tables: Mapping[str, pd.DataFrame] | None = None
) -> Path:
    """Write ``committee.xlsx`` (one sheet per table of :func:`~scoring.reporting.committee_tables.tables_ja`,
    ``tables`` when already computed)."""
    return write_workbook(path, list((tables if tables is not None else tables_ja(c)).items()))


def write_committee_reports(
    rnd: ReviewRound | str | Path | None,
    out_dir: str | Path,
    *,
    committee: Committee | None = None,
    records: bool = True,
    **options: Any,
) -> dict[str, Path]:
    """Write the committee material into ``out_dir``: ``committee.html``, ``committee.xlsx``,
    ``committee.pdf`` (the 本体), ``committee_reference.pdf`` (参考資料) and, unless
    ``records=False`` (the committee's own copy), ``records.pdf`` and ``records.xlsx``
    (事務局控え, :mod:`scoring.reporting.records`).

    Parameters
    ----------
    rnd : ReviewRound, path or None
        The round (see :func:`scoring.analysis.committee.build_committee`).
    out_dir : path
        Created if missing.
    committee : Committee, optional
        Already computed material (then ``rnd`` and ``options`` are not used).
    records : bool
        Write the 事務局控え too (never into the committee's folder).
    **options
        Options of :func:`scoring.analysis.committee.build_committee` (``method``, ``n_boot`` …).

    Returns
    -------
    dict
        ``{"html", "xlsx", "pdf", "reference_pdf"}`` and ``records_pdf``, ``records_xlsx``: paths.
    """
    c = committee if committee is not None else build_committee(rnd, **options)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    names = {
        "html": "committee.html",
        "xlsx": "committee.xlsx",
        "pdf": "committee.pdf",
        "reference_pdf": "committee_reference.pdf",
        **({"records_pdf": "records.pdf", "records_xlsx": "records.xlsx"} if records else {}),
    }
    targets = {k: out / n for k, n in names.items()}
    # Everything is written beside its target first and then put in place together, so a
    # failure leaves the previous material as it was, never part of a new one.
    # The temporary names are this run's own: two runs at once never write or remove each other's.
    run = f"{os.getpid()}.{secrets.token_hex(4)}"
    tmp = {k: out / f".{p.name}.{run}.tmp" for k, p in targets.items()}
    try:
        tables = tables_ja(c)
        write_committee_workbook(c, tmp["xlsx"], tables)
        docs = {k: v for k, v in tmp.items() if k not in ("html", "xlsx", "pdf")}
        pages = write_documents(c, tables, docs, cache=c.render_cache.setdefault("png", {}))
        write_committee_pdf(c, tmp["pdf"], page=pages["committee"])
        tmp["html"].write_text(pages["page"], encoding="utf-8")
        for k, target in targets.items():
            os.replace(tmp[k], target)
    finally:
        for t in tmp.values():
            t.unlink(missing_ok=True)
    return targets


def write_committee_pdf(c: Committee, path: str | Path, *, page: str | None = None) -> Path:
    """Write the 本体 (``committee.pdf``) alone: :mod:`scoring.reporting.committee_documents`
    printed by :func:`scoring.reporting.pdf.write_pdf` (PDF/A, A4 portrait, fonts embedded,
    委員限り and 「n / N」 on every page). ``page`` is its HTML when already rendered."""
    html_page = page if page is not None else document_html(c, "committee", body_sections(c))
    return write_pdf(html_page, path, title=f"{DOCUMENT_TITLES['committee']} — {c.round_name}")
