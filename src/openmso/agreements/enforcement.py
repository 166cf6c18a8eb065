"""Enforcement: the MSO acts on a practice only where the practice's signed agreement lets it.

Every domain calls `authorize(db, actor, action, practice_id, …)` before an MSO-side action. Who is
governed:

- **practice users** (practice_admin, practice_user) acting on their own practice pass: it is their
  practice's own business. Another practice is a 404, as everywhere (404 before 403).
- **the system actor and the command line** (no user account) pass: they run on the server under
  an operator's own authority, and every change they make is audited by the calling service.
- **MSO users** (mso_admin, mso_staff) get only what the practice's *active signed* version
  grants: the service must be in scope (Schedule A), a decision must be the MSO's (Schedule C, with
  its threshold), the data class must be open to the MSO (Schedule F.2; revenue-cycle work reads
  billing data, so it needs billing access too), PHI needs a business
  associate agreement in force (Schedule F.4, 45 CFR §164.502(e)), benchmarking needs the
  practice's consent (Schedule F.3).
- **auditors** are the MSO's compliance function: read-only, and only where the practice's signed
  agreement has a BAA in force (compliance auditing is a health care operation performed for the
  practice, 45 CFR §164.501, so the BAA covers it). Every other action is refused to them.

A grant names the clause that allows it, and is noted on the session so the audit entries the
calling service writes next carry it (`audit.note_basis`, with the purpose the agreement gives for the
data class); a refusal is written to the audit trail citing the clause
(even though the refused request rolls back) and raised as `Forbidden` naming it. The active terms
are cached on the session, so calling this per request (or per row) costs one query per practice.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from openmso.agreements.catalogue import (
    BAA_CLAUSE,
    BENCHMARKING_CLAUSE,
    Access,
    DataClass,
    DecisionKey,
    Holder,
    ServiceKey,
    data_access_clause,
    decision_clause,
    service_clause,
)
from openmso.agreements.models import AgreementVersion, VersionStatus
from openmso.agreements.terms import Terms
from openmso.core import audit
from openmso.core.errors import Forbidden
from openmso.core.tenancy import PRACTICE_ROLES, Actor, Role, ensure_visible, visible
from openmso.network.models import Practice

CACHE_KEY = "openmso.agreements.active"
NO_AGREEMENT = "no active signed management services agreement"


class MsoAction(StrEnum):
    """The MSO-side actions an agreement governs; each maps to a service in the catalogue."""

    READ_PHI = "read_phi"
    WRITE_PHI = "write_phi"
    MANAGE_CHARGES = "manage_charges"
    MANAGE_CODING = "manage_coding"
    SUBMIT_CLAIMS = "submit_claims"
    POST_PAYMENTS = "post_payments"
    MANAGE_DENIALS = "manage_denials"
    WRITE_OFF = "write_off"
    SIGN_PAYER_CONTRACT = "sign_payer_contract"
    SET_FEE_SCHEDULE = "set_fee_schedule"
    CHANGE_VENDOR = "change_vendor"
    EXPORT_DATA = "export_data"
    BENCHMARK = "benchmark"
    MANAGE_CREDENTIALING = "manage_credentialing"
    MANAGE_STAFF = "manage_staff"


@dataclass(frozen=True, slots=True)
class Requirement:
    """What an action needs from the agreement: a row of the enforcement table."""

    service: ServiceKey | None = None
    decision: DecisionKey | None = None
    data_class: DataClass | None = None
    access: Access = Access.READ
    needs_baa: bool = False
    needs_benchmarking_consent: bool = False
    touches: tuple[DataClass, ...] = ()  # further data classes the action reads, each of which must be open


BILLING = (DataClass.BILLING,)


REQUIREMENTS: dict[MsoAction, Requirement] = {
    MsoAction.READ_PHI: Requirement(data_class=DataClass.PHI, needs_baa=True),
    MsoAction.WRITE_PHI: Requirement(data_class=DataClass.PHI, access=Access.READ_WRITE, needs_baa=True),
    MsoAction.MANAGE_CHARGES: Requirement(ServiceKey.REVENUE_CYCLE, needs_baa=True, touches=BILLING),
    MsoAction.MANAGE_CODING: Requirement(ServiceKey.CODING, needs_baa=True, touches=BILLING),
    MsoAction.SUBMIT_CLAIMS: Requirement(ServiceKey.REVENUE_CYCLE, needs_baa=True, touches=BILLING),
    MsoAction.POST_PAYMENTS: Requirement(ServiceKey.REVENUE_CYCLE, needs_baa=True, touches=BILLING),
    MsoAction.MANAGE_DENIALS: Requirement(ServiceKey.REVENUE_CYCLE, needs_baa=True, touches=BILLING),
    MsoAction.WRITE_OFF: Requirement(ServiceKey.REVENUE_CYCLE, DecisionKey.WRITE_OFFS, needs_baa=True,
                                     touches=BILLING),
    MsoAction.SIGN_PAYER_CONTRACT: Requirement(ServiceKey.PAYER_CONTRACTING, DecisionKey.PAYER_CONTRACT_SIGNING),
    MsoAction.SET_FEE_SCHEDULE: Requirement(ServiceKey.FINANCIAL_MANAGEMENT, DecisionKey.FEE_SCHEDULE),
    MsoAction.CHANGE_VENDOR: Requirement(ServiceKey.VENDOR_MANAGEMENT, DecisionKey.VENDOR_IT),
    MsoAction.EXPORT_DATA: Requirement(decision=DecisionKey.DATA_SHARING),
    MsoAction.BENCHMARK: Requirement(ServiceKey.ANALYTICS, data_class=DataClass.DEIDENTIFIED,
                                     needs_benchmarking_consent=True),
    MsoAction.MANAGE_CREDENTIALING: Requirement(ServiceKey.CREDENTIALING),
    MsoAction.MANAGE_STAFF: Requirement(ServiceKey.HR_PAYROLL, DecisionKey.HIRE_NONCLINICAL_STAFF),
}
AUDITOR_ACTIONS = frozenset({MsoAction.READ_PHI})
VENDOR_DECISIONS = {"it": DecisionKey.VENDOR_IT, "ehr": DecisionKey.VENDOR_EHR,
                    "billing": DecisionKey.VENDOR_BILLING, "supplies": DecisionKey.VENDOR_SUPPLIES}


@dataclass(frozen=True, slots=True)
class ActiveTerms:
    """The practice's signed version, as plain data safe to cache for the session."""

    version_id: int
    agreement_id: int
    number: int
    terms: Terms

    @property
    def label(self) -> str:
        return f"agreement #{self.agreement_id} v{self.number}"


