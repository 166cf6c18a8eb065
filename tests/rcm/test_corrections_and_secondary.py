"""Corrections (replacement 7, void 8) and secondary claims (COB) end to end: the service, the API,
the claim page's actions, and the 837P each produces, validated by pyx12."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from openmso.core.errors import Conflict
from openmso.core.tenancy import SYSTEM, Role
from openmso.network import schemas as network_schemas
from openmso.network import service as network
from openmso.network.models import Patient
from openmso.rcm.ar import patients
from openmso.rcm.claims import batches, scrubbing, service
from openmso.rcm.claims.models import Claim, ClaimEdit
from openmso.rcm.claims.schemas import Correction
from openmso.rcm.claims.x837 import Envelope
from openmso.rcm.clearinghouse import x12_responses
from openmso.rcm.clearinghouse.payer_profiles import PayerRates
from openmso.rcm.clearinghouse.simulator import Decision, PayerSimulator
from openmso.rcm.remittance.ingest import ingest_file
from openmso.x12 import check_balance, iter_transactions, parse_837p
from tests.factories import add_payer, add_user, build_world, signed_in
from tests.rcm.conftest import AS_OF, world_clinic
from tests.rcm.remits import PAID_ON, accepted_claims, paid, render, transaction
from tests.x12.conftest import pyx12_errors

ENVELOPE = Envelope("TEST MSO", "OPENMSO", "BILLING", "8005550100", "CLEARINGHOUSE", "CH")
LINES = (("99213", "145.00"), ("85025", "30.00"))


def _paid_claim(db, clinic, **payment) -> Claim:
    """A claim the payer accepted and paid by an 835 posted through the remittance domain."""
    [claim] = accepted_claims(db, clinic, 1, LINES)
    ingest_file(db, SYSTEM, f"primary-{claim.id}.835", render(transaction(clinic.practice, [paid(claim, **payment)])))
    db.expire_all()
    assert db.get(Claim, claim.id).status == "paid"
    return db.get(Claim, claim.id)


def _sent(db, claim_id: int):
    """Scrub the claim, build its 837P batch; returns the file's text and the claim read back from it."""
    report = scrubbing.scrub_claims(db, SYSTEM, claim_ids=[claim_id], as_of=AS_OF)
    assert report.ready == 1, report.by_rule
    [batch] = batches.build_batches(db, SYSTEM, ENVELOPE, adapter="test", claim_ids=[claim_id])
    [read] = [parse_837p(t) for t in iter_transactions(batch.content.encode("latin-1"))]
    [claim] = read.claims
    return batch.content, claim


def _with_secondary_coverage(db, clinic):
    second = add_payer(db, "SX001", "Second Mutual")
    network.add_coverage(db, SYSTEM, clinic.patients[0].id, network_schemas.CoverageCreate(
        payer_id=second.id, member_id="SEC123", priority=2, effective_from=date(2024, 1, 1)))
    db.flush()
    return second


@pytest.mark.parametrize(("kind", "frequency"), [("replace", "7"), ("void", "8")])
def test_a_correction_references_the_payer_claim_number_and_passes_pyx12(db, clinic, kind, frequency):
    original = _paid_claim(db, clinic)
    correction = service.correct(db, SYSTEM, original.id, Correction(kind=kind, reason="units were wrong"))
    assert (correction.frequency_code, correction.original_claim_id) == (frequency, original.id)
    assert correction.payer_claim_number == original.payer_claim_number and correction.status == "draft"
    text, sent = _sent(db, correction.id)
    assert pyx12_errors(text) == []
    assert (sent.frequency_code, sent.payer_claim_control_number) == (frequency, original.payer_claim_number)
    assert f"*11:B:{frequency}*" in text and f"REF*F8*{original.payer_claim_number}~" in text


def test_an_accepted_correction_closes_the_claim_it_supersedes(db, clinic):
    original = _paid_claim(db, clinic)
    replacement = service.correct(db, SYSTEM, original.id, Correction(kind="replace", reason="modifier added"))
    service.supersede_on_acceptance(db, SYSTEM, replacement)
    db.refresh(original)
    assert original.status == "closed"


