"""The demo: simulated reviewers with known habits, and the demo round's scores.

- :mod:`~scoring.demo.simulate`: written only by the explicit ``python -m scoring demo``.
"""

from __future__ import annotations

from .simulate import ReviewerBehaviour, latent_merit, simulate_scores, write_demo_scores

__all__ = ["ReviewerBehaviour", "latent_merit", "simulate_scores", "write_demo_scores"]
