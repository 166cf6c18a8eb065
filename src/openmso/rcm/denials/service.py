"""Denial worklist and its actions: assign, note, correct and resubmit (frequency 7 through the
claims service), appeal (letter PDF), write off (by role and the agreement's write-off threshold),
transfer to the patient. Every action is audited and closes or updates the case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openmso.agreements.enforcement import MsoAction, authorize, permitted_practices, practices_allowing
from openmso.core import audit
from openmso.core.errors import Conflict, Invalid, NotFound
from openmso.core.pagination import PageParams, Slice, fetch_page
from openmso.core.tenancy import Actor, Role, ensure_can_write, ensure_role, visible
from openmso.core.types import utcnow
from openmso.identity.models import User
from openmso.identity.service import actor_for
from openmso.network.models import Coverage, Patient, Payer, Practice
from openmso.rcm.claims import next_payers
from openmso.rcm.claims import service as claims_service
from openmso.rcm.claims.models import Claim
from openmso.rcm.claims.schemas import Correction
from openmso.rcm.denials import letters
from openmso.rcm.denials.codes import describe_carc
from openmso.rcm.denials.models import APPEALED, STILL_TO_WORK, DenialCase, DenialNote
from openmso.rcm.denials.rules import DenialCategory
from openmso.rcm.remittance import service as remittances
from openmso.rcm.remittance.models import PatientLedgerEntry
from openmso.rcm.remittance.service import PostedClaim

WRITE_OFF_ROLES = (Role.MSO_ADMIN, Role.PRACTICE_ADMIN)  # staff propose, administrators write off
WORKING_ROLES = (Role.MSO_ADMIN, Role.MSO_STAFF, Role.PRACTICE_ADMIN, Role.PRACTICE_USER)  # not auditors
# Moving a balance onto a patient's statement is a billing decision: the billers (MSO staff) and those who
# may write off, not a practice's front desk (practice_user).
TRANSFER_ROLES = (*WRITE_OFF_ROLES, Role.MSO_STAFF)
# "settled": the payer adjudicated the claim again after a reversal (remittance.posting_writes.settle_earlier_denials)
STATUSES = (*STILL_TO_WORK, "resubmitted", "written_off", "transferred", "settled")
TO_WORK = "to_work"  # the worklist's default filter: every status in STILL_TO_WORK
EVERY_STATUS = "all"  # a filter value a form can send (an empty one is dropped before the route sees it)


@dataclass(frozen=True, slots=True)
class WorklistFilter:
    practice_id: int | None = None
    status: str | None = TO_WORK  # a status, TO_WORK, or None (EVERY_STATUS) for every status
    category: str | None = None
    assigned_to: int | None = None


def _workable_cases(db: Session, actor: Actor):
    """Denial cases of the practices the actor sees and whose denials the agreement lets the MSO manage."""
    allowed = practices_allowing(db, actor, MsoAction.MANAGE_DENIALS)
    return visible(select(DenialCase), actor).where(DenialCase.practice_id.in_(allowed))


def still_to_work(db: Session, actor: Actor) -> tuple[int, Decimal]:
    """(cases, recoverable amount) still to work on the actor's worklist: counts, not an audited listing."""
    cases = _workable_cases(db, actor).where(DenialCase.status.in_(STILL_TO_WORK)).subquery()
    count, amount = db.execute(select(func.count(), func.sum(cases.c.amount))).one()
    return count, amount or Decimal("0.00")


def worklist(db: Session, actor: Actor, criteria: WorklistFilter, params: PageParams) -> Slice:
    """Denial cases of the practices whose denials the actor may work: largest recoverable amount first,
    then the nearest appeal deadline."""
    query = _workable_cases(db, actor)
    if criteria.practice_id is not None:
        query = query.where(DenialCase.practice_id == criteria.practice_id)
    if criteria.status == TO_WORK:
        query = query.where(DenialCase.status.in_(STILL_TO_WORK))
    elif criteria.status and criteria.status != EVERY_STATUS:
        query = query.where(DenialCase.status == criteria.status)
    if criteria.category:
        query = query.where(DenialCase.category == criteria.category)
    if criteria.assigned_to is not None:
        query = query.where(DenialCase.assigned_to == criteria.assigned_to)
    query = query.order_by(DenialCase.amount.desc(), DenialCase.appeal_deadline, DenialCase.id)
    page = fetch_page(db, query, params)
    audit.record(db, actor, "denial.worklist", "denial_case", None, practice_id=criteria.practice_id,
                 reason=f"rows={len(page.rows)}")
    return page


