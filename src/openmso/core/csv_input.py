"""Reading a CSV someone uploaded (a fee schedule, a Medicare fee table, a bank's deposits) into
rows named by line, so every problem can be reported where it is instead of crashing the import.

Why not `csv.DictReader` as it is: it keeps the last of two columns with the same name, pads short
rows silently, lets a field over `csv.field_size_limit()` escape as `csv.Error` in the middle of the
loop, and keeps a spreadsheet's UTF-8 byte order mark in the first column's name. Numbers and dates
are read strictly too: `Decimal` takes "1e30", "NaN" and "1,50" with its comma stripped, and
`date.fromisoformat` also takes week dates and "20261103"; a person meant none of these as an amount
or a date in these files.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from datetime import date
from decimal import Decimal

from openmso.core.errors import FieldError, Invalid

BYTE_ORDER_MARK = "\ufeff"
# Digits with commas only between groups of three (1,234,567.89), or digits without commas.
_NUMBER = re.compile(r"(?P<sign>[+-]?)(?P<whole>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]*)(?:\.(?P<cents>[0-9]*))?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def decode_upload(data: bytes, filename: str) -> str:
    """The text of an uploaded file: UTF-8 (with or without a byte order mark), else a located error,
    rather than characters silently replaced."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise Invalid(f"{filename} is not UTF-8 text; nothing was imported",
                      errors=[FieldError([f"byte {error.start + 1}"], "not UTF-8: save the file as CSV UTF-8")],
                      ) from None


def source_name(filename: str) -> str:
    """A file's name as recorded with what it brought (at most 150 printable characters)."""
    return "".join(c for c in filename if c.isprintable())[:150] or "upload.csv"


def read_rows(text: str, columns: Sequence[str], required: Sequence[str],
              errors: list[FieldError]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, {column: stripped value}) for each non-blank row after the header.

    Problems go to `errors`: a header without a required column or with a column twice (then no row
    is read), a row with more values than the header has columns, and text the CSV reader cannot
    read (the rest of the file is not read: where the next row starts is unknown)."""
    reader = csv.reader(io.StringIO(text.removeprefix(BYTE_ORDER_MARK)))
    number = 1  # the physical line the record being read starts on (a quoted field may hold newlines)
    try:
        header = [name.strip().lower() for name in next(reader, [])]
        if not _header_ok(header, columns, required, errors):
            return
        while True:
            number = reader.line_num + 1
            values = next(reader, None)
            if values is None:
                return
            if not any(value.strip() for value in values):
                continue
            if len(values) > len(header):
                errors.append(FieldError([f"line {number}"], f"{len(values)} values but the header has "
                                                             f"{len(header)} columns"))
                continue
            if any("\x00" in value for value in values):
                # PostgreSQL refuses NUL in text; a NUL means the file is not the text it claims to be.
                errors += [FieldError([f"line {number}", name or f"column {index + 1}"], "contains a NUL character")
                           for index, (name, value) in enumerate(zip(header, values, strict=False)) if "\x00" in value]
                continue
            yield number, {name: value.strip() for name, value in zip(header, values, strict=False) if name}
    except csv.Error as error:
        errors.append(FieldError([f"line {number}"], f"not readable as CSV ({error}); the rest of the file "
                                                     "was not read"))


def _header_ok(header: list[str], columns: Sequence[str], required: Sequence[str],
               errors: list[FieldError]) -> bool:
    found = len(errors)
    missing = [name for name in required if name not in header]
    if missing:
        errors.append(FieldError(["line 1"], f"missing column(s): {', '.join(missing)}; "
                                             f"expected {', '.join(columns)}"))
    for name in dict.fromkeys(header):
        places = [str(index + 1) for index, other in enumerate(header) if other == name]
        if name and len(places) > 1:
            errors.append(FieldError(["line 1", name], f"column appears more than once (columns "
                                                       f"{', '.join(places)}): which one holds the value is a guess"))
    return len(errors) == found


def parse_amount(text: str, *, below: Decimal | None = None, at_most: Decimal | None = None,
                 positive: bool = False) -> Decimal:
    """A non-negative amount with at most two decimals, optionally with thousands separators in their
    places ("1,234.56"); `ValueError` says what is wrong. The bound is checked before any rounding,
    so an amount too large for the database is refused here, not by the driver."""
    match = _NUMBER.fullmatch(text)
    if match is None or not (match["whole"] or match["cents"]):
        reason = "commas only between groups of three digits, as in 1,234.56" if "," in text else "digits only"
        raise ValueError(f"{text!r} is not an amount ({reason})")
    value = Decimal(f"{match['sign']}{match['whole'].replace(',', '') or 0}.{match['cents'] or 0}")
    if value < 0 or (positive and value == 0):
        raise ValueError(f"{text!r}: must be {'more than zero' if positive else 'zero or more'}")
    if (below is not None and value >= below) or (at_most is not None and value > at_most):
        limit = f"below {below:,}" if below is not None else f"at most {at_most:,}"
        raise ValueError(f"{text!r} is too large (must be {limit})")
    if len((match["cents"] or "").rstrip("0")) > 2:
        raise ValueError(f"{text!r} has more than two decimals")
    return value.quantize(Decimal("0.01"))


def parse_date(text: str) -> date:
    """A calendar date written YYYY-MM-DD; `ValueError` says what is wrong."""
    if not _DATE.fullmatch(text):
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD)")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a day of the calendar") from None


def field(row: dict[str, str], number: int, name: str, parse, errors: list[FieldError], *, required: bool = True,
          **options):
    """`parse(row[name])`, or None with the problem located at (line, column) in `errors`; a blank
    value is None, and a problem ("required") when the column must be filled."""
    text = row.get(name, "")
    if not text:
        if required:
            errors.append(FieldError([f"line {number}", name], "required"))
        return None
    try:
        return parse(text, **options)
    except ValueError as error:
        errors.append(FieldError([f"line {number}", name], str(error)))
        return None


def in_line_order(errors: list[FieldError]) -> list[FieldError]:
    """The problems sorted by the line they are on (stable: a line's problems keep their column order)."""
    def line(error: FieldError) -> int:
        where = str(error.location[0]) if error.location else ""
        return int(where.removeprefix("line ")) if where.startswith("line ") and where[5:].isdigit() else 0
    return sorted(errors, key=line)
