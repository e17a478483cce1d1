"""Assignments (担当割当): which reviewer reviews which application.

A round lists them in ``reviewers.yaml`` (``assignments:`` per reviewer), or in the file
``assignments.csv`` in the round folder, which :func:`propose_assignments` and
:func:`write_assignments` (``python -m scoring assign``) create and the analyst may edit
in Excel. Without either, every reviewer reviews every application except those they are
in conflict with (全件).

The rules, checked when a round is loaded (rows of ``ReviewRound.problems``) and followed
by the proposal:

* no reviewer is assigned an application they are in conflict with (利害関係);
* every assignment names a known reviewer and a received application;
* every application has reviewers, and the reviewer–application graph is connected:
  every reviewer is linked to every other through shared applications, so that each
  reviewer's leniency (bias) can be estimated on a common scale later.

The assignment table has columns :data:`ASSIGNMENT_COLUMNS` (``reviewer``,
``application``), one row per pair, RangeIndex.
"""

from __future__ import annotations

import io
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from ..core.columns import ASSIGNMENT_COLUMNS
from ..core.errors import IntakeError, OptionError
from ..core.normalize import parse_prefecture
from ..core.schema import PROBLEM_COLUMNS

__all__ = [
    "ASSIGNMENT_COLUMNS",
    "ASSIGNMENT_FILE",
    "all_pairs",
    "assignment_components",
    "assignment_problems",
    "is_connected",
    "propose_assignments",
    "read_assignments",
    "resolve_assignments",
    "write_assignments",
]

#: File name of the editable assignment file in the round folder.
ASSIGNMENT_FILE = "assignments.csv"


class _ReviewerLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def conflicts(self) -> tuple[str, ...]: ...
    @property
    def assignments(self) -> tuple[str, ...] | None: ...


class _RoundLike(Protocol):
    """What the assignment needs of a round (a :class:`~scoring.round.loader.ReviewRound`)."""

    @property
    def path(self) -> Path: ...
    @property
    def reviewers(self) -> Sequence[_ReviewerLike]: ...
    @property
    def applications(self) -> pd.DataFrame: ...


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="str") for c in ASSIGNMENT_COLUMNS})


def _frame(pairs: Iterable[tuple[str, str]]) -> pd.DataFrame:
    rows = sorted(set(pairs), key=lambda p: (p[1], p[0]))
    if not rows:
        return _empty()
    return pd.DataFrame(rows, columns=list(ASSIGNMENT_COLUMNS)).astype("str")


def _problem(file: str, cell: str, field: str, severity: str, message: str, action: str) -> dict[str, str]:
    return {
        "file": file,
        "sheet": "",
        "cell": cell,
        "field": field,
        "severity": severity,
        "message": message,
        "action": action,
    }


