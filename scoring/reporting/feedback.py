"""講評（フィードバック）: one letter per applicant, as PDF/A and as a clean .xlsx.

Each letter says the result (選定 / 非選定 with the reason in words that name no other
applicant / 審査対象外 with its reason, or 「選定結果の決定前」 while the committee has recorded
no decision), the applicant's points per rubric group beside the cohort's quartiles (whole
points), what the need groups mean (「支援の必要性が高いと判断しました」, never a strength or a
weakness), and the strengths and points to improve: the criteria above / below the cohort's
median of the same calibrated values the printed points are made of
(:mod:`scoring.reporting.letter_content`), quoting only what a reviewer wrote *for the
applicant* (申請者への所見, :meth:`scoring.store.scores.ScoreStore.applicant_notes`); the
reviewers' comments (their notes for the 事務局 and the committee) never reach a letter.
The analyst edits the texts in a YAML file of drafts (:func:`write_drafts`,
:func:`read_drafts`) and approves it (:mod:`scoring.reporting.letter_approval`); until then
every letter is marked 案. Letters to an application outside the review say why and, unless
round.yaml ``letters.scores_for_excluded`` is true, show no points. 文書番号, the date in 和暦
and the sender come from round.yaml ``letters:`` (:class:`scoring.config.letters.LetterSettings`).

Privacy (unlike KAKENHI's breakdown, nothing identifies another applicant):

- no other applicant's name or figure: only the cohort's quartiles per group, rounded to
  whole points, and only when at least :data:`MIN_COHORT` applications are in the review;
  no cohort figure for the total; the distance to the selection line only as a band;
- no reviewer: 所見 are quoted without names or ids, and one that names a reviewer or
  another applicant is left out of the drafts;
- :func:`privacy_problems` checks every finished letter (edited drafts included) and
  :func:`write_feedback` refuses to write a letter that names another applicant or a reviewer.

The PDF is rendered from ``templates/feedback.html.j2`` (autoescape on) and printed as
tagged PDF/A with its title and language (:func:`scoring.reporting.pdf.write_pdf`).
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

import pandas as pd

from ..analysis import status as _status
from ..analysis.committee import Committee, build_committee
from ..analysis.committee_quality import committee_round
from ..config.rubric import Rubric
from ..core.columns import BREAKDOWN_COLUMNS, HEADERS_JA
from ..core.errors import ShinsaError
from ..core.excel import to_wareki
from ..core.xlsx import write_workbook
from ..round.decision import Decision, latest_decision
from ..round.loader import ReviewRound, load_round
from ..selection import EXCLUSION_REASONS
from ..store.scores import ScoreStore
from .committee_report import _ENV
from .letter_approval import Approval, approval_warning, approve_drafts, approved, read_approvals
from .letter_content import (
    MIN_COHORT,
    calibrated_values,
    criterion_positions,
    exclusion_sentence,
    group_scores,
    in_review,
    need_sentences,
    result_sentence,
)
from .letter_drafts import DRAFT_NAMES, DraftsFile, LetterDraft, read_drafts, write_drafts
from .pdf import write_pdf

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

#: The result while the committee has recorded no decision.
RESULT_UNDECIDED = "選定結果の決定前"
#: At most this many quoted comments per list in the automatic drafts.
MAX_QUOTES = 4

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
        Applications in the review with a total (the cohort of the quartiles).
    strengths, improvements : list of str
        The texts shown (drafts, edited or automatic).
    note : str
        事務局からの所見 (free text).
    generated : str
        Date of the letter in 和暦 (``令和9年3月10日``; round.yaml ``letters.date`` or today).
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
    #: The result in a sentence (非選定: why, naming no one; 審査対象外: why not reviewed).
    result_text: str = ""
    #: What the need groups mean for this applicant (rubric ``letter: {kind: need}``).
    need_texts: list[str] = field(default_factory=list)
    #: Whether the points are shown (not for 審査対象外 unless round.yaml allows it).
    show_scores: bool = True
    #: 案 until the analyst approved the drafts (``feedback --approve``).
    draft: bool = True
    document_number: str = ""
    sender: str = "審査事務局"
    contact: str = ""

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
        reason = str(c.exclusion_reasons.get(application, "") or "")
        if not reason and c.selection is not None and application in c.selection.reasons.index:
            reason = str(c.selection.reasons.at[application, "reason"] or "")
        return "審査対象外", reason or EXCLUSION_REASONS["no_total"]
    if d is None:
        return RESULT_UNDECIDED, ""
    return "非選定", ""


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


_NOTE_COLUMNS = ["application", "reviewer", "criterion", "to_applicant"]


def _quote(comment: str, label: str) -> str:
    text = re.sub(r"\s+", " ", comment).strip()
    return f"{label}: 「{text}」"


def _notes_by_cell(
    notes: pd.DataFrame, scores: pd.DataFrame
) -> dict[tuple[str, str], list[tuple[str, float]]]:
    """(application, criterion) → [(申請者への所見, the reviewer's own score)] in reviewer order."""
    raw = {
        (str(a), str(r), str(k)): float(v)
        for a, r, k, v in zip(
            scores.get("application", []),
            scores.get("reviewer", []),
            scores.get("criterion", []),
            pd.to_numeric(scores.get("score", pd.Series(dtype=float)), errors="coerce"),
        )
    }
    out: dict[tuple[str, str], list[tuple[str, float]]] = {}
    for a, r, k, text in zip(
        notes["application"], notes["reviewer"], notes["criterion"], notes["to_applicant"]
    ):
        out.setdefault((str(a), str(k)), []).append((str(text), raw.get((str(a), str(r), str(k)), math.nan)))
    return out


@dataclass(frozen=True)
class _Said:
    """What reviewers wrote for the applicant on one criterion, and the cohort's median there."""

    notes: list[tuple[str, float]]
    median: float
    above: bool
    bad: Sequence[str]

    def quotes(self, label: str, letter: str, dropped: list[str] | None) -> list[str]:
        """At most :data:`MAX_QUOTES` distinct quotes: no dissent (a 所見 whose own score lies on
        the other side of the median), none naming a forbidden word (said so in ``dropped``)."""
        out: list[str] = []
        m = self.median
        for text, own in self.notes:
            dissent = math.isfinite(own) and math.isfinite(m) and (own < m if self.above else own > m)
            named = [w for w in self.bad if _contains(text, w)]
            if named and dropped is not None:
                dropped.append(
                    f"{letter}の講評の下書きから、「{named[0]}」を含む申請者への所見を除きました"
                    f"（{label}: 「{text}」）。必要なら下書きを編集してください。"
                )
            q = _quote(text, label)
            if not (dissent or named) and q not in out and len(out) < MAX_QUOTES:
                out.append(q)
        return out


def draft_texts(
    c: Committee,
    rubric: Rubric,
    scores: pd.DataFrame,
    notes: pd.DataFrame | None = None,
    *,
    forbidden: Sequence[str] = (),
    values: pd.DataFrame | None = None,
    dropped: list[str] | None = None,
) -> dict[str, LetterDraft]:
    """Automatic drafts for every applicant in the review, from the calibrated values and
    the reviewers' 申請者への所見.

    A criterion of a merit group (rubric ``letter:``, :mod:`scoring.reporting.letter_content`)
    whose calibrated value (``values``, default :func:`calibrated_values`) is above the
    median of the applications in the review is a strength, below it a point to improve;
    need groups are never either (the letter speaks of them as need). Each such criterion is
    listed with what reviewers wrote for the applicant on it (``notes``, columns
    ``application, reviewer, criterion, to_applicant``: at most :data:`MAX_QUOTES` quotes
    per criterion, duplicates merged, never a reviewer's name), or, without one, with a plain
    sentence. The reviewers' ``comment`` (their notes for the 事務局 and the committee) is
    never used. A 所見 whose own score lies on the other side of the median (one reviewer's
    dissent), or that contains another applicant's name or a word of ``forbidden``
    (reviewer ids and names, :func:`reviewer_words`), is left out, and said so in ``dropped``
    (a list the caller gives, for the analyst: the letter, the word and the 所見).

    Returns
    -------
    dict
        Application id → :class:`LetterDraft` (every application of the round; empty texts
        for one outside the review).
    """
    cohort = in_review(c)
    vals = calibrated_values(c, rubric, scores) if values is None else values
    pos = criterion_positions(vals, cohort)
    where = {(str(a), str(k)): p for a, k, p in zip(pos["application"], pos["criterion"], pos["position"])}
    med = {str(k): float(v) for k, v in zip(pos["criterion"], pos["cohort_median"])}
    merit = [k.id for g in rubric.groups if g.letter_kind == "merit" for k in g.criteria]
    cells = _notes_by_cell(notes if notes is not None else pd.DataFrame(columns=_NOTE_COLUMNS), scores)
    out: dict[str, LetterDraft] = {}
    for a in [str(x) for x in c.applications.index]:
        if a not in cohort:
            out[a] = LetterDraft(prefecture=c.name(a))
            continue
        bad = _forbidden_words(c, a, forbidden)
        lists: dict[str, list[str]] = {"above": [], "below": []}
        for crit in merit:
            p = where.get((a, crit), "at")
            if p not in lists:
                continue
            label = c.criterion_labels.get(crit, crit)
            said = _Said(cells.get((a, crit), []), med.get(crit, math.nan), p == "above", bad)
            quotes = said.quotes(label, f"{c.name(a)}（{a}）", dropped)
            plain = (
                f"{label}は、応募全体の中で高く評価されました。"
                if p == "above"
                else f"{label}は、応募全体と比べて評価が低めでした。"
            )
            lists[p] += quotes or [plain]
        out[a] = LetterDraft(prefecture=c.name(a), strengths=lists["above"], improvements=lists["below"])
    return out


def _exclusion_reason(rnd: ReviewRound, c: Committee, application: str, reason: str) -> str:
    """The reason an application is 対象外: :func:`scoring.analysis.status.application_statuses`'s
    ``理由`` where that function exists (branch st19a), else the selection's."""
    statuses = getattr(_status, "application_statuses", None)
    if statuses is None:  # TODO(integrator): always true once st19a is merged
        return reason
    table = statuses(rnd, c.totals)
    if application in table.index and str(table.at[application, "区分"]) == "対象外":
        return str(table.at[application, "理由"] or reason)
    return reason


def build_letters(
    c: Committee,
    drafts: Mapping[str, LetterDraft],
    *,
    rnd: ReviewRound | None = None,
    final: bool = False,
) -> list[FeedbackLetter]:
    """One :class:`FeedbackLetter` per application of the round (id order), texts from ``drafts``.

    An application missing from ``drafts`` gets empty texts. ``rnd`` (default: loaded from
    ``c.round_path``) gives the rubric's need groups and round.yaml's ``letters:``; the
    letters are 案 unless ``final`` (the drafts were approved).
    """
    rnd = rnd if rnd is not None else committee_round(c)
    settings = rnd.config.letters
    cohort = len(in_review(c))
    day = settings.date or c.generated_at.date()
    out = []
    for a in sorted(str(x) for x in c.applications.index):
        result, reason = letter_result(c, a)
        if result == "審査対象外":
            reason = _exclusion_reason(rnd, c, a, reason)
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
                generated=to_wareki(day),
                generated_on=day,
                result_text=(
                    exclusion_sentence(reason)
                    if result == "審査対象外"
                    else result_sentence(c, rnd, a, result)
                ),
                need_texts=need_sentences(c, rnd.rubric, a) if result != "審査対象外" else [],
                show_scores=result != "審査対象外" or settings.scores_for_excluded,
                draft=not final,
                document_number=settings.document_number,
                sender=settings.sender or "審査事務局",
                contact=settings.contact,
            )
        )
    return out


