"""Combiners (scoring.combine) on small hand-made score tables with known answers."""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import scipy.stats
from pandas.testing import assert_frame_equal, assert_series_equal
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from scoring.combine import (
    DEFAULT_METHOD,
    METHODS,
    AdditiveCombiner,
    Combiner,
    combine,
    make_combiner,
)
from scoring.config.rubric import Rubric, rubric_from_dict
from scoring.core.errors import OptionError, ScoreTableError

ROOT = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def make_rubric(
    groups: dict[str, list[tuple[str, float]]], lo: float = 1, hi: float = 5, step: float = 1
) -> Rubric:
    """A rubric with the given groups of (criterion id, weight) and one scale."""
    n = round((hi - lo) / step)
    levels = [lo + i * step for i in range(n + 1)]
    return rubric_from_dict(
        {
            "id": "test",
            "name_ja": "テスト用",
            "name_en": "test",
            "scale": {"min": lo, "max": hi, "step": step},
            "anchors": {lv: {"ja": f"水準{lv}"} for lv in levels},
            "groups": [
                {
                    "id": g,
                    "label_ja": g,
                    "label_en": g,
                    "criteria": [
                        {"id": c, "label_ja": c, "label_en": c, "guidance_ja": "応募書を見る", "weight": w}
                        for c, w in crits
                    ],
                }
                for g, crits in groups.items()
            ],
        }
    )


def table(rows: Sequence[tuple[Any, ...]], **extra: Any) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["application", "reviewer", "criterion", "score"])
    for k, v in extra.items():
        df[k] = v
    return df


ONE = make_rubric({"g": [("c1", 100)]})
TWO = make_rubric({"g1": [("c1", 60)], "g2": [("c2", 40)]})


def values(comb: Combiner, crit: str = "c1") -> dict[str, float]:
    return {k: float(v) for k, v in comb.criterion_values_[crit].items()}


# ---------------------------------------------------------------------------
# make_combiner, options, fitting state
# ---------------------------------------------------------------------------


def test_methods_and_default() -> None:
    assert METHODS == ("mean", "median", "trimmed", "zscore", "additive", "affine")
    assert DEFAULT_METHOD in METHODS
    for m in METHODS:
        comb = make_combiner(m)
        assert isinstance(comb, Combiner)
        assert comb.method == m


def test_invalid_method_lists_allowed_values() -> None:
    with pytest.raises(ValueError) as exc:
        make_combiner("average")
    msg = str(exc.value)
    assert "'average'" in msg
    for m in METHODS:
        assert m in msg
    with pytest.raises(ValueError, match="mean, median"):
        combine(table([("A", "R1", "c1", 3)]), ONE, method="Mean")


def test_unknown_and_invalid_options() -> None:
    with pytest.raises(ValueError, match="proportion") as exc:
        make_combiner("trimmed", trim=0.2)
    assert "trim" in str(exc.value)
    with pytest.raises(ValueError, match="（なし）"):
        make_combiner("mean", proportion=0.1)
    with pytest.raises(ValueError, match="overall, criterion"):
        make_combiner("additive", calibrate="per_reviewer")
    with pytest.raises(ValueError, match="0 以上 0.5 未満"):
        make_combiner("trimmed", proportion=0.5)
    with pytest.raises(ValueError, match="bias_shrinkage"):
        make_combiner("additive", bias_shrinkage=-1.0)
    with pytest.raises(ValueError, match="min_applications"):
        make_combiner("zscore", min_applications=1)
    # Direct construction does not validate (sklearn convention); fit does.
    comb = AdditiveCombiner(calibrate="nope")
    with pytest.raises(ValueError, match="overall, criterion"):
        comb.fit(table([("A", "R1", "c1", 3)]), ONE)


def test_sklearn_params_and_clone() -> None:
    comb = make_combiner("additive", bias_shrinkage=2.0, calibrate="criterion")
    assert comb.get_params()["bias_shrinkage"] == 2.0
    twin = clone(comb)
    assert twin.get_params() == comb.get_params()
    twin.set_params(bias_shrinkage=0.5)
    assert comb.bias_shrinkage == 2.0


def test_totals_before_fit() -> None:
    with pytest.raises(NotFittedError, match="fit"):
        make_combiner("mean").totals()


# ---------------------------------------------------------------------------
# Input validation
# ---------------------------------------------------------------------------


def test_missing_columns() -> None:
    df = pd.DataFrame({"application": ["A"], "reviewer": ["R1"], "points": [3]})
    with pytest.raises(ValueError, match="criterion, score"):
        make_combiner("mean").fit(df, ONE)
    with pytest.raises(ScoreTableError, match="DataFrame"):
        make_combiner("mean").fit([("A", "R1", "c1", 3)], ONE)  # type: ignore[arg-type]
    with pytest.raises(OptionError, match="Rubric"):
        make_combiner("mean").fit(table([("A", "R1", "c1", 3)]), {"c1": 100})  # type: ignore[arg-type]


def test_unknown_criterion_lists_valid_ids() -> None:
    with pytest.raises(ValueError, match="c9") as exc:
        make_combiner("mean").fit(table([("A", "R1", "c9", 3)]), TWO)
    assert "c1, c2" in str(exc.value)


def test_off_scale_and_non_numeric_scores() -> None:
    with pytest.raises(ValueError, match="尺度にない点数") as exc:
        make_combiner("mean").fit(table([("A", "R1", "c1", 3), ("B", "R1", "c1", 7)]), ONE)
    assert "応募書 B" in str(exc.value) and "1〜5" in str(exc.value)
    with pytest.raises(ValueError, match="尺度にない点数"):
        make_combiner("mean").fit(table([("A", "R1", "c1", 2.5)]), ONE)
    with pytest.raises(ValueError, match="数値ではありません") as exc2:
        make_combiner("mean").fit(table([("A", "R1", "c1", "よい")]), ONE)  # type: ignore[list-item]
    assert "よい" in str(exc2.value)


