"""The database URL of one account, kept in a file only its owner can read.

On the shared JupyterHub server every person has a system account and a PostgreSQL role of
their own (:mod:`scoring.admin.roles`). The role's URL, password included, is written by
``python -m scoring db-setup`` (or the hub's set-up; :func:`scoring.admin.credentials.write_credentials`)
to ``~/.shinsa/database_url`` of that account, mode 0600 in a folder of mode 0700. :func:`scoring.store.scores.default_url`
reads it when ``$SCORING_DATABASE_URL`` is not set, and refuses a file that other accounts
can read or write (they would learn the password), like the signing key
(:mod:`scoring.core.signing`).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..core.errors import StoreError

__all__ = ["database_url_file", "read_database_url"]


def database_url_file() -> Path:
    """``~/.shinsa/database_url`` of the account running the workbench."""
    return Path.home() / ".shinsa" / "database_url"


def read_database_url(path: str | os.PathLike[str] | None = None) -> str | None:
    """The URL in the credentials file, or None when there is no such file.

    Raises
    ------
    StoreError
        The file can be read or written by other accounts (group/others bits set), or it is
        empty (Japanese message saying what to do).
    """
    p = Path(path) if path is not None else database_url_file()
    try:
        st = p.stat()
    except FileNotFoundError:
        return None
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise StoreError(
            f"データベースの接続情報 {p} を他のアカウントが読めます（権限 {stat.filemode(st.st_mode)}）。"
            f"パスワードが漏れるおそれがあるため使いません。chmod 600 {p} で本人だけが読めるようにし、"
            "事務局にパスワードの再発行（python -m scoring db-setup）を依頼してください。"
        )
    text = p.read_text(encoding="utf-8").strip()
    if not text:
        raise StoreError(
            f"データベースの接続情報 {p} が空です。事務局に連絡してください"
            "（python -m scoring db-setup で書き直せます）。"
        )
    return text
