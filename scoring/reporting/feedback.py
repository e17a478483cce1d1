"""講評（フィードバック）: one letter per applicant, as PDF and as a clean .xlsx.

Each letter says the result (選定 / 非選定 / 審査対象外 with its reason, or 「選定結果の決定前」
while the committee has recorded no decision), the applicant's points per rubric group
beside the cohort's median and range (min–max), and the strengths and points to improve
drawn from the reviewers' comments. The analyst can edit the texts first: a YAML file of
drafts (:func:`write_drafts`, :func:`read_drafts`) is read back and used as it stands.

Privacy (unlike KAKENHI's breakdown, nothing identifies another applicant):

- no other applicant's name or individual score: only the cohort's median, minimum and
  maximum per group, and only when at least :data:`MIN_COHORT` applications were scored;
  no cohort figure for the total (its maximum would be another applicant's total);
- no reviewer: comments are quoted without names or ids, and a comment that names a
  reviewer or another applicant is left out of the drafts;
- :func:`privacy_problems` checks every finished letter (edited drafts included) and
  :func:`write_feedback` refuses to write a letter that names another applicant or a reviewer.

The data preparation (:func:`letter_result`, :func:`group_scores`, :func:`criterion_positions`,
:func:`draft_texts`, :func:`build_letters`) is plain functions on a
:class:`scoring.analysis.committee.Committee` and the canonical score table; the PDF is
rendered from ``templates/feedback.html.j2`` by WeasyPrint (autoescape on).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field

from ..analysis.committee import Committee, build_committee
from ..config.yamlfile import line_of, load_yaml, validate_yaml
from ..core.columns import HEADERS_JA
from ..core.errors import ConfigError, ConfigProblem, ShinsaError
from ..core.xlsx import write_workbook
from ..round.decision import latest_decision
from ..round.loader import ReviewRound, load_round
from ..selection import EXCLUSION_REASONS
from ..store.scores import ScoreStore
from .committee_report import _ENV, _data_urls_only

__all__ = [
    "DRAFT_NAMES",
    "MIN_COHORT",
    "RESULT_UNDECIDED",
    "DraftsFile",
    "FeedbackLetter",
    "LetterDraft",
    "build_letters",
    "criterion_positions",
    "draft_texts",
    "feedback_html",
    "group_scores",
    "letter_result",
    "letter_tables",
    "privacy_problems",
    "read_drafts",
    "write_drafts",
    "write_feedback",
    "write_letter_pdf",
]

#: Fewest scored applications for which the cohort's median and range are shown (with
#: fewer, the range would all but name another applicant's points).
MIN_COHORT = 5
#: The result while the committee has recorded no decision.
RESULT_UNDECIDED = "選定結果の決定前"
#: At most this many quoted comments per list in the automatic drafts.
MAX_QUOTES = 4

#: Japanese names of the drafts file's keys (for the error messages).
DRAFT_NAMES = {
    "letters": "応募ごとの講評（letters）",
    "strengths": "評価された点（strengths）",
    "improvements": "改善が望まれる点（improvements）",
    "note": "事務局からの所見（note）",
    "prefecture": "都道府県（prefecture）",
    "round": "審査ラウンド（round）",
}


# ----------------------------------------------------------------------------------------
# The drafts file
# ----------------------------------------------------------------------------------------


class LetterDraft(BaseModel):
    """The editable texts of one letter (one entry of the drafts YAML)."""

    model_config = ConfigDict(extra="forbid")

    prefecture: str = ""
    strengths: list[str] = Field(default_factory=list)
    improvements: list[str] = Field(default_factory=list)
    note: str = ""


class DraftsFile(BaseModel):
    """The drafts YAML: ``round`` (for the reader) and ``letters`` (application id → draft)."""

    model_config = ConfigDict(extra="forbid")

    round: str = ""
    letters: dict[str, LetterDraft] = Field(default_factory=dict)


# ----------------------------------------------------------------------------------------
# The letter
# ----------------------------------------------------------------------------------------


@dataclass
class FeedbackLetter:
    """Everything one applicant's letter says.

    Attributes
    ----------
    application, prefecture_name, round_name : str
        Who and which round.
    result : str
        選定 / 非選定 / 審査対象外 / :data:`RESULT_UNDECIDED`.
    result_reason : str
        Why 審査対象外 (from the selection), else "".
    groups : DataFrame
        :func:`group_scores` (one row per rubric group).
    total, total_max : float
        The applicant's combined total (NaN without scores) and the maximum (100).
    n_cohort : int
        Applications with a total (the cohort of the medians and ranges).
    strengths, improvements : list of str
        The texts shown (drafts, edited or automatic).
    note : str
        事務局からの所見 (free text).
    generated : str
        Date of the letter (``YYYY年M月D日``).
    generated_on : date or None
        The same as a date (for the workbook).
    """

    application: str
    prefecture_name: str
    round_name: str
    result: str
    result_reason: str
    groups: pd.DataFrame
    total: float
    total_max: float
    n_cohort: int
    strengths: list[str] = field(default_factory=list)
    improvements: list[str] = field(default_factory=list)
    note: str = ""
    generated: str = ""
    generated_on: dt.date | None = None

    @property
    def cohort_shown(self) -> bool:
        """Whether the cohort's median and range are shown (at least :data:`MIN_COHORT`)."""
        return self.n_cohort >= MIN_COHORT

    @property
    def stem(self) -> str:
        """File name without suffix: ``{id}_{prefecture}_講評``."""
        safe = re.sub(r"[\\/:*?\"<>|\s]", "_", self.prefecture_name)
        return f"{self.application}_{safe}_講評"


