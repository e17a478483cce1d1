"""Tests for scoring.config.rubric: the shipped rubric, the API, and every error path."""

from __future__ import annotations

import copy
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from pydantic import ValidationError

from scoring.config.rubric import (
    Criterion,
    Rubric,
    RubricError,
    RubricProblem,
    load_rubric,
    rubric_from_dict,
)

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "rubrics" / "r8_talent_pool.yaml"

# A small valid rubric; the bad cases below are one edit away from it.
MINI = """\
# テスト用の小さなルーブリック
id: mini
name_ja: テスト用
name_en: Test rubric
scale: {min: 1, max: 3, step: 1}
groups:
  - id: g1
    label_ja: グループ1
    label_en: Group 1
    criteria:
      - id: c_alpha
        label_ja: 項目A
        label_en: Item A
        guidance_ja: 見るところA
        weight: 60
        anchors:
          3: {ja: 高いA, en: High A}
          2: {ja: 中くらいA}
          1: {ja: 低いA}
        comment_required_at: [1, 3]
      - id: c_beta
        label_ja: 項目B
        label_en: Item B
        guidance_ja: 見るところB
        weight: 40
        anchors:
          3: {ja: 高いB}
          2: {ja: 中くらいB}
          1: {ja: 低いB}
"""


def line_of(text: str, fragment: str, occurrence: int = 1) -> int:
    """1-based line of the ``occurrence``-th line containing ``fragment``."""
    hits = [i + 1 for i, line in enumerate(text.splitlines()) if fragment in line]
    assert len(hits) >= occurrence, f"{fragment!r} not in text"
    return hits[occurrence - 1]


def edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} must occur exactly once"
    return text.replace(old, new)


