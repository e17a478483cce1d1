"""The committee material as Japanese tables: one function per table, from a Committee.

:func:`tables_ja` gives every table by sheet name, in reading order; the workbook
(``committee.xlsx``), the static page (``committee.html``), the dashboard and the command
line all show these. :class:`scoring.analysis.committee.Committee` holds the data; this
module only formats it (headers with units, numbers kept as numbers, one value per cell).
"""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd

from ..analysis.committee import Committee
from ..analysis.push import push_candidates_ja
from ..analysis.review_notes import review_event_rows
from ..config.rubric import format_level
from ..core.clock import JST
from ..core.columns import HEADERS_JA, METHOD_LABELS
from ..core.excel import to_wareki
from ..core.schema import THEMES
from ..core.settings import canonical_json
from ..round.decision import decision_table
from ..selection import CONSTRAINTS
from ..store.checkpoints import REASON_JA

__all__ = [
    "alternatives_ja",
    "breakdown_ja",
    "by_k_ja",
    "comments_ja",
    "coverage_ja",
    "decision_ja",
    "discussion_ja",
    "missing_reviews_ja",
    "notes_ja",
    "push_ja",
    "ranked_ja",
    "reasons_ja",
    "receipts_ja",
    "reliability_ja",
    "revisions_ja",
    "selection_ja",
    "spread_ja",
    "stability_ja",
    "summary",
    "tables_ja",
]


def summary(c: Committee) -> pd.DataFrame:
    """The summary as a two-column table (項目, 値), Japanese."""
    sel = c.selection
    cfg = c.config_summary
    rows: list[tuple[str, object]] = [(f"警告{i}", w) for i, w in enumerate(c.all_warnings, start=1)]
    rows += [(f"お知らせ{i}", n) for i, n in enumerate(c.notices, start=1)]
    rows += [
        ("審査ラウンド", c.round_name),
        ("応募（件）", c.n_applications),
        ("採点した審査員（名）", c.n_reviewers),
        ("採点（件）", c.n_scores),
        ("点数の統合方法", METHOD_LABELS.get(c.method, c.method)),
        ("審査員間の一致（信頼性）", c.reliability_headline),
        ("選定数（件）", cfg.get("k_text", "")),
        ("バランスの条件", cfg.get("balance_text", "")),
    ]
    if cfg.get("locks_text"):
        rows.append(("必ず含める／除外／審査対象とする例外", cfg["locks_text"]))
    if cfg.get("eligibility_text"):
        rows.append(("受付の判断（期限後受理・訂正・再提出・辞退）", cfg["eligibility_text"]))
    if sel is not None:
        rows += [
            ("選定案", c.names(sel.selected)),
            ("選定案の合計点（点）", round(sel.total, 4)),
            ("バランスのために譲った点数（点）", round(sel.price_of_balance, 4)),
        ]
    else:
        rows.append(("選定案", "作れません（条件を満たす選び方がありません）"))
    s = c.stability_summary
    if s:
        rows.append(
            (
                "安定性（選定案がそのまま選ばれた割合、％）",
                round(100 * float(s.get("baseline_frequency", 0.0)), 1),
            )
        )
        rows.append(
            (
                "安定性（選定案の応募が残る平均の割合、％）",
                round(100 * float(s.get("mean_overlap", np.nan)), 1),
            )
        )
    rows.append(("選定結果", c.decision_status))
    if c.decision is not None:
        d = c.decision
        rows.append(("選定結果の記録", f"{d.by}（{d.recorded_at_jst:%Y-%m-%d %H:%M} 日本時間）"))
        if d.checkpoint_hash:
            rows.append(
                (
                    "選定結果の根拠（署名された記録点）",
                    f"イベント {d.checkpoint_id}・ハッシュ {d.checkpoint_hash}"
                    + (f"・署名した事務局の鍵の指紋 {d.checkpoint_key}" if d.checkpoint_key else ""),
                )
            )
    rows.append(("設定ハッシュ", c.settings_hash))
    return pd.DataFrame(rows, columns=["項目", "値"]).astype({"値": "object"})


# ------------------------------------------------------------------ Japanese tables


