"""The demo's 13 weeks of revenue cycle replayed as they would have happened, business day by business day,
with the clock (`core.types.simulated_clock`) set to each step's time, so every timestamp the services write
tells a believable story: charges keyed in a day or few after the visit, claims submitted in the next
practice's weekly claim run, 835s delivered on their payment date (two to five weeks later) and posted the next
business day, denials picked up after they arrive, patients paying after their statements.

A business day runs: 07:00 post yesterday's 835s · 10:00 (Wednesdays) work new denials · 11:00 fix the claims
held three business days whose holds are in the codes, and work the payer's rejections two business days old
(the front desk those a week old that only the patient can answer), and bill the next payer of claims paid
with a share left to a patient who has one ·
12:00 (Fridays) take patient payments · 16:00 the claim runs due that weekday · 18:00 poll the clearinghouse.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from openmso.core.types import simulated_clock, utcnow
from openmso.rcm.demo import VISIT_DAYS, ClaimsDemoSummary, ClaimsDesk, business_day_on_or_before
from openmso.rcm.demo_front_desk import FrontDesk
from openmso.rcm.remittance.demo import MoneyDemoSummary, MoneyDesk

DENIAL_WEEKDAY = 2  # Wednesday
PATIENT_PAYMENT_WEEKDAY = 4  # Friday


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def this_morning(as_of: date) -> datetime:
    """The demo's "today" at 08:00, or now if that is still ahead (the demo built early on the real today):
    nothing written is later than the wall clock."""
    return min(at(as_of, 8), utcnow())


def run_revenue_cycle(db: Session, clearinghouse_dir: Path, *, seed: int, as_of: date
                      ) -> tuple[ClaimsDemoSummary, MoneyDemoSummary]:
    """Charges, claims, the payer simulator's answers and the money in, for the visits of the 13 weeks before
    `as_of`; ends on `as_of`'s morning with the last 835s posted and the bank's deposit file reconciled."""
    opened = as_of - timedelta(days=VISIT_DAYS + 1)
    with simulated_clock(at(opened, 8)):
        claims = ClaimsDesk(db, clearinghouse_dir, seed=seed, as_of=as_of)
        front_desk = FrontDesk(db, claims.summary, seed=seed)
        money = MoneyDesk(db, seed=seed, rates_from=date(opened.year, 1, 1))
    last_day = business_day_on_or_before(as_of - timedelta(days=1))
    day = claims.first_entry or last_day
    while day <= last_day:
        if day.weekday() < 5:
            with simulated_clock(at(day, 7)):
                money.post()
            if day.weekday() == DENIAL_WEEKDAY:
                with simulated_clock(at(day, 10)):
                    money.work_denials(day)
            with simulated_clock(at(day, 11)):
                claims.work_holds(day)
                claims.work_rejections(day)
                front_desk.work(day)
                claims.bill_next_payers()
            if day.weekday() == PATIENT_PAYMENT_WEEKDAY:
                with simulated_clock(at(day, 12)):
                    money.patient_payments(day)
            with simulated_clock(at(day, 16)):
                claims.submit(day)
            with simulated_clock(at(day, 18)):
                claims.poll(day)
        day += timedelta(days=1)
    with simulated_clock(this_morning(as_of)):
        money.post()
        money.deposits(last_day)
    return claims.summary, money.summary
