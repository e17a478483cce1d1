"""The three documents of the demo round, read back as their readers get them (issue 21).

``committee.pdf`` (the 本体): at most four pages; page 1 holds 審議事項, the proposal, every
near-tie at the line and every balance displacement the selection reports, and the
exclusions with their reasons. ``committee.pdf`` and ``committee_reference.pdf`` carry no
command, file path, hash, receipt code or configuration key. The drafts sentence is the same
in every output and appears once in each. Every PDF is PDF/A (pikepdf). The demo material
is built once for the module (it is expensive).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml

from scoring.analysis.committee import Committee, build_committee
from scoring.config.round import Balance, Reviewer, RoundConfig, SelectSpec
from scoring.core.columns import METHOD_LABELS
from scoring.demo.simulate import write_demo_scores
from scoring.reporting.committee_body import (
    DocInfo,
    balance_displacements,
    body_sections,
    close_ties,
    exclusions,
    near_ties_of,
)
from scoring.reporting.committee_documents import document_html
from scoring.reporting.committee_report import write_committee_reports
from scoring.reporting.pdf import page_text
from scoring.reporting.wording import drafts_sentence
from scoring.round.loader import load_round
from scoring.store.scores import ScoreStore

DOCS = Path(__file__).resolve().parents[2] / "docs"

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils is missing (`make deps` installs it)"
)


@pytest.fixture(scope="module")
def committee(
    tmp_path_factory: pytest.TempPathFactory, demo_round_copier: Callable[[Path], Path]
) -> Committee:
    rnd = load_round(demo_round_copier(tmp_path_factory.mktemp("documents_round")))
    with ScoreStore.open(rnd) as store:
        write_demo_scores(rnd, store)
    return build_committee(rnd)


@pytest.fixture(scope="module")
def reports(committee: Committee, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_committee_reports(None, tmp_path_factory.mktemp("documents_out"), committee=committee)


def _text(pdf: Path, page: int | None = None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(
        ["pdftotext", *pages, str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def _flat(text: str) -> str:
    """Text without line breaks and spaces (pdftotext wraps sentences where the page does)."""
    return re.sub(r"\s+", "", text)


def _pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))  # type: ignore[union-attr]


def test_the_body_has_at_most_four_pages(reports: dict[str, Path]) -> None:
    assert 1 <= _pages(reports["pdf"]) <= 4


def test_page_one_says_what_to_decide_and_everything_to_discuss(
    reports: dict[str, Path], committee: Committee
) -> None:
    page1 = _flat(_text(reports["pdf"], 1))
    assert "審議事項" in page1
    assert _flat(f"{committee.n_applications} 件の応募からおおむね 5 件") in page1
    assert committee.selection is not None
    for a in committee.selected:
        assert committee.name(a) in page1, a
    # every pair across the line closer than a point is named; the rest of the near-ties counted
    close = close_ties(committee)
    pairs = {(committee.name(h), committee.name(lo)) for h, lo in zip(close["応募ID_上"], close["応募ID_下"])}
    assert {("長崎県", "広島県"), ("島根県", "奈良県")} <= pairs  # 0.1 point apart in the demo
    for hi, lo in pairs:
        assert re.search(f"僅差:{hi}（[^）]*）と{lo}（", page1), (hi, lo)
    rest = len(near_ties_of(committee)) - len(close)
    assert rest == 0 or f"ほかに{rest}組も" in page1
    # every application the selection puts out by a balance rule although it outranks a selected one
    r = committee.selection.reasons
    lowest = max(int(r.at[a, "rank"]) for a in committee.selected)
    displaced = [
        a
        for a in r.index
        if r.at[a, "status"] in ("次点", "非選定")
        and str(r.at[a, "constraint"])
        and int(r.at[a, "rank"]) < lowest
    ]
    assert sorted(displaced) == sorted(balance_displacements(committee)["application"])
    assert "34" in displaced  # 広島, 4th, out by the one-per-theme rule
    for a in displaced:
        assert f"バランスの条件による選外:{committee.name(a)}" in page1, a
    assert "広島県（4位、61.3）—重点テーマFは1件までの条件により、より得点の高い長崎県を選定" in page1
    for a, why in exclusions(committee):
        assert f"{committee.name(a)}:{why}" in page1
    assert "秋田県:期限後提出（受理せず）" in page1


def test_the_document_number_and_the_meeting_date_come_from_round_yaml(committee: Committee) -> None:
    info = DocInfo(document_number="資料2", meeting_date=dt.date(2026, 3, 10))
    page = document_html(committee, "committee", body_sections(committee), info=info)
    assert "資料2" in page and "会議日 令和8年3月10日（2026年）" in page
    assert "資料2（参考資料）" in document_html(committee, "reference", [], info=info)
    assert "資料2" not in document_html(committee, "records", [], info=info)


def test_the_readme_picture_and_its_text_are_what_the_demo_produces_now(reports: dict[str, Path]) -> None:
    """``make docs`` writes docs/committee_page1.png and, beside it, the text of that page."""
    kept = DOCS / "committee_page1.txt"
    assert kept.is_file() and (DOCS / "committee_page1.png").is_file()
    assert page_text(reports["pdf"], 1) == kept.read_text(encoding="utf-8"), (
        "docs/committee_page1.txt is stale: run `make docs` (scripts/make_docs.py) and commit docs/"
    )


_PATH = re.compile(
    r"(?:[A-Za-z]:)?(?:/[\w.\-]+){2,}|\b[\w\-]+\.(?:py|ya?ml|xlsx|csv|jsonl?|html|pdf|sqlite|pem)\b"
)
_HEX = re.compile(r"\b[0-9a-fA-F]{12,}\b")
_RECEIPT = re.compile(r"\b[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}\b")


def _keys(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield str(k)
            yield from _keys(v)
    elif isinstance(node, list):
        for v in node:
            yield from _keys(v)


def _forbidden_keys(committee: Committee) -> set[str]:
    keys = {"reviewers", *Reviewer.model_fields}
    for model in (RoundConfig, SelectSpec, Balance):
        keys |= set(model.model_fields)
    rubric = yaml.safe_load(Path(str(committee.settings["rubric"]["source"])).read_text(encoding="utf-8"))
    keys |= set(_keys(rubric)) | set(committee.criterion_labels) | set(committee.group_labels)
    keys |= set(METHOD_LABELS)  # the combining methods' setting names (affine, …): Japanese only
    return {k for k in keys if re.fullmatch(r"[A-Za-z_][\w]*", k)}


@pytest.mark.parametrize("doc", ["pdf", "reference_pdf"])
def test_committee_copies_hold_no_command_path_hash_code_or_key(
    reports: dict[str, Path], committee: Committee, doc: str
) -> None:
    keys = _forbidden_keys(committee)
    word = re.compile(
        r"(?<![A-Za-z0-9_])("
        + "|".join(sorted(map(re.escape, keys), key=len, reverse=True))
        + r")(?![A-Za-z0-9_])"
    )
    for i in range(1, _pages(reports[doc]) + 1):
        text = _text(reports[doc], i)
        found = {
            "python": re.findall(r"(?i)python", text),
            "round.yaml": re.findall(r"round\.yaml", text),
            "path": _PATH.findall(text),
            "hex": _HEX.findall(text),
            "receipt": _RECEIPT.findall(text),
            "key": word.findall(text),
        }
        assert not any(found.values()), f"{reports[doc].name} page {i}: {found}"


def test_the_records_keep_what_the_committee_copies_leave_out(reports: dict[str, Path]) -> None:
    text = _text(reports["records_pdf"])
    assert "python -m scoring report" in text
    assert _RECEIPT.search(text) and _HEX.search(text)
    wb = openpyxl.load_workbook(reports["records_xlsx"], read_only=True)
    assert {"設定と記録", "受領コード", "チェックポイント"} <= set(wb.sheetnames)


def test_the_drafts_sentence_is_the_same_everywhere_and_once_in_each(
    reports: dict[str, Path], committee: Committee
) -> None:
    sentence = _flat(drafts_sentence(committee.drafts))
    assert committee.drafts["n_scores"]  # the demo has drafts: the sentence says they are left out
    outputs = {
        "committee.pdf": _flat(_text(reports["pdf"])),
        "committee_reference.pdf": _flat(_text(reports["reference_pdf"])),
        "records.pdf": _flat(_text(reports["records_pdf"])),
        "committee.html": _flat(re.sub(r"<[^>]+>", "", reports["html"].read_text(encoding="utf-8"))),
    }
    wb = openpyxl.load_workbook(reports["records_xlsx"], read_only=True)
    outputs["records.xlsx"] = _flat(
        " ".join(str(v) for row in wb["設定と記録"].iter_rows(values_only=True) for v in row)
    )
    for name, text in outputs.items():
        assert text.count(sentence) == 1, name
        assert "下書きの点数を含め" not in text, name  # the old contradicting sentence


@pytest.mark.parametrize("doc", ["pdf", "reference_pdf", "records_pdf"])
def test_every_pdf_is_archival(reports: dict[str, Path], committee: Committee, doc: str) -> None:
    pikepdf = pytest.importorskip("pikepdf")
    with pikepdf.open(reports[doc]) as pdf:
        meta = pdf.open_metadata()
        assert meta.get("pdfaid:part") == "2" and meta.get("pdfaid:conformance") == "A"
        assert len(pdf.Root.OutputIntents) >= 1
        assert str(pdf.Root.Lang) == "ja"
        assert committee.round_name in str(pdf.docinfo["/Title"])
        assert "/StructTreeRoot" in pdf.Root  # tagged
        fonts = 0
        for page in pdf.pages:
            for font in (page.Resources.get("/Font") or {}).values():
                fonts += 1
                desc = font.get("/FontDescriptor") or font.DescendantFonts[0].FontDescriptor
                assert any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")), font.get(
                    "/BaseFont"
                )
        assert fonts
