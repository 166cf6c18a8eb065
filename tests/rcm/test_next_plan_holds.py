"""A share the payer left to a patient who has a next plan in force is the next plan's to answer first, billed yet
or not: from the day it is posted, insurance A/R holds it (under that plan's payer, by payer), patient A/R and the
statement's amount due leave it out, and the KPIs count it once.

Figures are those of `test_cob_secondary_books`: a 200.00 claim served 2026-10-01, the primary paid 120.00 on
2026-11-02 (CO-45 50.00, PR-2 30.00), the patient has a second plan with "Second Mutual".
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from openmso.core.tenancy import SYSTEM
from openmso.network import schemas as network_schemas
from openmso.network import service as network
from openmso.rcm.ar import facts, patients, reports
from openmso.rcm.claims import service
from openmso.rcm.claims.models import Claim
from tests.factories import add_payer
from tests.rcm.conftest import make_clinic
from tests.rcm.remits import accepted_claims
from tests.rcm.test_cob_secondary_books import AS_OF, PRIMARY, _books, _pay_secondary, _payment, _post
from tests.rcm.test_pending_insurance import _statement, _totals

PAID_ON = date(2026, 11, 2)


def _primary_paid(db, marker: str, second_plan_from: date | None = date(2024, 1, 1)):
    """The primary's 835 posted, and nothing billed to the second plan (none when `second_plan_from` is None)."""
    clinic = make_clinic(db, marker, patients=1)
    if second_plan_from is not None:
        second = add_payer(db, "SX001", "Second Mutual")
        network.add_coverage(db, SYSTEM, clinic.patients[0].id, network_schemas.CoverageCreate(
            payer_id=second.id, member_id="SEC123", priority=2, effective_from=second_plan_from))
    [primary] = accepted_claims(db, clinic, 1, (("99213", "200.00"),))
    _post(db, clinic, [_payment(primary, "120.00", PRIMARY)], f"P{marker}")
    return clinic, db.get(Claim, primary.id)


def _days_in_ar(db, clinic) -> D:
    return facts.kpi_trend(db, SYSTEM, AS_OF, 2, clinic.practice.id)[1].values["days_in_ar"]


def test_a_share_for_a_next_plan_not_billed_yet_is_insurance_ar_under_that_plans_payer(db):
    clinic, primary = _primary_paid(db, "Qzholdwait")
    assert _totals(db, clinic, PAID_ON) == (D("30.00"), D("0.00"))
    assert _totals(db, clinic, AS_OF) == (D("30.00"), D("0.00"))
    assert _totals(db, clinic, date(2026, 11, 1)) == (D("200.00"), D("0.00"))  # before the primary paid
    by_payer = {row.label: row.aging.total for row in reports.insurance_aging(db, SYSTEM, AS_OF, "payer",
                                                                               clinic.practice.id)}
    assert by_payer == {"Second Mutual": D("30.00")}  # the primary owes nothing more; the next plan is asked
    (row,) = patients.balances(db, SYSTEM, clinic.practice.id)
    assert (row.balance, row.pending, row.due, row.oldest) == (D("30.00"), D("30.00"), D("0.00"), None)
    text = _statement(db, clinic, primary.patient_id)
    assert "Amount due: $0.00" in text and "Pending insurance: $30.00" in text and "Please pay" not in text
    assert _days_in_ar(db, clinic) == D("7.7")  # 30 × 51 / 200: counted once, not in both A/Rs, not in neither


def test_billing_the_next_plan_moves_the_hold_to_its_claim_without_counting_it_twice(db):
    clinic, primary = _primary_paid(db, "Qzholdbill")
    service.bill_secondary(db, SYSTEM, primary.id)
    db.expire_all()
    assert _totals(db, clinic, AS_OF) == (D("30.00"), D("0.00"))
    assert _days_in_ar(db, clinic) == D("7.7")


def test_without_a_next_plan_in_force_on_the_date_of_service_the_share_is_the_patients(db):
    for marker, plan_from in (("Qzholdnone", None), ("Qzholdlate", date(2026, 10, 2))):  # a day after the service
        clinic, primary = _primary_paid(db, marker, plan_from)
        assert _totals(db, clinic, AS_OF) == (D("0.00"), D("30.00")), marker
        (row,) = patients.balances(db, SYSTEM, clinic.practice.id)
        assert (row.pending, row.due) == (D("0.00"), D("30.00")), marker
        assert "Amount due: $30.00" in _statement(db, clinic, primary.patient_id), marker
        assert _days_in_ar(db, clinic) == D("7.7"), marker


def test_a_share_a_paid_secondary_leaves_waits_for_the_tertiary_billed_or_not(db):
    clinic, primary, secondary = _books(db, "Qzholdthird")
    third = add_payer(db, "TX001", "Third Benefit")
    network.add_coverage(db, SYSTEM, primary.patient_id, network_schemas.CoverageCreate(
        payer_id=third.id, member_id="TER123", priority=3, effective_from=date(2024, 1, 1)))
    _pay_secondary(db, clinic, secondary, "20.00", [("OA", "23", "170.00"), ("PR", "2", "10.00")], "HOLD3")
    assert _totals(db, clinic, AS_OF) == (D("10.00"), D("0.00"))  # the secondary's 10.00 coinsurance
    by_payer = {row.label: row.aging.total for row in reports.insurance_aging(db, SYSTEM, AS_OF, "payer",
                                                                               clinic.practice.id)}
    assert by_payer == {"Third Benefit": D("10.00")}
    assert patients.balances(db, SYSTEM, clinic.practice.id)[0].due == D("0.00")
    service.bill_secondary(db, SYSTEM, secondary.id)  # the tertiary's claim now holds it
    db.expire_all()
    assert _totals(db, clinic, AS_OF) == (D("10.00"), D("0.00"))
    assert _days_in_ar(db, clinic) == D("2.6")  # 10 × 51 / 200
