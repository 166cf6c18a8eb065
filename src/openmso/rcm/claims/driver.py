"""Reading many rows on the driver's cursor: a statement compiled once per dialect, its rows returned
as the driver's plain tuples.

SQLAlchemy's result layer builds a `Row` and runs each column's result processor for every row;
for the 200,000 claim and line rows of a 100,000-claim run that costs about as much as the
database's own work. The callers read a few fixed statements and convert the few values that need
it themselves (a date from SQLite's text once per distinct text, cents to `Decimal` once per amount).
"""

from __future__ import annotations

from datetime import date

_COMPILED: dict[tuple[str, object], tuple[str, tuple[str, ...] | None]] = {}


def fetch_all(connection, statement, params: dict) -> list[tuple]:
    """The rows of `statement` (a long-lived statement object: it is the cache key) with `params`, run on
    the driver's cursor inside the connection's transaction."""
    key = (connection.dialect.name, statement)
    compiled = _COMPILED.get(key)
    if compiled is None:
        done = statement.compile(dialect=connection.dialect)
        compiled = _COMPILED[key] = (str(done), tuple(done.positiontup) if done.positional else None)
    sql, order = compiled
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql, tuple(params[name] for name in order) if order is not None else params)
        return cursor.fetchall()
    finally:
        cursor.close()


class Days(dict):
    """A date column as the driver returns it → `date`: SQLite's 'YYYY-MM-DD' text parsed once per
    distinct text; PostgreSQL's dates (and None) pass through. Look values up as `days[value]`."""

    def __missing__(self, value):
        day = self[value] = date.fromisoformat(value) if isinstance(value, str) else value
        return day
