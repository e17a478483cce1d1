"""講評 (feedback letters): the data of a letter, its privacy, the drafts round trip, the PDF.

Each letter must show its own prefecture and nothing that identifies another applicant
(name, total, group points) or a reviewer (id, name): checked on the pdftotext of every PDF
and on every cell of every .xlsx. The demo round is scored, decided, its drafts written,
edited and approved, and its 16 letters written once for the module.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
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
    feedback_html,
    group_scores,
    letter_result,
    letter_tables,
    privacy_problems,
    read_drafts,
    reviewer_words,
    write_feedback,
    write_letter_pdf,
)
from scoring.reporting.letter_approval import approval_path, approved, drafts_digest, read_approvals
from scoring.reporting.letter_content import calibrated_values, criterion_positions, gap_band, in_review
from scoring.round.loader import ReviewRound, load_round
from scoring.store.scores import ScoreStore

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils is missing (`make deps` installs it)"
)
#: Noto Sans CJK: pdftotext's word box is (ascent + descent) = 1.448 em high.
CJK_BOX = 1.448
#: What the analyst writes into 長野's drafts before approving them.
EDITED_STRENGTH = "県と市町村の協議会が既に動いている点を高く評価しました。"
EDITED_NOTE = "ヒアリングでの説明に感謝します。"


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
    """The demo round, scored, with a recorded decision; drafts written, edited and approved
    through the command line, and the letters written once (to the round's reports/講評)."""
    rnd = _scored_round(tmp_path_factory.mktemp("fb_round"), demo_round_copier)
    proposal = build_committee(rnd, n_boot=1).selected
    record_committee_decision(rnd, proposal, by="架空 委員長")
    drafts = tmp_path_factory.mktemp("fb_drafts") / "drafts.yaml"
    assert main(["feedback", "--round", str(rnd.path), "--drafts", str(drafts)]) == 0
    data = yaml.safe_load(drafts.read_text(encoding="utf-8"))
    data["letters"]["20"]["strengths"].append(EDITED_STRENGTH)
    data["letters"]["20"]["note"] = EDITED_NOTE
    drafts.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert (
        main(
            [
                "feedback",
                "--round",
                str(rnd.path),
                "--drafts",
                str(drafts),
                "--approve",
                "--by",
                "架空 事務局",
            ]
        )
        == 0
    )
    out = Path(rnd.path) / "reports" / "講評"
    with ScoreStore.open(rnd) as store:
        scores = store.counted_scores()
        notes = store.applicant_notes()
    c = build_committee(rnd, n_boot=1)
    letters = build_letters(
        c, read_drafts(drafts, [str(a) for a in c.applications.index]), rnd=rnd, final=True
    )
    return {
        "rnd": rnd,
        "out": out,
        "letters": letters,
        "drafts": drafts,
        "selected": proposal,
        "committee": c,
        "scores": scores,
        "notes": notes,
    }


# ----------------------------------------------------------------------------------------
# Data of a letter (no PDF)
# ----------------------------------------------------------------------------------------


def _letter(d: dict[str, Any], app: str) -> Any:
    return next(x for x in d["letters"] if x.application == app)


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
    # and the drafts cannot be approved before the decision
    drafts = demo_round_copy / "drafts.yaml"
    write_feedback(rnd, None, drafts_path=drafts)
    with pytest.raises(ShinsaError, match="決定が記録されていない"):
        write_feedback(rnd, demo_round_copy / "o", drafts_path=drafts, approve_by="架空 事務局")
    with ScoreStore.open(rnd) as store:
        assert read_approvals(store) == [] and not (demo_round_copy / "o").exists()


def test_group_scores_show_the_own_points_and_cohort_quartiles_in_whole_points(
    decided: dict[str, Any],
) -> None:
    c: Committee = decided["committee"]
    cohort = c.breakdown.loc[in_review(c)]
    assert "05" not in cohort.index and len(cohort) == 15  # the late 秋田 is not in the cohort
    g = group_scores(c, "20")
    assert list(g.index) == list(c.group_labels)
    assert list(g.columns) == ["label", "max_points", "points", "cohort_q1", "cohort_median", "cohort_q3"]
    for gid in g.index:
        assert g.at[gid, "points"] == pytest.approx(float(c.breakdown.at["20", gid]))
        assert g.at[gid, "cohort_median"] == round(float(cohort[gid].median()))
        assert g.at[gid, "cohort_q1"] == round(float(cohort[gid].quantile(0.25)))
        assert g.at[gid, "cohort_q3"] == round(float(cohort[gid].quantile(0.75)))
        assert all(float(v).is_integer() for v in g.loc[gid, ["cohort_q1", "cohort_median", "cohort_q3"]])
    # the total has no cohort figure
    total_row = letter_tables(_letter(decided, "20"))[1][1].iloc[-1]
    assert total_row["観点"] == "合計" and total_row.iloc[3:].isna().all()


def test_a_small_cohort_shows_no_quartiles(decided: dict[str, Any]) -> None:
    import dataclasses

    c: Committee = decided["committee"]
    keep = list(c.ranked.index[: MIN_COHORT - 1])
    ranked = c.ranked.copy()
    ranked.loc[~ranked.index.isin(keep), "total"] = float("nan")
    g = group_scores(dataclasses.replace(c, ranked=ranked), keep[0])
    assert g["points"].notna().all()
    assert g[["cohort_q1", "cohort_median", "cohort_q3"]].isna().all().all()


def test_the_need_group_is_phrased_as_need_never_as_strength_or_weakness(decided: dict[str, Any]) -> None:
    rnd: ReviewRound = decided["rnd"]
    need = rnd.rubric.groups[0]
    assert need.id == "need" and need.letter is not None and need.letter.kind == "need"
    need_labels = [k.label_ja for k in need.criteria]
    c: Committee = decided["committee"]
    cohort = c.breakdown.loc[in_review(c), "need"]
    for lt in decided["letters"]:
        if lt.result == "審査対象外":
            assert lt.need_texts == []
            continue
        high = float(c.breakdown.at[lt.application, "need"]) > float(cohort.median())
        assert lt.need_texts == [need.letter.high if high else need.letter.low]
        for text in lt.strengths + lt.improvements:
            assert not any(text.startswith(label) for label in need_labels), (lt.application, text)
    page = feedback_html(_letter(decided, "34"))
    assert (
        "支援の必要性について" in page
        and "支援の必要性は、応募全体と比べると高くないと判断しました。" in page
    )


def test_strengths_follow_the_calibrated_values_that_are_printed(decided: dict[str, Any]) -> None:
    c: Committee = decided["committee"]
    rnd: ReviewRound = decided["rnd"]
    values = calibrated_values(c, rnd.rubric, decided["scores"])
    # the calibrated values give the printed group points (the committee's own combination)
    weights = rnd.rubric.weights()
    for g in rnd.rubric.groups:
        pts = sum(
            (values[k.id] - k.effective_scale.min)
            / (k.effective_scale.max - k.effective_scale.min)
            * weights[k.id]
            for k in g.criteria
        )
        assert pts.loc["20"] == pytest.approx(float(c.breakdown.at["20", g.id]), abs=1e-6)
    pos = criterion_positions(values, in_review(c)).set_index(["application", "criterion"])["position"]
    labels = c.criterion_labels
    for lt in decided["letters"]:
        for kind, texts in (("above", lt.strengths), ("below", lt.improvements)):
            for text in texts:
                if text == EDITED_STRENGTH:
                    continue
                crit = next(k for k, lab in labels.items() if text.startswith(lab))
                assert pos[(lt.application, crit)] == kind, (lt.application, text)


def test_no_reviewer_comment_reaches_a_letter_without_the_applicant_field(decided: dict[str, Any]) -> None:
    scores: pd.DataFrame = decided["scores"]
    notes: pd.DataFrame = decided["notes"]
    assert len(notes) and set(notes.columns) == {"application", "reviewer", "criterion", "to_applicant"}
    comments = {re.sub(r"\s+", " ", str(m)).strip() for m in scores["comment"] if str(m).strip()}
    assert "（架空の講評）ヒアリングで確認したい点がある。" in comments  # an internal note of the demo
    quoted = []
    for lt in decided["letters"]:
        texts = " ".join([*lt.strengths, *lt.improvements, lt.note, lt.result_text, *lt.need_texts])
        assert not [m for m in comments if m in texts], lt.application
        quoted += re.findall(r"「([^」]*)」", texts)
    assert quoted and set(quoted) <= set(notes["to_applicant"])
    # a comment alone is never quoted, however it reads; the same text as 申請者への所見 is
    c: Committee = decided["committee"]
    rnd: ReviewRound = decided["rnd"]
    values = calibrated_values(c, rnd.rubric, scores)
    crit = "pool_issue_analysis"
    kind = (
        criterion_positions(values, in_review(c))
        .set_index(["application", "criterion"])
        .at[("20", crit), "position"]
    )
    s2 = scores.copy()
    s2.loc[(s2["application"] == "20") & (s2["criterion"] == crit), "comment"] = "内部メモ: 要確認。"
    empty = notes.iloc[0:0]
    d = draft_texts(c, rnd.rubric, s2, empty, values=values)["20"]
    assert not any("内部メモ" in t for t in d.strengths + d.improvements)
    reviewer = str(s2.loc[(s2["application"] == "20") & (s2["criterion"] == crit), "reviewer"].iloc[0])
    own = pd.DataFrame(
        [{"application": "20", "reviewer": reviewer, "criterion": crit, "to_applicant": "計画が具体的です。"}]
    )
    s2.loc[(s2["application"] == "20") & (s2["criterion"] == crit), "score"] = 4.0 if kind == "above" else 2.0
    d = draft_texts(c, rnd.rubric, s2, own, values=values)["20"]
    assert any("計画が具体的です。" in t for t in (d.strengths if kind == "above" else d.improvements))


def test_a_note_naming_another_applicant_or_a_reviewer_is_left_out(decided: dict[str, Any]) -> None:
    c: Committee = decided["committee"]
    rnd: ReviewRound = decided["rnd"]
    words = reviewer_words(rnd)
    assert "R1" in words and "架空 一郎" in words
    notes: pd.DataFrame = decided["notes"]
    values = calibrated_values(c, rnd.rubric, decided["scores"])
    i = notes.index[notes["application"] == "20"][0]
    for bad in ("愛媛県の事例より弱い。", "架空 一郎の意見: 良い。"):
        n2 = notes.copy()
        n2.loc[i, "to_applicant"] = bad
        d = draft_texts(c, rnd.rubric, decided["scores"], n2, forbidden=words, values=values)["20"]
        assert not any(bad in t for t in d.strengths + d.improvements)


def test_hiroshima_is_told_the_theme_rule_and_no_one_is_named(decided: dict[str, Any]) -> None:
    lt = _letter(decided, "34")
    assert lt.result == "非選定"
    assert lt.result_text.startswith(
        "合計点は 4 位でしたが、重点テーマ F からの選定は 1 件までとする方針により"
    )
    assert "長崎" not in lt.result_text and "点不足" not in lt.result_text
    # 北海道 is told the rule of its own theme, not a gap to another applicant's total
    hokkaido = _letter(decided, "01").result_text
    assert "重点テーマ A" in hokkaido and "長野" not in hokkaido and not re.search(r"\d+\.\d", hokkaido)


def test_the_distance_to_the_line_is_a_band_only_when_the_round_allows_it(decided: dict[str, Any]) -> None:
    import dataclasses

    c: Committee = decided["committee"]
    rnd: ReviewRound = decided["rnd"]
    nara = _letter(decided, "29").result_text
    assert nara == "合計点は 9 位で、選定ラインに届かず、選定には至りませんでした。"
    letters_cfg = rnd.config.letters.model_copy(update={"gap_band": True})
    rnd2 = dataclasses.replace(rnd, config=rnd.config.model_copy(update={"letters": letters_cfg}))
    banded = {lt.application: lt.result_text for lt in build_letters(c, {}, rnd=rnd2)}
    assert banded["29"].endswith("（選定ラインまで 1 点未満）")  # 奈良: 0.1 point short
    assert all(not re.search(r"\d+\.\d", t) for t in banded.values())
    assert [gap_band(x) for x in (0.09, 1.0, 3.5, 25.1)] == [
        "1 点未満",
        "1 点以上 3 点未満",
        "3 点以上 5 点未満",
        "5 点以上",
    ]


def test_an_excluded_letter_says_why_and_shows_no_scores(decided: dict[str, Any]) -> None:
    lt = _letter(decided, "05")
    assert (
        lt.result == "審査対象外"
        and lt.result_text == "提出期限後の提出であったため、審査の対象としていません。"
    )
    assert not lt.show_scores and lt.strengths == lt.improvements == [] and lt.need_texts == []
    page = feedback_html(lt)
    assert "評価の内訳" not in page and "評価された点" not in page
    assert letter_tables(lt)[1][1].empty


def test_privacy_problems_name_what_a_draft_reveals(decided: dict[str, Any]) -> None:
    c: Committee = decided["committee"]
    rnd: ReviewRound = decided["rnd"]
    words = reviewer_words(rnd)
    letters = build_letters(c, {"20": LetterDraft(note="愛媛県のように R2 が評価しました。")}, rnd=rnd)
    lt = next(x for x in letters if x.application == "20")
    problems = privacy_problems(lt, c, words)
    assert any("愛媛県" in p for p in problems) and any("R2" in p for p in problems)
    clean = next(x for x in build_letters(c, {}, rnd=rnd) if x.application == "20")
    assert privacy_problems(clean, c, words) == []


# ----------------------------------------------------------------------------------------
# Drafts, approval and 案
# ----------------------------------------------------------------------------------------


@needs_poppler
def test_letters_are_marked_draft_until_approved(decided: dict[str, Any], tmp_path: Path) -> None:
    c: Committee = decided["committee"]
    rnd: ReviewRound = decided["rnd"]
    draft = next(x for x in build_letters(c, {}, rnd=rnd) if x.application == "34")
    assert draft.draft
    pdf = write_letter_pdf(draft, tmp_path / "draft.pdf")
    first_line = _run("pdftotext", "-layout", "-l", "1", str(pdf), "-").strip().splitlines()[0]
    assert "【案】" in first_line
    # the approved letters written by the fixture have no 案
    final = decided["out"] / f"{_letter(decided, '34').stem}.pdf"
    assert "案" not in _run("pdftotext", "-layout", str(final), "-")
    # the approval is an event of the score store (no file beside the drafts)
    drafts: Path = decided["drafts"]
    with ScoreStore.open(rnd) as store:
        approvals = read_approvals(store)
    assert [(a.approved_by, a.drafts_sha256) for a in approvals] == [("架空 事務局", drafts_digest(drafts))]
    assert approved(drafts, approvals) == approvals[-1] and not approval_path(drafts).exists()
    # an edit after the approval makes them 案 again
    copy = tmp_path / "drafts.yaml"
    copy.write_bytes(drafts.read_bytes())
    assert approved(copy, approvals) is not None
    copy.write_text(copy.read_text(encoding="utf-8") + "\n# 追記\n", encoding="utf-8")
    assert approved(copy, approvals) is None


def test_a_forged_approval_file_does_not_make_the_letters_final(
    decided: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An ``approval.json`` beside edited drafts, with their true digest, is not a record: the
    letters stay 案 and the warning says to approve again (on the old code they were final).
    The letters are built but not printed (the PDFs are the module fixture's)."""
    written: list[Any] = []
    monkeypatch.setattr(
        "scoring.reporting.feedback._write_letter_files", lambda lt, out: written.append(lt) or []
    )
    copy = tmp_path / "drafts.yaml"
    copy.write_text(decided["drafts"].read_text(encoding="utf-8") + "\n# 承認後の追記\n", encoding="utf-8")
    forged = {
        "drafts_sha256": drafts_digest(copy),
        "approved_by": "架空 事務局",
        "approved_at": "2026-12-07T10:00:00+09:00",
    }
    approval_path(copy).write_text(json.dumps(forged, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "letters"
    args = ["feedback", "--round", str(decided["rnd"].path), "--drafts", str(copy), "--out", str(out)]
    capsys.readouterr()
    assert main(args) == 0
    said = capsys.readouterr().out
    assert "講評はすべて「案」です" in said and "承認済み" not in said
    assert "承認の記録ではない" in said and "もう一度承認" in said
    assert written and all(lt.draft for lt in written)


def test_approve_needs_a_name(decided: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    args = ["feedback", "--round", str(decided["rnd"].path), "--drafts", str(decided["drafts"]), "--approve"]
    assert main(args) == 2
    assert "--by" in capsys.readouterr().err


# ----------------------------------------------------------------------------------------
# The written letters: privacy on every PDF and workbook
# ----------------------------------------------------------------------------------------


def _xlsx_text(path: Path) -> str:
    wb = load_workbook(path)
    return "\n".join(
        str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None
    )


@needs_poppler
def test_every_letter_names_only_its_own_applicant_and_quotes_no_other_figure(
    decided: dict[str, Any],
) -> None:
    c: Committee = decided["committee"]
    rnd: ReviewRound = decided["rnd"]
    names = {str(a): str(c.applications.at[a, "prefecture_name"]) for a in c.applications.index}
    figures = {
        str(a): {f"{float(v):.1f}" for v in c.breakdown.loc[a, [*c.group_labels, "total"]] if pd.notna(v)}
        for a in c.breakdown.index
    }
    reviewers = [w for r in rnd.reviewers for w in (r.id, r.name, r.name.replace(" ", ""))]
    letters = decided["letters"]
    assert len(letters) == len(names) == len(list(decided["out"].glob("*.pdf")))
    for lt in letters:
        a = lt.application
        pdf, xlsx = decided["out"] / f"{lt.stem}.pdf", decided["out"] / f"{lt.stem}.xlsx"
        for kind, text in (("pdf", _run("pdftotext", "-layout", str(pdf), "-")), ("xlsx", _xlsx_text(xlsx))):
            flat = re.sub(r"\s+", "", text)
            assert names[a] in flat, (a, kind)
            others = [n for b, n in names.items() if b != a and n in flat]
            assert others == [], (a, kind, others)
            assert [w for w in reviewers if w in flat or w in text] == [], (a, kind)
            printed = set(re.findall(r"(?<![\d.])\d+\.\d(?!\d)", text))
            leaked = {t for b, ts in figures.items() if b != a for t in ts} & (
                printed - figures.get(a, set())
            )
            assert leaked - {"100.0"} == set(), (a, kind, leaked)
        result_cell = load_workbook(xlsx)["結果"]["D2"].value
        assert result_cell == lt.result


@needs_poppler
def test_the_letter_is_a4_with_japanese_fonts_and_readable_text(decided: dict[str, Any]) -> None:
    lt = _letter(decided, "20")
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
    assert "令和" in text and "審査事務局" in text  # 和暦; the default sender
    assert EDITED_STRENGTH in text and EDITED_NOTE in text  # the analyst's edited drafts
    assert EDITED_NOTE in _xlsx_text(decided["out"] / f"{lt.stem}.xlsx")


def test_the_letter_pdf_is_archival(decided: dict[str, Any]) -> None:
    pikepdf = pytest.importorskip("pikepdf")
    lt = _letter(decided, "34")
    with pikepdf.open(decided["out"] / f"{lt.stem}.pdf") as p:
        meta = p.open_metadata()
        assert meta.get("pdfaid:part") == "2" and meta.get("pdfaid:conformance") == "A"
        assert len(p.Root.OutputIntents) >= 1
        assert str(p.Root.Lang) == "ja"
        assert str(p.docinfo["/Title"]) == "審査結果と講評（広島県）"
        assert "/StructTreeRoot" in p.Root  # tagged for screen readers
        fonts = 0
        for page in p.pages:
            table = page.Resources.get("/Font") or {}
            for name in list(table.keys()):
                font = table[name]
                fonts += 1
                desc = font.get("/FontDescriptor")
                if desc is None and "/DescendantFonts" in font:
                    desc = font.DescendantFonts[0].get("/FontDescriptor")
                assert desc is not None and any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3"))
        assert fonts


def test_the_letter_page_is_escaped(decided: dict[str, Any]) -> None:
    c: Committee = decided["committee"]
    lt = next(
        x
        for x in build_letters(c, {"20": LetterDraft(note="<script>alert(1)</script>")}, rnd=decided["rnd"])
        if x.application == "20"
    )
    page = feedback_html(lt)
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_sender_number_and_date_come_from_the_round(decided: dict[str, Any]) -> None:
    import dataclasses
    import datetime as dt

    c: Committee = decided["committee"]
    rnd: ReviewRound = decided["rnd"]
    cfg = rnd.config.letters.model_copy(
        update={
            "sender": "総務省 自治行政局 地域情報化企画室長",
            "document_number": "総行情第 123 号",
            "date": dt.date(2027, 3, 10),
        }
    )
    rnd2 = dataclasses.replace(rnd, config=rnd.config.model_copy(update={"letters": cfg}))
    lt = next(x for x in build_letters(c, {}, rnd=rnd2) if x.application == "20")
    page = feedback_html(lt)
    assert (
        "総行情第 123 号" in page
        and "令和9年3月10日" in page
        and "総務省 自治行政局 地域情報化企画室長" in page
    )


# ----------------------------------------------------------------------------------------
# The drafts YAML through the command line
# ----------------------------------------------------------------------------------------


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
    # a draft that names another applicant is not written either
    drafts.write_text('letters:\n  "20":\n    note: 愛媛県より優れています。\n', encoding="utf-8")
    with pytest.raises(ShinsaError, match="愛媛県"):
        write_feedback(demo_round_copy, tmp_path / "o", drafts_path=drafts)
    assert not (tmp_path / "o").exists()


def test_without_scores_nothing_is_written(demo_round_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["feedback", "--round", str(demo_round_copy)]) == 2  # no scores yet: nothing written
    assert "採点がありません" in capsys.readouterr().err
    assert not (demo_round_copy / "reports").exists()


def test_reviewer_ids_are_matched_as_whole_tokens() -> None:
    from scoring.reporting.feedback import _contains

    assert _contains("R1 の意見", "R1") and _contains("（R1）", "R1")
    assert not _contains("R12 の意見", "R1") and not _contains("AIの活用", "A")
    assert _contains("愛媛県の事例", "愛媛県")


def test_the_workbook_is_machine_readable(decided: dict[str, Any]) -> None:
    import datetime as dt

    lt = _letter(decided, "20")
    wb = load_workbook(decided["out"] / f"{lt.stem}.xlsx")
    assert wb.sheetnames == ["結果", "評価の内訳", "所見"]
    assert isinstance(wb["結果"]["G2"].value, dt.datetime)  # a date, not 和暦 text
    assert wb["結果"]["H2"].value == "確定"
    rows = list(wb["評価の内訳"].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows][-1] == "合計"
    assert all(isinstance(v, (int, float)) for r in rows for v in r[1:3])
    assert not any(ws.merged_cells.ranges for ws in wb.worksheets)