def letter_tables(letter: FeedbackLetter) -> list[tuple[str, pd.DataFrame]]:
    """The letter as machine-readable tables (sheets 結果, 評価の内訳, 所見) for its .xlsx.

    Without points (審査対象外 by default) 評価の内訳 has no rows.
    """
    result = pd.DataFrame(
        {
            HEADERS_JA["application"]: [letter.application],
            HEADERS_JA["prefecture_name"]: [letter.prefecture_name],
            "審査ラウンド": [letter.round_name],
            "結果": [letter.result],
            "理由": [letter.result_text or letter.result_reason],
            "文書番号": [letter.document_number],
            "作成日": [letter.generated_on],
            "版": ["案（事務局の確認前）" if letter.draft else "確定"],
        }
    )
    g = letter.groups
    cols = list(BREAKDOWN_COLUMNS)
    rows = pd.DataFrame(
        dict(
            zip(
                cols,
                [
                    g["label"].to_numpy(),
                    g["max_points"].round(1).to_numpy(),
                    g["points"].round(1).to_numpy(),
                    g["cohort_q1"].to_numpy(),
                    g["cohort_median"].to_numpy(),
                    g["cohort_q3"].to_numpy(),
                ],
                strict=True,
            )
        )
    )
    own_total = round(letter.total, 1) if math.isfinite(letter.total) else math.nan
    total = pd.DataFrame([["合計", letter.total_max, own_total, math.nan, math.nan, math.nan]], columns=cols)
    breakdown = (
        pd.concat([rows, total], ignore_index=True) if letter.show_scores else pd.DataFrame(columns=cols)
    )
    notes = [("支援の必要性", i + 1, t) for i, t in enumerate(letter.need_texts)]
    notes += [("評価された点", i + 1, t) for i, t in enumerate(letter.strengths)]
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
    texts = [
        letter.result_reason,
        letter.result_text,
        *letter.need_texts,
        *letter.strengths,
        *letter.improvements,
        letter.note,
    ]
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
# Rendering and writing
# ----------------------------------------------------------------------------------------


