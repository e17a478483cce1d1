"""Stage 4, server administration: what the multi-reviewer server (JupyterHub) needs from the
machine and the database, set up and removed as root.

- :mod:`~scoring.admin.setup`: :func:`setup_hub` (every check before any change) and
  :func:`remove_hub`;
- :mod:`~scoring.admin.sysaccounts`: the system accounts (uid 70000–70999 and our comment; an
  account we did not create is refused, never adopted or removed);
- :mod:`~scoring.admin.roles`: one PostgreSQL role per person, grants and row-level
  security (:func:`provision`);
- :mod:`~scoring.admin.credentials`: each account's ``~/.shinsa/database_url``;
- :mod:`~scoring.admin.analyst_key`: the analyst's Ed25519 signing key and its place in the
  round's keyring;
- :mod:`~scoring.admin.site`: who signs in, the round copy, the app notebooks, site.json;
- :mod:`~scoring.admin.siteaccess`: who may read what of the round (the analysts' reports, the
  committee's copy, each reviewer's own view) and the groups for it;
- :mod:`~scoring.admin.privileges`: only the hub runs as root (the proxy and the culler as nobody);
- :mod:`~scoring.admin.passwords`: the sign-in passwords (``chpasswd``);
- :mod:`~scoring.admin.authenticator`: PAM sign-in with a lock-out (imports JupyterHub;
  not imported here);
- :mod:`~scoring.admin.limits`, :mod:`~scoring.admin.culler`: per-user rlimits and the idle
  culler service;
- :mod:`~scoring.admin.trialdb`: the throw-away PostgreSQL cluster of a trial (and the tests).
"""

from __future__ import annotations

from .credentials import write_credentials
from .limits import Limits
from .passwords import password_lines, read_passwords
from .roles import Account, accounts, allowed_pairs, default_role_prefix, provision
from .setup import remove_hub, setup_hub
from .site import DEFAULT_SITE, ROLES, HubSite, HubUser, hub_users
from .sysaccounts import (
    SHINSA_GROUP,
    check_accounts,
    grant_python_access,
    remove_accounts,
    revoke_python_access,
)
from .trialdb import PgClusterError, temp_pg_cluster

__all__ = [
    "DEFAULT_SITE",
    "ROLES",
    "SHINSA_GROUP",
    "Account",
    "HubSite",
    "HubUser",
    "Limits",
    "PgClusterError",
    "accounts",
    "allowed_pairs",
    "check_accounts",
    "default_role_prefix",
    "grant_python_access",
    "hub_users",
    "password_lines",
    "provision",
    "read_passwords",
    "remove_accounts",
    "remove_hub",
    "revoke_python_access",
    "setup_hub",
    "temp_pg_cluster",
    "write_credentials",
]
