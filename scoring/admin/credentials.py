"""Writing one account's database URL to ``~/.shinsa/database_url`` (mode 0600).

The server administration writes the file (``python -m scoring db-setup --credentials-dir``,
the hub's set-up as root into each account's home); the store reads it
(:func:`scoring.store.credentials.read_database_url`) and refuses a file other accounts can
read.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["write_credentials"]


def write_credentials(
    url: str, path: str | os.PathLike[str], *, uid: int | None = None, gid: int | None = None
) -> Path:
    """Write ``url`` to ``path`` (mode 0600; its folder created with mode 0700).

    The file is replaced atomically (a temporary file beside it, then renamed), so a reader
    never sees half a URL or a moment with looser permissions.

    Parameters
    ----------
    url : str
        The connection URL, password included.
    path : path-like
        E.g. ``/home/<user>/.shinsa/database_url``.
    uid, gid : int, optional
        Owner of the file and of a folder created for it (the deployment runs as root and
        writes into each user's home); by default the current process's.

    Returns
    -------
    Path
        The file written.
    """
    p = Path(path)
    if not p.parent.exists():
        p.parent.mkdir(mode=0o700, parents=True)
        if uid is not None or gid is not None:
            os.chown(p.parent, -1 if uid is None else uid, -1 if gid is None else gid)
    tmp = p.with_name(f".{p.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        if uid is not None or gid is not None:
            os.fchown(fd, -1 if uid is None else uid, -1 if gid is None else gid)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fd = -1
            fh.write(url.strip() + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, p)
    finally:
        if fd >= 0:
            os.close(fd)
        if tmp.exists():
            tmp.unlink()
    return p