def letter_result(c: Committee, application: str) -> tuple[str, str]:
    """The result shown in a letter and its reason.

    Returns
    -------
    (str, str)
        ``("審査対象外", reason)`` for an application without a total or that the selection
        marks 対象外 (late, errors, excluded by the committee) unless the recorded decision
        selects it; otherwise, with a recorded decision (:attr:`Committee.decision`),
        ``("選定", "")`` or ``("非選定", "")``; without one ``(RESULT_UNDECIDED, "")``.
        The reason never names another applicant (the selection's reasons for 非選定 do,
        so they are not used).
    """
    d = c.decision
    if d is not None and application in {str(a) for a in d.selected}:
        return "選定", ""
    status = str(c.ranked["status"].get(application, "")) if application in c.ranked.index else "未採点"
    if status in ("対象外", "未採点"):
        reason = ""
        if c.selection is not None and application in c.selection.reasons.index:
            reason = str(c.selection.reasons.at[application, "reason"] or "")
        return "審査対象外", reason or EXCLUSION_REASONS["no_total"]
    if d is None:
        return RESULT_UNDECIDED, ""
    return "非選定", ""


def group_scores(c: Committee, application: str) -> pd.DataFrame:
    """The applicant's points per rubric group beside the cohort's.

    Returns
    -------
    DataFrame
        One row per rubric group (rubric order), index ``group``; columns ``label`` (Japanese),
        ``max_points`` (the group's share of 100), ``points`` (this applicant's, NaN without
        scores), ``cohort_median``, ``cohort_min``, ``cohort_max`` (over every application
        with a total; NaN when fewer than :data:`MIN_COHORT`). No column names or scores of
        another applicant.
    """
    b = c.breakdown
    cohort = b[b["total"].notna()]
    show = len(cohort) >= MIN_COHORT
    rows = []
    for gid, (label, maxp) in c.group_labels.items():
        col = cohort[gid].astype(float) if gid in cohort.columns else pd.Series(dtype=float)
        own = (
            float(b[gid].astype(float).get(application, math.nan))
            if application in b.index and gid in b.columns
            else math.nan
        )
        rows.append(
            {
                "group": gid,
                "label": label,
                "max_points": float(maxp),
                "points": own,
                "cohort_median": float(col.median()) if show and len(col) else math.nan,
                "cohort_min": float(col.min()) if show and len(col) else math.nan,
                "cohort_max": float(col.max()) if show and len(col) else math.nan,
            }
        )
    return pd.DataFrame(rows).set_index("group")


