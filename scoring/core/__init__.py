"""Stage 0, the ground every other stage stands on: facts defined once.

- :mod:`~scoring.core.schema`: the 応募書 fields and the canonical column names;
- :mod:`~scoring.core.columns`: the column contracts of every result table, with their
  Japanese headers, the combining methods' labels, and the one rank definition;
- :mod:`~scoring.core.errors`: the exception hierarchy (:class:`ShinsaError`);
- :mod:`~scoring.core.settings`: the settings record and its hash;
- :mod:`~scoring.core.signing`: the analyst's key and HMAC signatures (outside the database);
- :mod:`~scoring.core.reference`: reference data on the 47 prefectures;
- :mod:`~scoring.core.normalize`: what people type (全角, 和暦, 「長野」) → canonical values;
- :mod:`~scoring.core.excel`: safe text cells, display width, 和暦 dates;
- :mod:`~scoring.core.xlsx`: clean machine-readable Excel (MIC's rules), for every workbook written;
- :mod:`~scoring.core.paths`: where the bundled demo round, rubrics and data are;
- :mod:`~scoring.core.version`: the package's version, from the installed metadata;
- :mod:`~scoring.core.environment`: the environment variables the workbench reads, in one place.

Nothing here imports another stage.
"""

from __future__ import annotations

from .errors import (
    ConfigError,
    ConfigProblem,
    IntakeError,
    NoScoresError,
    ReviewError,
    SelectionError,
    SheetError,
    ShinsaError,
    SigningError,
    StoreError,
)
from .paths import DEMO_ROUND, PROJECT_DIR, RUBRICS_DIR

__all__ = [
    "DEMO_ROUND",
    "PROJECT_DIR",
    "RUBRICS_DIR",
    "ConfigError",
    "ConfigProblem",
    "IntakeError",
    "NoScoresError",
    "ReviewError",
    "SelectionError",
    "SheetError",
    "ShinsaError",
    "SigningError",
    "StoreError",
]
