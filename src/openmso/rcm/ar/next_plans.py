"""Which claims have a next plan to bill: the patient's plan of the next order (secondary after primary, tertiary
after secondary) in force on the date of service (`claims.service.next_plan`).

A share the payer left to such a patient is not theirs to pay yet: the next plan is to be asked for it first,
billed or not. The rule the three A/R readers share (`reports.insurance_aging`, `facts.ClaimHistory`,
`patients.pending_shares_on`): once the last payer billed for a service by a day has an adjudication standing,
the patient's share it left is held in insurance A/R — under the next plan's payer — if it has a next plan, no
claim to that plan had been billed by then and no void of the service was with the payer; once one is billed,
that claim's wait holds it (`later_payers`), and what the last payer leaves with no plan after it is the
patient's. Patient A/R leaves out what insurance holds, so a dollar is in one A/R, never both.

Plans are read as they are now: a plan entered after a day counts on that day too (a plan has no date it was
entered, only the dates it is in force).
"""

from __future__ import annotations

from sqlalchemy import Subquery, func, select
from sqlalchemy.orm import Session

from openmso.network.models import Coverage
from openmso.rcm.claims.models import Claim
from openmso.rcm.claims.service import next_plan


def next_payers(db: Session, practice_ids: list[int], patient_id: int | None = None) -> dict[int, int]:
    """These practices' (or one patient's) claims with a next plan → that plan's payer."""
    if not practice_ids:
        return {}
    found = with_next_plan(practice_ids, patient_id)
    return dict(db.execute(select(found.c.claim_id, Coverage.payer_id)
                           .join(Coverage, Coverage.id == found.c.plan_id)).all())


def with_next_plan(practice_ids: list[int], patient_id: int | None = None) -> Subquery:
    """These practices' (or one patient's) claims with a next plan, as a subquery of (claim_id, plan_id) to join
    or select from. Only patients with more than one plan can have one, so the correlated lookup runs for their
    claims alone."""
    several = (select(Coverage.patient_id).where(Coverage.practice_id.in_(practice_ids))
               .group_by(Coverage.patient_id).having(func.count(Coverage.id) > 1))
    claims = select(Claim.id.label("claim_id"), next_plan().label("plan_id")).where(
        Claim.practice_id.in_(practice_ids), Claim.patient_id.in_(several))
    if patient_id is not None:
        claims = claims.where(Claim.patient_id == patient_id)
    found = claims.subquery()
    return select(found).where(found.c.plan_id.is_not(None)).subquery()
