"""`EffectiveDated` answers "in force on this day" and "overlaps this span" the same in Python and in SQL, on both
engines, for every arrangement of spans and days around one another (end dates inclusive, an empty end open)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from sqlalchemy import Date, Integer, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, aliased, mapped_column

from openmso.core.effective_dates import EffectiveDated

DAY0 = date(2026, 1, 1)
DAYS = [DAY0 + timedelta(days=n) for n in range(6)]
# every span over the six days, with an open end too: the boundaries meet, cross and miss each other
SPANS = [(start, end) for start in DAYS[1:5] for end in (*[d for d in DAYS if d >= start][:3], None)]


class _Scratch(DeclarativeBase):
    pass


class Span(EffectiveDated, _Scratch):
    __tablename__ = "effective_span"
    __table_args__ = {"prefixes": ["TEMPORARY"]}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)


@pytest.fixture
def scratch(connection):
    """Every span of `SPANS` as a row of a temporary table, in a session on the test's connection."""
    _Scratch.metadata.create_all(connection)
    with Session(bind=connection) as db:
        db.add_all(Span(id=n, effective_from=start, effective_to=end) for n, (start, end) in enumerate(SPANS))
        db.flush()
        yield db, db.scalars(select(Span).order_by(Span.id)).all()


def test_in_force_on_a_day_is_the_same_rule_in_python_and_in_sql(scratch):
    db, spans = scratch
    for day in DAYS:
        in_sql = set(db.scalars(select(Span.id).where(Span.active_on(day))))
        assert in_sql == {span.id for span in spans if span.active_on(day)}, day
    # on an alias, against another row's date (as `claims.service.next_plan` asks it)
    span, other = aliased(Span), aliased(Span)
    pairs = set(db.execute(select(span.id, other.id).where(span.active_on(other.effective_from))).tuples())
    assert pairs == {(a.id, b.id) for a, b in itertools.product(spans, spans) if a.active_on(b.effective_from)}
    # by hand: the span of days 1-2 is in force on both, not on day 0 or 3; an open span from day 4 on day 5
    assert [Span(effective_from=DAYS[1], effective_to=DAYS[2]).active_on(d) for d in DAYS[:4]] == [
        False, True, True, False]
    assert Span(effective_from=DAYS[4], effective_to=None).active_on(DAYS[5])


def test_overlapping_spans_are_the_same_rule_in_python_and_in_sql(scratch):
    db, spans = scratch
    other = aliased(Span)
    in_sql = set(db.execute(select(Span.id, other.id).where(
        Span.overlaps(other.effective_from, other.effective_to))).tuples())
    in_python = {(a.id, b.id) for a, b in itertools.product(spans, spans)
                 if a.overlaps(b.effective_from, b.effective_to)}
    assert in_sql == in_python
    for start, end in ((DAYS[0], DAYS[1]), (DAYS[5], None), (DAYS[0], None)):  # a span given as values
        assert set(db.scalars(select(Span.id).where(Span.overlaps(start, end)))) == {
            span.id for span in spans if span.overlaps(start, end)}
    # by hand: meeting on one day is an overlap (ends inclusive); the day after is not
    assert Span(effective_from=DAYS[1], effective_to=DAYS[2]).overlaps(DAYS[2], None)
    assert not Span(effective_from=DAYS[1], effective_to=DAYS[2]).overlaps(DAYS[3], DAYS[4])
