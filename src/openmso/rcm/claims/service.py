"""Claims use cases: find and read claims (tenancy-scoped, PHI reads audited), the worklists,
and the changes a biller makes to one claim (hold, release, correct, replace or void, bill the
secondary payer)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from sqlalchemy import ColumnElement, Exists, ScalarSelect, func, or_, select
from sqlalchemy.orm import Session, aliased

from openmso.core import audit
from openmso.core.errors import Conflict, NotFound
from openmso.core.pagination import PageParams, Slice, fetch_page
from openmso.core.sql_dates import days_after
from openmso.core.tenancy import Actor, visible
from openmso.network.models import Coverage, Patient, Payer, Practice
from openmso.rcm.claims import access, cob, numbers
from openmso.rcm.claims.models import Claim, ClaimBatch, ClaimEdit, ClaimLine, TimelineEntry
from openmso.rcm.claims.schemas import Correction
from openmso.rcm.claims.states import ADJUDICATED, REJECTED, ClaimEvent, ClaimStatus
from openmso.rcm.claims.timeline import advance, record_created
from openmso.rcm.denials.models import STILL_TO_WORK, DenialCase


class ClaimSort(StrEnum):
    NEWEST = "newest"
    SERVICE_DATE = "service_date"
    CHARGE = "charge"


@dataclass(frozen=True, slots=True)
class ClaimFilter:
    practice_id: int | None = None
    payer_id: int | None = None
    status: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    sort: ClaimSort = ClaimSort.NEWEST


_ORDER = {ClaimSort.NEWEST: (Claim.id.desc(),), ClaimSort.SERVICE_DATE: (Claim.service_date_from.desc(), Claim.id),
          ClaimSort.CHARGE: (Claim.total_charge.desc(), Claim.id)}


def listable(db: Session, actor: Actor, criteria: ClaimFilter):
    """Visible claims of the practices whose PHI the actor may read, filtered."""
    practice_ids = list(db.scalars(visible(select(Practice.id), actor, Practice)))
    allowed = access.readable_practices(db, actor, practice_ids)
    query = visible(select(Claim), actor).where(Claim.practice_id.in_(sorted(allowed)))
    if criteria.practice_id is not None:
        query = query.where(Claim.practice_id == criteria.practice_id)
    if criteria.payer_id is not None:
        query = query.where(Claim.payer_id == criteria.payer_id)
    if criteria.status:
        query = query.where(Claim.status == criteria.status)
    if criteria.date_from is not None:
        query = query.where(Claim.service_date_from >= criteria.date_from)
    if criteria.date_to is not None:
        query = query.where(Claim.service_date_from <= criteria.date_to)
    return query.order_by(*_ORDER[criteria.sort])


def list_claims(db: Session, actor: Actor, criteria: ClaimFilter, params: PageParams) -> Slice:
    """A page of claims; the listing (which names patients) is audited as a PHI read."""
    page = fetch_page(db, listable(db, actor, criteria), params)
    audit.record(db, actor, "claim.list", "claim", None, practice_id=criteria.practice_id,
                 reason=f"status={criteria.status} payer={criteria.payer_id} page={params.page} rows={len(page.rows)}")
    return page


def status_counts(db: Session, actor: Actor, practice_id: int | None = None) -> dict[str, int]:
    query = visible(select(Claim.status, func.count()), actor, Claim).group_by(Claim.status)
    if practice_id is not None:
        query = query.where(Claim.practice_id == practice_id)
    return dict(db.execute(query).all())


def scrubber_worklist(db: Session, actor: Actor, params: PageParams, practice_id: int | None = None) -> Slice:
    """Held claims with their failed edits, oldest service first (timely filing runs from it)."""
    query = listable(db, actor, ClaimFilter(practice_id=practice_id, status=ClaimStatus.HELD))
    page = fetch_page(db, query.order_by(None).order_by(Claim.service_date_from, Claim.id), params)
    audit.record(db, actor, "claim.worklist_scrubber", "claim", None, practice_id=practice_id,
                 reason=f"rows={len(page.rows)}")
    return page


def rejection_worklist(db: Session, actor: Actor, params: PageParams, practice_id: int | None = None) -> Slice:
    """Claims rejected by the clearinghouse (999) or the payer (277CA), the nearest filing deadline first (then
    the largest): the payer never took them in, so its timely filing limit still runs from the date of service
    (`rejected_claims`). A claim with no payer comes first: it has no deadline to count on."""
    query = listable(db, actor, ClaimFilter(practice_id=practice_id)).where(Claim.status.in_(REJECTED))
    deadline = days_after(Claim.service_date_from, func.coalesce(Payer.timely_filing_days, 0))
    page = fetch_page(db, query.outerjoin(Payer, Payer.id == Claim.payer_id).order_by(None)
                      .order_by(deadline, Claim.total_charge.desc(), Claim.id), params)
    audit.record(db, actor, "claim.worklist_rejections", "claim", None, practice_id=practice_id,
                 reason=f"rows={len(page.rows)}")
    return page


@dataclass(frozen=True, slots=True)
class RejectedClaim:
    """What a biller needs beside a rejected claim: who, which payer, and the day it must reach that payer."""

    patient_name: str
    payer_name: str
    file_by: date | None  # the date of service plus the payer's timely filing limit


def rejected_claims(db: Session, claims: list[Claim]) -> dict[int, RejectedClaim]:
    """For a page of the rejections worklist (already read and audited): names and filing deadlines, in two
    IN queries. A rejected claim was never received, so only a resubmission by `file_by` is on time."""
    patients = {row.id: f"{row.last_name}, {row.first_name}" for row in db.execute(
        select(Patient.id, Patient.first_name, Patient.last_name).where(
            Patient.id.in_({c.patient_id for c in claims})))}
    payers = {row.id: row for row in db.execute(select(Payer.id, Payer.name, Payer.timely_filing_days).where(
        Payer.id.in_({c.payer_id for c in claims if c.payer_id})))}
    return {c.id: RejectedClaim(
        patients.get(c.patient_id, ""), payers[c.payer_id].name if c.payer_id in payers else "no payer",
        c.service_date_from + timedelta(days=payers[c.payer_id].timely_filing_days) if c.payer_id in payers else None)
        for c in claims}


def waiting_counts(db: Session, actor: Actor) -> tuple[int, int]:
    """(held by the scrubber, rejected) claims in the two worklists' own scope: counts, not a listing, so not
    an audited read of patient data."""
    claims = listable(db, actor, ClaimFilter()).order_by(None).subquery()
    held = func.count().filter(claims.c.status == ClaimStatus.HELD)
    rejected = func.count().filter(claims.c.status.in_(REJECTED))
    return tuple(db.execute(select(held, rejected).select_from(claims)).one())


def edits_for(db: Session, claim_ids: list[int]) -> dict[int, list[ClaimEdit]]:
    result: dict[int, list[ClaimEdit]] = {claim_id: [] for claim_id in claim_ids}
    if claim_ids:
        for edit in db.scalars(select(ClaimEdit).where(ClaimEdit.claim_id.in_(claim_ids))
                               .order_by(ClaimEdit.claim_id, ClaimEdit.severity, ClaimEdit.id)):
            result[edit.claim_id].append(edit)
    return result


def get_claim(db: Session, actor: Actor, claim_id: int, *, audit_read: bool = True) -> Claim:
    """One claim (404 when invisible); reading it is a PHI read under the practice's agreement, audited."""
    claim = db.scalar(visible(select(Claim), actor).where(Claim.id == claim_id))
    if claim is None:
        raise NotFound("Claim not found")
    access.can_read(db, actor, claim.practice_id, object_id=claim.id, patient_id=claim.patient_id)
    if audit_read:
        audit.record(db, actor, "claim.read", "claim", claim.id, practice_id=claim.practice_id,
                     patient_id=claim.patient_id)
    return claim


