"""From discussion to decision on the demo round: drafts, the 協議対象 list, the second stage,
the decision's checks, and one rank in every output (committee tables, the workbook read
back, the page, the tuning screen)."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml
from roundcopy import scored_demo_round

from scoring.analysis.committee import Committee, build_committee, record_committee_decision
from scoring.analysis.tuning import TuningModel
from scoring.cli import main
from scoring.core.keyring import Keyring
from scoring.reporting.committee_report import (
    committee_html,
    committee_page,
    section_html,
    write_committee_pdf,
    write_committee_workbook,
)
from scoring.reporting.committee_tables import tables_ja
from scoring.round.decision import latest_decision
from scoring.round.loader import load_round
from scoring.store.scores import ScoreStore

_round = scored_demo_round


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, demo_round_copier: Callable[[Path], Path]) -> Path:
    return _round(tmp_path_factory.mktemp("stage"), demo_round_copier)


@pytest.fixture
def rd(tmp_path: Path, template: Path) -> Path:
    """A fresh copy of the scored demo round (folder layout and database included)."""
    root = template.parents[1]  # <mktemp>/data/demo → <mktemp> (rubrics beside data)
    shutil.copytree(root, tmp_path / "r")
    return tmp_path / "r" / template.relative_to(root)


@pytest.fixture(scope="module")
def committee(template: Path) -> Committee:
    return build_committee(template, n_boot=200, seed=1)


def _draft_counts(rd: Path) -> tuple[int, int, int, int]:
    with ScoreStore.open(load_round(rd)) as store:
        s = store.scores()
    s = s[s["score"].notna()]
    d = s[s["status"] != "提出済"]
    return len(s), len(d), d["reviewer"].nunique(), d["application"].nunique()


# ------------------------------------------------------------------------------ drafts


def test_drafts_are_left_out_by_default_and_the_material_says_so(
    committee: Committee, template: Path, tmp_path: Path
) -> None:
    n_all, n_draft, k, m = _draft_counts(template)
    assert n_draft > 0
    assert committee.n_scores == n_all - n_draft
    assert committee.settings["scores"]["include_drafts"] is False
    notice = f"下書き {n_draft} 件（審査員 {k} 名・応募 {m} 件）は提出されていないため集計に含めていません"
    assert committee.notices == [notice + "（含めるには round.yaml に include_drafts: true）。"]
    assert not any("下書き" in w for w in committee.all_warnings)  # a notice, not a warning
    assert notice in section_html(committee, "summary", charts=False)
    # committee.html's page and committee.xlsx (the next test reads the PDF too)
    assert notice in committee_html(committee, charts=False)
    wb = openpyxl.load_workbook(write_committee_workbook(committee, tmp_path / "committee.xlsx"))
    assert any(notice in str(v) for row in wb["概要"].iter_rows(values_only=True) for v in row if v)


def test_drafts_count_only_when_round_yaml_says_so_with_a_visible_warning(
    tmp_path: Path, demo_round_copier: Callable[[Path], Path]
) -> None:
    rd = _round(tmp_path / "drafts", demo_round_copier, include_drafts=True)
    n_all, n_draft, k, m = _draft_counts(rd)
    c = build_committee(rd, n_boot=20)
    assert c.n_scores == n_all and c.settings["scores"]["include_drafts"] is True
    warning = f"下書き {n_draft} 件（審査員 {k} 名・応募 {m} 件）を含めて集計しています"
    assert any(warning in w for w in c.all_warnings)
    # committee.html, committee.xlsx and committee.pdf (the 本体) as `report` writes them (the
    # 参考資料's PDF is not needed for the sentence); the committee's page says it in the one drafts sentence (scoring.reporting.wording)
    sentence = f"合計点には提出前の下書き {n_draft} 件（審査員 {k} 名・応募 {m} 件）も含めています"
    assert sentence in committee_page(c)
    wb = openpyxl.load_workbook(write_committee_workbook(c, tmp_path / "committee.xlsx"))
    summary = {r[0]: r[1] for r in wb["概要"].iter_rows(min_row=2, values_only=True)}
    assert any(warning in str(v) for key, v in summary.items() if str(key).startswith("警告"))
    if shutil.which("pdftotext"):
        pdf = write_committee_pdf(c, tmp_path / "committee.pdf")
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert f"下書き {n_draft} 件" in re.sub(r"\s+", " ", text)
    # the totals differ from the submitted-only ones (the drafts were counted)
    base = build_committee(rd, n_boot=20, scores=_submitted_only(rd))
    assert not c.ranked["total"].equals(base.ranked["total"])
    # a typo in the key is refused, naming it
    path = rd / "round.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["include_drafts"] = "たぶん"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(Exception, match="include_drafts"):
        load_round(rd)


def _submitted_only(rd: Path) -> pd.DataFrame:
    with ScoreStore.open(load_round(rd)) as store:
        return store.scores(include_drafts=False)


# ------------------------------------------------------------------------------ 協議対象


def test_the_discussion_list_flags_part_of_the_round_in_plain_words(committee: Committee) -> None:
    d = committee.discussion
    n_ranked = int(committee.ranked["rank"].notna().sum())
    assert 0 < len(d) < n_ranked  # not every application any more
    assert "05" not in set(d["application"])  # 対象外 are not discussed
    ids = [c for c in committee.criterion_labels]
    for reason in d["reason"]:
        assert not any(i in reason for i in ids), reason  # labels, never ids
        assert not re.search(r"\bR\d=", reason), reason  # 審査員A, never the reviewer id
        for part in re.findall(r"(審査員[A-Z]+=[\d.]+)", reason):
            assert re.fullmatch(r"審査員[A-Z]+=[1-5]", part), reason  # raw scores: whole levels
    table = tables_ja(committee)["協議対象"]
    assert list(table["応募ID"]) == list(d["application"])
    html = section_html(committee, "discussion", charts=False)
    assert "協議対象" in html and "素点" in html


def test_a_revision_is_shown_with_both_stages_and_the_totals_use_it(rd: Path, tmp_path: Path) -> None:
    rnd = load_round(rd)
    with ScoreStore.open(rnd) as store:
        s = store.scores(include_drafts=False)
        row = s[(s["application"] == "38") & (s["criterion"] == "need_pool_gap")].iloc[0]
        old = float(row["score"])
        new = 1.0 if old >= 3 else 5.0
        store.revise(str(row["reviewer"]), "38", "need_pool_gap", new, reason="協議で登録者数の誤読が判明")
        first = store.scores(include_drafts=False, stage="first")
    c = build_committee(rd, n_boot=20)
    before = build_committee(rd, n_boot=20, scores=first)
    assert c.ranked.at["38", "total"] != pytest.approx(before.ranked.at["38", "total"])
    t = tables_ja(c)["協議後の修正"]
    assert t[
        ["応募ID", "評価項目", "1段階目の点数", "2段階目の点数（協議後）", "修正の理由"]
    ].values.tolist() == [["38", c.criterion_labels["need_pool_gap"], old, new, "協議で登録者数の誤読が判明"]]
    assert t["審査員"].iloc[0] == c.reviewer_labels[str(row["reviewer"])]
    assert "協議で登録者数の誤読が判明" in committee_html(c, charts=False)
    xlsx = write_committee_workbook(c, tmp_path / "committee.xlsx")
    assert "協議後の修正" in openpyxl.load_workbook(xlsx).sheetnames
    with ScoreStore.open(rnd) as store:
        assert store.audit().problems.empty


# ------------------------------------------------------------------------------ deciding


def test_deciding_needs_a_reason_for_every_difference(rd: Path, committee: Committee) -> None:
    proposal = committee.selected
    other = next(
        a
        for a in committee.ranked.index
        if a not in proposal and committee.ranked.at[a, "status"] != "対象外"
    )
    chosen = [*proposal[:-1], other]
    with pytest.raises(ValueError) as e:
        record_committee_decision(rd, chosen, by="委員長（架空）")
    msg = str(e.value)
    assert f"{other}（{committee.name(other)}）（選定案から追加）" in msg
    assert f"{proposal[-1]}（{committee.name(proposal[-1])}）（選定案から除外）" in msg
    with pytest.raises(ValueError, match="選定案から除外"):
        record_committee_decision(rd, chosen, by="委員長（架空）", reasons={other: "理由"})
    with ScoreStore.open(load_round(rd)) as store:
        assert latest_decision(store) is None  # nothing was recorded
    d = record_committee_decision(
        rd,
        chosen,
        by=["委員長（架空）", "副委員長（架空）"],
        reasons={other: "地域の事情", proposal[-1]: "次回に期待"},
    )
    assert d.deciders == ("委員長（架空）", "副委員長（架空）") and d.by == "委員長（架空）、副委員長（架空）"
    with ScoreStore.open(load_round(rd)) as store:
        cps = [cp for cp in store.checkpoints() if cp.valid and cp.head_id < d.event_id]
        assert d.checkpoint_id == max(cp.head_id for cp in cps) > 0
        assert d.checkpoint_hash == store.events().set_index("id").at[d.checkpoint_id, "hash"]
        assert store.audit().problems.empty
    c = build_committee(rd, n_boot=1)
    summary = dict(zip(tables_ja(c)["概要"]["項目"], tables_ja(c)["概要"]["値"]))
    assert (
        summary["選定結果の根拠（署名された記録点）"]
        == f"イベント {d.checkpoint_id}・ハッシュ {d.checkpoint_hash}・署名した事務局の鍵の指紋 {d.checkpoint_key}"
    )
    # the decision record names the analyst key that signed its checkpoint (issue 18): an auditor
    # compares it with the keyring they check the round with
    assert d.checkpoint_key and d.checkpoint_key in Keyring.load(rd).analyst_fingerprints()
    assert "委員長（架空）、副委員長（架空）" in section_html(c, "decision", charts=False)


def test_an_excluded_application_needs_force_and_a_reason(rd: Path, committee: Committee) -> None:
    assert committee.ranked.at["05", "status"] == "対象外"
    chosen = [*committee.selected[:-1], "05"]
    dropped = committee.selected[-1]
    with pytest.raises(ValueError, match="対象外の応募が選定に入っています（05（秋田県）: 期限後提出"):
        record_committee_decision(rd, chosen, by="委員長（架空）", reasons={"05": "x", dropped: "y"})
    with pytest.raises(ValueError, match=r"05（秋田県）（対象外）"):
        record_committee_decision(rd, chosen, by="委員長（架空）", reasons={dropped: "y"}, force=True)
    d = record_committee_decision(
        rd,
        chosen,
        by="委員長（架空）",
        force=True,
        reasons={"05": "災害のため提出が遅れたと委員会が認定", dropped: "次回に期待"},
    )
    assert d.forced == ("05",)
    t = tables_ja(build_committee(rd, n_boot=1))["選定結果"].set_index("応募ID")
    assert t.at["05", "選定案との違い"] == "対象外から選定" and t.at["05", "決定"] == "選定"


def test_cli_decide_refusals_are_japanese_and_exit_2(
    rd: Path, committee: Committee, capsys: pytest.CaptureFixture[str]
) -> None:
    chosen = ",".join([*committee.selected[:-1], "05"])
    assert main(["decide", "--round", str(rd), "--select", chosen, "--by", "委員長"]) == 2
    err = capsys.readouterr().err
    assert "選定結果を記録しませんでした" in err and "対象外" in err and "--force" in err
    assert main(["decide", "--round", str(rd), "--select", chosen, "--by", "委員長", "--force"]) == 2
    err = capsys.readouterr().err
    assert "次の応募の理由がありません" in err and "05（秋田県）（対象外）" in err
    code = main(
        [
            "decide",
            "--round",
            str(rd),
            "--select",
            chosen,
            "--by",
            "委員長",
            "副委員長",
            "--force",
            "--reason-for",
            "05=委員会が認定",
            "--reason",
            f"{committee.selected[-1]}=次回",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0 and "決定: 委員長、副委員長" in out and "根拠の記録点: イベント " in out
    assert "対象外から選定（--force）: 秋田県" in out


# ------------------------------------------------------------------------------ one rank


def test_every_output_shows_the_same_rank(committee: Committee, template: Path, tmp_path: Path) -> None:
    want = {str(a): (None if pd.isna(r) else int(r)) for a, r in committee.ranked["rank"].items()}
    assert want["05"] is None  # 対象外: shown, not ranked
    assert sorted(r for r in want.values() if r is not None) == list(range(1, 16))
    found: dict[str, dict[str, int | None]] = {}

    def collect(name: str, ids: object, ranks: object) -> None:
        found[name] = {str(a): (None if r is None or pd.isna(r) else int(r)) for a, r in zip(ids, ranks)}

    t = tables_ja(committee)
    collect("順位", t["順位"]["応募ID"], t["順位"]["順位"])
    collect("理由", t["理由"]["応募ID"], t["理由"]["順位（審査対象内）"])
    collect("安定性", t["安定性"]["応募ID"], t["安定性"]["順位（審査対象内）"])
    collect("協議対象", t["協議対象"]["応募ID"], t["協議対象"]["順位"])
    collect("discussion", committee.discussion["application"], committee.discussion["rank"])
    collect("selection.reasons", committee.selection.reasons.index, committee.selection.reasons["rank"])
    wb = openpyxl.load_workbook(write_committee_workbook(committee, tmp_path / "committee.xlsx"))
    for sheet, col in (
        ("順位", "順位"),
        ("理由", "順位（審査対象内）"),
        ("安定性", "順位（審査対象内）"),
        ("協議対象", "順位"),
    ):
        rows = list(wb[sheet].iter_rows(values_only=True))
        h = list(rows[0])
        collect(
            f"xlsx {sheet}", [r[h.index("応募ID")] for r in rows[1:]], [r[h.index(col)] for r in rows[1:]]
        )
    with ScoreStore.open(load_round(template)) as store:
        scores = store.counted_scores()
    rk = TuningModel(scores, rnd=load_round(template)).ranking()
    collect("配点の調整画面", rk.index, rk["rank"])
    for name, ranks in found.items():
        for a, r in ranks.items():
            assert r == want[a], f"{name}: 応募 {a} の順位 {r} ≠ {want[a]}"
    assert {n for n, ranks in found.items() if "05" in ranks} >= {
        "順位",
        "理由",
        "安定性",
        "xlsx 順位",
        "配点の調整画面",
    }
