"""Scrubbing and building 837P batches in one run (each claim loaded once) gives what scrubbing and then
building gives: the same findings, statuses, timeline, control numbers and file bytes; and it checks
both rights before it writes anything."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from openmso.core.errors import Forbidden
from openmso.core.tenancy import SYSTEM, Actor, Role
from openmso.rcm.claims import batches, building, scrubbing
from openmso.rcm.claims.models import Claim, ClaimBatch, ClaimEdit, TimelineEntry
from openmso.rcm.claims.scrub_and_build import scrub_and_build
from openmso.rcm.claims.x837 import Envelope
from tests.rcm.conftest import AS_OF, make_clinic
from tests.x12.conftest import pyx12_errors

ENVELOPE = Envelope("TEST MSO", "OPENMSO", "BILLING DESK", "8005550100", "SIMULATOR", "SIMCH")
BUILT_AT = datetime(2026, 10, 15, 9, 30, tzinfo=UTC)


@pytest.fixture
def drafts(db, monkeypatch):
    """Draft claims of one practice: clean ones, one with warnings only, one held by an error."""
    monkeypatch.setattr(batches, "utcnow", lambda: BUILT_AT)  # the interchange's date and time, for a byte compare
    clinic = make_clinic(db, patients=5)
    first, second, third, fourth, fifth = clinic.patients
    clinic.charge(db, first)
    clinic.charge(db, first, procedure_code="36415", charge_amount="18.00", pointers=[1])
    clinic.charge(db, second, procedure_code="99214", charge_amount="180.00")
    clinic.charge(db, third, diagnoses=["E11"], pointers=[1])  # a category, not a billable code: held
    clinic.charge(db, fourth, procedure_code="20610", modifiers=["25"], charge_amount="120.00")  # a warning
    clinic.charge(db, fifth)
    ids = building.build_claims(db, SYSTEM, clinic.practice.id)
    db.flush()
    return clinic, ids


def _outcome(db, ids: list[int]) -> dict:
    """What the runs wrote, batches named by their file (a PostgreSQL sequence does not roll back)."""
    claims = db.execute(select(Claim.id, Claim.status, Claim.error_count, Claim.warning_count, ClaimBatch.filename)
                        .outerjoin(ClaimBatch, ClaimBatch.id == Claim.batch_id)
                        .where(Claim.id.in_(ids)).order_by(Claim.id)).all()
    edits = db.execute(select(ClaimEdit.claim_id, ClaimEdit.rule_id, ClaimEdit.severity, ClaimEdit.line_number,
                              ClaimEdit.message, ClaimEdit.fix).where(ClaimEdit.claim_id.in_(ids))
                       .order_by(ClaimEdit.claim_id, ClaimEdit.id)).all()
    timeline = db.execute(select(TimelineEntry.claim_id, TimelineEntry.event, TimelineEntry.from_status,
                                 TimelineEntry.to_status, TimelineEntry.detail, ClaimBatch.filename)
                          .outerjoin(ClaimBatch, ClaimBatch.id == TimelineEntry.batch_id)
                          .where(TimelineEntry.claim_id.in_(ids))
                          .order_by(TimelineEntry.claim_id, TimelineEntry.id)).all()
    files = db.execute(select(ClaimBatch.interchange_control_number, ClaimBatch.filename, ClaimBatch.content,
                              ClaimBatch.claim_count, ClaimBatch.total_charge)
                       .where(ClaimBatch.filename.in_({row.filename for row in claims if row.filename}))
                       .order_by(ClaimBatch.filename)).all()
    return {"claims": [tuple(row) for row in claims], "edits": [tuple(row) for row in edits],
            "timeline": [tuple(row) for row in timeline], "files": [tuple(row) for row in files]}


def test_one_run_gives_what_scrubbing_then_building_gives(db, drafts):
    clinic, ids = drafts
    step_by_step = db.begin_nested()
    report = scrubbing.scrub_claims(db, SYSTEM, claim_ids=ids, as_of=AS_OF)
    built = batches.build_batches(db, SYSTEM, ENVELOPE, adapter="test", claim_ids=ids)
    db.flush()
    expected, expected_counts = _outcome(db, ids), (report.claims, report.ready, report.held, report.by_rule)
    assert len(built) == 1 and report.held == 1 and report.by_rule["MOD-003"] == 1
    step_by_step.rollback()
    assert {status for (status,) in db.execute(select(Claim.status).where(Claim.id.in_(ids)))} == {"draft"}

    both = scrub_and_build(db, SYSTEM, ENVELOPE, adapter="test", claim_ids=ids, as_of=AS_OF)
    db.flush()
    assert (both.scrub.claims, both.scrub.ready, both.scrub.held, both.scrub.by_rule) == expected_counts
    assert _outcome(db, ids) == expected
    [batch] = both.batches
    assert batch.claim_count == len(ids) - 1 and pyx12_errors(batch.content) == []
    statuses = dict(db.execute(select(Claim.id, Claim.status).where(Claim.id.in_(ids))).all())
    assert sorted(statuses.values()) == ["held"] + ["submitted"] * (len(ids) - 1)


def test_one_run_splits_its_claims_into_pieces(db, drafts, monkeypatch):
    """Pieces of two claims: each piece is scrubbed, then its passing claims are built into their own batch."""
    clinic, ids = drafts
    monkeypatch.setattr("openmso.rcm.claims.scrub_and_build.PIECE", 2)
    both = scrub_and_build(db, SYSTEM, ENVELOPE, adapter="test", practice_id=clinic.practice.id, as_of=AS_OF)
    db.flush()
    assert both.scrub.claims == len(ids) and both.scrub.held == 1
    assert [b.claim_count for b in both.batches] == [2, 1, 1]  # pieces [1, 2], [3 (held), 4], [5]
    assert all(pyx12_errors(b.content) == [] for b in both.batches)
    numbers = [b.interchange_control_number for b in both.batches]
    assert numbers == sorted(numbers) and len(set(numbers)) == 3


def test_one_run_needs_the_right_to_submit_before_it_writes_anything(db, drafts):
    clinic, ids = drafts
    front_desk = Actor(None, "frontdesk", Role.PRACTICE_USER, frozenset({clinic.practice.id}))
    scrubbing.scrub_claims(db, front_desk, claim_ids=ids[:1], as_of=AS_OF)  # a practice user may scrub …
    db.flush()
    with pytest.raises(Forbidden, match="may not submit claims"):  # … but not submit
        scrub_and_build(db, front_desk, ENVELOPE, adapter="test", claim_ids=ids[1:], as_of=AS_OF)
    ids = ids[1:]
    db.flush()
    assert {status for (status,) in db.execute(select(Claim.status).where(Claim.id.in_(ids)))} == {"draft"}
    assert db.scalar(select(ClaimEdit.id).where(ClaimEdit.claim_id.in_(ids))) is None
