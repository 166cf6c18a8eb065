"""The command line, run against a real SQLite file: init, demo build, audit verify/export, users."""

from __future__ import annotations

import csv

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from openmso.cli import app
from openmso.core.db import make_engine
from openmso.core.settings import get_settings


@pytest.fixture
def cli_env(tmp_path, cli_url):
    return tmp_path


def test_init_build_verify_export_and_tamper(cli_env):
    runner = CliRunner()
    assert runner.invoke(app, ["init"]).exit_code == 0
    built = runner.invoke(app, ["demo", "build", "--practices", "2", "--patients", "50"])
    assert built.exit_code == 0, built.output
    assert "openmso-demo" in built.output and "biller.tx" in built.output
    verified = runner.invoke(app, ["audit", "verify"])
    assert verified.exit_code == 0 and "intact" in verified.output

    out = cli_env / "trail.csv"
    exported = runner.invoke(app, ["audit", "export", "--out", str(out), "--practice", "1"])
    assert exported.exit_code == 0, exported.output
    rows = list(csv.DictReader(out.open()))
    assert rows and all(r["practice_id"] == "1" for r in rows)

    engine = make_engine(get_settings().database_url)
    with engine.begin() as connection:
        connection.execute(text("DROP TRIGGER audit_entry_no_update"))
        connection.execute(text("UPDATE audit_entry SET actor_name = 'someone else' WHERE seq = 2"))
    broken = runner.invoke(app, ["audit", "verify"])
    assert broken.exit_code == 1 and "broken at entry 2" in broken.output


def test_user_create_validates_and_reports_the_field(cli_env):
    runner = CliRunner()
    runner.invoke(app, ["init"])
    bad = runner.invoke(app, ["user", "create", "root", "--role", "mso_admin", "--password", "short"])
    assert bad.exit_code == 2 and "password" in bad.output
    good = runner.invoke(app, ["user", "create", "root", "--role", "mso_admin", "--password", "long-enough-pw"])
    assert good.exit_code == 0 and "Created root" in good.output
    again = runner.invoke(app, ["user", "create", "root", "--role", "auditor", "--password", "long-enough-pw"])
    assert again.exit_code == 2 and "taken" in again.output


def test_demo_build_twice_refuses_cleanly(cli_env):
    runner = CliRunner()
    assert runner.invoke(app, ["demo", "build", "--practices", "1", "--patients", "10"]).exit_code == 0
    again = runner.invoke(app, ["demo", "build", "--practices", "1", "--patients", "10"])
    assert again.exit_code == 1 and "already holds a network" in again.output
