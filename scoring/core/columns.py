"""The column contracts of the workbench's tables, their Japanese headers, and the rank.

Every result table is a tidy DataFrame whose columns are fixed here, once, per producing
function; the modules that produce them import their tuple from here. The canonical long
score table is :data:`scoring.core.schema.SCORE_COLUMNS`, the problem table
:data:`scoring.core.schema.PROBLEM_COLUMNS`.

Also defined once here:

- :data:`HEADERS_JA`: the Japanese header of every canonical column that people see in
  more than one place (tables in notebooks, .xlsx, HTML);
- :data:`METHOD_LABELS`: the Japanese names of the combining methods;
- :func:`rank_totals` with :data:`TOTAL_DECIMALS`: the one rank definition. Totals are
  compared at :data:`TOTAL_DECIMALS` decimals (the precision the selection works at), so
  two applications with exactly the same scores share a rank even when floating-point
  summation in a different order makes their totals differ in the 15th digit.
- :func:`review_rank`: the rank every committee output shows (順位): :func:`rank_totals`
  among the applications *in the review* only. An application that is 対象外 (late,
  errors, excluded, withdrawn, …) or has no total gets no rank (``<NA>``, shown 「—」),
  so the 5th in the 順位 sheet is the 5th in 理由, 安定性 and every letter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .schema import FIELDS

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "AFFINITY_COLUMNS",
    "ALPHA_COLUMNS",
    "APPLICATION_COLUMNS",
    "APPLICATION_DISAGREEMENT_COLUMNS",
    "ASSIGNMENT_COLUMNS",
    "AUDIT_COLUMNS",
    "BREAKDOWN_COLUMNS",
    "CANDIDATE_COLUMNS",
    "CONFLICT_COLUMNS",
    "COVERAGE_COLUMNS",
    "CRITERION_DISAGREEMENT_COLUMNS",
    "DECISION_COLUMNS",
    "DISCUSSION_COLUMNS",
    "EVENT_COLUMNS",
    "HEADERS_JA",
    "ICC_COLUMNS",
    "KENDALL_COLUMNS",
    "METHOD_LABELS",
    "NEAR_TIE_COLUMNS",
    "PROGRESS_APPLICATION_COLUMNS",
    "PROGRESS_COLUMNS",
    "PROGRESS_REVIEWER_COLUMNS",
    "PUSH_CANDIDATE_COLUMNS",
    "RANKED_COLUMNS",
    "RANKING_COLUMNS",
    "REASON_COLUMNS",
    "RECEIPT_COLUMNS",
    "REFERENCE_COLUMNS",
    "RELIABILITY_COLUMNS",
    "REVIEWER_PROFILE_COLUMNS",
    "REVIEWER_TABLE_COLUMNS",
    "REVISION_COLUMNS",
    "SLIP_COLUMNS",
    "SPREAD_COLUMNS",
    "STABILITY_COLUMNS",
    "STATUS_COLUMNS",
    "TOTALS_COLUMNS",
    "TOTAL_COLUMNS",
    "TOTAL_DECIMALS",
    "UNCERTAINTY_COLUMNS",
    "rank_totals",
    "review_rank",
]

#: Totals (points on the 0–100 配点 scale) are compared and ranked at this many decimals.
TOTAL_DECIMALS = 4

#: Japanese names of the combining methods (drop-downs, reports, notes).
METHOD_LABELS: dict[str, str] = {
    "mean": "平均",
    "median": "中央値",
    "trimmed": "刈込平均（最高・最低を除く）",
    "zscore": "標準化（zスコア）",
    "additive": "審査員の甘辛を補正（加法モデル）",
    "affine": "審査員の甘辛と尺度の使い方を補正（アフィン）",
}

#: Japanese headers of canonical columns shown to people.
HEADERS_JA: dict[str, str] = {
    "application": "応募ID",
    "prefecture_name": "都道府県",
    "block": "地方ブロック",
    "theme": "重点テーマ",
    "application_type": "応募区分",
    "reviewer": "審査員",
    # review progress (scoring.review.progress)
    "reviewer_name": "氏名",
    "status": "状況",
    "assigned": "割当（件）",
    "submitted": "提出済（件）",
    "drafted": "下書き（件）",
    "missing": "未着手（件）",
    "todo": "未提出の応募",
    "criterion": "評価項目",
    "score": "点数",
    "comment": "コメント",
    "total": "合計点（100点満点）",
    "se": "標準誤差",
    "n_reviewers": "審査員数",
    "rank": "順位",
}


def rank_totals(total: pd.Series) -> pd.Series:
    """Rank totals, 1 = best; equal totals (at :data:`TOTAL_DECIMALS`) share the smallest rank.

    Parameters
    ----------
    total : Series of float
        Totals on the 0–100 scale; NaN means no total.

    Returns
    -------
    Series of Int64
        Same index; ``<NA>`` where the total is NaN. For example totals 55.55555555555556
        and 55.55555555555555 (the same scores summed in another order) both get rank 1.
    """
    return total.astype(float).round(TOTAL_DECIMALS).rank(ascending=False, method="min").astype("Int64")


def review_rank(total: pd.Series, excluded: pd.Series | None = None) -> pd.Series:
    """The rank shown in every committee output (順位): among the applications in the review.

    Parameters
    ----------
    total : Series of float
        Combined totals (0–100), index ``application``; NaN = no total.
    excluded : Series of bool, optional
        Same index (missing entries count as False): True for an application that is
        対象外 (:data:`scoring.selection.EXCLUSION_REASONS`).

    Returns
    -------
    Series of Int64
        :func:`rank_totals` of the totals of the applications not excluded; ``<NA>`` for
        excluded ones and for those without a total. Same index as ``total``.
    """
    t = total.astype(float)
    if excluded is not None:
        out = excluded.reindex(t.index).astype("boolean").fillna(False).astype(bool)
        t = t.where(~out)
    return rank_totals(t)


# agreement.disagreement -------------------------------------------------------
#: Columns of :func:`~scoring.agreement.disagreement.affinity`.
AFFINITY_COLUMNS: tuple[str, ...] = (
    "scope",
    "reviewer",
    "n_linked",
    "n_unlinked",
    "mean_linked",
    "mean_unlinked",
    "diff",
    "se",
    "t",
    "df",
    "p",
    "cohen_d",
    "judgement",
)
#: Columns of :func:`~scoring.agreement.disagreement.reviewer_profile`.
REVIEWER_PROFILE_COLUMNS: tuple[str, ...] = (
    "reviewer",
    "n_scored",
    "n_compared",
    "mean",
    "leniency",
    "leniency_se",
    "leniency_t",
    "spread",
    "spread_ratio",
    "spearman",
    "pearson",
    "tendency",
)
#: Columns of :func:`~scoring.agreement.disagreement.discussion_list`.
DISCUSSION_COLUMNS: tuple[str, ...] = (
    "application",
    "reason",
    "n_reasons",
    "border_flag",
    "disagree_flag",
    "few_flag",
    "total",
    "rank",
    "p_selected",
    "spread_ratio",
    "gap_levels",
    "gap_criterion",
)
#: Columns of :func:`~scoring.agreement.disagreement.application_disagreement`.
APPLICATION_DISAGREEMENT_COLUMNS: tuple[str, ...] = (
    "application",
    "n_reviewers",
    "total_mean",
    "total_sd",
    "total_se",
    "total_min",
    "total_max",
    "total_range",
    "share_far",
    "max_gap_levels",
    "max_gap_criterion",
)
#: Columns of :func:`~scoring.agreement.disagreement.criterion_disagreement`.
CRITERION_DISAGREEMENT_COLUMNS: tuple[str, ...] = (
    "application",
    "criterion",
    "n_reviewers",
    "mean",
    "sd",
    "min",
    "max",
    "range",
    "range_levels",
    "n_pairs",
    "share_far",
    "high",
    "low",
)

# agreement.reliability --------------------------------------------------------
#: Columns of :func:`~scoring.agreement.reliability.reliability_table`.
RELIABILITY_COLUMNS: tuple[str, ...] = (
    "criterion",
    "n_applications",
    "n_reviewers",
    "n_scores",
    "complete",
    "alpha_interval",
    "alpha_ordinal",
    "icc_a1",
    "icc_ak",
    "kendall_w",
    "judgement",
)
#: Columns of :func:`~scoring.agreement.reliability.reviewer_totals`.
TOTALS_COLUMNS: tuple[str, ...] = ("application", "reviewer", "total", "n_criteria")
#: Columns of :func:`~scoring.agreement.reliability.kendall_w`.
KENDALL_COLUMNS: tuple[str, ...] = (
    "W",
    "W_uncorrected",
    "chi2",
    "df",
    "p",
    "n_targets",
    "n_raters",
    "ties",
)
#: Columns of :func:`~scoring.agreement.reliability.icc`.
ICC_COLUMNS: tuple[str, ...] = (
    "type",
    "shrout_fleiss",
    "description",
    "icc",
    "F",
    "df1",
    "df2",
    "p",
    "ci_low",
    "ci_high",
)
#: Columns of :func:`~scoring.agreement.reliability.krippendorff_alpha`.
ALPHA_COLUMNS: tuple[str, ...] = (
    "criterion",
    "level",
    "alpha",
    "n_units",
    "n_pairable",
    "n_reviewers",
    "judgement",
)

# analysis.committee -----------------------------------------------------------
#: Columns of :attr:`Committee.coverage` (index ``block``).
COVERAGE_COLUMNS: tuple[str, ...] = ("theme", "applicants", "selected")
#: Columns of :attr:`Committee.spread` (index ``application``).
SPREAD_COLUMNS: tuple[str, ...] = (
    "prefecture_name",
    "n_reviewers",
    "mean",
    "min",
    "max",
    "range",
    "sd",
    "total",
)
#: Columns of :attr:`Committee.ranked` (index ``application``).
RANKED_COLUMNS: tuple[str, ...] = (
    "prefecture_name",
    "block",
    "theme",
    "application_type",
    "total",
    "se",
    "n_reviewers",
    "rank",
    "status",
    "p_selected",
    "flags",
)

# analysis.push ----------------------------------------------------------------
#: Columns of :func:`~scoring.analysis.push.push_candidates` (index ``code``, 47 rows).
PUSH_CANDIDATE_COLUMNS: tuple[str, ...] = (
    "rank",
    "prefecture_name",
    "block",
    "applied",
    "application_type",
    "municipalities",
    "towns_villages_share",
    "population_decline",
    "pool_members",
    "pool_source",
    "municipalities_per_pool_member",
    "not_applied",
    "w_towns_villages_share",
    "w_population_decline",
    "w_municipalities_per_pool_member",
    "w_not_applied",
    "score",
    "status",
)

# analysis.tuning --------------------------------------------------------------
#: Columns of :meth:`~scoring.analysis.tuning.TuningModel.reviewer_table`.
REVIEWER_TABLE_COLUMNS: tuple[str, ...] = (
    "reviewer",
    "name",
    "role",
    "n_scored",
    "leniency",
    "leniency_se",
    "leniency_t",
    "tendency",
    "spread_ratio",
    "spearman",
    "model_bias",
    "model_bias_total",
    "model_scale",
)
#: Columns of :meth:`~scoring.analysis.tuning.TuningModel.ranking`; one column per rubric group (group id) is
#: inserted after ``se``.
RANKING_COLUMNS: tuple[str, ...] = (
    "rank",
    "prefecture_name",
    "total",
    "se",
    "n_reviewers",
    "flags",
    "baseline_rank",
    "rank_change",
)

# combine ------------------------------------------------------------
#: Fixed columns of :meth:`~scoring.combine.Combiner.totals`; one column per rubric group is inserted after
#: ``n_reviewers``.
TOTAL_COLUMNS: tuple[str, ...] = ("total", "se", "n_reviewers", "flags", "rank")

# intake.applications ----------------------------------------------------------
#: Columns joined from :func:`scoring.core.reference.prefectures` (``block`` is ``region_ja``).
REFERENCE_COLUMNS: tuple[str, ...] = (
    "block",
    "municipalities",
    "municipalities_incl_wards",
    "population_2020_exact",
    "pop_change_2015_2020_pct",
    "towns_villages_share_pct",
    "cities_shi",
    "towns_machi",
    "villages_mura",
)
#: Columns of the applications table, in order (the index ``application`` is not included).
APPLICATION_COLUMNS: tuple[str, ...] = (
    "file",
    *(f.key for f in FIELDS),
    "theme_name",
    "prefecture_name",
    "late",
    "withdrawn",
    "has_errors",
    "n_warnings",
    *REFERENCE_COLUMNS,
)

#: Columns of ``Intake.superseded``: a file replaced by a newer submission of the same prefecture.
SUPERSEDED_COLUMNS: tuple[str, ...] = ("file", "application", "submitted_at", "replaced_by")

# round.eligibility --------------------------------------------------------------
#: Columns of :attr:`~scoring.round.loader.ReviewRound.eligibility` (index ``application``):
#: the receipt and eligibility of each application after the recorded decisions.
ELIGIBILITY_COLUMNS: tuple[str, ...] = (
    "prefecture_name",
    "application_type",
    "file",
    "received_at",
    "status",
    "late",
    "withdrawn",
    "records",
    "form_type",
)
#: Columns of :func:`~scoring.round.eligibility_records.eligibility_log` (one row per recorded decision).
ELIGIBILITY_LOG_COLUMNS: tuple[str, ...] = (
    "event_id",
    "recorded_at",
    "action",
    "application",
    "prefecture_name",
    "file",
    "original_received",
    "by",
    "reason",
)

# round.assign -----------------------------------------------------------------
#: Columns of an assignment table.
ASSIGNMENT_COLUMNS: tuple[str, ...] = ("reviewer", "application")

# round.decision ---------------------------------------------------------------
#: Columns of :func:`~scoring.round.decision.decision_table` (index ``application``).
DECISION_COLUMNS: tuple[str, ...] = (
    "prefecture_name",
    "decided",
    "proposed",
    "difference",
    "locked",
    "excluded",
    "reason",
)

# store.scores -----------------------------------------------------------------
#: Columns of :meth:`~scoring.store.scores.ScoreStore.verify`.
AUDIT_COLUMNS: tuple[str, ...] = ("event_id", "problem", "message")
#: Columns of :meth:`~scoring.store.scores.ScoreStore.receipts`.
RECEIPT_COLUMNS: tuple[str, ...] = ("reviewer", "application", "receipt", "event_id", "submitted_at")
#: Columns of :meth:`~scoring.store.scores.ScoreStore.statuses`.
STATUS_COLUMNS: tuple[str, ...] = ("reviewer", "application", "status")
#: Columns of :meth:`~scoring.store.scores.ScoreStore.revisions` (the second stage, 協議後の修正).
REVISION_COLUMNS: tuple[str, ...] = (
    "application",
    "reviewer",
    "criterion",
    "first_score",
    "final_score",
    "reason",
    "by",
    "revised_at",
    "event_id",
)
#: Columns of :meth:`~scoring.store.scores.ScoreStore.events` (and of the ``score_events`` table).
EVENT_COLUMNS: tuple[str, ...] = (
    "id",
    "timestamp",
    "kind",
    "reviewer",
    "application",
    "criterion",
    "score",
    "comment",
    "rubric_version",
    "source",
    "actor",
    "prev_hash",
    "hash",
    "payload",
)

# selection --------------------------------------------------------
#: Columns :func:`~scoring.selection.select` needs in ``candidates`` (``prefecture_name`` is optional).
CANDIDATE_COLUMNS: tuple[str, ...] = ("total", "block", "theme", "application_type", "late", "has_errors")
#: Columns of :attr:`~scoring.selection.SelectionResult.reasons`.
REASON_COLUMNS: tuple[str, ...] = (
    "prefecture_name",
    "status",
    "rank",
    "total",
    "gap",
    "constraint",
    "related",
    "reason",
)

# selection.stability -----------------------------------------------------
#: Columns of the table returned by :func:`~scoring.selection.stability.stability` (index ``application``).
STABILITY_COLUMNS: tuple[str, ...] = (
    "prefecture_name",
    "total",
    "rank",
    "baseline_selected",
    "p_selected",
    "rank_median",
    "rank_lo",
    "rank_hi",
    "border",
)

# review.sheets -----------------------------------------------------------------
#: Columns of ``report.attrs["conflicts"]`` (:func:`~scoring.review.sheet_import.import_sheets`): the cells an import stopped at.
CONFLICT_COLUMNS: tuple[str, ...] = (
    "file",
    "cell",
    "application",
    "criterion",
    "store_score",
    "store_comment",
    "store_updated_at",
    "exported_score",
    "sheet_score",
    "sheet_comment",
)

# review.progress ---------------------------------------------------------------
#: Columns of :func:`~scoring.review.progress.review_progress` ``pairs``: one row per assigned,
#: non-conflicted (reviewer, application) pair; ``status`` is 未着手 / 下書き / 提出済.
PROGRESS_COLUMNS: tuple[str, ...] = ("reviewer", "reviewer_name", "application", "prefecture_name", "status")
#: Columns of ``reviewers`` (one row per reviewer; ``todo`` lists what is not submitted, by name).
PROGRESS_REVIEWER_COLUMNS: tuple[str, ...] = (
    "reviewer",
    "reviewer_name",
    "assigned",
    "submitted",
    "drafted",
    "missing",
    "todo",
)
#: Columns of ``applications`` (one row per application).
PROGRESS_APPLICATION_COLUMNS: tuple[str, ...] = (
    "application",
    "prefecture_name",
    "assigned",
    "submitted",
    "drafted",
    "missing",
    "todo",
)


# -- issue 19–21: receipts, uncertainty, near-ties, letters (moved here: one home for column tuples)

#: The 受領票 (receipt slip) of a reviewer: :mod:`scoring.review.receipts`.
SLIP_COLUMNS: tuple[str, ...] = ("応募ID", "都道府県", "提出日時（日本時間）", "受領コード")
#: :func:`scoring.analysis.uncertainty.honest_se`'s table.
UNCERTAINTY_COLUMNS: tuple[str, ...] = ("total", "se", "se_plugin", "se_own", "se_calibration")
#: :func:`scoring.analysis.nearties.near_ties` (pairs across the line not meaningfully different).
NEAR_TIE_COLUMNS: tuple[str, ...] = ("応募ID_上", "応募ID_下", "差", "差の標準誤差", "判定")
#: Columns of a letter's workbook 評価の内訳 (the cohort as quartiles in whole points).
BREAKDOWN_COLUMNS: tuple[str, ...] = (
    "観点",
    "満点（点）",
    "貴団体の得点（点）",
    "応募全体の第1四分位（点）",
    "応募全体の中央値（点）",
    "応募全体の第3四分位（点）",
)
