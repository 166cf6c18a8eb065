"""The demo's billers work the payer's front-end rejections (277CA) two business days old: a member id the payer
does not know is re-keyed from the insurance card and the claim goes again with it; a claim sent to the wrong
payer is billed to the patient's other primary plan in force on the date of service. A birth date, or a wrong
payer with no other plan, waits a week for the front desk, which asks the patient."""

from __future__ import annotations

import random
from datetime import date

import pytest
from sqlalchemy import select

from openmso.core.audit import AuditEntry
from openmso.core.tenancy import SYSTEM
from openmso.core.types import simulated_clock
from openmso.demo.cards import MBI_LETTERS, rekeyed
from openmso.demo.timeline import at
from openmso.network import schemas
from openmso.network import service as network
from openmso.network.models import Coverage
from openmso.rcm.claims import batches, building, scrubbing, views, x837
from openmso.rcm.claims.models import Claim, TimelineEntry
from openmso.rcm.clearinghouse import ingest
from openmso.rcm.clearinghouse.adapters import default_envelope
from openmso.rcm.clearinghouse.simulator import FRONT_END_REJECTIONS, Decision
from openmso.rcm.clearinghouse.x12_responses import claim_acknowledgment
from openmso.rcm.demo import ClaimsDemoSummary, ClaimsDesk
from openmso.rcm.demo_front_desk import FrontDesk, confirmed_birth_date, new_plan_starts
from openmso.x12 import iter_transactions, parse_837p
from tests.factories import add_patient, add_payer, add_signed_agreement
from tests.rcm.conftest import AS_OF, SERVICE_DAY, make_clinic

REJECTED_ON = AS_OF  # Thursday 15 October 2026, read at 18:00
NEXT_DAY, SECOND_DAY = date(2026, 10, 16), date(2026, 10, 19)  # Friday, then Monday: two business days later
NEXT_WEEK = date(2026, 10, 26)
ENVELOPE = default_envelope("Test MSO", "SIMULATED PAYERS", "SIMCH")


@pytest.fixture
def rejected(db, tmp_path):
    """Three claims the payer's front end rejected on `REJECTED_ON`, in order: A7:164 (member id),
    A3:116 (wrong payer), A7:158 (birth date); and the demo's claims desk."""
    clinic = make_clinic(db, "Qzdesk", patients=3)
    add_signed_agreement(db, clinic.practice)
    for patient in clinic.patients:
        clinic.charge(db, patient)
    claim_ids = building.build_claims(db, SYSTEM, clinic.practice.id)
    scrubbing.scrub_claims(db, SYSTEM, claim_ids=claim_ids, as_of=AS_OF)
    claims = _reject(db, [db.get(Claim, claim_id) for claim_id in claim_ids], FRONT_END_REJECTIONS, REJECTED_ON)
    assert [claim.status_codes for claim in claims] == ["277CA:A7:164:IL", "277CA:A3:116", "277CA:A7:158:QC"]
    return clinic, claims, Office(db, ClaimsDesk(db, tmp_path / "ch", seed=1, as_of=AS_OF))


class Office:
    """The billers' desk and the front desk, worked at 11:00 as the demo's timeline does."""

    def __init__(self, db, billers: ClaimsDesk):
        self.billers, self.front = billers, FrontDesk(db, billers.summary, seed=1)

    @property
    def summary(self) -> ClaimsDemoSummary:
        return self.billers.summary

    def work(self, day: date) -> None:
        with simulated_clock(at(day, 11)):
            self.billers.work_rejections(day)
            self.front.work(day)


def _reject(db, claims: list[Claim], reasons, day: date) -> list[Claim]:
    """Send the ready `claims` in one 837P and read the payer's 277CA rejecting each for its reason at 18:00."""
    [batch] = batches.build_batches(db, SYSTEM, ENVELOPE, adapter="test", claim_ids=[claim.id for claim in claims])
    claim_set = parse_837p(next(iter_transactions(batch.content.encode())))
    by_number = {claim.patient_control_number: claim for claim in claims}
    decided = [(sent, Decision(False, *reason)) for sent, reason in zip(claim_set.claims, reasons, strict=True)]
    with simulated_clock(at(day, 18)):
        ingest.ingest(db, SYSTEM, f"277CA_{batch.id}.x12",
                      claim_acknowledgment("SIMCH", "OPENMSO", batch.id, day, [(claim_set, decided)]).encode())
    db.expire_all()
    return [db.get(Claim, by_number[sent.patient_control_number].id) for sent, _ in decided]


