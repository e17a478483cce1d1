"""The committee material: the model on a copy of the demo round, the reports, the CLI.

The model is checked against independent computations from the score table (group
breakdown, reviewers' totals, coverage counts) and against the selection it reports;
the reports are opened again (openpyxl, an HTML parser) and checked for what a reader
on a closed network needs: no merged cells, numbers as numbers, free text never a
formula, no external URL.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import warnings
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml
from roundcopy import scored_demo_round

from scoring import DEMO_ROUND
from scoring.analysis.committee import RANKED_COLUMNS, SPREAD_COLUMNS, Committee, build_committee
from scoring.core.errors import NoScoresError
from scoring.core.settings import score_fingerprint
from scoring.demo.simulate import write_demo_scores
from scoring.reporting.committee_documents import document_headings
from scoring.reporting.committee_report import (
    SECTIONS,
    committee_html,
    section_html,
    write_committee_reports,
    write_committee_workbook,
)
from scoring.reporting.committee_tables import (
    comments_ja,
    coverage_ja,
    missing_reviews_ja,
    reasons_ja,
    selection_ja,
)
from scoring.round.loader import load_round
from scoring.selection import select_round
from scoring.store.scores import ScoreStore

HYPERLINK = '=HYPERLINK("#注記!A1","ここをクリック")'


def _scored_round(
    root: Path,
    copier: Callable[[Path], Path],
    *,
    name: str | None = None,
    balance: dict[str, Any] | None = None,
) -> Path:
    """A copy of the demo round with the seeded demo scores (and optional round.yaml edits)."""
    edits: dict[str, Any] = {}
    if name is not None:
        edits["name"] = name
    if balance is not None:
        demo = yaml.safe_load((DEMO_ROUND / "round.yaml").read_text(encoding="utf-8"))
        edits["balance"] = {**demo.get("balance", {}), **balance}
    return scored_demo_round(root, copier, **edits)


@pytest.fixture(scope="module")
def round_dir(tmp_path_factory: pytest.TempPathFactory, demo_round_copier: Callable[[Path], Path]) -> Path:
    # The round's name starts with "=" (formula injection) and is still a demo round (架空).
    return _scored_round(
        tmp_path_factory.mktemp("committee"), demo_round_copier, name=HYPERLINK + " 審査（架空のデモ）"
    )


@pytest.fixture(scope="module")
def committee(round_dir: Path) -> Committee:
    return build_committee(round_dir, n_boot=300, seed=1)


@pytest.fixture(scope="module")
def scores(round_dir: Path) -> pd.DataFrame:
    rnd = load_round(round_dir)
    with ScoreStore.open(rnd) as store:
        return store.counted_scores()  # what the committee counts: submitted scores only


@pytest.fixture(scope="module")
def reports(committee: Committee, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    # the 事務局控え (records) are tested in tests/reporting/test_committee_pdf.py
    return write_committee_reports(
        None, tmp_path_factory.mktemp("reports"), committee=committee, records=False
    )


# ----------------------------------------------------------------------------------------
# The model
# ----------------------------------------------------------------------------------------


def test_ranked_table_is_the_combined_totals_in_order(committee: Committee) -> None:
    r = committee.ranked
    assert tuple(r.columns) == RANKED_COLUMNS
    assert len(r) == committee.n_applications == 16
    ranked = r[r["rank"].notna()]
    assert np.all(np.diff(ranked["total"].to_numpy()) <= 0)  # ranked ones by total …
    assert list(r["rank"].iloc[: len(ranked)]) == list(range(1, len(ranked) + 1))
    assert r["rank"].iloc[len(ranked) :].isna().all()  # … then the unranked ones
    assert r.loc["05", "status"] == "対象外"  # late (期限後提出): shown, not ranked
    assert pd.isna(r.loc["05", "rank"]) and r.loc["05", "total"] > ranked["total"].iloc[0]
    assert committee.method == "affine"


def test_statuses_and_reasons_agree_with_the_selection(committee: Committee) -> None:
    sel = committee.selection
    assert sel is not None and len(sel.selected) == 5
    r = committee.ranked
    assert set(r.index[r["status"] == "選定"]) == set(sel.selected)
    reasons = reasons_ja(committee)
    assert set(reasons.loc[reasons["状況"] == "選定", "応募ID"]) == set(sel.selected)
    table = selection_ja(committee)
    assert list(table["応募ID"]) == sel.selected
    # every non-selected eligible applicant names how far it is from the cut-off
    rest = reasons[reasons["状況"].isin(["次点", "非選定"])]
    assert rest["選定までの不足点（点）"].gt(0).all()
    assert rest["理由"].str.contains("点不足|上限|下限|押し出").all()
    # the proposal satisfies round.yaml's balance
    bal = load_round(committee.round_path).config.balance
    chosen = r.loc[sel.selected]
    assert chosen["block"].value_counts().max() <= bal.max_per_block
    assert chosen["theme"].value_counts().max() <= bal.max_per_theme
    assert chosen["theme"].nunique() >= bal.min_distinct_themes
    assert (chosen["application_type"] == "プッシュ型").sum() <= bal.max_push


def test_selection_is_the_select_module_on_the_same_totals(committee: Committee) -> None:
    rnd = load_round(committee.round_path)
    again = select_round(rnd, committee.totals)
    assert again.selected == committee.selected
    assert again.total == pytest.approx(committee.selection.total)  # type: ignore[union-attr]


def test_breakdown_by_group_adds_up_to_the_total(committee: Committee) -> None:
    b = committee.breakdown.dropna(subset=["total"])
    groups = list(committee.group_labels)
    assert groups == ["need", "pool", "theme"]
    np.testing.assert_allclose(b[groups].sum(axis=1), b["total"], atol=1e-9)
    assert sum(maxp for _, maxp in committee.group_labels.values()) == pytest.approx(100.0)


def test_spread_is_computed_from_each_reviewers_own_total(committee: Committee, scores: pd.DataFrame) -> None:
    s = committee.spread
    assert tuple(s.columns) == SPREAD_COLUMNS
    rubric = load_round(committee.round_path).rubric
    w = rubric.weights()
    lo = {c.id: c.effective_scale.min for c in rubric.criteria}
    hi = {c.id: c.effective_scale.max for c in rubric.criteria}
    # independent computation: complete sheets only, 100 · Σ w (s − min)/(max − min) / Σ w
    sc = scores[scores["score"].notna()]
    own: dict[str, list[float]] = {}
    for (a, _r), g in sc.groupby(["application", "reviewer"]):
        if len(g) < len(w):
            continue
        frac = [(v - lo[c]) / (hi[c] - lo[c]) for c, v in zip(g["criterion"], g["score"])]
        own.setdefault(a, []).append(100 * float(np.dot(w[list(g["criterion"])], frac)) / float(w.sum()))
    for a, vals in own.items():
        assert s.loc[a, "n_reviewers"] == len(vals)
        assert s.loc[a, "min"] == pytest.approx(min(vals))
        assert s.loc[a, "max"] == pytest.approx(max(vals))
        assert s.loc[a, "mean"] == pytest.approx(np.mean(vals))
        assert s.loc[a, "sd"] == pytest.approx(np.std(vals, ddof=1))
    assert s.loc["20", "n_reviewers"] == 4  # R6 is in conflict with 長野 (20); one sheet is partial


def test_coverage_counts_applicants_and_the_selection(committee: Committee) -> None:
    cov = committee.coverage
    apps = committee.applications
    assert cov["applicants"].sum() == len(apps)
    assert cov["selected"].sum() == 5
    for (block, theme), n in apps.groupby(["block", "theme"]).size().items():
        row = cov[(cov.index == block) & (cov["theme"] == theme)]
        assert int(row["applicants"].iloc[0]) == n
    chosen = apps.loc[committee.selected]
    for (block, theme), n in chosen.groupby(["block", "theme"]).size().items():
        row = cov[(cov.index == block) & (cov["theme"] == theme)]
        assert int(row["selected"].iloc[0]) == n
    wide = coverage_ja(committee)
    assert wide.iloc[-1]["地方ブロック"] == "合計"
    assert wide.iloc[-1]["合計 応募（件）"] == 16 and wide.iloc[-1]["合計 選定案（件）"] == 5
    assert list(wide["地方ブロック"][:8]) == [
        "北海道",
        "東北",
        "関東",
        "中部",
        "近畿",
        "中国",
        "四国",
        "九州・沖縄",
    ]


def test_stability_is_seeded_and_marks_the_border_zone(committee: Committee) -> None:
    st = committee.stability
    assert committee.stability_summary["n_boot"] == 300
    assert set(st.index[st["baseline_selected"]]) == set(committee.selected)
    assert ((st["p_selected"] > 0.1) & (st["p_selected"] < 0.9)).eq(st["border"]).all()
    again = build_committee(committee.round_path, n_boot=300, seed=1)
    pd.testing.assert_frame_equal(again.stability, st)


def test_stability_with_the_rubric_weights_is_the_stability_module(
    committee: Committee, scores: pd.DataFrame
) -> None:
    from scoring.selection.stability import stability_round

    rnd = load_round(committee.round_path)
    ref = stability_round(rnd, scores[scores["score"].notna()], n_boot=300, seed=1)
    pd.testing.assert_frame_equal(committee.stability, ref, check_like=False)
    assert committee.stability_summary["baseline"] == committee.selected
    assert committee.stability_summary["baseline_frequency"] == ref.attrs["summary"]["baseline_frequency"]


def test_reliability_headline_quotes_the_table(committee: Committee) -> None:
    rel = committee.reliability
    med = float(np.nanmedian(rel.loc[rel["criterion"] != "total", "alpha_interval"]))
    assert f"{med:.2f}" in committee.reliability_headline
    assert "Krippendorff" in committee.reliability_headline


def test_settings_hash_follows_settings_and_scores(committee: Committee, scores: pd.DataFrame) -> None:
    assert committee.score_fingerprint == score_fingerprint(scores)
    assert committee.settings["scores"]["fingerprint"] == committee.score_fingerprint
    assert committee.settings["kind"] == "shinsa.committee"
    assert sum(committee.settings["weights"].values()) == pytest.approx(100.0)
    assert committee.settings["method_options"]  # every option, defaults included
    assert committee.settings["rubric"]["version"] == committee.rubric_version
    same = build_committee(committee.round_path, scores=scores, n_boot=10)
    assert (same.settings_hash, same.config_hash) == (committee.settings_hash, committee.config_hash)
    other_method = build_committee(committee.round_path, scores=scores, method="mean", n_boot=10)
    assert other_method.config_hash != committee.config_hash
    assert other_method.settings_hash != committee.settings_hash
    w = load_round(committee.round_path).rubric.weights()
    w.iloc[0] += 5
    reweighted = build_committee(committee.round_path, scores=scores, weights=w, n_boot=10)
    assert reweighted.config_hash != committee.config_hash
    changed = scores.copy()
    changed.loc[changed.index[0], "score"] = (
        6 - changed.loc[changed.index[0], "score"] if changed.loc[changed.index[0], "score"] != 3 else 4
    )
    rescored = build_committee(committee.round_path, scores=changed, n_boot=10)
    assert rescored.config_hash == committee.config_hash
    assert rescored.score_fingerprint != committee.score_fingerprint
    assert rescored.settings_hash != committee.settings_hash


def test_custom_weights_reach_the_totals_and_the_stability_baseline(
    committee: Committee, scores: pd.DataFrame
) -> None:
    rubric = load_round(committee.round_path).rubric
    w = rubric.weights() * 0 + 1.0
    w["theme_reuse"] = 40.0
    c = build_committee(committee.round_path, scores=scores, weights=w, n_boot=50)
    assert c.settings["weights"]["theme_reuse"] == pytest.approx(100 * 40 / 48)
    assert not np.allclose(c.ranked["total"].dropna(), committee.ranked["total"].dropna())
    # the stability baseline is computed with the same weights, so it agrees with the proposal
    np.testing.assert_allclose(c.stability["total"].reindex(c.ranked.index), c.ranked["total"], atol=1e-9)
    assert set(c.stability.index[c.stability["baseline_selected"]]) == set(c.selected)
    assert c.stability_summary["baseline"] == c.selected
    totals = c.ranked["total"]
    assert c.selected == sorted(c.selected, key=lambda a: (-totals[a], a))  # proposal in score order
    # every resample used the custom weights: the most frequent selection is often the proposal
    assert 0 < c.stability_summary["baseline_frequency"] <= 1


def test_an_application_without_scores_is_listed_but_not_selectable(
    committee: Committee, scores: pd.DataFrame, tmp_path: Path
) -> None:
    c = build_committee(committee.round_path, scores=scores[scores["application"] != "20"], n_boot=30)
    assert c.ranked.index[-1] == "20"
    assert c.ranked.loc["20", "status"] == "対象外" and "採点なし" in c.ranked.loc["20", "flags"]
    assert c.selection is not None and c.selection.reasons.loc["20", "reason"]
    assert pd.isna(c.ranked.loc["20", "total"]) and c.spread.loc["20", "n_reviewers"] == 0
    assert "20" not in c.selected and len(c.selected) == 5
    assert any("合計点のない応募" in w and "長野県" in w for w in c.warnings)
    assert_offline_html(committee_html(c))  # the page of committee.html (no PDF needed here)


def test_no_scores_is_a_japanese_error(demo_round_copy: Path) -> None:
    with pytest.raises(NoScoresError, match="まだ採点がありません"):
        build_committee(demo_round_copy, n_boot=10)


def test_demo_scores_come_only_from_the_explicit_step(demo_round_copy: Path) -> None:
    with pytest.raises(NoScoresError):
        build_committee(demo_round_copy, n_boot=10)
    write_demo_scores(load_round(demo_round_copy))
    c = build_committee(demo_round_copy, n_boot=10)
    assert c.n_scores > 0 and len(c.selected) == 5


def test_unknown_method_lists_the_allowed_ones(committee: Committee) -> None:
    with pytest.raises(ValueError, match="使える method: mean, median"):
        build_committee(committee.round_path, method="best", n_boot=10)


def test_infeasible_settings_still_give_the_material_with_a_warning(
    tmp_path: Path, demo_round_copier: Callable[[Path], Path]
) -> None:
    rd = _scored_round(tmp_path, demo_round_copier, balance={"min_distinct_themes": 6, "max_per_theme": 1})
    c = build_committee(rd, n_boot=20)
    assert c.selection is None
    assert "重点テーマ" in c.selection_error
    assert any(w.startswith("選定案を作れません") for w in c.all_warnings)
    # No proposal, but every applicant is scored; the late 秋田県 is still marked 対象外 with its reason.
    assert set(c.ranked["status"]) == {"", "対象外"}
    assert c.ranked.at["05", "status"] == "対象外"
    assert c.exclusion_reasons["05"] == "期限後提出（受理せず）のため対象外"
    # committee.html's page and committee.xlsx (the PDF prints the same page: tests/reporting)
    page = committee_html(c, charts=False)
    assert "選定案を作れません" in page and "data:image/png" not in page  # words only, no drawing
    wb = openpyxl.load_workbook(write_committee_workbook(c, tmp_path / "committee.xlsx"))
    values = [str(v) for row in wb["概要"].iter_rows(values_only=True) for v in row if v is not None]
    assert any("選定案を作れません" in v for v in values)


# ----------------------------------------------------------------------------------------
# committee.xlsx
# ----------------------------------------------------------------------------------------


def test_workbook_opens_with_the_expected_sheets(reports: dict[str, Path]) -> None:
    wb = openpyxl.load_workbook(reports["xlsx"])
    assert wb.sheetnames == [
        "概要",
        "順位",
        "内訳",
        "ばらつき",
        "選定案",
        "理由",
        "安定性",
        "協議対象",
        "代替案",
        "選定数別",
        "地域×テーマ",
        "信頼性",
        "プッシュ型候補",
        "受領コード",
        "講評コメント",
        "未提出",
        "注記",
    ]
    for ws in wb.worksheets:
        assert not ws.merged_cells.ranges, f"{ws.title}: merged cells"
        assert ws.freeze_panes in ("A2", "B2")
        assert ws.page_setup.orientation == "landscape"
        assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)
        header = [c.value for c in ws[1]]
        assert all(isinstance(h, str) and h for h in header), f"{ws.title}: empty header"
        assert ws[1][0].font.bold


def test_numbers_are_numbers(reports: dict[str, Path], committee: Committee) -> None:
    wb = openpyxl.load_workbook(reports["xlsx"])
    ws = wb["順位"]
    header = [c.value for c in ws[1]]
    col = header.index("合計点（100点満点）") + 1
    values = [ws.cell(row=i, column=col).value for i in range(2, ws.max_row + 1)]
    assert all(isinstance(v, float) for v in values)
    assert values == pytest.approx(list(committee.ranked["total"].round(4)))
    rank_col = header.index("順位") + 1
    # 15 ranked applications, then 05 (対象外, late): shown without a rank
    assert [ws.cell(row=i, column=rank_col).value for i in range(2, ws.max_row + 1)] == [*range(1, 16), None]
    ids = [ws.cell(row=i, column=header.index("応募ID") + 1).value for i in range(2, ws.max_row + 1)]
    assert ids[0] == "20" and ids[-1] == "05" and all(isinstance(x, str) for x in ids)  # codes keep their 0
    cov = wb["地域×テーマ"]
    assert all(isinstance(c.value, int) for c in cov[2][1:])


def test_notes_sheet_records_round_rubric_hash_and_time(
    reports: dict[str, Path], committee: Committee
) -> None:
    wb = openpyxl.load_workbook(reports["xlsx"])
    notes = {row[0]: row[1] for row in wb["注記"].iter_rows(min_row=2, values_only=True)}
    assert notes["審査ラウンド"] == committee.round_name
    assert notes["評価基準の版"] == committee.rubric_version
    assert notes["設定ハッシュ（設定と採点）"] == committee.settings_hash
    assert notes["採点の指紋"] == committee.score_fingerprint
    made = dt.datetime.fromisoformat(str(notes["作成日時"]))
    assert made.utcoffset() == dt.timedelta(hours=9)
    assert str(notes["作成日（和暦）"]).startswith("令和")


def test_formula_text_stays_text(reports: dict[str, Path]) -> None:
    wb = openpyxl.load_workbook(reports["xlsx"])
    found = []
    for name in ("概要", "注記"):
        for row in wb[name].iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and "HYPERLINK" in cell.value:
                    found.append(cell)
    assert len([c for c in found if c.value.startswith("=HYPERLINK(")]) == 2  # 審査ラウンド in 概要 and 注記
    for cell in found:
        assert cell.data_type == "s"  # a string, not a formula ("f")
        assert cell.quotePrefix or not cell.value.startswith("=")  # Excel shows it as text, too
    import zipfile

    with zipfile.ZipFile(reports["xlsx"]) as z:
        xml = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert "<f>" not in xml  # no formula anywhere in the workbook


# ----------------------------------------------------------------------------------------
# committee.html
# ----------------------------------------------------------------------------------------


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _without_data_uris(page: str) -> str:
    return re.sub(r"data:[a-z]+/[a-z0-9.+-]+;base64,[A-Za-z0-9+/=]+", "data:…", page)


def assert_offline_html(page: str) -> None:
    """No external URL anywhere: no http(s)://, no protocol-relative //, no src/href other
    than data:, no CSS url(), no @import, no script or link elements."""
    bare = _without_data_uris(page)
    assert not re.search(r"(?i)https?://", bare)
    assert not re.search(r"(?i)\b(src|href|action|srcset)\s*=\s*(?![\"']?data:)", bare)
    assert not re.search(r"(?i)url\(", bare)
    assert not re.search(r"(?i)@import|<script|<link|@font-face", bare)
    assert not re.search(r"[\"'(]//", bare)


def test_html_has_no_external_url_and_embedded_pngs(reports: dict[str, Path]) -> None:
    page = reports["html"].read_text(encoding="utf-8")
    assert_offline_html(page)
    p = _Collector()
    p.feed(page)
    imgs = [a for t, a in p.tags if t == "img"]
    assert len(imgs) == 3  # breakdown, stability, map (the spread is a column of the ranking)
    for a in imgs:
        src = str(a["src"])
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
        assert a.get("alt")


def test_html_is_japanese_and_shows_the_tables(reports: dict[str, Path], committee: Committee) -> None:
    page = reports["html"].read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<html lang="ja">' in page
    assert '<meta charset="utf-8">' in page
    p = _Collector()
    p.feed(page)
    text = "".join(p.text)
    # committee.html: the 本体 and the 参考資料 (issue 21), never the 事務局控え's hashes
    # 審査の経過 is left out when there is nothing to report (no revision, reopening or excuse)
    quiet = not len(committee.revisions) and not len(committee.review_events)
    for key, heading in document_headings().items():
        assert (heading in text) != (quiet and key == "process_plain"), heading
    for a in committee.selected:
        assert committee.name(a) in text
    assert "選定案（5 件）" in text
    assert committee.settings_hash not in text
    # the round name with "=" is escaped text, not markup
    assert "=HYPERLINK(&quot;#注記!A1&quot;" in page
    assert "@page { size: A4 portrait" in page and "@media print" in page


def test_every_section_renders_alone(committee: Committee) -> None:
    for key in SECTIONS:
        frag = section_html(committee, key, charts=False)
        assert frag.startswith(f'<section id="{key}">')
    with pytest.raises(ValueError, match="使えるセクション"):
        section_html(committee, "nope")


def test_notebook_sections_are_static_html_and_png(committee: Committee) -> None:
    from IPython.display import HTML, Image

    from scoring.reporting.committee_report import section

    kinds = {key: [type(o) for o in section(committee, key)] for key in SECTIONS}
    assert all(kinds[k] and set(kinds[k]) <= {HTML, Image} for k in kinds)
    assert Image in kinds["stability"] and Image in kinds["map"]
    html = section(committee, "ranked")[0].data
    assert "shinsa-committee" in html and "長野県" in html
    assert_offline_html(html)


def test_committee_html_is_deterministic_except_the_time(committee: Committee) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = committee_html(committee)
    assert a == committee_html(committee)


# ----------------------------------------------------------------------------------------
# CLI
# ----------------------------------------------------------------------------------------


# `scoring run` and `scoring report` on a scored round (their output, the files, where they go):
# tests/round/test_eligibility.py::test_reports_go_to_the_round_folder_by_default, which runs both
# once (each writes the whole material, PDF included).


def test_main_job_without_scores_still_writes_the_applications(
    demo_round_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from scoring.cli import main

    assert main(["run", "--round", str(demo_round_copy), "--out", str(tmp_path)]) == 0
    assert "選定委員会資料は作成しませんでした" in capsys.readouterr().out
    assert (tmp_path / "applications.xlsx").exists() and not (tmp_path / "committee.html").exists()


# ----------------------------------------------------------------------------------------
# The notebook, headless
# ----------------------------------------------------------------------------------------


def test_a_failed_report_leaves_the_previous_material(
    committee: Committee, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import scoring.reporting.committee_report as report

    out = tmp_path / "out"
    out.mkdir()
    (out / "committee.html").write_text("old page", encoding="utf-8")
    (out / "committee.xlsx").write_bytes(b"old book")

    def broken(*args: Any, **kwargs: Any) -> Path:
        raise OSError("disk full")

    monkeypatch.setattr(report, "write_committee_workbook", broken)
    with pytest.raises(OSError, match="disk full"):
        write_committee_reports(None, out, committee=committee)
    assert (out / "committee.html").read_text(encoding="utf-8") == "old page"
    assert (out / "committee.xlsx").read_bytes() == b"old book"
    assert sorted(p.name for p in out.iterdir()) == ["committee.html", "committee.xlsx"]


# ----------------------------------------------------------------------------------------
# checkpoints and receipts (issue #10)
# ----------------------------------------------------------------------------------------


def test_committee_lists_each_submitted_pairs_receipt_and_the_checkpoints(committee: Committee) -> None:
    from scoring.reporting.committee_tables import notes_ja, receipts_ja
    from scoring.store.scores import ScoreStore

    with ScoreStore.open(load_round(committee.round_path)) as store:
        receipts = store.receipts()
        statuses = store.statuses()
        n_cp = len(store.checkpoints())
    assert len(receipts) == int((statuses["status"] == "提出済").sum()) > 0
    table = receipts_ja(committee)
    assert list(table.columns) == ["審査員", "応募", "都道府県", "受領コード", "提出日時（日本時間）"]
    assert table["受領コード"].tolist() == receipts["receipt"].tolist()
    assert table["受領コード"].str.fullmatch(r"[0-9a-f]{4}(-[0-9a-f]{4}){3}").all()
    # reviewers appear as in the anonymous comments, never by id
    assert table["審査員"].tolist() == [committee.reviewer_labels[r] for r in receipts["reviewer"]]
    assert (
        table["審査員"].str.startswith("審査員").all()
        and not table["審査員"].isin(receipts["reviewer"]).any()
    )
    notes = dict(notes_ja(committee).itertuples(index=False))
    assert 1 <= len(committee.checkpoints) <= n_cp
    assert notes["署名された記録点（件数）"].startswith(f"{len(committee.checkpoints)} 件")
    rows = [k for k in notes if k.startswith("記録点（")]
    assert 1 <= len(rows) <= 3
    assert "署名確認済" in notes[rows[0]] and "イベント" in notes[rows[0]]


def test_comments_and_missing_reviews_are_anonymous_and_complete(
    committee: Committee, round_dir: Path
) -> None:
    rnd = load_round(round_dir)
    ids = [r.id for r in rnd.reviewers]
    assert committee.reviewer_labels == {rid: f"審査員{chr(ord('A') + i)}" for i, rid in enumerate(ids)}
    com = comments_ja(committee)
    assert len(com) == len(committee.comments) > 0
    assert set(com["審査員"]) <= set(committee.reviewer_labels.values())
    missing = missing_reviews_ja(committee)
    with ScoreStore.open(rnd) as store:
        st = store.statuses()
    todo = st[st["status"] != "提出済"]
    assert len(missing) == len(todo) > 0
    for _, row in missing.iterrows():
        part = st[st["application"] == row["応募ID"]]
        assert row["割当（件）"] == len(part) and row["提出済（件）"] == int(
            (part["status"] == "提出済").sum()
        )
    html = section_html(committee, "comments")
    assert "審査員A" in html and "未提出の採点" in html
    names = [str(r.name) for r in rnd.reviewers]
    assert not any(n in html for n in names)


def test_show_reviewer_names_names_them(tmp_path: Path, demo_round_copier: Callable[[Path], Path]) -> None:
    rd = _scored_round(tmp_path, demo_round_copier)
    cfg = rd / "round.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8") + "show_reviewer_names: true\n", encoding="utf-8")
    c = build_committee(rd, n_boot=1)
    rnd = load_round(rd)
    assert c.reviewer_labels == {r.id: r.name for r in rnd.reviewers}
