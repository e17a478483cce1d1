"""What people type in the choice and theme fields, read through a real 応募書 (issue #10,
reproduction 8). Each variant is either read as the value given, or is an ERROR row that
names the cell and quotes what was typed. Nothing is guessed: negations, several themes in
the one-theme field, and text that matches more than one choice are errors.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from scoring.core.schema import FIELDS, FIELDS_BY_KEY, TEMPLATE_SHEET
from scoring.intake.applications import read_application
from scoring.intake.template import FIRST_ROW

WriteApp = Callable[..., Path]
ERROR = "error"

#: (field, what was typed, the value read — or ERROR plus a word the message must contain)
VARIANTS: list[tuple[str, object, str, str]] = [
    # yes / no
    ("dx_body_exists", "あり", "あり", ""),
    ("dx_body_exists", "なし", "なし", ""),
    ("dx_body_exists", "有", "あり", ""),
    ("dx_body_exists", "有り", "あり", ""),
    ("dx_body_exists", "無", "なし", ""),
    ("dx_body_exists", "無し", "なし", ""),
    ("dx_body_exists", "○", "あり", ""),
    ("dx_body_exists", "×", "なし", ""),
    ("dx_body_exists", "ある", "あり", ""),
    ("dx_body_exists", "ない", "なし", ""),
    ("dx_body_exists", "あります", "あり", ""),
    ("dx_body_exists", " あり ", "あり", ""),
    ("dx_body_exists", "ありません", ERROR, "否定"),
    ("dx_body_exists", "設置していない", ERROR, "選択肢"),
    ("dx_body_exists", "なし（予定あり）", ERROR, "複数の選択肢"),
    ("dx_body_exists", "あり・なし", ERROR, "複数の選択肢"),
    ("dx_body_exists", "検討中", ERROR, "選択肢にありません"),
    # 人材プールの状況
    ("pool_status", "未構築", "未構築", ""),
    ("pool_status", "構築中", "構築中", ""),
    ("pool_status", "構築済", "構築済", ""),
    ("pool_status", "構築済み", "構築済", ""),
    ("pool_status", "未 構 築", "未構築", ""),
    ("pool_status", "構築済ではない", ERROR, "否定"),
    ("pool_status", "構築済みではありません", ERROR, "否定"),
    ("pool_status", "未だ構築していない", ERROR, "否定"),
    ("pool_status", "構築中（一部構築済）", ERROR, "複数の選択肢"),
    ("pool_status", "構築", ERROR, "複数の選択肢"),
    # 重点テーマ (one theme only)
    ("theme", "A", "A", ""),
    ("theme", "Ａ", "A", ""),
    ("theme", "a", "A", ""),
    ("theme", "A)", "A", ""),
    ("theme", "A) システムの共同調達", "A", ""),
    ("theme", "（Ａ）システムの共同調達", "A", ""),
    ("theme", "共同調達", "A", ""),
    ("theme", "システムの共同調達", "A", ""),
    ("theme", "データ利活用", "D", ""),
    ("theme", "ﾃﾞｰﾀ利活用", "D", ""),
    ("theme", "AI", "F", ""),
    ("theme", "ＡＩ", "F", ""),
    ("theme", "C) 職員の業務改善に向けた庁内DXの推進", "C", ""),
    ("theme", "E) 市区町村のデジタル人材の確保・育成に係る方針の策定支援", "E", ""),
    ("theme", "A、D", ERROR, "複数のテーマ"),
    ("theme", "Ａ，Ｄ", ERROR, "複数のテーマ"),
    ("theme", "A) システムの共同調達、D) データ利活用", ERROR, "複数のテーマ"),
    ("theme", "共同調達とデータ利活用", ERROR, "複数のテーマ"),
    ("theme", "A) システムの共同調達（データ利活用も）", ERROR, "複数のテーマ"),
    ("theme", "A) データ利活用", ERROR, "一致しません"),
    ("theme", "G", ERROR, "A〜F"),
    # 応募区分
    ("application_type", "手上げ式", "手上げ式", ""),
    ("application_type", "手上げ", "手上げ式", ""),
    ("application_type", "手挙げ式", "手上げ式", ""),
    ("application_type", "プッシュ型", "プッシュ型", ""),
    ("application_type", "ﾌﾟｯｼｭ型", "プッシュ型", ""),
    ("application_type", "プッシュ", "プッシュ型", ""),
    ("application_type", "手上げ式ではない", ERROR, "否定"),
    ("application_type", "手上げ式・プッシュ型", ERROR, "複数の選択肢"),
    # 調整状況
    ("hr_coordination", "合意済み", "合意済", ""),
    ("hr_coordination", "調整中", "調整中", ""),
    ("hr_coordination", "合意していない", ERROR, "否定"),
    # full-width digits and units
    ("pool_size_total", "６", "6", ""),
    ("pool_size_total", "６人", "6", ""),
    ("pool_size_total", "６ 名", "6", ""),
    ("pool_size_total", "約６人", ERROR, "数値のみ"),
]


def cell_of(key: str) -> str:
    return f"C{FIRST_ROW + [f.key for f in FIELDS].index(key)}"


def test_the_table_is_large_enough() -> None:
    assert len(VARIANTS) >= 40
    assert {k for k, *_ in VARIANTS} >= {"dx_body_exists", "pool_status", "theme", "application_type"}


@pytest.mark.parametrize(
    ("key", "typed", "expected", "word"), VARIANTS, ids=[f"{k}-{t}" for k, t, *_ in VARIANTS]
)
def test_typed_variant(key: str, typed: object, expected: str, word: str, write_app: WriteApp) -> None:
    overrides: dict[str, object] = {key: typed}
    if key == "pool_status":  # keep the cross-field check (未構築 with members) out of the way
        unbuilt = str(typed).replace(" ", "") == "未構築"
        overrides["pool_size_total"] = 0 if unbuilt else 6
        if unbuilt:
            overrides.update(pool_accelerators=0, pool_fixed_term=0, pool_fulltime=0, pool_outsourced=0)
    record, problems = read_application(write_app("app.xlsx", "20", **overrides))
    assert record is not None
    if expected != ERROR:
        assert problems == [], problems
        assert str(record[key]) == expected
        return
    assert record[key] is None, f"{typed!r} was read as {record[key]!r}"
    assert len(problems) == 1, problems
    problem = problems[0]
    assert problem["severity"] == "error" and problem["sheet"] == TEMPLATE_SHEET
    assert problem["cell"] == cell_of(key) and problem["field"] == FIELDS_BY_KEY[key].label
    assert f"「{str(typed).strip()}」" in problem["message"] and cell_of(key) in problem["message"]
    assert word in problem["message"]
