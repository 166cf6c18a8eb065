"""The demo's front desk: the payer's front-end rejections only the patient can answer, worked when the front desk
reaches the patient, `FRONT_DESK_AFTER` business days after the rejection (at their next call or visit).

- A birth date the payer did not match (277CA A7:158) is confirmed with the patient and corrected on their record
  once (`confirmed_birth_date`); each of their claims rejected for it is corrected as it is, for the next claim run.
- A payer that does not cover the patient (A3:116) when no other plan is on file for the date of service means
  the patient changed plans without telling the practice: the front desk takes the new card, ends the old plan the
  day before the new one starts (the first of the month of the earliest visit the old payer turned down), adds the
  new plan (a payer the practice is enrolled with, of the line of business a patient leaving the old one moves to,
  with the old plan's subscriber: a dependant stays one), and bills the patient's claims from that day on to it:
  those rejected, and those not yet sent.

A claim rejected again after the front desk's correction waits for a person: the record already says what the
patient said, and asking again would go round in circles.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from openmso.core.tenancy import SYSTEM
from openmso.core.types import utcnow
from openmso.demo import cards
from openmso.network.models import Coverage, Patient, Payer, PracticePayer
from openmso.network.schemas import CoverageCreate, CoverageUpdate, PatientUpdate
from openmso.network.service import add_coverage, update_coverage, update_patient
from openmso.rcm.claims import editing
from openmso.rcm.claims.editing import EDITABLE
from openmso.rcm.claims.models import Claim
from openmso.rcm.claims.schemas import ClaimRebillIn
from openmso.rcm.claims.states import REJECTED, ClaimStatus
from openmso.rcm.demo import (
    BIRTH_DATE_UNMATCHED,
    WRONG_PAYER,
    ClaimsDemoSummary,
    claim_as_is,
    other_primary_plan,
    subtract_business_days,
)

FRONT_DESK_AFTER = 5  # business days a rejection waits for the front desk to reach the patient
BIRTH_DATE_CONFIRMED = "birth date confirmed with the patient"
NEW_PLAN = "the patient's new plan, from the insurance card the front desk took"
# Where a patient the payer no longer covers has gone, by the old plan's line of business, likeliest first: a
# Medicare beneficiary who joined a Medicare Advantage plan, an employee who changed employer, a Medicaid member
# assigned to a managed-care plan or gone to an employer's.
SUBSCRIBER = ("subscriber_relation", "subscriber_first_name", "subscriber_last_name", "subscriber_birth_date")
PLAN_MOVES = {"medicare": ("medicare_advantage",), "medicare_advantage": ("medicare_advantage", "medicare"),
              "commercial": ("commercial",), "medicaid": ("medicaid_managed_care", "commercial"),
              "medicaid_managed_care": ("medicaid", "commercial")}


def confirmed_birth_date(keyed: date) -> date:
    """The birth date as the patient gives it when the payer did not match the one on file: day and month keyed the
    wrong way round when the day could be a month, else a day off (the typing slips behind A7:158)."""
    if keyed.day <= 12 and keyed.day != keyed.month:
        return keyed.replace(month=keyed.day, day=keyed.month)
    return keyed - timedelta(days=1)


def new_plan_starts(old: Coverage, first_visit: date) -> date | None:
    """The day the patient's new plan starts: the first of the month of the earliest visit the old payer turned
    down (plans start on the first), or the visit itself when the old plan started later that month; None when
    the old plan started on the visit (nothing on file can be ended before it: a person must look)."""
    for start in (first_visit.replace(day=1), first_visit):
        if start > old.effective_from:
            return start
    return None


class FrontDesk:
    """The front desk's part of the rejections worklist, one business day at a time (the caller sets the clock)."""

    def __init__(self, db: Session, summary: ClaimsDemoSummary, *, seed: int):
        self.db = db
        self.summary = summary
        self.cards = random.Random(seed * 4001)  # the new plans' cards
        self.birth_dates_confirmed: dict[int, datetime] = {}  # patient → when the front desk corrected it
        self.plans_taken: dict[int, datetime] = {}  # patient → when the front desk recorded the new plan

    def work(self, day: date) -> None:
        waited_since = datetime.combine(subtract_business_days(day, FRONT_DESK_AFTER), time.max, tzinfo=UTC)
        self.confirm_birth_dates(waited_since)
        self.take_new_plans(waited_since)

    def confirm_birth_dates(self, waited_since: datetime) -> None:
        claims = self.db.scalars(select(Claim).where(
            Claim.status == ClaimStatus.PAYER_REJECTED, Claim.status_codes == BIRTH_DATE_UNMATCHED,
            Claim.updated_at <= waited_since).order_by(Claim.id)).all()
        for claim in claims:
            confirmed = self.birth_dates_confirmed.get(claim.patient_id)
            if confirmed is not None and claim.updated_at > confirmed:
                continue
            if confirmed is None:
                patient = self.db.get(Patient, claim.patient_id)
                if patient.birth_date is None:
                    continue
                update_patient(self.db, SYSTEM, patient.id, PatientUpdate(
                    birth_date=confirmed_birth_date(patient.birth_date), reason=BIRTH_DATE_CONFIRMED))
                self.birth_dates_confirmed[claim.patient_id] = utcnow()
            editing.edit_claim(self.db, SYSTEM, claim.id, claim_as_is(claim, BIRTH_DATE_CONFIRMED))
            self.summary.rejections_worked += 1

    def take_new_plans(self, waited_since: datetime) -> None:
        """Each patient whose payer said it does not cover them, with no other plan on file for the visit: the new
        plan recorded once, then their claims billed to it (see the module's docstring)."""
        turned_down = self.db.scalars(select(Claim).where(
            Claim.status == ClaimStatus.PAYER_REJECTED, Claim.status_codes == WRONG_PAYER,
            Claim.updated_at <= waited_since, Claim.primary_claim_id.is_(None), other_primary_plan().is_(None))
            .order_by(Claim.service_date_from, Claim.id)).all()
        by_patient: dict[int, list[Claim]] = defaultdict(list)
        for claim in turned_down:
            if claim.patient_id not in self.plans_taken:
                by_patient[claim.patient_id].append(claim)
        for patient_id, claims in by_patient.items():
            old = self.db.get(Coverage, claims[0].coverage_id)
            start = new_plan_starts(old, claims[0].service_date_from)
            payer = self._new_payer(old)
            if start is None or payer is None:
                continue
            new = self._record_new_plan(old, start, payer)
            self.plans_taken[patient_id] = utcnow()
            self.summary.new_plans += 1
            for claim in self._to_bill_again(old, start):
                if claim.status == ClaimStatus.PAYER_REJECTED:
                    self.summary.rejections_worked += 1
                editing.rebill(self.db, SYSTEM, claim.id, ClaimRebillIn(coverage_id=new.id, reason=NEW_PLAN))

    def _new_payer(self, old: Coverage) -> Payer | None:
        """A payer the practice is enrolled with, of the first line of business in `PLAN_MOVES` that has one,
        other than the plans already on the patient's record."""
        on_file = select(Coverage.payer_id).where(Coverage.patient_id == old.patient_id)
        enrolled = (select(Payer).join(PracticePayer, PracticePayer.payer_id == Payer.id)
                    .where(PracticePayer.practice_id == old.practice_id, Payer.id.not_in(on_file)).order_by(Payer.id))
        for line in PLAN_MOVES.get(self.db.get(Payer, old.payer_id).line_of_business, ()):
            payers = self.db.scalars(enrolled.where(Payer.line_of_business == line)).all()
            if payers:
                return self.cards.choice(payers)
        return None

    def _record_new_plan(self, old: Coverage, start: date, payer: Payer) -> Coverage:
        ended = f"the payer does not cover the patient from {start.isoformat()}: the patient changed plans"
        update_coverage(self.db, SYSTEM, old.id, CoverageUpdate(effective_to=start - timedelta(days=1), reason=ended))
        subscriber = {name: getattr(old, name) for name in SUBSCRIBER}  # a dependant's parent changed employer
        return add_coverage(self.db, SYSTEM, old.patient_id, CoverageCreate(
            payer_id=payer.id, member_id=cards.member_id(self.cards, payer), priority=1, effective_from=start,
            group_number=f"G{self.cards.randrange(10**5):05d}" if payer.line_of_business == "commercial" else None,
            **subscriber))

    def _to_bill_again(self, old: Coverage, start: date) -> list[Claim]:
        """The patient's claims on the ended plan for visits from `start` that the practice still holds: those
        the old payer turned down, and those not yet sent (built before the front desk heard)."""
        return list(self.db.scalars(select(Claim).where(
            Claim.coverage_id == old.id, Claim.primary_claim_id.is_(None), Claim.service_date_from >= start,
            Claim.status.in_(EDITABLE | REJECTED)).order_by(Claim.id)))
