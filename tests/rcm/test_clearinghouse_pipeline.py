"""End to end through the payer simulator: charges → claims → scrub → 837P batch → 999/277CA back."""

from __future__ import annotations

from sqlalchemy import select

from openmso.core.tenancy import SYSTEM
from openmso.rcm.claims import building, scrubbing
from openmso.rcm.claims.models import Claim, ClaimBatch, TimelineEntry
from openmso.rcm.claims.states import ClaimStatus
from openmso.rcm.clearinghouse import service
from openmso.rcm.clearinghouse.adapters import SimulatorDrop, default_envelope
from openmso.rcm.clearinghouse.models import FileStatus, InboundFile
from openmso.x12 import iter_transactions, parse_835
from openmso.x12.balance import check_balance
from tests.rcm.conftest import AS_OF


def _simulator(tmp_path):
    return SimulatorDrop(tmp_path / "ch", default_envelope("Test MSO", "SIMULATED PAYERS", "SIMCH"), today=AS_OF)


def _ready_claims(db, clinic, count=3):
    for patient in clinic.patients[:count]:
        clinic.charge(db, patient)
    building.build_claims(db, SYSTEM, clinic.practice.id)
    scrubbing.scrub_claims(db, SYSTEM, practice_id=clinic.practice.id, as_of=AS_OF)


def test_submitted_claims_are_acknowledged_by_999_and_277ca(db, session_factory, clinic, tmp_path):
    _ready_claims(db, clinic)
    db.commit()
    adapter = _simulator(tmp_path)
    report = service.submit(session_factory, SYSTEM, adapter, practice_id=clinic.practice.id)
    assert (report.batches, report.claims, report.sent) == (1, 3, 1)
    assert sorted(adapter.inbound()) == ["277CA_000000001.x12", "835_000000001.x12", "999_000000001.x12"]
    polled = service.poll(session_factory, SYSTEM, adapter)
    assert (polled.files, polled.applied, polled.quarantined) == (3, 3, 0)
    db.expire_all()
    claims = db.scalars(select(Claim).where(Claim.practice_id == clinic.practice.id)).all()
    assert {c.status for c in claims} <= {ClaimStatus.PAYER_ACCEPTED, ClaimStatus.PAYER_REJECTED}
    accepted = [c for c in claims if c.status == ClaimStatus.PAYER_ACCEPTED]
    assert accepted and all(c.payer_claim_number for c in accepted)
    events = db.scalars(select(TimelineEntry.event).where(TimelineEntry.claim_id == claims[0].id)
                        .order_by(TimelineEntry.id)).all()
    assert events[:5] == ["create", "scrub", "pass", "submit", "clearinghouse_accept"]
    batch = db.scalars(select(ClaimBatch)).one()
    assert (batch.status, batch.ack_status) == ("accepted", "A")
    remittance = db.scalars(select(InboundFile).where(InboundFile.kind == "835")).one()
    assert remittance.status == FileStatus.AWAITING_POSTING
    for transaction in iter_transactions(remittance.content.encode()):
        assert check_balance(parse_835(transaction)) == []


def test_the_same_acknowledgement_file_is_applied_once(db, session_factory, clinic, tmp_path):
    _ready_claims(db, clinic, 1)
    db.commit()
    adapter = _simulator(tmp_path)
    service.submit(session_factory, SYSTEM, adapter)
    names = adapter.inbound()
    copies = {name: adapter.read(name) for name in names}
    service.poll(session_factory, SYSTEM, adapter)
    for name, content in copies.items():
        (adapter.inbound_dir / f"again_{name}").write_bytes(content)
    again = service.poll(session_factory, SYSTEM, adapter)
    # a 999 and a 277CA, and an 835 unless the payer's front end rejected the claim (the simulator's roll reads
    # the patient's member id, which other tests' patients move along)
    assert len(copies) in (2, 3) and (again.files, again.duplicates, again.applied) == (len(copies), len(copies), 0)
    db.expire_all()
    assert len(db.scalars(select(TimelineEntry).where(TimelineEntry.event.in_(
        ["payer_accept", "payer_reject"]))).all()) == 1


def test_control_numbers_are_never_reused(db, session_factory, clinic, tmp_path):
    adapter = _simulator(tmp_path)
    numbers = []
    for patient in clinic.patients:
        clinic.charge(db, patient)
        building.build_claims(db, SYSTEM, clinic.practice.id)
        scrubbing.scrub_claims(db, SYSTEM, practice_id=clinic.practice.id, as_of=AS_OF)
        db.commit()
        service.submit(session_factory, SYSTEM, adapter)
        db.expire_all()
        numbers = db.scalars(select(ClaimBatch.interchange_control_number).order_by(ClaimBatch.id)).all()
    assert numbers == sorted(set(numbers)) and len(numbers) == 3
    isa13 = [b.content[90:99] for b in db.scalars(select(ClaimBatch).order_by(ClaimBatch.id))]
    assert isa13 == [f"{n:09d}" for n in numbers]