def test_only_a_claim_the_payer_accepted_can_be_replaced_or_voided(db, clinic):
    [claim] = accepted_claims(db, clinic, 1)
    claim.status = "draft"
    with pytest.raises(Conflict, match="only a claim the payer accepted"):
        service.correct(db, SYSTEM, claim.id, Correction(kind="void", reason="billed in error"))
    claim.status, claim.payer_claim_number = "payer_accepted", None
    with pytest.raises(Conflict, match="payer's claim number is not known"):
        service.correct(db, SYSTEM, claim.id, Correction(kind="void", reason="billed in error"))


def test_a_secondary_claim_carries_the_primarys_posted_adjudication_and_passes_pyx12(db, clinic):
    second = _with_secondary_coverage(db, clinic)
    primary = _paid_claim(db, clinic)
    secondary = service.bill_secondary(db, SYSTEM, primary.id)
    # paid(): each line allowed at 60% (CO-45 the rest), PR-2 20.00 on the first line
    assert (secondary.payer_id, secondary.payer_responsibility, secondary.primary_claim_id) == (
        second.id, "S", primary.id)
    assert (secondary.primary_paid, secondary.primary_patient_responsibility, secondary.primary_paid_on) == (
        D("85.00"), D("20.00"), PAID_ON)
    text, sent = _sent(db, secondary.id)
    assert pyx12_errors(text) == []
    assert (sent.subscriber.payer_responsibility, sent.payer.payer_id, sent.subscriber.member_id) == (
        "S", "SX001", "SEC123")
    [other] = sent.other_payers
    primary_member = db.get(Patient, clinic.patients[0].id).coverages[0].member_id
    assert (other.payer_responsibility, other.payer.payer_id, other.subscriber_member_id) == (
        "P", "60054", primary_member)
    assert (other.paid, other.remaining_patient_liability, other.payer_claim_number) == (
        D("85.00"), D("20.00"), primary.payer_claim_number)
    first, second_line = sent.lines
    [adjudicated] = first.adjudications
    assert (adjudicated.payer_id, adjudicated.paid, adjudicated.procedure.code, adjudicated.adjudicated_on) == (
        "60054", D("67.00"), "99213", PAID_ON)
    assert sorted((a.group_code, a.reason_code, a.amount) for a in adjudicated.adjustments) == [
        ("CO", "45", D("58.00")), ("PR", "2", D("20.00"))]
    assert [(a.paid, [(c.group_code, c.reason_code, c.amount) for c in a.adjustments])
            for a in second_line.adjudications] == [(D("18.00"), [("CO", "45", D("12.00"))])]
    assert "SBR*S*18" in text and "SBR*P*18" in text and "AMT*D*85.00" in text and "SVD*60054*67.00*HC:99213" in text


def test_a_reversed_and_reposted_primary_payment_is_passed_on_as_it_stands(db, clinic):
    _with_secondary_coverage(db, clinic)
    primary = _paid_claim(db, clinic)
    reversal = paid(primary, status="22", sign=-1)
    repost = paid(primary, share=D("0.80"))
    ingest_file(db, SYSTEM, "again.835", render(transaction(clinic.practice, [reversal, repost], trace="EFT0002")))
    db.expire_all()
    secondary = service.bill_secondary(db, SYSTEM, primary.id)
    assert secondary.primary_paid == D("120.00")  # 116.00 - 20.00 + 24.00: the 80% payment alone
    text, sent = _sent(db, secondary.id)
    assert pyx12_errors(text) == []
    assert sent.other_payers[0].paid == D("120.00")
    assert sorted((a.group_code, a.reason_code, a.amount) for a in sent.lines[0].adjudications[0].adjustments) == [
        ("CO", "45", D("29.00")), ("PR", "2", D("20.00"))]


def _paid_secondary(db, clinic, primary: Claim, payer_claim_number: str) -> Claim:
    """The primary's secondary claim (payer SX001), accepted and paid by a posted 835: 90% of each line
    allowed, 5.00 of the first left to the patient."""
    secondary = service.bill_secondary(db, SYSTEM, primary.id)
    secondary.status, secondary.payer_claim_number = "payer_accepted", payer_claim_number
    db.flush()
    db.expire_all()
    secondary = db.get(Claim, secondary.id)
    ingest_file(db, SYSTEM, f"secondary-{secondary.id}.835", render(transaction(
        clinic.practice, [paid(secondary, share=D("0.90"), patient=D("5.00"))], trace=f"EFTSEC{secondary.id}",
        payer_code="SX001")))
    db.expire_all()
    assert db.get(Claim, secondary.id).status == "paid"
    return db.get(Claim, secondary.id)


