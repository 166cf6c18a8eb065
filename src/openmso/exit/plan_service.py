"""The transition plan use case: who may run the "what if we left" dry run, and what it is built from.

The practice's own administrators may run it at any time, for any notice date: leaving is their
decision, and the plan is how they weigh it. MSO administrators may run it only where the signed
agreement gives the MSO the revenue-cycle access the plan's open A/R needs (`MsoAction.POST_PAYMENTS`,
Schedule A.1 with the BAA); the refusal is audited citing the clause. Practice users, MSO staff and
auditors may not. Before an agreement is signed the plan is worked out from its latest draft, so a
practice can see its exit before it signs. Every plan produced is recorded in the audit trail.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from openmso.agreements import enforcement
from openmso.agreements import service as agreements
from openmso.agreements.enforcement import MsoAction
from openmso.core import audit
from openmso.core.errors import NotFound
from openmso.core.tenancy import Actor, Role, ensure_role
from openmso.core.types import utcnow
from openmso.exit import plan, schemas
from openmso.network import service as network
from openmso.rcm.ar import patients, reports

PLAN_READERS = (Role.PRACTICE_ADMIN, Role.MSO_ADMIN)


def _version(db: Session, actor: Actor, practice_id: int):
    signed = agreements.active_version(db, actor, practice_id)
    if signed is not None:
        return signed
    drafts = [a.current for a in agreements.list_agreements(db, actor, practice_id) if a.current is not None]
    if not drafts:
        raise NotFound("The practice has no management services agreement to plan an exit from")
    return max(drafts, key=lambda v: v.created_at)


def transition_plan(db: Session, actor: Actor, practice_id: int, notice_on: date | None = None) -> \
        schemas.TransitionPlan:
    """The practice's transition plan if it gave notice on `notice_on` (default today): the dry run."""
    practice = network.get_practice(db, actor, practice_id)
    ensure_role(actor, PLAN_READERS, "run the exit dry run")
    grant = enforcement.authorize(db, actor, MsoAction.POST_PAYMENTS, practice.id, object_type="exit_plan",
                                  object_id=practice.id)
    notice_on = notice_on or date.today()
    version = _version(db, actor, practice.id)
    insurance = {}
    for row in reports.insurance_aging(db, actor, notice_on, "practice", practice.id):
        insurance = dict(row.aging.amounts)
    patient = {}
    for row in patients.aging(db, actor, notice_on, practice.id):
        patient = dict(row.aging.amounts)
    inputs = plan.PlanInputs(
        practice_id=practice.id, practice=practice.legal_name, agreement=f"{version.agreement.title} "
        f"({version.label})", version=version.number, version_status=version.status,
        terms=agreements.terms_of(version), notice_on=notice_on, insurance_ar=insurance, patient_ar=patient,
        payers=[(p.name, p.payer_code) for p in network.practice_payers(db, actor, practice.id)])
    result = plan.build(inputs, actor.username, utcnow())
    audit.record(db, actor, "exit.plan", "practice", practice.id, practice_id=practice.id,
                 reason=f"transition plan for notice on {notice_on}: exit {result.timeline.exit_on}, "
                        f"{len(result.risks)} risks ({grant.clause})"[:500])
    return result
