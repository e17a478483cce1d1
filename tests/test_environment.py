"""pyproject.toml is the one dependency list; environment.yml must mirror its runtime part."""

from __future__ import annotations

import re
import subprocess
import sys
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


def test_importing_jsonschema_builds_no_iri_parser():
    """Every Jupyter server, hub process and kernel manager imports jsonschema; the pin in
    pyproject.toml keeps rfc3987-syntax (1.7 s of parser building at import) out of it."""
    code = "import sys, jsonschema; print('rfc3987_syntax' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", (
        "jsonschema imports rfc3987_syntax: see the jsonschema pin in pyproject.toml"
    )


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
    assert "make deps test" in readme
    deps, test = (re.search(rf"^make {t}$", ci, re.MULTILINE) for t in ("deps", "test"))
    assert deps and test and deps.start() < test.start()
    assert "make demo" in readme


def test_make_test_installs_nothing_and_names_what_is_missing(tmp_path):
    """``system-deps.sh --check`` (what ``make test`` runs) with ``setfacl`` and the proxy off
    the PATH: exit 1, the missing packages and ``make deps`` in Japanese and English, and no
    attempt to install (no apt-get, npm or sudo is reachable, and none is called)."""
    import shutil
    import subprocess

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "dpkg", "dpkg-query", "id", "pdftotext", "npm", "node", "cat", "env"):
        found = shutil.which(tool)
        if found:
            (bin_dir / tool).symlink_to(found)
    script = ROOT / "scripts" / "system-deps.sh"
    res = subprocess.run(
        [str(bin_dir / "bash"), str(script), "--check"],
        capture_output=True,
        text=True,
        env={"PATH": str(bin_dir)},
        check=False,
        timeout=60,
    )
    assert res.returncode == 1, res
    assert "acl" in res.stderr and "configurable-http-proxy@" in res.stderr
    assert (
        "make deps" in res.stderr and "必要なパッケージがありません" in res.stderr and "Missing" in res.stderr
    )
    assert "apt-get" not in res.stderr + res.stdout
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    test_recipe = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert (
        "system-deps.sh --check" in test_recipe and "apt-get" not in test_recipe and "npm" not in test_recipe
    )
