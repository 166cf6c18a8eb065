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


# `csv.writer` (excel dialect, minimal quoting) quotes a field holding the delimiter, the quote or a line end.
_NEEDS_QUOTES = {
    "sqlite": lambda value: value.op("GLOB")(_sql("""'*[,"' || char(10) || char(13) || ']*'""")),
    "postgresql": lambda value: value.op("~")(_sql("""E'[,"\\r\\n]'""")),
}
# printf/format: "%s" of NULL is empty, as csv.writer writes None; PostgreSQL takes at most 100 arguments.
_FORMAT = {"sqlite": func.printf, "postgresql": func.format}
_FIELDS_PER_FORMAT = 64


def _sql(text: str):
    return literal_column(text, Text)


def csv_field(expression, dialect: str, *, text: bool):
    """One field as `csv.writer` writes its value: for `text`, quoted (quotes doubled) when it holds a
    delimiter, a quote or a line end. Numbers, dates, instants and booleans as `as_text` renders them
    never need quoting; NULL becomes empty in `csv_line`."""
    if not text:
        return expression
    quoted = _sql("""'"'""") + func.replace(expression, _sql("""'"'"""), _sql("""'""'"""), type_=Text) \
        + _sql("""'"'""")
    return case((_NEEDS_QUOTES[dialect](expression), quoted), else_=expression)


def csv_line(fields: list, dialect: str):
    """A CSV line (without its line end) formatted by the database from `csv_field`s: the bytes
    `csv.writer` writes for the same values, without making a Python object of every value and
    formatting it again, which costs more than the query."""
    parts = [_FORMAT[dialect](_sql("'" + ",".join(["%s"] * len(chunk)) + "'"), *chunk, type_=Text)
             for chunk in (fields[n:n + _FIELDS_PER_FORMAT] for n in range(0, len(fields), _FIELDS_PER_FORMAT))]
    line = parts[0]
    for part in parts[1:]:
        line = line + _sql("','") + part
    return line.label("line")


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
