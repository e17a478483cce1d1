"""The 事務局's panel for a review phase that can finish (notebook 03): 再開, 免除, 担当替え.

A thin ipywidgets form around :mod:`scoring.round.pair_release` (the same rules and messages
as ``python -m scoring reopen`` / ``excuse`` / ``reassign``): choose the action, the reviewer
and the application (and, for 担当替え, the new reviewer), give who and why, press 記録する.
The progress table below is reloaded after each record.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as w
from IPython.display import display

from ..reporting.overview import analyst_table
from ..review.progress import progress_ja, round_progress
from ..round.loader import ReviewRound, load_round
from ..round.pair_release import ACTIONS_JA, release_pair, reopen_pair
from ..store.scores import ScoreStore
from .widgets import esc, guarded

__all__ = ["PairPanel", "pair_panel"]


class PairPanel:
    """The form and the open pairs; :attr:`widget` is what the notebook shows."""

    def __init__(self, rnd: ReviewRound) -> None:
        self.rnd = rnd
        self.action = w.Dropdown(options=[(v, k) for k, v in ACTIONS_JA.items()], description="操作")
        reviewers = [(f"{r.id} {r.name}", r.id) for r in rnd.reviewers]
        self.reviewer = w.Dropdown(options=reviewers, description="審査員")
        self.application = w.Dropdown(description="応募")
        self.to = w.Dropdown(options=[("（担当替えのときだけ）", ""), *reviewers], description="新しい担当")
        self.by = w.Text(description="記録する人", placeholder="事務局の担当者名")
        self.reason = w.Textarea(
            description="理由", placeholder="理由（記録に残り、委員会資料の注記に載ります）"
        )
        self.button = w.Button(description="記録する", button_style="primary")
        self.message = w.HTML()
        self.tables = w.Output()
        self.button.on_click(self._record)
        self.widget = w.VBox(
            [
                w.HBox([self.action, self.reviewer, self.application]),
                self.to,
                self.by,
                self.reason,
                self.button,
                self.message,
                self.tables,
            ]
        )
        self._refresh()

    def show_error(self, text: str) -> None:
        """Show a Japanese error under the button (nothing was recorded)."""
        self.message.value = f"<span style='color:#b00020'>記録できませんでした: {esc(text)}</span>"

    def _refresh(self) -> None:
        names = self.rnd.applications["prefecture_name"]
        self.application.options = [(f"{a} {n}", a) for a, n in names.items()]
        progress = round_progress(self.rnd)  # never creates a store
        self.tables.clear_output()
        with self.tables:
            display(analyst_table(progress_ja(progress)["未提出の一覧"]))

    @guarded
    def _record(self, _: Any = None) -> None:
        action, r, a = str(self.action.value), str(self.reviewer.value), str(self.application.value)
        with ScoreStore.open(self.rnd) as store:
            if action == "reopen":
                done = reopen_pair(self.rnd, store, r, a, by=self.by.value, reason=self.reason.value)
            else:
                done = release_pair(
                    self.rnd,
                    store,
                    action,
                    r,
                    a,
                    by=self.by.value,
                    reason=self.reason.value,
                    to=str(self.to.value),
                )
        if done.assignments_file is not None:  # a reassignment changed who reviews what
            self.rnd = load_round(self.rnd.path)
        self.reason.value = ""
        self.message.value = esc(done.summary_ja(self.rnd))
        self._refresh()


def pair_panel(rnd: ReviewRound) -> w.VBox:
    """The panel's widget for ``rnd`` (what notebook 03 displays)."""
    return PairPanel(rnd).widget
