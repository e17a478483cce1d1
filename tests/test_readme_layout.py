"""The README's layout table names every stage folder and exactly the modules in it.

A table that has drifted from the package sends a newcomer to files that are not there.
"""

from __future__ import annotations

import re
from pathlib import Path

import scoring

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = Path(scoring.__file__).resolve().parent
_ROW = re.compile(r"^\| `scoring\.(\w+)` \| (.*?) \| .* \|$")


def _readme_rows() -> dict[str, set[str]]:
    rows: dict[str, set[str]] = {}
    for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines():
        m = _ROW.match(line)
        if m:
            rows[m.group(1)] = {name.rstrip("/") for name in re.findall(r"`([\w/]+)`", m.group(2))}
    return rows


def _package_rows() -> dict[str, set[str]]:
    rows: dict[str, set[str]] = {}
    for stage in sorted(p for p in PACKAGE.iterdir() if (p / "__init__.py").exists()):
        modules = {p.stem for p in stage.glob("*.py") if p.stem != "__init__"}
        folders = {p.name for p in stage.iterdir() if p.is_dir() and p.name != "__pycache__"}
        rows[stage.name] = modules | folders
    return rows


def test_readme_layout_table_names_every_stage_and_its_modules() -> None:
    readme, package = _readme_rows(), _package_rows()
    assert sorted(readme) == sorted(package), "README「フォルダ構成」: stages differ from scoring/'s folders"
    drift = {
        stage: {"README only": sorted(readme[stage] - mods), "package only": sorted(mods - readme[stage])}
        for stage, mods in package.items()
        if readme[stage] != mods
    }
    assert drift == {}, f"README「フォルダ構成」の表を scoring/ に合わせてください: {drift}"