def test_a_member_id_is_re_keyed_and_the_claim_goes_again_with_it(db, rejected):
    clinic, (member, wrong_payer, birth_date), desk = rejected
    coverage = clinic.patients[0].coverages[0]
    keyed = coverage.member_id
    desk.work(NEXT_DAY)
    assert desk.summary.rejections_worked == 0 and member.status == "payer_rejected"  # one business day old
    desk.work(SECOND_DAY)
    db.expire_all()
    assert desk.summary.rejections_worked == 1
    assert [db.get(Claim, c.id).status for c in (member, wrong_payer, birth_date)] == [
        "ready", "payer_rejected", "payer_rejected"]
    corrected = db.get(Claim, member.id)
    assert (corrected.frequency_code, corrected.diagnosis_codes) == ("1", ["E119", "I10"])
    assert corrected.updated_at == at(SECOND_DAY, 11)
    new = db.get(type(coverage), coverage.id).member_id
    assert len(new) == len(keyed) and sum(a != b for a, b in zip(new, keyed, strict=True)) == 1
    [view] = views.load_views(db, [member.id])
    assert x837.professional_claim(view).subscriber.member_id == new
    events = db.scalars(select(TimelineEntry.event).where(TimelineEntry.claim_id == member.id)
                        .order_by(TimelineEntry.id)).all()
    assert events[-4:] == ["correct", "edit", "scrub", "pass"]
    assert db.scalar(select(AuditEntry.reason).where(AuditEntry.action == "coverage.update")) == (
        "member id re-keyed from the insurance card (member_id)")


def test_a_wrong_payer_goes_to_the_patients_other_primary_plan_in_force_on_the_date_of_service(db, rejected):
    clinic, (_, wrong_payer, _), desk = rejected
    medicare = add_payer(db, "04412", "Medicare Part B Texas")
    patient = clinic.patients[1]

    def plan(priority, start, end=None):
        return network.add_coverage(db, SYSTEM, patient.id, schemas.CoverageCreate(
            payer_id=medicare.id, member_id="1EG4TE5MK73", priority=priority, effective_from=start,
            effective_to=end))

    network.update_coverage(db, SYSTEM, patient.coverages[0].id, schemas.CoverageUpdate(
        effective_to=date(2025, 12, 31), reason="the employer plan ended"))  # what the payer's rejection meant
    plan(1, date(2026, 1, 1), date(2026, 9, 30))  # ended the day before the visit
    plan(2, date(2024, 1, 1))  # the secondary: the front desk would first have to put it first
    desk.work(SECOND_DAY)  # only the member id rejection is worked
    assert (desk.summary.rejections_worked, db.get(Claim, wrong_payer.id).status) == (1, "payer_rejected")
    in_force = plan(1, SERVICE_DAY)
    desk.work(SECOND_DAY)
    db.expire_all()
    claim = db.get(Claim, wrong_payer.id)
    assert desk.summary.rejections_worked == 2
    assert (claim.status, claim.coverage_id, claim.payer_id) == ("ready", in_force.id, medicare.id)
    rejected_again = _reject(db, [claim], [("A3", "116", "")], NEXT_WEEK)  # Medicare says no too
    desk.work(date(2026, 10, 28))  # the birth date goes to the front desk (a week on); the wrong payer waits
    assert (desk.summary.rejections_worked, rejected_again[0].status) == (3, "payer_rejected")


@pytest.mark.parametrize(("member_id", "seed"), [("AET123456789", 1), ("1EG4TE5MK73", 1), ("1EG4TE5MK73", 4)])
def test_a_re_keyed_member_id_keeps_its_format_and_differs_in_one_digit(member_id, seed):
    new = rekeyed(random.Random(seed), member_id)
    changed = [i for i, (a, b) in enumerate(zip(new, member_id, strict=True)) if a != b]
    assert len(changed) == 1 and new[changed[0]].isdigit() and member_id[changed[0]].isdigit()
    assert new[0] != "0" and all(a == b for a, b in zip(new, member_id, strict=True) if b in MBI_LETTERS)


def test_a_medicare_beneficiary_identifier_never_starts_with_zero():
    """The MBI's first character is 1 to 9: when its digit is the one re-keyed, it never becomes 0."""
    firsts = {rekeyed(random.Random(seed), "1EG4TE5MK73")[0] for seed in range(400)}
    assert firsts == set("123456789")


