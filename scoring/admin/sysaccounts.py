"""The system accounts of the hub: created by us, recognised as ours, removed only if ours.

Each person who signs in to the hub has a system account of the same name (the hub user of
reviewers.yaml); JupyterHub checks their password against it (PAM) and runs their Jupyter
server as that account. The names stay the ones people sign in with (``r1``, ``jimukyoku``),
so an account is recognised as ours by two things only root can set:

- **a uid in** :data:`UID_FLOOR` … :data:`UID_CEILING` (``useradd -K UID_MIN=… -K UID_MAX=…``):
  above the system accounts (``root`` 0, ``postgres`` and other services below 1000) and above
  ``UID_MAX`` of ``/etc/login.defs`` (60000 on Debian), so that a plain ``useradd`` never gives
  an ordinary account such a uid (it takes the highest uid in use + 1, up to ``UID_MAX``; a
  range inside it would be handed out once our accounts exist). Set-up refuses a machine whose
  ``UID_MAX`` reaches our range;
- **the comment (GECOS full name)** :data:`ACCOUNT_MARKER`, which users cannot change
  (``CHFN_RESTRICT`` lets them change the room and phone fields only).

An existing account that lacks either is not ours: set-up refuses it (:func:`check_accounts`)
instead of adopting it, and removal never touches it. Some names are refused even when no
such account exists yet (:data:`RESERVED_NAMES`: ``root``, ``postgres`` …).
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import signal
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

from ..core.errors import HubError

__all__ = [
    "ACCOUNT_MARKER",
    "RESERVED_NAMES",
    "SHINSA_GROUP",
    "UID_CEILING",
    "UID_FLOOR",
    "check_accounts",
    "check_runnable",
    "ensure_account",
    "ensure_group",
    "grant_python_access",
    "group_exists",
    "is_ours",
    "python_path_dirs",
    "remove_accounts",
    "remove_group",
    "revoke_python_access",
    "run_command",
]

#: The group of every hub account: it may read the round copy and the app notebooks.
SHINSA_GROUP = "shinsa"
#: The uids (and the private groups' gids) of the accounts we create.
UID_FLOOR = 70000
UID_CEILING = 70999
#: The comment (GECOS full name) of the accounts we create.
ACCOUNT_MARKER = "shinsa-workbench"
#: Names never used for a hub account, whether the account exists or not.
RESERVED_NAMES = frozenset(
    {
        "root",
        "postgres",
        "nobody",
        "daemon",
        "bin",
        "sys",
        "sync",
        "www-data",
        "admin",
        "jupyterhub",
        "shinsa",
        "ubuntu",
        "debian",
    }
)
#: The Python, the workbench and the modules a hub account must be able to run.
_RUNNABLE = "import scoring.ui.review_view, jupyterhub.singleuser, voila"
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]


def _run(*cmd: str) -> None:
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise HubError(
            f"コマンド {' '.join(cmd)} が失敗しました（終了コード {res.returncode}）: "
            f"{(res.stderr or res.stdout).strip()}。root で実行しているか確認してください。"
        )


#: :func:`_run` for the other modules of :mod:`scoring.admin` (a Japanese HubError on failure).
run_command = _run


def is_ours(pw: pwd.struct_passwd) -> bool:
    """The account was created by :func:`ensure_account`: uid in our range and our comment."""
    return UID_FLOOR <= pw.pw_uid <= UID_CEILING and pw.pw_gecos.split(",")[0] == ACCOUNT_MARKER


def _account(name: str) -> pwd.struct_passwd | None:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        return None


def _login_defs_uid_max(path: Path = Path("/etc/login.defs")) -> int:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return 60000
    found = re.findall(r"^\s*UID_MAX\s+(\d+)", text, flags=re.MULTILINE)
    return int(found[-1]) if found else 60000


def check_accounts(names: Iterable[str]) -> None:
    """Every name may become (or already is) one of our accounts; changes nothing.

    Raises
    ------
    HubError
        A reserved name (``root``, ``postgres`` …), or an existing account we did not create
        (an ordinary user's, a service's): named, with what to do.
    """
    names = list(names)
    uid_max = _login_defs_uid_max()
    if uid_max >= UID_FLOOR:
        raise HubError(
            f"/etc/login.defs の UID_MAX（{uid_max}）が審査ワークベンチのアカウントの uid（{UID_FLOOR}〜）に"
            f"届いています。普通のアカウントと区別できないため作りません。UID_MAX を {UID_FLOOR} 未満にしてください。"
        )
    reserved = [n for n in names if n in RESERVED_NAMES]
    if reserved:
        raise HubError(
            f"reviewers.yaml の JupyterHub のユーザー名 {'、'.join(reserved)} はシステムで使われる名前のため"
            "使えません。別の名前（例: shinsa_r1）にしてください。"
        )
    foreign = [pw for n in names if (pw := _account(n)) is not None and not is_ours(pw)]
    if foreign:
        listed = "、".join(f"{pw.pw_name}（uid {pw.pw_uid}）" for pw in foreign)
        raise HubError(
            f"システムのアカウント {listed}は既にあり、審査ワークベンチが作ったものではありません"
            f"（uid が {UID_FLOOR}〜{UID_CEILING} でコメントが {ACCOUNT_MARKER} のものだけを使います）。"
            "他人のアカウントを使わないよう、reviewers.yaml の hub_user・analysts・committee を"
            "使われていない名前（例: shinsa_r1）にしてください。アカウントは何も作っていません。"
        )


def group_exists(name: str) -> bool:
    """The system group ``name`` exists."""
    try:
        grp.getgrnam(name)
    except KeyError:
        return False
    return True


def ensure_group(name: str) -> int:
    """The gid of the system group ``name`` (``groupadd --system`` if missing)."""
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        _run("groupadd", "--system", name)
        return grp.getgrnam(name).gr_gid


def ensure_account(name: str, home_base: Path, group: str, gid: int) -> pwd.struct_passwd:
    """Our system account ``name`` (created if missing: uid and private group in our range, our
    comment, home ``home_base/name`` mode 0700, no login shell), member of ``group``.

    Raises
    ------
    HubError
        The account exists and is not ours (see :func:`check_accounts`), or ``useradd`` failed.
    """
    pw = _account(name)
    if pw is None:
        ids = [
            f"UID_MIN={UID_FLOOR}",
            f"UID_MAX={UID_CEILING}",
            f"GID_MIN={UID_FLOOR}",
            f"GID_MAX={UID_CEILING}",
        ]
        _run(
            "useradd",
            *[a for kv in ids for a in ("-K", kv)],
            "--comment",
            ACCOUNT_MARKER,
            "--create-home",
            "--home-dir",
            str(home_base / name),
            "--user-group",
            "--groups",
            group,
            "--shell",
            "/usr/sbin/nologin",
            name,
        )
        pw = pwd.getpwnam(name)
    else:
        check_accounts([name])
        if gid not in os.getgrouplist(name, pw.pw_gid):
            _run("usermod", "--append", "--groups", group, name)
    home = Path(pw.pw_dir)
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chown(home, pw.pw_uid, pw.pw_gid)
    os.chmod(home, 0o700)
    return pw


def _kill_processes_of(uid: int) -> None:
    """SIGKILL every process of ``uid`` (one of our accounts), so that ``userdel`` can remove it."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if proc.stat().st_uid == uid:
                os.kill(int(proc.name), signal.SIGKILL)
        except OSError:
            continue


