"""set_round_rubric: only round.yaml's rubric: line changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from scoring.config.round import set_round_rubric

ROUND = """# 審査ラウンドの設定（コメントは残る）
name: 試験
deadline: "2026-02-20T17:00:00+09:00"
rubric: ../../rubrics/r8_talent_pool.yaml   # ラウンドのフォルダからの相対パス
select: {target: 5}
# rubric: これはコメント
"""


def test_only_the_rubric_line_changes(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "r"
    folder.mkdir(parents=True)
    path = folder / "round.yaml"
    path.write_text(ROUND, encoding="utf-8")
    value = set_round_rubric(path, tmp_path / "rubrics" / "r8_talent_pool_v2.yaml")
    assert value == "../../rubrics/r8_talent_pool_v2.yaml"
    old, new = ROUND.splitlines(), path.read_text(encoding="utf-8").splitlines()
    changed = [(a, b) for a, b in zip(old, new) if a != b]
    assert len(old) == len(new) and changed == [
        (
            "rubric: ../../rubrics/r8_talent_pool.yaml   # ラウンドのフォルダからの相対パス",
            "rubric: ../../rubrics/r8_talent_pool_v2.yaml   # ラウンドのフォルダからの相対パス",
        )
    ]


def test_a_file_without_rubric_line_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "round.yaml"
    path.write_text("name: 試験\n", encoding="utf-8")
    with pytest.raises(ValueError, match="rubric"):
        set_round_rubric(path, tmp_path / "x.yaml")
    assert path.read_text(encoding="utf-8") == "name: 試験\n"