def test_a_birth_date_is_confirmed_with_the_patient_a_week_on_and_each_claim_rejected_for_it_goes_again(db, rejected):
    clinic, (_, _, birth_date), desk = rejected
    patient = clinic.patients[2]
    keyed = patient.birth_date
    visit = clinic.charge(db, patient, service_date=date(2026, 10, 2), encounter_key="Qzdesk-second")  # another
    [second_id] = building.build_claims(db, SYSTEM, clinic.practice.id, [visit.id])
    scrubbing.scrub_claims(db, SYSTEM, claim_ids=[second_id], as_of=AS_OF)
    [second] = _reject(db, [db.get(Claim, second_id)], [("A7", "158", "QC")], REJECTED_ON)
    desk.work(date(2026, 10, 21))  # four business days: the front desk has not reached the patient yet
    assert db.get(Claim, birth_date.id).status == "payer_rejected" and desk.summary.rejections_worked == 1
    desk.work(date(2026, 10, 22))
    db.expire_all()
    assert [db.get(Claim, c.id).status for c in (birth_date, second)] == ["ready", "ready"]
    confirmed = db.get(type(patient), patient.id).birth_date
    assert confirmed == confirmed_birth_date(keyed) != keyed  # corrected once for both claims
    [view] = views.load_views(db, [birth_date.id])
    sent = x837.professional_claim(view)
    assert (sent.patient or sent.subscriber).birth_date == confirmed
    assert db.scalar(select(AuditEntry.reason).where(AuditEntry.action == "patient.update")).startswith(
        "birth date confirmed with the patient")
    [again] = _reject(db, [db.get(Claim, birth_date.id)], [("A7", "158", "QC")], date(2026, 10, 26))
    desk.work(date(2026, 11, 4))  # rejected again after the correction: a person must look, not the desk again
    assert db.get(Claim, again.id).status == "payer_rejected"
    assert db.get(type(patient), patient.id).birth_date == confirmed


@pytest.mark.parametrize(("keyed", "confirmed"), [(date(1980, 3, 7), date(1980, 7, 3)), (date(1980, 3, 25),
                                                  date(1980, 3, 24)), (date(1980, 5, 5), date(1980, 5, 4))])
def test_a_confirmed_birth_date_swaps_day_and_month_where_it_can_else_moves_a_day(keyed, confirmed):
    assert confirmed_birth_date(keyed) == confirmed


def _enrolled(db, clinic, *payers) -> None:
    for payer in payers:
        network.enroll_payer(db, SYSTEM, clinic.practice.id, payer.id, date(2024, 1, 1))