@dataclass
class ClaimDetail:
    claim: Claim
    patient: Patient
    edits: list[ClaimEdit]
    timeline: list[TimelineEntry]
    batch: ClaimBatch | None
    segments: list[str]
    corrections: list[Claim] = field(default_factory=list)  # replacements and voids of this claim
    later_claims: list[Claim] = field(default_factory=list)  # this service billed to the next payer (COB)
    next_coverage: Coverage | None = None  # the plan after this claim's in force on its date of service
    earlier_claim: Claim | None = None  # the earlier payer's claim this one follows (COB)
    denials_in_work: list[DenialCase] = field(default_factory=list)  # open or appealed: the next payer may wait
    standing_correction: Claim | None = None  # a replacement or void that stands: the next payer waits for it
    may_work: bool = False  # the reader may also work it (`access.workable_practices`): the page offers actions

    @property
    def next_payer_claim(self) -> Claim | None:
        """The claim billing this service to the next payer, unless closed or rejected (then it may be billed again)."""
        return next((c for c in self.later_claims if c.status not in NOT_BILLING), None)


# A later payer's claim in these statuses does not bill it: the next payer may be billed again.
NOT_BILLING = frozenset((ClaimStatus.CLOSED, *REJECTED))


def next_plan() -> ScalarSelect:
    """For each claim (correlated): the patient's plan of the next order (secondary after primary, tertiary after
    secondary) in force on its date of service, the one a paid claim's balance is billed to for coordination of
    benefits. SQL, so a worklist can pick the claims that have one without loading them."""
    current, following = aliased(Coverage), aliased(Coverage)
    return (select(following.id).where(*plans_after(current, following))
            .order_by(following.priority, following.id).limit(1).correlate(Claim).scalar_subquery())


