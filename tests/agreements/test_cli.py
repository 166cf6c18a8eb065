"""`openmso agreements check|rules|report` against a real (temporary) database."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from openmso.agreements import presets
from openmso.cli import app
from openmso.core.db import unit_of_work
from tests.factories import add_practice, add_signed_agreement

runner = CliRunner()


@pytest.fixture
def network(cli_sessions):
    with unit_of_work(cli_sessions) as db:
        texas = add_practice(db, "Lonestar", state="TX")
        clean = add_signed_agreement(db, texas).versions[-1].id
        oregon = add_practice(db, "Willow", state="OR")
        risky = add_signed_agreement(db, oregon, terms=presets.friendly_pc_terms(date(2026, 2, 1)),
                                     signed_on=date(2026, 2, 1)).versions[-1].id
    return {"texas": texas.id, "oregon": oregon.id, "clean": clean, "risky": risky}


def test_check_fails_on_the_flagged_oregon_agreement_and_passes_texas(network):
    result = runner.invoke(app, ["agreements", "check", "--as-of", "2026-11-01"])
    assert result.exit_code == 1, result.output
    assert "OR-SB951-STRUCTURE" in result.output and "not legal advice" in result.output
    assert "[high · in force] OR-SB951-STRUCTURE" in " ".join(result.output.split())
    texas = runner.invoke(app, ["agreements", "check", "--as-of", "2026-11-01", "--practice", str(network["texas"])])
    assert texas.exit_code == 0, texas.output


def test_check_as_json_dates_upcoming_laws(network):
    result = runner.invoke(app, ["agreements", "check", "--as-of", "2025-12-01", "--json", "--fail-on", "high",
                                 "--practice", str(network["oregon"])])
    payload = json.loads(result.output)
    [practice] = payload["practices"]
    sb951 = [f for f in practice["flags"] if f["rule_id"].startswith("OR-SB951")]
    assert sb951 and {f["status"] for f in sb951} == {"from 2026-01-01"}
    assert result.exit_code == 1  # the federal high flags are already in force


def test_rules_and_report_commands(network, tmp_path):
    rules = runner.invoke(app, ["agreements", "rules"])
    assert rules.exit_code == 0 and "US-HIPAA-BAA" in rules.output
    out = tmp_path / "report.pdf"
    made = runner.invoke(app, ["agreements", "report", str(network["risky"]), "--out", str(out), "--as-of",
                               "2026-11-01"])
    assert made.exit_code == 0, made.output
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(out.read_bytes())).pages)
    assert "OR-SB951-CONTROL" in text
    missing = runner.invoke(app, ["agreements", "report", "99999", "--out", str(out)])
    assert missing.exit_code == 1 and "not found" in missing.output
    bad = runner.invoke(app, ["agreements", "check", "--as-of", "2026-13-01"])
    assert bad.exit_code == 2
