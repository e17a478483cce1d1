"""Cohen's and Fleiss' κ for categorical and ordinal items, weighted where the item is ordinal.

Krippendorff's α (:mod:`~scoring.agreement.alpha`) is the workbench's main agreement figure;
κ is what many readers know for a categorical item (「該当する／しない」, a grade A–D):

- :func:`cohen_kappa`: two reviewers on the same applications (Cohen 1960), weighted for ordinal
  levels (Cohen 1968; ``"linear"`` or ``"quadratic"`` disagreement weights);
- :func:`fleiss_kappa`: any number of reviewers per application (Fleiss 1971), from the
  applications × categories count table; ``weights`` gives the weighted generalisation (Gwet
  2014, ch. 2), which with no weights is exactly Fleiss';
- :func:`category_counts` turns one criterion of the canonical long score table into that count
  table, and :func:`kappa_table` gives Fleiss' κ per criterion of a score table.

Validated against published values (tests/agreement/test_kappa.py): Fleiss (1971) 30 patients ×
6 psychiatrists, κ = .430; the Wikipedia worked example of Fleiss' κ, 0.210; SAS PROC FREQ's
simple and weighted κ of a 3 × 3 table (0.4842 and 0.4701) and the R ``irr`` package's
``kappa2`` on its ``anxiety`` data (linear 0.1459, quadratic 0.2520).

Reading: κ = 1 full agreement, 0 what chance alone gives, < 0 worse than chance. Landis & Koch
(1977): 0.41–0.60 moderate, 0.61–0.80 substantial. κ depends on the category shares (a rare
category gives low κ with high raw agreement); read it with the raw agreement.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from .scoretable import _check_option, check_scores

__all__ = [
    "KAPPA_WEIGHTS",
    "category_counts",
    "cohen_kappa",
    "fleiss_kappa",
    "kappa_from_table",
    "kappa_table",
]

#: Disagreement weights accepted by the κ functions (None = unweighted, nominal).
KAPPA_WEIGHTS: tuple[str | None, ...] = (None, "linear", "quadratic")
Weights = Literal["linear", "quadratic"] | None


def _agreement_weights(n_cat: int, weights: str | None, positions: np.ndarray | None = None) -> np.ndarray:
    """Agreement weights w_kl in [0, 1] (1 on the diagonal) for ``n_cat`` ordered categories.

    ``positions`` are the categories' values (equally spaced 0, 1, … when None): linear
    ``1 − |i − j| / range``, quadratic ``1 − (i − j)² / range²`` (Cohen 1968; Fleiss & Cohen 1973).
    """
    _check_option("weights", weights, KAPPA_WEIGHTS)
    if weights is None:
        return np.eye(n_cat)
    pos = np.arange(n_cat, dtype="float64") if positions is None else np.asarray(positions, dtype="float64")
    span = float(pos.max() - pos.min()) if n_cat > 1 else 1.0
    d = np.abs(pos[:, None] - pos[None, :]) / (span if span > 0 else 1.0)
    return 1.0 - (d if weights == "linear" else d**2)


def cohen_kappa(
    a: Sequence[object] | np.ndarray | pd.Series,
    b: Sequence[object] | np.ndarray | pd.Series,
    *,
    weights: Weights | str = None,
    categories: Sequence[object] | None = None,
) -> float:
    """Cohen's κ of two reviewers' ratings of the same applications (weighted for ordinal levels).

    Parameters
    ----------
    a, b : sequences of equal length
        The two reviewers' ratings, position by position (one application each). Pairs with
        a missing rating (NaN/None) are left out.
    weights : {None, "linear", "quadratic"}
        None: unweighted (nominal categories). ``"linear"`` / ``"quadratic"``: Cohen's (1968)
        weighted κ with disagreement growing with the distance between the levels (ordinal
        categories, e.g. the 1–5 levels of a criterion).
    categories : sequence, optional
        The ordered categories (e.g. ``[1, 2, 3, 4, 5]``); default: the values seen, sorted.
        With weights, the distance between categories is their position in this list.

    Returns
    -------
    float
        κ; NaN when chance agreement is 1 (both reviewers used a single category).

    Notes
    -----
    κ = 1 − Σ v_kl p_kl / Σ v_kl p_k· p_·l with disagreement weights v = 1 − w. Equal to
    ``sklearn.metrics.cohen_kappa_score`` (tested) and to SAS PROC FREQ's and R irr's
    published values (tests/agreement/test_kappa.py).
    """
    sa = pd.Series(list(a), dtype="object")
    sb = pd.Series(list(b), dtype="object")
    if len(sa) != len(sb):
        raise ValueError(
            f"2人の評価の数が違います（{len(sa)} と {len(sb)}）。同じ応募の評価を同じ順に渡してください。"
        )
    keep = sa.notna() & sb.notna()
    sa, sb = sa[keep], sb[keep]
    cats = list(categories) if categories is not None else sorted(set(sa) | set(sb))
    unknown = sorted({str(v) for v in set(sa) | set(sb)} - {str(c) for c in cats})
    if unknown:
        raise ValueError(f"categories にない評価があります: {', '.join(unknown)}")
    index = {c: i for i, c in enumerate(cats)}
    table = np.zeros((len(cats), len(cats)))
    np.add.at(table, (sa.map(index).to_numpy(int), sb.map(index).to_numpy(int)), 1.0)
    return kappa_from_table(table, weights=weights)


def kappa_from_table(
    table: np.ndarray | Sequence[Sequence[float]], *, weights: Weights | str = None
) -> float:
    """Cohen's κ from a k × k contingency table (rows: reviewer A's category, columns: B's)."""
    t = np.asarray(table, dtype="float64")
    if t.ndim != 2 or t.shape[0] != t.shape[1]:
        raise ValueError(f"κ の集計表は正方行列にしてください（形 {t.shape}）。")
    n = t.sum()
    if n <= 0:
        return float("nan")
    p = t / n
    v = 1.0 - _agreement_weights(t.shape[0], weights)
    expected = float((v * np.outer(p.sum(axis=1), p.sum(axis=0))).sum())
    if expected <= 0:
        return float("nan")
    return 1.0 - float((v * p).sum()) / expected


