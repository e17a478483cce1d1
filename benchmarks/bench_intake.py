"""Intake speed: read the demo round and a generated 47-application round; and the memory
of hostile files.

Prints the median time per file (target ≤ 30 ms per file), then the peak memory (RSS) of
reading a 1 GiB decompression bomb and the worst file the zip limits accept (styles.xml
packed with cell formats just under ``MAX_MEMBER_BYTES``), each in a fresh process
(target ≤ 300 MB). Nothing is asserted: these machines are noisy. Run: ``make bench`` or
``python benchmarks/bench_intake.py``.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scoring.core.reference import prefectures
from scoring.core.safefiles import MAX_MEMBER_BYTES
from scoring.intake.applications import read_application, read_applications
from scoring.intake.template import example_values, write_template


def per_file_ms(folder: Path, repeats: int = 5) -> tuple[float, float, int]:
    """(median ms per file over files and repeats, ms for the whole folder, n files)."""
    files = sorted(folder.glob("*.xlsx"))
    times = []
    for _ in range(repeats):
        for f in files:
            t0 = time.perf_counter()
            read_application(f)
            times.append((time.perf_counter() - t0) * 1000)
    t0 = time.perf_counter()
    read_applications(folder)
    whole = (time.perf_counter() - t0) * 1000
    return statistics.median(times), whole, len(files)


def main() -> None:
    demo = ROOT / "data" / "demo" / "applications"
    med, whole, n = per_file_ms(demo)
    print(
        f"demo round:      {n:3d} files  median {med:6.1f} ms/file  whole folder {whole:7.1f} ms  (target ≤ 30 ms/file)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for code in prefectures().index:
            write_template(folder / f"{code}.xlsx", example_values(code))
        med, whole, n = per_file_ms(folder)
        print(
            f"generated round: {n:3d} files  median {med:6.1f} ms/file  whole folder {whole:7.1f} ms  (target ≤ 30 ms/file)"
        )
    with tempfile.TemporaryDirectory() as tmp:
        peak_memory(Path(tmp))


_PEAK = (
    "import json, resource, sys; from scoring.intake.applications import read_application; "
    "r, p = read_application(sys.argv[1]); "
    "print(json.dumps({'rss': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, "
    "'loaded': r is not None, 'problems': [x['message'][:60] for x in p]}))"
)


def _padded(src: Path, out: Path, member: str, close: bytes, size: int, piece: object) -> Path:
    """Copy ``src`` with ``size`` bytes from ``piece(i)`` streamed into ``member`` before ``close``."""
    with zipfile.ZipFile(src) as z, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as o:
        for info in z.infolist():
            data = z.read(info)
            if info.filename != member:
                o.writestr(info.filename, data)
                continue
            cut = data.rindex(close)
            with o.open(member, "w", force_zip64=True) as fh:
                fh.write(data[:cut])
                written, i = 0, 0
                while written < size:
                    chunk = piece(i)  # type: ignore[operator]
                    fh.write(chunk)
                    written += len(chunk)
                    i += 1
                fh.write(data[cut:])
    return out


def peak_memory(folder: Path) -> None:
    """Peak RSS of reading hostile files, each in a fresh process."""
    src = write_template(folder / "src.xlsx", example_values("13"))
    rng = random.Random(0)
    zeros = b" " * (1 << 20)
    cases = {
        "1 GiB bomb (sheet XML)": _padded(
            src, folder / "bomb.xlsx", "xl/worksheets/sheet1.xml", b"</sheetData>", 1 << 30, lambda i: zeros
        ),
        "worst accepted (styles)": _padded(
            src,
            folder / "styles.xlsx",
            "xl/styles.xml",
            b"</cellXfs>",
            MAX_MEMBER_BYTES - (64 << 10),
            lambda i: b'<xf numFmtId="%d" fontId="0" fillId="0" borderId="0" xfId="0"/>' % rng.randrange(200),
        ),
        "good file": src,
    }
    for name, path in cases.items():
        out = subprocess.run(
            [sys.executable, "-c", _PEAK, str(path)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
            env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
        )
        res = json.loads(out.stdout)
        verdict = "loaded" if res["loaded"] else f"refused: {res['problems'][0] if res['problems'] else ''}"
        print(
            f"peak memory {name:25s} {path.stat().st_size / 2**20:6.2f} MB file  "
            f"peak RSS {res['rss'] / 2**20:6.1f} MB  (target ≤ 300 MB)  {verdict}"
        )


if __name__ == "__main__":
    main()
