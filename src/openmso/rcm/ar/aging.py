"""A/R aging buckets (0–30, 31–60, 61–90, 91–120, over 120 days), as pure functions.

Age is counted in whole days from the date the balance started to age (the claim's first
submission for insurance A/R, the statement date for patient A/R; the service date when neither
is known) to the "as of" date — the convention of HFMA's "Aged A/R as a percentage of billed A/R"
MAP Key, which ages from the billing event.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class Bucket:
    key: str
    label: str
    low: int  # inclusive
    high: int | None  # inclusive; None: no upper bound


BUCKETS: tuple[Bucket, ...] = (
    Bucket("0_30", "0–30", 0, 30),
    Bucket("31_60", "31–60", 31, 60),
    Bucket("61_90", "61–90", 61, 90),
    Bucket("91_120", "91–120", 91, 120),
    Bucket("over_120", "> 120", 121, None),
)


def bucket_for(days: int) -> Bucket:
    """The bucket for an age in days. A balance dated after the day it is aged to is not A/R on that day:
    callers leave it out, and a negative age reaching here is refused rather than counted as current."""
    if days < 0:
        raise ValueError(f"a balance {-days} days younger than the day it is aged to is not A/R yet")
    return next(bucket for bucket in BUCKETS if bucket.high is None or days <= bucket.high)


@dataclass(slots=True)
class Aging:
    """Open balances by bucket key, plus the total and the part over 90 days; the distinct patients behind each
    bucket are kept when given, for small-cell suppression of cross-practice views.

    Credits (balances below zero: money owed back, a refund matter) are kept apart in `credits`, never netted
    against the buckets, so an over-credited account cannot make A/R look smaller than what is owed.
    """

    amounts: dict[str, Decimal] = field(default_factory=lambda: {b.key: ZERO for b in BUCKETS})
    counts: dict[str, int] = field(default_factory=lambda: {b.key: 0 for b in BUCKETS})
    patients: dict[str, set[int]] = field(default_factory=lambda: {b.key: set() for b in BUCKETS})
    credits: Decimal = ZERO  # sum of credit balances, as a positive amount
    credit_count: int = 0
    credit_patients: set[int] = field(default_factory=set)

    def add(self, days: int, amount: Decimal, patient_id: int | None = None) -> None:
        """Count one account's balance: zero is settled and left out (no amount, count or patient), below zero
        is a credit."""
        if not amount:
            return
        if amount < 0:
            self.credits -= amount
            self.credit_count += 1
            if patient_id is not None:
                self.credit_patients.add(patient_id)
            return
        key = bucket_for(days).key
        self.amounts[key] += amount
        self.counts[key] += 1
        if patient_id is not None:
            self.patients[key].add(patient_id)

    def patient_counts(self) -> dict[str, int]:
        return {key: len(ids) for key, ids in self.patients.items()}

    @property
    def total(self) -> Decimal:
        return sum(self.amounts.values(), ZERO)

    @property
    def over_90(self) -> Decimal:
        return self.amounts["91_120"] + self.amounts["over_120"]


def age_in_days(since: date, as_of: date) -> int:
    return (as_of - since).days


def age(items: Iterable[tuple[date, Decimal]], as_of: date) -> Aging:
    """Age (start date, open balance) pairs as of a date; zero balances are left out, credits kept apart."""
    result = Aging()
    for since, amount in items:
        result.add(age_in_days(since, as_of), amount)
    return result
