"""Posting in pieces: what one piece did to a claim (its status, its payer claim number) holds for
the claims of the next piece; a write that fails fails the file, and nothing of it stays."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select, text

from openmso.core.tenancy import SYSTEM
from openmso.rcm.claims.models import Claim, TimelineEntry
from openmso.rcm.remittance import ingest
from openmso.rcm.remittance.ingest import ingest_file
from openmso.rcm.remittance.models import ClaimPosting, LinePosting, PatientLedgerEntry, RemittanceFile
from openmso.rcm.remittance.posting import PATIENT_COLUMNS
from openmso.rcm.remittance.posting_writes import ROWS_PER_INSERT, insert_rows
from tests.rcm.remits import accepted_claims, denied, paid, render, transaction

PAID_AT = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
PAID_DAY = date(2026, 11, 2)


@pytest.fixture
def one_claim_pieces(monkeypatch):
    monkeypatch.setattr(ingest, "CLAIMS_PER_PIECE", 1)


def _events(db, claim_id):
    return db.scalars(select(TimelineEntry.event).where(TimelineEntry.claim_id == claim_id)
                      .order_by(TimelineEntry.id)).all()


def _moves(db, claim_id):
    return [tuple(row) for row in db.execute(
        select(TimelineEntry.event, TimelineEntry.from_status, TimelineEntry.to_status)
        .where(TimelineEntry.claim_id == claim_id).order_by(TimelineEntry.id))]


def test_a_claim_in_consecutive_pieces_moves_from_the_status_the_piece_before_left(db, clinic, one_claim_pieces):
    claims = accepted_claims(db, clinic, 2)
    reversal, corrected = paid(claims[1], status="22", sign=-1), paid(claims[1], share=D("0.70"))
    report = ingest_file(db, SYSTEM, "era.835", render(transaction(clinic.practice, [
        denied(claims[0]), paid(claims[0]), paid(claims[1]), reversal, corrected])))
    assert (report.claims, report.exceptions) == (5, 0)
    # denied in one piece, paid in the next: from denied, the status the piece before left it in
    assert _moves(db, claims[0].id)[-2:] == [("deny", "payer_accepted", "denied"), ("pay", "denied", "paid")]
    assert _events(db, claims[1].id)[-2:] == ["pay", "pay"]  # the reversal moves nothing
    assert {c.id: db.get(Claim, c.id).status for c in claims} == {c.id: "paid" for c in claims}
    outcomes = db.scalars(select(ClaimPosting.outcome).order_by(ClaimPosting.id)).all()
    assert outcomes == ["denied", "paid", "paid", "reversed", "paid"]


def test_a_payer_claim_number_given_in_one_piece_matches_a_claim_in_the_next(db, clinic, one_claim_pieces):
    (claim,) = accepted_claims(db, clinic, 1)
    claim.payer_claim_number = None
    db.flush()
    first = paid(claim)
    first.payer_claim_control_number = "ICN-GIVEN-1"
    by_number = paid(claim, share=D("0.50"))  # the payer's own patient control number: only its number is ours
    by_number.patient_control_number, by_number.payer_claim_control_number = "NOT-OURS-9", "ICN-GIVEN-1"
    report = ingest_file(db, SYSTEM, "era.835", render(transaction(clinic.practice, [first, by_number])))
    assert (report.claims, report.exceptions) == (2, 0)
    assert db.scalars(select(ClaimPosting.claim_id)).all() == [claim.id, claim.id]
    assert db.get(Claim, claim.id).payer_claim_number == "ICN-GIVEN-1"


def _refuse_line_postings(db):
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("CREATE FUNCTION refuse_line_posting() RETURNS trigger LANGUAGE plpgsql AS "
                        "$$ BEGIN RAISE EXCEPTION 'line posting refused'; END $$"))
        db.execute(text("CREATE TRIGGER refuse BEFORE INSERT ON line_posting "
                        "FOR EACH STATEMENT EXECUTE FUNCTION refuse_line_posting()"))
    else:
        db.execute(text("CREATE TRIGGER refuse BEFORE INSERT ON line_posting "
                        "BEGIN SELECT RAISE(ABORT, 'line posting refused'); END"))


def test_a_write_failing_mid_file_fails_the_file_and_leaves_nothing(db, clinic, one_claim_pieces):
    claims = accepted_claims(db, clinic, 3)
    _refuse_line_postings(db)
    content = render(transaction(clinic.practice, [paid(c) for c in claims]))
    with pytest.raises(Exception, match="line posting refused"), db.begin_nested():
        ingest_file(db, SYSTEM, "era.835", content)
    counts = [db.scalar(select(func.count()).select_from(table)) for table in (RemittanceFile, ClaimPosting,
                                                                                LinePosting, TimelineEntry)]
    assert counts[:3] == [0, 0, 0]
    assert {db.get(Claim, c.id).status for c in claims} == {"payer_accepted"}
    assert not any(event == "pay" for c in claims for event in _events(db, c.id))


def test_bulk_rows_are_written_in_order_with_every_value_converted(db, clinic):
    """More rows than one multi-row INSERT takes, and a remainder: all written, in order, values as given."""
    (claim,) = accepted_claims(db, clinic, 1)
    count = 2 * ROWS_PER_INSERT + 37
    rows = [(PAID_AT, clinic.practice.id, claim.patient_id, claim.id, "responsibility", D(n) / 100, PAID_DAY,
             f"row {n}") for n in range(1, count + 1)]
    insert_rows(db, PatientLedgerEntry.__table__, PATIENT_COLUMNS, rows)
    written = db.execute(select(PatientLedgerEntry.amount, PatientLedgerEntry.detail, PatientLedgerEntry.entered_on)
                         .where(PatientLedgerEntry.claim_id == claim.id).order_by(PatientLedgerEntry.id)).all()
    assert [tuple(row) for row in written] == [(D(n) / 100, f"row {n}", PAID_DAY) for n in range(1, count + 1)]
