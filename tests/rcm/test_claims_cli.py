"""`openmso claims import|scrub|submit|status` and `openmso clearinghouse poll` against a real SQLite
file database, with the payer simulator as the clearinghouse."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from openmso.cli import app
from openmso.core.db import unit_of_work
from openmso.core.settings import get_settings
from openmso.rcm.claims.models import Charge, Claim, ClaimBatch
from openmso.rcm.clearinghouse.models import InboundFile
from tests.factories import add_signed_agreement
from tests.rcm.conftest import make_clinic

runner = CliRunner()
HEADER = "mrn,service_date,procedure_code,modifiers,units,charge_amount,diagnoses,pointers,rendering_npi,location\n"


@dataclass
class Setup:
    factory: sessionmaker[Session]
    var_dir: Path
    practice_id: int
    rows: list[str]


@pytest.fixture
def setup(tmp_path, monkeypatch, cli_sessions) -> Setup:
    monkeypatch.delenv("OPENMSO_CLEARINGHOUSE", raising=False)  # the payer simulator
    get_settings.cache_clear()
    factory = cli_sessions
    with unit_of_work(factory) as db:
        clinic = make_clinic(db, "Cliclaims")
        add_signed_agreement(db, clinic.practice)
        rows = [f"{p.mrn},2026-10-01,99213,,1,145.00,E11.9;I10,1;2,{clinic.provider.npi},{clinic.location.name}"
                for p in clinic.patients[:2]]
        practice_id = clinic.practice.id
    return Setup(factory, tmp_path, practice_id, rows)


def _csv(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "charges.csv"
    path.write_text(HEADER + "".join(row + "\n" for row in rows))
    return path


def _invoke(*args: str):
    result = runner.invoke(app, list(args))
    return result.exit_code, " ".join(result.output.split())  # Rich wraps lines at the terminal width


def test_the_claims_pipeline_runs_from_the_command_line(setup):
    code, out = _invoke("claims", "import", str(_csv(setup.var_dir, setup.rows)), "--practice", str(setup.practice_id))
    assert code == 0, out
    assert "Imported 2 of 2 rows into 2 draft claims" in out
    code, out = _invoke("claims", "scrub", "--practice", str(setup.practice_id), "--as-of", "2026-10-15")
    assert code == 0 and "2 claims scrubbed: 2 ready, 0 held" in out, out
    code, out = _invoke("claims", "submit")
    assert code == 0 and "2 claims in 1 batch(es); 1 sent via simulator" in out, out
    code, out = _invoke("claims", "status", "--practice", str(setup.practice_id))
    assert code == 0 and "submitted" in out and "837P_000000001" in out, out
    code, out = _invoke("clearinghouse", "poll")
    assert code == 0 and "3 file(s): 3 applied" in out and "0 quarantined" in out, out
    with unit_of_work(setup.factory) as db:
        statuses = set(db.scalars(select(Claim.status)))
        assert statuses <= {"payer_accepted", "payer_rejected"} and statuses
        assert db.scalar(select(ClaimBatch.status)) == "accepted"
        assert sorted(db.scalars(select(InboundFile.kind))) == ["277CA", "835", "999"]
    code, out = _invoke("claims", "status")
    assert code == 0 and "payer_" in out


def test_submit_can_scrub_first_in_the_same_run(setup):
    code, out = _invoke("claims", "import", str(_csv(setup.var_dir, setup.rows)), "--practice", str(setup.practice_id))
    assert code == 0, out
    code, out = _invoke("claims", "submit", "--scrub", "--practice", str(setup.practice_id), "--as-of", "2026-10-15")
    assert code == 0, out
    assert "2 claims scrubbed: 2 ready, 0 held" in out and "2 claims in 1 batch(es); 1 sent via simulator" in out, out
    with unit_of_work(setup.factory) as db:
        assert set(db.scalars(select(Claim.status))) == {"submitted"}
        assert db.scalar(select(ClaimBatch.status)) == "sent"


def test_an_import_with_a_bad_row_names_it_and_imports_nothing_unless_asked(setup):
    bad = setup.rows[0].replace("99213", "9921")
    path = _csv(setup.var_dir, [setup.rows[0], bad])
    code, out = _invoke("claims", "import", str(path), "--practice", str(setup.practice_id))
    assert code == 1, out
    assert "line 3" in out and "procedure_code" in out
    with unit_of_work(setup.factory) as db:
        assert db.scalar(select(func.count()).select_from(Charge)) == 0
    code, out = _invoke("claims", "import", str(path), "--practice", str(setup.practice_id), "--take-good-rows")
    assert code == 0 and "Imported 1 of 2 rows into 1 draft claims" in out and "1 problem(s) left out" in out, out


def test_an_import_that_is_not_utf8_names_the_byte_and_imports_nothing(setup):
    path = setup.var_dir / "charges-latin1.csv"
    row = setup.rows[0]
    path.write_bytes((HEADER + row + "\n").encode("utf-8") + "Zoë,2026-10-01\n".encode("latin-1"))
    code, out = _invoke("claims", "import", str(path), "--practice", str(setup.practice_id))
    offset = len((HEADER + row + "\n").encode("utf-8")) + 3  # "Zo" then the Latin-1 ë
    assert code == 1 and "not UTF-8" in out and f"byte {offset}" in out, out
    with unit_of_work(setup.factory) as db:
        assert db.scalar(select(func.count()).select_from(Charge)) == 0


def test_poll_quarantines_a_malformed_answer_and_keeps_it_for_retry(setup):
    inbound = setup.var_dir / "clearinghouse" / "inbound"
    inbound.mkdir(parents=True)
    (inbound / "999_broken.x12").write_text("ISA*00*this is not an interchange~")
    code, out = _invoke("clearinghouse", "poll")
    assert code == 0 and "1 file(s): 0 applied" in out and "1 quarantined" in out, out
    assert "quarantined 999_broken.x12" in out
    with unit_of_work(setup.factory) as db:
        stored = db.scalars(select(InboundFile)).one()
        assert stored.status == "quarantined" and stored.error
        assert stored.content.startswith("ISA*00*this is not")
