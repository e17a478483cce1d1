"""The package's shape: stages whose dependencies point one way, no hidden cycles,
no attribute of the package hiding a submodule, a light root."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import scoring

PACKAGE = Path(scoring.__file__).resolve().parent
#: Each stage may import only stages of a lower rank (and itself).
RANK = {
    "core": 0,
    "config": 1,
    "intake": 2,
    "store": 2,
    "round": 3,
    "review": 4,
    "combine": 4,
    "agreement": 4,
    "demo": 4,
    "admin": 4,
    "selection": 5,
    "analysis": 6,
    "reporting": 7,
    "ui": 8,
}


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _stage(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in RANK) else None


#: Modules allowed, for now, one type-only import that breaks the rules (each with its reason).
#: Type-only imports the rules let pass (module → target): none.
KNOWN_TYPE_ONLY_EXCEPTIONS: dict[str, str] = {}


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    return ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)


def _is_module(name: str) -> bool:
    rel = Path(*name.split("."))
    base = PACKAGE.parent / rel
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _imports(path: Path) -> list[tuple[str, int, bool]]:
    """(imported scoring module, line, at module level) for every import of ``path``.

    Type-only imports (under ``if TYPE_CHECKING:``) count too: an annotation that names a
    higher stage is a dependency on it all the same. ``from package import submodule``
    is the submodule.
    """
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    here = list(rel.parts[:-1]) if rel.name != "__init__" else list(rel.parts)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            type_only |= {id(n) for b in node.body for n in ast.walk(b)}
    top = {id(n) for n in tree.body} | type_only
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target.startswith("scoring"):
                subs = [f"{target}.{a.name}" for a in node.names if _is_module(f"{target}.{a.name}")]
                out += [(t, node.lineno, id(node) in top) for t in subs or [target]]
        elif isinstance(node, ast.Import):
            out += [
                (a.name, node.lineno, id(node) in top) for a in node.names if a.name.startswith("scoring")
            ]
    return out


def test_every_subpackage_is_a_known_stage_with_a_docstring_and_all() -> None:
    stages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert stages == set(RANK)
    for stage in stages:
        mod = importlib.import_module(f"scoring.{stage}")
        assert mod.__doc__ and len(mod.__doc__) > 80, stage
        assert isinstance(getattr(mod, "__all__", None), list), stage


def test_dependencies_point_one_way() -> None:
    wrong = []
    for path in _modules():
        module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        stage = _stage(module)
        if stage is None:  # scoring/__init__, cli, __main__: the top
            continue
        for target, line, _ in _imports(path):
            other = _stage(target)
            if KNOWN_TYPE_ONLY_EXCEPTIONS.get(path.relative_to(PACKAGE).as_posix()) == target:
                continue
            if other is not None and other != stage and RANK[other] >= RANK[stage]:
                wrong.append(f"{path.relative_to(PACKAGE)}:{line} ({stage}) imports {target} ({other})")
    assert wrong == []


def test_type_only_imports_are_counted() -> None:
    """The rule sees imports under ``if TYPE_CHECKING:`` (the store's back-edge hid there)."""
    found = {t for t, _, _ in _imports(PACKAGE / "reporting" / "overview.py")}
    assert "scoring.round.loader" in found  # ``ReviewRound`` for annotations only, under TYPE_CHECKING


def test_the_store_knows_nothing_of_the_round_or_the_rubric() -> None:
    """``store/`` checks writes against :class:`scoring.core.roundfacts.RoundFacts`, never the round."""
    wrong = [
        f"{p.relative_to(PACKAGE)}:{line} imports {t}"
        for p in sorted((PACKAGE / "store").glob("*.py"))
        for t, line, _ in _imports(p)
        if (
            t == "scoring.round"
            or t.startswith(("scoring.round.", "scoring.config.rubric", "scoring.config._rubric"))
        )
        and KNOWN_TYPE_ONLY_EXCEPTIONS.get(p.relative_to(PACKAGE).as_posix()) != t
    ]
    assert wrong == []


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in _modules():
        module = _module_name(path)
        if KNOWN_TYPE_ONLY_EXCEPTIONS.get(path.relative_to(PACKAGE).as_posix()):
            skip = {KNOWN_TYPE_ONLY_EXCEPTIONS[path.relative_to(PACKAGE).as_posix()]}
        else:
            skip = set()
        graph[module] = {t for t, _, _ in _imports(path) if t != module and t not in skip}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle of ``graph`` (``[a, b, …, a]``), or [] (depth-first search)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return []


def test_no_import_cycle_among_modules() -> None:
    """No module reaches itself through imports, type-only imports included (a package's
    ``__init__`` counts as a module: it imports its submodules)."""
    assert _cycle(_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": {"c"}, "d": {"a"}}) == []


def test_no_function_local_import_of_the_package() -> None:
    """Imports of our own modules sit at the top of the module (no cycle hidden in a function).

    The command line is the one exception: ``cli.py`` and its commands in ``cli_commands.py``
    and ``cli_records.py`` import each command's modules inside the command, so that
    ``--help`` stays fast.
    """
    local = [
        f"{p.relative_to(PACKAGE)}:{line} {target}"
        for p in _modules()
        if p.relative_to(PACKAGE).as_posix() not in ("cli.py", "cli_commands.py", "cli_records.py")
        for target, line, at_top in _imports(p)
        if not at_top
    ]
    assert local == []


def test_no_attribute_of_the_package_hides_a_submodule() -> None:
    for info in pkgutil.walk_packages(scoring.__path__, "scoring."):
        module = importlib.import_module(info.name)
        parent_name, _, short = info.name.rpartition(".")
        parent = importlib.import_module(parent_name)
        assert getattr(parent, short) is module, f"{parent_name}.{short} is not the module {info.name}"
    for name in scoring.__all__:
        assert not hasattr(getattr(scoring, name), "__path__")


def test_import_scoring_is_light() -> None:
    code = (
        "import sys, scoring; import scoring.core.errors; "
        "print(sorted(m for m in ('pandas', 'numpy', 'sklearn', 'scipy', 'matplotlib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("name", ["combine", "selection", "store", "round", "review"])
def test_the_issue_example_submodule_attribute_works(name: str) -> None:
    mod = importlib.import_module(f"scoring.{name}")
    assert getattr(scoring, name) is mod


def test_deploy_imports_nothing_from_tests() -> None:
    """``deploy/`` (the hub's configuration and ``make hub``) runs on a server without the
    test suite: it imports no module of ``tests/`` and puts no ``tests`` folder on sys.path."""
    repo = PACKAGE.parent
    test_modules = {p.stem for p in (repo / "tests").rglob("*.py")}
    wrong = []
    for path in sorted((repo / "deploy").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            wrong += [
                f"{path.name}:{node.lineno} {n}"
                for n in names
                if n.split(".")[0] in test_modules or n.split(".")[0] == "tests"
            ]
            if isinstance(node, ast.Constant) and node.value == "tests":
                wrong.append(f"{path.name}:{node.lineno} 'tests'")
    assert wrong == []
    assert {"conftest", "hubkit", "roundcopy"} <= test_modules  # the check sees the test helpers
