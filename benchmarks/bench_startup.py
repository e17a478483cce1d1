"""Start-up time of the command line (issue 8: ``--help`` ≤ 0.3 s on the 2-core machine).

Times ``python -m scoring --help``, ``validate`` (on the demo round) and ``template``
against a bare ``python -c pass``, as the median of repeated runs, and lists the heavy
libraries each one imports (``python -X importtime``): none of scikit-learn, scipy or
matplotlib should appear. Prints figures; asserts nothing.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("sklearn", "scipy", "matplotlib")
REPEAT = 7


def wall(args: list[str]) -> float:
    times = []
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        subprocess.run(args, cwd=ROOT, check=False, capture_output=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def heavy_imports(args: list[str]) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", *args[1:]], cwd=ROOT, check=False, capture_output=True, text=True
    )
    found = {h for line in proc.stderr.splitlines() for h in HEAVY if line.rstrip().endswith(f" {h}")}
    return sorted(found)


def main() -> None:
    out = Path(tempfile.mkdtemp()) / "template.xlsx"
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "--help": [sys.executable, "-m", "scoring", "--help"],
        "validate data/demo": [sys.executable, "-m", "scoring", "validate", "data/demo"],
        "template": [sys.executable, "-m", "scoring", "template", str(out)],
    }
    base = wall(commands["python -c pass"])
    print(f"{'command':<22} {'median s':>9} {'× bare':>7}  heavy imports")
    for name, args in commands.items():
        t = base if name == "python -c pass" else wall(args)
        heavy = "" if name == "python -c pass" else (", ".join(heavy_imports(args)) or "none")
        target = "  [target ≤ 0.3 s]" if name == "--help" else ""
        print(f"{name:<22} {t:9.3f} {t / base:7.1f}  {heavy}{target}")


if __name__ == "__main__":
    main()
