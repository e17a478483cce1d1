"""Copy the demo round for a test or a benchmark (importable: ``from roundcopy import copy_demo_round``;
``conftest`` is not, since pytest loads several files of that name)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

#: What a copy of the demo round leaves out: this machine's state of it (the score database,
#: its checkpoints, the reports, and ``keys/``, the public-key list that ``make demo``'s
#: ``keys init`` writes: the tests sign with a throw-away key of their own, which it would refuse).
LOCAL_STATE = (
    "scores.sqlite*",
    "*.sqlite-wal",
    "*.sqlite-shm",
    "checkpoints*.jsonl",
    "__pycache__",
    "reports",
    "keys",
)


def demo_ignore(*more: str) -> Callable[[str, list[str]], set[str]]:
    """``shutil.copytree``'s ``ignore`` for a copy of the demo round: :data:`LOCAL_STATE` and ``more``."""
    return shutil.ignore_patterns(*LOCAL_STATE, *more)


def copy_demo_round(dest: Path) -> Path:
    """Copy the demo round to ``dest/data/demo`` with ``dest/rubrics`` beside it.

    The layout is kept because round.yaml names its rubric by a relative path
    (``../../rubrics/...``). This machine's state of the round (:data:`LOCAL_STATE`) is not copied.
    Returns the copied round folder.
    """
    from scoring import DEMO_ROUND
    from scoring.core.paths import PROJECT_DIR

    round_dir = dest / "data" / "demo"
    shutil.copytree(DEMO_ROUND, round_dir, ignore=demo_ignore())
    if not (dest / "rubrics").exists():
        shutil.copytree(PROJECT_DIR / "rubrics", dest / "rubrics")
    return round_dir


def scored_demo_round(root: Path, copier: Callable[[Path], Path], **yaml_edits: object) -> Path:
    """A copy of the demo round (``copier(root)``) with round.yaml keys replaced by
    ``yaml_edits`` and the seeded demo scores written into its own store."""
    import yaml

    from scoring.demo.simulate import write_demo_scores
    from scoring.round.loader import load_round
    from scoring.store.scores import ScoreStore

    rd = copier(root)
    if yaml_edits:
        path = rd / "round.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data.update(yaml_edits)
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    rnd = load_round(rd)
    with ScoreStore.open(rnd) as store:
        write_demo_scores(rnd, store)
    return rd
