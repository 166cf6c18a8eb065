"""KPIs when the patient's share a secondary pays includes a denial the practice transferred to the patient.

Charge 200.00. The primary pays 100.00: CO-45 50.00, OA-27 20.00 (coverage ended: a denial, transferred to the
patient), PR-2 30.00 — the patient's share is 30.00 + 20.00 = 50.00. The secondary pays 40.00 of it, reports the
primary's 150.00 (100.00 paid + 50.00 written off) as OA-23 and writes off 10.00 of the share (CO-45).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D

from sqlalchemy import select

from openmso.core.tenancy import SYSTEM
from openmso.rcm.ar import facts
from openmso.rcm.claims import service
from openmso.rcm.claims.models import Claim
from openmso.rcm.denials import service as denials
from openmso.rcm.denials.models import DenialCase
from tests.factories import add_payer, add_plan
from tests.rcm.conftest import make_clinic
from tests.rcm.remits import accepted_claims
from tests.rcm.test_cob_secondary_books import AS_OF, _balance, _pay_secondary, _payment, _post, sent


def primary_paid_with_a_denial(db, marker: str):
    """The primary's 835 of the module's figures posted on 2026-11-02 (claim level); the patient has a second plan,
    not billed yet. Returns the clinic, the primary's claim and its denial case (open)."""
    clinic = make_clinic(db, marker, patients=1)
    second = add_payer(db, "SX001", "Second Mutual")
    add_plan(db, clinic.patients[0].id, second.id, "SEC123", 2)
    [primary] = accepted_claims(db, clinic, 1, (("99213", "200.00"),))
    primary.submitted_at = datetime(2026, 10, 2, 9, tzinfo=UTC)
    db.flush()
    payment = _payment(primary, "100.00", (("CO", "45", "50.00"), ("OA", "27", "20.00"), ("PR", "2", "30.00")))
    payment.adjustments, payment.service_lines = payment.service_lines[0].adjustments, []  # claim level only
    _post(db, clinic, [payment], f"P{marker}")
    [case] = db.scalars(select(DenialCase).where(DenialCase.claim_id == primary.id)).all()
    return clinic, db.get(Claim, primary.id), case


def primary_paid_with_a_denial_moved_to_the_patient(db, marker: str):
    """`primary_paid_with_a_denial`, its OA-27 denial moved to the patient on the payment day."""
    clinic, primary, case = primary_paid_with_a_denial(db, marker)
    denials.transfer_to_patient(db, SYSTEM, case.id, "coverage ended per payer", on=date(2026, 11, 2))
    case.closed_at = datetime(2026, 11, 2, 15, tzinfo=UTC)  # transferred that day, not on the day the test runs
    db.flush()
    return clinic, db.get(Claim, primary.id)


def test_a_secondarys_write_off_of_a_share_holding_a_transferred_denial_counts_in_the_kpis(db):
    clinic, primary = primary_paid_with_a_denial_moved_to_the_patient(db, "Qzcobxfer")
    billed = sent(db, service.bill_secondary(db, SYSTEM, primary.id), "SEC", date(2026, 11, 3))
    _pay_secondary(db, clinic, billed, "40.00", [("OA", "23", "150.00"), ("CO", "45", "10.00")],
                   "XFER2")
    assert _balance(db, clinic) == D("0.00")  # 30 + 20 − 40 − 10
    october = facts.kpi_trend(db, SYSTEM, AS_OF, 2, clinic.practice.id)[0]
    # paid 100 + 40 = 140; written off 50 (the primary's CO-45) + 10 (the secondary's, of the share) = 60
    assert october.values["net_collection_rate"] == D("100.0")  # 140 / (200 − 60); was 93.3: 140 / (200 − 50)
