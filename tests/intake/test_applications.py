"""Reading a folder of 応募書: the table contract, and every kind of bad input.

Every bad file is built here in tmp_path next to a good one; the good one must still load.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from msoffcrypto.format.ooxml import OOXMLFile
from openpyxl import load_workbook

from scoring.core.schema import FIELDS, FIELDS_BY_KEY, META_SHEET, PROBLEM_COLUMNS, TEMPLATE_SHEET
from scoring.intake.applications import (
    APPLICATION_COLUMNS,
    Intake,
    empty_applications,
    read_application,
    read_applications,
)
from scoring.intake.template import FIRST_ROW, write_template

WriteApp = Callable[..., Path]
JST = dt.timezone(dt.timedelta(hours=9))
DEADLINE = dt.datetime(2026, 2, 20, 17, 0)


def cell_of(key: str) -> str:
    """Input cell of a field in an unmodified template."""
    return f"C{FIRST_ROW + [f.key for f in FIELDS].index(key)}"


def rows_of(intake: Intake, file: str) -> pd.DataFrame:
    return intake.problems[intake.problems["file"] == file]


def one_problem(intake: Intake, file: str, severity: str, key: str = "") -> pd.Series:
    """The single problem of ``file`` with this severity (and field, if given)."""
    rows = rows_of(intake, file)
    rows = rows[rows["severity"] == severity]
    if key:
        rows = rows[rows["field"] == FIELDS_BY_KEY[key].label]
    assert len(rows) == 1, rows.to_dict("records")
    return rows.iloc[0]


def ole_bytes(stream: str, size: int = 4096) -> bytes:
    """A minimal OLE compound file (CFB v3) holding one stream of ``size`` bytes.

    olefile cannot write, so the container is laid out by hand: sector 0 holds the FAT,
    sector 1 the directory, sectors 2.. the stream (≥ 4096 bytes: no mini stream).
    """
    free, end, fat_sect = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
    n_data = -(-size // 512)
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIIII", header, 40, 0, 1, 1, 0, 4096, end, 0, end, 0)
    struct.pack_into("<I", header, 76, 0)
    for i in range(1, 109):
        struct.pack_into("<I", header, 76 + 4 * i, free)
    fat = [fat_sect, end] + [3 + i for i in range(n_data - 1)] + [end]
    fat += [free] * (128 - len(fat))

    def entry(name: str, kind: int, child: int, start: int, length: int) -> bytes:
        raw = bytearray(128)
        encoded = (name + "\0").encode("utf-16-le") if name else b""
        raw[0 : len(encoded)] = encoded
        struct.pack_into("<HBB", raw, 64, len(encoded), kind, 1)
        struct.pack_into("<III", raw, 68, free, free, child)
        struct.pack_into("<IQ", raw, 116, start, length)
        return bytes(raw)

    directory = entry("Root Entry", 5, 1, end, 0) + entry(stream, 2, free, 2, size)
    directory += entry("", 0, free, 0, 0) * 2
    return bytes(header) + struct.pack("<128I", *fat) + directory + b"\0" * (512 * n_data)


def encrypted_bytes(path: Path) -> bytes:
    out = io.BytesIO()
    with path.open("rb") as fh:
        OOXMLFile(fh).encrypt("secret", out)
    return out.getvalue()


def mutate(path: Path, change: Callable[[Any], None]) -> None:
    wb = load_workbook(path)
    change(wb)
    wb.save(path)


# ---------------------------------------------------------------- the good case


def test_good_file_contract(write_app: WriteApp, tmp_path: Path) -> None:
    write_app("nagano.xlsx", "20")
    write_app("tokyo.xlsx", "13", participating_municipalities=50)  # 39 市町村 + 23 区 = 62
    intake = read_applications(tmp_path, deadline=DEADLINE)
    apps = intake.applications
    assert intake.problems.empty, intake.problems.to_dict("records")
    assert list(apps.columns) == list(APPLICATION_COLUMNS)
    assert apps.index.name == "application"
    assert list(apps.index) == ["13", "20"]
    dtypes = apps.dtypes.astype(str)
    for f in FIELDS:
        expected = {"int": "Int64", "datetime": "datetime64[ns, Asia/Tokyo]", "date": "datetime64[ns]"}
        assert dtypes[f.key] == expected.get(f.kind, "str"), f.key
    for column, dtype in {
        "late": "bool",
        "has_errors": "bool",
        "n_warnings": "int64",
        "block": "str",
        "municipalities": "int64",
        "pop_change_2015_2020_pct": "float64",
    }.items():
        assert dtypes[column] == dtype, column
    row = apps.loc["20"]
    assert row["file"] == "nagano.xlsx"
    assert row["prefecture"] == "20" and row["prefecture_name"] == "長野県"
    assert row["theme"] == "A" and row["theme_name"] == "システムの共同調達"
    assert row["submitted_at"] == pd.Timestamp("2026-02-18 15:00", tz="Asia/Tokyo")
    assert row["dx_body_since"] == pd.Timestamp("2022-04-01")
    assert row["pool_size_total"] == 6
    assert pd.isna(row["issue_budget"])
    assert row["block"] == "中部" and row["municipalities"] == 77
    assert not row["late"] and not row["has_errors"] and row["n_warnings"] == 0
    assert list(intake.problems.columns) == list(PROBLEM_COLUMNS)


def test_typed_variants_are_normalised(write_app: WriteApp, tmp_path: Path) -> None:
    write_app(
        "nagano.xlsx",
        "20",
        prefecture="長野",
        theme="Ａ．システムの共同調達",
        pool_size_total="６人",
        submitted_at="令和8年2月18日 15時30分",
        application_type="ﾌﾟｯｼｭ型",
        dx_body_exists="有",
        pool_status="構築中",
        contact_email="ＤＸ＠ｅｘａｍｐｌｅ．ｊｐ",
        dx_body_since="R4.4.1",
        municipalities_supported="１２団体",
    )
    intake = read_applications(tmp_path)
    assert intake.problems.empty, intake.problems.to_dict("records")
    row = intake.applications.loc["20"]
    assert row["pool_size_total"] == 6 and row["municipalities_supported"] == 12
    assert row["submitted_at"] == pd.Timestamp("2026-02-18 15:30", tz="Asia/Tokyo")
    assert row["application_type"] == "プッシュ型" and row["dx_body_exists"] == "あり"
    assert row["contact_email"] == "DX@example.jp"
    assert row["dx_body_since"] == pd.Timestamp("2022-04-01")


def test_inserted_row_is_found_by_key(write_app: WriteApp, tmp_path: Path) -> None:
    path = write_app("nagano.xlsx", "20")
    mutate(path, lambda wb: wb[TEMPLATE_SHEET].insert_rows(6, 2))
    intake = read_applications(tmp_path)
    assert intake.problems.empty, intake.problems.to_dict("records")
    assert intake.applications.loc["20", "department"] == "企画振興部DX推進課（架空）"
    assert intake.applications.loc["20", "pool_size_total"] == 6


def test_read_application_single(write_app: WriteApp) -> None:
    record, problems = read_application(write_app("nagano.xlsx", "20"))
    assert problems == []
    assert record is not None and record["prefecture"] == "20" and record["file"] == "nagano.xlsx"
    assert record["submitted_at"] == dt.datetime(2026, 2, 18, 15, 0, tzinfo=JST)
    assert record["target_date"] == dt.date(2027, 3, 31)


# ---------------------------------------------------------------- files that cannot be read


def _text(path: Path, good: Path) -> None:
    path.write_text("これは応募書ではありません", encoding="utf-8")


def _pdf(path: Path, good: Path) -> None:
    path.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")


def _empty(path: Path, good: Path) -> None:
    path.write_bytes(b"")


def _truncated(path: Path, good: Path) -> None:
    path.write_bytes(good.read_bytes()[:3000])


def _encrypted(path: Path, good: Path) -> None:
    path.write_bytes(encrypted_bytes(good))


def _encrypted_handmade(path: Path, good: Path) -> None:
    path.write_bytes(ole_bytes("EncryptedPackage"))


def _xls(path: Path, good: Path) -> None:
    path.write_bytes(ole_bytes("Workbook"))


def _version(path: Path, good: Path) -> None:
    write_template(path)
    mutate(path, lambda wb: wb[META_SHEET].__setitem__("B1", "2025.1"))


def _no_meta(path: Path, good: Path) -> None:
    write_template(path)
    mutate(path, lambda wb: wb.remove(wb[META_SHEET]))


def _no_sheet(path: Path, good: Path) -> None:
    write_template(path)
    mutate(path, lambda wb: setattr(wb[TEMPLATE_SHEET], "title", "Sheet1"))


def _docx_renamed(path: Path, good: Path) -> None:
    import zipfile

    with zipfile.ZipFile(path, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")


@pytest.mark.parametrize(
    ("build", "words"),
    [
        (_text, ["xlsx ではありません"]),
        (_pdf, ["PDF"]),
        (_empty, ["空のファイル"]),
        (_truncated, ["壊れて"]),
        (_encrypted, ["パスワード"]),
        (_encrypted_handmade, ["パスワード"]),
        (_xls, [".xls", "xlsx ではありません"]),
        (_docx_renamed, ["Excel ブックとして読めません"]),
        (_version, ["様式が異なります", "2025.1"]),
        (_no_meta, ["様式が異なります"]),
        (_no_sheet, ["様式が異なります", "応募書"]),
    ],
    ids=lambda v: getattr(v, "__name__", "")[1:] if callable(v) else "",
)
def test_unreadable_file(
    build: Callable[[Path, Path], None], words: list[str], write_app: WriteApp, tmp_path: Path
) -> None:
    good = write_app("good.xlsx", "20")
    build(tmp_path / "bad.xlsx", good)
    intake = read_applications(tmp_path)
    problem = one_problem(intake, "bad.xlsx", "error")
    assert problem["cell"] == "" and problem["field"] == "" and problem["action"]
    for word in words:
        assert word in problem["message"]
    assert len(rows_of(intake, "bad.xlsx")) == 1
    assert list(intake.applications.index) == ["20"]
    assert intake.applications.loc["20", "file"] == "good.xlsx"
    assert rows_of(intake, "good.xlsx").empty


def test_encrypted_action_says_remove_password(write_app: WriteApp, tmp_path: Path) -> None:
    good = write_app("good.xlsx", "20")
    _encrypted(tmp_path / "locked.xlsx", good)
    problem = one_problem(read_applications(tmp_path), "locked.xlsx", "error")
    assert "パスワードを解除して再提出" in problem["action"]


def test_file_over_max_bytes_is_not_opened(write_app: WriteApp, tmp_path: Path) -> None:
    good = write_app("good.xlsx", "20")
    (tmp_path / "huge.xlsx").write_bytes(b"PK\x03\x04" + b"\0" * (good.stat().st_size * 3))
    intake = read_applications(tmp_path, max_bytes=good.stat().st_size * 2)
    problem = one_problem(intake, "huge.xlsx", "error")
    assert "大きすぎます" in problem["message"] and "開いていません" in problem["message"]
    assert list(intake.applications.index) == ["20"]


# ---------------------------------------------------------------- bad values


@pytest.mark.parametrize(
    ("key", "typed", "words"),
    [
        ("pool_size_total", "約6人", ["約6人", "数値のみ"]),
        ("pool_size_total", 250, ["250", "範囲外", "0〜200"]),
        ("participating_municipalities", -1, ["負の数"]),
        ("submitted_at", "2026/2/30 10:00", ["2026/2/30", "存在しない"]),
        ("dx_body_since", "去年", ["去年", "日付"]),
        ("theme", "G) 観光", ["G) 観光", "A〜F"]),
        ("pool_status", "検討中", ["検討中", "未構築、構築中、構築済"]),
        ("contact_email", "dx-suishin(at)pref.jp", ["dx-suishin(at)pref.jp", "メールアドレス"]),
    ],
)
def test_bad_value(key: str, typed: object, words: list[str], write_app: WriteApp, tmp_path: Path) -> None:
    write_app("good.xlsx", "13")
    write_app("bad.xlsx", "20", **{key: typed})
    intake = read_applications(tmp_path)
    problem = one_problem(intake, "bad.xlsx", "error", key)
    assert problem["cell"] == cell_of(key) and problem["sheet"] == TEMPLATE_SHEET
    assert problem["field"] == FIELDS_BY_KEY[key].label
    assert cell_of(key) in problem["message"] and FIELDS_BY_KEY[key].label in problem["message"]
    for word in words:
        assert word in problem["message"]
    apps = intake.applications
    assert list(apps.index) == ["13", "20"]
    assert apps.loc["20", "has_errors"] and not apps.loc["13", "has_errors"]
    assert pd.isna(apps.loc["20", key])


def test_missing_required_field(write_app: WriteApp, tmp_path: Path) -> None:
    write_app("good.xlsx", "13")
    write_app("bad.xlsx", "20", department=None, theme_reason="   ")
    intake = read_applications(tmp_path)
    for key in ("department", "theme_reason"):
        problem = one_problem(intake, "bad.xlsx", "error", key)
        assert problem["cell"] == cell_of(key)
        assert "空欄" in problem["message"] and cell_of(key) in problem["message"]
    assert intake.applications.loc["20", "has_errors"]
    assert not intake.applications.loc["13", "has_errors"]


def test_deleted_row(write_app: WriteApp, tmp_path: Path) -> None:
    path = write_app("bad.xlsx", "20")
    row = int(cell_of("department")[1:])
    mutate(path, lambda wb: wb[TEMPLATE_SHEET].delete_rows(row))
    intake = read_applications(tmp_path)
    problem = one_problem(intake, "bad.xlsx", "error", "department")
    assert problem["cell"] == "" and "行が見つかりません" in problem["message"]
    assert intake.applications.loc["20", "has_errors"]


def test_unknown_prefecture(write_app: WriteApp, tmp_path: Path) -> None:
    write_app("good.xlsx", "20")
    write_app("bad.xlsx", "20", prefecture="長埼県")
    intake = read_applications(tmp_path)
    rows = rows_of(intake, "bad.xlsx")
    assert set(rows["severity"]) == {"error"}
    assert set(rows["cell"]) == {cell_of("prefecture")} and set(rows["field"]) == {"都道府県名"}
    assert rows["message"].str.contains("長埼県").any() and rows["message"].str.contains("長崎県").any()
    assert rows["message"].str.contains("一覧に入れていません").any()
    assert list(intake.applications.index) == ["20"]
    assert intake.applications.loc["20", "file"] == "good.xlsx"


def test_missing_prefecture(write_app: WriteApp, tmp_path: Path) -> None:
    write_app("bad.xlsx", "20", prefecture=None)
    intake = read_applications(tmp_path)
    assert intake.applications.empty
    assert rows_of(intake, "bad.xlsx")["message"].str.contains("空欄").any()


# ---------------------------------------------------------------- duplicates and deadline


def test_duplicate_keeps_later_submission(write_app: WriteApp, tmp_path: Path) -> None:
    write_app(
        "a_resubmitted.xlsx",
        "20",
        submitted_at=dt.datetime(2026, 2, 19, 9, 0),
        pool_size_total=7,
        pool_secondees=1,
    )
    write_app("b_first.xlsx", "20", submitted_at=dt.datetime(2026, 2, 18, 15, 0))
    write_app("other.xlsx", "42")
    intake = read_applications(tmp_path)
    apps = intake.applications
    assert list(apps.index) == ["20", "42"]
    assert apps.loc["20", "file"] == "a_resubmitted.xlsx" and apps.loc["20", "pool_size_total"] == 7
    # reported once, as 情報, on the superseded file: why it was replaced (by which file, when)
    assert rows_of(intake, "a_resubmitted.xlsx").empty
    [dropped] = rows_of(intake, "b_first.xlsx").to_dict("records")
    assert dropped["severity"] == "info" and dropped["cell"] == cell_of("prefecture")
    assert dropped["message"] == (
        "同じ団体（長野県）の新しい提出（a_resubmitted.xlsx, 受付日時 2026/02/19 09:00）があるため、"
        "この提出は置き換えられました（使用していません）。"
    )
    assert "eligibility resubmission" in dropped["action"]
    assert apps.loc["20", "n_warnings"] == 0 and not apps.loc["20", "has_errors"]
    assert not (intake.problems["severity"] == "error").any()
    sup = intake.superseded
    assert sup is not None and sup[["file", "application", "replaced_by"]].to_dict("records") == [
        {"file": "b_first.xlsx", "application": "20", "replaced_by": "a_resubmitted.xlsx"}
    ]
    assert sup.loc[0, "submitted_at"] == pd.Timestamp("2026-02-18 15:00", tz="Asia/Tokyo")


def test_a_superseded_file_with_errors_is_reported_only_as_superseded(
    write_app: WriteApp, tmp_path: Path
) -> None:
    write_app("old.xlsx", "20", submitted_at=dt.datetime(2026, 2, 18, 15, 0), contact_email="not-an-address")
    write_app("new.xlsx", "20", submitted_at=dt.datetime(2026, 2, 19, 9, 0))
    intake = read_applications(tmp_path)
    assert rows_of(intake, "old.xlsx")["severity"].tolist() == ["info"]
    assert not (intake.problems["severity"] == "error").any()


def test_validate_passes_when_only_a_superseded_file_is_reported(
    write_app: WriteApp, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from scoring.cli import main

    write_app("old.xlsx", "20", submitted_at=dt.datetime(2026, 2, 18, 15, 0))
    write_app("new.xlsx", "20", submitted_at=dt.datetime(2026, 2, 19, 9, 0))
    assert main(["validate", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "エラー 0 件・警告 0 件・情報 1 件" in out and "情報" in out and "置き換えられました" in out


def test_a_form_that_says_push_is_late_all_the_same(write_app: WriteApp, tmp_path: Path) -> None:
    """プッシュ型 is the ministry's recorded decision (issue 19): the intake alone does not
    exempt a form from the deadline because it says プッシュ型."""
    write_app("push.xlsx", "20", submitted_at="2026/2/24 10:00", application_type="プッシュ型")
    write_app("hand.xlsx", "13", submitted_at="2026/2/24 10:00", application_type="手上げ式")
    intake = read_applications(tmp_path, deadline=DEADLINE)
    apps = intake.applications
    assert apps.loc["20", "late"] and apps.loc["13", "late"]
    note = one_problem(intake, "push.xlsx", "warning", "submitted_at")
    assert note["message"].startswith("期限後提出") and "eligibility push" in note["action"]
    assert one_problem(intake, "hand.xlsx", "warning", "submitted_at")["message"].startswith("期限後提出")


def test_duplicate_tie_is_an_error_not_decided_by_file_time(write_app: WriteApp, tmp_path: Path) -> None:
    """Same 提出日時: never the modification time (issue 19). Without a record the file shown
    is the last by name, with an error naming both; a recorded file wins."""
    newer = write_app("a.xlsx", "20")
    older = write_app("b.xlsx", "20")
    os.utime(older, (1_700_000_000, 1_700_000_000))
    os.utime(newer, (1_800_000_000, 1_800_000_000))
    intake = read_applications(tmp_path)
    assert intake.applications.loc["20", "file"] == "b.xlsx" and intake.applications.loc["20", "has_errors"]
    tie = one_problem(intake, "b.xlsx", "error", "submitted_at")
    assert "a.xlsx、b.xlsx" in tie["message"] and "提出日時が同じ" in tie["message"]
    assert "--file" in tie["action"]
    assert one_problem(intake, "a.xlsx", "info", "prefecture")["message"].count("b.xlsx") == 1
    recorded = read_applications(tmp_path, recorded={"20": ["a.xlsx"]})
    assert (
        recorded.applications.loc["20", "file"] == "a.xlsx"
        and not recorded.applications.loc["20", "has_errors"]
    )
    assert rows_of(recorded, "a.xlsx").empty


def test_deadline_flags_late(write_app: WriteApp, tmp_path: Path) -> None:
    write_app("late.xlsx", "20", submitted_at="2026/2/20 17:01")
    write_app("ontime.xlsx", "13", submitted_at=dt.datetime(2026, 2, 20, 17, 0))
    intake = read_applications(tmp_path, deadline=DEADLINE)
    apps = intake.applications
    assert apps.loc["20", "late"] and not apps.loc["13", "late"]
    problem = one_problem(intake, "late.xlsx", "warning", "submitted_at")
    assert "期限後提出" in problem["message"] and "2026/02/20 17:01" in problem["message"]
    assert problem["cell"] == cell_of("submitted_at")
    assert not apps.loc["20", "has_errors"] and apps.loc["20", "n_warnings"] == 1
    aware = read_applications(tmp_path, deadline=dt.datetime(2026, 2, 20, 8, 0, tzinfo=dt.timezone.utc))
    assert aware.applications["late"].tolist() == [False, True]
    assert not read_applications(tmp_path).applications["late"].any()


# ---------------------------------------------------------------- cross-field warnings


@pytest.mark.parametrize(
    ("code", "overrides", "key", "words"),
    [
        ("20", {"pool_size_total": 9}, "pool_size_total", ["合計 6", "9 人", "一致しません"]),
        (
            "20",
            {"pool_size_total": 3, "pool_outsourced": None, "pool_secondees": None},
            "pool_size_total",
            ["合計 5", "超えています"],
        ),
        ("20", {"pool_status": "未構築"}, "pool_status", ["未構築", "6 人"]),
        (
            "20",
            {
                "pool_status": "構築済",
                "pool_size_total": 0,
                "pool_accelerators": 0,
                "pool_fixed_term": 0,
                "pool_fulltime": 0,
                "pool_outsourced": 0,
            },
            "pool_status",
            ["構築済", "0 人"],
        ),
        ("20", {"municipalities_supported": 90}, "municipalities_supported", ["90", "長野県", "77"]),
        ("13", {"participating_municipalities": 70}, "participating_municipalities", ["70", "東京都", "62"]),
    ],
)
def test_cross_field_warning(
    code: str, overrides: dict[str, object], key: str, words: list[str], write_app: WriteApp, tmp_path: Path
) -> None:
    write_app("app.xlsx", code, **overrides)
    intake = read_applications(tmp_path)
    problem = one_problem(intake, "app.xlsx", "warning", key)
    assert problem["cell"] == cell_of(key)
    for word in words:
        assert word in problem["message"]
    assert (intake.problems["severity"] == "warning").all()
    assert not intake.applications.loc[code, "has_errors"]
    assert intake.applications.loc[code, "n_warnings"] == 1


# ---------------------------------------------------------------- the folder


def test_other_files_in_folder(write_app: WriteApp, tmp_path: Path) -> None:
    write_app("good.xlsx", "20")
    (tmp_path / "old.xls").write_bytes(ole_bytes("Workbook"))
    (tmp_path / "list.csv").write_text("a,b\n", encoding="utf-8")
    (tmp_path / "参考資料.pdf").write_bytes(b"%PDF-1.4\n")
    (tmp_path / "~$good.xlsx").write_bytes(b"\0" * 165)
    (tmp_path / ".DS_Store").write_bytes(b"\0")
    (tmp_path / "old").mkdir()
    intake = read_applications(tmp_path)
    severity = dict(zip(intake.problems["file"], intake.problems["severity"]))
    assert severity == {
        "old.xls": "error",
        "list.csv": "error",
        "参考資料.pdf": "warning",
        "~$good.xlsx": "warning",
        "old": "warning",
    }
    assert intake.problems.set_index("file").loc["old.xls", "message"].count("xlsx ではありません") == 1
    assert "ロックファイル" in intake.problems.set_index("file").loc["~$good.xlsx", "message"]
    assert list(intake.applications.index) == ["20"]
    assert list(intake.problems["file"]) == sorted(intake.problems["file"])


def test_xlsm_is_read_with_warning(valid_values: Callable[..., dict[str, Any]], tmp_path: Path) -> None:
    write_template(tmp_path / "macro.xlsm", valid_values("20"))
    intake = read_applications(tmp_path)
    assert list(intake.applications.index) == ["20"]
    assert ".xlsm" in one_problem(intake, "macro.xlsm", "warning")["message"]


def test_empty_folder(tmp_path: Path) -> None:
    intake = read_applications(tmp_path)
    assert intake.applications.empty
    assert list(intake.applications.columns) == list(APPLICATION_COLUMNS)
    assert intake.applications.index.name == "application"
    assert list(intake.problems.columns) == list(PROBLEM_COLUMNS)
    assert len(intake.problems) == 1
    problem = intake.problems.iloc[0]
    assert problem["severity"] == "error" and ".xlsx" in problem["message"] and problem["file"] == ""


def test_empty_table_has_the_same_dtypes(write_app: WriteApp, tmp_path: Path) -> None:
    write_app("good.xlsx", "20")
    full = read_applications(tmp_path).applications
    pd.testing.assert_series_equal(empty_applications().dtypes, full.dtypes)


def test_missing_folder(tmp_path: Path) -> None:
    intake = read_applications(tmp_path / "nowhere")
    assert intake.applications.empty
    assert "見つかりません" in intake.problems.iloc[0]["message"]


def test_problems_sorted_by_file_then_row(write_app: WriteApp, tmp_path: Path) -> None:
    write_app("b.xlsx", "20", theme="G", department=None, pool_size_total="多数")
    write_app("a.xlsx", "13", kpis="x", contact_email="bad")
    (tmp_path / "c.txt").write_text("x", encoding="utf-8")
    problems = read_applications(tmp_path).problems
    assert list(problems["file"]) == sorted(problems["file"])
    b = problems[problems["file"] == "b.xlsx"]
    assert list(b["cell"]) == [cell_of("department"), cell_of("pool_size_total"), cell_of("theme")]
    assert set(problems["severity"]) <= {"error", "warning"}
