"""The hub site's files: who signs in (from reviewers.yaml), the round copy, the app
notebooks and ``hub/site.json``, which ``deploy/jupyterhub_config.py`` reads.

The site folder (default ``/srv/shinsa``)::

    round/            a copy of the round (its rubric beside it), owned by the first analyst
                      (who writes the signed checkpoints there), read by the analysts and the
                      committee only (group ``<group>-staff``; :mod:`scoring.admin.siteaccess`)
      reports/        the analysts' reports (group ``<group>-analysts`` only)
      committee/      the committee's copy of the committee material (no comments, no 受領コード)
      server.json     marks the folder as a server round (:mod:`scoring.round.server`)
    reviewers/<user>/ each reviewer's own view of the round: their own entry of reviewers.yaml
                      and assignments.csv only (group: the reviewer's own, 0750)
    app/reviewer/     02_review.ipynb, served by Voilà to reviewers
    app/committee/    04_committee.ipynb, served by Voilà to the committee
    hub/              the hub's own state (site.json, jupyterhub.sqlite, cookie secret),
                      root only (0700)
"""

from __future__ import annotations

import fnmatch
import json
import os
import pwd
import re
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config.round import set_round_rubric
from ..core.errors import HubError
from ..core.paths import PROJECT_DIR
from ..round.loader import ReviewRound, _resolve_rubric
from ..round.server import COMMITTEE_REPORTS, PRIVATE_REPORTS, SERVER_FILE
from .limits import Limits

__all__ = [
    "APP_NOTEBOOKS",
    "DEFAULT_SITE",
    "KEPT_IN_ROUND",
    "ROLES",
    "ROLE_NAMES_JA",
    "HubSite",
    "HubUser",
    "copy_analyst_notebooks",
    "copy_apps",
    "copy_round",
    "describe",
    "hub_users",
    "read_site",
    "update_site",
    "write_site",
]

#: Where ``make hub`` and ``python -m scoring hub-setup`` put the site by default.
DEFAULT_SITE = Path("/srv/shinsa")
#: Role → what the person lands on (see deploy/jupyterhub_config.py).
ROLES: dict[str, str] = {
    "reviewer": "採点画面（02 を Voilà で表示）",
    "analyst": "JupyterLab",
    "committee": "選定委員会資料（04 を Voilà で表示）",
}
#: Role → its Japanese name, as printed beside the passwords.
ROLE_NAMES_JA: dict[str, str] = {"reviewer": "審査員", "analyst": "事務局", "committee": "選定委員"}
#: The notebook each Voilà role is served (copied into ``app/<role>/``).
APP_NOTEBOOKS: dict[str, str] = {"reviewer": "02_review.ipynb", "committee": "04_committee.ipynb"}
#: A system account name useradd accepts and JupyterHub keeps as it is (lower case).
_ACCOUNT = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
_PACKAGE_DIR = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class HubUser:
    """One person who signs in to the hub.

    Attributes
    ----------
    name : str
        The JupyterHub user name, also the system account's name.
    role : str
        ``reviewer``, ``analyst`` or ``committee`` (:data:`ROLES`).
    reviewer : str or None
        The reviewer id (reviewers.yaml ``id``) of a reviewer.
    """

    name: str
    role: str
    reviewer: str | None = None


@dataclass(frozen=True)
class HubSite:
    """The folders of one hub site (see the module docstring)."""

    root: Path

    @property
    def round_dir(self) -> Path:
        return self.root / "round"

    @property
    def app_dir(self) -> Path:
        return self.root / "app"

    @property
    def state_dir(self) -> Path:
        return self.root / "hub"

    @property
    def site_file(self) -> Path:
        return self.state_dir / "site.json"


