"""Demo network build: time, rows/s and database size, default network and 100 practices / 500k patients.

Baseline in the same run: the same patients and coverages written the naive way, one ORM object
at a time through the unit of work (what a first implementation would do), on a 20,000-patient
slice; the ratio says what bulk INSERT … RETURNING buys.

    python benchmarks/bench_demo.py [--quick] [--postgres URL]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select, text

from openmso.core import migrate
from openmso.core.db import make_engine, make_session_factory, unit_of_work
from openmso.demo.generator import build_demo
from openmso.network.models import Coverage, Patient, Practice


def _db_size(engine, path: Path | None) -> str:
    if path is not None:
        size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))  # main file + WAL
    else:
        with engine.connect() as c:
            size = c.execute(text("SELECT pg_database_size(current_database())")).scalar()
    return f"{size / 1_048_576:,.1f} MB"


def _fresh(url: str | None) -> tuple[str, Path | None]:
    if url:
        engine = make_engine(url)
        with engine.begin() as c:
            c.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            c.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        return url, None
    path = Path(tempfile.mkdtemp(prefix="openmso-bench-")) / "bench.db"
    return f"sqlite:///{path}", path


def run_build(label: str, practices: int, patients: int, pg_url: str | None) -> dict:
    url, path = _fresh(pg_url)
    migrate.upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    started = time.perf_counter()
    with unit_of_work(factory) as db:
        summary = build_demo(db, practices=practices, patients=patients)
    elapsed = time.perf_counter() - started
    rows = summary.patients + summary.coverages
    result = {"label": label, "engine": engine.dialect.name, "practices": summary.practices,
              "patients": summary.patients, "coverages": summary.coverages, "seconds": elapsed,
              "rows_per_s": rows / elapsed, "size": _db_size(engine, path)}
    engine.dispose()
    return result


def run_naive_baseline(patients: int) -> dict:
    """One ORM object per patient and coverage, flushed by the unit of work."""
    url, path = _fresh(None)
    migrate.upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with unit_of_work(factory) as db:
        build_demo(db, practices=1, patients=0)
    rng = random.Random(1)
    started = time.perf_counter()
    with unit_of_work(factory) as db:
        practice_id = db.scalar(select(Practice.id))
        for n in range(patients):
            patient = Patient(practice_id=practice_id, mrn=f"N{n}", first_name="Pat", last_name=f"Naive{n % 97}",
                              birth_date=date(1950, 1, 1) + timedelta(days=rng.randint(0, 25000)), sex="F")
            patient.coverages.append(Coverage(practice_id=practice_id, payer_id=1, member_id=f"M{n}",
                                              effective_from=date(2024, 1, 1)))
            db.add(patient)
            if n % 1000 == 999:
                db.flush()
    elapsed = time.perf_counter() - started
    with factory() as db:
        assert db.scalar(select(func.count()).select_from(Patient)) == patients
    engine.dispose()
    del path
    return {"seconds": elapsed, "rows_per_s": 2 * patients / elapsed}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="skip the 500k-patient network")
    parser.add_argument("--postgres", default=os.environ.get("OPENMSO_BENCH_POSTGRES_URL"),
                        help="also build on this PostgreSQL database (its public schema is dropped!)")
    args = parser.parse_args()
    runs = [("default (12 practices)", 12, 20_000)]
    if not args.quick:
        runs.append(("large (100 practices)", 100, 500_000))
    results = [run_build(label, p, n, None) for label, p, n in runs]
    if args.postgres:
        results += [run_build(label, p, n, args.postgres) for label, p, n in runs]
    baseline = run_naive_baseline(20_000)
    bulk_default = results[0]["rows_per_s"]
    print(f"{'network':<24}{'engine':<12}{'practices':>10}{'patients':>10}{'coverages':>11}{'seconds':>9}"
          f"{'rows/s':>11}{'db size':>12}")
    for r in results:
        print(f"{r['label']:<24}{r['engine']:<12}{r['practices']:>10,}{r['patients']:>10,}{r['coverages']:>11,}"
              f"{r['seconds']:>9.1f}{r['rows_per_s']:>11,.0f}{r['size']:>12}")
    print(f"{'naive ORM baseline':<24}{'sqlite':<12}{1:>10}{20_000:>10,}{20_000:>11,}{baseline['seconds']:>9.1f}"
          f"{baseline['rows_per_s']:>11,.0f}")
    speedup = bulk_default / baseline['rows_per_s']
    print(f"\nbulk demo build vs one-object-at-a-time ORM (SQLite, rows/s): {speedup:.1f}x")
    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