def fleiss_kappa(
    counts: np.ndarray | pd.DataFrame | Sequence[Sequence[float]],
    *,
    weights: Weights | str = None,
    levels: Sequence[object] | None = None,
) -> float:
    """Fleiss' κ from an applications × categories table of counts (how many reviewers chose each).

    Parameters
    ----------
    counts : array-like, shape (n_applications, n_categories)
        Row i, column k: number of reviewers who put application i in category k (categories
        in their order, for weights). Applications rated by fewer than two reviewers are left
        out; the number of reviewers may differ between applications (each application's
        agreement is then over its own pairs, the usual generalisation; with equal numbers it
        is Fleiss' 1971 formula exactly).
    weights : {None, "linear", "quadratic"}
        None: Fleiss' κ (nominal). Otherwise the weighted generalisation for ordinal categories
        (Gwet 2014, *Handbook of Inter-Rater Reliability*, 4th ed., ch. 2): observed agreement
        ``Σ_i Σ_k n_ik (n*_ik − 1) / (n_i (n_i − 1))`` / N with ``n*_ik = Σ_l w_kl n_il``, chance
        agreement ``Σ_kl w_kl π_k π_l`` (π = overall category shares).
    levels : sequence of numbers, optional
        The categories' values, for the distances of the weights (default equally spaced: the
        columns' positions).

    Returns
    -------
    float
        κ; NaN when fewer than one application has two ratings or chance agreement is 1.
    """
    c = np.asarray(counts, dtype="float64")
    if c.ndim != 2:
        raise ValueError(f"Fleiss の κ には 応募 × カテゴリ の件数表を渡してください（形 {c.shape}）。")
    n_i = c.sum(axis=1)
    c, n_i = c[n_i >= 2], n_i[n_i >= 2]
    if not len(c):
        return float("nan")
    w = _agreement_weights(
        c.shape[1], weights, None if levels is None else np.asarray(levels, dtype="float64")
    )
    star = c @ w.T
    p_obs = float(np.mean((c * (star - 1.0)).sum(axis=1) / (n_i * (n_i - 1.0))))
    pi = c.sum(axis=0) / c.sum()
    p_exp = float(pi @ w @ pi)
    if p_exp >= 1.0:
        return float("nan")
    return (p_obs - p_exp) / (1.0 - p_exp)


def category_counts(
    scores: pd.DataFrame, criterion: str, categories: Sequence[object] | None = None
) -> pd.DataFrame:
    """One criterion of the canonical long score table as an applications × levels count table.

    Returns
    -------
    pandas.DataFrame
        Index ``application`` (order of first appearance), one column per category (the
        levels seen, sorted, unless ``categories`` is given), values: number of reviewers
        who gave that level (int).
    """
    scored = check_scores(scores)
    part = scored[scored["criterion"] == criterion]
    if part.empty:
        raise ValueError(f"評価項目 {criterion!r} の採点がありません。")
    cats = list(categories) if categories is not None else sorted(part["score"].unique())
    apps = pd.unique(part["application"])
    table = pd.crosstab(part["application"], part["score"]).reindex(index=apps, columns=cats, fill_value=0)
    table.index.name, table.columns.name = "application", None
    return table.astype("int64")


def kappa_table(scores: pd.DataFrame, *, weights: Weights | str = "quadratic") -> pd.DataFrame:
    """Fleiss' κ (weighted by default: the levels are ordinal) per criterion of a score table.

    Returns
    -------
    pandas.DataFrame
        Columns ``criterion`` (str, order of first appearance), ``weights`` (str: 'none',
        'linear' or 'quadratic'), ``kappa`` (float), ``n_units`` (int: applications with at
        least two ratings), ``observed_agreement`` (float: share of agreeing reviewer pairs,
        unweighted); RangeIndex.
    """
    _check_option("weights", weights, KAPPA_WEIGHTS)
    scored = check_scores(scores)
    rows = []
    for crit in pd.unique(scored["criterion"]):
        cats = sorted(scored.loc[scored["criterion"] == crit, "score"].unique())
        c = category_counts(scored, str(crit), cats).to_numpy(dtype="float64")
        n_i = c.sum(axis=1)
        c2, n2 = c[n_i >= 2], n_i[n_i >= 2]
        agree = float(np.mean((c2 * (c2 - 1.0)).sum(axis=1) / (n2 * (n2 - 1.0)))) if len(c2) else np.nan
        rows.append(
            {
                "criterion": str(crit),
                "weights": "none" if weights is None else str(weights),
                "kappa": fleiss_kappa(c, weights=weights, levels=cats),
                "n_units": len(c2),
                "observed_agreement": agree,
            }
        )
    return pd.DataFrame(rows, columns=["criterion", "weights", "kappa", "n_units", "observed_agreement"])
