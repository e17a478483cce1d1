"""The local search behind :func:`scoring.round.assign.propose_assignments` (split from
:mod:`scoring.round.assign`, which states the rules, reads and writes the assignments and
reports what the proposal could not do).

:class:`_Plan` holds who is on which application; the proposal fills it greedily
(:func:`_greedy_start`: most constrained application first, least-loaded eligible reviewer,
a new role preferred), improves it by first-improvement moves (replace one reviewer, or swap
two between applications) that never split the reviewer–application graph
(:func:`_improve`), then joins separate groups with the cheapest moves that keep the loads
balanced (:func:`_connect`). Balance of the loads weighs more than mixing roles.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

import numpy as np


class _Plan:
    """Mutable state of the local search: who is on which application."""

    def __init__(
        self,
        apps: list[str],
        revs: list[str],
        role: Mapping[str, str],
        elig: dict[str, list[str]],
        target: dict[str, int],
    ) -> None:
        self.apps, self.revs, self.role, self.elig, self.target = apps, revs, role, elig, target
        self.on: dict[str, set[str]] = {a: set() for a in apps}
        self.load: dict[str, int] = {r: 0 for r in revs}
        self.mean = sum(target.values()) / max(len(revs), 1)
        # how many distinct roles an application could have at most, and whether 2 is possible
        self.max_roles = {a: min(target[a], len({role[r] for r in elig[a]})) for a in apps}
        self.elig_set = {r: {a for a in apps if r in elig[a]} for r in revs}

    def add(self, a: str, r: str) -> None:
        self.on[a].add(r)
        self.load[r] += 1

    def remove(self, a: str, r: str) -> None:
        self.on[a].discard(r)
        self.load[r] -= 1

    def role_cost(self, a: str, members: Iterable[str]) -> float:
        distinct = len({self.role[r] for r in members})
        unmixed = 1.0 if (self.max_roles[a] >= 2 and distinct < 2) else 0.0
        return 3.0 * unmixed + 0.4 * max(0, self.max_roles[a] - distinct)

    def load_cost(self, r: str, load: int) -> float:
        # balance comes first: moving one application from a load of L+1 to one of L-1
        # gains 20, more than mixing the roles of an application (3)
        return 10.0 * (load - self.mean) ** 2

    def pairs(self) -> Iterator[tuple[str, str]]:
        """(reviewer, application) of every assignment, application by application."""
        return ((r, a) for a in self.apps for r in self.on[a])

    def n_components(self) -> int:
        """Number of connected groups among applications with reviewers and their reviewers."""
        parent: dict[str, str] = {}

        def find(x: str) -> str:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for a, members in self.on.items():
            for r in members:
                ka, kr = "a:" + a, "r:" + r
                parent.setdefault(ka, ka)
                parent.setdefault(kr, kr)
                ra, rr = find(ka), find(kr)
                if ra != rr:
                    parent[ra] = rr
        return len({find(x) for x in parent})


def _replace_delta(p: _Plan, a: str, out: str, inn: str) -> float:
    members = p.on[a]
    new_members = (members - {out}) | {inn}
    d = p.role_cost(a, new_members) - p.role_cost(a, members)
    d += p.load_cost(out, p.load[out] - 1) - p.load_cost(out, p.load[out])
    d += p.load_cost(inn, p.load[inn] + 1) - p.load_cost(inn, p.load[inn])
    return d


def _swap_delta(p: _Plan, a1: str, r1: str, a2: str, r2: str) -> float:
    m1, m2 = p.on[a1], p.on[a2]
    n1, n2 = (m1 - {r1}) | {r2}, (m2 - {r2}) | {r1}
    return (p.role_cost(a1, n1) - p.role_cost(a1, m1)) + (p.role_cost(a2, n2) - p.role_cost(a2, m2))


def _moves(p: _Plan, rng: np.random.Generator) -> list[tuple[str, ...]]:
    moves: list[tuple[str, ...]] = []
    for a in p.apps:
        for out in sorted(p.on[a]):
            for inn in p.elig[a]:
                if inn not in p.on[a]:
                    moves.append(("replace", a, out, inn))
    for i, a1 in enumerate(p.apps):
        for a2 in p.apps[i + 1 :]:
            for r1 in sorted(p.on[a1] - p.on[a2]):
                if a2 not in p.elig_set[r1]:
                    continue
                for r2 in sorted(p.on[a2] - p.on[a1]):
                    if a1 in p.elig_set[r2]:
                        moves.append(("swap", a1, r1, a2, r2))
    order = rng.permutation(len(moves))
    return [moves[int(i)] for i in order]


def _apply(p: _Plan, move: tuple[str, ...], undo: bool = False) -> None:
    if move[0] == "replace":
        _, a, out, inn = move
        if undo:
            out, inn = inn, out
        p.remove(a, out)
        p.add(a, inn)
    else:
        _, a1, r1, a2, r2 = move
        if undo:
            r1, r2 = r2, r1
            # after the swap r2 is on a1 and r1 on a2
        p.remove(a1, r1)
        p.add(a1, r2)
        p.remove(a2, r2)
        p.add(a2, r1)


def _delta(p: _Plan, move: tuple[str, ...]) -> float:
    if move[0] == "replace":
        return _replace_delta(p, move[1], move[2], move[3])
    return _swap_delta(p, move[1], move[2], move[3], move[4])


def _improve(p: _Plan, rng: np.random.Generator, max_passes: int = 60) -> None:
    """First-improvement local search that never splits the graph into more groups."""
    comps = p.n_components()
    for _ in range(max_passes):
        improved = False
        for move in _moves(p, rng):
            # moves are listed for the state at the start of the pass; skip stale ones
            if move[0] == "replace":
                _, a, out, inn = move
                if out not in p.on[a] or inn in p.on[a]:
                    continue
            else:
                _, a1, r1, a2, r2 = move
                if r1 not in p.on[a1] or r2 not in p.on[a2] or r2 in p.on[a1] or r1 in p.on[a2]:
                    continue
            d = _delta(p, move)
            if d >= -1e-9:
                continue
            _apply(p, move)
            new_comps = p.n_components()
            if new_comps > comps:
                _apply(p, move, undo=True)
                continue
            comps = new_comps
            improved = True
        if not improved:
            return


def _spread(p: _Plan) -> int:
    return max(p.load.values()) - min(p.load.values()) if p.load else 0


def _connect(p: _Plan, rng: np.random.Generator) -> None:
    """Join separate groups with the cheapest moves until one group remains (if possible).

    A joining move may not unbalance the loads (their spread stays within one, or within
    what it already was): with one reviewer per application, for example, the graph
    stays split and that is reported rather than loading everything on one reviewer.
    """
    comps = p.n_components()
    while comps > 1:
        best: tuple[float, tuple[str, ...]] | None = None
        allowed = max(1, _spread(p))
        for move in _moves(p, rng):
            d = _delta(p, move)
            if best is not None and d >= best[0]:
                continue
            _apply(p, move)
            c = p.n_components()
            ok = _spread(p) <= allowed
            _apply(p, move, undo=True)
            if not ok:
                continue
            if c < comps:
                best = (d, move)
        if best is None:
            return
        _apply(p, best[1])
        comps = p.n_components()


def _greedy_start(plan: _Plan, rng: np.random.Generator) -> None:
    """Fill ``plan``: most constrained application first, least-loaded eligible reviewer, a new role preferred."""
    apps, revs, role, elig = plan.apps, plan.revs, plan.role, plan.elig
    tie = {a: dict(zip(revs, rng.random(len(revs)))) for a in apps}
    order = sorted(apps, key=lambda a: (len(elig[a]), float(rng.random())))
    for a in order:
        for _ in range(plan.target[a]):
            roles_on = {role[x] for x in plan.on[a]}
            cands = [r for r in elig[a] if r not in plan.on[a]]
            best = min(cands, key=lambda r: (plan.load[r], role[r] in roles_on, tie[a][r]))
            plan.add(a, best)
