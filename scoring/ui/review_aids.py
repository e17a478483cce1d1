"""What helps the reviewer use the scoring screen (:mod:`scoring.ui.review_view`), issue 22 / 19:

* :func:`usage_html`: a short 使い方 at the top (what is saved, what 提出 cannot undo);
* :func:`logout_html`: the ログアウト link of the app's header under JupyterHub;
* :func:`chart_html`: the reviewer's own score counts as an image *with* a text alternative;
* :func:`receipt_rows` and :func:`receipts_html`: 「提出の記録」 (application, time, 受領コード)
  that the reviewer can copy or print;
* :func:`last_saved`: when the open application was last saved (shown after a reload);
* :data:`A11Y_CSS`: text sizes, contrast and a visible focus ring (JIS X 8341-3 AA).
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Mapping
from typing import Any, NamedTuple

import pandas as pd

from ..core.clock import JST
from ..core.environment import environment
from ..core.errors import StoreError
from ..review.session import format_level
from .widgets import esc

__all__ = [
    "A11Y_CSS",
    "ReceiptRow",
    "chart_html",
    "last_saved",
    "logout_html",
    "receipt_rows",
    "receipts_html",
    "usage_html",
]

#: Body and level texts of at least 14 px, grey text with a contrast of at least 4.5:1 on
#: white (#595959: 7.0:1), and a focus ring of 3 px #0b57d0 (6.4:1 on white, ≥ 3:1).
A11Y_CSS = """
<style>
.shinsa-app {font-size: 15px; color: #1a1a1a;}
.shinsa-app .shinsa-muted, .shinsa-app .shinsa-text, .shinsa-app table.shinsa-table,
.shinsa-app table.shinsa-anchors, .shinsa-app .widget-html-content {font-size: 15px;}
.shinsa-app .shinsa-muted {color: #595959;}
.shinsa-app table.shinsa-table th, .shinsa-app table.shinsa-anchors td.shinsa-anchor-level {color: #4a4a4a;}
.shinsa-app .shinsa-empty {color: #595959;}
.shinsa-app button:focus-visible, .shinsa-app select:focus-visible, .shinsa-app textarea:focus-visible,
.shinsa-app input:focus-visible, .shinsa-app a:focus-visible, .shinsa-app summary:focus-visible,
.shinsa-app button:focus, .shinsa-app textarea:focus, .shinsa-app select:focus {
  outline: 3px solid #0b57d0 !important; outline-offset: 2px; box-shadow: none;}
.shinsa-app .jupyter-button.mod-success {background-color: #1b6e2e;}
.shinsa-app .jupyter-button.mod-primary {background-color: #0b57d0;}
.shinsa-app .jupyter-widgets.widget-textarea {height: auto;}
.shinsa-app [class*="shinsa-comment-"] textarea, .shinsa-app [class*="shinsa-to-applicant-"] textarea {
  min-height: 5.6em; field-sizing: content; max-height: 30em; line-height: 1.6; font-size: 15px;
  resize: vertical;}
.shinsa-app [class*="shinsa-to-applicant-"] textarea {min-height: 3.8em;}
.shinsa-app .shinsa-comment-label {font-size: 14px; color: #4a4a4a; margin: 4px 0 0 0;}
/* The 申請者への所見 (sent, after the 事務局's review) set apart from the internal comment. */
.shinsa-app .shinsa-to-applicant {border-left: 4px solid #1b6e2e; background: #f1f7f2;
  padding: 4px 4px 4px 10px; margin: 6px 0 2px 0; border-radius: 2px;}
.shinsa-app .shinsa-to-applicant-label {color: #1b4d27; font-size: 15px;}
.shinsa-app .shinsa-usage {background: #f3f6fa; border: 1px solid #c8d3e0; border-radius: 4px;
  padding: 6px 12px; margin: 6px 0; line-height: 1.7;}
.shinsa-app .shinsa-usage ol {margin: 2px 0 2px 1.4em; padding: 0;}
.shinsa-app .shinsa-header {display: flex; align-items: baseline; gap: 16px; flex-wrap: wrap;}
.shinsa-app a.shinsa-logout {margin-left: auto; color: #0b57d0; font-weight: bold;}
.shinsa-app .shinsa-confirm {background: #fff4d6; border: 2px solid #a15c00; border-radius: 4px;
  padding: 6px 10px; margin: 6px 0;}
.shinsa-app table.shinsa-receipts-table {border-collapse: collapse; margin: 4px 0;}
.shinsa-app table.shinsa-receipts-table th, .shinsa-app table.shinsa-receipts-table td {
  border: 1px solid #c8d3e0; padding: 3px 10px; text-align: left;}
.shinsa-app .shinsa-receipts textarea {position: absolute; left: -9999px; width: 1px; height: 1px;}
.shinsa-app .shinsa-receipts button {margin-right: 8px;}
/* 200 % zoom on a laptop (about 680 CSS px): the columns are stacked, so neither sticks over
   the other, and on a low window the status bar scrolls with the page instead of covering it. */
@media (max-width: 760px) {
  .shinsa-app .shinsa-left, .shinsa-app .shinsa-scoring {position: static;}
}
@media (max-height: 520px) {
  .shinsa-app .shinsa-statusbar {position: static;}
}
@media print {
  body.shinsa-print-receipts * {visibility: hidden;}
  body.shinsa-print-receipts .shinsa-receipts, body.shinsa-print-receipts .shinsa-receipts * {
    visibility: visible;}
  body.shinsa-print-receipts .shinsa-receipts {position: absolute; top: 0; left: 0;}
  body.shinsa-print-receipts .shinsa-receipts button {display: none;}
}
</style>
"""


def usage_html() -> str:
    """The short 使い方 shown at the top of the app (before anything is scored)."""
    return (
        "<div class='shinsa-usage' role='note' aria-label='使い方'><b>使い方</b><ol>"
        "<li>左の応募書を読み、右の評価項目ごとに点数（1〜5）を選びます。1点・5点などには理由のコメントが必要です。</li>"
        "<li>コメントは事務局・選定委員会向けのメモで、申請者には伝わりません。申請者に伝えたいことは"
        "「申請者への所見」に書きます（任意。事務局の確認を経て講評に引用されることがあります）。</li>"
        "<li>点数とコメントは自動で保存されます（上の帯に「保存済み 時刻」）。途中でやめても、次に開くと続きから始まります。</li>"
        "<li>すべて入力したら「提出」を押します。<b>提出すると、その応募書の点数とコメントは自分では変更できません</b>"
        "（変更は事務局に再開を依頼します）。提出のたびに受領コードが表示され、下の「提出の記録」に残ります。</li>"
        "</ol></div>"
    )


def logout_html(environ: Mapping[str, str] | None = None) -> str:
    """The ログアウト link (JupyterHub's ``/hub/logout``); empty outside JupyterHub."""
    env = environment(environ)
    if not env.hub_user:
        return ""
    base = (env.hub_base_url or "/").rstrip("/")
    return f"<a class='shinsa-logout' href='{esc(base)}/hub/logout' target='_top'>ログアウト</a>"


def chart_html(counts: pd.Series, png: bytes) -> str:
    """The chart image with a text alternative that says the same (the counts and the mean)."""
    n = int(counts.sum())
    if n:
        parts = "、".join(
            f"{format_level(float(v))}点 {int(c)} 件"
            for v, c in zip(counts.index.to_numpy(dtype=float), counts)
        )
        mean = float((counts.index.to_numpy(dtype=float) * counts.to_numpy()).sum() / n)
        alt = f"自分の点数の分布（下書きを含む、{n} 件、平均 {mean:.2f}）: {parts}"
    else:
        alt = "自分の点数の分布: まだ採点していません"
    data = base64.b64encode(png).decode("ascii")
    return f"<img src='data:image/png;base64,{data}' alt='{esc(alt)}' style='width:420px;max-width:100%'>"


def last_saved(store: Any, reviewer: str, application: str) -> dt.datetime | None:
    """When ``reviewer`` last saved anything on ``application`` (None: never, or unreadable)."""
    try:
        events = store.events()
    except (StoreError, AttributeError):
        return None
    mine = events[(events["reviewer"] == reviewer) & (events["application"] == application)]
    if mine.empty:
        return None
    return pd.Timestamp(mine["timestamp"].max()).to_pydatetime()


class ReceiptRow(NamedTuple):
    """One line of 「提出の記録」."""

    application: str
    name: str
    submitted_at: dt.datetime | None
    code: str


def receipt_rows(
    store: Any, reviewer: str, names: Mapping[str, str], known: Mapping[str, str]
) -> list[ReceiptRow]:
    """The reviewer's submitted pairs with their receipt codes, from the store.

    ``known`` (the codes this page received at 提出) fills in when the store's receipts
    cannot be read.
    """
    rows: dict[str, ReceiptRow] = {}
    try:
        df = store.receipts()
    except (StoreError, AttributeError):
        df = pd.DataFrame(columns=["reviewer", "application", "receipt", "submitted_at"])
    for r in df[df["reviewer"] == reviewer].itertuples():
        at = pd.Timestamp(r.submitted_at).to_pydatetime() if pd.notna(r.submitted_at) else None
        rows[str(r.application)] = ReceiptRow(
            str(r.application), names.get(str(r.application), ""), at, str(r.receipt)
        )
    for app, code in known.items():
        if app not in rows:
            rows[app] = ReceiptRow(app, names.get(app, ""), None, code)
    return sorted(rows.values(), key=lambda r: r.application)


def _when(at: dt.datetime | None) -> str:
    return f"{at.astimezone(JST):%Y-%m-%d %H:%M}" if at is not None else "—"


def receipts_html(reviewer_label: str, rows: list[ReceiptRow]) -> str:
    """「提出の記録」: a table, a hidden plain-text copy, and コピー / 印刷 buttons."""
    head = "<h3 class='shinsa-h' style='font-size:15px'>提出の記録（受領コード）</h3>"
    if not rows:
        return f"<div class='shinsa-receipts'>{head}<div class='shinsa-muted'>まだ提出した応募書はありません。</div></div>"
    lines = [f"{reviewer_label} 提出の記録", "応募書\t提出日時\t受領コード"]
    body = []
    for r in rows:
        lines.append(f"{r.application} {r.name}\t{_when(r.submitted_at)}\t{r.code}")
        body.append(
            f"<tr><td>{esc(r.application)} {esc(r.name)}</td><td>{esc(_when(r.submitted_at))}</td>"
            f"<td><code class='shinsa-receipt-code'>{esc(r.code)}</code></td></tr>"
        )
    copy_js = (
        "var t=this.parentNode.querySelector('textarea');t.select();"
        "try{document.execCommand('copy');}catch(e){}"
        "if(navigator.clipboard){navigator.clipboard.writeText(t.value).catch(function(){});}"
        "this.parentNode.querySelector('.shinsa-copied').textContent='コピーしました';"
    )
    print_js = (
        "document.body.classList.add('shinsa-print-receipts');window.print();"
        "document.body.classList.remove('shinsa-print-receipts');"
    )
    return (
        f"<div class='shinsa-receipts'>{head}"
        "<div class='shinsa-muted'>受領コードは、提出した点数・コメント・所見が事務局でそのまま記録されていることを"
        "確かめるための番号です。控えておいてください。</div>"
        "<table class='shinsa-receipts-table'><caption class='shinsa-muted' style='text-align:left'>"
        f"{esc(reviewer_label)}</caption><thead><tr><th scope='col'>応募書</th><th scope='col'>提出日時</th>"
        f"<th scope='col'>受領コード</th></tr></thead><tbody>{''.join(body)}</tbody></table>"
        f"<textarea readonly aria-hidden='true' tabindex='-1'>{esc(chr(10).join(lines))}</textarea>"
        f"<button type='button' class='shinsa-copy-receipts' onclick=\"{copy_js}\">記録をコピー</button>"
        f"<button type='button' class='shinsa-print-receipts' onclick=\"{print_js}\">記録を印刷</button>"
        "<span class='shinsa-copied' role='status'></span></div>"
    )