def remove_accounts(names: Iterable[str]) -> list[str]:
    """Remove these accounts and their homes (``userdel --remove``), if they are ours.

    Missing accounts are skipped. Every name is checked before anything is removed; the
    processes still running as one of our accounts are killed first.

    Returns
    -------
    list of str
        The accounts removed.

    Raises
    ------
    HubError
        One of the accounts exists and is not ours: nothing is removed.
    """
    found = [pw for n in dict.fromkeys(names) if (pw := _account(n)) is not None]
    foreign = [pw.pw_name for pw in found if not is_ours(pw)]
    if foreign:
        raise HubError(
            f"システムのアカウント {'、'.join(foreign)} は審査ワークベンチが作ったものではないため削除しません"
            "（何も削除していません）。site.json の users を確認してください。"
        )
    for pw in found:
        _kill_processes_of(pw.pw_uid)
        _run("userdel", "--remove", pw.pw_name)
    return [pw.pw_name for pw in found]


def remove_group(name: str) -> bool:
    """``groupdel name`` when no account is in it (as a member or its primary group); True
    when removed."""
    try:
        group = grp.getgrnam(name)
    except KeyError:
        return False
    if group.gr_mem or any(pw.pw_gid == group.gr_gid for pw in pwd.getpwall()):
        return False
    return subprocess.run(["groupdel", name], capture_output=True, check=False).returncode == 0


