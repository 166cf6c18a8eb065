"""The data dictionary: for each exported column its type in words and what it means.

Meanings come from, in order: the column's database comment, the trailing comment on its line in
the model's source (where this codebase documents fields), then a description derived from the
column itself (keys, tenant key, types). New domains are described without anyone editing this.
"""

from __future__ import annotations

import inspect
import re
from functools import cache

from sqlalchemy import JSON, Boolean, Date, Integer, String, Table, Text
from sqlalchemy.types import TypeDecorator

from openmso.core.db import Base
from openmso.core.types import Money, Percent, UTCDateTime

_FIELD_COMMENT = re.compile(r"^\s+(\w+): Mapped\[.*?#\s*(.+?)\s*$")
_WELL_KNOWN = {
    "id": "identifier of this row",
    "practice_id": "the practice that owns this row (tenant key)",
    "created_at": "when the row was created",
    "created_by": "who created the row",
    "updated_at": "when the row last changed",
    "npi": "National Provider Identifier (10 digits, Luhn check digit)",
    "group_npi": "the practice's organisational NPI (billing provider, 837P 2010AA NM109)",
    "tin": "Taxpayer Identification Number (EIN, 9 digits)",
    "mrn": "medical record number within the practice",
    "status": "lifecycle state of the row",
    "sha256": "SHA-256 of the file's bytes",
}


def models_by_table() -> dict[str, type]:
    return {mapper.local_table.name: mapper.class_ for mapper in Base.registry.mappers
            if isinstance(mapper.local_table, Table)}


@cache
def source_notes(model: type) -> dict[str, str]:
    """Trailing comments on the model's field lines, e.g. ``claim_id: Mapped[int] = ...  # CLM01``."""
    try:
        lines = inspect.getsource(model).splitlines()
    except (OSError, TypeError):
        return {}
    return {match[1]: match[2] for line in lines if (match := _FIELD_COMMENT.match(line))}


# Most specific first: the platform's own types, then the engine types they are stored as.
TYPE_WORDS = ((Money, "decimal: US dollars with 2 places"), (Percent, "decimal: percentage with 2 places"),
              (UTCDateTime, "timestamp: ISO 8601, UTC"), (Boolean, "boolean: true or false"),
              (Date, "date: ISO 8601 (YYYY-MM-DD)"), (Integer, "integer"), (JSON, "JSON document"), (Text, "text"))


def type_in_words(column) -> str:
    kind = column.type
    for candidate in (kind, kind.impl if isinstance(kind, TypeDecorator) else None):
        for python_type, words in TYPE_WORDS:
            if isinstance(candidate, python_type):
                return words
        if isinstance(candidate, String):
            return f"text (up to {candidate.length} characters)" if candidate.length else "text"
    return str(kind).lower()


def meaning(table: Table, column, model: type | None) -> str:
    if column.comment:
        return column.comment
    note = source_notes(model).get(column.name) if model is not None else None
    parts = [note] if note else []
    if not note and column.name in _WELL_KNOWN:
        parts.append(_WELL_KNOWN[column.name])
    for key in column.foreign_keys:
        if column.name != "practice_id":
            parts.append(f"references {key.column.table.name}.{key.column.name}")
    if not parts:
        parts.append(column.name.replace("_", " ").replace(" id", " identifier"))
    if column.primary_key and column.name != "id":
        parts.append("part of the primary key")
    if column.nullable and not column.primary_key:
        parts.append("may be empty")
    return "; ".join(parts)


def describe_table(table: Table, model: type | None) -> str:
    doc = inspect.getdoc(model) if model is not None else None
    if doc and model.__doc__ is not None and model.__doc__ is not Base.__doc__:
        return " ".join(doc.split())
    return f"{table.name.replace('_', ' ')} rows of the practice"