def hub_users(rnd: ReviewRound) -> list[HubUser]:
    """Everyone who signs in to the hub, from reviewers.yaml: the reviewers with a
    ``hub_user``, then ``analysts`` and ``committee`` (top-level lists of hub user names).

    Raises
    ------
    HubError
        A name that cannot be a system account (lower-case letters, digits, ``_`` and ``-``,
        at most 32 characters), or no analyst.
    """
    users = [HubUser(r.hub_user, "reviewer", r.id) for r in rnd.reviewers if r.hub_user]
    users += [HubUser(n, "analyst") for n in rnd.analysts]
    users += [HubUser(n, "committee") for n in rnd.committee]
    bad = [u.name for u in users if not _ACCOUNT.match(u.name)]
    if bad:
        raise HubError(
            f"reviewers.yaml の JupyterHub のユーザー名 {'、'.join(bad)} はシステムのアカウント名に使えません。"
            "英小文字で始まる英小文字・数字・_・- の32文字以内にしてください（例: shinsa_r1）。"
        )
    if not any(u.role == "analyst" for u in users):
        raise HubError(
            f"{rnd.path / 'reviewers.yaml'} に事務局（analysts: [ユーザー名]）がありません。"
            "サーバーでは事務局のアカウントが一つ以上必要です。"
        )
    return users


def describe(users: list[HubUser]) -> list[str]:
    """One line per person: account, role (and reviewer id), what they land on."""
    return [
        f"  {u.name}: {ROLE_NAMES_JA[u.role]}{' ' + u.reviewer if u.reviewer else ''} → {ROLES[u.role]}"
        for u in users
    ]


def _share_read_only(folder: Path, gid: int, owner: int = 0) -> None:
    """owner:shinsa, folders 0750 and files 0640: the hub's accounts read, nobody else does."""
    for path in [folder, *folder.rglob("*")]:
        os.chown(path, owner, gid)
        os.chmod(path, 0o750 if path.is_dir() else 0o640)


#: What a re-run of hub-setup keeps in the round copy (made on the server, not in the source
#: round): the signed checkpoints, the keys, the analysts' reports and the committee's copy.
KEPT_IN_ROUND = ("checkpoints*.jsonl", "keys", PRIVATE_REPORTS, COMMITTEE_REPORTS, SERVER_FILE)
#: Never copied from the source round: its own store, checkpoints and reports (a local
#: ``report`` there holds every comment), and what the server makes itself.
_NOT_COPIED = ("scores.sqlite*", "checkpoints*.jsonl", PRIVATE_REPORTS, COMMITTEE_REPORTS, SERVER_FILE)


def _kept(name: str) -> bool:
    return any(fnmatch.fnmatch(name, pattern) for pattern in KEPT_IN_ROUND)


def copy_round(rnd: ReviewRound, site: HubSite) -> None:
    """Copy the round (no score database, no checkpoints, no reports) and its rubric into
    ``site.round_dir``; the owner and the modes are :func:`scoring.admin.siteaccess.share_round`'s.

    On a re-run what the server made (:data:`KEPT_IN_ROUND`) stays as it is; everything else
    is replaced by the source round's (a ``keys/`` of the source only when the copy has none)."""
    dest = site.round_dir
    dest.mkdir(parents=True, exist_ok=True)
    for entry in list(dest.iterdir()):
        if _kept(entry.name):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    skip_here = {p.name for p in dest.iterdir()}
    inner = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")

    def ignore(folder: str, names: list[str]) -> set[str]:
        out = set(inner(folder, names))
        if Path(folder) == rnd.path:
            out |= {n for n in names if n in skip_here or any(fnmatch.fnmatch(n, p) for p in _NOT_COPIED)}
        return out

    shutil.copytree(rnd.path, dest, ignore=ignore, dirs_exist_ok=True)
    rubric, _ = _resolve_rubric(rnd.path, rnd.config.rubric)
    shutil.copy2(rubric, dest / rubric.name)
    set_round_rubric(dest / "round.yaml", dest / rubric.name)


