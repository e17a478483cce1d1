"""Who may read what of the round on the hub: the analysts' round copy, their reports, the
committee's copy, and each reviewer's own view of the round.

Every hub account is in the site's group (``shinsa``), which reads the app notebooks only.
Two more groups, made by :func:`share_round` and kept in step with reviewers.yaml:

``<group>-analysts``
    the 事務局 (``analysts:``): the only ones who read ``round/reports/`` (the full committee
    material: every comment, by 審査員A–F, and the 受領コード);
``<group>-staff``
    the 事務局 and the 選定委員 (``committee:``): they read ``round/`` (reviewers.yaml, whose
    order gives the labels 審査員A–F, the assignments, the checkpoints) and
    ``round/committee/`` (the copy built for the committee).

Reviewers are in neither. Each reviewer's server gets ``SCORING_ROUND`` =
``reviewers/<user>/`` (site.json ``rounds``): a copy of the round with their own entry of
reviewers.yaml and their own rows of assignments.csv only, owned by root, group the
reviewer's private group, 0750/0640. The app needs nothing else: the reviewer is the
signed-in user (``hub_user``).

The modes are those of :mod:`scoring.round.server` (folders 2750, files 0640).
"""

from __future__ import annotations

import csv
import grp
import io
import os
import pwd
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from ..core.errors import HubError
from ..round.assign import ASSIGNMENT_FILE
from ..round.loader import ReviewRound
from ..round.server import (
    COMMITTEE_REPORTS,
    DIR_MODE,
    FILE_MODE,
    PRIVATE_REPORTS,
    SERVER_FILE,
    write_server_file,
)
from .site import HubSite, HubUser, copy_round, read_site
from .sysaccounts import ensure_group, group_exists, run_command

__all__ = [
    "REVIEWER_VIEWS",
    "private_groups",
    "reviewer_view",
    "share_round",
    "write_reviewer_views",
]

#: The folder of the reviewers' views in the site.
REVIEWER_VIEWS = "reviewers"
#: Not in a reviewer's view: what maps labels to names, others' assignments, the records.
_NOT_IN_VIEW = {"reviewers.yaml", ASSIGNMENT_FILE, PRIVATE_REPORTS, COMMITTEE_REPORTS, SERVER_FILE}
_MAX_GROUP = 32


def private_groups(group: str) -> tuple[str, str]:
    """The analysts' group and the staff's (analysts and committee) of the site group ``group``.

    Raises
    ------
    HubError
        A name longer than a system group name may be.
    """
    names = (f"{group}-analysts", f"{group}-staff")
    long = [n for n in names if len(n) > _MAX_GROUP]
    if long:
        raise HubError(
            f"グループ名 {'、'.join(long)} が{_MAX_GROUP}文字を超えます。"
            f"--group（今は {group}）を{_MAX_GROUP - len('-analysts')}文字以内にしてください。何も変更していません。"
        )
    return names


def _set_members(group: str, wanted: list[str], ours: list[str]) -> None:
    """Add ``wanted`` to ``group``; take out the site's other accounts (``ours``) that are in it."""
    members = set(grp.getgrnam(group).gr_mem)
    for name in wanted:
        if name not in members:
            run_command("gpasswd", "--add", name, group)
    for name in sorted(members & set(ours) - set(wanted)):
        run_command("gpasswd", "--delete", name, group)


def _groups(group: str, users: list[HubUser], ours: list[str]) -> tuple[int, int, list[str]]:
    analysts, staff = private_groups(group)
    created = [g for g in (analysts, staff) if not group_exists(g)]
    gid_a, gid_s = ensure_group(analysts), ensure_group(staff)
    _set_members(analysts, [u.name for u in users if u.role == "analyst"], ours)
    _set_members(staff, [u.name for u in users if u.role in ("analyst", "committee")], ours)
    return gid_a, gid_s, created


def _protect(path: Path, owner: int, gid: int) -> None:
    if path.is_symlink():
        return
    os.chown(path, owner, gid)
    os.chmod(path, DIR_MODE if path.is_dir() else FILE_MODE)