def check_runnable(group: str) -> None:
    """An account of ``group`` can run this Python and import the workbench (else the hub
    would start servers that fail): tried as ``nobody`` with the group, before any account
    exists. A Python under root's home (pyenv in /root) cannot be run without
    :func:`grant_python_access`.

    Raises
    ------
    HubError
        It cannot (the last line of the error, and what to do).
    """
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        return
    try:
        extra = [grp.getgrnam(group).gr_gid]
    except KeyError:
        extra = []
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": "/nonexistent",
        "MPLCONFIGDIR": "/tmp",
        "PYTHONPATH": str(_PACKAGE_ROOT),
    }
    cmd = [sys.executable, "-c", _RUNNABLE]
    try:
        res = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            check=False,
            env=env,
            cwd="/",
            user=nobody.pw_uid,
            group=nobody.pw_gid,
            extra_groups=extra,
            timeout=120,
        )
    except PermissionError as e:
        res = subprocess.CompletedProcess(cmd, 126, "", str(e))
    if res.returncode != 0:
        last = (res.stderr.strip().splitlines() or ["?"])[-1]
        raise HubError(
            f"グループ {group} のアカウントがこの Python 環境（{sys.executable}）でワークベンチを動かせません: "
            f"{last}。サーバーでは、全員が読める場所（例: /opt/shinsa）に置いた Python と .venv を使ってください"
            "（root のホームの下の Python は他のアカウントから実行できません）。アカウントは何も作っていません。"
        )


def python_path_dirs() -> list[Path]:
    """Folders on the way to this Python and the workbench that other accounts may not pass
    through (no ``o+x``), e.g. ``/root`` (0700) above a pyenv."""
    targets = [Path(os.path.realpath(sys.executable)), Path(sys.base_prefix), _PACKAGE_ROOT]
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
    ensure_group(group)
    dirs = python_path_dirs()
    for d in dirs:
        try:
            _run("setfacl", "-m", f"g:{group}:x", str(d))
        except FileNotFoundError:
            raise HubError(
                "setfacl がありません。Debian のパッケージ acl を入れてください（make deps）。"
            ) from None
    return dirs


def revoke_python_access(dirs: Iterable[Path], group: str = SHINSA_GROUP) -> None:
    """Remove the ACL entries :func:`grant_python_access` added (before the group is deleted)."""
    for d in dirs:
        subprocess.run(["setfacl", "-x", f"g:{group}", str(d)], capture_output=True, check=False)
        left = subprocess.run(
            ["getfacl", "--omit-header", "--skip-base", str(d)], capture_output=True, text=True, check=False
        ).stdout
        if not re.search(r"^(user|group):[^:]+:", left, flags=re.MULTILINE):
            subprocess.run(["setfacl", "-b", str(d)], capture_output=True, check=False)  # no ACL left
