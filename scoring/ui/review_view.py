"""The reviewer's scoring screen (審査員用 採点画面): thin ipywidgets views.

The views own their widgets and forward every click to the plain model
(:class:`scoring.review.session.ReviewSession`); they hold no state of their own beyond what is
on screen. Every callback catches errors and shows a readable Japanese message in the
view, because JupyterLab swallows exceptions raised in widget callbacks.

Interactive widgets carry stable CSS classes (``add_class``) as hooks for browser tests
(independent of the JupyterLab language):

==============================  =====================================================
``shinsa-reviewer-select``      reviewer drop-down (disabled under JupyterHub)
``shinsa-progress``             progress bar; ``shinsa-progress-text`` its text
``shinsa-prev`` / ``shinsa-next``  前へ / 次へ buttons; ``shinsa-jump`` the jump list
``shinsa-current``              current application heading (``data-application``)
``shinsa-score-<crit>-<level>``  one button per criterion and level (``.`` → ``_``)
``shinsa-clear-<crit>``         clears a criterion's score
``shinsa-anchor-<crit>``        table of every level's anchor (``shinsa-anchors``); the chosen
                                row has ``shinsa-anchor-chosen``, each ``shinsa-anchor-level-<level>``
``shinsa-comment-<crit>``       comment box (saved while typing, debounced, see ``comment_delay``)
``shinsa-statusbar``            sticky status bar at the top of the form: ``shinsa-saved``,
                                ``shinsa-status-count`` (n / N 項目), ``shinsa-status-missing``
                                with one ``shinsa-goto-<crit>`` link per missing item, ``shinsa-error``
``shinsa-saved``                「保存済み HH:MM:SS」 / 「未保存（入力中）」 / 「未保存（接続を再試行中…）」
                                (``shinsa-unsaved``) / 「エラー」
``shinsa-error``                the last error message (empty when none)
``shinsa-notice``               「別の画面で変更されました（HH:MM:SS）: 値を読み込み直しました」 (empty when none)
``shinsa-submit``               提出 button; ``shinsa-submit-message`` its result
``shinsa-form``                 the whole 応募書 by section (``shinsa-field-<key>`` per field)
``shinsa-chart``                own score distribution (PNG image)
==============================  =====================================================

Real use (issue 9)
    *Reload.* Voilà starts a new kernel on every reload: the app reopens the application the
    reviewer had open (:class:`scoring.review.state.ReviewState`, a file in the user's home,
    not the event log) with its saved scores and comments. A comment still waiting for its
    debounced save is saved when the kernel shuts down (Voilà shuts it down on reload).

    *Two tabs.* Every ``poll_interval`` seconds (3 s) the panel asks the store whether the
    open application changed elsewhere (:meth:`ReviewSession.check_changes`, one small
    query); if so the values are reloaded into the widgets and 「別の画面で変更されました
    （時刻）: 値を読み込み直しました」 is shown. A save always wins (last write wins); if it
    overwrote a value changed elsewhere, the notice says so.

    *Store unreachable.* A save that fails with
    :class:`~scoring.core.errors.StoreUnavailableError` keeps the value in the widgets,
    shows 「未保存（接続を再試行中…）」 in red and retries after 1, 2, 4 … 30 s until the
    store answers; then 「保存済み」. Nothing entered is dropped: the waiting values are also
    written to the reviewer's state file, and a reload or a new kernel takes them back.

    The timers run on the kernel's asyncio loop (ipykernel, in JupyterLab and Voilà alike);
    without a running loop (plain Python, unit tests) there is no polling and no automatic
    retry: call :meth:`ReviewPanel.check_now` and :meth:`ReviewPanel.retry_now`.

Typical use in a notebook::

    app = ReviewApp.open(load_round(round_path), reviewer_id=reviewer_id)
    app
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import itertools
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import ipywidgets as w
import pandas as pd

from ..core.clock import JST
from ..core.errors import ReviewError, StoreError, StoreUnavailableError
from ..core.schema import SECTIONS
from ..reporting.charts import distribution_png
from ..review.session import (
    ExternalChange,
    ReviewerIdentity,
    ReviewSession,
    format_level,
    identify_reviewer,
)
from ..review.state import ReviewState
from ..store.scores import ScoreStore
from .widgets import error_message, esc, guarded

if TYPE_CHECKING:
    from ..config.rubric import Criterion
    from ..round.loader import ReviewRound

__all__ = ["CriterionControl", "ReviewApp", "ReviewPanel", "error_message", "level_token"]


_CSS = """
<style>
.shinsa-app table.shinsa-table {border-collapse: collapse; font-size: 12px; margin: 2px 0 8px 0;}
.shinsa-app table.shinsa-table th {text-align: left; font-weight: normal; color: #555;
  padding: 2px 10px 2px 0; white-space: nowrap; vertical-align: top;}
