"""A replacement dropping lines, where it meets the rest: a diagnosis dropped with its line, a line the payer has
posted to, a later payer's replacement dropping what its earlier payer's claim no longer bills."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from openmso.core.errors import Invalid
from openmso.core.tenancy import SYSTEM
from openmso.rcm.ar import patients, reports
from openmso.rcm.claims import cob, editing, service
from openmso.rcm.claims.models import Claim
from openmso.rcm.claims.schemas import ClaimEditIn, Correction
from openmso.rcm.remittance.ingest import ingest_file
from openmso.rcm.remittance.models import ClaimPosting, LinePosting, RemittanceException
from openmso.x12 import reversal_of
from tests.factories import add_payer, add_plan, add_signed_agreement
from tests.rcm.conftest import make_clinic
from tests.rcm.remits import PAID_ON, accepted_claims, paid, render, transaction
from tests.rcm.test_claim_editing import _biller, _fix, _replacement, held  # noqa: F401 (fixture)
from tests.rcm.test_cob_secondary_books import sent


def _drop(db, replacement, number: int, reason: str = "99213 billed by mistake"):
    lines = [{"line_number": line.line_number, "procedure_code": line.procedure_code, "pointers": line.pointer_list,
              "charge_amount": str(line.charge_amount), "remove": line.line_number == number}
             for line in replacement.lines]
    return editing.edit_claim(db, SYSTEM, replacement.id, ClaimEditIn(
        diagnoses=replacement.diagnosis_codes, lines=lines, reason=reason))


def _post(db, clinic, payments, trace):
    ingest_file(db, SYSTEM, f"{trace}.835", render(transaction(clinic.practice, payments, trace=trace)))
    db.expire_all()


def _paid_then_replaced(db, marker: str):
    """O (99213 145.00, 36415 18.00) paid 60 % of each line, then a replacement of it made, not sent:
    (clinic, O, O's CLP as paid, the replacement)."""
    clinic = make_clinic(db, marker, patients=1)
    add_signed_agreement(db, clinic.practice)
    [original] = accepted_claims(db, clinic, 1, (("99213", "145.00"), ("36415", "18.00")))
    first = paid(original, patient=D("0"))
    _post(db, clinic, [first], f"{marker}1")
    return clinic, original, first, service.correct(db, SYSTEM, original.id,
                                                    Correction(kind="replace", reason="lab bundled"))


def test_a_dropped_line_takes_its_own_diagnosis_with_it(client, db, settings, held):  # noqa: F811
    # Line 2 (36415) was billed by mistake, for a diagnosis (I10) only it pointed at. The biller drops the line and
    # that diagnosis in one edit. A removed line is not sent, so its pointers must not be checked against the
    # diagnoses that go out. Expected: 200, one line and one diagnosis. Actual: 422 "line 2: pointers [2] do not
    # point at one of the 1 diagnoses" (the removed line is validated like a line sent; its codes too).
    clinic, claim = held
    replacement = _replacement(db, claim)
    lines = _fix(claim)["lines"]
    lines[0]["pointers"] = [1]
    lines[1] |= {"pointers": [2], "remove": True}  # the lab line billed for I10, billed by mistake
    fixed = _biller(client, db, settings, clinic).put(
        f"/api/v1/claims/{replacement.id}", json=_fix(claim, diagnoses=["E11.9"], lines=lines,
                                                       reason="36415 billed by mistake, with its diagnosis"))
    assert fixed.status_code == 200, fixed.text
    db.expire_all()
    replacement = db.get(Claim, replacement.id)
    assert replacement.diagnoses == "E119" and [line.line_number for line in replacement.lines] == [1]


def test_a_line_the_payer_has_posted_to_is_not_deleted_under_the_posting(db):
    # The payer rejected the replacement at its front end, but sent the reversal of the original's payment under
    # the replacement's number (CLP01), repeating the original's lines: they are posted to the replacement's
    # lines. The biller then fixes the rejected replacement: a line with a posting stays (the postings read it;
    # deleting it would break line_posting -> claim_line), refused with the field named, nothing deleted.
    clinic, original, first, replacement = _paid_then_replaced(db, "Qzfkdrop")
    replacement.status = "payer_rejected"
    db.flush()
    taken_back = reversal_of(first)
    taken_back.patient_control_number = replacement.patient_control_number
    _post(db, clinic, [taken_back], "QZFKD2")
    replacement = db.get(Claim, replacement.id)
    assert set(db.scalars(select(LinePosting.claim_line_id))) >= {line.id for line in replacement.lines}
    with pytest.raises(Invalid, match="line 2 of claim .* has a payer's answer posted to it"):
        _drop(db, replacement, 2, reason="lab line bundled (CO-97)")
    db.expire_all()
    assert len(db.get(Claim, replacement.id).lines) == 2


def test_a_line_dropped_from_the_primarys_replacement_can_leave_the_secondarys_claim_too(db):
    # The primary's claim O was paid and the secondary billed from it (S: both lines, with O's 2430). 99213 was
    # billed by mistake: O is replaced by R without it. S's replacement may drop 99213 too (its 2430 still adds
    # up: the line is gone at both payers), but not 36415, which the primary still bills and decided.
    clinic = make_clinic(db, "Qzcobdrop", patients=1)
    add_signed_agreement(db, clinic.practice)
    second = add_payer(db, "SX001", "Second Mutual")
    add_plan(db, clinic.patients[0].id, second.id, "SEC123", 2)
    [original] = accepted_claims(db, clinic, 1, (("99213", "145.00"), ("36415", "18.00")))
    _post(db, clinic, [paid(original)], "QZCD1")
    later = service.bill_secondary(db, SYSTEM, original.id)
    later.status, later.payer_claim_number = "payer_accepted", "SECICN0001"
    db.flush()
    later_replacement = service.correct(db, SYSTEM, later.id, Correction(kind="replace", reason="99213 by mistake"))
    with pytest.raises(Invalid, match="line 1 is still billed to the earlier payer"):
        _drop(db, later_replacement, 1)
    replacement = service.correct(db, SYSTEM, original.id, Correction(kind="replace", reason="99213 by mistake"))
    _drop(db, replacement, 1)
    with pytest.raises(Invalid, match="line 2 is still billed to the earlier payer"):
        _drop(db, later_replacement, 2)
    _drop(db, later_replacement, 1)
    assert [line.procedure_code for line in db.get(Claim, later_replacement.id).lines] == ["36415"]


def test_a_recoupment_by_the_payers_claim_number_posts_to_the_claim_the_payer_holds_not_its_draft_replacement(db):
    # The payer takes back its payment with a CLP01 that is not ours (its own recoupment number), naming the claim
    # by CLP07 alone. A replacement not sent yet carries the original's payer claim number (for REF*F8): the
    # payer means the original it paid, not the draft nobody sent.
    clinic, original, first, replacement = _paid_then_replaced(db, "Qzclp07")
    db.flush()
    assert replacement.payer_claim_number == db.get(Claim, original.id).payer_claim_number
    taken_back = reversal_of(first)
    taken_back.patient_control_number = "RECOUP0001"
    _post(db, clinic, [taken_back], "QZC072")
    on_lines = set(db.scalars(select(LinePosting.claim_line_id)))
    assert on_lines == {line.id for line in db.get(Claim, original.id).lines}
    _drop(db, db.get(Claim, replacement.id), 2, reason="lab line bundled (CO-97)")  # nothing posted to its lines


def test_the_originals_reversal_under_the_replacements_number_posts_when_the_replacement_dropped_a_line(db):
    # Payers answer a replacement by taking back the original's payment, often under the replacement's claim number
    # (CLP01), repeating the original's lines. The replacement dropped line 1, so that SVC (REF*6R "<original>-1")
    # is matched against the original's lines and posted there; the replacement's own answer then stands alone.
    clinic, original, replacement = _dropped_and_reversed_under_r(db, "Qzrvdrop")
    assert db.scalars(select(RemittanceException.message).where(
        RemittanceException.practice_id == clinic.practice.id)).all() == []
    reversed_lines = db.execute(select(LinePosting.claim_line_id, LinePosting.paid).join(ClaimPosting).where(
        ClaimPosting.claim_id == replacement.id, ClaimPosting.status_code == "22")
        .order_by(LinePosting.id)).all()
    assert reversed_lines == [(original.lines[0].id, D("-87.00")), (original.lines[1].id, D("-10.80"))]
    # the service now stands as the replacement's 18.00 line, paid 10.80 (CO-45 7.20): nothing open, nothing owed
    assert reports.insurance_aging(db, SYSTEM, PAID_ON, "practice", clinic.practice.id) == []
    assert patients.balances(db, SYSTEM, clinic.practice.id) == []


def _dropped_and_reversed_under_r(db, marker: str):
    """O paid 97.80 (60 % of each line: 87.00 + 10.80); its replacement R, without 99213, answered by O's reversal
    under R's number and R's own 10.80."""
    clinic = make_clinic(db, marker, patients=1)
    add_signed_agreement(db, clinic.practice)
    [original] = accepted_claims(db, clinic, 1, (("99213", "145.00"), ("36415", "18.00")))
    original = sent(db, original, "PCN", PAID_ON - timedelta(days=40))
    first = paid(original, patient=D("0"))
    _post(db, clinic, [first], f"{marker}1")
    replacement = service.correct(db, SYSTEM, original.id, Correction(kind="replace", reason="99213 not billable"))
    _drop(db, replacement, 1)
    replacement = sent(db, db.get(Claim, replacement.id), "ICNREPL", PAID_ON - timedelta(days=20))
    service.supersede_on_acceptance(db, SYSTEM, replacement)
    db.flush()
    taken_back = reversal_of(first)
    taken_back.patient_control_number = replacement.patient_control_number
    _post(db, clinic, [taken_back, paid(replacement, patient=D("0"))], f"{marker}2")
    return clinic, db.get(Claim, original.id), db.get(Claim, replacement.id)


def test_the_cob_decision_of_the_replacement_is_its_own_not_the_originals_reversal_on_its_lines(db):
    # The secondary is billed from R with R's decision (2320 AMT*D, 2430 per line): R paid 10.80 on its line 2
    # (36415, charge 18.00, CO-45 7.20 → 18.00 − 7.20 = 10.80). The 97.80 taken back is O's payment, not R's.
    # Actual: posted_decisions sums every posting on R, the reversal included: −97.80 + 10.80 = −87.00, and keys
    # lines by the posted claim line's number, O's: a line 1 (99213, −87.00, charge 0.00) R does not bill, and
    # line 2 = −10.80 + 10.80 = 0.00 — unbalanced, so bill_secondary(R) is refused ("does not balance").
    clinic, original, replacement = _dropped_and_reversed_under_r(db, "Qzrvcob")
    decision = cob.posted_decisions(db, [replacement.id])[replacement.id]
    assert decision.paid == D("10.80")
    assert {number: (line.procedure_code, line.paid) for number, line in decision.lines.items()} == {
        2: ("36415", D("10.80"))}
    assert decision.problems() == []
