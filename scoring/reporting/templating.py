"""The Jinja2 environment of the documents: the templates in ``templates/``, autoescape on.

Shared by the committee material (:mod:`scoring.reporting.committee_report`), the three
documents (:mod:`scoring.reporting.committee_documents`) and the letters.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from .committee_sections import Block

__all__ = ["CSS", "TEMPLATES"]

TEMPLATES = Path(__file__).resolve().parent / "templates"

#: Inline style sheet (``templates/committee.css``), scoped to ``.shinsa-committee`` so it does
#: not restyle JupyterLab. Fonts are local Japanese fonts only (no web font, no URL).
CSS = (TEMPLATES / "committee.css").read_text(encoding="utf-8")


def _escape(value: object) -> Markup:
    """Escape like :func:`html.escape` (``&quot;``, ``&#x27;``); markup from a template passes."""
    if isinstance(value, Markup):
        return value
    return Markup(html.escape("" if value is None else str(value)))


#: The templates beside this module; autoescape ON: every value is escaped.
_ENV = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=True, finalize=_escape, undefined=StrictUndefined
)


def _render(template: str, **context: Any) -> str:
    return _ENV.get_template(template).render(**context)


def _blocks_html(blocks: Sequence[Block]) -> str:
    return "".join(
        _ENV.get_template("_blocks.html.j2").module.block(b)  # type: ignore[attr-defined]
        for b in blocks
    )
