"""Column types that keep the platform's value rules at the storage boundary.

Money is integer cents in the database and `Decimal` in Python; instants are timezone-aware UTC
whatever the engine returns (SQLite has no time zones); percentages are basis points.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import BigInteger, DateTime, Integer
from sqlalchemy.types import TypeDecorator

CENT = Decimal("0.01")
BASIS_POINT = Decimal("0.01")


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_cents(amount: Decimal) -> int:
    return int((Decimal(amount) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


class Money(TypeDecorator):
    """A `Decimal` amount stored as integer cents, so sums are exact on every engine."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else to_cents(value)

    def process_result_value(self, value, dialect):
        return None if value is None else (Decimal(value) / 100).quantize(CENT)


class Percent(TypeDecorator):
    """A percentage such as `Decimal("33.33")` stored as integer basis points."""

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else int((Decimal(value) * 100).quantize(Decimal(1)))

    def process_result_value(self, value, dialect):
        return None if value is None else (Decimal(value) / 100).quantize(BASIS_POINT)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC instant; naive datetimes are refused rather than guessed."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware UTC instant is required")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
