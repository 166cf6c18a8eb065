"""Remittance read side and the exceptions queue: what was received, what it posted, what is left to do.

Rows are scoped twice: `visible` (the practices the actor may see) and the agreement's
POST_PAYMENTS right (`permitted_practices`). A remittance or exception that belongs to no practice
(an unknown payee, a malformed file) is shown only to network-wide users.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from openmso.agreements.enforcement import MsoAction, authorize, permitted_practices, practices_allowing
from openmso.core import audit
from openmso.core.errors import Conflict, Forbidden, Invalid, NotFound
from openmso.core.pagination import PageParams, Slice, fetch_page
from openmso.core.tenancy import Actor, ensure_can_write, visible
from openmso.network.models import Patient, Practice
from openmso.rcm.claims.models import Claim, ClaimLine
from openmso.rcm.remittance.models import (
    ClaimPosting,
    LinePosting,
    ProviderAdjustmentEntry,
    Remittance,
    RemittanceException,
    RemittanceFile,
)

OPEN, RESOLVED = "open", "resolved"


def payment_practices(db: Session, actor: Actor) -> set[int]:
    """Practices whose payments the actor may see and post."""
    return set(practices_allowing(db, actor, MsoAction.POST_PAYMENTS))


def _scoped(db: Session, actor: Actor, query: Select, model, practice_id: int | None) -> Select:
    allowed = sorted(payment_practices(db, actor))
    column = model.practice_id
    if practice_id is not None:
        return query.where(column == practice_id, column.in_(allowed))
    if actor.is_network_wide:
        return query.where(or_(column.is_(None), column.in_(allowed)))
    return query.where(column.in_(allowed))


@dataclass(frozen=True, slots=True)
class RemittanceFilter:
    practice_id: int | None = None
    status: str | None = None


def list_remittances(db: Session, actor: Actor, criteria: RemittanceFilter, params: PageParams) -> Slice:
    """Received payments (835 transaction sets), newest first."""
    query = _scoped(db, actor, visible(select(Remittance), actor), Remittance, criteria.practice_id)
    if criteria.status:
        query = query.where(Remittance.status == criteria.status)
    return fetch_page(db, query.order_by(Remittance.id.desc()), params)


def _one(db: Session, actor: Actor, model, row_id: int, what: str):
    """One row of a payment table; another practice's is not found, and one of no practice only
    network-wide users see."""
    row = db.scalar(_scoped(db, actor, visible(select(model), actor), model, None).where(model.id == row_id))
    if row is None:
        raise NotFound(f"{what} not found")
    if row.practice_id is not None:
        authorize(db, actor, MsoAction.POST_PAYMENTS, row.practice_id, object_type=model.__tablename__,
                  object_id=row.id)
    return row


def get_remittance(db: Session, actor: Actor, remittance_id: int) -> Remittance:
    """One payment (an 835 transaction set)."""
    return _one(db, actor, Remittance, remittance_id, "Remittance")


def received_file(db: Session, actor: Actor, file_id: int) -> RemittanceFile:
    """A received 835 kept for audit, to be read back as it came. A file with several practices'
    payments only network-wide users see; reading one is audited (it names patients)."""
    received = _one(db, actor, RemittanceFile, file_id, "Remittance file")
    audit.record(db, actor, "remittance.file_read", "remittance_file", received.id,
                 practice_id=received.practice_id, reason=f"{received.name} (SHA-256 {received.sha256})")
    return received


@dataclass
class PostedLine:
    line_number: int
    procedure_code: str
    submitted_code: str | None
    modifiers: str
    units: int
    charge: object
    allowed: object
    paid: object
    contractual: object
    patient_responsibility: object
    other_adjustment: object
    adjustments: str
    remarks: str
    denied: bool
    expected_allowed: object


@dataclass
class PostedClaim:
    posting: ClaimPosting
    patient_control_number: str
    patient_name: str
    lines: list[PostedLine] = field(default_factory=list)
    trace_number: str = ""  # the payment's (TRN02), for a claim's list of payments


@dataclass
class RemittanceDetail:
    remittance: Remittance
    claims: list[PostedClaim]
    provider_adjustments: list[ProviderAdjustmentEntry]
    exceptions: list[RemittanceException]
    received: RemittanceFile | None = None  # the file it came in, when the actor may read that file whole


def remittance_detail(db: Session, actor: Actor, remittance_id: int, claim_limit: int = 500) -> RemittanceDetail:
    """A payment with the claims and lines it posted (first `claim_limit` claims), its PLB rows and its
    exceptions. Names patients, so the read is audited."""
    remittance = get_remittance(db, actor, remittance_id)
    claims = _posted_claims(db, ClaimPosting.remittance_id == remittance.id, claim_limit)
    ledger = list(db.scalars(select(ProviderAdjustmentEntry)
                             .where(ProviderAdjustmentEntry.remittance_id == remittance.id)
                             .order_by(ProviderAdjustmentEntry.id)))
    exceptions = list(db.scalars(select(RemittanceException).where(RemittanceException.remittance_id == remittance.id)
                                 .order_by(RemittanceException.id)))
    audit.record(db, actor, "remittance.read", "remittance", remittance.id, practice_id=remittance.practice_id,
                 reason=f"claims={len(claims)}")
    received = db.get(RemittanceFile, remittance.file_id)
    readable = received.practice_id == remittance.practice_id or actor.is_network_wide
    return RemittanceDetail(remittance, claims, ledger, exceptions, received if readable else None)


def claim_payments(db: Session, actor: Actor, claim: Claim, *, refuse: bool = False) -> list[PostedClaim] | None:
    """What each 835 said about `claim` (a claim the caller has already let the actor read), oldest first,
    line by line: payments, denials, reversals. When the practice's agreement does not give the MSO its
    payments (POST_PAYMENTS), None — or, with `refuse`, the refusal naming the clause (audited)."""
    if refuse:
        authorize(db, actor, MsoAction.POST_PAYMENTS, claim.practice_id, object_type="claim", object_id=claim.id)
    elif not permitted_practices(db, actor, MsoAction.POST_PAYMENTS, [claim.practice_id]):  # this one only
        return None
    return _posted_claims(db, ClaimPosting.claim_id == claim.id)


def _posted_claims(db: Session, condition, limit: int | None = None) -> list[PostedClaim]:
    """The claim postings meeting `condition` (first `limit`, in posting order) with their lines and their
    payment's trace number."""
    postings = db.execute(
        select(ClaimPosting, Claim.patient_control_number, Patient.first_name, Patient.last_name,
               Remittance.trace_number)
        .join(Claim, Claim.id == ClaimPosting.claim_id).join(Patient, Patient.id == Claim.patient_id)
        .join(Remittance, Remittance.id == ClaimPosting.remittance_id)
        .where(condition).order_by(ClaimPosting.id).limit(limit))
    claims = {posting.id: PostedClaim(posting, number, f"{first} {last}", trace_number=trace)
              for posting, number, first, last, trace in postings}
    if claims:
        lines = db.execute(select(LinePosting, ClaimLine.line_number)
                           .join(ClaimLine, ClaimLine.id == LinePosting.claim_line_id)
                           .where(LinePosting.claim_posting_id.in_(list(claims))).order_by(LinePosting.id))
        for line, number in lines:
            claims[line.claim_posting_id].lines.append(PostedLine(
                number, line.procedure_code, line.submitted_code, line.modifiers, line.units, line.charge,
                line.allowed, line.paid, line.contractual, line.patient_responsibility, line.other_adjustment,
                line.adjustments, line.remarks, line.denied, line.expected_allowed))
    return list(claims.values())


