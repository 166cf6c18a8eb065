"""COB when the practice has already done something with the patient's share on the primary claim before the
secondary pays it: written it off, or taken the patient's own payment against it.

The same hand-worked claim as `test_cob_secondary_books`: charge 200.00, the primary pays 120.00, CO-45 50.00,
PR-2 30.00 (the patient owes 30.00); the secondary reports the primary's 170.00 as OA-23.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from sqlalchemy import func, select

from openmso.core.tenancy import SYSTEM
from openmso.rcm.ar import patients
from openmso.rcm.remittance import secondary
from openmso.rcm.remittance.models import PatientLedgerEntry, RemittanceException
from tests.rcm.test_cob_secondary_books import AS_OF, _balance, _books, _entries, _pay_secondary


def _practice_entry(db, claim, kind: str, amount: str, detail: str) -> None:
    """What the billing office put on the patient's ledger against the primary claim, on 2026-11-05."""
    db.add(PatientLedgerEntry(practice_id=claim.practice_id, patient_id=claim.patient_id, claim_id=claim.id,
                              kind=kind, amount=D(amount), entered_on=date(2026, 11, 5), detail=detail))
    db.flush()


def _by_kind(db, claim_ids) -> dict[str, D]:
    rows = db.execute(select(PatientLedgerEntry.kind, func.sum(PatientLedgerEntry.amount))
                      .where(PatientLedgerEntry.claim_id.in_(claim_ids)).group_by(PatientLedgerEntry.kind))
    return {kind: amount for kind, amount in rows}


def _flags(db, kind: str = "cob_overpayment") -> list[D]:
    return [f.amount for f in db.scalars(select(RemittanceException).where(RemittanceException.kind == kind))]


def test_a_secondary_paying_a_share_the_practice_wrote_off_reverses_the_write_off_and_is_no_overpayment(db):
    clinic, primary, secondary_claim = _books(db, "Qzcobwo")
    _practice_entry(db, primary, "write_off", "-30.00", "hardship write-off")
    assert _balance(db, clinic) == D("0.00")  # 30.00 − 30.00 written off
    _pay_secondary(db, clinic, secondary_claim, "30.00", [("OA", "23", "170.00")], "SECWO1")
    # the secondary paid the 30.00 share: credited against it, and the write-off it made needless is reversed
    assert _flags(db) == []  # was a 30.00 cob_overpayment: the share looked already gone
    assert _entries(db, secondary_claim) == [("payer_payment", D("-30.00")), ("write_off_reversal", D("30.00"))]
    assert _by_kind(db, [primary.id, secondary_claim.id]) == {
        "responsibility": D("30.00"), "write_off": D("-30.00"), "write_off_reversal": D("30.00"),
        "payer_payment": D("-30.00")}
    assert _balance(db, clinic) == D("0.00")  # 30 − 30 + 30 − 30
    assert patients.aging(db, SYSTEM, AS_OF, clinic.practice.id) == []
    # the secondary takes its payment back: the share is owed again and the practice's write-off stands again
    _pay_secondary(db, clinic, secondary_claim, "30.00", [("OA", "23", "170.00")], "SECWO2", reversal=True)
    assert _by_kind(db, [primary.id, secondary_claim.id]) == {
        "responsibility": D("30.00"), "write_off": D("-30.00"), "write_off_reversal": D("0.00"),
        "payer_payment": D("0.00")}
    assert _balance(db, clinic) == D("0.00")


def test_a_secondary_paying_part_of_a_written_off_share_reverses_only_what_the_patient_no_longer_owes(db):
    clinic, primary, secondary_claim = _books(db, "Qzcobwopart")
    _practice_entry(db, primary, "write_off", "-30.00", "small balance write-off")
    # the secondary pays 20.00 and leaves 10.00 (PR-2) to the patient: the practice's write-off covers those 10.00
    _pay_secondary(db, clinic, secondary_claim, "20.00", [("OA", "23", "170.00"), ("PR", "2", "10.00")], "SECWOP")
    assert _flags(db) == []
    assert _entries(db, secondary_claim) == [("payer_payment", D("-20.00")), ("write_off_reversal", D("20.00"))]
    assert _balance(db, clinic) == D("0.00")  # 30 − 30 + 20 − 20: the 10.00 stays written off


def test_a_secondary_paying_a_share_the_patient_already_paid_leaves_the_patient_a_refund_not_the_payer(db):
    clinic, primary, secondary_claim = _books(db, "Qzcobpaid")
    _practice_entry(db, primary, "payment", "-30.00", "patient payment at the front desk")
    _pay_secondary(db, clinic, secondary_claim, "30.00", [("OA", "23", "170.00")], "SECPAID")
    # the secondary owed its 30.00 under COB; the patient's own 30.00 is now theirs to get back
    assert _flags(db) == []  # was a 30.00 cob_overpayment, the patient's payment hiding the share
    assert _entries(db, secondary_claim) == [("payer_payment", D("-30.00"))]
    assert _balance(db, clinic) == D("-30.00")  # 30 − 30 − 30: a credit, a refund due to the patient
    (aged,) = patients.aging(db, SYSTEM, AS_OF, clinic.practice.id)
    assert (aged.aging.total, aged.aging.credits) == (D("0.00"), D("30.00"))  # a credit, shown apart


def test_a_partial_write_off_is_reversed_only_as_far_as_the_payer_paid_beyond_what_stayed_owed():
    shares = secondary.PatientShares(earlier={2: (1,)})
    shares.add(1, "responsibility", D("30.00"))
    shares.add(1, "write_off", D("-10.00"))  # the practice wrote off 10.00; the patient owed 20.00
    settled = secondary.settle(shares, 2, D("30.00"), D("0.00"), reversal=False)
    # the payer pays the whole 30.00 share: the 10.00 write-off is no longer needed
    assert settled.entries == [("payer_payment", D("-30.00")), ("write_off_reversal", D("10.00"))]
    assert (settled.owed_before, settled.overpaid) == (D("30.00"), D("0.00"))
    undone = secondary.settle(shares, 2, D("-30.00"), D("0.00"), reversal=True)
    assert undone.entries == [("payer_payment", D("30.00")), ("write_off_reversal", D("-10.00"))]
    assert (shares.owed(2), shares.written_off(2)) == (D("30.00"), D("10.00"))
