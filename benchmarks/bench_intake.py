"""Intake speed: read the demo round and a generated 47-application round.

Prints the median time per file (target ≤ 30 ms per file). Nothing is asserted: these
machines are noisy. Run: ``make bench`` or ``python benchmarks/bench_intake.py``.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scoring.core.reference import prefectures  # noqa: E402
from scoring.intake.applications import read_application, read_applications  # noqa: E402
from scoring.intake.template import example_values, write_template  # noqa: E402


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
    print(f"demo round:      {n:3d} files  median {med:6.1f} ms/file  whole folder {whole:7.1f} ms  (target ≤ 30 ms/file)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for code in prefectures().index:
            write_template(folder / f"{code}.xlsx", example_values(code))
        med, whole, n = per_file_ms(folder)
        print(f"generated round: {n:3d} files  median {med:6.1f} ms/file  whole folder {whole:7.1f} ms  (target ≤ 30 ms/file)")


if __name__ == "__main__":
    main()