def _pts(x: float) -> str:
    return "―" if x is None or not math.isfinite(float(x)) else f"{float(x):.1f}"


def _whole(x: float) -> str:
    return "―" if x is None or not math.isfinite(float(x)) else f"{float(x):.0f}"


def feedback_html(letter: FeedbackLetter) -> str:
    """The letter as one static HTML page (``templates/feedback.html.j2``, autoescaped)."""
    g = letter.groups
    rows = [
        {
            "label": lab,
            "max": _pts(mx),
            "points": _pts(p),
            "median": _whole(md),
            "range": (f"{_whole(lo)}〜{_whole(hi)}" if math.isfinite(lo) else "―"),
        }
        for lab, mx, p, lo, md, hi in zip(
            g["label"], g["max_points"], g["points"], g["cohort_q1"], g["cohort_median"], g["cohort_q3"]
        )
    ]
    return _ENV.get_template("feedback.html.j2").render(
        letter=letter,
        rows=rows,
        total=_pts(letter.total),
        total_max=_pts(letter.total_max),
        min_cohort=MIN_COHORT,
    )


def letter_title(letter: FeedbackLetter) -> str:
    """The PDF's document title (``審査結果と講評（長野県）``, 「案」 while a draft)."""
    return f"{'【案】' if letter.draft else ''}審査結果と講評（{letter.prefecture_name}）"


