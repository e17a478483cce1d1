"""``mixed``: random-effects calibration (issue 20, item 5)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scoring.combine import EXTRA_METHODS, METHODS, MixedCombiner, make_combiner
from scoring.config.rubric import Rubric, rubric_from_dict
from scoring.core.errors import OptionError


def _rubric() -> Rubric:
    crit = [
        {"id": f"c{i}", "label_ja": "x", "label_en": "x", "guidance_ja": "x", "weight": 10} for i in (1, 2, 3)
    ]
    return rubric_from_dict(
        {
            "id": "t",
            "name_ja": "テスト",
            "name_en": "t",
            "scale": {"min": 1, "max": 5, "step": 1},
            "anchors": {v: {"ja": f"水準{v}"} for v in (1, 2, 3, 4, 5)},
            "groups": [{"id": "g", "label_ja": "g", "label_en": "g", "criteria": crit}],
        }
    )


def _panel(seed: int, single: bool = False) -> tuple[pd.DataFrame, pd.Series, dict[str, float]]:
    """16 applications, 6 reviewers with true leniencies, 3 reviewers each, continuous scores."""
    rng = np.random.default_rng(seed)
    merit = pd.Series(rng.normal(0, 0.8, 16), index=[f"A{i:02d}" for i in range(16)])
    bias = {f"R{j}": b for j, b in enumerate((-0.8, -0.3, 0.0, 0.2, 0.4, 0.5))}
    rows = []
    for i, app in enumerate(merit.index):
        for r in [f"R{(i + k) % 6}" for k in range(3)]:
            for c in ("c1", "c2", "c3"):
                rows.append(
                    (app, r, c, float(np.clip(np.round(3 + merit[app] + bias[r] + rng.normal(0, 0.3)), 1, 5)))
                )
    if single:
        rows += [
            ("A00", "R9", c, v) for c, v in (("c1", 5.0), ("c2", 5.0), ("c3", 4.0))
        ]  # one application, lenient
    return pd.DataFrame(rows, columns=["application", "reviewer", "criterion", "score"]), merit, bias


def test_mixed_is_offered_by_make_combiner_but_not_yet_in_the_stability_methods() -> None:
    assert EXTRA_METHODS == ("mixed",) and "mixed" not in METHODS
    comb = make_combiner("mixed")
    assert isinstance(comb, MixedCombiner) and comb.min_applications == 1
    with pytest.raises(OptionError, match="min_applications は 1 以上"):
        make_combiner("mixed", min_applications=0)
    with pytest.raises(OptionError, match="noise_prior"):
        make_combiner("mixed", noise_prior=-1.0)


def test_mixed_recovers_leniencies_and_beats_the_mean() -> None:
    scores, merit, bias = _panel(1)
    rubric = _rubric()
    comb = make_combiner("mixed").fit(scores, rubric)
    est = comb.reviewer_bias_
    true = pd.Series(bias) - np.mean(list(bias.values()))
    assert np.corrcoef(est.reindex(true.index), true)[0, 1] > 0.9
    assert comb.leniency_sd_ > 0.2 and np.isfinite(comb.sigma_)
    tot = comb.totals()["total"].reindex(merit.index)
    mean = make_combiner("mean").fit(scores, rubric).totals()["total"].reindex(merit.index)
    err = lambda t: float(np.corrcoef(t, merit)[0, 1])
    assert err(tot) > err(mean)
    assert comb.warnings_ == []


def test_a_reviewer_with_one_application_is_calibrated_with_shrinkage() -> None:
    scores, _, _ = _panel(2, single=True)
    rubric = _rubric()
    comb = make_combiner("mixed").fit(scores, rubric)
    lone = comb.reviewer_bias_["R9"]
    assert np.isfinite(lone) and lone > 0  # lenient (gave 5s), so corrected downward …
    raw_gap = 14 / 3 - comb.criterion_values_.loc["A00"].mean()
    assert lone < raw_gap  # … but shrunk: one application says little
    assert not any("素点のまま" in w or "収束" in w for w in comb.warnings_)
    affine = make_combiner("affine").fit(scores, rubric)
    assert np.isnan(affine.reviewer_bias_["R9"])  # min_applications 2: raw scores
