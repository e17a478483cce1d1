"""Each 応募書's content is parsed once per process (``scoring.intake._book._read``): a round is
loaded many times (notebooks, committee material, CLI), and what a load gives must not depend
on the cache — a changed file is read anew whatever its dates, and no load changes another's.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from scoring.intake import _book
from scoring.intake.applications import read_applications
from scoring.intake.template import write_template

WriteApp = Callable[..., Path]


def _count_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    parse = _book._read_cells

    def counted(source: Any, read: Any) -> Any:
        calls.append(read.file)
        return parse(source, read)

    monkeypatch.setattr(_book, "_read_cells", counted)
    return calls


def test_a_second_load_parses_nothing_and_gives_the_same(
    write_app: WriteApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_app("nagano.xlsx", "20")
    write_app("tokyo.xlsx", "13", participating_municipalities=50)
    calls = _count_parses(monkeypatch)
    first = read_applications(tmp_path)
    n_first = len(calls)
    second = read_applications(tmp_path)
    assert len(calls) == n_first, "the unchanged files were parsed again"
    assert first.applications.equals(second.applications)
    assert first.problems.equals(second.problems)


def test_a_changed_file_with_its_old_size_and_dates_is_read_anew(
    write_app: WriteApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_app("nagano.xlsx", "20", theme="A")
    assert read_applications(tmp_path).applications.loc["20", "theme"] == "A"
    st = os.stat(path)
    data = path.read_bytes()
    write_app("nagano.xlsx", "20", theme="B")
    changed = path.read_bytes()
    assert changed != data
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # the same dates as before the change
    calls = _count_parses(monkeypatch)
    assert read_applications(tmp_path).applications.loc["20", "theme"] == "B"
    assert calls == ["nagano.xlsx"]


def test_what_one_load_adds_never_reaches_the_next(
    valid_values: Callable[..., dict[str, Any]], tmp_path: Path
) -> None:
    # Reading a .xlsm adds a warning to the read; a cached read handed out as is would carry
    # the first load's warning into the second (two warnings).
    write_template(tmp_path / "macro.xlsm", valid_values("20"))
    for _ in range(3):
        problems = read_applications(tmp_path).problems
        assert (problems["file"] == "macro.xlsm").sum() == 1, problems.to_dict("records")


def test_the_same_bytes_under_another_name_are_reported_under_that_name(
    write_app: WriteApp, tmp_path: Path
) -> None:
    path = write_app("nagano.xlsx", "20")
    data = path.read_bytes()
    other = tmp_path / "other"
    other.mkdir()
    (other / "長野県.xlsx").write_bytes(data)
    assert read_applications(tmp_path).applications.loc["20", "file"] == "nagano.xlsx"
    assert read_applications(other).applications.loc["20", "file"] == "長野県.xlsx"
