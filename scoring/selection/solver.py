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

Validated against brute-force enumeration of all k-subsets on random small instances
(``tests/selection/test_selection.py``, which holds the enumeration), including
infeasible ones and instances where the kernel leaves applications out: same selection,
same alternatives in the same order, same gaps, and the named conflict is irreducible;
and at 220 applications every gap against a MILP with the applicant forced in.
``benchmarks/bench_selection.py`` times 47, 200 and 1,741 applications.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from ..config.round import Balance, SelectSpec
from ..core.columns import CANDIDATE_COLUMNS, REASON_COLUMNS, TOTAL_DECIMALS
from ..core.errors import SelectionError
from ..core.normalize import parse_prefecture
from ..round.loader import ReviewRound

__all__ = [
    "CANDIDATE_COLUMNS",
    "CONSTRAINTS",
    "EXCLUSION_REASONS",
    "REASON_COLUMNS",
    "SCORE_DECIMALS",
    "STATUSES",
    "Alternative",
    "FastSelector",
    "SelectionInfeasible",
    "SelectionResult",
    "candidates_frame",
    "select",
    "select_round",
]

#: Status of an applicant in :attr:`SelectionResult.reasons`.
STATUSES: tuple[str, ...] = ("選定", "次点", "非選定", "対象外")
#: Why an applicant is 対象外 (the ``reason`` of :attr:`SelectionResult.reasons`); also used
#: by the tuning screen and the feedback letters (:mod:`scoring.analysis.status`).
EXCLUSION_REASONS: dict[str, str] = {
    "no_total": "採点がないため対象外",
    "exclusions": "委員会の判断（除外の指定）により対象外",
    "late": "期限後提出のため対象外",
    "errors": "応募書にエラーがあるため対象外",
    "withdrawn": "辞退のため対象外",
}
#: Constraint groups (keys used in messages, ``reasons.constraint`` and
#: :attr:`SelectionInfeasible.constraints`) with their Japanese names.
CONSTRAINTS: dict[str, str] = {
    "count": "選定数",
    "eligibility": "審査対象の条件（期限後提出・エラーのある応募・辞退は対象外）",
    "exclusions": "除外の指定",
    "locks": "必ず含める指定",
    "max_per_block": "地方ブロックあたりの上限",
    "max_per_theme": "重点テーマあたりの上限",
    "min_distinct_themes": "重点テーマの種類数の下限",
    "max_push": "プッシュ型の上限",
    "min_push": "プッシュ型の下限",
}
_BALANCE_GROUPS = ("max_per_block", "max_per_theme", "min_distinct_themes", "max_push", "min_push")
_ALL_GROUPS = frozenset(CONSTRAINTS)
#: Totals are rounded to this many decimals before they are compared (the rank's precision).
SCORE_DECIMALS = TOTAL_DECIMALS
_SCALE = 10**SCORE_DECIMALS
_PUSH = "プッシュ型"


