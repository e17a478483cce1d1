"""Who is scoring and what they score: the reviewer's identity (本人確認) and assignments.

Under JupyterHub (``JUPYTERHUB_USER`` set) the reviewer is the logged-in user, mapped
through ``hub_user`` in ``reviewers.yaml``, and cannot be changed (:func:`identify_reviewer`);
single-user, the reviewer chooses from the list. :func:`assigned_applications` lists what
they score, never an application they are in conflict with. Used by
:class:`scoring.review.session.ReviewSession` and importable from :mod:`scoring.review.session`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..core.environment import environment
from ..core.errors import ReviewError

if TYPE_CHECKING:
    from ..round.loader import ReviewRound

__all__ = ["ReviewerIdentity", "assigned_applications", "identify_reviewer"]


@dataclass(frozen=True)
class ReviewerIdentity:
    """Who is scoring.

    Attributes
    ----------
    reviewer : str or None
        The reviewer id, or None while the person still has to choose.
    locked : bool
        True under JupyterHub: the reviewer is the logged-in user and cannot be changed.
    hub_user : str or None
        The JupyterHub user name, when running under JupyterHub.
    choices : tuple of str
        Reviewer ids the person may choose from (only their own when ``locked``).
    """

    reviewer: str | None
    locked: bool
    hub_user: str | None
    choices: tuple[str, ...]


def identify_reviewer(
    rnd: ReviewRound, reviewer_id: str | None = None, environ: Mapping[str, str] | None = None
) -> ReviewerIdentity:
    """Decide who is scoring.

    Parameters
    ----------
    rnd : ReviewRound
    reviewer_id : str, optional
        The notebook's ``reviewer_id`` parameter. Single-user it preselects a reviewer;
        under JupyterHub it must be empty or the logged-in user's own id.
    environ : mapping, optional
        Environment variables (default ``os.environ``); ``JUPYTERHUB_USER`` is set by
        JupyterHub for the logged-in user and matched (case-insensitively) against
        ``hub_user`` in reviewers.yaml.

    Raises
    ------
    ReviewError
        Unknown reviewer id; a JupyterHub user not in reviewers.yaml; a JupyterHub user
        asking for another reviewer.
    """
    hub_user = environment(environ).hub_user or None
    wanted = (reviewer_id or "").strip() or None
    if hub_user is not None:
        mine = [r for r in rnd.reviewers if r.hub_user and r.hub_user.casefold() == hub_user.casefold()]
        if not mine:
            raise ReviewError(
                f"JupyterHub のユーザー「{hub_user}」は reviewers.yaml の hub_user に登録されていません。"
                "事務局に審査員としての登録を依頼してください。"
            )
        own = mine[0].id
        if wanted is not None and wanted != own:
            raise ReviewError(
                f"JupyterHub ではログインした本人（ユーザー「{hub_user}」= 審査員 {own}）としてだけ採点できます。"
                f"審査員 {wanted} を選ぶことはできません。"
            )
        return ReviewerIdentity(own, True, hub_user, (own,))
    choices = tuple(r.id for r in rnd.reviewers)
    if wanted is not None and wanted not in choices:
        raise ReviewError(
            f"審査員ID「{wanted}」は reviewers.yaml にありません。次のいずれかを指定してください: {'、'.join(choices)}"
        )
    return ReviewerIdentity(wanted, False, None, choices)


def assigned_applications(rnd: ReviewRound, reviewer_id: str) -> list[str]:
    """The applications this reviewer scores, in application (JIS code) order.

    Taken from :meth:`ReviewRound.assignments` (reviewers.yaml, else assignments.csv,
    else every pair); if that table is empty, from the reviewer's own ``assignments``,
    else every application. Applications the reviewer is in conflict with (利害関係) are always
    removed, and so are ids that are not applications of the round.

    Raises
    ------
    ReviewError
        Unknown reviewer.
    """
    try:
        reviewer = rnd.reviewer(reviewer_id)
    except KeyError:
        raise ReviewError(
            f"審査員ID「{reviewer_id}」は reviewers.yaml にありません。"
            f"次のいずれかを指定してください: {'、'.join(r.id for r in rnd.reviewers)}"
        ) from None
    codes = [str(c) for c in rnd.applications.index]
    wanted: set[str] | None = None
    table = rnd.assignments()
    if len(table):
        wanted = {str(a) for a in table.loc[table["reviewer"].astype(str) == reviewer_id, "application"]}
    elif reviewer.assignments is not None:
        wanted = set(reviewer.assignments)
    conflicts = set(reviewer.conflicts)
    return [c for c in codes if c not in conflicts and (wanted is None or c in wanted)]
