"""Accessibility check of a browser page with axe-core (issue 22 item 1: JIS X 8341-3:2016 AA).

JIS X 8341-3:2016 is identical to WCAG 2.0; level AA means the axe rules tagged ``wcag2a``
and ``wcag2aa``. axe-core comes from npm, installed by the project's own set-up
(``scripts/system-deps.sh``, pinned; ``make deps``) and is read from disk and injected into
the page under test: nothing is loaded from a CDN at run time.

Use from any browser test (tests/ui, tests/deploy, tests/reporting; ``tests/`` is on
``sys.path``)::

    from axecheck import assert_accessible
    assert_accessible(page, "採点画面（採点前）")

An exception is allowed only for an element that JupyterLab, Voilà or JupyterHub renders
itself and that we cannot change: :data:`UPSTREAM` lists each by axe rule id, CSS selector
(matched with ``Element.closest``, so it covers the element and what is inside it) and why.
Every other violation fails the test, with the rule, the element and axe's advice.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

__all__ = ["JUPYTERLAB", "UPSTREAM", "AxeException", "assert_accessible", "axe_source", "axe_violations"]

#: The WCAG 2.0 A and AA rules (JIS X 8341-3:2016 level AA).
TAGS = ("wcag2a", "wcag2aa")


@dataclass(frozen=True)
class AxeException:
    """One allowed violation: axe ``rule``, the CSS ``selector`` of the element, and ``why``."""

    rule: str
    selector: str
    why: str


#: Violations in elements the upstream software renders itself (we cannot change them).
UPSTREAM: tuple[AxeException, ...] = ()

#: JupyterLab 4's own chrome around the analyst's notebooks (03 in JupyterLab, not Voilà): the
#: screen's own widgets stay strict; only these upstream elements are excepted.
JUPYTERLAB: tuple[AxeException, ...] = (
    AxeException(
        "aria-allowed-attr",
        "jp-button.jp-ToolbarButtonComponent",
        "JupyterLab's toolbar buttons (jp-button web component) carry aria-pressed on role=button",
    ),
    AxeException(
        "aria-input-field-name",
        ".jp-CodeMirrorEditor",
        "JupyterLab's cell editors (CodeMirror 6, role=textbox) have no accessible name",
    ),
    AxeException(
        "aria-input-field-name",
        ".noUi-handle",
        "ipywidgets 8 draws a slider's handle (noUiSlider, role=slider) without linking its "
        "description label; the label and the typed readout beside it name the value",
    ),
    AxeException(
        "aria-required-children",
        ".jp-WindowedPanel-viewport",
        "JupyterLab's windowed notebook (role=feed) holds cells that are not role=article",
    ),
)


@functools.cache
def axe_source() -> str:
    """The text of ``axe.min.js`` from the global npm folder (``make deps`` installs it)."""
    roots = []
    npm = shutil.which("npm")
    if npm:
        out = subprocess.run([npm, "root", "--global"], capture_output=True, text=True, check=False)
        roots.append(Path(out.stdout.strip()))
    roots += [Path("/usr/lib/node_modules"), Path("/usr/local/lib/node_modules")]
    for root in roots:
        path = root / "axe-core" / "axe.min.js"
        if path.is_file():
            return path.read_text(encoding="utf-8")
    pytest.fail(
        "axe-core がありません（アクセシビリティの検査に使います）。root で `make deps` を実行してください"
        "（scripts/system-deps.sh が npm の axe-core を入れます）。"
    )


_RUN = """async ([tags, exceptions]) => {
  const res = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                       resultTypes: ['violations']});
  const allowed = (rule, target) => {
    let el = null;
    try { el = document.querySelector(target[target.length - 1]); } catch (e) { el = null; }
    return exceptions.some(x => x.rule === rule && el !== null && el.closest(x.selector) !== null);
  };
  return res.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.filter(n => !allowed(v.id, n.target))
                  .map(n => ({target: n.target.join(' '), html: n.html.slice(0, 200),
                              summary: n.failureSummary}))
  })).filter(v => v.nodes.length > 0);
}"""


def axe_violations(page: Any, exceptions: tuple[AxeException, ...] = UPSTREAM) -> list[dict[str, Any]]:
    """Run axe-core's WCAG 2.0 A/AA rules on ``page``; the violations left after ``exceptions``.

    Each is ``{id, impact, help, nodes: [{target, html, summary}]}``.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(content=axe_source())
    excs = [{"rule": x.rule, "selector": x.selector} for x in exceptions]
    return list(page.evaluate(_RUN, [list(TAGS), excs]))


def describe(violations: list[dict[str, Any]]) -> str:
    """The violations as readable lines (rule, impact, advice, then each element)."""
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} — {len(v['nodes'])} 件")
        for n in v["nodes"][:8]:
            lines.append(f"    {n['target']}: {n['html']}\n      {n['summary']}".rstrip())
    return "\n".join(lines)


def assert_accessible(page: Any, where: str, exceptions: tuple[AxeException, ...] = UPSTREAM) -> None:
    """Fail with every WCAG 2.0 A/AA violation on ``page`` (``where`` names it in the message)."""
    found = axe_violations(page, exceptions)
    assert not found, f"{where}: JIS X 8341-3（WCAG 2.0 A/AA）の違反があります:\n{describe(found)}"
