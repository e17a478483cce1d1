"""The exact solver: the selection as a 0–1 integer program (HiGHS via
:func:`scipy.optimize.milp`), its ties, its kernel, the per-applicant best totals and the
diagnosis of an infeasible setting.

The selection, the alternatives (no-good cuts: each next solve excludes the selections
already found) and the best selection for every k of the range are MILPs. They run on a
kernel (:func:`_kernel`): applications with the same block, theme and 手上げ式/プッシュ型
are interchangeable for the balance settings, so only the best few of each such
signature can be in the best selections; the rest never enter a solve. Ties are broken
by fixing applications one at a time in rank order (one feasibility MILP each, skipped
when a bound rules them out), and only when a second selection reaches the same total.

The per-applicant ``gap`` (points needed to be selected) is the proposal's total minus the
best total of a selection that includes the applicant. It is computed per signature, not
per applicant (:func:`_values_with`): the best k - 1 others that an application of that
signature can join are one MILP with a locked 0-point placeholder, and most signatures
need not even that, because a one-for-one swap in the selection reaches the bound given
by the duals of one LP relaxation. So 200 applications take tens of solves, not one
search each (a branch and bound per applicant took minutes there).

An infeasible setting is diagnosed with a deletion filter over the constraint groups
(drop a group; if still infeasible it is not needed), which leaves a minimal conflicting
set that the message names.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Sequence

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from ._problem import _ALL_GROUPS, _BALANCE_GROUPS, _SCALE, _Problem

# ----------------------------------------------------------------------------------------
# MILP
# ----------------------------------------------------------------------------------------


_Model = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _model(
    p: _Problem,
    active: Collection[str] = _ALL_GROUPS,
    *,
    k: int | None = None,
    fix1: Collection[int] = (),
    fix0: Collection[int] = (),
    cuts: Sequence[Collection[int]] = (),
    min_units: int | None = None,
) -> _Model | None:
    """The 0–1 program as (c, lower, upper, A, row lower, row upper), variables x (one per
    candidate) then y (one per theme, if needed); None if the bounds alone are infeasible."""
    k = p.k if k is None else k
    n = p.n
    lb, ub = _bounds(p, active, fix1, fix0)
    if (lb > ub).any() or k > int(ub.sum()) or k < int(lb.sum()):
        return None
    themes = sorted({t for t in p.theme if t is not None})
    use_distinct = _use_distinct(p, active, k, ub)
    n_y = len(themes) if use_distinct else 0
    rows = _Rows(n + n_y)
    rows.add(rows.x(range(n)), k, k)
    _balance_rows(p, active, rows, themes)
    if use_distinct:
        _distinct_rows(p, rows, themes)
    for cut in cuts:
        rows.add(rows.x(cut), -np.inf, len(cut) - 1)
    values = np.array(p.units, dtype=float) / _SCALE
    if min_units is not None:
        r = np.zeros(n + n_y)
        r[:n] = values
        rows.add(r, (min_units - 0.5) / _SCALE, np.inf)
    c = np.concatenate([-values, np.zeros(n_y)])
    return (
        c,
        np.concatenate([lb, np.zeros(n_y)]),
        np.concatenate([ub, np.ones(n_y)]),
        np.vstack(rows.rows),
        np.array(rows.lo, dtype=float),
        np.array(rows.hi, dtype=float),
    )


class _Rows:
    """The constraint rows of the 0–1 program (``width`` variables) with their bounds."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.rows: list[np.ndarray] = []
        self.lo: list[float] = []
        self.hi: list[float] = []

    def add(self, row: np.ndarray, a: float, b: float) -> None:
        self.rows.append(row)
        self.lo.append(a)
        self.hi.append(b)

    def x(self, members: Iterable[int]) -> np.ndarray:
        """A row with 1 at the x variables ``members``."""
        r = np.zeros(self.width)
        for i in members:
            r[i] = 1.0
        return r


