"""Which adjustments of a posted 835 open a denial case, by the CARC rules: a credentialing denial is
money to recover, a multiple-procedure reduction is the price the contract expects."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import select

from openmso.core.tenancy import SYSTEM
from openmso.rcm.claims.models import Claim
from openmso.rcm.denials.models import DenialCase
from openmso.rcm.remittance.ingest import ingest_file
from openmso.rcm.remittance.models import ClaimPosting
from openmso.x12 import Adjustment
from tests.rcm.remits import accepted_claims, denied, paid, render, transaction


def _cases(db, claim: Claim) -> list[DenialCase]:
    return list(db.scalars(select(DenialCase).where(DenialCase.claim_id == claim.id)))


@pytest.mark.parametrize(("carc", "rule_id", "action"), [
    ("B7", "DEN-CREDENTIALING", "correct_and_resubmit"),
    ("185", "DEN-CREDENTIALING", "correct_and_resubmit"),
    ("242", "DEN-NETWORK", "appeal"),
])
def test_a_provider_eligibility_denial_opens_a_credentialing_case_for_the_whole_charge(db, clinic, carc, rule_id,
                                                                                      action):
    [claim] = accepted_claims(db, clinic, 1)
    ingest_file(db, SYSTEM, "era.835", render(transaction(clinic.practice, [denied(claim, "CO", carc)])))
    [case] = _cases(db, claim)
    assert (case.category, case.rule_id, case.suggested_action, case.amount, case.reasons) == (
        "credentialing", rule_id, action, D("145.00"), f"CO:{carc}")
    assert db.scalar(select(ClaimPosting.contractual).where(ClaimPosting.claim_id == claim.id)) == D("0.00")


@pytest.mark.parametrize("cut", [D("9.00"), D("18.00")])  # half the second line's allowed amount, or all of it
def test_a_multiple_procedure_reduction_is_posted_as_contractual_and_opens_no_denial(db, clinic, cut):
    [claim] = accepted_claims(db, clinic, 1, lines=(("99213", "145.00"), ("85025", "30.00")))
    payment = paid(claim, patient=D("0.00"))  # 145.00 allowed at 87.00, 30.00 at 18.00
    second = payment.service_lines[1]
    second.adjustments.append(Adjustment("CO", "59", cut))
    second.paid -= cut
    payment.paid -= cut
    ingest_file(db, SYSTEM, "era.835", render(transaction(clinic.practice, [payment])))
    posting = db.scalars(select(ClaimPosting).where(ClaimPosting.claim_id == claim.id)).one()
    assert (posting.outcome, posting.paid, posting.contractual, posting.other_adjustment) == (
        "paid", D("105.00") - cut, D("70.00") + cut, D("0.00"))
    assert _cases(db, claim) == []