def criterion_positions(scores: pd.DataFrame) -> pd.DataFrame:
    """Each application's mean raw score per criterion and the cohort's median of those means.

    Parameters
    ----------
    scores : DataFrame
        The canonical long table (``application, reviewer, criterion, score, comment``).

    Returns
    -------
    DataFrame
        Columns ``application``, ``criterion``, ``mean`` (the reviewers' raw scores, no
        calibration), ``cohort_median`` (median over applications of ``mean``) and
        ``position``: ``"above"``, ``"below"`` or ``"at"`` the median.
    """
    s = scores[pd.to_numeric(scores["score"], errors="coerce").notna()].copy()
    s["application"] = s["application"].astype(str)
    m = s.groupby(["application", "criterion"], sort=False)["score"].mean().rename("mean").reset_index()
    med = m.groupby("criterion")["mean"].median().rename("cohort_median")
    m = m.join(med, on="criterion")
    diff = m["mean"] - m["cohort_median"]
    m["position"] = np.where(diff > 1e-9, "above", np.where(diff < -1e-9, "below", "at"))
    return m


def _forbidden_words(c: Committee, application: str, reviewer_words: Sequence[str]) -> list[str]:
    """Names of the other applicants (with and without 都府県) and the reviewers' words."""
    out: list[str] = []
    for a in c.applications.index:
        if str(a) == application:
            continue
        name = str(c.applications.at[a, "prefecture_name"])
        out.append(name)
        if name not in ("北海道",) and len(name) >= 3 and name[-1] in "都府県":
            out.append(name[:-1])
    own = str(c.name(application))
    return [w for w in [*out, *reviewer_words] if w and w not in own]


def _contains(text: str, word: str) -> bool:
    """Whether ``word`` occurs in ``text``; a word of ASCII letters and digits (a reviewer id
    such as ``R1`` or ``A``) only as a whole token, so ``R1`` is not found in ``R12`` nor
    ``A`` in ``AI``."""
    if word.isascii() and word.isalnum():
        return re.search(rf"(?<![A-Za-z0-9]){re.escape(word)}(?![A-Za-z0-9])", text) is not None
    return word in text


def reviewer_words(rnd: ReviewRound) -> list[str]:
    """Reviewer ids and names (full and with the space removed) of the round."""
    words: list[str] = []
    for r in rnd.reviewers:
        words.append(str(r.id))
        name = str(getattr(r, "name", "") or "")
        if name:
            words += [name, name.replace(" ", "").replace("\u3000", "")]
    return [w for w in dict.fromkeys(words) if w]


def _quote(comment: str, label: str) -> str:
    text = re.sub(r"\s+", " ", comment).strip()
    return f"{label}: 「{text}」"


def draft_texts(
    c: Committee, scores: pd.DataFrame, *, forbidden: Sequence[str] = (), dropped: list[str] | None = None
) -> dict[str, LetterDraft]:
    """Automatic drafts for every applicant, drawn from the reviewers' comments.

    A comment on a criterion where the applicant's mean raw score is above the cohort's
    median is a strength, below it a point to improve (:func:`criterion_positions`);
    comments at the median are not used. Comments are quoted with the criterion's name,
    never with a reviewer; duplicates are merged; at most :data:`MAX_QUOTES` per list.
    A comment whose own score lies on the other side of the median (one reviewer's
    dissent) is not used either. A comment that contains another applicant's name or a word of ``forbidden`` (reviewer
    ids and names, :func:`reviewer_words`) is left out, and said so in ``dropped`` (a list
    the caller gives, for the analyst: the letter, the word and the comment).

    Returns
    -------
    dict
        Application id → :class:`LetterDraft` (every application of the round).
    """
    pos = (
        criterion_positions(scores)
        if len(scores)
        else pd.DataFrame(columns=["application", "criterion", "position"])
    )
    where = {(str(a), str(k)): p for a, k, p in zip(pos["application"], pos["criterion"], pos["position"])}
    med = {str(k): float(v) for k, v in zip(pos["criterion"], pos["cohort_median"])} if len(pos) else {}
    order = {k: i for i, k in enumerate(c.criterion_labels)}
    com = scores[scores["comment"].fillna("").astype(str).str.strip() != ""] if len(scores) else scores
    out: dict[str, LetterDraft] = {}
    for a in [str(x) for x in c.applications.index]:
        bad = _forbidden_words(c, a, forbidden)
        lists: dict[str, list[str]] = {"above": [], "below": []}
        mine = com[com["application"].astype(str) == a] if len(com) else com
        rows = (
            sorted(
                zip(
                    mine["criterion"].astype(str),
                    mine["comment"].astype(str),
                    pd.to_numeric(mine["score"], errors="coerce"),
                ),
                key=lambda t: order.get(t[0], len(order)),
            )
            if len(mine)
            else []
        )
        for crit, text, score in rows:
            p = where.get((a, crit), "at")
            named = [w for w in bad if _contains(text, w)]
            if named and p in lists and dropped is not None:
                dropped.append(
                    f"{c.name(a)}（{a}）の講評の下書きから、「{named[0]}」を含むコメントを除きました"
                    f"（{c.criterion_labels.get(crit, crit)}: 「{text}」）。必要なら下書きを編集してください。"
                )
            if p not in lists or named:
                continue
            m = med.get(crit, math.nan)
            if math.isfinite(score) and math.isfinite(m) and (score < m if p == "above" else score > m):
                continue  # one reviewer's dissent: not a strength of a criterion scored low, nor the reverse
            q = _quote(text, c.criterion_labels.get(crit, crit))
            if q not in lists[p] and len(lists[p]) < MAX_QUOTES:
                lists[p].append(q)
        out[a] = LetterDraft(prefecture=c.name(a), strengths=lists["above"], improvements=lists["below"])
    return out


