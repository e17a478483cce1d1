"""Stage 7, material for people: tables, charts, clean .xlsx and static HTML.

- :mod:`~scoring.reporting.overview`: application and problem tables, the tile map;
- :mod:`~scoring.reporting.report`: ``applications.xlsx``;
- :mod:`~scoring.reporting.figures`: the one figure factory (Agg, the Japanese font, PNG bytes);
- :mod:`~scoring.reporting.charts`: charts as PNG (the reviewers' leniency, a reviewer's scores);
- :mod:`~scoring.reporting.committee_tables`: the committee material as Japanese tables;
- :mod:`~scoring.reporting.committee_charts`: the committee material's charts;
- :mod:`~scoring.reporting.committee_sections`: the registry of its sections, in order;
- :mod:`~scoring.reporting.committee_report`: ``committee.html``, ``committee.pdf`` and
  ``committee.xlsx``; the page and the PDF come from the Jinja2 templates in ``templates/``.
- :mod:`~scoring.reporting.feedback`: 講評, one letter per applicant (PDF and .xlsx; the
  cohort's median and range only, never another applicant's scores; editable drafts YAML).
"""

from __future__ import annotations

__all__ = []
