"""A round copy on the hub (``python -m scoring hub-setup``): where its reports go, who may read them.

``hub-setup`` (:mod:`scoring.admin.siteaccess`) writes :data:`SERVER_FILE` into the analysts'
round copy (``/srv/shinsa/round``); its presence makes the folder a *server round*. The
file names two groups of the site and two folders of the round::

    round/              the analysts and the committee read it (group ``<group>-staff``);
                        reviewers cannot (each has a view of their own, without the others)
    round/reports/      the analysts' reports: the full committee material (every comment, the
                        受領コード), progress, 講評 — group ``<group>-analysts`` only
    round/committee/    the copy built for the committee (no comments unless round.yaml
                        ``committee_sees_comments``, no 受領コード) — group ``<group>-staff``

Folders are ``2750`` (set-group-id, so that what the analyst writes takes the folder's group)
and files ``0640``: the owner (the first analyst) writes, the group reads, nobody else. The
commands write under :func:`private_umask` on a server round, so even a file written
elsewhere is not readable by other accounts.
"""

from __future__ import annotations

import contextlib
import grp
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import HubError

__all__ = [
    "COMMITTEE_REPORTS",
    "DIR_MODE",
    "FILE_MODE",
    "PRIVATE_REPORTS",
    "SERVER_FILE",
    "ServerRound",
    "private_umask",
    "restrict_files",
    "server_round",
    "write_server_file",
]

#: The file that makes a round folder a server round (written by hub-setup).
SERVER_FILE = "server.json"
#: The analysts' own reports, inside the round.
PRIVATE_REPORTS = "reports"
#: The committee's copy, inside the round.
COMMITTEE_REPORTS = "committee"
#: Folders: owner writes, group reads, nobody else; new files take the folder's group.
DIR_MODE = 0o2750
#: Files: owner writes, group reads, nobody else.
FILE_MODE = 0o640
#: The umask of a command on a server round (and of every server the hub starts).
UMASK = 0o027


@dataclass(frozen=True)
class ServerRound:
    """The private folders of a server round and the groups that may read them."""

    round_dir: Path
    analysts_group: str
    staff_group: str

    @property
    def reports(self) -> Path:
        """The analysts' reports (group :attr:`analysts_group`)."""
        return self.round_dir / PRIVATE_REPORTS

    @property
    def committee(self) -> Path:
        """The committee's copy (group :attr:`staff_group`)."""
        return self.round_dir / COMMITTEE_REPORTS

    def folder(self, path: Path, group: str) -> Path:
        """``path`` as a folder of ``group`` (created if missing), mode :data:`DIR_MODE`.

        A folder re-made by the analyst inside ``round/`` would take the round's group (the
        committee's): this puts it back in ``group``, so what follows is written there.

        Raises
        ------
        HubError
            The group is unknown, or the folder cannot be given to it (not its owner, not a
            member of the group).
        """
        path.mkdir(parents=True, exist_ok=True)
        try:
            gid = grp.getgrnam(group).gr_gid
            if path.stat().st_gid != gid:
                os.chown(path, -1, gid)
            if path.stat().st_mode & 0o7777 != DIR_MODE:
                os.chmod(path, DIR_MODE)
        except (KeyError, OSError) as e:
            raise HubError(
                f"サーバーのフォルダ {path} をグループ {group} だけが読めるようにできません: {e}。"
                "事務局（最初の analysts）のアカウントで実行するか、root で hub-setup をもう一度実行してください。"
            ) from e
        return path


def server_round(round_dir: str | os.PathLike[str]) -> ServerRound | None:
    """The server layout of ``round_dir``, or None for a round that is not on a hub.

    Raises
    ------
    HubError
        :data:`SERVER_FILE` is there but cannot be read.
    """
    path = Path(round_dir) / SERVER_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return ServerRound(Path(round_dir), str(data["analysts_group"]), str(data["staff_group"]))
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise HubError(f"{path} を読めません: {e}。root で hub-setup をもう一度実行してください。") from e


def write_server_file(round_dir: Path, analysts_group: str, staff_group: str) -> Path:
    """Write :data:`SERVER_FILE` into ``round_dir``."""
    path = round_dir / SERVER_FILE
    data = {
        "note": "hub-setup が作成。このフォルダはサーバーの審査ラウンドです（報告は reports/、選定委員用は committee/）。",
        "analysts_group": analysts_group,
        "staff_group": staff_group,
        "reports": PRIVATE_REPORTS,
        "committee": COMMITTEE_REPORTS,
    }
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def restrict_files(paths: Iterable[Path]) -> None:
    """Give each written file :data:`FILE_MODE` (whatever the umask was)."""
    for p in paths:
        if p.is_file():
            os.chmod(p, FILE_MODE)


@contextlib.contextmanager
def private_umask(enabled: bool = True) -> Iterator[None]:
    """Within the block, files are made without any right for other accounts (umask 027)."""
    if not enabled:
        yield
        return
    old = os.umask(UMASK)
    try:
        yield
    finally:
        os.umask(old)