def build_letters(c: Committee, drafts: Mapping[str, LetterDraft]) -> list[FeedbackLetter]:
    """One :class:`FeedbackLetter` per application of the round (id order), texts from ``drafts``.

    An application missing from ``drafts`` gets empty texts.
    """
    cohort = int(c.breakdown["total"].notna().sum())
    date = f"{c.generated_at.year}年{c.generated_at.month}月{c.generated_at.day}日"
    out = []
    for a in sorted(str(x) for x in c.applications.index):
        result, reason = letter_result(c, a)
        d = drafts.get(a, LetterDraft())
        total = float(c.breakdown["total"].get(a, math.nan)) if a in c.breakdown.index else math.nan
        out.append(
            FeedbackLetter(
                application=a,
                prefecture_name=c.name(a),
                round_name=c.round_name,
                result=result,
                result_reason=reason,
                groups=group_scores(c, a),
                total=total,
                total_max=100.0,
                n_cohort=cohort,
                strengths=[s for s in d.strengths if s.strip()],
                improvements=[s for s in d.improvements if s.strip()],
                note=d.note.strip(),
                generated=date,
                generated_on=c.generated_at.date(),
            )
        )
    return out


def letter_tables(letter: FeedbackLetter) -> list[tuple[str, pd.DataFrame]]:
    """The letter as machine-readable tables (sheets 結果, 評価の内訳, 所見) for its .xlsx."""
    result = pd.DataFrame(
        {
            HEADERS_JA["application"]: [letter.application],
            HEADERS_JA["prefecture_name"]: [letter.prefecture_name],
            "審査ラウンド": [letter.round_name],
            "結果": [letter.result],
            "理由": [letter.result_reason],
            "作成日": [letter.generated_on],
        }
    )
    g = letter.groups
    rows = pd.DataFrame(
        {
            "観点": g["label"].to_numpy(),
            "満点（点）": g["max_points"].round(1).to_numpy(),
            "貴団体の得点（点）": g["points"].round(1).to_numpy(),
            "応募全体の中央値（点）": g["cohort_median"].round(1).to_numpy(),
            "応募全体の最低（点）": g["cohort_min"].round(1).to_numpy(),
            "応募全体の最高（点）": g["cohort_max"].round(1).to_numpy(),
        }
    )
    total = pd.DataFrame(
        {
            "観点": ["合計"],
            "満点（点）": [letter.total_max],
            "貴団体の得点（点）": [round(letter.total, 1) if math.isfinite(letter.total) else math.nan],
            "応募全体の中央値（点）": [math.nan],
            "応募全体の最低（点）": [math.nan],
            "応募全体の最高（点）": [math.nan],
        }
    )
    breakdown = pd.concat([rows, total], ignore_index=True)
    notes = [("評価された点", i + 1, t) for i, t in enumerate(letter.strengths)]
    notes += [("改善が望まれる点", i + 1, t) for i, t in enumerate(letter.improvements)]
    if letter.note:
        notes.append(("事務局からの所見", 1, letter.note))
    remarks = pd.DataFrame(notes, columns=["区分", "番号", "内容"])
    return [("結果", result), ("評価の内訳", breakdown), ("所見", remarks)]


