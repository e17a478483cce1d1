"""Reliability statistics against published numbers and independent implementations.

Sources of the published values used here:

* Krippendorff's alpha: K. Krippendorff (2011), "Computing Krippendorff's Alpha-
  Reliability", the 4 observers × 12 units reliability data matrix with missing values
  (nominal 0.743, ordinal 0.815, interval 0.849, ratio 0.797), as reproduced in the
  docstring of the ``krippendorff`` package (``krippendorff.alpha``).
* ICC: Shrout & Fleiss (1979), Psychological Bulletin 86, 420–428, Table 2 data
  (6 targets × 4 judges) and Table 4 values (.17, .29, .71, .44, .62, .91); the R psych
  ``ICC()`` output for the same data printed in RExRepos (dwoll/RExRepos,
  ``interRaterICC``): F 1.8 / 11.0, p 0.16477 / 0.00013, lower bounds −0.133, 0.019,
  0.342, −0.884, 0.071, 0.676, upper bounds 0.72, 0.76, 0.95, 0.91, 0.93, 0.99.
* Kendall's W: NAG Library, G08DAF example program (data from Siegel 1956; 3
  comparisons × 10 objects with tied ranks): W = 0.828, significance 0.008; and the R
  ``irr::kendall`` example in RExRepos (W = 0.568, Chisq(5) = 8.52, p = 0.13).
"""

from __future__ import annotations

import warnings

import krippendorff
import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from scipy import stats

from scoring.agreement import alpha as alpha_mod
from scoring.agreement import reliability as rel
from scoring.agreement.icc_incomplete import icc_incomplete
from scoring.agreement.reliability import (
    ALPHA_COLUMNS,
    ICC_COLUMNS,
    KENDALL_COLUMNS,
    RELIABILITY_COLUMNS,
    TOTALS_COLUMNS,
    alpha_judgement,
    check_scores,
    icc,
    kendall_w,
    krippendorff_alpha,
    reliability_table,
    reviewer_totals,
)
from scoring.config.rubric import Rubric, rubric_from_dict
from scoring.core.errors import ScoreTableError

NAN = np.nan

# Krippendorff (2011): rows = observers A–D, columns = units 1–12.
KRIPP_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
    [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
]
KRIPP_2011_PUBLISHED = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}

# Shrout & Fleiss (1979), Table 2: 6 targets (rows) × 4 judges (columns).
SHROUT_FLEISS = pd.DataFrame(
    [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]],
    index=pd.Index([f"S{i}" for i in range(1, 7)]),
    columns=["J1", "J2", "J3", "J4"],
)

# NAG G08DAF example (Siegel 1956): 3 comparisons (raters) × 10 objects, with ties.
NAG_G08DAF = np.array(
    [
        [1.0, 4.5, 2.0, 4.5, 3.0, 7.5, 6.0, 9.0, 7.5, 10.0],
        [2.5, 1.0, 2.5, 4.5, 4.5, 8.0, 9.0, 6.5, 10.0, 6.5],
        [2.0, 1.0, 4.5, 4.5, 4.5, 4.5, 8.0, 8.0, 8.0, 10.0],
    ]
)


def long_from_matrix(matrix: list[list[float]] | np.ndarray, criterion: str = "c1") -> pd.DataFrame:
    """Raters × units matrix → canonical long table (missing cells become NaN scores)."""
    m = np.asarray(matrix, dtype="float64")
    rows = [
        (f"u{j + 1:02d}", f"R{i + 1}", criterion, m[i, j])
        for i in range(m.shape[0])
        for j in range(m.shape[1])
    ]
    return pd.DataFrame(rows, columns=["application", "reviewer", "criterion", "score"])


def small_rubric(step: float = 1.0, weights: tuple[float, float] = (75, 25)) -> Rubric:
    levels = np.arange(1, 5 + step / 2, step)
    return rubric_from_dict(
        {
            "id": "t",
            "name_ja": "テスト",
            "name_en": "Test",
            "scale": {"min": 1, "max": 5, "step": step},
            "anchors": {float(v): {"ja": f"水準{v}"} for v in levels},
            "groups": [
                {
                    "id": "g",
                    "label_ja": "群",
                    "label_en": "G",
                    "criteria": [
                        {
                            "id": "c1",
                            "label_ja": "項目1",
                            "label_en": "C1",
                            "guidance_ja": "x",
                            "weight": weights[0],
                        },
                        {
                            "id": "c2",
                            "label_ja": "項目2",
                            "label_en": "C2",
                            "guidance_ja": "x",
                            "weight": weights[1],
                        },
                    ],
                }
            ],
        }
    )


