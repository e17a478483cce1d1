"""What the 選定委員会 sees: one plain model computed from a round.

:func:`build_committee` combines the round's scores (:data:`scoring.combine.DEFAULT_METHOD`
unless told otherwise), ranks the applications, breaks every total down by rubric group,
measures how far the reviewers' totals spread, proposes the balanced selection
(:func:`scoring.selection.select_round`), resamples it for stability (``StabilityAnalysis``, 1,000
seeded resamples), counts applicants and the selection by region × theme, reads the reliability headline,
hashes the settings and compares them with the recorded decision (:mod:`scoring.round.decision`).

The result, :class:`Committee`, holds tidy DataFrames with English column names
(documented on each attribute) and knows nothing of HTML, Excel or widgets;
:func:`scoring.reporting.committee_tables.tables_ja` converts them at the edge into the Japanese tables that
``04_committee.ipynb``, ``committee.html`` and ``committee.xlsx`` show
(:mod:`scoring.reporting.committee_report`).

Reading the numbers (for the committee)
---------------------------------------
- 合計点 is on the 配点 scale 0–100 after calibrating each reviewer's leniency and use of
  the scale (``affine``, see :mod:`scoring.combine`); 標準誤差 is its standard error including
  the error of the estimated calibration (jackknife over reviewers, :mod:`scoring.analysis.uncertainty`).
- The spread (ばらつき) is computed on each reviewer's own weighted total of an application
  (raw scores, no calibration): a wide range means the reviewers read the application
  differently, not that the combined total is wrong.
- 選定された割合 is the share of 1,000 resamples (reviews drawn with replacement, the same
  combining method) in which the applicant is selected under the same balance settings;
  applicants between 10 % and 90 % are 当落線上 (in the border zone).
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..agreement.reliability import reliability_table, reviewer_totals
from ..combine import DEFAULT_METHOD, METHODS, make_combiner
from ..core.clock import now_jst, to_jst
from ..core.columns import COVERAGE_COLUMNS, RANKED_COLUMNS, REVISION_COLUMNS, SPREAD_COLUMNS
from ..core.errors import OptionError
from ..core.settings import score_fingerprint, settings_hash, settings_record
from ..round.decision import (
    Decision,
    check_decision,
    decision_status,
    latest_decision,
    record_decision,
)
from ..round.loader import ReviewRound, load_round
from ..selection import (
    SelectionInfeasible,
    SelectionResult,
    candidates_frame,
    select_round,
)
from ..selection.stability import StabilityAnalysis
from ..store.checkpoints import Checkpoint
from ..store.scores import RECEIPT_COLUMNS, ScoreStore
from .committee_parts import (
    _comments,
    _coverage,
    _discussion,
    _reliability_headline,
    _scores_used,
    _statuses_from_scores,
    draft_summary,
    drafts_message,
    reviewer_labels,
)
from .push import push_candidates
from .ranking import _breakdown, _ranked, _spread
from .uncertainty import honest_se

__all__ = [
    "COVERAGE_COLUMNS",
    "RANKED_COLUMNS",
    "SPREAD_COLUMNS",
    "Committee",
    "build_committee",
    "draft_summary",
    "drafts_message",
    "record_committee_decision",
]


@dataclass
class Committee:
    """Everything the committee sees for one round (build it with :func:`build_committee`).

    Data only: :mod:`scoring.reporting.committee_tables` turns it into the Japanese tables,
    :mod:`scoring.reporting.committee_report` into the HTML page and the workbook.

    Attributes
    ----------
    round_name, round_path, rubric_version, method : str / Path
        What was computed.
    generated_at : datetime
        When (Japan Standard Time).
    n_applications, n_reviewers, n_scores : int
        Applications of the round, reviewers with at least one score, scores counted.
    applications : DataFrame
        ``ReviewRound.applications`` (index ``application`` as str).
    totals : DataFrame
        :meth:`scoring.combine.Combiner.totals` of the round (index ``application``, one
        column per rubric group).
    ranked : DataFrame
        Index ``application``, in rank order; columns :data:`RANKED_COLUMNS`:
        ``prefecture_name``, ``block``, ``theme`` (A–F), ``application_type``; ``total`` and
        ``se`` (points, 0–100); ``n_reviewers`` (int); ``rank`` (Int64, by total among all
        scored applications, 1 = best); ``status`` (選定/次点/非選定/対象外 from the
        selection; 対象外 for :func:`scoring.analysis.status.exclusion_reasons` also when no
        selection is possible, "" otherwise); ``p_selected`` (share 0–1 of the stability
        resamples, NaN if not computed); ``flags`` (the combiner's Japanese notes).
    breakdown : DataFrame
        Index ``application`` (rank order); ``prefecture_name``, one float column per rubric
        group id (points of the total contributed by that group) and ``total``.
    group_labels : dict
        Group id → (Japanese label, maximum points of the group after renormalising to 100).
    spread : DataFrame
        Index ``application`` (rank order); columns :data:`SPREAD_COLUMNS`: the reviewers'
        own weighted totals (0–100, complete sheets only): ``n_reviewers``, ``mean``,
        ``min``, ``max``, ``range`` (max − min), ``sd`` (ddof=1; NaN with one reviewer), and
        the combined ``total`` for comparison.
    reviewer_totals : DataFrame
        The long table behind ``spread`` (``application, reviewer, total, n_criteria``).
    selection : SelectionResult or None
        The proposal; None when the settings cannot be met (``selection_error`` says why).
    selection_error : str
        Japanese message of :class:`scoring.selection.SelectionInfeasible`, or "".
    stability : DataFrame
        :class:`scoring.selection.stability.StabilityAnalysis` ``table_`` (columns
        :data:`scoring.selection.stability.STABILITY_COLUMNS`); its summary in ``stability_summary``.
    coverage : DataFrame
        Long table, one row per block × theme (blocks in the scheme's north-to-south order,
        themes A–F): index ``block``; columns :data:`COVERAGE_COLUMNS` (``applicants``,
        ``selected``: int counts).
    reliability : DataFrame
        :func:`scoring.agreement.reliability.reliability_table`.
    reliability_headline : str
        One Japanese sentence on the agreement of reviewers (Krippendorff's alpha).
    settings : dict
        The settings record (:func:`committee_settings`): round, rubric id and version,
        weights, method and its options, number to select, balance, locks, exclusions,
        eligibility overrides, package version, and ``scores`` (fingerprint, count).
    settings_hash : str
        :func:`scoring.core.settings.settings_hash` of ``settings`` (scores included).
    config_hash : str
        The same without ``scores`` (settings only).
    score_fingerprint : str
        :func:`scoring.round.decision.score_fingerprint` of the scores used.
    decision : Decision or None
        The committee's decision in force (last recorded), if any.
    decision_status : str
        未決定 / 決定済 / 決定後に変更あり.
    decision_warnings : list of str
        Japanese warnings: scores or settings changed after the decision.
    warnings : list of str
        Other Japanese notes (the combiner's, unscored applications).
    stability_options : dict
        ``n_boot`` and ``seed``.
    """

    round_name: str
    round_path: Path
    rubric_version: str
    method: str
    generated_at: dt.datetime
    n_applications: int
    n_reviewers: int
    n_scores: int
    applications: pd.DataFrame
    totals: pd.DataFrame
    ranked: pd.DataFrame
    breakdown: pd.DataFrame
    group_labels: dict[str, tuple[str, float]]
    spread: pd.DataFrame
    reviewer_totals: pd.DataFrame
    selection: SelectionResult | None
    selection_error: str
    stability: pd.DataFrame
    stability_summary: dict[str, Any]
    coverage: pd.DataFrame
    reliability: pd.DataFrame
    reliability_headline: str
    settings: dict[str, Any]
    settings_hash: str
    config_hash: str
    score_fingerprint: str
    decision: Decision | None = None
    decision_status: str = "未決定"
    decision_warnings: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    stability_options: dict[str, Any] = field(default_factory=dict)
    config_summary: dict[str, Any] = field(default_factory=dict)
    criterion_labels: dict[str, str] = field(default_factory=dict)
    #: The store's signed checkpoints (:mod:`scoring.store.checkpoints`), file order; [] when
    #: the scores were given directly.
    checkpoints: list[Checkpoint] = field(default_factory=list)
    #: Where the checkpoints are kept ("" when the scores were given directly).
    checkpoint_path: str = ""
    #: :meth:`scoring.store.scores.ScoreStore.receipts`: the receipt code (受領コード) of every
    #: submitted pair (columns :data:`scoring.store.scores.RECEIPT_COLUMNS`).
    receipts: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(RECEIPT_COLUMNS)))
    #: :func:`scoring.analysis.status.exclusion_reasons`: why each application is 対象外
    #: ("" when it is in the review); the same function marks 03's ranking.
    exclusion_reasons: pd.Series = field(default_factory=lambda: pd.Series(dtype=object, name="reason"))
    #: Who is assigned what and how far each is: columns ``reviewer``, ``application``,
    #: ``status`` (提出済 / 下書き / 未着手), from :meth:`scoring.store.scores.ScoreStore.statuses`.
    review_status: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["reviewer", "application", "status"])
    )
    #: Reviewers' comments: columns ``application``, ``reviewer``, ``criterion``, ``score``, ``comment``
    #: (non-empty comments only), in rank order then reviewer then rubric order.
    comments: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            columns=["application", "reviewer", "criterion", "score", "comment"]
        )
    )
    #: Reviewer id → what the committee material shows: 審査員A, B, … in reviewers.yaml order
    #: (stable for the round), or the name when round.yaml says ``show_reviewer_names: true``.
    reviewer_labels: dict[str, str] = field(default_factory=dict)
    #: :func:`scoring.analysis.push.push_candidates`: the 47 prefectures ranked by need for
    #: プッシュ型 support (columns :data:`scoring.core.columns.PUSH_CANDIDATE_COLUMNS`).
    push_candidates: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: Draft scores (:func:`draft_summary`): ``included`` (round.yaml ``include_drafts``),
    #: ``n_scores``, ``reviewers``, ``applications``. Counted only when ``included``.
    drafts: dict[str, Any] = field(
        default_factory=lambda: {"included": False, "n_scores": 0, "reviewers": [], "applications": []}
    )
    #: Second-stage revisions after the discussion (:meth:`scoring.store.scores.ScoreStore.revisions`,
    #: columns :data:`scoring.core.columns.REVISION_COLUMNS`); the totals use the revised scores.
    revisions: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(REVISION_COLUMNS)))
    #: 再開・免除・担当替え with reasons (:meth:`~scoring.store.scores.ScoreStore.review_events`; the 注記).
    review_events: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: The scores counted (with a score): :mod:`scoring.analysis.committee_quality` refits from them.
    scored: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False, compare=False)
    #: The discussion list (協議対象, :func:`scoring.agreement.disagreement.discussion_list` with
    #: the stability analysis and the round's rank; 対象外 left out): columns ``application``,
    #: ``prefecture_name`` and :data:`scoring.core.columns.DISCUSSION_COLUMNS` after it.
    discussion: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: Rendered tables and chart PNGs, filled by :func:`scoring.reporting.committee_report.section`.
    render_cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    # ------------------------------------------------------------------ conveniences
    @property
    def selected(self) -> list[str]:
        """The proposed selection (ids in rank order), [] when infeasible."""
        return list(self.selection.selected) if self.selection is not None else []

    def name(self, application: str) -> str:
        """Display name of an application (its prefecture)."""
        return str(self.applications["prefecture_name"].get(application, application))

    def names(self, ids: list[str] | tuple[str, ...]) -> str:
        """Display names joined with ・ ("（なし）" when empty)."""
        return "・".join(self.name(a) for a in ids) or "（なし）"

    @property
    def notices(self) -> list[str]:
        """Information shown under the warnings (not a warning): drafts that exist but are not counted."""
        if self.drafts.get("n_scores") and not self.drafts.get("included"):
            return [drafts_message(self.drafts)]
        return []

    @property
    def all_warnings(self) -> list[str]:
        """Warnings to show at the top of every committee output, most important first."""
        out = list(self.decision_warnings)
        if self.drafts.get("included") and self.drafts.get("n_scores"):
            out.append(drafts_message(self.drafts))
        if self.selection_error:
            out.append("選定案を作れません。" + self.selection_error)
        return out


def _config_summary(rnd: ReviewRound) -> dict[str, Any]:
    cfg = rnd.config
    spec = cfg.select
    lo, hi = spec.min or spec.target, spec.max or spec.target
    k_text = f"{spec.target}" + (f"（範囲 {lo}〜{hi}）" if (lo, hi) != (spec.target, spec.target) else "")
    labels = {
        "max_per_block": "同一ブロック {}件まで",
        "max_per_theme": "同一重点テーマ {}件まで",
        "min_distinct_themes": "重点テーマ {}種類以上",
        "max_push": "プッシュ型 {}件まで",
        "min_push": "プッシュ型 {}件以上",
    }
    bal = [labels[k].format(v) for k, v in cfg.balance.model_dump().items() if v is not None and k in labels]
    parts = []
    if cfg.locks:
        parts.append(f"必ず含める: {'、'.join(cfg.locks)}")
    if cfg.exclusions:
        parts.append(f"除外: {'、'.join(cfg.exclusions)}")
    if cfg.eligibility_override:
        parts.append(f"審査対象とする例外: {'、'.join(cfg.eligibility_override)}")
    elig = rnd.eligibility
    decided = elig.loc[elig["records"] != ""] if elig is not None and "records" in elig else None
    eligibility_text = (
        "　".join(
            f"{a} {row['prefecture_name']}（{row['status']}）: {row['records']}"
            for a, row in decided.iterrows()
        )
        if decided is not None
        else ""
    )
    return {
        "k_text": k_text,
        "balance_text": "、".join(bal) or "なし",
        "locks_text": "　".join(parts),
        "eligibility_text": eligibility_text,
    }


def committee_settings(
    rnd: ReviewRound, method: str, weights: pd.Series, method_options: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The settings record of a committee output, without the scores (see :mod:`scoring.core.settings`).

    Same layout as :meth:`scoring.analysis.tuning.TuningModel.settings`: ``kind``
    (``"shinsa.committee"``); ``round``: ``name``, ``path`` (not hashed), ``select``;
    ``rubric``: ``id``, ``version``, ``source`` (not hashed); ``weights``: effective 配点 per
    criterion (renormalised to sum 100); ``method``; ``method_options`` (every option,
    defaults included); ``selection``: balance, block scheme, locks, exclusions,
    eligibility overrides and (when there are any) the ids of the recorded eligibility
    decisions (:mod:`scoring.round.eligibility_records`); ``package``: name and version. :func:`build_committee` adds
    ``scores`` (``fingerprint``, ``n_scores``, ``include_drafts``).
    """
    cfg = rnd.config
    comb = make_combiner(method, **dict(method_options or {}))
    total = float(weights.sum())
    return settings_record(
        "shinsa.committee",
        round_name=cfg.name,
        round_path=Path(rnd.path).resolve(),
        select=cfg.select.model_dump(),
        rubric_id=rnd.rubric.id,
        rubric_version=rnd.rubric.version,
        rubric_source=rnd.rubric.source.resolve() if rnd.rubric.source is not None else None,
        weights={str(k): 100.0 * float(v) / total for k, v in weights.items()},
        method=method,
        method_options=comb.get_params(deep=False),
        selection={
            "balance": cfg.balance.model_dump(),
            "block_scheme": cfg.block_scheme,
            "locks": list(cfg.locks),
            "exclusions": list(cfg.exclusions),
            "eligibility_override": list(cfg.eligibility_override),
            # the 事務局's recorded 受付の判断 (期限後受理, 訂正, 辞退, …): a later one changes the hash
            **(
                {"eligibility_events": [r.event_id for r in rnd.eligibility_records]}
                if rnd.eligibility_records
                else {}
            ),
        },
    )


def _stability(
    rnd: ReviewRound,
    scores: pd.DataFrame,
    totals: pd.DataFrame,
    selection: SelectionResult | None,
    *,
    method: str,
    method_options: Mapping[str, Any] | None,
    weights: pd.Series | None,
    n_boot: int,
    seed: int,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """:class:`scoring.selection.stability.StabilityAnalysis` with the round's settings, whose baseline
    is the committee's proposal (same method, same weights).

    Custom weights are passed as degenerate weight ranges (low = high), so every resample
    uses them; the baseline columns (``total``, ``rank``, ``baseline_selected``) and the
    summary's ``baseline``, ``baseline_frequency`` and ``mean_overlap`` are then taken from
    the proposal (with the rubric's weights they are identical to the module's own).
    """
    cfg = rnd.config
    cand = candidates_frame(pd.Series(np.nan, index=rnd.applications.index, name="total"), rnd.applications)
    opts: dict[str, Any] = {}
    if method_options:
        opts["method_options"] = {method: dict(method_options)}
    if weights is not None:
        opts["weight_ranges"] = {str(k): (float(v), float(v)) for k, v in weights.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        an = StabilityAnalysis(n_boot=int(n_boot), seed=int(seed), baseline_method=method, **opts).fit(
            scores,
            rnd.rubric,
            cand,
            cfg.select,
            cfg.balance,
            locks=cfg.locks,
            exclusions=cfg.exclusions,
            overrides=cfg.eligibility_override,
        )
    table = an.table_.copy()
    summary = dict(an.summary_)
    if weights is None:
        return table, summary
    tot = totals["total"].reindex(table.index).astype(float)
    table["total"] = tot
    chosen = list(selection.selected) if selection is not None else []
    table["baseline_selected"] = table.index.isin(chosen)
    if selection is not None:
        table["rank"] = selection.reasons["rank"].reindex(table.index).astype("Int64")
    else:
        eligible = table["rank"].notna()
        order = tot[eligible].round(4).sort_values(ascending=False, kind="stable")
        table["rank"] = (
            pd.Series(range(1, len(order) + 1), index=order.index).reindex(table.index).astype("Int64")
        )
    key = np.where(
        table["rank"].notna(), table["rank"].astype("Float64").fillna(0).to_numpy(dtype=float), np.inf
    )
    table = table.iloc[np.lexsort((np.arange(len(table)), key))]
    base = ",".join(sorted(chosen))
    freq = an.selections_
    summary["baseline"] = chosen or None
    summary["baseline_frequency"] = float(freq.get(base, 0.0)) if chosen else 0.0
    k = len(chosen)
    summary["mean_overlap"] = (
        float(sum(f * len(set(str(sel).split(",")) & set(chosen)) for sel, f in freq.items()) / k)
        if chosen
        else float("nan")
    )
    return table, summary


def build_committee(
    rnd: ReviewRound | str | Path | None = None,
    *,
    scores: pd.DataFrame | None = None,
    decision: Decision | None = None,
    method: str | None = None,
    method_options: Mapping[str, Any] | None = None,
    weights: pd.Series | Mapping[str, float] | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    n_alternatives: int = 3,
    store_url: str | None = None,
    now: dt.datetime | None = None,
) -> Committee:
    """Compute the committee material for a round.

    Parameters
    ----------
    rnd : ReviewRound, path or None
        The round, or its folder (None: ``$SCORING_ROUND`` or the demo round).
    scores : DataFrame, optional
        The canonical long score table (with the store's ``status`` column, drafts are
        dropped unless round.yaml says ``include_drafts: true``). Default: the round's
        score store (final stage: second-stage revisions applied; submitted scores only
        unless ``include_drafts: true``); the decision in force, the revisions and the
        checkpoints are then read from the same store.
    decision : Decision, optional
        With ``scores`` given: the decision to compare with (the store is not opened).
    method, method_options : str, dict
        Combiner (:data:`scoring.combine.METHODS`); default the rubric's saved
        ``combining:`` (method and options), else :data:`DEFAULT_METHOD`.
    weights : Series or mapping, optional
        配点 per criterion (the analyst's tuning); default the rubric's. The stability
        resamples use the same weights.
    n_boot, seed : int
        Stability resamples (default 1,000) and their seed.
    n_alternatives : int
        Next-best selections to list.
    store_url : str, optional
        Score-store URL (default ``$SCORING_DATABASE_URL`` or the round's SQLite file).
    now : datetime, optional
        Generation time (default: now, JST).
    Raises
    ------
    ValueError
        Unknown method (Japanese message listing the allowed ones).
    NoScoresError
        The round has no scores yet (the message says how to create or import them).
    """
    if not isinstance(rnd, ReviewRound):
        rnd = load_round(rnd)
    method, method_options = _method(rnd, method, method_options)
    inputs = _StoreData(scores, decision) if scores is not None else _read_store(rnd, store_url)
    return _compute(
        rnd,
        inputs,
        method,
        method_options,
        weights,
        n_boot=n_boot,
        seed=seed,
        n_alternatives=n_alternatives,
        now=now,
    )


def _method(
    rnd: ReviewRound, method: str | None, method_options: Mapping[str, Any] | None
) -> tuple[str, Mapping[str, Any] | None]:
    """The combiner and its options: as given, else the rubric's saved ``combining:``, else the default."""
    if method is None:
        # The method saved with the rubric version (``combining:``), else the default.
        saved = rnd.rubric.combining
        method = saved.method if saved is not None else DEFAULT_METHOD
        if saved is not None and method_options is None and saved.options:
            method_options = dict(saved.options)
    if method not in METHODS:
        raise OptionError(f"method '{method}' はありません。使える method: {', '.join(METHODS)}")
    return method, method_options


@dataclass
class _StoreData:
    """The scores of a round and what the score store holds beside them (empty when scores are given)."""

    scores: pd.DataFrame
    decision: Decision | None
    checkpoints: list[Checkpoint] = field(default_factory=list)
    checkpoint_path: str = ""
    receipts: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(RECEIPT_COLUMNS)))
    review_status: pd.DataFrame | None = None
    revisions: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(REVISION_COLUMNS)))
    review_events: pd.DataFrame = field(default_factory=pd.DataFrame)


def _read_store(rnd: ReviewRound, store_url: str | None) -> _StoreData:
    """Scores, decision in force, checkpoints, receipts, statuses and revisions from the round's store."""
    with ScoreStore.open(rnd, store_url) as store:
        return _StoreData(
            scores=store.scores(),
            decision=latest_decision(store),
            checkpoints=store.checkpoints(),
            checkpoint_path=str(store.checkpoint_path),
            receipts=store.receipts(),
            review_status=store.statuses(),
            revisions=store.revisions(),
            review_events=store.review_events(),
        )


def _combine(
    scored: pd.DataFrame,
    rnd: ReviewRound,
    method: str,
    method_options: Mapping[str, Any] | None,
    weights: pd.Series | None,
) -> tuple[pd.DataFrame, list[str], pd.DataFrame, pd.DataFrame]:
    """Combined totals, the combiner's warnings, the reviewers' own totals and the reliability table."""
    rubric = rnd.rubric
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        comb = make_combiner(method, **dict(method_options or {})).fit(scored, rubric)
        totals = comb.totals(weights)
        notes = list(comb.warnings_)
        rt = reviewer_totals(scored, rubric, weights=weights, warn=False)
        rel = reliability_table(scored, rubric, weights=weights)
    totals.index = totals.index.astype(str)
    totals["se"] = honest_se(scored, rubric, method, method_options, weights, totals=totals)["se"]  # issue 20
    return totals, notes, rt, rel


def _selection(
    rnd: ReviewRound, totals: pd.DataFrame, n_alternatives: int
) -> tuple[SelectionResult | None, str]:
    """The proposed selection, or None and why it is infeasible."""
    try:
        return select_round(rnd, totals, n_alternatives=n_alternatives), ""
    except SelectionInfeasible as e:
        return None, str(e)


@dataclass
class _Numbers:
    """The numbers of the committee model before it is assembled (see :func:`_numbers`)."""

    drafts: dict[str, Any]
    #: The scores counted (drafts left out unless included) and those among them with a score.
    scores: pd.DataFrame
    scored: pd.DataFrame
    applications: pd.DataFrame
    #: The criterion weights used, and the same when they were tuned (None: the rubric's).
    weights: pd.Series
    tuned: pd.Series | None
    totals: pd.DataFrame
    notes: list[str]
    reviewer_totals: pd.DataFrame
    reliability: pd.DataFrame
    selection: SelectionResult | None
    selection_error: str
    stability: pd.DataFrame
    stability_summary: dict[str, Any]
    ranked: pd.DataFrame
    exclusion_reasons: pd.Series
    group_labels: dict[str, tuple[str, float]]
    breakdown: pd.DataFrame
    spread: pd.DataFrame


def _weights(rubric: Any, weights: pd.Series | Mapping[str, float] | None) -> pd.Series:
    """The criterion weights: the rubric's, or the tuned ones on the rubric's criteria (0 where not given)."""
    w = (
        rubric.weights()
        if weights is None
        else pd.Series(dict(weights), dtype=float).reindex(rubric.weights().index).fillna(0.0)
    )
    w.index.name = "criterion"
    return w


def _numbers(
    rnd: ReviewRound,
    inputs: _StoreData,
    method: str,
    method_options: Mapping[str, Any] | None,
    weights: pd.Series | Mapping[str, float] | None,
    *,
    n_boot: int,
    seed: int,
    n_alternatives: int,
) -> _Numbers:
    """Combine, select, resample and rank: everything of the model that is computed from the scores."""
    include_drafts = bool(rnd.config.include_drafts)
    drafts = draft_summary(inputs.scores, included=include_drafts)
    scores, scored = _scores_used(rnd, inputs.scores, drafts, include_drafts)
    apps = rnd.applications.copy()
    apps.index = apps.index.astype(str)
    w = _weights(rnd.rubric, weights)
    tuned = None if weights is None else w
    totals, notes, rt, rel = _combine(scored, rnd, method, method_options, tuned)
    selection, selection_error = _selection(rnd, totals, n_alternatives)
    # stability (same method and weights as the proposal)
    stab, stab_summary = _stability(
        rnd,
        scored,
        totals,
        selection,
        method=method,
        method_options=method_options,
        weights=tuned,
        n_boot=n_boot,
        seed=seed,
    )
    ranked, excl, no_total = _ranked(rnd, apps, totals, selection, stab)
    if no_total:
        listing = "、".join(f"{a} {ranked.at[a, 'prefecture_name']!s}" for a in no_total)
        notes.append(f"合計点のない応募があります（選定の対象外）: {listing}")
    group_labels, breakdown = _breakdown(rnd, w, totals, ranked)
    rt, spread = _spread(rt, ranked)
    return _Numbers(
        drafts,
        scores,
        scored,
        apps,
        w,
        tuned,
        totals,
        notes,
        rt,
        rel,
        selection,
        selection_error,
        stab,
        stab_summary,
        ranked,
        excl,
        group_labels,
        breakdown,
        spread,
    )


def _compute(
    rnd: ReviewRound,
    inputs: _StoreData,
    method: str,
    method_options: Mapping[str, Any] | None,
    weights: pd.Series | Mapping[str, float] | None,
    *,
    n_boot: int,
    seed: int,
    n_alternatives: int,
    now: dt.datetime | None,
) -> Committee:
    """:func:`build_committee` once the round, the method and the scores are known."""
    n = _numbers(
        rnd, inputs, method, method_options, weights, n_boot=n_boot, seed=seed, n_alternatives=n_alternatives
    )
    rubric = rnd.rubric
    review_status = inputs.review_status
    if review_status is None:
        review_status = _statuses_from_scores(rnd, inputs.scores)
    labels = reviewer_labels(rnd)
    fp = score_fingerprint(n.scored)
    settings = committee_settings(rnd, method, n.weights, method_options)
    config_hash = settings_hash(settings)
    full = dict(
        settings,
        scores={"fingerprint": fp, "n_scores": len(n.scored), "include_drafts": n.drafts["included"]},
    )
    dwarn = check_decision(inputs.decision, config_hash=config_hash, score_fingerprint=fp)
    return Committee(
        round_name=rnd.config.name,
        round_path=rnd.path,
        rubric_version=rubric.version,
        method=method,
        generated_at=to_jst(now or now_jst()),
        n_applications=len(n.applications),
        n_reviewers=int(n.scored["reviewer"].nunique()),
        n_scores=len(n.scored),
        applications=n.applications,
        totals=n.totals,
        ranked=n.ranked,
        breakdown=n.breakdown,
        group_labels=n.group_labels,
        spread=n.spread,
        reviewer_totals=n.reviewer_totals,
        selection=n.selection,
        selection_error=n.selection_error,
        stability=n.stability,
        stability_summary=n.stability_summary,
        coverage=_coverage(rnd, n.selection.selected if n.selection is not None else []),
        reliability=n.reliability,
        reliability_headline=_reliability_headline(n.reliability),
        settings=full,
        settings_hash=settings_hash(full),
        config_hash=config_hash,
        score_fingerprint=fp,
        decision=inputs.decision,
        decision_status=decision_status(inputs.decision, dwarn),
        decision_warnings=dwarn,
        warnings=n.notes,
        stability_options={"n_boot": int(n_boot), "seed": int(seed)},
        config_summary=_config_summary(rnd),
        criterion_labels={c.id: c.label_ja for c in rubric.criteria},
        checkpoints=inputs.checkpoints,
        checkpoint_path=inputs.checkpoint_path,
        receipts=inputs.receipts,
        exclusion_reasons=n.exclusion_reasons,
        review_status=review_status,
        reviewer_labels=labels,
        comments=_comments(n.scores, list(n.ranked.index), [c.id for c in rubric.criteria]),
        discussion=_discussion(
            n.scored, rubric, n.tuned, n.totals, n.ranked, n.stability, int(rnd.config.select.target), labels
        ),
        push_candidates=push_candidates(rnd),
        drafts=n.drafts,
        revisions=inputs.revisions,
        review_events=inputs.review_events,
        scored=n.scored,
        render_cache={"round": rnd},  # the round as loaded (committee_quality.committee_round)
    )


def record_committee_decision(
    rnd: ReviewRound | str | Path | None,
    selected: list[str] | tuple[str, ...],
    *,
    by: str | list[str] | tuple[str, ...],
    reasons: Mapping[str, str] | None = None,
    locks: list[str] | tuple[str, ...] = (),
    exclusions: list[str] | tuple[str, ...] = (),
    note: str = "",
    method: str | None = None,
    store_url: str | None = None,
    force: bool = False,
) -> Decision:
    """Record the committee's decision with the fingerprints of the current material.

    Computes the committee material (without stability resamples) to know the proposal,
    the 対象外 applications, the settings hash and the score fingerprint the decision is
    based on, then appends the decision to the round's score store
    (:func:`scoring.round.decision.record_decision`: a reason for every difference from the
    proposal, 対象外 refused unless ``force`` with a reason, the signed checkpoint it rests on).
    """

    if not isinstance(rnd, ReviewRound):
        rnd = load_round(rnd)
    with ScoreStore.open(rnd, store_url) as store:
        scores = store.scores()
        c = build_committee(rnd, scores=scores, method=method, n_boot=1)
        ineligible = {str(a): str(r) for a, r in c.exclusion_reasons.items() if str(r)}
        return record_decision(
            store,
            selected,
            by=by,
            reasons=reasons,
            locks=locks,
            exclusions=exclusions,
            note=note,
            proposed=c.selected,
            settings_hash=c.settings_hash,
            config_hash=c.config_hash,
            score_fingerprint=c.score_fingerprint,
            ineligible=ineligible,
            force=force,
        )
