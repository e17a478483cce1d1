"""Honest standard errors of the totals (合計点の標準誤差): including the reviewer calibration.

The combiners' own ``se`` (:meth:`scoring.combine.Combiner.totals`) is conditional on the
reviewer effects: it treats each reviewer's estimated leniency and use of the scale as known.
They are estimated from a few dozen scores, so the plug-in SE is too small (issue 20: about
13 % for ``affine``, 7 % for ``additive``).

:func:`honest_se` adds that estimation error with a **delete-one-reviewer jackknife**: the
combiner is refitted without each reviewer in turn (R refits) and the change of every total is
recorded. For application *a* scored by *n_a* reviewers out of *R*:

    V_a = (n_a − 1) / n_a · Σ_{r scored a} (θ_(r) − θ)²  +  (R − 1) / R · Σ_{r did not} (θ_(r) − θ)²

The first sum is the classical jackknife of *a*'s own reviewers (for a plain mean it is exactly
s² / n_a, the textbook SE); it also carries the change of the calibration when that reviewer
is left out. With 3–5 reviewers it rests on 2–4 degrees of freedom, so it is *moderated*: the
per-reviewer variance n_a · V_own,a is averaged with the round's pooled one, weighted
(n_a − 1) against ``prior_df`` (as moderated variances in limma; a noisy small variance
would otherwise give too short intervals). The second sum is the jackknife over the other reviewers: how much *a*'s total
moves only because the calibration of its own reviewers (and the anchoring of leniency and
scale across the panel) is re-estimated without them. With one reviewer the first sum is
undefined and the pooled per-reviewer variance is used (the plug-in one when there is none). The coverage of the resulting 95 %
intervals is measured in ``benchmarks/bench_uncertainty.py`` against the expected total over
fresh panels of reviewers (target 93–97 %).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..combine import DEFAULT_METHOD, make_combiner
from ..config.rubric import Rubric
from ..core.columns import UNCERTAINTY_COLUMNS

__all__ = ["PRIOR_DF", "UNCERTAINTY_COLUMNS", "honest_cov", "honest_se"]

#: Degrees of freedom of the pooled variance in the moderated own variance (see :func:`honest_se`).
PRIOR_DF = 4.0

#: Columns of :func:`honest_se`.


def _jackknife_totals(
    scores: pd.DataFrame,
    rubric: Rubric,
    method: str,
    options: Mapping[str, Any],
    weights: pd.Series | Mapping[str, float] | None,
    reviewers: list[str],
) -> pd.DataFrame:
    """Totals refitted without each reviewer: applications × reviewers (NaN where no total)."""
    cols: dict[str, pd.Series] = {}
    rev = scores["reviewer"].astype(str)
    for r in reviewers:
        rest = scores[rev != r]
        if rest.empty or rest["score"].notna().sum() == 0:
            continue
        t = make_combiner(method, **dict(options)).fit(rest, rubric).totals(weights)["total"]
        t.index = t.index.astype(str)
        cols[r] = t
    return pd.DataFrame(cols)


def honest_se(
    scores: pd.DataFrame,
    rubric: Rubric,
    method: str = DEFAULT_METHOD,
    method_options: Mapping[str, Any] | None = None,
    weights: pd.Series | Mapping[str, float] | None = None,
    *,
    totals: pd.DataFrame | None = None,
    prior_df: float = PRIOR_DF,
) -> pd.DataFrame:
    """Standard errors of the totals that include the estimation error of the reviewer effects.

    Parameters
    ----------
    scores : DataFrame
        The canonical long score table (``application, reviewer, criterion, score``); the same
        scores the totals were computed from.
    rubric : Rubric
    method, method_options, weights
        As for :func:`scoring.combine.make_combiner` and :meth:`~scoring.combine.Combiner.totals`
        (the committee's method, options and 配点).
    totals : DataFrame, optional
        The full fit's :meth:`~scoring.combine.Combiner.totals` (saves one fit when given).
    prior_df : float, default :data:`PRIOR_DF`
        Weight (degrees of freedom) of the round's pooled per-reviewer variance in each
        application's own variance (moderated variance; 0: each application's own jackknife).

    Returns
    -------
    DataFrame
        Index ``application`` (str), columns :data:`UNCERTAINTY_COLUMNS` (points, 0–100):
        ``total``; ``se`` (the honest SE, √(own + calibration), see the module docstring);
        ``se_plugin`` (the combiner's own, conditional on the reviewer effects); ``se_own``
        and ``se_calibration`` (the two parts). NaN where there is no total.
    """
    return _honest(scores, rubric, method, method_options, weights, totals, prior_df)[0]


def _honest(
    scores: pd.DataFrame,
    rubric: Rubric,
    method: str,
    method_options: Mapping[str, Any] | None,
    weights: pd.Series | Mapping[str, float] | None,
    totals: pd.DataFrame | None,
    prior_df: float,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`honest_se`'s frame and the jackknife deviations θ_(r) − θ (applications × reviewers)."""
    opts = dict(method_options or {})
    sc = scores.copy()
    sc["application"] = sc["application"].astype(str)
    sc["reviewer"] = sc["reviewer"].astype(str)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        if totals is None:
            totals = make_combiner(method, **opts).fit(sc, rubric).totals(weights)
        full = totals.copy()
        full.index = full.index.astype(str)
        scored = sc[sc["score"].notna()]
        reviewers = sorted(scored["reviewer"].unique())
        jack = _jackknife_totals(sc, rubric, method, opts, weights, reviewers)
    return _assemble(full, jack.reindex(index=list(full.index), columns=reviewers), scored, prior_df)


def honest_cov(
    scores: pd.DataFrame,
    rubric: Rubric,
    method: str = DEFAULT_METHOD,
    method_options: Mapping[str, Any] | None = None,
    weights: pd.Series | Mapping[str, float] | None = None,
    *,
    totals: pd.DataFrame | None = None,
    prior_df: float = PRIOR_DF,
) -> pd.DataFrame:
    """The covariance matrix of the totals (applications × applications, points²): the honest
    variances (:func:`honest_se` squared) on the diagonal and the jackknife covariance over
    reviewers, (R − 1) / R · Σ_r (θ_i(r) − θ_i)(θ_j(r) − θ_j), off it. Two applications scored by
    the same reviewers, or calibrated through them, move together: the SE of their difference,
    √(v_i + v_j − 2 c_ij), is smaller than √(v_i + v_j). Same parameters as :func:`honest_se`."""
    out, dev = _honest(scores, rubric, method, method_options, weights, totals, prior_df)
    R = float(dev.shape[1])
    d = dev.fillna(0.0).to_numpy()
    cov = (R - 1) / R * d @ d.T if R > 1 else np.zeros((len(d), len(d)))
    np.fill_diagonal(cov, out["se"].to_numpy() ** 2)
    return pd.DataFrame(cov, index=out.index, columns=out.index)


def _assemble(
    full: pd.DataFrame, jack: pd.DataFrame, scored: pd.DataFrame, prior_df: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The :func:`honest_se` frame from the full fit's totals and the jackknife totals."""
    apps = list(full.index)
    theta = full["total"].astype(float)
    plugin = full["se"].astype(float)
    v_own, v_cal = _variances(theta, plugin, jack, scored, prior_df)
    out = pd.DataFrame(
        {
            "total": theta,
            "se": np.sqrt(v_own + v_cal),
            "se_plugin": plugin,
            "se_own": np.sqrt(v_own),
            "se_calibration": np.sqrt(v_cal),
        },
        index=pd.Index(apps, name="application"),
    )
    out.loc[theta.isna(), ["se", "se_own", "se_calibration"]] = np.nan
    return out, jack.sub(theta, axis=0)


def _variances(
    theta: pd.Series, plugin: pd.Series, jack: pd.DataFrame, scored: pd.DataFrame, prior_df: float
) -> tuple[pd.Series, pd.Series]:
    """The own-reviewer (moderated) and calibration variances of every total (module docstring)."""
    apps, reviewers = list(jack.index), list(jack.columns)
    dev2 = jack.sub(theta, axis=0).pow(2)  # NaN where the refit has no total
    own = (
        scored[["application", "reviewer"]]
        .drop_duplicates()
        .assign(v=True)
        .pivot(index="application", columns="reviewer", values="v")
        .reindex(index=apps, columns=reviewers)
        .notna()
    )
    n_a = own.sum(axis=1).astype(float)
    R = float(len(reviewers))
    own_sum = dev2.where(own).sum(axis=1, min_count=1)
    other_sum = dev2.where(~own).sum(axis=1, min_count=1).fillna(0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = np.where(n_a >= 2, (n_a - 1) * own_sum, np.nan)  # per-reviewer variance, n_a − 1 df
        pooled = float(np.nanmean(q)) if np.isfinite(q).any() else float("nan")
        d = np.where(n_a >= 2, n_a - 1, 0.0)
        q_mod = np.where(n_a >= 2, (prior_df * pooled + d * np.nan_to_num(q)) / (prior_df + d), pooled)
        own_v = np.where(np.isfinite(q_mod), q_mod / n_a, plugin**2)
        cal_v = (R - 1) / R * other_sum if R > 1 else other_sum * 0.0
    return pd.Series(own_v, index=apps, dtype=float), pd.Series(cal_v, index=apps, dtype=float)