def tables_ja(c: Committee) -> dict[str, pd.DataFrame]:
    """The Japanese tables of the committee output, by sheet name, in reading order.

    Keys: 概要, 順位, 内訳, ばらつき, 選定案, 理由, 安定性, 協議対象, 協議後の修正 (only when a
    score was revised after the discussion), 代替案, 選定数別, 地域×テーマ,
    信頼性, プッシュ型候補 (the 47 prefectures by need), 選定結果 (only when a decision is recorded), 受領コード (only when pairs are
    submitted), 講評コメント (only when there are comments), 未提出 (only when an assigned
    review is not submitted) and 注記. Headers carry units;
    numbers stay numbers (not rounded beyond 0.0001 point); one value per cell.
    """
    out: dict[str, pd.DataFrame] = {"概要": summary(c)}
    out["順位"] = ranked_ja(c)
    out["内訳"] = breakdown_ja(c)
    out["ばらつき"] = spread_ja(c)
    out["選定案"] = selection_ja(c)
    out["理由"] = reasons_ja(c)
    out["安定性"] = stability_ja(c)
    out["協議対象"] = discussion_ja(c)
    if len(c.revisions):
        out["協議後の修正"] = revisions_ja(c)
    out["代替案"] = alternatives_ja(c)
    out["選定数別"] = by_k_ja(c)
    out["地域×テーマ"] = coverage_ja(c)
    out["信頼性"] = reliability_ja(c)
    if len(c.push_candidates):
        out["プッシュ型候補"] = push_ja(c)
    if c.decision is not None:
        out["選定結果"] = decision_ja(c)
    if len(c.receipts):
        out["受領コード"] = receipts_ja(c)
    if len(c.comments):
        out["講評コメント"] = comments_ja(c)
    missing = missing_reviews_ja(c)
    if len(missing):
        out["未提出"] = missing
    out["注記"] = notes_ja(c)
    return out


def push_ja(c: Committee) -> pd.DataFrame:
    """プッシュ型候補: the 47 prefectures by need (raw indicator values and weighted contributions)."""
    return push_candidates_ja(c.push_candidates).reset_index()


def ranked_ja(c: Committee) -> pd.DataFrame:
    """順位表: one row per application, rank order."""
    r = c.ranked
    return pd.DataFrame(
        {
            HEADERS_JA["rank"]: r["rank"].astype("Int64"),
            HEADERS_JA["application"]: r.index.astype(str),
            HEADERS_JA["prefecture_name"]: r["prefecture_name"],
            HEADERS_JA["block"]: r["block"],
            HEADERS_JA["theme"]: r["theme"],
            HEADERS_JA["application_type"]: r["application_type"],
            HEADERS_JA["total"]: r["total"].round(4),
            "標準誤差（点）": r["se"].round(4),
            "審査員数（名）": r["n_reviewers"].astype("Int64"),
            "選定案": r["status"],
            "選定された割合（％）": (100 * r["p_selected"]).round(1),
            "注記": r["flags"],
        }
    ).reset_index(drop=True)


def breakdown_ja(c: Committee) -> pd.DataFrame:
    """内訳: each applicant's points by rubric group."""
    b = c.breakdown
    out = pd.DataFrame(
        {
            HEADERS_JA["application"]: b.index.astype(str),
            HEADERS_JA["prefecture_name"]: b["prefecture_name"].to_numpy(),
        }
    )
    for gid, (label, maxp) in c.group_labels.items():
        out[f"{label}（{format_level(maxp)}点満点）"] = b[gid].round(4).to_numpy()
    out[HEADERS_JA["total"]] = b["total"].round(4).to_numpy()
    return out


def spread_ja(c: Committee) -> pd.DataFrame:
    """ばらつき: the spread of the reviewers' own totals per application."""
    s = c.spread
    return pd.DataFrame(
        {
            HEADERS_JA["application"]: s.index.astype(str),
            HEADERS_JA["prefecture_name"]: s["prefecture_name"].to_numpy(),
            "審査員数（名）": s["n_reviewers"].astype("Int64").array,
            "審査員の合計点の平均（点）": s["mean"].round(4).to_numpy(),
            "最小（点）": s["min"].round(4).to_numpy(),
            "最大（点）": s["max"].round(4).to_numpy(),
            "幅（最大−最小、点）": s["range"].round(4).to_numpy(),
            "標準偏差（点）": s["sd"].round(4).to_numpy(),
            "統合後の合計点（点）": s["total"].round(4).to_numpy(),
        }
    )


