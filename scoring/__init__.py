"""審査ワークベンチ (shinsa): review and select prefectures' applications.

The package root re-exports the public API of its modules; each module has one concern:
``schema`` (応募書 fields and canonical column names), ``template`` (the Excel form),
``normalize`` (what people type), ``applications`` (intake), ``rubric``, ``round``
(the review round folder), ``reference`` (the 47 prefectures), ``overview`` and
``report`` (tables for people), ``xlsx`` (clean Excel output).
"""

from __future__ import annotations

from .applications import Intake, read_application, read_applications
from .round import DEMO_ROUND, Reviewer, ReviewRound, RoundConfig, load_round, round_path
from .rubric import Criterion, Rubric, RubricError, load_rubric
from .schema import FIELDS, THEMES, TEMPLATE_VERSION
from .template import write_template
from .yamlfile import ConfigError

__all__ = [
    "ConfigError",
    "Criterion",
    "DEMO_ROUND",
    "FIELDS",
    "Intake",
    "Reviewer",
    "ReviewRound",
    "RoundConfig",
    "Rubric",
    "RubricError",
    "TEMPLATE_VERSION",
    "THEMES",
    "load_round",
    "load_rubric",
    "read_application",
    "read_applications",
    "round_path",
    "write_template",
]

__version__ = "0.1.0"