@dataclass(frozen=True, slots=True)
class Grant:
    """Permission for one action on one practice, and the clause it rests on."""

    action: MsoAction
    practice_id: int
    basis: str  # "agreement", "practice" (own business) or "system"
    clause: str
    version_id: int | None = None

    def __str__(self) -> str:
        return f"{self.action.value} on practice {self.practice_id}: {self.clause}"


class _Refused(Exception):
    def __init__(self, clause: str, reason: str):
        super().__init__(reason)
        self.clause, self.reason = clause, reason


def active_terms(db: Session, practice_id: int) -> ActiveTerms | None:
    """The practice's active signed terms (cached on the session; `invalidate` after changes)."""
    cache: dict = db.info.setdefault(CACHE_KEY, {})
    if practice_id not in cache:
        version = db.scalar(select(AgreementVersion).where(AgreementVersion.practice_id == practice_id,
                                                           AgreementVersion.status == VersionStatus.SIGNED))
        cache[practice_id] = _snapshot(version)
    return cache[practice_id]


def _snapshot(version: AgreementVersion | None) -> ActiveTerms | None:
    if version is None:
        return None
    return ActiveTerms(version.id, version.agreement_id, version.number, Terms.model_validate(version.terms))


def invalidate(db: Session) -> None:
    db.info.pop(CACHE_KEY, None)


@event.listens_for(Session, "after_soft_rollback")
def _forget_on_rollback(session: Session, _transaction) -> None:
    # Terms read inside a transaction that rolled back may describe a version that no longer exists.
    invalidate(session)


def evaluate(active: ActiveTerms | None, actor: Actor, action: MsoAction, object_type: str | None,
           amount: Decimal | None) -> str:
    """The clause that allows `action`, or `_Refused` naming the clause that does not.

    The one decision point for governed actors, used by `authorize` and `permitted_practices`; it has
    no side effects (refusals are audited by `authorize`).
    """
    if active is None:
        raise _Refused(NO_AGREEMENT, "the practice has not signed an agreement that grants the MSO anything")
    terms, label = active.terms, active.label
    if actor.role is Role.AUDITOR:
        if action not in AUDITOR_ACTIONS:
            raise _Refused(f"{BAA_CLAUSE} of {label}", "auditors have read-only compliance access")
        if not terms.data_rights.baa_in_force:
            raise _Refused(f"{BAA_CLAUSE} of {label}", "no business associate agreement is in force")
        return f"{BAA_CLAUSE} of {label}"
    need = REQUIREMENTS[action]
    clause = None
    if need.service is not None:
        clause = service_clause(need.service)
        if terms.service(need.service) is None:
            raise _Refused(f"{clause} of {label}", "the service is not in the MSO's scope")
    if need.data_class is not None:
        clause = data_access_clause(need.data_class)
        granted = terms.data_rights.access_to(need.data_class)
        if granted is Access.NONE or (need.access is Access.READ_WRITE and granted is not Access.READ_WRITE):
            raise _Refused(f"{clause} of {label}", f"the MSO's access is {granted.value}, {need.access.value} needed")
    for data_class in need.touches:
        if terms.data_rights.access_to(data_class) is Access.NONE:
            raise _Refused(f"{data_access_clause(data_class)} of {label}",
                           f"the agreement gives the MSO no access to {data_class.value.replace('_', ' ')} data")
    if need.needs_baa and not terms.data_rights.baa_in_force:
        raise _Refused(f"{BAA_CLAUSE} of {label}", "no business associate agreement is in force")
    if need.needs_benchmarking_consent and not terms.data_rights.benchmarking_consent:
        raise _Refused(f"{BENCHMARKING_CLAUSE} of {label}", "the practice has not consented to benchmarking")
    if need.decision is not None:
        decision = VENDOR_DECISIONS.get(object_type or "", need.decision) if action is MsoAction.CHANGE_VENDOR \
            else need.decision
        clause = decision_clause(decision)
        right = terms.decision(decision)
        within = right.threshold is not None and amount is not None and amount <= right.threshold
        if right.holder is not Holder.MSO and not within:
            above = f" above ${right.threshold:,.2f}" if right.threshold is not None else ""
            raise _Refused(f"{clause} of {label}",
                           f"the decision{above} is the practice's ({right.holder.value}); it needs the practice")
    return f"{clause or 'the agreement'} of {label}"


