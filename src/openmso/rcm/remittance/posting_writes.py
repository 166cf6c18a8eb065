"""Writing posted rows in bulk: ids handed out up front, values converted once per distinct value,
rows sent with COPY on PostgreSQL and one executemany elsewhere.

A payment of 100,000 claims writes about a million rows (claim and line postings, patient ledger,
denials). Through the ORM's bulk insert each row's every value passes its column type's bind
processor (Money to cents, dates to text on SQLite); remittances repeat the same amounts and
dates on thousands of lines, so each column's processor here remembers what it returned for a
value. Line postings point at their claim posting, so claim posting ids are taken before the
insert (`take_ids`) instead of read back with RETURNING row by row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import itemgetter

from sqlalchemy import Table, func, select, text
from sqlalchemy.orm import Session

_MEMO_LIMIT = 65536


class _Memo(dict):
    """``memo[value]`` → the column type's bind processor applied to `value`, remembered (bounded):
    values are hashable (Decimal, date, datetime, str, bool) and repeat."""

    def __init__(self, process: Callable) -> None:
        super().__init__()
        self.process = process

    def __missing__(self, value):
        result = None if value is None else self.process(value)
        if len(self) < _MEMO_LIMIT:
            self[value] = result
        return result


def _values(db: Session, table: Table, rows: list[dict], columns: Sequence[str]) -> list[tuple]:
    """Row tuples in `columns` order, converted column by column (map over C-level lookups)."""
    dialect = db.get_bind().dialect
    converted = []
    for name in columns:
        values = map(itemgetter(name), rows)
        process = table.c[name].type._cached_bind_processor(dialect)
        converted.append(list(values) if process is None else list(map(_Memo(process).__getitem__, values)))
    return list(zip(*converted, strict=True))


def insert_rows(db: Session, table: Table, rows: list[dict]) -> None:
    """INSERT `rows` (dicts with the same keys) into `table`: COPY on PostgreSQL, else executemany."""
    if not rows:
        return
    db.flush()  # pending ORM changes first, in order, as Session.execute would
    columns = list(rows[0])
    values = _values(db, table, rows, columns)
    connection = db.connection()
    quoted = ", ".join(connection.dialect.identifier_preparer.quote(name) for name in columns)
    name = connection.dialect.identifier_preparer.format_table(table)
    raw = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        with raw.cursor() as cursor, cursor.copy(f"COPY {name} ({quoted}) FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in columns)
    cursor = raw.cursor()
    try:
        cursor.executemany(f"INSERT INTO {name} ({quoted}) VALUES ({marks})", values)
    finally:
        cursor.close()


def take_ids(db: Session, table: Table, count: int) -> list[int]:
    """`count` new primary keys for `table`, reserved before the rows are written.

    PostgreSQL: from the column's sequence, safe under concurrent writers. SQLite: after the
    largest id, safe because this transaction has written already and SQLite admits one writer at
    a time (the remittance row is flushed before anything is posted).
    """
    if count <= 0:
        return []
    if db.get_bind().dialect.name == "postgresql":
        sequence = f"pg_get_serial_sequence('{table.name}', 'id')"
        return list(db.scalars(text(f"SELECT nextval({sequence}) FROM generate_series(1, :n)"), {"n": count}))
    db.flush()
    start = (db.scalar(select(func.max(table.c.id))) or 0) + 1
    return list(range(start, start + count))
