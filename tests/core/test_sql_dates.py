"""days_after orders rows by a date plus a number of days on both engines, across month and year ends."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Date, Integer, bindparam, literal, select

from openmso.core.sql_dates import days_after

DAYS = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))
LIMITS = st.integers(min_value=0, max_value=3650)


def _value(connection, day: date, days: int):
    return connection.scalar(select(days_after(bindparam("day", day, type_=Date), literal(days, Integer))))


def test_a_later_deadline_sorts_later_whatever_the_dates_and_limits(connection):
    @settings(max_examples=60, deadline=None)
    @given(DAYS, LIMITS, DAYS, LIMITS)
    def check(first_day, first_limit, second_day, second_limit):
        first, second = _value(connection, first_day, first_limit), _value(connection, second_day, second_limit)
        deadline_first = first_day + timedelta(days=first_limit)
        deadline_second = second_day + timedelta(days=second_limit)
        assert (first < second) == (deadline_first < deadline_second)
        assert (first == second) == (deadline_first == deadline_second)
    check()
    # a payer's 90 days from 2026-12-15 fall after another's 365 from 2025-12-31
    assert _value(connection, date(2026, 12, 15), 90) > _value(connection, date(2025, 12, 31), 365)
