"""Charts for people, as PNG bytes (matplotlib with Japanese fonts, no display needed).

- :func:`reviewer_bias_png`: the reviewers' leniency (甘辛) on the tuning screen;
- :func:`distribution_png`: a reviewer's own score counts on the scoring screen.

The committee material's charts are drawn in :mod:`scoring.reporting.committee_charts`; every
figure comes from :func:`scoring.reporting.figures.new_figure`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..config.rubric import format_level
from ..core.columns import HEADERS_JA, METHOD_LABELS
from .figures import new_figure, png_bytes

__all__ = ["distribution_png", "reviewer_bias_png"]


def _label(text: str, width: int = 14) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def reviewer_bias_png(table: pd.DataFrame, *, method: str | None = None) -> bytes:
    """A chart of the reviewers' leniency (甘辛), as PNG bytes.

    Parameters
    ----------
    table : pandas.DataFrame
        As :meth:`TuningModel.reviewer_table` returns.
    method : str, optional
        The method whose estimate ``model_bias_total`` is (for the legend).

    Notes
    -----
    Bars: the raw leniency (mean difference from the other reviewers' mean, total
    points) with ±2 standard errors; diamonds: the bias the method estimated, in the
    same units (none for mean, median and trimmed).  Drawn with matplotlib's object API
    (no pyplot state) and the bundled IPAex font (``matplotlib_fontja``): offline and
    headless.
    """
    n = len(table)
    labels = [
        f"{r} {_label(str(nm), 8)}".strip() for r, nm in zip(table["reviewer"], table["name"], strict=True)
    ]
    y = np.arange(n)[::-1]
    fig = new_figure(6.4, 1.9 + 0.36 * max(n, 1), layout="constrained")
    ax = fig.add_subplot()
    len_ = table["leniency"].to_numpy(dtype=float)
    err = 2 * table["leniency_se"].to_numpy(dtype=float)
    ax.barh(
        y,
        np.nan_to_num(len_),
        xerr=np.where(np.isfinite(err), err, 0),
        color="#A0CBE8",
        edgecolor="#4E79A7",
        height=0.6,
        error_kw={"ecolor": "#555555", "capsize": 3, "lw": 1},
        label="素点の甘辛（他の審査員の平均との差、±2標準誤差）",
    )
    model = table["model_bias_total"].to_numpy(dtype=float)
    if np.isfinite(model).any():
        name = METHOD_LABELS.get(method or "", method or "")
        ax.scatter(
            model,
            y,
            marker="D",
            s=36,
            color="#F28E2B",
            edgecolor="black",
            linewidths=0.5,
            zorder=3,
            label=f"補正モデルの推定（{name}）",
        )
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(y, labels)
    ax.set_xlabel(f"{HEADERS_JA['total']}の差　＋甘め／－厳しめ")
    title = "審査員の甘辛"
    if method is not None and not np.isfinite(model).any():
        title += f"（{METHOD_LABELS.get(method, method)}は甘辛を補正しません）"
    ax.set_title(title, fontsize=10)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.legend(fontsize=7, loc="outside lower center", ncol=1, frameon=False)
    return png_bytes(fig)


def distribution_png(counts: pd.Series, *, title: str = "自分の点数の分布（下書きを含む）") -> bytes:
    """A small bar chart of one reviewer's own score counts, as PNG bytes.

    Parameters
    ----------
    counts : Series
        As :meth:`scoring.review.session.ReviewSession.distribution` returns (index score,
        values counts).
    title : str
        Chart title; the number of scores and their mean are appended.
    """
    from matplotlib.ticker import MaxNLocator

    n = int(counts.sum())
    mean = float((counts.index.to_numpy(dtype=float) * counts.to_numpy()).sum() / n) if n else float("nan")
    labels = [format_level(v) for v in counts.index]
    fig = new_figure(4.2, 2.2)
    ax = fig.add_subplot()
    ax.bar(labels, counts.to_numpy(), color="#4E79A7", width=0.7)
    ax.set_xlabel("点数")
    ax.set_ylabel("件数")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    stats = f"（{n} 件、平均 {mean:.2f}）" if n else "（まだ採点していません）"
    ax.set_title(f"{title}{stats}", fontsize=9)
    fig.subplots_adjust(left=0.12, right=0.97, bottom=0.24, top=0.86)
    return png_bytes(fig)
