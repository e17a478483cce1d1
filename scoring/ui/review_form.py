"""The scoring form of the reviewer's screen (:mod:`scoring.ui.review_view`): one
:class:`CriterionControl` per criterion (score buttons, anchors, debounced comment box and
申請者への所見 box, :mod:`scoring.ui.review_note_box`) and the application as the reviewer
reads it (:func:`application_html`).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, cast

import ipywidgets as w
import pandas as pd

from ..core.errors import ReviewError
from ..core.schema import SECTIONS
from ..core.text import COMMENT_MAX
from ..review.session import ReviewSession, format_level
from .review_note_box import COMMENT_LABEL, ApplicantNoteBox
from .widgets import call_later, count_html, esc

if TYPE_CHECKING:
    from ..config.rubric import Criterion

__all__ = ["CriterionControl", "application_html", "level_token", "text_html"]


def level_token(level: float) -> str:
    """A level as it appears in CSS class names: ``3``, ``2_5``."""
    return format_level(level).replace(".", "_").replace("-", "m")


def text_html(text: object) -> str:
    """Plain text as HTML: escaped, its line breaks kept."""
    return "<br>".join(esc(line) for line in str(text).splitlines())


class CriterionControl:
    """Score buttons, anchor text, comment box and 申請者への所見 box for one criterion.

    Parameters
    ----------
    criterion : Criterion
    on_score : callable(criterion_id, level or None)
    on_comment : callable(criterion_id, text)
        Called to save the comment: ``comment_delay`` seconds after the last key (the
        box sends every key), at once when the delay is 0, and on :meth:`flush`.
    comment_delay : float
        Debounce of the comment box in seconds (default 0.8; 0 saves every change at once).
    on_typing : callable(criterion_id), optional
        Called when a change of the comment is waiting to be saved (for 「未保存」).
    on_to_applicant : callable(criterion_id, text), optional
        Called to save the 申請者への所見 (debounced like the comment); without it the form
        has no such box.
    """

    def __init__(
        self,
        criterion: Criterion,
        on_score: Callable[[str, float | None], None],
        on_comment: Callable[[str, str], None],
        *,
        comment_delay: float = 0.8,
        on_typing: Callable[[str], None] | None = None,
        on_to_applicant: Callable[[str, str], None] | None = None,
    ) -> None:
        self.criterion = criterion
        self._on_score = on_score
        self._on_comment = on_comment
        self._on_typing = on_typing
        self.comment_delay = float(comment_delay)
        self._syncing = False
        self._pending = False
        self._timer: Any = None
        self._lock = threading.RLock()
        c = criterion
        needs = "・".join(f"{format_level(v)}点" for v in c.comment_required_at)
        self.title = w.HTML(
            f"<b>{esc(c.label_ja)}</b> <span class='shinsa-muted'>（配点 {format_level(c.weight)} 点）</span>"
        )
        self.guidance = w.HTML(f"<div class='shinsa-muted'>{esc(c.guidance_ja)}</div>")
        self.buttons: dict[float, w.Button] = {}
        for level in c.levels:
            # The tooltip is also the button's accessible name (criterion, level, anchor): the
            # Voilà template copies it to aria-label.
            b = w.Button(
                description=format_level(level),
                tooltip=f"{c.label_ja} {format_level(level)}点: {c.anchor(level).ja}",
                layout=w.Layout(width="38px", flex="0 0 auto"),
            )
            b.add_class("shinsa-level-btn")
            b.add_class(f"shinsa-score-{c.id}-{level_token(level)}")
            b.on_click(functools.partial(self._clicked, float(level)))
            self.buttons[float(level)] = b
        self.clear = w.Button(
            description="取消",
            tooltip=f"{c.label_ja} の点数を取り消す",
            layout=w.Layout(width="52px", flex="0 0 auto"),
        )
        self.clear.add_class(f"shinsa-clear-{c.id}")
        self.clear.on_click(functools.partial(self._clicked, None))
        self.chosen = w.HTML(layout=w.Layout(flex="1 1 auto", margin="0 0 0 8px"))
        self.chosen.add_class(f"shinsa-chosen-{c.id}")
        self.anchor = w.HTML(layout=w.Layout(width="100%"))
        self.anchor.add_class(f"shinsa-anchor-{c.id}")
        self.anchor.add_class("shinsa-anchors")
        self._comment_box(c, needs)
        #: The 申請者への所見 box (None when the form has none).
        self.to_applicant = (
            ApplicantNoteBox(c, on_to_applicant, delay=comment_delay, on_typing=on_typing)
            if on_to_applicant is not None
            else None
        )
        row = w.HBox(
            [*self.buttons.values(), self.clear, self.chosen],
            layout=w.Layout(align_items="center", flex_flow="row nowrap"),
        )
        self.widget = w.VBox(
            [self.title, self.guidance, row, self.anchor, self.comment_label, self.comment, self.count]
            + [self.note]
            + ([self.to_applicant.widget] if self.to_applicant is not None else []),
            layout=w.Layout(margin="4px 0 10px 0"),
        )
        self.widget.add_class(f"shinsa-criterion-{c.id}")

    def _comment_box(self, c: Criterion, needs: str) -> None:
        """The comment box, its label (not sent to the applicant), its count and the note under it."""
        self.comment = w.Textarea(
            placeholder=f"コメント（{needs}のときは必須）" if needs else "コメント（任意）",
            continuous_update=True,
            rows=3,
            tooltip=f"{c.label_ja} のコメント",
            layout=w.Layout(width="98%"),
        )
        self.comment.add_class(f"shinsa-comment-{c.id}")
        self.comment.observe(self._commented, names="value")
        #: The comment's length and its limit (red beyond it: such a comment is not saved).
        self.count = w.HTML(self._count_html())
        self.count.add_class(f"shinsa-count-{c.id}")
        self.note = w.HTML()
        self.note.add_class(f"shinsa-note-{c.id}")
        self.comment_label = w.HTML(f"<div class='shinsa-comment-label'>{esc(COMMENT_LABEL)}</div>")

    def _clicked(self, level: float | None, _button: w.Button) -> None:
        self._on_score(self.criterion.id, level)

    def _commented(self, change: Mapping[str, Any]) -> None:
        if self._syncing:
            return
        self.count.value = self._count_html()
        with self._lock:
            self._pending = True
            self._cancel_timer()
            if self.comment_delay <= 0:
                self._flush_quietly()
                return
            if self._on_typing is not None:
                self._on_typing(self.criterion.id)
            self._timer = call_later(self.comment_delay, self._flush_quietly)

    def _count_html(self) -> str:
        return count_html(str(self.comment.value))

    def _flush_quietly(self) -> None:
        """:meth:`flush` after typing: a comment over the limit stays on screen, unsaved, red."""
        try:
            self.flush()
        except ReviewError:
            pass

    @property
    def pending(self) -> bool:
        """True while a typed comment or 所見 waits for its debounced save."""
        return self._pending or (self.to_applicant is not None and self.to_applicant.pending)

    def take_pending(self) -> list[tuple[str, str]]:
        """The typed changes waiting for their save, as (``"comment"`` or ``"to_applicant"``,
        text), now no longer pending (the kernel exits: the caller saves them at once)."""
        out = [("comment", str(self.comment.value))] if self._pending else []
        if self.to_applicant is not None and self.to_applicant.pending:
            out.append(("to_applicant", str(self.to_applicant.box.value)))
        self.discard_pending()
        return out

    def discard_pending(self) -> None:
        """Forget typed changes waiting for their save (another application is shown)."""
        self._pending = False
        self._cancel_timer()
        if self.to_applicant is not None:
            self.to_applicant.discard()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def flush(self) -> None:
        """Save the typed comment now if a save is pending (debounce end, 採点, 移動, 提出).

        Raises
        ------
        ReviewError
            The comment is longer than :data:`~scoring.core.text.COMMENT_MAX` characters (it
            stays on screen and pending; the panel shows the message and does not move on).
        """
        if self.to_applicant is not None:
            self.to_applicant.flush()
        with self._lock:
            self._cancel_timer()
            if not self._pending:
                return
            n = len(str(self.comment.value))
            if n > COMMENT_MAX:  # kept on screen (pending), never cut: the reviewer shortens it
                raise ReviewError(
                    f"「{self.criterion.label_ja}」のコメントが {n:,} 文字あり、{COMMENT_MAX:,} 文字を"
                    "超えているため保存できません。短くしてください（入力した文章は画面に残っています）。"
                )
            self._pending = False
            self._on_comment(self.criterion.id, str(self.comment.value))

    def show(
        self,
        score: float | None,
        comment: str,
        *,
        readonly: bool,
        comment_missing: bool,
        note: str = "",
        to_applicant: str = "",
    ) -> None:
        """Show the saved state of this criterion (a comment or 所見 being typed is left as typed)."""
        if self.to_applicant is not None:
            self.to_applicant.show(to_applicant, readonly=readonly)
        for level, b in self.buttons.items():
            b.button_style = "primary" if score is not None and abs(level - score) < 1e-9 else ""
            b.disabled = readonly
        self.clear.disabled = readonly or score is None
        if score is None:
            self.chosen.value = "<span class='shinsa-muted'>未採点</span>"
        else:
            self.chosen.value = f"<span><b>{esc(format_level(score))}点</b>を選択</span>"
        self.anchor.value = self._anchors_html(score)
        # Leave the box alone while a change waits for its save, and when it holds the saved
        # text up to surrounding blanks (a save strips them; the reviewer may be typing on).
        if not self._pending and self.comment.value.strip() != comment:
            self._syncing = True
            try:
                self.comment.value = comment
            finally:
                self._syncing = False
        self.count.value = self._count_html()
        self.comment.disabled = readonly
        if comment_missing:
            self.note.value = "<span style='color:#b00020'>※ この点数には理由（コメント）が必要です。</span>"
        else:
            self.note.value = f"<span class='shinsa-muted'>{esc(note)}</span>" if note else ""

    def _anchors_html(self, score: float | None) -> str:
        """Every level's anchor in one table; the chosen row is highlighted."""
        rows = []
        for level in self.criterion.levels:
            chosen = score is not None and abs(float(level) - score) < 1e-9
            cls = f"shinsa-anchor-row shinsa-anchor-level-{level_token(level)}"
            cls += " shinsa-anchor-chosen" if chosen else ""
            mark = "▶ " if chosen else ""
            rows.append(
                f"<tr class='{cls}'><td class='shinsa-anchor-level'>{mark}{esc(format_level(level))}点</td>"
                f"<td>{esc(self.criterion.anchor(level).ja)}</td></tr>"
            )
        return f"<table class='shinsa-anchors'>{''.join(rows)}</table>"