def get_case(db: Session, actor: Actor, case_id: int) -> DenialCase:
    case = db.scalar(visible(select(DenialCase), actor).where(DenialCase.id == case_id))
    if case is None:
        raise NotFound("Denial not found")
    authorize(db, actor, MsoAction.MANAGE_DENIALS, case.practice_id, object_type="denial_case", object_id=case.id)
    return case


def cases_of_claim(db: Session, actor: Actor, claim: Claim) -> list[DenialCase] | None:
    """The denial cases opened on `claim` (a claim the caller has already let the actor read), oldest first;
    None when the practice's agreement does not let the MSO manage its denials."""
    if not permitted_practices(db, actor, MsoAction.MANAGE_DENIALS, [claim.practice_id]):
        return None
    return list(db.scalars(select(DenialCase).where(DenialCase.claim_id == claim.id).order_by(DenialCase.id)))


def case_payments(db: Session, actor: Actor, case: DenialCase) -> list[PostedClaim]:
    """What the 835s said about the denied claim, line by line, oldest first. Managing denials and seeing
    payments are both the revenue-cycle service of the agreement, so whoever may work the case sees them."""
    return remittances.claim_payments(db, actor, db.get(Claim, case.claim_id)) or []


def next_plan_waiting(db: Session, case: DenialCase) -> Coverage | None:
    """The patient's next plan that waits on this case: while it is worked, the claim's share is not billed to
    that plan (`claims.next_payers.ready`), so the biller knows a second payer's money rides on it."""
    if not is_workable(case):
        return None
    coverage_id = db.scalar(select(claims_service.next_plan()).where(Claim.id == case.claim_id,
                                                                     *next_payers.to_bill()))
    return db.get(Coverage, coverage_id) if coverage_id is not None else None


def is_workable(case: DenialCase) -> bool:
    """Whether the case still waits for an outcome (open, or appealed and not yet decided)."""
    return case.status in STILL_TO_WORK


def _workable(db: Session, actor: Actor, case_id: int) -> DenialCase:
    case = get_case(db, actor, case_id)
    ensure_can_write(actor, case.practice_id)
    if not is_workable(case):
        raise Conflict(f"the denial is {case.status}; only an open or appealed denial can be worked")
    return case


def _note(db: Session, actor: Actor, case: DenialCase, action: str, text: str) -> DenialNote:
    note = DenialNote(practice_id=case.practice_id, case_id=case.id, author=actor.username, action=action, text=text)
    db.add(note)
    db.flush()
    claim = db.get(Claim, case.claim_id)
    audit.record(db, actor, f"denial.{action}", "denial_case", case.id, practice_id=case.practice_id,
                 patient_id=claim.patient_id if claim else None, reason=text[:500])
    return note


def _close(case: DenialCase, status: str) -> None:
    case.status, case.closed_at = status, utcnow()


def _may_work(db: Session, user: User, practice_id: int) -> bool:
    """Whether `user` could work the practice's denials themselves: an active account whose role may write
    (auditors only read), whose scope covers the practice (its own staff, MSO administrators, MSO staff
    assigned to it: `identity.service.actor_for`), and, for MSO users, under an agreement that gives the
    MSO denial management there."""
    if not user.active or user.role not in WORKING_ROLES:
        return False
    worker = actor_for(user)
    return worker.sees(practice_id) and bool(
        permitted_practices(db, worker, MsoAction.MANAGE_DENIALS, [practice_id]))


