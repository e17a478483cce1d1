"""プッシュ型 candidates: the settings file, the ranking of the 47, the application record, the committee table."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from scoring.analysis.push import push_candidates, push_candidates_ja, write_push_application
from scoring.cli import main
from scoring.config.push import (
    PUSH_CONFIG_FILE,
    PUSH_INDICATORS,
    PushConfig,
    load_push_config,
    push_config_path,
)
from scoring.core.columns import PUSH_CANDIDATE_COLUMNS
from scoring.core.errors import ConfigError, IntakeError
from scoring.core.paths import RUBRICS_DIR
from scoring.core.reference import prefectures
from scoring.intake.applications import read_applications
from scoring.round.loader import load_round


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------ settings file


def test_the_bundled_settings_are_valid_and_used_when_the_round_has_none(demo_round_copy: Path) -> None:
    assert push_config_path(demo_round_copy) == RUBRICS_DIR / PUSH_CONFIG_FILE
    cfg = load_push_config(push_config_path(demo_round_copy))
    assert set(cfg.indicators) == set(PUSH_INDICATORS)
    assert all(w > 0 for w in cfg.indicators.values())
    own = _write(demo_round_copy / PUSH_CONFIG_FILE, "indicators: {not_applied: 1}\n")
    assert push_config_path(demo_round_copy) == own


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        (
            "indicators: {towns_share: 1}\n",
            ["指標 'towns_share' はありません", "towns_villages_share", "1行目"],
        ),
        ("indicators: {not_applied: -1}\n", ["重みは 0 以上"]),
        ("indicators: {not_applied: 0, population_decline: 0}\n", ["重みがすべて 0"]),
        ("indicators: {not_applied: 1}\ntop: 0\n", ["候補として示す数（top）は 1 以上", "2行目"]),
        ("indicators: {not_applied: 1}\npool_members: {長野: -2}\n", ["0 以上"]),
        ("indicators: {not_applied: 1}\npool_members: {ながのけん: 2}\n", ["都道府県"]),
        ("indicators: {not_applied: 1}\ncolour: red\n", ["未知のキー 'colour'", "2行目"]),
        ("name: x\n", ["必須の項目 'indicators'"]),
        ("indicators: {not_applied: 1}\nindicators: {not_applied: 2}\n", ["2回書かれています"]),
        ("indicators: [not_applied\n", ["YAML の書式"]),
    ],
)
def test_a_bad_settings_file_is_a_japanese_error_with_file_and_line(
    tmp_path: Path, text: str, needles: list[str]
) -> None:
    path = _write(tmp_path / PUSH_CONFIG_FILE, text)
    with pytest.raises(ConfigError) as info:
        load_push_config(path)
    msg = str(info.value)
    assert PUSH_CONFIG_FILE in msg
    for needle in needles:
        assert needle in msg


def test_pool_members_accept_names_and_codes_but_not_the_same_prefecture_twice(tmp_path: Path) -> None:
    cfg = load_push_config(
        _write(tmp_path / "p.yaml", "indicators: {not_applied: 1}\npool_members: {長野県: 3, 7: 0}\n")
    )
    assert cfg.pool_members == {"20": 3, "07": 0}
    with pytest.raises(ConfigError, match="2回書かれています"):
        load_push_config(
            _write(tmp_path / "q.yaml", "indicators: {not_applied: 1}\npool_members: {長野: 3, 20: 1}\n")
        )


# ------------------------------------------------------------------ the ranking


def test_all_47_are_ranked_by_the_weighted_scaled_indicators(demo_round_copy: Path) -> None:
    rnd = load_round(demo_round_copy)
    _write(
        demo_round_copy / PUSH_CONFIG_FILE,
        "indicators: {towns_villages_share: 2, population_decline: 1, municipalities_per_pool_member: 1,"
        " not_applied: 0.5}\ntop: 3\npool_members: {福島: 0, 鳥取: 4}\n",
    )
    t = push_candidates(rnd)
    assert list(t.columns) == list(PUSH_CANDIDATE_COLUMNS) and len(t) == 47
    assert set(t.index) == set(prefectures().index)
    ref = prefectures().loc[t.index]
    # Raw values are shown as they are in the reference data.
    assert np.allclose(t["towns_villages_share"], ref["towns_villages_share_pct"])
    assert np.allclose(t["population_decline"], -ref["pop_change_2015_2020_pct"])
    applied = {str(a) for a in rnd.applications.index}
    assert set(t.index[t["applied"]]) == applied
    assert (t.loc[sorted(applied), "not_applied"] == 0).all()
    # Pool sizes: the application's figure, else the settings file, else unknown.
    assert t.at["20", "pool_source"] == "応募書"
    assert t.at["20", "pool_members"] == float(rnd.applications.at["20", "pool_size_total"])
    assert (t.at["07", "pool_source"], t.at["07", "pool_members"]) == ("設定ファイル", 0.0)
    assert (
        t.at["07", "municipalities_per_pool_member"] == t.at["07", "municipalities"]
    )  # 0 members: the count
    assert t.at["31", "municipalities_per_pool_member"] == pytest.approx(t.at["31", "municipalities"] / 4)
    assert t.at["13", "pool_source"] == "不明" and np.isnan(t.at["13", "municipalities_per_pool_member"])
    # The score, recomputed independently: Σ weight × (value scaled 0–1 over the known values; unknown → 0).
    weights = {
        "towns_villages_share": 2,
        "population_decline": 1,
        "municipalities_per_pool_member": 1,
        "not_applied": 0.5,
    }
    expected = pd.Series(0.0, index=t.index)
    for ind, w in weights.items():
        x = t[ind].astype(float)
        z = ((x - x.min()) / (x.max() - x.min())).fillna(0.0)
        assert np.allclose(t[f"w_{ind}"], w * z)
        expected += w * z
    assert np.allclose(t["score"], expected)
    assert (np.diff(t["score"].to_numpy()) <= 1e-12).all()  # rank order
    assert t["rank"].iloc[0] == 1 and t["rank"].is_monotonic_increasing
    # 候補: the `top` highest non-applicants; 応募済 for every applicant.
    non_applicants = [c for c in t.index if c not in applied]
    assert list(t.index[t["status"] == "候補"]) == non_applicants[:3]
    assert set(t.index[t["status"] == "応募済"]) == applied
    assert t.attrs["weights"] == weights


def test_knowing_a_pool_never_lowers_a_candidates_need_and_a_worse_pool_scores_higher(
    demo_round_copy: Path,
) -> None:
    """Property (issue 20, item 7): for random weights and random known pools of others, a
    non-applicant's score with its pool known is ≥ its score with the pool unknown, and never
    lower with fewer members (a worse pool) than with more. Unknown shows as 不明, not a number."""
    rnd = load_round(demo_round_copy)
    applied = {str(a) for a in rnd.applications.index}
    others = [c for c in prefectures().index if c not in applied]
    rng = np.random.default_rng(20)
    for trial in range(3):
        w = rng.uniform(0.0, 1.0, 4).round(2) + np.array([0, 0, 0.05, 0])
        known = {c: int(rng.integers(0, 40)) for c in rng.choice(others, 6, replace=False)}
        target = next(c for c in others if c not in known)
        base = {
            "towns_villages_share": float(w[0]),
            "population_decline": float(w[1]),
            "municipalities_per_pool_member": float(w[2]),
            "not_applied": float(w[3]),
        }

        def score(
            pool: int | None,
            base: dict[str, float] = base,
            known: dict[str, int] = known,
            target: str = target,
        ) -> float:
            members = dict(known) | ({} if pool is None else {target: pool})
            t = push_candidates(rnd, PushConfig(indicators=base, pool_members=members))
            return float(t.at[target, "score"])

        unknown = score(None)
        pools = sorted({0, 3, 20, *(int(p) for p in rng.integers(0, 80, 2))})
        scores = [score(p) for p in pools]
        assert all(s >= unknown - 1e-12 for s in scores), (trial, unknown, scores)
        assert all(a >= b - 1e-12 for a, b in itertools.pairwise(scores)), (trial, pools, scores)
    t = push_candidates(rnd, PushConfig(indicators={"municipalities_per_pool_member": 1}))
    ja = push_candidates_ja(t)
    unknown_rows = ja[ja["登録者数の出典"] == "不明"]
    assert len(unknown_rows) and (unknown_rows["人材プール登録者（人）"] == "不明").all()
    assert (t.loc[t["pool_source"] == "不明", "w_municipalities_per_pool_member"] == 0).all()


def test_an_unweighted_indicator_contributes_nothing_and_only_applying_can_decide(
    demo_round_copy: Path,
) -> None:
    rnd = load_round(demo_round_copy)
    _write(demo_round_copy / PUSH_CONFIG_FILE, "indicators: {not_applied: 1}\n")
    t = push_candidates(rnd)
    assert (t["w_towns_villages_share"] == 0).all()
    n_applied = int(t["applied"].sum())
    assert not t["applied"].iloc[: 47 - n_applied].any() and t["applied"].iloc[47 - n_applied :].all()
    ja = push_candidates_ja(t)
    assert "寄与: 応募なし（重み 1）" in ja.columns and not [c for c in ja.columns if "町村の割合（重み" in c]
    assert ja.index.name == "都道府県コード" and ja["都道府県"].iloc[0] == t["prefecture_name"].iloc[0]


# ------------------------------------------------------------------ the application record


def test_a_candidate_becomes_a_push_application_that_intake_reads(demo_round_copy: Path) -> None:
    _write(demo_round_copy / PUSH_CONFIG_FILE, "indicators: {not_applied: 1}\npool_members: {福島: 2}\n")
    rnd = load_round(demo_round_copy)
    when = dt.datetime(2026, 3, 2, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    rec = write_push_application(rnd, "福島", submitted_at=when, by="総務省", reason="ヒアリングで選定")
    assert rec.path.parent == demo_round_copy / "applications" and rec.code == "07"
    # the ministry's decision is recorded with the form (issue 19): who, when, why
    assert rec.decision is not None and rec.decision.action == "push" and rec.decision.by == "総務省"
    assert "担当部署" in rec.to_fill and "人材プールの人数" not in rec.to_fill
    again = load_round(demo_round_copy)
    row = again.applications.loc["07"]
    assert row["application_type"] == "プッシュ型" and row["prefecture_name"] == "福島県"
    assert again.eligibility.loc["07", "status"] == "期限適用外（プッシュ型）"
    assert "プッシュ型（総務省の決定）（総務省" in again.eligibility.loc["07", "records"]
    assert int(row["pool_size_total"]) == 2
    assert row["submitted_at"].strftime("%Y-%m-%d %H:%M") == "2026-03-02 10:30"
    # Until the hearing's answers are filled in, the required fields are errors naming their cells.
    mine = again.problems[again.problems["file"] == rec.path.name]
    assert set(mine.loc[mine["severity"] == "error", "field"]) >= {"担当部署", "重点テーマ"}
    # Now it counts as an applicant in the list.
    t = push_candidates(again)
    assert bool(t.at["07", "applied"]) and t.at["07", "application_type"] == "プッシュ型"


def test_a_push_record_is_refused_for_an_applicant_an_unknown_name_or_an_existing_file(
    demo_round_copy: Path, tmp_path: Path
) -> None:
    rnd = load_round(demo_round_copy)
    before = sorted(p.name for p in (demo_round_copy / "applications").iterdir())
    with pytest.raises(IntakeError, match="長野県は既に応募しています（20_nagano.xlsx）"):
        write_push_application(rnd, "長野")
    with pytest.raises(IntakeError, match="プッシュ型の都道府県"):
        write_push_application(rnd, "ナガノ市")
    assert sorted(p.name for p in (demo_round_copy / "applications").iterdir()) == before
    target = tmp_path / "push.xlsx"
    target.write_bytes(b"x")
    with pytest.raises(IntakeError, match="上書きしませんでした"):
        write_push_application(rnd, "鳥取", target)
    assert target.read_bytes() == b"x"


def test_push_commands(demo_round_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["push-candidates", "--round", str(demo_round_copy), "--top", "3"]) == 0
    out = capsys.readouterr().out
    assert "プッシュ型の候補（必要性の高い順）" in out and "必要性の得点" in out
    assert main(["push-candidates", "--round", str(demo_round_copy), "--all"]) == 0
    assert "沖縄県" in capsys.readouterr().out
    assert main(["push-candidate", "--round", str(demo_round_copy), "--prefecture", "20"]) == 2
    assert "長野県は既に応募しています" in capsys.readouterr().err
    assert main(["push-candidate", "--round", str(demo_round_copy), "--prefecture", "鳥取県"]) == 0
    out = capsys.readouterr().out
    assert "31_tottori_push.xlsx" in out and "必須項目を記入してください" in out
    intake = read_applications(demo_round_copy / "applications")
    assert intake.applications.at["31", "application_type"] == "プッシュ型"
    assert main(["push-candidate", "--round", str(demo_round_copy), "--prefecture", "鳥取県"]) == 2
    assert "既に応募しています" in capsys.readouterr().err
    elsewhere = demo_round_copy.parent / "下書き.xlsx"
    assert (
        main(
            [
                "push-candidate",
                "--round",
                str(demo_round_copy),
                "--prefecture",
                "徳島",
                "--out",
                str(elsewhere),
            ]
        )
        == 0
    )
    assert "の外です。審査に含めるには" in capsys.readouterr().out and elsewhere.exists()
    _write(demo_round_copy / PUSH_CONFIG_FILE, "indicators: {nothing: 1}\n")
    assert main(["push-candidates", "--round", str(demo_round_copy)]) == 2
    assert "指標 'nothing' はありません" in capsys.readouterr().err


# ------------------------------------------------------------------ the committee material


def test_the_committee_material_has_the_push_table(demo_round_copy: Path, tmp_path: Path) -> None:
    from scoring.analysis.committee import build_committee
    from scoring.demo.simulate import write_demo_scores
    from scoring.reporting.committee_report import committee_html, write_committee_workbook
    from scoring.reporting.committee_tables import tables_ja

    rnd = load_round(demo_round_copy)
    write_demo_scores(rnd)
    c = build_committee(rnd, n_boot=5)
    assert len(c.push_candidates) == 47
    t = tables_ja(c)["プッシュ型候補"]
    assert len(t) == 47 and "必要性の得点" in t.columns and "町村の割合（％）" in t.columns
    path = write_committee_workbook(c, tmp_path / "committee.xlsx")
    ws = openpyxl.load_workbook(path)["プッシュ型候補"]
    assert ws.max_row == 48
    header = [cell.value for cell in ws[1]]
    first = dict(zip(header, [cell.value for cell in ws[2]]))
    assert first["都道府県"] == c.push_candidates["prefecture_name"].iloc[0]
    assert isinstance(first["必要性の得点"], float)
    page = committee_html(c, charts=False)
    assert "プッシュ型の候補（応募のない都道府県の必要性）" in page
    top = c.push_candidates[c.push_candidates["status"] == "候補"]["prefecture_name"]
    assert "応募のない都道府県のうち必要性の高い団体: " + "・".join(top) in page
    assert "平均などで埋めません" in page  # how unknowns are treated (issue 20): no imputation
    pool = [row[header.index("人材プール登録者（人）")].value for row in ws.iter_rows(min_row=2)]
    assert "不明" in pool and any(isinstance(v, (int, float)) for v in pool)