def _problems(rows: list[dict[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(PROBLEM_COLUMNS))


def _app_label(applications: pd.DataFrame, code: str) -> str:
    if "prefecture_name" in applications.columns and code in applications.index:
        return f"{code}（{applications.at[code, 'prefecture_name']!s}）"
    return code


# ---------------------------------------------------------------------------- graph


def assignment_components(assignments: pd.DataFrame) -> list[set[tuple[str, str]]]:
    """Connected components of the bipartite reviewer–application graph (breadth-first search).

    Parameters
    ----------
    assignments : DataFrame
        Columns ``reviewer`` and ``application``.

    Returns
    -------
    list of set
        Each component as a set of nodes ``("reviewer", id)`` / ``("application", id)``,
        largest first. Only reviewers and applications that appear in a row are nodes.
    """
    adj: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for r, a in zip(assignments["reviewer"].astype(str), assignments["application"].astype(str)):
        rn, an = ("reviewer", r), ("application", a)
        adj.setdefault(rn, set()).add(an)
        adj.setdefault(an, set()).add(rn)
    seen: set[tuple[str, str]] = set()
    comps: list[set[tuple[str, str]]] = []
    for start in sorted(adj):
        if start in seen:
            continue
        comp = {start}
        queue = deque([start])
        seen.add(start)
        while queue:
            node = queue.popleft()
            for nxt in adj[node]:
                if nxt not in seen:
                    seen.add(nxt)
                    comp.add(nxt)
                    queue.append(nxt)
        comps.append(comp)
    comps.sort(key=len, reverse=True)
    return comps


def is_connected(assignments: pd.DataFrame) -> bool:
    """True when every reviewer and application in ``assignments`` is in one component."""
    return len(assignment_components(assignments)) <= 1


# ---------------------------------------------------------------------------- rules


def all_pairs(reviewers: Sequence[_ReviewerLike], applications: pd.DataFrame) -> pd.DataFrame:
    """Every reviewer × every application, except conflicts (the default: 全件)."""
    return _frame((r.id, str(a)) for r in reviewers for a in applications.index if str(a) not in r.conflicts)


def assignment_problems(
    assignments: pd.DataFrame, reviewers: Sequence[_ReviewerLike], applications: pd.DataFrame, where: str
) -> pd.DataFrame:
    """Coverage and connectivity problems of a (row-valid) assignment table.

    Returns warnings (columns :data:`scoring.core.schema.PROBLEM_COLUMNS`) for applications with
    no reviewer and for a reviewer–application graph that falls apart into several groups.
    Row-level rules (conflicts, unknown ids) are checked where the rows are read.
    """
    rows: list[dict[str, str]] = []
    covered = set(assignments["application"].astype(str))
    for code in applications.index:
        if str(code) not in covered:
            rows.append(
                _problem(
                    where,
                    "",
                    "担当",
                    "warning",
                    f"応募 {_app_label(applications, str(code))}を担当する審査員がいません。",
                    "担当を追加してください（python -m scoring assign で案を作れます）。",
                )
            )
    comps = assignment_components(assignments)
    if len(comps) > 1:
        groups = []
        for comp in comps:
            revs = sorted(n for kind, n in comp if kind == "reviewer")
            groups.append("・".join(revs))
        rows.append(
            _problem(
                where,
                "",
                "担当",
                "warning",
                f"審査員と応募のつながりが {len(comps)} つのグループに分かれています（{' ／ '.join(groups)}）。"
                "グループ間で審査員の甘辛（バイアス）を比べられません。",
                "グループをまたいで同じ応募を審査する審査員を増やしてください。",
            )
        )
    return _problems(rows)


def _yaml_assignments(
    reviewers: Sequence[_ReviewerLike], applications: pd.DataFrame, where: str
) -> tuple[pd.DataFrame, list[dict[str, str]]]:
    pairs: list[tuple[str, str]] = []
    rows: list[dict[str, str]] = []
    for r in reviewers:
        if r.assignments is None:
            rows.append(
                _problem(
                    where,
                    "",
                    f"{r.id} の担当",
                    "warning",
                    f"審査員 {r.id}（{r.name}）の担当が reviewers.yaml にありません（担当なしとして扱います）。",
                    "担当がある場合は assignments を追加してください。",
                )
            )
            continue
        for code in r.assignments:
            # conflicts and unknown applications are reported by the round loader
            if code not in r.conflicts and code in applications.index:
                pairs.append((r.id, code))
    return _frame(pairs), rows


def read_assignments(
    path: str | Path, reviewers: Sequence[_ReviewerLike], applications: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read an assignment file (CSV) and check every row.

    The file has a header row with ``reviewer`` and ``application`` (JIS code; ``1`` as
    Excel shows ``01`` is accepted, as are prefecture names) and optionally
    ``prefecture_name`` (used when ``application`` is empty; otherwise only compared).
    UTF-8 (with or without BOM) or Shift_JIS (CP932, as Excel saves CSV in Japan).

    Returns
    -------
    assignments : DataFrame
        Valid rows only, columns :data:`ASSIGNMENT_COLUMNS`, duplicates removed.
    problems : DataFrame
        Columns :data:`scoring.core.schema.PROBLEM_COLUMNS`, ``cell`` = ``N行目`` of the file.
        Errors: unreadable file, missing columns, unknown reviewer, unrecognisable
        application, conflict (利害関係). Warnings: an application not received, a
        duplicate row, a prefecture name that does not match the code.
    """
    path = Path(path)
    where = str(path)
    table = _read_assignment_table(path, where)
    if isinstance(table, dict):
        return _empty(), _problems([table])
    by_id = {r.id: r for r in reviewers}
    rows: list[dict[str, str]] = []
    pairs: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for i, rec in enumerate(table.to_dict("records")):
        pair = _assignment_row(rec, f"{i + 2}行目", where, by_id, applications, seen, rows)
        if pair is not None:
            seen.add(pair)
            pairs.append(pair)
    return _frame(pairs), _problems(rows)


def _read_assignment_table(path: Path, where: str) -> pd.DataFrame | dict[str, str]:
    """The assignment file as a table of strings, or the error (a problem row) why it cannot be read."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        return _problem(
            where,
            "",
            "",
            "error",
            f"担当の割当ファイルを読めません（{e}）。",
            "ファイルの場所と権限を確認してください。",
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("cp932")
        except UnicodeDecodeError:
            return _problem(
                where,
                "",
                "",
                "error",
                "担当の割当ファイルの文字コードを判別できません。",
                "UTF-8（BOM付き）または Shift_JIS の CSV で保存してください。",
            )
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        return _problem(
            where,
            "",
            "",
            "error",
            f"担当の割当ファイルを CSV として読めません（{e}）。",
            "列 reviewer, application, prefecture_name の CSV にしてください。",
        )
    df.columns = [str(c).strip() for c in df.columns]
    if "reviewer" not in df.columns or not ({"application", "prefecture_name"} & set(df.columns)):
        return _problem(
            where,
            "1行目",
            "",
            "error",
            f"担当の割当ファイルの見出しが正しくありません（{'、'.join(df.columns)}）。",
            "1行目を reviewer,application,prefecture_name にしてください。",
        )
    return df


def _assignment_row(
    rec: Mapping[Any, Any],
    cell: str,
    where: str,
    by_id: Mapping[str, _ReviewerLike],
    applications: pd.DataFrame,
    seen: set[tuple[str, str]],
    rows: list[dict[str, str]],
) -> tuple[str, str] | None:
    """Check one row of the assignment file: its ``(reviewer, application)`` pair, or ``None`` to skip it.

    The row's problems are appended to ``rows``.
    """
    rid = str(rec.get("reviewer", "")).strip()
    app_text = str(rec.get("application", "")).strip()
    name_text = str(rec.get("prefecture_name", "")).strip()
    if not rid and not app_text and not name_text:
        return None
    if rid not in by_id:
        rows.append(
            _problem(
                where,
                cell,
                "reviewer",
                "error",
                f"審査員ID「{rid}」は reviewers.yaml にありません。",
                f"登録済みの審査員ID（{'、'.join(by_id)}）にしてください。",
            )
        )
        return None
    try:
        code = parse_prefecture(app_text if app_text else name_text)
    except ValueError as e:
        rows.append(
            _problem(
                where,
                cell,
                "application",
                "error",
                f"応募を特定できません: {e}",
                "application に都道府県コード（例: 01）を入力してください。",
            )
        )
        return None
    if app_text and name_text:
        try:
            named = parse_prefecture(name_text)
        except ValueError:
            named = None
        if named != code:
            rows.append(
                _problem(
                    where,
                    cell,
                    "prefecture_name",
                    "warning",
                    f"都道府県名「{name_text}」がコード {code} と一致しません（コード {_app_label(applications, code)}を使います）。",
                    "どちらが正しいか確認してください。",
                )
            )
    reviewer = by_id[rid]
    if code in reviewer.conflicts:
        rows.append(
            _problem(
                where,
                cell,
                "application",
                "error",
                f"審査員 {rid}（{reviewer.name}）は応募 {_app_label(applications, code)}と利害関係がありますが、"
                "担当に割り当てられています（この割当は使いません）。",
                "この行を削除して、別の審査員を割り当ててください。",
            )
        )
        return None
    if code not in applications.index:
        rows.append(
            _problem(
                where,
                cell,
                "application",
                "warning",
                f"審査員 {rid} の担当 {code} に対応する応募がありません（この割当は使いません）。",
                "応募書が届いているか、都道府県コードを確認してください。",
            )
        )
        return None
    if (rid, code) in seen:
        rows.append(
            _problem(
                where,
                cell,
                "",
                "warning",
                f"審査員 {rid} と応募 {_app_label(applications, code)}の割当が重複しています。",
                "重複した行を削除してください。",
            )
        )
        return None
    return rid, code


def resolve_assignments(
    folder: str | Path, reviewers: Sequence[_ReviewerLike], applications: pd.DataFrame
) -> tuple[pd.DataFrame, str, pd.DataFrame]:
    """The assignments of a round folder, where they came from, and their problems.

    Precedence: ``assignments:`` in reviewers.yaml (if any reviewer has them), else
    ``assignments.csv``, else every non-conflicted pair.

    Returns
    -------
    assignments : DataFrame
        Columns :data:`ASSIGNMENT_COLUMNS`.
    source : str
        ``"reviewers.yaml"``, ``"assignments.csv"`` or ``"全件"``.
    problems : DataFrame
        Columns :data:`scoring.core.schema.PROBLEM_COLUMNS`. Conflicts and unknown
        applications in reviewers.yaml are reported by :func:`scoring.load_round` itself.
    """
    folder = Path(folder)
    csv = folder / ASSIGNMENT_FILE
    rows: list[dict[str, str]] = []
    if any(r.assignments is not None for r in reviewers):
        where = str(folder / "reviewers.yaml")
        df, extra = _yaml_assignments(reviewers, applications, where)
        rows.extend(extra)
        if csv.exists():
            rows.append(
                _problem(
                    str(csv),
                    "",
                    "",
                    "warning",
                    "reviewers.yaml に担当があるため、assignments.csv は使いません。",
                    "どちらか一方にしてください（assignments.csv を使うなら reviewers.yaml の assignments を削除）。",
                )
            )
        source = "reviewers.yaml"
    elif csv.exists():
        df, problems = read_assignments(csv, reviewers, applications)
        rows.extend(problems.to_dict("records"))  # type: ignore[arg-type]
        where = str(csv)
        source = ASSIGNMENT_FILE
    else:
        return all_pairs(reviewers, applications), "全件", _problems([])
    cover = assignment_problems(df, reviewers, applications, where)
    rows.extend(cover.to_dict("records"))  # type: ignore[arg-type]
    return df, source, _problems(rows)


# ---------------------------------------------------------------------------- proposal


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

    def frame(self) -> pd.DataFrame:
        return _frame((r, a) for a in self.apps for r in self.on[a])

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


def propose_assignments(
    rnd: _RoundLike, per_application: int, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Propose who reviews what.

    Every application gets ``per_application`` reviewers (fewer only where conflicts leave
    fewer eligible reviewers), no reviewer gets an application they are in conflict with,
    loads are balanced (they differ by at most one where conflicts allow), each
    application mixes roles (総務省 / 委託事業者 / 有識者) where possible, and the
    reviewer–application graph is connected (checked by breadth-first search).

    Method: a greedy start (most constrained application first, least-loaded eligible
    reviewer, preferring a role not yet on the application, ties broken by ``seed``),
    then a first-improvement local search over replacements and swaps minimising
    ``10 × Σ (load − mean)² + 3 × (applications with one role where two are possible) +
    0.4 × (missing distinct roles)`` without splitting the graph (so balance comes before
    mixing roles); if the graph is still split, the cheapest joining moves are applied.

    Parameters
    ----------
    rnd : ReviewRound
        Uses ``reviewers`` (with ``conflicts`` and ``role``) and ``applications``.
    per_application : int
        Reviewers per application, at least 1.
    seed : int
        Tie-breaking; the same seed gives the same proposal.

    Returns
    -------
    assignments : DataFrame
        Columns :data:`ASSIGNMENT_COLUMNS`, sorted by application then reviewer.
    notes : DataFrame
        Columns :data:`scoring.core.schema.PROBLEM_COLUMNS` (severity ``warning``): applications
        with fewer reviewers because of conflicts, a request for more reviewers than
        exist, loads that could not be balanced, applications without mixed roles, a
        graph that could not be connected.

    Raises
    ------
    ValueError
        ``per_application`` is not a positive integer, or the round has no applications.
    """
    if isinstance(per_application, bool) or not isinstance(per_application, int) or per_application < 1:
        raise OptionError(
            f"1応募あたりの審査員数「{per_application}」が正しくありません。1以上の整数にしてください。"
        )
    where = str(Path(rnd.path) / ASSIGNMENT_FILE)
    reviewers = list(rnd.reviewers)
    apps = [str(a) for a in rnd.applications.index]
    if not apps:
        raise IntakeError(
            "応募がないため、担当を割り当てられません。applications フォルダに応募書を置いてください。"
        )
    rng = np.random.default_rng(seed)
    revs = [r.id for r in reviewers]
    role: dict[str, str] = {r.id: str(r.role) for r in reviewers}
    elig = {a: [r.id for r in reviewers if a not in r.conflicts] for a in apps}
    target = {a: min(per_application, len(elig[a])) for a in apps}
    plan = _Plan(apps, revs, role, elig, target)
    notes = _shortfall_notes(plan, rnd.applications, where, per_application)
    _greedy_start(plan, rng)
    _improve(plan, rng)
    if plan.n_components() > 1:
        _connect(plan, rng)
        _improve(plan, rng)
    df = plan.frame()
    notes += _outcome_notes(plan, df, rnd.applications, where, per_application)
    return df, _problems(notes)


def _shortfall_notes(
    plan: _Plan, applications: pd.DataFrame, where: str, per_application: int
) -> list[dict[str, str]]:
    """Warnings for a request of more reviewers than exist, and for applications that conflicts leave short."""
    notes: list[dict[str, str]] = []
    revs, elig, target = plan.revs, plan.elig, plan.target
    if per_application > len(revs):
        notes.append(
            _problem(
                where,
                "",
                "担当",
                "warning",
                f"1応募あたり {per_application} 名を指定しましたが、審査員は {len(revs)} 名です。",
                "審査員を増やすか、人数を減らしてください。",
            )
        )
    for a in plan.apps:
        if target[a] < per_application and len(elig[a]) < len(revs):
            notes.append(
                _problem(
                    where,
                    "",
                    a,
                    "warning",
                    f"応募 {_app_label(applications, a)}は利害関係のため、審査員が {target[a]} 名になります"
                    f"（指定 {per_application} 名）。",
                    "必要なら利害関係のない審査員を追加してください。",
                )
            )
    return notes


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


def _outcome_notes(
    plan: _Plan, df: pd.DataFrame, applications: pd.DataFrame, where: str, per_application: int
) -> list[dict[str, str]]:
    """Warnings for loads not balanced, applications without mixed roles and a split graph."""
    notes: list[dict[str, str]] = []
    revs, role = plan.revs, plan.role
    loads = df["reviewer"].value_counts().reindex(revs, fill_value=0)
    if len(revs) and loads.max() - loads.min() > 1:
        text = "、".join(f"{r} {int(n)}件" for r, n in loads.items())
        notes.append(
            _problem(
                where,
                "",
                "担当",
                "warning",
                f"利害関係のため、担当数を均等にできませんでした（{text}）。",
                "必要なら assignments.csv を手で調整してください。",
            )
        )
    for a in plan.apps:
        if plan.max_roles[a] >= 2 and len({role[r] for r in plan.on[a]}) < 2:
            notes.append(
                _problem(
                    where,
                    "",
                    a,
                    "warning",
                    f"応募 {_app_label(applications, a)}の審査員が同じ立場（{role[next(iter(plan.on[a]))]}）だけになりました。",
                    "必要なら assignments.csv を手で調整してください。",
                )
            )
    comps = assignment_components(df)
    if len(comps) > 1:
        reason = "（1応募1名では、審査員ごとに別のグループになります）" if per_application == 1 else ""
        notes.append(
            _problem(
                where,
                "",
                "担当",
                "warning",
                f"審査員と応募のつながりが {len(comps)} つのグループに分かれています{reason}。"
                "グループ間で審査員の甘辛（バイアス）を比べられません。",
                "1応募あたりの審査員数を増やしてください。",
            )
        )
    return notes


def write_assignments(rnd: _RoundLike, assignments: pd.DataFrame) -> Path:
    """Write ``assignments.csv`` into the round folder (UTF-8 with BOM, so Excel opens it).

    Columns ``reviewer``, ``application``, ``prefecture_name``; sorted by application,
    then reviewer. The analyst may edit it; :func:`scoring.load_round` reads it back and
    reports rows that break a rule.

    Returns
    -------
    Path
        The file written.
    """
    missing = [c for c in ASSIGNMENT_COLUMNS if c not in assignments.columns]
    if missing:
        raise OptionError(
            f"割当の表に列 {'、'.join(missing)} がありません。列 reviewer, application の表を渡してください。"
        )
    df = _frame(zip(assignments["reviewer"].astype(str), assignments["application"].astype(str)))
    names = rnd.applications["prefecture_name"] if "prefecture_name" in rnd.applications.columns else None
    df["prefecture_name"] = [str(names.get(a, "")) if names is not None else "" for a in df["application"]]
    path = Path(rnd.path) / ASSIGNMENT_FILE
    df.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return path
