"""pyproject.toml is the one dependency list; environment.yml must mirror its runtime part."""

from __future__ import annotations

import re
from pathlib import Path

import tomllib
import yaml

ROOT = Path(__file__).resolve().parent.parent


def _name(spec: str) -> str:
    """Package name of a requirement, normalised (PEP 503)."""
    name = re.split(r"[<>=!~;\[ ]", spec.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def _pyproject_runtime() -> dict[str, str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {_name(s): s.replace(" ", "") for s in data["project"]["dependencies"]}


def _environment() -> tuple[dict[str, str], list[str]]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    conda: dict[str, str] = {}
    pip: list[str] = []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip.extend(dep["pip"])
        else:
            conda[_name(dep)] = dep.replace(" ", "")
    return conda, pip


def test_environment_lists_the_same_runtime_packages_as_pyproject():
    runtime = _pyproject_runtime()
    conda, pip = _environment()
    pip_pkgs = {_name(p): p.replace(" ", "") for p in pip if not p.startswith("-e")}
    listed = {k: v for k, v in {**conda, **pip_pkgs}.items() if k not in ("python", "pip")}
    assert set(listed) == set(runtime), (
        f"only in environment.yml: {sorted(set(listed) - set(runtime))}; "
        f"only in pyproject.toml: {sorted(set(runtime) - set(listed))}"
    )
    # Same lower bounds, so a conda user gets what pip users get.
    assert listed == runtime
    assert set(conda) & set(pip_pkgs) == set(), "a package is listed twice in environment.yml"


def test_environment_installs_the_project_itself():
    _, pip = _environment()
    assert "-e ." in pip


def test_the_drift_check_can_fail(tmp_path):
    """The parser sees a package that is in one list only (guards against a vacuous test)."""
    assert _name("scikit-learn>=1.5") == "scikit-learn"
    assert _name("PyYAML>=6") == "pyyaml"
    assert _name("jupyterlab-language-pack-ja-JP>=4.2") == "jupyterlab-language-pack-ja-jp"
    assert "pandas" in _pyproject_runtime()


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in readme and re.search(r"^make test$", ci, re.MULTILINE)
    assert "make demo" in readme
