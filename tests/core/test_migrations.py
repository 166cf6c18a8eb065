"""The migrations and the models describe the same schema (every schema change is a migration), and a
migration that changes constraints keeps the rows of a database already in use."""

from __future__ import annotations

import sqlite3

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
from openmso.rcm.denials.models import DenialCase, DenialNote
from openmso.rcm.remittance.ingest import ingest_file
from openmso.rcm.remittance.models import ClaimPosting, LinePosting, PatientLedgerEntry
from tests.conftest import POSTGRES_URL, skip_or_fail
from tests.factories import add_practice
from tests.rcm.conftest import make_clinic
from tests.rcm.remits import accepted_claims, denied, paid, render, transaction


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


COUNTED = (ClaimPosting, LinePosting, PatientLedgerEntry, TimelineEntry, DenialCase, DenialNote)


def _counts(db) -> dict[str, int]:
    return {model.__tablename__: db.scalar(select(func.count()).select_from(model)) for model in COUNTED}


def _copy_into(db, model, practice_id: int) -> None:
    """A copy of one of `model`'s rows that says it belongs to `practice_id`."""
    row = db.execute(select(model.__table__).limit(1)).mappings().one()
    db.execute(insert(model.__table__), {**{k: v for k, v in row.items() if k != "id"}, "practice_id": practice_id})


def _refused_for_another_practice(db, models, own: int, stranger: int) -> None:
    for model in models:
        with pytest.raises(IntegrityError, match="(?i)foreign key"):
            _copy_into(db, model, stranger)
        db.rollback()
        _copy_into(db, model, own)  # its own practice is still accepted
        db.rollback()


def _database_in_use(url: str, revision: str):
    """A database at `revision` with a paid and a denied claim posted and a note on the denial, and a
    second practice; returns (session factory, engine, clinic's practice id, stranger's practice id). The rows are
    written by today's code at the head revision, then the schema is taken back to `revision` (downgrades keep
    rows: `_keeps_rows_through`): today's models may read columns an older schema lacks."""
    migrate.upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with unit_of_work(factory) as db:
        clinic = make_clinic(db, "Qzinuse")
        stranger = add_practice(db, "Qzstranger").id
        claims = accepted_claims(db, clinic, 3)
        ingest_file(db, SYSTEM, "era.835", render(transaction(
            clinic.practice, [paid(claim) for claim in claims[:2]] + [denied(claims[2])])))
        case_id = db.scalar(select(DenialCase.id))
        db.add(DenialNote(practice_id=clinic.practice.id, case_id=case_id, author="admin", text="call the payer"))
        own = clinic.practice.id
    command.downgrade(migrate.alembic_config(url), revision)
    return factory, engine, own, stranger


def _keeps_rows_through(url: str, factory, down_to: str, before: dict[str, int]) -> None:
    command.downgrade(migrate.alembic_config(url), down_to)
    with unit_of_work(factory) as db:
        assert _counts(db) == before
    migrate.upgrade(url)
    with unit_of_work(factory) as db:
        assert _counts(db) == before


def test_same_practice_references_keep_the_postings_of_a_database_in_use_and_refuse_other_practices(empty_url):
    factory, engine, own, stranger = _database_in_use(empty_url, "0008")
    with unit_of_work(factory) as db:
        before = _counts(db)
        _copy_into(db, LinePosting, stranger)  # at 0008 a line may claim another practice: only the ids were checked
        db.rollback()
    assert before["line_posting"] == 3 and before["patient_ledger"] == 2 and before["claim_event"] >= 3

    migrate.upgrade(empty_url)
    with unit_of_work(factory) as db:
        assert _counts(db) == before
        _refused_for_another_practice(db, (LinePosting, TimelineEntry), own, stranger)
    _keeps_rows_through(empty_url, factory, "0008", before)
    engine.dispose()


def test_claim_postings_and_denials_refer_into_their_own_practice_after_0010(empty_url):
    factory, engine, own, stranger = _database_in_use(empty_url, "0009")
    with unit_of_work(factory) as db:
        before = _counts(db)
        for model in (ClaimPosting, DenialCase, DenialNote):  # at 0009 only the ids were checked
            _copy_into(db, model, stranger)
        db.rollback()
    assert before["claim_posting"] == 3 and before["denial_case"] == 1 and before["denial_note"] == 1

    migrate.upgrade(empty_url)
    with unit_of_work(factory) as db:
        assert _counts(db) == before
        _refused_for_another_practice(db, (ClaimPosting, DenialCase, DenialNote), own, stranger)
    _keeps_rows_through(empty_url, factory, "0009", before)
    engine.dispose()


def test_a_sqlite_migration_that_would_leave_a_reference_without_its_row_is_rolled_back(tmp_path):
    """SQLite's reference checks are off while migrating (tables others refer to are rebuilt); the
    check after each migration finds a row whose parent is gone, and nothing of that migration stays."""
    url = f"sqlite:///{tmp_path / 'orphan.db'}"
    factory, engine, own, _ = _database_in_use(url, "0009")
    engine.dispose()
    with sqlite3.connect(tmp_path / "orphan.db") as raw:  # a claim posting whose claim is gone (checks off)
        raw.execute("PRAGMA foreign_keys=OFF")
        raw.execute("INSERT INTO claim_posting (id, practice_id, remittance_id, claim_id, status_code, "
                    "payer_claim_number, charge, paid, contractual, patient_responsibility, other_adjustment, "
                    "adjustments, remarks, outcome, posted_at) SELECT 9999, practice_id, remittance_id, 987654, "
                    "status_code, payer_claim_number, charge, paid, contractual, patient_responsibility, "
                    "other_adjustment, adjustments, remarks, outcome, posted_at FROM claim_posting LIMIT 1")
    with pytest.raises(RuntimeError, match=r"upgrade to 0010: references that find no row \(claim_posting row 9999"):
        migrate.upgrade(url)
    engine = make_engine(url)
    with engine.connect() as connection:
        # still 0009 (the agreements branch, 0002, stays at its own head)
        assert set(migrate.current_revisions(connection)) == {"0009", "0002"}
        assert connection.exec_driver_sql("SELECT count(*) FROM sqlite_master WHERE name = "
                                          "'uq_denial_case_id_practice_id'").scalar() == 0
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()