# ---------------------------------------------------------------------------
# Krippendorff's alpha
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_alpha_matches_krippendorff_2011(level: str) -> None:
    out = krippendorff_alpha(long_from_matrix(KRIPP_2011), level, total=False)
    assert list(out.columns) == list(ALPHA_COLUMNS)
    assert out["criterion"].tolist() == ["c1"]
    assert round(float(out.at[0, "alpha"]), 3) == KRIPP_2011_PUBLISHED[level]
    # unit 12 has one value only: 11 pairable units, 40 pairable values, 4 observers
    assert out.loc[0, ["n_units", "n_pairable", "n_reviewers"]].tolist() == [11, 40, 4]
    assert out.at[0, "level"] == level


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_alpha_closed_form_path_gives_the_published_values(
    level: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(alpha_mod, "_PACKAGE_MAX_CELLS", 0)  # force the large-domain code path
    out = krippendorff_alpha(long_from_matrix(KRIPP_2011), level, total=False)
    assert round(float(out.at[0, "alpha"]), 3) == KRIPP_2011_PUBLISHED[level]
    assert float(out.at[0, "alpha"]) == pytest.approx(
        krippendorff.alpha(KRIPP_2011, level_of_measurement=level),
        abs=1e-12,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_alpha_closed_form_equals_package_on_random_data(level: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    m = rng.integers(1, 6, size=(6, 30)).astype("float64")
    if level != "nominal":
        m += rng.normal(0, 0.3, size=m.shape).round(1)  # many distinct values
    m[rng.random(m.shape) < 0.3] = np.nan
    counts = (~np.isnan(m)).sum(axis=0)
    p = m[:, counts >= 2]
    mask = ~np.isnan(p)
    values = p.T[mask.T]
    units = np.broadcast_to(np.arange(p.shape[1])[:, None], p.T.shape)[mask.T]
    ours = alpha_mod._alpha_closed_form(values, units, level)
    assert ours == pytest.approx(krippendorff.alpha(m, level_of_measurement=level), abs=1e-12)  # type: ignore[arg-type]


def test_alpha_hand_computed_interval() -> None:
    # 2 reviewers × 3 applications: (1,1), (2,3), (3,3).  D_o = 1/3, D_e = 29/15 → α = 24/29.
    df = long_from_matrix([[1, 2, 3], [1, 3, 3]])
    out = krippendorff_alpha(df, "interval", total=False)
    assert float(out.at[0, "alpha"]) == pytest.approx(24 / 29, abs=1e-12)


def test_alpha_perfect_agreement_is_one_and_constant_is_nan() -> None:
    out = krippendorff_alpha(long_from_matrix([[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4]]), total=False)
    assert float(out.at[0, "alpha"]) == pytest.approx(1.0)
    assert out.at[0, "judgement"] == "信頼できる（α≥0.800）"
    const = krippendorff_alpha(long_from_matrix([[3, 3, 3], [3, 3, 3]]), total=False)
    assert np.isnan(const.at[0, "alpha"])
    assert const.at[0, "judgement"].startswith("算出できない")


def test_alpha_missing_scores_as_nan_rows_or_absent_rows_agree() -> None:
    with_nan = long_from_matrix(KRIPP_2011)
    without = with_nan.dropna(subset=["score"])
    a = krippendorff_alpha(with_nan, total=False)
    b = krippendorff_alpha(without, total=False)
    pd.testing.assert_frame_equal(a, b)


def test_alpha_no_pairable_unit() -> None:
    # every application scored by one reviewer only (e.g. split assignment)
    df = long_from_matrix([[1, NAN, 3], [NAN, 2, NAN]])
    out = krippendorff_alpha(df, total=False)
    assert np.isnan(out.at[0, "alpha"])
    assert out.loc[0, ["n_units", "n_pairable", "n_reviewers"]].tolist() == [0, 0, 0]


def test_alpha_per_criterion_pooled_and_total() -> None:
    rubric = small_rubric()
    c1 = long_from_matrix([[5, 3, 1, 4], [4, 3, 2, 5], [5, 2, 1, NAN]], "c1")
    c2 = long_from_matrix([[1, 5, 3, 2], [2, 5, 3, 1], [1, 4, 4, 2]], "c2")
    df = pd.concat([c2, c1], ignore_index=True)  # c2 first: output follows rubric order
    with pytest.warns(UserWarning, match="u04×R3"):
        out = krippendorff_alpha(df, "interval", rubric=rubric)
    assert out["criterion"].tolist() == ["c1", "c2", "total"]
    m1 = c1.pivot(index="reviewer", columns="application", values="score").to_numpy()
    m2 = c2.pivot(index="reviewer", columns="application", values="score").to_numpy()
    assert out.at[0, "alpha"] == pytest.approx(
        krippendorff.alpha(m1, level_of_measurement="interval"), abs=1e-12
    )
    assert out.at[1, "alpha"] == pytest.approx(
        krippendorff.alpha(m2, level_of_measurement="interval"), abs=1e-12
    )
    # total: 75·(c1−1)/4 + 25·(c2−1)/4 per complete sheet; u04×R3 lacks c1 → missing
    tot = 75 * (m1 - 1) / 4 + 25 * (m2 - 1) / 4
    assert np.isnan(tot[2, 3])
    assert out.at[2, "alpha"] == pytest.approx(
        krippendorff.alpha(tot, level_of_measurement="interval"), abs=1e-12
    )
    assert out.at[2, "n_pairable"] == 11
    # pooled: units are application × criterion
    with pytest.warns(UserWarning):
        pooled = krippendorff_alpha(df, "ordinal", by=None, rubric=rubric, total=True)
    assert pooled["criterion"].tolist() == ["all_criteria", "total"]
    both = np.concatenate([m1, m2], axis=1)
    assert pooled.at[0, "alpha"] == pytest.approx(
        krippendorff.alpha(both, level_of_measurement="ordinal"), abs=1e-12
    )


def test_alpha_total_uses_weights_override() -> None:
    rubric = small_rubric()
    df = pd.concat(
        [long_from_matrix([[5, 1, 3], [4, 2, 3]], "c1"), long_from_matrix([[1, 5, 2], [3, 5, 1]], "c2")]
    )
    out = krippendorff_alpha(df, rubric=rubric, weights={"c1": 0, "c2": 10})
    # with all the weight on c2 the total's alpha is c2's alpha
    assert out.at[2, "alpha"] == pytest.approx(out.at[1, "alpha"], abs=1e-12)


def test_alpha_judgement_thresholds() -> None:
    assert alpha_judgement(0.80) == "信頼できる（α≥0.800）"
    assert alpha_judgement(0.7999) == "暫定的な判断にとどめる（0.667≤α<0.800）"
    assert alpha_judgement(0.667) == "暫定的な判断にとどめる（0.667≤α<0.800）"
    assert alpha_judgement(0.5) == "信頼性が不十分（α<0.667）"
    assert alpha_judgement(float("nan")).startswith("算出できない")


def test_alpha_option_errors_list_allowed_values() -> None:
    df = long_from_matrix([[1, 2], [2, 1]])
    with pytest.raises(
        ValueError, match="level='likert' は使えません。使える値: 'interval', 'ordinal', 'nominal', 'ratio'"
    ):
        krippendorff_alpha(df, "likert")
    with pytest.raises(ValueError, match="by='reviewer' は使えません。使える値: 'criterion', None"):
        krippendorff_alpha(df, by="reviewer")


def test_alpha_unknown_criterion_for_rubric() -> None:
    df = long_from_matrix([[1, 2], [2, 1]], "c9")
    with pytest.raises(ValueError, match="評価基準にない評価項目があります: c9。使える評価項目: c1, c2"):
        krippendorff_alpha(df, rubric=small_rubric())


# ---------------------------------------------------------------------------
# The score table and totals
# ---------------------------------------------------------------------------


def test_check_scores_errors_in_japanese() -> None:
    with pytest.raises(ScoreTableError, match="DataFrame で渡してください"):
        check_scores([1, 2, 3])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="列 criterion, score がありません"):
        check_scores(pd.DataFrame({"application": ["01"], "reviewer": ["R1"]}))
    bad = pd.DataFrame(
        {
            "application": ["01", "02"],
            "reviewer": ["R1", "R1"],
            "criterion": ["c1", "c1"],
            "score": [3, "よい"],
        }
    )
    with pytest.raises(
        ValueError, match=r"数値でない値があります: 行1（応募 02・審査員 R1・評価項目 c1: 'よい'）"
    ):
        check_scores(bad)
    dup = pd.DataFrame(
        {"application": ["01", "01"], "reviewer": ["R1", "R1"], "criterion": ["c1", "c1"], "score": [3, 4]}
    )
    with pytest.raises(
        ValueError,
        match="同じ応募・審査員・評価項目の採点が複数あります: （応募 01・審査員 R1・評価項目 c1）",
    ):
        check_scores(dup)
    empty_key = pd.DataFrame({"application": [None], "reviewer": ["R1"], "criterion": ["c1"], "score": [3]})
    with pytest.raises(ValueError, match="application 列が空の行があります"):
        check_scores(empty_key)


def test_check_scores_keeps_only_scored_rows_and_ignores_extra_columns() -> None:
    df = pd.DataFrame(
        {
            "application": ["01", "01"],
            "reviewer": ["R1", "R2"],
            "criterion": ["c1", "c1"],
            "score": [3, None],
            "comment": ["x", "y"],
        }
    )
    out = check_scores(df)
    assert list(out.columns) == ["application", "reviewer", "criterion", "score"]
    assert out["reviewer"].tolist() == ["R1"]
    assert out["score"].dtype == "float64"


def test_reviewer_totals_on_the_haiten_scale() -> None:
    rubric = small_rubric()  # weights 75 / 25, scale 1–5
    df = pd.DataFrame(
        {
            "application": ["01", "01", "02", "02", "03", "03"],
            "reviewer": ["R1"] * 6,
            "criterion": ["c1", "c2"] * 3,
            "score": [5, 5, 1, 1, 3, 5],
        }
    )
    out = reviewer_totals(df, rubric)
    expected = pd.DataFrame(
        {
            "application": ["01", "02", "03"],
            "reviewer": ["R1"] * 3,
            "total": [100.0, 0.0, 62.5],
            "n_criteria": [2, 2, 2],
        }
    )
    pd.testing.assert_frame_equal(out, expected, check_dtype=False)
    assert list(out.columns) == list(TOTALS_COLUMNS)
    # no rubric: plain sum; weights without rubric: weighted sum
    plain = reviewer_totals(df)
    assert plain["total"].tolist() == [10.0, 2.0, 8.0]
    weighted = reviewer_totals(df, weights={"c1": 2, "c2": 1})
    assert weighted["total"].tolist() == [15.0, 3.0, 11.0]
    # weight 0 drops a criterion, so a sheet without it is complete
    part = df[df["criterion"] == "c1"]
    only_c1 = reviewer_totals(part, rubric, weights={"c1": 100, "c2": 0})
    assert only_c1["total"].tolist() == [100.0, 0.0, 50.0]
    # with a rubric, weights are renormalised to 100 (as scoring.combine does): 3:1 = 75:25
    pd.testing.assert_frame_equal(reviewer_totals(df, rubric, weights={"c1": 3, "c2": 1}), out)


def test_reviewer_totals_warns_about_incomplete_sheets() -> None:
    df = pd.DataFrame(
        {
            "application": ["01", "01", "02"],
            "reviewer": ["R1", "R1", "R1"],
            "criterion": ["c1", "c2", "c1"],
            "score": [3, 4, 5],
        }
    )
    with pytest.warns(
        UserWarning, match=r"未採点の評価項目がある採点 1件（応募×審査員: 02×R1）は合計点から除きました"
    ):
        out = reviewer_totals(df)
    assert out["application"].tolist() == ["01"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reviewer_totals(df, warn=False)


def test_reviewer_totals_weight_errors() -> None:
    df = long_from_matrix([[1, 2], [2, 1]], "c1")
    rubric = small_rubric()
    with pytest.raises(ValueError, match="weights に評価項目 c2 の配点がありません"):
        reviewer_totals(df, rubric, weights={"c1": 10})
    with pytest.raises(ValueError, match="採点表・評価基準にない評価項目があります: c3"):
        reviewer_totals(df, rubric, weights={"c1": 10, "c2": 5, "c3": 1})
    with pytest.raises(ValueError, match="配点は 0 以上の数にしてください（評価項目 c2）"):
        reviewer_totals(df, rubric, weights={"c1": 10, "c2": -5})
    with pytest.raises(ValueError, match="配点の合計が 0 です"):
        reviewer_totals(df, rubric, weights={"c1": 0, "c2": 0})


# ---------------------------------------------------------------------------
# ICC
# ---------------------------------------------------------------------------


def test_icc_matches_shrout_fleiss_table_4() -> None:
    out = icc(SHROUT_FLEISS)
    assert list(out.columns) == list(ICC_COLUMNS)
    assert out["type"].tolist() == ["ICC(1,1)", "ICC(A,1)", "ICC(C,1)", "ICC(1,k)", "ICC(A,k)", "ICC(C,k)"]
    assert out["shrout_fleiss"].tolist() == ["ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k"]
    assert out["icc"].round(2).tolist() == [0.17, 0.29, 0.71, 0.44, 0.62, 0.91]
    assert out.attrs == {"n_targets": 6, "n_raters": 4}


def test_icc_matches_r_psych_output_for_shrout_fleiss() -> None:
    out = icc(SHROUT_FLEISS)
    assert out["F"].round(1).tolist() == [1.8, 11.0, 11.0, 1.8, 11.0, 11.0]
    assert out["df1"].tolist() == [5] * 6
    assert out["df2"].tolist() == [18, 15, 15, 18, 15, 15]
    assert out["p"].round(5).tolist() == [0.16477, 0.00013, 0.00013, 0.16477, 0.00013, 0.00013]
    assert out["ci_low"].round(3).tolist() == [-0.133, 0.019, 0.342, -0.884, 0.071, 0.676]
    assert out["ci_high"].round(2).tolist() == [0.72, 0.76, 0.95, 0.91, 0.93, 0.99]


def _pingouin_unrounded(wide: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> pd.DataFrame:
    # pingouin rounds CI95 to 2 decimals by default (options['round.column.CI95'] = 2);
    # switching that option off gives its unrounded bounds.
    monkeypatch.setitem(pg.options, "round.column.CI95", None)
    long = wide.rename_axis(index="t", columns="r").stack().rename("s").reset_index()
    return pg.intraclass_corr(data=long, targets="t", raters="r", ratings="s")


PINGOUIN_PANDAS_WARNING = (
    "ignore:The inplace keyword in DataFrame.dropna"  # pingouin's own pandas-3 deprecation
)


@pytest.mark.filterwarnings(PINGOUIN_PANDAS_WARNING)
@pytest.mark.parametrize("shape_seed", [(6, 4, 0), (12, 3, 1), (30, 7, 2), (5, 2, 3)])
def test_icc_matches_pingouin_to_1e9(
    shape_seed: tuple[int, int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    n, k, seed = shape_seed
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, size=(n, 1)) + rng.normal(0, 0.5, size=(1, k)) + rng.normal(0, 0.7, size=(n, k))
    wide = pd.DataFrame(x, index=[f"a{i}" for i in range(n)], columns=[f"R{j}" for j in range(k)])
    ours = icc(wide)
    ref = _pingouin_unrounded(wide, monkeypatch)
    assert ref["CI95"].iloc[0][0] != round(ref["CI95"].iloc[0][0], 2)  # really unrounded
    assert ours["type"].tolist() == ref["Type"].tolist()
    np.testing.assert_allclose(ours["icc"], ref["ICC"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours["F"], ref["F"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours["p"], ref["pval"], rtol=0, atol=1e-9)
    assert ours["df1"].tolist() == ref["df1"].tolist()
    assert ours["df2"].tolist() == ref["df2"].tolist()
    np.testing.assert_allclose(ours["ci_low"], [c[0] for c in ref["CI95"]], rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours["ci_high"], [c[1] for c in ref["CI95"]], rtol=0, atol=1e-9)


@pytest.mark.filterwarnings(PINGOUIN_PANDAS_WARNING)
def test_icc_shrout_fleiss_against_pingouin(monkeypatch: pytest.MonkeyPatch) -> None:
    ours = icc(SHROUT_FLEISS)
    ref = _pingouin_unrounded(SHROUT_FLEISS, monkeypatch)
    np.testing.assert_allclose(ours["icc"], ref["ICC"], atol=1e-9, rtol=0)
    np.testing.assert_allclose(ours["ci_low"], [c[0] for c in ref["CI95"]], atol=1e-9, rtol=0)


def test_icc_long_and_canonical_inputs_equal_wide() -> None:
    wide = icc(SHROUT_FLEISS)
    long = SHROUT_FLEISS.rename_axis(index="target", columns="rater").stack().rename("score").reset_index()
    pd.testing.assert_frame_equal(icc(long), wide)
    canon = long.rename(columns={"target": "application", "rater": "reviewer"}).assign(criterion="c1")
    pd.testing.assert_frame_equal(icc(canon), wide)
    custom = long.rename(columns={"target": "pref", "rater": "who", "score": "pt"})
    pd.testing.assert_frame_equal(icc(custom, target="pref", rater="who", score="pt"), wide)


def test_icc_incomplete_table_names_the_missing_cells() -> None:
    wide = SHROUT_FLEISS.astype("float64")
    wide.loc["S2", "J3"] = np.nan
    wide.loc["S5", "J1"] = np.nan
    with pytest.raises(ValueError, match=r"欠けているセル: （対象 S2・評価者 J3）、（対象 S5・評価者 J1）"):
        icc(wide)
    long = SHROUT_FLEISS.rename_axis(index="target", columns="rater").stack().rename("score").reset_index()
    long = long[~((long["target"] == "S4") & (long["rater"] == "J2"))]
    with pytest.raises(
        ValueError, match=r"全ての対象×評価者がそろった表が必要です。欠けているセル: （対象 S4・評価者 J2）"
    ):
        icc(long)


def test_icc_input_errors() -> None:
    with pytest.raises(ScoreTableError, match="DataFrame で渡してください"):
        icc(np.zeros((3, 3)))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="列 名前 が数値ではありません"):
        icc(pd.DataFrame({"名前": ["a", "b"], "R1": [1, 2]}))
    with pytest.raises(ValueError, match="対象が2件以上・評価者が2人以上必要です（対象 6件・評価者 1人）"):
        icc(SHROUT_FLEISS[["J1"]])
    canon = pd.DataFrame(
        {
            "application": ["01", "01", "02", "02"],
            "reviewer": ["R1", "R2", "R1", "R2"],
            "criterion": ["c1", "c2", "c1", "c2"],
            "score": [1, 2, 3, 4],
        }
    )
    with pytest.raises(ValueError, match="criterion 列に複数の評価項目があります: c1、c2"):
        icc(canon)
    dup = pd.DataFrame(
        {"target": ["a", "a", "b", "b", "a"], "rater": ["x", "y", "x", "y", "x"], "score": [1, 2, 3, 4, 5]}
    )
    with pytest.raises(ValueError, match="同じ対象×評価者の値が複数あります: a×x"):
        icc(dup)
    with pytest.raises(ValueError, match="列 tgt がありません"):
        icc(dup, target="tgt")
    with pytest.raises(ValueError, match="confidence は 0 と 1 の間"):
        icc(SHROUT_FLEISS, confidence=95)
    nonnum = pd.DataFrame(
        {"target": ["a", "a", "b", "b"], "rater": ["x", "y", "x", "y"], "score": [1, "高", 3, 4]}
    )
    with pytest.raises(ValueError, match="score 列に数値でない値があります: a×y: '高'"):
        icc(nonnum)


def test_icc_constant_table_warns_and_gives_nan() -> None:
    with pytest.warns(UserWarning, match="全ての値が同じため ICC は定義できません"):
        out = icc(pd.DataFrame({"R1": [3, 3, 3], "R2": [3, 3, 3]}))
    assert out["icc"].isna().all()


def test_icc_confidence_level_widens_interval() -> None:
    narrow = icc(SHROUT_FLEISS, confidence=0.80)
    wide = icc(SHROUT_FLEISS, confidence=0.99)
    assert (wide["ci_low"] < narrow["ci_low"]).all()
    assert (wide["ci_high"] > narrow["ci_high"]).all()
    pd.testing.assert_series_equal(wide["icc"], narrow["icc"])


# ---------------------------------------------------------------------------
# Kendall's W
# ---------------------------------------------------------------------------


def test_kendall_w_nag_g08da_example_with_ties() -> None:
    out = kendall_w(pd.DataFrame(NAG_G08DAF.T, columns=["C1", "C2", "C3"]))
    assert list(out.columns) == list(KENDALL_COLUMNS)
    assert round(float(out.at[0, "W"]), 3) == 0.828
    assert round(float(out.at[0, "p"]), 3) == 0.008
    assert out.loc[0, ["df", "n_targets", "n_raters"]].tolist() == [9, 10, 3]
    # the correction matters here: without it W is lower
    assert out.at[0, "W_uncorrected"] < out.at[0, "W"]
    # ties: rater 1 has two pairs, rater 2 three pairs, rater 3 a four and a three → T = 6·2 + 6·3 + 60 + 24
    assert out.at[0, "ties"] == 6 * 2 + 6 * 3 + 60 + 24


def test_kendall_w_rexrepos_irr_example_without_ties() -> None:
    ratings = pd.DataFrame(
        {"rtr1": [1, 6, 3, 2, 5, 4], "rtr2": [1, 5, 6, 2, 4, 3], "rtr3": [2, 3, 6, 5, 4, 1]}
    )
    out = kendall_w(ratings)
    assert round(float(out.at[0, "W"]), 3) == 0.568
    assert round(float(out.at[0, "chi2"]), 2) == 8.52
    assert round(float(out.at[0, "p"]), 2) == 0.13
    assert out.at[0, "W"] == out.at[0, "W_uncorrected"]
    assert out.at[0, "ties"] == 0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kendall_w_chi2_equals_scipy_friedman(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 6, size=(15, 5)).astype(float)  # 15 applications × 5 reviewers, 1–5 scale: many ties
    out = kendall_w(pd.DataFrame(x))
    fr = stats.friedmanchisquare(*x)  # one sample per application, blocks = reviewers
    assert out.at[0, "chi2"] == pytest.approx(fr.statistic, abs=1e-10)
    assert out.at[0, "p"] == pytest.approx(fr.pvalue, abs=1e-12)


def test_kendall_w_perfect_agreement_and_no_correction() -> None:
    x = pd.DataFrame({"R1": [1, 2, 3, 4], "R2": [10, 20, 30, 40], "R3": [2, 3, 4, 5]})
    assert kendall_w(x).at[0, "W"] == pytest.approx(1.0)
    tied = pd.DataFrame({"R1": [1, 1, 2, 3], "R2": [1, 2, 2, 3]})
    raw = kendall_w(tied, correct=False)
    assert raw.at[0, "W"] == raw.at[0, "W_uncorrected"]
    assert raw.at[0, "ties"] == 0
    assert kendall_w(tied).at[0, "W"] > raw.at[0, "W"]


def test_kendall_w_incomplete_table_error() -> None:
    x = pd.DataFrame({"R1": [1, 2, np.nan], "R2": [1, 2, 3]}, index=["01", "02", "03"])
    with pytest.raises(
        ValueError,
        match=r"Kendall の W には全ての対象×評価者がそろった表が必要です。欠けているセル: （対象 03・評価者 R1）",
    ):
        kendall_w(x)


# ---------------------------------------------------------------------------
# reliability_table
# ---------------------------------------------------------------------------


def test_reliability_table_complete_and_incomplete() -> None:
    rubric = small_rubric()
    c1 = long_from_matrix([[5, 3, 1, 4, 2], [4, 3, 2, 5, 1], [5, 2, 1, 4, 2]], "c1")
    c2 = long_from_matrix([[1, 5, 3, 2, 4], [2, 5, 3, 1, 4], [1, 4, 4, 2, 5]], "c2")
    df = pd.concat([c1, c2], ignore_index=True)
    out = reliability_table(df, rubric)
    assert list(out.columns) == list(RELIABILITY_COLUMNS)
    assert out["criterion"].tolist() == ["c1", "c2", "total"]
    assert out["complete"].tolist() == [True, True, True]
    assert out.loc[0, ["n_applications", "n_reviewers", "n_scores"]].tolist() == [5, 3, 15]
    ref = icc(c1)
    assert out.at[0, "icc_a1"] == pytest.approx(ref.loc[ref["type"] == "ICC(A,1)", "icc"].iloc[0])
    assert out.at[0, "icc_ak"] == pytest.approx(ref.loc[ref["type"] == "ICC(A,k)", "icc"].iloc[0])
    assert out.at[0, "kendall_w"] == pytest.approx(kendall_w(c1).at[0, "W"])
    alpha = krippendorff_alpha(df, "ordinal", rubric=rubric)
    np.testing.assert_allclose(out["alpha_ordinal"], alpha["alpha"])
    # a conflict of interest: R3 does not score u02 → incomplete, no ICC / W, alpha still there
    inc = df[~((df["reviewer"] == "R3") & (df["application"] == "u02"))]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an absent sheet is not an incomplete one: no warning
        out2 = reliability_table(inc, rubric)
    assert out2["complete"].tolist() == [False, False, False]
    assert out2["kendall_w"].isna().all()  # W needs a complete table
    # the ICCs come from the scored cells (Henderson's Method III), not 「—」
    for i, part in enumerate([c1, c2]):
        cells = part[~((part["reviewer"] == "R3") & (part["application"] == "u02"))]
        est = icc_incomplete(cells)
        assert out2.at[i, "icc_a1"] == pytest.approx(est.icc_a1)
        assert out2.at[i, "icc_ak"] == pytest.approx(est.icc_ak)
    assert out2[["icc_a1", "icc_ak"]].notna().all().all()
    assert out2["alpha_interval"].notna().all()
    # a sheet with one criterion left blank: warned once, c2 stays complete, the total does not
    half = df[~((df["reviewer"] == "R3") & (df["application"] == "u02") & (df["criterion"] == "c1"))]
    with pytest.warns(UserWarning, match="u02×R3") as record:
        out3 = reliability_table(half, rubric)
    assert len(record) == 1
    assert out3["complete"].tolist() == [False, True, False]
    assert out3.at[2, "n_scores"] == 14


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_alpha_array_path_equals_the_checked_table_path(seed: int) -> None:
    """krippendorff_alpha reads a clean table as arrays; a table that needs check_scores
    (here: scores as text) takes the pandas path. Both give the same frame, exactly."""
    rng = np.random.default_rng(seed)
    rows = [
        (f"{a:02d}", f"R{r}", c, float(rng.integers(1, 6)))
        for a in rng.permutation(30)
        for r in rng.permutation(6)
        for c in ("need", "pool", "theme")
        if rng.random() > 0.25
    ]
    fast = pd.DataFrame(rows, columns=["application", "reviewer", "criterion", "score"])
    fast.loc[rng.random(len(fast)) < 0.05, "score"] = np.nan
    slow = fast.assign(score=[None if np.isnan(s) else str(s) for s in fast["score"]])
    assert alpha_mod._fast_scored(fast) is not None and alpha_mod._fast_scored(slow) is None
    for level in rel.LEVELS:
        for by in ("criterion", None):
            pd.testing.assert_frame_equal(
                krippendorff_alpha(fast, level, by=by, total=False),
                krippendorff_alpha(slow, level, by=by, total=False),
                check_exact=True,
            )
    with pytest.warns(UserWarning, match="未採点の評価項目"):  # incomplete sheets leave the total row
        with_total = krippendorff_alpha(fast), krippendorff_alpha(slow)
    pd.testing.assert_frame_equal(*with_total, check_exact=True)
    # duplicates and empty keys still get check_scores' messages
    with pytest.raises(ValueError, match="同じ応募・審査員・評価項目"):
        krippendorff_alpha(pd.concat([fast.dropna(), fast.dropna().iloc[:1]]))
    with pytest.raises(ValueError, match="列が空の行"):
        krippendorff_alpha(fast.assign(reviewer=[None] + list(fast["reviewer"].iloc[1:])))


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_alpha_value_gives_the_published_values_from_the_long_table(level: str) -> None:
    """alpha_value (the number alone, the package's counterpart) on Krippendorff (2011)."""
    df = long_from_matrix(KRIPP_2011)
    assert round(alpha_mod.alpha_value(df, level), 3) == KRIPP_2011_PUBLISHED[level]
    assert round(alpha_mod.alpha_value(df, level, "c1"), 3) == KRIPP_2011_PUBLISHED[level]


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval"])
@pytest.mark.parametrize("seed", [4, 5])
def test_alpha_value_equals_the_table_and_the_package(level: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    m1 = rng.integers(1, 6, size=(7, 25)).astype("float64")
    m2 = rng.integers(1, 6, size=(7, 25)).astype("float64")
    m1[rng.random(m1.shape) < 0.35] = np.nan
    m2[rng.random(m2.shape) < 0.35] = np.nan
    a, b = long_from_matrix(m1), long_from_matrix(m2)
    b["criterion"] = "c2"
    df = pd.concat([a, b], ignore_index=True).sample(frac=1.0, random_state=seed)
    table = krippendorff_alpha(df, level, total=False)
    pooled = krippendorff_alpha(df, level, by=None, total=False)
    assert alpha_mod.alpha_value(df, level, "c1") == pytest.approx(float(table.at[0, "alpha"]), abs=1e-12)
    assert alpha_mod.alpha_value(df, level, "c2") == pytest.approx(
        krippendorff.alpha(m2, level_of_measurement=level),
        abs=1e-12,  # type: ignore[arg-type]
    )
    assert alpha_mod.alpha_value(df, level) == pytest.approx(float(pooled.at[0, "alpha"]), abs=1e-12)


def test_alpha_value_reports_bad_tables_as_the_table_does() -> None:
    df = long_from_matrix(KRIPP_2011)
    dup = pd.concat([df, df.iloc[[0]]], ignore_index=True)
    with pytest.raises(ScoreTableError):
        alpha_mod.alpha_value(dup, "interval")
    with pytest.raises(ScoreTableError, match="'c9'"):
        alpha_mod.alpha_value(df, "interval", "c9")