def privacy_problems(letter: FeedbackLetter, c: Committee, forbidden: Sequence[str] = ()) -> list[str]:
    """What in a finished letter could identify another applicant or a reviewer (Japanese).

    Checks every text of the letter (result, drafts, note) for another applicant's name and
    for the words of ``forbidden`` (reviewer ids and names). The figures are safe by
    construction (:func:`group_scores`). Empty list: nothing found.
    """
    texts = [letter.result_reason, *letter.strengths, *letter.improvements, letter.note]
    found = []
    for w in _forbidden_words(c, letter.application, forbidden):
        if any(_contains(t, w) for t in texts):
            found.append(w)
    return [
        f"{letter.prefecture_name}（{letter.application}）の講評に「{w}」が含まれています"
        "（他の応募団体の名前、または審査員の ID・氏名）。下書きから削除してください"
        for w in found
    ]


# ----------------------------------------------------------------------------------------
# The drafts YAML
# ----------------------------------------------------------------------------------------


_DRAFTS_HEADER = """\
# 講評の下書き（python -m scoring feedback --drafts が作成）。編集して同じコマンドを再実行すると、
# この内容で講評（PDF と .xlsx）を書き出します。
#   strengths: 評価された点 / improvements: 改善が望まれる点（「- 」で始まる行が1項目）
#   note: 事務局からの所見（自由記述）。prefecture は確認用です（変更しても反映されません）。
# 他の応募団体の名前、審査員の ID・氏名は書かないでください（書いた講評は書き出しません）。
"""


def write_drafts(path: str | Path, drafts: Mapping[str, LetterDraft], *, round_name: str = "") -> Path:
    """Write the drafts YAML (UTF-8, Japanese as is, a commented header)."""
    data = DraftsFile(round=round_name, letters=dict(drafts)).model_dump()
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000, default_flow_style=False)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(_DRAFTS_HEADER + text, encoding="utf-8")
    return out


def read_drafts(path: str | Path, applications: Sequence[str]) -> dict[str, LetterDraft]:
    """Read the drafts YAML back.

    Raises
    ------
    ConfigError
        Not valid YAML, an unknown key or a wrong type (each with its line,
        :func:`scoring.config.yamlfile.validate_yaml`), or an application id that is not in
        the round.
    """
    data, node = load_yaml(path)
    model = validate_yaml(path, DraftsFile, data=data, node=node, names=DRAFT_NAMES)
    known = {str(a) for a in applications}
    unknown = [a for a in model.letters if a not in known]
    if unknown:
        raise ConfigError(
            [
                ConfigProblem(
                    str(path),
                    line_of(node, ("letters", a)),
                    f"letters.{a}",
                    f"応募 '{a}' はこの審査ラウンドにありません。使える応募: {'、'.join(sorted(known))}",
                )
                for a in unknown
            ]
        )
    return dict(model.letters)


# ----------------------------------------------------------------------------------------
# Rendering and writing
# ----------------------------------------------------------------------------------------


def _pts(x: float) -> str:
    return "―" if x is None or not math.isfinite(float(x)) else f"{float(x):.1f}"


def feedback_html(letter: FeedbackLetter) -> str:
    """The letter as one static HTML page (``templates/feedback.html.j2``, autoescaped)."""
    g = letter.groups
    rows = [
        {
            "label": lab,
            "max": _pts(mx),
            "points": _pts(p),
            "median": _pts(md),
            "range": (f"{_pts(lo)}〜{_pts(hi)}" if math.isfinite(lo) else "―"),
        }
        for lab, mx, p, md, lo, hi in zip(
            g["label"], g["max_points"], g["points"], g["cohort_median"], g["cohort_min"], g["cohort_max"]
        )
    ]
    return _ENV.get_template("feedback.html.j2").render(
        letter=letter,
        rows=rows,
        total=_pts(letter.total),
        total_max=_pts(letter.total_max),
        min_cohort=MIN_COHORT,
    )


def write_letter_pdf(letter: FeedbackLetter, path: str | Path, *, page: str | None = None) -> Path:
    """Print the letter with WeasyPrint (A4 portrait, Noto Sans CJK embedded, nothing fetched)."""
    import weasyprint  # heavy: only when a PDF is written

    fetcher: Any = _data_urls_only
    if hasattr(weasyprint, "URLFetcher"):
        fetcher = weasyprint.URLFetcher(allowed_protocols=("data",), fail_on_errors=True)
    out = Path(path)
    weasyprint.HTML(
        string=page if page is not None else feedback_html(letter), url_fetcher=fetcher
    ).write_pdf(out)
    return out


