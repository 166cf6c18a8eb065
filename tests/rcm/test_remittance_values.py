"""835 values the ledger cannot hold as sent: refused with their place, never cut, rounded or crashed on.

- An amount beyond what HIPAA allows (99999999.99) or with a third decimal place, or a trace number
  missing or too long, makes the transaction set malformed: quarantined whole, located, nothing posted.
- A line whose units paid are fractional, or whose procedure code or modifiers do not fit (an NDC, a
  mistyped code), is a valid 835 our ledger cannot post as sent: that claim goes to the exceptions
  queue with the reason, and the rest of the payment posts.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import select

from openmso.core.tenancy import SYSTEM
from openmso.rcm.remittance.ingest import ingest_file
from openmso.rcm.remittance.models import LinePosting, RemittanceException, RemittanceFile
from tests.rcm.remits import accepted_claims, paid, render, transaction


def _exceptions(db, file_id: int) -> list[RemittanceException]:
    return db.scalars(select(RemittanceException).where(RemittanceException.file_id == file_id)
                      .order_by(RemittanceException.id)).all()


@pytest.mark.parametrize(("old", "new", "element"), [
    (b"*1*145.00*", b"*1*100000000000000000145.00*", "CLP03"),  # the claim's charge: 10^20 dollars
    (b"*1*145.00*", b"*1*145.004*", "CLP03"),  # a third decimal place would be rounded away
    (b"*1*145.00*", b"*1*1.45E2*", "CLP03"),  # exponent notation: the TR3 prohibits it
    (b"TRN*1*HUGE1*", b"TRN*1**", "TRN02"),  # no trace number: the payment has no identity
])
def test_an_out_of_range_or_malformed_value_quarantines_the_payment_with_its_place(db, clinic, old, new, element):
    claims = accepted_claims(db, clinic, 2)
    content = render(transaction(clinic.practice, [paid(claim) for claim in claims], trace="HUGE1"))
    assert content.count(old) >= 1
    report = ingest_file(db, SYSTEM, "huge.835", content.replace(old, new, 1))
    db.flush()
    assert (report.posted, report.quarantined, report.claims) == (0, 1, 0)
    [problem] = _exceptions(db, report.file.id)
    assert problem.kind == "malformed" and f"element {element}" in problem.location
    assert db.scalars(select(LinePosting).where(LinePosting.practice_id == clinic.practice.id)).all() == []
    assert db.get(RemittanceFile, report.file.id).content == content.replace(old, new, 1)  # kept for retry


@pytest.mark.parametrize(("changes", "reason"), [
    ({"units_paid": D("1.5")}, "1.5 units paid (SVC05) is not a whole number of units"),
    ({"units_paid": D("3000000000")}, "3000000000 units paid (SVC05) is not a whole number of units"),
    ({"code": "99213999999"}, "SVC01 HC:99213999999 is not a 5-character HCPCS/CPT code"),
])
def test_a_line_the_ledger_cannot_hold_sends_its_claim_to_the_exceptions_queue_and_the_rest_posts(
        db, clinic, changes, reason):
    first, second = accepted_claims(db, clinic, 2)
    content = render(transaction(clinic.practice, [paid(first), paid(second, **changes)], trace="UNPOSTABLE"))
    report = ingest_file(db, SYSTEM, "unpostable.835", content)
    db.flush()
    assert (report.posted, report.claims) == (1, 1)
    [problem] = _exceptions(db, report.file.id)
    assert problem.kind == "unpostable_line" and problem.patient_control_number == second.patient_control_number
    assert reason in problem.message and problem.location.endswith("CLP 2")
    posted = db.scalars(select(LinePosting).where(LinePosting.practice_id == clinic.practice.id)).all()
    assert {line.claim_line_id for line in posted} == {line.id for line in first.lines}


@pytest.mark.parametrize("cut", ["ST", "GS"])
def test_an_interchange_with_no_835_in_it_is_quarantined_not_posted(db, clinic, cut):
    [claim] = accepted_claims(db, clinic, 1)
    lines = render(transaction(clinic.practice, [paid(claim)], trace="EMPTY")).decode("latin-1").splitlines()
    kept = [line for line in lines if not line.startswith(("ST*", "SE*", "BPR", "TRN", "N1", "LX", "CLP", "SVC",
                                                            "CAS", "DTM", "REF", "N3", "N4", "PER", "AMT"))]
    if cut == "GS":
        kept = [line for line in kept if not line.startswith(("GS*", "GE*"))]
    content = "\n".join(kept).replace("GE*1*", "GE*0*").replace("IEA*1*", "IEA*0*" if cut == "GS" else "IEA*1*")
    report = ingest_file(db, SYSTEM, "empty.835", (content + "\n").encode("latin-1"))
    db.flush()
    assert (report.transactions, report.posted, report.quarantined) == (0, 0, 1)
    assert report.file.status == "quarantined" and "no 835 transaction set" in report.file.error
    [problem] = _exceptions(db, report.file.id)
    assert problem.kind == "malformed_file"
