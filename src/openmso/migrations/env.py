"""Alembic environment: the URL comes from the caller's config (see `core.migrate`) or settings."""

from __future__ import annotations

from alembic import context
from sqlalchemy import pool

from openmso.core.db import make_engine
from openmso.core.settings import get_settings
from openmso.models import metadata

config = context.config


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or get_settings().database_url


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        _run(connection)


def _run(connection) -> None:
    # Batch mode lets ALTER TABLE changes work on SQLite (copy-and-move) as well as PostgreSQL.
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        _sqlite_foreign_keys(connection, on=False)
    try:
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                          compare_type=True, on_version_apply=[_check_sqlite_references] if sqlite else [])
        with context.begin_transaction():
            context.run_migrations()
    finally:
        if sqlite:
            _sqlite_foreign_keys(connection, on=True)


def _sqlite_foreign_keys(connection, on: bool) -> None:
    """SQLite's reference checks, off while migrating: copying a table that others refer to (batch
    mode) drops the original, and with the checks on, SQLite deletes its rows first and refuses.
    The switch works only outside a transaction, so it goes to the driver's connection before
    Alembic begins one; `_check_sqlite_references` stands in for the checks meanwhile."""
    if not connection.in_transaction():
        connection.connection.driver_connection.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def _check_sqlite_references(ctx, step, **_) -> None:
    """After each migration, inside its transaction: every reference in the database still finds its
    row, or the migration is rolled back with the first rows that do not."""
    broken = ctx.connection.exec_driver_sql("PRAGMA foreign_key_check").fetchmany(5)
    if broken:
        found = "; ".join(f"{table} row {rowid} -> {parent}" for table, rowid, parent, _ in broken)
        way = "upgrade to" if step.is_upgrade else "downgrade from"
        raise RuntimeError(f"{way} {step.up_revision_id}: references that find no row ({found}); "
                           "nothing of this migration is kept")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
