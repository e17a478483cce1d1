"""One definition of each fact: the column contracts, the Japanese headers, the rank."""

from __future__ import annotations

import importlib
import pkgutil

import pandas as pd

import scoring
from scoring.core import columns
from scoring.core.columns import HEADERS_JA, METHOD_LABELS, TOTAL_DECIMALS, rank_totals


def test_exact_ties_share_a_rank() -> None:
    # The same scores summed in another order (the reproduction).
    total = pd.Series(
        [55.55555555555556, 55.55555555555555, 60.0, float("nan"), 50.0],
        index=["A", "B", "C", "D", "E"],
        name="total",
    )
    assert total["A"] != total["B"]
    got = rank_totals(total)
    assert got.dtype == "Int64"
    assert got.tolist() == [2, 2, 1, pd.NA, 4]


def test_totals_that_differ_at_the_documented_precision_do_not_tie() -> None:
    step = 10.0**-TOTAL_DECIMALS
    got = rank_totals(pd.Series([70.0, 70.0 - step, 70.0 - step / 100]))
    assert got.tolist() == [1, 3, 1]


def test_the_combiner_ranks_identical_applications_equally() -> None:
    from scoring.combine import make_combiner
    from scoring.config.rubric import load_rubric
    from scoring.core.paths import RUBRICS_DIR

    rubric = load_rubric(RUBRICS_DIR / "r8_talent_pool.yaml")
    crit = [c.id for c in rubric.criteria]
    rows = []
    for app, order in (("01", crit), ("02", list(reversed(crit)))):
        for r in ("R1", "R2", "R3"):
            for i, c in enumerate(order):
                rows.append(
                    {
                        "application": app,
                        "reviewer": r,
                        "criterion": c,
                        "score": float(1 + (crit.index(c) * 7 + int(r[1])) % 5),
                    }
                )
    scores = pd.DataFrame(rows)
    totals = make_combiner("mean").fit(scores, rubric).totals()
    assert totals.loc["01", "rank"] == totals.loc["02", "rank"] == 1


def test_every_method_has_one_label_and_every_column_tuple_lives_in_core() -> None:
    from scoring.combine import METHODS

    assert set(METHOD_LABELS) == set(METHODS)
    assert HEADERS_JA["total"] == "合計点（100点満点）"
    defined_elsewhere = []
    for m in pkgutil.walk_packages(scoring.__path__, "scoring."):
        mod = importlib.import_module(m.name)
        for name, value in vars(mod).items():
            if (
                name.endswith("_COLUMNS")
                and isinstance(value, tuple)
                and not m.name.startswith("scoring.core.")
                and getattr(columns, name, None) is not value
                and name not in ("PROBLEM_COLUMNS", "SCORE_COLUMNS")
            ):
                defined_elsewhere.append(f"{m.name}.{name}")
    assert defined_elsewhere == []


def test_one_entry_check_for_every_score_table() -> None:
    """require_score_table is the check that combining, reliability, tuning and the fingerprint share."""
    import pytest

    from scoring.agreement.reliability import check_scores
    from scoring.analysis.tuning import TuningModel
    from scoring.combine import make_combiner
    from scoring.config.rubric import load_rubric
    from scoring.core.errors import ScoreTableError, ShinsaError
    from scoring.core.paths import RUBRICS_DIR
    from scoring.core.settings import score_fingerprint

    rubric = load_rubric(RUBRICS_DIR / "r8_talent_pool.yaml")
    bad = pd.DataFrame({"application": ["01"], "reviewer": ["R1"], "criterion": ["x"]})
    calls = [
        lambda: check_scores(bad),
        lambda: make_combiner("mean").fit(bad, rubric),
        lambda: TuningModel(bad, rubric=rubric),
        lambda: score_fingerprint(bad),
    ]
    for call in calls:
        with pytest.raises(ScoreTableError, match="列 score がありません") as info:
            call()
        assert isinstance(info.value, ShinsaError)
    with pytest.raises(ScoreTableError, match="DataFrame で渡してください"):
        make_combiner("mean").fit([1, 2], rubric)  # type: ignore[arg-type]