def _pt(x: float) -> str:
    """Points with one decimal, rounded half up (6.25 → 6.3) as a Japanese reader expects."""
    from decimal import ROUND_HALF_UP, Decimal

    return str(Decimal(repr(float(x))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


class SelectionInfeasible(SelectionError):
    """No selection satisfies the settings.

    Attributes
    ----------
    constraints : tuple of str
        A minimal set of constraint groups (keys of :data:`CONSTRAINTS`) that cannot be
        met together: dropping any one of them makes the others satisfiable.
    feasible_k : tuple of int
        Other numbers of selections in the allowed range that would be feasible.
    """

    def __init__(self, message: str, constraints: Sequence[str] = (), feasible_k: Sequence[int] = ()):
        super().__init__(message)
        self.constraints = tuple(constraints)
        self.feasible_k = tuple(feasible_k)


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
            {"alternative": i, "total": a.total, "difference": a.difference,
             "selected": self._join(a.selected), "added": self._join(a.added), "removed": self._join(a.removed)}
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
# The compiled problem
# ----------------------------------------------------------------------------------------


@dataclass
class _Problem:
    ids: list[str]                  # all candidates, in rank order
    units: list[int]                # rounded totals in 1/_SCALE points (0 for missing)
    has_total: list[bool]
    block: list[str | None]
    theme: list[str | None]
    push: list[bool]
    ineligible: list[str]           # "" or the reason code: "withdrawn", "late", "errors"
    excluded: list[bool]
    locked: list[bool]
    k: int
    balance: Balance
    names: list[str]

    @property
    def n(self) -> int:
        return len(self.ids)

    def available(self, active: Collection[str]) -> list[bool]:
        """Whether each candidate may be selected under the active constraint groups."""
        out = []
        for i in range(self.n):
            ok = self.has_total[i]
            if "eligibility" in active and self.ineligible[i]:
                ok = False
            if "exclusions" in active and self.excluded[i]:
                ok = False
            out.append(ok)
        return out

    def value(self, sol: Iterable[int]) -> int:
        return sum(self.units[i] for i in sol)

    def signature(self, i: int) -> tuple[str | None, str | None, bool]:
        """What the balance settings see of candidate ``i``: (block, theme, プッシュ型)."""
        return self.block[i], self.theme[i], self.push[i]

    def class_cap(self, i: int, k: int) -> int:
        """Most candidates of ``i``'s signature that a feasible selection of ``k`` can hold."""
        bal = self.balance
        c = k
        if self.block[i] is not None and bal.max_per_block is not None:
            c = min(c, bal.max_per_block)
        if self.theme[i] is not None and bal.max_per_theme is not None:
            c = min(c, bal.max_per_theme)
        if self.push[i] and bal.max_push is not None:
            c = min(c, bal.max_push)
        return max(c, 0)

    def subset(self, keep: Sequence[int]) -> _Problem:
        """The problem restricted to the candidates ``keep`` (positions, in rank order)."""
        def take(xs: list[Any]) -> list[Any]:
            return [xs[i] for i in keep]

        return _Problem(ids=take(self.ids), units=take(self.units), has_total=take(self.has_total),
                        block=take(self.block), theme=take(self.theme), push=take(self.push),
                        ineligible=take(self.ineligible), excluded=take(self.excluded), locked=take(self.locked),
                        k=self.k, balance=self.balance, names=take(self.names))

    def with_placeholder(self, signature: tuple[str | None, str | None, bool]) -> _Problem:
        """The problem plus a locked placeholder candidate worth 0 points with the given
        signature (the last position): its optimum is the best k - 1 others that a
        candidate of that signature can join."""
        block, theme, push = signature
        return _Problem(ids=[*self.ids, ""], units=[*self.units, 0], has_total=[*self.has_total, True],
                        block=[*self.block, block], theme=[*self.theme, theme], push=[*self.push, push],
                        ineligible=[*self.ineligible, ""], excluded=[*self.excluded, False],
                        locked=[*self.locked, True], k=self.k, balance=self.balance, names=[*self.names, ""])

    def violations(self, sol: Collection[int], active: Collection[str] = _ALL_GROUPS) -> list[str]:
        """Constraint groups that the index set ``sol`` violates (``count`` included)."""
        bal = self.balance
        out: list[str] = []
        if len(sol) != self.k:
            out.append("count")
        if any(not self.has_total[i] for i in sol):
            out.append("eligibility")
        if "eligibility" in active and any(self.ineligible[i] for i in sol):
            out.append("eligibility")
        if "exclusions" in active and any(self.excluded[i] for i in sol):
            out.append("exclusions")
        if "locks" in active and any(self.locked[i] and i not in sol for i in range(self.n)):
            out.append("locks")
        if "max_per_block" in active and bal.max_per_block is not None:
            counts = Counter(self.block[i] for i in sol if self.block[i] is not None)
            if counts and max(counts.values()) > bal.max_per_block:
                out.append("max_per_block")
        if "max_per_theme" in active and bal.max_per_theme is not None:
            counts = Counter(self.theme[i] for i in sol if self.theme[i] is not None)
            if counts and max(counts.values()) > bal.max_per_theme:
                out.append("max_per_theme")
        if "min_distinct_themes" in active and bal.min_distinct_themes is not None \
                and len({self.theme[i] for i in sol if self.theme[i] is not None}) < bal.min_distinct_themes:
            out.append("min_distinct_themes")
        n_push = sum(self.push[i] for i in sol)
        if "max_push" in active and bal.max_push is not None and n_push > bal.max_push:
            out.append("max_push")
        if "min_push" in active and bal.min_push is not None and n_push < bal.min_push:
            out.append("min_push")
        return list(dict.fromkeys(out))


def _to_spec(k: int | tuple[int, ...] | SelectSpec) -> SelectSpec:
    if isinstance(k, SelectSpec):
        return k
    if isinstance(k, (int, np.integer)) and not isinstance(k, bool):
        return SelectSpec(target=int(k))
    if isinstance(k, tuple) and len(k) == 2:
        lo, hi = int(k[0]), int(k[1])
        return SelectSpec(target=(lo + hi) // 2, min=lo, max=hi)
    if isinstance(k, tuple) and len(k) == 3:
        return SelectSpec(min=int(k[0]), target=int(k[1]), max=int(k[2]))
    raise ValueError(f"選定数 k は整数、(最小, 最大)、(最小, 目標, 最大) または SelectSpec にしてください（指定: {k!r}）")


def _resolve_ids(values: Iterable[object], index: pd.Index, what: str) -> list[str]:
    out: list[str] = []
    for v in values:
        code = str(v)
        if code not in index:
            try:
                code = parse_prefecture(v)
            except ValueError:
                code = str(v)
        if code not in index:
            raise ValueError(f"{what}に指定された「{v}」は選定の候補（応募）にありません。都道府県コードまたは名前を確認してください")
        out.append(code)
    return list(dict.fromkeys(out))


def _nonempty(v: object) -> str | None:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return None
    s = str(v).strip()
    return s or None


def _compile(candidates: pd.DataFrame, k: int, balance: Balance, locks: Sequence[str],
             exclusions: Sequence[str], overrides: Sequence[str]) -> _Problem:
    missing = [c for c in CANDIDATE_COLUMNS if c not in candidates.columns]
    if missing:
        raise ValueError(f"選定の候補の表に列がありません: {'、'.join(missing)}（必要な列: {'、'.join(CANDIDATE_COLUMNS)}）")
    if not candidates.index.is_unique:
        raise ValueError("選定の候補の表で応募（application）が重複しています")
    df = candidates.copy()
    df.index = df.index.astype(str)
    total = pd.to_numeric(df["total"], errors="coerce").astype(float)
    if np.isinf(total).any():
        raise ValueError("合計点に無限大が含まれています")
    units = (total.fillna(0.0) * _SCALE).round().astype(np.int64)
    order = sorted(range(len(df)), key=lambda i: (0 if np.isfinite(total.iloc[i]) else 1,
                                                  -int(units.iloc[i]), df.index[i]))
    ids = [df.index[i] for i in order]
    name_col = df["prefecture_name"] if "prefecture_name" in df.columns else pd.Series(df.index, index=df.index)
    ov = set(overrides)
    exc = set(exclusions)
    lk = set(locks)
    pos = {a: n for n, a in enumerate(df.index)}
    cols = {c: df[c].tolist() for c in ("block", "theme", "application_type", "late", "has_errors")}
    names = name_col.tolist()
    units_l = units.tolist()
    total_l = total.tolist()

    # 辞退 (recorded by the 事務局, scoring.round.eligibility): optional column, never overridden
    cols["withdrawn"] = df["withdrawn"].tolist() if "withdrawn" in df.columns else [False] * len(df)

    def flag(col: str, i: str) -> bool:
        v = cols[col][pos[i]]
        return bool(v) if _nonempty(v) is not None else False

    inel = []
    for i in ids:
        reason = ""
        if flag("withdrawn", i):
            reason = "withdrawn"
        elif i not in ov:
            if flag("late", i):
                reason = "late"
            elif flag("has_errors", i):
                reason = "errors"
        inel.append(reason)
    return _Problem(
        ids=ids,
        units=[int(units_l[pos[i]]) for i in ids],
        has_total=[bool(np.isfinite(total_l[pos[i]])) for i in ids],
        block=[_nonempty(cols["block"][pos[i]]) for i in ids],
        theme=[_nonempty(cols["theme"][pos[i]]) for i in ids],
        push=[_nonempty(cols["application_type"][pos[i]]) == _PUSH for i in ids],
        ineligible=inel,
        excluded=[i in exc for i in ids],
        locked=[i in lk for i in ids],
        k=k,
        balance=balance,
        names=[_nonempty(names[pos[i]]) or i for i in ids],
    )


# ----------------------------------------------------------------------------------------
# MILP
# ----------------------------------------------------------------------------------------


_Model = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _model(p: _Problem, active: Collection[str] = _ALL_GROUPS, *, k: int | None = None,
           fix1: Collection[int] = (), fix0: Collection[int] = (),
           cuts: Sequence[Collection[int]] = (), min_units: int | None = None) -> _Model | None:
    """The 0–1 program as (c, lower, upper, A, row lower, row upper), variables x (one per
    candidate) then y (one per theme, if needed); None if the bounds alone are infeasible."""
    k = p.k if k is None else k
    n = p.n
    bal = p.balance
    avail = p.available(active)
    lb = np.zeros(n)
    ub = np.array([1.0 if a else 0.0 for a in avail])
    for i in fix0:
        ub[i] = 0.0
    for i in fix1:
        lb[i] = 1.0
    if "locks" in active:
        for i in range(n):
            if p.locked[i]:
                lb[i] = 1.0
    if (lb > ub).any() or k > int(ub.sum()) or k < int(lb.sum()):
        return None
    use_distinct = "min_distinct_themes" in active and bal.min_distinct_themes is not None
    if use_distinct and "max_per_theme" in active and bal.max_per_theme is not None and bal.max_per_theme > 0:
        # implied by the theme cap: k selected, at most cap per theme, so at least
        # ceil((k - selected without a theme) / cap) themes; then the y variables only slow HiGHS
        no_theme = min(k, sum(1 for i in range(n) if ub[i] > 0 and p.theme[i] is None))
        if -(-(k - no_theme) // bal.max_per_theme) >= (bal.min_distinct_themes or 0):
            use_distinct = False
    themes = sorted({t for t in p.theme if t is not None})
    n_y = len(themes) if use_distinct else 0
    rows: list[np.ndarray] = []
    lo: list[float] = []
    hi: list[float] = []

    def add(row: np.ndarray, a: float, b: float) -> None:
        rows.append(row)
        lo.append(a)
        hi.append(b)

    def xrow(members: Iterable[int]) -> np.ndarray:
        r = np.zeros(n + n_y)
        for i in members:
            r[i] = 1.0
        return r

    add(xrow(range(n)), k, k)
    if "max_per_block" in active and bal.max_per_block is not None:
        for b in sorted({b for b in p.block if b is not None}):
            add(xrow(i for i in range(n) if p.block[i] == b), -np.inf, bal.max_per_block)
    if "max_per_theme" in active and bal.max_per_theme is not None:
        for t in themes:
            add(xrow(i for i in range(n) if p.theme[i] == t), -np.inf, bal.max_per_theme)
    push_row = xrow(i for i in range(n) if p.push[i])
    if "max_push" in active and bal.max_push is not None:
        add(push_row, -np.inf, bal.max_push)
    if "min_push" in active and bal.min_push is not None:
        add(push_row, bal.min_push, np.inf)
    if use_distinct:
        for j, t in enumerate(themes):
            r = -xrow(i for i in range(n) if p.theme[i] == t)
            r[n + j] = 1.0
            add(r, -np.inf, 0.0)
        r = np.zeros(n + n_y)
        r[n:] = 1.0
        add(r, float(bal.min_distinct_themes or 0), np.inf)
    for cut in cuts:
        add(xrow(cut), -np.inf, len(cut) - 1)
    values = np.array(p.units, dtype=float) / _SCALE
    if min_units is not None:
        r = np.zeros(n + n_y)
        r[:n] = values
        add(r, (min_units - 0.5) / _SCALE, np.inf)
    c = np.concatenate([-values, np.zeros(n_y)])
    return (c, np.concatenate([lb, np.zeros(n_y)]), np.concatenate([ub, np.ones(n_y)]),
            np.vstack(rows), np.array(lo, dtype=float), np.array(hi, dtype=float))


def _solve(p: _Problem, active: Collection[str] = _ALL_GROUPS, *, k: int | None = None,
           fix1: Collection[int] = (), fix0: Collection[int] = (),
           cuts: Sequence[Collection[int]] = (), min_units: int | None = None) -> tuple[int, ...] | None:
    """Best selection (indices in rank order) under the active groups, or None if infeasible."""
    m = _model(p, active, k=k, fix1=fix1, fix0=fix0, cuts=cuts, min_units=min_units)
    if m is None:
        return None
    c, lb, ub, a, lo, hi = m
    res = milp(c, integrality=np.ones(len(c)), bounds=Bounds(lb, ub), constraints=LinearConstraint(a, lo, hi),
               options={"mip_rel_gap": 0.0})
    if res.status == 2:
        return None
    if res.status != 0 or res.x is None:
        raise RuntimeError(f"選定の最適化（HiGHS）が終了しませんでした: {res.message}")
    return tuple(i for i in range(p.n) if res.x[i] > 0.5)


def _lp_with_placeholder(p: _Problem, signatures: Iterable[tuple[str | None, str | None, bool]]
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
    res = linprog(c, A_ub=a_ub if len(a_ub) else None, b_ub=np.concatenate([hi[le], -lo[ge]]) if len(a_ub) else None,
                  A_eq=a[eq], b_eq=lo[eq], bounds=np.column_stack([lb, ub]), method="highs")
    if res.status != 0:
        return {}
    duals = np.zeros(len(lo))          # d objective (minimised) / d row bound, original rows
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
        if blk is not None and bal.max_per_block is not None and bc[blk] - (bs == blk) + 1 > bal.max_per_block:
            continue
        if thm is not None and bal.max_per_theme is not None and tc[thm] - (ts == thm) + 1 > bal.max_per_theme:
            continue
        np2 = n_push - ps + psh
        if (bal.max_push is not None and np2 > bal.max_push) or (bal.min_push is not None and np2 < bal.min_push):
            continue
        if bal.min_distinct_themes is not None:
            themes = {t for t, n in tc.items() if n - (t == ts) > 0}
            if thm is not None:
                themes.add(thm)
            if len(themes) < bal.min_distinct_themes:
                continue
        return p.value(sol) - p.units[s]
    return None


def _lex_best(p: _Problem, sol: tuple[int, ...], active: Collection[str] = _ALL_GROUPS, *,
              k: int | None = None, cuts: Sequence[Collection[int]] = (),
              fix1: Collection[int] = ()) -> tuple[int, ...]:
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


def _best(p: _Problem, active: Collection[str] = _ALL_GROUPS, *, k: int | None = None,
          cuts: Sequence[Collection[int]] = (), fix1: Collection[int] = ()) -> tuple[int, ...] | None:
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
    for i in range(p.n):          # rank order
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


def _facts(p: _Problem, groups: Sequence[str]) -> list[str]:
    """Japanese sentences that explain why the groups conflict, about the actual settings."""
    bal = p.balance
    avail = [i for i, a in enumerate(p.available(_ALL_GROUPS)) if a]
    k = p.k
    out: list[str] = []
    scored = sum(p.has_total)
    nm = p.names
    if set(groups) == {"count"}:
        out.append(f"採点のある応募は {scored} 件で、{k} 件を選べません。" if scored < k else
                   f"選定数 {k} 件を満たせません。")
    if ("eligibility" in groups or "exclusions" in groups) and len(avail) < k:
        out.append(f"審査対象として選べる応募は {len(avail)} 件で、{k} 件を選べません（期限後提出・エラーあり・辞退・除外を除く）。")
    lk = [i for i in range(p.n) if p.locked[i]]
    if "locks" in groups:
        desc = "、".join(f"{nm[i]}（{p.block[i] or '-'}・テーマ{p.theme[i] or '-'}・{'プッシュ型' if p.push[i] else '手上げ式'}）"
                        for i in lk)
        out.append(f"必ず含める指定: {desc}。")
        bad = [i for i in lk if not p.has_total[i]]
        if bad:
            out.append(f"{'、'.join(nm[i] for i in bad)} には採点がありません。")
        bad = [i for i in lk if p.ineligible[i]]
        if bad and "eligibility" in groups:
            out.append(f"{'、'.join(nm[i] for i in bad)} は期限後提出・エラー・辞退のため審査対象外です"
                       "（期限後提出は python -m scoring eligibility accept-late で受理を記録でき、"
                       "エラーのある応募は round.yaml の eligibility_override で対象にできます）。")
        bad = [i for i in lk if p.excluded[i]]
        if bad and "exclusions" in groups:
            out.append(f"{'、'.join(nm[i] for i in bad)} は除外にも指定されています。")
        if len(lk) > k:
            out.append(f"必ず含める指定が {len(lk)} 件あり、選定数 {k} 件を超えます。")
    locks_in = "locks" in groups and lk

    def over_cap(attr: str, cap: int, label: str) -> None:
        values = pd.Series([getattr(p, attr)[i] for i in lk if getattr(p, attr)[i] is not None], dtype=object)
        for value, n in values.value_counts().items():
            if n > cap:
                who = "・".join(nm[i] for i in lk if getattr(p, attr)[i] == value)
                out.append(f"必ず含める {who} は{label}『{value}』が同じで、上限 {cap} 件を超えます。")

    if "max_per_block" in groups and bal.max_per_block is not None:
        blocks = pd.Series([p.block[i] for i in avail if p.block[i] is not None], dtype=object).value_counts()
        cap = int(np.minimum(blocks.to_numpy(), bal.max_per_block).sum()) + sum(p.block[i] is None for i in avail)
        if cap < k:
            out.append(f"選べる応募は {len(blocks)} の地方ブロックにあり、1ブロック {bal.max_per_block} 件までだと最大 {cap} 件しか選べません。")
        if locks_in:
            over_cap("block", bal.max_per_block, "地方ブロック")
    if "max_per_theme" in groups and bal.max_per_theme is not None:
        themes = pd.Series([p.theme[i] for i in avail if p.theme[i] is not None], dtype=object).value_counts()
        cap = int(np.minimum(themes.to_numpy(), bal.max_per_theme).sum()) + sum(p.theme[i] is None for i in avail)
        if cap < k:
            out.append(f"選べる応募の重点テーマは {len(themes)} 種類で、1テーマ {bal.max_per_theme} 件までだと最大 {cap} 件しか選べません。")
        if locks_in:
            over_cap("theme", bal.max_per_theme, "重点テーマ")
    if "min_distinct_themes" in groups and bal.min_distinct_themes is not None:
        themes_avail = sorted({str(p.theme[i]) for i in avail if p.theme[i] is not None})
        t = bal.min_distinct_themes
        if k < t:
            out.append(f"選定数 {k} 件では、重点テーマを {t} 種類以上にできません。")
        out.append(f"選べる応募の重点テーマは {len(themes_avail)} 種類（{'、'.join(themes_avail) or 'なし'}）です。")
    if "max_push" in groups or "min_push" in groups:
        n_push = sum(p.push[i] for i in avail)
        out.append(f"選べる応募はプッシュ型 {n_push} 件・手上げ式 {len(avail) - n_push} 件です。")
        if bal.min_push is not None and bal.max_push is not None and bal.min_push > bal.max_push:
            out.append(f"プッシュ型の下限 {bal.min_push} 件が上限 {bal.max_push} 件を超えています。")
        if locks_in and bal.max_push is not None and sum(p.push[i] for i in lk) > bal.max_push:
            out.append(f"必ず含める指定のうちプッシュ型が {sum(p.push[i] for i in lk)} 件あり、上限 {bal.max_push} 件を超えます。")
    if not out:
        out.append("個々の条件は満たせますが、組み合わせると満たせません。")
    return out


def _group_label(p: _Problem, g: str) -> str:
    bal = p.balance
    nm = p.names
    if g == "count":
        return f"選定数（{p.k}件、round.yaml の select）"
    if g == "eligibility":
        return f"{CONSTRAINTS[g]}"
    if g == "exclusions":
        return f"除外の指定（{'、'.join(nm[i] for i in range(p.n) if p.excluded[i])}）"
    if g == "locks":
        return f"必ず含める指定（{'、'.join(nm[i] for i in range(p.n) if p.locked[i])}）"
    unit = "種類以上" if g == "min_distinct_themes" else "件"
    return f"{CONSTRAINTS[g]}（{getattr(bal, g)}{unit}、round.yaml の balance.{g}）"


def _infeasible_error(p: _Problem, spec: SelectSpec, feasible_k: Sequence[int]) -> SelectionInfeasible:
    groups = _minimal_conflict(p)
    labels = "、".join(_group_label(p, g) for g in groups)
    lines = [
        "選定の条件をすべて満たす選び方がありません。",
        f"両立しない条件: {labels}",
        *(f"・{f}" for f in _facts(p, groups)),
    ]
    if feasible_k:
        lines.append(f"選定数を {'・'.join(map(str, feasible_k))} 件にすれば条件を満たせます（許容範囲 {spec.min or spec.target}〜{spec.max or spec.target} 件）。")
    lines.append("対処: 上の条件のいずれかを round.yaml で緩めるか、必ず含める／除外の指定を見直してください。")
    return SelectionInfeasible("\n".join(lines), [g for g in groups], feasible_k)


# ----------------------------------------------------------------------------------------
# Reasons
# ----------------------------------------------------------------------------------------


def _cap_occupants(p: _Problem, sol: Collection[int], j: int) -> list[tuple[str, list[int]]]:
    """Cap constraints that adding ``j`` to ``sol`` would break, each with the members
    of ``sol`` that fill it."""
    bal = p.balance
    out: list[tuple[str, list[int]]] = []
    if bal.max_per_block is not None and p.block[j] is not None:
        occ = [i for i in sol if p.block[i] == p.block[j]]
        if len(occ) >= bal.max_per_block:
            out.append(("max_per_block", occ))
    if bal.max_per_theme is not None and p.theme[j] is not None:
        occ = [i for i in sol if p.theme[i] == p.theme[j]]
        if len(occ) >= bal.max_per_theme:
            out.append(("max_per_theme", occ))
    if bal.max_push is not None and p.push[j]:
        occ = [i for i in sol if p.push[i]]
        if len(occ) >= bal.max_push:
            out.append(("max_push", occ))
    return out


def _cap_phrase(p: _Problem, key: str, j: int) -> str:
    bal = p.balance
    if key == "max_per_block":
        return f"地方ブロック『{p.block[j]}』の上限（{bal.max_per_block}件）"
    if key == "max_per_theme":
        return f"重点テーマ{p.theme[j]}の上限（{bal.max_per_theme}件）"
    return f"プッシュ型の上限（{bal.max_push}件）"


def _swap_phrase(p: _Problem, key: str) -> str:
    bal = p.balance
    if key == "min_distinct_themes":
        return f"重点テーマを{bal.min_distinct_themes}種類以上とする条件"
    if key == "min_push":
        return f"プッシュ型を{bal.min_push}件以上とする条件"
    if key == "locks":
        return "必ず含める指定"
    if key == "max_per_block":
        return f"地方ブロックの上限（{bal.max_per_block}件）"
    if key == "max_per_theme":
        return f"重点テーマの上限（{bal.max_per_theme}件）"
    if key == "max_push":
        return f"プッシュ型の上限（{bal.max_push}件）"
    return CONSTRAINTS.get(key, key)


def _reasons(p: _Problem, sol: tuple[int, ...], unconstrained: tuple[int, ...],
             alternatives: Sequence[tuple[int, ...]], values: dict[int, int | None]) -> pd.DataFrame:
    """The reasons table; ``values`` as from :func:`_values_with`."""
    avail = p.available(_ALL_GROUPS)
    # the one rank (scoring.core.columns.review_rank): among eligible applications, by the total
    # at TOTAL_DECIMALS (p.units), equal totals sharing the best rank
    units = sorted(p.units[i] for i in range(p.n) if avail[i])
    ranks: dict[int, int] = {i: 1 + len(units) - bisect.bisect_right(units, p.units[i])
                             for i in range(p.n) if avail[i]}
    chosen = set(sol)
    in_alt = set().union(*[set(a) for a in alternatives]) if alternatives else set()
    top = set(unconstrained)
    z = p.value(sol)
    line = min(p.units[i] for i in sol)
    nm = p.names
    k = p.k
    bal = p.balance
    conflicts: dict[tuple[str | None, str | None, bool], list[str]] = {}
    rows = []
    for j in range(p.n):
        total = p.units[j] / _SCALE if p.has_total[j] else np.nan
        row: dict[str, object] = {"application": p.ids[j], "prefecture_name": nm[j], "rank": ranks.get(j, pd.NA),
                                  "total": total, "gap": np.nan, "constraint": "", "related": ""}
        if not avail[j]:
            row["status"] = "対象外"
            if p.ineligible[j] == "withdrawn":
                row["reason"] = EXCLUSION_REASONS["withdrawn"]
                row["constraint"] = "eligibility"
            elif not p.has_total[j]:
                row["reason"] = EXCLUSION_REASONS["no_total"]
            elif p.excluded[j]:
                row["reason"] = EXCLUSION_REASONS["exclusions"]
                row["constraint"] = "exclusions"
            elif p.ineligible[j] == "late":
                row["reason"] = EXCLUSION_REASONS["late"]
                row["constraint"] = "eligibility"
            else:
                row["reason"] = EXCLUSION_REASONS["errors"]
                row["constraint"] = "eligibility"
        elif j in chosen:
            row["status"] = "選定"
            if p.locked[j]:
                row["reason"] = f"選定（得点順 {ranks[j]}位、必ず含める指定）"
                row["constraint"] = "locks"
            elif j in top:
                row["reason"] = f"選定（得点順 {ranks[j]}位）"
            else:
                rest = [i for i in sol if i != j]
                needed = []
                if bal.min_distinct_themes is not None and p.theme[j] is not None \
                        and all(p.theme[i] != p.theme[j] for i in rest) \
                        and len({p.theme[i] for i in sol if p.theme[i] is not None}) <= bal.min_distinct_themes:
                    needed.append("min_distinct_themes")
                if bal.min_push is not None and p.push[j] and sum(p.push[i] for i in sol) <= bal.min_push:
                    needed.append("min_push")
                if needed:
                    row["reason"] = (f"選定（得点順 {ranks[j]}位。{'・'.join(_swap_phrase(p, g) for g in needed)}を"
                                     "満たすため）")
                    row["constraint"] = ",".join(needed)
                else:
                    displaced = [i for i in top if i not in chosen]
                    row["reason"] = (f"選定（得点順 {ranks[j]}位。上位の {'・'.join(nm[i] for i in sorted(displaced))} が"
                                     "バランスの条件で選外となったため繰り上げ）")
                    row["related"] = ",".join(p.ids[i] for i in sorted(displaced))
        else:
            row["status"] = "次点" if j in in_alt else "非選定"
            value_j = values[j]
            row["gap"] = (z - value_j) / _SCALE if value_j is not None else np.nan
            caps = _cap_occupants(p, sol, j)
            lower = [s for s in sol if s > j]   # selected but ranked below j
            where = f"本来は上位{k}位以内" if j in top else f"得点順 {ranks[j]}位"
            if value_j is None:
                # whether a selection can include j depends only on its signature
                sig = p.signature(j)
                if sig not in conflicts:
                    conflicts[sig] = [g for g in _minimal_conflict(p, fix1=(j,)) if g != "count"]
                groups = conflicts[sig]
                row["constraint"] = ",".join(groups)
                row["reason"] = f"{'・'.join(_swap_phrase(p, g) for g in groups) or '選定の条件'}により、この応募を含む選び方がないため選外"
            elif not lower:
                gap = float(row["gap"])  # type: ignore[arg-type]
                same = p.units[j] == line
                text = f"選定ラインまで {_pt(gap)} 点不足"
                if same and gap == 0:
                    text = "選定ラインと同点（同点の場合は都道府県コードの小さい順に選定）のため選外"
                if caps:
                    key, occ = caps[0]
                    text += f"（なお{_cap_phrase(p, key, j)}は {'・'.join(nm[i] for i in occ)} で埋まっています）"
                    row["constraint"] = key
                    row["related"] = ",".join(p.ids[i] for i in occ)
                row["reason"] = text
            else:
                full = [(key, occ) for key, occ in caps if all(i < j for i in occ)]
                if full:
                    key, occ = full[0]
                    row["constraint"] = key
                    row["related"] = ",".join(p.ids[i] for i in occ)
                    row["reason"] = (f"{_cap_phrase(p, key, j)}により、より得点の高い {'・'.join(nm[i] for i in occ)} が"
                                     f"優先されたため選外（{where}）")
                else:
                    by_violation: dict[tuple[str, ...], list[int]] = {}
                    for s in lower:
                        swap = [i for i in sol if i != s] + [j]
                        v = tuple(g for g in p.violations(swap) if g != "count")
                        by_violation.setdefault(v, []).append(s)
                    parts = [f"{'・'.join(nm[s] for s in ss)} と入れ替えると{'・'.join(_swap_phrase(p, g) for g in v)}を満たさない"
                             if v else f"{'・'.join(nm[s] for s in ss)} と入れ替えても合計点が上がらない"
                             for v, ss in by_violation.items()]
                    keys = list(dict.fromkeys(g for v in by_violation for g in v))
                    row["constraint"] = ",".join(keys)
                    row["related"] = ",".join(p.ids[s] for s in lower)
                    row["reason"] = f"得点の低い選定案との入れ替えができないため選外（{where}）: {'。'.join(parts)}"
        rows.append(row)
    df = pd.DataFrame(rows).set_index("application")
    df["rank"] = df["rank"].astype("Int64")
    df["total"] = df["total"].astype(float)
    df["gap"] = df["gap"].astype(float)
    return df[list(REASON_COLUMNS)]


# ----------------------------------------------------------------------------------------
# Public API
# ----------------------------------------------------------------------------------------


def candidates_frame(totals: pd.DataFrame | pd.Series, applications: pd.DataFrame) -> pd.DataFrame:
    """Join combined totals with the application facts that the selection needs.

    Parameters
    ----------
    totals : DataFrame with column ``total`` or Series
        Index ``application``; total on the 0–100 scale (as from :func:`scoring.combine.combiners.combine`).
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
        raise ValueError(f"応募の表に列がありません: {'、'.join(missing)}")
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
        raise ValueError("n_alternatives は 0 以上にしてください")
    idx = candidates.index.astype(str)
    lk = _resolve_ids(locks, idx, "必ず含める")
    ex = _resolve_ids(exclusions, idx, "除外")
    ov = _resolve_ids(overrides, idx, "審査対象とする例外（eligibility_override）")
    p = _compile(candidates, spec.target, balance, lk, ex, ov)
    ks = list(range(spec.min or spec.target, (spec.max or spec.target) + 1))
    # every solve below runs on the candidates that can matter (same results, see _kernel)
    keep = _kernel(p, max(ks), n_alternatives)
    q = p.subset(keep)

    def solve(kk: int, cuts: Sequence[tuple[int, ...]] = ()) -> tuple[int, ...] | None:
        s = _best(q, k=kk, cuts=[tuple(q_at[i] for i in c) for c in cuts])
        return None if s is None else tuple(keep[i] for i in s)

    q_at = {i: n for n, i in enumerate(keep)}
    by_k_sol: dict[int, tuple[int, ...] | None] = {}
    for kk in ks:
        if kk != spec.target:
            by_k_sol[kk] = solve(kk)
    sol = solve(p.k)
    by_k_sol[spec.target] = sol
    if sol is None:
        raise _infeasible_error(p, spec, [kk for kk in ks if by_k_sol[kk] is not None])

    # alternatives: next best by no-good cuts, each lexicographically first among ties
    alts: list[tuple[int, ...]] = []
    cuts: list[tuple[int, ...]] = [sol]
    for _ in range(n_alternatives):
        nxt = solve(p.k, cuts)
        if nxt is None:
            break
        alts.append(nxt)
        cuts.append(nxt)

    # unconstrained: locks + the best remaining eligible applications, in rank order
    avail = p.available(_ALL_GROUPS)
    locked = [i for i in range(p.n) if p.locked[i]]
    free = [i for i in range(p.n) if avail[i] and not p.locked[i]]
    unc = tuple(sorted(locked + free[: p.k - len(locked)]))

    z = p.value(sol)
    zu = p.value(unc)
    ids = p.ids
    alternatives = [
        Alternative(
            selected=[ids[i] for i in a],
            total=p.value(a) / _SCALE,
            difference=(p.value(a) - z) / _SCALE,
            added=[ids[i] for i in a if i not in sol],
            removed=[ids[i] for i in sol if i not in a],
        )
        for a in alts
    ]
    by_k = pd.DataFrame(
        [{"k": kk, "feasible": s is not None,
          "total": p.value(s) / _SCALE if s is not None else np.nan,
          "difference": (p.value(s) - z) / _SCALE if s is not None else np.nan,
          "selected": ",".join(ids[i] for i in s) if s is not None else "",
          "is_target": kk == spec.target}
         for kk, s in sorted(by_k_sol.items())]
    ).set_index("k")
    return SelectionResult(
        k=p.k,
        selected=[ids[i] for i in sol],
        total=z / _SCALE,
        unconstrained_top_k=[ids[i] for i in unc],
        unconstrained_total=zu / _SCALE,
        price_of_balance=(zu - z) / _SCALE,
        alternatives=alternatives,
        reasons=_reasons(p, sol, unc, alts, _values_with(p, sol)),
        by_k=by_k,
        settings={"k": spec.model_dump(), "balance": balance.model_dump(), "locks": lk,
                  "exclusions": ex, "overrides": ov},
        names=dict(zip(ids, p.names)),
    )


def select_round(rnd: ReviewRound, totals: pd.DataFrame | pd.Series, *, n_alternatives: int = 3) -> SelectionResult:
    """:func:`select` with the round's settings (``select``, ``balance``, ``locks``,
    ``exclusions``, ``eligibility_override`` of round.yaml) on the round's applications."""
    cfg = rnd.config
    return select(
        candidates_frame(totals, rnd.applications),
        cfg.select,
        cfg.balance,
        locks=cfg.locks,
        exclusions=cfg.exclusions,
        overrides=cfg.eligibility_override,
        n_alternatives=n_alternatives,
    )


# ----------------------------------------------------------------------------------------
# Fast exact selection for resampling loops
# ----------------------------------------------------------------------------------------


class FastSelector:
    """Exact branch-and-bound selection for many score vectors over the same candidates.

    Used by :mod:`scoring.selection.stability`, where the selection is solved once per resample.
    Candidates, k, balance, locks, exclusions and overrides are fixed at construction;
    :meth:`select` takes a vector of totals and returns the same selection as
    :func:`select` (same objective, same 0.0001-point rounding, same tie rule), which
    the tests check against the MILP and against brute force.

    Each call first keeps only the kernel (the best ``cap`` applications of every
    signature, see :func:`_kernel`), so the work does not grow with the number of
    low-ranked applications. The search goes through the applications in rank order,
    including before excluding, so the first optimum it finds is the lexicographically
    first one. It prunes with
    the sum of the next best totals, with the locks still to include, and with the
    themes and プッシュ型 applications still available for the lower bounds.

    Parameters
    ----------
    candidates : DataFrame
        As for :func:`select`; its ``total`` column is ignored.
    k : int
        Number to select.
    balance, locks, exclusions, overrides
        As for :func:`select`.
    """

    def __init__(self, candidates: pd.DataFrame, k: int, balance: Balance | None = None, *,
                 locks: Iterable[str] = (), exclusions: Iterable[str] = (), overrides: Iterable[str] = ()):
        balance = balance if balance is not None else Balance()
        c = candidates.copy()
        c["total"] = 0.0
        c = c.sort_index()
        c.index = c.index.astype(str)
        idx = c.index
        p = _compile(c, int(k), balance, _resolve_ids(locks, idx, "必ず含める"),
                     _resolve_ids(exclusions, idx, "除外"), _resolve_ids(overrides, idx, "審査対象とする例外"))
        # _compile sorted by id (all totals 0); keep that order as the column order
        self._setup(p)

    def _setup(self, p: _Problem) -> None:
        self.ids: list[str] = list(p.ids)
        self.k = p.k
        self.balance = p.balance
        avail = p.available(_ALL_GROUPS)
        self._avail = np.array(avail)
        blocks = sorted({b for b in p.block if b is not None})
        themes = sorted({t for t in p.theme if t is not None})
        self._block = [blocks.index(b) if b is not None else -1 for b in p.block]
        self._theme = [themes.index(t) if t is not None else -1 for t in p.theme]
        self._push = [bool(x) for x in p.push]
        self._locked = [bool(x) for x in p.locked]
        self._locked_arr = np.array(self._locked, dtype=bool)
        self._n_blocks = len(blocks)
        self._n_themes = len(themes)
        self._lock_ok = all(avail[i] for i in range(len(avail)) if p.locked[i])
        # signature classes for the kernel (see _kernel): how many of each can matter
        sigs: dict[tuple[str | None, str | None, bool], int] = {}
        self._class = np.array([sigs.setdefault(p.signature(i), len(sigs)) for i in range(p.n)], dtype=np.intp)
        self._class_cap = np.array([len(p.ids) + 1 if p.locked[i] else p.class_cap(i, p.k) for i in range(p.n)],
                                   dtype=np.intp)

    def select(self, totals: np.ndarray | Sequence[float], hint: Sequence[int] | None = None) -> list[int] | None:
        """Positions (into :attr:`ids`) of the best selection in rank order, or None if
        infeasible. ``totals`` has one value per entry of :attr:`ids` (the candidates'
        ids, sorted), in that order; NaN totals are not eligible.

        ``hint``: positions of any feasible selection (e.g. the previous resample's); it
        only speeds up the search (its value is a lower bound), the result is the same."""
        t = np.asarray(totals, dtype=float)
        ok = self._avail & np.isfinite(t)
        units = np.where(ok, np.round(np.nan_to_num(t) * _SCALE), 0).astype(np.int64)
        # rank order: total descending, then id ascending (ids are sorted)
        ranked = np.lexsort((np.arange(len(t)), -units))
        ranked = ranked[ok[ranked]]
        if not self._lock_ok or (self._locked_arr & ~ok).any():
            return None
        # the kernel: only the best class_cap of each signature can be in the optimum
        cls = self._class[ranked]
        by_class = np.argsort(cls, kind="stable")
        sorted_cls = cls[by_class]
        starts = np.flatnonzero(np.r_[True, sorted_cls[1:] != sorted_cls[:-1]])
        first = np.repeat(starts, np.diff(np.r_[starts, len(sorted_cls)]))
        occurrence = np.empty(len(ranked), dtype=np.intp)
        occurrence[by_class] = np.arange(len(ranked)) - first
        kept = ranked[occurrence < self._class_cap[ranked]]
        floor = None
        if hint is not None and len(hint) == self.k and all(ok[i] for i in hint):
            floor = int(units[list(hint)].sum()) - 1   # the hint itself is still found
        return self._search(kept.tolist(), dict(zip(kept.tolist(), units[kept].tolist())), known=floor)

    def select_ids(self, totals: np.ndarray | Sequence[float]) -> list[str] | None:
        """Like :meth:`select` but returns application ids."""
        sel = self.select(totals)
        return None if sel is None else [self.ids[i] for i in sel]

    def _search(self, order: list[int], units: Mapping[int, int], known: int | None = None) -> list[int] | None:
        """Branch and bound over the positions ``order`` (rank order) with integer totals
        ``units`` (position → units); with ``known``, only selections worth more than
        ``known`` are returned (None if there is none)."""
        k = self.k
        bal = self.balance
        n = len(order)
        if n < k:
            return None
        inf = 1 << 30
        bcap = bal.max_per_block if bal.max_per_block is not None else inf
        tcap = bal.max_per_theme if bal.max_per_theme is not None else inf
        tmin = bal.min_distinct_themes or 0
        pmax = bal.max_push if bal.max_push is not None else inf
        pmin = bal.min_push or 0
        v = [units[i] for i in order]
        blk = [self._block[i] for i in order]
        thm = [self._theme[i] for i in order]
        psh = [self._push[i] for i in order]
        lck = [self._locked[i] for i in order]
        prefix = [0] * (n + 1)
        for i in range(n):
            prefix[i + 1] = prefix[i] + v[i]
        suf_lock = [0] * (n + 1)
        suf_lockval = [0] * (n + 1)
        suf_push = [0] * (n + 1)
        suf_theme = [0] * (n + 1)
        # values of the free (not locked) items in order, for the lock-aware bound:
        # locked items still to come are certain; the other slots take the best free ones
        nl_prefix = [0]
        nl_start = [0] * (n + 1)
        for i in range(n):
            nl_start[i] = len(nl_prefix) - 1
            if not lck[i]:
                nl_prefix.append(nl_prefix[-1] + v[i])
        nl_start[n] = len(nl_prefix) - 1
        n_free = len(nl_prefix) - 1
        for i in range(n - 1, -1, -1):
            suf_lock[i] = suf_lock[i + 1] + lck[i]
            suf_lockval[i] = suf_lockval[i + 1] + (v[i] if lck[i] else 0)
            suf_push[i] = suf_push[i + 1] + psh[i]
            suf_theme[i] = suf_theme[i + 1] | ((1 << thm[i]) if thm[i] >= 0 else 0)
        bc = [0] * (self._n_blocks + 1)
        tc = [0] * (self._n_themes + 1)
        chosen: list[int] = []
        best_val = -1 if known is None else known
        best: list[int] | None = None

        def capped(i: int, r: int, attr: list[int], counts: list[int], cap: int) -> int:
            """Best r items from i on with at most ``cap`` per class of ``attr`` (given
            ``counts`` so far): the exact optimum of a single-limit relaxation, so an upper
            bound; -1 if r items cannot be found."""
            extra: dict[int, int] = {}
            got = 0
            for t in range(i, n):
                a = attr[t]
                if a >= 0:
                    c = extra.get(a, 0)
                    if counts[a] + c >= cap:
                        continue
                    extra[a] = c + 1
                got += v[t]
                r -= 1
                if r == 0:
                    return got
            return -1

        psh_cls = [0 if x else -1 for x in psh]
        pcount = [0]
        # lower bounds: the best remaining プッシュ型 items, and the best item of each theme
        push_prefix = [0]
        push_start = [0] * (n + 1)
        for i in range(n):
            push_start[i] = len(push_prefix) - 1
            if psh[i]:
                push_prefix.append(push_prefix[-1] + v[i])
        push_start[n] = len(push_prefix) - 1
        n_themes = self._n_themes
        next_theme = [[-1] * n_themes for _ in range(n + 1)]
        for i in range(n - 1, -1, -1):
            row = next_theme[i + 1].copy()
            if thm[i] >= 0:
                row[thm[i]] = v[i]
            next_theme[i] = row

        def dfs(i: int, r: int, s: int, pc: int, used: int, nd: int) -> None:
            nonlocal best_val, best
            if r == 0:
                if suf_lock[i] == 0 and nd >= tmin and pc >= pmin and s > best_val:
                    best_val = s
                    best = chosen.copy()
                return
            if n - i < r or s + prefix[i + r] - prefix[i] <= best_val:
                return
            locks_left = suf_lock[i]
            if locks_left:
                if locks_left > r:
                    return
                f0 = nl_start[i]
                f1 = f0 + r - locks_left
                if f1 > n_free or s + suf_lockval[i] + nl_prefix[f1] - nl_prefix[f0] <= best_val:
                    return
            if pc + min(r, suf_push[i]) < pmin:
                return
            need = pmin - pc
            if need > 0:
                p0 = push_start[i]
                if s + push_prefix[p0 + need] - push_prefix[p0] + prefix[i + r - need] - prefix[i] <= best_val:
                    return
            need = tmin - nd
            if need > 0:
                news = sorted((x for t, x in enumerate(next_theme[i]) if x >= 0 and not used >> t & 1), reverse=True)
                if s + sum(news[:need]) + prefix[i + r - need] - prefix[i] <= best_val:
                    return
            if bcap < inf:
                g = capped(i, r, blk, bc, bcap)
                if g < 0 or s + g <= best_val:
                    return
            if tcap < inf:
                g = capped(i, r, thm, tc, tcap)
                if g < 0 or s + g <= best_val:
                    return
            if pmax < inf:
                pcount[0] = pc
                g = capped(i, r, psh_cls, pcount, pmax)
                if g < 0 or s + g <= best_val:
                    return
            if nd < tmin and nd + min(r, (suf_theme[i] & ~used).bit_count()) < tmin:
                return
            b, t, ps = blk[i], thm[i], psh[i]
            if (b < 0 or bc[b] < bcap) and (t < 0 or tc[t] < tcap) and (not ps or pc < pmax):
                if b >= 0:
                    bc[b] += 1
                new = 0
                if t >= 0:
                    tc[t] += 1
                    new = 0 if used >> t & 1 else 1
                chosen.append(order[i])
                dfs(i + 1, r - 1, s + v[i], pc + ps, used | ((1 << t) if t >= 0 else 0), nd + new)
                chosen.pop()
                if b >= 0:
                    bc[b] -= 1
                if t >= 0:
                    tc[t] -= 1
            if not lck[i]:
                dfs(i + 1, r, s, pc, used, nd)

        dfs(0, k, 0, 0, 0, 0)
        return best