def selection_ja(c: Committee) -> pd.DataFrame:
    """選定案: the proposed applications in rank order."""
    cols = [
        "順",
        HEADERS_JA["application"],
        HEADERS_JA["prefecture_name"],
        HEADERS_JA["block"],
        HEADERS_JA["theme"],
        "重点テーマ名",
        HEADERS_JA["application_type"],
        HEADERS_JA["total"],
        "選定された割合（％）",
    ]
    if c.selection is None:
        return pd.DataFrame(columns=cols)
    r = c.ranked
    rows = []
    for i, a in enumerate(c.selection.selected, start=1):
        theme = str(r.at[a, "theme"]) if pd.notna(cast("str | float", r.at[a, "theme"])) else ""
        rows.append(
            [
                i,
                a,
                r.at[a, "prefecture_name"],
                r.at[a, "block"],
                theme,
                THEMES.get(theme, ""),
                r.at[a, "application_type"],
                round(float(cast(float, r.at[a, "total"])), 4),
                round(100 * float(cast(float, r.at[a, "p_selected"])), 1),
            ]
        )
    return pd.DataFrame(rows, columns=cols)


def reasons_ja(c: Committee) -> pd.DataFrame:
    """理由: every applicant's status and reason."""
    cols = [
        HEADERS_JA["application"],
        HEADERS_JA["prefecture_name"],
        "状況",
        "順位（審査対象内）",
        HEADERS_JA["total"],
        "選定までの不足点（点）",
        "関係する条件",
        "関係する応募",
        "理由",
    ]
    if c.selection is None:
        return pd.DataFrame(columns=cols)

    r = c.selection.reasons
    return pd.DataFrame(
        {
            HEADERS_JA["application"]: r.index.astype(str),
            HEADERS_JA["prefecture_name"]: r["prefecture_name"].to_numpy(),
            "状況": r["status"].to_numpy(),
            "順位（審査対象内）": r["rank"].astype("Int64").array,
            HEADERS_JA["total"]: r["total"].round(4).to_numpy(),
            "選定までの不足点（点）": r["gap"].round(4).to_numpy(),
            "関係する条件": [
                "、".join(CONSTRAINTS.get(k, k) for k in str(v).split(",") if k) for v in r["constraint"]
            ],
            "関係する応募": ["・".join(c.name(a) for a in str(v).split(",") if a) for v in r["related"]],
            "理由": r["reason"].to_numpy(),
        }
    )


def stability_ja(c: Committee) -> pd.DataFrame:
    """安定性: p(selected) and the rank interval per applicant."""
    s = c.stability
    pct = round(100 * float(c.stability_summary.get("interval", 0.9)))
    return pd.DataFrame(
        {
            HEADERS_JA["application"]: s.index.astype(str),
            HEADERS_JA["prefecture_name"]: s["prefecture_name"].to_numpy(),
            HEADERS_JA["total"]: s["total"].round(4).to_numpy(),
            "順位（審査対象内）": s["rank"].astype("Int64").array,
            "選定案": np.where(s["baseline_selected"], "選定", ""),
            "選定された割合（％）": (100 * s["p_selected"]).round(1).to_numpy(),
            "順位の中央値": s["rank_median"].to_numpy(),
            f"順位の範囲 下限（{pct}％区間）": s["rank_lo"].to_numpy(),
            f"順位の範囲 上限（{pct}％区間）": s["rank_hi"].to_numpy(),
            "当落線上": np.where(s["border"], "当落線上", ""),
        }
    )


