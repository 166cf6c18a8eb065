"""Columns rendered as export text by the database itself, and rows read straight from the driver.

Exporting millions of rows, the per-value Python work — turning cents into `Decimal`, naive SQLite
timestamps into aware datetimes, then both back into text — costs more than reading the rows. The
database does it in C instead, per engine: amounts as two-place decimals, instants as ISO 8601 UTC,
booleans as true/false, dates and JSON as their text. The values are the same the platform's types
would give (`core.types`), and SQL NULL stays empty.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from sqlalchemy import JSON, Boolean, Date, String, Text, case, cast, func, literal_column, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.types import Numeric

from openmso.core.types import Money, Percent, UTCDateTime

_cursor_names = itertools.count(1)


def _hundredths(column, dialect: str):
    """Integer cents (or basis points) as a decimal with two places."""
    if dialect == "postgresql":
        return cast(cast(column, Numeric(20, 0)) / 100, Numeric(20, 2))
    return case((column.is_(None), None), else_=func.printf("%.2f", type_coerce(column, Numeric) / 100.0))


def _instant(column, dialect: str):
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", column), literal_column("""'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'"""))
    # SQLite keeps the UTC instant as "YYYY-MM-DD HH:MM:SS.ffffff" (core.types.UTCDateTime converts to UTC)
    return func.replace(type_coerce(column, Text), " ", "T") + "+00:00"


def as_text(column, dialect: str):
    """`column` as the text the export writes, computed by the database; labelled with the column's name."""
    kind = column.type
    if isinstance(kind, Money | Percent):
        expression = type_coerce(_hundredths(column, dialect), Text)
    elif isinstance(kind, UTCDateTime):
        expression = _instant(column, dialect)
    elif isinstance(kind, Boolean):
        expression = case((column.is_(None), None), (column, "true"), else_="false")
    elif isinstance(kind, Date | JSON):
        expression = cast(column, String) if dialect == "postgresql" else type_coerce(column, Text)
    else:
        return column
    return expression.label(column.name)


def raw_batches(session: Session, statement, size: int) -> Iterator[list[tuple]]:
    """Rows of `statement` as the driver's tuples, `size` at a time, through a server-side cursor on
    PostgreSQL; inside the session's transaction, so it sees what the rest of the export sees."""
    connection = session.connection()
    compiled = statement.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    if connection.dialect.positional:
        params = tuple(params[name] for name in compiled.positiontup)
    driver = connection.connection.driver_connection
    postgres = connection.dialect.name == "postgresql"
    cursor = driver.cursor(name=f"exit_{next(_cursor_names)}") if postgres else driver.cursor()
    try:
        cursor.execute(compiled.string, params)
        while rows := cursor.fetchmany(size):
            yield rows
    finally:
        cursor.close()
