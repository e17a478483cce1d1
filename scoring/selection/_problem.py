"""The selection problem: its inputs, constraint groups and validation.

:func:`_compile` checks the candidates table and the settings (k, ``balance``, locks,
exclusions, overrides) and turns them into a :class:`_Problem`: the candidates in rank
order (total rounded to :data:`SCORE_DECIMALS` decimals, high first, equal totals by
application id) with what the balance settings see of each (block, theme, プッシュ型) and
why it may not be selected. :meth:`_Problem.violations` says which constraint groups
(:data:`CONSTRAINTS`) a selection breaks; the exact solver, the fast path and the
explanations all work on this one definition.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..config.round import Balance, SelectSpec
from ..core.columns import CANDIDATE_COLUMNS, TOTAL_DECIMALS
from ..core.errors import OptionError, SelectionError
from ..core.normalize import parse_prefecture
from ..round.status import LONG_REASONS

#: Status of an applicant in :attr:`SelectionResult.reasons`.
STATUSES: tuple[str, ...] = ("選定", "次点", "非選定", "対象外")
#: Why an applicant is 対象外 (the ``reason`` of :attr:`SelectionResult.reasons`); also used
#: by the tuning screen and the feedback letters (:mod:`scoring.analysis.status`).
EXCLUSION_REASONS: dict[str, str] = dict(LONG_REASONS)
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


# ----------------------------------------------------------------------------------------
# The compiled problem
# ----------------------------------------------------------------------------------------


@dataclass
class _Problem:
    ids: list[str]  # all candidates, in rank order
    units: list[int]  # rounded totals in 1/_SCALE points (0 for missing)
    has_total: list[bool]
    block: list[str | None]
    theme: list[str | None]
    push: list[bool]
    ineligible: list[str]  # "" or the reason code: "withdrawn", "late", "errors"
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

        return _Problem(
            ids=take(self.ids),
            units=take(self.units),
            has_total=take(self.has_total),
            block=take(self.block),
            theme=take(self.theme),
            push=take(self.push),
            ineligible=take(self.ineligible),
            excluded=take(self.excluded),
            locked=take(self.locked),
            k=self.k,
            balance=self.balance,
            names=take(self.names),
        )

    def with_placeholder(self, signature: tuple[str | None, str | None, bool]) -> _Problem:
        """The problem plus a locked placeholder candidate worth 0 points with the given
        signature (the last position): its optimum is the best k - 1 others that a
        candidate of that signature can join."""
        block, theme, push = signature
        return _Problem(
            ids=[*self.ids, ""],
            units=[*self.units, 0],
            has_total=[*self.has_total, True],
            block=[*self.block, block],
            theme=[*self.theme, theme],
            push=[*self.push, push],
            ineligible=[*self.ineligible, ""],
            excluded=[*self.excluded, False],
            locked=[*self.locked, True],
            k=self.k,
            balance=self.balance,
            names=[*self.names, ""],
        )

    def violations(self, sol: Collection[int], active: Collection[str] = _ALL_GROUPS) -> list[str]:
        """Constraint groups that the index set ``sol`` violates (``count`` included)."""
        out: list[str] = []
        if len(sol) != self.k:
            out.append("count")
        if any(not self.has_total[i] for i in sol):
            out.append("eligibility")
        out += [
            g
            for g in ("eligibility", "exclusions", "locks", *_BALANCE_GROUPS)
            if g in active and self._breaks(g, sol)
        ]
        return list(dict.fromkeys(out))

    def _breaks(self, group: str, sol: Collection[int]) -> bool:
        """Whether ``sol`` breaks the constraint group ``group`` (not ``count``)."""
        if group == "eligibility":
            return any(self.ineligible[i] for i in sol)
        if group == "exclusions":
            return any(self.excluded[i] for i in sol)
        if group == "locks":
            return any(self.locked[i] and i not in sol for i in range(self.n))
        limit = getattr(self.balance, group)
        if limit is None:
            return False
        if group in ("max_per_block", "max_per_theme"):
            attr = self.block if group == "max_per_block" else self.theme
            counts = Counter(attr[i] for i in sol if attr[i] is not None)
            return bool(counts) and max(counts.values()) > limit
        if group == "min_distinct_themes":
            return len({self.theme[i] for i in sol if self.theme[i] is not None}) < limit
        n_push = sum(self.push[i] for i in sol)
        return bool(n_push > limit) if group == "max_push" else bool(n_push < limit)


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
    raise OptionError(
        f"選定数 k は整数、(最小, 最大)、(最小, 目標, 最大) または SelectSpec にしてください（指定: {k!r}）"
    )


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
            raise SelectionError(
                f"{what}に指定された「{v}」は選定の候補（応募）にありません。都道府県コードまたは名前を確認してください"
            )
        out.append(code)
    return list(dict.fromkeys(out))


def _nonempty(v: object) -> str | None:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return None
    s = str(v).strip()
    return s or None


def _compile(
    candidates: pd.DataFrame,
    k: int,
    balance: Balance,
    locks: Sequence[str],
    exclusions: Sequence[str],
    overrides: Sequence[str],
) -> _Problem:
    df, total = _checked_candidates(candidates)
    units = (total.fillna(0.0) * _SCALE).round().astype(np.int64)
    order = sorted(
        range(len(df)),
        key=lambda i: (0 if np.isfinite(total.iloc[i]) else 1, -int(units.iloc[i]), df.index[i]),
    )
    ids = [df.index[i] for i in order]
    name_col = (
        df["prefecture_name"] if "prefecture_name" in df.columns else pd.Series(df.index, index=df.index)
    )
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
    return _Problem(
        ids=ids,
        units=[int(units_l[pos[i]]) for i in ids],
        has_total=[bool(np.isfinite(total_l[pos[i]])) for i in ids],
        block=[_nonempty(cols["block"][pos[i]]) for i in ids],
        theme=[_nonempty(cols["theme"][pos[i]]) for i in ids],
        push=[_nonempty(cols["application_type"][pos[i]]) == _PUSH for i in ids],
        ineligible=[_ineligibility(cols, pos[i], i in ov) for i in ids],
        excluded=[i in exc for i in ids],
        locked=[i in lk for i in ids],
        k=k,
        balance=balance,
        names=[_nonempty(names[pos[i]]) or i for i in ids],
    )


def _checked_candidates(candidates: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """A copy of the candidates table with string ids, and its totals as floats (NaN = none)."""
    missing = [c for c in CANDIDATE_COLUMNS if c not in candidates.columns]
    if missing:
        raise SelectionError(
            f"選定の候補の表に列がありません: {'、'.join(missing)}（必要な列: {'、'.join(CANDIDATE_COLUMNS)}）"
        )
    if not candidates.index.is_unique:
        raise SelectionError(
            f"選定の候補の表で応募（application）が重複しています: "
            f"{'、'.join(sorted(map(str, candidates.index[candidates.index.duplicated()].unique())))}。"
            "応募ごとに1行にしてください"
        )
    df = candidates.copy()
    df.index = df.index.astype(str)
    total = pd.to_numeric(df["total"], errors="coerce").astype(float)
    if np.isinf(total).any():
        raise SelectionError(
            f"合計点（total）に無限大があります: {'、'.join(map(str, df.index[np.isinf(total)]))}。"
            "合計点は数値か空欄（合計点なし）にしてください"
        )
    return df, total


def _ineligibility(cols: dict[str, list[Any]], at: int, overridden: bool) -> str:
    """Why the candidate at row ``at`` may not be selected: "withdrawn" (never overridden),
    "late" or "errors" (unless ``overridden``), or ""."""

    def flag(col: str) -> bool:
        v = cols[col][at]
        return bool(v) if _nonempty(v) is not None else False

    if flag("withdrawn"):
        return "withdrawn"
    if overridden:
        return ""
    if flag("late"):
        return "late"
    if flag("has_errors"):
        return "errors"
    return ""
