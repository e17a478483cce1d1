"""The multi-reviewer server (複数の審査員で使うサーバー): setting up a JupyterHub site for a round.

JupyterHub (``deploy/jupyterhub_config.py``) signs people in with NativeAuthenticator and
starts each one's Jupyter server as their own system account (LocalProcessSpawner). This
module prepares everything that configuration reads, from the round's ``reviewers.yaml``:

- **the site folder** (default ``/srv/shinsa``)::

      round/            a copy of the round (its rubric beside it), group ``shinsa``, read only
                        (owned by the first analyst, who writes the signed checkpoints there)
      app/reviewer/     02_review.ipynb, served by Voilà to reviewers
      app/committee/    04_committee.ipynb, served by Voilà to the committee
      hub/              the hub's own state (site.json, jupyterhub.sqlite, cookie secret),
                        root only (0700)

- **one system account per hub user** (``useradd``, home 0700, group ``shinsa``), named as
  the hub user: the reviewers' ``hub_user``, the ``analysts`` and the ``committee``;
- **each account's database credentials** in ``~/.shinsa/database_url`` (0600, owned by the
  account), from :func:`scoring.store.access.provision`: the PostgreSQL role of that person,
  whose rights the database enforces (row-level security), whatever code they run;
- **the sign-in passwords** (bcrypt hashes in the hub's database, NativeAuthenticator's
  table): from a file, or generated and returned once;
- ``hub/site.json``: who has which role and where everything is, for the hub's
  configuration.

The guarantees do not rest on this module's screens: a reviewer who reaches a kernel runs
Python as their own account, which cannot read another home (0700) and connects to the
database only as their own role.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import re
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..config.round import set_round_rubric
from ..core.errors import HubError
from ..core.paths import PROJECT_DIR
from ..round.loader import ReviewRound, _resolve_rubric
from ..store.access import provision
from ..store.credentials import write_credentials

__all__ = [
    "DEFAULT_SITE",
    "ROLES",
    "SHINSA_GROUP",
    "HubSite",
    "HubUser",
    "grant_python_access",
    "hub_users",
    "python_path_dirs",
    "read_passwords",
    "remove_accounts",
    "revoke_python_access",
    "setup_hub",
]

#: Where ``make hub`` and ``python -m scoring hub-setup`` put the site by default.
DEFAULT_SITE = Path("/srv/shinsa")
#: The group of every hub account: it may read the round copy and the app notebooks.
SHINSA_GROUP = "shinsa"
#: Role → what the person lands on (see deploy/jupyterhub_config.py).
ROLES: dict[str, str] = {
    "reviewer": "採点画面（02 を Voilà で表示）",
    "analyst": "JupyterLab",
    "committee": "選定委員会資料（04 を Voilà で表示）",
}
#: The notebook each Voilà role is served (copied into ``app/<role>/``).
APP_NOTEBOOKS: dict[str, str] = {"reviewer": "02_review.ipynb", "committee": "04_committee.ipynb"}
#: A system account name useradd accepts and JupyterHub keeps as it is (lower case).
_ACCOUNT = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")


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

    @property
    def hub_db(self) -> Path:
        return self.state_dir / "jupyterhub.sqlite"


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
        raise HubError(f"reviewers.yaml の JupyterHub のユーザー名 {'、'.join(bad)} はシステムのアカウント名に使えません。"
                       "英小文字で始まる英小文字・数字・_・- の32文字以内にしてください（例: shinsa_r1）。")
    if not any(u.role == "analyst" for u in users):
        raise HubError(f"{rnd.path / 'reviewers.yaml'} に事務局（analysts: [ユーザー名]）がありません。"
                       "サーバーでは事務局のアカウントが一つ以上必要です。")
    return users


def read_passwords(path: str | os.PathLike[str]) -> dict[str, str]:
    """Sign-in passwords from a YAML file ``{hub user: password}``.

    Raises
    ------
    HubError
        The file is not such a mapping, or a password is shorter than 8 characters.
    """
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise HubError(f"パスワードのファイル {p} を読めません: {e}") from e
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise HubError(f"パスワードのファイル {p} は「ユーザー名: パスワード」の形（YAML）にしてください。")
    short = [k for k, v in data.items() if len(str(v)) < 8]
    if short:
        raise HubError(f"パスワードのファイル {p}: {'、'.join(short)} のパスワードが8文字未満です。8文字以上にしてください。")
    return {k: str(v) for k, v in data.items()}


def _run(*cmd: str) -> None:
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise HubError(f"コマンド {' '.join(cmd)} が失敗しました（終了コード {res.returncode}）: "
                       f"{(res.stderr or res.stdout).strip()}。root で実行しているか確認してください。")


def _ensure_group(name: str) -> int:
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        _run("groupadd", "--system", name)
        return grp.getgrnam(name).gr_gid


def _ensure_account(name: str, home_base: Path, group: str, gid: int) -> pwd.struct_passwd:
    """The system account ``name`` (created with a 0700 home in ``home_base`` if missing),
    in the group ``group``."""
    try:
        pw = pwd.getpwnam(name)
    except KeyError:
        _run("useradd", "--create-home", "--home-dir", str(home_base / name), "--user-group",
             "--groups", group, "--shell", "/usr/sbin/nologin", name)
        pw = pwd.getpwnam(name)
    else:
        if gid not in os.getgrouplist(name, pw.pw_gid):
            _run("usermod", "--append", "--groups", group, name)
    home = Path(pw.pw_dir)
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chown(home, pw.pw_uid, pw.pw_gid)
    os.chmod(home, 0o700)
    return pw


def _check_runnable(pw: pwd.struct_passwd, gid: int) -> None:
    """The account can run this Python environment and import the workbench (else the hub
    would start servers that fail): a Python under root's home (pyenv in /root) cannot be."""
    env = {"PATH": "/usr/bin:/bin", "HOME": pw.pw_dir, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    cmd = [sys.executable, "-c", "import scoring.ui.review_view, jupyterhub.singleuser, voila"]
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env, cwd="/",
                             user=pw.pw_uid, group=pw.pw_gid, extra_groups=[gid], timeout=120)
    except PermissionError as e:
        res = subprocess.CompletedProcess(cmd, 126, "", str(e))
    if res.returncode != 0:
        last = (res.stderr.strip().splitlines() or ["?"])[-1]
        raise HubError(f"アカウント {pw.pw_name} がこの Python 環境（{sys.executable}）でワークベンチを動かせません: {last}。"
                       "サーバーでは、全員が読める場所（例: /opt/shinsa）に置いた Python と .venv を使ってください"
                       "（root のホームの下の Python は他のアカウントから実行できません）。")


