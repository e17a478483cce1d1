"""Reviewer packets: what an offline reviewer receives, one folder (or zip) each.

:func:`write_packets` writes, per reviewer with applications to score:

- ``採点表_<id>.xlsx``: their own signed 採点表 (:func:`scoring.review.sheets.export_sheet`,
  drafts pre-filled from the store when one is given), which imports back with
  ``python -m scoring sheets import``;
- ``応募書/``: copies of only their assigned, non-conflicted 応募書
  (:func:`scoring.review.sheets.reviewer_applications`; a file of an application they
  declared a 利害関係 for is never copied, checked again before each copy);
- ``評価基準.xlsx``: the rubric's criteria and level anchors
  (:func:`scoring.review.sheets.anchor_table`), readable and printable;
- ``説明.txt``: a short explanation in Japanese (UTF-8 with BOM and CRLF, so Windows' メモ帳
  shows it).

With ``zip_packets=True`` each folder becomes ``審査資料_<id>.zip`` (the folder is not kept).
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..core.errors import ReviewError
from ..core.safefiles import UnsafeFileError, is_regular_file, link_problem, open_regular
from ..core.signing import load_key
from ..core.xlsx import write_workbook
from ..intake.applications import read_application
from ..round.loader import ReviewRound
from ..store.scores import ScoreStore
from .sheets import anchor_table, export_sheet, reviewer_applications, sheet_filename

__all__ = ["ANCHORS_FILE", "APPLICATIONS_FOLDER", "README_FILE", "Packet", "packet_name", "write_packets"]

#: Names inside a packet.
APPLICATIONS_FOLDER = "応募書"
ANCHORS_FILE = "評価基準.xlsx"
README_FILE = "説明.txt"


@dataclass
class Packet:
    """One reviewer's packet."""

    reviewer: str
    #: The folder, or the zip file with ``zip_packets``.
    path: Path
    #: Application ids whose 応募書 were copied, in round order.
    applications: list[str] = field(default_factory=list)


def packet_name(reviewer_id: str) -> str:
    """``審査資料_<id>`` (characters unsafe in file names replaced by _)."""
    return "審査資料_" + re.sub(r'[\\/:*?"<>|\s]+', "_", reviewer_id)


def _criteria_table(rnd: ReviewRound) -> pd.DataFrame:
    rows = []
    for g in rnd.rubric.groups:
        for c in g.criteria:
            rows.append(
                {
                    "観点": g.label_ja,
                    "評価項目": c.label_ja,
                    "配点（点）": float(c.weight),
                    "点数の範囲": f"{min(c.levels):g}〜{max(c.levels):g}",
                    "着眼点": c.guidance_ja,
                }
            )
    return pd.DataFrame(rows)


def _readme(rnd: ReviewRound, reviewer_id: str, files: list[tuple[str, str, str]], sheet: str) -> str:
    r = rnd.reviewer(reviewer_id)
    lines = [
        f"{rnd.config.name}　審査資料",
        "",
        f"審査員: {r.id} {r.name}",
        f"評価基準: {rnd.rubric.name_ja}（版 {rnd.rubric.version}）",
        "",
        "このフォルダの中身",
        f"- {sheet}: あなたの採点表です。黄色のセルに点数とコメントを入力し、ファイル名を変えずに事務局へ返送してください。",
        f"- {APPLICATIONS_FOLDER}/: あなたが担当する応募書（{len(files)} 件）の写しです。",
        f"- {ANCHORS_FILE}: 評価項目と点数ごとの評価基準です。採点の前に読んでください。",
        "",
        "担当する応募",
        *(f"- {a} {name}: {APPLICATIONS_FOLDER}/{file}" for a, name, file in files),
        "",
        "注意",
        "- 利害関係を申告した都道府県の応募書は含まれていません。",
        "- 他の審査員の採点は見えません。相談せずに、ご自身の判断で採点してください。",
        "- 応募書と採点表は委員限りです。第三者に渡したり、外部のサービスに送ったりしないでください。",
        "- 採点表のシートや行・列を追加・削除すると取り込めません。",
        "- 事務局は返送された採点表を python -m scoring sheets import で取り込みます。",
    ]
    return "\r\n".join(lines) + "\r\n"


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def _stage_applications(apps_dir: Path, files: pd.Series, apps: list[str], staging: Path) -> dict[str, Path]:
    """Copy each needed 応募書 once into ``staging`` and check that the copy is that application.

    The source is opened as a regular file only (never a FIFO or device, never a link out
    of the folder), and the copy is read back with the intake reader: a file whose
    prefecture is not the application's (the folder changed since the round was loaded)
    stops the packets, so a file is never handed to a reviewer under another name.
    """
    out: dict[str, Path] = {}
    for a in apps:
        src = apps_dir / files[a]
        problem = link_problem(src, apps_dir) if src.exists() or src.is_symlink() else "見つかりません。"
        if problem is not None or not is_regular_file(src):
            raise ReviewError(
                f"応募 {a} の応募書 {src} を使えません（{problem or '通常のファイルではありません。'}）"
                "応募書のフォルダを確認し、審査ラウンドを読み込み直してから実行してください。"
            )
        dest = staging / f"{a}.xlsx"
        try:
            with open_regular(src) as f:
                dest.write_bytes(f.read())
        except UnsafeFileError as e:
            raise ReviewError(f"応募 {a} の応募書 {src} を読めません: {e}") from None
        record, _ = read_application(dest)
        if record is None or record.get("prefecture") != a:
            got = (
                "読み取れません"
                if record is None
                else f"都道府県コード {record.get('prefecture')} の応募書です"
            )
            raise ReviewError(
                f"応募書 {src.name} は応募 {a} のものではありません（{got}）。読み込んだ後に応募書のフォルダが"
                "変わっています。審査ラウンドを読み込み直してから実行してください。"
            )
        out[a] = dest
    return out


