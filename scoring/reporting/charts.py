"""Charts for people, as PNG bytes (matplotlib with Japanese fonts, no display needed).

- :func:`reviewer_bias_png`: the reviewers' leniency (甘辛) on the tuning screen.

The committee material's charts are drawn in :mod:`scoring.reporting.committee_report`.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from ..core.columns import METHOD_LABELS

__all__ = ["reviewer_bias_png"]


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
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib_fontja  # noqa: F401  (registers the Japanese font)
    from matplotlib.figure import Figure

    n = len(table)
    labels = [f"{r} {_label(str(nm), 8)}".strip() for r, nm in zip(table["reviewer"], table["name"], strict=True)]
    y = np.arange(n)[::-1]
    fig = Figure(figsize=(6.4, 1.9 + 0.36 * max(n, 1)), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    len_ = table["leniency"].to_numpy(dtype=float)
    err = 2 * table["leniency_se"].to_numpy(dtype=float)
    ax.barh(y, np.nan_to_num(len_), xerr=np.where(np.isfinite(err), err, 0), color="#A0CBE8",
            edgecolor="#4E79A7", height=0.6, error_kw={"ecolor": "#555555", "capsize": 3, "lw": 1},
            label="素点の甘辛（他の審査員の平均との差、±2標準誤差）")
    model = table["model_bias_total"].to_numpy(dtype=float)
    if np.isfinite(model).any():
        name = METHOD_LABELS.get(method or "", method or "")
        ax.scatter(model, y, marker="D", s=36, color="#F28E2B", edgecolor="black", linewidths=0.5, zorder=3,
                   label=f"補正モデルの推定（{name}）")
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(y, labels)
    ax.set_xlabel("合計点（100点満点）の差　＋甘め／－厳しめ")
    title = "審査員の甘辛"
    if method is not None and not np.isfinite(model).any():
        title += f"（{METHOD_LABELS.get(method, method)}は甘辛を補正しません）"
    ax.set_title(title, fontsize=10)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.legend(fontsize=7, loc="outside lower center", ncol=1, frameon=False)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()