def test_a_payer_that_does_not_cover_the_patient_with_no_other_plan_on_file_gets_the_patients_new_plan(db, rejected):
    """The front desk takes the new card a week on: the old plan ends the day before the new one starts (the
    first of the visit's month), the new plan is a commercial payer the practice is enrolled with, and the
    patient's claims from that day are billed to it — the one rejected and one not yet sent; an earlier visit's
    claim stays with the old payer, which covered it."""
    clinic, (_, wrong_payer, _), desk = rejected
    cigna, medicare = add_payer(db, "62308", "Cigna Healthcare"), add_payer(db, "04412", "Medicare Part B Texas",
                                                                            "medicare")
    _enrolled(db, clinic, clinic.payer, cigna, medicare)
    patient = clinic.patients[1]
    old = patient.coverages[0]
    network.update_coverage(db, SYSTEM, old.id, schemas.CoverageUpdate(  # a dependant on a parent's employer plan
        subscriber_relation="19", subscriber_first_name="Robin", subscriber_last_name="Qzdeskson",
        subscriber_birth_date=date(1955, 4, 2), reason="the parent's plan"))
    later = clinic.charge(db, patient, service_date=date(2026, 10, 8), encounter_key="Qzdesk-later")
    earlier = clinic.charge(db, patient, service_date=date(2026, 9, 24), encounter_key="Qzdesk-earlier")
    unsent = building.build_claims(db, SYSTEM, clinic.practice.id, [later.id, earlier.id])
    desk.work(SECOND_DAY)  # the billers find no other plan on file: it waits for the front desk
    desk.work(date(2026, 10, 21))  # four business days: not reached yet
    assert db.get(Claim, wrong_payer.id).status == "payer_rejected"
    desk.work(date(2026, 10, 22))
    db.expire_all()
    ended = db.get(type(old), old.id)
    assert ended.effective_to == date(2026, 9, 30)
    [new] = [c for c in db.get(type(patient), patient.id).coverages if c.id != old.id]
    assert (new.payer_id, new.priority, new.effective_from, new.effective_to) == (cigna.id, 1, SERVICE_DAY, None)
    assert new.member_id.startswith("623") and len(new.member_id) == 12 and new.group_number.startswith("G")
    assert (new.subscriber_relation, new.subscriber_first_name, new.subscriber_birth_date) == (
        "19", "Robin", date(1955, 4, 2))  # still the parent's dependant: the parent changed employer
    claims = sorted((db.get(Claim, claim_id) for claim_id in (wrong_payer.id, *unsent)), key=lambda c: c.id)
    assert sorted((c.service_date_from, c.coverage_id, c.status) for c in claims) == [
        (date(2026, 9, 24), old.id, "draft"), (SERVICE_DAY, new.id, "ready"), (date(2026, 10, 8), new.id, "ready")]
    [view] = views.load_views(db, [wrong_payer.id])
    sent = x837.professional_claim(view)
    assert (sent.payer.payer_id, sent.subscriber.member_id) == ("62308", new.member_id)
    assert db.scalar(select(TimelineEntry.detail).where(TimelineEntry.claim_id == wrong_payer.id,
                                                        TimelineEntry.event == "rebill")).startswith(
        "the patient's new plan, from the insurance card the front desk took: payer Aetna → Cigna Healthcare")
    assert (desk.summary.rejections_worked, desk.summary.new_plans) == (3, 1)  # the member id, birth date, payer
    [again] = _reject(db, [claims[0]], [("A3", "116", "")], date(2026, 10, 26))  # Cigna says no too
    desk.work(date(2026, 11, 4))
    db.expire_all()
    assert db.get(Claim, again.id).status == "payer_rejected"  # a person looks: the desk does not ask again
    assert len(db.get(type(patient), patient.id).coverages) == 2


def test_a_medicare_patient_the_payer_does_not_cover_has_moved_to_a_medicare_advantage_plan(db, tmp_path):
    clinic = make_clinic(db, "Qzmove", patients=0)
    add_signed_agreement(db, clinic.practice)
    medicare = add_payer(db, "04412", "Medicare Part B Texas", "medicare")
    advantage = add_payer(db, "61101", "Humana Medicare Advantage", "medicare_advantage")
    _enrolled(db, clinic, medicare, advantage, clinic.payer)
    patient = add_patient(db, clinic.practice, "Qzmove")
    old = network.add_coverage(db, SYSTEM, patient.id, schemas.CoverageCreate(
        payer_id=medicare.id, member_id="1EG4TE5MK73", effective_from=date(2026, 10, 1)))  # started that month
    clinic.charge(db, patient, service_date=date(2026, 10, 6))
    claim_ids = building.build_claims(db, SYSTEM, clinic.practice.id)
    scrubbing.scrub_claims(db, SYSTEM, claim_ids=claim_ids, as_of=AS_OF)
    [claim] = _reject(db, [db.get(Claim, claim_ids[0])], [("A3", "116", "")], REJECTED_ON)
    desk = Office(db, ClaimsDesk(db, tmp_path / "ch", seed=1, as_of=AS_OF))
    desk.work(date(2026, 10, 22))
    db.expire_all()
    [new] = [c for c in db.get(type(patient), patient.id).coverages if c.id != old.id]
    assert (new.payer_id, new.effective_from, db.get(type(old), old.id).effective_to) == (
        advantage.id, date(2026, 10, 6), date(2026, 10, 5))  # the visit: the old plan began on the 1st
    assert new.member_id.startswith("611") and new.group_number is None
    assert db.get(Claim, claim.id).payer_id == advantage.id


@pytest.mark.parametrize(("starts", "visit", "new"), [
    (date(2024, 1, 1), date(2026, 10, 8), date(2026, 10, 1)), (date(2026, 10, 1), date(2026, 10, 8),
                                                                date(2026, 10, 8)),
    (date(2026, 10, 3), date(2026, 10, 8), date(2026, 10, 8)), (date(2026, 10, 8), date(2026, 10, 8), None)])
def test_a_new_plan_starts_on_the_first_of_the_visits_month_else_on_the_visit(starts, visit, new):
    assert new_plan_starts(Coverage(effective_from=starts), visit) == new