def write(tmp_path: Path, text: str, name: str = "bad.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[RubricProblem]:
    with pytest.raises(RubricError) as info:
        load_rubric(path)
    return info.value.problems


def only_problem(path: Path) -> RubricProblem:
    problems = problems_of(path)
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


# ---------------------------------------------------------------------------
# The shipped rubric
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped() -> Rubric:
    return load_rubric(SHIPPED)


def test_shipped_loads_with_three_groups_of_three(shipped: Rubric) -> None:
    assert [g.id for g in shipped.groups] == ["need", "pool", "theme"]
    assert [g.label_ja for g in shipped.groups] == ["支援の必要性", "人材プールの課題", "重点テーマとの適合"]
    assert [len(g.criteria) for g in shipped.groups] == [3, 3, 3]
    assert len(shipped.criteria) == 9
    assert shipped.source == SHIPPED


def test_shipped_weights_sum_to_100(shipped: Rubric) -> None:
    assert shipped.total_weight == 100
    assert shipped.weights().sum() == 100
    assert [g.weight for g in shipped.groups] == [35, 35, 30]
    assert all(c.weight > 0 for c in shipped.criteria)


def test_shipped_every_level_has_specific_anchors(shipped: Rubric) -> None:
    generic = {a.ja for a in (shipped.anchors or {}).values()}
    seen: set[str] = set()
    for c in shipped.criteria:
        assert c.levels == [1, 2, 3, 4, 5]
        assert c.comment_required_at == [1, 5]
        assert c.label_ja and c.label_en and c.guidance_ja
        # every level written in the criterion itself, not inherited
        assert sorted(c.anchors or {}) == [1, 2, 3, 4, 5], c.id
        for level in c.levels:
            anchor = c.anchor(level)
            assert anchor.ja.strip() and anchor.en, (c.id, level)
            assert anchor.ja not in generic, (c.id, level)
            assert anchor.ja not in seen, (c.id, level)
            seen.add(anchor.ja)


def test_shipped_need_indicators(shipped: Rubric) -> None:
    fields = {i.field for g in shipped.groups if g.id == "need" for c in g.criteria for i in c.indicators}
    assert fields == {
        "municipalities",
        "towns_villages_share_pct",
        "pop_change_2015_2020_pct",
        "pool_size_total",
        "one_person_it_municipalities",
    }
    burden = shipped.criterion("need_support_burden")
    sources = {i.field: i.source for i in burden.indicators}
    assert sources["towns_villages_share_pct"] == "reference"
    assert sources["one_person_it_municipalities"] == "application"
    assert all(not c.indicators for g in shipped.groups if g.id != "need" for c in g.criteria)


def test_shipped_header_and_changelog() -> None:
    text = SHIPPED.read_text(encoding="utf-8")
    assert text.startswith("#")
    assert "総務省の公式な審査基準ではありません" in text
    assert len(load_rubric(SHIPPED).changelog) >= 1


def test_weights_series_contract(shipped: Rubric) -> None:
    expected = pd.Series(
        [15.0, 10.0, 10.0, 12.0, 12.0, 11.0, 10.0, 10.0, 10.0],
        index=pd.Index(
            [
                "need_pool_gap",
                "need_support_burden",
                "need_self_reliance",
                "pool_issue_analysis",
                "pool_recruitment_plan",
                "pool_hr_finance",
                "theme_fit",
                "theme_plan",
                "theme_reuse",
            ],
            name="criterion",
        ),
        name="weight",
    )
    pd.testing.assert_series_equal(shipped.weights(), expected)


def test_to_frame_contract(tmp_path: Path) -> None:
    rubric = load_rubric(write(tmp_path, MINI, "mini.yaml"))
    expected = pd.DataFrame(
        {
            "group": ["g1", "g1"],
            "criterion": ["c_alpha", "c_beta"],
            "label_ja": ["項目A", "項目B"],
            "label_en": ["Item A", "Item B"],
            "weight": [60.0, 40.0],
            "min": [1.0, 1.0],
            "max": [3.0, 3.0],
            "step": [1.0, 1.0],
        }
    )
    pd.testing.assert_frame_equal(rubric.to_frame(), expected)


# ---------------------------------------------------------------------------
# API
# ---------------------------------------------------------------------------


def test_criterion_lookup_and_group_of(shipped: Rubric) -> None:
    assert shipped.criterion("pool_hr_finance").label_ja == "人事・財政当局との連携"
    assert shipped.group_of("pool_hr_finance").id == "pool"
    assert shipped.group_of("theme_reuse").id == "theme"
    with pytest.raises(KeyError, match="need_pool_gap"):
        shipped.criterion("no_such")
    with pytest.raises(KeyError):
        shipped.group_of("need")  # a group id is not a criterion id


def test_is_allowed_and_anchor(shipped: Rubric) -> None:
    c = shipped.criterion("theme_fit")
    for ok in (1, 3, 5, 3.0, np.int64(4), np.float64(2.0)):
        assert c.is_allowed(ok), ok
    for bad in (0, 6, 2.5, math.nan, None, "3", True):
        assert not c.is_allowed(bad), bad
    assert c.anchor(5).ja.startswith("市町村のニーズ調査")
    assert c.anchor(5.0) == c.anchor(5)
    with pytest.raises(ValueError, match="theme_fit"):
        c.anchor(6)
    assert c.comment_required(1) and c.comment_required(5)
    assert not c.comment_required(3)


def test_default_scale_and_anchors_are_inherited(tmp_path: Path) -> None:
    text = edit(
        MINI,
        "scale: {min: 1, max: 3, step: 1}\n",
        "scale: {min: 1, max: 3, step: 1}\n"
        "anchors:\n  3: {ja: 優れている}\n  2: {ja: 標準的}\n  1: {ja: 不十分}\n",
    )
    # c_beta drops its own anchor for level 2 and inherits the default one
    text = edit(text, "          2: {ja: 中くらいB}\n", "")
    rubric = load_rubric(write(tmp_path, text))
    beta = rubric.criterion("c_beta")
    assert beta.anchor(2).ja == "標準的"
    assert beta.anchor(3).ja == "高いB"
    assert beta.levels == [1, 2, 3]


def test_criterion_own_scale(tmp_path: Path) -> None:
    text = edit(
        MINI,
        "        weight: 40\n        anchors:\n          3: {ja: 高いB}\n          2: {ja: 中くらいB}\n"
        "          1: {ja: 低いB}\n",
        "        weight: 40\n        scale: {min: 0, max: 1, step: 0.5}\n        anchors:\n"
        "          0: {ja: なし}\n          0.5: {ja: 一部}\n          1: {ja: あり}\n",
    )
    rubric = load_rubric(write(tmp_path, text))
    beta = rubric.criterion("c_beta")
    assert beta.levels == [0, 0.5, 1]
    assert beta.anchor(0.5).ja == "一部"
    assert beta.is_allowed(0.5) and not beta.is_allowed(0.25)
    assert rubric.to_frame().loc[1, ["min", "max", "step"]].tolist() == [0.0, 1.0, 0.5]


def test_rubric_from_dict_matches_file(tmp_path: Path) -> None:
    from_file = load_rubric(write(tmp_path, MINI, "mini.yaml"))
    from_dict = rubric_from_dict(yaml.safe_load(MINI))
    assert from_dict.version == from_file.version
    assert from_dict.source is None


def test_models_are_frozen(shipped: Rubric) -> None:
    with pytest.raises(ValidationError):
        shipped.criteria[0].weight = 99  # type: ignore[misc]


def test_direct_model_validate_still_checks_anchors() -> None:
    data = yaml.safe_load(MINI)
    del data["groups"][0]["criteria"][1]["anchors"][2]
    with pytest.raises(ValidationError, match="rubric_anchors|anchors"):
        Rubric.model_validate(data)
    assert isinstance(Rubric.model_validate(yaml.safe_load(MINI)).criteria[0], Criterion)


# ---------------------------------------------------------------------------
# Version
# ---------------------------------------------------------------------------


def test_version_ignores_formatting_and_comments(tmp_path: Path) -> None:
    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    original = load_rubric(SHIPPED).version
    assert re.fullmatch(r"[0-9a-f]{12}", original)

    sorted_dump = "# 別の書き方\n" + yaml.safe_dump(data, allow_unicode=True, sort_keys=True)
    flow_dump = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=True)
    reordered = dict(reversed(list(data.items())))
    reordered_dump = "# コメント\n" + yaml.safe_dump(reordered, allow_unicode=True, sort_keys=False)
    for i, text in enumerate([sorted_dump, flow_dump, reordered_dump]):
        path = write(tmp_path, text, f"v{i}.yaml")
        assert load_rubric(path).version == original, i
    # 15 and 15.0 are the same weight
    floats = copy.deepcopy(data)
    floats["groups"][0]["criteria"][0]["weight"] = 15.0
    assert rubric_from_dict(floats).version == original


