"""Element values: decimals, dates, composites; and locating the element a typed parser choked on.

Typed parsers convert elements on the hot path without checking each one first (a failed
`Decimal(...)` or date raises anyway). When a conversion fails, `locate_failure` re-checks the
segment against its element rules and names the first element that breaks them, so the error
still says e.g. "element CLP04: 'ABC' is not a decimal number" with offset and segment number.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation

from openmso.x12.envelope import Transaction
from openmso.x12.errors import X12Error

CONVERSION_ERRORS = (ValueError, IndexError, ArithmeticError, KeyError, TypeError)


def decimal_value(value: str) -> Decimal:
    """X12 type R (decimal number) as a finite `Decimal`; never float."""
    result = Decimal(value)
    if not result.is_finite():
        raise InvalidOperation(f"{value!r} is not a finite number")
    return result


def optional_decimal(value: str) -> Decimal | None:
    return decimal_value(value) if value else None


def date_value(value: str) -> date:
    """X12 type DT with format qualifier D8 (CCYYMMDD)."""
    if len(value) != 8 or not (value.isascii() and value.isdigit()):
        raise ValueError(f"{value!r} is not a CCYYMMDD date")
    return date(int(value[:4]), int(value[4:6]), int(value[6:]))


class DecimalCache(dict):
    """``cache[text]`` → the finite `Decimal` for `text`; values repeat a lot in remittances.

    Decimals and dates are immutable, so sharing one instance between claims is safe. Once the
    cache holds `limit` entries, new values are converted without being kept: memory stays
    bounded and the values seen first (the common charges and amounts) stay cached, where
    clearing the cache would throw them away with the rare ones.
    """

    limit = 16384

    def __missing__(self, key: str) -> Decimal:
        value = decimal_value(key)
        if len(self) < self.limit:
            self[key] = value
        return value


class BoundedCache(dict):
    """``cache[key]`` → ``make(key)``, remembered until `limit` keys are held, then all forgotten at once.

    These caches live as long as the process, and what a long-running worker met first (last year's
    dates of service and procedures) stops recurring: emptied, a cache refills with what the work
    repeats now, where frozen it would keep the first keys for good. A hit is a dict lookup in C;
    `make` runs on a miss only.
    """

    def __init__(self, make: Callable, limit: int = 16384) -> None:
        super().__init__()
        self.make, self.limit = make, limit

    def __missing__(self, key):
        if len(self) >= self.limit:
            self.clear()
        value = self[key] = self.make(key)
        return value


DECIMALS = DecimalCache()
DATES = BoundedCache(date_value)  # CCYYMMDD text → date


def format_decimal(value: Decimal) -> str:
    """A decimal as X12 type R: no exponent, no trailing zeros beyond what the value carries.

    `str` gives the same text as ``format(value, "f")`` unless it chooses scientific notation,
    and costs a fraction of it; writers format every amount of every claim.
    """
    text = str(value)
    if "E" in text:
        text = format(value, "f")
    if text[0] == "-" and not value:
        text = text[1:]
    return text


def _date_text(day: date) -> str:
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


DATE_TEXTS = BoundedCache(_date_text)  # date → CCYYMMDD text: writers repeat dates of service and birth dates


def format_date(value: date) -> str:
    """CCYYMMDD (X12 type DT); a `datetime` gives its date."""
    return DATE_TEXTS[value]


def element(segment: list[str], position: int) -> str:
    """Element at `position` (1-based) or ``""`` when the segment is shorter."""
    return segment[position] if position < len(segment) else ""


# Element rules for locating failures: segment id → {position: kind}. Kinds: "R" decimal,
# "DT" CCYYMMDD date, "N" integer, "req" required (any non-empty value).
Rules = Mapping[str, Mapping[int, str]]


def _breaks(kind: str, value: str) -> str | None:
    if kind == "req":
        return None if value else "is missing"
    if not value:
        return None
    if kind == "R":
        try:
            decimal_value(value)
        except (InvalidOperation, ValueError):
            return f"{value[:40]!r} is not a decimal number"
    elif kind == "DT":
        try:
            date_value(value)
        except ValueError:
            return f"{value[:40]!r} is not a CCYYMMDD date"
    elif kind == "N":
        digits = value.lstrip("-")
        if not (digits.isascii() and digits.isdigit()):
            return f"{value[:40]!r} is not an integer"
    return None


_EXPECTED = {"R": "a decimal number", "DT": "a CCYYMMDD date", "N": "an integer", "req": "a value"}


def locate_failure(
    transaction: Transaction, index: int, rules: Rules, required: Mapping[str, tuple[int, ...]], cause: Exception
) -> X12Error:
    """Turn a conversion failure in ``transaction.segments[index]`` into a located `X12Error`."""
    segment = transaction.segments[index]
    segment_id = segment[0]
    for position in required.get(segment_id, ()):
        if not element(segment, position):
            return transaction.error(
                index, f"{segment_id}{position:02d} is missing", element_position=position, expected="a value"
            )
    for position, kind in rules.get(segment_id, {}).items():
        problem = _breaks(kind, element(segment, position))
        if problem:
            return transaction.error(index, problem, element_position=position, expected=_EXPECTED[kind])
    return transaction.error(index, f"cannot read {segment_id}: {cause}", expected="a well-formed segment")
