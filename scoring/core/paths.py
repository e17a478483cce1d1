"""Where the project's bundled files are: the demo round, the rubrics, the reference data."""

from __future__ import annotations

from pathlib import Path

__all__ = ["DEMO_ROUND", "PROJECT_DIR", "RUBRICS_DIR"]

#: The project folder (the checkout, or the source tree of an editable install).
PROJECT_DIR = Path(__file__).resolve().parents[2]
#: The embedded demo round (架空), used when no other round is chosen.
DEMO_ROUND = PROJECT_DIR / "data" / "demo"
#: Bundled rubric files; round.yaml may name one of them by file name.
RUBRICS_DIR = PROJECT_DIR / "rubrics"
