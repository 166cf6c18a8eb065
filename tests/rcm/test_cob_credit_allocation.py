"""A later payer's payment of the patient's share settles that service's debt, not the patient's oldest one.

The patient owes 40.00 from a July visit (PR posted 2026-07-01). Then the hand-worked COB claim of
`test_cob_secondary_books`: the primary's PR-2 30.00 (posted 2026-11-02), which the secondary pays in full the
same day. The patient still owes the July 40.00 — 142 days old on 2026-11-20, over 120 — and nothing of November.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from openmso.core.tenancy import SYSTEM
from openmso.rcm.ar import chains, patients
from openmso.rcm.remittance.models import PatientLedgerEntry
from tests.rcm.remits import accepted_claims
from tests.rcm.test_cob_secondary_books import AS_OF, _balance, _books, _pay_secondary


def test_a_secondarys_payment_settles_the_share_of_the_service_it_paid_not_the_oldest_debt(db):
    clinic, primary, secondary = _books(db, "Qzcobfifo")
    [july] = accepted_claims(db, clinic, 1, (("99212", "90.00"),))
    db.add(PatientLedgerEntry(practice_id=july.practice_id, patient_id=july.patient_id, claim_id=july.id,
                              kind="responsibility", amount=D("40.00"), entered_on=date(2026, 7, 1),
                              detail="835 JULY: PR-1 deductible"))
    db.flush()
    _pay_secondary(db, clinic, secondary, "30.00", [("OA", "23", "170.00")], "SECFIFO")
    assert _balance(db, clinic) == D("40.00")  # 40 + 30 − 30
    (aged,) = patients.aging(db, SYSTEM, AS_OF, clinic.practice.id)
    assert aged.aging.amounts["over_120"] == D("40.00")  # the July debt, whole; was 10.00 (40 − the 30 credit)
    assert aged.aging.amounts["0_30"] == D("0.00")  # the November share the secondary paid; was 30.00
    [row] = patients.balances(db, SYSTEM, clinic.practice.id)
    assert row.oldest == date(2026, 7, 1)


def test_a_credit_settles_its_own_service_first_and_the_rest_the_oldest_debts():
    # services 1 (July 40.00) and 2 (the primary's 30.00 on claim 2, which later claim 3 follows: service 2);
    # a later payer's 50.00 on service 2 pays its 30.00, then 20.00 of July's; a patient's 5.00 pays July's too
    entries = [(date(2026, 7, 1), D("40.00"), 1), (date(2026, 11, 2), D("30.00"), 2),
               (date(2026, 11, 3), D("-50.00"), 2), (date(2026, 11, 4), D("-5.00"), None)]
    assert patients.open_debits(entries) == [(date(2026, 7, 1), D("15.00"), 1)]  # 40 − 20 − 5
    # without services every credit pays the oldest first, as before
    assert patients.open_debits([(day, amount) for day, amount, _ in entries]) == [(date(2026, 11, 2), D("15.00"),
                                                                                     None)]
    assert chains.first_claims({3: 2, 4: 3, 2: None}) == {3: 2, 4: 2}  # a tertiary (4) follows the secondary


def test_a_patients_payment_is_counted_on_the_debt_the_later_payer_left_open_not_on_the_service_it_paid():
    # July 40.00 on claim 1; November's 30.00 share on claim 2, paid by the secondary (its claim maps to 2);
    # then the patient pays 40.00: it paid July's debt, the only one open
    entries = [(date(2026, 7, 1), "responsibility", 1, D("40.00")),
               (date(2026, 11, 2), "responsibility", 2, D("30.00")),
               (date(2026, 11, 2), "payer_payment", 2, D("-30.00")),
               (date(2026, 11, 10), "payment", None, D("-40.00"))]
    # was {1: 10.00, 2: 30.00}: the secondary's credit had settled July's debt first
    assert patients.payments_by_claim(entries) == {1: [(date(2026, 11, 10), D("40.00"))]}
