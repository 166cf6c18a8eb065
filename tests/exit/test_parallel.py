"""An export in a read snapshot writes some files in a second process (`exit.package.parallel`): the
package is the same as one process writes, and both processes read the same snapshot even when a
write commits while the export runs. On SQLite (a file, as `openmso exit package` runs it) the
snapshot is shared by holding the write lock; on PostgreSQL by `pg_export_snapshot`, in a database
of its own, since these tests commit."""

from __future__ import annotations

import json
import sqlite3
import threading

import pytest
from benchmarks.exit_data import populate
from sqlalchemy import func, select, text, update
from sqlalchemy.engine import make_url

from openmso.core.db import make_engine, make_session_factory, read_snapshot, unit_of_work
from openmso.core.tenancy import SYSTEM
from openmso.exit.package import parallel, service
from openmso.exit.verify import verify
from openmso.rcm.claims.models import Claim
from tests.conftest import POSTGRES_URL, skip_or_fail
from tests.exit.conftest import SIGNING_KEY

# The claim moved to the other practice mid-export: one with no posting (claims 1, 4, 7… are posted), as
# the database refuses to move a claim whose postings stay with its practice (same-practice references).
MOVED = 2

REAL_ACTIVE_COUNT = threading.active_count
# Differ between any two exports: when and by whom (the audit trail holds the export's own entry).
PER_EXPORT = {"manifest.json", "README.txt", "audit/audit_trail.csv"}


@pytest.fixture(autouse=True)
def single_threaded(monkeypatch):
    """The process as the command line runs it: with no other thread. In the whole suite the browser tests'
    live server (session-scoped) keeps threads running in this process, which would rightly stop the fork."""
    monkeypatch.setattr(parallel.threading, "active_count", lambda: 1)


@pytest.fixture
def postgres_url() -> str:
    """A PostgreSQL database of its own, since these tests commit: created beside the test database,
    dropped afterwards."""
    if not POSTGRES_URL:
        skip_or_fail("PostgreSQL tests need OPENMSO_TEST_POSTGRES_URL (CI sets it; see .ci/run)")
    server = make_url(POSTGRES_URL)
    name = f"{server.database}_exit_snapshot"
    admin = make_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def export_url(request) -> str:
    """A database the test may commit to: the SQLite file of `cli_url`, or `postgres_url`."""
    return request.getfixturevalue("cli_url" if request.param == "sqlite" else "postgres_url")


def _export(url, out, *, snapshot: bool, progress=None) -> service.PackageResult:
    engine = make_engine(url)
    with unit_of_work(make_session_factory(engine)) as db:
        clause = service.begin_export(db, SYSTEM, 1, out)
    factory = make_session_factory(read_snapshot(engine) if snapshot else engine)
    with unit_of_work(factory) as db:
        return service.write_package(db, SYSTEM, 1, out, clause, progress=progress, signing_key=SIGNING_KEY)


def _hashes(result) -> dict[str, str]:
    return {e["path"]: e["sha256"] for e in result.manifest["files"] if e["path"] not in PER_EXPORT}


def test_an_export_in_a_read_snapshot_writes_the_same_package_with_a_second_process(export_url, tmp_path):
    populate(export_url, patients=200, claims=900)
    one = _export(export_url, tmp_path / "one", snapshot=False)
    two = _export(export_url, tmp_path / "two", snapshot=True)
    assert one.helper_peak_rss_mb == 0 and two.helper_peak_rss_mb > 0
    assert _hashes(one) == _hashes(two)
    helped = {e["path"] for e in two.manifest["files"]} >= {"fhir/Claim.ndjson", "tables/claim.csv"}
    assert helped and verify(two.path).ok