def plans_after(current, following) -> list[ColumnElement[bool]]:
    """SQL conditions: `current` (a `Coverage` alias) is the plan a claim was billed to and `following` one of the
    patient's plans of a later order in force on its date of service."""
    return [current.id == Claim.coverage_id, following.patient_id == Claim.patient_id,
            following.priority > current.priority, following.active_on(Claim.service_date_from)]


def next_coverage(db: Session, claim: Claim) -> Coverage | None:
    coverage_id = db.scalar(select(next_plan()).where(Claim.id == claim.id))
    return db.get(Coverage, coverage_id) if coverage_id is not None else None


def stands(correction) -> ColumnElement[bool]:
    """Whether a replacement or void (`Claim` or an alias of it) stands: still on its way to the payer or
    adjudicated by it. The payer's decision on the claim it corrects is about to be replaced, so no other
    correction is made and its next payer is billed from the correction's. A closed correction was itself
    superseded and a rejected one never reached adjudication (it is corrected as a new original)."""
    return correction.status.not_in((ClaimStatus.CLOSED, *REJECTED))


def standing_correction(db: Session, claim_id: int) -> Claim | None:
    """The first standing replacement or void of the claim (`stands`), if any."""
    return db.scalar(select(Claim).where(Claim.original_claim_id == claim_id, stands(Claim))
                     .order_by(Claim.id).limit(1))


def cases_in_work(db: Session, claim_ids: list[int]) -> dict[int, list[DenialCase]]:
    """These claims' denial cases still being worked (open or appealed), oldest first, by claim: what billing
    the next payer waits on."""
    cases: dict[int, list[DenialCase]] = defaultdict(list)
    for case in db.scalars(select(DenialCase).where(DenialCase.claim_id.in_(claim_ids),
                                                    DenialCase.status.in_(STILL_TO_WORK)).order_by(DenialCase.id)):
        cases[case.claim_id].append(case)
    return cases


def being_corrected() -> Exists:
    """For each claim (correlated): whether a correction of it stands (`stands`)."""
    correction = aliased(Claim)
    return (select(correction.id).where(correction.original_claim_id == Claim.id, stands(correction))
            .correlate(Claim).exists())


def next_payer_billed(not_billing: Collection[ClaimStatus] = NOT_BILLING) -> Exists:
    """For each claim (correlated): whether a claim to the next payer bills its service: one made from it, or from
    the claim it corrects (the next payer billed from the original is corrected in turn, not billed again), that
    is not in `not_billing` (closed or rejected: then the next payer may be billed again)."""
    later = aliased(Claim)
    return (select(later.id).where(later.primary_claim_id.in_((Claim.id, Claim.original_claim_id)),
                                   later.status.not_in(not_billing)).correlate(Claim).exists())


def denials_in_work() -> Exists:
    """For each claim (correlated): whether a denial of it is still being worked (open or appealed). Its denied
    lines may yet be paid, corrected or written off, and a next payer billed meanwhile is sent the denial as
    posted: a later change of the earlier payer's decision then has the next payer's payment to undo."""
    return select(DenialCase.id).where(DenialCase.claim_id == Claim.id,
                                       DenialCase.status.in_(STILL_TO_WORK)).correlate(Claim).exists()


