"""New rubric versions are written by config.versions (the tuning screen only asks for one)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from scoring.config.rubric import RubricError, load_rubric
from scoring.config.versions import check_note, next_version_path, write_rubric_version
from scoring.core.paths import RUBRICS_DIR


@pytest.fixture
def rubric(tmp_path: Path):
    shutil.copy(RUBRICS_DIR / "r8_talent_pool.yaml", tmp_path / "r8_talent_pool.yaml")
    return load_rubric(tmp_path / "r8_talent_pool.yaml")


def test_a_new_version_keeps_the_text_and_records_the_change(rubric) -> None:
    w = rubric.weights().copy()
    first, second = w.index[0], w.index[1]
    w[first] += 2
    w[second] -= 2
    target = next_version_path(rubric)
    assert target.name == f"{rubric.id}_v2.yaml"
    out = write_rubric_version(rubric, w, note="必要性を重く", author="事務局", date=dt.date(2026, 3, 1))
    assert out == target
    new = load_rubric(out)
    assert new.id == rubric.id and new.version != rubric.version
    assert new.weights()[first] == rubric.weights()[first] + 2
    entry = new.changelog[-1]
    assert entry.author == "事務局" and entry.date == dt.date(2026, 3, 1)
    assert entry.note.startswith("必要性を重く（配点の変更: ") and rubric.version in entry.note
    text = out.read_text(encoding="utf-8")
    original = rubric.source.read_text(encoding="utf-8")
    assert original.splitlines()[0] in text  # the rubric's own text (comments) is kept
    assert next_version_path(rubric).name == f"{rubric.id}_v3.yaml"


def test_nothing_is_overwritten_and_a_note_is_required(rubric) -> None:
    with pytest.raises(ValueError, match="メモ"):
        check_note("  ")
    taken = rubric.source.parent / "taken.yaml"
    taken.write_text("x", encoding="utf-8")
    with pytest.raises(FileExistsError, match="上書きはしません"):
        write_rubric_version(rubric, rubric.weights(), taken, note="x")
    assert taken.read_text(encoding="utf-8") == "x"


def test_combining_is_saved_with_the_version_and_comments_are_kept(rubric) -> None:
    options = {
        "bias_shrinkage": 0.0,
        "confidence": None,
        "max_iter": 500,
        "min_applications": 2,
        "scale_shrinkage": 20.0,
        "tol": 1e-10,
    }
    out = write_rubric_version(
        rubric,
        rubric.weights(),
        note="統合方法を記録",
        date=dt.date(2026, 3, 1),
        combining={"method": "affine", "options": options},
    )
    new = load_rubric(out)
    assert new.combining is not None and new.combining.method == "affine"
    assert new.combining.options == options  # 1e-10 stays a float
    text = out.read_text(encoding="utf-8")
    assert rubric.source.read_text(encoding="utf-8").splitlines()[0] in text  # edited in place
    assert "\ncombining:" in text and "method: affine" in text
    # A version of that version keeps its method unless another is given, and replaces it when one is.
    again = write_rubric_version(new, new.weights(), note="そのまま", date=dt.date(2026, 3, 2))
    assert load_rubric(again).combining == new.combining
    other = write_rubric_version(
        new,
        new.weights(),
        note="平均に",
        date=dt.date(2026, 3, 3),
        combining={"method": "mean", "options": {}},
    )
    assert load_rubric(other).combining is not None and load_rubric(other).combining.method == "mean"


def test_a_rubric_without_combining_keeps_its_version(rubric) -> None:
    # The version hash of every rubric written before the key existed is unchanged.
    # The same for ``letter:`` of a group (added to r8_talent_pool with the need group's wording).
    import yaml

    from scoring.config.rubric import rubric_from_dict

    assert rubric.combining is None
    data = yaml.safe_load((RUBRICS_DIR / "r8_talent_pool.yaml").read_text(encoding="utf-8"))
    for g in data["groups"]:
        g.pop("letter", None)
    assert rubric_from_dict(data).version == "19cd1b81bde8"
    assert load_rubric(RUBRICS_DIR / "r8_talent_pool.yaml").version == "151d4bb38a99"


def test_unknown_combining_method_is_a_japanese_error(rubric, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        rubric.source.read_text(encoding="utf-8") + "\ncombining:\n  method: magic\n", encoding="utf-8"
    )
    with pytest.raises(RubricError, match="統合方法"):
        load_rubric(bad)
