"""The analyst's tables in 01 and 03 show every cell's full text (no "..." / "…")."""

from __future__ import annotations

import pandas as pd

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