def _write_packet(
    rnd: ReviewRound,
    rid: str,
    apps: list[str],
    out: Path,
    verified: dict[str, Path],
    *,
    store: ScoreStore | None,
    zip_packets: bool,
    key: bytes,
    written: list[Path],
) -> Packet:
    """One reviewer's packet from the verified copies; every path made is appended to ``written``."""
    files = rnd.applications["file"].astype(str)
    files.index = files.index.astype(str)
    names = rnd.applications["prefecture_name"].astype(str)
    names.index = names.index.astype(str)
    conflicts = set(rnd.reviewer(rid).conflicts)
    folder = out / packet_name(rid)
    folder.mkdir()
    written.append(folder)
    (folder / APPLICATIONS_FOLDER).mkdir()
    sheet = export_sheet(rnd, rid, folder / sheet_filename(rid), store=store, key=key)
    copied: list[tuple[str, str, str]] = []
    for a in apps:
        if a in conflicts:  # reviewer_applications never returns one; checked again on purpose
            raise ReviewError(f"審査員 {rid} は応募 {a} と利害関係があります。審査資料を作るのを止めました。")
        shutil.copyfile(verified[a], folder / APPLICATIONS_FOLDER / files[a])
        copied.append((a, str(names.get(a, a)), files[a]))
    write_workbook(
        folder / ANCHORS_FILE, [("評価項目", _criteria_table(rnd)), ("評価基準", anchor_table(rnd.rubric))]
    )
    (folder / README_FILE).write_text(_readme(rnd, rid, copied, sheet.name), encoding="utf-8-sig", newline="")
    path = folder
    if zip_packets:
        path = out / f"{packet_name(rid)}.zip"
        written.append(path)
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for p in sorted(folder.rglob("*")):
                if p.is_file():
                    zf.write(p, (Path(folder.name) / p.relative_to(folder)).as_posix())
        shutil.rmtree(folder)
    return Packet(reviewer=rid, path=path, applications=[a for a, _, _ in copied])


def _packets_to_write(
    rnd: ReviewRound, out: Path, apps_dir: Path, *, zip_packets: bool
) -> list[tuple[str, list[str]]]:
    """(reviewer id, their applications) of each packet to write, once ``out`` is known to be
    usable: outside the applications folder, at least one packet, none already there."""
    if _inside(out, apps_dir):
        raise ReviewError(
            f"出力フォルダ {out} が応募書のフォルダ（{apps_dir}）の中にあります。"
            "応募書として読み込まれてしまうため、別のフォルダを指定してください。"
        )
    todo = [(r.id, reviewer_applications(rnd, r.id)) for r in rnd.reviewers]
    todo = [(rid, apps) for rid, apps in todo if apps]
    if not todo:
        raise ReviewError(
            "採点する応募のある審査員がいません（担当なし、または全て利害関係あり）。"
            "担当（assignments）と応募書を確認してください。"
        )
    for rid, _ in todo:
        target = out / (packet_name(rid) + (".zip" if zip_packets else ""))
        if target.exists():
            raise ReviewError(
                f"{target} は既にあります。上書きしませんでした。空のフォルダを --out に指定してください。"
            )
    return todo


def _remove_partial(written: list[Path], staging: Path, out: Path, *, created: bool) -> None:
    """Remove what a failed run wrote: its packets, the staging folder, ``out`` if it made it and it is empty."""
    for w in written:
        if w.is_dir():
            shutil.rmtree(w, ignore_errors=True)
        else:
            w.unlink(missing_ok=True)
    shutil.rmtree(staging, ignore_errors=True)
    if created and not any(out.iterdir()):
        out.rmdir()


def write_packets(
    rnd: ReviewRound,
    out_dir: str | Path,
    store: ScoreStore | None = None,
    *,
    zip_packets: bool = False,
    key: bytes | None = None,
) -> list[Packet]:
    """Write one packet per reviewer who has applications to score.

    Parameters
    ----------
    rnd : ReviewRound
        The round.
    out_dir : path
        Where the packets go (created). Must not be inside the round's ``applications/``.
    store : ScoreStore, optional
        Pre-fill each 採点表 with the reviewer's drafts and lock submitted rows.
    zip_packets : bool
        Write ``審査資料_<id>.zip`` instead of a folder.
    key : bytes, optional
        The analyst's signing key (default :func:`scoring.core.signing.load_key`).

    Returns
    -------
    list of Packet
        In reviewers.yaml order (reviewers without applications are skipped).

    Raises
    ------
    ReviewError
        ``out_dir`` inside the applications folder, a packet that already exists, no
        reviewer with applications, or an application file that is missing, not a regular
        file, a link out of the folder, or no longer the application it was at load (then
        nothing of this run is left behind).
    """
    out = Path(out_dir)
    apps_dir = rnd.path / "applications"
    todo = _packets_to_write(rnd, out, apps_dir, zip_packets=zip_packets)
    files = rnd.applications["file"].astype(str)
    files.index = files.index.astype(str)
    key = load_key(create=True) if key is None else key
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".packets-", dir=out))
    written: list[Path] = []
    try:
        verified = _stage_applications(
            apps_dir, files, sorted({a for _, apps in todo for a in apps}), staging
        )
        packets = []
        for rid, apps in todo:
            p = _write_packet(
                rnd, rid, apps, out, verified, store=store, zip_packets=zip_packets, key=key, written=written
            )
            packets.append(p)
    except BaseException:
        _remove_partial(written, staging, out, created=created)
        raise
    shutil.rmtree(staging, ignore_errors=True)
    return packets