def _read_edited_drafts(
    drafts_path: str | Path, apps: list[str], result: dict[str, Any]
) -> dict[str, LetterDraft]:
    """The analyst's edited drafts; notes the file in ``result`` and warns of applications it lacks."""
    drafts = read_drafts(drafts_path, apps)
    result["drafts"] = Path(drafts_path)
    missing = [a for a in apps if a not in drafts]
    if missing:
        result["warnings"].append(f"下書きにない応募は所見なしで書き出します: {'、'.join(missing)}")
    return drafts


def write_feedback(
    rnd: ReviewRound | str | Path | None,
    out_dir: str | Path | None = None,
    *,
    drafts_path: str | Path | None = None,
    store_url: str | None = None,
) -> dict[str, Any]:
    """Write the letters, or the drafts file first.

    Parameters
    ----------
    rnd : ReviewRound, path or None
        The round (its score store gives the scores, the comments and the decision).
    out_dir : path, optional
        Where the letters go (``{id}_{都道府県}_講評.pdf`` and ``.xlsx``); required unless only
        the drafts are written.
    drafts_path : path, optional
        The drafts YAML. Missing: it is written from the comments and nothing else is
        (the analyst edits it first). Present: it is read and its texts are used.

    Returns
    -------
    dict
        ``drafts_written`` (bool), ``drafts`` (Path or None), ``letters`` (list of
        :class:`FeedbackLetter`), ``files`` (list of Path), ``warnings`` (Japanese).

    Raises
    ------
    NoScoresError
        The round has no scores.
    ConfigError
        The drafts YAML cannot be used (the message names the line).
    ShinsaError
        A letter would name another applicant or a reviewer (nothing is written).
    """
    if not isinstance(rnd, ReviewRound):
        rnd = load_round(rnd)
    with ScoreStore.open(rnd, store_url) as store:
        scores = store.counted_scores()
        decision = latest_decision(store)
    c = build_committee(rnd, scores=scores, decision=decision, n_boot=1)
    words = reviewer_words(rnd)
    apps = [str(a) for a in c.applications.index]
    result: dict[str, Any] = {
        "drafts_written": False,
        "drafts": None,
        "letters": [],
        "files": [],
        "warnings": list(c.decision_warnings),
    }
    if drafts_path is not None and not Path(drafts_path).exists():
        result["drafts"] = write_drafts(
            drafts_path,
            draft_texts(c, scores, forbidden=words, dropped=result["warnings"]),
            round_name=c.round_name,
        )
        result["drafts_written"] = True
        return result
    if drafts_path is not None:
        drafts = _read_edited_drafts(drafts_path, apps, result)
    else:
        drafts = draft_texts(c, scores, forbidden=words, dropped=result["warnings"])
    letters = build_letters(c, drafts)
    problems = [p for lt in letters for p in privacy_problems(lt, c, words)]
    if problems:
        raise ShinsaError("講評を書き出しませんでした。\n" + "\n".join(problems))
    if out_dir is None:
        raise ShinsaError("講評の出力フォルダ（--out）を指定してください。")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = [f for lt in letters for f in _write_letter_files(lt, out)]
    result["letters"], result["files"] = letters, files
    return result


def _write_letter_files(lt: FeedbackLetter, out: Path) -> list[Path]:
    """One letter's PDF and workbook in ``out``, each written to a temporary file first and
    then renamed (no half-written letter is left behind)."""
    pdf, xlsx = out / f"{lt.stem}.pdf", out / f"{lt.stem}.xlsx"
    unique = f"{os.getpid()}.{secrets.token_hex(4)}"  # two runs at once never share a name
    tmp_pdf, tmp_xlsx = out / f".{pdf.name}.{unique}.tmp", out / f".{xlsx.name}.{unique}.tmp"
    try:
        write_letter_pdf(lt, tmp_pdf)
        write_workbook(tmp_xlsx, letter_tables(lt))
        os.replace(tmp_pdf, pdf)
        os.replace(tmp_xlsx, xlsx)
    finally:
        tmp_pdf.unlink(missing_ok=True)
        tmp_xlsx.unlink(missing_ok=True)
    return [pdf, xlsx]
