"""The payer simulator answers a corrected claim as payers do: a replacement (frequency 7) of a claim it paid gets
the original's claim payment reversed (CLP02 22, every amount negated, the original's numbers) before its own; a
void (8) gets the reversal alone; a reversal larger than the 835's payments is carried forward in a PLB FB, so
the payment is never negative and every 835 balances."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

from openmso.rcm.clearinghouse import x12_responses
from openmso.rcm.clearinghouse.simulator import Decision, PayerSimulator
from openmso.x12 import check_balance
from openmso.x12.samples import generate_claim_transactions

PAID_ON = date(2026, 11, 20)


def _answer(simulator, transaction, claims, numbers):
    decided = [(transaction, [(claim, Decision(True, payer_claim_number=number))
                              for claim, number in zip(claims, numbers, strict=True)])]
    (remittance,) = x12_responses.remittances(simulator, decided, PAID_ON)
    assert not check_balance(remittance)
    return remittance


def test_a_replacement_takes_the_original_payment_back_first_and_a_void_only_takes_it_back():
    simulator = PayerSimulator()
    transaction = next(generate_claim_transactions(seed=11, count=1, claims_per_transaction=1))
    (claim,) = transaction.claims
    (first,) = _answer(simulator, transaction, [claim], ["ICN0001"]).claims
    assert first.status_code in ("1", "2", "4") and first.payer_claim_control_number == "ICN0001"

    replacement = dataclasses.replace(claim, patient_control_number=claim.patient_control_number + "R",
                                      frequency_code="7", payer_claim_control_number="ICN0001")
    reversal, second = _answer(simulator, transaction, [replacement], ["ICN0002"]).claims
    assert (reversal.status_code, reversal.patient_control_number, reversal.payer_claim_control_number) == (
        "22", claim.patient_control_number, "ICN0001")
    assert (reversal.charge, reversal.paid) == (-first.charge, -first.paid)
    assert [line.paid for line in reversal.service_lines] == [-line.paid for line in first.service_lines]
    assert (second.patient_control_number, second.payer_claim_control_number) == (
        replacement.patient_control_number, "ICN0002")

    void = dataclasses.replace(replacement, patient_control_number=claim.patient_control_number + "V",
                               frequency_code="8", payer_claim_control_number="ICN0002")
    remittance = _answer(simulator, transaction, [void], ["ICN0003"])
    (taken_back,) = remittance.claims  # nothing is paid for a void
    assert (taken_back.status_code, taken_back.payer_claim_control_number, taken_back.paid) == (
        "22", "ICN0002", -second.paid)
    assert second.paid > 0  # money taken back from nothing paid: carried forward, the payment itself zero
    assert remittance.payment.amount == Decimal("0")
    (forward,) = remittance.provider_adjustments
    assert (forward.reason_code, forward.amount) == ("FB", -second.paid)
    # a correction of a claim the payer never answered has nothing to take back
    stranger = dataclasses.replace(claim, frequency_code="7", payer_claim_control_number="ICN9999")
    (only,) = _answer(simulator, transaction, [stranger], ["ICN0004"]).claims
    assert only.status_code != "22"
