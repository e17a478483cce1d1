"""No status from file timestamps (issue 19, wrong result 2).

Two files of one prefecture with the same typed 提出日時 were ordered by their modification
time: a plain ``cp -r`` of the round switched 山形 back to its first form (with an error) and
``touch`` flipped the result. Now which file counts is decided by the recorded correction or
resubmission, then by the typed 提出日時; a tie that no record decides is an error naming
both files until the analyst records which one counts.

One scored round is built once for the module and copied four ways (``cp -r``, ``cp -a``,
zip and unzip, ``touch`` on every file); ``eligibility list``, ``select`` and the committee
table must be the same for all (the generation time and the paths aside).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import re
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from scoring import load_round
from scoring.analysis.committee import build_committee
from scoring.cli import main
from scoring.demo.simulate import write_demo_scores
from scoring.intake.template import example_values, write_template
from scoring.round.eligibility import record_eligibility

YAMAGATA, SAGA = "06", "41"
SAME = "2026/2/20 16:00"


def _round(base: Path, copier: Callable[[Path], Path]) -> Path:
    rd = copier(base)
    apps = rd / "applications"
    # 山形: a first form with an error, then its correction typed with the same 提出日時
    write_template(apps / "06_yamagata_訂正.xlsx", example_values(YAMAGATA, submitted_at=SAME, theme="B"))
    write_template(
        apps / "06_yamagata.xlsx",
        example_values(YAMAGATA, submitted_at=SAME, theme="B", pool_size_total="約６人"),
    )
    # 佐賀: two forms with the same 提出日時 and nothing recorded (the analyst must choose)
    write_template(apps / "41_saga_b.xlsx", example_values(SAGA, submitted_at=SAME, theme="D"))
    write_template(apps / "41_saga_a.xlsx", example_values(SAGA, submitted_at=SAME, theme="C"))
    rnd = load_round(rd)
    write_demo_scores(rnd)
    record_eligibility(
        load_round(rd),
        "correction",
        "山形",
        file="06_yamagata_訂正.xlsx",
        by="山田",
        reason="人数の誤記の訂正",
    )
    # the newest modification time on the files that must NOT win, as a late copy would leave it
    now = dt.datetime.now().timestamp()
    for i, name in enumerate(["06_yamagata.xlsx", "41_saga_a.xlsx", "41_saga_b.xlsx"]):
        os.utime(apps / name, (now + 100 + i, now + 100 + i))
    return rd


def _cp_r(src: Path, dst: Path) -> Path:
    return Path(shutil.copytree(src, dst, copy_function=shutil.copy))  # new times, in listing order


def _cp_a(src: Path, dst: Path) -> Path:
    return Path(shutil.copytree(src, dst, copy_function=shutil.copy2))


def _zip(src: Path, dst: Path) -> Path:
    archive = shutil.make_archive(str(dst.parent / f"{dst.name}_zip"), "zip", src)
    with zipfile.ZipFile(archive) as z:
        z.extractall(dst)
    return dst


def _touch(src: Path, dst: Path) -> Path:
    out = _cp_a(src, dst)
    files = sorted(p for p in out.rglob("*") if p.is_file())
    base = dt.datetime(2030, 1, 1).timestamp()
    for i, p in enumerate(reversed(files)):  # the reverse of every order the files were written in
        os.utime(p, (base + i, base + i))
    return out


COPIES = {"cp -r": _cp_r, "cp -a": _cp_a, "zip": _zip, "touch": _touch}


def _run(args: list[str]) -> tuple[int, str]:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(args)
    return code, buf.getvalue()


def _tables(rd: Path) -> dict[str, object]:
    """What must not depend on the copy: printed tables (paths and times removed), the status."""

    def clean(text: str) -> str:
        text = text.replace(str(rd), "<ROUND>")
        text = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)?", "<TIME>", text)
        return re.sub(r"[ \t]+", " ", text)  # column widths follow the path length

    out: dict[str, object] = {}
    out["validate"], text = _run(["validate", str(rd)])
    out["validate_out"] = clean(text)
    code, text = _run(["eligibility", "list", "--round", str(rd)])
    assert code == 0
    out["eligibility"] = clean(text)
    out["select"], text = _run(["select", "--round", str(rd), "--alternatives", "1"])
    out["select_out"] = clean(text)
    rnd = load_round(rd)
    c = build_committee(rnd, n_boot=4, now=dt.datetime(2026, 3, 10, tzinfo=dt.timezone.utc))
    out["ranked"] = c.ranked
    out["files"] = rnd.applications["file"]
    return out


@pytest.fixture(scope="module")
def copies(
    tmp_path_factory: pytest.TempPathFactory, demo_round_copier: Callable[[Path], Path]
) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("copies")
    original = _round(base / "original", demo_round_copier)
    return {"original": original, **{k: f(original, base / k.replace(" ", "_")) for k, f in COPIES.items()}}


def test_the_recorded_correction_decides_a_tie_and_an_unrecorded_tie_is_an_error(
    copies: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    rnd = load_round(copies["original"])
    assert rnd.applications.loc[YAMAGATA, "file"] == "06_yamagata_訂正.xlsx"
    assert not bool(rnd.applications.loc[YAMAGATA, "has_errors"])
    # 佐賀: shown by file name order, an error naming both files until one is recorded
    errors = rnd.problems[
        (rnd.problems["severity"] == "error") & rnd.problems["message"].str.contains("佐賀")
    ]
    [msg] = errors["message"].tolist()
    assert "41_saga_a.xlsx" in msg and "41_saga_b.xlsx" in msg and "提出日時が同じ" in msg
    assert main(["validate", str(copies["original"])]) == 1
    capsys.readouterr()


@pytest.fixture(scope="module")
def original_tables(copies: dict[str, Path]) -> dict[str, object]:
    return _tables(copies["original"])


@pytest.mark.parametrize("name", list(COPIES))
def test_a_copy_gives_the_same_tables(
    name: str, copies: dict[str, Path], original_tables: dict[str, object]
) -> None:
    got = _tables(copies[name])
    for key, value in original_tables.items():
        if isinstance(value, pd.DataFrame | pd.Series):
            pd.testing.assert_frame_equal(pd.DataFrame(got[key]), pd.DataFrame(value), obj=f"{name}: {key}")
        else:
            assert got[key] == value, f"{name}: {key}"


def test_the_analyst_records_which_file_counts(copies: dict[str, Path], tmp_path: Path) -> None:
    rd = _cp_r(copies["original"], tmp_path / "round")
    rec = record_eligibility(
        load_round(rd), "resubmission", "佐賀", file="41_saga_b.xlsx", by="山田", reason="b が正本と確認"
    )
    assert rec.file == "41_saga_b.xlsx"
    rnd = load_round(rd)
    assert (
        rnd.applications.loc[SAGA, "file"] == "41_saga_b.xlsx" and rnd.applications.loc[SAGA, "theme"] == "D"
    )
    assert not (rnd.problems["message"].str.contains("提出日時が同じ")).any()


def test_touch_does_not_change_which_file_counts(demo_round_copy: Path) -> None:
    """Without any record: ``touch`` on the other file changes nothing (on the old code it
    switched the file in use, silently)."""
    apps = demo_round_copy / "applications"
    write_template(apps / "41_saga_b.xlsx", example_values(SAGA, submitted_at=SAME, theme="D"))
    write_template(apps / "41_saga_a.xlsx", example_values(SAGA, submitted_at=SAME, theme="C"))
    before = load_round(demo_round_copy)
    shown = str(before.applications.loc[SAGA, "file"])
    other = apps / ("41_saga_a.xlsx" if shown == "41_saga_b.xlsx" else "41_saga_b.xlsx")
    later = dt.datetime.now().timestamp() + 1000
    os.utime(other, (later, later))
    after = load_round(demo_round_copy)
    assert after.applications.loc[SAGA, "file"] == shown
    assert bool(after.applications.loc[SAGA, "has_errors"])  # the tie is an error until recorded
