"""講評 (feedback letters): the data of a letter, its privacy, the drafts round trip, the PDF.

Each letter must show its own prefecture and nothing that identifies another applicant
(name, total) or a reviewer (id, name): checked on the pdftotext of every PDF and on every
cell of every .xlsx.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from openpyxl import load_workbook

from scoring.analysis.committee import Committee, build_committee, record_committee_decision
from scoring.cli import main
from scoring.core.errors import ConfigError, ShinsaError
from scoring.demo.simulate import write_demo_scores
from scoring.reporting.feedback import (
    MIN_COHORT,
    RESULT_UNDECIDED,
    LetterDraft,
    build_letters,
    draft_texts,
    group_scores,
    letter_result,
    letter_tables,
    privacy_problems,
    read_drafts,
    reviewer_words,
    write_feedback,
)
from scoring.round.loader import ReviewRound, load_round
from scoring.store.scores import ScoreStore

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils is missing (`make deps` installs it)"
)
#: Noto Sans CJK: pdftotext's word box is (ascent + descent) = 1.448 em high.
CJK_BOX = 1.448


def _run(*args: str) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def _scored_round(dest: Path, copier: Callable[[Path], Path]) -> ReviewRound:
    rnd = load_round(copier(dest))
    with ScoreStore.open(rnd) as store:
        write_demo_scores(rnd, store)
    return rnd


@pytest.fixture(scope="module")
def decided(
    tmp_path_factory: pytest.TempPathFactory, demo_round_copier: Callable[[Path], Path]
) -> dict[str, Any]:
    """The demo round, scored, with a recorded decision; its letters written once."""
    rnd = _scored_round(tmp_path_factory.mktemp("fb_round"), demo_round_copier)
    proposal = build_committee(rnd, n_boot=1).selected
    record_committee_decision(rnd, proposal, by="架空 委員長")
    out = tmp_path_factory.mktemp("fb_out")
    res = write_feedback(rnd, out)
    with ScoreStore.open(rnd) as store:
        scores = store.scores()
    c = build_committee(rnd, n_boot=1)
    return {"rnd": rnd, "out": out, "res": res, "selected": proposal, "committee": c, "scores": scores}


# ----------------------------------------------------------------------------------------
# Data of a letter (no PDF)
# ----------------------------------------------------------------------------------------


def test_results_follow_the_decision_and_the_eligibility(decided: dict[str, Any]) -> None:
    c: Committee = decided["committee"]
    for a in c.applications.index:
        result, reason = letter_result(c, str(a))
        if str(a) in decided["selected"]:
            assert (result, reason) == ("選定", "")
        elif str(a) == "05":  # the late application of the demo
            assert result == "審査対象外" and "期限後提出" in reason
        else:
            assert (result, reason) == ("非選定", "")


def test_without_a_decision_the_letter_says_it_is_not_decided_yet(demo_round_copy: Path) -> None:
    rnd = load_round(demo_round_copy)
    with ScoreStore.open(rnd) as store:
        write_demo_scores(rnd, store)
    c = build_committee(rnd, n_boot=1)
    assert c.decision is None
    results = {a: letter_result(c, str(a))[0] for a in c.applications.index}
    assert results.pop("05") == "審査対象外"
    assert set(results.values()) == {RESULT_UNDECIDED}


def test_group_scores_show_the_own_points_and_only_cohort_figures(decided: dict[str, Any]) -> None:
    c: Committee = decided["committee"]
    b = c.breakdown[c.breakdown["total"].notna()]
    g = group_scores(c, "20")
    assert list(g.index) == list(c.group_labels)
    assert list(g.columns) == ["label", "max_points", "points", "cohort_median", "cohort_min", "cohort_max"]
    for gid in g.index:
        assert g.at[gid, "points"] == pytest.approx(float(c.breakdown.at["20", gid]))
        assert g.at[gid, "cohort_median"] == pytest.approx(float(b[gid].median()))
        assert g.at[gid, "cohort_min"] == pytest.approx(float(b[gid].min()))
        assert g.at[gid, "cohort_max"] == pytest.approx(float(b[gid].max()))
    # the total has no cohort figure (its maximum would be another applicant's total)
    letter = build_letters(c, {})[0]
    total_row = letter_tables(letter)[1][1].iloc[-1]
    assert (
        total_row["観点"] == "合計"
        and total_row[["応募全体の中央値（点）", "応募全体の最低（点）", "応募全体の最高（点）"]].isna().all()
    )


def test_a_small_cohort_shows_no_range(decided: dict[str, Any]) -> None:
    c: Committee = decided["committee"]
    keep = list(c.breakdown.index[: MIN_COHORT - 1])
    bd = c.breakdown.copy()
    bd.loc[~bd.index.isin(keep), "total"] = float("nan")
    import dataclasses

    small = dataclasses.replace(c, breakdown=bd)
    g = group_scores(small, keep[0])
    assert g["points"].notna().all()
    assert g[["cohort_median", "cohort_min", "cohort_max"]].isna().all().all()


def test_drafts_quote_comments_above_and_below_the_median_without_reviewers(decided: dict[str, Any]) -> None:
    c: Committee = decided["committee"]
    scores: pd.DataFrame = decided["scores"].copy()
    words = reviewer_words(decided["rnd"])
    assert "R1" in words and "架空 一郎" in words
    drafts = draft_texts(c, scores, forbidden=words)
    assert set(drafts) == {str(a) for a in c.applications.index}
    assert any(d.strengths for d in drafts.values()) and any(d.improvements for d in drafts.values())
    for d in drafts.values():
        for text in d.strengths + d.improvements:
            assert "「" in text and not re.search(r"\bR\d\b", text)
    # a comment that names another applicant or a reviewer is left out
    i = scores.index[(scores["application"] == "20") & (scores["comment"].str.strip() != "")][0]
    for bad in ("愛媛県の事例より弱い。", "架空 一郎の意見: 良い。"):
        s2 = scores.copy()
        s2.loc[i, "comment"] = bad
        d = draft_texts(c, s2, forbidden=words)["20"]
        assert not any(bad in t for t in d.strengths + d.improvements)


def test_privacy_problems_name_what_a_draft_reveals(decided: dict[str, Any]) -> None:
    c: Committee = decided["committee"]
    words = reviewer_words(decided["rnd"])
    letter = build_letters(c, {"20": LetterDraft(note="愛媛県のように R2 が評価しました。")})
    lt = next(x for x in letter if x.application == "20")
    problems = privacy_problems(lt, c, words)
    assert any("愛媛県" in p for p in problems) and any("R2" in p for p in problems)
    clean = next(x for x in build_letters(c, {}) if x.application == "20")
    assert privacy_problems(clean, c, words) == []


# ----------------------------------------------------------------------------------------
# The written letters: privacy on every PDF and workbook
# ----------------------------------------------------------------------------------------


def _xlsx_text(path: Path) -> str:
    wb = load_workbook(path)
    return "\n".join(
        str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None
    )


@needs_poppler
def test_every_letter_names_only_its_own_applicant(decided: dict[str, Any]) -> None:
    c: Committee = decided["committee"]
    rnd: ReviewRound = decided["rnd"]
    names = {str(a): str(c.applications.at[a, "prefecture_name"]) for a in c.applications.index}
    totals = {a: f"{float(t):.1f}" for a, t in c.breakdown["total"].items() if pd.notna(t)}
    reviewers = [w for r in rnd.reviewers for w in (r.id, r.name, r.name.replace(" ", ""))]
    letters = decided["res"]["letters"]
    assert len(letters) == len(names)
    for lt in letters:
        a = lt.application
        pdf, xlsx = decided["out"] / f"{lt.stem}.pdf", decided["out"] / f"{lt.stem}.xlsx"
        for kind, text in (("pdf", _run("pdftotext", "-layout", str(pdf), "-")), ("xlsx", _xlsx_text(xlsx))):
            flat = re.sub(r"\s+", "", text)
            assert names[a] in flat, (a, kind)
            others = [n for b, n in names.items() if b != a and n in flat]
            assert others == [], (a, kind, others)
            assert [w for w in reviewers if w in flat or w in text] == [], (a, kind)
            own = totals.get(a)
            leaked = [
                t
                for b, t in totals.items()
                if b != a and t != own and re.search(rf"(?<![\d.]){re.escape(t)}(?!\d)", text)
            ]
            assert leaked == [], (a, kind, leaked)
        result_cell = load_workbook(xlsx)["結果"]["D2"].value
        assert result_cell == lt.result


@needs_poppler
def test_the_letter_is_a4_with_japanese_fonts_and_readable_text(decided: dict[str, Any]) -> None:
    lt = next(x for x in decided["res"]["letters"] if x.application == "20")
    pdf = decided["out"] / f"{lt.stem}.pdf"
    info = _run("pdfinfo", str(pdf))
    w, h = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())  # type: ignore[union-attr]
    assert (round(w), round(h)) == (595, 842)
    assert int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1)) <= 2  # type: ignore[union-attr]
    for row in _run("pdffonts", str(pdf)).splitlines()[2:]:
        assert row.split()[-5] == "yes" and "CJK" in row.split()[0], row
    bbox = _run("pdftotext", "-bbox", str(pdf), "-")
    words = [
        (float(m.group(2)) - float(m.group(1)), m.group(3))
        for m in re.finditer(r'<word [^>]*yMin="([\d.]+)"[^>]*yMax="([\d.]+)">([^<]*)</word>', bbox)
    ]
    assert len(words) > 50
    assert [(round(hh / CJK_BOX, 1), t) for hh, t in words if hh / CJK_BOX < 10.45] == []
    text = re.sub(r"\s+", "", _run("pdftotext", "-layout", str(pdf), "-"))
    assert lt.result in text and "評価の内訳" in text and ("1/1" in text or "1/2" in text)


def test_the_letter_page_is_escaped(decided: dict[str, Any]) -> None:
    from scoring.reporting.feedback import feedback_html

    c: Committee = decided["committee"]
    lt = next(
        x
        for x in build_letters(c, {"20": LetterDraft(note="<script>alert(1)</script>")})
        if x.application == "20"
    )
    page = feedback_html(lt)
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# ----------------------------------------------------------------------------------------
# The drafts YAML through the command line
# ----------------------------------------------------------------------------------------


@needs_poppler
def test_edited_drafts_appear_in_the_letter(
    demo_round_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _scored_round_in_place(demo_round_copy)
    drafts, out = tmp_path / "drafts.yaml", tmp_path / "letters"
    assert main(["feedback", "--round", str(demo_round_copy), "--drafts", str(drafts)]) == 0
    assert drafts.exists() and not out.exists()
    assert "下書きを書き出しました" in capsys.readouterr().out
    text = drafts.read_text(encoding="utf-8")
    assert "長野県" in text and "R1" not in text
    import yaml

    data = yaml.safe_load(text)
    data["letters"]["20"]["strengths"] = ["県と市町村の協議会が既に動いている点を高く評価しました。"]
    data["letters"]["20"]["note"] = "ヒアリングでの説明に感謝します。"
    drafts.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert (
        main(["feedback", "--round", str(demo_round_copy), "--drafts", str(drafts), "--out", str(out)]) == 0
    )
    pdf = next(out.glob("20_*.pdf"))
    flat = re.sub(r"\s+", "", _run("pdftotext", "-layout", str(pdf), "-"))
    assert "県と市町村の協議会が既に動いている点を高く評価しました。" in flat
    assert "ヒアリングでの説明に感謝します。" in flat
    assert "ヒアリングでの説明に感謝します。" in _xlsx_text(next(out.glob("20_*.xlsx")))


def _scored_round_in_place(path: Path) -> None:
    rnd = load_round(path)
    with ScoreStore.open(rnd) as store:
        write_demo_scores(rnd, store)


def test_a_malformed_drafts_file_is_a_japanese_error_with_its_line(
    demo_round_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _scored_round_in_place(demo_round_copy)
    drafts = tmp_path / "drafts.yaml"
    drafts.write_text('letters:\n  "20":\n    strengths: ["閉じていない\n    note: x\n', encoding="utf-8")
    assert (
        main(
            [
                "feedback",
                "--round",
                str(demo_round_copy),
                "--drafts",
                str(drafts),
                "--out",
                str(tmp_path / "o"),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "YAML の書式に誤りがあります" in err and re.search(r"\d+行目", err)
    drafts.write_text('letters:\n  "20":\n    strengths: []\n    nots: x\n', encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        read_drafts(drafts, ["20"])
    assert "4行目" in str(e.value) and "nots" in str(e.value)
    drafts.write_text('letters:\n  "99":\n    note: x\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="2行目.*応募 '99' はこの審査ラウンドにありません"):
        read_drafts(drafts, ["20"])
    assert not (tmp_path / "o").exists()


def test_a_draft_that_names_another_applicant_is_not_written(demo_round_copy: Path, tmp_path: Path) -> None:
    _scored_round_in_place(demo_round_copy)
    drafts = tmp_path / "drafts.yaml"
    drafts.write_text('letters:\n  "20":\n    note: 愛媛県より優れています。\n', encoding="utf-8")
    with pytest.raises(ShinsaError, match="愛媛県"):
        write_feedback(demo_round_copy, tmp_path / "o", drafts_path=drafts)
    assert not (tmp_path / "o").exists()


@needs_poppler
def test_without_out_the_letters_go_to_the_round_reports_folder(
    demo_round_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["feedback", "--round", str(demo_round_copy)]) == 2  # no scores yet: nothing written
    assert "採点がありません" in capsys.readouterr().err
    assert not (demo_round_copy / "reports").exists()
    _scored_round_in_place(demo_round_copy)
    assert main(["feedback", "--round", str(demo_round_copy)]) == 0
    out = demo_round_copy / "reports" / "講評"
    assert f"を書き出しました: {out}" in capsys.readouterr().out
    assert len(list(out.glob("*.pdf"))) == len(list(out.glob("*.xlsx"))) == 16


def test_reviewer_ids_are_matched_as_whole_tokens() -> None:
    from scoring.reporting.feedback import _contains

    assert _contains("R1 の意見", "R1") and _contains("（R1）", "R1")
    assert not _contains("R12 の意見", "R1") and not _contains("AIの活用", "A")
    assert _contains("愛媛県の事例", "愛媛県")


def test_the_workbook_is_machine_readable(decided: dict[str, Any]) -> None:
    import datetime as dt

    lt = next(x for x in decided["res"]["letters"] if x.application == "20")
    wb = load_workbook(decided["out"] / f"{lt.stem}.xlsx")
    assert wb.sheetnames == ["結果", "評価の内訳", "所見"]
    assert isinstance(wb["結果"]["F2"].value, dt.datetime)  # a date, not 和暦 text
    rows = list(wb["評価の内訳"].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows][-1] == "合計"
    assert all(isinstance(v, (int, float)) for r in rows for v in r[1:3])
    assert not any(ws.merged_cells.ranges for ws in wb.worksheets)
