"""835 posting benchmark: ingest + post one generated 835 paying 100,000 claims (~300,000 service lines)
into a database that already holds those claims, beside the parse-only rate of the same file.

Run ``python benchmarks/bench_remit.py`` (or ``make bench``). Options: ``--claims N`` (default 100000),
``--sizes A,B`` claim counts for the peak-memory runs (default 25000,100000), ``--postgres URL`` (or
``OPENMSO_BENCH_POSTGRES_URL``) to measure PostgreSQL too (the database is emptied first).

Set-up: a one-practice demo network, then the claims and their lines written with multi-row Core
inserts (status payer_accepted, three lines each: 99213 + one or two of 36415/85025/80053), then one
835 transaction set paying every claim (CO-45 write-down, PR-2 on the first line, one in twelve
denied CO-197) written with the codec's `write_835`. Each run is a fresh subprocess, so peak RSS
(`ru_maxrss`) is that run's own. Targets: ≥ 20,000 lines/s SQLite, ≥ 50,000 PostgreSQL.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select, text  # noqa: E402

from benchmarks.child import answer, run_child  # noqa: E402
from openmso.core import migrate  # noqa: E402
from openmso.core.db import make_engine, make_session_factory, unit_of_work  # noqa: E402
from openmso.core.memory import peak_rss_mb  # noqa: E402
from openmso.core.tenancy import SYSTEM  # noqa: E402
from openmso.demo.generator import build_demo  # noqa: E402
from openmso.network.models import Location, Patient, Payer, Practice, Provider  # noqa: E402
from openmso.rcm.claims.models import Claim, ClaimLine  # noqa: E402
from openmso.rcm.remittance.ingest import CLAIMS_PER_PIECE, PART_SEGMENTS, ingest_file  # noqa: E402
from openmso.x12 import (  # noqa: E402
    Adjustment,
    ClaimPayment,
    GroupHeader,
    InterchangeHeader,
    Party,
    Payment,
    Procedure,
    Remittance,
    ServicePayment,
    Trace,
    iter_transaction_parts,
    stream_835,
    write_835,
)

PAID_ON = date(2026, 11, 16)
SERVED = date(2026, 10, 5)
EXTRAS = (("36415", Decimal("18.00")), ("85025", Decimal("42.00")), ("80053", Decimal("60.00")))
CENT = Decimal("0.01")
BATCH = 5000


def _lines_for(number: int) -> list[tuple[str, Decimal]]:
    extras = 3 if number % 2 else 1  # alternating one and three extras: three lines per claim on average
    return [("99213", Decimal("145.00"))] + [EXTRAS[(number + k) % 3] for k in range(extras)]


def seed_claims(factory, claims: int) -> tuple[Practice, Payer]:
    """The demo network's first practice with `claims` accepted claims inserted in bulk."""
    with unit_of_work(factory) as db:
        build_demo(db, practices=1, patients=200)
    with unit_of_work(factory) as db:
        practice = db.scalar(select(Practice).order_by(Practice.id))
        payer = db.scalar(select(Payer).where(Payer.line_of_business == "commercial").order_by(Payer.id))
        patients = list(db.scalars(select(Patient.id).where(Patient.practice_id == practice.id)))
        provider = db.scalar(select(Provider.id).where(Provider.practice_id == practice.id))
        location = db.scalar(select(Location.id).where(Location.practice_id == practice.id))
        for start in range(0, claims, BATCH):
            rows = []
            for number in range(start, min(start + BATCH, claims)):
                total = sum((charge for _, charge in _lines_for(number)), Decimal("0.00"))
                rows.append({"practice_id": practice.id, "patient_id": patients[number % len(patients)],
                             "payer_id": payer.id, "patient_control_number": f"B{number:09d}",
                             "status": "payer_accepted", "frequency_code": "1", "payer_responsibility": "P",
                             "payer_claim_number": f"ICN{number:012d}", "rendering_provider_id": provider,
                             "location_id": location, "place_of_service": "11", "service_date_from": SERVED,
                             "service_date_to": SERVED, "total_charge": total, "diagnoses": "E119"})
            ids = db.execute(insert(Claim).returning(Claim.id, sort_by_parameter_order=True), rows).scalars().all()
            lines = [{"practice_id": practice.id, "claim_id": claim_id, "line_number": index,
                      "procedure_code": code, "modifiers": "", "units": 1, "charge_amount": charge,
                      "service_date": SERVED, "pointers": "1"}
                     for number, claim_id in zip(range(start, start + len(rows)), ids, strict=True)
                     for index, (code, charge) in enumerate(_lines_for(number), start=1)]
            db.execute(insert(ClaimLine), lines)
        db.expunge_all()
    return practice, payer


def _payment(number: int, claim_id: int) -> ClaimPayment:
    denied = number % 12 == 0
    services = []
    for index, (code, charge) in enumerate(_lines_for(number), start=1):
        if denied:
            paid, adjustments = Decimal("0.00"), [Adjustment("CO", "197", charge)]
        else:
            allowed = (charge * Decimal("0.62")).quantize(CENT)
            patient = min(Decimal("20.00"), allowed) if index == 1 else Decimal("0.00")
            paid = allowed - patient
            adjustments = [Adjustment("CO", "45", charge - allowed)] + (
                [Adjustment("PR", "2", patient)] if patient else [])
        service = ServicePayment(Procedure("HC", code, ()), charge, paid, units_paid=Decimal(1))
        service.dates["472"] = SERVED
        service.adjustments = adjustments
        service.line_item_control_number = f"{claim_id}-{index}"
        services.append(service)
    payment = ClaimPayment(f"B{number:09d}", "4" if denied else "1", sum((s.charge for s in services), Decimal(0)),
                           sum((s.paid for s in services), Decimal(0)),
                           sum((a.amount for s in services for a in s.adjustments if a.group_code == "PR"),
                               Decimal(0)), "CI", f"ICN{number:012d}", "11", "1")
    payment.service_lines = services
    return payment


