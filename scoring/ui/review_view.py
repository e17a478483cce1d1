"""The reviewer's scoring screen (審査員用 採点画面): thin ipywidgets views.

The views own their widgets and forward every click to the plain model
(:class:`scoring.review.session.ReviewSession`); they hold no state of their own beyond what is
on screen. Every callback catches errors and shows a readable Japanese message in the
view, because JupyterLab swallows exceptions raised in widget callbacks. :class:`ReviewApp` is
here; the panel of one reviewer is in :mod:`scoring.ui.review_panel` and its form in
:mod:`scoring.ui.review_form` (both classes importable from here too).

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

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from ..core.errors import ReviewError, StoreError
from ..review.session import ReviewerIdentity, ReviewSession, identify_reviewer
from ..review.state import ReviewState
from ..store.scores import ScoreStore
from .review_aids import A11Y_CSS, logout_html, usage_html
from .review_form import CriterionControl, level_token
from .review_panel import ReviewPanel
from .widgets import error_message, esc, guarded

if TYPE_CHECKING:
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
        # No rubric version hash for reviewers (issue 22): the rubric's name is enough.
        title = w.HTML(
            f"{_CSS}{A11Y_CSS}<div class='shinsa-header'><h2 style='font-size:20px;margin:0'>審査員用 採点画面</h2>"
            f"<span>{esc(rnd.name)}</span>{logout_html(environ)}</div>"
            f"<div class='shinsa-rubric'>評価基準: {esc(rnd.rubric.name_ja)}</div>"
            f"{usage_html()}"
            "<div class='shinsa-muted'>他の審査員の点数やコメントは表示されません。</div>"
        )
        title.add_class("shinsa-title")
        self.select = w.Dropdown(
            description="審査員:", layout=w.Layout(width="420px"), style={"description_width": "56px"}
        )
        self.select.add_class("shinsa-reviewer-select")
        self.select.observe(self._selected, names="value")
        self.identity_note = w.HTML()
        self.message = w.HTML()
        self.message.add_class("shinsa-error")
        self.body = w.VBox()
        self.widget = w.VBox(
            [
                title,
                w.HBox([self.select, self.identity_note], layout=w.Layout(align_items="center")),
                self.message,
                self.body,
            ]
        )
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
            return cls(
                rnd,
                None,
                reviewer_id=reviewer_id,
                environ=environ,
                error=f"採点データベースを開けないため、採点できません。{exc}",
            )
        return cls(rnd, store, reviewer_id=reviewer_id, environ=environ)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def show_error(self, message: str) -> None:
        self.message.value = (
            f"<div style='color:#b00020;background:#fdecea;padding:4px 8px;border-radius:4px'>"
            f"⚠ {esc(message)}</div>"
        )

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
                self.select.options = [("（選択してください）", "")] + [
                    (self._label(r), r) for r in ident.choices
                ]
            self.select.value = ident.reviewer or ""
        finally:
            self._syncing = False
        self.select.disabled = ident.locked
        if ident.locked:
            self.identity_note.value = (
                f"<span class='shinsa-muted'>JupyterHub のユーザー「{esc(ident.hub_user)}」"
                "として採点します（変更できません）。</span>"
            )
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
        self.panel = ReviewPanel(
            session, comment_delay=self.comment_delay, poll_interval=self.poll_interval, state=self.state
        )
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
