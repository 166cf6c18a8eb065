"""A later payer that pays a replacement of its claim without reversing what it paid on the original: the
replacement decides the service anew, so the patient's share moves from the original's decision, not on top of
it, and the payment on the original is the payer's money to refund or recoup.

Figures of `test_cob_secondary_books`: the primary left the patient 30.00 of a 200.00 claim; the secondary
paid 20.00 of it (PR-2 10.00), then the practice replaced the secondary claim and the payer paid the
replacement 25.00 (PR-2 5.00) with no reversal of its 20.00.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D

from sqlalchemy import select

from openmso.core.tenancy import SYSTEM
from openmso.rcm.ar import facts, patients, reports
from openmso.rcm.claims import service
from openmso.rcm.claims.models import Claim
from openmso.rcm.claims.schemas import Correction
from openmso.rcm.remittance.models import RemittanceException
from tests.rcm.test_cob_secondary_books import AS_OF, _balance, _books, _entries, _pay_secondary

ANSWER = [("OA", "23", "170.00"), ("PR", "2", "10.00")]
ANSWER_AGAIN = [("OA", "23", "170.00"), ("PR", "2", "5.00")]


def _replaced_and_paid(db, marker: str):
    clinic, _, secondary = _books(db, marker)
    _pay_secondary(db, clinic, secondary, "20.00", ANSWER, f"{marker}1")
    replacement = service.correct(db, SYSTEM, secondary.id, Correction(kind="replace", reason="modifier added"))
    replacement.status, replacement.payer_claim_number = "payer_accepted", f"RPL{replacement.id:07d}"
    replacement.submitted_at = datetime(2026, 11, 10, 9, tzinfo=UTC)
    service.supersede_on_acceptance(db, SYSTEM, replacement)
    db.flush()
    db.expire_all()
    replacement = db.get(Claim, replacement.id)
    _pay_secondary(db, clinic, replacement, "25.00", ANSWER_AGAIN, f"{marker}2")
    return clinic, db.get(Claim, secondary.id), replacement


def _flags(db, clinic) -> list[tuple[str, str, D]]:
    return [(row.patient_control_number, row.status, row.amount) for row in db.scalars(
        select(RemittanceException).where(RemittanceException.practice_id == clinic.practice.id,
                                          RemittanceException.kind == "cob_overpayment")
        .order_by(RemittanceException.id))]


def test_a_replacement_paid_without_a_reversal_moves_the_share_from_the_originals_decision(db):
    clinic, original, replacement = _replaced_and_paid(db, "Qzrplsec")
    assert _balance(db, clinic) == D("5.00")  # was −15.00: 30.00 − 20.00 − 25.00
    assert _entries(db, original) == [("payer_payment", D("-20.00")), ("payer_payment", D("20.00"))]
    assert _entries(db, replacement) == [("payer_payment", D("-25.00"))]
    # the 20.00 paid on the original settles no share now: the payer's money, flagged under the original's number
    assert _flags(db, clinic) == [(original.patient_control_number, "open", D("20.00"))]
    rows = reports.insurance_aging(db, SYSTEM, AS_OF, "practice", clinic.practice.id)
    assert [(row.aging.total, row.aging.credits) for row in rows] == [(D("0.00"), D("20.00"))]
    (aged,) = patients.aging(db, SYSTEM, AS_OF, clinic.practice.id)
    assert aged.aging.total == D("5.00")


def test_the_payer_then_reversing_the_original_closes_the_flag_and_leaves_the_share_alone(db):
    clinic, original, _ = _replaced_and_paid(db, "Qzrplsec2")
    _pay_secondary(db, clinic, original, "20.00", ANSWER, "Qzrplsec23", reversal=True)
    assert _balance(db, clinic) == D("5.00")  # the reversal takes back nothing the replacement did not already
    assert _flags(db, clinic) == [(original.patient_control_number, "resolved", D("20.00"))]
    rows = reports.insurance_aging(db, SYSTEM, AS_OF, "practice", clinic.practice.id)
    assert rows == []  # the payer took its 20.00 back: nothing owed either way
    assert date(2026, 11, 10) < AS_OF


def test_the_payer_reversing_the_originals_payment_under_the_replacements_number_leaves_the_replacement_standing(db):
    clinic, original, replacement = _replaced_and_paid(db, "Qzrplsec4")
    # a later 835 takes back the 20.00 paid on the original, sent under the replacement's claim (CLP01, CLP07): its
    # amount is the original's payment, not the replacement's 25.00, so the replacement's decision stands
    _pay_secondary(db, clinic, replacement, "20.00", ANSWER, "Qzrplsec43", reversal=True)
    assert _balance(db, clinic) == D("5.00")  # was 10.00: the replacement taken back, the original standing again
    assert _entries(db, replacement) == [("payer_payment", D("-25.00"))]
    assert _flags(db, clinic) == [(original.patient_control_number, "resolved", D("20.00"))]
    assert reports.insurance_aging(db, SYSTEM, AS_OF, "practice", clinic.practice.id) == []
    (aged,) = patients.aging(db, SYSTEM, AS_OF, clinic.practice.id)
    assert aged.aging.total == D("5.00")
    [history] = facts.load_histories(db, [clinic.practice.id], date(2026, 10, 1), AS_OF)
    assert history.facts_at(AS_OF).open_balance == D("0.00")  # the KPIs read the chain the same way
