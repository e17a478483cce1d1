"""審査ワークベンチ (shinsa): review and select prefectures' applications.

The package root re-exports the public API of its modules; each module has one concern:
``schema`` (応募書 fields and canonical column names), ``template`` (the Excel form),
``normalize`` (what people type), ``applications`` (intake), ``rubric``, ``round``
(the review round folder), ``reference`` (the 47 prefectures), ``overview`` and
``report`` (tables for people), ``xlsx`` (clean Excel output), ``store`` (the score
store), ``sheets`` (offline Excel 採点表), ``assign`` (who reviews what), ``simulate`` (simulated reviewers),
``review`` and ``review_view`` (the reviewer's scoring screen: model and widgets),
``reliability`` (alpha, ICC, Kendall's W), ``disagreement`` (協議対象, reviewer habits, affinity),
``combine`` (combining reviewers: calibration and weighted totals),
``selection`` (balanced selection with reasons), ``stability`` (how stable the selection is),
``tuning`` and ``tuning_view`` (the analyst's rubric-tuning screen: model and widgets) and
``settings`` (settings records and their hash).
"""

from __future__ import annotations

from .applications import Intake, read_application, read_applications
from .assign import propose_assignments, read_assignments, write_assignments
from .combine import DEFAULT_METHOD, METHODS, Combiner, combine, make_combiner
from .committee import Committee, build_committee, record_committee_decision
from .committee_report import write_committee_reports
from .decision import Decision
from .disagreement import (
    affinity,
    application_disagreement,
    criterion_disagreement,
    discussion_list,
    reviewer_profile,
)
from .reliability import icc, kendall_w, krippendorff_alpha, reliability_table, reviewer_totals
from .review import ReviewerIdentity, ReviewError, ReviewSession, assigned_applications, identify_reviewer
from .round import DEMO_ROUND, Reviewer, ReviewRound, RoundConfig, load_round, round_path
from .rubric import Criterion, Rubric, RubricError, load_rubric
from .schema import FIELDS, TEMPLATE_VERSION, THEMES
from .selection import (
    Alternative,
    SelectionInfeasible,
    SelectionResult,
    candidates_frame,
    select,
    select_round,
)
from .settings import score_fingerprint, settings_hash
from .sheets import export_all, export_sheet, import_sheets, validate_sheet
from .simulate import ReviewerBehaviour, latent_merit, simulate_scores, write_demo_scores
from .stability import StabilityAnalysis, stability, stability_round
from .store import ScoreStore, StoreError
from .template import write_template
from .tuning import TuningModel
from .yamlfile import ConfigError

__all__ = [
    "DEFAULT_METHOD",
    "DEMO_ROUND",
    "FIELDS",
    "METHODS",
    "TEMPLATE_VERSION",
    "THEMES",
    "Alternative",
    "Combiner",
    "Committee",
    "ConfigError",
    "Criterion",
    "Decision",
    "Intake",
    "ReviewError",
    "ReviewRound",
    "ReviewSession",
    "Reviewer",
    "ReviewerBehaviour",
    "ReviewerIdentity",
    "RoundConfig",
    "Rubric",
    "RubricError",
    "ScoreStore",
    "SelectionInfeasible",
    "SelectionResult",
    "StabilityAnalysis",
    "StoreError",
    "TuningModel",
    "affinity",
    "application_disagreement",
    "assigned_applications",
    "build_committee",
    "candidates_frame",
    "combine",
    "criterion_disagreement",
    "discussion_list",
    "export_all",
    "export_sheet",
    "icc",
    "identify_reviewer",
    "import_sheets",
    "kendall_w",
    "krippendorff_alpha",
    "latent_merit",
    "load_round",
    "load_rubric",
    "make_combiner",
    "propose_assignments",
    "read_application",
    "read_applications",
    "read_assignments",
    "record_committee_decision",
    "reliability_table",
    "reviewer_profile",
    "reviewer_totals",
    "round_path",
    "score_fingerprint",
    "select",
    "select_round",
    "settings_hash",
    "simulate_scores",
    "stability",
    "stability_round",
    "validate_sheet",
    "write_assignments",
    "write_committee_reports",
    "write_demo_scores",
    "write_template",
]

__version__ = "0.1.0"