def test_both_processes_read_the_snapshot_the_counts_were_taken_in(export_url, tmp_path):
    """A claim moved to the other practice while the export runs is neither counted nor written: the
    second process (Claim resources, claim table) began its snapshot before the write committed."""
    populate(export_url, patients=200, claims=900)
    writer = make_session_factory(make_engine(export_url))
    moved = []

    def progress(step: str) -> None:
        if step == "counting rows":
            with unit_of_work(writer) as db:
                db.execute(update(Claim).where(Claim.id == MOVED).values(practice_id=2))
            moved.append(step)

    result = _export(export_url, tmp_path / "package", snapshot=True, progress=progress)
    assert moved and result.helper_peak_rss_mb > 0
    files = {e["path"]: e for e in result.manifest["files"]}
    for path in ("fhir/Claim.ndjson", "tables/claim.csv"):
        assert files[path]["records"] == files[path]["database_count"] == 900
    ids = [json.loads(line)["id"] for line in (result.path / "fhir/Claim.ndjson").read_text().splitlines()]
    assert f"claim-{MOVED}" in ids
    with unit_of_work(writer) as db:
        assert db.scalar(select(func.count()).select_from(Claim).where(Claim.practice_id == 1)) == 899
    assert verify(result.path).ok


def test_on_postgresql_the_helper_adopts_the_snapshot_even_after_a_later_write(postgres_url, tmp_path, monkeypatch):
    """A claim moved after the export's snapshot was taken but before the helper process's transaction
    begins is still not seen by the helper: its transaction adopts the exported snapshot (without
    `SET TRANSACTION SNAPSHOT` it would see 899 claims of practice 1, not the 900 counted)."""
    populate(postgres_url, patients=200, claims=900)
    helper = parallel._helper

    def write_then_help(pipe, url, *args):
        with unit_of_work(make_session_factory(make_engine(url))) as db:  # in the forked process, first
            db.execute(update(Claim).where(Claim.id == MOVED).values(practice_id=2))
        helper(pipe, url, *args)

    monkeypatch.setattr(parallel, "_helper", write_then_help)
    result = _export(postgres_url, tmp_path / "package", snapshot=True)
    assert result.helper_peak_rss_mb > 0
    files = {e["path"]: e for e in result.manifest["files"]}
    for path in ("fhir/Claim.ndjson", "tables/claim.csv"):
        assert files[path]["records"] == files[path]["database_count"] == 900
    with unit_of_work(make_session_factory(make_engine(postgres_url))) as db:
        assert db.scalar(select(func.count()).select_from(Claim).where(Claim.practice_id == 1)) == 899
    assert verify(result.path).ok


def test_the_helper_is_not_used_where_the_exporting_session_may_hold_unshared_rows(cli_url, tmp_path):
    populate(cli_url, patients=20, claims=50)
    engine = make_engine(cli_url)
    with unit_of_work(make_session_factory(engine)) as db:
        assert parallel._snapshot_mode(db) is None  # a write transaction (BEGIN IMMEDIATE)
    with unit_of_work(make_session_factory(read_snapshot(engine))) as db:
        assert parallel._snapshot_mode(db) == "sqlite"
        db.execute(select(Claim.id).limit(1))
        assert parallel._snapshot_mode(db) is None  # its snapshot began before the lock could be taken


def test_no_second_process_is_forked_from_a_process_with_other_threads(cli_url, monkeypatch):
    populate(cli_url, patients=20, claims=50)
    monkeypatch.setattr(parallel.threading, "active_count", REAL_ACTIVE_COUNT)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, name="a web server's worker")
    other.start()
    try:
        with unit_of_work(make_session_factory(read_snapshot(make_engine(cli_url)))) as db:
            assert parallel._snapshot_mode(db) is None  # a fork would copy locks the other thread may hold
    finally:
        stop.set()
        other.join()


def test_an_export_waits_briefly_for_a_writer_then_writes_everything_in_one_process(cli_url, tmp_path):
    populate(cli_url, patients=20, claims=50)
    writer = sqlite3.connect(cli_url.removeprefix("sqlite:///"), isolation_level=None)
    engine = make_engine(cli_url)
    with unit_of_work(make_session_factory(engine)) as db:
        clause = service.begin_export(db, SYSTEM, 1, tmp_path / "package")
    writer.execute("BEGIN IMMEDIATE")  # a long write in progress
    try:
        with unit_of_work(make_session_factory(read_snapshot(engine))) as db:
            result = service.write_package(db, SYSTEM, 1, tmp_path / "package", clause, signing_key=SIGNING_KEY)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert result.helper_peak_rss_mb == 0 and verify(result.path).ok
