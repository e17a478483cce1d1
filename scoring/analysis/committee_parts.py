"""The smaller tables and sentences of the committee model, each computed on its own
(split from :mod:`scoring.analysis.committee`, which combines, ranks, selects and resamples
and assembles :class:`~scoring.analysis.committee.Committee`).

Here: the drafts (which scores count, :func:`draft_summary`, :func:`drafts_message`), the
reliability headline, the coverage by region × theme, the discussion list (協議対象), the
reviewers' labels in the committee material (審査員A, B, …), the review statuses when the
scores were given directly, and the reviewers' comments in ranking order.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..agreement.disagreement import discussion_list
from ..agreement.reliability import alpha_judgement
from ..core.columns import COVERAGE_COLUMNS
from ..core.errors import NoScoresError
from ..core.reference import prefecture_blocks
from ..core.schema import THEMES
from ..round.loader import ReviewRound, no_scores_message
from .status import STATUS_EXCLUDED


def _reliability_headline(rel: pd.DataFrame) -> str:
    """One sentence: the median alpha over the criteria (with its reading) and the total's alpha."""

    crit = rel.loc[rel["criterion"] != "total", "alpha_interval"].astype(float)
    tot = rel.loc[rel["criterion"] == "total", "alpha_interval"].astype(float)
    parts = []
    if crit.notna().any():
        med = float(np.nanmedian(crit))
        parts.append(f"評価項目ごとの Krippendorff の α（中央値）{med:.2f}：{alpha_judgement(med)}")
    if len(tot) and np.isfinite(float(tot.iloc[0])):
        parts.append(f"合計点の α {float(tot.iloc[0]):.2f}")
    if not parts:
        return "審査員間の一致は算出できません（比較できる採点が不足しています）"
    return "。".join(parts)


def _coverage(rnd: ReviewRound, selected: list[str]) -> pd.DataFrame:
    apps = rnd.applications
    order = list(dict.fromkeys(prefecture_blocks(rnd.config.block_scheme)))
    rows = []
    for b in order:
        in_b = apps[apps["block"] == b] if "block" in apps.columns else apps.iloc[0:0]
        for t in THEMES:
            ids = (
                [str(a) for a in in_b.index[in_b["theme"].astype("string") == t]]
                if "theme" in apps.columns
                else []
            )
            rows.append(
                {"block": b, "theme": t, "applicants": len(ids), "selected": sum(a in selected for a in ids)}
            )
    out = pd.DataFrame(rows, columns=["block", *COVERAGE_COLUMNS]).set_index("block")
    return out.astype({"applicants": "int64", "selected": "int64"})


def _scores_used(
    rnd: ReviewRound, scores: pd.DataFrame, drafts: Mapping[str, Any], include_drafts: bool
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The scores counted (drafts left out unless included) and those with a score; NoScoresError if none."""
    if not include_drafts and "status" in scores.columns:
        scores = scores[scores["status"].astype(str) == "提出済"]
    scored = scores[pd.to_numeric(scores["score"], errors="coerce").notna()] if len(scores) else scores
    if not len(scored):
        message = no_scores_message(rnd)
        if drafts["n_scores"]:
            message = (
                f"提出済みの点数がありません（下書き {drafts['n_scores']} 件は round.yaml の include_drafts が"
                "false のため数えません）。" + message
            )
        raise NoScoresError(message)
    return scores, scored


def draft_summary(scores: pd.DataFrame, *, included: bool) -> dict[str, Any]:
    """How many draft (下書き) scores there are and whether they are counted.

    ``scores`` is the store's table with drafts (a ``status`` column; without it every score
    counts as submitted). Returns ``included`` (bool), ``n_scores`` (draft scores),
    ``reviewers`` and ``applications`` (sorted ids of the pairs with a draft score).
    """
    if not len(scores) or "status" not in scores.columns:
        return {"included": included, "n_scores": 0, "reviewers": [], "applications": []}
    d = scores[
        (scores["status"].astype(str) != "提出済") & pd.to_numeric(scores["score"], errors="coerce").notna()
    ]
    return {
        "included": included,
        "n_scores": len(d),
        "reviewers": sorted(d["reviewer"].astype(str).unique()),
        "applications": sorted(d["application"].astype(str).unique()),
    }


def drafts_message(drafts: Mapping[str, Any]) -> str:
    """The Japanese warning or notice about drafts ("" when there are none)."""
    n = int(drafts.get("n_scores", 0))
    if not n:
        return ""
    k, m = len(drafts.get("reviewers", [])), len(drafts.get("applications", []))
    if drafts.get("included"):
        return (
            f"下書き {n} 件（審査員 {k} 名・応募 {m} 件）を含めて集計しています。提出前の点数のため、"
            "提出後に結果が変わることがあります（round.yaml の include_drafts: true）。"
        )
    return (
        f"下書き {n} 件（審査員 {k} 名・応募 {m} 件）は提出されていないため集計に含めていません"
        "（含めるには round.yaml に include_drafts: true）。"
    )


def _discussion(
    scored: pd.DataFrame,
    rubric: Any,
    weights: pd.Series | None,
    totals: pd.DataFrame,
    ranked: pd.DataFrame,
    stab: pd.DataFrame,
    select: int,
    labels: Mapping[str, str],
) -> pd.DataFrame:
    """The discussion list (協議対象) of the round, 対象外 applications left out."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        d = discussion_list(
            scored,
            rubric,
            weights=weights,
            combined=totals.loc[totals["total"].notna(), ["total"]],
            select=select,
            p_selected=stab["p_selected"] if "p_selected" in stab.columns else None,
            rank=ranked["rank"],
            reviewer_labels=labels,
        )
    keep = d["application"].map(lambda a: str(ranked["status"].get(a, "")) != STATUS_EXCLUDED)
    d = d[keep.astype(bool)].reset_index(drop=True)
    d.insert(1, "prefecture_name", d["application"].map(ranked["prefecture_name"]).fillna("").astype(str))
    return d


