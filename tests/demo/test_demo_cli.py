"""`openmso demo build` on the command line: it builds a small network into an empty database and prints what
it made and the work it ran (claims, money in, the MSO's data access), then the logins to try it with."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from openmso.cli import app

runner = CliRunner()


def test_demo_build_prints_the_network_the_work_it_ran_and_the_logins(cli_url):
    result = runner.invoke(app, ["demo", "build", "--practices", "2", "--patients", "300", "--as-of", "2026-12-01"],
                           env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    output = result.output
    assert re.search(r"Built 2 practices, \d+ providers, \d+ locations, \d+ payers, 300 patients", output)
    claims = re.search(r"Claims: ([\d,]+) charges → ([\d,]+) claims", output)
    assert claims and int(claims[1].replace(",", "")) > 0 and int(claims[2].replace(",", "")) > 0
    money = re.search(r"Money in: (\d+) 835 files, (\d+) payments posted to ([\d,]+) claims", output)
    assert money and int(money[1]) > 0 and int(money[3].replace(",", "")) > 0
    assert "Demo logins" in output and "admin" in output and "auditor" in output


def test_demo_build_refuses_a_date_it_cannot_read(cli_url):
    result = runner.invoke(app, ["demo", "build", "--as-of", "12/01/2026"], env={"COLUMNS": "200"})
    assert result.exit_code == 2 and "expected YYYY-MM-DD" in result.output
