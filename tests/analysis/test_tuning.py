"""Rubric tuning (scoring.analysis.tuning, scoring.core.settings) and its screen (scoring.ui.tuning_view), headless.

The model is tested on small hand-made score tables (exact numbers worked out by hand) and
on the demo round's simulated scores (against :func:`scoring.combine.combine`); the view
by setting widget values, which fires the callbacks without a kernel (ipywidgets 8).
"""

from __future__ import annotations

import datetime as dt
import html
import re
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from pandas.testing import assert_frame_equal, assert_series_equal

from scoring import load_round
from scoring.analysis.committee import build_committee
from scoring.analysis.status import flag_with_reason
from scoring.analysis.tuning import RANKING_COLUMNS, TuningModel, largest_remainder
from scoring.combine import DEFAULT_METHOD, Combiner, combine
from scoring.config.rubric import Rubric, load_rubric, rubric_from_dict
from scoring.core.columns import review_rank
from scoring.core.errors import OptionError
from scoring.core.paths import PROJECT_DIR
from scoring.core.settings import canonical_json, score_fingerprint, settings_hash
from scoring.demo.simulate import write_demo_scores
from scoring.round.loader import ReviewRound
from scoring.ui.tuning_view import TuningApp

RUBRIC_FILE = PROJECT_DIR / "rubrics" / "r8_talent_pool.yaml"
NEED = ["need_pool_gap", "need_support_burden", "need_self_reliance"]


# ---------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------


@pytest.fixture
def rubric(tmp_path: Path) -> Rubric:
    """The shipped rubric, from a copy in tmp_path (a saved version goes beside it)."""
    folder = tmp_path / "rubrics"
    folder.mkdir()
    shutil.copy(RUBRIC_FILE, folder / RUBRIC_FILE.name)
    return load_rubric(folder / RUBRIC_FILE.name)