@dataclass(frozen=True, slots=True)
class ExceptionFilter:
    practice_id: int | None = None
    status: str | None = OPEN
    kind: str | None = None
    file_id: int | None = None  # what one received file left in the queue


def list_exceptions(db: Session, actor: Actor, criteria: ExceptionFilter, params: PageParams) -> Slice:
    """The exceptions queue: what posting could not do on its own, oldest first."""
    query = _scoped(db, actor, visible(select(RemittanceException), actor), RemittanceException,
                    criteria.practice_id)
    if criteria.status:
        query = query.where(RemittanceException.status == criteria.status)
    if criteria.kind:
        query = query.where(RemittanceException.kind == criteria.kind)
    if criteria.file_id is not None:
        query = query.where(RemittanceException.file_id == criteria.file_id)
    return fetch_page(db, query.order_by(RemittanceException.id), params)


def open_exceptions(db: Session, actor: Actor) -> tuple[int, Decimal]:
    """(open exceptions, their amount) in the actor's queue: what posting left for a person."""
    queue = _scoped(db, actor, visible(select(RemittanceException), actor), RemittanceException, None)
    found = queue.where(RemittanceException.status == OPEN).subquery()
    count, amount = db.execute(select(func.count(), func.sum(found.c.amount))).one()
    return count, amount or Decimal("0.00")


def resolve_exception(db: Session, actor: Actor, exception_id: int, resolution: str) -> RemittanceException:
    """Close an exception with what was done about it (posted by hand, returned to the payer…)."""
    query = _scoped(db, actor, visible(select(RemittanceException), actor), RemittanceException, None)
    item = db.scalar(query.where(RemittanceException.id == exception_id))
    if item is None:
        raise NotFound("Exception not found")
    if item.practice_id is not None:
        ensure_can_write(actor, item.practice_id)
        authorize(db, actor, MsoAction.POST_PAYMENTS, item.practice_id, object_type="remittance_exception",
                  object_id=item.id)
    elif actor.read_only:
        raise Forbidden("Auditors have read-only access")
    if item.status != OPEN:
        raise Conflict("the exception is already resolved")
    if len(resolution.strip()) < 3:
        raise Invalid.field(["body", "resolution"], "say what was done about it")
    item.status, item.resolution, item.resolved_by = RESOLVED, resolution.strip()[:2000], actor.username
    db.flush()
    audit.record(db, actor, "remittance.exception.resolve", "remittance_exception", item.id,
                 practice_id=item.practice_id, reason=item.resolution[:500])
    return item


def practice_names(db: Session, ids) -> dict[int, str]:
    """Legal names of practices already scoped by the caller (for labels in lists)."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    return dict(db.execute(select(Practice.id, Practice.legal_name).where(Practice.id.in_(wanted))).all())
