"""ICC for incomplete designs (conflicts of interest, partial assignment).

On a complete table the estimator must give exactly the Shrout & Fleiss (1979) ICC(A,1) and
ICC(A,k) of :func:`scoring.agreement.raters.icc` (their Table 2 data, whose published ICC(2,1)
is 0.29 and ICC(2,4) 0.62); with cells removed it must still recover known variance
components from simulated scores.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scoring.agreement.icc_incomplete import icc_incomplete
from scoring.agreement.raters import icc

#: Shrout & Fleiss (1979), Table 2: 6 targets × 4 judges.
SHROUT_FLEISS = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]


def _long(matrix: list[list[float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"application": f"a{i}", "reviewer": f"r{j}", "score": float(v)}
            for i, row in enumerate(matrix)
            for j, v in enumerate(row)
        ]
    )


def test_complete_table_gives_the_published_shrout_fleiss_values() -> None:
    long = _long(SHROUT_FLEISS)
    est = icc_incomplete(long)
    ref = icc(long)
    assert est.icc_a1 == pytest.approx(ref.loc[ref["type"] == "ICC(A,1)", "icc"].iloc[0])
    assert est.icc_ak == pytest.approx(ref.loc[ref["type"] == "ICC(A,k)", "icc"].iloc[0])
    assert round(est.icc_a1, 2) == 0.29 and round(est.icc_ak, 2) == 0.62
    assert est.k == 4 and est.n_scores == 24


def _simulated(rng: np.random.Generator, drop: float) -> tuple[pd.DataFrame, float]:
    """60 applications × 8 reviewers, σ_a 1.0, σ_b 0.5, σ_e 0.7; a share of cells absent."""
    a = rng.normal(0, 1.0, 60)
    b = rng.normal(0, 0.5, 8)
    rows = [
        {"application": f"a{i:02d}", "reviewer": f"r{j}", "score": 3 + a[i] + b[j] + rng.normal(0, 0.7)}
        for i in range(60)
        for j in range(8)
        if rng.random() >= drop
    ]
    truth = 1.0 / (1.0 + 0.25 + 0.49)
    return pd.DataFrame(rows), truth


def test_incomplete_design_recovers_the_variance_components() -> None:
    rng = np.random.default_rng(7)
    estimates, truths = [], []
    for _ in range(20):
        long, truth = _simulated(rng, drop=0.4)
        est = icc_incomplete(long)
        assert 0 <= est.icc_a1 <= 1 and est.icc_a1 <= est.icc_ak <= 1
        estimates.append(est.icc_a1)
        truths.append(truth)
    assert np.mean(estimates) == pytest.approx(truths[0], abs=0.05)


def test_missing_cells_change_the_estimate_only_a_little_and_k_is_the_harmonic_mean() -> None:
    long = _long(SHROUT_FLEISS)
    cut = long[~((long["application"] == "a1") & (long["reviewer"] == "r2"))]
    est = icc_incomplete(cut)
    assert est.n_scores == 23
    assert est.k == pytest.approx(6 / (5 / 4 + 1 / 3))
    assert abs(est.icc_a1 - icc_incomplete(long).icc_a1) < 0.1


def test_too_little_data_gives_nan_not_an_error() -> None:
    one_reviewer = pd.DataFrame({"application": ["a", "b"], "reviewer": ["r", "r"], "score": [1.0, 2.0]})
    assert np.isnan(icc_incomplete(one_reviewer).icc_a1)
    disjoint = pd.DataFrame({"application": ["a", "b"], "reviewer": ["r", "s"], "score": [1.0, 2.0]})
    assert np.isnan(icc_incomplete(disjoint).icc_a1)