def test_version_changes_with_content() -> None:
    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    original = rubric_from_dict(data).version

    weight = copy.deepcopy(data)
    weight["groups"][0]["criteria"][0]["weight"] = 14
    assert rubric_from_dict(weight).version != original

    anchor = copy.deepcopy(data)
    anchor["groups"][2]["criteria"][2]["anchors"][3]["ja"] += "。"
    assert rubric_from_dict(anchor).version != original


# ---------------------------------------------------------------------------
# Error paths: one problem each, with file, exact line and criterion id
# ---------------------------------------------------------------------------


def test_yaml_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    text = edit(MINI, "        label_en: Item B\n", "        label_en: Item B\n         oops: [1, 2\n")
    path = write(tmp_path, text)
    p = only_problem(path)
    assert p.file == str(path)
    assert p.line == line_of(text, "oops:")
    assert p.column == 14
    assert "YAML の書式に誤りがあります" in p.message
    assert str(p).startswith(f"{path} {p.line}行目: ")


def test_unknown_key(tmp_path: Path) -> None:
    text = edit(MINI, "        weight: 40\n", "        weight: 40\n        wieght: 4\n")
    p = only_problem(write(tmp_path, text))
    assert p.line == line_of(text, "wieght")
    assert p.criterion == "c_beta"
    assert p.location == "groups[0].criteria[1].wieght (c_beta)"
    assert p.message == "評価項目 c_beta に未知のキー 'wieght' があります。綴りを確認してください"


def test_unknown_top_level_key(tmp_path: Path) -> None:
    text = MINI + "totl: 100\n"
    p = only_problem(write(tmp_path, text))
    assert p.line == line_of(text, "totl")
    assert p.criterion is None
    assert "'totl'" in p.message


def test_level_without_anchor(tmp_path: Path) -> None:
    text = edit(MINI, "          2: {ja: 中くらいA}\n", "")
    p = only_problem(write(tmp_path, text))
    assert p.line == line_of(text, "anchors:", occurrence=1)
    assert p.criterion == "c_alpha"
    assert "評価項目 c_alpha の水準 2 に評価基準" in p.message


def test_anchor_with_empty_japanese(tmp_path: Path) -> None:
    text = edit(MINI, "{ja: 中くらいB}", '{ja: "", en: Medium}')
    p = only_problem(write(tmp_path, text))
    assert p.line == line_of(text, "en: Medium")
    assert p.criterion == "c_beta"
    assert p.location == "groups[0].criteria[1].anchors[2].ja (c_beta)"