def assignable_users(db: Session, practice_id: int, limit: int = 200) -> list[tuple[int, str]]:
    """(id, name) of the users a denial of the practice may be assigned to, by name."""
    candidates = db.scalars(select(User).where(User.active.is_(True), User.role.in_(WORKING_ROLES),
                                               (User.practice_id.is_(None)) | (User.practice_id == practice_id))
                            .order_by(User.display_name, User.id))
    return [(user.id, user.display_name) for user in candidates if _may_work(db, user, practice_id)][:limit]


def assign(db: Session, actor: Actor, case_id: int, user_id: int | None) -> DenialCase:
    """Give the denial to someone who may work it (`_may_work`), or take it back with None."""
    case = get_case(db, actor, case_id)
    ensure_can_write(actor, case.practice_id)
    if user_id is not None:
        user = db.get(User, user_id)
        if user is None or not _may_work(db, user, case.practice_id):
            raise Invalid.field(["body", "user_id"], f"user {user_id} is not an active user who may work "
                                                     "this practice's denials")
    case.assigned_to = user_id
    _note(db, actor, case, "assign", f"assigned to user {user_id}" if user_id else "unassigned")
    return case


def _reason(text: str, field: str, what: str, shortest: int = 3) -> str:
    """The stripped reason or note: it goes on the case and the audit trail, so blanks are no reason."""
    words = text.strip()
    if len(words) < shortest:
        raise Invalid.field(["body", field], f"{what} needs {'at least 3 characters of ' if shortest > 1 else ''}"
                                             "text, not blanks")
    return words


def add_note(db: Session, actor: Actor, case_id: int, text: str) -> DenialNote:
    """A free-text note on the case (calls made, documents asked for)."""
    case = get_case(db, actor, case_id)
    ensure_can_write(actor, case.practice_id)
    return _note(db, actor, case, "note", _reason(text, "text", "a note", shortest=1))


def resubmit(db: Session, actor: Actor, case_id: int, reason: str) -> Claim:
    """Correct and resubmit: a replacement claim (frequency 7) through the claims service."""
    case = _workable(db, actor, case_id)
    reason = _reason(reason, "reason", "a resubmission")
    replacement = claims_service.correct(db, actor, case.claim_id, Correction(kind="replace", reason=reason))
    _close(case, "resubmitted")
    _note(db, actor, case, "resubmit", f"replacement claim {replacement.patient_control_number}: {reason}")
    return replacement


def write_off(db: Session, actor: Actor, case_id: int, reason: str) -> DenialCase:
    """Write the denied amount off: administrators only, and within the MSO's write-off authority."""
    case = _workable(db, actor, case_id)
    ensure_role(actor, WRITE_OFF_ROLES, "write off balances")
    authorize(db, actor, MsoAction.WRITE_OFF, case.practice_id, object_type="denial_case", object_id=case.id,
              amount=case.amount)
    reason = _reason(reason, "reason", "a write-off")
    _close(case, "written_off")
    _note(db, actor, case, "write_off", f"wrote off {case.amount}: {reason}")
    return case


NOT_THE_PATIENTS = ("CO", "PI")  # the X12 claim adjustment groups by which the payer holds the patient not liable


def patient_billing(case: DenialCase) -> str:
    """Whether the denied amount may go to the patient, from the group codes of its reasons:
    "allowed" when a reason is outside CO and PI (PR, OA: e.g. coverage had ended); "refused" when every
    reason is CO, a contractual obligation (or regulation) that bars billing the patient; "no_contract"
    when PI is among them: the payer holds the patient not responsible but, by the group's definition,
    without a contract binding the provider, so billing the patient is lawful only where no contract
    with this payer and no balance-billing law forbids it, which the person transferring must confirm."""
    groups = {reason.split(":")[0] for reason in case.reasons.split()}
    if groups - set(NOT_THE_PATIENTS):
        return "allowed"
    return "no_contract" if "PI" in groups else "refused"


