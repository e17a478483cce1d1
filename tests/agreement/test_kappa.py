"""Cohen's and Fleiss' κ against published values.

Sources:

* Fleiss (1971), "Measuring nominal scale agreement among many raters", Psychological
  Bulletin 76(5), 378–382: 30 patients × 6 psychiatrists, 5 diagnoses, κ = .430 (p. 381). The
  ratings as distributed in the R ``irr`` package's ``diagnoses`` data set (Gamer et al.), whose
  ``kappam.fleiss(diagnoses)`` prints Kappa = 0.43.
* Wikipedia, "Fleiss' kappa", worked example: 10 subjects × 14 raters, 5 categories,
  P̄ = 0.378, P̄e = 0.213, κ = 0.210.
* SAS PROC FREQ (AGREE option) printout for the 3 × 3 table [[0, 4, 1], [0, 8, 0], [0, 1, 5]]:
  simple kappa 0.4842, weighted kappa (Cicchetti–Allison, i.e. linear weights) 0.4701, as
  reproduced in statsmodels' ``test_inter_rater.py``.
* R ``irr::kappa2`` on the ``anxiety`` data (20 subjects, raters 2 and 3, levels 1–6):
  unweighted −0.006289308, "equal" (linear) 0.1459075, "squared" (quadratic) 0.2520325, as
  reproduced in statsmodels' ``test_inter_rater.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score

from scoring.agreement.kappa import category_counts, cohen_kappa, fleiss_kappa, kappa_from_table, kappa_table
from scoring.core.errors import OptionError

# Fleiss (1971): rows = patients, columns = the six psychiatrists' diagnoses (1–5).
DIAGNOSES = np.array(
    [
        [4, 4, 4, 4, 4, 4], [2, 2, 2, 5, 5, 5], [2, 3, 3, 3, 3, 5], [5, 5, 5, 5, 5, 5],
        [2, 2, 2, 4, 4, 4], [1, 1, 3, 3, 3, 3], [3, 3, 3, 3, 5, 5], [1, 1, 3, 3, 3, 4],
        [1, 1, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5], [1, 4, 4, 4, 4, 4], [1, 2, 4, 4, 4, 4],
        [2, 2, 2, 3, 3, 3], [1, 4, 4, 4, 4, 4], [2, 2, 4, 4, 4, 5], [3, 3, 3, 3, 3, 5],
        [1, 1, 1, 4, 5, 5], [1, 1, 1, 1, 1, 2], [2, 2, 4, 4, 4, 4], [1, 3, 3, 5, 5, 5],
        [5, 5, 5, 5, 5, 5], [2, 4, 4, 4, 4, 4], [2, 2, 4, 5, 5, 5], [1, 1, 4, 4, 4, 4],
        [1, 4, 4, 4, 4, 5], [2, 2, 2, 2, 2, 4], [1, 1, 1, 1, 5, 5], [2, 2, 4, 4, 4, 4],
        [1, 3, 3, 3, 3, 3], [5, 5, 5, 5, 5, 5],
    ]
)  # fmt: skip

# Wikipedia worked example: subjects × categories counts (14 raters each).
WIKIPEDIA = [
    [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
]  # fmt: skip

SAS_TABLE = [[0, 4, 1], [0, 8, 0], [0, 1, 5]]

# irr's anxiety data, raters 2 and 3 (subjects 1–20).
ANXIETY_R2 = [3, 6, 4, 6, 2, 4, 2, 4, 3, 3, 2, 3, 3, 3, 2, 2, 1, 3, 3, 4]
ANXIETY_R3 = [2, 1, 4, 4, 3, 2, 1, 6, 1, 1, 1, 2, 3, 3, 1, 1, 3, 3, 2, 2]


def _counts(ratings: np.ndarray, n_cat: int) -> np.ndarray:
    return np.stack([np.bincount(r - 1, minlength=n_cat) for r in ratings])


def test_fleiss_1971_published_value() -> None:
    assert fleiss_kappa(_counts(DIAGNOSES, 5)) == pytest.approx(0.430, abs=5e-4)


def test_fleiss_wikipedia_worked_example() -> None:
    assert fleiss_kappa(WIKIPEDIA) == pytest.approx(0.210, abs=5e-4)


def test_fleiss_from_the_long_score_table_equals_the_count_table() -> None:
    rows = [
        {"application": f"P{i:02d}", "reviewer": f"R{j}", "criterion": "dx", "score": float(v)}
        for i, r in enumerate(DIAGNOSES)
        for j, v in enumerate(r)
    ]
    scores = pd.DataFrame(rows)
    table = category_counts(scores, "dx")
    assert list(table.columns) == [1.0, 2.0, 3.0, 4.0, 5.0] and table.shape == (30, 5)
    out = kappa_table(scores, weights=None)
    assert out.loc[0, "kappa"] == pytest.approx(0.430, abs=5e-4)
    assert out.loc[0, "n_units"] == 30
    # weighted Fleiss with identity weights is Fleiss; with weights it differs and stays ≤ 1
    w = kappa_table(scores, weights="quadratic").loc[0, "kappa"]
    assert w != pytest.approx(0.430, abs=1e-3) and -1 <= w <= 1


def test_weighted_fleiss_with_two_raters_is_weighted_scott_pi() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.integers(1, 6, 40), rng.integers(1, 6, 40)
    counts = _counts(np.column_stack([a, b]), 5)
    pooled = (np.bincount(a - 1, minlength=5) + np.bincount(b - 1, minlength=5)) / 80
    pos = np.arange(5)
    w = 1 - (pos[:, None] - pos[None, :]) ** 2 / 16
    p_obs = np.mean(w[a - 1, b - 1])
    p_exp = pooled @ w @ pooled
    assert fleiss_kappa(counts, weights="quadratic") == pytest.approx(
        (p_obs - p_exp) / (1 - p_exp), abs=1e-12
    )


def test_cohen_sas_published_values() -> None:
    assert kappa_from_table(SAS_TABLE) == pytest.approx(0.4842, abs=5e-5)
    assert kappa_from_table(SAS_TABLE, weights="linear") == pytest.approx(0.4701, abs=5e-5)


def test_cohen_irr_anxiety_published_values() -> None:
    assert cohen_kappa(ANXIETY_R2, ANXIETY_R3) == pytest.approx(-0.006289308, abs=1e-8)
    # irr weighs by the position among the levels seen (1, 2, 3, 4, 6): our default categories
    lin = cohen_kappa(ANXIETY_R2, ANXIETY_R3, weights="linear")
    quad = cohen_kappa(ANXIETY_R2, ANXIETY_R3, weights="quadratic")
    assert lin == pytest.approx(0.1459075, abs=1e-7)
    assert quad == pytest.approx(0.2520325, abs=1e-7)


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_cohen_equals_sklearn(weights: str | None) -> None:
    rng = np.random.default_rng(7)
    a = rng.integers(1, 6, 60)
    b = np.clip(a + rng.integers(-1, 2, 60), 1, 5)
    ours = cohen_kappa(a, b, weights=weights, categories=[1, 2, 3, 4, 5])
    assert ours == pytest.approx(cohen_kappa_score(a, b, weights=weights, labels=[1, 2, 3, 4, 5]), abs=1e-12)


def test_kappa_edge_cases_and_messages() -> None:
    assert cohen_kappa([1, 2, None, 2], [1, 2, 2, 2]) == cohen_kappa([1, 2, 2], [1, 2, 2])  # pairs with a gap
    assert np.isnan(cohen_kappa([3, 3], [3, 3]))  # one category only: chance agreement 1
    assert np.isnan(fleiss_kappa([[1, 0], [0, 1]]))  # no application with two ratings
    with pytest.raises(ValueError, match="2人の評価の数が違います"):
        cohen_kappa([1, 2], [1])
    with pytest.raises(ValueError, match="categories にない評価"):
        cohen_kappa([1, 9], [1, 2], categories=[1, 2])
    with pytest.raises(OptionError, match="weights="):
        fleiss_kappa([[1, 1]], weights="cubic")
