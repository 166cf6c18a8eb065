"""The next payers to bill: claims an earlier payer paid, leaving the patient a share that a next plan in force on
the date of service (secondary, then tertiary) is to be asked for, and that no claim to that payer bills yet.

Until it is billed the share sits on the patient's balance; most secondaries take a claim only within a time of
the primary's payment, so the oldest payment comes first. A claim may rightly wait: a denial of it still being
worked (the primary may yet pay the denied lines) or a correction of it standing (the primary's decision is about
to be replaced). The list says so beside the claim, and the billers bill the rest (`service.bill_secondary`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from openmso.core import audit
from openmso.core.errors import Conflict
from openmso.core.pagination import PageParams, Slice, fetch_page
from openmso.core.tenancy import Actor, visible
from openmso.network.models import Coverage, Patient, Payer, Practice, plan_order
from openmso.rcm.claims import access, cob
from openmso.rcm.claims.models import Claim
from openmso.rcm.claims.service import (
    ClaimFilter,
    being_corrected,
    bill_secondary,
    cases_in_work,
    denials_in_work,
    listable,
    next_payer_billed,
    next_plan,
    stands,
)
from openmso.rcm.claims.states import ClaimStatus
from openmso.rcm.denials.models import DenialCase
from openmso.rcm.remittance.models import ClaimPosting

PAID = (ClaimStatus.PAID, ClaimStatus.PARTIALLY_PAID)


def to_bill() -> list[ColumnElement[bool]]:
    """Conditions on `Claim`: paid, a share left to the patient, a next plan in force on the date of service, and
    no claim to the next payer from it or the claim it corrects but closed ones (a rejected one is fixed in the
    rejections worklist, not billed anew)."""
    return [Claim.status.in_(PAID), cob.patient_share_posted() > 0, next_plan().is_not(None),
            ~next_payer_billed(not_billing=(ClaimStatus.CLOSED,))]


def ready() -> list[ColumnElement[bool]]:
    """`to_bill`, less the claims that wait for a denial or a correction: what the billers bill today."""
    return [*to_bill(), ~denials_in_work(), ~being_corrected()]


def _paid_on() -> ColumnElement:
    return (select(func.max(ClaimPosting.payment_date)).where(ClaimPosting.claim_id == Claim.id)
            .correlate(Claim).scalar_subquery())


def worklist(db: Session, actor: Actor, params: PageParams, practice_id: int | None = None) -> Slice:
    """The claims to bill to their next payer, in the practices whose PHI the actor may read, the oldest
    payment first."""
    query = listable(db, actor, ClaimFilter(practice_id=practice_id)).where(*to_bill())
    page = fetch_page(db, query.order_by(None).order_by(_paid_on().nulls_last(), Claim.id), params)
    audit.record(db, actor, "claim.worklist_next_payers", "claim", None, practice_id=practice_id,
                 reason=f"rows={len(page.rows)}")
    return page


@dataclass(slots=True)
class BillingRun:
    """What billing the ready claims did: the next payers' claims made, and the claims left with the reason."""

    billed: list[Claim] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)  # claim id → why it was not billed


def bill_ready(db: Session, actor: Actor, practice_id: int | None = None,
               progress: Callable[[int], None] | None = None) -> BillingRun:
    """Bill the next payer of every claim on the worklist that waits on nothing (`ready`), oldest payment first,
    in the practices where the actor may work claims, each as `service.bill_secondary` does (which audits it). A
    claim whose posted decision does not balance, or left nothing, is skipped with the reason; nothing is guessed."""
    practices = access.charge_managing_practices(db, actor, _visible(db, actor))
    query = listable(db, actor, ClaimFilter(practice_id=practice_id)).where(*ready(),
                                                                            Claim.practice_id.in_(sorted(practices)))
    ids = list(db.scalars(query.with_only_columns(Claim.id).order_by(None)
                          .order_by(_paid_on().nulls_last(), Claim.id)))
    run = BillingRun()
    for claim_id, decision in cob.posted_decisions(db, ids).items():
        if decision.patient_responsibility <= 0:
            run.skipped[claim_id] = "the payer's decision as posted leaves the patient nothing"
        elif problems := decision.problems():
            run.skipped[claim_id] = "the posted decision does not balance: " + "; ".join(problems)
    for claim_id in ids:
        if claim_id not in run.skipped:
            try:
                run.billed.append(bill_secondary(db, actor, claim_id))
            except Conflict as refused:
                run.skipped[claim_id] = refused.detail
        if progress:
            progress(1)
    return run


def billing_practices(db: Session, actor: Actor) -> set[int]:
    """The practices whose next payers the actor may bill: the worklist offers its buttons for their claims alone
    (none to an auditor)."""
    return access.workable_practices(db, actor, _visible(db, actor))


def _visible(db: Session, actor: Actor) -> list[int]:
    return list(db.scalars(visible(select(Practice.id), actor, Practice)))


def waiting(db: Session, actor: Actor) -> tuple[int, Decimal]:
    """(claims, patients' shares) to bill to a next payer in the worklist's own scope: counts, not a listing."""
    claims = (listable(db, actor, ClaimFilter()).add_columns(cob.patient_share_posted().label("share"))
              .where(*to_bill()).order_by(None).subquery())
    count, shares = db.execute(select(func.count(), func.sum(claims.c.share)).select_from(claims)).one()
    return count, shares or Decimal("0.00")


@dataclass(slots=True)
class NextPayerRow:
    """What a biller needs beside the claim: who, who paid and when, the share, the plan to bill, what it waits on."""

    patient_name: str
    payer_name: str
    paid_on: date | None
    share: Decimal  # as the posted adjudication the next payer is sent gives it (`cob.posted_decisions`)
    next_payer: str
    member_id: str
    order: str  # secondary, tertiary
    denials: list[DenialCase] = field(default_factory=list)  # still being worked
    correction: Claim | None = None  # standing
    problems: list[str] = field(default_factory=list)  # why the posted adjudication cannot be sent (COB)

    @property
    def billable(self) -> bool:
        """Whether `service.bill_secondary` takes it: no correction standing, a share left, a balanced decision."""
        return self.correction is None and self.share > 0 and not self.problems


def rows(db: Session, claims: list[Claim]) -> dict[int, NextPayerRow]:
    """For a page of the worklist (already read and audited), in a few IN queries."""
    ids = [claim.id for claim in claims]
    if not ids:
        return {}
    found = db.execute(select(Claim.id, Patient.last_name, Patient.first_name, Payer.name, _paid_on(), next_plan())
                       .join(Patient, Patient.id == Claim.patient_id).outerjoin(Payer, Payer.id == Claim.payer_id)
                       .where(Claim.id.in_(ids))).all()
    plans = {coverage.id: coverage for coverage in db.scalars(
        select(Coverage).where(Coverage.id.in_({row[5] for row in found if row[5] is not None})))}
    decisions = cob.posted_decisions(db, ids)
    result = {}
    for claim_id, last, first, payer, paid_on, plan_id in found:
        plan, decision = plans[plan_id], decisions[claim_id]
        result[claim_id] = NextPayerRow(f"{last}, {first}", payer or "", paid_on, decision.patient_responsibility,
                                        plan.payer.name, plan.member_id,
                                        plan_order(plan.priority),
                                        problems=decision.problems())
    for claim_id, cases in cases_in_work(db, ids).items():
        result[claim_id].denials = cases
    for correction in db.scalars(select(Claim).where(Claim.original_claim_id.in_(ids), stands(Claim))
                                 .order_by(Claim.id.desc())):
        result[correction.original_claim_id].correction = correction  # the first made, when there are several
    return result
