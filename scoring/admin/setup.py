"""Setting up (and removing) the JupyterHub site of a round: every check first, then the changes.

JupyterHub (``deploy/jupyterhub_config.py``) signs people in with PAM on their system
accounts and starts each one's Jupyter server as that account (LocalProcessSpawner).
:func:`setup_hub` prepares everything that configuration reads, from the round's
``reviewers.yaml``:

- the site folder (:mod:`scoring.admin.site`): the round copy, the app notebooks,
  ``hub/site.json`` (roles, paths, limits, the idle timeout);
- one system account per hub user (:mod:`scoring.admin.sysaccounts`: uid 70000–70999, comment
  ``shinsa-workbench``, home 0700, group ``shinsa``);
- each account's PostgreSQL role (:mod:`scoring.admin.roles`) and its URL in
  ``~/.shinsa/database_url`` (0600, :mod:`scoring.admin.credentials`);
- the sign-in passwords (:mod:`scoring.admin.passwords`).

It checks everything it can before it creates anything: root, the names (reserved names and
existing accounts it did not create are refused), the passwords, the site folder, the
database (reachable with the owner's URL, the right to create roles) and that the accounts
will be able to run this Python. A refusal leaves no account, no role and no site folder.

:func:`remove_hub` undoes a site (``python -m scoring hub-remove``): its accounts (only ours),
the group if we made it, the site folder and trial clusters left behind.

The guarantees do not rest on the hub's screens: a reviewer who reaches a kernel runs
Python as their own account, which cannot read another home (0700) and connects to the
database only as their own role.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import HubError
from ..round.loader import ReviewRound
from .analyst_key import ensure_analyst_key
from .credentials import write_credentials
from .culler import DEFAULT_IDLE_TIMEOUT
from .limits import Limits
from .passwords import check_passwords, set_passwords
from .roles import check_owner_url, provision
from .site import (
    DEFAULT_SITE,
    HubSite,
    HubUser,
    copy_analyst_notebooks,
    copy_apps,
    copy_round,
    hub_users,
    read_site,
    write_site,
)
from .sysaccounts import (
    SHINSA_GROUP,
    check_accounts,
    check_runnable,
    ensure_account,
    ensure_group,
    group_exists,
    remove_accounts,
    remove_group,
)
from .trialdb import remove_stale_clusters

__all__ = ["Removed", "remove_hub", "setup_hub"]


def _need_root(what: str, example: str) -> None:
    if os.geteuid() != 0:
        raise HubError(
            f"サーバーの{what}は root で実行してください（例: sudo {example}）。何も変更していません。"
        )


def _check_site_folder(site: HubSite) -> None:
    """The site folder is new, empty, or one we set up (it has ``hub/site.json``)."""
    root = site.root
    if not root.exists():
        return
    if not root.is_dir():
        raise HubError(
            f"サーバーのフォルダ {root} はフォルダではありません。--site に別の場所を指定してください。"
        )
    if any(root.iterdir()) and not site.site_file.exists():
        raise HubError(
            f"サーバーのフォルダ {root} には既にファイルがあり、hub-setup で作ったものではありません"
            f"（{site.site_file} がありません）。空のフォルダか新しい場所を --site に指定してください。"
        )


def _check_all(
    rnd: ReviewRound, admin_url: str, site: HubSite, passwords: Mapping[str, str], group: str
) -> list[HubUser]:
    """Every check of :func:`setup_hub`, in the order of cost; changes nothing."""
    _need_root("準備（アカウントの作成）", "make hub")
    users = hub_users(rnd)
    check_passwords(passwords, users)
    check_accounts(u.name for u in users)
    _check_site_folder(site)
    check_owner_url(admin_url)
    check_runnable(group)
    return users


def setup_hub(
    rnd: ReviewRound,
    admin_url: str,
    site_root: str | os.PathLike[str] = DEFAULT_SITE,
    *,
    passwords: Mapping[str, str] | None = None,
    home_base: str | os.PathLike[str] = "/home",
    group: str = SHINSA_GROUP,
    limits: Limits | None = None,
    idle_timeout: int = DEFAULT_IDLE_TIMEOUT,
    group_created: bool = False,
) -> dict[str, str]:
    """Set up (or update) the hub site of ``rnd``: database roles, accounts, credentials,
    round copy, app notebooks, sign-in passwords, ``hub/site.json``.

    Run as root. Running it again after reviewers.yaml changed adds the new people (and
    their roles), re-writes the credentials and the round copy, and keeps the passwords
    of people already set up unless ``passwords`` names them.

    Parameters
    ----------
    rnd : ReviewRound
        The round, as loaded from its folder.
    admin_url : str
        A PostgreSQL URL with the right to create roles (``postgresql+psycopg://...``).
    site_root : path
        The site folder (default ``/srv/shinsa``).
    passwords : mapping, optional
        Hub user → sign-in password (see :func:`~scoring.admin.passwords.read_passwords`).
    home_base : path
        Where new accounts' homes are made.
    group : str
        The system group of the hub's accounts (created if missing; default ``shinsa``).
    limits : Limits, optional
        The rlimits of every server and kernel (default :class:`~scoring.admin.limits.Limits`).
    idle_timeout : int
        Seconds after which the culler stops an idle server (default one hour).
    group_created : bool
        The caller created ``group`` for this site (a trial's :func:`grant_python_access`
        does, before set-up): :func:`remove_hub` deletes it then, as when set-up creates it.

    Returns
    -------
    dict
        Hub user → generated password, for the people who had no password yet: print them
        once (:func:`~scoring.admin.passwords.password_lines`); they are not stored in clear.

    Raises
    ------
    HubError
        A check failed (nothing was created), or a system command failed.
    StoreError
        The database cannot be reached or refused the roles.
    """
    passwords = dict(passwords or {})
    site = HubSite(Path(site_root).resolve())
    users = _check_all(rnd, admin_url, site, passwords, group)
    urls = provision(admin_url, rnd)
    missing = [u.name for u in users if u.name not in urls]
    if missing:
        raise HubError(f"データベースのロールが作られませんでした: {'、'.join(missing)}")

    created_group = group_created or not group_exists(group)
    gid = ensure_group(group)
    site.root.mkdir(parents=True, exist_ok=True)
    site.state_dir.mkdir(mode=0o700, exist_ok=True)
    os.chown(site.state_dir, 0, 0)
    os.chmod(site.state_dir, 0o700)
    accounts = {u.name: ensure_account(u.name, Path(home_base), group, gid) for u in users}
    analyst = next(u for u in users if u.role == "analyst")
    copy_round(rnd, site, gid, accounts[analyst.name].pw_uid)
    copy_apps(site, gid)
    for u in users:
        pw = accounts[u.name]
        write_credentials(
            urls[u.name], Path(pw.pw_dir) / ".shinsa" / "database_url", uid=pw.pw_uid, gid=pw.pw_gid
        )
        if u.role == "analyst":
            copy_analyst_notebooks(pw)
            ensure_analyst_key(pw, site.round_dir, rnd.config.name)
    generated = set_passwords(users, passwords)
    write_site(
        site, users, group, limits=limits or Limits(), idle_timeout=idle_timeout, created_group=created_group
    )
    return generated


@dataclass
class Removed:
    """What :func:`remove_hub` removed."""

    site: Path
    accounts: list[str] = field(default_factory=list)
    group: str | None = None
    clusters: list[Path] = field(default_factory=list)


def _hub_running(site: HubSite) -> int | None:
    try:
        pid = int((site.state_dir / "jupyterhub.pid").read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def remove_hub(site_root: str | os.PathLike[str] = DEFAULT_SITE) -> Removed:
    """Remove what :func:`setup_hub` made for the site ``site_root``: its accounts (only those
    we created; their homes too), the group if we created it and nobody else is in it, the
    site folder, and the trial PostgreSQL clusters left by killed processes. The database
    roles of a real database are not touched (they are the database administrator's).

    Raises
    ------
    HubError
        Not root, no site there, the hub still running, or an account of the site that is
        not ours (then nothing is removed).
    """
    _need_root("削除", "make hub-remove")
    site = HubSite(Path(site_root).resolve())
    data = read_site(site)
    pid = _hub_running(site)
    if pid is not None:
        raise HubError(
            f"このサイトの JupyterHub が動いています（pid {pid}）。先に止めてください（Ctrl-C）。何も削除していません。"
        )
    names = list(data.get("accounts") or data.get("users") or [])
    out = Removed(site.root, remove_accounts(names))
    group = str(data.get("group") or "")
    if group and data.get("created_group") and remove_group(group):
        out.group = group
    shutil.rmtree(site.root)
    out.clusters = remove_stale_clusters()
    return out
