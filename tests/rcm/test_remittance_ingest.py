"""Ingesting 835 files end to end: the simulator's 835s, bank deposits, and a crash mid-file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from openmso.core import migrate
from openmso.core.db import make_engine, make_session_factory, unit_of_work
from openmso.core.errors import Invalid
from openmso.core.tenancy import SYSTEM
from openmso.rcm.claims import building, scrubbing
from openmso.rcm.claims.models import Claim
from openmso.rcm.clearinghouse import service as clearinghouse
from openmso.rcm.clearinghouse.adapters import SimulatorDrop, default_envelope
from openmso.rcm.clearinghouse.models import InboundFile
from openmso.rcm.remittance import deposits, ingest
from openmso.rcm.remittance.ingest import ingest_file, ingest_paths, post_clearinghouse_remittances
from openmso.rcm.remittance.models import (
    ClaimPosting,
    Remittance,
    RemittanceException,
    RemittanceFile,
    RemittanceFilePart,
    stored_copy,
    stored_size,
)
from tests.rcm.conftest import AS_OF, make_clinic
from tests.rcm.remits import accepted_claims, paid, render, transaction


def test_the_simulators_835s_post_with_no_exceptions(db, session_factory, clinic, tmp_path):
    for patient in clinic.patients:
        clinic.charge(db, patient)
        clinic.charge(db, patient, procedure_code="36415", charge_amount=D("20.00"))
    building.build_claims(db, SYSTEM, clinic.practice.id)
    scrubbing.scrub_claims(db, SYSTEM, practice_id=clinic.practice.id, as_of=AS_OF)
    db.commit()
    adapter = SimulatorDrop(tmp_path / "ch", default_envelope("Test MSO", "SIMULATED PAYERS", "SIMCH"), today=AS_OF)
    clearinghouse.submit(session_factory, SYSTEM, adapter)
    clearinghouse.poll(session_factory, SYSTEM, adapter)
    reports = post_clearinghouse_remittances(db, SYSTEM)
    assert len(reports) == 1 and reports[0].exceptions == 0
    accepted = db.scalar(select(func.count()).select_from(Claim).where(Claim.practice_id == clinic.practice.id,
                                                                       Claim.payer_claim_number.is_not(None)))
    assert reports[0].claims == accepted > 0
    statuses = set(db.scalars(select(Claim.status).where(Claim.payer_claim_number.is_not(None))))
    assert statuses <= {"paid", "partially_paid", "denied"}
    assert db.scalar(select(InboundFile.status).where(InboundFile.kind == "835")) == "applied"
    assert post_clearinghouse_remittances(db, SYSTEM) == []


def test_deposits_reconcile_by_trace_number_and_amount(db, clinic):
    first, second = accepted_claims(db, clinic, 2)

    ingest_file(db, SYSTEM, "a.835", render(transaction(clinic.practice, [paid(first)], trace="EFT-A"),
                                            transaction(clinic.practice, [paid(second)], trace="EFT-B",
                                                        control="0002")))
    deposits.import_deposits(db, SYSTEM, clinic.practice.id,
                             "deposit_date,amount,trace_number,payer\n2026-11-03,67.00,EFT-A,Aetna\n"
                             "2026-11-03,60.00,EFT-B,Aetna\n", "bank.csv")
    rows = {r.trace_number: r for r in db.scalars(select(Remittance))}
    assert rows["EFT-A"].deposit_id is not None and rows["EFT-B"].deposit_id is None
    problem = db.scalars(select(RemittanceException)).one()
    assert problem.kind == "deposit_mismatch" and "60.00" in problem.message
    with pytest.raises(Invalid) as caught:
        deposits.import_deposits(db, SYSTEM, clinic.practice.id, "deposit_date,amount,trace_number\n2026-13-01,x,\n")
    assert caught.value.errors[0].location == ["line 2", "deposit_date"]


def test_the_stored_copy_is_kept_in_parts_and_read_back_byte_for_byte(db, clinic, monkeypatch):
    claims = accepted_claims(db, clinic, 3)
    content = render(transaction(clinic.practice, [paid(claim) for claim in claims], trace="PARTS"))
    monkeypatch.setattr(ingest, "STORED_BYTES", 100)  # a part per 100 bytes: several parts
    report = ingest_file(db, SYSTEM, "parts.835", content)
    db.commit()
    parts = db.scalars(select(RemittanceFilePart.content).where(RemittanceFilePart.file_id == report.file.id)
                       .order_by(RemittanceFilePart.part)).all()
    assert len(parts) == -(-len(content) // 100) > 1 and b"".join(parts) == content
    streamed = list(stored_copy(db, report.file.id))
    assert streamed == parts  # read back one part at a time, in order
    db.expire_all()
    assert db.get(RemittanceFile, report.file.id).content == content
    # a file received before the parts existed keeps its copy in the old column, read back the same way
    old = RemittanceFile(name="old.835", sha256="0" * 64, stored_text=content.decode("latin-1"), status="posted")
    db.add(old)
    db.flush()
    assert list(stored_copy(db, old.id)) == [content] and old.content == content


def test_a_file_with_nul_and_high_bytes_is_kept_exactly_and_quarantined_with_its_place(db, clinic):
    """PostgreSQL text holds no NUL byte: the stored copy is bytes, so such a file is kept (not lost
    with the error) and quarantined, and its size counts every byte (SQLite's length() of a text
    stopped at the NUL)."""
    claims = accepted_claims(db, clinic, 1)
    good = render(transaction(clinic.practice, [paid(claims[0])], trace="NULBYTE"))
    content = good[:200] + b"\x00\xe9\xff" + good[200:]
    report = ingest_file(db, SYSTEM, "nul.835", content)
    db.commit()
    record = db.get(RemittanceFile, report.file.id)
    assert record.content == content and stored_size(db, record.id) == len(content)
    assert record.status == "quarantined" and report.posted == 0
    problem = db.scalars(select(RemittanceException).where(RemittanceException.file_id == record.id)).one()
    assert problem.kind in ("malformed", "malformed_file") and "segment" in problem.location


CRASHING_INGEST = textwrap.dedent("""
    import os, signal, sys
    from openmso.core.db import make_engine, make_session_factory
    from openmso.core.tenancy import SYSTEM
    from openmso.rcm.remittance import ingest, posting
    original = posting.TransactionPosting.post
    calls = []
    def crash_on_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:  # the second payment's first piece: the first payment is written, not committed
            os.kill(os.getpid(), signal.SIGKILL)
        return original(*args, **kwargs)
    posting.TransactionPosting.post = crash_on_third
    ingest.CLAIMS_PER_PIECE = 1
    factory = make_session_factory(make_engine(sys.argv[1]))
    ingest.ingest_paths(factory, SYSTEM, [__import__("pathlib").Path(sys.argv[2])])
""")


def test_a_process_killed_mid_file_leaves_no_partial_posting(tmp_path):
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    migrate.upgrade(url)
    factory = make_session_factory(make_engine(url))
    with unit_of_work(factory) as db:
        clinic = make_clinic(db, "Qzcrash")
        claims = accepted_claims(db, clinic, 3)
        content = render(transaction(clinic.practice, [paid(claims[0]), paid(claims[1])], trace="T1",
                                     control="0001"),
                         transaction(clinic.practice, [paid(claims[2])], trace="T2", control="0002"))
    path = tmp_path / "era.835"
    path.write_bytes(content)
    result = subprocess.run([sys.executable, "-c", CRASHING_INGEST, url, str(path)], capture_output=True,
                            env={**os.environ}, timeout=120)
    assert result.returncode == -signal.SIGKILL, result.stderr.decode()[-2000:]
    with unit_of_work(factory) as db:
        assert db.scalar(select(func.count()).select_from(RemittanceFile)) == 0
        assert db.scalar(select(func.count()).select_from(ClaimPosting)) == 0
        assert set(db.scalars(select(Claim.status))) == {"payer_accepted"}

    (report,) = ingest_paths(factory, SYSTEM, [path])
    assert (report.posted, report.claims) == (2, 3)