def discussion_ja(c: Committee) -> pd.DataFrame:
    """協議対象: the applications to discuss, in rank order, with their reasons (raw scores)."""
    cols = [
        HEADERS_JA["rank"],
        HEADERS_JA["application"],
        HEADERS_JA["prefecture_name"],
        HEADERS_JA["total"],
        "選定された割合（％）",
        "選定ライン付近",
        "甘辛で説明できない違い",
        "理由",
    ]
    d = c.discussion
    if not len(d):
        return pd.DataFrame(columns=cols)
    return pd.DataFrame(
        {
            HEADERS_JA["rank"]: c.ranked["rank"].reindex(d["application"]).astype("Int64").array,
            HEADERS_JA["application"]: d["application"].astype(str).to_numpy(),
            HEADERS_JA["prefecture_name"]: d["prefecture_name"].to_numpy(),
            HEADERS_JA["total"]: d["total"].round(4).to_numpy(),
            "選定された割合（％）": (100 * d["p_selected"]).round(1).to_numpy(),
            "選定ライン付近": np.where(d["border_flag"], "該当", ""),
            "甘辛で説明できない違い": np.where(d["disagree_flag"], "該当", ""),
            "理由": d["reason"].to_numpy(),
        },
        columns=cols,
    )


def revisions_ja(c: Committee) -> pd.DataFrame:
    """協議後の修正: every score changed after the discussion, first and second stage."""
    cols = [
        HEADERS_JA["application"],
        HEADERS_JA["prefecture_name"],
        "審査員",
        "評価項目",
        "1段階目の点数",
        "2段階目の点数（協議後）",
        "修正の理由",
        "記録日時（日本時間）",
    ]
    r = c.revisions
    if not len(r):
        return pd.DataFrame(columns=cols)
    at = pd.to_datetime(r["revised_at"], utc=True).dt.tz_convert(JST).dt.tz_localize(None).dt.floor("s")
    return pd.DataFrame(
        {
            HEADERS_JA["application"]: r["application"].astype(str).to_numpy(),
            HEADERS_JA["prefecture_name"]: [c.name(str(a)) for a in r["application"]],
            "審査員": [c.reviewer_labels.get(str(x), str(x)) for x in r["reviewer"]],
            "評価項目": [c.criterion_labels.get(str(x), str(x)) for x in r["criterion"]],
            "1段階目の点数": r["first_score"].to_numpy(),
            "2段階目の点数（協議後）": r["final_score"].to_numpy(),
            "修正の理由": r["reason"].to_numpy(),
            "記録日時（日本時間）": at.to_numpy(),
        },
        columns=cols,
    )


def alternatives_ja(c: Committee) -> pd.DataFrame:
    """代替案: the next-best selections."""
    cols = ["次善案", "合計点（点）", "選定案との差（点）", "選定", "入る", "外れる"]
    if c.selection is None:
        return pd.DataFrame(columns=cols)
    a = c.selection.alternatives_frame().reset_index()
    return pd.DataFrame(
        {
            "次善案": a["alternative"].astype("int64"),
            "合計点（点）": a["total"].round(4),
            "選定案との差（点）": a["difference"].round(4),
            "選定": a["selected"],
            "入る": a["added"],
            "外れる": a["removed"],
        },
        columns=cols,
    )


def by_k_ja(c: Committee) -> pd.DataFrame:
    """選定数別: the best selection for every k of the allowed range."""
    cols = ["選定数（件）", "条件を満たす", "合計点（点）", "目標件数の案との差（点）", "選定", "目標件数"]
    if c.selection is None:
        return pd.DataFrame(columns=cols)
    b = c.selection.by_k.reset_index()
    return pd.DataFrame(
        {
            "選定数（件）": b["k"].astype("int64"),
            "条件を満たす": np.where(b["feasible"], "はい", "いいえ"),
            "合計点（点）": b["total"].round(4),
            "目標件数の案との差（点）": b["difference"].round(4),
            "選定": [c.names([x for x in str(v).split(",") if x]) if v else "" for v in b["selected"]],
            "目標件数": np.where(b["is_target"], "目標", ""),
        },
        columns=cols,
    )