def claim_detail(db: Session, actor: Actor, claim_id: int) -> ClaimDetail:
    """Everything the claim page shows: lines, edits, timeline, the segments sent for it, and the claims made
    from it (its corrections, and the same service billed to the next payer)."""
    claim = get_claim(db, actor, claim_id)
    edits = edits_for(db, [claim.id])[claim.id]
    timeline = list(db.scalars(select(TimelineEntry).where(TimelineEntry.claim_id == claim.id)
                               .order_by(TimelineEntry.id)))
    batch = db.get(ClaimBatch, claim.batch_id) if claim.batch_id else None
    related = list(db.scalars(select(Claim).where(Claim.practice_id == claim.practice_id, or_(
        Claim.original_claim_id == claim.id, Claim.primary_claim_id == claim.id)).order_by(Claim.id)))
    return ClaimDetail(claim, db.get(Patient, claim.patient_id), edits, timeline, batch,
                       segments_sent(batch, claim) if batch else [],
                       corrections=[c for c in related if c.original_claim_id == claim.id],
                       later_claims=[c for c in related if c.primary_claim_id == claim.id],
                       next_coverage=next_coverage(db, claim),
                       may_work=claim.practice_id in access.workable_practices(db, actor, [claim.practice_id]),
                       earlier_claim=db.get(Claim, claim.primary_claim_id) if claim.primary_claim_id else None,
                       denials_in_work=cases_in_work(db, [claim.id]).get(claim.id, []),
                       standing_correction=standing_correction(db, claim.id))


def segments_sent(batch: ClaimBatch, claim: Claim) -> list[str]:
    """The claim's own segments (from its 2000B HL to the next HL) in the exact file that was sent."""
    terminator = batch.content[105]
    separator = batch.content[3]
    segments = [s.strip() for s in batch.content.split(terminator) if s.strip()]
    marker = f"CLM{separator}{claim.patient_control_number}{separator}"
    at = next((i for i, s in enumerate(segments) if s.startswith(marker)), None)
    if at is None:
        return []
    start = max(i for i in range(at) if segments[i].startswith(f"HL{separator}") and
                segments[i].split(separator)[3] == "22")
    end = next((i for i in range(at, len(segments)) if segments[i].startswith((f"HL{separator}", f"SE{separator}"))),
               len(segments))
    return segments[start:end]


def change_status(db: Session, actor: Actor, claim_id: int, event: ClaimEvent, note: str | None = None) -> Claim:
    """Hold, release, correct (after a rejection) or close one claim."""
    claim = get_claim(db, actor, claim_id, audit_read=False)
    access.can_manage_charges(db, actor, claim.practice_id, object_type="claim", object_id=claim.id)
    if event is ClaimEvent.RELEASE and claim.error_count:
        raise Conflict(f"the claim has {claim.error_count} scrubber error(s); fix them and scrub again")
    advance(db, actor, claim, event, note)
    audit.record(db, actor, f"claim.{event.value}", "claim", claim.id, practice_id=claim.practice_id,
                 patient_id=claim.patient_id, reason=note)
    return claim


def _copy(db: Session, actor: Actor, claim: Claim, **changes) -> Claim:
    pcn = numbers.patient_control_numbers(db, claim.practice_id, 1)[0]
    fields = {c.key: getattr(claim, c.key) for c in Claim.__table__.columns
              if c.key not in ("id", "created_at", "updated_at", "submitted_at", "batch_id", "status_codes",
                               "status_reason", "error_count", "warning_count")}
    copy = Claim(**{**fields, "patient_control_number": pcn, "status": ClaimStatus.DRAFT, **changes})
    copy.lines = [ClaimLine(practice_id=line.practice_id, charge_id=line.charge_id, line_number=line.line_number,
                            procedure_code=line.procedure_code, modifiers=line.modifiers, units=line.units,
                            charge_amount=line.charge_amount, service_date=line.service_date,
                            service_date_end=line.service_date_end, pointers=line.pointers) for line in claim.lines]
    db.add(copy)
    db.flush()
    return copy


