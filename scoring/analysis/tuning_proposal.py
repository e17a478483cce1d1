"""The balanced proposal on the analyst's tuning screen (03), beside the raw top k.

The committee sees a *balanced* proposal (:func:`scoring.selection.select_round`: the round's
caps per region and theme, the プッシュ型 place, locks and exclusions), not the raw top k of
the ranking. :func:`balanced_proposal` runs the same selection on the totals of the current
weights and method, and compares it with the selection on the rubric's own weights and the
default method (the reference of the ranking's 順位変動), so the analyst sees which
prefectures a weight change brings into the proposal and which it pushes out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..selection import SelectionInfeasible, candidates_frame, select_round
from .quality import second_panel, second_panel_table

if TYPE_CHECKING:
    from .tuning import TuningModel

__all__ = ["Proposal", "balanced_proposal", "current_proposal", "tuning_second_panel"]


@dataclass(frozen=True)
class Proposal:
    """The balanced proposal now and with the rubric's defaults.

    Attributes
    ----------
    selected, baseline : list of str
        Application ids of the proposal with the current settings / with the defaults, in
        score order.
    raw_top : list of str
        The best k applications before the balance rules (current settings).
    entered, left : list of str
        In ``selected`` but not ``baseline`` / in ``baseline`` but not ``selected``.
    names : dict
        Application id → prefecture name (the id when the round has no names).
    error : str
        Japanese reason when no balanced selection exists (then the lists are empty).
    """

    selected: list[str]
    baseline: list[str]
    raw_top: list[str]
    entered: list[str]
    left: list[str]
    names: dict[str, str]
    error: str = ""


def _select(model: TuningModel, totals: pd.DataFrame) -> tuple[list[str], list[str]]:
    assert model.round is not None
    res = select_round(model.round, totals, n_alternatives=0)
    return [str(a) for a in res.selected], [str(a) for a in res.unconstrained_top_k]


def balanced_proposal(model: TuningModel, *, baseline: list[str] | None = None) -> Proposal:
    """The balanced proposal for ``model``'s current weights and method (see the module).

    ``baseline`` is the proposal with the rubric's defaults when already known (it does not change
    while the sliders move: :meth:`TuningModel.proposal` computes it once).
    """
    if model.round is None:
        return Proposal([], [], [], [], [], {}, "審査ラウンドが分からないため、選定案は計算できません。")
    names = model.round.applications.get("prefecture_name")
    labels = {str(k): str(v) for k, v in names.items()} if names is not None else {}
    try:
        selected, raw_top = _select(model, model.ranking()[["total"]])
        if baseline is None:
            baseline, _ = _select(model, model.baseline()[["total"]])
    except SelectionInfeasible as exc:
        return Proposal([], [], [], [], [], labels, f"バランスの条件を満たす選定案がありません: {exc}")
    return Proposal(
        selected=selected,
        baseline=baseline,
        raw_top=raw_top,
        entered=[a for a in selected if a not in baseline],
        left=[a for a in baseline if a not in selected],
        names=labels,
    )


def current_proposal(model: TuningModel) -> Proposal:
    """:func:`balanced_proposal`, cached per weights and method (a slider moved back is instant);
    the defaults' proposal, which the sliders do not change, is computed once."""
    base = model.cached("baseline_proposal", (), lambda: balanced_proposal(model).baseline)
    key = (model.method, *np.round(model.effective_weights().to_numpy(dtype=float), 9).tolist())
    return model.cached("proposal", tuple(key), lambda: balanced_proposal(model, baseline=base))


def tuning_second_panel(
    model: TuningModel, *, n_splits: int = 100, seed: int = 0
) -> tuple[str, pd.DataFrame]:
    """The second-panel estimate for ``model``'s current weights and method (issue 20 item 6).

    How many of the proposed places another panel of the same size would also pick
    (:func:`scoring.analysis.quality.second_panel`, fewer splits than the committee material so
    the tab opens in a few seconds). Returns the one-sentence summary and the table; the summary
    says why when there is no round.
    """
    if model.round is None:
        return "審査ラウンドが分からないため、別の審査員団の推定はできません。", pd.DataFrame()
    cfg = model.round.config
    cand = candidates_frame(
        pd.Series(float("nan"), index=model.round.applications.index, name="total"), model.round.applications
    )
    result = second_panel(
        model.scores,
        model.rubric,
        cand,
        cfg.select,
        cfg.balance,
        method=model.method,
        method_options=model.method_options.get(model.method, {}),
        weights=model.effective_weights(),
        n_splits=n_splits,
        seed=seed,
        locks=cfg.locks,
        exclusions=cfg.exclusions,
        overrides=cfg.eligibility_override,
    )
    table = second_panel_table(result)
    return str(table.attrs.get("summary", "")), table