def coverage_ja(c: Committee) -> pd.DataFrame:
    """地域×テーマ: applicants and selected per block and theme (one column each)."""
    cov = c.coverage.reset_index()
    blocks = list(dict.fromkeys(cov["block"]))
    out = pd.DataFrame({HEADERS_JA["block"]: blocks})
    for t in THEMES:
        part = cov[cov["theme"] == t].set_index("block")
        out[f"{t} 応募（件）"] = part["applicants"].reindex(blocks).fillna(0).astype("int64").to_numpy()
        out[f"{t} 選定案（件）"] = part["selected"].reindex(blocks).fillna(0).astype("int64").to_numpy()
    tot = cov.groupby("block", sort=False)[["applicants", "selected"]].sum().reindex(blocks)
    out["合計 応募（件）"] = tot["applicants"].astype("int64").to_numpy()
    out["合計 選定案（件）"] = tot["selected"].astype("int64").to_numpy()
    total_row: dict[str, object] = {HEADERS_JA["block"]: "合計"}
    for col in out.columns[1:]:
        total_row[col] = int(out[col].sum())
    return pd.concat([out, pd.DataFrame([total_row])], ignore_index=True)


def reliability_ja(c: Committee) -> pd.DataFrame:
    """信頼性: reliability per criterion and for the total."""
    rel = c.reliability
    labels = c.criterion_labels
    return pd.DataFrame(
        {
            "評価項目": [
                labels.get(crit, "合計点" if crit == "total" else crit) for crit in rel["criterion"]
            ],
            "評価項目ID": rel["criterion"].astype(str).to_numpy(),
            "応募数（件）": rel["n_applications"].astype("int64").to_numpy(),
            "審査員数（名）": rel["n_reviewers"].astype("int64").to_numpy(),
            "採点数（件）": rel["n_scores"].astype("int64").to_numpy(),
            "α（間隔尺度）": rel["alpha_interval"].round(4).to_numpy(),
            "α（順序尺度）": rel["alpha_ordinal"].round(4).to_numpy(),
            "ICC(A,1)": rel["icc_a1"].round(4).to_numpy(),
            "ICC(A,k)": rel["icc_ak"].round(4).to_numpy(),
            "判定": rel["judgement"].to_numpy(),
        }
    )


def decision_ja(c: Committee) -> pd.DataFrame:
    """選定結果: the committee's decision per applicant (empty without a decision).

    決定 is 選定, 対象外 (an application outside the review that was not selected; 理由 then
    starts with why, :func:`scoring.analysis.status.exclusion_reasons`) or 非選定.
    """
    cols = [
        HEADERS_JA["application"],
        HEADERS_JA["prefecture_name"],
        "決定",
        "選定案",
        "選定案との違い",
        "必ず含める",
        "除外",
        "理由",
        "記録した人",
        "記録日時（日本時間）",
        "根拠の記録点（イベント）",
        "根拠の記録点（ハッシュ）",
    ]
    d = c.decision
    if d is None:
        return pd.DataFrame(columns=cols)
    t = decision_table(d, c.applications)
    at = d.recorded_at_jst.replace(tzinfo=None, microsecond=0)
    # 対象外 (the one status of scoring.round.status) is never 「非選定」 (issue 19)
    excl = c.exclusion_reasons.reindex(t.index.astype(str)).fillna("").astype(str).to_numpy()
    out_of_review = (excl != "") & ~t["decided"].to_numpy(dtype=bool)
    reasons = [
        " / ".join(p for p in (e, r) if p) if o else r for o, e, r in zip(out_of_review, excl, t["reason"])
    ]
    return pd.DataFrame(
        {
            HEADERS_JA["application"]: t.index.astype(str),
            HEADERS_JA["prefecture_name"]: t["prefecture_name"].to_numpy(),
            "決定": np.where(t["decided"], "選定", np.where(out_of_review, "対象外", "非選定")),
            "選定案": np.where(t["proposed"], "選定", ""),
            "選定案との違い": [
                ("対象外から選定" if a in d.forced else diff) for a, diff in zip(t.index, t["difference"])
            ],
            "必ず含める": np.where(t["locked"], "必ず含める", ""),
            "除外": np.where(t["excluded"], "除外", ""),
            "理由": reasons,
            "記録した人": d.by,
            "記録日時（日本時間）": [at] * len(t),
            "根拠の記録点（イベント）": d.checkpoint_id,
            "根拠の記録点（ハッシュ）": d.checkpoint_hash,
        },
        columns=cols,
    )