def test_duplicates_and_empty() -> None:
    with pytest.raises(ValueError, match="複数") as exc:
        make_combiner("mean").fit(table([("A", "R1", "c1", 3), ("A", "R1", "c1", 4)]), ONE)
    assert "応募書 A / 審査員 R1 / c1" in str(exc.value)
    with pytest.raises(ValueError, match="ひとつもありません"):
        make_combiner("mean").fit(table([("A", "R1", "c1", math.nan)]), ONE)
    with pytest.raises(ValueError, match="reviewer"):
        make_combiner("mean").fit(table([("A", None, "c1", 3)]), ONE)  # type: ignore[list-item]


# ---------------------------------------------------------------------------
# mean, median, trimmed
# ---------------------------------------------------------------------------

SMALL = table(
    [
        ("A", "R1", "c1", 2),
        ("A", "R2", "c1", 4),
        ("A", "R3", "c1", 5),
        ("B", "R1", "c1", 1),
        ("B", "R2", "c1", 3),
        ("C", "R3", "c1", 4),
        ("A", "R1", "c2", 3),
        ("A", "R2", "c2", 3),
        ("A", "R3", "c2", 3),
        ("B", "R1", "c2", 5),
        ("B", "R2", "c2", 4),
        ("C", "R3", "c2", 2),
    ]
)


def test_mean_known_values_and_se() -> None:
    comb = make_combiner("mean").fit(SMALL, TWO)
    expected = pd.DataFrame(
        {"c1": [11 / 3, 2.0, 4.0], "c2": [3.0, 4.5, 2.0]},
        index=pd.Index(["A", "B", "C"], name="application"),
    )
    expected.columns.name = "criterion"
    assert_frame_equal(comb.criterion_values_, expected)
    # SE = sd/sqrt(n) with ddof=1: A/c1 values 2,4,5 → sd = sqrt(7/3).
    assert comb.criterion_se_.loc["A", "c1"] == pytest.approx(math.sqrt(7 / 3) / math.sqrt(3))
    assert comb.criterion_se_.loc["A", "c2"] == 0.0
    assert math.isnan(comb.criterion_se_.loc["C", "c1"])
    # Independent check against pandas groupby mean / sem.
    g = SMALL.groupby(["application", "criterion"])["score"]
    assert np.allclose(comb.criterion_values_.stack().sort_index(), g.mean().sort_index())
    assert np.allclose(
        comb.criterion_se_.stack(future_stack=True).sort_index(), g.sem().sort_index(), equal_nan=True
    )
    assert comb.n_reviewers_.to_dict() == {"A": 3, "B": 2, "C": 1}
    assert comb.n_reviewers_.name == "n_reviewers" and comb.n_reviewers_.index.name == "application"
    assert comb.reviewer_bias_ is None and comb.reviewer_scale_ is None


def test_median_known_values() -> None:
    comb = make_combiner("median").fit(SMALL, TWO)
    assert values(comb, "c1") == {"A": 4.0, "B": 2.0, "C": 4.0}
    assert values(comb, "c2") == {"A": 3.0, "B": 4.5, "C": 2.0}
    assert comb.criterion_se_.loc["A", "c1"] == pytest.approx(
        math.sqrt(math.pi / 2) * math.sqrt(7 / 3) / math.sqrt(3)
    )


def test_trimmed_against_scipy_and_by_hand() -> None:
    rng = np.random.default_rng(7)
    rows = []
    counts = {"A": 3, "B": 4, "C": 5, "D": 8, "E": 10, "F": 1}
    for app, n in counts.items():
        for j in range(n):
            rows.append((app, f"R{j}", "c1", float(rng.integers(1, 6))))
    df = table(rows)
    for p in (0.0, 0.1, 0.2, 0.25, 0.4):
        comb = make_combiner("trimmed", proportion=p).fit(df, ONE)
        for app in counts:
            x = df.loc[df["application"] == app, "score"].to_numpy()
            assert comb.criterion_values_.loc[app, "c1"] == pytest.approx(scipy.stats.trim_mean(x, p))
    # By hand: 1, 2, 3, 4, 5 with proportion 0.25 → cut 1 each end → mean(2, 3, 4) = 3.
    # Yuen's SE: winsorised 2, 2, 3, 4, 4 (sd² = 1.0), h = 3: sqrt(4 · 1 / (3 · 2)).
    df2 = table([("A", f"R{i}", "c1", float(i)) for i in range(1, 6)])
    comb = make_combiner("trimmed", proportion=0.25).fit(df2, ONE)
    assert comb.criterion_values_.loc["A", "c1"] == 3.0
    assert comb.criterion_se_.loc["A", "c1"] == pytest.approx(math.sqrt(4 * 1.0 / 6))
    # With proportion 0 the SE is the plain sd/sqrt(n).
    comb0 = make_combiner("trimmed", proportion=0.0).fit(df2, ONE)
    assert comb0.criterion_se_.loc["A", "c1"] == pytest.approx(np.std([1, 2, 3, 4, 5], ddof=1) / math.sqrt(5))


def test_trimmed_drops_outlier_that_moves_the_mean() -> None:
    df = table(
        [("A", f"R{i}", "c1", s) for i, s in enumerate([5, 5, 5, 1])]
        + [("B", f"R{i}", "c1", s) for i, s in enumerate([5, 4, 4, 4])]
    )
    assert make_combiner("mean").fit(df, ONE).totals().index[0] == "B"
    assert make_combiner("trimmed").fit(df, ONE).totals().index[0] == "A"


# ---------------------------------------------------------------------------
# zscore
# ---------------------------------------------------------------------------