def application_html(session: ReviewSession, app: str) -> str:
    """The application ``app`` as the reviewer reads it (the left column of the panel).

    Its summary, the reference indicators and the whole 応募書 by section.
    """
    s = session
    parts = ["<div class='shinsa-h'>応募書の概要</div><table class='shinsa-table'>"]
    for row in s.summary(app).itertuples():
        parts.append(f"<tr><th>{esc(row.label)}</th><td>{esc(row.value)}</td></tr>")
    parts.append("</table>")
    ind = s.indicators(app)
    if len(ind):
        parts.append(
            "<div class='shinsa-h'>参考指標（点数には直接使いません）</div><table class='shinsa-table'>"
            "<tr><th>評価項目</th><th>指標</th><th>値</th><th>出典</th></tr>"
        )
        for r in ind.itertuples():
            level = cast(float, r.value)
            value = "—" if pd.isna(level) else f"{format_level(level)}{r.unit}"
            parts.append(
                f"<tr><td>{esc(r.criterion_label)}</td><td>{esc(r.label)}</td>"
                f"<td style='text-align:right'>{esc(value)}</td><td>{esc(r.source)}</td></tr>"
            )
        parts.append("</table>")
    form = s.form(app)
    parts.append("<div class='shinsa-form'>")
    for section in SECTIONS:
        rows = form[form["section"] == section]
        if not len(rows):
            continue
        parts.append(
            f"<div class='shinsa-h shinsa-form-section'>応募書 {esc(section)}</div>"
            "<table class='shinsa-table shinsa-form'>"
        )
        for r in rows.itertuples():
            text = str(r.text)
            value = "<span class='shinsa-empty'>—（記載なし）</span>" if text == "—" else text_html(text)
            if r.long:
                parts.append(
                    f"<tr class='shinsa-field-{esc(r.field)}'><td colspan='2' class='shinsa-long'>"
                    f"<b>{esc(r.label)}</b><br>{value}</td></tr>"
                )
            else:
                parts.append(
                    f"<tr class='shinsa-field-{esc(r.field)}'><th>{esc(r.label)}</th><td>{value}</td></tr>"
                )
        parts.append("</table>")
    parts.append("</div>")
    return "".join(parts)
