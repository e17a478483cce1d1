"""Balanced selection: exact against brute force, reasons that agree with the solution."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pytest

from scoring.config.round import Balance, SelectSpec
from scoring.core.columns import REASON_COLUMNS
from scoring.selection import (
    CONSTRAINTS,
    FastSelector,
    SelectionInfeasible,
    candidates_frame,
    select,
    select_round,
)
from scoring.selection._exact import _best
from scoring.selection._problem import _compile, _pt


def _blank(v: object) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) or not str(v).strip()


def _selectable(
    df: pd.DataFrame, total: pd.Series, exclusions: Sequence[str], overrides: Sequence[str]
) -> set[str]:
    """Who may be selected at all, by the rules as the settings state them: a total, not
    excluded, not withdrawn (never overridden), and neither late nor with errors unless
    overridden. Plain code: the oracle shares nothing with ``_compile``."""

    def flag(i: str, col: str) -> bool:
        return col in df.columns and not _blank(df.at[i, col]) and bool(df.at[i, col])

    out = set()
    for i in df.index:
        if not np.isfinite(total[i]) or i in exclusions or flag(i, "withdrawn"):
            continue
        if i in overrides or not (flag(i, "late") or flag(i, "has_errors")):
            out.add(i)
    return out


def _brute_force(
    candidates: pd.DataFrame,
    k: int,
    balance: Balance,
    *,
    locks: Sequence[str] = (),
    exclusions: Sequence[str] = (),
    overrides: Sequence[str] = (),
) -> list[tuple[int, tuple[str, ...]]]:
    """The oracle: every feasible k-subset with its value in units (total × 10⁴, rounded),
    best first (ties: the lexicographically first membership in rank order), by enumerating
    ``itertools.combinations`` and checking every rule with its own plain code here (not
    ``_compile``/``violations``: a bug in the constraint compiler must not hide itself)."""
    df = candidates.copy()
    df.index = df.index.astype(str)
    total = pd.to_numeric(df["total"], errors="coerce").astype(float)
    units = {i: round(float(t) * 10**4) if np.isfinite(t) else 0 for i, t in total.items()}
    finite = {i: bool(np.isfinite(t)) for i, t in total.items()}
    ids = sorted(df.index, key=lambda i: (0 if finite[i] else 1, -units[i], i))
    ok = _selectable(df, total, exclusions, overrides)

    def attr(col: str) -> dict[str, str | None]:
        return {i: None if _blank(v) else str(v).strip() for i, v in df[col].items()}

    block, theme, kind = attr("block"), attr("theme"), attr("application_type")

    def over(of: dict[str, str | None], comb: tuple[str, ...], limit: int | None) -> bool:
        counts = Counter(a for i in comb if (a := of[i]) is not None)
        return limit is not None and bool(counts) and max(counts.values()) > limit

    feas = []
    for comb in itertools.combinations(ids, k):
        if not ok.issuperset(comb) or any(lk not in comb for lk in locks):
            continue
        if over(block, comb, balance.max_per_block) or over(theme, comb, balance.max_per_theme):
            continue
        themes = {a for i in comb if (a := theme[i]) is not None}
        if balance.min_distinct_themes is not None and len(themes) < balance.min_distinct_themes:
            continue
        n_push = sum(kind[i] == "プッシュ型" for i in comb)
        if (balance.max_push is not None and n_push > balance.max_push) or (
            balance.min_push is not None and n_push < balance.min_push
        ):
            continue
        feas.append((sum(units[i] for i in comb), comb))
    feas.sort(key=lambda vc: (-vc[0], [-int(i in vc[1]) for i in ids]))
    return feas


BLOCKS = ["北海道", "東北", "関東", "中部", "近畿", "九州・沖縄"]
THEMES = list("ABCDEF")


def make_candidates(totals: dict[str, float], **cols: dict[str, object]) -> pd.DataFrame:
    """Candidates with defaults: each in its own block, theme A, 手上げ式, on time."""
    ids = list(totals)
    df = pd.DataFrame(
        {
            "prefecture_name": [f"県{i}" for i in ids],
            "total": [totals[i] for i in ids],
            "block": [f"B{i}" for i in ids],
            "theme": ["A"] * len(ids),
            "application_type": ["手上げ式"] * len(ids),
            "late": [False] * len(ids),
            "has_errors": [False] * len(ids),
        },
        index=pd.Index(ids, name="application"),
    )
    for col, values in cols.items():
        for i, v in values.items():
            df.loc[i, col] = v
    return df


def random_instance(rng: np.random.Generator) -> tuple[pd.DataFrame, int, Balance, dict[str, list[str]]]:
    n = int(rng.integers(6, 13))
    ids = [f"{c:02d}" for c in sorted(rng.choice(np.arange(1, 48), n, replace=False))]
    # coarse totals in some instances so that ties happen
    if rng.random() < 0.4:
        totals = rng.integers(5, 10, n).astype(float) * 10
    else:
        totals = np.round(rng.uniform(30, 95, n), int(rng.integers(1, 4)))
    df = pd.DataFrame(
        {
            "prefecture_name": [f"県{i}" for i in ids],
            "total": totals,
            "block": rng.choice(BLOCKS[: int(rng.integers(2, 7))], n),
            "theme": rng.choice(THEMES[: int(rng.integers(2, 7))], n),
            "application_type": np.where(rng.random(n) < 0.25, "プッシュ型", "手上げ式"),
            "late": rng.random(n) < 0.1,
            "has_errors": rng.random(n) < 0.1,
        },
        index=pd.Index(ids, name="application"),
    )
    if rng.random() < 0.1:
        df.loc[ids[int(rng.integers(n))], "total"] = np.nan
    k = int(rng.integers(1, 6))

    def maybe(lo: int, hi: int, p: float = 0.5) -> int | None:
        return int(rng.integers(lo, hi + 1)) if rng.random() < p else None

    mn, mx = maybe(0, 2, 0.25), maybe(0, 2, 0.35)
    balance = Balance(
        max_per_block=maybe(1, 3),
        max_per_theme=maybe(1, 3),
        min_distinct_themes=maybe(1, 5, 0.4),
        max_push=mx,
        min_push=mn,
    )
    pick = lambda p: (
        [str(x) for x in rng.choice(ids, int(rng.integers(1, 3)), replace=False)] if rng.random() < p else []
    )
    extra = {"locks": pick(0.3), "exclusions": pick(0.2), "overrides": pick(0.2)}
    return df, k, balance, extra


def best_containing(ranked: list[tuple[int, tuple[str, ...]]], j: str) -> int | None:
    for v, ids in ranked:
        if j in ids:
            return v
    return None


def check_against_brute_force(df: pd.DataFrame, k: int, balance: Balance, extra: dict[str, list[str]]) -> str:
    ranked = _brute_force(df, k, balance, **extra)
    fast = FastSelector(df, k, balance, **extra)
    fast_sel = fast.select_ids(df["total"].reindex(fast.ids).to_numpy())
    if not ranked:
        with pytest.raises(SelectionInfeasible) as err:
            select(df, k, balance, **extra)
        assert fast_sel is None
        # the named constraints are a minimal conflict (an irreducible infeasible subset):
        # with only them active there is no selection, and dropping any one of them
        # (other than the count) leaves a feasible problem
        groups = err.value.constraints
        assert groups[0] == "count" and set(groups) <= set(CONSTRAINTS)

        def only(active: set[str]) -> list[tuple[int, tuple[str, ...]]]:
            b = Balance(**{g: getattr(balance, g) for g in Balance.model_fields if g in active})
            return _brute_force(
                df,
                k,
                b,
                locks=extra["locks"] if "locks" in active else [],
                exclusions=extra["exclusions"] if "exclusions" in active else [],
                overrides=extra["overrides"] if "eligibility" in active else list(df.index),
            )

        assert not only(set(groups))
        for g in groups[1:]:
            assert only(set(groups) - {g}), (g, groups)
        return "infeasible"
    res = select(df, k, balance, n_alternatives=3, **extra)
    z, best = ranked[0]
    scale = 10**4
    assert res.selected == list(best)
    assert fast_sel == list(best)
    assert res.total == pytest.approx(z / scale, abs=1e-9)
    # alternatives: the next best selections of the enumeration, in order, distinct
    assert [a.selected for a in res.alternatives] == [list(ids) for _, ids in ranked[1:4]]
    assert [round(a.total * scale) for a in res.alternatives] == [v for v, _ in ranked[1:4]]
    totals = [res.total] + [a.total for a in res.alternatives]
    assert all(a >= b - 1e-9 for a, b in itertools.pairwise(totals))
    assert (
        len({tuple(a.selected) for a in res.alternatives} | {tuple(res.selected)})
        == len(res.alternatives) + 1
    )
    # unconstrained: brute force without the balance settings
    unc = _brute_force(df, k, Balance(), **extra)
    assert res.unconstrained_top_k == list(unc[0][1])
    assert res.price_of_balance == pytest.approx((unc[0][0] - z) / scale, abs=1e-9)
    assert res.price_of_balance >= 0
    # reasons agree with the solution
    r = res.reasons
    assert list(r.columns) == list(REASON_COLUMNS)
    assert set(r.index) == set(df.index)
    assert set(r.index[r["status"] == "選定"]) == set(res.selected)
    in_alt = set().union(*[set(a.selected) for a in res.alternatives]) - set(res.selected)
    assert set(r.index[r["status"] == "次点"]) == in_alt
    total = pd.to_numeric(df["total"], errors="coerce").astype(float)
    ok = _selectable(df, total, extra["exclusions"], extra["overrides"])
    assert set(r.index[r["status"] == "対象外"]) == set(df.index) - ok
    for j, row in r.iterrows():
        if row["status"] in ("次点", "非選定"):
            bj = best_containing(ranked, str(j))
            if bj is None:
                assert np.isnan(row["gap"])
            else:
                assert row["gap"] == pytest.approx((z - bj) / scale, abs=1e-9)
                assert row["gap"] >= 0
            # a cap named as the reason is really full in the selection
            for key in row["constraint"].split(","):
                if (
                    key in ("max_per_block", "max_per_theme", "max_push")
                    and "入れ替え" not in row["reason"]
                    and bj is not None
                ):
                    col = {"max_per_block": "block", "max_per_theme": "theme"}.get(key)
                    sel = df.loc[res.selected]
                    if col is not None:
                        assert (sel[col] == df.at[j, col]).sum() >= getattr(balance, key)
                    else:
                        assert (sel["application_type"] == "プッシュ型").sum() >= balance.max_push
            assert row["reason"]
        else:
            assert np.isnan(row["gap"])
    return "feasible"


def test_selection_equals_brute_force_on_random_instances() -> None:
    rng = np.random.default_rng(20260220)
    outcomes = [check_against_brute_force(*random_instance(rng)) for _ in range(200)]
    # the generator must exercise both outcomes
    assert outcomes.count("infeasible") >= 15
    assert outcomes.count("feasible") >= 100


def test_fast_selector_equals_milp_on_47_candidates() -> None:
    rng = np.random.default_rng(7)
    codes = [f"{c:02d}" for c in range(1, 48)]
    for trial in range(25):
        df = pd.DataFrame(
            {
                "total": np.round(rng.normal(65, 10, 47), 1),
                "block": rng.choice(BLOCKS, 47),
                "theme": rng.choice(THEMES, 47),
                "application_type": np.where(rng.random(47) < 0.2, "プッシュ型", "手上げ式"),
                "late": rng.random(47) < 0.05,
                "has_errors": False,
            },
            index=pd.Index(codes, name="application"),
        )
        balance = Balance(
            max_per_block=int(rng.integers(1, 3)),
            max_per_theme=int(rng.integers(1, 3)),
            min_distinct_themes=int(rng.integers(1, 5)),
            max_push=1,
            min_push=int(rng.integers(0, 2)),
        )
        locks = [codes[int(rng.integers(47))]] if trial % 3 == 0 else []
        fast = FastSelector(df, 5, balance, locks=locks)
        got = fast.select_ids(df["total"].to_numpy())
        p = _compile(df, 5, balance, locks, [], [])
        sol = _best(p)  # the MILP with the lexicographic tie rule, as in select()
        want = None if sol is None else [p.ids[i] for i in sol]
        assert got == want, trial
        if trial < 5 and sol is not None:
            assert select(df, 5, balance, locks=locks, n_alternatives=0).selected == want
        # a feasible hint (another vector's selection) speeds the search up, never changes it
        other = np.round(df["total"].to_numpy() + rng.normal(0, 5, 47), 1)
        hint = fast.select(other)
        assert fast.select(df["total"].to_numpy(), hint) == fast.select(df["total"].to_numpy())


def test_block_cap_reason_names_the_constraint_and_the_preferred_applicants() -> None:
    df = make_candidates(
        {"02": 95.0, "03": 94.0, "05": 93.0, "13": 80.0, "20": 70.0, "27": 60.0, "40": 50.0},
        block={"02": "東北", "03": "東北", "05": "東北"},
        prefecture_name={"02": "青森県", "03": "岩手県", "05": "秋田県"},
    )
    res = select(df, 5, Balance(max_per_block=2))
    assert res.selected == ["02", "03", "13", "20", "27"]
    assert res.unconstrained_top_k == ["02", "03", "05", "13", "20"]
    assert res.price_of_balance == pytest.approx(93.0 - 60.0)
    row = res.reasons.loc["05"]
    assert row["status"] == "次点"
    assert (
        row["reason"]
        == "地方ブロック『東北』の上限（2件）により、より得点の高い 青森県・岩手県 が優先されたため選外（本来は上位5位以内）"
    )
    assert row["constraint"] == "max_per_block"
    assert row["related"] == "02,03"
    # to be selected 秋田 would have to beat 岩手 (94) instead of 大阪 (60): 1 point short
    assert row["gap"] == pytest.approx(1.0)
    assert res.reasons.loc["27", "reason"].startswith("選定（得点順 6位。上位の 秋田県 が")
    assert res.reasons.loc["40", "reason"] == "選定ラインまで 10.0 点不足"
    assert res.reasons.loc["02", "reason"] == "選定（得点順 1位）"


def test_theme_diversity_reason() -> None:
    df = make_candidates(
        {"01": 90.0, "02": 89.0, "03": 88.0, "04": 50.0, "05": 40.0}, theme={"04": "B", "05": "C"}
    )
    res = select(df, 3, Balance(min_distinct_themes=3))
    assert res.selected == ["01", "04", "05"]
    r = res.reasons
    assert r.loc["02", "constraint"] == "min_distinct_themes"
    assert "重点テーマを3種類以上とする条件" in r.loc["02", "reason"]
    assert "得点順 2位" in r.loc["02", "reason"] or "本来は上位3位以内" in r.loc["02", "reason"]
    assert r.loc["04", "constraint"] == "min_distinct_themes"


def test_locks_and_exclusions() -> None:
    df = make_candidates(
        {"01": 90.0, "02": 80.0, "03": 70.0, "04": 60.0, "05": 50.0}, prefecture_name={"05": "秋田県"}
    )
    res = select(df, 2, Balance(), locks=["秋田県"], exclusions=["01"])
    assert res.selected == ["02", "05"]
    assert res.unconstrained_top_k == ["02", "05"]  # locks stay in the unconstrained top k
    assert res.reasons.loc["05", "reason"] == "選定（得点順 4位、必ず含める指定）"
    assert res.reasons.loc["01", "status"] == "対象外"
    assert res.reasons.loc["01", "reason"] == "総務省の判断（除外の指定）により対象外"
    assert pd.isna(res.reasons.loc["01", "rank"])
    assert res.reasons.loc["03", "gap"] == pytest.approx(10.0)
    with pytest.raises(ValueError, match="必ず含める.*「99」"):
        select(df, 2, Balance(), locks=["99"])
    with pytest.raises(SelectionInfeasible) as err:
        select(df, 2, Balance(), locks=["01"], exclusions=["01"])
    assert set(err.value.constraints) == {"count", "locks", "exclusions"}
    assert "除外にも指定されています" in str(err.value)


def test_eligibility_and_override() -> None:
    df = make_candidates(
        {"01": 90.0, "02": 80.0, "03": 70.0, "04": np.nan}, late={"01": True}, has_errors={"02": True}
    )
    res = select(df, 1, Balance())
    assert res.selected == ["03"]
    r = res.reasons
    assert r.loc["01", "reason"] == "期限後提出（受理せず）のため対象外"
    assert r.loc["02", "reason"] == "応募書にエラーがあるため対象外"
    assert r.loc["04", "reason"] == "採点がないため対象外"
    assert select(df, 1, Balance(), overrides=["01"]).selected == ["01"]
    with pytest.raises(SelectionInfeasible) as err:
        select(df, 2, Balance())
    assert err.value.constraints == ("count", "eligibility")
    assert "選べる応募は 1 件で、2 件を選べません" in str(err.value)
    with pytest.raises(SelectionInfeasible) as err:
        select(df, 1, Balance(), locks=["01"])
    assert set(err.value.constraints) == {"count", "locks", "eligibility"}
    assert "eligibility_override" in str(err.value)


def test_infeasible_messages_name_the_constraint() -> None:
    df = make_candidates(
        {f"{i:02d}": 90.0 - i for i in range(1, 9)},
        block={f"{i:02d}": BLOCKS[i % 3] for i in range(1, 9)},
        theme={f"{i:02d}": THEMES[i % 2] for i in range(1, 9)},
        application_type={"01": "プッシュ型"},
    )
    cases = [
        (Balance(max_per_block=1), ("count", "max_per_block"), "地方ブロックあたりの上限（1件"),
        (Balance(max_per_theme=2), ("count", "max_per_theme"), "最大 4 件しか選べません"),
        (Balance(min_distinct_themes=3), ("count", "min_distinct_themes"), "重点テーマは 2 種類"),
        (Balance(min_push=2), ("count", "min_push"), "プッシュ型 1 件"),
        (
            Balance(min_push=1, max_push=0),
            ("count", "max_push", "min_push"),
            "下限 1 件が上限 0 件を超えています",
        ),
    ]
    for balance, groups, text in cases:
        with pytest.raises(SelectionInfeasible) as err:
            select(df, 5, balance)
        assert err.value.constraints == groups, balance
        assert text in str(err.value)
        assert str(err.value).startswith("選定の条件をすべて満たす選び方がありません。")
    # two limits that are each satisfiable but not together
    with pytest.raises(SelectionInfeasible) as err:
        select(df, 5, Balance(max_per_block=2, max_per_theme=2))
    assert set(err.value.constraints) >= {"count"}
    # a range that contains a feasible k
    with pytest.raises(SelectionInfeasible) as err:
        select(df, SelectSpec(target=5, min=3, max=6), Balance(max_per_block=1))
    assert err.value.feasible_k == (3,)
    assert "選定数を 3 件にすれば条件を満たせます" in str(err.value)


def test_ties_are_broken_by_application_id_and_do_not_depend_on_row_order() -> None:
    totals = {"13": 70.0, "01": 70.0, "27": 70.0, "05": 70.0, "40": 60.0}
    df = make_candidates(totals)
    res = select(df, 2, Balance())
    assert res.selected == ["01", "05"]
    assert [a.selected for a in res.alternatives] == [["01", "13"], ["01", "27"], ["05", "13"]]
    assert all(a.difference == 0 for a in res.alternatives)
    shuffled = df.sample(frac=1.0, random_state=3)
    again = select(shuffled, 2, Balance())
    assert again.selected == res.selected
    pd.testing.assert_frame_equal(again.reasons, res.reasons)
    assert (
        res.reasons.loc["13", "reason"]
        == "選定ラインと同点（同点の場合は都道府県コードの小さい順に選定）のため選外"
    )
    # totals are compared after rounding to 4 decimals
    df2 = make_candidates({"01": 70.00001, "02": 70.00004})
    assert select(df2, 1, Balance()).selected == ["01"]
    df3 = make_candidates({"01": 70.0, "02": 70.0002})
    assert select(df3, 1, Balance()).selected == ["02"]


def test_range_reports_every_k() -> None:
    df = make_candidates({f"{i:02d}": 90.0 - i for i in range(1, 9)})
    res = select(df, (4, 6), Balance())
    assert res.k == 5 and len(res.selected) == 5
    assert list(res.by_k.index) == [4, 5, 6]
    assert res.by_k["is_target"].tolist() == [False, True, False]
    assert res.by_k.loc[6, "total"] == pytest.approx(sum(90.0 - i for i in range(1, 7)))
    assert res.by_k.loc[4, "difference"] == pytest.approx(-(90.0 - 5))
    assert select(df, (3, 4, 6), Balance()).k == 4
    with pytest.raises(ValueError, match="選定数 k"):
        select(df, "5", Balance())  # type: ignore[arg-type]


def test_missing_columns_are_reported() -> None:
    df = make_candidates({"01": 1.0}).drop(columns=["theme", "late"])
    with pytest.raises(ValueError, match="列がありません: theme、late"):
        select(df, 1, Balance())


def test_select_round_on_demo_round() -> None:
    import scoring

    rnd = scoring.load_round()
    rng = np.random.default_rng(0)
    totals = pd.DataFrame(
        {"total": np.round(rng.uniform(40, 90, len(rnd.applications)), 2)}, index=rnd.applications.index
    )
    cands = candidates_frame(totals.iloc[:-1], rnd.applications)
    assert len(cands) == len(rnd.applications)
    assert np.isnan(cands["total"].iloc[-1])
    res = select_round(rnd, totals)
    assert res.k == rnd.config.select.target
    late = rnd.applications.index[rnd.applications["late"]]
    assert (res.reasons.loc[late, "status"] == "対象外").all()
    sel = rnd.applications.loc[res.selected]
    assert sel["block"].value_counts().max() <= rnd.config.balance.max_per_block
    assert sel["theme"].nunique() >= rnd.config.balance.min_distinct_themes
    assert len(res.alternatives) == 3
    text = res.summary_ja()
    assert text.startswith(f"選定案（{res.k}件")
    assert list(res.alternatives_frame().columns) == ["total", "difference", "selected", "added", "removed"]


def test_points_are_rounded_half_up() -> None:
    assert [_pt(x) for x in (6.25, 6.35, 0.05, 12.0, 1.04999)] == ["6.3", "6.4", "0.1", "12.0", "1.0"]


def test_cli_select_prints_the_selection_and_reasons(
    demo_round_copy, capsys: pytest.CaptureFixture[str]
) -> None:
    import scoring
    from scoring.cli import main
    from scoring.demo.simulate import write_demo_scores

    write_demo_scores(scoring.load_round(demo_round_copy))
    assert main(["select", "--round", str(demo_round_copy), "--method", "mean"]) == 0
    out = capsys.readouterr().out
    assert "統合方法: mean" in out
    assert "選定案（5件" in out and "price of balance" in out
    assert "■ 応募ごとの結果と理由" in out and "期限後提出（受理せず）のため対象外" in out
    assert "次善案3" in out and "■ 選定数ごとの最良案" in out
    # the printed selection is the one select_round gives for the same totals
    from scoring.combine import combine
    from scoring.store.scores import ScoreStore

    rnd = scoring.load_round(demo_round_copy)
    with ScoreStore.open(rnd) as store:
        totals = combine(store.counted_scores(), rnd.rubric, method="mean")  # submitted only
    res = select_round(rnd, totals)
    assert res.summary_ja().splitlines()[0] in out

    # an impossible setting: exit 1 and the conflict named on stderr
    cfg = demo_round_copy / "round.yaml"
    cfg.write_text(
        cfg.read_text(encoding="utf-8").replace("min_distinct_themes: 3", "min_distinct_themes: 6"),
        encoding="utf-8",
    )
    assert main(["select", "--round", str(demo_round_copy), "--method", "mean"]) == 1
    err = capsys.readouterr().err
    assert "選定できません" in err and "重点テーマの種類数の下限（6種類以上" in err
    assert "選定数を 6 件にすれば条件を満たせます" in err


def few_signature_instance(
    rng: np.random.Generator, n: int
) -> tuple[pd.DataFrame, int, Balance, dict[str, list[str]]]:
    """Many candidates in few signatures (block, theme, プッシュ型), so that the solver's
    kernel (only the best few of each signature) leaves candidates out."""
    ids = [f"{c:02d}" for c in sorted(rng.choice(np.arange(1, 48), n, replace=False))]
    totals = (
        rng.integers(40, 60, n).astype(float) if rng.random() < 0.4 else np.round(rng.uniform(30, 95, n), 2)
    )
    df = pd.DataFrame(
        {
            "prefecture_name": [f"県{i}" for i in ids],
            "total": totals,
            "block": rng.choice(BLOCKS[:2], n),
            "theme": rng.choice(THEMES[:2], n),
            "application_type": np.where(rng.random(n) < 0.15, "プッシュ型", "手上げ式"),
            "late": False,
            "has_errors": rng.random(n) < 0.05,
        },
        index=pd.Index(ids, name="application"),
    )
    k = int(rng.integers(2, 6))
    balance = Balance(
        max_per_block=int(rng.integers(2, 4)),
        max_per_theme=int(rng.integers(1, 4)),
        min_distinct_themes=int(rng.integers(1, 3)) if rng.random() < 0.5 else None,
        max_push=int(rng.integers(1, 3)) if rng.random() < 0.6 else None,
        min_push=1 if rng.random() < 0.2 else None,
    )
    locks = [ids[int(rng.integers(n))]] if rng.random() < 0.2 else []
    return df, k, balance, {"locks": locks, "exclusions": [], "overrides": []}


def test_gaps_and_alternatives_equal_brute_force_when_the_kernel_leaves_candidates_out() -> None:
    from scoring.selection._exact import _kernel

    rng = np.random.default_rng(8)
    outcomes, reduced = [], 0
    for _ in range(40):
        df, k, balance, extra = few_signature_instance(rng, int(rng.integers(13, 18)))
        p = _compile(df, k, balance, extra["locks"], [], [])
        reduced += len(_kernel(p, k, 1)) < sum(p.available(CONSTRAINTS))  # as for the gaps
        outcomes.append(check_against_brute_force(df, k, balance, extra))
    assert outcomes.count("feasible") >= 25
    assert reduced >= 20


def test_gaps_at_200_applications_equal_one_milp_per_applicant() -> None:
    """Moderate size: every gap equals an independent MILP with the applicant forced in,
    and the fast selector agrees with the MILP selection (correctness, not time)."""
    from scoring.selection._exact import _solve

    rng = np.random.default_rng(200)
    n = 220
    ids = [f"{p:02d}{i:03d}" for i, p in enumerate(sorted(rng.integers(1, 48, n)))]
    df = pd.DataFrame(
        {
            "prefecture_name": ids,
            "total": np.round(rng.normal(60, 8, n), 2),
            "block": rng.choice(BLOCKS, n),
            "theme": rng.choice(THEMES, n),
            "application_type": np.where(rng.random(n) < 0.15, "プッシュ型", "手上げ式"),
            "late": rng.random(n) < 0.03,
            "has_errors": False,
        },
        index=pd.Index(ids, name="application"),
    )
    for balance, k in [
        (Balance(max_per_block=2, max_per_theme=1, min_distinct_themes=3, max_push=1), 5),
        (Balance(max_per_block=1, max_per_theme=2, min_distinct_themes=5, min_push=1, max_push=1), 6),
    ]:
        res = select(df, k, balance)
        p = _compile(df, k, balance, [], [], [])
        z = p.value([p.ids.index(i) for i in res.selected])
        open_rows = res.reasons[res.reasons["status"].isin(["次点", "非選定"])]
        assert len(open_rows) > 150
        for j, row in open_rows.iterrows():
            best = _solve(p, fix1=(p.ids.index(str(j)),))
            if best is None:
                assert np.isnan(row["gap"])
            else:
                assert row["gap"] == pytest.approx((z - p.value(best)) / 10**4, abs=1e-9), j
        fast = FastSelector(df, k, balance)
        assert fast.select_ids(df["total"].reindex(fast.ids).to_numpy()) == res.selected


def test_reasons_rank_is_the_one_rank_definition() -> None:
    """Equal totals share the best rank and 対象外 has none, as scoring.core.columns.review_rank."""
    from scoring.core.columns import review_rank

    df = make_candidates({"01": 90.0, "02": 80.0, "03": 80.0, "04": 95.0, "05": 70.0}, late={"04": True})
    res = select(df, 2)
    got = res.reasons["rank"].astype("Float64").fillna(-1).to_dict()
    assert got == {"01": 1, "02": 2, "03": 2, "04": -1, "05": 4}  # 04 is late: no rank
    want = review_rank(df["total"], df["late"].astype(bool))
    assert (
        res.reasons["rank"].astype("Float64").fillna(-1).to_dict()
        == want.reindex(res.reasons.index).astype("Float64").fillna(-1).to_dict()
    )


def _named_as_higher(reason: str) -> list[str]:
    """Ids named 「上位の …」 or 「より得点の高い …」 in a reason (names are 県<id>)."""
    out: list[str] = []
    for m in re.finditer(r"(?:上位の|より得点の高い) ((?:県\d+・?)+)", reason):
        out += [n.removeprefix("県") for n in m.group(1).split("・") if n]
    return out


def test_reasons_never_call_a_co_ranked_application_higher() -> None:
    """A tie at the line is broken by the code order; the reasons say 同点, not 上位 (issue 20)."""
    df = make_candidates({"01": 90, "02": 80, "03": 80}, block={"01": "X", "02": "X", "03": "Y"})
    r = select(df, 2, Balance(max_per_block=1)).reasons
    assert (
        "同点（都道府県コード順で先）の 県02" in r.at["03", "reason"] and "上位の" not in r.at["03", "reason"]
    )
    df = make_candidates(
        {"01": 90, "02": 90, "03": 50, "04": 40}, block={"01": "X", "02": "X", "03": "Y", "04": "Z"}
    )
    r = select(df, 3, Balance(max_per_block=1)).reasons
    assert r.at["01", "rank"] == r.at["02", "rank"] == 1
    assert "同点（都道府県コード順で先）の 県01 が優先" in r.at["02", "reason"]
    assert "より得点の高い" not in r.at["02", "reason"]
    # and on random instances with coarse totals (many ties): whoever is named higher has more points
    rng = np.random.default_rng(2020)
    named = 0
    for _ in range(25):
        df, k, balance, extra = random_instance(rng)
        df["total"] = (df["total"] // 20) * 20
        try:
            reasons = select(df, k, balance, **extra).reasons
        except SelectionInfeasible:
            continue
        for j, row in reasons.iterrows():
            for other in _named_as_higher(str(row["reason"])):
                named += 1
                assert df.at[other, "total"] > df.at[j, "total"], (j, other, row["reason"])
    assert named >= 3
