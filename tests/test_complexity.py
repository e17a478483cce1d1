"""Growth held: no function in ``scoring/`` over 80 lines or cyclomatic complexity 25, no
module over 800 lines (DEVELOPERS.md; radon measures the complexity, as ``radon cc`` does).

A function's lines count from its ``def`` to its last line, docstring included. To find
the long ones: ``python -m pytest tests/test_complexity.py`` names each with its numbers.
"""

from __future__ import annotations

import ast
from pathlib import Path

from radon.complexity import cc_visit
from radon.visitors import Class

import scoring

PACKAGE = Path(scoring.__file__).resolve().parent
MAX_FUNCTION_LINES = 80
MAX_COMPLEXITY = 25
MAX_MODULE_LINES = 800


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _long_functions(source: str) -> list[tuple[str, int, int]]:
    """(name, line, lines) of every function or method over the limit."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            lines = (node.end_lineno or node.lineno) - node.lineno + 1
            if lines > MAX_FUNCTION_LINES:
                out.append((node.name, node.lineno, lines))
    return out


def _complex_functions(source: str) -> list[tuple[str, int, int]]:
    """(name, line, complexity) of every function or method over the limit (classes: their methods)."""
    out = []
    for block in cc_visit(source):
        items = block.methods if isinstance(block, Class) else [block]
        out += [(f.name, f.lineno, f.complexity) for f in items if f.complexity > MAX_COMPLEXITY]
    return out


def test_no_function_over_80_lines() -> None:
    found = [
        f"{p.relative_to(PACKAGE)}:{line} {name} ({n} lines)"
        for p in _modules()
        for name, line, n in _long_functions(p.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_no_function_over_complexity_25() -> None:
    found = [
        f"{p.relative_to(PACKAGE)}:{line} {name} (complexity {n})"
        for p in _modules()
        for name, line, n in _complex_functions(p.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_no_module_over_800_lines() -> None:
    found = [
        f"{p.relative_to(PACKAGE)} ({n} lines)"
        for p in _modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    ]
    assert found == []


def test_the_measures_see_what_they_should() -> None:
    """The checks can fail: a long, branchy function is found by both."""
    body = "".join(f"    if x == {i}:\n        return {i}\n" for i in range(45))
    source = f"def branchy(x):\n{body}    return -1\n"
    assert _long_functions(source) == [("branchy", 1, 92)]
    assert _complex_functions(source) == [("branchy", 1, 46)]
