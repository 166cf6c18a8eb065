"""Claims benchmark: scrub + build 837P for N claims, from the database to files, claims/s per engine.

Run ``python benchmarks/bench_claims.py`` (or ``make bench``). Options: ``--claims N`` (default
100,000), ``--postgres URL`` (or OPENMSO_TEST_POSTGRES_URL) to measure PostgreSQL too (its
schema is dropped and recreated), ``--rss`` to also report peak memory for N/5 and N claims in
fresh processes (memory should not grow with N: work is chunked).

Setup (not timed): a demo network with enough patients, then draft claims from demo charges.
Timed: every draft claim scrubbed and every ready one built into 837P batches, each batch's 837P
written to a file, 10,000 claims per transaction: both steps in one run per chunk (`scrub_and_build`),
or with ``--separate`` `scrub_claims` over every chunk, then `build_batches` over every chunk.
Baseline: the bare X12 writer rendering the same number of
generated claims with no database (`openmso.x12.samples`), i.e. the ceiling of the 837P step.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select, text

from openmso.core import migrate
from openmso.core.db import make_engine, make_session_factory, unit_of_work
from openmso.core.memory import peak_rss_mb
from openmso.core.tenancy import SYSTEM
from openmso.demo.generator import AS_OF, build_demo
from openmso.network.models import Practice
from openmso.rcm.claims import batches, building, scrubbing
from openmso.rcm.claims.models import Claim
from openmso.rcm.claims.scrub_and_build import scrub_and_build
from openmso.rcm.claims.x837 import Envelope
from openmso.rcm.demo import create_demo_charges
from openmso.x12 import write_837p
from openmso.x12.samples import generate_claim_transactions, group_header, interchange_header

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script: the repository root
from benchmarks.child import answer, run_child  # noqa: E402

JOB_CHUNK = 10_000
ENVELOPE = Envelope("BENCH MSO", "OPENMSO", "BILLING", "8005550100", "CLEARINGHOUSE", "CH")


def _fresh(url: str) -> None:
    if url.startswith("postgresql"):
        with make_engine(url).begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    migrate.upgrade(url)


def setup(url: str, claims: int) -> None:
    """A network and at least `claims` draft claims (not timed)."""
    _fresh(url)
    factory = make_session_factory(make_engine(url))
    with unit_of_work(factory) as db:
        build_demo(db, seed=3, practices=12, patients=max(2000, int(claims * 0.56)))
    rng = random.Random(5)
    while True:
        with unit_of_work(factory) as db:
            create_demo_charges(db, rng, AS_OF, days=80, visits_per_patient=1.0)
            for practice_id in db.scalars(select(Practice.id)):
                building.build_claims(db, SYSTEM, practice_id)
            total = db.scalar(select(func.count()).select_from(Claim))
        if total >= claims:
            return


def run(url: str, claims: int, out_dir: Path, separate: bool = False) -> dict:
    """Scrub and build 837P files for the first `claims` draft claims; returns the measurements.

    By default each chunk is scrubbed and built in one run (`scrub_and_build`: each claim loaded once);
    `separate` scrubs every chunk first, then builds every chunk (`scrub_claims`, then `build_batches`: each
    claim loaded twice), as `openmso claims scrub` followed by `openmso claims submit` do."""
    factory = make_session_factory(make_engine(url))
    with unit_of_work(factory) as db:
        ids = list(db.scalars(select(Claim.id).order_by(Claim.id).limit(claims)))
    started, cpu_started = time.perf_counter(), time.process_time()
    ready = held = files = sent_claims = 0

    def keep(built) -> None:
        nonlocal files, sent_claims
        for batch in built:
            (out_dir / batch.filename).write_text(batch.content, encoding="latin-1")
            files += 1
            sent_claims += batch.claim_count

    chunks = [ids[start:start + JOB_CHUNK] for start in range(0, len(ids), JOB_CHUNK)]
    if separate:
        for chunk in chunks:  # one transaction per chunk, as `openmso claims scrub` runs
            with unit_of_work(factory) as db:
                report = scrubbing.scrub_claims(db, SYSTEM, claim_ids=chunk, as_of=AS_OF)
                ready, held = ready + report.ready, held + report.held
        scrubbed = time.perf_counter()
        for chunk in chunks:
            with unit_of_work(factory) as db:
                keep(batches.build_batches(db, SYSTEM, ENVELOPE, adapter="bench", claim_ids=chunk))
    else:
        for chunk in chunks:
            with unit_of_work(factory) as db:
                both = scrub_and_build(db, SYSTEM, ENVELOPE, adapter="bench", claim_ids=chunk, as_of=AS_OF)
                ready, held = ready + both.scrub.ready, held + both.scrub.held
                keep(both.batches)
        scrubbed = None
    finished, cpu = time.perf_counter(), time.process_time() - cpu_started
    return {"cpu_s": cpu, "claims": len(ids), "ready": ready, "held": held, "files": files,
            "in_837p": sent_claims, "scrub_s": scrubbed - started if scrubbed else None,
            "build_s": finished - scrubbed if scrubbed else None, "total_s": finished - started}


def writer_baseline(claims: int) -> float:
    """Claims/s of the bare 837P writer (generated claims, no database), best of 2."""
    per = 1000
    transactions = list(generate_claim_transactions(seed=837, count=max(1, claims // per), claims_per_transaction=per))
    best = float("inf")
    for _ in range(2):
        started = time.perf_counter()
        write_837p(io.StringIO(), transactions, interchange_header(1), group_header("HC", 1, "005010X222A1"))
        best = min(best, time.perf_counter() - started)
    return len(transactions) * per / best


def _peak_rss(url: str, claims: int, separate: bool) -> float:
    """Peak RSS (MB, the child's own VmHWM) of a fresh process that only runs scrub + 837P for `claims`
    claims of `url`."""
    return run_child(__file__, "--claims", str(claims), "--run-only", url, *(["--separate"] if separate else []))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--postgres", default=os.environ.get("OPENMSO_TEST_POSTGRES_URL"))
    parser.add_argument("--rss", action="store_true")
    parser.add_argument("--separate", action="store_true", help="scrub every chunk, then build every chunk")
    parser.add_argument("--run-only", help=argparse.SUPPRESS)  # child process of --rss
    args = parser.parse_args()
    if args.run_only:
        with tempfile.TemporaryDirectory() as out:
            run(args.run_only, args.claims, Path(out), args.separate)
        return answer(peak_rss_mb())
    engines = [("SQLite", None)] + ([("PostgreSQL", args.postgres)] if args.postgres else [])
    rows, memory = [], None
    with tempfile.TemporaryDirectory() as workdir:
        for name, url in engines:
            url = url or f"sqlite:///{workdir}/bench.db"
            print(f"{name}: setting up {args.claims:,} draft claims …", flush=True)
            setup(url, args.claims)
            if args.rss and name == "SQLite":
                copies = [Path(workdir) / f"copy{n}.db" for n in (1, 2)]
                for copy in copies:
                    shutil.copyfile(Path(workdir) / "bench.db", copy)
                memory = [(n, _peak_rss(f"sqlite:///{copy}", n, args.separate)) for n, copy in
                          zip((args.claims // 5, args.claims), copies, strict=True)]
            out = Path(workdir) / name
            out.mkdir()
            print(f"{name}: scrub + 837P …", flush=True)
            rows.append((name, run(url, args.claims, out, args.separate)))
    baseline = writer_baseline(min(args.claims, 50_000))
    steps = "scrub every chunk, then build every chunk" if args.separate else "scrub and build each chunk in one run"
    print(f"\nScrub + build 837P, {args.claims:,} claims, {steps} (baseline: bare x12 837P writer, no database, "
          f"{baseline:,.0f} claims/s)")
    print(f"{'engine':<11} {'claims':>8} {'ready':>8} {'held':>7} {'files':>6} {'scrub s':>8} {'837P s':>8} "
          f"{'total s':>8} {'claims/s':>9} {'vs writer':>9} {'our CPU s':>9} {'claims/CPU s':>12}")
    for name, r in rows:
        rate = r["claims"] / r["total_s"]
        scrub_s, build_s = (f"{r[key]:>8.1f}" if r[key] is not None else f"{'-':>8}" for key in ("scrub_s", "build_s"))
        print(f"{name:<11} {r['claims']:>8,} {r['ready']:>8,} {r['held']:>7,} {r['files']:>6} {scrub_s} "
              f"{build_s} {r['total_s']:>8.1f} {rate:>9,.0f} {rate / baseline:>8.2f}x "
              f"{r['cpu_s']:>9.1f} {r['claims'] / r['cpu_s']:>12,.0f}")
    print("our CPU s: this process's CPU time (on PostgreSQL the server's work runs in other processes); "
          "on a shared machine it is steadier than the wall clock")
    if memory:
        print("peak RSS of scrub + 837P in a fresh process (SQLite): "
              + ", ".join(f"{n:,} claims {mb:,.0f} MB" for n, mb in memory))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
