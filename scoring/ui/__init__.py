"""Stage 8, the screens: small ipywidgets views around the plain models.

- :mod:`~scoring.ui.widgets`: error handling, escaping and timers shared by the views;
- :mod:`~scoring.ui.review_view`: the reviewer's scoring app (notebook 02), with
  :mod:`~scoring.ui.review_panel` (one reviewer's panel: navigation, status bar, autosave) and
  :mod:`~scoring.ui.review_form` (the criteria's controls, the application as read);
- :mod:`~scoring.ui.tuning_view`: the analyst's tuning screen (notebook 03);
- :mod:`~scoring.ui.eligibility_view`: the 事務局's 受付の判断 panel (notebook 01);
- ``jupyter/voila/templates/shinsa``: the offline Voilà template.
"""

from __future__ import annotations

__all__ = []
