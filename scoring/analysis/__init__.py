"""Stage 6, the analyst's and the committee's models (no widgets, no file formats).

- :mod:`~scoring.analysis.tuning`: :class:`TuningModel`, the live rubric-tuning model;
- :mod:`~scoring.analysis.committee`: :class:`Committee`, everything the committee sees;
- :mod:`~scoring.analysis.committee_parts`: its smaller parts (drafts, discussion list,
  reviewer labels, coverage, comments);
- :mod:`~scoring.analysis.ranking`: the ranked table, the breakdown by group and the spread;
- :mod:`~scoring.analysis.status`: which applications are 対象外 and why (both of the above);
- :mod:`~scoring.analysis.push`: プッシュ型 candidates (the 47 by need) and a プッシュ型 応募書 for one.
"""

from __future__ import annotations

from .committee import Committee, build_committee, record_committee_decision
from .tuning import TuningModel

__all__ = ["Committee", "TuningModel", "build_committee", "record_committee_decision"]
