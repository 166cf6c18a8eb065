"""Engine, sessions and the unit of work.

SQLite is tuned for being the embedded production engine, not a toy: WAL for concurrent readers,
foreign keys enforced, and `BEGIN IMMEDIATE` so a write transaction takes the lock up front instead
of failing half-way (which also serialises audit-chain appends, see `core.audit`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, ForeignKeyConstraint, Index, MetaData, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every table.

    `__tenant_key__` names the column holding the practice a row belongs to (the tenant key and
    the Citus distribution column); `None` marks a network-wide table such as payers.
    """

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    __tenant_key__: str | None = None


def practice_key(table: str) -> Index:
    """(id, practice_id) of a practice's table as a unique key, for `same_practice` references to point at.
    A unique index rather than a constraint: SQLite adds an index without copying the table."""
    return Index(f"uq_{table}_id_practice_id", "id", "practice_id", unique=True)


def same_practice(column: str, parent: str) -> ForeignKeyConstraint:
    """`column` names a row of `parent` that belongs to the same practice: (column, practice_id) →
    parent (id, practice_id), the parent carrying a `practice_key`.

    The database then refuses a row that points into another practice, which a reference on the id
    alone lets through, and checks it once where a reference on the id and one on practice_id checked
    twice: the posting tables take hundreds of thousands of rows per payment, each check a lookup on
    PostgreSQL. A reference between distributed tables must carry the distribution column under Citus too.
    """
    return ForeignKeyConstraint([column, "practice_id"], [f"{parent}.id", f"{parent}.practice_id"])


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # let SQLAlchemy emit BEGIN itself (savepoints work)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # A long read-only job (an exit package) asks for a plain snapshot instead, so it never holds the
        # write lock: in WAL mode a deferred read transaction sees one moment and blocks no writer.
        read_only = connection.get_execution_options().get(READ_SNAPSHOT, False)
        connection.exec_driver_sql("BEGIN DEFERRED" if read_only else "BEGIN IMMEDIATE")


READ_SNAPSHOT = "openmso_read_snapshot"


def read_snapshot(engine: Engine) -> Engine:
    """The engine for a long read-only unit of work: one consistent snapshot that blocks no writer
    (a deferred transaction on SQLite, REPEATABLE READ on PostgreSQL)."""
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="REPEATABLE READ")
    return engine.execution_options(**{READ_SNAPSHOT: True})


def snapshot_factory(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """Sessions that read in one snapshot (`read_snapshot`) on the factory's engine. A factory bound to one
    connection (the tests' shared transaction) already reads one consistent view and is returned as it is."""
    bind = factory.kw["bind"]
    return make_session_factory(read_snapshot(bind)) if isinstance(bind, Engine) else factory


def make_engine(url: str, **kwargs) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def make_session_factory(bind) -> sessionmaker[Session]:
    return sessionmaker(bind=bind, expire_on_commit=False, autoflush=True)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction per use case: committed when the block ends, rolled back on any error (the
    refusals it recorded are still written, see `audit.record_refusal`)."""
    from openmso.core import audit  # noqa: PLC0415 - the trail's tables are built on this module

    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        audit.rollback_keeping_refusals(session)
        raise
    finally:
        session.close()


def is_postgres(session_or_engine) -> bool:
    bind = session_or_engine.get_bind() if isinstance(session_or_engine, Session) else session_or_engine
    return bind.dialect.name == "postgresql"
