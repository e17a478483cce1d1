"""審査ワークベンチ (shinsa): review and select prefectures' applications.

The package is laid out as the pipeline's stages; dependencies point one way, from the
screens down to the core:

==============  ===============================================================
subpackage      what lives there
==============  ===============================================================
``core``        column contracts and Japanese headers, errors, the settings
                hash, reference data, normalising what people type
``config``      the rubric, round.yaml and reviewers.yaml models, YAML loading
``intake``      the 応募書 Excel form and reading it back
``store``       the hash-chained score store (an event log that knows no round)
``round``       a review round folder (:func:`load_round`), assignments, the
                eligibility decisions and the committee's decision
``review``      the reviewer's session and the offline Excel 採点表
``combine``     combining reviewers (leniency and scale correction)
``agreement``   reliability (α, ICC, W) and disagreement (協議対象)
``selection``   the balanced selection, its reasons and its stability
``analysis``    the tuning model and the committee model
``reporting``   tables, charts, clean .xlsx and static HTML
``ui``          ipywidgets views and the Voilà template
``demo``        simulated reviewers for the demo round
``admin``       the multi-reviewer server: accounts, database roles, the hub site
==============  ===============================================================

``ui → analysis → selection / combine / agreement / review → round → store / intake →
config → core``. ``scoring.cli`` is the command line (``python -m scoring``).

The root re-exports a small set of entry points, loaded lazily (PEP 562) so that
``import scoring`` and ``python -m scoring --help`` stay fast: :func:`load_round`,
:class:`ReviewRound`, :func:`load_rubric`, :func:`read_applications`,
:class:`ScoreStore`, :func:`make_combiner`, :data:`DEFAULT_METHOD`, :data:`METHODS`,
:func:`select_round`, :func:`build_committee`, :class:`ShinsaError` and
:data:`DEMO_ROUND`. Everything else is
imported from its subpackage (``from scoring.combine import AffineCombiner``). No name
here hides a submodule: ``scoring.combine`` is always the subpackage.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: Public name → the module that defines it.
_EXPORTS: dict[str, str] = {
    "__version__": "scoring.core.version",
    "DEMO_ROUND": "scoring.core.paths",
    "ShinsaError": "scoring.core.errors",
    "load_rubric": "scoring.config.rubric",
    "read_applications": "scoring.intake.applications",
    "ScoreStore": "scoring.store.scores",
    "ReviewRound": "scoring.round.loader",
    "load_round": "scoring.round.loader",
    "DEFAULT_METHOD": "scoring.combine",
    "METHODS": "scoring.combine",
    "make_combiner": "scoring.combine",
    "select_round": "scoring.selection",
    "build_committee": "scoring.analysis.committee",
}

__all__ = [
    "DEFAULT_METHOD",
    "DEMO_ROUND",
    "METHODS",
    "ReviewRound",
    "ScoreStore",
    "ShinsaError",
    "__version__",
    "build_committee",
    "load_round",
    "load_rubric",
    "make_combiner",
    "read_applications",
    "select_round",
]

if TYPE_CHECKING:
    from .analysis.committee import build_committee
    from .combine import DEFAULT_METHOD, METHODS, make_combiner
    from .config.rubric import load_rubric
    from .core.errors import ShinsaError
    from .core.paths import DEMO_ROUND
    from .core.version import __version__
    from .intake.applications import read_applications
    from .round.loader import ReviewRound, load_round
    from .selection import select_round
    from .store.scores import ScoreStore


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'scoring' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
