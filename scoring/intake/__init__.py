"""Stage 2, intake: the Excel 応募書 form and reading what comes back.

- :mod:`~scoring.intake.template`: writes the empty (or filled) 応募書 form;
- :mod:`~scoring.intake.applications`: reads a folder of 応募書 into one table plus a
  table of problems (file, sheet, cell, field, what to do); one book at a time in the
  private :mod:`~scoring.intake._book`.
"""

from __future__ import annotations

from .applications import Intake, read_application, read_applications
from .template import write_template

__all__ = ["Intake", "read_application", "read_applications", "write_template"]
