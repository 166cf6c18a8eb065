"""Column types that keep the platform's value rules at the storage boundary.

Money is integer cents in the database and `Decimal` in Python; instants are timezone-aware UTC
whatever the engine returns (SQLite has no time zones); percentages are basis points.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import BigInteger, DateTime, Integer
from sqlalchemy.types import TypeDecorator

CENT = Decimal("0.01")
BASIS_POINT = Decimal("0.01")


_simulated_now: ContextVar[datetime | None] = ContextVar("openmso_simulated_now", default=None)


def utcnow() -> datetime:
    """The current instant, aware UTC: the wall clock, unless a simulation has set the clock (`simulated_clock`)."""
    return _simulated_now.get() or datetime.now(UTC)


@contextmanager
def simulated_clock(at: datetime) -> Iterator[datetime]:
    """Inside the block (and only in this context), `utcnow()` returns `at`, so every timestamp the services
    write is the simulated instant. For simulations (the demo's months of revenue cycle) and back-dated
    imports only: request handling never sets it, so logins, sessions and the audit trail of real work
    always run on the wall clock."""
    if at.tzinfo is None:
        raise ValueError("naive datetime given where an aware UTC instant is required")
    token = _simulated_now.set(at.astimezone(UTC))
    try:
        yield at
    finally:
        _simulated_now.reset(token)


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