def hand_scores(
    rubric: Rubric,
    levels: Mapping[str, Mapping[str, float]],
    reviewers: tuple[str, ...] = ("R1", "R2", "R3"),
    offsets: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Every reviewer scores every application; ``levels[app][group]`` on all criteria of the group."""
    rows = []
    for app, by_group in levels.items():
        for r in reviewers:
            for c in rubric.criteria:
                s = by_group[rubric.group_of(c.id).id] + (offsets or {}).get(r, 0.0)
                rows.append((app, r, c.id, float(min(max(s, 1), 5))))
    return pd.DataFrame(rows, columns=["application", "reviewer", "criterion", "score"])


#: A is strong on 支援の必要性 only, B is average everywhere, C is weak on need, good elsewhere.
LEVELS = {
    "A": {"need": 5, "pool": 1, "theme": 1},
    "B": {"need": 3, "pool": 3, "theme": 3},
    "C": {"need": 1, "pool": 4, "theme": 4},
}


@pytest.fixture(scope="module")
def demo(
    tmp_path_factory: pytest.TempPathFactory, demo_round_copier: Callable[[Path], Path]
) -> tuple[ReviewRound, pd.DataFrame]:
    """A copy of the demo round with its simulated scores (the explicit ``scoring demo`` step)."""
    rnd = load_round(demo_round_copier(tmp_path_factory.mktemp("tuning")))
    write_demo_scores(rnd)
    model = TuningModel.open(rnd, include_drafts=True)  # with the partial drafts (notes, warnings)
    return rnd, model.scores


def test_open_counts_only_submitted_scores_unless_round_yaml_says_so(
    demo: tuple[ReviewRound, pd.DataFrame], tmp_path: Path, demo_round_copier: Callable[[Path], Path]
) -> None:
    rnd, with_drafts = demo
    m = TuningModel.open(rnd)
    assert m.include_drafts is False and set(m.scores["status"]) == {"提出済"}
    assert len(m.scores) < len(with_drafts)
    rd = demo_round_copier(tmp_path)
    (rd / "round.yaml").write_text(
        (rd / "round.yaml").read_text(encoding="utf-8") + "include_drafts: true\n", encoding="utf-8"
    )
    other = load_round(rd)
    write_demo_scores(other)
    m2 = TuningModel.open(other)
    assert m2.include_drafts is True and "下書き" in set(m2.scores["status"])


# ---------------------------------------------------------------------------
# Weights
# ---------------------------------------------------------------------------


def test_largest_remainder_sums_exactly() -> None:
    s = pd.Series([1.0, 1.0, 1.0], index=["a", "b", "c"], name="weight")
    assert largest_remainder(s).tolist() == [34, 33, 33]  # ties go to the first
    t = pd.Series([22.2222, 14.8148, 14.8148, 8.8889, 8.8889, 8.1481, 7.4074, 7.4074, 7.4074])
    r = largest_remainder(t)
    assert r.sum() == 100 and r.tolist() == [22, 15, 15, 9, 9, 8, 8, 7, 7]
    r1 = largest_remainder(pd.Series([0.3, 50, 49.7]), decimals=1)
    assert r1.tolist() == [0.3, 50.0, 49.7] and round(r1.sum(), 9) == 100
    with pytest.raises(ValueError, match="0 以上"):
        largest_remainder(pd.Series([0.0, 0.0]))


def test_weights_renormalise_to_100(rubric: Rubric) -> None:
    m = TuningModel(hand_scores(rubric, LEVELS), rubric)
    assert_series_equal(m.effective_weights(), rubric.weights())  # the rubric sums to 100 already
    m.set_criterion_weight("need_pool_gap", 65)  # total of raw weights now 150
    eff = m.effective_weights()
    assert eff.sum() == pytest.approx(100, abs=1e-12)
    assert eff["need_pool_gap"] == pytest.approx(65 / 150 * 100)
    assert eff["theme_reuse"] == pytest.approx(10 / 150 * 100)
    assert eff.index.name == "criterion" and eff.name == "weight"
    m.set_criterion_weight("theme_reuse", 0)
    assert m.effective_weights()["theme_reuse"] == 0
    m.reset_weights()
    assert_series_equal(m.effective_weights(), rubric.weights())


def test_group_weight_scales_its_criteria(rubric: Rubric) -> None:
    m = TuningModel(hand_scores(rubric, LEVELS), rubric)
    m.set_group_weight("need", 2.0)  # need 35 → 70: raw total 135
    eff = m.effective_weights()
    w = rubric.weights()
    for c in w.index:
        factor = 2.0 if c in NEED else 1.0
        assert eff[c] == pytest.approx(w[c] * factor / 135 * 100)
    g = m.effective_group_weights()
    assert g.to_dict() == pytest.approx({"need": 7000 / 135, "pool": 3500 / 135, "theme": 3000 / 135})
    # A criterion inside the group keeps its share of the group.
    assert eff["need_pool_gap"] / g["need"] == pytest.approx(15 / 35)
    m.set_group_weight("theme", 0)
    assert m.effective_group_weights()["theme"] == 0


def test_bad_weights_are_refused_in_japanese(rubric: Rubric) -> None:
    m = TuningModel(hand_scores(rubric, LEVELS), rubric)
    with pytest.raises(ValueError, match="0 以上の数値"):
        m.set_criterion_weight("need_pool_gap", -1)
    with pytest.raises(OptionError, match="数値にしてください"):
        m.set_group_weight("need", "2")  # type: ignore[arg-type]
    with pytest.raises(KeyError, match="使える評価項目"):
        m.set_criterion_weight("no_such", 3)
    with pytest.raises(KeyError, match="使えるグループ: need, pool, theme"):
        m.set_group_weight("no_such", 1)
    with pytest.raises(ValueError, match="使える method: mean, median"):
        m.set_method("best")
    assert m.method == DEFAULT_METHOD  # unchanged after the refusal
    for g in m.groups:
        m.set_group_weight(g, 0)
    with pytest.raises(ValueError, match="配点の合計が 0 です"):
        m.ranking()


def test_constructor_errors(rubric: Rubric) -> None:
    with pytest.raises(ValueError, match="列 score がありません"):
        TuningModel(pd.DataFrame({"application": [], "reviewer": [], "criterion": []}), rubric)
    empty = hand_scores(rubric, LEVELS).assign(score=np.nan)
    with pytest.raises(ValueError, match="点数がひとつもありません"):
        TuningModel(empty, rubric)
    with pytest.raises(ValueError, match="method 'trimmed' にオプション nope はありません"):
        TuningModel(hand_scores(rubric, LEVELS), rubric, method_options={"trimmed": {"nope": 1}})
    with pytest.raises(OptionError, match="rubric"):
        TuningModel(hand_scores(rubric, LEVELS))


# ---------------------------------------------------------------------------
# Ranking
# ---------------------------------------------------------------------------


def test_ranking_by_hand_and_rank_change_sign(rubric: Rubric) -> None:
    m = TuningModel(hand_scores(rubric, LEVELS), rubric, method="mean")
    rk = m.ranking()
    assert list(rk.columns) == [
        "rank",
        "prefecture_name",
        "total",
        "se",
        "need",
        "pool",
        "theme",
        "n_reviewers",
        "flags",
        "baseline_rank",
        "rank_change",
        "status",
        "reason",
    ]
    assert set(RANKING_COLUMNS) <= set(rk.columns)
    # (level − 1) / 4 × weight: A = 35, B = 50, C = 0.75 × 65 = 48.75.
    assert rk["total"].to_dict() == pytest.approx({"B": 50.0, "C": 48.75, "A": 35.0})
    assert list(rk.index) == ["B", "C", "A"] and rk["rank_change"].tolist() == [0, 0, 0]
    m.set_group_weight("need", 3.0)  # need 105 of 170
    rk = m.ranking()
    assert rk["total"].to_dict() == pytest.approx(
        {"A": 105 / 170 * 100, "B": 50.0, "C": 0.75 * 65 / 170 * 100}
    )
    assert list(rk.index) == ["A", "B", "C"]
    assert rk["baseline_rank"].tolist() == [3, 1, 2]
    assert rk["rank_change"].tolist() == [2, -1, -1]  # A moved up two places, B and C one down
    assert (rk["rank_change"] == rk["baseline_rank"] - rk["rank"]).all()
    assert rk["need"]["A"] == pytest.approx(105 / 170 * 100) and rk["pool"]["A"] == 0
    assert (rk["prefecture_name"] == "").all()


def test_baseline_is_default_method_with_rubric_weights(rubric: Rubric) -> None:
    # R3 is 1 level more lenient on everything: calibrating methods see it, the mean does not.
    scores = hand_scores(
        rubric,
        {
            "A": {"need": 2, "pool": 2, "theme": 2},
            "B": {"need": 3, "pool": 3, "theme": 3},
            "C": {"need": 4, "pool": 4, "theme": 4},
        },
        offsets={"R3": 1},
    )
    m = TuningModel(scores, rubric, method="mean")
    m.set_criterion_weight("theme_reuse", 30)
    base = combine(scores, rubric, method=DEFAULT_METHOD)
    rk = m.ranking()
    assert rk["baseline_rank"].to_dict() == base["rank"].to_dict()
    assert_frame_equal(m.baseline(), base)


@pytest.mark.parametrize("method", ["mean", "trimmed", "additive", DEFAULT_METHOD])
def test_ranking_equals_combine_with_the_same_weights(
    demo: tuple[ReviewRound, pd.DataFrame], method: str
) -> None:
    rnd, scores = demo
    m = TuningModel(scores, rnd=rnd, method=method)
    m.set_group_weight("pool", 1.7)
    m.set_criterion_weight("theme_reuse", 3)
    m.set_criterion_weight("need_pool_gap", 24)
    eff = m.effective_weights()
    expected = combine(scores, rnd.rubric, method=method, weights=eff)
    rk = m.ranking()
    cols = ["total", "se", "need", "pool", "theme", "n_reviewers"]
    assert_frame_equal(rk[cols], expected[cols])
    # the one rank of every output: among the applications in the review (05 is late: none)
    assert_series_equal(
        rk["rank"], review_rank(expected["total"], rk["status"] == "対象外"), check_names=False
    )
    assert pd.isna(rk.loc["05", "rank"]) and rk["rank"].dropna().min() == 1
    # The combiner's notes, after the 対象外 reason (see tests/analysis/test_status.py).
    assert rk["flags"].tolist() == [flag_with_reason(r, f) for r, f in zip(rk["reason"], expected["flags"])]
    assert rk["prefecture_name"].to_dict() == rnd.applications["prefecture_name"].reindex(rk.index).to_dict()
    assert rk.loc["05", "prefecture_name"] == "秋田県"


def test_weight_change_does_not_refit(
    demo: tuple[ReviewRound, pd.DataFrame], monkeypatch: pytest.MonkeyPatch
) -> None:
    rnd, scores = demo
    calls: list[str] = []
    original = Combiner.fit

    def counting(self: Combiner, *args: Any, **kwargs: Any) -> Combiner:
        calls.append(self.method)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Combiner, "fit", counting)
    m = TuningModel(scores, rnd=rnd, method="additive")
    m.ranking()
    assert sorted(calls) == sorted(["additive", DEFAULT_METHOD])
    for v in (3, 8, 20):
        m.set_criterion_weight("theme_fit", v)
        m.set_group_weight("need", v / 10)
        m.ranking()
    m.set_method(DEFAULT_METHOD)
    m.ranking()
    m.set_method("additive")
    m.ranking()
    assert len(calls) == 2  # one fit per method, cached


def test_analyses_follow_weights_and_method(demo: tuple[ReviewRound, pd.DataFrame]) -> None:
    rnd, scores = demo
    m = TuningModel(scores, rnd=rnd, method="additive")
    rel = m.reliability()
    assert list(rel["criterion"]) == [*m.criteria, "total"]
    total_before = float(rel.loc[rel["criterion"] == "total", "alpha_interval"].iloc[0])
    crit_before = rel.loc[rel["criterion"] != "total", "alpha_interval"].to_numpy()
    m.set_group_weight("theme", 0)
    rel2 = m.reliability()
    assert float(rel2.loc[rel2["criterion"] == "total", "alpha_interval"].iloc[0]) != pytest.approx(
        total_before
    )
    np.testing.assert_allclose(
        rel2.loc[rel2["criterion"] != "total", "alpha_interval"].to_numpy(), crit_before
    )

    d = m.discussion()
    assert list(d.columns[:2]) == ["application", "prefecture_name"]
    rk = m.ranking()
    # The selection line uses the model's totals (combined=), not the reviewers' raw mean.
    np.testing.assert_allclose(d.set_index("application")["total"], rk["total"].reindex(d["application"]))
    assert d["reason"].str.len().gt(0).all()

    rv = m.reviewer_table()
    assert list(rv["reviewer"]) == [r.id for r in rnd.reviewers]
    assert rv.loc[rv["reviewer"] == "R1", "name"].iloc[0] == rnd.reviewer("R1").name
    comb = m.combiner()
    np.testing.assert_allclose(
        rv.set_index("reviewer")["model_bias"], comb.reviewer_bias_.reindex(rv["reviewer"])
    )
    width = rnd.rubric.scale.max - rnd.rubric.scale.min
    np.testing.assert_allclose(rv["model_bias_total"], rv["model_bias"] / width * 100)
    # The simulated R2 is lenient, R3 severe: both views agree on the sign.
    by = rv.set_index("reviewer")
    assert by.loc["R2", "leniency"] > 0 and by.loc["R2", "model_bias"] > 0
    assert by.loc["R3", "leniency"] < 0 and by.loc["R3", "model_bias"] < 0
    m.set_method("mean")
    assert m.reviewer_table()["model_bias"].isna().all()
    assert any("採点していません" in n for n in m.notes())


# ---------------------------------------------------------------------------
# Saving a new rubric version
# ---------------------------------------------------------------------------


def test_save_as_new_version_never_overwrites(rubric: Rubric) -> None:
    source = rubric.source
    assert source is not None
    original = source.read_bytes()
    m = TuningModel(hand_scores(rubric, LEVELS), rubric)
    m.set_group_weight("need", 2.0)
    day = dt.date(2026, 3, 2)
    p2 = m.save_as_new_version(note="支援の必要性を重視", author="事務局 架空", date=day)
    assert p2 == source.parent / "r8_talent_pool_v2.yaml"
    p3 = m.save_as_new_version(note="もう一度")
    assert p3 == source.parent / "r8_talent_pool_v3.yaml"
    assert source.read_bytes() == original  # the old version is untouched
    before = p2.read_bytes()
    with pytest.raises(FileExistsError, match="上書きはしません"):
        m.save_as_new_version(p2, note="上書きの試み")
    assert p2.read_bytes() == before

    new = load_rubric(p2)
    assert new.id == rubric.id and new.version != rubric.version
    w = new.weights()
    assert w.sum() == 100 and (w == w.round()).all()
    assert w.tolist() == [22, 15, 15, 9, 9, 8, 8, 7, 7]  # largest remainder of 22.2, 14.8, 14.8, 8.9, …
    assert new.changelog[:-1] == rubric.changelog
    entry = new.changelog[-1]
    assert entry.date == day and entry.author == "事務局 架空"
    assert entry.note.startswith("支援の必要性を重視")
    assert rubric.version in entry.note and "need_pool_gap 15→22" in entry.note
    # Apart from the weights and the changelog, nothing changed.
    a, b = rubric.model_dump(mode="json"), new.model_dump(mode="json")
    # The combining method is saved with the version (the default method here, all options).
    assert (
        b["combining"]["method"] == DEFAULT_METHOD and b["combining"]["options"] == m.combining()["options"]
    )
    for d in (a, b):
        d.pop("changelog")
        d.pop("combining")
        for g in d["groups"]:
            for c in g["criteria"]:
                c.pop("weight")
    assert a == b
    # The file is the old one edited in place: its comments are kept, with a header line.
    text = p2.read_text(encoding="utf-8")
    assert text.startswith("# 2026-03-02 scoring.analysis.tuning")
    assert "# ※ 参考指標（indicators）は審査員に見せる参考情報であり" in text
    assert load_rubric(p3).version != new.version


def test_saved_weights_and_settings_agree(rubric: Rubric, tmp_path: Path) -> None:
    m = TuningModel(hand_scores(rubric, LEVELS), rubric, method="mean")
    m.set_criterion_weight("theme_plan", 17)
    rounded = m.rounded_weights()
    path = m.save_as_new_version(tmp_path / "custom.yaml", note="テーマの計画を重視")
    new = load_rubric(path)
    assert_series_equal(new.weights(), rounded.rename("weight"), check_names=False)
    assert rounded.sum() == 100


def test_save_keeps_one_decimal_when_integers_would_drop_a_criterion(rubric: Rubric, tmp_path: Path) -> None:
    m = TuningModel(hand_scores(rubric, LEVELS), rubric)
    for c in m.criteria:
        m.set_criterion_weight(c, 30)
    m.set_criterion_weight("theme_reuse", 0.5)  # 0.5 / 240.5 × 100 = 0.21 → 0 as an integer
    new = load_rubric(m.save_as_new_version(tmp_path / "decimal.yaml", note="小数"))
    w = new.weights()
    assert w["theme_reuse"] == 0.2 and round(w.sum(), 9) == 100
    assert ((w * 10).round(9) == (w * 10).round()).all()


def test_save_errors_in_japanese(rubric: Rubric, tmp_path: Path) -> None:
    m = TuningModel(hand_scores(rubric, LEVELS), rubric)
    with pytest.raises(ValueError, match="メモ"):
        m.save_as_new_version(tmp_path / "x.yaml", note="  ")
    m.set_criterion_weight("theme_fit", 0)
    with pytest.raises(ValueError, match="配点が 0 の評価項目は保存できません: theme_fit"):
        m.save_as_new_version(tmp_path / "x.yaml", note="テーマ適合を外す")
    assert not (tmp_path / "x.yaml").exists()


def test_save_without_changelog_and_without_file(rubric: Rubric, tmp_path: Path) -> None:
    assert rubric.source is not None
    text = rubric.source.read_text(encoding="utf-8")
    bare = tmp_path / "bare.yaml"
    bare.write_text(text[: text.index("\nchangelog:")] + "\n", encoding="utf-8")
    r = load_rubric(bare)
    m = TuningModel(hand_scores(r, LEVELS), r)
    m.set_group_weight("pool", 0.5)
    saved = m.save_as_new_version(note="変更履歴なしの版から", author="A")
    assert saved == tmp_path / "r8_talent_pool_v2.yaml"
    assert "# ※ 参考指標（indicators）" in saved.read_text(encoding="utf-8")  # edited in place
    out = load_rubric(saved)
    assert [e.note[:9] for e in out.changelog] == ["変更履歴なしの版から"[:9]]
    assert out.weights().sum() == 100
    # A rubric built from a dict has no file: a clean dump is written instead.
    d = rubric_from_dict(yaml.safe_load(text))
    m2 = TuningModel(hand_scores(d, LEVELS), d)
    m2.set_criterion_weight("need_pool_gap", 40)
    out2 = m2.save_as_new_version(tmp_path / "dumped.yaml", note="辞書から")
    r2 = load_rubric(out2)
    assert "# ※" not in out2.read_text(encoding="utf-8")  # a dump: no comments to keep
    assert r2.weights().sum() == 100 and r2.changelog[-1].note.startswith("辞書から")
    assert len(r2.changelog) == len(d.changelog) + 1
    assert r2.criterion("need_pool_gap").anchor(5).ja == d.criterion("need_pool_gap").anchor(5).ja


# ---------------------------------------------------------------------------
# Settings and their hash
# ---------------------------------------------------------------------------


def test_settings_hash_is_canonical() -> None:
    a = {"weights": {"x": 15.0, "y": 85}, "method": "mean", "round": {"path": "/a", "name": "n"}}
    b = {"round": {"name": "n", "path": "/elsewhere"}, "method": "mean", "weights": {"y": 85.0, "x": 15}}
    assert settings_hash(a) == settings_hash(b)  # key order, 15 vs 15.0, round.path: not hashed
    assert re.fullmatch(r"[0-9a-f]{12}", settings_hash(a))
    assert settings_hash({**a, "method": "median"}) != settings_hash(a)
    assert settings_hash({**a, "weights": {"x": 15.000001, "y": 85}}) != settings_hash(a)
    # float noise of a renormalisation (far below 12 significant digits) does not count
    assert settings_hash({**a, "weights": {"x": 15 + 1e-13, "y": 85}}) == settings_hash(a)
    assert canonical_json({"b": [1.0, float("nan")], "a": "日本"}) == '{"a":"日本","b":[1,"NaN"]}'
    with pytest.raises(OptionError, match="JSON にできない値"):
        settings_hash({"x": object()})


def test_score_fingerprint_counts_only_scores() -> None:
    df = pd.DataFrame(
        {
            "application": ["01", "01", "02"],
            "reviewer": ["R1", "R2", "R1"],
            "criterion": ["c", "c", "c"],
            "score": [3.0, 4.0, np.nan],
            "comment": ["", "x", "only"],
        }
    )
    fp = score_fingerprint(df)
    assert re.fullmatch(r"[0-9a-f]{64}", fp)
    shuffled = df.iloc[[2, 1, 0]].assign(comment="changed").reset_index(drop=True)
    assert score_fingerprint(shuffled) == fp  # row order, comments and unscored rows do not count
    assert score_fingerprint(df.assign(score=[3, 4, np.nan])) == fp  # 3 and 3.0
    assert score_fingerprint(df.assign(score=[3.0, 5.0, np.nan])) != fp
    assert score_fingerprint(df.assign(score=[3.0, 4.0, 2.0])) != fp


def test_settings_record_and_hash(demo: tuple[ReviewRound, pd.DataFrame], tmp_path: Path) -> None:
    rnd, scores = demo
    m = TuningModel(scores, rnd=rnd)
    s = m.settings()
    assert s["round"]["path"] == str(rnd.path.resolve()) and s["round"]["select"] == 5
    assert s["rubric"] == {
        "id": rnd.rubric.id,
        "version": rnd.rubric.version,
        "source": str(rnd.rubric.source.resolve()),
    }  # type: ignore[union-attr]
    assert s["method"] == DEFAULT_METHOD and s["method_options"]["scale_shrinkage"] == 20.0
    assert sum(s["weights"].values()) == pytest.approx(100)
    assert s["scores"]["fingerprint"] == score_fingerprint(scores)
    assert s["scores"]["n_scores"] == int(scores["score"].notna().sum())
    assert s["package"]["version"]
    h = m.settings_hash()
    assert h == settings_hash(s)
    # Stable: a second model on the same data and settings gives the same hash.
    assert TuningModel(scores.iloc[::-1].reset_index(drop=True), rnd=rnd).settings_hash() == h

    m.set_criterion_weight("theme_fit", 11)
    h_weight = m.settings_hash()
    assert h_weight != h
    m.set_criterion_weight("theme_fit", 10)
    assert m.settings_hash() == h  # back to the same settings, back to the same hash
    m.set_group_weight("need", 1.2)
    assert m.settings_hash() not in {h, h_weight}
    m.reset_weights()
    m.set_method("additive")
    assert m.settings_hash() != h
    m.set_method(DEFAULT_METHOD)
    assert m.settings_hash() == h
    other_opts = TuningModel(scores, rnd=rnd, method_options={DEFAULT_METHOD: {"scale_shrinkage": 5.0}})
    assert other_opts.settings_hash() != h
    changed = scores.copy()
    i = int(changed.index[changed["score"].notna()][0])
    changed.loc[i, "score"] = 1.0 if changed.loc[i, "score"] != 1.0 else 2.0
    assert TuningModel(changed, rnd=rnd).settings_hash() != h


# ---------------------------------------------------------------------------
# The screen, headless
# ---------------------------------------------------------------------------


def row_order(html_text: str) -> list[str]:
    return re.findall(r'<tr data-application="([^"]+)"', html_text)


def test_view_slider_updates_ranking(demo: tuple[ReviewRound, pd.DataFrame]) -> None:
    rnd, scores = demo
    app = TuningApp(TuningModel(scores, rnd=rnd), author="")
    m = app.model
    assert m is not None
    assert app.error.value == ""
    assert row_order(app.ranking.value) == list(m.ranking().index)
    assert "秋田県" in app.ranking.value and "支援の必要性" in app.ranking.value
    before, hash_before = app.ranking.value, m.settings_hash()
    assert f"data-hash='{hash_before}'" in app.hash.value
    slider = app.group_sliders["need"]
    assert "shinsa-group-weight-need" in slider._dom_classes
    slider.value = 2.5
    assert m.group_weights()["need"] == 2.5
    assert app.ranking.value != before
    assert row_order(app.ranking.value) == list(m.ranking().index)
    assert row_order(app.ranking.value) != row_order(before)  # need-heavy prefectures move up
    assert "▲" in app.ranking.value and "▼" in app.ranking.value
    assert f"data-hash='{m.settings_hash()}'" in app.hash.value and m.settings_hash() != hash_before
    # the screen measures itself (shown to the analyst); how fast is for benchmarks/bench_tuning.py
    assert np.isfinite(app.last_ranking_ms) and np.isfinite(app.last_render_ms)
    crit = app.criterion_sliders["theme_reuse"]
    assert "shinsa-weight-theme_reuse" in crit._dom_classes
    crit.value = 0
    assert m.effective_weights()["theme_reuse"] == 0
    assert app.criterion_effective["theme_reuse"].value == "→ 0.0 点"
    app.reset.click()
    assert slider.value == 1.0 and crit.value == 10
    assert m.settings_hash() == hash_before and row_order(app.ranking.value) == row_order(before)
    assert "→" in app.ranking.value and "▲" not in app.ranking.value


def test_view_method_dropdown_switches_method(demo: tuple[ReviewRound, pd.DataFrame]) -> None:
    rnd, scores = demo
    app = TuningApp(TuningModel(scores, rnd=rnd))
    assert app.model is not None and app.method.value == DEFAULT_METHOD
    assert "shinsa-method" in app.method._dom_classes
    app.method.value = "mean"
    assert app.model.method == "mean"
    assert "統合方法: 平均" in app.latency.value
    assert row_order(app.ranking.value) == list(combine(scores, rnd.rubric, method="mean").index)
    app.tabs.selected_index = 2
    assert app.bias_chart.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert "補正モデルの推定" in app.bias_table.value
    app.method.value = "additive"
    assert app.model.method == "additive"
    assert row_order(app.ranking.value) == list(combine(scores, rnd.rubric, method="additive").index)


def test_view_tabs_show_analyses(demo: tuple[ReviewRound, pd.DataFrame]) -> None:
    rnd, scores = demo
    app = TuningApp(TuningModel(scores, rnd=rnd))
    assert "Krippendorff" in app.reliability.value and "合計点" in app.reliability.value
    assert app.discussion.value == ""  # not computed until shown
    app.tabs.selected_index = 1
    assert "協議対象" in app.discussion.value and "素点" in app.discussion.value
    app.tabs.selected_index = 3
    assert "採点していません" in app.notes.value
    app.tabs.selected_index = 4
    assert app.model is not None and app.model.settings_hash() in app.settings.value
    app.criterion_sliders["need_pool_gap"].value = 20  # the shown tab is redrawn at once
    assert app.model.settings_hash() in app.settings.value


def test_view_errors_are_shown_in_japanese(demo: tuple[ReviewRound, pd.DataFrame], tmp_path: Path) -> None:
    rnd, scores = demo
    folder = tmp_path / "rubrics"
    folder.mkdir()
    shutil.copy(RUBRIC_FILE, folder / RUBRIC_FILE.name)
    rubric = load_rubric(folder / RUBRIC_FILE.name)
    app = TuningApp(TuningModel(scores, rubric, rnd=rnd), author="")
    app.group_sliders["need"].value = 0.0
    app.group_sliders["pool"].value = 0.0
    assert app.error.value == ""  # theme alone still ranks
    good = app.ranking.value
    app.group_sliders["theme"].value = 0.0
    assert "配点の合計が 0 です" in app.error.value
    assert app.ranking.value == good and app.hash.value == ""  # the last good ranking stays
    app.group_sliders["pool"].value = 1.0
    assert app.error.value == "" and app.hash.value != ""

    app.save_button.click()  # no note
    assert "メモ" in app.error.value and app.save_message.value == ""
    assert not list(folder.glob("*_v2.yaml"))
    app.save_note.value = "人材プールの課題だけで順位を付ける"
    app.save_author.value = "事務局"
    app.save_button.click()  # pool only: need and theme criteria weigh 0
    assert "配点が 0 の評価項目は保存できません" in app.error.value
    app.reset.click()
    app.save_button.click()
    assert app.error.value == ""
    saved = folder / "r8_talent_pool_v2.yaml"
    assert (
        saved.exists() and "保存しました" in app.save_message.value and saved.name in app.save_message.value
    )
    assert load_rubric(saved).changelog[-1].author == "事務局"
    app._on_criterion("no_such", {"new": 3})
    assert "評価項目 'no_such' はありません" in html.unescape(app.error.value)


def test_saved_method_is_the_rounds_default_and_round_yaml_can_point_at_it(
    tmp_path: Path, demo_round_copier: Callable[[Path], Path]
) -> None:
    folder = demo_round_copier(tmp_path / "switch")
    rnd = load_round(folder)
    write_demo_scores(rnd)
    cfg = folder / "round.yaml"
    before = cfg.read_text(encoding="utf-8")
    app = TuningApp.open(rnd, author="事務局")
    assert app.model is not None and app.model.method == DEFAULT_METHOD
    app.method.value = "zscore"
    app.criterion_sliders["need_pool_gap"].value = 20.0
    app.save_note.value = "標準化で統合し、人材プールの差を重視"
    app.save_use.value = True
    app.save_button.click()
    assert app.error.value == "", app.error.value
    assert rnd.rubric.source is not None
    saved = sorted(rnd.rubric.source.parent.glob("r8_talent_pool_v*.yaml"))
    assert len(saved) == 1 and "round.yaml の rubric を" in app.save_message.value
    new = load_rubric(saved[0])
    assert new.combining is not None and new.combining.method == "zscore"
    assert new.combining.options == app.model.combining()["options"]
    # Only the rubric: line of round.yaml changed; comments are kept.
    after = cfg.read_text(encoding="utf-8")
    diff = [(a, b) for a, b in zip(before.splitlines(), after.splitlines()) if a != b]
    assert len(before.splitlines()) == len(after.splitlines()) and len(diff) == 1
    assert diff[0][1].startswith("rubric: ") and saved[0].name in diff[0][1]
    # Loading the round again: the new version, and its method is the default of 03 and of the committee.
    again = load_round(folder)
    assert again.rubric.version == new.version
    assert TuningModel.open(again).method == "zscore"
    assert build_committee(again, n_boot=1).method == "zscore"


def test_view_open_without_scores_says_why(tmp_path: Path, demo_round_copier: Callable[[Path], Path]) -> None:
    folder = demo_round_copier(tmp_path / "plain")
    cfg = folder / "round.yaml"
    cfg.write_text(
        re.sub(r"(?m)^name: .*$", "name: 令和8年度 審査（試験用）", cfg.read_text(encoding="utf-8")),
        encoding="utf-8",
    )
    rnd = load_round(folder)  # opening never writes scores: the store stays empty
    app = TuningApp.open(rnd)
    assert app.model is None
    assert "まだ採点がありません" in app.error.value and "令和8年度 審査（試験用）" in app.error.value
    assert "python -m scoring sheets import" in app.error.value
    assert "python -m scoring demo" in app.error.value  # a copy of the demo keeps demo: true


def test_demo_copy_opens_after_the_demo_step(demo: tuple[ReviewRound, pd.DataFrame]) -> None:
    rnd, scores = demo
    assert (rnd.path / "scores.sqlite").exists()
    assert scores["score"].notna().sum() > 500
    app = TuningApp.open(rnd)  # as round.yaml says: submitted scores only
    assert app.model is not None and len(app.model.scores) == int((scores["status"] == "提出済").sum())
    app = TuningApp.open(rnd, include_drafts=True)
    assert app.model is not None and len(app.model.scores) == len(scores)