def test_zscore_by_hand() -> None:
    # R1 gives A, B, C = 2, 3, 4 (mean 3); R2 gives 4, 5, 3 (mean 4); both sd = sqrt(2/3).
    # Pooled: 2, 3, 4, 4, 5, 3 → mean 3.5, population sd sqrt(11/12).
    df = table(
        [
            ("A", "R1", "c1", 2),
            ("B", "R1", "c1", 3),
            ("C", "R1", "c1", 4),
            ("A", "R2", "c1", 4),
            ("B", "R2", "c1", 5),
            ("C", "R2", "c1", 3),
        ]
    )
    comb = make_combiner("zscore").fit(df, ONE)
    step = math.sqrt(11 / 12) * (1 / math.sqrt(2 / 3))  # one raw point of z, back on the pooled scale
    # A: R1 z = -1/sd → 3.5 - step; R2 z = 0 → 3.5.  B: 3.5 and 3.5 + step.  C: 3.5 + step, 3.5 - step.
    expected = {"A": 3.5 - step / 2, "B": 3.5 + step / 2, "C": 3.5}
    assert values(comb) == pytest.approx(expected)
    assert comb.reviewer_bias_ is not None and comb.reviewer_scale_ is not None
    assert comb.reviewer_bias_.to_dict() == pytest.approx({"R1": -0.5, "R2": 0.5})
    assert comb.reviewer_scale_.to_dict() == pytest.approx(
        {"R1": math.sqrt((2 / 3) / (11 / 12)), "R2": math.sqrt((2 / 3) / (11 / 12))}
    )
    assert comb.reviewer_bias_.name == "bias" and comb.reviewer_bias_.index.name == "reviewer"
    # SE = sd of the two back-mapped values / sqrt(2).
    assert comb.criterion_se_.loc["A", "c1"] == pytest.approx(
        np.std([3.5 - step, 3.5], ddof=1) / math.sqrt(2)
    )
    # Same table in per-criterion mode: one criterion, so identical values.
    comb_c = make_combiner("zscore", calibrate="criterion").fit(df, ONE)
    assert_frame_equal(comb_c.criterion_values_, comb.criterion_values_)
    assert comb.warnings_ == []


def test_zscore_overall_vs_criterion_differ_by_hand() -> None:
    # R1: c1 = 1, 5 and c2 = 3, 3 on apps A, B.  Overall: mean over u of (0, 1, .5, .5) = .5,
    # population sd = sqrt(1/8).  Per criterion: c2 is flat for R1 → mean correction only.
    df = table(
        [
            ("A", "R1", "c1", 1),
            ("B", "R1", "c1", 5),
            ("A", "R1", "c2", 3),
            ("B", "R1", "c2", 3),
            ("A", "R2", "c1", 2),
            ("B", "R2", "c1", 4),
            ("A", "R2", "c2", 2),
            ("B", "R2", "c2", 4),
        ]
    )
    overall = make_combiner("zscore").fit(df, TWO)
    per = make_combiner("zscore", calibrate="criterion").fit(df, TWO)
    # Overall pooled u: R1 (0, 1, .5, .5), R2 (.25, .75, .25, .75) → mean .5, sd² = (.25+.25+0+0+
    # .0625·4)/8 = .09375.  R2: mean .5, sd² = .0625.
    sp = math.sqrt(0.09375)
    z_r1 = {"A1": -0.5 / math.sqrt(1 / 8), "A2": 0.0}
    z_r2 = -0.25 / 0.25
    a_c1 = ((0.5 + sp * z_r1["A1"]) + (0.5 + sp * z_r2)) / 2
    a_c2 = ((0.5 + sp * z_r1["A2"]) + (0.5 + sp * z_r2)) / 2
    assert overall.criterion_values_.loc["A", "c1"] == pytest.approx(1 + 4 * a_c1)
    assert overall.criterion_values_.loc["A", "c2"] == pytest.approx(1 + 4 * a_c2)
    # Per criterion c2: pooled (3, 3, 2, 4) mean 3, sd sqrt(.5).  R1 flat → 3 - 3 + 3 = 3;
    # R2: z = -1 → 3 - sqrt(.5).
    assert per.criterion_values_.loc["A", "c2"] == pytest.approx((3 + 3 - math.sqrt(0.5)) / 2)
    assert any("評価項目 c2 ですべての応募書に同じ点数" in w for w in per.warnings_)
    assert not any("c2 ですべて" in w for w in overall.warnings_)


def test_zscore_constant_and_single_reviewers() -> None:
    # R1: 2, 3, 4; R3 gives 5 to everyone (A, B); R4 scored only C (raw 1 kept).
    df = table(
        [
            ("A", "R1", "c1", 2),
            ("B", "R1", "c1", 3),
            ("C", "R1", "c1", 4),
            ("A", "R3", "c1", 5),
            ("B", "R3", "c1", 5),
            ("C", "R4", "c1", 1),
        ]
    )
    comb = make_combiner("zscore").fit(df, ONE)
    pooled = np.array([2, 3, 4, 5, 5, 1], dtype=float)
    mu_p, sd_p = pooled.mean(), pooled.std()
    r1 = {a: mu_p + sd_p * (x - 3) / math.sqrt(2 / 3) for a, x in zip("ABC", (2, 3, 4), strict=True)}
    r3 = 5 - 5 + mu_p  # constant: bias only
    assert values(comb) == pytest.approx(
        {"A": (r1["A"] + r3) / 2, "B": (r1["B"] + r3) / 2, "C": (r1["C"] + 1) / 2}
    )
    text = "\n".join(comb.warnings_)
    assert "審査員 R3 はすべての応募書に同じ点数" in text and "平均（甘辛）の補正だけ" in text
    assert "審査員 R4 は 1 件の応募書しか採点していません" in text and "素点のまま" in text
    assert comb.reviewer_bias_ is not None
    assert math.isnan(comb.reviewer_bias_["R4"])


# ---------------------------------------------------------------------------
# additive
# ---------------------------------------------------------------------------

#: True merits (integers, so that merit + bias stays on the 1–5 scale) and biases.
MERIT = {
    ("A", "c1"): 3,
    ("A", "c2"): 2,
    ("B", "c1"): 4,
    ("B", "c2"): 4,
    ("C", "c1"): 2,
    ("C", "c2"): 3,
    ("D", "c1"): 3,
    ("D", "c2"): 4,
    ("E", "c1"): 2,
    ("E", "c2"): 2,
}
BIAS = {"R1": 1, "R2": -1, "R3": 0, "R4": 1, "R5": -1}
ASSIGN = {
    "A": ["R1", "R3"],
    "B": ["R2", "R5"],
    "C": ["R1", "R3", "R4"],
    "D": ["R2", "R4", "R5"],
    "E": ["R1", "R2", "R3", "R4", "R5"],
}


def biased_rows(
    merit: Mapping[tuple[str, str], float],
    bias: Mapping[str, float],
    assign: Mapping[str, list[str]],
    crits: tuple[str, ...] = ("c1", "c2"),
) -> pd.DataFrame:
    return table([(a, r, c, merit[(a, c)] + bias[r]) for a, rs in assign.items() for r in rs for c in crits])


