"""`openmso remit ingest`, `openmso ar aging` and `openmso kpi` against a real (temporary) database."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from openmso.cli import app
from openmso.core.db import unit_of_work
from openmso.rcm.ar import cli as ar_cli
from openmso.rcm.remittance.models import ClaimPosting, RemittanceFile
from tests.factories import add_signed_agreement
from tests.rcm.conftest import make_clinic
from tests.rcm.remits import accepted_claims, denied, paid, render, transaction

runner = CliRunner()


@pytest.fixture
def eras(tmp_path, cli_sessions):
    folder = tmp_path / "inbox"
    folder.mkdir()
    factory = cli_sessions
    with unit_of_work(factory) as db:
        clinic = make_clinic(db, "Cliclinic")
        add_signed_agreement(db, clinic.practice)
        first, second, third = accepted_claims(db, clinic, 3)
        (folder / "a.835").write_bytes(render(transaction(clinic.practice, [paid(first), denied(second)], "EFTA")))
        (folder / "b.835").write_bytes(render(transaction(clinic.practice, [paid(third)], "EFTB",
                                                          amount=paid(third).paid + 1)))  # does not balance
        (folder / "notes.md").write_text("not an 835")
    return folder, factory


def test_remit_ingest_posts_a_folder_once_and_reports_the_quarantined_file(eras):
    folder, factory = eras
    result = runner.invoke(app, ["remit", "ingest", str(folder)])
    assert result.exit_code == 1, result.output  # one payment did not post
    assert "a.835" in result.output and "b.835" in result.output
    assert "Not read (not named" in result.output and "notes.md" in result.output  # said, not posted
    assert "exceptions queue" in result.output
    again = runner.invoke(app, ["remit", "ingest", str(folder / "a.835")])
    assert again.exit_code == 0 and "already received" in again.output
    with factory() as db:
        assert db.scalar(select(func.count()).select_from(RemittanceFile)) == 2
        assert db.scalar(select(func.count()).select_from(ClaimPosting)) == 2


def test_ar_aging_and_kpi_print_tables_and_export_csv(eras, tmp_path, monkeypatch):
    folder, _ = eras
    monkeypatch.setattr(ar_cli.console, "width", 200)
    runner.invoke(app, ["remit", "ingest", str(folder / "a.835")])
    aging = runner.invoke(app, ["ar", "aging", "--as-of", "2026-11-20"])
    assert aging.exit_code == 0, aging.output
    assert "Cliclinic" in aging.output and "290.00" in aging.output  # denied and unpaid claims stay in A/R
    patient = runner.invoke(app, ["ar", "aging", "--kind", "patient", "--as-of", "2026-11-20"])
    assert "20.00" in patient.output
    out = tmp_path / "kpis.csv"
    kpi = runner.invoke(app, ["kpi", "--as-of", "2026-11-20", "--months", "2", "--csv", str(out)])
    assert kpi.exit_code == 0, kpi.output
    assert "Denial rate" in kpi.output and "50.0" in kpi.output
    assert out.read_text().splitlines()[0].startswith("month,period_end,kpi")


def test_remit_ingest_goes_on_after_a_file_that_fails_and_keeps_nothing_of_it(eras, monkeypatch):
    """One file failing in a way no check foresaw is reported on its row; the next files still post."""
    folder, factory = eras
    from openmso.rcm.remittance import cli as remit_cli

    real = remit_cli.ingest_file

    def failing_on_a(db, actor, name, path, progress=None):
        if name == "a.835":
            raise RuntimeError("disk went away")
        return real(db, actor, name, path, progress)

    monkeypatch.setattr(remit_cli, "ingest_file", failing_on_a)
    result = runner.invoke(app, ["remit", "ingest", str(folder)], env={"COLUMNS": "200"})
    assert result.exit_code == 1 and "RuntimeError: disk went away" in result.output
    with factory() as db:
        assert db.scalars(select(RemittanceFile.name)).all() == ["b.835"]  # a.835 kept nothing; b.835 read


def test_remit_ingest_of_a_folder_with_no_835_says_so(tmp_path, cli_sessions):
    (tmp_path / "ERA_20261115").write_text("an 835 named without an extension")
    result = runner.invoke(app, ["remit", "ingest", str(tmp_path)])
    assert result.exit_code == 1 and "No 835 file to post" in result.output and "ERA_20261115" in result.output
