"""The package's version: read once from the installed distribution's metadata.

``pyproject.toml`` (``[project] version``) is its one definition; ``scoring.__version__``
and the settings records (:func:`scoring.core.settings.package_version`) read it from here.
"""

from __future__ import annotations

import importlib.metadata

__all__ = ["__version__"]

#: The version of the installed ``shinsa`` distribution, e.g. ``"0.1.0"``.
__version__: str = importlib.metadata.version("shinsa")
