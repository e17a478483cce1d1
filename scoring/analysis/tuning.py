"""Rubric tuning (配点の調整, 事務局用): the plain model behind the tuning screen.

The analyst (事務局) changes the weights (配点) of criteria and of whole groups, switches
the combining method, and sees at once how the ranking moves against the rubric's
defaults, how reliable each criterion is, which applications need discussion (協議対象)
and how lenient or severe each reviewer is.  When the weights are right, they are saved
as a *new* rubric version (the old file is never touched), and every output carries a
settings hash so that it can be reproduced later.

This module knows nothing of widgets (:mod:`scoring.ui.tuning_view` is the screen)::

    model = TuningModel.open(load_round("data/demo"))
    model.set_group_weight("need", 1.5)          # 支援の必要性 counts 1.5 times as much
    model.set_criterion_weight("theme_reuse", 5) # 配点 before renormalisation
    model.set_method("additive")
    model.ranking()                              # rank, totals, 順位変動 vs the defaults
    model.settings_hash()                        # e.g. "3f9a0c1d2e4b"
    model.save_as_new_version(note="横展開を軽く", author="事務局 山田")

Weights
-------
Each criterion has a weight (配点 before renormalisation, initially the rubric's) and each
group a multiplier (initially 1).  The *effective* weight of a criterion is

    effective_c = 100 · w_c · g_group(c) / Σ_c' w_c' · g_group(c')

so the effective weights always sum to 100 (the 配点 scale of the totals), a group
multiplier of 2 doubles the share of all of its criteria before renormalisation, and a
weight of 0 leaves a criterion out.

Speed
-----
Each method is fitted once, the first time it is used, and cached: a change of weights
only recomputes the weighted totals (:meth:`scoring.combine.Combiner.totals`), well under
50 ms for 47 applications and under 1 s for 1,741 (``benchmarks/bench_tuning.py``).
The reliability table, the discussion list and the reviewer table are recomputed only
when asked for, and cached per weights and method.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import warnings as _pywarnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from ..agreement.disagreement import GAP_LEVELS, discussion_list, reviewer_profile
from ..agreement.reliability import reliability_table
from ..combine import DEFAULT_METHOD, METHODS, Combiner, make_combiner
from ..config.round import set_round_rubric
from ..config.rubric import Rubric
from ..config.versions import check_note, write_rubric_version
from ..core.columns import HEADERS_JA, RANKING_COLUMNS, REVIEWER_TABLE_COLUMNS, review_rank
from ..core.errors import NoScoresError, OptionError
from ..core.schema import require_score_table
from ..core.settings import score_fingerprint, settings_hash, settings_record
from ..round.loader import ReviewRound, no_scores_message
from ..store.scores import ScoreStore
from .status import STATUS_EXCLUDED, exclusion_reasons, flag_with_reason

__all__ = [
    "RANKING_COLUMNS",
    "REVIEWER_TABLE_COLUMNS",
    "TuningModel",
    "largest_remainder",
]

_T = TypeVar("_T")


def largest_remainder(weights: pd.Series, total: float = 100, decimals: int = 0) -> pd.Series:
    """Round weights to ``decimals`` so that they sum to ``total`` exactly.

    Hamilton's largest-remainder method: scale to ``total``, round every weight down to a
    multiple of 10^-decimals, then give the units still missing to the weights with the
    largest remainders (ties: the earlier criterion).

    Parameters
    ----------
    weights : pandas.Series
        Non-negative, positive sum.
    total : float
        The sum wanted (a multiple of 10^-decimals).
    decimals : int
        0 for integers, 1 for one decimal.

    Returns
    -------
    pandas.Series
        Same index and name; floats that are multiples of 10^-decimals summing to ``total``.
    """
    values = weights.to_numpy(dtype=float)
    if not (np.all(np.isfinite(values)) and np.all(values >= 0) and values.sum() > 0):
        raise OptionError("配点は 0 以上の数値で、合計が 0 より大きい必要があります。")
    per_unit = 10**decimals
    units = round(total * per_unit)
    scaled = values / values.sum() * units
    floor = np.floor(scaled + 1e-9)
    remainder = scaled - floor
    missing = units - int(floor.sum())
    order = np.lexsort((np.arange(len(values)), -remainder))
    floor[order[:missing]] += 1
    return pd.Series(np.round(floor / per_unit, decimals), index=weights.index.copy(), name=weights.name)


class TuningModel:
    """State and results of the rubric-tuning screen (no widgets).

    Parameters
    ----------
    scores : pandas.DataFrame
        The canonical long score table (:data:`scoring.core.schema.SCORE_COLUMNS`; extra
        columns are ignored).
    rubric : Rubric, optional
        Criteria, groups and default weights.  Default: ``rnd.rubric``.
    rnd : ReviewRound, optional
        The round: prefecture names, reviewer names, the number to select (for the
        discussion list's selection line) and the round folder (in :meth:`settings`).
    method : str, optional
        Combining method, one of :data:`scoring.combine.METHODS`; default
        :data:`scoring.combine.DEFAULT_METHOD`.
    method_options : mapping of method → mapping, optional
        Options per method, passed to :func:`scoring.combine.make_combiner` (e.g.
        ``{"trimmed": {"proportion": 0.2}}``); validated at once.
    include_drafts : bool, optional
        Whether the scores include drafts (下書き); only recorded in :meth:`settings`.
    gap : float, default :data:`scoring.agreement.disagreement.GAP_LEVELS`
        Levels apart on a criterion, after each reviewer's leniency is removed, that put an
        application on the discussion list.

    Attributes
    ----------
    scores : pandas.DataFrame
    rubric : Rubric
    round : ReviewRound or None
    method_options : dict
    include_drafts : bool or None
    gap : float
    select : int or None
        Number of applications to select (``round.yaml`` ``select.target``).

    Raises
    ------
    OptionError, NoScoresError, ScoreTableError
        Unknown method or option (the message lists the allowed ones), no scores, missing
        columns (Japanese messages).
    """

    def __init__(
        self,
        scores: pd.DataFrame,
        rubric: Rubric | None = None,
        *,
        rnd: ReviewRound | None = None,
        method: str | None = None,
        method_options: Mapping[str, Mapping[str, Any]] | None = None,
        include_drafts: bool | None = None,
        gap: float = GAP_LEVELS,
    ) -> None:
        if rubric is None:
            if rnd is None:
                raise OptionError("rubric（評価基準）か rnd（審査ラウンド）を渡してください。")
            rubric = rnd.rubric
        if not isinstance(rubric, Rubric):
            raise OptionError(
                f"rubric には scoring.Rubric を渡してください（渡されたのは {type(rubric).__name__}）。"
            )
        require_score_table(scores, what="scores（点数の表）")
        if not pd.to_numeric(scores["score"], errors="coerce").notna().any():
            raise NoScoresError("点数がひとつもありません。審査員の採点が入ってから開いてください。")
        options = dict(method_options or {})
        saved = rubric.combining
        if saved is not None and saved.method not in options and saved.options:
            options[saved.method] = dict(saved.options)  # the options saved with the rubric version
        unknown = sorted(set(options) - set(METHODS))
        if unknown:
            raise OptionError(
                f"method_options に未知の method {', '.join(unknown)} があります。使える method: {', '.join(METHODS)}。"
            )
        self.scores = scores.copy()
        self.rubric = rubric
        self.round = rnd
        self.method_options: dict[str, dict[str, Any]] = {m: dict(o) for m, o in options.items()}
        for m, o in self.method_options.items():
            make_combiner(m, **o)  # validates the options now
        self.include_drafts = include_drafts
        self.gap = gap
        self.select: int | None = int(rnd.config.select.target) if rnd is not None else None

        self._crit_ids = [c.id for c in rubric.criteria]
        self._group_ids = [g.id for g in rubric.groups]
        self._group_pos = np.array([self._group_ids.index(rubric.group_of(c).id) for c in self._crit_ids])
        self._default_weights = rubric.weights().to_numpy(dtype=float)
        self._cw = self._default_weights.copy()
        self._gw = np.ones(len(self._group_ids))
        self._method = DEFAULT_METHOD
        self._combiners: dict[str, Combiner] = {}
        self._baseline: pd.DataFrame | None = None
        self._fingerprint: str | None = None
        self._cache: dict[tuple[Any, ...], Any] = {}
        self._notes: dict[str, list[str]] = {}
        # Default: the method saved with the rubric version (``combining:``), else DEFAULT_METHOD.
        self.set_method(method or (saved.method if saved is not None else DEFAULT_METHOD))

    @classmethod
    def open(
        cls,
        rnd: ReviewRound,
        *,
        method: str | None = None,
        method_options: Mapping[str, Mapping[str, Any]] | None = None,
        include_drafts: bool | None = None,
        url: str | None = None,
    ) -> TuningModel:
        """Read the round's current scores from its score store and build the model.

        ``include_drafts=None`` (default) counts drafts only when round.yaml says
        ``include_drafts: true`` (like the committee material and ``python -m scoring select``);
        True or False overrides it for this screen.
        Reading only: nothing is written (a demo round gets its scores from
        ``python -m scoring demo``).

        Raises
        ------
        NoScoresError
            The store has no scores yet (Japanese message saying how to create or import them).
        """
        if include_drafts is None:
            include_drafts = bool(rnd.config.include_drafts)
        with ScoreStore.open(rnd, url) as store:
            scores = store.scores(include_drafts=include_drafts)
            where = store.url
        if not scores["score"].notna().any():
            message = no_scores_message(rnd, where)
            if not include_drafts:
                message = "提出済みの点数がありません。" + message
            raise NoScoresError(message)
        return cls(
            scores, rnd=rnd, method=method, method_options=method_options, include_drafts=include_drafts
        )

    # -- state -------------------------------------------------------------------------

    @property
    def method(self) -> str:
        """The current combining method."""
        return self._method

    @property
    def criteria(self) -> list[str]:
        """Criterion ids in rubric order."""
        return list(self._crit_ids)

    @property
    def groups(self) -> list[str]:
        """Group ids in rubric order."""
        return list(self._group_ids)

    def set_method(self, method: str) -> None:
        """Switch the combining method (fitted the first time it is used, then cached).

        Raises
        ------
        ValueError
            Unknown method (the message lists :data:`scoring.combine.METHODS`).
        """
        make_combiner(method, **self.method_options.get(method, {}))
        self._method = method

    def _check_weight(self, what: str, value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise OptionError(f"{what}は数値にしてください（指定: {value!r}）。")
        x = float(value)
        if not (math.isfinite(x) and x >= 0):
            raise OptionError(f"{what}は 0 以上の数値にしてください（指定: {value!r}）。")
        return x

    def set_criterion_weight(self, criterion: str, weight: float) -> None:
        """Set a criterion's weight (配点 before group scaling and renormalisation).

        Raises
        ------
        KeyError
            Unknown criterion (the message lists the criterion ids).
        OptionError
            Not a number, or negative, NaN or infinite.
        """
        if criterion not in self._crit_ids:
            raise KeyError(
                f"評価項目 '{criterion}' はありません。使える評価項目: {', '.join(self._crit_ids)}"
            )
        self._cw[self._crit_ids.index(criterion)] = self._check_weight(f"評価項目 {criterion} の配点", weight)

    def set_group_weight(self, group: str, multiplier: float) -> None:
        """Set a group's multiplier (1 = as in the rubric, 2 = its criteria count double).

        Raises
        ------
        KeyError
            Unknown group (the message lists the group ids).
        OptionError
            Not a number, or negative, NaN or infinite.
        """
        if group not in self._group_ids:
            raise KeyError(f"グループ '{group}' はありません。使えるグループ: {', '.join(self._group_ids)}")
        self._gw[self._group_ids.index(group)] = self._check_weight(f"グループ {group} の倍率", multiplier)

    def reset_weights(self) -> None:
        """Back to the rubric's weights and multipliers 1 (the method is kept)."""
        self._cw = self._default_weights.copy()
        self._gw = np.ones(len(self._group_ids))

    def criterion_weights(self) -> pd.Series:
        """Criterion weights as set (before group scaling): index ``criterion``, name ``weight``."""
        return pd.Series(self._cw.copy(), index=pd.Index(self._crit_ids, name="criterion"), name="weight")

    def group_weights(self) -> pd.Series:
        """Group multipliers: index ``group``, name ``multiplier``."""
        return pd.Series(self._gw.copy(), index=pd.Index(self._group_ids, name="group"), name="multiplier")

    def _effective_array(self) -> np.ndarray:
        eff = self._cw * self._gw[self._group_pos]
        total = float(eff.sum())
        if not total > 0:
            raise OptionError(
                "配点の合計が 0 です。少なくとも1つの評価項目の配点と、そのグループの倍率を 0 より大きくしてください。"
            )
        return np.asarray(eff * (100.0 / total))

    def effective_weights(self) -> pd.Series:
        """Effective 配点 per criterion: group-scaled and renormalised to sum 100.

        Returns
        -------
        pandas.Series
            Index ``criterion`` (rubric order), name ``weight``, float points, sum 100.

        Raises
        ------
        ValueError
            Every weight is 0 (nothing left to rank by).
        """
        return pd.Series(
            self._effective_array(), index=pd.Index(self._crit_ids, name="criterion"), name="weight"
        )

    def effective_group_weights(self) -> pd.Series:
        """Effective 配点 per group (sum of its criteria's effective weights): index ``group``."""
        eff = self._effective_array()
        sums = np.bincount(self._group_pos, weights=eff, minlength=len(self._group_ids))
        return pd.Series(sums, index=pd.Index(self._group_ids, name="group"), name="weight")

    # -- results -----------------------------------------------------------------------

    def combiner(self, method: str | None = None) -> Combiner:
        """The fitted combiner of ``method`` (default: the current one), fitted once."""
        m = self._method if method is None else method
        if m not in self._combiners:
            comb = make_combiner(m, **self.method_options.get(m, {}))
            self._combiners[m] = comb.fit(self.scores, self.rubric)
        return self._combiners[m]

    def baseline(self) -> pd.DataFrame:
        """Totals with the rubric's own weights and :data:`~scoring.combine.DEFAULT_METHOD`
        (with its ``method_options``): the reference of the rank change."""
        if self._baseline is None:
            self._baseline = self.combiner(DEFAULT_METHOD).totals()
        return self._baseline

    def _names(self) -> pd.Series:
        if self.round is None or "prefecture_name" not in self.round.applications.columns:
            return pd.Series(dtype="str")
        return self.round.applications["prefecture_name"].astype(str)

    def ranking(self) -> pd.DataFrame:
        """The ranking with the current weights and method, and the rank change.

        Returns
        -------
        pandas.DataFrame
            Index ``application``, best first (as :meth:`scoring.combine.Combiner.totals`).
            Columns :data:`RANKING_COLUMNS`, with one column per rubric group (group id,
            float points: the group's share of ``total``) after ``se``:

            * ``rank`` (Int64): 1 = best, ties share the smaller rank, among the applications
              in the review (:func:`scoring.core.columns.review_rank`; 対象外: <NA>);
            * ``prefecture_name`` (str; "" when the round is not known);
            * ``total`` (float, 0–100), ``se`` (float, points): as ``Combiner.totals``
              with :meth:`effective_weights`;
            * ``n_reviewers`` (int), ``flags`` (str, Japanese);
            * ``baseline_rank`` (Int64): rank with the rubric's weights and the default
              method (:meth:`baseline`);
            * ``rank_change`` (Int64): ``baseline_rank − rank``; > 0 moved up (▲), < 0
              moved down (▼); <NA> when either rank is missing;
            * ``status`` (str): 対象外 for an application outside the review, else "";
              ``reason`` (str): why (e.g. 期限後提出（受理せず）のため対象外), from
              :func:`scoring.analysis.status.exclusion_reasons`, the function that marks the
              committee material; ``flags`` starts with the same reason.

        Raises
        ------
        ValueError
            The weights sum to 0.
        """
        eff = self.effective_weights()
        tot = self.combiner().totals(eff)
        base = self.baseline()["rank"].reindex(tot.index)
        names = self._names()
        out = tot.assign(
            prefecture_name=names.reindex(tot.index).fillna("").astype(str).to_numpy()
            if len(names)
            else np.full(len(tot), "", dtype=object),
            baseline_rank=base.to_numpy(),
        )
        reasons = exclusion_reasons(self.round, tot).reindex(out.index).fillna("").astype(str)
        # the one rank definition of every output: among the applications in the review
        out["rank"] = review_rank(out["total"], reasons != "")
        base_tot = self.baseline()["total"]
        out["baseline_rank"] = review_rank(base_tot, (reasons != "").reindex(base_tot.index)).reindex(
            out.index
        )
        out["baseline_rank"] = out["baseline_rank"].astype("Int64")
        out["rank_change"] = (out["baseline_rank"] - out["rank"]).astype("Int64")
        out["status"] = np.where(reasons != "", STATUS_EXCLUDED, "")
        out["reason"] = reasons.to_numpy()
        out["flags"] = [
            flag_with_reason(r, f if isinstance(f, str) else "") for r, f in zip(out["reason"], out["flags"])
        ]
        cols = [
            "rank",
            "prefecture_name",
            "total",
            "se",
            *self._group_ids,
            "n_reviewers",
            "flags",
            "baseline_rank",
            "rank_change",
            "status",
            "reason",
        ]
        out = out.loc[:, cols]
        out["status"] = out["status"].astype("str")
        out["reason"] = out["reason"].astype("str")
        out["prefecture_name"] = out["prefecture_name"].astype("str")
        return out

    def ranking_ja(self) -> pd.DataFrame:
        """:meth:`ranking` with Japanese column names, for people (static tables, Excel).

        Returns
        -------
        pandas.DataFrame
            Index ``応募``; columns 順位, 状況 (対象外 or ""), 都道府県, 合計点（100点満点）, 標準誤差, one
            「<group label>（点）」 per group, 審査員数, 既定の順位, 順位変動 (Int64, > 0 up),
            注意.  Numbers are not rounded.
        """
        rk = self.ranking()
        labels = {g.id: f"{g.label_ja}（点）" for g in self.rubric.groups}
        h = HEADERS_JA
        out = rk.rename(
            columns={**h, **labels, "baseline_rank": "既定の順位", "rank_change": "順位変動", "flags": "注意"}
        )
        out = out.loc[
            :,
            [
                h["rank"],
                h["status"],
                h["prefecture_name"],
                h["total"],
                h["se"],
                *labels.values(),
                h["n_reviewers"],
                "既定の順位",
                "順位変動",
                "注意",
            ],
        ]
        out.index.name = "応募"
        return out

    def _capture(self, name: str, fn: Callable[[], _T]) -> _T:
        """Run ``fn`` and keep its warnings (Japanese) as notes of ``name``."""
        with _pywarnings.catch_warnings(record=True) as caught:
            _pywarnings.simplefilter("always")
            result = fn()
        self._notes[name] = list(dict.fromkeys(str(w.message) for w in caught))
        return result

    def _cached(self, name: str, key: tuple[Any, ...], fn: Callable[[], _T]) -> _T:
        full = (name, *key)
        if full not in self._cache:
            if len(self._cache) >= 64:  # a long session: keep only recent results
                self._cache.pop(next(iter(self._cache)))
            self._cache[full] = self._capture(name, fn)
        return self._cache[full]

    def _weights_key(self) -> tuple[float, ...]:
        return tuple(np.round(self._effective_array(), 9).tolist())

    def cached(self, name: str, key: tuple[Any, ...], fn: Callable[[], _T]) -> _T:
        """``fn()`` cached under ``name`` and ``key`` like the model's own analyses (for the modules
        that add to the screen, e.g. :func:`scoring.analysis.tuning_proposal.current_proposal`)."""
        return self._cached(name, key, fn)

    def reliability(self) -> pd.DataFrame:
        """Reliability per criterion and of the total with the current weights.

        :func:`scoring.agreement.reliability.reliability_table` (Krippendorff's alpha, ICC, Kendall's
        W; columns :data:`scoring.agreement.reliability.RELIABILITY_COLUMNS`); only the ``total``
        row depends on the weights.  Cached per weights.
        """
        eff = self.effective_weights()
        return self._cached(
            "reliability",
            self._weights_key(),
            lambda: reliability_table(self.scores, self.rubric, weights=eff),
        ).copy()

    def discussion(self) -> pd.DataFrame:
        """The applications that need discussion (協議対象), with reasons.

        :func:`scoring.agreement.disagreement.discussion_list` with the current weights, the gap
        :attr:`gap`, and the current method's totals and ranks: near the line means within
        one place of the cut after :attr:`select` places (this screen runs no stability
        resamples; the committee material adds them), disagreement is measured after each
        reviewer's leniency is removed, the reasons quote the raw scores.

        Returns
        -------
        pandas.DataFrame
            Columns :data:`scoring.agreement.disagreement.DISCUSSION_COLUMNS` with
            ``prefecture_name`` (str) inserted after ``application``.
        """
        eff = self.effective_weights()
        rk = self.ranking()

        def run() -> pd.DataFrame:
            combined = rk.loc[rk["n_reviewers"] > 0, ["total", "se"]]
            out = discussion_list(
                self.scores,
                self.rubric,
                weights=eff,
                select=self.select,
                combined=combined,
                rank=rk.loc[combined.index, "rank"],
                gap=self.gap,
            )
            names = self._names()
            out.insert(1, "prefecture_name", out["application"].map(names).fillna("").astype("str"))
            return out

        return self._cached("discussion", (self._method, *self._weights_key()), run).copy()

    def reviewer_table(self) -> pd.DataFrame:
        """Each reviewer's leniency (甘辛): raw, and as the current method estimates it.

        Returns
        -------
        pandas.DataFrame
            Columns :data:`REVIEWER_TABLE_COLUMNS`, one row per reviewer:

            * ``reviewer``, ``name``, ``role`` (str; "" without a round);
            * ``n_scored``, ``leniency``, ``leniency_se``, ``leniency_t``, ``tendency``,
              ``spread_ratio``, ``spearman``: from
              :func:`scoring.agreement.disagreement.reviewer_profile` with the current weights —
              ``leniency`` is the mean difference (total points, 0–100) between the
              reviewer's weighted total and the other reviewers' mean on the same
              applications (> 0 甘め);
            * ``model_bias`` (float, points of the rubric's scale, e.g. 1–5): the bias
              the current method estimated (``reviewer_bias_``); NaN for mean, median
              and trimmed, and for reviewers it could not calibrate;
            * ``model_bias_total`` (float): the same in total points, bias ÷ scale width
              × 100 — what a shift of that many levels on every criterion does to a
              weighted total;
            * ``model_scale`` (float): use of the scale relative to the average reviewer
              (affine, zscore); NaN otherwise.
        """
        eff = self.effective_weights()
        comb = self.combiner()

        def run() -> pd.DataFrame:
            prof = reviewer_profile(self.scores, self.rubric, weights=eff)
            revs = list(prof["reviewer"]) + [
                r for r in comb.n_scores_.index if r not in set(prof["reviewer"])
            ]
            out = prof.set_index("reviewer").reindex(revs)
            out.index.name = "reviewer"
            bias = comb.reviewer_bias_
            scale = comb.reviewer_scale_
            width = float(self.rubric.scale.max - self.rubric.scale.min)
            out["model_bias"] = bias.reindex(revs).to_numpy(dtype=float) if bias is not None else np.nan
            out["model_bias_total"] = out["model_bias"] / width * 100.0
            out["model_scale"] = scale.reindex(revs).to_numpy(dtype=float) if scale is not None else np.nan
            people = {r.id: r for r in self.round.reviewers} if self.round is not None else {}
            out["name"] = [people[r].name if r in people else "" for r in revs]
            out["role"] = [people[r].role if r in people else "" for r in revs]
            out["n_scored"] = out["n_scored"].fillna(0).astype("int64")
            out["tendency"] = out["tendency"].fillna("比較できる応募が不足").astype("str")
            return out.reset_index().loc[:, list(REVIEWER_TABLE_COLUMNS)]

        return self._cached("reviewers", (self._method, *self._weights_key()), run).copy()

    def notes(self) -> list[str]:
        """Japanese notes on what was done: the current method's warnings (missing scores,
        degenerate reviewers, a disconnected graph) and those of the analyses run so far."""
        out = list(self.combiner().warnings_)
        for name in ("reliability", "discussion", "reviewers"):
            out.extend(self._notes.get(name, []))
        return list(dict.fromkeys(out))

    # -- settings ----------------------------------------------------------------------

    def score_fingerprint(self) -> str:
        """SHA-256 of the canonical score table (:func:`scoring.core.settings.score_fingerprint`)."""
        if self._fingerprint is None:
            self._fingerprint = score_fingerprint(self.scores)
        return self._fingerprint

    def settings(self) -> dict[str, Any]:
        """Everything that produces this screen's committee outputs, as plain JSON data.

        Returns
        -------
        dict
            ``kind`` (``"shinsa.tuning"``); ``round``: ``name``, ``path`` (absolute; not
            hashed), ``select``; ``rubric``: ``id``, ``version``, ``source`` (not hashed);
            ``weights``: effective 配点 per criterion (sum 100); ``method``;
            ``method_options``: every option of the method (``get_params()``, defaults
            included); ``scores``: ``fingerprint`` (SHA-256 of the canonical score
            table), ``n_scores``, ``include_drafts``; ``analysis``: ``gap``, ``select``;
            ``package``: ``name``, ``version``.
        """
        comb = make_combiner(self._method, **self.method_options.get(self._method, {}))
        rnd = self.round
        return settings_record(
            "shinsa.tuning",
            round_name=rnd.name if rnd is not None else None,
            round_path=Path(rnd.path).resolve() if rnd is not None else None,
            select=self.select,
            rubric_id=self.rubric.id,
            rubric_version=self.rubric.version,
            rubric_source=self.rubric.source.resolve() if self.rubric.source is not None else None,
            weights=dict(zip(self._crit_ids, self._effective_array(), strict=True)),
            method=self._method,
            method_options=comb.get_params(deep=False),
            scores={
                "fingerprint": self.score_fingerprint(),
                "n_scores": int(pd.to_numeric(self.scores["score"], errors="coerce").notna().sum()),
                "include_drafts": self.include_drafts,
            },
            analysis={"gap": self.gap, "select": self.select},
        )

    def settings_hash(self) -> str:
        """Short SHA-256 of :meth:`settings` (:func:`scoring.core.settings.settings_hash`)."""
        return settings_hash(self.settings())

    # -- saving ------------------------------------------------------------------------

    def rounded_weights(self) -> pd.Series:
        """The effective weights as they would be saved: integers summing to 100
        (largest remainder), or one decimal when an integer would round a weight to 0.

        Raises
        ------
        ValueError
            A criterion has weight 0 (a rubric's 配点 must be > 0), or the weights sum to 0.
        """
        eff = self.effective_weights()
        zero = [c for c, v in eff.items() if not v > 0]
        if zero:
            raise OptionError(
                f"配点が 0 の評価項目は保存できません: {', '.join(map(str, zero))}。ルーブリックの配点は 0 より"
                "大きくする必要があります（評価項目を外すときは、YAML ファイルから削除してください）。"
            )
        for decimals in (0, 1):
            rounded = largest_remainder(eff, 100, decimals)
            if (rounded > 0).all():
                return rounded
        small = [c for c, v in rounded.items() if not v > 0]
        raise OptionError(
            f"配点が小さすぎて保存できません: {', '.join(map(str, small))}（小数第1位に丸めると 0 になります）。"
            "配点を大きくしてください。"
        )

    def save_as_new_version(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        note: str,
        author: str | None = None,
        date: dt.date | None = None,
    ) -> Path:
        """Write the current weights as a new rubric YAML; never overwrites a file.

        The new file is the rubric's own YAML (comments and layout kept) with the
        weights replaced by :meth:`rounded_weights` and one changelog entry appended:
        ``date``, ``note`` (the given note, followed by the weight changes and the
        previous version hash and file name) and ``author``.  A header comment says where
        it came from.  It loads with :func:`scoring.config.rubric.load_rubric` and has a new
        :attr:`~scoring.config.rubric.Rubric.version`; the ``id`` stays the same.  If the YAML
        cannot be edited in place (unusual layout, or a rubric built from a dict), a
        clean dump of the rubric is written instead (comments are then lost).

        The file is written by :func:`scoring.config.versions.write_rubric_version`, with the
        current combining method and its options (:meth:`combining`) as the rubric's
        ``combining:`` block: a round that uses the new version starts with that method.

        Parameters
        ----------
        path : path-like, optional
            Where to write.  Default: ``<id>_v2.yaml`` beside the rubric's file (or in
            ``rubrics/``), or ``_v3``, … — the first name not taken.
        note : str
            What was changed and why (required; goes into the changelog).
        author : str, optional
            Who changed it (記入者).
        date : datetime.date, optional
            Date of the entry; default today in Japan.

        Returns
        -------
        Path
            The new file.

        Raises
        ------
        FileExistsError
            ``path`` exists (Japanese message): nothing is overwritten.
        ValueError
            Empty note, or a weight that cannot be saved (see :meth:`rounded_weights`).
        """
        check_note(note)  # before the weights, so an empty note is the first thing said
        return write_rubric_version(
            self.rubric,
            self.rounded_weights(),
            path,
            note=note,
            author=author,
            date=date,
            made_by="scoring.analysis.tuning（配点の調整）",
            combining=self.combining(),
        )

    def use_in_round(self, rubric_path: str | os.PathLike[str]) -> str:
        """Point the round's ``round.yaml`` at ``rubric_path`` (e.g. the version just saved).

        Only the ``rubric:`` line changes (:func:`scoring.config.round.set_round_rubric`);
        comments and other keys stay. The next ``load_round`` uses the new version and its
        ``combining:`` method. Returns the value written.

        Raises
        ------
        ValueError
            No round is known, or its round.yaml has no ``rubric:`` line.
        """
        if self.round is None:
            raise OptionError(
                "審査ラウンドがわからないため、round.yaml を書き換えられません。"
                "TuningModel を rnd=load_round(...) を付けて作り直してください。"
            )
        return set_round_rubric(Path(self.round.path) / "round.yaml", rubric_path)

    def combining(self) -> dict[str, Any]:
        """The current method and all its options (``get_params()``), as saved with a version:
        ``{"method": ..., "options": {...}}`` (the rubric's ``combining:`` block)."""
        comb = make_combiner(self._method, **self.method_options.get(self._method, {}))
        return {"method": self._method, "options": dict(comb.get_params(deep=False))}
