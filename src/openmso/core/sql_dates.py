"""Date arithmetic in SQL that both engines understand, for ordering a listing by a computed deadline
(a date of service plus a payer's limit in days) while the database pages it."""

from __future__ import annotations

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import NullType


class days_after(FunctionElement):  # noqa: N801 - used like a SQL function: days_after(column, days)
    """A value that sorts as `day` + `days` would: the date itself on PostgreSQL (date + integer), the Julian
    day number on SQLite (which keeps dates as ISO text). For ORDER BY and comparisons between rows, not for
    reading back as a date."""

    type = NullType()  # a date on PostgreSQL, a number on SQLite: compared within one engine only
    inherit_cache = True
    name = "days_after"


@compiles(days_after)
def _days_after(element, compiler, **kw) -> str:
    day, days = element.clauses
    return f"({compiler.process(day, **kw)} + {compiler.process(days, **kw)})"


@compiles(days_after, "sqlite")
def _days_after_sqlite(element, compiler, **kw) -> str:
    day, days = element.clauses
    return f"(julianday({compiler.process(day, **kw)}) + {compiler.process(days, **kw)})"
