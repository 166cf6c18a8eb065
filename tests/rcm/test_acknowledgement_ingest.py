"""Ingesting 999 and 277CA: status updates with reasons in words, quarantine of files that cannot
be applied (malformed, unknown group, unknown claim) with nothing half-applied, and retry."""

from __future__ import annotations

from sqlalchemy import select

from openmso.core.tenancy import SYSTEM
from openmso.rcm.claims import batches, building, scrubbing
from openmso.rcm.claims.models import Claim, TimelineEntry
from openmso.rcm.claims.states import ClaimStatus
from openmso.rcm.clearinghouse import ingest
from openmso.rcm.clearinghouse.adapters import default_envelope
from openmso.rcm.clearinghouse.models import FileStatus
from openmso.rcm.clearinghouse.simulator import PayerSimulator
from openmso.rcm.clearinghouse.x12_responses import claim_acknowledgment
from openmso.x12 import iter_transactions, parse_277ca, parse_837p, render_837p
from openmso.x12.samples import generate_claim_transactions, group_header, interchange_header
from tests.rcm.conftest import AS_OF
from tests.x12.conftest import pyx12_errors

ENVELOPE = default_envelope("Test MSO", "SIMULATED PAYERS", "SIMCH")


def _submitted(db, clinic, count=2):
    for patient in clinic.patients[:count]:
        clinic.charge(db, patient)
    building.build_claims(db, SYSTEM, clinic.practice.id)
    scrubbing.scrub_claims(db, SYSTEM, practice_id=clinic.practice.id, as_of=AS_OF)
    return batches.build_batches(db, SYSTEM, ENVELOPE, adapter="test")[0]


def _answers(batch, simulator=None):
    files = (simulator or PayerSimulator()).respond(batch.content.encode(), 50, AS_OF)
    return {name.split("_")[0]: text.encode() for name, text in files}


def test_a_rejected_transaction_set_explains_the_segment_in_words(db, clinic):
    batch = _submitted(db, clinic)
    broken = batch.content.replace("DTP*472*D8*20261001", "DTP*472*D8*20261341", 1)  # no 41st day
    answers = PayerSimulator().respond(broken.encode(), 51, AS_OF)
    result = ingest.ingest(db, SYSTEM, answers[0][0], answers[0][1].encode())
    assert result.file.status == FileStatus.APPLIED
    claims = db.scalars(select(Claim).where(Claim.batch_id == batch.id)).all()
    assert {c.status for c in claims} == {ClaimStatus.CLEARINGHOUSE_REJECTED}
    assert "rejected" in claims[0].status_reason and "segment DTP" in claims[0].status_reason


def test_277ca_rejection_reason_is_explained_in_words(db, clinic):
    batch = _submitted(db, clinic, 1)
    transaction = next(iter_transactions(batch.content.encode()))
    claim_set = parse_837p(transaction)
    decision = PayerSimulator().decide(claim_set.claims[0], claim_set.billing_provider.npi, AS_OF)
    decision.accepted, decision.category, decision.code, decision.entity = False, "A7", "562", "82"
    text = claim_acknowledgment("SIMCH", "OPENMSO", 9, AS_OF, [(claim_set, [(claim_set.claims[0], decision)])])
    ingest.ingest(db, SYSTEM, "277CA_x.x12", text.encode())
    claim = db.scalars(select(Claim).where(Claim.batch_id == batch.id)).one()
    assert claim.status == ClaimStatus.PAYER_REJECTED
    assert claim.status_codes == "277CA:A7:562:82"
    assert claim.status_reason == ("Rejected for invalid information: the entity's National Provider "
                                   "Identifier (NPI) (rendering provider)")


def test_a_277ca_naming_an_unknown_claim_is_quarantined_and_nothing_is_applied(db, clinic):
    batch = _submitted(db, clinic, 2)
    answers = _answers(batch)
    known = db.scalars(select(Claim.patient_control_number).where(Claim.batch_id == batch.id)).all()
    tampered = answers["277CA"].replace(f"TRN*2*{known[1]}".encode(), b"TRN*2*9999-9999999")
    result = ingest.ingest(db, SYSTEM, "277CA.x12", tampered)
    assert result.file.status == FileStatus.QUARANTINED
    assert "2200D TRN02" in result.file.error and "9999-9999999" in result.file.error
    statuses = db.scalars(select(Claim.status).where(Claim.batch_id == batch.id)).all()
    assert set(statuses) == {ClaimStatus.SUBMITTED}  # the first claim's answer was not applied either
    assert db.scalar(select(TimelineEntry).where(TimelineEntry.inbound_file_id == result.file.id)) is None


def test_malformed_and_unknown_group_files_are_quarantined_with_their_location(db, clinic):
    batch = _submitted(db, clinic, 1)
    answer = _answers(batch)["999"]
    malformed = ingest.ingest(db, SYSTEM, "999_bad.x12", answer[:150])
    assert malformed.file.status == FileStatus.QUARANTINED and malformed.file.error
    unknown = ingest.ingest(db, SYSTEM, "999_other.x12",
                            answer.replace(f"AK1*HC*{batch.group_control_number}*".encode(), b"AK1*HC*777777*"))
    assert unknown.file.status == FileStatus.QUARANTINED
    assert unknown.file.error.startswith("AK1-02: acknowledges functional group 777777")


def test_a_quarantined_file_is_applied_on_retry_once_its_cause_is_fixed(db, clinic):
    batch = _submitted(db, clinic, 1)
    answers = _answers(batch)
    claim = db.scalars(select(Claim).where(Claim.batch_id == batch.id)).one()
    pcn = claim.patient_control_number
    claim.patient_control_number = "0000-0000001"  # the claim is unknown under its own number
    db.flush()
    first = ingest.ingest(db, SYSTEM, "277CA.x12", answers["277CA"])
    assert first.file.status == FileStatus.QUARANTINED
    claim.patient_control_number = pcn
    db.flush()
    [retried] = ingest.retry_quarantined(db, SYSTEM)
    assert retried.file.id == first.file.id and retried.file.status == FileStatus.APPLIED
    assert retried.file.attempts == 2
    db.refresh(claim)
    assert claim.status in (ClaimStatus.PAYER_ACCEPTED, ClaimStatus.PAYER_REJECTED)


def test_a_277ca_answers_each_837_transaction_set_with_its_own_277_that_pyx12_accepts():
    """An interchange of two 837P transaction sets: X214 allows one information receiver loop
    (2000B) per 277, so each batch gets its own transaction set with its 2200B trace; no batch
    trace reads as a claim, and every claim is answered under its own billing provider."""
    sent = list(generate_claim_transactions(5, count=2, claims_per_transaction=3))
    text = render_837p(sent, interchange_header(61), group_header("HC", 61, "005010X222A1"))
    answers = dict(PayerSimulator().respond(text.encode(), 62, AS_OF))
    [name] = [name for name in answers if name.startswith("277CA")]
    acknowledgments = [parse_277ca(t) for t in iter_transactions(answers[name].encode())]
    assert len(acknowledgments) == 2
    for acknowledgment, claim_set in zip(acknowledgments, sent, strict=True):
        assert [(c.patient_control_number, c.provider_npi) for c in acknowledgment.claims] == [
            (claim.patient_control_number, claim_set.billing_provider.npi) for claim in claim_set.claims]
        assert [s.category for s in acknowledgment.receiver_statuses] == ["A1"]
        assert [s.category for s in acknowledgment.provider_statuses] == ["A1"]
    assert pyx12_errors(answers[name]) == []