def python_path_dirs() -> list[Path]:
    """Folders on the way to this Python and the workbench that other accounts may not pass
    through (no ``o+x``), e.g. ``/root`` (0700) above a pyenv."""
    targets = [Path(os.path.realpath(sys.executable)), Path(sys.base_prefix), Path(__file__).resolve().parents[2]]
    out: list[Path] = []
    for t in targets:
        for d in reversed(t.parents):
            if d.is_dir() and not os.stat(d).st_mode & 0o001 and d not in out:
                out.append(d)
    return out


def grant_python_access(group: str = SHINSA_GROUP) -> list[Path]:
    """Let ``group`` pass through (only ``x``, no listing) the folders of
    :func:`python_path_dirs` with an ACL (``setfacl``), for a trial on a machine whose Python
    lives under ``/root``. Returns the folders changed (undo with :func:`revoke_python_access`).

    Raises
    ------
    HubError
        ``setfacl`` is missing (Debian package ``acl``) or failed.
    """
    _ensure_group(group)
    dirs = python_path_dirs()
    for d in dirs:
        try:
            _run("setfacl", "-m", f"g:{group}:x", str(d))
        except FileNotFoundError:
            raise HubError("setfacl がありません。Debian のパッケージ acl を入れてください（scripts/system-deps.sh）。") from None
    return dirs


