"""Facts that matter are defined once: the Japan time zone, the canonical bytes, the figure.

A fact written twice will disagree one day (STYLE.md). These read the package's source and
name every second definition they find.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import scoring

PACKAGE = Path(scoring.__file__).resolve().parent
#: (what, pattern of a definition, the one module allowed to hold it)
FACTS = [
    ("the Japan time zone", re.compile(r"Asia/Tokyo\"|'Asia/Tokyo'|timedelta\(hours=9\)"), "core/clock.py"),
    ("the canonical JSON bytes", re.compile(r"json\.dumps\([^)]*sort_keys"), "core/canonical.py"),
    (
        "the figure set-up",
        re.compile(r"import matplotlib_fontja|matplotlib\.use\(|\bFigure\("),
        "reporting/figures.py",
    ),
]


def _code_lines(path: Path) -> list[tuple[int, str]]:
    out = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith(("#", "``", "-")):
            continue
        out.append((i, line))
    return out


@pytest.mark.parametrize(("what", "pattern", "home"), FACTS, ids=[f[0] for f in FACTS])
def test_defined_once(what: str, pattern: re.Pattern[str], home: str) -> None:
    found = [
        f"{p.relative_to(PACKAGE)}:{i}"
        for p in sorted(PACKAGE.rglob("*.py"))
        for i, line in _code_lines(p)
        if pattern.search(line) and p.relative_to(PACKAGE).as_posix() != home
    ]
    assert found == [], f"{what} is defined again outside scoring/{home}: {found}"
    assert any(pattern.search(line) for _, line in _code_lines(PACKAGE / home)), f"scoring/{home} lost {what}"