def _protect_round(dest: Path, owner: int, gid_analysts: int, gid_staff: int) -> None:
    """``round/`` for the staff, ``round/reports/`` for the analysts; the analyst owns all."""
    reports = dest / PRIVATE_REPORTS
    reports.mkdir(mode=0o700, exist_ok=True)
    for path in [reports, *reports.rglob("*")]:  # first: never readable by the staff, even briefly
        _protect(path, owner, gid_analysts)
    (dest / COMMITTEE_REPORTS).mkdir(mode=0o700, exist_ok=True)
    _protect(dest, owner, gid_staff)
    for path in dest.iterdir():
        if path == reports:
            continue
        for p in [path, *(path.rglob("*") if path.is_dir() and not path.is_symlink() else [])]:
            _protect(p, owner, gid_staff)


def share_round(
    rnd: ReviewRound,
    site: HubSite,
    users: list[HubUser],
    accounts: Mapping[str, pwd.struct_passwd],
    group: str,
) -> dict[str, Any]:
    """Copy the round into the site (:func:`~scoring.admin.site.copy_round`: a re-run keeps the
    checkpoints, keys and reports), mark it a server round, and give it to the analysts and
    the committee only (see the module docstring).

    Returns
    -------
    dict
        What site.json keeps of it: ``private_groups`` (analysts', staff's) and
        ``created_private_groups`` (made now, for hub-remove).
    """
    old = read_site(site).get("accounts", []) if site.site_file.exists() else []
    ours = sorted(set(accounts) | {str(n) for n in old})  # also people who left reviewers.yaml
    gid_a, gid_s, created = _groups(group, users, ours)
    analyst = next(u for u in users if u.role == "analyst")
    copy_round(rnd, site)
    write_server_file(site.round_dir, *private_groups(group))
    _protect_round(site.round_dir, accounts[analyst.name].pw_uid, gid_a, gid_s)
    return {"private_groups": list(private_groups(group)), "created_private_groups": created}


def reviewer_view(round_dir: Path, dest: Path, reviewer: str) -> Path:
    """Write the round ``round_dir`` as ``reviewer`` may see it into ``dest`` (replaced): their
    own entry of reviewers.yaml, their own rows of assignments.csv, no reports, no records."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(
        round_dir,
        dest,
        ignore=lambda folder, names: (
            {n for n in names if n in _NOT_IN_VIEW or n.startswith("checkpoints")}
            if Path(folder) == round_dir
            else set()
        ),
    )
    data = yaml.safe_load((round_dir / "reviewers.yaml").read_text(encoding="utf-8")) or {}
    own = [r for r in data.get("reviewers") or [] if isinstance(r, dict) and str(r.get("id")) == reviewer]
    text = "# この審査員の分だけ（hub-setup が作成。ほかの審査員・事務局・選定委員は載せていません）\n"
    (dest / "reviewers.yaml").write_text(
        text + yaml.safe_dump({"reviewers": own}, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    source = round_dir / ASSIGNMENT_FILE
    if source.is_file():
        rows = list(csv.reader(io.StringIO(source.read_text(encoding="utf-8-sig"))))
        head = rows[0] if rows else []
        col = head.index("reviewer") if "reviewer" in head else 0
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(
            [head, *(r for r in rows[1:] if len(r) > col and r[col] == reviewer)]
        )
        (dest / ASSIGNMENT_FILE).write_text(out.getvalue(), encoding="utf-8")
    return dest


def write_reviewer_views(
    site: HubSite, users: list[HubUser], accounts: Mapping[str, pwd.struct_passwd]
) -> dict[str, str]:
    """Each reviewer's view of the round (:func:`reviewer_view`) in ``reviewers/<user>/``:
    owner root, group the reviewer's own, 0750/0640; ``reviewers/`` itself 0711 (no listing).

    Returns
    -------
    dict
        Hub user → the folder of their view (site.json ``rounds``).
    """
    base = site.root / REVIEWER_VIEWS
    if base.exists():
        shutil.rmtree(base)
    base.mkdir(mode=0o711)
    os.chown(base, 0, 0)
    os.chmod(base, 0o711)
    out: dict[str, str] = {}
    for u in users:
        if u.role != "reviewer" or u.reviewer is None:
            continue
        dest = reviewer_view(site.round_dir, base / u.name, u.reviewer)
        gid = accounts[u.name].pw_gid
        for p in [dest, *dest.rglob("*")]:
            if not p.is_symlink():
                os.chown(p, 0, gid)
                os.chmod(p, 0o750 if p.is_dir() else FILE_MODE)
        out[u.name] = str(dest)
    return out
