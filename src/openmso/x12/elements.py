"""Element values: decimals, dates, composites; and locating the element a typed parser choked on.

Typed parsers convert elements on the hot path without checking each one first (a failed
`Decimal(...)` or date raises anyway). When a conversion fails, `locate_failure` re-checks the
segment against its element rules and names the first element that breaks them, so the error
still says e.g. "element CLP04: 'ABC' is not a decimal number" with offset and segment number.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation

from openmso.x12.envelope import Transaction
from openmso.x12.errors import X12Error

CONVERSION_ERRORS = (ValueError, IndexError, ArithmeticError, KeyError, TypeError)


# X12 type R as the TR3s allow it (appendix B.1.1.3.1.2): an optional leading minus, ASCII digits, an
# optional decimal point. No exponent, plus sign, triad separators, blanks, NaN or Infinity, all of
# which Python's `Decimal` would read. A monetary amount (data element 782) under HIPAA: at most 10
# digits, two of them for cents, so at most 99999999.99 and never a third place (leading zeros aside).
_DECIMAL_TEXT = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_AMOUNT_TEXT = re.compile(r"-?(?:0*[0-9]{1,8}(?:\.[0-9]{0,2})?|\.[0-9]{1,2})")
R_DIGITS = 18  # the longest R element of the 005010 TR3s; sign and point are not counted


def decimal_value(value: str) -> Decimal:
    """X12 type R (decimal number) as a finite `Decimal`; never float."""
    if _DECIMAL_TEXT.fullmatch(value) is None or (
            len(value) > R_DIGITS and len(value) - value.count("-") - value.count(".") > R_DIGITS):
        raise InvalidOperation(f"{value[:40]!r} is not an X12 decimal number")
    return Decimal(value)


def amount_value(value: str) -> Decimal:
    """A monetary amount as the HIPAA TR3s limit it (see `_AMOUNT_TEXT`). The ledger keeps whole cents,
    so a third place would be rounded away unseen; and a larger amount is not a payment but a malformed
    file. One regular expression: amounts are read on every cache miss of a large remittance."""
    if _AMOUNT_TEXT.fullmatch(value) is None:
        raise InvalidOperation(f"{value[:40]!r} is not a monetary amount (at most 99999999.99)")
    return Decimal(value)


def optional_amount(value: str) -> Decimal | None:
    return amount_value(value) if value else None


def date_value(value: str) -> date:
    """X12 type DT with format qualifier D8 (CCYYMMDD)."""
    if len(value) != 8 or not (value.isascii() and value.isdigit()):
        raise ValueError(f"{value!r} is not a CCYYMMDD date")
    return date(int(value[:4]), int(value[4:6]), int(value[6:]))


class DecimalCache(dict):
    """``cache[text]`` → the `Decimal` `convert` reads from `text` (a decimal number, or a monetary
    amount); values repeat a lot in remittances.

    Decimals and dates are immutable, so sharing one instance between claims is safe. Once the
    cache holds `limit` entries, new values are converted without being kept: memory stays
    bounded and the values seen first (the common charges and amounts) stay cached, where
    clearing the cache would throw them away with the rare ones.
    """

    limit = 16384

    def __init__(self, convert: Callable[[str], Decimal] = decimal_value) -> None:
        super().__init__()
        self.convert = convert

    def __missing__(self, key: str) -> Decimal:
        value = self.convert(key)
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


DECIMALS = DecimalCache()  # quantities (units, CAS quantities, QTY)
AMOUNTS = DecimalCache(amount_value)  # monetary amounts
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


# Element rules for locating failures: segment id → {position: kind}. Kinds: "R" decimal, "M" monetary
# amount, "DT" CCYYMMDD date, "N" integer, "req" required (any non-empty value), "AN<n>" at most n characters.
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
    elif kind == "M":
        try:
            amount_value(value)
        except (InvalidOperation, ValueError):
            return f"{value[:40]!r} is not a monetary amount (at most 99999999.99)"
    elif kind.startswith("AN"):
        longest = int(kind[2:])
        if len(value) > longest:
            return f"{value[:40]!r} is longer than {longest} characters"
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


_EXPECTED = {"R": "a decimal number", "M": "a monetary amount", "DT": "a CCYYMMDD date", "N": "an integer",
             "req": "a value"}


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
            expected = _EXPECTED.get(kind) or f"at most {kind[2:]} characters"
            return transaction.error(index, problem, element_position=position, expected=expected)
    return transaction.error(index, f"cannot read {segment_id}: {cause}", expected="a well-formed segment")