def revoke_python_access(dirs: Iterable[Path], group: str = SHINSA_GROUP) -> None:
    """Remove the ACL entries :func:`grant_python_access` added (before the group is deleted)."""
    for d in dirs:
        subprocess.run(["setfacl", "-x", f"g:{group}", str(d)], capture_output=True, check=False)
        left = subprocess.run(["getfacl", "--omit-header", "--skip-base", str(d)], capture_output=True, text=True,
                              check=False).stdout
        if not re.search(r"^(user|group):[^:]+:", left, flags=re.MULTILINE):
            subprocess.run(["setfacl", "-b", str(d)], capture_output=True, check=False)  # no ACL left


def remove_accounts(names: Iterable[str]) -> None:
    """Remove these system accounts and their homes (``userdel -r``); missing ones are skipped."""
    for name in names:
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        _run("userdel", "--remove", name)


def _copy_round(rnd: ReviewRound, site: HubSite, gid: int, owner: int) -> None:
    """Copy the round (no score database, no checkpoints) and its rubric into ``site.round_dir``,
    owned by ``owner`` (the analyst, who writes the signed checkpoints there), group ``gid``."""
    dest = site.round_dir
    if dest.exists():
        shutil.rmtree(dest)
    ignore = shutil.ignore_patterns("scores.sqlite*", "checkpoints*.jsonl", "__pycache__", ".ipynb_checkpoints")
    shutil.copytree(rnd.path, dest, ignore=ignore)
    rubric, _ = _resolve_rubric(rnd.path, rnd.config.rubric)
    shutil.copy2(rubric, dest / rubric.name)
    set_round_rubric(dest / "round.yaml", dest / rubric.name)
    _share_read_only(dest, gid, owner)


def _reviewer_app(source: Path, dest: Path) -> None:
    """02_review.ipynb for Voilà: without its first markdown cell (the JupyterLab how-to:
    "run all cells, pick your name"), which does not apply on the server."""
    nb = json.loads(source.read_text(encoding="utf-8"))
    first_md = next((i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "markdown"), None)
    if first_md is not None:
        del nb["cells"][first_md]
    dest.write_text(json.dumps(nb, ensure_ascii=False, indent=1), encoding="utf-8")


def _share_read_only(folder: Path, gid: int, owner: int = 0) -> None:
    """owner:shinsa, folders 0750 and files 0640: the hub's accounts read, nobody else does."""
    for path in [folder, *folder.rglob("*")]:
        os.chown(path, owner, gid)
        os.chmod(path, 0o750 if path.is_dir() else 0o640)


def _copy_apps(site: HubSite, gid: int) -> None:
    for role, name in APP_NOTEBOOKS.items():
        folder = site.app_dir / role
        folder.mkdir(parents=True, exist_ok=True)
        if role == "reviewer":
            _reviewer_app(PROJECT_DIR / "notebooks" / name, folder / name)
        else:
            shutil.copy2(PROJECT_DIR / "notebooks" / name, folder / name)
    _share_read_only(site.app_dir, gid)
    os.chmod(site.root, 0o755)


