"""The migrations and the models describe the same schema (every schema change is a migration), and a
migration that changes constraints keeps the rows of a database already in use."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError

from openmso.core import migrate
from openmso.core.db import make_engine, make_session_factory, unit_of_work
from openmso.core.tenancy import SYSTEM
from openmso.models import metadata
from openmso.rcm.claims.models import TimelineEntry
from openmso.rcm.remittance.ingest import ingest_file
from openmso.rcm.remittance.models import ClaimPosting, LinePosting, PatientLedgerEntry
from tests.conftest import POSTGRES_URL, skip_or_fail
from tests.factories import add_practice
from tests.rcm.conftest import make_clinic
from tests.rcm.remits import accepted_claims, paid, render, transaction


def test_migrated_database_matches_the_models(connection):
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    differences = [d for d in compare_metadata(context, metadata)]
    assert differences == [], differences


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path):
    """An empty database of its own (on PostgreSQL, a schema of its own in the test database)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'in_use.db'}"
        return
    if not POSTGRES_URL:
        skip_or_fail("PostgreSQL tests need OPENMSO_TEST_POSTGRES_URL (CI sets it; see .ci/run)")
    engine = make_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS migration_in_use CASCADE; CREATE SCHEMA migration_in_use"))
    separator = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{separator}options=-csearch_path%3Dmigration_in_use"
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA migration_in_use CASCADE"))
    engine.dispose()


def _counts(db) -> dict[str, int]:
    return {model.__tablename__: db.scalar(select(func.count()).select_from(model))
            for model in (ClaimPosting, LinePosting, PatientLedgerEntry, TimelineEntry)}


def _line_into(db, practice_id: int) -> None:
    """A copy of a posted line that says it belongs to `practice_id`."""
    row = db.execute(select(LinePosting.__table__).limit(1)).mappings().one()
    db.execute(insert(LinePosting.__table__), {**_without_id(row), "practice_id": practice_id})


def _without_id(row) -> dict:
    return {name: value for name, value in row.items() if name != "id"}


def test_same_practice_references_keep_the_postings_of_a_database_in_use_and_refuse_other_practices(empty_url):
    migrate.upgrade(empty_url, revision="0008")
    engine = make_engine(empty_url)
    factory = make_session_factory(engine)
    with unit_of_work(factory) as db:
        clinic = make_clinic(db, "Qzinuse")
        stranger = add_practice(db, "Qzstranger").id
        claims = accepted_claims(db, clinic, 3)
        ingest_file(db, SYSTEM, "era.835", render(transaction(clinic.practice, [paid(claim) for claim in claims])))
    with unit_of_work(factory) as db:
        before = _counts(db)
        _line_into(db, stranger)  # at 0008 a line may claim another practice: only the ids were checked
        db.rollback()
    assert before["line_posting"] == 3 and before["patient_ledger"] == 3 and before["claim_event"] >= 3

    migrate.upgrade(empty_url)
    with unit_of_work(factory) as db:
        assert _counts(db) == before
        with pytest.raises(IntegrityError, match="(?i)foreign key"):
            _line_into(db, stranger)
        db.rollback()
        event = db.execute(select(TimelineEntry.__table__).limit(1)).mappings().one()
        with pytest.raises(IntegrityError, match="(?i)foreign key"):
            db.execute(insert(TimelineEntry.__table__), {**_without_id(event), "practice_id": stranger})
        db.rollback()
        _line_into(db, clinic.practice.id)  # its own practice still posts
        db.rollback()

    command.downgrade(migrate.alembic_config(empty_url), "0008")
    with unit_of_work(factory) as db:
        assert _counts(db) == before
    migrate.upgrade(empty_url)
    with unit_of_work(factory) as db:
        assert _counts(db) == before
    engine.dispose()