def test_additive_recovers_noise_free_biased_scores_exactly() -> None:
    df = biased_rows(MERIT, BIAS, ASSIGN)
    mean = make_combiner("mean").fit(df, TWO)
    comb = make_combiner("additive").fit(df, TWO)
    assert comb.reviewer_bias_ is not None
    assert comb.reviewer_bias_.to_dict() == pytest.approx(BIAS, abs=1e-10)
    for (a, c), m in MERIT.items():
        assert comb.criterion_values_.loc[a, c] == pytest.approx(m, abs=1e-10)
    # The plain mean is fooled: A drew the lenient R1, B the severe R2 and R5.
    assert mean.criterion_values_.loc["A", "c1"] == pytest.approx(3.5)
    assert mean.criterion_values_.loc["B", "c1"] == pytest.approx(3.0)
    assert comb.sigma_ == pytest.approx(0, abs=1e-8)
    assert comb.components_ == [{"A", "B", "C", "D", "E"}]
    assert comb.warnings_ == []


def test_additive_merits_up_to_a_constant_when_biases_do_not_sum_to_zero() -> None:
    shifted = {r: b + 0.0 for r, b in BIAS.items()}
    shifted["R3"] = 1  # now the biases sum to 1: merits come back 1/5 higher, biases 1/5 lower
    merit = {k: v - 0 for k, v in MERIT.items()}
    df = biased_rows(merit, shifted, ASSIGN)
    # Keep every score on the scale.
    assert df["score"].between(1, 5).all()
    comb = make_combiner("additive").fit(df, TWO)
    assert comb.reviewer_bias_ is not None
    assert comb.reviewer_bias_.to_dict() == pytest.approx({r: b - 0.2 for r, b in shifted.items()}, abs=1e-10)
    for (a, c), m in merit.items():
        assert comb.criterion_values_.loc[a, c] == pytest.approx(m + 0.2, abs=1e-10)


def test_additive_per_criterion_biases() -> None:
    bias_c = {
        "c1": {"R1": 1, "R2": -1, "R3": 0, "R4": 1, "R5": -1},
        "c2": {"R1": -1, "R2": 0, "R3": 1, "R4": 0, "R5": 0},
    }
    df = table(
        [
            (a, r, c, MERIT[(a, c)] + bias_c[c][r])
            for a, rs in ASSIGN.items()
            for r in rs
            for c in ("c1", "c2")
        ]
    )
    comb = make_combiner("additive", calibrate="criterion").fit(df, TWO)
    assert comb.bias_by_criterion_ is not None
    for c in ("c1", "c2"):
        assert comb.bias_by_criterion_[c].to_dict() == pytest.approx(bias_c[c], abs=1e-10)
    for (a, c), m in MERIT.items():
        assert comb.criterion_values_.loc[a, c] == pytest.approx(m, abs=1e-10)
    assert comb.reviewer_bias_ is not None
    assert comb.reviewer_bias_["R1"] == pytest.approx(0.0)
    # One bias for both criteria cannot fit these data exactly.
    overall = make_combiner("additive").fit(df, TWO)
    assert overall.sigma_ > 0.1


def dense_additive(
    df: pd.DataFrame, lam: float = 0.0, w: np.ndarray | None = None
) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """Independent implementation: dense weighted least squares with b_last = -sum(others)."""
    cells = sorted(set(zip(df["application"], df["criterion"], strict=True)))
    revs = sorted(set(df["reviewer"]))
    n, p_m, p_b = len(df), len(cells), len(revs) - 1
    x = np.zeros((n, p_m + p_b))
    for i, (a, r, c) in enumerate(zip(df["application"], df["reviewer"], df["criterion"], strict=True)):
        x[i, cells.index((a, c))] = 1
        j = revs.index(r)
        if j < p_b:
            x[i, p_m + j] = 1
        else:
            x[i, p_m:] = -1
    y = df["score"].to_numpy(dtype=float)
    wv = np.ones(n) if w is None else w
    pen = np.zeros((p_m + p_b, p_m + p_b))
    pen[p_m:, p_m:] = lam * (np.eye(p_b) + np.ones((p_b, p_b)))  # λ Σ_all b² in this parametrisation
    xtwx = x.T @ (wv[:, None] * x)
    beta = np.linalg.solve(xtwx + pen, x.T @ (wv * y))
    resid = y - x @ beta
    sigma2 = float(np.sum(wv * resid**2) / (n - p_m - p_b))
    cov = sigma2 * np.linalg.inv(xtwx)
    idx = pd.MultiIndex.from_tuples(cells, names=["application", "criterion"])
    merit = pd.Series(beta[:p_m], index=idx)
    se = pd.Series(np.sqrt(np.diag(cov)[:p_m]), index=idx)
    bias = np.append(beta[p_m:], -beta[p_m:].sum())
    return merit, se, bias