def test_anchor_off_the_scale(tmp_path: Path) -> None:
    text = edit(MINI, "          1: {ja: 低いB}\n", "          1: {ja: 低いB}\n          4: {ja: 範囲外}\n")
    p = only_problem(write(tmp_path, text))
    assert p.line == line_of(text, "anchors:", occurrence=2)
    assert p.criterion == "c_beta"
    assert "水準 4 は尺度" in p.message


def test_duplicate_ids(tmp_path: Path) -> None:
    text = edit(MINI, "      - id: c_beta\n", "      - id: c_alpha\n")
    p = only_problem(write(tmp_path, text))
    assert p.line == line_of(text, "- id: c_alpha", occurrence=2)
    assert p.criterion == "c_alpha"
    assert "ID 'c_alpha' が重複しています" in p.message
    assert f"{line_of(text, '- id: c_alpha')}行目" in p.message  # points at the first one


def test_duplicate_id_between_group_and_criterion(tmp_path: Path) -> None:
    text = edit(MINI, "      - id: c_beta\n", "      - id: g1\n")
    p = only_problem(write(tmp_path, text))
    assert p.line == line_of(text, "- id: g1", occurrence=2)
    assert "'g1'" in p.message


@pytest.mark.parametrize("weight", ["0", "-5"])
def test_weight_must_be_positive(tmp_path: Path, weight: str) -> None:
    text = edit(MINI, "weight: 40", f"weight: {weight}")
    path = write(tmp_path, text)
    p = only_problem(path)
    assert p.line == line_of(text, f"weight: {weight}")
    assert p.criterion == "c_beta"
    assert p.message == f"評価項目 c_beta の配点は 0 より大きくしてください（現在 {weight}）"
    assert str(p) == f"{path} {p.line}行目: {p.message}"


def test_weight_not_a_number(tmp_path: Path) -> None:
    text = edit(MINI, "weight: 40", "weight: 四十")
    p = only_problem(write(tmp_path, text))
    assert p.line == line_of(text, "weight: 四十")
    assert p.message == "評価項目 c_beta の配点は数値にしてください（現在 '四十'）"


def test_default_scale_min_not_below_max(tmp_path: Path) -> None:
    text = edit(MINI, "scale: {min: 1, max: 3, step: 1}", "scale: {min: 3, max: 3, step: 1}")
    problems = problems_of(write(tmp_path, text))
    assert len(problems) == 1, [str(p) for p in problems]
    assert problems[0].line == line_of(text, "scale:")
    assert "最小値 3 は最大値 3 より小さく" in problems[0].message


def test_criterion_scale_min_not_below_max(tmp_path: Path) -> None:
    text = edit(MINI, "        weight: 60\n", "        weight: 60\n        scale: {min: 5, max: 1}\n")
    p = only_problem(write(tmp_path, text))
    assert p.line == line_of(text, "scale: {min: 5")
    assert p.criterion == "c_alpha"
    assert p.message == "評価項目 c_alpha の尺度の最小値 5 は最大値 1 より小さくしてください"


def test_step_must_divide_range(tmp_path: Path) -> None:
    text = edit(MINI, "scale: {min: 1, max: 3, step: 1}", "scale: {min: 1, max: 3, step: 0.75}")
    p = only_problem(write(tmp_path, text))
    assert p.line == line_of(text, "scale:")
    assert "刻み 0.75" in p.message


def test_step_must_be_positive(tmp_path: Path) -> None:
    text = edit(
        MINI, "        weight: 60\n", "        weight: 60\n        scale: {min: 1, max: 3, step: 0}\n"
    )
    p = only_problem(write(tmp_path, text))
    assert p.line == line_of(text, "step: 0}")
    assert p.criterion == "c_alpha"


def test_comment_required_at_outside_scale(tmp_path: Path) -> None:
    text = edit(MINI, "comment_required_at: [1, 3]", "comment_required_at: [1, 5]")
    p = only_problem(write(tmp_path, text))
    assert p.line == line_of(text, "comment_required_at")
    assert p.criterion == "c_alpha"
    assert "水準 5 は尺度（1〜3、刻み 1）にありません" in p.message


def test_missing_required_key(tmp_path: Path) -> None:
    text = edit(MINI, "        guidance_ja: 見るところB\n", "")
    p = only_problem(write(tmp_path, text))
    assert p.line == line_of(text, "- id: c_beta")
    assert p.criterion == "c_beta"
    assert p.message == "評価項目 c_beta に必須の項目 'guidance_ja' がありません"


