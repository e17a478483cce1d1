"""Shared fixtures. Application files are built in tmp_path; no binaries are committed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from scoring.reference import prefectures
from scoring.template import write_template


def make_valid_values(code: str = "20", **overrides: Any) -> dict[str, Any]:
    """A complete, valid and self-consistent application for prefecture ``code`` (架空)."""
    ref = prefectures().loc[code]
    n = int(ref["municipalities_incl_wards"])
    values: dict[str, Any] = {
        "prefecture": str(ref["name_ja"]),
        "department": "企画振興部DX推進課（架空）",
        "contact_name": "架空 太郎",
        "contact_email": "dx-suishin@example.lg.jp",
        "contact_phone": "000-000-0000",
        "submitted_at": dt.datetime(2026, 2, 18, 15, 0),
        "application_type": "手上げ式",
        "dx_body_exists": "あり",
        "dx_body_since": dt.date(2022, 4, 1),
        "pool_status": "構築中",
        "pool_size_total": 6,
        "pool_accelerators": 2,
        "pool_fixed_term": 1,
        "pool_fulltime": 2,
        "pool_outsourced": 1,
        "pool_secondees": 0,
        "municipalities_supported": min(12, n),
        "support_so_far": "架空の支援内容。",
        "issue_recruitment": "架空の課題: 人材の確保が難しい。",
        "one_person_it_municipalities": min(3, n),
        "target_headcount": 10,
        "target_date": dt.date(2027, 3, 31),
        "planned_employment": "任期付職員",
        "funding": "普通交付税措置",
        "hr_coordination": "調整中",
        "finance_coordination": "未着手",
        "theme": "A) システムの共同調達",
        "theme_reason": "架空の理由。",
        "participating_municipalities": min(5, n),
        "participating_names": "架空市、架空町",
    }
    values.update(overrides)
    return values


@pytest.fixture
def valid_values() -> Callable[..., dict[str, Any]]:
    """Factory: ``valid_values(code="20", **overrides)`` → a complete valid application dict."""
    return make_valid_values


@pytest.fixture
def write_app(tmp_path: Path) -> Callable[..., Path]:
    """Factory: ``write_app(name, code="20", **overrides)`` writes a filled 応募書 in tmp_path."""

    def write(name: str, code: str = "20", **overrides: Any) -> Path:
        return write_template(tmp_path / name, make_valid_values(code, **overrides))

    return write