def transfer_to_patient(db: Session, actor: Actor, case_id: int, reason: str, on: date | None = None,
                        no_contract: bool = False) -> DenialCase:
    """Move the denied amount to the patient's balance (e.g. coverage had ended, or the patient's share the payer
    reported under another group): billers and administrators only (`TRANSFER_ROLES`). A denial whose every
    reason is group CO (contractual obligation) stays with the provider: the payer has said the patient may
    not be billed for it (X12 group code CO), so it is appealed, corrected or written off instead. One whose
    reasons are CO and PI (payer-initiated reduction) moves only with `no_contract`: the practice has no
    contract with this payer and the law lets it bill the patient; the confirmation is kept in the note."""
    case = _workable(db, actor, case_id)
    ensure_role(actor, TRANSFER_ROLES, "transfer balances to patients")
    billing = patient_billing(case)
    if billing == "refused":
        raise Conflict(f"the denial's reasons ({case.reasons or 'none'}) are all contractual obligations (group CO): "
                       "the patient may not be billed for them; appeal, correct and resubmit, or write off instead")
    if billing == "no_contract" and not no_contract:
        raise Conflict(f"the denial's reasons ({case.reasons}) are payer-initiated reductions (group PI) or "
                       "contractual obligations: the payer holds the patient not responsible. Transfer only if the "
                       "practice has no contract with this payer and the law lets it bill the patient, and say so "
                       "(no_contract)")
    reason = _reason(reason, "reason", "a transfer")
    claim = db.get(Claim, case.claim_id)
    db.add(PatientLedgerEntry(practice_id=case.practice_id, patient_id=claim.patient_id, claim_id=claim.id,
                              kind="transfer", amount=case.amount, entered_on=on or date.today(),
                              detail=f"denial {case.id}: {reason}"[:200]))
    _close(case, "transferred")
    confirmed = " (confirmed: no contract with this payer; billing the patient allowed)" * (billing == "no_contract")
    _note(db, actor, case, "transfer", f"transferred {case.amount} to the patient: {reason}{confirmed}")
    return case


def appeal_letter(db: Session, actor: Actor, case_id: int, argument: str = "", today: date | None = None) -> bytes:
    """The appeal letter PDF with the claim's facts; generating it marks the denial appealed (and prints
    the letter again for an appealed one)."""
    case = _workable(db, actor, case_id)
    claim = db.get(Claim, case.claim_id)
    patient = db.get(Patient, claim.patient_id)
    practice = db.get(Practice, claim.practice_id)
    payer = db.get(Payer, claim.payer_id) if claim.payer_id else None
    coverage = db.get(Coverage, claim.coverage_id) if claim.coverage_id else None
    reasons = "; ".join(f"{r} ({describe_carc(r.split(':')[-1])})" for r in case.reasons.split())
    lines = "\n".join(f"  {line.line_number}. {line.service_date} {line.procedure_code}"
                      f"{''.join(' ' + m for m in line.modifier_list)} x{line.units}  ${line.charge_amount}"
                      for line in claim.lines)
    text = letters.APPEAL_TEMPLATE.format(
        practice=practice.legal_name, today=(today or date.today()).isoformat(),
        payer=payer.name if payer else "Payer", payer_claim_number=claim.payer_claim_number or "-",
        patient=f"{patient.first_name} {patient.last_name}", member_id=coverage.member_id if coverage else "-",
        patient_control_number=claim.patient_control_number,
        service_dates=f"{claim.service_date_from} to {claim.service_date_to}", charge=claim.total_charge,
        amount=case.amount, reasons=reasons, category=DenialCategory(case.category).value.replace("_", " "),
        lines=lines, argument=argument or "The enclosed records support the services as billed.",
        deadline=case.appeal_deadline.isoformat())
    again = case.status == APPEALED
    case.status = APPEALED  # still open with the payer: not closed until the appeal is decided
    _note(db, actor, case, "appeal", "appeal letter generated again" if again else "appeal letter generated")
    return letters.render_pdf(text, f"Appeal {claim.patient_control_number}")