def write_letter_pdf(letter: FeedbackLetter, path: str | Path, *, page: str | None = None) -> Path:
    """Print the letter as tagged PDF/A (A4 portrait, Noto Sans CJK embedded, nothing fetched),
    with its title and language set (:func:`scoring.reporting.pdf.write_pdf`)."""
    return write_pdf(page if page is not None else feedback_html(letter), path, title=letter_title(letter))


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


_NO_DRAFTS_TO_APPROVE = (
    "承認する講評の下書きがありません。先に --drafts FILE.yaml で下書きを作って確認し、"
    "同じ --drafts を付けて --approve を実行してください。"
)


def _approval(
    c: Committee,
    rnd: ReviewRound,
    store_url: str | None,
    drafts_path: str | Path | None,
    approve_by: str | None,
    approvals: list[Approval],
    warnings: list[str],
) -> Any:
    """Record the approval in the score store when asked (a decision must be recorded); the
    approval in force among ``approvals`` (those read with the scores) and the new one: the
    latest, if the drafts file is still the approved one."""
    if drafts_path is None:
        return None
    if approve_by is not None:
        if c.decision is None:
            raise ShinsaError(
                "選定委員会の決定が記録されていないため、講評を承認できません。"
                "決定を記録してから --approve を実行してください。"
            )
        with ScoreStore.open(rnd, store_url) as store:
            approvals = [*approvals, approve_drafts(store, drafts_path, approve_by)]
    found = approved(drafts_path, approvals)
    if warning := approval_warning(drafts_path, found):
        warnings.append(warning)
    return found