def test_a_tertiary_claim_carries_the_primarys_and_the_secondarys_adjudications_and_passes_pyx12(db, clinic):
    _with_secondary_coverage(db, clinic)
    third = add_payer(db, "TX003", "Third Benefit Plan")
    network.add_coverage(db, SYSTEM, clinic.patients[0].id, network_schemas.CoverageCreate(
        payer_id=third.id, member_id="TER456", priority=3, effective_from=date(2024, 1, 1)))
    primary = _paid_claim(db, clinic)
    secondary = _paid_secondary(db, clinic, primary, "SECPCN0001")
    tertiary = service.bill_secondary(db, SYSTEM, secondary.id)
    assert (tertiary.payer_id, tertiary.payer_responsibility, tertiary.primary_claim_id) == (
        third.id, "T", secondary.id)
    text, sent = _sent(db, tertiary.id)
    assert pyx12_errors(text) == []
    assert (sent.subscriber.payer_responsibility, sent.payer.payer_id) == ("T", "TX003")
    assert [(o.payer_responsibility, o.payer.payer_id, o.payer_claim_number) for o in sent.other_payers] == [
        ("P", "60054", primary.payer_claim_number), ("S", "SX001", "SECPCN0001")]
    assert [o.paid for o in sent.other_payers] == [D("85.00"), D("152.50")]  # 130.50 + 27.00 less 5.00
    first, second_line = sent.lines
    assert [(a.payer_id, a.paid) for a in first.adjudications] == [("60054", D("67.00")), ("SX001", D("125.50"))]
    assert [(a.payer_id, a.paid) for a in second_line.adjudications] == [("60054", D("18.00")), ("SX001", D("27.00"))]
    assert "SBR*T*18" in text and "SBR*P*18" in text and "SBR*S*18" in text and "SVD*SX001*125.50*HC:99213" in text


def test_a_next_claim_to_a_payer_that_already_adjudicated_it_is_held_by_the_scrubber(db, clinic):
    """Two of the patient's plans with one payer: the 837P could not tell their adjudications apart."""
    network.add_coverage(db, SYSTEM, clinic.patients[0].id, network_schemas.CoverageCreate(
        payer_id=clinic.payer.id, member_id="SAME999", priority=2, effective_from=date(2024, 1, 1)))
    primary = _paid_claim(db, clinic)
    secondary = service.bill_secondary(db, SYSTEM, primary.id)
    assert secondary.payer_id == clinic.payer.id
    report = scrubbing.scrub_claims(db, SYSTEM, claim_ids=[secondary.id], as_of=AS_OF)
    assert (report.ready, report.held, dict(report.by_rule)) == (0, 1, {"COB-001": 1})
    [edit] = db.scalars(select(ClaimEdit).where(ClaimEdit.claim_id == secondary.id)).all()
    assert edit.message.startswith(f"payer 60054 already adjudicated this claim as an earlier payer "
                                   f"(claim {primary.patient_control_number})")


def test_a_tertiary_claim_to_the_primarys_payer_is_held_as_such_and_not_as_a_duplicate(db, clinic):
    _with_secondary_coverage(db, clinic)
    network.add_coverage(db, SYSTEM, clinic.patients[0].id, network_schemas.CoverageCreate(
        payer_id=clinic.payer.id, member_id="TER999", priority=3, effective_from=date(2024, 1, 1)))
    primary = _paid_claim(db, clinic)
    secondary = _paid_secondary(db, clinic, primary, "SECPCN0002")
    tertiary = service.bill_secondary(db, SYSTEM, secondary.id)
    report = scrubbing.scrub_claims(db, SYSTEM, claim_ids=[tertiary.id], as_of=AS_OF)
    assert (report.held, dict(report.by_rule)) == (1, {"COB-001": 1})
    [edit] = db.scalars(select(ClaimEdit).where(ClaimEdit.claim_id == tertiary.id)).all()
    assert f"(claim {primary.patient_control_number})" in edit.message


