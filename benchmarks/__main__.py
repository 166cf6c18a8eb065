"""Run every benchmark script (`benchmarks/bench_*.py`), or the ones named: `python -m benchmarks x12 demo`.

Each script is a standalone program that prints its own table with a ratio against a named
baseline; this runner only finds them and runs each in its own process, so one benchmark's memory
never inflates another's peak RSS.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if argv:
        scripts = [s for s in scripts if any(name in s.stem for name in argv)]
    failures = 0
    for script in scripts:
        print(f"\n=== {script.stem} ===", flush=True)
        failures += subprocess.call([sys.executable, str(script)]) != 0
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
