"""The rubric-tuning screen (配点の調整, 事務局用): a thin ipywidgets view.

The view owns its widgets and forwards every change to the plain model
(:class:`scoring.analysis.tuning.TuningModel`); it keeps no state of its own beyond what is on
screen.  Every callback catches errors and shows a readable Japanese message, because
JupyterLab swallows exceptions raised in widget callbacks.

A change of a weight or of the method recomputes the ranking at once (no refit: each
method is fitted once); the analysis tabs (reliability, discussion list, reviewers) are
recomputed only when shown.  ``last_ranking_ms`` and ``last_render_ms`` hold the time of
the last recomputation and of drawing the table; both are shown under the table.

Stable CSS classes (``add_class``) for browser tests, independent of the language:

===================================  ================================================
``shinsa-tuning``                    the whole screen
``shinsa-method``                    method drop-down
``shinsa-group-weight-<group>``      group multiplier slider (``shinsa-group-effective-<group>``
                                     its effective 配点)
``shinsa-weight-<criterion>``        criterion weight slider (``shinsa-effective-<criterion>``
                                     its effective 配点)
``shinsa-reset``                     既定に戻す button
``shinsa-ranking``                   the ranking table (HTML; rows ``data-application``)
``shinsa-latency``                   time of the last recomputation
``shinsa-settings-hash``             the settings hash (``data-hash``)
``shinsa-error``                     the last error message (empty when none)
``shinsa-tabs``                      analysis tabs: ``shinsa-reliability``,
                                     ``shinsa-discussion``, ``shinsa-bias-chart`` (PNG),
                                     ``shinsa-bias-table``, ``shinsa-notes``, ``shinsa-settings``
``shinsa-save-note``                 note for the changelog; ``shinsa-save-author`` author
``shinsa-save-rubric``               「新しい版として保存」 button; ``shinsa-save-message`` result
``shinsa-save-use``                  checkbox: point round.yaml's ``rubric:`` at the saved version
===================================  ================================================

Typical use in a notebook::

    app = TuningApp.open(load_round(round_path), method=method)
    app
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import ipywidgets as w
import numpy as np
import pandas as pd

from ..analysis.quality import explanation_ja
from ..analysis.tuning import TuningModel
from ..analysis.tuning_proposal import current_proposal, tuning_second_panel
from ..combine import DEFAULT_METHOD, METHODS
from ..config.rubric import load_rubric
from ..core.columns import HEADERS_JA, METHOD_LABELS
from ..core.environment import environment
from ..reporting.charts import reviewer_bias_png
from .tuning_tables import MAX_ROWS, _num, _table, proposal_html, ranking_html
from .widgets import error_message, esc, guarded

if TYPE_CHECKING:
    from ..config.rubric import Criterion, Group
    from ..round.loader import ReviewRound

__all__ = ["MAX_ROWS", "TuningApp", "error_message", "ranking_html"]

_TABS = ("信頼性", "協議対象", "審査員の甘辛", "注意", "設定の記録", "選定の確かさ")

_CSS = """
<style>
.shinsa-tuning table.shinsa-table {border-collapse: collapse; font-size: 12px; margin: 2px 0 6px 0;}
.shinsa-tuning table.shinsa-table th {background: #f2f2f2; font-weight: normal; padding: 3px 6px;
  border-bottom: 1px solid #bbb; white-space: nowrap; text-align: center;}
.shinsa-tuning table.shinsa-table td {padding: 2px 6px; border-bottom: 1px solid #eee; white-space: nowrap;}
.shinsa-tuning table.shinsa-table td.shinsa-wrap {white-space: normal; max-width: 560px;}
.shinsa-tuning .shinsa-h {font-weight: bold; font-size: 13px; margin: 8px 0 2px 0; border-bottom: 1px solid #ccc;}
.shinsa-tuning .shinsa-muted {color: #555; font-size: 12px; line-height: 1.5;}
.shinsa-tuning .shinsa-ranking-box {max-height: 46vh; overflow: auto;}
.shinsa-tuning .shinsa-ranking-box:focus {outline: 3px solid #0b57d0;}
.shinsa-tuning ol.shinsa-proposal-list {margin: 2px 0 2px 1.4em; padding: 0; columns: 2;}
.shinsa-tuning .shinsa-up {color: #1a7f37; font-weight: bold;}
.shinsa-tuning .shinsa-down {color: #c62828; font-weight: bold;}
.shinsa-tuning .shinsa-same {color: #999;}
.shinsa-tuning table.shinsa-table td.shinsa-top {background: #fff8e1;}
.shinsa-tuning table.shinsa-table td.shinsa-excluded {background: #eeeeee; color: #666;}
.shinsa-tuning table.shinsa-ranking-table th {white-space: normal; min-width: 4.2em; line-height: 1.3;}
.shinsa-tuning table.shinsa-ranking-table td.shinsa-wrap {min-width: 12em; max-width: 320px;}
.shinsa-tuning table.shinsa-table td.shinsa-num {text-align: right;}
.shinsa-tuning table.shinsa-table td.shinsa-total {font-weight: bold;}
.shinsa-tuning .shinsa-eff {font-size: 11px; color: #444; min-width: 70px;}
.shinsa-tuning .shinsa-error-text {color: #b00020; font-weight: bold;}
.shinsa-tuning code.shinsa-hash {font-size: 13px; background: #eef; padding: 1px 4px;}
</style>
"""


class TuningApp:
    """The tuning screen around a :class:`~scoring.analysis.tuning.TuningModel`.

    Parameters
    ----------
    model : TuningModel or None
        ``None`` shows only ``error`` (e.g. the round has no scores yet).
    error : str, optional
        The message shown when ``model`` is None.
    author : str, optional
        Prefills the author (記入者) of a saved version.

    Attributes
    ----------
    model : TuningModel or None
    last_ranking_ms : float
        Time of the last ranking recomputation (model only), in ms.
    last_render_ms : float
        Time of drawing the last ranking table, in ms.
    """

    def __init__(
        self, model: TuningModel | None, *, error: str | None = None, author: str | None = None
    ) -> None:
        self.model = model
        self.last_ranking_ms = float("nan")
        self.last_render_ms = float("nan")
        self._syncing = False
        self._stale: set[int] = set(range(len(_TABS)))
        self.error = w.HTML()
        self.error.add_class("shinsa-error")
        if model is None:
            self.widget = w.VBox([w.HTML(_CSS + self._title_html(None)), self.error])
            self.widget.add_class("shinsa-tuning")
            self.show_error(error or "採点データを読み込めませんでした。")
            return
        self.group_labels = {g.id: g.label_ja for g in model.rubric.groups}
        left = self._weights_box(model)
        self.ranking = w.HTML()
        self.ranking.add_class("shinsa-ranking")
        self.latency = w.HTML()
        self.latency.add_class("shinsa-latency")
        self.hash = w.HTML()
        self.hash.add_class("shinsa-settings-hash")
        self.tabs = self._analysis_tabs()
        save = self._save_box(author)
        self.proposal = w.HTML()
        self.proposal.add_class("shinsa-proposal-panel")
        right = w.VBox(
            [
                self.proposal,
                w.HTML(
                    "<div class='shinsa-h'>順位（既定: ルーブリックの配点・"
                    f"{esc(METHOD_LABELS[DEFAULT_METHOD])}との比較）</div>"
                ),
                self.ranking,
                self.latency,
            ],
            layout=w.Layout(flex="1 1 auto", min_width="0"),
        )
        self.widget = w.VBox(
            [
                w.HTML(_CSS + self._title_html(model)),
                self.hash,
                self.error,
                # Side by side even at 1366 px: the sliders scroll in their own box and the
                # proposal and the ranking stay beside them while a slider moves.
                w.HBox([left, right], layout=w.Layout(align_items="flex-start", flex_flow="row nowrap")),
                self.tabs,
                save,
            ]
        )
        self.widget.add_class("shinsa-tuning")
        self.refresh()

    def _weights_box(self, model: TuningModel) -> w.VBox:
        """The left column: the method, a slider per group (倍率) and criterion (配点), 既定に戻す."""
        self.method = w.Dropdown(
            options=[
                (f"{METHOD_LABELS.get(m, m)}（{m}）" + ("・既定" if m == DEFAULT_METHOD else ""), m)
                for m in METHODS
            ],
            value=model.method,
            description="統合方法:",
            style={"description_width": "70px"},
            layout=w.Layout(width="440px"),
        )
        self.method.add_class("shinsa-method")
        self.method.observe(self._on_method, names="value")

        self.group_sliders: dict[str, w.FloatSlider] = {}
        self.group_effective: dict[str, w.HTML] = {}
        self.criterion_sliders: dict[str, w.FloatSlider] = {}
        self.criterion_effective: dict[str, w.HTML] = {}
        rows: list[w.Widget] = []
        for g in model.rubric.groups:
            rows.append(self._group_row(g))
            rows += [self._criterion_row(c) for c in g.criteria]
        self.reset = w.Button(
            description="既定に戻す", icon="undo", tooltip="ルーブリックの配点と倍率 1 に戻す"
        )
        self.reset.add_class("shinsa-reset")
        self.reset.on_click(self._on_reset)
        weights_help = w.HTML(
            "<div class='shinsa-muted'>スライダーは配点（評価項目）と倍率（グループ）です。"
            "右の数字は実際に使う配点で、合計が 100 点になるように自動で調整されます。</div>"
        )
        return w.VBox(
            [
                w.HTML("<div class='shinsa-h'>配点と統合方法</div>"),
                self.method,
                # the sliders scroll in their own box, so the ranking beside them stays in view
                w.VBox(rows, layout=w.Layout(max_height="52vh", overflow="auto", flex="0 0 auto")),
                w.HBox([self.reset]),
                weights_help,
            ],
            layout=w.Layout(width="470px", flex="0 0 470px"),
        )

    def _group_row(self, g: Group) -> w.HBox:
        """The multiplier slider of group ``g`` and its effective 配点."""
        gs = w.FloatSlider(
            value=1.0,
            min=0.0,
            max=3.0,
            step=0.1,
            description=f"【{g.label_ja}】×",
            continuous_update=False,
            readout_format=".1f",
            style={"description_width": "190px"},
            layout=w.Layout(width="400px"),
            tooltip=f"グループ {g.id} の倍率（1 = ルーブリックのまま）",
        )
        row, ge = self._slider_row(
            gs,
            f"shinsa-group-weight-{g.id}",
            f"shinsa-group-effective-{g.id}",
            functools.partial(self._on_group, g.id),
        )
        self.group_sliders[g.id], self.group_effective[g.id] = gs, ge
        return row

    def _criterion_row(self, c: Criterion) -> w.HBox:
        """The weight slider of criterion ``c`` and its effective 配点."""
        cs = w.FloatSlider(
            value=float(c.weight),
            min=0.0,
            max=float(max(30.0, 2 * c.weight)),
            step=1.0,
            description=c.label_ja,
            continuous_update=False,
            readout_format=".0f",
            style={"description_width": "190px"},
            layout=w.Layout(width="400px"),
            tooltip=f"{c.id}: {c.label_en}",
        )
        row, ce = self._slider_row(
            cs,
            f"shinsa-weight-{c.id}",
            f"shinsa-effective-{c.id}",
            functools.partial(self._on_criterion, c.id),
        )
        self.criterion_sliders[c.id], self.criterion_effective[c.id] = cs, ce
        return row

    @staticmethod
    def _slider_row(
        slider: w.FloatSlider,
        slider_class: str,
        effective_class: str,
        on_change: Callable[[Mapping[str, Any]], None],
    ) -> tuple[w.HBox, w.HTML]:
        """``slider`` (calling ``on_change``) with its effective 配点 beside it: the row and that HTML."""
        slider.add_class(slider_class)
        slider.observe(on_change, names="value")
        effective = w.HTML()
        effective.add_class(effective_class)
        effective.add_class("shinsa-eff")
        return w.HBox([slider, effective], layout=w.Layout(align_items="center")), effective

    def _analysis_tabs(self) -> w.Tab:
        """The analysis tabs (信頼性, 協議対象, 審査員の甘辛, 注意, 設定の記録), filled when shown."""
        self.reliability = w.HTML()
        self.reliability.add_class("shinsa-reliability")
        self.discussion = w.HTML()
        self.discussion.add_class("shinsa-discussion")
        self.bias_chart = w.Image(format="png", layout=w.Layout(max_width="640px"))
        self.bias_chart.add_class("shinsa-bias-chart")
        self.bias_table = w.HTML()
        self.bias_table.add_class("shinsa-bias-table")
        self.notes = w.HTML()
        self.notes.add_class("shinsa-notes")
        self.settings = w.HTML()
        self.settings.add_class("shinsa-settings")
        self.certainty = w.HTML()
        self.certainty.add_class("shinsa-certainty")
        tabs = w.Tab(
            children=[
                self.reliability,
                self.discussion,
                w.VBox([self.bias_chart, self.bias_table]),
                self.notes,
                self.settings,
                self.certainty,
            ]
        )
        tabs.titles = _TABS
        tabs.add_class("shinsa-tabs")
        tabs.observe(self._on_tab, names="selected_index")
        return tabs

    def _save_box(self, author: str | None) -> w.VBox:
        """新しい版として保存: the note, the author, the button, round.yaml's checkbox, the result."""
        self.save_note = w.Text(
            placeholder="変更の内容と理由（例: 支援の必要性を重視）",
            description="メモ:",
            layout=w.Layout(width="520px"),
            style={"description_width": "50px"},
        )
        self.save_note.add_class("shinsa-save-note")
        env_author = author if author is not None else environment().hub_user
        self.save_author = w.Text(
            value=env_author,
            placeholder="記入者",
            description="記入者:",
            layout=w.Layout(width="260px"),
            style={"description_width": "56px"},
        )
        self.save_author.add_class("shinsa-save-author")
        self.save_button = w.Button(
            description="新しい版として保存",
            icon="save",
            button_style="primary",
            tooltip="今の配点を新しいルーブリックの版（YAML）として保存します。元のファイルは変更しません。",
            layout=w.Layout(width="180px"),
        )
        self.save_button.add_class("shinsa-save-rubric")
        self.save_button.on_click(self._on_save)
        self.save_use = w.Checkbox(
            value=False,
            description="保存した版を round.yaml の評価基準にする",
            indent=False,
            layout=w.Layout(width="340px"),
        )
        self.save_use.add_class("shinsa-save-use")
        self.save_message = w.HTML()
        self.save_message.add_class("shinsa-save-message")
        return w.VBox(
            [
                w.HTML(
                    "<div class='shinsa-h'>新しい版として保存</div>"
                    "<div class='shinsa-muted'>今の配点（整数に丸め、合計 100 点）、統合方法とその設定、変更履歴を、"
                    "新しいルーブリックのファイルに書きます。元のファイルは上書きしません。</div>"
                ),
                w.HBox(
                    [self.save_note, self.save_author, self.save_button],
                    layout=w.Layout(align_items="center", flex_flow="row wrap"),
                ),
                self.save_use,
                self.save_message,
            ]
        )

    @classmethod
    def open(
        cls,
        rnd: ReviewRound,
        *,
        method: str | None = None,
        include_drafts: bool | None = None,
        url: str | None = None,
        author: str | None = None,
    ) -> TuningApp:
        """Read the round's scores and build the screen (see :meth:`TuningModel.open`).

        When the scores cannot be read or there are none yet, the screen shows why.
        """
        try:
            model = TuningModel.open(rnd, method=method, include_drafts=include_drafts, url=url)
        except (ValueError, TypeError, OSError) as exc:
            return cls(None, error=f"配点の調整画面を開けません。{error_message(exc)}", author=author)
        return cls(model, author=author)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    @staticmethod
    def _title_html(model: TuningModel | None) -> str:
        sub = ""
        if model is not None:
            rnd = model.round
            n = int(pd.to_numeric(model.scores["score"], errors="coerce").notna().sum())
            what = f"{esc(rnd.name)}　" if rnd is not None else ""
            sub = (
                f"<div class='shinsa-muted'>{what}評価基準: {esc(model.rubric.name_ja)}"
                f"（版 {esc(model.rubric.version)}）　点数 {n} 件"
                f"{'（下書きを含む）' if model.include_drafts else ''}</div>"
            )
        return f"<div style='font-size:18px;font-weight:bold'>配点の調整（事務局用）</div>{sub}"

    # -- messages -----------------------------------------------------------------------

    def show_error(self, message: str) -> None:
        """Show a Japanese error message above the screen."""
        self.error.value = f"<div class='shinsa-error-text'>⚠ {esc(message)}</div>"

    def clear_error(self) -> None:
        self.error.value = ""

    # -- callbacks ----------------------------------------------------------------------

    @guarded
    def _on_criterion(self, criterion: str, change: Mapping[str, Any]) -> None:
        if self._syncing or self.model is None:
            return
        self.model.set_criterion_weight(criterion, change["new"])
        self.refresh()

    @guarded
    def _on_group(self, group: str, change: Mapping[str, Any]) -> None:
        if self._syncing or self.model is None:
            return
        self.model.set_group_weight(group, change["new"])
        self.refresh()

    @guarded
    def _on_method(self, change: Mapping[str, Any]) -> None:
        if self._syncing or self.model is None:
            return
        self.model.set_method(change["new"])
        self.refresh()

    @guarded
    def _on_reset(self, _button: Any = None) -> None:
        if self.model is None:
            return
        self.model.reset_weights()
        self._syncing = True
        try:
            for s in self.group_sliders.values():
                s.value = 1.0
            for cid, s in self.criterion_sliders.items():
                s.value = float(self.model.rubric.criterion(cid).weight)
        finally:
            self._syncing = False
        self.refresh()

    @guarded
    def _on_tab(self, change: Mapping[str, Any]) -> None:
        if change["new"] is not None:
            self._refresh_tab(int(change["new"]))

    @guarded
    def _on_save(self, _button: Any = None) -> None:
        if self.model is None:
            return

        self.save_message.value = ""
        path = self.model.save_as_new_version(
            note=self.save_note.value, author=self.save_author.value or None
        )
        saved = load_rubric(path)
        method = saved.combining.method if saved.combining is not None else self.model.method
        self.clear_error()
        done = (
            f"<div style='color:#1a7f37'>保存しました: <code>{esc(path)}</code>（版 {esc(saved.version)}、"
            f"統合方法 {esc(METHOD_LABELS.get(method, method))}）。"
        )
        if self.save_use.value:
            value = self.model.use_in_round(path)
            done += (
                f"round.yaml の rubric を <code>{esc(value)}</code> にしました（他の行とコメントはそのまま）。"
                "次にラウンドを読み込むと、この版と統合方法が使われます。</div>"
            )
        else:
            done += (
                f"この配点で審査するときは、「保存した版を round.yaml の評価基準にする」に印を付けて保存するか、"
                f"round.yaml の rubric を <code>{esc(path.name)}</code> に変えてください。</div>"
            )
        self.save_message.value = done

    # -- drawing ------------------------------------------------------------------------

    def refresh(self) -> None:
        """Recompute the ranking and redraw it; the analysis tabs are redrawn when shown.

        Errors (e.g. every weight 0) are shown in Japanese; the last good ranking stays.
        """
        if self.model is None:
            return
        try:
            t0 = time.perf_counter()
            rk = self.model.ranking()
            t1 = time.perf_counter()
            # its own scroll box, reachable with the keyboard (tabindex) and named for screen readers
            self.ranking.value = (
                "<div class='shinsa-ranking-box' tabindex='0' role='region' aria-label='順位表'>"
                + ranking_html(rk, self.group_labels, top=self.model.select)
                + "</div>"
            )
            t2 = time.perf_counter()
            self.proposal.value = proposal_html(current_proposal(self.model))
        except Exception as exc:  # noqa: BLE001 - shown to the user
            self.show_error(error_message(exc))
            self.hash.value = ""
            return
        self.last_ranking_ms = (t1 - t0) * 1000
        self.last_render_ms = (t2 - t1) * 1000
        self.clear_error()
        eff = self.model.effective_weights()
        geff = self.model.effective_group_weights()
        for cid, label in self.criterion_effective.items():
            label.value = f"→ {eff[cid]:.1f} 点"
        for gid, label in self.group_effective.items():
            label.value = f"<b>→ {geff[gid]:.1f} 点</b>"
        top = (
            f"網掛けは審査対象の上位 {self.model.select} 件（バランス調整の前）。灰色は審査対象外（理由は注意）。"
            if self.model.select
            else ""
        )
        self.latency.value = (
            f"<div class='shinsa-muted'>{top}再計算 {self.last_ranking_ms:.1f} ms・"
            f"表の描画 {self.last_render_ms:.1f} ms　統合方法: "
            f"{esc(METHOD_LABELS.get(self.model.method, self.model.method))}</div>"
        )
        digest = self.model.settings_hash()
        self.hash.value = (
            f"<div data-hash='{digest}'>設定ハッシュ: <code class='shinsa-hash'>{digest}</code>"
            "<span class='shinsa-muted'>　（委員会資料にこの値を記録すると、同じ設定で再現できます。"
            "内容は「設定の記録」タブ）</span></div>"
        )
        self._stale = set(range(len(_TABS)))
        selected = self.tabs.selected_index
        self._refresh_tab(0 if selected is None else int(selected))

    def refresh_all(self) -> None:
        """Redraw every analysis tab now (e.g. before a static export)."""
        for i in range(len(_TABS)):
            self._refresh_tab(i)

    def _refresh_tab(self, index: int) -> None:
        if self.model is None or index not in self._stale:
            return
        m = self.model
        try:
            if index == 0:
                self.reliability.value = self._reliability_html()
            elif index == 1:
                self.discussion.value = self._discussion_html()
            elif index == 2:
                table = m.reviewer_table()
                self.bias_chart.value = reviewer_bias_png(table, method=m.method)
                self.bias_table.value = self._bias_html(table)
            elif index == 3:
                notes = m.notes()
                items = "".join(f"<li>{esc(n)}</li>" for n in notes)
                self.notes.value = (
                    f"<ul class='shinsa-muted'>{items}</ul>"
                    if notes
                    else "<div class='shinsa-muted'>注意事項はありません。</div>"
                )
            elif index == 4:
                text = json.dumps(m.settings(), ensure_ascii=False, indent=2)
                self.settings.value = (
                    f"<div>設定ハッシュ <code class='shinsa-hash'>{m.settings_hash()}</code>"
                    "（round.path と rubric.source は記録のみで、ハッシュには含めません）</div>"
                    f"<pre style='font-size:11px'>{esc(text)}</pre>"
                )
            elif index == 5:
                self.certainty.value = self._certainty_html()
        except Exception as exc:  # noqa: BLE001 - shown to the user
            self.show_error(error_message(exc))
            return
        self._stale.discard(index)

    def _certainty_html(self) -> str:
        """選定の確かさ: another panel's overlap with the proposal, and why totals move together."""
        assert self.model is not None
        summary, table = tuning_second_panel(self.model)
        rows = (
            _table(
                table.assign(割合=[_num(v * 100, "{:.0f}") + "％" for v in table["割合"]]), right=("割合",)
            )
            if len(table)
            else ""
        )
        return (
            f"<div class='shinsa-h'>別の審査員団なら（選定案の再現性）</div><div>{esc(summary)}</div>{rows}"
            f"<div class='shinsa-h'>読み方</div><div class='shinsa-muted'>{esc(explanation_ja(self.model.method))}</div>"
        )

    def _reliability_html(self) -> str:
        assert self.model is not None
        rel = self.model.reliability()
        rubric = self.model.rubric
        labels = {c.id: c.label_ja for c in rubric.criteria}

        def alpha(v: float) -> str:
            s = _num(v, "{:.2f}")
            return f"<span class='shinsa-down'>{s}</span>" if np.isfinite(v) and v < 0.667 else s

        frame = pd.DataFrame(
            {
                "評価項目": ["合計点" if c == "total" else esc(labels.get(c, c)) for c in rel["criterion"]],
                "α（間隔）": [alpha(v) for v in rel["alpha_interval"]],
                "α（順序）": [alpha(v) for v in rel["alpha_ordinal"]],
                "ICC(A,1)": [_num(v, "{:.2f}") for v in rel["icc_a1"]],
                "ICC(A,k)": [_num(v, "{:.2f}") for v in rel["icc_ak"]],
                "Kendall W": [_num(v, "{:.2f}") for v in rel["kendall_w"]],
                "点数": [str(int(v)) for v in rel["n_scores"]],
                "判定": [esc(v) for v in rel["judgement"]],
            }
        )
        return (
            _table(frame, right=("α（間隔）", "α（順序）", "ICC(A,1)", "ICC(A,k)", "Kendall W", "点数"))
            + "<div class='shinsa-muted'>Krippendorff の α は 0.800 以上で信頼でき、0.667〜0.800 は暫定的"
            "（赤字は 0.667 未満）。<b>値が低い項目ほど、審査員を入れ替えれば点が変わりやすく、選定ライン付近の"
            "順位はその項目しだいで入れ替わりえます。協議対象タブの応募で確かめてください。</b>ICC は採点された"
            "セルから推定します（利害関係で外れた審査員がいても計算。Kendall の W は全員が全件を採点したときだけ）。"
            "合計点の行だけが配点で変わります。</div>"
        )

    def _discussion_html(self) -> str:
        assert self.model is not None
        m = self.model
        d = m.discussion()
        if d.empty:
            return "<div class='shinsa-muted'>協議が必要な応募はありません。</div>"
        n_apps = int((m.ranking()["n_reviewers"] > 0).sum())
        frame = pd.DataFrame(
            {
                "応募": [esc(a) for a in d["application"]],
                HEADERS_JA["prefecture_name"]: [esc(n) for n in d["prefecture_name"]],
                HEADERS_JA["rank"]: [_num(v, "{:.0f}") for v in d["rank"]],
                HEADERS_JA["total"]: [_num(v) for v in d["total"]],
                "理由": [esc(r) for r in d["reason"]],
            }
        )
        caveat = (
            "<div class='shinsa-muted'>※ 選定ライン付近（選定数の前後1位）と、審査員の甘辛を差し引いても"
            "意見が分かれている応募を挙げています。理由の点数は素点です。</div>"
        )
        return (
            f"<div class='shinsa-muted'>協議対象 {len(d)} 件（全 {n_apps} 件中）。</div>"
            + _table(frame, wrap=("理由",), right=(HEADERS_JA["rank"], HEADERS_JA["total"]))
            + caveat
        )

    @staticmethod
    def _bias_html(table: pd.DataFrame) -> str:
        frame = pd.DataFrame(
            {
                "審査員": [esc(r) for r in table["reviewer"]],
                "氏名": [esc(n) for n in table["name"]],
                "立場": [esc(r) for r in table["role"]],
                "採点数": [str(int(n)) for n in table["n_scored"]],
                "素点の甘辛（点）": [_num(v, "{:+.1f}") for v in table["leniency"]],
                "標準誤差": [_num(v) for v in table["leniency_se"]],
                "傾向": [esc(t) for t in table["tendency"]],
                "補正モデルの推定（点）": [_num(v, "{:+.1f}") for v in table["model_bias_total"]],
                "尺度の使い方": [_num(v, "{:.2f}") for v in table["model_scale"]],
            }
        )
        return (
            _table(
                frame,
                right=("採点数", "素点の甘辛（点）", "標準誤差", "補正モデルの推定（点）", "尺度の使い方"),
            )
            + "<div class='shinsa-muted'>点は合計点（100点満点）の差。素点の甘辛 = 同じ応募の他の審査員の平均との差の平均"
            "（＋甘め／－厳しめ、傾向は t ≥ 2 で判定）。補正モデルの推定 = 選んだ統合方法が補正した甘辛"
            "（平均・中央値・刈込平均は補正しないため「―」）。尺度の使い方 &gt; 1 は点数の幅を広く使う審査員。</div>"
        )