#: How many checkpoints the 注記 lists one by one (the latest; the count gives the rest).
NOTES_CHECKPOINTS = 3


def receipts_ja(c: Committee) -> pd.DataFrame:
    """受領コード: each reviewer's receipt code per submitted application.

    A reviewer compares the code they got at 提出 with this table (or runs ``python -m
    scoring verify-receipt``): the same code means the committee material holds exactly the
    scores and comments they submitted. Columns 審査員, 応募, 都道府県, 受領コード,
    提出日時（日本時間）. Reviewers are shown as in the comments (審査員A, B, … unless the round
    shows names): a reviewer finds their own code without their id, and the table cannot be
    used to tell who wrote which anonymised comment.
    """
    r = c.receipts
    return pd.DataFrame(
        {
            "審査員": [_label(c, x) for x in r["reviewer"]],
            "応募": r["application"].astype(str).to_numpy(),
            HEADERS_JA["prefecture_name"]: [c.name(str(a)) for a in r["application"]],
            "受領コード": r["receipt"].astype(str).to_numpy(),
            "提出日時（日本時間）": [
                pd.Timestamp(t).tz_convert(JST).strftime("%Y-%m-%d %H:%M") for t in r["submitted_at"]
            ],
        }
    )


def _label(c: Committee, reviewer: object) -> str:
    return c.reviewer_labels.get(str(reviewer), str(reviewer))


def comments_ja(c: Committee) -> pd.DataFrame:
    """講評コメント: every reviewer comment, by application (rank order), reviewer, criterion.

    Columns 応募ID, 都道府県, 審査員 (審査員A, B, … unless round.yaml has
    ``show_reviewer_names: true``), 評価項目, 点数, 講評コメント.
    """
    t = c.comments
    return pd.DataFrame(
        {
            HEADERS_JA["application"]: t["application"].astype(str).to_numpy(),
            HEADERS_JA["prefecture_name"]: [c.name(str(a)) for a in t["application"]],
            "審査員": [_label(c, r) for r in t["reviewer"]],
            "評価項目": [c.criterion_labels.get(str(x), str(x)) for x in t["criterion"]],
            "点数": pd.to_numeric(t["score"], errors="coerce").to_numpy(dtype=float),
            "講評コメント": t["comment"].astype(str).to_numpy(),
        }
    )


def missing_reviews_ja(c: Committee) -> pd.DataFrame:
    """未提出: assigned reviews not submitted (未着手 or 下書き), by application in rank order.

    Columns 応募ID, 都道府県, 審査員 (anonymised as in :func:`comments_ja`), 状況,
    提出済（件）, 割当（件） (the application's submitted and assigned reviews, e.g. 2 and 3).
    """
    cols = [
        HEADERS_JA["application"],
        HEADERS_JA["prefecture_name"],
        "審査員",
        "状況",
        "提出済（件）",
        "割当（件）",
    ]
    st = c.review_status
    if not len(st):
        return pd.DataFrame(columns=cols)
    st = st.assign(application=st["application"].astype(str), reviewer=st["reviewer"].astype(str))
    assigned = st.groupby("application").size()
    submitted = st[st["status"] == "提出済"].groupby("application").size()
    order = {a: i for i, a in enumerate(c.ranked.index)}
    known = {r: i for i, r in enumerate(c.reviewer_labels)}
    todo = st[st["status"] != "提出済"]
    todo = todo.assign(
        _a=todo["application"].map(lambda a: order.get(a, len(order))),
        _r=todo["reviewer"].map(lambda r: known.get(r, len(known))),
    )
    todo = todo.sort_values(["_a", "_r"], kind="stable")
    rows = [
        (a, c.name(a), _label(c, r), s, int(submitted.get(a, 0)), int(assigned.get(a, 0)))
        for a, r, s in zip(todo["application"], todo["reviewer"], todo["status"])
    ]
    return pd.DataFrame(rows, columns=cols)


