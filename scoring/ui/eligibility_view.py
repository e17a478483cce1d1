"""The 事務局's eligibility panel (notebook 01): list and record 受付の判断.

A thin ipywidgets form around :func:`scoring.round.eligibility.record_eligibility` (the same
rules and messages as ``python -m scoring eligibility``): choose the decision and the
application, give who and why (and, for a correction, the original receipt time), press
記録する. The tables below (each application's receipt and status, every recorded
decision) are reloaded from the round after each record, so what is shown is what the
selection, the committee material and the letters use.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as w
from IPython.display import display

from ..reporting.overview import analyst_table, eligibility_log_table, eligibility_table
from ..round.eligibility import record_eligibility
from ..round.eligibility_records import ELIGIBILITY_ACTIONS
from ..round.loader import ReviewRound, load_round
from .widgets import esc, guarded

__all__ = ["EligibilityPanel", "eligibility_panel"]


class EligibilityPanel:
    """The form and the two tables; :attr:`widget` is what the notebook shows.

    Parameters
    ----------
    rnd : ReviewRound
        The round (reloaded from its folder after each record).
    """

    def __init__(self, rnd: ReviewRound) -> None:
        self.rnd = rnd
        self.action = w.Dropdown(options=[(v, k) for k, v in ELIGIBILITY_ACTIONS.items()], description="判断")
        self.application = w.Dropdown(description="応募")
        self.by = w.Text(description="記録する人", placeholder="事務局の担当者名")
        self.reason = w.Textarea(description="理由", placeholder="理由（記録に残ります）")
        self.original = w.Text(
            description="元の受付日時",
            placeholder="訂正のときだけ。例: 2026-02-20T16:40（空: 古い応募書の日時）",
        )
        # a record cannot be undone: the 事務局 confirms before 記録する writes it
        self.confirm = w.Checkbox(description="取り消せない記録であることを確認しました", indent=False)
        self.button = w.Button(description="記録する", button_style="primary")
        self.message = w.HTML()
        self.tables = w.Output()
        self.button.on_click(self._record)
        self.widget = w.VBox(
            [
                w.HBox([self.action, self.application]),
                self.by,
                self.reason,
                self.original,
                self.confirm,
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
        self.tables.clear_output()
        with self.tables:
            display(analyst_table(eligibility_table(self.rnd)))
            display(analyst_table(eligibility_log_table(self.rnd)))

    @guarded
    def _record(self, _: Any = None) -> None:
        if not self.confirm.value:
            self.message.value = (
                "<span style='color:#b00020'>まだ記録していません。受付の判断は取り消せない記録です。"
                "内容を確かめ、「取り消せない記録であることを確認しました」にチェックを入れてから"
                "記録してください。</span>"
            )
            return
        rec = record_eligibility(
            self.rnd,
            str(self.action.value),
            str(self.application.value),
            by=self.by.value,
            reason=self.reason.value,
            original_received=(
                (self.original.value.strip() or None) if self.action.value == "correction" else None
            ),
        )
        self.rnd = load_round(self.rnd.path)
        self.reason.value = ""
        self.original.value = ""
        self.confirm.value = False
        self.message.value = (
            f"記録しました: 応募 {esc(rec.application)} {esc(rec.summary_ja())}（イベント {rec.event_id}）"
        )
        self._refresh()


def eligibility_panel(rnd: ReviewRound) -> w.VBox:
    """The panel's widget for ``rnd`` (what notebook 01 displays)."""
    return EligibilityPanel(rnd).widget
