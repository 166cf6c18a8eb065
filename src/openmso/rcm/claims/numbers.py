"""Persisted counters: X12 interchange control numbers and patient control numbers.

`take` reserves a block of numbers inside the caller's transaction. The counter row is locked
(`FOR UPDATE` on PostgreSQL; SQLite's `BEGIN IMMEDIATE` already serialises writers), so two
transactions never receive the same number, and a number handed out is never handed out again:
a rolled-back transaction also rolls back its reservation, so nothing it numbered was ever sent.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openmso.core.db import is_postgres
from openmso.rcm.claims.models import ControlCounter

INTERCHANGE = "x12.interchange"  # ISA13 and GS06 of every interchange the MSO sends
ISA13_MAX = 999_999_999


def take(db: Session, name: str, count: int = 1) -> int:
    """Reserve `count` consecutive numbers of counter `name`; returns the first."""
    query = select(ControlCounter).where(ControlCounter.name == name)
    if is_postgres(db):
        query = query.with_for_update()
    counter = db.scalar(query)
    if counter is None:
        try:
            with db.begin_nested():
                db.add(ControlCounter(name=name, last_value=0))
        except IntegrityError:  # another transaction created it first; lock theirs
            pass
        counter = db.scalar(query)
    first = counter.last_value + 1
    counter.last_value += count
    db.flush()
    return first


def next_interchange(db: Session) -> int:
    return next_interchanges(db, 1)[0]


def next_interchanges(db: Session, count: int) -> range:
    """`count` consecutive ISA13/GS06 numbers, reserved at once for the interchanges one run builds."""
    first = take(db, INTERCHANGE, count)
    if first + count - 1 > ISA13_MAX:
        raise OverflowError("ISA13 interchange control numbers are exhausted (9 digits)")
    return range(first, first + count)


def patient_control_numbers(db: Session, practice_id: int, count: int) -> list[str]:
    """`count` new CLM01 values for the practice, unique within it (and short enough for every payer)."""
    first = take(db, f"pcn.{practice_id}", count)
    return [f"{practice_id:04d}-{n:07d}" for n in range(first, first + count)]
