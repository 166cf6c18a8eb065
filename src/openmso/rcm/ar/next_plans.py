"""Which claims have a next plan to bill: the patient's plan of the next order (secondary after primary, tertiary
after secondary) in force on the date of service (`claims.service.next_plan`).

A share the payer left to such a patient is not theirs to pay yet: the next plan is to be asked for it first,
billed or not. The rule the three A/R readers share (`reports.insurance_aging`, `facts.ClaimHistory`,
`held_shares.HeldShares`): once the last payer billed for a service by a day has an adjudication standing,
the patient's share it left is held in insurance A/R — under the next plan's payer — if it has a next plan on file
by then, no claim to that plan had been billed by then and no void of the service was with the payer; once one is
billed, that claim's wait holds it (`later_payers`) until it answers or is voided, and what the last payer leaves
with no plan after it is the patient's. Patient A/R leaves out what insurance holds, so a dollar is in one A/R,
never both.

A plan counts from the day it was put on file (`Coverage.entered_at`; plans on file before entry times were kept
count on every day): the A/R as of a day the practice had not yet learned of a second plan holds nothing for it,
and reads the same when run again later. Which plan is next is read as the plans are now (their orders and dates
in force), and on a day the next plan is the first of them then on file: a secondary entered after a tertiary was
on file leaves past days' hold with the tertiary.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import NamedTuple

from sqlalchemy import Select, Subquery, and_, func, select
from sqlalchemy.orm import Session, aliased

from openmso.network.models import Coverage
from openmso.rcm.claims.models import Claim
from openmso.rcm.claims.service import next_plan, plans_after

ALWAYS = date.min  # on file before entry times were kept


class NextPlan(NamedTuple):
    payer_id: int
    on_file: date  # the day (UTC) it was put on file; `ALWAYS` when not known


def on_file_day(entered_at) -> date:
    """The day a plan entered at `entered_at` (None: before entry times were kept) is on file from."""
    return ALWAYS if entered_at is None else entered_at.date()


def next_plans(db: Session, practice_ids: list[int], patient_id: int | None = None) -> dict[int, list[NextPlan]]:
    """These practices' (or one patient's) claims with a plan after the one billed → those plans in order (the next
    first), each with its payer and the day it is on file from: on a day, the claim's next plan is the first then on
    file (`payers_on`)."""
    if not practice_ids:
        return {}
    current, following = aliased(Coverage), aliased(Coverage)
    query = (select(Claim.id, following.payer_id, following.entered_at)
             .join(current, current.id == Claim.coverage_id)
             .join(following, and_(*plans_after(current, following)))
             .where(Claim.practice_id.in_(practice_ids), Claim.patient_id.in_(_with_several_plans(practice_ids)))
             .order_by(Claim.id, following.priority, following.id))
    if patient_id is not None:
        query = query.where(Claim.patient_id == patient_id)
    found: dict[int, list[NextPlan]] = defaultdict(list)
    for claim_id, payer_id, entered_at in db.execute(query):
        found[claim_id].append(NextPlan(payer_id, on_file_day(entered_at)))
    return dict(found)


def payers_on(plans: dict[int, list[NextPlan]], day: date | None) -> dict[int, int]:
    """The claims with a next plan on file by `day` (now when None) → that plan's payer."""
    payers = {}
    for claim_id, following in plans.items():
        payer = next((plan.payer_id for plan in following if day is None or plan.on_file <= day), None)
        if payer is not None:
            payers[claim_id] = payer
    return payers


def first_on_file(plans: list[NextPlan] | None) -> date | None:
    """The first day one of a claim's next plans was on file (None: it has none)."""
    return min((plan.on_file for plan in plans), default=None) if plans else None


def _with_several_plans(practice_ids: list[int]) -> Select:
    """The patients of these practices with more than one plan: only their claims can have a next plan."""
    return (select(Coverage.patient_id).where(Coverage.practice_id.in_(practice_ids))
            .group_by(Coverage.patient_id).having(func.count(Coverage.id) > 1))


def with_next_plan(practice_ids: list[int], patient_id: int | None = None) -> Subquery:
    """These practices' (or one patient's) claims with a next plan now, as a subquery of (claim_id, plan_id) to join
    or select from. Only patients with more than one plan can have one, so the correlated lookup runs for their
    claims alone."""
    claims = select(Claim.id.label("claim_id"), next_plan().label("plan_id")).where(
        Claim.practice_id.in_(practice_ids), Claim.patient_id.in_(_with_several_plans(practice_ids)))
    if patient_id is not None:
        claims = claims.where(Claim.patient_id == patient_id)
    found = claims.subquery()
    return select(found).where(found.c.plan_id.is_not(None)).subquery()
