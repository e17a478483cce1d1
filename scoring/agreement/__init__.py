"""Stage 4, agreement between reviewers.

- :mod:`~scoring.agreement.reliability`: Krippendorff's α, ICC, Kendall's W in one table;
- :mod:`~scoring.agreement.scoretable`: the checked score table, the reviewers' weighted totals;
- :mod:`~scoring.agreement.alpha`: Krippendorff's α;
- :mod:`~scoring.agreement.kappa`: Cohen's and Fleiss' κ (weighted for ordinal levels);
- :mod:`~scoring.agreement.raters`: ICC and Kendall's W of a complete targets × raters table;
- :mod:`~scoring.agreement.disagreement`: disagreement per application and criterion, affinity;
- :mod:`~scoring.agreement.discussion`: the 協議対象 list;
- :mod:`~scoring.agreement.habits`: reviewer habits.
"""

from __future__ import annotations

from .disagreement import (
    affinity,
    application_disagreement,
    criterion_disagreement,
    discussion_list,
    reviewer_profile,
)
from .reliability import icc, kendall_w, krippendorff_alpha, reliability_table, reviewer_totals

__all__ = [
    "affinity",
    "application_disagreement",
    "criterion_disagreement",
    "discussion_list",
    "icc",
    "kendall_w",
    "krippendorff_alpha",
    "reliability_table",
    "reviewer_profile",
    "reviewer_totals",
]
