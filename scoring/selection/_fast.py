"""The fast path: exact branch and bound for many score vectors over the same candidates
(:class:`FastSelector`, used by :mod:`scoring.selection.stability` once per resample).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..config.round import Balance
from ._problem import _ALL_GROUPS, _SCALE, _compile, _Problem, _resolve_ids


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

    def __init__(
        self,
        candidates: pd.DataFrame,
        k: int,
        balance: Balance | None = None,
        *,
        locks: Iterable[str] = (),
        exclusions: Iterable[str] = (),
        overrides: Iterable[str] = (),
    ):
        balance = balance if balance is not None else Balance()
        c = candidates.copy()
        c["total"] = 0.0
        c = c.sort_index()
        c.index = c.index.astype(str)
        idx = c.index
        p = _compile(
            c,
            int(k),
            balance,
            _resolve_ids(locks, idx, "必ず含める"),
            _resolve_ids(exclusions, idx, "除外"),
            _resolve_ids(overrides, idx, "審査対象とする例外"),
        )
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
        self._class = np.array(
            [sigs.setdefault(p.signature(i), len(sigs)) for i in range(p.n)], dtype=np.intp
        )
        self._class_cap = np.array(
            [len(p.ids) + 1 if p.locked[i] else p.class_cap(i, p.k) for i in range(p.n)], dtype=np.intp
        )

    def select(
        self, totals: np.ndarray | Sequence[float], hint: Sequence[int] | None = None
    ) -> list[int] | None:
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
            floor = int(units[list(hint)].sum()) - 1  # the hint itself is still found
        return self._search(kept.tolist(), dict(zip(kept.tolist(), units[kept].tolist())), known=floor)

    def select_ids(self, totals: np.ndarray | Sequence[float]) -> list[str] | None:
        """Like :meth:`select` but returns application ids."""
        sel = self.select(totals)
        return None if sel is None else [self.ids[i] for i in sel]

    def _search(
        self, order: list[int], units: Mapping[int, int], known: int | None = None
    ) -> list[int] | None:
        """Branch and bound over the positions ``order`` (rank order) with integer totals
        ``units`` (position → units); with ``known``, only selections worth more than
        ``known`` are returned (None if there is none)."""
        if len(order) < self.k:
            return None
        tab = _tables(order, units, (self._block, self._theme, self._push, self._locked), self._n_themes)
        return _branch_and_bound(tab, order, self.k, self.balance, (self._n_blocks, self._n_themes), known)


#: No limit (larger than any count).
_INF = 1 << 30


@dataclass
class _Tables:
    """The candidates of one search in rank order, and the sums that bound the search."""

    v: list[int]  # totals (units)
    blk: list[int]  # block number, -1 for none
    thm: list[int]  # theme number, -1 for none
    psh: list[bool]  # プッシュ型
    lck: list[bool]  # locked
    prefix: list[int]  # sum of v[:i]
    suf_lock: list[int]  # locks from i on
    suf_lockval: list[int]  # their totals
    suf_push: list[int]  # プッシュ型 from i on
    suf_theme: list[int]  # bit set of the themes from i on
    nl_prefix: list[int]  # prefix sums of the free (not locked) totals
    nl_start: list[int]  # position in nl_prefix of the first free item from i on
    push_prefix: list[int]  # prefix sums of the プッシュ型 totals
    push_start: list[int]  # position in push_prefix of the first プッシュ型 item from i on
    next_theme: list[list[int]]  # from i on: the best total of each theme (-1 for none)

    @property
    def n(self) -> int:
        return len(self.v)

    @property
    def n_free(self) -> int:
        return len(self.nl_prefix) - 1


def _tables(
    order: list[int],
    units: Mapping[int, int],
    attrs: tuple[list[int], list[int], list[bool], list[bool]],
    n_themes: int,
) -> _Tables:
    """The search tables for ``order``; ``attrs`` are block, theme, プッシュ型 and locked per position."""
    block, theme, push, locked = attrs
    n = len(order)
    v = [units[i] for i in order]
    blk = [block[i] for i in order]
    thm = [theme[i] for i in order]
    psh = [push[i] for i in order]
    lck = [locked[i] for i in order]
    prefix = [0] * (n + 1)
    for i in range(n):
        prefix[i + 1] = prefix[i] + v[i]
    suf_lock = [0] * (n + 1)
    suf_lockval = [0] * (n + 1)
    suf_push = [0] * (n + 1)
    suf_theme = [0] * (n + 1)
    for i in range(n - 1, -1, -1):
        suf_lock[i] = suf_lock[i + 1] + lck[i]
        suf_lockval[i] = suf_lockval[i + 1] + (v[i] if lck[i] else 0)
        suf_push[i] = suf_push[i + 1] + psh[i]
        suf_theme[i] = suf_theme[i + 1] | ((1 << thm[i]) if thm[i] >= 0 else 0)
    # values of the free (not locked) items in order, for the lock-aware bound:
    # locked items still to come are certain; the other slots take the best free ones
    nl_prefix, nl_start = _prefix_of(v, [not x for x in lck])
    # lower bounds: the best remaining プッシュ型 items, and the best item of each theme
    push_prefix, push_start = _prefix_of(v, psh)
    next_theme = [[-1] * n_themes for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        row = next_theme[i + 1].copy()
        if thm[i] >= 0:
            row[thm[i]] = v[i]
        next_theme[i] = row
    return _Tables(
        v=v,
        blk=blk,
        thm=thm,
        psh=psh,
        lck=lck,
        prefix=prefix,
        suf_lock=suf_lock,
        suf_lockval=suf_lockval,
        suf_push=suf_push,
        suf_theme=suf_theme,
        nl_prefix=nl_prefix,
        nl_start=nl_start,
        push_prefix=push_prefix,
        push_start=push_start,
        next_theme=next_theme,
    )


def _prefix_of(v: list[int], member: list[bool]) -> tuple[list[int], list[int]]:
    """Prefix sums of the values of the members, and for every i the position in them of the
    first member from i on."""
    n = len(v)
    prefix = [0]
    start = [0] * (n + 1)
    for i in range(n):
        start[i] = len(prefix) - 1
        if member[i]:
            prefix.append(prefix[-1] + v[i])
    start[n] = len(prefix) - 1
    return prefix, start


def _branch_and_bound(
    tab: _Tables, order: list[int], k: int, bal: Balance, n_classes: tuple[int, int], known: int | None
) -> list[int] | None:
    """Depth first, including before excluding, so the first optimum found is the
    lexicographically first; positions ``order[i]`` of the best selection worth more than
    ``known``; ``n_classes`` = (number of blocks, number of themes)."""
    limits = (
        bal.max_per_block if bal.max_per_block is not None else _INF,
        bal.max_per_theme if bal.max_per_theme is not None else _INF,
        bal.min_distinct_themes or 0,
        bal.max_push if bal.max_push is not None else _INF,
        bal.min_push or 0,
    )
    bcap, tcap, tmin, pmax, pmin = limits
    v, blk, thm, psh, lck, suf_lock = tab.v, tab.blk, tab.thm, tab.psh, tab.lck, tab.suf_lock
    bc = [0] * (n_classes[0] + 1)
    tc = [0] * (n_classes[1] + 1)
    pruned = _pruner(tab, limits, bc, tc)
    chosen: list[int] = []
    best_val = -1 if known is None else known
    best: list[int] | None = None

    def dfs(i: int, r: int, s: int, pc: int, used: int, nd: int) -> None:
        nonlocal best_val, best
        if r == 0:
            if suf_lock[i] == 0 and nd >= tmin and pc >= pmin and s > best_val:
                best_val = s
                best = chosen.copy()
            return
        if pruned(i, r, s, pc, used, nd, best_val):
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


def _pruner(
    tab: _Tables, limits: tuple[int, int, int, int, int], bc: list[int], tc: list[int]
) -> Callable[[int, int, int, int, int, int, int], bool]:
    """The bounds of the search: ``pruned(i, r, s, pc, used, nd, best_val)`` says whether
    no completion of the partial selection (value ``s``, ``pc`` プッシュ型, themes ``used``
    (``nd`` of them), ``r`` still to choose from position ``i`` on) can beat ``best_val``.
    ``bc``/``tc`` are the search's counts per block and theme (read, not changed)."""
    bcap, tcap, tmin, pmax, pmin = limits
    n, v, blk, thm = tab.n, tab.v, tab.blk, tab.thm
    prefix, suf_lock, suf_lockval, suf_push, suf_theme = (
        tab.prefix,
        tab.suf_lock,
        tab.suf_lockval,
        tab.suf_push,
        tab.suf_theme,
    )
    nl_prefix, nl_start, n_free = tab.nl_prefix, tab.nl_start, tab.n_free
    push_prefix, push_start, next_theme = tab.push_prefix, tab.push_start, tab.next_theme
    psh_cls = [0 if x else -1 for x in tab.psh]
    pcount = [0]
    # the single-limit relaxations that apply: block, theme, プッシュ型 caps
    caps = [
        (attr, counts, cap)
        for attr, counts, cap in ((blk, bc, bcap), (thm, tc, tcap), (psh_cls, pcount, pmax))
        if cap < _INF
    ]

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

    def pruned(i: int, r: int, s: int, pc: int, used: int, nd: int, best_val: int) -> bool:
        if n - i < r or s + prefix[i + r] - prefix[i] <= best_val:
            return True
        locks_left = suf_lock[i]
        if locks_left:
            if locks_left > r:
                return True
            f0 = nl_start[i]
            f1 = f0 + r - locks_left
            if f1 > n_free or s + suf_lockval[i] + nl_prefix[f1] - nl_prefix[f0] <= best_val:
                return True
        if pc + min(r, suf_push[i]) < pmin:
            return True
        need = pmin - pc
        if need > 0:
            p0 = push_start[i]
            if s + push_prefix[p0 + need] - push_prefix[p0] + prefix[i + r - need] - prefix[i] <= best_val:
                return True
        need = tmin - nd
        if need > 0:
            news = sorted(
                (x for t, x in enumerate(next_theme[i]) if x >= 0 and not used >> t & 1), reverse=True
            )
            if s + sum(news[:need]) + prefix[i + r - need] - prefix[i] <= best_val:
                return True
        pcount[0] = pc
        for attr, counts, cap in caps:
            g = capped(i, r, attr, counts, cap)
            if g < 0 or s + g <= best_val:
                return True
        return nd < tmin and nd + min(r, (suf_theme[i] & ~used).bit_count()) < tmin

    return pruned
