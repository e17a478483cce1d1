"""プッシュ型 candidates: which of the 47 prefectures need support most, and a record for one.

The notice lets 総務省 propose prefectures that did not apply (プッシュ型).
:func:`push_candidates` ranks all 47 prefectures by need indicators: each indicator
(:data:`scoring.config.push.PUSH_INDICATORS`) is scaled over the prefectures where it is
known, 0 = the least need among them, 1 = the most (min–max), and multiplied by its weight
from ``push_candidates.yaml`` (:mod:`scoring.config.push`); the need score is the sum. The
raw values stay beside the contributions, so the committee sees why.

No imputation: an unknown value (a 人材プール size nobody has told us) is shown as 不明 and
contributes 0, the floor of the scale, so the score ranks on what is known. This makes the
score monotone in what is learnt: entering a prefecture's real pool size can only raise its
own score (its contribution goes from 0 to a value in [0, weight]), and a smaller pool (more
municipalities per member, a worse pool) never gives a lower score than a larger one. The old
rule (standardise, unknown = the mean) did the opposite: a candidate whose real pool was
entered dropped (5 tries of 5 in issue 20; 宮崎 fell from #5 to #8), so not asking paid.

:func:`write_push_application` turns a candidate into a プッシュ型 応募書 (the same Excel form
as every application, :func:`scoring.intake.template.write_template`) in the round's
``applications/`` folder, so intake reads it like any other; the analyst fills in the rest
from the hearing.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from ..config.push import PUSH_INDICATORS, PushConfig, load_push_config, push_config_path
from ..core.clock import now_jst, to_jst
from ..core.columns import HEADERS_JA, PUSH_CANDIDATE_COLUMNS
from ..core.errors import IntakeError
from ..core.normalize import parse_prefecture
from ..core.reference import prefecture_blocks, prefectures
from ..core.schema import FIELDS
from ..intake.template import write_template
from ..round.eligibility import record_eligibility
from ..round.eligibility_records import EligibilityRecord
from ..round.loader import ReviewRound, load_round

__all__ = [
    "PUSH_CANDIDATE_COLUMNS",
    "PUSH_METHOD_JA",
    "PushRecord",
    "push_candidates",
    "push_candidates_ja",
    "push_filename",
    "write_push_application",
]

#: Who and why when the プッシュ型 decision is recorded without ``by`` / ``reason``.
DEFAULT_PUSH_BY = "事務局"
DEFAULT_PUSH_REASON = "総務省がプッシュ型の候補として選定（push-candidate で応募書を作成）"

#: Status words of the list.
CANDIDATE = "候補"
APPLIED = "応募済"


def _scaled(x: pd.Series) -> pd.Series:
    """0–1 over the known values (0 = the least need, 1 = the most); unknown → 0; no spread → 0.

    Unlike a z-score, the floor is fixed: a newly known value scores ≥ 0, what unknown gives.
    """
    v = x.astype(float)
    known = v.dropna()
    lo, hi = (float(known.min()), float(known.max())) if len(known) else (0.0, 0.0)
    if not np.isfinite(hi - lo) or hi - lo <= 0.0:
        return pd.Series(0.0, index=x.index)
    return ((v - lo) / (hi - lo)).fillna(0.0)


#: How the need score is made, in Japanese (the committee material quotes it).
PUSH_METHOD_JA = (
    "各指標を、値の分かっている都道府県の中で 0（必要性が最も低い）〜1（最も高い）に直し、重みを掛けて"
    "足したものが「必要性の得点」です。分からない値（人材プール登録者など）は「不明」と示し、その指標の"
    "寄与は 0 です（平均などで埋めません。分かれば得点が下がることはありません）。"
)


def _pool_members(
    codes: pd.Index, apps: pd.DataFrame, app_codes: set[str], cfg: PushConfig
) -> tuple[list[float], list[str]]:
    """Each prefecture's 人材プール size and where it comes from: its 応募書, else the
    settings file, else unknown (NaN, 不明)."""
    pool = apps["pool_size_total"] if "pool_size_total" in apps.columns else pd.Series(dtype=float)
    pool = pd.to_numeric(pool, errors="coerce")
    pool.index = pool.index.astype(str)
    members: list[float] = []
    source: list[str] = []
    for c in codes:
        if c in app_codes and pd.notna(pool.get(c)):
            members.append(float(pool[c]))
            source.append("応募書")
        elif c in cfg.pool_members:
            members.append(float(cfg.pool_members[c]))
            source.append("設定ファイル")
        else:
            members.append(np.nan)
            source.append("不明")
    return members, source


def _add_contributions(df: pd.DataFrame, cfg: PushConfig) -> pd.Series:
    """Add one ``w_<indicator>`` column per indicator to ``df`` (weight × the value scaled 0–1
    over the known values, 0 when unknown or unweighted); the need score, their sum."""
    score = pd.Series(0.0, index=df.index)
    for ind in PUSH_INDICATORS:
        w = float(cfg.indicators.get(ind, 0.0))
        contrib = w * _scaled(df[ind]) if w else pd.Series(0.0, index=df.index)
        df[f"w_{ind}"] = contrib
        score += contrib
    return score


def push_candidates(rnd: ReviewRound, config: PushConfig | None = None) -> pd.DataFrame:
    """Rank the 47 prefectures by need for プッシュ型 support.

    Parameters
    ----------
    rnd : ReviewRound
        The round: its applications say who applied and their pool size.
    config : PushConfig, optional
        Indicators and weights; default :func:`scoring.config.push.push_config_path` of
        the round (its own ``push_candidates.yaml``, else the bundled default).

    Returns
    -------
    DataFrame
        Index ``code`` (JIS, 47 rows) in rank order; columns :data:`PUSH_CANDIDATE_COLUMNS`:
        ``rank`` (1 = most need; ties share the rank), ``prefecture_name``, ``block`` (the
        round's block scheme), ``applied`` (bool), ``application_type`` (of the
        application, "" if none), ``municipalities`` (市区町村, 特別区 included),
        ``towns_villages_share`` (%), ``population_decline`` (%, 2015→2020, growth is
        negative), ``pool_members`` (people, NaN when unknown), ``pool_source``
        (応募書 / 設定ファイル / 不明), ``municipalities_per_pool_member``, ``not_applied``
        (1/0), one ``w_<indicator>`` per indicator (weight × the value scaled 0–1 over the
        prefectures where it is known, 0 when unknown or unweighted), ``score`` (their sum) and ``status`` (候補 for the ``top`` highest
        non-applicants, 応募済, or ""). ``attrs`` holds ``name``, ``weights`` and ``source``
        of the settings, and ``method_ja`` (:data:`PUSH_METHOD_JA`).

    Raises
    ------
    ConfigError
        The settings file is invalid (Japanese, with file and line).
    """
    cfg = config if config is not None else load_push_config(push_config_path(rnd.path))
    ref = prefectures()
    apps = rnd.applications
    app_codes = {str(a) for a in apps.index}
    df = pd.DataFrame(index=pd.Index([str(c) for c in ref.index], name="code"))
    df["prefecture_name"] = ref["name_ja"].astype(str).to_numpy()
    df["block"] = prefecture_blocks(rnd.config.block_scheme).reindex(df.index).astype(str)
    df["applied"] = df.index.isin(list(app_codes))
    types = apps["application_type"] if "application_type" in apps.columns else pd.Series(dtype=object)
    types.index = types.index.astype(str)
    df["application_type"] = [
        str(types.get(c, "")) if c in app_codes and pd.notna(types.get(c)) else "" for c in df.index
    ]
    df["municipalities"] = ref["municipalities_incl_wards"].astype("int64").to_numpy()
    df["towns_villages_share"] = ref["towns_villages_share_pct"].astype(float).to_numpy()
    df["population_decline"] = -ref["pop_change_2015_2020_pct"].astype(float).to_numpy()
    df["pool_members"], df["pool_source"] = _pool_members(df.index, apps, app_codes, cfg)
    df["municipalities_per_pool_member"] = df["municipalities"] / df["pool_members"].clip(lower=1)
    df["not_applied"] = (~df["applied"]).astype("int64")
    df["score"] = _add_contributions(df, cfg)
    df["rank"] = df["score"].round(6).rank(ascending=False, method="min").astype("int64")
    df = df.iloc[np.lexsort((np.arange(len(df)), -df["score"].round(6).to_numpy()))]
    status = pd.Series("", index=df.index, dtype=object)
    status[df["applied"]] = APPLIED
    status[df.index[~df["applied"]][: cfg.top]] = CANDIDATE
    df["status"] = status
    out = df[list(PUSH_CANDIDATE_COLUMNS)].copy()
    out.attrs.update(
        method_ja=PUSH_METHOD_JA,
        name=cfg.name,
        weights=dict(cfg.indicators),
        top=cfg.top,
        source=str(cfg.source) if cfg.source is not None else "",
    )
    return out


def push_candidates_ja(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`push_candidates` with Japanese headers (units in them), numbers kept as numbers."""
    labels = {k: v[0] for k, v in PUSH_INDICATORS.items()}
    weights = table.attrs.get("weights", {})
    out = pd.DataFrame(
        {
            HEADERS_JA["rank"]: table["rank"].to_numpy(),
            HEADERS_JA["prefecture_name"]: table["prefecture_name"].to_numpy(),
            HEADERS_JA["block"]: table["block"].to_numpy(),
            "状況": table["status"].to_numpy(),
            HEADERS_JA["application_type"]: table["application_type"].to_numpy(),
            "必要性の得点": table["score"].round(3).to_numpy(),
            labels["towns_villages_share"]: table["towns_villages_share"].round(1).to_numpy(),
            labels["population_decline"]: table["population_decline"].round(2).to_numpy(),
            "市区町村数（団体）": table["municipalities"].to_numpy(),
            "人材プール登録者（人）": _unknown_ja(table["pool_members"]),
            "登録者数の出典": table["pool_source"].to_numpy(),
            labels["municipalities_per_pool_member"]: _unknown_ja(
                table["municipalities_per_pool_member"].round(1)
            ),
            labels["not_applied"]: table["not_applied"].to_numpy(),
        }
    )
    for ind, (label, _) in PUSH_INDICATORS.items():
        if float(weights.get(ind, 0.0)):
            name = label.split("（")[0]
            out[f"寄与: {name}（重み {float(weights[ind]):g}）"] = table[f"w_{ind}"].round(3).to_numpy()
    out.index = pd.Index(table.index.astype(str), name="都道府県コード")
    return out


