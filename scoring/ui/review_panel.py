"""The scoring panel of one reviewer (:mod:`scoring.ui.review_view`): progress, navigation,
the sticky status bar with autosave (保存済み / 未保存, retries while the store cannot be
reached), changes made elsewhere, the form (:mod:`scoring.ui.review_form`) and 提出.
"""

from __future__ import annotations

import asyncio
import atexit
import itertools
import sys
import time
import weakref
from collections.abc import Callable, Mapping
from typing import Any

import ipywidgets as w
import pandas as pd

from ..core.clock import JST
from ..core.environment import environment
from ..core.errors import StoreUnavailableError
from ..reporting.charts import distribution_png
from ..review.session import ExternalChange, ReviewSession
from ..review.state import ReviewState
from .review_aids import chart_html, last_saved, receipt_rows, receipts_html
from .review_form import CriterionControl, application_html
from .widgets import call_later, esc, guarded

__all__ = ["POLL_IDLE_LIMIT", "RETRY_DELAYS", "ReviewPanel"]

#: Seconds between two retries of a save that could not reach the store (then 30 s each).
RETRY_DELAYS: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0)
#: Seconds without a key or click after which the check for changes elsewhere pauses.
POLL_IDLE_LIMIT = 3600.0
#: Numbers every redraw of 「保存済み」 in this kernel, so that the page sees each answer.
_ACKS = itertools.count(1)
#: Panels alive in this kernel: their waiting comments are saved when the kernel exits.
_LIVE_PANELS: weakref.WeakSet[ReviewPanel] = weakref.WeakSet()


