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
from ..core.schema import PROBLEM_COLUMNS, problem_row
from ._assign_search import _connect, _greedy_start, _improve, _Plan

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
    return problem_row(file, severity, message, action, cell=cell, field=field)


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
    out = {
        str(a)
        for c in ("late", "withdrawn")
        if c in applications
        for a in applications.index[applications[c]]
    }
    for code in applications.index:
        if str(code) not in covered | out:  # 対象外 (not accepted, withdrawn): assign leaves it out
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


def _row_application(
    app_text: str,
    name_text: str,
    cell: str,
    where: str,
    applications: pd.DataFrame,
    rows: list[dict[str, str]],
) -> str | None:
    """The application code of a row (from ``application``, else ``prefecture_name``), or ``None``.

    A code that cannot be read is an error; a ``prefecture_name`` that names another
    prefecture than the code is a warning (the code is used). Problems are appended to ``rows``.
    """
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
    return code


def _pair_problem(
    reviewer: _ReviewerLike,
    code: str,
    cell: str,
    where: str,
    applications: pd.DataFrame,
    seen: set[tuple[str, str]],
) -> dict[str, str] | None:
    """Why the pair ``(reviewer, code)`` is not used (a conflict, no such application, a duplicate), or ``None``."""
    rid = reviewer.id
    if code in reviewer.conflicts:
        return _problem(
            where,
            cell,
            "application",
            "error",
            f"審査員 {rid}（{reviewer.name}）は応募 {_app_label(applications, code)}と利害関係がありますが、"
            "担当に割り当てられています（この割当は使いません）。",
            "この行を削除して、別の審査員を割り当ててください。",
        )
    if code not in applications.index:
        return _problem(
            where,
            cell,
            "application",
            "warning",
            f"審査員 {rid} の担当 {code} に対応する応募がありません（この割当は使いません）。",
            "応募書が届いているか、都道府県コードを確認してください。",
        )
    if (rid, code) in seen:
        return _problem(
            where,
            cell,
            "",
            "warning",
            f"審査員 {rid} と応募 {_app_label(applications, code)}の割当が重複しています。",
            "重複した行を削除してください。",
        )
    return None


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
    code = _row_application(app_text, name_text, cell, where, applications, rows)
    if code is None:
        return None
    problem = _pair_problem(by_id[rid], code, cell, where, applications, seen)
    if problem is not None:
        rows.append(problem)
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
    df = _frame(plan.pairs())
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
