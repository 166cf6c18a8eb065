"""Bulk writes and lookups with awkward text: rows sent by COPY (PostgreSQL) or multi-row INSERTs (SQLite), and
keys sent as one array literal written by hand (`lookups.array_literal`), carry every character as they were."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D

from sqlalchemy import select

from openmso.rcm.remittance import lookups
from openmso.rcm.remittance.models import PatientLedgerEntry
from openmso.rcm.remittance.posting_writes import PATIENT_COLUMNS, insert_rows
from tests.rcm.conftest import make_clinic
from tests.rcm.remits import accepted_claims

AWKWARD = ["tab\there", "line\nbreak\r\n", "back\\slash\\N", 'quote"d', "comma,{brace}", "NULL", "", "naïve €",
           "\\.", "  spaced  "]


def test_ledger_rows_written_in_bulk_read_back_exactly(db):
    clinic = make_clinic(db, "Qzcopytext", patients=1)
    patient = clinic.patients[0]
    at = datetime(2026, 11, 20, 13, 45, 7, 123456, tzinfo=UTC)
    rows = [(at, clinic.practice.id, patient.id, None, "payment", D(f"-{n}.{n:02d}"), date(2026, 11, n + 1), text)
            for n, text in enumerate(AWKWARD)]
    insert_rows(db, PatientLedgerEntry.__table__, PATIENT_COLUMNS, rows)
    stored = db.execute(select(PatientLedgerEntry.created_at, PatientLedgerEntry.amount, PatientLedgerEntry.entered_on,
                               PatientLedgerEntry.detail, PatientLedgerEntry.claim_id)
                        .where(PatientLedgerEntry.patient_id == patient.id).order_by(PatientLedgerEntry.id)).all()
    assert [tuple(row) for row in stored] == [(at, row[5], row[6], row[7], None) for row in rows]


def test_claims_are_found_by_control_numbers_with_any_characters(db):
    clinic = make_clinic(db, "Qzarrays", patients=len(AWKWARD))
    claims = accepted_claims(db, clinic, len(AWKWARD))
    for claim, number in zip(claims, AWKWARD, strict=True):
        claim.patient_control_number = number
    db.flush()
    found = lookups.claims_by(db, clinic.practice.id, "patient_control_number", [*AWKWARD, "absent", '"NULL"'])
    assert {number: ref.id for number, ref in found.items()} == {
        number: claim.id for claim, number in zip(claims, AWKWARD, strict=True)}
    lines = lookups.lines_of(db, [claim.id for claim in claims])
    assert set(lines) == {claim.id for claim in claims} and all(lines.values())
