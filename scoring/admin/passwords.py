"""The sign-in passwords of the hub's accounts: read from a file, checked, set, printed once.

JupyterHub signs people in with PAM (:mod:`scoring.admin.authenticator`), so a password is
the system account's own, set with ``chpasswd`` (hashed by the system, kept in
``/etc/shadow``); none is stored in clear anywhere.
"""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml

from ..core.errors import HubError
from .site import ROLE_NAMES_JA, HubUser

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "check_passwords",
    "has_password",
    "password_lines",
    "read_passwords",
    "set_passwords",
]

MIN_PASSWORD_LENGTH = 8
_SHADOW = Path("/etc/shadow")


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
    passwords = {k: str(v) for k, v in data.items()}
    check_passwords(passwords, None, source=str(p))
    return passwords


def check_passwords(
    passwords: Mapping[str, str], users: Iterable[HubUser] | None, *, source: str = ""
) -> None:
    """Every password is long enough, one line, and (with ``users``) for a person of the round.

    Raises
    ------
    HubError
        Naming the people whose password cannot be used.
    """
    where = f"パスワードのファイル {source}: " if source else "パスワード: "
    short = [k for k, v in passwords.items() if len(v) < MIN_PASSWORD_LENGTH]
    if short:
        raise HubError(
            f"{where}{'、'.join(short)} のパスワードが{MIN_PASSWORD_LENGTH}文字未満です。"
            f"{MIN_PASSWORD_LENGTH}文字以上にしてください。"
        )
    bad = [k for k, v in passwords.items() if any(c in v for c in "\n\r:\0")]
    if bad:
        raise HubError(f"{where}{'、'.join(bad)} のパスワードに改行・「:」は使えません。")
    if users is not None:
        names = {u.name for u in users}
        unknown = sorted(set(passwords) - names)
        if unknown:
            raise HubError(
                f"{where}{'、'.join(unknown)} は reviewers.yaml にいません（hub_user・analysts・committee）。"
                "名前を確かめてください。"
            )


def has_password(name: str) -> bool:
    """The account has a usable password in ``/etc/shadow`` (a new account's is locked: ``!``)."""
    for line in _SHADOW.read_text(encoding="utf-8").splitlines():
        fields = line.split(":")
        if fields[0] == name:
            return len(fields) > 1 and fields[1] not in ("", "*") and not fields[1].startswith("!")
    return False


def set_passwords(users: Iterable[HubUser], passwords: Mapping[str, str]) -> dict[str, str]:
    """Set the accounts' passwords (``chpasswd``, as root).

    Users given in ``passwords`` get that password; users without a password yet get a
    generated one, returned; others keep theirs.

    Raises
    ------
    HubError
        ``chpasswd`` failed.
    """
    generated: dict[str, str] = {}
    lines = []
    for u in users:
        password = passwords.get(u.name)
        if password is None and not has_password(u.name):
            password = generated[u.name] = secrets.token_urlsafe(12)
        if password is not None:
            lines.append(f"{u.name}:{password}")
    if lines:
        res = subprocess.run(
            ["chpasswd"], input="\n".join(lines) + "\n", capture_output=True, text=True, check=False
        )
        if res.returncode != 0:
            raise HubError(
                f"パスワードを設定できませんでした（chpasswd, 終了コード {res.returncode}）: "
                f"{res.stderr.strip()}。root で実行しているか確認してください。"
            )
    return generated


def password_lines(generated: Mapping[str, str], users: Iterable[HubUser]) -> list[str]:
    """One line per generated password, with the person's role (審査員 R1 / 事務局 / 選定委員)."""
    out = []
    for u in users:
        if u.name in generated:
            who = f"{ROLE_NAMES_JA[u.role]} {u.reviewer}" if u.reviewer else ROLE_NAMES_JA[u.role]
            out.append(f"  {who}\t{u.name}\t{generated[u.name]}")
    return out