def correct(db: Session, actor: Actor, claim_id: int, data: Correction) -> Claim:
    """Create a replacement (frequency 7) or void (8) of an adjudicated or accepted claim, referencing
    the payer's claim number (REF*F8); the new claim is scrubbed and submitted like any other. A claim
    has at most one live correction: two would both reach the payer for the same original."""
    claim = get_claim(db, actor, claim_id, audit_read=False)
    access.can_manage_charges(db, actor, claim.practice_id, object_type="claim", object_id=claim.id)
    if claim.status not in (ClaimStatus.PAYER_ACCEPTED, *ADJUDICATED):
        raise Conflict(f"only a claim the payer accepted can be replaced or voided; this one is {claim.status} "
                       "(a rejected claim is corrected and resubmitted as an original)")
    if not claim.payer_claim_number:
        raise Conflict("the payer's claim number is not known yet (it comes with the 277CA or the 835)")
    existing = standing_correction(db, claim.id)
    if existing is not None:
        kind = "void" if existing.frequency_code == "8" else "replacement"
        raise Conflict(f"claim {claim.patient_control_number} already has a {kind}, claim "
                       f"{existing.patient_control_number} (id {existing.id}, {existing.status}); "
                       "work that claim instead of correcting the original again")
    frequency = "7" if data.kind == "replace" else "8"
    copy = _copy(db, actor, claim, frequency_code=frequency, original_claim_id=claim.id)
    record_created(db, actor, [(copy.id, copy.practice_id)],
                   f"{'replacement' if frequency == '7' else 'void'} of {claim.patient_control_number}: {data.reason}")
    audit.record(db, actor, f"claim.{data.kind}", "claim", copy.id, practice_id=claim.practice_id,
                 patient_id=claim.patient_id, reason=f"of claim {claim.id}: {data.reason}")
    return copy


def supersede_on_acceptance(db: Session, actor: Actor, correction: Claim) -> None:
    """When a replacement or void is accepted by the payer, the claim it corrects is closed."""
    if correction.original_claim_id is None:
        return
    original = db.get(Claim, correction.original_claim_id)
    if original is not None and original.status != ClaimStatus.CLOSED:
        advance(db, actor, original, ClaimEvent.SUPERSEDE, f"superseded by {correction.patient_control_number}")


def bill_secondary(db: Session, actor: Actor, claim_id: int) -> Claim:
    """After the primary pays, bill the patient's next coverage (SBR01 S, or T after a secondary) with
    the primary's adjudication as posted from its 835, which the 837P carries for coordination of
    benefits (loops 2320/2330A/2330B and 2430)."""
    claim = get_claim(db, actor, claim_id, audit_read=False)
    access.can_manage_charges(db, actor, claim.practice_id, object_type="claim", object_id=claim.id)
    if claim.status not in (ClaimStatus.PAID, ClaimStatus.PARTIALLY_PAID):
        raise Conflict(f"the secondary is billed after the primary pays; this claim is {claim.status}")
    decision = cob.posted_decisions(db, [claim.id]).get(claim.id)
    if decision is None:
        raise Conflict("no remittance has been posted for this claim, so there is no adjudication to pass on")
    problems = decision.problems()
    if problems:
        raise Conflict("the posted adjudication does not balance, so it cannot be sent for coordination of "
                       "benefits: " + "; ".join(problems))
    if db.scalar(select(Claim.id).where(Claim.id == claim.id, next_payer_billed())) is not None:
        raise Conflict("the next payer has already been billed for this service (from this claim or the claim it "
                       "corrects): correct that claim instead of billing the next payer again")
    secondary = next_coverage(db, claim)
    if secondary is None:
        raise Conflict("the patient has no further coverage active on the date of service")
    correction = standing_correction(db, claim.id)
    if correction is not None:
        raise Conflict(f"this claim is being corrected by {correction.patient_control_number}: bill the next payer "
                       "from the correction once its payer has answered it")
    responsibility = "S" if claim.payer_responsibility == "P" else "T"
    copy = _copy(db, actor, claim, coverage_id=secondary.id, payer_id=secondary.payer_id,
                 payer_responsibility=responsibility, primary_claim_id=claim.id, frequency_code="1",
                 payer_claim_number=None, original_claim_id=None, primary_paid=decision.paid,
                 primary_patient_responsibility=decision.patient_responsibility, primary_paid_on=decision.paid_on)
    record_created(db, actor, [(copy.id, copy.practice_id)],
                   f"secondary to {claim.patient_control_number}: primary paid {decision.paid}")
    audit.record(db, actor, "claim.bill_secondary", "claim", copy.id, practice_id=claim.practice_id,
                 patient_id=claim.patient_id, reason=f"after claim {claim.id}")
    return copy
