"""Stage 4, reviewing: what a reviewer does, in the app or in Excel.

- :mod:`~scoring.review.session`: the review session model (no widgets), progress (its saving in
  :mod:`~scoring.review.autosave`, what it shows of an application in :mod:`~scoring.review.content`), with
  :mod:`~scoring.review.identity` (who the reviewer is, their applications) and
  :mod:`~scoring.review.entries` (the form's entries, changes from another tab);
- :mod:`~scoring.review.sheets`: the offline Excel 採点表 (its layout and export), with
  :mod:`~scoring.review.sheet_manifest` (its signed manifest), :mod:`~scoring.review.sheet_checks`
  (the checks of a returned sheet, on the context of :mod:`~scoring.review.sheet_context`) and :mod:`~scoring.review.sheet_import` (the import);
- :mod:`~scoring.review.progress`: who has not finished what (未着手 / 下書き / 提出済), for reminders;
- :mod:`~scoring.review.packets`: one packet per offline reviewer (採点表, their 応募書, anchors).
- :mod:`~scoring.review.state`: where a reviewer left off (a per-user file, for a reload).
"""

from __future__ import annotations

from .session import ReviewerIdentity, ReviewSession, assigned_applications, identify_reviewer
from .sheet_checks import validate_sheet
from .sheet_import import import_sheets
from .sheets import export_all, export_sheet

__all__ = [
    "ReviewSession",
    "ReviewerIdentity",
    "assigned_applications",
    "export_all",
    "export_sheet",
    "identify_reviewer",
    "import_sheets",
    "validate_sheet",
]