def _bounds(
    p: _Problem, active: Collection[str], fix1: Collection[int], fix0: Collection[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds of the x variables: availability, fixings and locks."""
    avail = p.available(active)
    lb = np.zeros(p.n)
    ub = np.array([1.0 if a else 0.0 for a in avail])
    for i in fix0:
        ub[i] = 0.0
    for i in fix1:
        lb[i] = 1.0
    if "locks" in active:
        for i in range(p.n):
            if p.locked[i]:
                lb[i] = 1.0
    return lb, ub


def _use_distinct(p: _Problem, active: Collection[str], k: int, ub: np.ndarray) -> bool:
    """Whether the program needs the y variables of ``min_distinct_themes``."""
    bal = p.balance
    use_distinct = "min_distinct_themes" in active and bal.min_distinct_themes is not None
    if use_distinct and "max_per_theme" in active and bal.max_per_theme is not None and bal.max_per_theme > 0:
        # implied by the theme cap: k selected, at most cap per theme, so at least
        # ceil((k - selected without a theme) / cap) themes; then the y variables only slow HiGHS
        no_theme = min(k, sum(1 for i in range(p.n) if ub[i] > 0 and p.theme[i] is None))
        if -(-(k - no_theme) // bal.max_per_theme) >= (bal.min_distinct_themes or 0):
            use_distinct = False
    return use_distinct


def _balance_rows(p: _Problem, active: Collection[str], rows: _Rows, themes: list[str]) -> None:
    """The caps per block and per theme, and the bounds on プッシュ型."""
    n = p.n
    bal = p.balance
    if "max_per_block" in active and bal.max_per_block is not None:
        for b in sorted({b for b in p.block if b is not None}):
            rows.add(rows.x(i for i in range(n) if p.block[i] == b), -np.inf, bal.max_per_block)
    if "max_per_theme" in active and bal.max_per_theme is not None:
        for t in themes:
            rows.add(rows.x(i for i in range(n) if p.theme[i] == t), -np.inf, bal.max_per_theme)
    push_row = rows.x(i for i in range(n) if p.push[i])
    if "max_push" in active and bal.max_push is not None:
        rows.add(push_row, -np.inf, bal.max_push)
    if "min_push" in active and bal.min_push is not None:
        rows.add(push_row, bal.min_push, np.inf)


def _distinct_rows(p: _Problem, rows: _Rows, themes: list[str]) -> None:
    """y_t ≤ Σ_{i in theme t} x_i for every theme, and Σ y_t ≥ min_distinct_themes."""
    n = p.n
    for j, t in enumerate(themes):
        r = -rows.x(i for i in range(n) if p.theme[i] == t)
        r[n + j] = 1.0
        rows.add(r, -np.inf, 0.0)
    r = np.zeros(rows.width)
    r[n:] = 1.0
    rows.add(r, float(p.balance.min_distinct_themes or 0), np.inf)


def _solve(
    p: _Problem,
    active: Collection[str] = _ALL_GROUPS,
    *,
    k: int | None = None,
    fix1: Collection[int] = (),
    fix0: Collection[int] = (),
    cuts: Sequence[Collection[int]] = (),
    min_units: int | None = None,
) -> tuple[int, ...] | None:
    """Best selection (indices in rank order) under the active groups, or None if infeasible."""
    m = _model(p, active, k=k, fix1=fix1, fix0=fix0, cuts=cuts, min_units=min_units)
    if m is None:
        return None
    c, lb, ub, a, lo, hi = m
    res = milp(
        c,
        integrality=np.ones(len(c)),
        bounds=Bounds(lb, ub),
        constraints=LinearConstraint(a, lo, hi),
        options={"mip_rel_gap": 0.0},
    )
    if res.status == 2:
        return None
    if res.status != 0 or res.x is None:
        raise RuntimeError(f"選定の最適化（HiGHS）が終了しませんでした: {res.message}")
    return tuple(i for i in range(p.n) if res.x[i] > 0.5)


def _lp_with_placeholder(
    p: _Problem, signatures: Iterable[tuple[str | None, str | None, bool]]
) -> dict[tuple[str | None, str | None, bool], float]:
    """Upper bounds (points) on the best k - 1 candidates that a candidate of each
    signature can join, from one LP relaxation of ``p`` and its duals.

    Weak duality: adding a column forced to 1 (the 0-point placeholder of the signature)
    to the LP, the optimal duals y of the LP stay feasible and bound the new optimum by
    z_LP + a·y, where a is the placeholder's column (the column of any candidate with
    that signature). Empty if the LP does not solve.
    """
    m = _model(p)
    if m is None:
        return {}
    c, lb, ub, a, lo, hi = m
    eq = lo == hi
    le = ~eq & np.isfinite(hi)
    ge = ~eq & np.isfinite(lo)
    a_ub = np.vstack([a[le], -a[ge]])
    res = linprog(
        c,
        A_ub=a_ub if len(a_ub) else None,
        b_ub=np.concatenate([hi[le], -lo[ge]]) if len(a_ub) else None,
        A_eq=a[eq],
        b_eq=lo[eq],
        bounds=np.column_stack([lb, ub]),
        method="highs",
    )
    if res.status != 0:
        return {}
    duals = np.zeros(len(lo))  # d objective (minimised) / d row bound, original rows
    duals[eq] = res.eqlin.marginals
    n_le = int(le.sum())
    duals[le] += res.ineqlin.marginals[:n_le]
    duals[ge] -= res.ineqlin.marginals[n_le:]
    z_lp = -float(res.fun)
    column: dict[tuple[str | None, str | None, bool], int] = {}
    for i in range(p.n):
        column.setdefault(p.signature(i), i)
    return {sig: z_lp + float(a[:, column[sig]] @ duals) for sig in signatures if sig in column}


def _swap_floor(p: _Problem, sol: Collection[int], sig: tuple[str | None, str | None, bool]) -> int | None:
    """Best total (units) of ``sol`` with one member (not locked) replaced by a 0-point
    candidate of signature ``sig``; None if no such swap is feasible. A lower bound on
    the best k - 1 others that a candidate of that signature can join."""
    bal = p.balance
    blk, thm, psh = sig
    bc = Counter(p.block[i] for i in sol if p.block[i] is not None)
    tc = Counter(p.theme[i] for i in sol if p.theme[i] is not None)
    n_push = sum(p.push[i] for i in sol)
    for s in sorted((i for i in sol if not p.locked[i]), key=lambda i: (p.units[i], -i)):
        bs, ts, ps = p.signature(s)
        if (
            blk is not None
            and bal.max_per_block is not None
            and bc[blk] - (bs == blk) + 1 > bal.max_per_block
        ):
            continue
        if (
            thm is not None
            and bal.max_per_theme is not None
            and tc[thm] - (ts == thm) + 1 > bal.max_per_theme
        ):
            continue
        np2 = n_push - ps + psh
        if (bal.max_push is not None and np2 > bal.max_push) or (
            bal.min_push is not None and np2 < bal.min_push
        ):
            continue
        if bal.min_distinct_themes is not None:
            themes = {t for t, n in tc.items() if n - (t == ts) > 0}
            if thm is not None:
                themes.add(thm)
            if len(themes) < bal.min_distinct_themes:
                continue
        return p.value(sol) - p.units[s]
    return None


def _lex_best(
    p: _Problem,
    sol: tuple[int, ...],
    active: Collection[str] = _ALL_GROUPS,
    *,
    k: int | None = None,
    cuts: Sequence[Collection[int]] = (),
    fix1: Collection[int] = (),
) -> tuple[int, ...]:
    """Among selections with the same value as ``sol``, the lexicographically first in rank
    order (prefer the higher-ranked application at the first difference)."""
    k = p.k if k is None else k
    target = p.value(sol)
    avail = p.available(active)
    ones: set[int] = set(fix1)
    zeros: set[int] = set()
    cur = set(sol)
    for i in range(p.n):
        if len(ones) == k:
            break
        if i in cur:
            ones.add(i)
            continue
        if not avail[i]:
            zeros.add(i)
            continue
        # upper bound: the decided ones, i, and the best of the undecided after i
        rest = sorted((p.units[j] for j in range(i + 1, p.n) if avail[j] and j not in ones), reverse=True)
        need = k - len(ones) - 1
        if need > len(rest) or sum(p.units[j] for j in ones) + p.units[i] + sum(rest[:need]) < target:
            zeros.add(i)
            continue
        trial = _solve(p, active, k=k, fix1=ones | {i}, fix0=zeros, cuts=cuts, min_units=target)
        if trial is not None and p.value(trial) >= target:
            ones.add(i)
            cur = set(trial)
        else:
            zeros.add(i)
    return tuple(sorted(cur))


def _best(
    p: _Problem,
    active: Collection[str] = _ALL_GROUPS,
    *,
    k: int | None = None,
    cuts: Sequence[Collection[int]] = (),
    fix1: Collection[int] = (),
) -> tuple[int, ...] | None:
    """The optimum, lexicographically first among ties (None if infeasible)."""
    sol = _solve(p, active, k=k, cuts=cuts, fix1=fix1)
    if sol is None:
        return None
    # the usual case: no other selection reaches the same total, so no tie to break
    if _solve(p, active, k=k, cuts=[*cuts, sol], fix1=fix1, min_units=p.value(sol)) is None:
        return sol
    return _lex_best(p, sol, active, k=k, cuts=cuts, fix1=fix1)


def _kernel(p: _Problem, k: int, extra: int) -> list[int]:
    """Positions that can matter to the best ``extra + 1`` selections of up to ``k``.

    Candidates with the same signature (block, theme, プッシュ型) are interchangeable for
    every balance setting, and a feasible selection holds at most
    :meth:`_Problem.class_cap` of them. Swapping a lower-ranked one for a higher-ranked
    one of the same signature keeps a selection feasible and makes it better (higher
    total, or the same total and first in rank order). So the r-th best selection uses
    only the ``cap + r - 1`` best of each signature; the locks are always kept. This
    makes the solves independent of how many low-ranked applications there are.
    """
    avail = p.available(_ALL_GROUPS)
    taken: Counter[tuple[str | None, str | None, bool]] = Counter()
    keep = []
    for i in range(p.n):  # rank order
        if p.locked[i]:
            keep.append(i)
            continue
        if not avail[i]:
            continue
        key = p.signature(i)
        if taken[key] < p.class_cap(i, k) + extra:
            taken[key] += 1
            keep.append(i)
    return keep


def _values_with(p: _Problem, sol: Collection[int], extra: int = 1) -> dict[int, int | None]:
    """For every available candidate not in ``sol``: the total (in 0.0001 points) of the
    best feasible selection that includes it, or None if no feasible selection does.

    One MILP per signature (block, theme, プッシュ型) instead of one per candidate: with
    a locked 0-point placeholder of the signature, the optimum T is the best k - 1 others
    that a candidate j of that signature can join, so j's best total is u_j + value(T)
    whenever j is not in T (exclusion of j changes nothing then). Only a non-selected j
    inside T needs its own solve (T without j). The solves run on :func:`_kernel` with
    one spare per signature, which keeps the exchange argument valid when j is excluded.
    """
    avail = p.available(_ALL_GROUPS)
    chosen = set(sol)
    groups: dict[tuple[str | None, str | None, bool], list[int]] = {}
    for j in range(p.n):
        if avail[j] and j not in chosen:
            groups.setdefault(p.signature(j), []).append(j)
    keep = _kernel(p, p.k, max(extra, 1))
    q = p.subset(keep)
    at = {i: n for n, i in enumerate(keep)}
    # most signatures are settled without a MILP: a one-for-one swap in the selection
    # (a lower bound) that reaches the LP dual bound (an upper bound) is the best
    upper = _lp_with_placeholder(q, groups)
    out: dict[int, int | None] = {}
    for sig, members in groups.items():
        floor = _swap_floor(p, sol, sig)
        if floor is not None and sig in upper and upper[sig] * _SCALE + 0.25 < floor + 1:
            out.update((j, p.units[j] + floor) for j in members)
            continue
        qv = q.with_placeholder(sig)
        t = _solve(qv)
        if t is None:
            out.update((j, None) for j in members)
            continue
        others = {keep[i] for i in t if i < q.n}
        h = p.value(others)
        for j in members:
            if j not in others:
                out[j] = p.units[j] + h
                continue
            t2 = _solve(qv, fix0=(at[j],))
            out[j] = None if t2 is None else p.units[j] + p.value(keep[i] for i in t2 if i < q.n)
    return out


# ----------------------------------------------------------------------------------------
# Infeasibility diagnosis
# ----------------------------------------------------------------------------------------


def _relevant_groups(p: _Problem) -> list[str]:
    bal = p.balance
    groups = ["locks"] if any(p.locked) else []
    if any(p.excluded):
        groups.append("exclusions")
    if any(p.ineligible):
        groups.append("eligibility")
    groups += [g for g in _BALANCE_GROUPS if getattr(bal, g) is not None]
    return groups


def _minimal_conflict(p: _Problem, fix1: Collection[int] = ()) -> list[str]:
    """A minimal infeasible set of constraint groups (deletion filter); ``count`` always."""
    keep = ["count", *_relevant_groups(p)]
    for g in list(keep[1:]):
        trial = [x for x in keep if x != g]
        if _solve(p, trial, fix1=fix1) is None:
            keep = trial
    return keep
