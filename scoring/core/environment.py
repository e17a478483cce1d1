"""The environment variables the workbench reads, in one place.

Every setting that comes from the environment is a field of :class:`Environment`, read by
:func:`environment` at the moment it is needed (so a test or a notebook that sets a variable
is seen at once). The variable names are defined here and nowhere else:

==========================  ===========================================================
variable                    what
==========================  ===========================================================
``SCORING_ROUND``           the round folder when none is given (else the demo round)
``SCORING_DATABASE_URL``    the score store's URL (else ``~/.shinsa/database_url``, else
                            the round's ``scores.sqlite``)
``SCORING_SIGNING_KEY``     this person's Ed25519 private key file (else
                            ``~/.shinsa/ed25519_key.pem``, :mod:`scoring.core.keys`)
``SCORING_LEGACY_KEY``      the old HMAC key (else ``~/.shinsa/signing.key``): checks
                            old v1 checkpoints and signs the 採点表 manifests
``SHINSA_STATE_FILE``       where the reviewer app remembers its place (else
                            ``~/.shinsa/review_state.json``)
``JUPYTERHUB_USER``         set by JupyterHub: the signed-in person (the reviewer's identity,
                            the author of a saved rubric version)
``JUPYTERHUB_BASE_URL``     set by JupyterHub: the hub's base URL (the app's ログアウト link)
==========================  ===========================================================

The hub's own settings (``SHINSA_SITE``, ports, idle timeout) are read by its configuration,
``deploy/jupyterhub_config.py``, which runs in the hub rather than in the workbench.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "ENV_DATABASE_URL",
    "ENV_HUB_BASE_URL",
    "ENV_HUB_USER",
    "ENV_LEGACY_KEY",
    "ENV_ROUND",
    "ENV_SIGNING_KEY",
    "ENV_STATE_FILE",
    "ENV_VOILA_PREHEAT",
    "Environment",
    "environment",
]

ENV_ROUND = "SCORING_ROUND"
ENV_DATABASE_URL = "SCORING_DATABASE_URL"
ENV_SIGNING_KEY = "SCORING_SIGNING_KEY"
ENV_LEGACY_KEY = "SCORING_LEGACY_KEY"
ENV_STATE_FILE = "SHINSA_STATE_FILE"
ENV_HUB_USER = "JUPYTERHUB_USER"
ENV_HUB_BASE_URL = "JUPYTERHUB_BASE_URL"
#: "True" in a kernel Voilà started ahead of a visit (preheated; scoring/admin/voila_preheat.py).
ENV_VOILA_PREHEAT = "VOILA_PREHEAT"


@dataclass(frozen=True)
class Environment:
    """The workbench's settings from environment variables; ``""`` where a variable is unset
    or blank (surrounding white space is removed)."""

    round: str = ""
    database_url: str = ""
    signing_key: str = ""
    state_file: str = ""
    hub_user: str = ""
    legacy_key: str = ""
    hub_base_url: str = ""
    voila_preheat: str = ""

    @classmethod
    def read(cls, environ: Mapping[str, str] | None = None) -> Environment:
        """The settings in ``environ`` (default: the process's environment, now)."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str:
            return (env.get(name) or "").strip()

        return cls(
            round=get(ENV_ROUND),
            database_url=get(ENV_DATABASE_URL),
            signing_key=get(ENV_SIGNING_KEY),
            state_file=get(ENV_STATE_FILE),
            hub_user=get(ENV_HUB_USER),
            legacy_key=get(ENV_LEGACY_KEY),
            hub_base_url=get(ENV_HUB_BASE_URL),
            voila_preheat=get(ENV_VOILA_PREHEAT),
        )


def environment(environ: Mapping[str, str] | None = None) -> Environment:
    """:meth:`Environment.read`: the settings from the environment as it is now."""
    return Environment.read(environ)
