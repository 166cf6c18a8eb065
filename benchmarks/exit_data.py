"""A large practice for the exit-package benchmark and the interrupted-export test, inserted in bulk.

Rows go in through Core `insert` executemany in chunks (the platform's own column types, so amounts
are cents and instants UTC as the services would store them), with explicit ids so foreign keys
need no lookups. Not realistic care patterns: realistic row shapes and volumes, fast. A small
neighbouring practice shares the database, so an export that leaked would show it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import insert, text

from benchmarks.bench_claims import _fresh  # a migrated, empty database (PostgreSQL schema recreated)
from openmso.core.db import make_engine
from openmso.network.models import Coverage, Location, Mso, Patient, Payer, Practice, PracticePayer, Provider
from openmso.rcm.claims.models import Claim, ClaimLine
from openmso.rcm.remittance.models import ClaimPosting, LinePosting, Remittance, RemittanceFile

CHUNK = 20_000
CREATED = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
FIRST_DAY = date(2026, 1, 2)
PRACTICES = ((1, "Bulk Family Medicine, PLLC", "1234567893", "741111111"),
             (2, "Qzneighbour Pediatrics, PA", "1245319599", "742222222"))
FEES = (Decimal("145.00"), Decimal("98.50"), Decimal("210.00"), Decimal("62.25"))


def _chunks(rows: Iterator[dict]) -> Iterator[list[dict]]:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def _network(connection) -> None:
    connection.execute(insert(Mso.__table__), [{"id": 1, "name": "Bench MSO", "tin": "930000000",
                                               "created_at": CREATED}])
    connection.execute(insert(Payer.__table__), [
        {"id": n, "name": name, "payer_code": code, "line_of_business": "commercial", "timely_filing_days": 180}
        for n, name, code in ((1, "Aetna", "60054"), (2, "Cigna", "62308"), (3, "Medicare Part B", "04412"))])
    for practice_id, name, npi, tin in PRACTICES:
        connection.execute(insert(Practice.__table__), [{
            "id": practice_id, "mso_id": 1, "legal_name": name, "entity_type": "PLLC", "tin": tin, "group_npi": npi,
            "primary_state": "TX", "specialty": "Family Medicine", "affiliation_status": "active",
            "created_at": CREATED}])
        connection.execute(insert(Location.__table__), [{
            "id": practice_id, "practice_id": practice_id, "name": f"{name} main office",
            "address_line1": "100 Main St", "city": "Austin", "state": "TX", "postal_code": "78701",
            "place_of_service": "11"}])
        connection.execute(insert(Provider.__table__), [{
            "id": practice_id, "practice_id": practice_id, "npi": f"1{practice_id:08d}0", "first_name": "Sam",
            "last_name": "Qzneighbour" if practice_id == 2 else "Bulkdoc", "credential": "MD",
            "taxonomy_code": "207Q00000X", "specialty": "Family Medicine", "active": True}])
        connection.execute(insert(PracticePayer.__table__), [{"practice_id": practice_id, "payer_id": p}
                                                            for p in (1, 2, 3)])


def _patients(practice_id: int, first: int, count: int, marker: str) -> Iterator[dict]:
    for n in range(first, first + count):
        yield {"id": n, "practice_id": practice_id, "mrn": f"M{n:08d}", "first_name": "Alex",
               "last_name": f"{marker}{n % 997}", "birth_date": date(1950 + n % 60, 1 + n % 12, 1 + n % 28),
               "sex": "FMU"[n % 3], "address_line1": f"{n % 9000} Oak St", "city": "Austin", "state": "TX",
               "postal_code": "78701", "phone": "5125550100", "email": None, "consent_hipaa_notice": True,
               "consent_text_messages": False, "consent_email": False, "consent_data_sharing": False,
               "created_at": CREATED}


def _coverages(practice_id: int, first: int, count: int) -> Iterator[dict]:
    for n in range(first, first + count):
        yield {"id": n, "practice_id": practice_id, "patient_id": n, "payer_id": 1 + n % 3,
               "member_id": f"W{n:09d}", "group_number": "G100", "priority": 1, "subscriber_relation": "18",
               "effective_from": date(2025, 1, 1), "effective_to": None}


def _claims(practice_id: int, first: int, count: int, first_patient: int, patients: int) -> Iterator[dict]:
    for n in range(first, first + count):
        patient = first_patient + n % patients
        day = FIRST_DAY + timedelta(days=n % 300)
        yield {"id": n, "practice_id": practice_id, "patient_id": patient, "coverage_id": patient,
               "payer_id": 1 + patient % 3, "patient_control_number": f"{practice_id:04d}-{n:07d}",
               "status": "payer_accepted", "frequency_code": "1", "payer_responsibility": "P",
               "rendering_provider_id": practice_id, "location_id": practice_id, "place_of_service": "11",
               "service_date_from": day, "service_date_to": day, "total_charge": FEES[n % 4],
               "diagnoses": "E119:I10", "error_count": 0, "warning_count": 0, "created_at": CREATED,
               "updated_at": CREATED, "submitted_at": CREATED}


def _lines(practice_id: int, first: int, count: int) -> Iterator[dict]:
    for n in range(first, first + count):
        yield {"id": n, "practice_id": practice_id, "claim_id": n, "line_number": 1, "procedure_code": "99213",
               "modifiers": "", "units": 1, "charge_amount": FEES[n % 4],
               "service_date": FIRST_DAY + timedelta(days=n % 300), "pointers": "1:2"}


def _postings(practice_id: int, first: int, count: int, every: int) -> Iterator[dict]:
    for n in range(first, first + count, every):
        charge = FEES[n % 4]
        yield {"id": n, "practice_id": practice_id, "remittance_id": practice_id, "claim_id": n, "status_code": "1",
               "payer_claim_number": f"PCN{n}", "charge": charge, "paid": (charge * Decimal("0.6")).quantize(
                   Decimal("0.01")), "contractual": (charge * Decimal("0.4")).quantize(Decimal("0.01")),
               "patient_responsibility": Decimal("0.00"), "other_adjustment": Decimal("0.00"),
               "adjustments": f"CO:45:{(charge * Decimal('0.4')).quantize(Decimal('0.01'))}", "remarks": "",
               "outcome": "paid", "payment_date": date(2026, 11, 2), "posted_at": CREATED}


def _line_postings(rows: Iterator[dict]) -> Iterator[dict]:
    for posting in rows:
        yield {"id": posting["id"], "practice_id": posting["practice_id"], "claim_posting_id": posting["id"],
               "claim_line_id": posting["claim_id"], "procedure_code": "99213", "modifiers": "", "units": 1,
               "charge": posting["charge"], "paid": posting["paid"], "allowed": posting["paid"],
               "contractual": posting["contractual"], "patient_responsibility": Decimal("0.00"),
               "other_adjustment": Decimal("0.00"), "adjustments": posting["adjustments"], "remarks": "",
               "denied": False, "expected_allowed": None}


def populate(url: str, patients: int, claims: int, *, posted_every: int = 3,
             report: Callable[[str], None] = lambda message: None) -> dict[str, int]:
    """A fresh database at `url`: practice 1 with `patients` and `claims` (one line each, every
    `posted_every`-th claim paid by an 835 posting), practice 2 a small neighbour. Returns row counts."""
    _fresh(url)
    engine = make_engine(url)
    neighbour_patients, neighbour_claims = max(patients // 100, 5), max(claims // 100, 5)
    plan = [(1, 1, patients, 1, claims, "Bulkpatient"),
            (2, patients + 1, neighbour_patients, claims + 1, neighbour_claims, "Qzneighbour")]
    inserted: dict[str, int] = {}
    with engine.begin() as connection:
        _network(connection)
        for practice_id, first_patient, patient_count, first_claim, claim_count, marker in plan:
            connection.execute(insert(RemittanceFile.__table__), [{
                "id": practice_id, "practice_id": practice_id, "name": f"bulk-{practice_id}.835",
                "sha256": f"{practice_id:064d}", "content": "", "status": "posted", "transactions": 1,
                "received_at": CREATED, "received_by": "bench"}])
            connection.execute(insert(Remittance.__table__), [{
                "id": practice_id, "file_id": practice_id, "practice_id": practice_id, "payer_id": 1,
                "control_number": "0001", "payment_amount": Decimal("0.00"), "status": "posted"}])
            steps = [
                (Patient, _patients(practice_id, first_patient, patient_count, marker)),
                (Coverage, _coverages(practice_id, first_patient, patient_count)),
                (Claim, _claims(practice_id, first_claim, claim_count, first_patient, patient_count)),
                (ClaimLine, _lines(practice_id, first_claim, claim_count)),
                (ClaimPosting, _postings(practice_id, first_claim, claim_count, posted_every)),
                (LinePosting, _line_postings(_postings(practice_id, first_claim, claim_count, posted_every))),
            ]
            for model, rows in steps:
                report(f"practice {practice_id}: {model.__tablename__}")
                for batch in _chunks(rows):
                    connection.execute(insert(model.__table__), batch)
                    inserted[model.__tablename__] = inserted.get(model.__tablename__, 0) + len(batch)
    if url.startswith("postgresql"):
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))
    engine.dispose()
    return inserted