def test_the_next_payer_is_billed_once_and_only_after_the_primary_paid(db, clinic):
    _with_secondary_coverage(db, clinic)
    [unpaid] = accepted_claims(db, clinic, 1)
    with pytest.raises(Conflict, match="after the primary pays"):
        service.bill_secondary(db, SYSTEM, unpaid.id)
    unpaid.status = "paid"  # paid on paper: nothing posted, so nothing to pass on
    with pytest.raises(Conflict, match="no remittance has been posted"):
        service.bill_secondary(db, SYSTEM, unpaid.id)
    primary = _paid_claim(db, clinic)
    service.bill_secondary(db, SYSTEM, primary.id)
    with pytest.raises(Conflict, match="already been billed"):
        service.bill_secondary(db, SYSTEM, primary.id)


def test_a_patient_without_further_coverage_has_no_secondary_to_bill(db, clinic):
    primary = _paid_claim(db, clinic)
    with pytest.raises(Conflict, match="no further coverage"):
        service.bill_secondary(db, SYSTEM, primary.id)


def test_corrections_and_secondary_over_the_api(client, db, settings):
    world = build_world(db)
    clinic = world_clinic(db, world)
    original = _paid_claim(db, clinic)
    browser = signed_in(client, db, settings, add_user(db, Role.MSO_ADMIN))
    made = browser.post(f"/api/v1/claims/{original.id}/corrections", json={"kind": "void", "reason": "duplicate"})
    assert made.status_code == 201, made.text
    assert (made.json()["frequency_code"], made.json()["status"]) == ("8", "draft")
    bad = browser.post(f"/api/v1/claims/{original.id}/corrections", json={"kind": "undo", "reason": "x"})
    assert bad.status_code == 422
    refused = browser.post(f"/api/v1/claims/{original.id}/secondary")
    assert refused.status_code == 409 and "no further coverage" in refused.json()["detail"]


@pytest.mark.parametrize(("role", "status"), [(Role.MSO_ADMIN, 303), (Role.PRACTICE_ADMIN, 303),
                                              (Role.AUDITOR, 403), ("other practice", 404)])
def test_the_claim_page_offers_a_correction_to_those_who_may_make_one(client, db, settings, role, status):
    world = build_world(db)
    clinic = world_clinic(db, world)
    original = _paid_claim(db, clinic)
    if role == "other practice":
        user = add_user(db, Role.PRACTICE_ADMIN, world.practices[1])
    else:
        user = add_user(db, role, clinic.practice if role == Role.PRACTICE_ADMIN else None)
    browser = signed_in(client, db, settings, user)
    if status == 303:
        page = browser.get(f"/claims/{original.id}")
        assert 'id="correction-form"' in page.text and f"payer claim {original.payer_claim_number}" in page.text
    response = browser.post(f"/claims/{original.id}/corrections", data={"kind": "replace", "reason": "wrong code"},
                            follow_redirects=False)
    assert response.status_code == status, response.text
    if status == 303:
        replacement = db.scalars(select(Claim).where(Claim.original_claim_id == original.id)).one()
        assert response.headers["location"] == f"/claims/{replacement.id}" and replacement.frequency_code == "7"
        assert "replacement" in browser.get(response.headers["location"]).text
    else:
        assert db.scalars(select(Claim).where(Claim.original_claim_id == original.id)).first() is None


