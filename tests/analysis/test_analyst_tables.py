"""The analyst's tables in 01 and 03 show every cell's full text (no "..." / "…")."""

from __future__ import annotations

import pandas as pd

from scoring.analysis.push import push_candidates, push_candidates_ja
from scoring.reporting.overview import analyst_table, application_view, problem_view
from scoring.round.loader import load_round


def test_problem_view_has_full_text_and_wraps() -> None:
    long = "この応募書の提出日時は提出期限より後です。" * 6
    problems = pd.DataFrame(
        [
            {
                "file": "05_akita.xlsx",
                "sheet": "応募書",
                "cell": "C9",
                "field": "提出日時",
                "severity": "warning",
                "message": long,
                "action": "期限後提出として扱います。委員会の判断を確認してください。" * 3,
            }
        ]
    )
    html = problem_view(problems).to_html()
    assert long in html
    assert "..." not in html and "…" not in html
    assert "white-space: normal" in html and "table-layout: auto" in html


def test_application_view_keeps_prefecture_wide() -> None:
    rnd = load_round(None)
    html = application_view(rnd.applications, rnd.problems).to_html()
    assert "..." not in html and "…" not in html
    assert "min-width: 5.5em" in html
    for name in rnd.applications["prefecture_name"]:
        assert str(name) in html


def test_analyst_table_ranking_columns() -> None:
    frame = pd.DataFrame(
        {"都道府県": ["秋田県"], "注意": ["期限後提出（受理せず）のため対象外 / " + "x" * 120]}
    )
    html = analyst_table(frame).to_html()
    assert "x" * 120 in html and "..." not in html


def test_push_table_shows_counts_as_integers_and_unknowns_in_words() -> None:
    """01's プッシュ型 table: no ``nan``, head-counts not 「0.00」, wide tables scroll, not cut."""
    frame = push_candidates_ja(push_candidates(load_round(None)))
    pool = frame["人材プール登録者（人）"]
    assert (pool.isna() | (pool.astype(str) == "不明")).any()  # unknown pools: shown in words
    html = analyst_table(frame, precision=2, na_rep="不明").to_html()
    assert ">nan<" not in html and ">None<" not in html and "不明" in html
    assert "overflow-x: auto" in html  # a wide table scrolls in its own box
    counts = pd.DataFrame({"人材プール登録者（人）": [20.0, float("nan")], "得点": [0.5, 0.25]})
    small = analyst_table(counts, precision=2, na_rep="不明").to_html()
    assert ">20<" in small and ">20.00<" not in small and ">不明<" in small and ">0.50<" in small
    mixed = pd.DataFrame({"人材プール登録者（人）": [20.0, "不明"]})  # a known count beside an unknown
    assert ">20<" in analyst_table(mixed, na_rep="不明").to_html()


def test_problem_view_points_eligibility_actions_to_the_panel_not_a_command() -> None:
    """01's 対処 column names the panel below (no command with the server's absolute path)."""
    rnd = load_round(None)
    late = rnd.problems[rnd.problems["action"].str.contains("eligibility accept-late", na=False)]
    assert len(late)  # the demo's late 秋田
    html = problem_view(rnd.problems).to_html()
    assert "python -m scoring eligibility" not in html and str(rnd.path) not in html
    assert "下の「受付の判断」で、判断「期限後受理」・応募 05 を選び" in html