def _unknown_ja(values: pd.Series) -> np.ndarray:
    """Numbers as numbers, an unknown value as 不明 (not an empty cell the reader may take for 0)."""
    return np.array([v if pd.notna(v) else "不明" for v in values.to_numpy(dtype=object)], dtype=object)


def push_filename(code: str) -> str:
    """File name of a プッシュ型 応募書: ``<code>_<english name>_push.xlsx``."""
    en = str(prefectures().at[code, "name_en"]).lower().replace(" ", "_")
    return f"{code}_{en}_push.xlsx"


class PushRecord(NamedTuple):
    """What :func:`write_push_application` wrote."""

    path: Path
    code: str
    prefecture_name: str
    #: Labels of required 応募書 fields left for the analyst to fill in from the hearing.
    to_fill: list[str]
    #: The ministry's recorded プッシュ型 decision (None: the form was written outside the
    #: round's applications/, record it there with ``eligibility push``).
    decision: EligibilityRecord | None = None


def write_push_application(
    rnd: ReviewRound,
    prefecture: object,
    out: str | Path | None = None,
    *,
    submitted_at: dt.datetime | None = None,
    by: str = DEFAULT_PUSH_BY,
    reason: str = DEFAULT_PUSH_REASON,
) -> PushRecord:
    """Write a プッシュ型 応募書 for a prefecture that did not apply, and record the decision.

    プッシュ型 is 総務省's decision: when the form is written into the round's
    ``applications/`` the decision is recorded (``eligibility push``, with ``by`` and
    ``reason``; :mod:`scoring.round.eligibility_records`), so the round treats it as
    プッシュ型 (without the record a form that says プッシュ型 counts as 手上げ式).

    Parameters
    ----------
    rnd : ReviewRound
        The round (its applications say who applied).
    prefecture : str or int
        Name or JIS code (長野, 長野県, 20).
    out : path, optional
        The .xlsx to write; default ``<round>/applications/<code>_<name>_push.xlsx``.
    submitted_at : datetime, optional
        The record's 提出日時 (default now, Japan time).
    by, reason : str
        Who records the プッシュ型 decision and why (kept in the hash chain).

    Returns
    -------
    PushRecord
        The path and the required fields still empty (to be filled from the hearing).

    Raises
    ------
    IntakeError
        Unknown prefecture, the prefecture already applied, or the file exists.
    """
    try:
        code = parse_prefecture(prefecture)
    except ValueError as e:
        raise IntakeError(f"プッシュ型の都道府県: {e}") from None
    ref = prefectures()
    name = str(ref.at[code, "name_ja"])
    apps = rnd.applications
    if code in {str(a) for a in apps.index}:
        file = str(apps["file"].get(code, "")) if "file" in apps.columns else ""
        where = f"（{file}）" if file else ""
        raise IntakeError(
            f"{name}は既に応募しています{where}。プッシュ型の応募書は作りませんでした。"
            "応募区分を変える場合は、その応募書の「応募区分」を直してください。"
        )
    path = Path(out) if out is not None else rnd.path / "applications" / push_filename(code)
    if path.exists():
        raise IntakeError(
            f"{path} は既にあります。上書きしませんでした。別のファイル名を指定するか、既存のファイルを確認してください。"
        )
    when = to_jst(submitted_at or now_jst()).replace(tzinfo=None, second=0, microsecond=0)
    values: dict[str, object] = {"prefecture": name, "application_type": "プッシュ型", "submitted_at": when}
    cfg = load_push_config(push_config_path(rnd.path))
    if code in cfg.pool_members:
        values["pool_size_total"] = int(cfg.pool_members[code])
    write_template(path, values)
    to_fill = [f.label for f in FIELDS if f.required and f.key not in values]
    decision = None
    if path.resolve().parent == (rnd.path / "applications").resolve():
        decision = record_eligibility(load_round(rnd.path), "push", code, by=by, reason=reason)
    return PushRecord(path=path, code=code, prefecture_name=name, to_fill=to_fill, decision=decision)
