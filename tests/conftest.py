"""Test fixtures: real databases (SQLite always, PostgreSQL when OPENMSO_TEST_POSTGRES_URL is set),
each test inside a transaction that is rolled back, and the real app bound to that transaction."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from openmso.app import create_app
from openmso.core import migrate
from openmso.core.db import make_engine, make_session_factory
from openmso.core.settings import Settings, get_settings
from openmso.core.tenancy import SYSTEM

pytest_plugins = ["tests.browser.fixtures"]

warnings.filterwarnings("ignore", message=".*httpx.*", category=DeprecationWarning)

POSTGRES_URL = os.environ.get("OPENMSO_TEST_POSTGRES_URL")
REQUIRE_ALL = os.environ.get("OPENMSO_REQUIRE_ALL_TESTS") == "1"


def skip_or_fail(reason: str) -> None:
    """Skip with a clear reason on a developer machine; in CI (OPENMSO_REQUIRE_ALL_TESTS=1) fail instead."""
    if REQUIRE_ALL:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


def test_settings(tmp_path: Path, url: str) -> Settings:
    return Settings(database_url=url, var_dir=tmp_path, secret_key="test-secret-key", max_body_bytes=256 * 1024,
                    session_hours=1, login_max_failures=5, login_window_minutes=15, secure_cookies=False,
                    job_workers=0)  # jobs run inside the request: the tests' sessions share one connection


def _fresh_postgres_schema(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def engine(request, tmp_path_factory) -> Iterator[Engine]:
    """A migrated database per engine, shared by the session; tests never commit to it."""
    if request.param == "postgresql":
        if not POSTGRES_URL:
            skip_or_fail("PostgreSQL tests need OPENMSO_TEST_POSTGRES_URL (CI sets it; see .ci/run)")
        engine = make_engine(POSTGRES_URL)
        _fresh_postgres_schema(engine)
    else:
        engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}")
    migrate.upgrade(engine.url.render_as_string(hide_password=False))
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine):
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            yield connection
        finally:
            transaction.rollback()


@pytest.fixture
def session_factory(connection) -> sessionmaker[Session]:
    """Sessions joined to the test's transaction: their commits become savepoints, rolled back at the end."""
    return sessionmaker(bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint")


@pytest.fixture
def db(session_factory) -> Iterator[Session]:
    session = session_factory()
    try:
        yield session
    finally:
        session.close()


def restart_ids(db: Session) -> None:
    """Ids counted from 1 again, as on a fresh database, for data that depends on them (the demo: its payer
    simulator keys its answers on control numbers that carry the practice's id). SQLite hands out the next
    free rowid, so a rolled-back test leaves nothing behind; PostgreSQL's sequences move on whatever rolls
    back, so they are restarted inside the session's transaction (ALTER SEQUENCE is transactional: the
    restart is rolled back with the rest)."""
    if db.get_bind().dialect.name == "postgresql":
        for (name,) in db.execute(text("SELECT sequence_name FROM information_schema.sequences "
                                       "WHERE sequence_schema = current_schema()")).all():
            db.execute(text(f'ALTER SEQUENCE "{name}" RESTART'))


@pytest.fixture
def fresh_ids(db) -> None:
    restart_ids(db)


@pytest.fixture
def settings(tmp_path, engine) -> Settings:
    return test_settings(tmp_path, engine.url.render_as_string(hide_password=False))


@pytest.fixture
def app(settings, session_factory):
    return create_app(settings, session_factory)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


@pytest.fixture
def system():
    return SYSTEM


@pytest.fixture
def cli_url(tmp_path, monkeypatch) -> Iterator[str]:
    """A SQLite file in `tmp_path` that the `openmso` command line, run in this process, works on.

    The CLI reads its settings from the environment (OPENMSO_DATABASE_URL, and OPENMSO_VAR_DIR for
    the files it keeps), and settings are cached, so the cache is cleared on the way in and out.
    The schema is left to the test (`cli_sessions` migrates it).
    """
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("OPENMSO_DATABASE_URL", url)
    monkeypatch.setenv("OPENMSO_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


@pytest.fixture
def cli_sessions(cli_url) -> sessionmaker[Session]:
    """Sessions on the `cli_url` database, migrated to the current schema, for setting up data."""
    migrate.upgrade(cli_url)
    return make_session_factory(make_engine(cli_url))