def authorize(db: Session, actor: Actor, action: MsoAction, practice_id: int, *, object_type: str | None = None,
              object_id: object = None, patient_id: int | None = None, amount: Decimal | None = None) -> Grant:
    """Allow `action` on `practice_id` for `actor`, or audit the refusal and raise `Forbidden` naming the clause.

    Call after the record has been found through `visible` (so an invisible one is already a 404).
    """
    action = MsoAction(action)
    if actor.user_id is None:
        return Grant(action, practice_id, "system", "server-side operation under the operator's authority")
    ensure_visible(actor, practice_id)
    if actor.role in PRACTICE_ROLES:
        return Grant(action, practice_id, "practice", "the practice's own business")
    active = active_terms(db, practice_id)
    try:
        clause = evaluate(active, actor, action, object_type, amount)
    except _Refused as refused:
        audit.record_refusal(db, actor, f"mso.{action.value}", object_type or "practice", object_id,
                             practice_id=practice_id, patient_id=patient_id,
                             reason=f"{refused.clause}: {refused.reason}")
        raise Forbidden(f"Not permitted: {action.value} for practice {practice_id} — {refused.reason} "
                        f"({refused.clause})") from None
    audit.note_basis(db, actor, practice_id, basis_of(active, action, clause))
    return Grant(action, practice_id, "agreement", clause, active.version_id if active else None)


def basis_of(active: ActiveTerms, action: MsoAction, clause: str) -> str:
    """The audit basis of a grant: the action, the clause, and the purpose the agreement states for the data."""
    need = REQUIREMENTS[action]
    data_class = need.data_class or next(iter(need.touches), None)
    purpose = next((a.purpose for a in active.terms.data_rights.access if a.data_class is data_class), "") \
        if data_class is not None else ""
    return f"{action.value}: {clause}" + (f"; purpose: {purpose}" if purpose else "")


def governs(actor: Actor) -> bool:
    """Whether the agreements limit what `actor` may do (MSO users and auditors; not the practice's
    own users, not the server itself)."""
    return actor.user_id is not None and actor.role not in PRACTICE_ROLES


def _preload(db: Session, practice_ids: list[int]) -> None:
    cache: dict = db.info.setdefault(CACHE_KEY, {})
    missing = [p for p in practice_ids if p not in cache]
    for start in range(0, len(missing), 500):
        chunk = missing[start:start + 500]
        versions = db.scalars(select(AgreementVersion).where(AgreementVersion.practice_id.in_(chunk),
                                                             AgreementVersion.status == VersionStatus.SIGNED))
        found = {v.practice_id: v for v in versions}
        for practice_id in chunk:
            cache[practice_id] = _snapshot(found.get(practice_id))


def practices_allowing(db: Session, actor: Actor, action: MsoAction, practice_id: int | None = None) -> list[int]:
    """The practices the actor sees (only `practice_id` when given) whose agreement allows `action`, in id order:
    the scope of a listing, report or count that spans practices (`permitted_practices`)."""
    ids = list(db.scalars(visible(select(Practice.id), actor, Practice)))
    if practice_id is not None:
        ids = [p for p in ids if p == practice_id]
    return sorted(permitted_practices(db, actor, action, ids))


def permitted_practices(db: Session, actor: Actor, action: MsoAction, practice_ids: list[int]) -> set[int]:
    """Of `practice_ids` (already visible to the actor), those where `action` is allowed.

    For listings that span practices: practices that do not allow the action are left out quietly,
    the way tenancy leaves out invisible practices; a refusal is audited only when one is asked for.
    """
    if not governs(actor):
        return {p for p in practice_ids if actor.sees(p)}
    _preload(db, practice_ids)
    allowed = set()
    for practice_id in practice_ids:
        active = active_terms(db, practice_id)
        try:
            clause = evaluate(active, actor, MsoAction(action), None, None)
        except _Refused:
            continue
        audit.note_basis(db, actor, practice_id, basis_of(active, MsoAction(action), clause))
        allowed.add(practice_id)
    return allowed