def _in_kernel() -> bool:
    """Whether this runs in a Jupyter kernel (Voilà, JupyterLab), whose loop runs after the cell."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return getattr(shell, "kernel", None) is not None


@atexit.register
def _save_on_exit() -> None:
    """Kernel shutdown (Voilà shuts the kernel down on reload): save what still waits."""
    for panel in list(_LIVE_PANELS):
        panel.save_pending_now()


def _goto_link(cid: str, text: str, *, comment: bool = False) -> str:
    """A link that scrolls the form to criterion ``cid`` and moves the focus to the field to
    fill in (its first score button, or its comment box when ``comment``); works in
    JupyterLab and Voila."""
    field = "textarea" if comment else "button.shinsa-level-btn"
    js = (
        f"var e=document.querySelector('.shinsa-criterion-{cid}');"
        f"if(e){{e.scrollIntoView({{block:'start'}});var f=e.querySelector('{field}');"
        "if(f){f.focus({preventScroll:true});}}return false;"
    )
    return f"<a class='shinsa-goto shinsa-goto-{esc(cid)}' href='#' onclick=\"{js}\">{esc(text)}</a>"


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

    def __init__(
        self,
        session: ReviewSession,
        *,
        comment_delay: float = 0.8,
        poll_interval: float = 3.0,
        state: ReviewState | None = None,
    ) -> None:
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
        # A preheated kernel (Voilà ran the notebook before the visit) keeps its page current
        # until the reviewer first acts: it polls without the idle limit, and applies what was
        # saved meanwhile (e.g. on the page before a reload) without the 「別の画面で変更」 notice.
        self._waiting_visit = environment().voila_preheat == "True"

        self.progress_text = w.HTML()
        self.progress_text.add_class("shinsa-progress-text")
        self.progress = w.FloatProgress(min=0.0, max=1.0, layout=w.Layout(width="260px"))
        self.progress.add_class("shinsa-progress")
        nav = self._navigation()
        self.statusbar = self._status_bar()
        self.current = w.HTML()
        self.current.add_class("shinsa-current")
        # No scroll box of its own: the application and the criteria flow down the page together.
        self.application = w.HTML(layout=w.Layout(padding="0 12px 0 0"))
        self.application.add_class("shinsa-application")
        self.scoring = self._scoring_column(comment_delay)
        self.chart = w.HTML(layout=w.Layout(width="440px", max_width="100%"))
        self.chart.add_class("shinsa-chart")
        self.receipts = w.HTML()
        self.receipts.add_class("shinsa-receipts-list")
        self._stored_at: dict[str, Any] = {}  # application → its last save found in the store

        left = w.VBox(
            [self.application], layout=w.Layout(flex="1 1 0", min_width="320px", align_self="flex-end")
        )
        left.add_class("shinsa-left")
        body = w.HBox([left, self.scoring], layout=w.Layout(flex_flow="row wrap", align_items="flex-start"))
        self.widget = w.VBox(
            [
                w.HBox([self.progress_text, self.progress], layout=w.Layout(align_items="center")),
                nav,
                self.statusbar,
                self.current,
                body,
                w.HTML(
                    "<div class='shinsa-h'>自分の採点の傾向（自己チェック用。他の審査員の点数は表示しません）</div>"
                ),
                self.chart,
                self.receipts,
            ]
        )
        # The chart (matplotlib: about 0.7 s of CPU) sits below the first screen: in a kernel it is
        # drawn once the notebook has run, so that the form is usable first (issue 22 item 6).
        self._chart_later: Any = call_later(0, self._first_chart, thread=False) if _in_kernel() else None
        self.render()
        self._render_receipts()
        self._remember()
        _LIVE_PANELS.add(self)
        self._schedule_poll()
        if session.has_unsaved:  # kept by an earlier page or kernel: save them now
            self._save_state = "offline"
            self._render_saved()
            self._schedule_retry(0.0)

    def _navigation(self) -> w.HBox:
        """前へ, the jump list of the reviewer's applications, 次へ."""
        self.prev_button = w.Button(description="◀ 前へ", layout=w.Layout(width="80px"))
        self.prev_button.add_class("shinsa-prev")
        self.prev_button.on_click(self._prev)
        self.next_button = w.Button(description="次へ ▶", layout=w.Layout(width="80px"))
        self.next_button.add_class("shinsa-next")
        self.next_button.on_click(self._next)
        self.jump = w.Dropdown(
            description="応募書:", layout=w.Layout(width="300px"), style={"description_width": "56px"}
        )
        self.jump.add_class("shinsa-jump")
        self.jump.observe(self._jumped, names="value")
        return w.HBox(
            [self.prev_button, self.jump, self.next_button],
            layout=w.Layout(align_items="center", flex_flow="row wrap"),
        )

    def _status_bar(self) -> w.VBox:
        """The sticky status bar: 保存済み / 未保存, n / N 項目, the missing items, errors, notices."""
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
        statusbar = w.VBox(
            [
                w.HBox(
                    [self.saved, self.status_count, self.status_missing],
                    layout=w.Layout(align_items="center", flex_flow="row nowrap"),
                ),
                self.error,
                self.notice,
            ]
        )
        statusbar.add_class("shinsa-statusbar")
        return statusbar

    def _scoring_column(self, comment_delay: float) -> w.VBox:
        """The criteria by group (one :class:`CriterionControl` each), then 提出 and its message."""
        self.controls: dict[str, CriterionControl] = {}
        scoring_children: list[w.Widget] = []
        for group in self.session.round.rubric.groups:
            scoring_children.append(w.HTML(f"<div class='shinsa-h'>{esc(group.label_ja)}</div>"))
            for c in group.criteria:
                control = CriterionControl(
                    c,
                    self._score,
                    self._comment,
                    comment_delay=comment_delay,
                    on_typing=self._typing,
                    on_to_applicant=self._to_applicant,
                )
                self.controls[c.id] = control
                scoring_children.append(control.widget)

        self.submit_button = w.Button(
            description="提出",
            button_style="success",
            icon="check",
            layout=w.Layout(width="120px", flex="0 0 auto"),
        )
        self.submit_button.add_class("shinsa-submit")
        self.submit_button.on_click(self._submit)
        self.submit_message = w.HTML(layout=w.Layout(flex="1 1 auto", margin="0 0 0 8px"))
        self.submit_message.add_class("shinsa-submit-message")
        scoring_children.append(
            w.HBox([self.submit_button, self.submit_message], layout=w.Layout(align_items="flex-start"))
        )
        scoring_children.append(self._confirm_box())
        scoring = w.VBox(
            scoring_children, layout=w.Layout(flex="1 1 0", min_width="360px", align_self="flex-end")
        )
        scoring.add_class("shinsa-scoring")
        return scoring

    def _confirm_box(self) -> w.VBox:
        """The confirmation before 提出 (hidden until 提出 is pressed on a complete application)."""
        self.confirm_text = w.HTML()
        self.confirm_yes = w.Button(
            description="提出する", button_style="primary", layout=w.Layout(width="auto")
        )
        self.confirm_yes.add_class("shinsa-confirm-yes")
        self.confirm_yes.on_click(self._confirmed)
        self.confirm_no = w.Button(description="やめる（提出しない）", layout=w.Layout(width="auto"))
        self.confirm_no.add_class("shinsa-confirm-no")
        self.confirm_no.on_click(self._cancelled)
        box = w.VBox([self.confirm_text, w.HBox([self.confirm_yes, self.confirm_no])])
        box.add_class("shinsa-confirm")
        box.layout.display = "none"
        self.confirm = box
        return box

    # ------------------------------------------------------------------ display

    def show_error(self, message: str) -> None:
        """Show an error message in the status bar (always on screen)."""
        self.error.value = (
            f"<div style='color:#b00020;background:#fdecea;padding:4px 8px;border-radius:4px'>"
            f"⚠ {esc(message)}</div>"
        )
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
        self.saved.value = (
            self._saved_html() + f"<span class='shinsa-ack' data-ack='{next(_ACKS)}' hidden></span>"
        )

    def _saved_html(self) -> str:
        at = self.session.last_saved_at
        pending = any(c.pending for c in self.controls.values())
        style = "white-space:nowrap;margin-right:14px;font-weight:bold"
        if self._save_state == "offline" or self.session.has_unsaved:
            return (
                f"<span class='shinsa-unsaved' style='{style}'>⚠ 未保存（接続を再試行中…）"
                f"<span style='font-weight:normal'>{len(self.session.unsaved)} 件</span></span>"
            )
        if self._save_state == "error":
            return f"<span style='{style};color:#b00020'>⚠ エラー（保存できませんでした）</span>"
        if pending:
            return f"<span style='{style};color:#a15c00'>✎ 未保存（入力中）</span>"
        if self._save_state == "saved" and at is not None:
            return f"<span style='{style};color:#1b7f3b'>✔ 保存済み {at.astimezone(JST):%H:%M:%S}</span>"
        stored = self._stored_at.get(self.session.current) if self.session.current else None
        if stored is not None:  # after a reload: the last save of this application
            return f"<span style='{style};color:#1b7f3b'>✔ 保存済み {stored.astimezone(JST):%m/%d %H:%M:%S}</span>"
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
        self.status_count.value = (
            f"<span style='white-space:nowrap;margin-right:14px'>{esc(app)} "
            f"{esc(s.overview().at[app, 'prefecture_name'])}　採点 <b>{n_done} / {n_all}</b> 項目"
            "</span>"
        )
        if s.is_submitted():
            self.status_missing.value = "<span class='shinsa-muted'>提出済み</span>"
            return
        todo = self._missing_items()
        if not todo:
            self.status_missing.value = (
                "<span style='color:#1b7f3b'>すべて入力済み。下の「提出」で提出できます。</span>"
            )
            return
        shown = todo[:4]
        # The rest behind one link to the first of them (the full list is beside 提出).
        more = (
            _goto_link(todo[len(shown)][0], f"ほか {len(todo) - len(shown)} 件")
            if len(todo) > len(shown)
            else ""
        )
        self.status_missing.value = (
            f"<span style='color:#a15c00'>未入力 {len(todo)} 件:</span> "
            + "".join(_goto_link(cid, text, comment=text.endswith("（コメント）")) for cid, text in shown)
            + more
        )

    def render(self) -> None:
        """Redraw everything from the model (after navigation)."""
        s = self.session
        app = s.current
        if app is None:
            self._render_state()
            self.current.value = (
                "<div class='shinsa-h'>担当の応募書はありません。割り当てを事務局に確認してください。</div>"
            )
            self.application.value = ""
            self.scoring.layout.display = "none"
            self.prev_button.disabled = self.next_button.disabled = True
            self._render_chart()
            return
        self.scoring.layout.display = None
        self.confirm.layout.display = "none"
        if app not in self._stored_at:
            self._stored_at[app] = last_saved(s.store, s.reviewer, app)
        self.notice.value = ""
        for control in self.controls.values():  # a comment typed on another application is not carried over
            control.discard_pending()
        self.prev_button.disabled = not s.has_prev
        self.next_button.disabled = not s.has_next
        self.application.value = application_html(s, app)
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
            self.submit_message.value = (
                "<span class='shinsa-muted'>提出済みです。変更が必要なときは"
                "事務局に再開を依頼してください。</span>"
            )
        else:
            todo = self._missing_items()
            self.submit_message.value = (
                f"<span style='color:#a15c00'>提出の前に入力が必要です（{len(todo)} 件）:</span> "
                + "".join(_goto_link(cid, text, comment=text.endswith("（コメント）")) for cid, text in todo)
                if todo
                else "<span class='shinsa-muted'>すべて入力済みです。提出できます。</span>"
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
        self.controls[cid].show(
            e.score,
            e.comment,
            readonly=s.is_submitted(),
            comment_missing=s.comment_missing(cid),
            to_applicant=e.to_applicant,
        )

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

    def _first_chart(self) -> None:
        self._chart_later = None
        if not self._closed:
            self._render_chart()

    def _render_chart(self) -> None:
        if self._chart_later is not None:  # the first one is drawn after the first screen
            return
        counts = self.session.distribution()
        if self._chart_counts is not None and counts.equals(self._chart_counts):
            return
        self._chart_counts = counts
        self.chart.value = chart_html(counts, distribution_png(counts))

    # ------------------------------------------------------------------ callbacks

    @guarded
    def _score(self, cid: str, level: float | None) -> None:
        self.flush_comments()
        self._saving(cid, lambda: self.session.set_score(cid, level))

    @guarded
    def _comment(self, cid: str, text: str) -> None:
        self._saving(cid, lambda: self.session.set_comment(cid, text))

    @guarded
    def _to_applicant(self, cid: str, text: str) -> None:
        self._saving(cid, lambda: self.session.set_to_applicant(cid, text))

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
            names = "、".join(
                self.controls[c].criterion.label_ja for c in change.overwritten if c in self.controls
            )
            extra += f"　「{names}」はこの画面で入力した値で上書きしました（後から保存した値が有効です）。"
        return (
            "<div style='color:#7a4d00;background:#fff4d6;border:1px solid #e0b84a;padding:4px 8px;"
            f"border-radius:4px'>⟳ 別の画面で変更されました（{at:%H:%M:%S}）: 値を読み込み直しました{esc(what)}"
            f"{esc(extra)}</div>"
        )

    def _offline(self, exc: StoreUnavailableError) -> None:
        """A save could not reach the store: say so prominently and retry with backoff."""
        self._save_state = "offline"
        self._keep_unsaved()
        delay = RETRY_DELAYS[min(self._retries, len(RETRY_DELAYS) - 1)]
        self.error.value = (
            "<div style='color:#b00020;background:#fdecea;padding:4px 8px;border-radius:4px'>"
            f"⚠ 採点データベースに接続できないため、入力した値（{len(self.session.unsaved)} 件）はまだ保存されていません。"
            f"画面の値はそのまま残り、接続が戻ると自動で保存されます（約 {delay:.0f} 秒ごとに再試行）。"
            f"画面を閉じずにお待ちください。<br><span class='shinsa-muted'>{esc(str(exc))}</span></div>"
        )
        self._render_saved()
        self._schedule_retry(delay)

    def _schedule_retry(self, delay: float) -> None:
        if self._retry_handle is not None or self._closed:
            return
        self._retry_handle = call_later(delay, self._retry_tick, thread=False)

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
            self._poll_handle = call_later(self.poll_interval, self._poll_tick, thread=False)

    def _touch(self) -> None:
        """A key or click of the reviewer: the page is in use (polling goes on, or starts again)."""
        self._active_at = time.monotonic()
        self._waiting_visit = False
        self._schedule_poll()

    def _poll_tick(self) -> None:
        self._poll_handle = None
        # A page closed without telling the kernel (Voilà keeps it until culled) stops
        # asking after POLL_IDLE_LIMIT seconds without a key or click; the next one restarts it.
        idle = time.monotonic() - self._active_at > POLL_IDLE_LIMIT and not self._waiting_visit
        if self._closed or idle:
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
        if self._waiting_visit:
            return self._refresh_all()
        if (
            self.session.current is None
            or self.session.has_unsaved
            or any(c.pending for c in self.controls.values())
        ):
            return None
        try:
            change = self.session.check_changes()
        except StoreUnavailableError:
            return None  # nothing waits to be saved; the next check tries again
        if change is not None:
            self._show_change()
        return change

    def _refresh_all(self) -> ExternalChange | None:
        """A preheated page before its visit: take in silently what was saved meanwhile for any
        of the reviewer's applications (an earlier page's scores, a 提出), and redraw."""
        s = self.session
        try:
            changes = [c for a in s.applications if (c := s.check_changes(a)) is not None]
        except StoreUnavailableError:
            return None
        s.last_change = None
        if changes:
            self._stored_at.clear()
            self.render()
        return changes[-1] if changes else None

    def save_pending_now(self) -> None:
        """Save waiting comments and unsaved values at once, without redrawing (kernel exit)."""
        for cid, control in self.controls.items():
            for field, text in control.take_pending():
                save = self.session.set_comment if field == "comment" else self.session.set_to_applicant
                try:
                    save(cid, text)
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
        """提出: an incomplete application is refused at once (with what is missing); a
        complete one asks first, saying what cannot be undone."""
        self._touch()
        self.flush_comments()
        app = self.session.current
        if app is None or self.session.is_submitted() or self._missing_items():
            self.session.submit()  # refused: the reason is shown in the status bar
            return
        name = self.session.overview().at[app, "prefecture_name"]
        self.confirm_text.value = (
            f"<div role='alert'><b>{esc(app)} {esc(name)} を提出しますか？</b><br>"
            "提出すると、この応募書の点数とコメントはご自分では変更できなくなります"
            "（取り消しや変更には、事務局に再開を依頼する必要があります）。</div>"
        )
        self.confirm.layout.display = None
        self.confirm_yes.focus()

    @guarded
    def _cancelled(self, _button: w.Button | None = None) -> None:
        self.confirm.layout.display = "none"
        self.submit_button.focus()

    @guarded
    def _confirmed(self, _button: w.Button | None = None) -> None:
        self._touch()
        self.confirm.layout.display = "none"
        self.flush_comments()
        app = self.session.current
        self.session.submit()
        self.clear_error()
        self._show_saved()
        self.render()
        self.session.last_change = None  # the form was redrawn from the store's values
        code = self.session.receipts.get(app) if app is not None else None
        keep = f"受領コード <b class='shinsa-receipt'>{esc(code)}</b> を控えてください。" if code else ""
        self.submit_message.value = f"<span style='color:#1b7f3b'>✔ {esc(app)} を提出しました。{keep}次の応募書へ進んでください。</span>"
        self._render_receipts()
        (self.next_button if not self.next_button.disabled else self.submit_button).focus()

    def _render_receipts(self) -> None:
        """「提出の記録」 from the store (the codes this page received fill in if unreadable)."""
        s = self.session
        names = {str(a): str(name) for a, name in s.overview()["prefecture_name"].items()}
        rows = receipt_rows(s.store, s.reviewer, names, s.receipts)
        self.receipts.value = receipts_html(s.reviewer_label, rows)

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
