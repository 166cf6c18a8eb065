"""Reading the claims and claim lines one piece of an 835 pays: one query per table per piece, on
the driver's cursor.

A piece of 2,000 claims looks up about 2,000 claims and 6,000 lines. Through SQLAlchemy's result
objects each row is built and each value passes its type's result processor (dates from text on
SQLite) one by one, which cost more than the rest of the matching; here the rows come straight
from the driver and a date is converted once per distinct value. On PostgreSQL the keys go as one
array parameter (`= ANY(%s)`), so the statement text stays the same whatever the piece's size;
SQLite takes a list of placeholders.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import lru_cache
from operator import itemgetter
from typing import NamedTuple

from sqlalchemy.orm import Session

from openmso.rcm.claims.models import split_codes
from openmso.rcm.claims.states import ClaimStatus
from openmso.rcm.remittance.matching import LineRef

SQLITE_KEYS = 5000  # keys per statement on SQLite (its limit on host parameters is 32,766)


class ClaimRef(NamedTuple):
    """What posting needs to know about one of our claims."""

    id: int
    patient_control_number: str
    status: str
    payer_id: int | None
    patient_id: int
    payer_claim_number: str | None
    primary_claim_id: int | None  # set when the claim was billed after another payer's (COB)
    original_claim_id: int | None  # set when the claim replaces or voids another (a correction)
    frequency_code: str  # CLM05-3: 1 original, 7 replacement, 8 void


_CLAIM_COLUMNS = ("id, patient_control_number, status, payer_id, patient_id, payer_claim_number, primary_claim_id, "
                  "original_claim_id, frequency_code")


def claims_by(db: Session, practice_id: int, column: str, keys: Iterable[str]) -> dict[str, ClaimRef]:
    """The practice's claims whose `column` (patient_control_number or payer_claim_number) is one
    of `keys`, by that value."""
    assert column in ("patient_control_number", "payer_claim_number")
    position = ClaimRef._fields.index(column)
    found: dict[str, ClaimRef] = {}
    for row in _select(db, f"SELECT {_CLAIM_COLUMNS} FROM claim WHERE practice_id = {{mark}} AND {column}",
                       [practice_id], sorted(set(keys))):
        claim = ClaimRef._make(row)
        held = found.get(row[position])
        if held is None or _payer_holds(claim) > _payer_holds(held):
            found[row[position]] = claim
    return found


def _payer_holds(claim: ClaimRef) -> tuple[int, int]:
    """Which of the claims sharing a payer claim number the payer means: a correction not sent yet carries its
    original's number (REF*F8), so the claim the payer has taken in (or has on its way) comes first, then the
    latest (a payer that keeps its number for a replacement it accepted means the replacement)."""
    return _HOLDS.get(claim.status, 0), claim.id


_HOLDS = {ClaimStatus.SUBMITTED: 1, ClaimStatus.CLEARINGHOUSE_ACCEPTED: 1, ClaimStatus.PAYER_ACCEPTED: 2,
          ClaimStatus.PAID: 2, ClaimStatus.PARTIALLY_PAID: 2, ClaimStatus.DENIED: 2, ClaimStatus.CLOSED: 2}


def other_practices(db: Session, practice_id: int, claims: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """For (patient control number, payer claim number) pairs the practice has no claim for: the
    other practice (the lowest id) whose claim has both numbers, the one the payer seems to have meant."""
    wanted = {pair for pair in claims if pair[1]}
    found: dict[tuple[str, str], int] = {}
    rows = _select(db, "SELECT patient_control_number, payer_claim_number, practice_id FROM claim "
                       "WHERE practice_id <> {mark} AND patient_control_number", [practice_id],
                   sorted({pcn for pcn, _ in wanted}))
    for pcn, payer_number, other in sorted(rows, key=lambda row: row[2]):
        if (pcn, payer_number) in wanted:
            found.setdefault((pcn, payer_number), other)
    return found


def lines_of(db: Session, claim_ids: Iterable[int]) -> dict[int, list[LineRef]]:
    """Each claim's lines in line-number order."""
    ids = sorted(set(claim_ids))
    lines: dict[int, list[LineRef]] = {claim_id: [] for claim_id in ids}
    rows = _select(db, "SELECT claim_id, id, line_number, procedure_code, modifiers, units, service_date "
                       "FROM claim_line WHERE claim_id", [], ids)
    day, modifiers_of, make = _day_reader(db), _modifiers, tuple.__new__  # LineRef's own __new__ is Python code
    rows.sort(key=_CLAIM_AND_NUMBER)
    for claim_id, line_id, number, code, modifiers, units, served in rows:
        lines[claim_id].append(make(LineRef, (line_id, number, code, modifiers_of(modifiers), units, day(served))))
    return lines


_CLAIM_AND_NUMBER = itemgetter(0, 2)


def _select(db: Session, template: str, fixed: list, keys: list) -> list[tuple]:
    """Run `template` (its `{mark}`s take `fixed`; it ends with the keyed column) for every key."""
    if not keys:
        return []
    connection = db.connection()
    postgres = connection.dialect.name == "postgresql"
    statement = template.format(mark="%s" if postgres else "?")
    cursor = connection.connection.driver_connection.cursor()
    try:
        if postgres:
            kind = "bigint" if isinstance(keys[0], int) else "text"
            cursor.execute(f"{statement} = ANY(%s::{kind}[])", [*fixed, array_literal(keys)])
            return cursor.fetchall()
        rows: list[tuple] = []
        for start in range(0, len(keys), SQLITE_KEYS):
            chunk = keys[start:start + SQLITE_KEYS]
            cursor.execute(f"{statement} IN ({', '.join('?' * len(chunk))})", [*fixed, *chunk])
            rows += cursor.fetchall()
        return rows
    finally:
        cursor.close()


def array_literal(values: Iterable[str | int | None]) -> str:
    """A PostgreSQL array literal (``{1,2}``, ``{"a","b",NULL}``) of ints or strings, for a ``%s::type[]``
    parameter: one string for the driver to send, where adapting a list converts its thousands of elements one
    by one in Python (0.3 s of CPU, a sixth of the lookups, per 100,000 claims)."""
    return "{" + ",".join("NULL" if value is None else str(value) if isinstance(value, int)
                          else '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
                          for value in values) + "}"


def _day_reader(db: Session):
    """SQLite returns dates as ISO text; PostgreSQL as dates."""
    if db.get_bind().dialect.name == "postgresql":
        return _same
    return _iso_day


def _same(value):
    return value


@lru_cache(maxsize=4096)
def _iso_day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


@lru_cache(maxsize=1024)
def _modifiers(text: str | None) -> tuple[str, ...]:
    return tuple(split_codes(text))
