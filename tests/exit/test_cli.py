"""`openmso exit package|verify` against a real SQLite file, and an export killed with SIGKILL half-way:
no package appears, what it left is never taken for complete, and the next run starts clean."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time

import pytest
from benchmarks.exit_data import populate
from sqlalchemy import select, update
from typer.testing import CliRunner

from openmso.cli import app
from openmso.core import audit
from openmso.core.db import make_engine, make_session_factory, read_snapshot
from openmso.exit.verify import verify
from openmso.network.models import Patient


@pytest.fixture
def cli_db(cli_url):
    return cli_url


def test_package_then_verify_then_tamper(cli_db, tmp_path):
    populate(cli_db, patients=300, claims=1500)
    runner = CliRunner()
    out = tmp_path / "practice-1"
    made = runner.invoke(app, ["exit", "package", "1", "--out", str(out)])
    assert made.exit_code == 0, made.output
    assert "Exit package written" in made.output and "table rows" in made.output
    checked = runner.invoke(app, ["exit", "verify", str(out)])
    assert checked.exit_code == 0 and "intact and complete" in checked.output
    with make_session_factory(make_engine(cli_db))() as db:
        completed = db.scalars(select(audit.AuditEntry.reason)
                               .where(audit.AuditEntry.action == "exit.package_completed")).one()
    assert hashlib.sha256((out / "manifest.json").read_bytes()).hexdigest() in completed
    with (out / "fhir/Patient.ndjson").open("a") as handle:
        handle.write('{"resourceType":"Patient","id":"patient-999999"}\n')
    broken = runner.invoke(app, ["exit", "verify", str(out)])
    assert broken.exit_code == 1 and "fhir/Patient.ndjson" in broken.output
    assert "Qzneighbour" not in "".join(p.read_text(errors="ignore") for p in out.rglob("*.csv"))


def test_archive_option_and_an_unknown_practice(cli_db, tmp_path):
    populate(cli_db, patients=50, claims=200)
    runner = CliRunner()
    zipped = runner.invoke(app, ["exit", "package", "1", "--out", str(tmp_path / "p1"), "--archive", "zip"])
    assert zipped.exit_code == 0, zipped.output
    assert (tmp_path / "p1.zip").is_file() and not (tmp_path / "p1").exists()
    assert runner.invoke(app, ["exit", "verify", str(tmp_path / "p1.zip")]).exit_code == 0
    missing = runner.invoke(app, ["exit", "package", "77", "--out", str(tmp_path / "p77")])
    assert missing.exit_code == 1 and "not found" in missing.output
    with make_session_factory(make_engine(cli_db))() as db:
        failed = db.scalars(select(audit.AuditEntry).where(audit.AuditEntry.action == "exit.package")
                            .order_by(audit.AuditEntry.seq)).all()
    assert [(e.practice_id, e.outcome) for e in failed] == [(1, "success"), (77, "failed")]


def test_an_export_killed_midway_is_never_complete_and_the_next_run_restarts_clean(cli_db, tmp_path):
    populate(cli_db, patients=4000, claims=30000)
    out = tmp_path / "killed"
    partial = tmp_path / "killed.partial"
    env = {**os.environ, "OPENMSO_DATABASE_URL": cli_db, "OPENMSO_VAR_DIR": str(tmp_path)}
    process = subprocess.Popen([sys.executable, "-m", "openmso.cli", "exit", "package", "1", "--out", str(out)],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not (partial / "fhir/Claim.ndjson").exists():  # half-way: patients written, claims being written
        assert process.poll() is None, "the export ended before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not out.exists()
    assert partial.is_dir() and not (partial / "manifest.json").exists()
    report = verify(partial)
    assert not report.ok and report.problems[0].startswith("manifest.json: missing")

    rerun = CliRunner().invoke(app, ["exit", "package", "1", "--out", str(out)])
    assert rerun.exit_code == 0, rerun.output
    assert "removed killed.partial, left by an interrupted export" in rerun.output
    assert not partial.exists() and not (tmp_path / "killed.lock").exists()
    assert verify(out).ok


def test_the_export_snapshot_blocks_no_writer_and_sees_one_moment(cli_db):
    populate(cli_db, patients=20, claims=40)
    engine = make_engine(cli_db)
    with make_session_factory(read_snapshot(engine))() as reader:
        before = reader.scalar(select(Patient.city).where(Patient.id == 1))
        started = time.monotonic()
        with engine.begin() as writer:  # would wait for the lock, then fail, if the reader held it
            writer.execute(update(Patient).where(Patient.id == 1).values(city="Elsewhere"))
        assert time.monotonic() - started < 5
        assert reader.scalar(select(Patient.city).where(Patient.id == 1)) == before != "Elsewhere"
