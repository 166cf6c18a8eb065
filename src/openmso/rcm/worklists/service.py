"""How much work waits on each revenue-cycle worklist the actor may work: the first thing a biller or an
MSO manager looks for when they sign in.

Each count comes from the domain that owns the worklist, in that worklist's own scope (the practices the
actor sees and the agreement's decision rights), so the overview never promises work its list will not
show. Counts and sums name no patient: reading them is not an audited read of patient data."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from openmso.core.tenancy import Actor
from openmso.rcm.claims import next_payers
from openmso.rcm.claims import service as claims
from openmso.rcm.denials import service as denials
from openmso.rcm.remittance import service as remittances


@dataclass(frozen=True, slots=True)
class Waiting:
    key: str
    label: str
    count: int
    amount: Decimal | None  # money at stake, where the worklist has one
    href: str
    why: str


def work_waiting(db: Session, actor: Actor) -> list[Waiting]:
    held, rejected = claims.waiting_counts(db, actor)
    cases, recoverable = denials.still_to_work(db, actor)
    exceptions, at_stake = remittances.open_exceptions(db, actor)
    unbilled, shares = next_payers.waiting(db, actor)
    return [
        Waiting("held", "Claims held by the scrubber", held, None, "/claims/worklists/scrubber",
                "fix the failed edits before the claims can be sent"),
        Waiting("rejected", "Claims rejected (999 / 277CA)", rejected, None, "/claims/worklists/rejections",
                "correct and send again; timely filing runs"),
        Waiting("denials", "Denials to work", cases, recoverable, "/denials",
                "appeal, correct and resubmit, write off or transfer"),
        Waiting("next_payers", "Next payers to bill", unbilled, shares, "/claims/worklists/next-payers",
                "the patient's share of a paid claim, for the secondary or tertiary plan in force"),
        Waiting("exceptions", "Payment exceptions", exceptions, at_stake, "/remittances/exceptions",
                "what posting could not match or balance on its own"),
    ]
