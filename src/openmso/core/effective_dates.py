"""Things in force over a span of days: an insurance plan, a contracted rate, a Medicare fee.

One rule for all of them, in Python and in SQL, because "in force on the date of service" decides which
payer a claim goes to and what it should pay: the span runs from `effective_from` through `effective_to`
inclusive, and has no end while `effective_to` is empty. A rule written twice drifts (one side inclusive,
the other not) and the claim goes to the wrong plan.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, and_, or_, true
from sqlalchemy.ext.hybrid import hybrid_method


def overlaps(a_from: date, a_to: date | None, b_from: date, b_to: date | None) -> bool:
    """Whether two spans (inclusive; None: open-ended) share a day."""
    return (b_to is None or a_from <= b_to) and (a_to is None or b_from <= a_to)


class EffectiveDated:
    """Mixin for a row or record with `effective_from` (a date) and `effective_to` (a date, or None).

    `active_on(day)` and `overlaps(start, end)` are tests on an instance and, on the class or an alias of it,
    SQL conditions."""

    __slots__ = ()

    @hybrid_method
    def active_on(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)

    @active_on.inplace.expression
    @classmethod
    def _active_on_condition(cls, day) -> ColumnElement[bool]:
        return and_(cls.effective_from <= day, or_(cls.effective_to.is_(None), cls.effective_to >= day))

    @hybrid_method
    def overlaps(self, start: date, end: date | None) -> bool:
        return overlaps(self.effective_from, self.effective_to, start, end)

    @overlaps.inplace.expression
    @classmethod
    def _overlaps_condition(cls, start, end) -> ColumnElement[bool]:
        if end is None:
            starts_in_time = true()
        elif isinstance(end, date):
            starts_in_time = cls.effective_from <= end
        else:  # another row's end, which may be empty (open)
            starts_in_time = or_(end.is_(None), cls.effective_from <= end)
        return and_(starts_in_time, or_(cls.effective_to.is_(None), cls.effective_to >= start))
