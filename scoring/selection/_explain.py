"""The explanations: why a setting is infeasible (:func:`_infeasible_error`) and why each
application is in or out of the proposed selection (:func:`_reasons`), in Japanese.

Each kind of fact and each kind of reason is one small function; the texts are the
committee's (they appear in the reasons table, the CLI and the reports).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Collection, Sequence

import numpy as np
import pandas as pd

from ..config.round import SelectSpec
from ..core.columns import REASON_COLUMNS
from ._exact import _minimal_conflict
from ._problem import _ALL_GROUPS, _SCALE, CONSTRAINTS, EXCLUSION_REASONS, SelectionInfeasible, _Problem, _pt


def _facts(p: _Problem, groups: Sequence[str]) -> list[str]:
    """Japanese sentences that explain why the groups conflict, about the actual settings."""
    avail = [i for i, a in enumerate(p.available(_ALL_GROUPS)) if a]
    out: list[str] = []
    for rule in _FACT_RULES:
        out += rule(p, groups, avail)
    if not out:
        out.append("個々の条件は満たせますが、組み合わせると満たせません。")
    return out


def _locked(p: _Problem) -> list[int]:
    return [i for i in range(p.n) if p.locked[i]]


def _count_facts(p: _Problem, groups: Sequence[str], avail: list[int]) -> list[str]:
    if set(groups) != {"count"}:
        return []
    scored = sum(p.has_total)
    k = p.k
    return [
        f"採点のある応募は {scored} 件で、{k} 件を選べません。"
        if scored < k
        else f"選定数 {k} 件を満たせません。"
    ]


def _eligibility_facts(p: _Problem, groups: Sequence[str], avail: list[int]) -> list[str]:
    if ("eligibility" in groups or "exclusions" in groups) and len(avail) < p.k:
        return [
            f"審査対象として選べる応募は {len(avail)} 件で、{p.k} 件を選べません（期限後提出・エラーあり・辞退・除外を除く）。"
        ]
    return []


def _lock_facts(p: _Problem, groups: Sequence[str], avail: list[int]) -> list[str]:
    if "locks" not in groups:
        return []
    nm = p.names
    lk = _locked(p)
    desc = "、".join(
        f"{nm[i]}（{p.block[i] or '-'}・テーマ{p.theme[i] or '-'}・{'プッシュ型' if p.push[i] else '手上げ式'}）"
        for i in lk
    )
    out = [f"必ず含める指定: {desc}。"]
    bad = [i for i in lk if not p.has_total[i]]
    if bad:
        out.append(f"{'、'.join(nm[i] for i in bad)} には採点がありません。")
    bad = [i for i in lk if p.ineligible[i]]
    if bad and "eligibility" in groups:
        out.append(
            f"{'、'.join(nm[i] for i in bad)} は期限後提出・エラー・辞退のため審査対象外です"
            "（期限後提出は python -m scoring eligibility accept-late で受理を記録でき、"
            "エラーのある応募は round.yaml の eligibility_override で対象にできます）。"
        )
    bad = [i for i in lk if p.excluded[i]]
    if bad and "exclusions" in groups:
        out.append(f"{'、'.join(nm[i] for i in bad)} は除外にも指定されています。")
    if len(lk) > p.k:
        out.append(f"必ず含める指定が {len(lk)} 件あり、選定数 {p.k} 件を超えます。")
    return out


def _locks_over_cap(p: _Problem, groups: Sequence[str], attr: str, cap: int, label: str) -> list[str]:
    """Locked applications that share a block (or theme) beyond its cap."""
    lk = _locked(p)
    if "locks" not in groups or not lk:
        return []
    out = []
    values = pd.Series([getattr(p, attr)[i] for i in lk if getattr(p, attr)[i] is not None], dtype=object)
    for value, n in values.value_counts().items():
        if n > cap:
            who = "・".join(p.names[i] for i in lk if getattr(p, attr)[i] == value)
            out.append(f"必ず含める {who} は{label}『{value}』が同じで、上限 {cap} 件を超えます。")
    return out


def _capacity(p: _Problem, attr: str, avail: list[int], cap: int) -> tuple[int, int]:
    """(number of blocks or themes among ``avail``, most applications that ``cap`` per
    block or theme lets a selection hold)."""
    values = getattr(p, attr)
    counts = pd.Series([values[i] for i in avail if values[i] is not None], dtype=object).value_counts()
    most = int(np.minimum(counts.to_numpy(), cap).sum()) + sum(values[i] is None for i in avail)
    return len(counts), most


#: Cap → (attribute of :class:`_Problem`, the sentence about how many a selection can hold,
#: the label in the sentence about locks beyond the cap).
_CAPS: dict[str, tuple[str, str, str]] = {
    "max_per_block": (
        "block",
        "選べる応募は {n} の地方ブロックにあり、1ブロック {cap} 件までだと最大 {most} 件しか選べません。",
        "地方ブロック",
    ),
    "max_per_theme": (
        "theme",
        "選べる応募の重点テーマは {n} 種類で、1テーマ {cap} 件までだと最大 {most} 件しか選べません。",
        "重点テーマ",
    ),
}


def _cap_facts(p: _Problem, groups: Sequence[str], avail: list[int], key: str) -> list[str]:
    """The cap ``key`` (max_per_block or max_per_theme): too few blocks or themes, locks beyond it."""
    attr, sentence, label = _CAPS[key]
    cap = getattr(p.balance, key)
    if key not in groups or cap is None:
        return []
    n, most = _capacity(p, attr, avail, cap)
    out = [sentence.format(n=n, cap=cap, most=most)] if most < p.k else []
    return out + _locks_over_cap(p, groups, attr, cap, label)


def _distinct_facts(p: _Problem, groups: Sequence[str], avail: list[int]) -> list[str]:
    t = p.balance.min_distinct_themes
    if "min_distinct_themes" not in groups or t is None:
        return []
    themes_avail = sorted({str(p.theme[i]) for i in avail if p.theme[i] is not None})
    out = []
    if p.k < t:
        out.append(f"選定数 {p.k} 件では、重点テーマを {t} 種類以上にできません。")
    out.append(
        f"選べる応募の重点テーマは {len(themes_avail)} 種類（{'、'.join(themes_avail) or 'なし'}）です。"
    )
    return out


def _push_facts(p: _Problem, groups: Sequence[str], avail: list[int]) -> list[str]:
    if "max_push" not in groups and "min_push" not in groups:
        return []
    bal = p.balance
    lk = _locked(p)
    n_push = sum(p.push[i] for i in avail)
    out = [f"選べる応募はプッシュ型 {n_push} 件・手上げ式 {len(avail) - n_push} 件です。"]
    if bal.min_push is not None and bal.max_push is not None and bal.min_push > bal.max_push:
        out.append(f"プッシュ型の下限 {bal.min_push} 件が上限 {bal.max_push} 件を超えています。")
    if "locks" in groups and lk and bal.max_push is not None and sum(p.push[i] for i in lk) > bal.max_push:
        out.append(
            f"必ず含める指定のうちプッシュ型が {sum(p.push[i] for i in lk)} 件あり、上限 {bal.max_push} 件を超えます。"
        )
    return out


#: The facts of :func:`_facts`, in the order they are told.
_FACT_RULES: tuple[Callable[[_Problem, Sequence[str], list[int]], list[str]], ...] = (
    _count_facts,
    _eligibility_facts,
    _lock_facts,
    lambda p, groups, avail: _cap_facts(p, groups, avail, "max_per_block"),
    lambda p, groups, avail: _cap_facts(p, groups, avail, "max_per_theme"),
    _distinct_facts,
    _push_facts,
)


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
        lines.append(
            f"選定数を {'・'.join(map(str, feasible_k))} 件にすれば条件を満たせます（許容範囲 {spec.min or spec.target}〜{spec.max or spec.target} 件）。"
        )
    lines.append(
        "対処: 上の条件のいずれかを round.yaml で緩めるか、必ず含める／除外の指定を見直してください。"
    )
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


def _reasons(
    p: _Problem,
    sol: tuple[int, ...],
    unconstrained: tuple[int, ...],
    alternatives: Sequence[tuple[int, ...]],
    values: dict[int, int | None],
) -> pd.DataFrame:
    """The reasons table; ``values`` as from :func:`_values_with`."""
    o = _Outcome(p, sol, unconstrained, alternatives, values)
    rows = []
    for j in range(p.n):
        total = p.units[j] / _SCALE if p.has_total[j] else np.nan
        row: dict[str, object] = {
            "application": p.ids[j],
            "prefecture_name": p.names[j],
            "rank": o.ranks.get(j, pd.NA),
            "total": total,
            "gap": np.nan,
            "constraint": "",
            "related": "",
        }
        if not o.avail[j]:
            row.update(_ineligible_reason(p, j))
        elif j in o.chosen:
            row.update(_selected_reason(o, j))
        else:
            row.update(_not_selected_reason(o, j))
        rows.append(row)
    df = pd.DataFrame(rows).set_index("application")
    df["rank"] = df["rank"].astype("Int64")
    df["total"] = df["total"].astype(float)
    df["gap"] = df["gap"].astype(float)
    return df[list(REASON_COLUMNS)]


class _Outcome:
    """What every reason looks at: the proposal ``sol``, the unconstrained top k, the
    alternatives, the best totals with each applicant (``values``) and the ranks."""

    def __init__(
        self,
        p: _Problem,
        sol: tuple[int, ...],
        unconstrained: tuple[int, ...],
        alternatives: Sequence[tuple[int, ...]],
        values: dict[int, int | None],
    ) -> None:
        self.p = p
        self.sol = sol
        self.values = values
        self.avail = p.available(_ALL_GROUPS)
        # the one rank (scoring.core.columns.review_rank): among eligible applications, by the total
        # at TOTAL_DECIMALS (p.units), equal totals sharing the best rank
        units = sorted(p.units[i] for i in range(p.n) if self.avail[i])
        self.ranks: dict[int, int] = {
            i: 1 + len(units) - bisect.bisect_right(units, p.units[i]) for i in range(p.n) if self.avail[i]
        }
        self.chosen = set(sol)
        self.in_alt: set[int] = set().union(*[set(a) for a in alternatives]) if alternatives else set()
        self.top = set(unconstrained)
        self.z = p.value(sol)
        self.line = min(p.units[i] for i in sol)
        self._conflicts: dict[tuple[str | None, str | None, bool], list[str]] = {}

    def conflict(self, j: int) -> list[str]:
        """The constraint groups that no selection including ``j`` can meet (without
        ``count``); whether a selection can include j depends only on its signature."""
        sig = self.p.signature(j)
        if sig not in self._conflicts:
            self._conflicts[sig] = [g for g in _minimal_conflict(self.p, fix1=(j,)) if g != "count"]
        return self._conflicts[sig]


def _ineligible_reason(p: _Problem, j: int) -> dict[str, object]:
    """対象外: withdrawn, late, with errors, excluded or without a total (in that order, the
    order of :func:`scoring.round.status.application_statuses`)."""
    if p.ineligible[j] == "withdrawn":
        return {"status": "対象外", "reason": EXCLUSION_REASONS["withdrawn"], "constraint": "eligibility"}
    if p.ineligible[j] == "late":
        return {"status": "対象外", "reason": EXCLUSION_REASONS["late"], "constraint": "eligibility"}
    if p.ineligible[j] == "errors":
        return {"status": "対象外", "reason": EXCLUSION_REASONS["errors"], "constraint": "eligibility"}
    if p.excluded[j]:
        return {"status": "対象外", "reason": EXCLUSION_REASONS["exclusions"], "constraint": "exclusions"}
    return {"status": "対象外", "reason": EXCLUSION_REASONS["no_total"]}


def _selected_reason(o: _Outcome, j: int) -> dict[str, object]:
    """選定: locked, in the top k, needed for a lower bound, or moved up for balance."""
    p = o.p
    rank = o.ranks[j]
    if p.locked[j]:
        return {"status": "選定", "reason": f"選定（得点順 {rank}位、必ず含める指定）", "constraint": "locks"}
    if j in o.top:
        return {"status": "選定", "reason": f"選定（得点順 {rank}位）"}
    needed = _needed_for(p, o.sol, j)
    if needed:
        return {
            "status": "選定",
            "reason": (
                f"選定（得点順 {rank}位。{'・'.join(_swap_phrase(p, g) for g in needed)}を満たすため）"
            ),
            "constraint": ",".join(needed),
        }
    displaced = sorted(i for i in o.top if i not in o.chosen)
    return {
        "status": "選定",
        "reason": (
            f"選定（得点順 {rank}位。{_by_points(p, displaced, j, '上位の')} が"
            "バランスの条件で選外となったため繰り上げ）"
        ),
        "related": ",".join(p.ids[i] for i in displaced),
    }


def _by_points(p: _Problem, others: list[int], j: int, higher: str) -> str:
    """The names of ``others`` as compared with ``j``: 「{higher} A・B」 for those with more points,
    「同点の C」 for those with the same (a tie at the line is broken by the code order, and a
    co-ranked application is never called 上位 or 得点の高い)."""
    above = [i for i in others if p.units[i] > p.units[j]]
    same = [i for i in others if p.units[i] == p.units[j]]
    below = [i for i in others if p.units[i] < p.units[j]]
    parts = [f"{higher} {'・'.join(p.names[i] for i in above)}"] if above else []
    if same:
        parts.append(f"同点（都道府県コード順で先）の {'・'.join(p.names[i] for i in same)}")
    if below:
        parts.append(f"得点の低い {'・'.join(p.names[i] for i in below)}")
    return " と ".join(parts)


def _needed_for(p: _Problem, sol: tuple[int, ...], j: int) -> list[str]:
    """The lower bounds (distinct themes, プッシュ型) that the selected ``j`` is needed for."""
    bal = p.balance
    rest = [i for i in sol if i != j]
    needed = []
    if (
        bal.min_distinct_themes is not None
        and p.theme[j] is not None
        and all(p.theme[i] != p.theme[j] for i in rest)
        and len({p.theme[i] for i in sol if p.theme[i] is not None}) <= bal.min_distinct_themes
    ):
        needed.append("min_distinct_themes")
    if bal.min_push is not None and p.push[j] and sum(p.push[i] for i in sol) <= bal.min_push:
        needed.append("min_push")
    return needed


def _not_selected_reason(o: _Outcome, j: int) -> dict[str, object]:
    """次点 or 非選定, with the gap: no selection can include it, it is short of the line,
    a cap is filled by better applications, or no swap with a lower one works."""
    p = o.p
    value_j = o.values[j]
    out: dict[str, object] = {
        "status": "次点" if j in o.in_alt else "非選定",
        "gap": (o.z - value_j) / _SCALE if value_j is not None else np.nan,
    }
    if value_j is None:
        groups = o.conflict(j)
        out["constraint"] = ",".join(groups)
        out["reason"] = (
            f"{'・'.join(_swap_phrase(p, g) for g in groups) or '選定の条件'}により、この応募を含む選び方がないため選外"
        )
        return out
    caps = _cap_occupants(p, o.sol, j)
    lower = [s for s in o.sol if s > j]  # selected but ranked below j
    where = f"本来は上位{p.k}位以内" if j in o.top else f"得点順 {o.ranks[j]}位"
    if not lower:
        out.update(_short_reason(o, j, float(out["gap"]), caps))  # type: ignore[arg-type]
        return out
    full = [(key, occ) for key, occ in caps if all(i < j for i in occ)]
    if full:
        key, occ = full[0]
        out["constraint"] = key
        out["related"] = ",".join(p.ids[i] for i in occ)
        out["reason"] = (
            f"{_cap_phrase(p, key, j)}により、{_by_points(p, occ, j, 'より得点の高い')} が"
            f"優先されたため選外（{where}）"
        )
        return out
    out.update(_swap_reason(o, j, lower, where))
    return out


def _short_reason(o: _Outcome, j: int, gap: float, caps: list[tuple[str, list[int]]]) -> dict[str, object]:
    """Not selected and ranked below every selected application: points short of the line."""
    p = o.p
    out: dict[str, object] = {}
    same = p.units[j] == o.line
    text = f"選定ラインまで {_pt(gap)} 点不足"
    if same and gap == 0:
        text = "選定ラインと同点（同点の場合は都道府県コードの小さい順に選定）のため選外"
    if caps:
        key, occ = caps[0]
        text += f"（なお{_cap_phrase(p, key, j)}は {'・'.join(p.names[i] for i in occ)} で埋まっています）"
        out["constraint"] = key
        out["related"] = ",".join(p.ids[i] for i in occ)
    out["reason"] = text
    return out


def _swap_reason(o: _Outcome, j: int, lower: list[int], where: str) -> dict[str, object]:
    """Not selected although it outranks ``lower``: what swapping with each would break."""
    p = o.p
    nm = p.names
    by_violation: dict[tuple[str, ...], list[int]] = {}
    for s in lower:
        swap = [i for i in o.sol if i != s] + [j]
        v = tuple(g for g in p.violations(swap) if g != "count")
        by_violation.setdefault(v, []).append(s)
    parts = [
        f"{'・'.join(nm[s] for s in ss)} と入れ替えると{'・'.join(_swap_phrase(p, g) for g in v)}を満たさない"
        if v
        else f"{'・'.join(nm[s] for s in ss)} と入れ替えても合計点が上がらない"
        for v, ss in by_violation.items()
    ]
    keys = list(dict.fromkeys(g for v in by_violation for g in v))
    return {
        "constraint": ",".join(keys),
        "related": ",".join(p.ids[s] for s in lower),
        "reason": (
            f"{'得点が同じか低い' if any(p.units[s] == p.units[j] for s in lower) else '得点の低い'}"
            f"選定案との入れ替えができないため選外（{where}）: {'。'.join(parts)}"
        ),
    }