def write_file(factory, practice: Practice, payer: Payer, path: Path) -> int:
    with factory() as db:
        ids = list(db.scalars(select(Claim.id).where(Claim.practice_id == practice.id).order_by(Claim.id)))
    claims = [_payment(number, claim_id) for number, claim_id in enumerate(ids)]
    total = sum((c.paid for c in claims), Decimal("0.00"))
    remittance = Remittance("0001", Payment("I", total, "C", "ACH", "CCP", date=PAID_ON),
                            Trace("1", "BENCH0001", "1" + payer.payer_code.rjust(9, "0")[-9:]),
                            Party("PR", payer.name[:60], "XV", payer.payer_code),
                            Party("PE", practice.legal_name[:60], "XX", practice.group_npi),
                            production_date=PAID_ON, claims=claims)
    out = io.StringIO()
    write_835(out, [remittance], InterchangeHeader("ZZ", "BENCHPAYER", "ZZ", "OPENMSO", "000000001", PAID_ON, "1200"),
              GroupHeader("HP", "BENCHPAYER", "OPENMSO", "1", PAID_ON, "1200", "005010X221A1"), line_breaks=True)
    path.write_text(out.getvalue(), encoding="latin-1")
    return sum(len(c.service_lines) for c in claims)


def set_up(url: str, claims: int, path: Path) -> dict:
    """The database with its claims and the 835 file (in its own subprocess, so its memory is not counted)."""
    if url.startswith("postgresql"):
        engine = make_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
    migrate.upgrade(url)
    factory = make_session_factory(make_engine(url))
    started = time.perf_counter()
    practice, payer = seed_claims(factory, claims)
    setup = time.perf_counter() - started
    lines = write_file(factory, practice, payer, path)
    return {"setup_s": setup, "lines": lines}


def measure(url: str, path: Path) -> dict:
    """Parse-only, then ingest + post, in a fresh process: its peak RSS is the posting's own. Both
    stream the file from disk as ingestion does (transaction sets in parts, claims in pieces)."""
    factory = make_session_factory(make_engine(url))
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    parsed_lines = sum(piece.service_line_count for parts in iter_transaction_parts(path, PART_SEGMENTS)
                       for piece in stream_835(parts, CLAIMS_PER_PIECE))
    parse_seconds = time.perf_counter() - started
    started = time.perf_counter()
    with unit_of_work(factory) as db:
        report = ingest_file(db, SYSTEM, "bench.835", path)
    ingest_seconds = time.perf_counter() - started
    assert report.lines == parsed_lines and report.exceptions == 0, vars(report)
    return {"lines": parsed_lines, "bytes": path.stat().st_size, "parse_s": parse_seconds,
            "ingest_s": ingest_seconds, "rss_before_mb": rss_before / 1024,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "hwm_mb": peak_rss_mb()}




def _measure(url: str, claims: int, folder: str) -> dict:
    path = Path(folder) / f"bench{claims}.835"
    made = run_child(__file__, "--setup", url, "--claims", str(claims), "--file", str(path))
    return {"claims": claims, **made, **run_child(__file__, "--measure", url, "--file", str(path))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--sizes", default="25000,100000")
    parser.add_argument("--postgres", default=os.environ.get("OPENMSO_BENCH_POSTGRES_URL"))
    parser.add_argument("--setup")
    parser.add_argument("--measure")
    parser.add_argument("--file", type=Path)
    args = parser.parse_args()
    if args.setup:
        return answer(set_up(args.setup, args.claims, args.file))
    if args.measure:
        return answer(measure(args.measure, args.file))
    engines = []
    with tempfile.TemporaryDirectory() as folder:
        sizes = sorted({int(s) for s in args.sizes.split(",") if s} | {args.claims})
        for size in sizes:
            engines.append(("SQLite", _measure(f"sqlite:///{Path(folder) / f'bench{size}.db'}", size, folder)))
        if args.postgres:
            engines.append(("PostgreSQL", _measure(args.postgres, args.claims, folder)))
    print(f"{'engine':<11} {'claims':>8} {'lines':>8} {'MB':>6} {'parse lines/s':>14} {'post lines/s':>13} "
          f"{'post/parse':>10} {'peak RSS MB':>11} {'VmHWM MB':>9} {'RSS before MB':>13} {'setup s':>8}")
    for name, r in engines:
        parse_rate, post_rate = r["lines"] / r["parse_s"], r["lines"] / r["ingest_s"]
        print(f"{name:<11} {r['claims']:>8,} {r['lines']:>8,} {r['bytes'] / 1e6:>6.1f} {parse_rate:>14,.0f} "
              f"{post_rate:>13,.0f} {post_rate / parse_rate:>10.2f} {r['peak_rss_mb']:>11.0f} {r['hwm_mb']:>9.0f} "
              f"{r['rss_before_mb']:>13.0f} {r['setup_s']:>8.1f}")
    print("targets: ≥ 20,000 lines/s SQLite, ≥ 50,000 lines/s PostgreSQL; memory flat (peak RSS vs claims)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
