"""CSV of every table the practice owns, discovered from the schema, with its data dictionary.

A table is the practice's when it has a `practice_id` column (the platform's tenant key), so a new
domain's tables are exported without editing this module; the `practice` row itself is added.
Rows are streamed in primary-key order with a server-side cursor and written as they come, so
memory does not grow with the practice's size.

Two kinds of column are not copied as they are: credentials (a password hash is no record of the
practice's; the dictionary says it was withheld) and the stored text of X12 files, which may hold
other practices' claims — the file, or this practice's extract of it, is under `x12/` instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import JSON, String, Table, Text, func, literal_column, select
from sqlalchemy.orm import Session

from openmso.core.db import Base
from openmso.exit.package import dictionary, sqltext
from openmso.exit.package.files import CsvFile, FileEntry

TENANT_COLUMN = "practice_id"
BATCH_ROWS = 5000
WITHHELD_COLUMNS = frozenset({"password_hash", "token_digest"})
# Stored X12 text: exported as files under x12/ (per-practice extracts where a file was shared).
FILE_CONTENT_COLUMNS = {("claim_batch", "content"), ("inbound_file", "content"), ("remittance_file", "content")}
# Exported elsewhere in the package, in their own format.
EXPORTED_ELSEWHERE = {"audit_entry": "audit/audit_trail.csv"}
FILE_CONTENT_NOTE = "see x12/ in this package"


@dataclass(frozen=True)
class OwnedTable:
    table: Table
    key: object  # the column holding the practice id

    @property
    def name(self) -> str:
        return self.table.name

    @property
    def path(self) -> str:
        return f"tables/{self.name}.csv"


def owned_tables(metadata=Base.metadata) -> list[OwnedTable]:
    """Every table carrying the tenant key, plus `practice` (keyed by its id), in dependency order."""
    found = []
    for table in metadata.sorted_tables:
        if table.name == "practice":
            found.append(OwnedTable(table, table.c.id))
        elif TENANT_COLUMN in table.c and table.name not in EXPORTED_ELSEWHERE:
            found.append(OwnedTable(table, table.c[TENANT_COLUMN]))
    return found


def exported_columns(owned: OwnedTable) -> list:
    return [column for column in owned.table.columns if column.name not in WITHHELD_COLUMNS]


def count_rows(session: Session, owned: OwnedTable, practice_id: int) -> int:
    return session.scalar(select(func.count()).select_from(owned.table).where(owned.key == practice_id))


def _field(owned: OwnedTable, column, dialect: str):
    if (owned.name, column.name) in FILE_CONTENT_COLUMNS:
        return literal_column(f"'{FILE_CONTENT_NOTE}'", Text)
    return sqltext.csv_field(sqltext.as_text(column, dialect), dialect, text=isinstance(column.type, String | JSON))


def stream_lines(session: Session, owned: OwnedTable, practice_id: int) -> Iterator[list[tuple[str]]]:
    """The practice's rows of one table in primary-key order as CSV lines made by the database, in batches."""
    dialect = session.get_bind().dialect.name
    line = sqltext.csv_line([_field(owned, c, dialect) for c in exported_columns(owned)], dialect)
    query = select(line).where(owned.key == practice_id).order_by(*owned.table.primary_key.columns)
    return sqltext.raw_batches(session, query, BATCH_ROWS)


def write_table(session: Session, root: Path, owned: OwnedTable, practice_id: int) -> FileEntry:
    csv_file = CsvFile(root, owned.path, "table", [c.name for c in exported_columns(owned)])
    for rows in stream_lines(session, owned, practice_id):
        csv_file.write_lines([row[0] for row in rows])
    entry = csv_file.close()
    entry.details = {"table": owned.name}
    return entry


DICTIONARY_HEADER = ["table", "column", "type", "meaning", "exported_as"]


def dictionary_rows(tables: list[OwnedTable]) -> Iterator[list[str]]:
    models = dictionary.models_by_table()
    for owned in tables:
        model = models.get(owned.name)
        for column in owned.table.columns:
            if column.name in WITHHELD_COLUMNS:
                exported = "withheld: a credential, not a record of the practice"
            elif (owned.name, column.name) in FILE_CONTENT_COLUMNS:
                exported = "the file itself, under x12/ (this practice's extract where the file was shared)"
            else:
                exported = owned.path
            yield [owned.name, column.name, dictionary.type_in_words(column),
                   dictionary.meaning(owned.table, column, model), exported]


def table_descriptions(tables: list[OwnedTable]) -> list[dict]:
    models = dictionary.models_by_table()
    return [{"table": owned.name, "file": owned.path,
             "description": dictionary.describe_table(owned.table, models.get(owned.name)),
             "primary_key": [c.name for c in owned.table.primary_key.columns]} for owned in tables]
