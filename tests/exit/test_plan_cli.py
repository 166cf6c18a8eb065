"""`openmso exit plan PRACTICE` against a real (temporary) database: table, JSON, PDF, and bad input."""

from __future__ import annotations

import json
from datetime import date

import pytest
from typer.testing import CliRunner

from openmso.cli import app
from openmso.core.db import unit_of_work
from tests.factories import add_practice, add_signed_agreement

runner = CliRunner()


@pytest.fixture
def practice_id(cli_sessions):
    with unit_of_work(cli_sessions) as db:
        practice = add_practice(db, "Cliplan")
        add_signed_agreement(db, practice, signed_on=date(2025, 1, 1))
        return practice.id


def test_plan_as_table_json_and_pdf(practice_id, tmp_path):
    table = runner.invoke(app, ["exit", "plan", str(practice_id), "--as-of", "2026-12-01"])
    assert table.exit_code == 0, table.output
    assert "Out on 2027-05-30" in table.output and "Clearinghouse" in table.output and "45 CFR" in table.output
    out = tmp_path / "plan.json"
    result = runner.invoke(app, ["exit", "plan", str(practice_id), "--format", "json", "--out", str(out),
                                 "--as-of", "2026-12-01"])
    assert result.exit_code == 0, result.output
    plan = json.loads(out.read_text())
    assert plan["timeline"]["exit_on"] == "2027-05-30" and plan["data"]["deliver_by"] == "2027-06-29"
    pdf = tmp_path / "plan.pdf"
    assert runner.invoke(app, ["exit", "plan", str(practice_id), "--format", "pdf", "--out", str(pdf)]).exit_code == 0
    assert pdf.read_bytes().startswith(b"%PDF")


def test_bad_input_is_a_clear_error(practice_id):
    missing = runner.invoke(app, ["exit", "plan", "999999"])
    assert missing.exit_code == 1 and "not found" in missing.output.lower()
    assert runner.invoke(app, ["exit", "plan", str(practice_id), "--as-of", "30/11/2026"]).exit_code == 2
    assert runner.invoke(app, ["exit", "plan", str(practice_id), "--format", "pdf"]).exit_code == 2
