"""Which claims have a next plan to bill: the patient's plan of the next order (secondary after primary, tertiary
after secondary) in force on the date of service (`claims.service.next_plan`).

A share the payer left to such a patient is not theirs to pay yet: the next plan is to be asked for it first,
billed or not. The rule the three A/R readers share (`reports.insurance_aging`, `facts.ClaimHistory`,
`patients.pending_shares_on`): once the last payer billed for a service by a day has an adjudication standing,
the patient's share it left is held in insurance A/R — under the next plan's payer — if it has a next plan on file
by then, no claim to that plan had been billed by then and no void of the service was with the payer; once one is
billed, that claim's wait holds it (`later_payers`) until it answers or is voided, and what the last payer leaves
with no plan after it is the patient's. Patient A/R leaves out what insurance holds, so a dollar is in one A/R,
never both.

A plan counts from the day it was put on file (`Coverage.entered_at`; plans on file before entry times were kept
count on every day): the A/R as of a day the practice had not yet learned of a second plan holds nothing for it,
and reads the same when run again later. Which plan is next is read as the plans are now (their orders and dates
in force): a secondary entered after a tertiary was on file makes the claim's next plan the secondary, on file
only from its own day, so past days lose the tertiary's hold (a known gap: it needs the plans as they stood then).
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from sqlalchemy import Subquery, func, select
from sqlalchemy.orm import Session

from openmso.network.models import Coverage
from openmso.rcm.claims.models import Claim
from openmso.rcm.claims.service import next_plan

ALWAYS = date.min  # on file before entry times were kept


class NextPlan(NamedTuple):
    payer_id: int
    on_file: date  # the day (UTC) it was put on file; `ALWAYS` when not known


def on_file_day(entered_at) -> date:
    """The day a plan entered at `entered_at` (None: before entry times were kept) is on file from."""
    return ALWAYS if entered_at is None else entered_at.date()


def next_plans(db: Session, practice_ids: list[int], patient_id: int | None = None) -> dict[int, NextPlan]:
    """These practices' (or one patient's) claims with a next plan → that plan's payer and the day it is on file
    from."""
    if not practice_ids:
        return {}
    found = with_next_plan(practice_ids, patient_id)
    return {claim_id: NextPlan(payer_id, on_file_day(entered_at)) for claim_id, payer_id, entered_at in db.execute(
        select(found.c.claim_id, Coverage.payer_id, found.c.entered_at).join(Coverage, Coverage.id == found.c.plan_id))}


def payers_on(plans: dict[int, NextPlan], day: date | None) -> dict[int, int]:
    """The claims whose next plan was on file by `day` (now when None) → that plan's payer."""
    return {claim_id: plan.payer_id for claim_id, plan in plans.items() if day is None or plan.on_file <= day}


def with_next_plan(practice_ids: list[int], patient_id: int | None = None) -> Subquery:
    """These practices' (or one patient's) claims with a next plan, as a subquery of (claim_id, plan_id,
    entered_at: when the plan was put on file) to join or select from. Only patients with more than one plan can
    have one, so the correlated lookup runs for their claims alone."""
    several = (select(Coverage.patient_id).where(Coverage.practice_id.in_(practice_ids))
               .group_by(Coverage.patient_id).having(func.count(Coverage.id) > 1))
    claims = select(Claim.id.label("claim_id"), next_plan().label("plan_id")).where(
        Claim.practice_id.in_(practice_ids), Claim.patient_id.in_(several))
    if patient_id is not None:
        claims = claims.where(Claim.patient_id == patient_id)
    found = claims.subquery()
    return (select(found.c.claim_id, found.c.plan_id, Coverage.entered_at)
            .join(Coverage, Coverage.id == found.c.plan_id).subquery())