def _reviewer_app(source: Path, dest: Path) -> None:
    """02_review.ipynb for Voilà: without its first markdown cell (the JupyterLab how-to:
    "run all cells, pick your name"), which does not apply on the server."""
    nb = json.loads(source.read_text(encoding="utf-8"))
    first_md = next((i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "markdown"), None)
    if first_md is not None:
        del nb["cells"][first_md]
    dest.write_text(json.dumps(nb, ensure_ascii=False, indent=1), encoding="utf-8")


def copy_apps(site: HubSite, gid: int) -> None:
    """The Voilà notebooks of the reviewers and the committee into ``site.app_dir``."""
    for role, name in APP_NOTEBOOKS.items():
        folder = site.app_dir / role
        folder.mkdir(parents=True, exist_ok=True)
        if role == "reviewer":
            _reviewer_app(PROJECT_DIR / "notebooks" / name, folder / name)
        else:
            shutil.copy2(PROJECT_DIR / "notebooks" / name, folder / name)
    _share_read_only(site.app_dir, gid)
    os.chmod(site.root, 0o755)


def copy_analyst_notebooks(pw: pwd.struct_passwd) -> None:
    """The analyst's own copy of notebooks/ in their home (not overwritten when present)."""
    dest = Path(pw.pw_dir) / "notebooks"
    if dest.exists():
        return
    shutil.copytree(PROJECT_DIR / "notebooks", dest, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    for path in [dest, *dest.rglob("*")]:
        os.chown(path, pw.pw_uid, pw.pw_gid)


def write_site(
    site: HubSite, users: list[HubUser], group: str, *, limits: Limits, idle_timeout: int, created_group: bool
) -> None:
    """``hub/site.json`` (0600): who has which role, where everything is, the limits."""
    old = read_site(site) if site.site_file.exists() else {}
    data: dict[str, Any] = {
        "round": str(site.round_dir),
        "app": str(site.app_dir),
        "users": {u.name: u.role for u in users},
        "reviewers": {u.name: u.reviewer for u in users if u.reviewer},
        # The interpreter and the scoring package the servers run (the hub's own environment).
        "python_bin": str(Path(sys.executable).parent),
        "pythonpath": str(_PACKAGE_DIR.parent),
        "voila_templates": str(_PACKAGE_DIR / "ui" / "jupyter"),
        "group": group,
        # We made the group (hub-remove deletes it then); kept from the first set-up.
        "created_group": bool(old.get("created_group", created_group)),
        # Every account set up here, including people who left reviewers.yaml (hub-remove).
        "accounts": sorted(set(old.get("accounts", [])) | {u.name for u in users}),
        # The analysts' and the staff's groups we made (:func:`update_site`; hub-remove deletes them).
        "created_private_groups": list(old.get("created_private_groups", [])),
        "limits": limits.to_dict(),
        "idle_timeout": int(idle_timeout),
    }
    _write_site_file(site, data)


def update_site(site: HubSite, extra: Mapping[str, Any]) -> None:
    """Add ``extra`` to ``hub/site.json`` (:func:`scoring.admin.siteaccess.share_round`'s
    ``private_groups`` and ``created_private_groups``, the reviewers' ``rounds``); the groups
    we made are added to those of earlier set-ups, never forgotten."""
    data = read_site(site)
    made = set(data.get("created_private_groups", [])) | set(extra.get("created_private_groups", []))
    data.update(extra)
    data["created_private_groups"] = sorted(made)
    _write_site_file(site, data)


def _write_site_file(site: HubSite, data: Mapping[str, Any]) -> None:
    site.site_file.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    os.chmod(site.site_file, 0o600)


def read_site(site: HubSite) -> dict[str, Any]:
    """The contents of ``hub/site.json``.

    Raises
    ------
    HubError
        No such file, or not JSON.
    """
    try:
        data = json.loads(site.site_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise HubError(
            f"サーバーの設定 {site.site_file} を読めません: {e}。--site を確かめてください。"
        ) from e
    if not isinstance(data, dict):
        raise HubError(f"サーバーの設定 {site.site_file} の形が違います。")
    return data
