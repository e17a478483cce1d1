"""What a reviewer reads of one application (応募書): its key fields, the reference
indicators the rubric attaches to criteria, its free-text sections and the whole form.

Plain functions of the round and an application code (no widgets, no store); the review
session (:class:`scoring.review.session.ReviewSession`) offers them as ``summary``,
``indicators``, ``sections`` and ``form`` of its current application.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from ..core.columns import HEADERS_JA
from ..core.reference import prefectures
from ..core.schema import FIELDS, FIELDS_BY_KEY, THEMES
from .entries import clean_score, clean_text, display_value

if TYPE_CHECKING:
    from ..round.loader import ReviewRound

__all__ = [
    "SUMMARY_FIELDS",
    "application_form",
    "application_indicators",
    "application_sections",
    "application_summary",
]

#: Key fields of the summary panel: column of ``ReviewRound.applications`` → Japanese label.
SUMMARY_FIELDS: dict[str, str] = {
    "prefecture_name": HEADERS_JA["prefecture_name"],
    "block": HEADERS_JA["block"],
    "application_type": FIELDS_BY_KEY["application_type"].display_label,
    "theme": FIELDS_BY_KEY["theme"].display_label,
    "pool_status": FIELDS_BY_KEY["pool_status"].display_label,
    "pool_size_total": FIELDS_BY_KEY["pool_size_total"].display_label,
    "pool_accelerators": FIELDS_BY_KEY["pool_accelerators"].display_label,
    "municipalities_supported": FIELDS_BY_KEY["municipalities_supported"].display_label,
    "target_headcount": FIELDS_BY_KEY["target_headcount"].display_label,
    "target_date": FIELDS_BY_KEY["target_date"].display_label,
    "hr_coordination": FIELDS_BY_KEY["hr_coordination"].display_label,
    "finance_coordination": FIELDS_BY_KEY["finance_coordination"].display_label,
    "participating_municipalities": FIELDS_BY_KEY["participating_municipalities"].display_label,
    "submitted_at": "提出日時（日本時間）",
    "late": "期限後提出",
}

_TEXT_KINDS = ("longtext",)


def application_summary(rnd: ReviewRound, app: str) -> pd.DataFrame:
    """Key fields of the application: columns ``label``, ``value`` (display text).

    Index = field key (:data:`SUMMARY_FIELDS`). Missing values are shown as ``—``.
    """
    row = rnd.applications.loc[app]
    rows = []
    for key, label in SUMMARY_FIELDS.items():
        value = row.get(key) if key in row.index else None
        if key == "theme" and clean_text(value):
            text = f"{value}) {THEMES.get(str(value), '')}"
        else:
            text = display_value(value)
        rows.append({"field": key, "label": label, "value": text})
    return pd.DataFrame(rows, columns=["field", "label", "value"]).set_index("field")


def application_indicators(rnd: ReviewRound, app: str) -> pd.DataFrame:
    """Reference indicators (参考指標) the rubric attaches to criteria.

    Columns ``criterion``, ``criterion_label``, ``indicator``, ``label``, ``value``
    (float, NaN when unknown), ``unit``, ``source`` (応募書 / 統計). One row per
    criterion × indicator, in rubric order; context for the reviewer, never a score.
    """
    row = rnd.applications.loc[app]
    ref = None
    rows = []
    for c in rnd.rubric.criteria:
        for ind in c.indicators:
            value: Any = row.get(ind.field) if ind.field in row.index else None
            if value is None and ind.source == "reference":
                ref = prefectures() if ref is None else ref
                if ind.field in ref.columns and app in ref.index:
                    value = ref.at[app, ind.field]
            rows.append(
                {
                    "criterion": c.id,
                    "criterion_label": c.label_ja,
                    "indicator": ind.id,
                    "label": ind.label_ja,
                    "value": clean_score(value),
                    "unit": ind.unit or "",
                    "source": "応募書" if ind.source == "application" else "統計",
                }
            )
    columns = ["criterion", "criterion_label", "indicator", "label", "value", "unit", "source"]
    return pd.DataFrame(rows, columns=columns).astype({"value": "float64"})


def application_sections(rnd: ReviewRound, app: str) -> pd.DataFrame:
    """The text sections of the 応募書 (free-text fields), in form order.

    Columns ``section`` (e.g. ``3. 課題``), ``field``, ``label``, ``text``; empty
    fields are left out.
    """
    row = rnd.applications.loc[app]
    rows = [
        {
            "section": f.section,
            "field": f.key,
            "label": f.display_label,
            "text": clean_text(row.get(f.key)),
        }
        for f in FIELDS
        if f.kind in _TEXT_KINDS and f.key in row.index and clean_text(row.get(f.key)).strip()
    ]
    return pd.DataFrame(rows, columns=["section", "field", "label", "text"])


def application_form(rnd: ReviewRound, app: str) -> pd.DataFrame:
    """The whole 応募書: every field of :data:`scoring.core.schema.FIELDS`, in form order.

    Columns ``section`` (e.g. ``4. 人材確保の計画``), ``field``, ``label`` (with its
    unit), ``text`` (display text; ``—`` when not filled in), ``long`` (True for free
    text). Nothing is left out, so the reviewer sees what the prefecture wrote.
    """
    row = rnd.applications.loc[app]
    rows = []
    for f in FIELDS:
        value = row.get(f.key) if f.key in row.index else None
        if f.key == "prefecture" and "prefecture_name" in row.index:
            value = row.get("prefecture_name")
        if f.key == "theme" and clean_text(value):
            text = f"{value}) {THEMES.get(str(value), '')}"
        else:
            text = display_value(value).strip() or "—"
        rows.append(
            {
                "section": f.section,
                "field": f.key,
                "label": f.display_label,
                "text": text,
                "long": f.kind in _TEXT_KINDS,
            }
        )
    return pd.DataFrame(rows, columns=["section", "field", "label", "text", "long"])
