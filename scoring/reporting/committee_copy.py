"""The committee material on a server round: the analysts' full copy and the one built for the committee.

On a round copy of the hub (:func:`scoring.round.server.server_round`) ``report`` (and
``run``) write the full material (every comment, the 受領コード grid) into the analysts'
private ``reports/`` and, beside it, :func:`committee_copy` of it into ``committee/``, which
the committee's accounts read and the reviewers' do not. Elsewhere (one person, SQLite) only
the full material is written, as before.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from ..round.server import private_umask, restrict_files, server_round
from .committee_report import write_committee_reports

if TYPE_CHECKING:
    from ..analysis.committee import Committee
    from ..round.loader import ReviewRound

__all__ = ["committee_copy", "write_committee_material"]


def committee_copy(c: Committee, *, sees_comments: bool = False) -> Committee:
    """``c`` as the committee may read it: no 受領コード (the receipts grid is the reviewers'
    check, and the codes of comment-less scores can be guessed back), and no comments unless
    ``sees_comments`` (round.yaml ``committee_sees_comments``, as the committee's database
    role). ``c`` itself is not changed."""
    receipts = c.receipts.iloc[0:0].copy()
    comments = c.comments if sees_comments else c.comments.iloc[0:0].copy()
    return dataclasses.replace(
        c,
        receipts=receipts,
        comments=comments,
        render_cache={k: v for k, v in c.render_cache.items() if k in ("round", "png")},
    )


def write_committee_material(rnd: ReviewRound, out_dir: Path, c: Committee) -> dict[str, Path]:
    """Write the committee material of ``c`` into ``out_dir`` and, on a server round, the
    committee's copy into its ``committee/`` folder (``committee_html`` … in the result).

    On a server round everything is written with umask 027 and files 0640, and ``out_dir``
    defaults to the analysts' ``reports/`` (see :mod:`scoring.round.server`).

    Returns
    -------
    dict
        ``html``, ``xlsx``, ``pdf`` and, on a server round, ``committee_html``,
        ``committee_xlsx``, ``committee_pdf``.
    """
    server = server_round(rnd.path)
    with private_umask(server is not None):
        if server is not None and Path(out_dir).resolve() == server.reports.resolve():
            server.folder(server.reports, server.analysts_group)
        paths = dict(write_committee_reports(rnd, out_dir, committee=c))
        if server is None:
            return paths
        restrict_files(paths.values())
        folder = server.folder(server.committee, server.staff_group)
        sees = bool(getattr(rnd.config, "committee_sees_comments", False))
        copy = write_committee_reports(
            rnd, folder, committee=committee_copy(c, sees_comments=sees), records=False
        )
        restrict_files(copy.values())
        paths.update({f"committee_{k}": p for k, p in copy.items()})
    return paths
