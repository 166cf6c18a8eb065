"""A denied claim corrected and resubmitted (a replacement, frequency 7) is one service in the books: insurance
A/R holds it once, not once per claim, and the replacement's payment is the service's collection.

Worked by hand from one claim of 200.00 (one 99213 line) served 2026-10-01:
- 2026-11-02 the payer denies it (CO-197, 200.00): 200.00 open, recoverable.
- the denial is corrected and resubmitted: a replacement claim, submitted 2026-11-05 and accepted by the payer
  (the original is then superseded).
- 2026-11-20 the payer pays the replacement: allowed 150.00, paid 120.00, CO-45 50.00, PR-2 30.00.
So insurance A/R is 200.00 from 2026-11-02 to the payment, once, then 0.00 (the patient owes 30.00); October's
claims collected 120.00 of 200.00 − 50.00 = 150.00 net: a net collection rate of 80.0 %, gross 60.0 %, and its
one claim was denied on its first remittance: a denial rate of 100.0 %.

A paid claim voided (frequency 8) is owed nothing: until the payer takes its 120.00 back it is a credit owed back,
then nothing at all. A paid claim replaced is open for nothing more while the payer re-adjudicates: it reverses the
original and pays the replacement, and the service is collected once. A payer that pays the replacement without
reversing the original first has decided the service anew all the same: the patient owes the replacement's share
alone, and what the original paid is owed back until the payer takes it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D

from openmso.core.tenancy import SYSTEM
from openmso.rcm.ar import facts, patients, reports
from openmso.rcm.claims import service
from openmso.rcm.claims.models import Claim
from openmso.rcm.claims.schemas import Correction
from openmso.rcm.denials import service as denials
from openmso.rcm.denials.models import DenialCase
from openmso.rcm.remittance.ingest import ingest_file
from tests.rcm.remits import accepted_claims, denied, paid, render, transaction

DENIED_ON, RESUBMITTED_ON, PAID_ON = date(2026, 11, 2), date(2026, 11, 5), date(2026, 11, 20)


def _post(db, clinic, payment, trace: str, on: date) -> None:
    _post_both(db, clinic, [payment], trace, on)


def _post_both(db, clinic, payments: list, trace: str, on: date) -> None:
    remittance = transaction(clinic.practice, payments, trace=trace)
    remittance.payment.date = on
    ingest_file(db, SYSTEM, f"{trace}.835", render(remittance))
    db.expire_all()


def _denied_and_resubmitted(db, clinic):
    [original] = accepted_claims(db, clinic, 1, (("99213", "200.00"),))
    original.submitted_at = datetime(2026, 10, 2, 9, tzinfo=UTC)
    _post(db, clinic, denied(original), "DENY1", DENIED_ON)
    case = db.query(DenialCase).filter_by(claim_id=original.id).one()
    replacement = denials.resubmit(db, SYSTEM, case.id, "added the missing modifier")
    replacement.status, replacement.submitted_at = "payer_accepted", datetime(2026, 11, 5, 9, tzinfo=UTC)
    service.supersede_on_acceptance(db, SYSTEM, replacement)
    db.flush()
    db.expire_all()
    return db.get(Claim, original.id), db.get(Claim, replacement.id)


def _aging(db, clinic, as_of: date) -> tuple[D, D]:
    """(open insurance A/R, credits owed back to payers) of the practice at the end of `as_of`."""
    rows = reports.insurance_aging(db, SYSTEM, as_of, "practice", clinic.practice.id)
    return sum((row.aging.total for row in rows), D("0.00")), sum((row.aging.credits for row in rows), D("0.00"))


def _insurance(db, clinic, as_of: date) -> D:
    return _aging(db, clinic, as_of)[0]


def _paid_then_corrected(db, clinic, kind: str):
    [original] = accepted_claims(db, clinic, 1, (("99213", "200.00"),))
    original.submitted_at = datetime(2026, 10, 2, 9, tzinfo=UTC)
    _post(db, clinic, paid(original, share=D("0.75"), patient=D("30.00")), "PAY0", DENIED_ON)
    correction = service.correct(db, SYSTEM, original.id, Correction(kind=kind, reason="wrong place of service"))
    correction.status, correction.submitted_at = "payer_accepted", datetime(2026, 11, 5, 9, tzinfo=UTC)
    service.supersede_on_acceptance(db, SYSTEM, correction)
    db.flush()
    db.expire_all()
    return db.get(Claim, original.id), db.get(Claim, correction.id)


def test_a_resubmitted_denial_is_in_insurance_ar_once(db, clinic):
    _, replacement = _denied_and_resubmitted(db, clinic)
    assert _insurance(db, clinic, DENIED_ON) == D("200.00")  # denied, not worked yet: still recoverable
    assert _insurance(db, clinic, date(2026, 11, 10)) == D("200.00")  # the replacement stands for it, not beside it
    _post(db, clinic, paid(replacement, share=D("0.75"), patient=D("30.00")), "PAY1", PAID_ON)
    assert db.get(Claim, replacement.id).status == "paid"
    assert _insurance(db, clinic, date(2026, 11, 25)) == D("0.00")
    (row,) = patients.balances(db, SYSTEM, clinic.practice.id)
    assert row.balance == D("30.00")


def test_a_replacements_payment_is_the_services_collection(db, clinic):
    _, replacement = _denied_and_resubmitted(db, clinic)
    _post(db, clinic, paid(replacement, share=D("0.75"), patient=D("30.00")), "PAY2", PAID_ON)
    october = facts.kpi_trend(db, SYSTEM, date(2026, 11, 30), 2, clinic.practice.id)[0]
    assert october.values["net_collection_rate"] == D("80.0")  # 120 ÷ (200 − 50)
    assert october.values["gross_collection_rate"] == D("60.0")  # 120 ÷ 200
    assert october.values["denial_rate"] == D("100.0")  # its first remittance was a denial
    november = facts.kpi_trend(db, SYSTEM, date(2026, 11, 30), 2, clinic.practice.id)[1]
    # at November's end the payer owes nothing, the patient 30.00, over 200.00 charged in the 61 days since the
    # book's first service (Oct 1 – Nov 30): 30 × 61 / 200 = 9.15
    assert november.values["days_in_ar"] == D("9.2")


def test_a_voided_payment_is_owed_back_until_the_payer_takes_it(db, clinic):
    original, _ = _paid_then_corrected(db, clinic, "void")
    assert _aging(db, clinic, DENIED_ON) == (D("0.00"), D("0.00"))  # paid in full: nothing open
    assert _aging(db, clinic, date(2026, 11, 10)) == (D("0.00"), D("120.00"))  # voided, the 120.00 still here
    _post(db, clinic, paid(original, share=D("0.75"), patient=D("30.00"), status="22", sign=-1), "TAKE", PAID_ON)
    assert _aging(db, clinic, date(2026, 11, 25)) == (D("0.00"), D("0.00"))
    october = facts.kpi_trend(db, SYSTEM, date(2026, 11, 30), 2, clinic.practice.id)[0]
    assert october.values["gross_collection_rate"] is None  # nothing billed, nothing collected


def test_a_paid_claim_replaced_is_collected_once(db, clinic):
    original, replacement = _paid_then_corrected(db, clinic, "replace")
    assert _aging(db, clinic, date(2026, 11, 10)) == (D("0.00"), D("0.00"))  # the original's payment still stands
    reversal = paid(original, share=D("0.75"), patient=D("30.00"), status="22", sign=-1)
    _post_both(db, clinic, [reversal, paid(replacement, share=D("0.80"), patient=D("30.00"))], "REDO", PAID_ON)
    assert _aging(db, clinic, date(2026, 11, 25)) == (D("0.00"), D("0.00"))
    (row,) = patients.balances(db, SYSTEM, clinic.practice.id)
    assert row.balance == D("30.00")  # 30 − 30 (the reversal) + 30 (the replacement), read in one 835
    october = facts.kpi_trend(db, SYSTEM, date(2026, 11, 30), 2, clinic.practice.id)[0]
    assert october.values["gross_collection_rate"] == D("65.0")  # 130 ÷ 200: the replacement's payment alone
    assert october.values["net_collection_rate"] == D("81.3")  # 130 ÷ (200 − 40)


def test_a_replacement_paid_without_a_reversal_decides_the_service_anew(db, clinic):
    original, replacement = _paid_then_corrected(db, clinic, "replace")  # original: 120 paid, 50 CO-45, 30 PR-2
    _post(db, clinic, paid(replacement, share=D("0.80"), patient=D("30.00")), "ANEW", PAID_ON)
    (row,) = patients.balances(db, SYSTEM, clinic.practice.id)
    assert row.balance == D("30.00")  # the replacement's share, not both claims' 60.00
    # 200 − (120 + 130 paid) − 40 CO-45 (the replacement's decision) − 30 PR = −120: the original's payment, owed back
    assert _aging(db, clinic, date(2026, 11, 25)) == (D("0.00"), D("120.00"))
    october = facts.kpi_trend(db, SYSTEM, date(2026, 11, 30), 2, clinic.practice.id)[0]
    assert october.values["gross_collection_rate"] == D("125.0")  # 250 of 200: the payer paid twice, for now
    assert october.values["net_collection_rate"] == D("156.3")  # 250 ÷ (200 − 40), not ÷ (200 − 90)