def _checkpoint_rows(c: Committee) -> list[tuple[str, object]]:
    """注記 rows of the signed checkpoints: the file, the count, the latest few."""
    if not c.checkpoint_path:
        return []
    n = len(c.checkpoints)
    rows: list[tuple[str, object]] = [
        ("署名された記録点（ファイル）", c.checkpoint_path),
        (
            "署名された記録点（件数）",
            f"{n} 件" + (f"（最新の {NOTES_CHECKPOINTS} 件を表示）" if n > NOTES_CHECKPOINTS else ""),
        ),
    ]
    status = {True: "署名確認済", False: "署名不一致", None: "署名未確認（鍵なし）"}
    for cp in c.checkpoints[-NOTES_CHECKPOINTS:][::-1]:
        when = cp.written_at
        w = when.astimezone(JST).strftime("%Y-%m-%d %H:%M:%S") if when else "日時不明"
        counts = cp.counts
        rows.append(
            (
                f"記録点（{cp.line}行目）",
                (
                    f"{w} 日本時間・{REASON_JA.get(cp.reason, cp.reason)}・イベント {cp.head_id} まで"
                    f"（提出済 {counts.get('submitted_pairs', 0)} 組）・ハッシュ {cp.head_hash}・"
                    f"鍵 {cp.key_id}・{status[cp.valid]}"
                ),
            )
        )
    if n == 0:
        rows.append(
            ("署名された記録点の注意", "記録点がありません（`python -m scoring audit` で確認してください）。")
        )
    return rows


def notes_ja(c: Committee) -> pd.DataFrame:
    """注記: round, rubric version, settings hash, generation time and what was computed."""

    now = c.generated_at
    rows: list[tuple[str, object]] = [
        ("審査ラウンド", c.round_name),
        ("ラウンドのフォルダ", str(c.round_path)),
        ("評価基準の版", c.rubric_version),
        ("設定ハッシュ（設定と採点）", c.settings_hash),
        ("設定ハッシュ（設定のみ）", c.config_hash),
        ("採点の指紋", c.score_fingerprint),
        ("設定の記録（JSON）", canonical_json(c.settings)),
        ("点数の統合方法", f"{METHOD_LABELS.get(c.method, c.method)}（{c.method}）"),
        ("配点", "、".join(f"{k}={format_level(v)}" for k, v in c.settings.get("weights", {}).items())),
        ("選定数（件）", c.config_summary.get("k_text", "")),
        ("バランスの条件", c.config_summary.get("balance_text", "")),
        ("安定性の再標本化（回）", int(c.stability_options.get("n_boot", 0))),
        ("安定性の乱数の種", int(c.stability_options.get("seed", 0))),
        ("当落線上の定義", "選定された割合が 10％超 90％未満"),
        ("選定結果", c.decision_status),
    ]
    if c.decision is not None:
        d = c.decision
        rows += [
            ("選定結果を記録した人", d.by),
            ("選定結果の記録日時", d.recorded_at_jst.isoformat(timespec="seconds")),
            ("選定結果の記録（イベント番号）", int(d.event_id) if d.event_id is not None else ""),
            ("決定時の設定ハッシュ", d.settings_hash),
        ]
        if d.note:
            rows.append(("選定結果の注記", d.note))
    rows += _checkpoint_rows(c)
    rows += review_event_rows(c.review_events, c.reviewer_labels, c.name)
    if len(c.receipts):
        rows.append(
            (
                "受領コード",
                f"{len(c.receipts)} 件（シート「受領コード」。審査員は提出時のコードと照合できます）",
            )
        )
    for i, w in enumerate(c.all_warnings, start=1):
        rows.append((f"警告{i}", w))
    for i, w in enumerate(c.warnings, start=1):
        rows.append((f"計算上の注意{i}", w))
    rows += [
        ("作成日時", now.isoformat(timespec="seconds")),
        ("作成日（和暦）", to_wareki(now.date())),
    ]
    return pd.DataFrame(rows, columns=["項目", "値"]).astype({"値": "object"})
