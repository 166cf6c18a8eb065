"""Exit-package benchmark: package one large practice from the database to files, rows/s and peak RSS.

Run ``python benchmarks/bench_exit.py`` (or ``make bench``). Options: ``--patients N --claims M``
(default 20,000 / 100,000 so `make bench` stays short; the issue's size is
``--patients 200000 --claims 1000000``), ``--postgres URL`` (or OPENMSO_TEST_POSTGRES_URL) to
measure PostgreSQL too (its schema is dropped and recreated), ``--database PATH`` to keep the
SQLite file between runs (generated once).

Setup (not timed): `benchmarks.exit_data.populate` — the practice's patients, coverages, claims with
one line each, a posting for every third claim, and a small neighbouring practice.
Timed, each in a fresh process so peak RSS is the step's own: the exit package as `openmso exit
package` makes it (`exit.tasks.export_package`: the export recorded, the package written in a read snapshot,
the outcome recorded: FHIR NDJSON for ten resource types, CSV of every table, dictionary, X12, documents,
manifest; a second process writes some of the files, and its CPU time and peak RSS are added to the
step's), and the baseline — a bare ``SELECT *`` per practice-owned
table through the DB-API cursor into `csv.writer`, i.e. the floor of dumping the same tables.
Rows = the practice's table rows (what the manifest counts); the package also writes
FHIR resources from them, which the baseline does not.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.child import answer, run_child  # noqa: E402
from openmso.core.db import make_engine, make_session_factory  # noqa: E402
from openmso.core.memory import peak_rss_mb  # noqa: E402
from openmso.core.tenancy import SYSTEM  # noqa: E402
from openmso.exit.package import tables  # noqa: E402
from openmso.exit.tasks import export_package  # noqa: E402

PRACTICE = 1


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_package(url: str, out: Path) -> dict:
    """As `openmso exit package` runs it: the export recorded, then the package written in a read
    snapshot (where a second process writes some files, `exit.package.parallel`), then the outcome."""
    factory = make_session_factory(make_engine(url))
    started, cpu_started = time.perf_counter(), time.process_time() + _children_cpu()
    result = export_package(factory, SYSTEM, PRACTICE, out, var_dir=out.parent / "var")
    seconds = time.perf_counter() - started
    cpu = time.process_time() + _children_cpu() - cpu_started
    fhir = sum(result.manifest["database_counts"]["fhir"].values())
    size = sum(entry["bytes"] for entry in result.manifest["files"])
    return {"seconds": seconds, "cpu_s": cpu, "rows": result.rows, "resources": fhir, "bytes": size,
            "rss_mb": peak_rss_mb() + result.helper_peak_rss_mb}


def run_baseline(url: str, out: Path) -> dict:
    """SELECT * of each practice-owned table straight into csv.writer: no types, no mapping, no hashing."""
    engine = make_engine(url)
    out.mkdir(parents=True)
    started, cpu_started = time.perf_counter(), time.process_time()
    rows = 0
    raw = engine.raw_connection()
    try:
        marker = "%s" if engine.dialect.name == "postgresql" else "?"
        for owned in tables.owned_tables():
            key = owned.key.name
            cursor = raw.cursor(name=f"dump_{owned.name}") if engine.dialect.name == "postgresql" else raw.cursor()
            cursor.execute(f"SELECT * FROM {owned.name} WHERE {key} = {marker}", (PRACTICE,))
            with (out / f"{owned.name}.csv").open("w", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow([column[0] for column in cursor.description or []])
                while batch := cursor.fetchmany(5000):
                    writer.writerows(batch)
                    rows += len(batch)
            cursor.close()
    finally:
        raw.close()
    return {"seconds": time.perf_counter() - started, "cpu_s": time.process_time() - cpu_started, "rows": rows,
            "resources": 0,
            "bytes": sum(p.stat().st_size for p in out.iterdir()), "rss_mb": peak_rss_mb()}


def _child(step: str, url: str, work: Path) -> dict:
    out = work / step
    shutil.rmtree(out, ignore_errors=True)
    result = run_child(__file__, "--child", step, "--url", url, "--out", str(out))
    shutil.rmtree(out, ignore_errors=True)
    return result


def _cpu_calibration() -> float:
    """Seconds for ten million bare Python additions: how fast this machine is right now."""
    started = time.perf_counter()
    total = 0
    for number in range(10_000_000):
        total += number
    return time.perf_counter() - started


def measure(name: str, url: str, work: Path) -> list[tuple]:
    baseline = _child("baseline", url, work)
    package = _child("package", url, work)
    return [(name, "bare SELECT * → csv.writer (baseline)", baseline, 1.0),
            (name, "exit package (FHIR + CSV + manifest)", package, package["seconds"] / baseline["seconds"])]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=20_000)
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--postgres", default=os.environ.get("OPENMSO_TEST_POSTGRES_URL"))
    parser.add_argument("--database", type=Path, help="SQLite file to generate once and reuse")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        step = run_package if args.child == "package" else run_baseline
        return answer(step(args.url, args.out))

    from benchmarks.exit_data import populate  # noqa: PLC0415 - the children do not need the generator
    from openmso.core import migrate  # noqa: PLC0415

    work = Path(tempfile.mkdtemp(prefix="bench_exit_"))
    results = []
    try:
        database = args.database or work / "exit.db"
        engines = [("SQLite", f"sqlite:///{database}")]
        if args.postgres:
            engines.append(("PostgreSQL", args.postgres))
        for name, url in engines:
            if name == "SQLite" and args.database and database.exists():
                print(f"{name}: reusing {database} (its schema brought up to date)", flush=True)
                migrate.upgrade(url)
            else:
                print(f"{name}: generating {args.patients:,} patients and {args.claims:,} claims …", flush=True)
                started = time.perf_counter()
                populate(url, args.patients, args.claims)
                print(f"{name}: generated in {time.perf_counter() - started:.0f} s", flush=True)
            results += measure(name, url, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nExit package of one practice: {args.patients:,} patients, {args.claims:,} claims "
          f"(CPU check: 10M Python additions took {_cpu_calibration():.2f} s on this machine now)")
    header = f"{'engine':<11} {'step':<40} {'rows':>10} {'FHIR res.':>10} {'MB out':>8} {'seconds':>8} " \
             f"{'rows/s':>9} {'peak RSS':>9} {'× baseline':>10} {'CPU s':>7} {'rows/CPU s':>10}"
    print(header)
    print("-" * len(header))
    for name, step, figures, ratio in results:
        rate = figures["rows"] / figures["seconds"]
        print(f"{name:<11} {step:<40} {figures['rows']:>10,} {figures['resources']:>10,} "
              f"{figures['bytes'] / 1e6:>8.1f} {figures['seconds']:>8.1f} {rate:>9,.0f} "
              f"{figures['rss_mb']:>7.0f}MB {ratio:>10.2f} {figures['cpu_s']:>7.1f} "
              f"{figures['rows'] / figures['cpu_s']:>10,.0f}")
    print("Targets (issue 8): >= 50,000 rows/s on SQLite, peak RSS under 300 MB. CPU s: the step's own processes "
          "(what other work on the machine does not change much; on PostgreSQL the server's share is not in it). "
          "Peak RSS of the package: the sum of both processes' peaks (the second is forked, so pages they share "
          "are counted twice).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
