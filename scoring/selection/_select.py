"""Balanced selection (選定): choose about five applications that maximise the combined score.

The call selects 「おおむね5団体程度」. The committee wants the best applications, but also a
balance of regions (地方ブロック), focus themes (重点テーマ) and 手上げ式/プッシュ型, as set in
``round.yaml``. :func:`select` solves that exactly as a 0–1 integer program with
:func:`scipy.optimize.milp` (HiGHS)::

    maximise    Σ total_i · x_i
    subject to  Σ x_i = k                                  (選定数)
                Σ_{i in block b} x_i ≤ max_per_block        for every block
                Σ_{i in theme t} x_i ≤ max_per_theme        for every theme
                y_t ≤ Σ_{i in theme t} x_i,  Σ y_t ≥ min_distinct_themes
                min_push ≤ Σ_{i プッシュ型} x_i ≤ max_push
                x_i = 1 for locks (必ず含める), x_i = 0 for exclusions and ineligible
                applications (期限後提出・エラーあり, unless overridden), x, y ∈ {0, 1}

and explains the result for every applicant in Japanese.

Conventions (documented because the committee will ask)
-------------------------------------------------------
- **Totals are compared at 0.0001 point**: they are rounded to 4 decimals first, and
  equal rounded totals are a tie (sums are then exact integers of 0.0001 point).
- **Ties are broken by rank order**: applications are ranked by total (high first), equal
  totals by application id (JIS code, ascending). Among selections with the same sum, the
  one that includes the higher-ranked application at the first place where they differ is
  chosen (lexicographic). The same rule orders the alternatives.
- **A range of k** (``SelectSpec(target=5, min=4, max=6)``): the selection uses ``target``;
  :attr:`SelectionResult.by_k` gives the best selection for every k of the range so the
  committee can see what a 4th or 6th place would change.
- **Missing values**: an application without a total (no scores) is not eligible. A
  missing block or theme counts against no limit, and a missing theme is not a theme.
- **Unconstrained top k** keeps eligibility, exclusions and locks, and drops only the
  balance settings; so ``price_of_balance`` (points given up for balance) is ≥ 0.

How it is computed
------------------
The problem (inputs, constraint groups, validation) is :mod:`~scoring.selection._problem`;
the integer programs, ties, kernel and gaps are :mod:`~scoring.selection._exact`; the
Japanese reasons and the infeasibility message are :mod:`~scoring.selection._explain`; the
branch and bound for resampling loops is :mod:`~scoring.selection._fast`.

Validated against brute-force enumeration of all k-subsets on random small instances
(``tests/selection/test_selection.py``, which holds the enumeration), including
infeasible ones and instances where the kernel leaves applications out: same selection,
same alternatives in the same order, same gaps, and the named conflict is irreducible;
and at 220 applications every gap against a MILP with the applicant forced in.
``benchmarks/bench_selection.py`` times 47, 200 and 1,741 applications.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..config.round import Balance, SelectSpec
from ..core.errors import OptionError, SelectionError
from ..round.loader import ReviewRound
from ..round.status import application_statuses, long_reason
from ._exact import _best, _kernel, _values_with
from ._explain import _infeasible_error, _reasons
from ._problem import _ALL_GROUPS, _SCALE, _compile, _Problem, _pt, _resolve_ids, _to_spec


@dataclass(frozen=True)
class Alternative:
    """One next-best selection.

    Attributes
    ----------
    selected : list of str
        Application ids in rank order.
    total : float
        Sum of the selected totals.
    difference : float
        ``total`` minus the proposed selection's total (≤ 0).
    added, removed : list of str
        Applications in this alternative but not in the proposal, and the reverse.
    """

    selected: list[str]
    total: float
    difference: float
    added: list[str]
    removed: list[str]


@dataclass
class SelectionResult:
    """The proposed selection and everything the committee needs to question it.

    Attributes
    ----------
    k : int
        Number selected.
    selected : list of str
        Selected application ids, in score order (rank order).
    total : float
        Sum of the selected applications' totals.
    unconstrained_top_k : list of str
        The best k applications without the balance settings (eligibility, exclusions and
        locks still apply), in score order.
    unconstrained_total : float
        Their sum.
    price_of_balance : float
        ``unconstrained_total - total`` (≥ 0): points given up for balance.
    alternatives : list of Alternative
        The next-best distinct selections, best first (non-increasing total).
    reasons : DataFrame
        One row per candidate, index ``application``, in score order; columns
        :data:`REASON_COLUMNS`: ``prefecture_name``; ``status`` (選定/次点/非選定/対象外;
        次点 = not selected but part of at least one alternative); ``rank`` (Int64, rank
        by total among eligible applications, ties by id; <NA> for 対象外); ``total``;
        ``gap`` (points the applicant would need to gain to be selected = the proposal's
        total minus the best total of a feasible selection that includes it, computed
        exactly; NaN for 選定, 対象外, or when no feasible selection includes it); ``constraint`` (keys of
        :data:`CONSTRAINTS` that explain the outcome, comma-separated, or ""); ``related``
        (ids of the applicants the reason names, comma-separated); ``reason`` (Japanese).
    by_k : DataFrame
        Index ``k`` (every k of the allowed range); columns ``feasible`` (bool), ``total``
        (float, NaN if infeasible), ``difference`` (to the target's total), ``selected``
        (ids joined with ","), ``is_target`` (bool).
    settings : dict
        The settings used (k, balance, locks, exclusions, overrides).
    names : dict
        Application id → display name.
    """

    k: int
    selected: list[str]
    total: float
    unconstrained_top_k: list[str]
    unconstrained_total: float
    price_of_balance: float
    alternatives: list[Alternative]
    reasons: pd.DataFrame
    by_k: pd.DataFrame
    settings: dict[str, object] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    def alternatives_frame(self) -> pd.DataFrame:
        """Alternatives as a table: index ``alternative`` (1, 2, …); columns ``total``,
        ``difference``, ``selected``, ``added``, ``removed`` (display names joined with "・")."""
        rows = [
            {
                "alternative": i,
                "total": a.total,
                "difference": a.difference,
                "selected": self._join(a.selected),
                "added": self._join(a.added),
                "removed": self._join(a.removed),
            }
            for i, a in enumerate(self.alternatives, start=1)
        ]
        cols = ["total", "difference", "selected", "added", "removed"]
        return pd.DataFrame(rows, columns=["alternative", *cols]).set_index("alternative")

    def summary_ja(self) -> str:
        """A short Japanese summary (several lines) for the CLI and notebooks."""
        lines = [
            f"選定案（{self.k}件、合計 {_pt(self.total)} 点）: {self._join(self.selected)}",
            f"制約なしの上位{self.k}件（合計 {_pt(self.unconstrained_total)} 点）: {self._join(self.unconstrained_top_k)}",
            f"バランスのために譲った点数（price of balance）: {_pt(self.price_of_balance)} 点",
        ]
        for i, a in enumerate(self.alternatives, start=1):
            change = f"{self._join(a.removed)} → {self._join(a.added)}"
            diff = ("-" if a.difference < 0 else "+") + _pt(abs(a.difference))
            lines.append(f"次善案{i}（合計 {_pt(a.total)} 点、差 {diff} 点）: {change}")
        return "\n".join(lines)

    def _join(self, ids: Iterable[str]) -> str:
        return "・".join(self.names.get(i, i) for i in ids)


# ----------------------------------------------------------------------------------------
# Public API
# ----------------------------------------------------------------------------------------


def candidates_frame(totals: pd.DataFrame | pd.Series, applications: pd.DataFrame) -> pd.DataFrame:
    """Join combined totals with the application facts that the selection needs.

    Parameters
    ----------
    totals : DataFrame with column ``total`` or Series
        Index ``application``; total on the 0–100 scale (as from :func:`scoring.combine.combine`).
    applications : DataFrame
        ``ReviewRound.applications`` (index ``application``).

    Returns
    -------
    DataFrame
        Index ``application`` (every application of the round); columns ``prefecture_name``
        and :data:`CANDIDATE_COLUMNS`. Applications without scores have total NaN (not
        eligible).
    """
    t = totals["total"] if isinstance(totals, pd.DataFrame) else totals
    t = t.copy()
    t.index = t.index.astype(str)
    cols = ["prefecture_name", "block", "theme", "application_type", "late", "has_errors"]
    missing = [c for c in cols if c not in applications.columns]
    if missing:
        raise SelectionError(f"応募の表に列がありません: {'、'.join(missing)}")
    cols += ["withdrawn"] if "withdrawn" in applications.columns else []
    out = applications[cols].copy()
    out.index = out.index.astype(str)
    out.index.name = "application"
    out.insert(1, "total", t.reindex(out.index).astype(float))
    return out


def select(
    candidates: pd.DataFrame,
    k: int | tuple[int, ...] | SelectSpec,
    balance: Balance | None = None,
    *,
    locks: Iterable[str] = (),
    exclusions: Iterable[str] = (),
    overrides: Iterable[str] = (),
    n_alternatives: int = 3,
) -> SelectionResult:
    """Choose the applications that maximise the combined total under the balance settings.

    Parameters
    ----------
    candidates : DataFrame
        Index ``application`` (JIS code); columns ``total`` (0–100, NaN = no scores),
        ``block``, ``theme`` (A–F), ``application_type`` (手上げ式/プッシュ型), ``late``
        (bool), ``has_errors`` (bool), optionally ``prefecture_name`` (used in texts) and
        ``withdrawn`` (bool, 辞退: 対象外 even with an override).
        :func:`candidates_frame` builds it.
    k : int, (min, max), (min, target, max) or SelectSpec
        Number to select. With a range the ``target`` is selected (for ``(min, max)`` the
        target is ``(min + max) // 2``) and :attr:`SelectionResult.by_k` shows every k.
    balance : Balance, optional
        ``max_per_block``, ``max_per_theme``, ``min_distinct_themes``, ``max_push``,
        ``min_push`` (``None`` = no limit).
    locks : iterable of str
        必ず含める: applications that must be selected (ids or prefecture names).
    exclusions : iterable of str
        Applications the committee excludes.
    overrides : iterable of str
        Late applications or applications with errors that the analyst makes eligible.
    n_alternatives : int
        How many next-best selections to report (fewer if fewer feasible ones exist).

    Returns
    -------
    SelectionResult

    Raises
    ------
    SelectionInfeasible
        No selection meets the settings; the message (Japanese) names a minimal set of
        conflicting constraints and why they conflict.
    ValueError
        ``candidates`` lacks a column, or a lock/exclusion/override is not a candidate.
    """
    spec = _to_spec(k)
    balance = balance if balance is not None else Balance()
    if n_alternatives < 0:
        raise OptionError(
            f"n_alternatives（次善案の数）「{n_alternatives}」は使えません。0 以上の整数にしてください"
        )
    idx = candidates.index.astype(str)
    lk = _resolve_ids(locks, idx, "必ず含める")
    ex = _resolve_ids(exclusions, idx, "除外")
    ov = _resolve_ids(overrides, idx, "審査対象とする例外（eligibility_override）")
    p = _compile(candidates, spec.target, balance, lk, ex, ov)
    ks = list(range(spec.min or spec.target, (spec.max or spec.target) + 1))
    solve = _KernelSolver(p, max(ks), n_alternatives)
    by_k_sol: dict[int, tuple[int, ...] | None] = {}
    for kk in ks:
        if kk != spec.target:
            by_k_sol[kk] = solve(kk)
    sol = solve(p.k)
    by_k_sol[spec.target] = sol
    if sol is None:
        raise _infeasible_error(p, spec, [kk for kk in ks if by_k_sol[kk] is not None])
    alts = solve.alternatives(sol, n_alternatives)
    settings: dict[str, object] = {
        "k": spec.model_dump(),
        "balance": balance.model_dump(),
        "locks": lk,
        "exclusions": ex,
        "overrides": ov,
    }
    return _result(p, sol, alts, _by_k_frame(p, sol, by_k_sol, spec.target), settings)


def _result(
    p: _Problem,
    sol: tuple[int, ...],
    alts: list[tuple[int, ...]],
    by_k: pd.DataFrame,
    settings: dict[str, object],
) -> SelectionResult:
    """The result for the proposal ``sol``, its alternatives and the best of every k."""
    unc = _unconstrained(p)
    z = p.value(sol)
    zu = p.value(unc)
    ids = p.ids
    return SelectionResult(
        k=p.k,
        selected=[ids[i] for i in sol],
        total=z / _SCALE,
        unconstrained_top_k=[ids[i] for i in unc],
        unconstrained_total=zu / _SCALE,
        price_of_balance=(zu - z) / _SCALE,
        alternatives=[_alternative(p, sol, a) for a in alts],
        reasons=_reasons(p, sol, unc, alts, _values_with(p, sol)),
        by_k=by_k,
        settings=settings,
        names=dict(zip(ids, p.names)),
    )


class _KernelSolver:
    """The best selection of ``kk`` (with cuts), solved on the candidates that can matter
    to selections of up to ``k`` and ``extra`` alternatives (same results, see
    :func:`_kernel`); positions in ``p``."""

    def __init__(self, p: _Problem, k: int, extra: int) -> None:
        self.keep = _kernel(p, k, extra)
        self.q = p.subset(self.keep)
        self.q_at = {i: n for n, i in enumerate(self.keep)}

    def __call__(self, kk: int, cuts: Sequence[tuple[int, ...]] = ()) -> tuple[int, ...] | None:
        s = _best(self.q, k=kk, cuts=[tuple(self.q_at[i] for i in c) for c in cuts])
        return None if s is None else tuple(self.keep[i] for i in s)

    def alternatives(self, sol: tuple[int, ...], n: int) -> list[tuple[int, ...]]:
        """The next best ``n`` selections of ``len(sol)`` by no-good cuts, each
        lexicographically first among ties (fewer if fewer are feasible)."""
        alts: list[tuple[int, ...]] = []
        cuts: list[tuple[int, ...]] = [sol]
        for _ in range(n):
            nxt = self(len(sol), cuts)
            if nxt is None:
                break
            alts.append(nxt)
            cuts.append(nxt)
        return alts


def _unconstrained(p: _Problem) -> tuple[int, ...]:
    """Locks + the best remaining eligible applications, in rank order (no balance)."""
    avail = p.available(_ALL_GROUPS)
    locked = [i for i in range(p.n) if p.locked[i]]
    free = [i for i in range(p.n) if avail[i] and not p.locked[i]]
    return tuple(sorted(locked + free[: p.k - len(locked)]))


def _alternative(p: _Problem, sol: tuple[int, ...], a: tuple[int, ...]) -> Alternative:
    ids = p.ids
    return Alternative(
        selected=[ids[i] for i in a],
        total=p.value(a) / _SCALE,
        difference=(p.value(a) - p.value(sol)) / _SCALE,
        added=[ids[i] for i in a if i not in sol],
        removed=[ids[i] for i in sol if i not in a],
    )


def _by_k_frame(
    p: _Problem, sol: tuple[int, ...], by_k_sol: dict[int, tuple[int, ...] | None], target: int
) -> pd.DataFrame:
    """:attr:`SelectionResult.by_k` from the best selection of every k (None: infeasible)."""
    z = p.value(sol)
    ids = p.ids
    return pd.DataFrame(
        [
            {
                "k": kk,
                "feasible": s is not None,
                "total": p.value(s) / _SCALE if s is not None else np.nan,
                "difference": (p.value(s) - z) / _SCALE if s is not None else np.nan,
                "selected": ",".join(ids[i] for i in s) if s is not None else "",
                "is_target": kk == target,
            }
            for kk, s in sorted(by_k_sol.items())
        ]
    ).set_index("k")


def select_round(
    rnd: ReviewRound, totals: pd.DataFrame | pd.Series, *, n_alternatives: int = 3
) -> SelectionResult:
    """:func:`select` with the round's settings (``select``, ``balance``, ``locks``,
    ``exclusions``, ``eligibility_override`` of round.yaml) on the round's applications.

    The reason of every 対象外 application is the round's
    (:func:`scoring.round.status.application_statuses`): e.g. a late application not
    accepted is 「期限後提出（受理せず）のため対象外」 even without scores, and an
    application no reviewer is assigned to is 対象外 (担当審査員なし) even with scores.
    """
    cfg = rnd.config
    statuses = application_statuses(rnd, totals)
    unassigned = [str(a) for a, k in statuses["reason_key"].items() if k == "no_reviewer"]
    result = select(
        candidates_frame(totals, rnd.applications),
        cfg.select,
        cfg.balance,
        locks=cfg.locks,
        exclusions=[*cfg.exclusions, *unassigned],
        overrides=cfg.eligibility_override,
        n_alternatives=n_alternatives,
    )
    reasons = result.reasons
    out = reasons.index[(reasons["status"] == "対象外") & reasons.index.isin(statuses.index)]
    for a in out:
        if statuses.at[a, "理由"]:
            reasons.at[a, "reason"] = long_reason(str(statuses.at[a, "理由"]))
    return result
