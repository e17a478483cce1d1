"""Load a folder of 応募書 (.xlsx) into one applications table and one problems table.

Every file in the folder is looked at once. Bad input never stops the load and never
hides a good file: each fault becomes a row of the problems table (what is wrong, where,
and what to do, in Japanese) and the other files still load.

Typical use in a notebook::

    intake = read_applications("data/round/applications", deadline=DEADLINE)
    intake.problems      # show to the analyst first
    intake.applications  # one row per prefecture, index "application" (JIS code)

The two tables of :func:`read_applications`:

**applications** — one row per prefecture, ordered by JIS code. Index ``application``:
the prefecture's two-digit JIS code (str, "01".."47"). Columns, in this order
(:data:`APPLICATION_COLUMNS`):

- ``file`` (str): name of the file the row was read from.
- one column per field of :data:`scoring.core.schema.FIELDS`, missing or invalid values as
  NA:

  - text, long text, e-mail and choice fields: pandas' default string dtype
    (``str`` in pandas 3, missing = NaN; ``string`` in pandas 2). Choice fields hold
    the canonical choice (手上げ式, 構築済 …).
  - ``prefecture``: JIS code (str, equal to the index); ``theme``: letter A–F (str).
  - int fields (人, 団体): ``Int64``.
  - ``submitted_at``: ``datetime64[ns, Asia/Tokyo]``.
  - date fields (``dx_body_since``, ``target_date``): ``datetime64[ns]``, naive,
    at midnight (a calendar date; use ``.dt.date`` for ``datetime.date``).
- ``theme_name`` (str): the Japanese name of the theme (データ利活用).
- ``prefecture_name`` (str): official name (長野県).
- ``late`` (bool): ``submitted_at`` after ``deadline`` (False without a deadline or a
  submission time). A form that says プッシュ型 is no exception here: プッシュ型 is the
  ministry's recorded decision. A round applies its recorded eligibility decisions
  (期限後受理, プッシュ型, …) on top (:func:`scoring.round.eligibility.apply_eligibility`).
- ``withdrawn`` (bool): the application was withdrawn (辞退); always False here, set by
  the round's recorded decisions.
- ``has_errors`` (bool): the file has at least one ``error`` problem (a required field
  missing or invalid); the row is kept so that the analyst can decide.
- ``n_warnings`` (int64): number of ``warning`` problems of the file.
- reference columns from :func:`scoring.core.reference.prefectures`: ``block`` (str, the
  textbook 8 regional blocks ``region_ja``; a round may re-map it with
  :func:`scoring.core.reference.prefecture_blocks`), ``municipalities`` (int64, 市町村
  without Tokyo's 特別区), ``municipalities_incl_wards`` (int64, 市区町村),
  ``population_2020_exact`` (int64, persons, 2020 census),
  ``pop_change_2015_2020_pct`` (float64, %), ``towns_villages_share_pct`` (float64,
  % of 町村 among municipalities), ``cities_shi``, ``towns_machi``,
  ``villages_mura`` (int64).

**problems** — columns :data:`scoring.core.schema.PROBLEM_COLUMNS`, all str: ``file`` (file
name; "" for the folder), ``sheet`` (応募書, or "" for a file-level problem), ``cell``
(C12, or ""), ``field`` (Japanese label, or ""), ``severity`` (error / warning / info),
``message`` (what is wrong, quoting what was typed), ``action`` (対処: what to do).
Sorted by file, then row.

One book is read by the private :mod:`scoring.intake._book` (its cells, fields and
cross-field checks); this module handles the folder, the duplicates, the deadline and the tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final, Literal, NamedTuple

import pandas as pd

from ..core.clock import JST
from ..core.columns import APPLICATION_COLUMNS, REFERENCE_COLUMNS, SUPERSEDED_COLUMNS
from ..core.reference import prefectures
from ..core.safefiles import (
    link_problem,
    name_problem,
    visible_name,
)
from ..core.schema import (
    FIELDS,
    PROBLEM_COLUMNS,
    PUSH_TYPE,
    THEMES,
)
from ._book import _names, _problem, _Read, _read

__all__ = [
    "APPLICATION_COLUMNS",
    "MAX_BYTES",
    "REFERENCE_COLUMNS",
    "Intake",
    "empty_applications",
    "empty_problems",
    "read_application",
    "read_applications",
    "superseded_frame",
]

#: Default size limit of one file; larger files are reported and not opened.
MAX_BYTES = 20 * 1024 * 1024

#: Other files that look like an application in the wrong format: an error, not a warning.
_SPREADSHEET_EXTS = {".xls", ".xlsb", ".ods", ".csv", ".numbers"}
_IGNORED_NAMES = {"thumbs.db", "desktop.ini"}
_INT_DTYPE: Final = "Int64"
#: pandas' default string dtype: "str" in pandas 3 (missing = NaN), "string" before (missing = NA).
_STR_DTYPE: Literal["str", "string"] = "str" if int(pd.__version__.split(".")[0]) >= 3 else "string"
_DATETIME_DTYPE = pd.DatetimeTZDtype("ns", JST)
_DATE_DTYPE: Final = "datetime64[ns]"


class Intake(NamedTuple):
    """Result of :func:`read_applications`: the applications and the problems found."""

    applications: pd.DataFrame
    problems: pd.DataFrame
    #: Files replaced by a newer submission of the same prefecture: columns
    #: :data:`~scoring.core.columns.SUPERSEDED_COLUMNS` (``submitted_at`` aware, JST).
    superseded: pd.DataFrame | None = None


# ---------------------------------------------------------------- problems


def _cell_row(cell: str) -> int:
    digits = "".join(ch for ch in cell if ch.isdigit())
    return int(digits) if digits else 0


def empty_problems() -> pd.DataFrame:
    """A problems table with no rows and the columns of ``PROBLEM_COLUMNS``."""
    return pd.DataFrame({c: pd.Series([], dtype=_STR_DTYPE) for c in PROBLEM_COLUMNS})


def _problem_frame(rows: list[dict[str, str]]) -> pd.DataFrame:
    if not rows:
        return empty_problems()
    ordered = sorted(enumerate(rows), key=lambda ir: (ir[1]["file"], _cell_row(ir[1]["cell"]), ir[0]))
    df = pd.DataFrame([r for _, r in ordered], columns=list(PROBLEM_COLUMNS))
    return df.astype(_STR_DTYPE).reset_index(drop=True)


# ---------------------------------------------------------------- one file


def read_application(
    path: str | Path, *, max_bytes: int = MAX_BYTES
) -> tuple[dict[str, Any] | None, list[dict[str, str]]]:
    """Read one 応募書 file.

    Parameters
    ----------
    path : str or Path
        The .xlsx file.
    max_bytes : int
        Files larger than this are reported and not opened.

    Returns
    -------
    record : dict or None
        ``file`` (the file name) and every field key of :data:`scoring.core.schema.FIELDS`
        with its typed value (``None`` when empty or invalid): ``prefecture`` is the JIS
        code, ``theme`` the letter, ints are ``int``, ``submitted_at`` an aware
        ``datetime`` (JST), date fields ``datetime.date``. ``None`` when the file cannot
        be used or its prefecture cannot be identified.
    problems : list of dict
        One dict per problem with the keys of :data:`scoring.core.schema.PROBLEM_COLUMNS`.
        Checks that need the other files (duplicates) or the deadline are done by
        :func:`read_applications`.
    """
    read = _read(Path(path), max_bytes)
    return read.record, read.problems


# ---------------------------------------------------------------- the folder


def _other_file(name: str) -> dict[str, str]:
    ext = Path(name).suffix.lower()
    if ext in _SPREADSHEET_EXTS:
        return _problem(
            name,
            "error",
            f"{ext or '拡張子なし'} のファイルです（xlsx ではありません）。応募書として読み込んでいません。",
            "Excel で開き「Excel ブック (*.xlsx)」として保存し直すか、様式（.xlsx）での再提出を依頼してください。",
        )
    if ext == ".zip":
        return _problem(
            name,
            "warning",
            "zip ファイルです（xlsx ではありません）。中身は読み込んでいません。",
            "展開して、中の応募書（.xlsx）をこのフォルダに置いてください。",
        )
    return _problem(
        name,
        "warning",
        f"{ext or '拡張子なし'} のファイルです（xlsx ではありません）。読み込んでいません。",
        "添付資料であればそのままで構いません。応募書であれば様式（.xlsx）での再提出を依頼してください。",
    )


def _as_aware(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=JST) if value.tzinfo is None else value


def _fmt(value: dt.datetime) -> str:
    return value.astimezone(JST).strftime("%Y/%m/%d %H:%M")


def _tie_problem(winner: _Read, tied: list[_Read], name: str, code: str) -> None:
    """An error on ``winner``: files with the same 提出日時 and no record deciding between them."""
    assert winner.record is not None
    files = "、".join(r.file for r in [*tied, winner])
    at = winner.record["submitted_at"]
    when = _fmt(at) if at is not None else "提出日時なし"
    winner.add(
        "error",
        f"同じ団体（{name}）の応募書 {files} の提出日時が同じ（{when}）で、どれを使うか決められません"
        f"（ファイルの更新日時では決めません）。いまはファイル名の順で {winner.file} を表示しています。",
        "使う応募書を記録してください（python -m scoring eligibility correction または resubmission "
        f"--application {code} --file 使う応募書のファイル名 --by 名前 --reason 理由）。"
        "記録するまでこの応募はエラーとして扱います。",
        key="submitted_at",
    )


def _keep_latest(
    reads: list[_Read], recorded: Mapping[str, Sequence[str]]
) -> tuple[list[_Read], list[dict[str, Any]]]:
    """One read per prefecture: the latest submission; each superseded file reported once (情報).

    Which file counts: the latest typed 提出日時; among files with the same 提出日時, the one a
    recorded correction or resubmission names (the latest record wins). Never the file's
    modification time: a copied round (``cp -r``, zip, ``touch``) gives the same result. A
    tie that no record decides is an error on the file shown (named by file name order),
    naming every tied file, until the analyst records which one counts.

    Returns the kept reads and one record per superseded file (``SUPERSEDED_COLUMNS``). The
    superseded file's own problems are dropped: it is not used, so only the reason it was
    replaced is reported.
    """
    by_code: dict[str, list[_Read]] = {}
    for r in reads:
        assert r.record is not None
        by_code.setdefault(r.record["prefecture"], []).append(r)
    names = _names()
    kept: list[_Read] = []
    superseded: list[dict[str, Any]] = []
    earliest = dt.datetime.min.replace(tzinfo=dt.timezone.utc)
    for code, group in by_code.items():
        if len(group) == 1:
            kept.append(group[0])
            continue
        files = list(recorded.get(code, ()))

        def rank(r: _Read, files: list[str] = files) -> int:
            return max((i for i, f in enumerate(files) if f == r.file), default=-1)

        def key(r: _Read) -> tuple[dt.datetime, int]:
            return (r.record["submitted_at"] or earliest, rank(r))  # type: ignore[index]

        group.sort(key=lambda r: (*key(r), r.file))
        winner, losers = group[-1], group[:-1]
        tied = [r for r in losers if key(r) == key(winner)]
        for r in losers:
            assert r.record is not None
            r.problems = []
        kept.append(winner)
        if tied:
            _tie_problem(winner, tied, names[code], code)
        assert winner.record is not None
        won_at = winner.record["submitted_at"]
        when = f"{_fmt(won_at)}" if won_at is not None else "受付日時なし"
        for r in losers:
            assert r.record is not None
            r.add(
                "info",
                f"同じ団体（{names[code]}）の新しい提出（{winner.file}, 受付日時 {when}）があるため、"
                "この提出は置き換えられました（使用していません）。",
                "再提出・訂正であれば対処は不要です（python -m scoring eligibility resubmission / correction で"
                "記録できます）。別の都道府県の誤記であれば、提出元に修正を依頼してください。",
                key="prefecture",
            )
            superseded.append(
                {
                    "file": r.file,
                    "application": code,
                    "submitted_at": r.record["submitted_at"],
                    "replaced_by": winner.file,
                }
            )
    return kept, superseded


def superseded_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    """The superseded files as a table (columns :data:`~scoring.core.columns.SUPERSEDED_COLUMNS`)."""
    df = pd.DataFrame(records, columns=list(SUPERSEDED_COLUMNS))
    df["submitted_at"] = pd.to_datetime(df["submitted_at"], utc=True).dt.tz_convert(JST)
    return df.astype({c: object for c in ("file", "application", "replaced_by")})


def read_applications(
    folder: str | Path,
    *,
    deadline: dt.datetime | None = None,
    max_bytes: int = MAX_BYTES,
    recorded: Mapping[str, Sequence[str]] | None = None,
) -> Intake:
    """Read every 応募書 in ``folder`` into an applications table and a problems table.

    Every ``*.xlsx`` in the folder (not its subfolders) is read; ``*.xlsm`` too, with a
    warning. Other files are reported (spreadsheets such as .xls/.csv as errors,
    attachments such as .pdf/.docx as warnings); hidden files are ignored and Excel lock
    files (``~$*.xlsx``) reported as warnings. A bad file never stops the load: it gives
    problem rows and the other files still load.

    Parameters
    ----------
    folder : str or Path
        Folder that holds the submitted files.
    deadline : datetime, optional
        Submission deadline (naive = Japan time). Applications submitted after it stay in
        the table with ``late`` True and a 期限後提出 warning.
    max_bytes : int
        Files larger than this are reported and not opened (default 20 MB).
    recorded : mapping, optional
        Application (JIS code) → the files named by its recorded corrections and
        resubmissions, oldest first (:func:`scoring.round.loader.load_round` passes them):
        among files of one prefecture with the same 提出日時, the one recorded last counts.

    Returns
    -------
    Intake
        ``applications`` and ``problems`` as described below.

    Notes
    -----
    The columns of the two tables are described in the docstring of this module
    (:mod:`scoring.intake.applications`).

    Kinds of problem: folder missing or without .xlsx files; non-xlsx files; lock files;
    subfolders; a name with control, bidirectional or zero-width characters (shown as
    ``<U+202E>``, not read); a symbolic link leaving the folder (not read); a FIFO, device
    or other non-regular file (never opened); a decompression bomb
    (:func:`scoring.core.safefiles.inspect_xlsx`, not opened); a formula in an input cell
    (its cached value used with a warning; none, 0, empty or an error value is an error
    「数式のセル: 値を直接入力してください」); file over ``max_bytes``; empty file; text or PDF named .xlsx; corrupt zip;
    password-protected (encrypted) file; .xls binary renamed; another template version
    or no 応募書 sheet (様式が異なります, file not loaded); a field row deleted or
    duplicated; a required field empty; a value that cannot be read (number, date,
    choice, prefecture with suggestions, theme, e-mail); an int out of range; an
    unidentifiable prefecture (file not loaded); two files for one prefecture (the later
    ``submitted_at`` is kept, ties by the recorded correction or resubmission, else an
    error naming the tied files (never by file time); the superseded file is reported
    once, as ``info``, naming the file that replaced it and its time, and listed in
    ``Intake.superseded``); cross-field warnings (pool
    breakdown sum, 未構築 with members, 構築済 without, municipality counts above the
    prefecture's); submission after the deadline (期限後提出).
    """
    folder = Path(folder)
    if not folder.is_dir():
        missing = _problem(
            "",
            "error",
            f"フォルダ {folder} が見つかりません。",
            "応募書を保存したフォルダのパスを確認してください。",
        )
        return Intake(empty_applications(), _problem_frame([missing]), superseded_frame([]))
    problems, reads = _read_folder(folder, max_bytes)
    kept, superseded = _keep_latest([r for r in reads if r.record is not None], recorded or {})
    late = _check_deadline(kept, deadline)
    for r in reads:
        problems.extend(r.problems)
    records = [_application_record(r, late[r.file]) for r in kept]
    return Intake(_application_frame(records), _problem_frame(problems), superseded_frame(superseded))


def _read_folder(folder: Path, max_bytes: int) -> tuple[list[dict[str, str]], list[_Read]]:
    """Look at each file of ``folder`` once: the folder's problems and the reads."""
    problems: list[dict[str, str]] = []
    reads: list[_Read] = []
    n_books = 0
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        name = path.name
        if name.startswith(".") or name.lower() in _IGNORED_NAMES:
            continue
        unsafe = name_problem(name) or link_problem(path, folder)
        if unsafe is not None:
            n_books += path.suffix.lower() in (".xlsx", ".xlsm")
            problems.append(
                _problem(
                    visible_name(name),
                    "error",
                    unsafe,
                    "提出されたファイルか確認し、応募書であれば通常の名前（見えない文字なし）のファイルとして"
                    "このフォルダに保存し直してください。",
                )
            )
            continue
        not_read = _not_a_book(path)
        if not_read is not None:
            problems.append(not_read)
            continue
        n_books += 1
        reads.append(_read_book(path, max_bytes))
    if n_books == 0:
        problems.append(
            _problem(
                "",
                "error",
                f"フォルダ {folder.name} に応募書（.xlsx）がありません。",
                "応募書を保存したフォルダを指定しているか確認してください。",
            )
        )
    return problems, reads


def _not_a_book(path: Path) -> dict[str, str] | None:
    """The problem of a subfolder, an Excel lock file or a file that is not .xlsx/.xlsm, else None."""
    name = path.name
    if path.is_dir():
        return _problem(
            name,
            "warning",
            "サブフォルダです。中のファイルは読み込んでいません。",
            "応募書であれば、このフォルダの直下に移してください。",
        )
    if name.startswith("~$"):
        return _problem(
            name,
            "warning",
            "Excel で開いたままのロックファイルです。無視しました。",
            "Excel を閉じてから読み込み直してください（ファイルが残る場合は削除して構いません）。",
        )
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return _other_file(name)
    return None


def _read_book(path: Path, max_bytes: int) -> _Read:
    """Read one .xlsx or .xlsm file of the folder (a macro-enabled book with a warning)."""
    read = _read(path, max_bytes)
    if path.suffix.lower() == ".xlsm":
        read.add(
            "warning",
            "マクロ有効ブック（.xlsm）です。入力値のみ読み込みました（マクロは実行しません）。",
            "次回からは様式どおり .xlsx で提出するよう依頼してください。",
        )
    return read


def _check_deadline(kept: list[_Read], deadline: dt.datetime | None) -> dict[str, bool]:
    """File → submitted after the deadline (期限後提出, a warning).

    A form that says プッシュ型 is late all the same: プッシュ型 is the ministry's decision,
    recorded in the round (``eligibility push``, :func:`scoring.round.eligibility.apply_eligibility`),
    not something the applicant can claim on its own form.
    """
    limit = _as_aware(deadline) if deadline is not None else None
    late: dict[str, bool] = {}
    for r in kept:
        assert r.record is not None
        submitted = r.record["submitted_at"]
        late[r.file] = bool(limit is not None and submitted is not None and submitted > limit)
        if late[r.file]:
            assert limit is not None
            push = r.record.get("application_type") == PUSH_TYPE
            r.add(
                "warning",
                f"期限後提出: 提出日時 {_fmt(submitted)} は提出期限 {_fmt(limit)} より後です。",
                "受理するかどうかを事務局で判断してください（applications の late 列が True です）。"
                + (
                    "プッシュ型は総務省の決定の記録（eligibility push）があるときだけ期限が適用されません。"
                    if push
                    else ""
                ),
                key="submitted_at",
            )
    return late


def _application_record(read: _Read, late: bool) -> dict[str, Any]:
    """One row of the applications table: the read's record and its status columns."""
    assert read.record is not None
    errors = sum(p["severity"] == "error" for p in read.problems)
    warnings = sum(p["severity"] == "warning" for p in read.problems)
    return {**read.record, "late": late, "withdrawn": False, "has_errors": errors > 0, "n_warnings": warnings}


# ---------------------------------------------------------------- the table


def empty_applications() -> pd.DataFrame:
    """An applications table with no rows, the columns of :data:`APPLICATION_COLUMNS` and their dtypes."""
    return _application_frame([])


def _application_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    records = sorted(records, key=lambda r: r["prefecture"])
    codes = [r["prefecture"] for r in records]
    index = pd.Index(codes, dtype=_STR_DTYPE, name="application")
    ref = prefectures()
    ref = ref.assign(block=ref["region_ja"]).reindex(codes)

    def col(key: str) -> list[Any]:
        return [r.get(key) for r in records]

    data: dict[str, Any] = {"file": pd.Series(col("file"), index=index, dtype=_STR_DTYPE)}
    for f in FIELDS:
        values = col(f.key)
        if f.kind == "int":
            data[f.key] = pd.Series(pd.array(values, dtype=_INT_DTYPE), index=index)
        elif f.kind == "datetime":
            stamps = [pd.Timestamp(v).tz_convert(JST) if v is not None else pd.NaT for v in values]
            data[f.key] = pd.Series(stamps, index=index, dtype="object").astype(_DATETIME_DTYPE)
        elif f.kind == "date":
            stamps = [pd.Timestamp(v) if v is not None else pd.NaT for v in values]
            data[f.key] = pd.Series(stamps, index=index, dtype="object").astype(_DATE_DTYPE)
        else:
            data[f.key] = pd.Series(values, index=index, dtype="object").astype(_STR_DTYPE)
    data["theme_name"] = pd.Series(
        [THEMES.get(t) if t else None for t in col("theme")], index=index, dtype="object"
    ).astype(_STR_DTYPE)
    data["prefecture_name"] = pd.Series(ref["name_ja"].to_numpy(), index=index, dtype=_STR_DTYPE)
    data["late"] = pd.Series(col("late"), index=index, dtype=bool)
    data["withdrawn"] = pd.Series([bool(v) for v in col("withdrawn")], index=index, dtype=bool)
    data["has_errors"] = pd.Series(col("has_errors"), index=index, dtype=bool)
    data["n_warnings"] = pd.Series(col("n_warnings"), index=index, dtype="int64")
    for c in REFERENCE_COLUMNS:
        source = ref[c]
        dtype = _STR_DTYPE if c == "block" else prefectures()[c].dtype
        data[c] = pd.Series(source.to_numpy(), index=index).astype(dtype)
    df = pd.DataFrame(data, index=index)
    return df.loc[:, list(APPLICATION_COLUMNS)]