def _read_store(
    rnd: ReviewRound, store_url: str | None, drafts_path: str | Path | None
) -> tuple[pd.DataFrame, pd.DataFrame, Decision | None, list[Approval]]:
    """What the letters need from the score store, in one opening: the counted scores, the
    申請者への所見, the latest decision and (with a drafts file) the recorded approvals."""
    with ScoreStore.open(rnd, store_url) as store:
        approvals = read_approvals(store) if drafts_path is not None else []
        return store.counted_scores(), store.applicant_notes(), latest_decision(store), approvals


def write_feedback(
    rnd: ReviewRound | str | Path | None,
    out_dir: str | Path | None = None,
    *,
    drafts_path: str | Path | None = None,
    store_url: str | None = None,
    approve_by: str | None = None,
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
        The drafts YAML. Missing: it is written (from the calibrated values and the 申請者への
        所見) and nothing else is. Present: it is read and its texts are used.
    approve_by : str, optional
        ``--approve``: this person approves the drafts file as it is (a decision is needed; an
        event of the store, :mod:`~scoring.reporting.letter_approval`); final while unchanged.

    Returns
    -------
    dict
        ``drafts_written`` (bool), ``drafts`` (Path or None), ``letters`` (list of
        :class:`FeedbackLetter`), ``files`` (list of Path), ``warnings`` (Japanese),
        ``approval`` (:class:`~scoring.reporting.letter_approval.Approval` or None).

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
    scores, notes, decision, approvals = _read_store(rnd, store_url, drafts_path)
    c = build_committee(rnd, scores=scores, decision=decision, n_boot=1)
    words = reviewer_words(rnd)
    apps = [str(a) for a in c.applications.index]
    result: dict[str, Any] = {
        "drafts_written": False,
        "drafts": None,
        "letters": [],
        "files": [],
        "warnings": list(c.decision_warnings),
        "approval": None,
    }
    if approve_by is not None and (drafts_path is None or not Path(drafts_path).exists()):
        raise ShinsaError(_NO_DRAFTS_TO_APPROVE)
    if drafts_path is not None and not Path(drafts_path).exists():
        texts = draft_texts(c, rnd.rubric, scores, notes, forbidden=words, dropped=result["warnings"])
        result["drafts"] = write_drafts(drafts_path, texts, round_name=c.round_name)
        result["drafts_written"] = True
        return result
    if drafts_path is not None:
        drafts = _read_edited_drafts(drafts_path, apps, result)
    else:
        drafts = draft_texts(c, rnd.rubric, scores, notes, forbidden=words, dropped=result["warnings"])
    result["approval"] = _approval(c, rnd, store_url, drafts_path, approve_by, approvals, result["warnings"])
    letters = build_letters(c, drafts, rnd=rnd, final=result["approval"] is not None)
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
