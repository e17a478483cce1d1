"""Every notebook in notebooks/ is a thin, clean document and runs headless end to end.

Each notebook is executed with papermill on a temporary copy of the demo round, passed as
the ``round_path`` parameter (and ``reviewer_id="R1"`` where the notebook has that
parameter). New notebooks are picked up automatically.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest

from scoring.analysis.tuning import TuningModel
from scoring.core.paths import DEMO_ROUND, PROJECT_DIR
from scoring.demo.simulate import write_demo_scores
from scoring.round.loader import load_round

NOTEBOOK_DIR = PROJECT_DIR / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
REQUIRED = {"01_applications.ipynb", "02_review.ipynb", "03_rubric_tuning.ipynb", "04_committee.ipynb"}
#: Extra parameters given to notebooks that declare them.
EXTRA_PARAMETERS: dict[str, Any] = {"reviewer_id": "R1", "method": "additive"}
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def test_required_notebooks_exist() -> None:
    assert REQUIRED <= {p.name for p in NOTEBOOKS}


def _python(source: str) -> str:
    """Cell source with IPython syntax (``%magic``, ``!cmd``) turned into Python."""
    from IPython.core.inputtransformer2 import TransformerManager

    return str(TransformerManager().transform_cell(source))


def _code(nb: Any) -> list[Any]:
    return [c for c in nb.cells if c.cell_type == "code"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_thin_and_clean(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = _code(nb)
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1, "exactly one cell tagged 'parameters' (papermill)"
    tree = ast.parse(_python(params[0].source))
    defaults = {
        t.id: ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Name)
    }
    # round_path = None: falls back to $SCORING_ROUND, then the demo round.
    assert "round_path" in defaults and defaults["round_path"] is None
    assert defaults.get("reviewer_id") is None  # chosen on screen (or the JupyterHub user)
    for cell in code:
        assert cell.outputs == [] and cell.execution_count is None, "outputs must not be committed"
        for node in ast.walk(ast.parse(_python(cell.source))):
            assert not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)), (
                f"{path.name}: no function or class definitions in a notebook (put them in scoring/)"
            )
    assert "widgets" not in nb.metadata, "widget state must not be saved in the notebook"
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_headless_on_the_demo_round(
    path: Path, tmp_path: Path, demo_round_copier: Callable[[Path], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import papermill as pm

    # The kernel inherits this environment: single-user, the round's own SQLite store.
    for var in ("SCORING_DATABASE_URL", "SCORING_ROUND", "JUPYTERHUB_USER"):
        monkeypatch.delenv(var, raising=False)

    round_dir = demo_round_copier(tmp_path / "work")
    # As `make lab` and `make committee` do: the demo scores come from the explicit step.
    write_demo_scores(load_round(round_dir))
    declared = pm.inspect_notebook(str(path))
    assert "round_path" in declared
    parameters: dict[str, Any] = {"round_path": str(round_dir)}
    parameters.update({k: v for k, v in EXTRA_PARAMETERS.items() if k in declared})
    out = tmp_path / path.name
    pm.execute_notebook(
        str(path),
        str(out),
        parameters=parameters,
        kernel_name="python3",
        cwd=str(NOTEBOOK_DIR),
        progress_bar=False,
        request_save_on_cell_execute=False,
        execution_timeout=300,
    )
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in _code(nb) for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = json.dumps([o.get("data", {}) for o in outputs], ensure_ascii=False)
    if path.name == "01_applications.ipynb":
        assert "05_akita.xlsx" in text and "image/png" in text
        assert "必要性の得点" in text and "沖縄県" in text  # the プッシュ型 candidates of all 47
    if path.name == "02_review.ipynb":
        assert WIDGET_MIME in text, "the review screen was not displayed"
        assert not [
            o for o in outputs if o.output_type == "stream" and o.name == "stderr" and "Traceback" in o.text
        ]
        # It opened the store of the round that was passed in, not the demo's.
        assert (round_dir / "scores.sqlite").exists()
    if path.name == "03_rubric_tuning.ipynb":
        assert WIDGET_MIME in text
        assert "秋田県" in text and "合計点（100点満点）" in text
        streams = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
        expected = TuningModel.open(load_round(round_dir), method="additive").settings_hash()
        assert f"設定ハッシュ: {expected}" in streams  # the notebook used the round and method passed in
        assert "未提出の一覧" in text and "割り当てられた採点" in text  # the review progress panel
    if path.name == "04_committee.ipynb":
        assert not [o for o in outputs if o.output_type == "stream" and o.name == "stderr"]
        # the 本体 first; the 参考資料 folded below it with its charts inline (no PNG output of its own)
        for needle in (
            "審議事項",
            "要協議",
            "順位",
            "長野県",
            "選定案（5 件）",
            "選定する応募",
            "当落線上",
            "<details",
        ):
            assert needle in text
        assert text.index("審議事項") < text.index("<details")
        assert "設定ハッシュ" not in text and "python -m scoring" not in text  # the 事務局控え stays out
        assert nb.cells[0].source.startswith("# 選定委員会資料")
    # The round's files are as they were, apart from the score database, its signed
    # checkpoints and the public key they are signed with (`keys/`, listed by the first
    # checkpoint as `keys init` would), written by the demo step and by saves; loading only reads.
    written = {p.name for p in round_dir.iterdir()} - {p.name for p in DEMO_ROUND.iterdir()}
    assert {n for n in written if not n.startswith(("scores.sqlite", "checkpoints")) and n != "keys"} == set()
