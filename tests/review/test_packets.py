"""Reviewer packets: only the reviewer's own non-conflicted 応募書, their 採点表 (which imports back), the anchors."""

from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path

import openpyxl
import pytest
import yaml

from scoring.cli import main
from scoring.core.errors import ReviewError
from scoring.review.packets import ANCHORS_FILE, APPLICATIONS_FOLDER, README_FILE, packet_name, write_packets
from scoring.review.sheet_import import import_sheets
from scoring.review.sheets import FIRST_ROW, SCORE_SHEET, reviewer_applications, sheet_columns
from scoring.round.loader import load_round
from scoring.store.scores import ScoreStore


@pytest.fixture(autouse=True)
def _no_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCORING_DATABASE_URL", raising=False)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _conflicted_round(round_dir: Path) -> Path:
    """The demo round with R2 also in conflict with 01 and 05, and an assignments.csv that
    (wrongly) lists R2 × 01: the loader drops that row, the packet must not hold 01."""
    text = (round_dir / "reviewers.yaml").read_text(encoding="utf-8")
    lines = text.splitlines()
    i = next(k for k, line in enumerate(lines) if line.strip() == "- id: R2")
    j = next(k for k in range(i, len(lines)) if lines[k].strip().startswith("conflicts:"))
    lines[j] = lines[j].split("conflicts:")[0] + 'conflicts: ["01", "05"]'
    (round_dir / "reviewers.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = ["reviewer,application", "R2,01", "R2,02", "R2,03", "R1,01", "R1,05", "R3,20", "R6,20", "R6,03"]
    (round_dir / "assignments.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return round_dir


def test_a_packet_holds_only_the_reviewers_own_non_conflicted_files(
    demo_round_copy: Path, tmp_path: Path
) -> None:
    rnd = load_round(_conflicted_round(demo_round_copy))
    packets = write_packets(rnd, tmp_path / "out")
    by = {p.reviewer: p for p in packets}
    assert set(by) == {"R1", "R2", "R3", "R6"}  # R4, R5 have nothing assigned
    files = rnd.applications["file"]
    for rid, p in by.items():
        conflicts = set(rnd.reviewer(rid).conflicts)
        got = sorted(x.name for x in (p.path / APPLICATIONS_FOLDER).iterdir())
        assert got == sorted(files[a] for a in reviewer_applications(rnd, rid))
        assert not {files[a] for a in conflicts if a in files} & set(got)
        for name in got:  # exact copies
            assert _sha(p.path / APPLICATIONS_FOLDER / name) == _sha(demo_round_copy / "applications" / name)
    assert sorted(by["R2"].applications) == ["02", "03"]
    assert by["R6"].applications == ["03"]
    # The 01 file (R2's conflict) and 20 (R6's) appear in no packet of theirs, nor in any file name there.
    assert not list(by["R2"].path.rglob(files["01"])) and not list(by["R6"].path.rglob(files["20"]))
    readme = (by["R2"].path / README_FILE).read_bytes()
    assert readme.startswith(b"\xef\xbb\xbf") and b"\r\n" in readme
    text = readme.decode("utf-8-sig")
    assert "02 青森県" in text and "北海道" not in text and "利害関係" in text
    anchors = openpyxl.load_workbook(by["R2"].path / ANCHORS_FILE)
    assert anchors.sheetnames == ["評価項目", "評価基準"]
    n_levels = sum(len(c.levels) for c in rnd.rubric.criteria)
    assert anchors["評価基準"].max_row == n_levels + 1
    labels = {c.value for c in anchors["評価項目"]["B"][1:]}
    assert labels == {c.label_ja for c in rnd.rubric.criteria}


def test_the_packets_sheet_imports_back(demo_round_copy: Path, tmp_path: Path) -> None:
    rnd = load_round(demo_round_copy)
    packets = write_packets(rnd, tmp_path / "out", zip_packets=True)
    p = next(x for x in packets if x.reviewer == "R6")
    assert p.path.name == packet_name("R6") + ".zip" and not (tmp_path / "out" / packet_name("R6")).exists()
    with zipfile.ZipFile(p.path) as zf:
        names = zf.namelist()
        assert f"{packet_name('R6')}/{APPLICATIONS_FOLDER}/20_nagano.xlsx" not in names  # R6's conflict
        assert (
            sum(n.startswith(f"{packet_name('R6')}/{APPLICATIONS_FOLDER}/") for n in names)
            == len(rnd.applications) - 1
        )
        zf.extractall(tmp_path / "received")
    sheet = tmp_path / "received" / packet_name("R6") / "採点表_R6.xlsx"
    # The reviewer fills the first application's scores in Excel.
    cols = {
        c.key: openpyxl.utils.get_column_letter(j) for j, c in enumerate(sheet_columns(rnd.rubric), start=1)
    }
    wb = openpyxl.load_workbook(sheet)
    ws = wb[SCORE_SHEET]
    app = str(ws[f"A{FIRST_ROW}"].value)
    for crit in rnd.rubric.criteria:
        level = crit.levels[1]
        ws[f"{cols['score:' + crit.id]}{FIRST_ROW}"] = level
        if crit.comment_required(level):
            ws[f"{cols['comment:' + crit.id]}{FIRST_ROW}"] = "理由（架空）"
    wb.save(sheet)
    with ScoreStore.open(rnd) as store:
        report = import_sheets(rnd, [sheet], store)
        assert report.attrs["status"] == {str(sheet): "imported"}
        scores = store.scores()
    mine = scores[(scores["reviewer"] == "R6") & (scores["application"] == app)]
    assert len(mine) == len(rnd.rubric.criteria)


def test_packets_refuse_unsafe_or_existing_targets(demo_round_copy: Path, tmp_path: Path) -> None:
    rnd = load_round(demo_round_copy)
    with pytest.raises(ReviewError, match="応募書のフォルダ"):
        write_packets(rnd, demo_round_copy / "applications" / "packets")
    assert not (demo_round_copy / "applications" / "packets").exists()
    write_packets(rnd, tmp_path / "out")
    with pytest.raises(ReviewError, match="既にあります"):
        write_packets(rnd, tmp_path / "out")
    apps = demo_round_copy / "applications"
    # A file swapped after the round was loaded: 01's name now holds 20's application
    # (R6's conflict). Nothing is handed out under the wrong name, nothing is left behind.
    original = (apps / "01_hokkaido.xlsx").read_bytes()
    (apps / "01_hokkaido.xlsx").write_bytes((apps / "20_nagano.xlsx").read_bytes())
    with pytest.raises(ReviewError, match="01_hokkaido.xlsx は応募 01 のものではありません"):
        write_packets(rnd, tmp_path / "out2")
    assert not (tmp_path / "out2").exists()
    (apps / "01_hokkaido.xlsx").write_bytes(original)
    (tmp_path / "out3").mkdir()
    (apps / "03_iwate.xlsx").unlink()
    with pytest.raises(ReviewError, match="応募 03 の応募書 .* を使えません"):
        write_packets(rnd, tmp_path / "out3")
    assert list((tmp_path / "out3").iterdir()) == []
    (apps / "03_iwate.xlsx").symlink_to(
        tmp_path / "out" / packet_name("R1") / APPLICATIONS_FOLDER / "03_iwate.xlsx"
    )
    with pytest.raises(ReviewError, match="フォルダの外のファイルへのリンク"):
        write_packets(rnd, tmp_path / "out4")
    (apps / "03_iwate.xlsx").unlink()
    os.mkfifo(apps / "03_iwate.xlsx")
    with pytest.raises(ReviewError, match="通常のファイルではありません"):
        write_packets(rnd, tmp_path / "out5")
    assert not (tmp_path / "out5").exists()


def test_a_round_where_nobody_has_anything_to_score(demo_round_copy: Path, tmp_path: Path) -> None:
    data = yaml.safe_load((demo_round_copy / "reviewers.yaml").read_text(encoding="utf-8"))
    codes = sorted(p.name[:2] for p in (demo_round_copy / "applications").glob("*.xlsx"))
    for r in data["reviewers"]:
        r["conflicts"] = codes  # everyone declared a conflict with everything
    (demo_round_copy / "reviewers.yaml").write_text(
        yaml.safe_dump(data, allow_unicode=True), encoding="utf-8"
    )
    rnd = load_round(demo_round_copy)
    with pytest.raises(ReviewError, match="採点する応募のある審査員がいません"):
        write_packets(rnd, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_packets_command(demo_round_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _conflicted_round(demo_round_copy)
    out = tmp_path / "out"
    assert main(["packets", "--round", str(demo_round_copy), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "R2:" in text and "審査資料 4 人分" in text and "作らなかった審査員: R4、R5" in text
    assert not (demo_round_copy / "scores.sqlite").exists()  # no database is created
    assert sorted(x.name for x in out.iterdir()) == [packet_name(r) for r in ("R1", "R2", "R3", "R6")]
    assert main(["packets", "--round", str(demo_round_copy), "--out", str(out)]) == 2
    assert "既にあります" in capsys.readouterr().err
    assert main(["packets", "--round", str(demo_round_copy), "--out", str(tmp_path / "z"), "--zip"]) == 0
    assert len(list((tmp_path / "z").glob("*.zip"))) == 4
