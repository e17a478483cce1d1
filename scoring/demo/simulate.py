"""Simulated reviewers (架空の審査員): seeded scores that behave like real ones.

Used for the demo round's scores (``python -m scoring demo``) and for simulation studies
of the combining methods: the true merit is known, so an estimate can be compared with it.

The model, per (reviewer *r*, application *a*, criterion *c*), in levels of the scale::

    x = centre + spread_r × (merit[a, c] − centre) + bias_r + halo[r, a] + noise
    score = nearest allowed level of clip(x, low_r, high_r)

``merit`` is a latent true merit per application and criterion (:func:`latent_merit`),
``halo[r, a] ~ N(0, halo_r)`` is the reviewer's overall impression of the application
(shared by its criteria), ``noise ~ N(0, noise_r)``. A lenient reviewer has ``bias > 0``,
a harsh one ``bias < 0``; one who uses only the middle of the scale has ``spread < 1`` and
``low``/``high`` inside the scale.

Everything here is a pure function of its arguments and the seed, except
:func:`write_demo_scores`, which writes through the store. Nothing writes the demo scores
implicitly: loading a round only reads.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from ..core.errors import OptionError
from ..core.reference import prefecture_blocks, prefectures
from ..core.schema import PUSH_TYPE, SCORE_COLUMNS, THEMES
from ..round.eligibility import record_eligibility
from ..round.loader import load_round
from ..store.scores import ScoreStore

if TYPE_CHECKING:
    from ..config.rubric import Criterion, Rubric
    from ..round.loader import ReviewRound

__all__ = [
    "DEMO_BEHAVIOUR",
    "DEMO_SEED",
    "ReviewerBehaviour",
    "demo_scores",
    "is_demo_round",
    "latent_merit",
    "random_behaviour",
    "simulate_scores",
    "typical_round",
    "write_demo_scores",
]

#: Seed of the demo round's simulated scores.
DEMO_SEED = 20260220


@dataclass(frozen=True)
class ReviewerBehaviour:
    """How a simulated reviewer scores (all in levels of the scale).

    Attributes
    ----------
    bias : float
        Added to every score: positive = lenient (甘い), negative = harsh (辛い).
    spread : float
        Multiplies the distance of the merit from the scale centre; below 1 compresses
        towards the middle.
    noise : float
        Standard deviation of independent noise per score.
    halo : float
        Standard deviation of the reviewer's overall impression of an application, shared
        by all its criteria.
    low, high : float, optional
        The range the reviewer actually uses (e.g. 2 and 4); default the whole scale.
    comment_rate : float
        Probability of an optional comment on a score that does not require one.
    """

    bias: float = 0.0
    spread: float = 1.0
    noise: float = 0.5
    halo: float = 0.25
    low: float | None = None
    high: float | None = None
    comment_rate: float = 0.1

    def __post_init__(self) -> None:
        problems = []
        if not (math.isfinite(self.spread) and self.spread > 0):
            problems.append(f"spread（{self.spread}）は正の数にしてください")
        if not (math.isfinite(self.noise) and self.noise >= 0):
            problems.append(f"noise（{self.noise}）は0以上にしてください")
        if not (math.isfinite(self.halo) and self.halo >= 0):
            problems.append(f"halo（{self.halo}）は0以上にしてください")
        if self.low is not None and self.high is not None and self.low > self.high:
            problems.append(f"low（{self.low}）は high（{self.high}）以下にしてください")
        if not 0 <= self.comment_rate <= 1:
            problems.append(f"comment_rate（{self.comment_rate}）は0〜1にしてください")
        if problems:
            raise OptionError("審査員の振る舞いの設定が正しくありません: " + "、".join(problems))


#: The six demo reviewers: R1 typical, R2 lenient (+0.7), R3 harsh (−0.7), R4 uses only
#: the middle (2–4, compressed), R5 noisy, R6 typical (in conflict with 長野).
DEMO_BEHAVIOUR: dict[str, ReviewerBehaviour] = {
    "R1": ReviewerBehaviour(),
    "R2": ReviewerBehaviour(bias=0.7, comment_rate=0.05),
    "R3": ReviewerBehaviour(bias=-0.7, comment_rate=0.2),
    "R4": ReviewerBehaviour(spread=0.45, noise=0.35, low=2, high=4, comment_rate=0.05),
    "R5": ReviewerBehaviour(noise=0.8, halo=0.35, comment_rate=0.15),
    "R6": ReviewerBehaviour(noise=0.45),
}

_READY = {"未構築": 0.0, "構築中": 0.5, "構築済": 1.0}
_COORD = {"未着手": 0.0, "調整中": 0.5, "合意済": 1.0}
_THEME_REUSE = {"A": 0.65, "B": 0.55, "C": 0.45, "D": 0.55, "E": 0.5, "F": 0.7}
#: Criteria that depend on how well the application is written (the quality effect).
_WRITTEN = (
    "need_self_reliance",
    "pool_issue_analysis",
    "pool_recruitment_plan",
    "theme_fit",
    "theme_plan",
    "theme_reuse",
)


def _col(apps: pd.DataFrame, name: str, default: float) -> pd.Series:
    if name not in apps.columns:
        return pd.Series(default, index=apps.index, dtype="float64")
    return pd.to_numeric(apps[name], errors="coerce").astype("float64").fillna(default)


def _mapped(apps: pd.DataFrame, name: str, mapping: Mapping[str, float], default: float = 0.5) -> pd.Series:
    if name not in apps.columns:
        return pd.Series(default, index=apps.index, dtype="float64")
    return apps[name].map(lambda v: mapping.get(str(v), default)).astype("float64")


def _signals(apps: pd.DataFrame) -> dict[str, pd.Series]:
    """Criterion signals in [0, 1] (1 = the best level) from the application data."""
    clip = lambda s: s.clip(0.0, 1.0)
    munis = _col(apps, "municipalities", 30.0).clip(lower=1)
    ready = _mapped(apps, "pool_status", _READY)
    coverage = clip(_col(apps, "municipalities_supported", 0.0) / munis)
    coord = (_mapped(apps, "hr_coordination", _COORD) + _mapped(apps, "finance_coordination", _COORD)) / 2
    size = clip(np.log(munis) / np.log(180))
    tv = clip(_col(apps, "towns_villages_share_pct", 50.0) / 100)
    decline = clip(-_col(apps, "pop_change_2015_2020_pct", -3.0) / 6)
    one_person = clip(_col(apps, "one_person_it_municipalities", 0.0) / munis / 0.4)
    part = clip(_col(apps, "participating_municipalities", 0.0) / munis)
    accel = clip(_col(apps, "pool_accelerators", 0.0) / 3)
    if "dx_body_since" in apps.columns:
        since = pd.to_datetime(apps["dx_body_since"], errors="coerce")
        years = ((pd.Timestamp("2026-02-20") - since).dt.days / 365.25).astype("float64").fillna(0.0)
    else:
        years = pd.Series(0.0, index=apps.index)
    dx_years = clip(years / 5)
    if "target_date" in apps.columns:
        target = pd.to_datetime(apps["target_date"], errors="coerce")
        soon = (target <= pd.Timestamp("2027-03-31")).astype("float64").where(target.notna(), 0.0)
    else:
        soon = pd.Series(0.0, index=apps.index)
    theme = _mapped(apps, "theme", _THEME_REUSE)
    return {
        "need_pool_gap": 0.75 * (1 - ready) + 0.25 * (1 - coverage),
        "need_support_burden": clip(
            (0.3 * size + 0.25 * tv + 0.25 * decline + 0.2 * one_person - 0.25) / 0.5
        ),
        "need_self_reliance": 0.1 + 0.35 * (1 - ready) + 0.3 * decline + 0.25 * (1 - coord),
        "pool_issue_analysis": 0.15 + 0.4 * dx_years + 0.35 * ready,
        "pool_recruitment_plan": 0.2 + 0.3 * soon + 0.25 * accel + 0.25 * ready,
        "pool_hr_finance": 0.1 + 0.8 * coord,
        "theme_fit": 0.15 + 0.75 * part,
        "theme_plan": 0.2 + 0.35 * ready + 0.25 * soon + 0.2 * coord,
        "theme_reuse": 0.1 + 0.6 * theme + 0.3 * ready,
    }


def latent_merit(
    rubric: Rubric,
    applications: pd.DataFrame,
    *,
    seed: int = 0,
    quality_sd: float = 0.35,
    idiosyncratic_sd: float = 0.2,
) -> pd.DataFrame:
    """A plausible latent true merit of each application on each criterion.

    Derived from the application data, the way the rubric's anchors read: need is higher
    with no or a small pool and little coverage of the municipalities (need_pool_gap), with
    many municipalities, many 町村, steep population decline and many 1人情シス municipalities
    (need_support_burden); readiness (pool 構築済, an early DX body, DX accelerators, a
    target within FY2026, agreement with the HR and finance departments) raises the pool
    and theme criteria; the share of municipalities taking part raises theme_fit; themes A
    and F are the easiest to reuse. A seeded per-application writing quality
    (``N(0, quality_sd)``) is added to criteria judged from the text, and a small
    per-cell term (``N(0, idiosyncratic_sd)``) to all. Criteria of other rubrics get the
    scale centre plus these random terms.

    Parameters
    ----------
    rubric : Rubric
    applications : DataFrame
        Index ``application``; columns as :func:`scoring.read_applications` (missing
        columns count as average).
    seed : int

    Returns
    -------
    DataFrame
        Index ``application``, columns the criterion ids in rubric order (``columns.name``
        ``"criterion"``), float values within each criterion's scale (continuous).
    """
    rng = np.random.default_rng(seed)
    apps = applications
    signals = _signals(apps) if len(apps) else {}
    quality = rng.normal(0.0, quality_sd, size=len(apps))
    out = {}
    for crit in rubric.criteria:
        s = crit.effective_scale
        lo, hi = float(s.min), float(s.max)
        idio = rng.normal(0.0, idiosyncratic_sd, size=len(apps))
        if crit.id in signals:
            base = lo + (hi - lo) * signals[crit.id].clip(0.0, 1.0).to_numpy(dtype="float64")
        else:
            base = np.full(len(apps), (lo + hi) / 2)
        written = quality if (crit.id in _WRITTEN or crit.id not in signals) else 0.0
        out[crit.id] = np.clip(base + written + idio, lo, hi)
    df = pd.DataFrame(out, index=pd.Index([str(a) for a in apps.index], name="application"))
    df.columns.name = "criterion"
    return df


def _nearest_level(crit: Criterion, x: float, low: float, high: float) -> float:
    levels = [float(v) for v in crit.levels if low - 1e-9 <= v <= high + 1e-9] or [
        float(v) for v in crit.levels
    ]
    return min(levels, key=lambda v: (abs(v - x), v))


_OPTIONAL = (
    "記載は概ね評価基準どおり。",
    "数値の根拠をもう少し示してほしい。",
    "他県と比べて標準的。",
    "具体的な記述がある。",
    "ヒアリングで確認したい点がある。",
)


def _comment(crit: Criterion, score: float, rng: np.random.Generator, required: bool) -> str:
    level = "高く" if score >= (crit.effective_scale.min + crit.effective_scale.max) / 2 else "低く"
    anchor = crit.anchor(score).ja
    if required:
        return f"（架空の講評）{anchor} と判断し、{level}評価した。"
    return f"（架空の講評）{_OPTIONAL[int(rng.integers(len(_OPTIONAL)))]}"


def _check_pairs(pairs: list[tuple[str, str]], merit: pd.DataFrame, unscored: int, partial: int) -> None:
    """Refuse (OptionError) pairs whose application has no merit, or more pairs to leave out than there are."""
    missing_apps = sorted({a for _, a in pairs} - set(merit.index.astype(str)))
    if missing_apps:
        raise OptionError(
            f"真の評価（merit）に応募 {'、'.join(missing_apps)} がありません。同じ応募の表から作ってください。"
        )
    if unscored + partial > len(pairs):
        raise OptionError(
            f"未着手 {unscored} 組と下書き {partial} 組の合計が、割当の {len(pairs)} 組を超えています。どちらかを減らしてください。"
        )


def _score_cell(
    crit: Criterion,
    b: ReviewerBehaviour,
    merit: float | None,
    halo: float,
    noise: float,
    optional: float,
    rng: np.random.Generator,
) -> tuple[float, str]:
    """One reviewer's score and comment of one criterion.

    ``merit`` is the application's true merit on the criterion (None: the scale's centre),
    ``halo`` and ``noise`` the reviewer's draws for this pair and this cell, ``optional`` the draw that decides
    whether a comment not required is written (below the reviewer's ``comment_rate``).
    """
    s = crit.effective_scale
    centre = (float(s.min) + float(s.max)) / 2
    m = centre if merit is None else merit
    x = centre + b.spread * (m - centre) + b.bias + halo + noise
    low = float(s.min) if b.low is None else max(float(s.min), b.low)
    high = float(s.max) if b.high is None else min(float(s.max), b.high)
    score = _nearest_level(crit, min(max(x, low), high), low, high)
    required = crit.comment_required(score)
    comment = (
        _comment(crit, score, rng, True)
        if required
        else (_comment(crit, score, rng, False) if optional < b.comment_rate else "")
    )
    return score, comment


def simulate_scores(
    rubric: Rubric,
    assignments: pd.DataFrame,
    merit: pd.DataFrame,
    behaviour: Mapping[str, ReviewerBehaviour] | None = None,
    *,
    seed: int = 0,
    unscored: int = 0,
    partial: int = 0,
    when: dt.datetime | None = None,
) -> pd.DataFrame:
    """Simulated scores of assigned reviewers, in the canonical long form.

    Parameters
    ----------
    rubric : Rubric
        Scales, levels and which scores need a comment.
    assignments : DataFrame
        Columns ``reviewer``, ``application``: who scores what (conflicts already
        excluded, e.g. :meth:`ReviewRound.assignments`).
    merit : DataFrame
        True merit, index application, columns criterion ids (:func:`latent_merit`).
    behaviour : mapping reviewer id → ReviewerBehaviour, optional
        Reviewers not in it behave like ``ReviewerBehaviour()``.
    seed : int
    unscored : int
        Number of (reviewer, application) pairs left entirely unscored.
    partial : int
        Number of further pairs with one to three criteria left unscored (drafts).
    when : datetime, optional
        ``updated_at`` of every row (default 2026-02-27 09:00 JST), so that the result
        depends only on the arguments.

    Returns
    -------
    DataFrame
        Columns :data:`scoring.core.schema.SCORE_COLUMNS`, one row per scored cell, sorted by
        application, reviewer and criterion in rubric order; ``score`` float at a level of
        the scale; ``comment`` (required ones always present, e.g. for 1 and 5);
        ``rubric_version`` = ``rubric.version``.
    """
    behaviour = behaviour or {}
    rng = np.random.default_rng(seed)
    pairs = sorted(
        set(zip(assignments["reviewer"].astype(str), assignments["application"].astype(str))),
        key=lambda p: (p[1], p[0]),
    )
    _check_pairs(pairs, merit, unscored, partial)
    pick = rng.permutation(len(pairs))
    skip = {pairs[int(i)] for i in pick[:unscored]}
    part = {pairs[int(i)] for i in pick[unscored : unscored + partial]}
    when = when or dt.datetime(2026, 2, 27, 0, 0, tzinfo=dt.timezone.utc)
    stamp = (
        pd.Timestamp(when).tz_convert("UTC") if pd.Timestamp(when).tzinfo else pd.Timestamp(when, tz="UTC")
    )
    version = rubric.version
    criteria = rubric.criteria
    rows = []
    for r, a in pairs:
        b = behaviour.get(r, ReviewerBehaviour())
        halo = rng.normal(0.0, b.halo)
        noise = rng.normal(0.0, b.noise, size=len(criteria))
        optional = rng.random(len(criteria))
        drop: set[int] = set()
        if (r, a) in part:
            k = int(rng.integers(1, min(3, len(criteria)) + 1))
            drop = {int(i) for i in rng.choice(len(criteria), size=k, replace=False)}
        if (r, a) in skip:
            continue
        for i, crit in enumerate(criteria):
            if i in drop:
                continue
            m = float(cast(float, merit.at[a, crit.id])) if crit.id in merit.columns else None
            score, comment = _score_cell(crit, b, m, halo, float(noise[i]), float(optional[i]), rng)
            rows.append((a, r, crit.id, score, comment, stamp, version))
    df = pd.DataFrame(rows, columns=list(SCORE_COLUMNS))
    df["score"] = df["score"].astype("float64")
    df["updated_at"] = pd.to_datetime(df["updated_at"], utc=True)
    return df.reset_index(drop=True)


def random_behaviour(rng: np.random.Generator) -> ReviewerBehaviour:
    """One plausible reviewer: leniency N(0, 0.4), noise 0.35–0.8, halo 0.15–0.35 levels;
    one in four uses only the middle of the scale (2–4, compressed)."""
    middle = bool(rng.random() < 0.25)
    return ReviewerBehaviour(
        bias=float(rng.normal(0.0, 0.4)),
        spread=0.5 if middle else 1.0,
        noise=float(rng.uniform(0.35, 0.8)),
        halo=float(rng.uniform(0.15, 0.35)),
        low=2 if middle else None,
        high=4 if middle else None,
    )


def typical_round(
    rubric: Rubric, *, n_applications: int = 30, n_reviewers: int = 8, per_application: int = 4, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A simulated round of typical size (架空): applications, and every assigned score.

    ``n_applications`` prefectures drawn at random (random theme A–F, 公募, on time, no
    errors; their merit differs by a writing quality of SD 0.6 levels, :func:`latent_merit`),
    ``n_reviewers`` reviewers behaving as :func:`random_behaviour`, each application
    scored by ``per_application`` reviewers (least loaded first), every sheet complete. Used
    to calibrate the discussion list (``benchmarks/calibrate_discussion.py``).

    Returns
    -------
    scores : DataFrame
        Canonical long table (:data:`scoring.core.schema.SCORE_COLUMNS`).
    applications : DataFrame
        Index ``application`` (JIS code); columns ``prefecture_name``, ``block`` (8 blocks),
        ``theme``, ``application_type``, ``late``, ``has_errors``.

    Raises
    ------
    ValueError
        Sizes out of range (Japanese message).
    """
    if not 2 <= n_applications <= 47 or n_reviewers < 2 or not 2 <= per_application <= n_reviewers:
        raise OptionError(
            "模擬ラウンドの大きさが正しくありません: 応募 2〜47 件、審査員 2 名以上、"
            f"応募ごとの審査員 2〜審査員数 名にしてください（応募 {n_applications}、審査員 {n_reviewers}、"
            f"応募ごと {per_application}）。"
        )
    rng = np.random.default_rng(seed)
    prefs = prefectures()
    codes = sorted(str(c) for c in rng.choice(prefs.index.astype(str), size=n_applications, replace=False))
    blocks = prefecture_blocks()
    apps = pd.DataFrame(
        {
            "prefecture_name": [str(prefs.at[c, "short_name"]) for c in codes],
            "block": [str(blocks.get(c, "")) for c in codes],
            "theme": [str(t) for t in rng.choice(list(THEMES), size=n_applications)],
            "application_type": "公募",
            "late": False,
            "has_errors": False,
        },
        index=pd.Index(codes, name="application"),
    )
    reviewers = [f"R{i + 1}" for i in range(n_reviewers)]
    behaviour = {r: random_behaviour(rng) for r in reviewers}
    load = dict.fromkeys(reviewers, 0)
    pairs = []
    for a in codes:
        order = sorted(reviewers, key=lambda r: (load[r], rng.random()))
        for r in order[:per_application]:
            load[r] += 1
            pairs.append((r, a))
    assignments = pd.DataFrame(pairs, columns=["reviewer", "application"])
    merit = latent_merit(rubric, apps, seed=seed, quality_sd=0.6)
    scores = simulate_scores(rubric, assignments, merit, behaviour, seed=seed + 1)
    return scores, apps


def demo_scores(rnd: ReviewRound, *, seed: int = DEMO_SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The demo round's simulated scores and which pairs are submitted.

    Reviewers behave as :data:`DEMO_BEHAVIOUR`; three pairs are left unscored (未着手), two
    partly scored (下書き) and two complete but not yet submitted (下書き); all other pairs
    are submitted (提出済). Conflicts are respected (pairs come from
    :meth:`ReviewRound.assignments`).

    Returns
    -------
    scores : DataFrame
        Canonical, as :func:`simulate_scores`.
    submitted : DataFrame
        Columns ``reviewer``, ``application``: the pairs to submit.
    """
    assignments = rnd.assignments()
    merit = latent_merit(rnd.rubric, rnd.applications, seed=seed)
    n_pairs = len(assignments)
    unscored, partial = min(3, n_pairs), min(2, max(n_pairs - 3, 0))
    scores = simulate_scores(
        rnd.rubric, assignments, merit, DEMO_BEHAVIOUR, seed=seed + 1, unscored=unscored, partial=partial
    )
    n_crit = len(rnd.rubric.criteria)
    counts = scores.groupby(["reviewer", "application"]).size()
    complete = sorted(cast("tuple[str, str]", p) for p, n in counts.items() if n == n_crit)
    rng = np.random.default_rng(seed + 2)
    hold = {complete[int(i)] for i in rng.permutation(len(complete))[: min(2, len(complete))]}
    submitted = pd.DataFrame([p for p in complete if p not in hold], columns=["reviewer", "application"])
    return scores, submitted


def demo_note(rnd: ReviewRound, row: Mapping[Any, Any]) -> str:
    """A fictitious 申請者への所見 for a cell with a comment on a merit criterion (score 4 or
    more, or 2 or less): what a reviewer would write for the applicant. None on a need
    criterion (rubric ``letter: {kind: need}``), which is never a strength or a weakness."""
    if not str(row.get("comment") or "").strip():
        return ""
    crit = rnd.rubric.criterion(str(row["criterion"]))
    if rnd.rubric.group_of(crit.id).letter_kind == "need":
        return ""
    score = float(row["score"])
    if score >= 4:
        return f"（架空の所見）{crit.label_ja}について、具体的な記述があり、取組の方向性が明確である。"
    if score <= 2:
        return f"（架空の所見）{crit.label_ja}について、根拠となる数値や実施体制をより具体的に示すことが望まれる。"
    return ""


def is_demo_round(rnd: ReviewRound) -> bool:
    """True when round.yaml says ``demo: true`` (架空). The round's name or folder never counts."""
    return bool(rnd.config.demo)


def write_demo_scores(
    rnd: ReviewRound,
    store: ScoreStore | None = None,
    *,
    seed: int = DEMO_SEED,
    leave_out: Collection[str] = (),
) -> int:
    """Write :func:`demo_scores` through the store (source ``simulation``), once.

    All scores and submissions are one transaction; nothing is written unless the store is
    still empty. Reviewers in ``leave_out`` get nothing (on the demo server, ``make hub``,
    they are left to score themselves).

    Returns
    -------
    int
        Number of score events written.

    Raises
    ------
    StoreError
        The store already has events (the message says how many and what to do).
    """
    scores, submitted = demo_scores(rnd, seed=seed)
    own = store is None
    st = ScoreStore.open(rnd) if store is None else store
    try:
        keep = ~scores["reviewer"].isin(list(leave_out))
        rows = scores.loc[keep, ["reviewer", "application", "criterion", "score", "comment"]].to_dict(
            "records"
        )
        for row in rows:  # what the reviewer writes for the applicant (申請者への所見), beside the comment
            row["to_applicant"] = demo_note(rnd, row)
        pairs = [p for p in zip(submitted["reviewer"], submitted["application"]) if p[0] not in leave_out]
        n = st.record_many(rows, source="simulation", submit=pairs, require_empty=True)  # type: ignore[arg-type]
        _record_demo_push(rnd, st)
        return n
    finally:
        if own:
            st.close()


#: Who and why of the demo round's fictitious プッシュ型 decisions.
DEMO_PUSH_BY = "デモ（架空）"
DEMO_PUSH_REASON = "デモの架空の総務省の決定（python -m scoring demo が記録）"


def _record_demo_push(rnd: ReviewRound, store: ScoreStore) -> None:
    """Record 総務省's (fictitious) プッシュ型 decision for each demo form that says プッシュ型.

    プッシュ型 counts only as a recorded decision (issue 19); the demo round's forms 03 岩手 and
    39 高知 say プッシュ型, so the demo records the decision, as the 事務局 would with
    ``eligibility push``. ``rnd`` is then refreshed from its folder and store (its
    ``applications``, ``eligibility``, ``eligibility_records`` and ``problems``).
    """
    table = rnd.eligibility
    if not rnd.config.demo or table is None or "form_type" not in table:
        return
    todo = table.index[(table["form_type"] == PUSH_TYPE) & (table["application_type"] != PUSH_TYPE)]
    for code in todo:
        record_eligibility(rnd, "push", code, by=DEMO_PUSH_BY, reason=DEMO_PUSH_REASON, store=store)
    if len(todo):
        fresh = load_round(rnd.path)
        for name in ("applications", "eligibility", "eligibility_records", "problems"):
            setattr(rnd, name, getattr(fresh, name))
