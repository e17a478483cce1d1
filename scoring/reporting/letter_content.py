"""What a 講評 says, worked out from the committee's own numbers and reasons.

The letter (:mod:`scoring.reporting.feedback`) is written for one applicant and never lets
it learn another applicant's name or figures. This module gives it:

- :func:`calibrated_values`: the calibrated value of every criterion (the committee's own
  method and options, the same numbers the group points of the letter are made of), and
  :func:`criterion_positions` (above / below the cohort's median of those values): the
  strengths and points to improve follow the printed points, never the raw means;
- :func:`group_scores`: the applicant's points per rubric group beside the cohort's
  quartiles, rounded to whole points (no other applicant's exact points), for groups of at
  least :data:`MIN_COHORT` applications;
- :func:`need_sentences`: a group whose rubric ``letter:`` says ``kind: need`` is spoken
  of as need (「支援の必要性が高いと判断しました」), never as a strength or a weakness;
- :func:`result_sentence`: why an application was not selected, from the selection's own
  reasons but rewritten without naming anyone (「合計点は 4 位でしたが、重点テーマ F は
  1 件までとする方針により…」), the distance to the line only as a band
  (:func:`gap_band`, when round.yaml ``letters.gap_band`` allows it); and why an
  application was outside the review (:func:`exclusion_sentence`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from ..combine import make_combiner

if TYPE_CHECKING:
    from ..analysis.committee import Committee
    from ..config.rubric import Rubric
    from ..round.loader import ReviewRound

__all__ = [
    "MIN_COHORT",
    "calibrated_values",
    "criterion_positions",
    "exclusion_sentence",
    "gap_band",
    "group_scores",
    "in_review",
    "need_sentences",
    "result_sentence",
]

#: Fewest applications in the review for which the cohort's quartiles are shown.
MIN_COHORT = 5

#: The balance rules as a policy, in the words a letter may use (no applicant named).
_CAP_POLICY = {
    "max_per_theme": "重点テーマ{theme}からの選定は {cap} 件までとする方針",
    "max_per_block": "同じ地方ブロック（{block}）からの選定は {cap} 件までとする方針",
    "max_push": "プッシュ型による選定は {cap} 件までとする方針",
}
_SAME = {"max_per_theme": "同じ重点テーマ", "max_per_block": "同じ地方ブロック", "max_push": "プッシュ型の中"}
_SWAP_POLICY = {
    "min_distinct_themes": "選定する重点テーマを {cap} 種類以上とする方針",
    "min_push": "プッシュ型を {cap} 件以上選定する方針",
    "max_per_theme": "重点テーマごとの選定数の上限",
    "max_per_block": "地方ブロックごとの選定数の上限",
    "max_push": "プッシュ型の選定数の上限",
    "locks": "選定委員会が必ず選定するとした応募",
}


def in_review(c: Committee) -> list[str]:
    """Applications with a total that are in the review (not 対象外): the cohort of the letters."""
    ranked = c.ranked
    ok = ranked["total"].notna() & (ranked["status"].astype(str) != "対象外")
    return [str(a) for a in ranked.index[ok]]


# ----------------------------------------------------------------------------------------
# Calibrated values, positions and cohort quartiles
# ----------------------------------------------------------------------------------------


def calibrated_values(c: Committee, rubric: Rubric, scores: pd.DataFrame) -> pd.DataFrame:
    """The calibrated value of each criterion (index application, columns criterion ids).

    The committee's method with the options it used (``c.settings``), fitted on the same
    counted scores, so the values are those the letter's group points are made of.
    """
    scored = scores[pd.to_numeric(scores["score"], errors="coerce").notna()] if len(scores) else scores
    if not len(scored):
        return pd.DataFrame()
    options: Mapping[str, Any] = c.settings.get("method_options") or {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        comb = make_combiner(c.method, **dict(options)).fit(scored, rubric)
    values = comb.criterion_values_.copy()
    values.index = values.index.astype(str)
    values.columns = [str(k) for k in values.columns]
    return values


def criterion_positions(values: pd.DataFrame, cohort: list[str]) -> pd.DataFrame:
    """Each application's calibrated value per criterion against the cohort's median.

    Returns
    -------
    DataFrame
        Columns ``application``, ``criterion``, ``value`` (calibrated), ``cohort_median``
        (over ``cohort``) and ``position``: ``"above"``, ``"below"`` or ``"at"``.
    """
    cols = ["application", "criterion", "value", "cohort_median", "position"]
    if values.empty:
        return pd.DataFrame(columns=cols)
    med = values.loc[[a for a in cohort if a in values.index]].median()
    long = values.stack().reset_index()
    long.columns = pd.Index(["application", "criterion", "value"])
    long["cohort_median"] = long["criterion"].map(med)
    diff = long["value"] - long["cohort_median"]
    long["position"] = np.where(diff > 1e-9, "above", np.where(diff < -1e-9, "below", "at"))
    return long[cols]


def _quartiles(col: pd.Series) -> tuple[float, float, float]:
    """Q1, median and Q3 rounded to whole points (never one applicant's exact points)."""
    q = np.percentile(col.astype(float).to_numpy(), [25, 50, 75])
    return tuple(float(round(x)) for x in q)  # type: ignore[return-value]


def group_scores(c: Committee, application: str) -> pd.DataFrame:
    """The applicant's points per rubric group beside the cohort's quartiles.

    Returns
    -------
    DataFrame
        One row per rubric group (rubric order), index ``group``; columns ``label``,
        ``max_points``, ``points`` (this applicant's calibrated group points, NaN without
        scores), ``cohort_q1``, ``cohort_median``, ``cohort_q3`` (the cohort's quartiles
        in whole points over the applications in the review; NaN with fewer than
        :data:`MIN_COHORT`).
    """
    b = c.breakdown
    cohort = b.loc[[a for a in in_review(c) if a in b.index]]
    show = len(cohort) >= MIN_COHORT
    rows = []
    for gid, (label, maxp) in c.group_labels.items():
        own = float(b[gid].astype(float).get(application, math.nan)) if gid in b.columns else math.nan
        q = _quartiles(cohort[gid]) if show and gid in cohort.columns else (math.nan,) * 3
        rows.append(
            {
                "group": gid,
                "label": label,
                "max_points": float(maxp),
                "points": own,
                "cohort_q1": q[0],
                "cohort_median": q[1],
                "cohort_q3": q[2],
            }
        )
    return pd.DataFrame(rows).set_index("group")


def need_sentences(c: Committee, rubric: Rubric, application: str) -> list[str]:
    """The sentences of the need groups (rubric ``letter: {kind: need}``) for this applicant.

    High when the applicant's group points are above the median of the applications in the
    review (the calibrated points the letter prints), else low. Empty without points.
    """
    b = c.breakdown
    cohort = b.loc[[a for a in in_review(c) if a in b.index]]
    out = []
    for g in rubric.groups:
        if g.letter is None or g.letter.kind != "need" or g.id not in b.columns or application not in b.index:
            continue
        own = float(cast("float", b.at[application, g.id]))
        if not math.isfinite(own) or not len(cohort):
            continue
        med = float(cohort[g.id].astype(float).median())
        out.append(g.letter.high if own > med + 1e-9 else g.letter.low)
    return out


# ----------------------------------------------------------------------------------------
# The result in words
# ----------------------------------------------------------------------------------------


def gap_band(gap: float) -> str:
    """The distance to the selection line as a band (「1 点未満」…「5 点以上」)."""
    if not math.isfinite(gap):
        return ""
    if gap < 1:
        return "1 点未満"
    if gap < 3:
        return "1 点以上 3 点未満"
    if gap < 5:
        return "3 点以上 5 点未満"
    return "5 点以上"


def _cap_value(rnd: ReviewRound, key: str) -> object:
    return getattr(rnd.config.balance, key, None)


def _policy(rnd: ReviewRound, key: str, app: Mapping[Any, Any]) -> str:
    """The rule ``key`` as a policy sentence, about this applicant's own theme or block only."""
    cap = _cap_value(rnd, key)
    theme = str(app.get("theme") or "")
    block = str(app.get("block") or "")
    if key in _CAP_POLICY and cap is not None:
        return _CAP_POLICY[key].format(theme=f" {theme} " if theme else "", block=block, cap=cap)
    return _SWAP_POLICY.get(key, "地域・重点テーマ等のバランスの条件").format(cap=cap)


def result_sentence(c: Committee, rnd: ReviewRound, application: str, result: str) -> str:
    """Why an application was not selected, in words that name no other applicant.

    From the selection's own reasons (``c.selection.reasons``: ``constraint``, ``rank``,
    ``gap``): displaced by a balance rule → the rule as a policy; short of the line → that,
    and with ``letters.gap_band`` the distance as a band (:func:`gap_band`); a decision that
    differs from the proposal → the committee's deliberation. "" for other results.
    """
    if result != "非選定":
        return ""
    sel = c.selection
    if sel is None or application not in sel.reasons.index:
        return "選定委員会の審議の結果、選定には至りませんでした。"
    row: dict[Any, Any] = sel.reasons.loc[application].to_dict()
    if str(row["status"]) == "選定":  # the committee decided otherwise than the proposal
        return "選定委員会の審議の結果、選定には至りませんでした。"
    rank = row["rank"]
    place = f"合計点は {int(rank)} 位" if pd.notna(rank) else "合計点"
    head = f"{place}でした"
    reason = str(row["reason"] or "")
    keys = [k for k in str(row["constraint"] or "").split(",") if k]
    app: dict[Any, Any] = c.ranked.loc[application].to_dict() if application in c.ranked.index else {}
    if reason.startswith("選定ライン"):
        text = f"{place}で、選定ラインに届かず、選定には至りませんでした。"
        if "同点" in reason:
            text = f"{place}で、選定ラインと同点となり、同点の場合の取り決めにより選定には至りませんでした。"
        elif rnd.config.letters.gap_band and math.isfinite(float(row["gap"])):
            text += f"（選定ラインまで {gap_band(float(row['gap']))}）"
        return text
    if keys:
        policies = "・".join(dict.fromkeys(_policy(rnd, k, app) for k in keys))
        if keys[0] in _CAP_POLICY:
            return (
                f"{head}が、{policies}により、{_SAME[keys[0]]}でより合計点の高い応募を選定したため、"
                "選定には至りませんでした。"
            )
        return f"{head}が、{policies}により、選定には至りませんでした。"
    return f"{head}が、選定数と地域・重点テーマ等のバランスを考慮した結果、選定には至りませんでした。"


#: Reasons of 対象外 (the selection's and :func:`scoring.analysis.status.application_statuses`'s
#: words) → the sentence of the letter, found by a keyword of the reason.
_EXCLUSION_SENTENCES = (
    ("辞退", "辞退のお申し出があったため、審査の対象としていません。"),
    ("期限後", "提出期限後の提出であったため、審査の対象としていません。"),
    ("エラー", "応募書の記載に不備があったため、審査の対象としていません。"),
    ("担当審査員", "審査を行うことができなかったため、審査の対象としていません。"),
    ("採点がない", "審査を行うことができなかったため、審査の対象としていません。"),
    ("採点なし", "審査を行うことができなかったため、審査の対象としていません。"),
    ("総務省", "総務省の判断により、審査の対象としていません。"),
    ("除外", "選定委員会の判断により、審査の対象としていません。"),
)


def exclusion_sentence(reason: str) -> str:
    """The letter's sentence for an application outside the review (対象外)."""
    for word, sentence in _EXCLUSION_SENTENCES:
        if word in reason:
            return sentence
    return "審査の対象としていません。"