def noisy_table(seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for a in "ABCDEFGH":
        for r in rng.choice(["R1", "R2", "R3", "R4", "R5"], 3, replace=False):
            for c in ("c1", "c2"):
                rows.append((a, str(r), c, float(rng.integers(1, 6))))
    return table(rows)


def test_additive_matches_dense_least_squares_with_se() -> None:
    df = noisy_table()
    comb = make_combiner("additive").fit(df, TWO)
    merit, se, bias = dense_additive(df)
    got = comb.criterion_values_.stack().reorder_levels(["application", "criterion"]).sort_index()
    assert np.allclose(got.to_numpy(), merit.sort_index().to_numpy(), atol=1e-10)
    got_se = comb.criterion_se_.stack().reorder_levels(["application", "criterion"]).sort_index()
    assert np.allclose(got_se.to_numpy(), se.sort_index().to_numpy(), atol=1e-10)
    assert comb.reviewer_bias_ is not None
    assert np.allclose(comb.reviewer_bias_.to_numpy(), bias, atol=1e-10)


def test_additive_ridge_and_confidence_match_dense_least_squares() -> None:
    df = noisy_table(11)
    comb = make_combiner("additive", bias_shrinkage=3.0).fit(df, TWO)
    # On the 0–1 scale λ is the same; the dense solver works in points (×4) with the same λ.
    merit, _, bias = dense_additive(df, lam=3.0)
    got = comb.criterion_values_.stack().reorder_levels(["application", "criterion"]).sort_index()
    assert np.allclose(got.to_numpy(), merit.sort_index().to_numpy(), atol=1e-10)
    assert comb.reviewer_bias_ is not None
    assert np.allclose(comb.reviewer_bias_.to_numpy(), bias, atol=1e-10)
    assert abs(comb.reviewer_bias_.sum()) < 1e-10
    plain = make_combiner("additive").fit(df, TWO)
    assert plain.reviewer_bias_ is not None
    assert comb.reviewer_bias_.abs().sum() < plain.reviewer_bias_.abs().sum()  # shrunk

    # Confidence per reviewer and per score (column) equal the dense weighted fit.
    conf = {"R1": 2.0, "R2": 1.0, "R3": 0.5, "R4": 1.0, "R5": 3.0}
    w = df["reviewer"].map(conf).to_numpy(dtype=float)
    merit_w, se_w, _ = dense_additive(df, w=w)
    for confidence, frame in ((conf, df), ("confidence", df.assign(confidence=w))):
        cw = make_combiner("additive", confidence=confidence).fit(frame, TWO)
        got = cw.criterion_values_.stack().reorder_levels(["application", "criterion"]).sort_index()
        assert np.allclose(got.to_numpy(), merit_w.sort_index().to_numpy(), atol=1e-10)
        got_se = cw.criterion_se_.stack().reorder_levels(["application", "criterion"]).sort_index()
        assert np.allclose(got_se.to_numpy(), se_w.sort_index().to_numpy(), atol=1e-10)
    with pytest.raises(ValueError, match="R5"):
        make_combiner("additive", confidence={"R1": 1.0}).fit(df, TWO)
    with pytest.raises(ValueError, match="正の数"):
        make_combiner("additive", confidence="confidence").fit(df.assign(confidence=0.0), TWO)
    with pytest.raises(ValueError, match="'weight'"):
        make_combiner("additive", confidence="weight").fit(df, TWO)


def test_additive_single_and_constant_reviewers() -> None:
    df = biased_rows(MERIT, BIAS, ASSIGN)
    single = table([("C", "R9", "c1", 5), ("C", "R9", "c2", 5)])  # R9 scored only C
    comb = make_combiner("additive").fit(pd.concat([df, single], ignore_index=True), TWO)
    text = "\n".join(comb.warnings_)
    assert "審査員 R9 は 1 件の応募書しか採点していません" in text and "素点のまま" in text
    assert comb.reviewer_bias_ is not None
    assert math.isnan(comb.reviewer_bias_["R9"])
    # The others' biases are estimated without R9 (exact), and R9's raw 5 enters C's merit
    # with bias 0: C/c1 = mean(2 (R1), 2 (R3), 2 (R4), 5 (R9)) = 2.75.
    assert comb.reviewer_bias_.drop("R9").to_dict() == pytest.approx(BIAS, abs=1e-10)
    assert comb.criterion_values_.loc["C", "c1"] == pytest.approx((2 * 3 + 5) / 4, abs=1e-10)
    assert comb.n_reviewers_["C"] == 4

    constant = table([(a, "R8", c, 4) for a in "AB" for c in ("c1", "c2")])
    comb2 = make_combiner("additive").fit(pd.concat([df, constant], ignore_index=True), TWO)
    text2 = "\n".join(comb2.warnings_)
    assert "審査員 R8 はすべての応募書に同じ点数" in text2 and "差がつきません" in text2
    assert comb2.reviewer_bias_ is not None and np.isfinite(comb2.reviewer_bias_["R8"])
    for m in ("mean", "median", "trimmed"):
        c3 = make_combiner(m).fit(pd.concat([df, constant, single], ignore_index=True), TWO)
        assert any("R8 はすべての応募書に同じ点数" in w and "そのまま" in w for w in c3.warnings_)
        assert any("R9 は 1 件の応募書しか" in w and "そのまま" in w for w in c3.warnings_)


@pytest.mark.parametrize("method", ["zscore", "additive", "affine"])
def test_without_calibrated_reviewers_the_result_is_the_mean(method: str) -> None:
    # Every reviewer scored one application: nothing can be calibrated, the mean remains.
    df = table(
        [
            ("A", "R1", "c1", 2),
            ("A", "R2", "c1", 3),
            ("A", "R3", "c1", 5),
            ("B", "R4", "c1", 4),
            ("B", "R5", "c1", 1),
            ("A", "R1", "c2", 3),
            ("A", "R2", "c2", 4),
            ("A", "R3", "c2", 3),
            ("B", "R4", "c2", 2),
            ("B", "R5", "c2", 3),
        ]
    )
    comb = make_combiner(method).fit(df, TWO)
    mean = make_combiner("mean").fit(df, TWO)
    assert_frame_equal(comb.criterion_values_, mean.criterion_values_)
    assert_frame_equal(comb.criterion_se_, mean.criterion_se_)
    assert not any("自由度" in w for w in comb.warnings_)
    assert sum("素点のまま" in w for w in comb.warnings_) == 5


def test_no_residual_degrees_of_freedom_falls_back_to_sd_over_root_n() -> None:
    df = table([("A", "R1", "c1", 2), ("A", "R2", "c1", 3), ("B", "R1", "c1", 4), ("B", "R2", "c1", 5)])
    comb = make_combiner("affine").fit(df, ONE)  # 4 scores, 2 merits + 2 × 2 reviewer parameters − 2
    assert any("残差の自由度がありません" in w for w in comb.warnings_)
    assert np.isfinite(comb.criterion_se_.to_numpy()).all()
    assert values(comb) == pytest.approx({"A": 2.5, "B": 4.5})


# ---------------------------------------------------------------------------
# affine
# ---------------------------------------------------------------------------


def test_affine_recovers_bias_and_scale_noise_free() -> None:
    rubric = make_rubric({"g": [("c1", 60), ("c2", 40)]}, 0, 40)  # pivot 20
    params = {"R1": (2, 0.5), "R2": (-2, 2.0), "R3": (1, 1.0), "R4": (-1, 1.0)}  # Σ bias 0, Π scale 1
    theta = {
        ("A", "c1"): -8,
        ("A", "c2"): -4,
        ("B", "c1"): 6,
        ("B", "c2"): 2,
        ("C", "c1"): 0,
        ("C", "c2"): 8,
        ("D", "c1"): -2,
        ("D", "c2"): -6,
        ("E", "c1"): 4,
        ("E", "c2"): 0,
    }
    assign = {
        "A": ["R1", "R2", "R3"],
        "B": ["R2", "R3", "R4"],
        "C": ["R1", "R3", "R4"],
        "D": ["R1", "R2", "R4"],
        "E": ["R1", "R2", "R3", "R4"],
    }
    df = table(
        [
            (a, r, c, 20 + params[r][0] + params[r][1] * theta[(a, c)])
            for a, rs in assign.items()
            for r in rs
            for c in ("c1", "c2")
        ]
    )
    comb = make_combiner("affine", scale_shrinkage=0.0).fit(df, rubric)
    assert comb.reviewer_bias_ is not None and comb.reviewer_scale_ is not None
    assert comb.reviewer_bias_.to_dict() == pytest.approx({r: p[0] for r, p in params.items()}, abs=1e-6)
    assert comb.reviewer_scale_.to_dict() == pytest.approx({r: p[1] for r, p in params.items()}, abs=1e-6)
    for (a, c), t in theta.items():
        assert comb.criterion_values_.loc[a, c] == pytest.approx(20 + t, abs=1e-6)
    assert comb.reviewer_scale_.name == "scale"
    assert comb.warnings_ == []
    # The additive model cannot fit these scores; the plain mean misranks.
    assert make_combiner("additive").fit(df, rubric).sigma_ > 0.5
    # Shrinkage pulls the scales toward 1 (geometric mean stays 1).
    shrunk = make_combiner("affine", scale_shrinkage=50.0).fit(df, rubric)
    assert shrunk.reviewer_scale_ is not None
    assert shrunk.reviewer_scale_["R2"] < 2.0 and shrunk.reviewer_scale_["R1"] > 0.5
    assert float(np.exp(np.log(shrunk.reviewer_scale_).mean())) == pytest.approx(1.0)


def test_affine_constant_reviewer_gets_a_small_scale() -> None:
    df = biased_rows(MERIT, BIAS, ASSIGN)
    extra = table([(a, "R8", c, 3) for a in "ABCDE" for c in ("c1", "c2")])
    comb = make_combiner("affine").fit(pd.concat([df, extra], ignore_index=True), TWO)
    assert comb.reviewer_scale_ is not None
    assert comb.reviewer_scale_["R8"] < 0.8 * comb.reviewer_scale_.drop("R8").min()
    assert any("審査員 R8 はすべての応募書に同じ点数" in w and "尺度" in w for w in comb.warnings_)
    # Without shrinkage the scale of a reviewer who separates nothing goes to (almost) zero.
    free = make_combiner("affine", scale_shrinkage=0.0).fit(pd.concat([df, extra], ignore_index=True), TWO)
    assert free.reviewer_scale_ is not None
    assert free.reviewer_scale_["R8"] < 0.05


def test_affine_reviewer_scoring_against_the_others_is_clamped_and_reported() -> None:
    df = biased_rows(MERIT, BIAS, ASSIGN)
    reverse = table([(a, "R7", c, 6 - MERIT[(a, c)]) for a in "ABCDE" for c in ("c1", "c2")])
    comb = make_combiner("affine", scale_shrinkage=0.0).fit(pd.concat([df, reverse], ignore_index=True), TWO)
    assert comb.reviewer_scale_ is not None
    assert comb.reviewer_scale_["R7"] == pytest.approx(0.01, abs=1e-3)
    assert any(
        "審査員 R7 の点数は他の審査員の評価とほとんど（または逆に）対応していません" in w
        for w in comb.warnings_
    )
    # The others' merits are still recovered in order.
    order = comb.criterion_values_["c1"].sort_values().index.tolist()
    assert order[-1] == "B" and set(order[:2]) == {"C", "E"}


# ---------------------------------------------------------------------------
# Disconnected reviewer–application graph
# ---------------------------------------------------------------------------


def disconnected() -> pd.DataFrame:
    # Group 1: A, B, C scored by R1 (+1) and R2 (-1); group 2: D, E scored by R3 (+1), R4 (0).
    merit = {"A": 3, "B": 2, "C": 4, "D": 3, "E": 2}
    bias = {"R1": 1, "R2": -1, "R3": 1, "R4": 0}
    rows = [(a, r, "c1", merit[a] + bias[r]) for a in "ABC" for r in ("R1", "R2")]
    rows += [(a, r, "c1", merit[a] + bias[r]) for a in "DE" for r in ("R3", "R4")]
    return table(rows)


@pytest.mark.parametrize("method", ["additive", "affine"])
def test_disconnected_graph_is_reported(method: str) -> None:
    comb = make_combiner(method).fit(disconnected(), ONE)
    assert comb.components_ == [{"A", "B", "C"}, {"D", "E"}]
    assert comb.reviewer_component_.to_dict() == {"R1": 0, "R2": 0, "R3": 1, "R4": 1}
    text = "\n".join(comb.warnings_)
    assert "2 つのグループ" in text and "比較できません" in text
    assert "グループ2: 応募書 D、E（審査員 R3、R4）" in text
    tot = comb.totals()
    for app in "DE":
        assert tot.loc[app, "flags"].startswith("比較不能: 他と連結していない")
    for app in "ABC":
        assert "比較不能" not in tot.loc[app, "flags"]
    assert comb.reviewer_bias_ is not None
    # Biases sum to zero within each group.
    assert comb.reviewer_bias_[["R1", "R2"]].sum() == pytest.approx(0, abs=1e-8)
    assert comb.reviewer_bias_[["R3", "R4"]].sum() == pytest.approx(0, abs=1e-8)


def test_disconnected_additive_values_within_groups() -> None:
    comb = make_combiner("additive").fit(disconnected(), ONE)
    assert comb.reviewer_bias_ is not None
    assert comb.reviewer_bias_.to_dict() == pytest.approx({"R1": 1, "R2": -1, "R3": 0.5, "R4": -0.5})
    # Group 2's merits are only known up to its own constant: D = 3 + 0.5.
    assert values(comb) == pytest.approx({"A": 3, "B": 2, "C": 4, "D": 3.5, "E": 2.5})


def test_disconnected_graph_not_flagged_for_plain_mean() -> None:
    comb = make_combiner("mean").fit(disconnected(), ONE)
    assert len(comb.components_) == 2
    assert comb.warnings_ == []
    assert (comb.totals()["flags"] == "").all()


# ---------------------------------------------------------------------------
# Missing scores
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_missing_scores_are_dropped_and_reported(method: str) -> None:
    df = biased_rows(MERIT, BIAS, ASSIGN)
    df.loc[(df["application"] == "E") & (df["reviewer"] == "R2"), "score"] = math.nan  # unfinished
    df.loc[(df["application"] == "A") & (df["reviewer"] == "R1") & (df["criterion"] == "c2"), "score"] = (
        math.nan
    )
    comb = make_combiner(method).fit(df, TWO)
    text = "\n".join(comb.warnings_)
    assert "点数が空欄の行が 3 件" in text
    assert "審査員 R2 は応募書 E を採点していません" in text
    assert "審査員 R1 は一部の評価項目を採点していません: 応募書 A（1 項目）。" in text
    assert comb.n_reviewers_["E"] == 4  # five assigned, one unfinished
    assert comb.totals()["total"].notna().all()


@pytest.mark.parametrize("method", ["mean", "additive", "affine"])
def test_application_and_reviewer_with_only_empty_scores(method: str) -> None:
    df = biased_rows(MERIT, BIAS, ASSIGN)
    empty = table([("F", "R6", c, math.nan) for c in ("c1", "c2")])  # F assigned, never scored
    comb = make_combiner(method).fit(pd.concat([df, empty], ignore_index=True), TWO)
    assert comb.n_reviewers_["F"] == 0 and comb.n_scores_["R6"] == 0
    assert comb.criterion_values_.loc["F"].isna().all()
    assert comb.components_ == [{"A", "B", "C", "D", "E"}]  # F is in no piece: nothing to compare
    assert comb.reviewer_component_["R6"] == -1
    tot = comb.totals()
    assert tot.index[-1] == "F" and pd.isna(tot.loc["F", "rank"])
    assert tot.loc["F", "flags"] == "点数なし: どの審査員も採点していません"
    assert "審査員 R6 は応募書 F を採点していません" in "\n".join(comb.warnings_)
    assert not any("R6 は 0 件" in w for w in comb.warnings_)
    assert tot.drop("F")["total"].notna().all()


def test_criterion_without_scores_gives_no_total_unless_weight_zero() -> None:
    df = table([("A", "R1", "c1", 4), ("B", "R1", "c1", 2), ("A", "R2", "c1", 5), ("B", "R2", "c1", 3)])
    comb = make_combiner("mean").fit(df, TWO)
    assert any("評価項目 c2 の点数がひとつもありません" in w for w in comb.warnings_)
    tot = comb.totals()
    assert tot["total"].isna().all() and tot["rank"].isna().all()
    assert tot["flags"].str.contains("未採点の評価項目あり: c2").all()
    tot1 = comb.totals(pd.Series({"c1": 1.0, "c2": 0.0}))
    assert tot1.loc["A", "total"] == pytest.approx((4.5 - 1) / 4 * 100)
    assert (tot1["flags"] == "").all()


# ---------------------------------------------------------------------------
# Totals and weights
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_all_max_scores_give_100_and_all_min_give_0(method: str) -> None:
    rubric = make_rubric({"g1": [("c1", 15), ("c2", 10)], "g2": [("c3", 12)]})
    top = table([(a, r, c, 5) for a in "ABC" for r in ("R1", "R2", "R3") for c in ("c1", "c2", "c3")])
    bottom = top.assign(score=1)
    t_top = make_combiner(method).fit(top, rubric).totals()
    t_bottom = make_combiner(method).fit(bottom, rubric).totals()
    assert np.allclose(t_top["total"], 100.0)
    assert np.allclose(t_bottom["total"], 0.0, atol=1e-9)
    assert np.allclose(t_top["g1"], 25 / 37 * 100) and np.allclose(t_top["g2"], 12 / 37 * 100)
    assert (t_top["rank"] == 1).all()


def test_totals_contract_and_values() -> None:
    rubric = make_rubric({"need": [("c1", 30), ("c2", 20)], "fit": [("c3", 50)]})
    df = table(
        [
            ("A", "R1", "c1", 5),
            ("A", "R1", "c2", 3),
            ("A", "R1", "c3", 1),
            ("B", "R1", "c1", 2),
            ("B", "R1", "c2", 2),
            ("B", "R1", "c3", 4),
            ("A", "R2", "c1", 3),
            ("A", "R2", "c2", 3),
            ("A", "R2", "c3", 3),
            ("B", "R2", "c1", 2),
            ("B", "R2", "c2", 4),
            ("B", "R2", "c3", 4),
        ]
    )
    comb = make_combiner("mean").fit(df, rubric)
    tot = comb.totals()
    assert list(tot.columns) == ["total", "se", "n_reviewers", "need", "fit", "flags", "rank"]
    assert tot.index.name == "application"
    # A: c1 4 → .75·30, c2 3 → .5·20, c3 2 → .25·50 = 22.5 + 10 + 12.5 = 45
    # B: c1 2 → .25·30, c2 3 → .5·20, c3 4 → .75·50 = 7.5 + 10 + 37.5 = 55
    assert tot["total"].to_dict() == pytest.approx({"B": 55.0, "A": 45.0})
    assert list(tot.index) == ["B", "A"]
    assert tot["rank"].tolist() == [1, 2] and str(tot["rank"].dtype) == "Int64"
    assert np.allclose(tot["need"] + tot["fit"], tot["total"])
    assert tot.loc["A", "need"] == pytest.approx(32.5)
    # SE: √Σ (w/(max-min) · se)², se per criterion = sd/√2.
    se_a = np.array([np.std([5, 3], ddof=1), 0.0, np.std([1, 3], ddof=1)]) / math.sqrt(2)
    assert tot.loc["A", "se"] == pytest.approx(math.sqrt(np.sum((np.array([30, 20, 50]) / 4 * se_a) ** 2)))
    assert tot["n_reviewers"].tolist() == [2, 2]
    assert (tot["flags"] == "").all()


def test_weight_change_without_refit() -> None:
    rubric = make_rubric({"need": [("c1", 30), ("c2", 20)], "fit": [("c3", 50)]})
    rng = np.random.default_rng(5)
    df = table(
        [
            (a, r, c, float(rng.integers(1, 6)))
            for a in "ABCDEF"
            for r in ("R1", "R2", "R3")
            for c in ("c1", "c2", "c3")
        ]
    )
    comb = make_combiner("additive").fit(df, rubric)
    before = comb.criterion_values_.copy()
    bias_before = comb.reviewer_bias_.copy() if comb.reviewer_bias_ is not None else None
    t_default = comb.totals()
    t_new = comb.totals(pd.Series({"c1": 10.0, "c2": 10.0, "c3": 80.0}, name="weight"))
    assert not np.allclose(t_default.sort_index()["total"], t_new.sort_index()["total"])
    assert_frame_equal(comb.criterion_values_, before)
    assert bias_before is not None and comb.reviewer_bias_ is not None
    assert_series_equal(comb.reviewer_bias_, bias_before)
    # Renormalised to 100: doubling all weights changes nothing; dict works; default restored.
    assert_frame_equal(comb.totals({"c1": 60, "c2": 40, "c3": 100}), t_default)
    assert_frame_equal(comb.totals(), t_default)
    # Expected by hand from the criterion values.
    frac = (comb.criterion_values_ - 1) / 4
    assert np.allclose(t_new.sort_index()["total"], (frac @ np.array([10, 10, 80])).sort_index())
    # A criterion left out counts 0.
    only3 = comb.totals({"c3": 5})
    assert np.allclose(only3.sort_index()["total"], (frac["c3"] * 100).sort_index())
    assert np.allclose(only3["need"], 0.0)


def test_invalid_weights() -> None:
    comb = make_combiner("mean").fit(SMALL, TWO)
    with pytest.raises(ValueError, match="c7") as exc:
        comb.totals({"c1": 1, "c7": 2})
    assert "c1, c2" in str(exc.value)
    with pytest.raises(ValueError, match="0 以上"):
        comb.totals({"c1": -1, "c2": 2})
    with pytest.raises(ValueError, match="合計が 0"):
        comb.totals({"c1": 0, "c2": 0})
    with pytest.raises(OptionError, match="Series"):
        comb.totals([1, 2])  # type: ignore[arg-type]


def test_single_reviewer_flag_and_ties() -> None:
    comb = make_combiner("mean").fit(SMALL, TWO)
    tot = comb.totals()
    assert tot.loc["C", "flags"] == "審査員1名のみ"
    assert math.isnan(tot.loc["C", "se"])
    df = table([("A", "R1", "c1", 4), ("B", "R1", "c1", 4), ("C", "R1", "c1", 2)])
    t = make_combiner("mean").fit(df, ONE).totals()
    assert list(t.index) == ["A", "B", "C"] and t["rank"].tolist() == [1, 1, 3]


def test_fit_predict_and_combine() -> None:
    df = biased_rows(MERIT, BIAS, ASSIGN)
    s = make_combiner("additive").fit_predict(df, TWO)
    assert s.name == "total" and s.index.name == "application"
    assert_series_equal(s, make_combiner("additive").fit(df, TWO).totals()["total"], check_names=False)
    out = combine(df, TWO, method="additive", weights={"c1": 1, "c2": 1})
    expected = make_combiner("additive").fit(df, TWO).totals({"c1": 1, "c2": 1})
    assert_frame_equal(out, expected)
    assert_frame_equal(combine(df, TWO), make_combiner(DEFAULT_METHOD).fit(df, TWO).totals())
    assert_frame_equal(
        combine(df, TWO, method="trimmed", proportion=0.4),
        make_combiner("trimmed", proportion=0.4).fit(df, TWO).totals(),
    )


def test_calibrated_value_above_the_scale_is_flagged_not_clipped() -> None:
    # R1 is severe (gives 4 where R2 gives 5) and alone scores B with 5: additive puts B above 5.
    df = table(
        [
            ("A", "R1", "c1", 4),
            ("A", "R2", "c1", 5),
            ("C", "R1", "c1", 3),
            ("C", "R2", "c1", 4),
            ("B", "R1", "c1", 5),
        ]
    )
    comb = make_combiner("additive").fit(df, ONE)
    assert comb.criterion_values_.loc["B", "c1"] == pytest.approx(5.5)
    tot = comb.totals()
    assert tot.loc["B", "total"] == pytest.approx(112.5)
    assert "尺度外" in tot.loc["B", "flags"] and "審査員1名のみ" in tot.loc["B", "flags"]


def test_other_columns_are_ignored_and_ids_are_strings() -> None:
    df = biased_rows(MERIT, BIAS, ASSIGN)
    df["comment"] = "架空のコメント"
    df["updated_at"] = pd.Timestamp("2026-02-25 10:00", tz="Asia/Tokyo")
    df["rubric_version"] = TWO.version
    comb = make_combiner("mean").fit(df, TWO)
    assert all(isinstance(a, str) for a in comb.criterion_values_.index)
    assert all(isinstance(r, str) for r in comb.n_scores_.index)
    assert comb.n_scores_.sum() == len(df)


# ---------------------------------------------------------------------------
# The simulation script (fast mode)
# ---------------------------------------------------------------------------


@pytest.mark.slow
def test_simulation_fast_mode_runs() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "simulate_methods.py"),
            "--rounds",
            "20",
            "--scenario",
            "standard",
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "20 rounds per scenario" in out
    rows = [
        line
        for line in out.splitlines()
        if line.startswith("| ") and "±" in line and not line.startswith("| method")
    ]
    methods = [line.split("|")[1].strip() for line in rows]
    for m in METHODS:
        assert m in methods
    for line in rows:
        cells = [c.strip() for c in line.split("|")[1:-1]]
        tau = float(cells[1].split("±")[0])
        top5 = float(cells[2].split("±")[0])
        assert -1 <= tau <= 1 and 0 <= top5 <= 5
    # Calibration must beat the plain mean on this scenario (reviewers differ in leniency).
    tau_of = {line.split("|")[1].strip(): float(line.split("|")[2].split("±")[0]) for line in rows}
    assert tau_of["additive"] > tau_of["mean"]
    assert tau_of[DEFAULT_METHOD] > tau_of["mean"]