def _copy_analyst_notebooks(pw: pwd.struct_passwd) -> None:
    """The analyst's own copy of notebooks/ in their home (not overwritten when present)."""
    dest = Path(pw.pw_dir) / "notebooks"
    if dest.exists():
        return
    shutil.copytree(PROJECT_DIR / "notebooks", dest, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    for path in [dest, *dest.rglob("*")]:
        os.chown(path, pw.pw_uid, pw.pw_gid)


def _set_passwords(site: HubSite, passwords: Mapping[str, str], users: list[HubUser]) -> dict[str, str]:
    """Write sign-in passwords (bcrypt) into the hub's database (NativeAuthenticator's table).

    Users given in ``passwords`` get that password; users who have none yet get a generated
    one, returned; others keep theirs. Users no longer in reviewers.yaml lose theirs.
    """
    import bcrypt
    from jupyterhub.orm import new_session_factory
    from nativeauthenticator.orm import UserInfo

    session = new_session_factory(f"sqlite:///{site.hub_db}")()
    generated: dict[str, str] = {}
    try:
        names = {u.name for u in users}
        for info in UserInfo.all_users(session):
            if info.username not in names:
                session.delete(info)
        for u in users:
            info = UserInfo.find(session, u.name)
            password = passwords.get(u.name)
            if password is None and info is None:
                password = generated[u.name] = secrets.token_urlsafe(12)
            if password is None:
                continue
            hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt())
            if info is None:
                session.add(UserInfo(username=u.name, password=hashed, is_authorized=True))
            else:
                info.password, info.is_authorized = hashed, True
        session.commit()
    finally:
        session.close()
    os.chmod(site.hub_db, 0o600)
    return generated


def setup_hub(
    rnd: ReviewRound,
    admin_url: str,
    site_root: str | os.PathLike[str] = DEFAULT_SITE,
    *,
    passwords: Mapping[str, str] | None = None,
    home_base: str | os.PathLike[str] = "/home",
    group: str = SHINSA_GROUP,
) -> dict[str, str]:
    """Set up (or update) the hub site of ``rnd``: round copy, app notebooks, accounts,
    database roles and credentials, sign-in passwords, ``hub/site.json``.

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
        Hub user → sign-in password (see :func:`read_passwords`).
    home_base : path
        Where new accounts' homes are made.
    group : str
        The system group of the hub's accounts (created if missing; default ``shinsa``).

    Returns
    -------
    dict
        Hub user → generated password, for the people who had no password yet: print them
        once and hand them over; they are not stored anywhere in clear.

    Raises
    ------
    HubError
        Not root, bad hub user names, a failed ``useradd``.
    """
    if os.geteuid() != 0:
        raise HubError("サーバーの準備（アカウントの作成）は root で実行してください（例: sudo make hub）。")
    users = hub_users(rnd)
    site = HubSite(Path(site_root).resolve())
    gid = _ensure_group(group)
    site.root.mkdir(parents=True, exist_ok=True)
    site.state_dir.mkdir(mode=0o700, exist_ok=True)
    os.chown(site.state_dir, 0, 0)
    os.chmod(site.state_dir, 0o700)
    accounts = {u.name: _ensure_account(u.name, Path(home_base), group, gid) for u in users}
    _check_runnable(accounts[users[0].name], gid)
    analyst = next(u for u in users if u.role == "analyst")
    _copy_round(rnd, site, gid, accounts[analyst.name].pw_uid)
    _copy_apps(site, gid)
    urls = provision(admin_url, rnd)
    for u in users:
        pw = accounts[u.name]
        if u.name not in urls:
            raise HubError(f"データベースのロールが作られませんでした: {u.name}（{ROLES[u.role]}）")
        write_credentials(urls[u.name], Path(pw.pw_dir) / ".shinsa" / "database_url", uid=pw.pw_uid, gid=pw.pw_gid)
        if u.role == "analyst":
            _copy_analyst_notebooks(pw)
    generated = _set_passwords(site, dict(passwords or {}), users)
    site_data: dict[str, Any] = {
        "round": str(site.round_dir),
        "app": str(site.app_dir),
        "users": {u.name: u.role for u in users},
        "reviewers": {u.name: u.reviewer for u in users if u.reviewer},
        # The interpreter and the scoring package the servers run (the hub's own environment).
        "python_bin": str(Path(sys.executable).parent),
        "pythonpath": str(Path(__file__).resolve().parents[2]),
        "voila_templates": str(Path(__file__).resolve().parent / "jupyter"),
        "group": group,
    }
    site.site_file.write_text(json.dumps(site_data, ensure_ascii=False, indent=1), encoding="utf-8")
    os.chmod(site.site_file, 0o600)
    return generated