def test_the_claim_page_offers_the_next_payer_only_when_there_is_one_to_bill(client, db, settings):
    """A paid claim's page names the plan it would bill next (the secondary in force on the date of service), says
    there is none when none is on file, and links the next payer's claim once it is billed instead of offering it
    again."""
    world = build_world(db)
    clinic = world_clinic(db, world)
    primary = _paid_claim(db, clinic)
    browser = signed_in(client, db, settings, add_user(db, Role.MSO_ADMIN))
    page = browser.get(f"/claims/{primary.id}").text
    assert 'id="secondary-form"' not in page
    assert f"No further plan on file in force on {primary.service_date_from}" in page
    _with_secondary_coverage(db, clinic)
    page = browser.get(f"/claims/{primary.id}").text
    assert 'id="secondary-form"' in page and "Bill Second Mutual</button>" in page
    assert "the secondary plan, member SEC123" in page
    response = browser.post(f"/claims/{primary.id}/secondary", follow_redirects=False)
    assert response.status_code == 303, response.text
    secondary = db.scalars(select(Claim).where(Claim.primary_claim_id == primary.id)).one()
    page = browser.get(f"/claims/{primary.id}").text
    assert 'id="secondary-form"' not in page
    assert f'Next payer billed: <a href="/claims/{secondary.id}">{secondary.patient_control_number}</a>' in page
    page = browser.get(f"/claims/{secondary.id}").text  # the secondary's page names the claim it follows
    assert (f'<a href="/claims/{primary.id}">{primary.patient_control_number}</a> paid $85.00, left the patient '
            "$20.00") in page


def _sent_set(db, claim_id: int):
    text, _ = _sent(db, claim_id)
    [claim_set] = [parse_837p(t) for t in iter_transactions(text.encode("latin-1"))]
    return claim_set


def _simulated_answer(simulator: PayerSimulator, claim_set):
    """The payer simulator's 835 answering the claims as sent, accepted (`x12_responses.remittances`)."""
    decided = [(claim_set, [(claim, Decision(True, payer_claim_number="SEC0001")) for claim in claim_set.claims])]
    [remittance] = x12_responses.remittances(simulator, decided, PAID_ON)
    assert not check_balance(remittance)
    return remittance


def test_the_simulated_secondary_pays_what_the_primary_left_the_patient_and_reports_the_rest_as_oa_23(db, clinic):
    """The primary (paid()) left the patient 20.00 on the first line (PR-2) and nothing on the second: the
    secondary pays the 20.00 and reports the primary's decision (charge less the share) as OA-23, CLP02 2; posted,
    the patient owes nothing for the service."""
    _with_secondary_coverage(db, clinic)
    primary = _paid_claim(db, clinic)
    patient_id = clinic.patients[0].id
    assert patients.balance_after(db, clinic.practice.id, patient_id) == D("20.00")
    secondary = service.bill_secondary(db, SYSTEM, primary.id)
    no_coinsurance = PayerSimulator(rates={"SX001": PayerRates(coinsurance=D("0"))})
    remittance = _simulated_answer(no_coinsurance, _sent_set(db, secondary.id))
    [answer] = remittance.claims
    assert (answer.status_code, answer.charge, answer.paid, answer.patient_responsibility) == (
        "2", D("175.00"), D("20.00"), D("0"))
    assert [(line.paid, [(a.group_code, a.reason_code, a.amount) for a in line.adjustments])
            for line in answer.service_lines] == [(D("20.00"), [("OA", "23", D("125.00"))]),
                                                  (D("0.00"), [("OA", "23", D("30.00"))])]
    ingest_file(db, SYSTEM, "secondary.835",
                x12_responses.remittance_file("SIMPAYERS", "OPENMSO", 7, PAID_ON, [remittance]).encode())
    db.expire_all()
    assert db.get(Claim, secondary.id).status == "paid"
    assert patients.balance_after(db, clinic.practice.id, patient_id) == D("0.00")


def test_some_simulated_secondaries_leave_their_own_coinsurance_on_the_share(db, clinic):
    _with_secondary_coverage(db, clinic)
    secondary = service.bill_secondary(db, SYSTEM, _paid_claim(db, clinic).id)
    claim_set, outcomes = _sent_set(db, secondary.id), set()
    for seed in range(1, 41):  # the simulator's draw for the claim differs by seed
        [answer] = _simulated_answer(PayerSimulator(seed=seed), claim_set).claims
        first = answer.service_lines[0]
        outcomes.add((first.paid, tuple((a.group_code, a.reason_code, a.amount) for a in first.adjustments)))
    assert outcomes == {(D("20.00"), (("OA", "23", D("125.00")),)),
                        (D("16.00"), (("OA", "23", D("125.00")), ("PR", "2", D("4.00"))))}