.shinsa-app table.shinsa-table td {padding: 2px 6px 2px 0; vertical-align: top;}
.shinsa-app .shinsa-h {font-weight: bold; font-size: 14px; margin: 6px 0 2px 0;
  border-bottom: 1px solid #ccc;}
.shinsa-app details {margin: 2px 0;}
.shinsa-app summary {cursor: pointer; font-weight: bold; font-size: 13px;}
.shinsa-app .shinsa-text {font-size: 12px; line-height: 1.6; margin: 2px 0 6px 0;}
.shinsa-app .shinsa-text b {color: #333;}
.shinsa-app .shinsa-muted {color: #666; font-size: 11px; line-height: 1.5;}
.shinsa-app .shinsa-level-btn {min-width: 34px; width: 34px; padding: 0;}
.shinsa-app table.shinsa-anchors {border-collapse: collapse; font-size: 12px; line-height: 1.4;
  margin: 2px 0; width: 100%;}
.shinsa-app table.shinsa-anchors td {padding: 1px 6px; vertical-align: top; border-bottom: 1px solid #eee;}
.shinsa-app table.shinsa-anchors td.shinsa-anchor-level {width: 2.6em; white-space: nowrap;
  text-align: right; color: #555;}
.shinsa-app table.shinsa-anchors tr.shinsa-anchor-chosen td {background: #e3efff; color: #000;
  font-weight: bold;}
.shinsa-app table.shinsa-anchors tr.shinsa-anchor-chosen td.shinsa-anchor-level {color: #0b57d0;}
.shinsa-app table.shinsa-form {width: 100%;}
.shinsa-app table.shinsa-form th {white-space: normal; width: 10.5em; color: #444;}
.shinsa-app table.shinsa-form td {line-height: 1.6;}
.shinsa-app table.shinsa-form td.shinsa-long {padding: 2px 0 6px 0;}
.shinsa-app table.shinsa-form td.shinsa-long b {color: #444; font-weight: normal;}
.shinsa-app .shinsa-empty {color: #999;}
.shinsa-app .shinsa-application .widget-html-content, .shinsa-app .shinsa-anchors .widget-html-content,
.shinsa-app .shinsa-application.widget-html > .widget-html-content,
.shinsa-app .shinsa-anchors.widget-html > .widget-html-content,
.shinsa-app .shinsa-submit-message .widget-html-content {line-height: 1.6;}
/* The status bar stays at the top of the notebook (or Voila page) while the reviewer scrolls. */
.shinsa-app .shinsa-statusbar {position: sticky; top: 0; z-index: 20; background: #fff;
  border: 1px solid #c8d3e0; border-radius: 4px; padding: 4px 8px; margin: 4px 0;
  box-shadow: 0 2px 4px rgba(0,0,0,.08);}
.shinsa-app .shinsa-statusbar .widget-html, .shinsa-app .shinsa-statusbar .widget-html-content {
  line-height: 1.5; height: auto;}
.shinsa-app .shinsa-unsaved {color: #fff; background: #b00020; padding: 2px 8px; border-radius: 3px;}
.shinsa-app a.shinsa-goto {color: #0b57d0; text-decoration: underline; cursor: pointer; margin-right: 8px;
  white-space: nowrap;}
.shinsa-app [class*="shinsa-criterion-"] {scroll-margin-top: 110px;}
/* The application and the criteria flow down the page side by side. The shorter column sits
   at the bottom of the row and is sticky at the bottom: it scrolls with the page until its
   end is on screen, then stays there while the other column goes on (never a blank column). */
.shinsa-app .shinsa-left, .shinsa-app .shinsa-scoring {position: sticky; bottom: 0;}
/* position: sticky needs every box between the bar and the page's scroller not to clip. */
.shinsa-app, .shinsa-app .widget-box, .shinsa-app .widget-html,
.jp-OutputArea-output:has(.shinsa-app), .jp-OutputArea-child:has(.shinsa-app),
.jp-OutputArea:has(.shinsa-app), .jp-Cell-outputArea:has(.shinsa-app),
.jp-Cell-outputWrapper:has(.shinsa-app), .jp-Cell:has(.shinsa-app) {overflow: visible !important;}
</style>
"""


def level_token(level: float) -> str:
    """A level as it appears in CSS class names: ``3``, ``2_5``."""
    return format_level(level).replace(".", "_").replace("-", "m")


def _text_html(text: object) -> str:
    return "<br>".join(esc(line) for line in str(text).splitlines())


def _call_later(delay: float, callback: Callable[[], None], *, thread: bool = True) -> Any:
    """Run ``callback`` after ``delay`` seconds; returns a handle with ``cancel()``.

    In a kernel (or Voila) the widget callbacks run on the kernel's asyncio loop: the
    callback is scheduled on that loop, so it runs in the same thread as every other
    callback. Without a running loop (plain Python) a daemon :class:`threading.Timer`,
    or nothing (None) when ``thread`` is False.
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        if not thread:
            return None
        timer = threading.Timer(delay, callback)
        timer.daemon = True
        timer.start()
        return timer
    return loop.call_later(delay, callback)


#: Seconds between two retries of a save that could not reach the store (then 30 s each).
RETRY_DELAYS: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0)
#: Seconds without a key or click after which the check for changes elsewhere pauses.
POLL_IDLE_LIMIT = 3600.0
#: Numbers every redraw of 「保存済み」 in this kernel, so that the page sees each answer.
_ACKS = itertools.count(1)
#: Panels alive in this kernel: their waiting comments are saved when the kernel exits.
_LIVE_PANELS: weakref.WeakSet[ReviewPanel] = weakref.WeakSet()


@atexit.register
def _save_on_exit() -> None:
    """Kernel shutdown (Voilà shuts the kernel down on reload): save what still waits."""
    for panel in list(_LIVE_PANELS):
        panel.save_pending_now()


def _goto_link(cid: str, text: str) -> str:
    """A link that scrolls the form to criterion ``cid`` (works in JupyterLab and Voila)."""
    js = (f"var e=document.querySelector('.shinsa-criterion-{cid}');"
          "if(e){e.scrollIntoView({behavior:'smooth',block:'start'});}return false;")
    return f"<a class='shinsa-goto shinsa-goto-{esc(cid)}' href='#' onclick=\"{js}\">{esc(text)}</a>"


class CriterionControl:
    """Score buttons, anchor text and comment box for one criterion.

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
    """

    def __init__(
        self,
        criterion: Criterion,
        on_score: Callable[[str, float | None], None],
        on_comment: Callable[[str, str], None],
        *,
        comment_delay: float = 0.8,
        on_typing: Callable[[str], None] | None = None,
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
            b = w.Button(description=format_level(level), tooltip=f"{format_level(level)}点",
                         layout=w.Layout(width="38px", flex="0 0 auto"))
            b.add_class("shinsa-level-btn")
            b.add_class(f"shinsa-score-{c.id}-{level_token(level)}")
            b.on_click(functools.partial(self._clicked, float(level)))
            self.buttons[float(level)] = b
        self.clear = w.Button(description="取消", tooltip="点数を取り消す",
                              layout=w.Layout(width="52px", flex="0 0 auto"))
        self.clear.add_class(f"shinsa-clear-{c.id}")
        self.clear.on_click(functools.partial(self._clicked, None))
        self.chosen = w.HTML(layout=w.Layout(flex="1 1 auto", margin="0 0 0 8px"))
        self.chosen.add_class(f"shinsa-chosen-{c.id}")
        self.anchor = w.HTML(layout=w.Layout(width="100%"))
        self.anchor.add_class(f"shinsa-anchor-{c.id}")
        self.anchor.add_class("shinsa-anchors")
        self.comment = w.Textarea(
            placeholder=f"コメント（{needs}のときは必須）" if needs else "コメント（任意）",
            continuous_update=True,
            layout=w.Layout(width="98%", height="48px"),
        )
        self.comment.add_class(f"shinsa-comment-{c.id}")
        self.comment.observe(self._commented, names="value")
        self.note = w.HTML()
        self.note.add_class(f"shinsa-note-{c.id}")
        row = w.HBox([*self.buttons.values(), self.clear, self.chosen],
                     layout=w.Layout(align_items="center", flex_flow="row nowrap"))
        self.widget = w.VBox([self.title, self.guidance, row, self.anchor, self.comment, self.note],
                             layout=w.Layout(margin="4px 0 10px 0"))
        self.widget.add_class(f"shinsa-criterion-{c.id}")

    def _clicked(self, level: float | None, _button: w.Button) -> None:
        self._on_score(self.criterion.id, level)

    def _commented(self, change: Mapping[str, Any]) -> None:
        if self._syncing:
            return
        with self._lock:
            self._pending = True
            self._cancel_timer()
            if self.comment_delay <= 0:
                self.flush()
                return
            if self._on_typing is not None:
                self._on_typing(self.criterion.id)
            self._timer = _call_later(self.comment_delay, self.flush)

    @property
    def pending(self) -> bool:
        """True while a typed comment waits for its debounced save."""
        return self._pending

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def flush(self) -> None:
        """Save the typed comment now if a save is pending (debounce end, 採点, 移動, 提出)."""
        with self._lock:
            self._cancel_timer()
            if not self._pending:
                return
            self._pending = False
            self._on_comment(self.criterion.id, str(self.comment.value))

    def show(self, score: float | None, comment: str, *, readonly: bool, comment_missing: bool,
             note: str = "") -> None:
        """Show the saved state of this criterion (a comment being typed is left as typed)."""
        for level, b in self.buttons.items():
            b.button_style = "primary" if score is not None and abs(level - score) < 1e-9 else ""
            b.disabled = readonly
        self.clear.disabled = readonly or score is None
        if score is None:
            self.chosen.value = "<span class='shinsa-muted'>未採点</span>"
        else:
            self.chosen.value = f"<span style='font-size:12px'><b>{esc(format_level(score))}点</b>を選択</span>"
        self.anchor.value = self._anchors_html(score)
        # Leave the box alone while a change waits for its save, and when it holds the saved
        # text up to surrounding blanks (a save strips them; the reviewer may be typing on).
        if not self._pending and self.comment.value.strip() != comment:
            self._syncing = True
            try:
                self.comment.value = comment
            finally:
                self._syncing = False
        self.comment.disabled = readonly
        if comment_missing:
            self.note.value = ("<span style='color:#b00020;font-size:12px'>※ この点数には理由（コメント）が必要です。"
                               "</span>")
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
            rows.append(f"<tr class='{cls}'><td class='shinsa-anchor-level'>{mark}{esc(format_level(level))}点</td>"
                        f"<td>{esc(self.criterion.anchor(level).ja)}</td></tr>")
        return f"<table class='shinsa-anchors'>{''.join(rows)}</table>"


class ReviewPanel:
    """The scoring screen for one reviewer: progress, navigation, application, criteria, 提出.

    Parameters
    ----------
    session : ReviewSession
        The model; every action goes through it.
    comment_delay : float
        Seconds after the last key before a comment is saved (0: at once; tests).
    poll_interval : float
        Seconds between two checks for changes made elsewhere (another tab); 0: none.
    state : ReviewState, optional
        Where the application the reviewer opens is remembered (for a reload).
    """

    def __init__(self, session: ReviewSession, *, comment_delay: float = 0.8, poll_interval: float = 3.0,
                 state: ReviewState | None = None) -> None:
        self.session = session
        self.poll_interval = float(poll_interval)
        self.state = state
        self._syncing = False
        self._save_state = ""  # "", "saved", "pending", "error", "offline"
        self._chart_counts: pd.Series | None = None
        self._closed = False
        self._retries = 0
        self._retry_handle: asyncio.TimerHandle | None = None
        self._poll_handle: asyncio.TimerHandle | None = None
        self._active_at = time.monotonic()

        self.progress_text = w.HTML()
        self.progress_text.add_class("shinsa-progress-text")
        self.progress = w.FloatProgress(min=0.0, max=1.0, layout=w.Layout(width="260px"))
        self.progress.add_class("shinsa-progress")

        self.prev_button = w.Button(description="◀ 前へ", layout=w.Layout(width="80px"))
        self.prev_button.add_class("shinsa-prev")
        self.prev_button.on_click(self._prev)
        self.next_button = w.Button(description="次へ ▶", layout=w.Layout(width="80px"))
        self.next_button.add_class("shinsa-next")
        self.next_button.on_click(self._next)
        self.jump = w.Dropdown(description="応募書:", layout=w.Layout(width="300px"),
                               style={"description_width": "56px"})
        self.jump.add_class("shinsa-jump")
        self.jump.observe(self._jumped, names="value")
        self.saved = w.HTML()
        self.saved.add_class("shinsa-saved")
        self.error = w.HTML()
        self.error.add_class("shinsa-error")
        self.notice = w.HTML()
        self.notice.add_class("shinsa-notice")
        self.status_count = w.HTML()
        self.status_count.add_class("shinsa-status-count")
        self.status_missing = w.HTML(layout=w.Layout(flex="1 1 auto"))
        self.status_missing.add_class("shinsa-status-missing")
        self.statusbar = w.VBox([
            w.HBox([self.saved, self.status_count, self.status_missing],
                   layout=w.Layout(align_items="center", flex_flow="row nowrap")),
            self.error,
            self.notice,
        ])
        self.statusbar.add_class("shinsa-statusbar")

        self.current = w.HTML()
        self.current.add_class("shinsa-current")
        # No scroll box of its own: the application and the criteria flow down the page together.
        self.application = w.HTML(layout=w.Layout(padding="0 12px 0 0"))
        self.application.add_class("shinsa-application")

        self.controls: dict[str, CriterionControl] = {}
        scoring_children: list[w.Widget] = []
        for group in session.round.rubric.groups:
            scoring_children.append(w.HTML(f"<div class='shinsa-h'>{esc(group.label_ja)}</div>"))
            for c in group.criteria:
                control = CriterionControl(c, self._score, self._comment,
                                           comment_delay=comment_delay, on_typing=self._typing)
                self.controls[c.id] = control
                scoring_children.append(control.widget)

        self.submit_button = w.Button(description="提出", button_style="success", icon="check",
                                      layout=w.Layout(width="120px", flex="0 0 auto"))
        self.submit_button.add_class("shinsa-submit")
        self.submit_button.on_click(self._submit)
        self.submit_message = w.HTML(layout=w.Layout(flex="1 1 auto", margin="0 0 0 8px"))
        self.submit_message.add_class("shinsa-submit-message")
        scoring_children.append(w.HBox([self.submit_button, self.submit_message],
                                       layout=w.Layout(align_items="flex-start")))
        self.scoring = w.VBox(scoring_children, layout=w.Layout(flex="1 1 0", min_width="360px",
                                                                align_self="flex-end"))
        self.scoring.add_class("shinsa-scoring")

        self.chart = w.Image(format="png", layout=w.Layout(width="420px"))
        self.chart.add_class("shinsa-chart")

        nav = w.HBox([self.prev_button, self.jump, self.next_button],
                     layout=w.Layout(align_items="center", flex_flow="row wrap"))
        left = w.VBox([self.application], layout=w.Layout(flex="1 1 0", min_width="320px", align_self="flex-end"))
        left.add_class("shinsa-left")
        body = w.HBox([left, self.scoring], layout=w.Layout(flex_flow="row wrap", align_items="flex-start"))
        self.widget = w.VBox([
            w.HBox([self.progress_text, self.progress], layout=w.Layout(align_items="center")),
            nav,
            self.statusbar,
            self.current,
            body,
            w.HTML("<div class='shinsa-h'>自分の採点の傾向（自己チェック用。他の審査員の点数は表示しません）</div>"),
            self.chart,
        ])
        self.render()
        self._remember()
        _LIVE_PANELS.add(self)
        self._schedule_poll()
        if session.has_unsaved:  # kept by an earlier page or kernel: save them now
            self._save_state = "offline"
            self._render_saved()
            self._schedule_retry(0.0)

    # ------------------------------------------------------------------ display

    def show_error(self, message: str) -> None:
        """Show an error message in the status bar (always on screen)."""
        self.error.value = (f"<div style='color:#b00020;background:#fdecea;padding:4px 8px;border-radius:4px'>"
                            f"⚠ {esc(message)}</div>")
        self._render_saved()

    def clear_error(self) -> None:
        self.error.value = ""

    def _show_saved(self) -> None:
        if self.session.last_saved_at is not None:
            self._save_state = "saved"
        self._render_saved()

    def _render_saved(self) -> None:
        """保存済み / 未保存 / エラー in the status bar.

        Every call changes the widget's value (a hidden counter), so the page sees that the
        kernel answered the last key or click; the Voilà template ``shinsa`` replaces the
        text by 「未保存（サーバーから応答がありません…）」 when no answer comes (connection lost).
        """
        self.saved.value = (self._saved_html()
                            + f"<span class='shinsa-ack' data-ack='{next(_ACKS)}' hidden></span>")

    def _saved_html(self) -> str:
        at = self.session.last_saved_at
        pending = any(c.pending for c in self.controls.values())
        style = "white-space:nowrap;margin-right:14px;font-weight:bold"
        if self._save_state == "offline" or self.session.has_unsaved:
            return (f"<span class='shinsa-unsaved' style='{style}'>⚠ 未保存（接続を再試行中…）"
                    f"<span style='font-weight:normal'>{len(self.session.unsaved)} 件</span></span>")
        if self._save_state == "error":
            return f"<span style='{style};color:#b00020'>⚠ エラー（保存できませんでした）</span>"
        if pending:
            return f"<span style='{style};color:#a15c00'>✎ 未保存（入力中）</span>"
        if self._save_state == "saved" and at is not None:
            return f"<span style='{style};color:#1b7f3b'>✔ 保存済み {at.astimezone(JST):%H:%M:%S}</span>"
        return f"<span class='shinsa-muted' style='{style}'>自動保存</span>"

    def _typing(self, _cid: str) -> None:
        self._touch()
        self._render_saved()

    def flush_comments(self) -> None:
        """Save every comment still waiting for its debounced save."""
        for control in self.controls.values():
            control.flush()

    def _missing_items(self) -> list[tuple[str, str]]:
        """What the current application still needs: (criterion id, short text), in rubric order."""
        s = self.session
        out: list[tuple[str, str]] = []
        for cid, control in self.controls.items():
            e = s.entry(cid)
            label = control.criterion.label_ja
            if e.score is None:
                out.append((cid, f"{label}（点数）"))
            elif s.comment_missing(cid):
                out.append((cid, f"{label}（コメント）"))
        return out

    def _render_status(self) -> None:
        """The status bar: n / N criteria scored, and a link to each missing item."""
        s = self.session
        app = s.current
        if app is None:
            self.status_count.value = ""
            self.status_missing.value = ""
            return
        n_all = len(self.controls)
        n_done = sum(1 for cid in self.controls if s.entry(cid).score is not None)
        self.status_count.value = (f"<span style='white-space:nowrap;margin-right:14px'>{esc(app)} "
                                   f"{esc(s.overview().at[app, 'prefecture_name'])}　採点 <b>{n_done} / {n_all}</b> 項目"
                                   "</span>")
        if s.is_submitted():
            self.status_missing.value = "<span class='shinsa-muted'>提出済み</span>"
            return
        todo = self._missing_items()
        if not todo:
            self.status_missing.value = "<span style='color:#1b7f3b'>すべて入力済み。下の「提出」で提出できます。</span>"
            return
        shown = todo[:4]
        # The rest behind one link to the first of them (the full list is beside 提出).
        more = _goto_link(todo[len(shown)][0], f"ほか {len(todo) - len(shown)} 件") if len(todo) > len(shown) else ""
        self.status_missing.value = (
            f"<span style='color:#a15c00'>未入力 {len(todo)} 件:</span> "
            + "".join(_goto_link(cid, text) for cid, text in shown) + more
        )

    def render(self) -> None:
        """Redraw everything from the model (after navigation)."""
        s = self.session
        app = s.current
        if app is None:
            self._render_state()
            self.current.value = "<div class='shinsa-h'>担当の応募書はありません。割り当てを事務局に確認してください。</div>"
            self.application.value = ""
            self.scoring.layout.display = "none"
            self.prev_button.disabled = self.next_button.disabled = True
            self._render_chart()
            return
        self.scoring.layout.display = None
        self.notice.value = ""
        for control in self.controls.values():  # a comment typed on another application is not carried over
            control._pending = False
            control._cancel_timer()
        self.prev_button.disabled = not s.has_prev
        self.next_button.disabled = not s.has_next
        self.application.value = self._application_html(app)
        for cid in self.controls:
            self._render_criterion(cid)
        self._render_state()

    def _render_state(self) -> None:
        """Redraw what a save can change: progress, jump list, status, 提出, chart."""
        s = self.session
        prog = s.progress()
        self.progress_text.value = f"<b>{esc(s.reviewer_label)}</b>　進捗 {esc(prog.text())}　"
        self.progress.value = prog.fraction
        self._render_jump()
        app = s.current
        if app is None:
            return
        self.current.value = self._current_html(app)
        readonly = s.is_submitted()
        self.submit_button.disabled = readonly
        self.submit_button.description = "提出済" if readonly else "提出"
        if readonly:
            self.submit_message.value = ("<span class='shinsa-muted'>提出済みです。変更が必要なときは"
                                         "事務局に再開を依頼してください。</span>")
        else:
            todo = self._missing_items()
            self.submit_message.value = (
                f"<span style='color:#a15c00'>提出の前に入力が必要です（{len(todo)} 件）:</span> "
                + "".join(_goto_link(cid, text) for cid, text in todo)
                if todo else "<span class='shinsa-muted'>すべて入力済みです。提出できます。</span>"
            )
        self._render_status()
        self._render_saved()
        self._render_chart()

    def _current_html(self, app: str) -> str:
        s = self.session
        name = s.overview().at[app, "prefecture_name"]
        return (
            f"<div class='shinsa-h' data-application='{esc(app)}'>{s.position + 1} / {len(s.applications)}　"
            f"<span class='shinsa-current-code'>{esc(app)}</span> {esc(name)}　"
            f"<span style='font-weight:normal'>［{esc(s.status())}］</span></div>"
        )

    def _render_criterion(self, cid: str) -> None:
        s = self.session
        e = s.entry(cid)
        self.controls[cid].show(e.score, e.comment, readonly=s.is_submitted(),
                                comment_missing=s.comment_missing(cid))

    def _render_jump(self) -> None:
        s = self.session
        ov = s.overview()
        options = [(f"{a} {row.prefecture_name}（{row.status}）", a) for a, row in ov.iterrows()]
        self._syncing = True
        try:
            if list(self.jump.options) != options:
                self.jump.options = options
            self.jump.value = s.current
        finally:
            self._syncing = False

    def _render_chart(self) -> None:
        counts = self.session.distribution()
        if self._chart_counts is not None and counts.equals(self._chart_counts):
            return
        self._chart_counts = counts
        self.chart.value = distribution_png(counts)

    def _application_html(self, app: str) -> str:
        s = self.session
        parts = ["<div class='shinsa-h'>応募書の概要</div><table class='shinsa-table'>"]
        for row in s.summary(app).itertuples():
            parts.append(f"<tr><th>{esc(row.label)}</th><td>{esc(row.value)}</td></tr>")
        parts.append("</table>")
        ind = s.indicators(app)
        if len(ind):
            parts.append("<div class='shinsa-h'>参考指標（点数には直接使いません）</div><table class='shinsa-table'>"
                         "<tr><th>評価項目</th><th>指標</th><th>値</th><th>出典</th></tr>")
            for r in ind.itertuples():
                level = cast(float, r.value)
                value = "—" if pd.isna(level) else f"{format_level(level)}{r.unit}"
                parts.append(f"<tr><td>{esc(r.criterion_label)}</td><td>{esc(r.label)}</td>"
                             f"<td style='text-align:right'>{esc(value)}</td><td>{esc(r.source)}</td></tr>")
            parts.append("</table>")
        form = s.form(app)
        parts.append("<div class='shinsa-form'>")
        for section in SECTIONS:
            rows = form[form["section"] == section]
            if not len(rows):
                continue
            parts.append(f"<div class='shinsa-h shinsa-form-section'>応募書 {esc(section)}</div>"
                         "<table class='shinsa-table shinsa-form'>")
            for r in rows.itertuples():
                text = str(r.text)
                value = "<span class='shinsa-empty'>—（記載なし）</span>" if text == "—" else _text_html(text)
                if r.long:
                    parts.append(f"<tr class='shinsa-field-{esc(r.field)}'><td colspan='2' class='shinsa-long'>"
                                 f"<b>{esc(r.label)}</b><br>{value}</td></tr>")
                else:
                    parts.append(f"<tr class='shinsa-field-{esc(r.field)}'><th>{esc(r.label)}</th>"
                                 f"<td>{value}</td></tr>")
            parts.append("</table>")
        parts.append("</div>")
        return "".join(parts)

    # ------------------------------------------------------------------ callbacks

    @guarded
    def _score(self, cid: str, level: float | None) -> None:
        self.flush_comments()
        self._saving(cid, lambda: self.session.set_score(cid, level))

    @guarded
    def _comment(self, cid: str, text: str) -> None:
        self._saving(cid, lambda: self.session.set_comment(cid, text))

    def _saving(self, cid: str, save: Callable[[], Any]) -> None:
        """Run one save; on failure show why, and keep and retry what could not reach the store."""
        self._touch()
        try:
            saved = save()
        except StoreUnavailableError as exc:
            self._offline(exc)
            self._render_criterion(cid)  # the value entered stays on screen (unsaved)
            self._render_state()
            return
        except Exception:
            self._save_state = "error"  # 「エラー」 in the status bar until the next save
            self._render_criterion(cid)  # show what is saved, never the refused value
            self._show_change()
            raise
        if self.session.has_unsaved:  # saved now, but older values still wait for the store
            self._schedule_retry(0.0)
        self._keep_unsaved()
        self._after_save(cid, saved is not None)

    def _after_save(self, cid: str, saved: bool) -> None:
        self.clear_error()
        if self._save_state in ("error", "offline"):
            self._save_state = "saved" if self.session.last_saved_at is not None else ""
        if saved:
            self._show_saved()
        if not self._show_change():
            self._render_criterion(cid)
        self._render_state()

    # ------------------------------------------------------------------ changes elsewhere, retries

    def _show_change(self) -> bool:
        """Show (and forget) the session's :class:`ExternalChange`; redraw the criteria. True if any."""
        change = self.session.last_change
        self.session.last_change = None
        if change is None or change.application != self.session.current:
            return False
        self.notice.value = self._change_html(change)
        for cid in self.controls:
            self._render_criterion(cid)
        self._render_state()
        return True

    def _change_html(self, change: ExternalChange) -> str:
        at = change.at.astimezone(JST)
        labels = [self.controls[c].criterion.label_ja for c in change.criteria if c in self.controls]
        what = f"（{'、'.join(labels)}）" if labels else ""
        extra = ""
        if change.status_changed:
            extra += f"　状態は「{self.session.status(change.application)}」になりました。"
        if change.overwritten:
            names = "、".join(self.controls[c].criterion.label_ja for c in change.overwritten if c in self.controls)
            extra += f"　「{names}」はこの画面で入力した値で上書きしました（後から保存した値が有効です）。"
        return ("<div style='color:#7a4d00;background:#fff4d6;border:1px solid #e0b84a;padding:4px 8px;"
                f"border-radius:4px'>⟳ 別の画面で変更されました（{at:%H:%M:%S}）: 値を読み込み直しました{esc(what)}"
                f"{esc(extra)}</div>")

    def _offline(self, exc: StoreUnavailableError) -> None:
        """A save could not reach the store: say so prominently and retry with backoff."""
        self._save_state = "offline"
        self._keep_unsaved()
        delay = RETRY_DELAYS[min(self._retries, len(RETRY_DELAYS) - 1)]
        self.error.value = (
            "<div style='color:#b00020;background:#fdecea;padding:4px 8px;border-radius:4px'>"
            f"⚠ 採点データベースに接続できないため、入力した値（{len(self.session.unsaved)} 件）はまだ保存されていません。"
            f"画面の値はそのまま残り、接続が戻ると自動で保存されます（約 {delay:.0f} 秒ごとに再試行）。"
            f"画面を閉じずにお待ちください。<br><span class='shinsa-muted'>{esc(str(exc))}</span></div>")
        self._render_saved()
        self._schedule_retry(delay)

    def _schedule_retry(self, delay: float) -> None:
        if self._retry_handle is not None or self._closed:
            return
        self._retry_handle = _call_later(delay, self._retry_tick, thread=False)

    def _retry_tick(self) -> None:
        self._retry_handle = None
        if not self._closed:
            self.retry_now()

    @guarded
    def retry_now(self) -> bool:
        """Try again to save every value kept unsaved; True when none is left."""
        if not self.session.has_unsaved:
            if self._save_state == "offline":
                self._save_state = "saved" if self.session.last_saved_at is not None else ""
                self.clear_error()
                self._render_saved()
            return True
        try:
            self.session.retry_unsaved()
        except StoreUnavailableError as exc:
            self._retries += 1
            self._offline(exc)
            return False
        except Exception:
            self._save_state = "error"  # that value was dropped (the message says why)
            self._keep_unsaved()
            for cid in self.controls:
                self._render_criterion(cid)
            self._render_state()
            if self.session.has_unsaved:
                self._schedule_retry(0.0)  # the others are still to be saved
            raise
        self._retries = 0
        self._keep_unsaved()
        self.clear_error()
        self._save_state = "saved"
        if not self._show_change():
            for cid in self.controls:
                self._render_criterion(cid)
            self._render_state()
        return True

    def _schedule_poll(self) -> None:
        if self.poll_interval > 0 and not self._closed and self._poll_handle is None:
            self._poll_handle = _call_later(self.poll_interval, self._poll_tick, thread=False)

    def _touch(self) -> None:
        """A key or click of the reviewer: the page is in use (polling goes on, or starts again)."""
        self._active_at = time.monotonic()
        self._schedule_poll()

    def _poll_tick(self) -> None:
        self._poll_handle = None
        # A page closed without telling the kernel (Voilà keeps it until culled) stops
        # asking after POLL_IDLE_LIMIT seconds without a key or click; the next one restarts it.
        if self._closed or time.monotonic() - self._active_at > POLL_IDLE_LIMIT:
            return
        try:
            self.check_now()
        finally:
            self._schedule_poll()

    @guarded
    def check_now(self) -> ExternalChange | None:
        """Reload the open application if it changed elsewhere and say so (the poll's step).

        Skipped while a comment is being typed or values wait for the store (their save
        comes first; it reports any change itself).
        """
        if self.session.current is None or self.session.has_unsaved or any(c.pending for c in self.controls.values()):
            return None
        try:
            change = self.session.check_changes()
        except StoreUnavailableError:
            return None  # nothing waits to be saved; the next check tries again
        if change is not None:
            self._show_change()
        return change

    def save_pending_now(self) -> None:
        """Save waiting comments and unsaved values at once, without redrawing (kernel exit)."""
        for cid, control in self.controls.items():
            if control.pending:
                control._pending = False
                control._cancel_timer()
                try:
                    self.session.set_comment(cid, str(control.comment.value))
                except Exception:  # noqa: BLE001, S112 - the kernel is going away; kept unsaved if possible
                    continue
        if self.session.has_unsaved:
            try:
                self.session.retry_unsaved()
            except Exception:  # noqa: BLE001, S110 - nothing left to show it on
                pass
        self._keep_unsaved()

    def close(self) -> None:
        """Stop the timers (the panel is replaced or the screen closed); waiting comments are saved."""
        self.save_pending_now()
        self._closed = True
        for handle in (self._poll_handle, self._retry_handle):
            if handle is not None:
                handle.cancel()
        self._poll_handle = self._retry_handle = None
        _LIVE_PANELS.discard(self)

    def _keep_unsaved(self) -> None:
        """Write what waits for the store into the reviewer's state file (a reload or a new
        kernel takes it back); emptied once everything is saved."""
        if self.state is not None:
            self.state.set_unsaved(self.session.reviewer, self.session.unsaved_rows())

    def _remember(self) -> None:
        """Note the open application for the next reload (never stops scoring if it fails)."""
        app = self.session.current
        if self.state is not None and app is not None:
            self.state.set(self.session.reviewer, app)

    @guarded
    def _submit(self, _button: w.Button | None = None) -> None:
        self._touch()
        self.flush_comments()
        app = self.session.current
        self.session.submit()
        self.clear_error()
        self._show_saved()
        self.render()
        self.session.last_change = None  # the form was redrawn from the store's values
        self.submit_message.value = (f"<span style='color:#1b7f3b'>✔ {esc(app)} を提出しました。"
                                     "次の応募書へ進んでください。</span>")

    @guarded
    def _prev(self, _button: w.Button | None = None) -> None:
        self._touch()
        self.flush_comments()
        self.session.prev()
        self.clear_error()
        self.render()
        self._remember()

    @guarded
    def _next(self, _button: w.Button | None = None) -> None:
        self._touch()
        self.flush_comments()
        self.session.next()
        self.clear_error()
        self.render()
        self._remember()

    @guarded
    def _jumped(self, change: Mapping[str, Any]) -> None:
        if self._syncing or change["new"] is None or change["new"] == self.session.current:
            return
        self._touch()
        self.flush_comments()
        self.session.go(str(change["new"]))
        self.clear_error()
        self.render()
        self._remember()


class ReviewApp:
    """The whole screen: who is scoring, then the :class:`ReviewPanel` for that reviewer.

    Parameters
    ----------
    rnd : ReviewRound
    store : ScoreStore
        The round's score store.
    reviewer_id : str, optional
        Preselected reviewer (the notebook's ``reviewer_id`` parameter).
    environ : mapping, optional
        Environment (default ``os.environ``); ``JUPYTERHUB_USER`` fixes the reviewer.
    error : str, optional
        Shown instead of the screen when ``store`` is None (the store could not be opened).
    comment_delay : float
        Seconds after the last key before a comment is saved (0: at once).
    poll_interval : float
        Seconds between two checks for changes made in another tab (0: none).
    state_path : path, optional
        The per-user state file that remembers the last opened application
        (default ``~/.shinsa/review_state.json`` or ``$SHINSA_STATE_FILE``).
    """

    def __init__(
        self,
        rnd: ReviewRound,
        store: Any,
        *,
        reviewer_id: str | None = None,
        environ: Mapping[str, str] | None = None,
        error: str | None = None,
        comment_delay: float = 0.8,
        poll_interval: float = 3.0,
        state_path: str | Path | None = None,
    ) -> None:
        self.round = rnd
        self.comment_delay = comment_delay
        self.poll_interval = poll_interval
        self.state = ReviewState(getattr(rnd, "path", "."), state_path)
        self.store = store
        self.panel: ReviewPanel | None = None
        self.identity: ReviewerIdentity | None = None
        self._syncing = False
        title = w.HTML(
            f"{_CSS}<div style='font-size:18px;font-weight:bold'>審査員用 採点画面</div>"
            f"<div class='shinsa-muted'>{esc(rnd.name)}</div>"
            f"<div class='shinsa-rubric' style='font-size:13px'>評価基準: {esc(rnd.rubric.name_ja)}"
            f"（版 {esc(rnd.rubric.version[:8])}）</div>"
            "<div class='shinsa-muted'>点数とコメントは入力のたびに自動で保存されます（コメントは入力が止まって約1秒以内）。"
            "他の審査員の点数やコメントは表示されません。</div>"
        )
        self.select = w.Dropdown(description="審査員:", layout=w.Layout(width="420px"),
                                 style={"description_width": "56px"})
        self.select.add_class("shinsa-reviewer-select")
        self.select.observe(self._selected, names="value")
        self.identity_note = w.HTML()
        self.message = w.HTML()
        self.message.add_class("shinsa-error")
        self.body = w.VBox()
        self.widget = w.VBox([title, w.HBox([self.select, self.identity_note],
                                            layout=w.Layout(align_items="center")),
                              self.message, self.body])
        self.widget.add_class("shinsa-app")
        if store is None:
            self.select.disabled = True
            self.show_error(error or "採点データベースが開かれていません。")
            return
        self._start(reviewer_id, environ)

    @classmethod
    def open(
        cls,
        rnd: ReviewRound,
        *,
        reviewer_id: str | None = None,
        url: str | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> ReviewApp:
        """Open the round's score store and build the screen.

        ``url`` defaults to ``$SCORING_DATABASE_URL``, else the round's ``scores.sqlite``.
        When the store cannot be opened, the screen shows why (and nothing can be scored).
        """

        try:
            store = ScoreStore.open(rnd, url)
        except StoreError as exc:
            return cls(rnd, None, reviewer_id=reviewer_id, environ=environ,
                       error=f"採点データベースを開けないため、採点できません。{exc}")
        return cls(rnd, store, reviewer_id=reviewer_id, environ=environ)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def show_error(self, message: str) -> None:
        self.message.value = (f"<div style='color:#b00020;background:#fdecea;padding:4px 8px;border-radius:4px'>"
                               f"⚠ {esc(message)}</div>")

    def _label(self, reviewer_id: str) -> str:
        r = self.round.reviewer(reviewer_id)
        return f"{r.id} {r.name}（{r.role}）"

    @guarded
    def _start(self, reviewer_id: str | None, environ: Mapping[str, str] | None) -> None:
        try:
            ident = identify_reviewer(self.round, reviewer_id, environ)
        except ReviewError as first:
            # The reviewer_id parameter was refused: continue without it, unless this
            # person may not score at all (a JupyterHub user not in reviewers.yaml).
            try:
                ident = identify_reviewer(self.round, None, environ)
            except ReviewError:
                self.select.options = []
                self.select.disabled = True
                raise first from None
            self.show_error(str(first))
        self.identity = ident
        self._syncing = True
        try:
            if ident.locked:
                self.select.options = [(self._label(r), r) for r in ident.choices]
            else:
                self.select.options = [("（選択してください）", "")] + [(self._label(r), r) for r in ident.choices]
            self.select.value = ident.reviewer or ""
        finally:
            self._syncing = False
        self.select.disabled = ident.locked
        if ident.locked:
            self.identity_note.value = (f"<span class='shinsa-muted'>JupyterHub のユーザー「{esc(ident.hub_user)}」"
                                        "として採点します（変更できません）。</span>")
        else:
            self.identity_note.value = "<span class='shinsa-muted'>ご自分の名前を選んでください。</span>"
        if ident.reviewer:
            self._open_panel(ident.reviewer)

    def _open_panel(self, reviewer_id: str) -> None:
        self._close_panel()
        session = ReviewSession(self.round, self.store, reviewer_id)
        last = self.state.get(reviewer_id)
        if last is not None and last in session.applications:
            session.go(last)  # where the reviewer left off (a reload starts a new kernel)
        session.restore_unsaved(self.state.unsaved(reviewer_id))  # what an earlier page could not save
        self.panel = ReviewPanel(session, comment_delay=self.comment_delay, poll_interval=self.poll_interval,
                                 state=self.state)
        self.body.children = [self.panel.widget]

    def _close_panel(self) -> None:
        if self.panel is not None:
            self.panel.close()
            self.panel = None

    @guarded
    def _selected(self, change: Mapping[str, Any]) -> None:
        if self._syncing:
            return
        if self.identity is not None and self.identity.locked:
            raise ReviewError("JupyterHub ではログインした本人以外の審査員を選ぶことはできません。")
        self.message.value = ""
        reviewer_id = str(change["new"] or "")
        if not reviewer_id:
            self._close_panel()
            self.body.children = []
            return
        self._open_panel(reviewer_id)