def reviewer_alias(i: int) -> str:
    """審査員A, B, …, Z, then 審査員AA, AB, … (0-based ``i``)."""
    letters = ""
    n = i + 1
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(ord("A") + r) + letters
    return f"審査員{letters}"


def reviewer_labels(rnd: ReviewRound) -> dict[str, str]:
    """Reviewer id → label in the committee material.

    Anonymous by default: 審査員A, B, … in the order of reviewers.yaml, so the same reviewer
    has the same letter in every section and every printing of the round (not the reviewer
    id, which may be initials). With ``show_reviewer_names: true`` in round.yaml: the name.
    """
    show = bool(getattr(rnd.config, "show_reviewer_names", False))
    return {
        r.id: (str(r.name) if show and r.name else reviewer_alias(i)) for i, r in enumerate(rnd.reviewers)
    }


def _statuses_from_scores(rnd: ReviewRound, scores: pd.DataFrame) -> pd.DataFrame:
    """Assigned pairs and their status when the scores were given directly (no store)."""
    done: dict[tuple[str, str], str] = {}
    if len(scores):
        st = scores["status"] if "status" in scores.columns else pd.Series("提出済", index=scores.index)
        for rid, app, s in zip(scores["reviewer"].astype(str), scores["application"].astype(str), st):
            done[(rid, app)] = str(s)
    pairs = set(done)
    assigned = rnd.assignments()
    pairs |= set(zip(assigned["reviewer"].astype(str), assigned["application"].astype(str)))
    rows = [(r, app, done.get((r, app), "未着手")) for r, app in sorted(pairs)]
    return pd.DataFrame(rows, columns=["reviewer", "application", "status"])


def _comments(scores: pd.DataFrame, order: list[str], criteria: list[str]) -> pd.DataFrame:
    cols = ["application", "reviewer", "criterion", "score", "comment"]
    if not len(scores) or "comment" not in scores.columns:
        return pd.DataFrame(columns=cols)
    df = scores.loc[:, cols].copy()
    df["application"] = df["application"].astype(str)
    df["comment"] = df["comment"].fillna("").astype(str).str.strip()
    df = df[df["comment"] != ""]
    pos = {a: i for i, a in enumerate(order)}
    cpos = {c: i for i, c in enumerate(criteria)}
    df = df.assign(
        _a=df["application"].map(lambda a: pos.get(a, len(pos))),
        _c=df["criterion"].map(lambda c: cpos.get(c, len(cpos))),
    )
    df = df.sort_values(["_a", "reviewer", "_c"], kind="stable").drop(columns=["_a", "_c"])
    return df.reset_index(drop=True)