def test_group_without_criteria(tmp_path: Path) -> None:
    text = MINI + "  - id: g2\n    label_ja: 空\n    label_en: Empty\n    criteria: []\n"
    p = only_problem(write(tmp_path, text))
    assert p.line == line_of(text, "criteria: []")
    assert p.message.startswith("グループ g2 の")


def test_no_groups(tmp_path: Path) -> None:
    text = MINI[: MINI.index("groups:")] + "groups: []\n"
    p = only_problem(write(tmp_path, text))
    assert p.line == line_of(text, "groups:")


def test_duplicate_yaml_key(tmp_path: Path) -> None:
    text = edit(MINI, "        weight: 40\n", "        weight: 40\n        weight: 45\n")
    p = only_problem(write(tmp_path, text))
    assert p.line == line_of(text, "weight: 45")
    assert p.criterion == "c_beta"
    assert "'weight' が2回" in p.message


def test_file_not_found(tmp_path: Path) -> None:
    path = tmp_path / "missing.yaml"
    p = only_problem(path)
    assert p.file == str(path)
    assert p.line is None
    assert "ファイルが見つかりません" in p.message


@pytest.mark.parametrize(("text", "line"), [("- a\n- b\n", 1), ("just text\n", 1), ("", None)])
def test_file_not_a_mapping(tmp_path: Path, text: str, line: int | None) -> None:
    p = only_problem(write(tmp_path, text))
    assert p.line == line
    assert "対応表" in p.message or "空" in p.message


def test_bad_indicator_source(tmp_path: Path) -> None:
    text = edit(
        MINI,
        "        comment_required_at: [1, 3]\n",
        "        comment_required_at: [1, 3]\n        indicators:\n          - id: municipalities\n"
        "            label_ja: 市町村数\n            label_en: Municipalities\n"
        "            source: census\n            field: municipalities\n",
    )
    p = only_problem(write(tmp_path, text))
    assert p.line == line_of(text, "source: census")
    assert p.criterion == "c_alpha"
    assert "'application'" in p.message and "'reference'" in p.message


# ---------------------------------------------------------------------------
# Several problems at once
# ---------------------------------------------------------------------------


def test_all_problems_are_reported(tmp_path: Path) -> None:
    text = edit(MINI, "weight: 60", "weight: 0")
    text = edit(text, "          2: {ja: 中くらいB}\n", "")
    path = write(tmp_path, text)
    with pytest.raises(RubricError) as info:
        load_rubric(path)
    err = info.value
    assert isinstance(err, ValueError)
    assert [(p.criterion, p.line) for p in err.problems] == [
        ("c_alpha", line_of(text, "weight: 0")),
        ("c_beta", line_of(text, "anchors:", occurrence=2)),
    ]
    lines = str(err).splitlines()
    assert lines[0] == f"{path}: ルーブリックに 2 件の問題があります"
    assert lines[1:] == [str(p) for p in err.problems]
    assert "c_alpha" in lines[1] and "c_beta" in lines[2]


def test_problems_in_different_places_are_all_reported(tmp_path: Path) -> None:
    text = edit(MINI, "name_en: Test rubric\n", "name_en: Test rubric\ncolour: red\n")
    text = edit(text, "weight: 60", "weight: -1")
    text = edit(text, "      - id: c_beta\n", "      - id: c_alpha\n")
    text = edit(text, "comment_required_at: [1, 3]", "comment_required_at: [0]")
    problems = problems_of(write(tmp_path, text))
    assert [p.line for p in problems] == [
        line_of(text, "colour"),
        line_of(text, "weight: -1"),
        line_of(text, "comment_required_at"),
        line_of(text, "- id: c_alpha", occurrence=2),
    ]


def test_rubric_from_dict_errors_have_no_lines() -> None:
    data = yaml.safe_load(MINI)
    data["groups"][0]["criteria"][0]["weight"] = 0
    data["groups"][0]["criteria"][1]["weight"] = 0
    with pytest.raises(RubricError) as info:
        rubric_from_dict(data)
    problems = info.value.problems
    assert [(p.file, p.line, p.criterion) for p in problems] == [
        ("<dict>", None, "c_alpha"),
        ("<dict>", None, "c_beta"),
    ]
    assert str(problems[0]) == "<dict>: 評価項目 c_alpha の配点は 0 より大きくしてください（現在 0）"
