"""The 「申請者への所見」 box of one criterion on the reviewer's form (:mod:`scoring.ui.review_form`).

What the reviewer writes *for the applicant* (it may be quoted in the 講評 after the 事務局's
review), as opposed to the comment above it (a note for the 事務局 and the committee, never
sent). Optional at every level; saved like the comment (debounced, through the session's
:meth:`~scoring.review.session.ReviewSession.set_to_applicant`), locked after 提出.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from ..core.errors import ReviewError
from ..core.text import COMMENT_MAX
from .widgets import call_later, count_html, esc

if TYPE_CHECKING:
    from ..config.rubric import Criterion

__all__ = ["COMMENT_LABEL", "NOTE_HELP", "NOTE_LABEL", "ApplicantNoteBox"]

#: The visible label of the box (also, with the criterion, its accessible name).
NOTE_LABEL = "申請者への所見（任意・講評で申請者に伝わります）"
#: What the box is for, under its label.
NOTE_HELP = (
    "応募団体あての講評に、事務局の確認を経て引用されることがあります。"
    "他の団体名・審査員名は書かないでください。事務局・委員会向けのメモは上の「コメント」に書いてください。"
)
#: The visible label over the comment box, which says that it is not sent.
COMMENT_LABEL = "コメント（事務局・選定委員会向けのメモ。申請者には伝わりません）"


class ApplicantNoteBox:
    """Label, help, text box and character count of one criterion's 申請者への所見.

    Parameters
    ----------
    criterion : Criterion
    on_save : callable(criterion_id, text)
        Called ``delay`` seconds after the last key, at once when ``delay`` is 0, and on
        :meth:`flush`.
    delay : float
        Debounce in seconds.
    on_typing : callable(criterion_id), optional
        Called when a change waits to be saved (for 「未保存」).
    """

    def __init__(
        self,
        criterion: Criterion,
        on_save: Callable[[str, str], None],
        *,
        delay: float = 0.8,
        on_typing: Callable[[str], None] | None = None,
    ) -> None:
        self.criterion = criterion
        self._on_save = on_save
        self._on_typing = on_typing
        self.delay = float(delay)
        self._syncing = False
        self.pending = False
        self._timer: Any = None
        self._lock = threading.RLock()
        cid = criterion.id
        self.label = w.HTML(
            f"<div class='shinsa-to-applicant-label'><b>{esc(NOTE_LABEL)}</b></div>"
            f"<div class='shinsa-muted'>{esc(NOTE_HELP)}</div>"
        )
        self.box = w.Textarea(
            placeholder="申請者への所見（任意）",
            continuous_update=True,
            rows=2,
            # The tooltip is the box's accessible name (the Voilà template copies it to aria-label).
            tooltip=f"{criterion.label_ja} の{NOTE_LABEL}",
            layout=w.Layout(width="98%"),
        )
        self.box.add_class(f"shinsa-to-applicant-{cid}")
        self.box.observe(self._typed, names="value")
        self.count = w.HTML(self._count_html())
        self.count.add_class(f"shinsa-to-applicant-count-{cid}")
        self.widget = w.VBox([self.label, self.box, self.count])
        self.widget.add_class("shinsa-to-applicant")

    def _typed(self, _change: Mapping[str, Any]) -> None:
        if self._syncing:
            return
        self.count.value = self._count_html()
        with self._lock:
            self.pending = True
            self.cancel()
            if self.delay <= 0:
                self._flush_quietly()
                return
            if self._on_typing is not None:
                self._on_typing(self.criterion.id)
            self._timer = call_later(self.delay, self._flush_quietly)

    def _count_html(self) -> str:
        return count_html(str(self.box.value))

    def _flush_quietly(self) -> None:
        try:
            self.flush()
        except ReviewError:
            pass

    def cancel(self) -> None:
        """Stop the debounce timer (the pending text stays pending)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def discard(self) -> None:
        """Forget a pending change (another application is shown)."""
        self.pending = False
        self.cancel()

    def flush(self) -> None:
        """Save the typed text now if a save is pending.

        Raises
        ------
        ReviewError
            The text is longer than :data:`~scoring.core.text.COMMENT_MAX` characters (it stays
            on screen and pending).
        """
        with self._lock:
            self.cancel()
            if not self.pending:
                return
            n = len(str(self.box.value))
            if n > COMMENT_MAX:
                raise ReviewError(
                    f"「{self.criterion.label_ja}」の申請者への所見が {n:,} 文字あり、{COMMENT_MAX:,} 文字を"
                    "超えているため保存できません。短くしてください（入力した文章は画面に残っています）。"
                )
            self.pending = False
            self._on_save(self.criterion.id, str(self.box.value))

    def show(self, text: str, *, readonly: bool) -> None:
        """Show the saved text (a change being typed is left as typed); locked when ``readonly``."""
        if not self.pending and self.box.value.strip() != text:
            self._syncing = True
            try:
                self.box.value = text
            finally:
                self._syncing = False
        self.count.value = self._count_html()
        self.box.disabled = readonly
