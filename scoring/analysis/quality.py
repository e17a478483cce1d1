"""What the committee should read *about* the result (issue 20): the two 協議 lists, a
second-panel estimate, the method sensitivity and the explanation of P(selected).

- :func:`near_line` — 「選定ラインの近く」: applications whose selection could plausibly be
  different, from the calibrated P(selected) (the stability analysis with the committee's own
  method) and the totals' honest uncertainty (:func:`scoring.analysis.uncertainty.honest_se`).
  This list is the selection risk.
- :func:`split_points` — 「評価が大きく割れた点」: per application and criterion, where the
  reviewers read the application differently beyond their habits. For discussing merits;
  **not** a selection risk (issue 20: flags for disagreement alone found fewer selection
  errors than a random pick).
- :func:`second_panel` — how many of the proposed five another panel of the same size would
  also pick: pairs of independent resampled panels (each application's reviewers drawn with
  replacement, the committee's method), the overlap of their selections.
- :func:`method_sensitivity` — 「方法を変えた場合」: which of the five would change under each
  combining method. Shown separately from P(selected).
- :func:`explanation_ja` — why one revision moves other totals, and how P(selected) and the
  method sensitivity differ (one short Japanese text).

Calibration of the thresholds: ``benchmarks/bench_uncertainty.py``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..agreement.discussion import GAP_LEVELS
from ..agreement.habits import remove_leniency
from ..combine import DEFAULT_METHOD, METHODS, make_combiner
from ..config.round import Balance, SelectSpec
from ..config.rubric import Rubric
from ..core.columns import METHOD_LABELS
from ..selection import FastSelector, StabilityAnalysis
from ..selection.stability import _as_k

__all__ = [
    "NEAR_LINE_BAND",
    "NEAR_LINE_Z",
    "SPLIT_LEVELS",
    "explanation_ja",
    "method_sensitivity",
    "near_line",
    "second_panel",
    "second_panel_table",
    "split_points",
]

#: P(selected) strictly inside this band puts an application on 「選定ラインの近く」.
NEAR_LINE_BAND: tuple[float, float] = (0.05, 0.95)
#: ... and so does a total within this many (honest) SEs of the selection line.
NEAR_LINE_Z = 1.0
#: A criterion on which the reviewers are this many levels apart after their leniency is removed.
SPLIT_LEVELS = GAP_LEVELS - 1.0


def _line(t: pd.Series, k: int, selected: set[str]) -> float:
    """The selection line: midway between the lowest selected total and the highest other one."""
    up = t[t.index.isin(selected)]
    down = t[~t.index.isin(selected)]
    if up.empty or down.empty:
        return float("nan")
    return float((up.min() + down.max()) / 2)


def near_line(
    totals: pd.Series,
    se: pd.Series,
    p_selected: pd.Series,
    k: int,
    *,
    selected: Iterable[str] | None = None,
    band: tuple[float, float] = NEAR_LINE_BAND,
    z: float = NEAR_LINE_Z,
) -> pd.DataFrame:
    """「選定ラインの近く」: the applications whose selection could plausibly differ.

    An application is flagged when its P(selected) is strictly inside ``band`` or its total is
    within ``z`` honest SEs of the selection line (midway between the lowest selected total and
    the highest unselected one). Applications without a total are left out.

    Returns
    -------
    DataFrame
        Index ``application``; columns ``total``, ``se``, ``p_selected``, ``selected`` (bool),
        ``distance`` (total − line in SEs), ``flag`` (bool) and ``reason`` (Japanese, "" when
        not flagged). Sorted by total, best first.
    """
    t = pd.Series(totals, dtype=float)
    t.index = t.index.astype(str)
    t = t[t.notna()].sort_values(ascending=False, kind="stable")
    s = pd.Series(se, dtype=float)
    s.index = s.index.astype(str)
    p = pd.Series(p_selected, dtype=float)
    p.index = p.index.astype(str)
    chosen = set(map(str, selected)) if selected is not None else set(t.index[: int(k)])
    line = _line(t, k, chosen)
    out = pd.DataFrame({"total": t, "se": s.reindex(t.index), "p_selected": p.reindex(t.index)})
    out.index.name = "application"
    out["selected"] = out.index.isin(chosen)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["distance"] = (out["total"] - line) / out["se"]
    lo, hi = band
    by_p = (out["p_selected"] > lo) & (out["p_selected"] < hi)
    by_se = out["distance"].abs() < z
    out["flag"] = by_p | by_se
    reasons = []
    for pv, d, fp, fs in zip(out["p_selected"], out["distance"], by_p, by_se, strict=True):
        parts = []
        if fp:
            parts.append(f"選定される確率 {pv:.0%}")
        if fs:
            parts.append(f"合計点が選定ラインから標準誤差の{abs(d):.1f}倍")
        reasons.append("、".join(parts))
    out["reason"] = reasons
    return out


def split_points(
    scores: pd.DataFrame,
    rubric: Rubric | None = None,
    *,
    levels: float = SPLIT_LEVELS,
    labels: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """「評価が大きく割れた点」: application × criterion where the reviewers are ``levels`` or more
    levels apart after each reviewer's leniency is removed (:func:`remove_leniency`).

    Returns
    -------
    DataFrame
        Columns ``application``, ``criterion``, ``label`` (the rubric's), ``gap_levels``
        (adjusted range in levels), ``scores`` (the raw scores, e.g. ``審査員A=2, 審査員B=5``),
        sorted by application then the gap (largest first).
    """
    sc = scores[scores["score"].notna()].copy()
    sc["application"] = sc["application"].astype(str)
    sc["reviewer"] = sc["reviewer"].astype(str)
    cols = ["application", "criterion", "label", "gap_levels", "scores"]
    if sc.empty:
        return pd.DataFrame(columns=cols)
    step = {c.id: float(c.effective_scale.step) for c in rubric.criteria} if rubric is not None else {}
    label = {c.id: c.label_ja for c in rubric.criteria} if rubric is not None else {}
    adj = remove_leniency(sc)
    adj["u"] = adj["score"] / adj["criterion"].map(lambda c: step.get(c, 1.0))
    g = adj.groupby(["application", "criterion"], sort=False)["u"]
    gap = (g.max() - g.min()).rename("gap_levels").reset_index()
    gap = gap[gap["gap_levels"] >= levels - 1e-9]
    names = dict(labels or {})
    rows = []
    for app, crit, gl in gap.itertuples(index=False):
        part = sc[(sc["application"] == app) & (sc["criterion"] == crit)].sort_values("reviewer")
        text = ", ".join(
            f"{names.get(r, r)}={v:g}" for r, v in zip(part["reviewer"], part["score"], strict=True)
        )
        rows.append((app, crit, label.get(crit, crit), float(gl), text))
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["application", "gap_levels"], ascending=[True, False], kind="stable").reset_index(
        drop=True
    )


def second_panel(
    scores: pd.DataFrame,
    rubric: Rubric,
    candidates: pd.DataFrame,
    k: int | SelectSpec | tuple[int, ...],
    balance: Balance | None = None,
    *,
    method: str = DEFAULT_METHOD,
    method_options: Mapping[str, Any] | None = None,
    weights: pd.Series | Mapping[str, float] | None = None,
    n_splits: int = 200,
    seed: int = 0,
    interval: float = 0.9,
    locks: Iterable[str] = (),
    exclusions: Iterable[str] = (),
    overrides: Iterable[str] = (),
) -> dict[str, Any]:
    """How many of the proposed five another panel of the same size would also pick.

    ``n_splits`` pairs of independent resampled panels: in each, every application's reviewers
    are drawn with replacement (as many as it has), the committee's method combines them and the
    balanced selection is made (the stability analysis's resamples, ``2 × n_splits`` of them);
    the overlap of the two selections of a pair is one draw of "how many of one panel's picks
    another panel of the same size also picks". The reviewer calibration is held fixed (as in
    the stability analysis), so the estimate is if anything slightly optimistic.

    Returns
    -------
    dict
        ``k`` (places), ``expected`` (mean overlap), ``lo`` and ``hi`` (the ``interval`` range
        of the overlap of one other panel), ``shares`` (overlap 0..k → share of pairs),
        ``n_splits``, ``n_infeasible``.
    """
    opts: dict[str, Any] = {}
    if method_options:
        opts["method_options"] = {method: dict(method_options)}
    if weights is not None:
        opts["weight_ranges"] = {str(c): (float(v), float(v)) for c, v in dict(weights).items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        an = StabilityAnalysis(n_boot=2 * int(n_splits), seed=seed, baseline_method=method, **opts).fit(
            scores, rubric, candidates, k, balance, locks=locks, exclusions=exclusions, overrides=overrides
        )
    cand = candidates.copy()
    cand.index = cand.index.astype(str)
    kk = _as_k(k)
    sel = FastSelector(
        cand.sort_index(), kk, balance, locks=locks, exclusions=exclusions, overrides=overrides
    )
    tot = an.totals_.reindex(columns=sel.ids).to_numpy(dtype=float)
    picks = [sel.select(row) for row in tot]
    overlaps = [
        len(set(a) & set(b))
        for a, b in zip(picks[0::2], picks[1::2], strict=False)
        if a is not None and b is not None
    ]
    arr = np.array(overlaps, dtype=float)
    q = (1 - interval) / 2
    return {
        "k": kk,
        "expected": float(arr.mean()) if len(arr) else float("nan"),
        "lo": float(np.quantile(arr, q, method="inverted_cdf")) if len(arr) else float("nan"),
        "hi": float(np.quantile(arr, 1 - q, method="inverted_cdf")) if len(arr) else float("nan"),
        "shares": {j: float((arr == j).mean()) if len(arr) else float("nan") for j in range(kk + 1)},
        "n_splits": int(n_splits),
        "n_infeasible": int(n_splits) - len(arr),
        "interval": interval,
    }


def second_panel_table(result: Mapping[str, Any]) -> pd.DataFrame:
    """:func:`second_panel` as the committee's reference table (Japanese headers): one row per
    number of the proposal another panel would also pick, with its share, and a summary row."""
    k = int(result["k"])
    rows = [(f"{j} 件", result["shares"].get(j, float("nan"))) for j in range(k, -1, -1)]
    frame = pd.DataFrame(rows, columns=["もう一つの審査員団も選ぶ提案の件数", "割合"])
    if not np.isfinite(result.get("expected", float("nan"))):
        frame.attrs["summary"] = "別の審査員団の推定はありません（点数がないか、選定ができません）。"
        return frame
    lo, hi = int(result["lo"]), int(result["hi"])
    frame.attrs["summary"] = (
        f"同じ人数の別の審査員団なら、提案の{k}件のうち平均 {result['expected']:.1f} 件を選びます"
        f"（{result['interval']:.0%} の範囲 {lo}〜{hi} 件、{result['n_splits']} 組の再標本から）。"
    )
    return frame


def method_sensitivity(
    scores: pd.DataFrame,
    rubric: Rubric,
    candidates: pd.DataFrame,
    k: int | SelectSpec | tuple[int, ...],
    balance: Balance | None = None,
    *,
    proposed: Iterable[str],
    weights: pd.Series | Mapping[str, float] | None = None,
    methods: Iterable[str] = METHODS,
    locks: Iterable[str] = (),
    exclusions: Iterable[str] = (),
    overrides: Iterable[str] = (),
) -> pd.DataFrame:
    """「方法を変えた場合」: the selection under each combining method against the proposal.

    Returns
    -------
    DataFrame
        One row per method: ``method``, ``selected`` (ids, comma-joined, "" if infeasible),
        ``out`` (proposed ids not selected), ``in`` (selected ids not proposed), ``n_changed``.
    """
    cand = candidates.copy()
    cand.index = cand.index.astype(str)
    cand = cand.sort_index()
    kk = _as_k(k)
    sel = FastSelector(cand, kk, balance, locks=locks, exclusions=exclusions, overrides=overrides)
    prop = [str(a) for a in proposed]
    rows = []
    for m in methods:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            t = make_combiner(m).fit(scores, rubric).totals(weights)["total"]
        t.index = t.index.astype(str)
        got = sel.select_ids(t.reindex(sel.ids).to_numpy(dtype=float)) or []
        out_ = [a for a in prop if a not in got]
        in_ = [a for a in got if a not in prop]
        rows.append((m, ",".join(sorted(got)), ",".join(out_), ",".join(in_), len(out_)))
    return pd.DataFrame(rows, columns=["method", "selected", "out", "in", "n_changed"])


def explanation_ja(method: str = DEFAULT_METHOD, n_boot: int | None = None) -> str:
    """Why one revision moves other totals, and how P(selected) and the method sensitivity differ.

    The method is named in Japanese (:data:`~scoring.core.columns.METHOD_LABELS`: the committee's
    documents carry no setting name); ``n_boot`` is said only when known.
    """
    calibrates = method in ("affine", "additive", "zscore", "mixed")
    first = (
        "合計点は、審査員ごとの甘辛と点数の幅をすべての採点からまとめて推定して補正しています。"
        "そのため、協議で1件の点数を直すと、その審査員の甘辛の推定が変わり、同じ審査員が採点した"
        "ほかの応募の合計点も少し動きます（点数を直していない応募の順位が入れ替わることもあります）。"
        if calibrates
        else "この方法では審査員の甘辛を補正しないため、点数を直した応募の合計点だけが変わります。"
    )
    second = (
        f"「選定される確率」は、採用した方法（{METHOD_LABELS.get(method, method)}）のまま、各応募の審査員を"
        f"入れ替えた{f' {n_boot} 回の' if n_boot else ''}再標本で選ばれた割合で、審査のばらつきによる不確かさを表します。"
        "「方法を変えた場合」は、合算方法そのものを変えたときに選定がどう変わるかを示す別の確認で、"
        "確率には含めていません。"
    )
    return first + second
