"""Selecting many rows by id with one or two bound parameters, whatever the number of ids.

An IN list binds one parameter per id, and SQLAlchemy renders the statement again on every
execution: for a thousand claims that costs more than the query. A run's claim ids are mostly
consecutive (a BETWEEN range scan), and any set can travel as one parameter: an array on
PostgreSQL (`= ANY`), a JSON list read by `json_each` on SQLite.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlalchemy import ARRAY, BigInteger, String, any_, bindparam, false, func, literal_column, select

from openmso.rcm.claims.models import Claim


def id_set(connection, column, ids: Iterable[int], name: str = "id_set"):
    """(WHERE clause "`column` is one of `ids`", its parameters) with one bound parameter."""
    values = sorted(set(ids))
    postgres = connection.dialect.name == "postgresql"
    return _membership(postgres, column, name), {name: values if postgres else json.dumps(values)}


_MEMBERSHIPS: dict[tuple, object] = {}
_ROWS: dict[tuple, object] = {}


def id_rows(connection, ids: Iterable[int], name: str = "id_rows"):
    """(a FROM item with one row per id, in its column `value`; its parameters): `unnest` of an array on
    PostgreSQL, `json_each` of a JSON list on SQLite. Selecting from it reads no table at all, where a
    WHERE over the ids makes PostgreSQL's planner pick a scan of the whole table when it thinks few rows
    are left out (or its statistics are stale after a bulk load)."""
    values = sorted(set(ids))
    postgres = connection.dialect.name == "postgresql"
    rows = _ROWS.get((postgres, name))
    if rows is None:
        if postgres:  # unnest(…) AS anon(value): PostgreSQL names the column only through the alias
            rows = func.unnest(bindparam(name, type_=ARRAY(BigInteger))).table_valued("value").render_derived()
        else:  # json_each has a column named value
            rows = func.json_each(bindparam(name, type_=String)).table_valued("value")
        _ROWS[(postgres, name)] = rows
    return rows, {name: values if postgres else json.dumps(values)}


def _membership(postgres: bool, column, name: str):
    """The clause of `id_set`, built once per column (building it costs more than executing it)."""
    key = (postgres, column, name)
    clause = _MEMBERSHIPS.get(key)
    if clause is None:
        if postgres:
            clause = column == any_(bindparam(name, type_=ARRAY(BigInteger)))
        else:
            members = select(literal_column("value")).select_from(func.json_each(bindparam(name, type_=String)))
            clause = column.in_(members.scalar_subquery())
        clause = _MEMBERSHIPS[key] = clause
    return clause


def id_filter(connection, column, ids: list[int], name: str):
    """(WHERE clause, parameters, ids to keep or None) for sorted, distinct `ids`: a BETWEEN when they
    are dense (the set to keep, when the range also holds others), `id_set` when they are scattered.
    The clause is the same object for the same column, name and kind, so statements built on it can
    be kept too."""
    low, high = ids[0], ids[-1]
    if high - low < 2 * len(ids):
        key = (column, name)
        where = _RANGES.get(key)
        if where is None:
            where = _RANGES[key] = column.between(bindparam(f"{name}_low"), bindparam(f"{name}_high"))
        return where, {f"{name}_low": low, f"{name}_high": high}, (set(ids) if high - low + 1 != len(ids) else None)
    where, params = id_set(connection, column, ids, name)
    return where, params, None


_RANGES: dict[tuple, object] = {}  # the BETWEEN clause of each column and parameter name, built once


def among(db, query, claim_ids: Iterable[int] | None):
    """`query` (over `claim`) narrowed to `claim_ids` when given: (query, parameters, ids to keep or None)."""
    if claim_ids is None:
        return query, {}, None
    ids = sorted(set(claim_ids))
    if not ids:
        return query.where(false()), {}, None
    where, params, keep = id_filter(db.connection(), Claim.__table__.c.id, ids, "among")
    return query.where(where), params, keep
