"""835 auto-posting: matching, amounts, claim status, denials, reversals, PLB, exceptions."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

from sqlalchemy import func, select

from openmso.core.tenancy import SYSTEM
from openmso.rcm.claims.models import Claim, TimelineEntry
from openmso.rcm.contracts import service as contracts
from openmso.rcm.denials.models import DenialCase
from openmso.rcm.remittance.ingest import ingest_file
from openmso.rcm.remittance.models import (
    ClaimPosting,
    LinePosting,
    PatientLedgerEntry,
    ProviderAdjustmentEntry,
    Remittance,
    RemittanceException,
)
from openmso.x12 import Adjustment
from tests.rcm.conftest import make_clinic
from tests.rcm.remits import PAID_ON, accepted_claims, denied, paid, plb, render, transaction


def _post(db, *transactions, name="era.835"):
    return ingest_file(db, SYSTEM, name, render(*transactions))


def _exceptions(db):
    return db.scalars(select(RemittanceException).order_by(RemittanceException.id)).all()


def test_a_paid_claim_posts_paid_contractual_and_patient_share(db, clinic):
    (claim,) = accepted_claims(db, clinic, 1, lines=(("99213", "145.00"), ("36415", "20.00")))
    report = _post(db, transaction(clinic.practice, [paid(claim)]))
    assert (report.posted, report.claims, report.lines, report.exceptions) == (1, 1, 2, 0)
    posting = db.scalars(select(ClaimPosting)).one()
    # 145.00 × 0.60 = 87.00 allowed, 20.00 PR-2, 67.00 paid; 20.00 × 0.60 = 12.00 paid; CO-45 58.00 + 8.00
    assert (posting.paid, posting.contractual, posting.patient_responsibility, posting.other_adjustment) == (
        D("79.00"), D("66.00"), D("20.00"), D("0.00"))
    assert posting.outcome == "paid"
    lines = db.scalars(select(LinePosting).order_by(LinePosting.id)).all()
    assert [(lp.claim_line_id, lp.allowed, lp.adjustments) for lp in lines] == [
        (claim.lines[0].id, D("87.00"), "CO:45:58.00 PR:2:20.00"), (claim.lines[1].id, D("12.00"), "CO:45:8.00")]
    db.refresh(claim)
    assert claim.status == "paid"
    ledger = db.scalars(select(PatientLedgerEntry)).one()
    assert (ledger.patient_id, ledger.amount, ledger.kind) == (claim.patient_id, D("20.00"), "responsibility")
    assert db.scalar(select(TimelineEntry.event).where(TimelineEntry.claim_id == claim.id)
                     .order_by(TimelineEntry.id.desc()).limit(1)) == "pay"


def test_a_denied_claim_opens_a_denial_case_with_its_category_and_appeal_deadline(db, clinic):
    first, second = accepted_claims(db, clinic, 2)
    _post(db, transaction(clinic.practice, [denied(first, "CO", "197"), denied(second, "CO", "16", "MA130")]))
    cases = {c.claim_id: c for c in db.scalars(select(DenialCase))}
    assert cases[first.id].category == "authorization" and cases[first.id].amount == D("145.00")
    assert cases[first.id].appeal_deadline == PAID_ON + timedelta(days=180)  # commercial payer
    assert (cases[second.id].category, cases[second.id].suggested_action) == (
        "missing_information", "correct_and_resubmit")
    db.refresh(first)
    assert first.status == "denied"


def test_a_denied_line_makes_the_claim_partially_paid(db, clinic):
    (claim,) = accepted_claims(db, clinic, 1, lines=(("99213", "145.00"), ("93000", "40.00")))
    payment = paid(claim)
    bundled = payment.service_lines[1]
    bundled.paid, bundled.adjustments = D("0.00"), [Adjustment("CO", "97", D("40.00"))]
    payment.paid = payment.service_lines[0].paid
    _post(db, transaction(clinic.practice, [payment]))
    db.refresh(claim)
    assert claim.status == "partially_paid"
    case = db.scalars(select(DenialCase)).one()
    assert (case.category, case.amount, case.reasons) == ("coding", D("40.00"), "CO:97")


def test_lines_are_matched_by_procedure_when_the_payer_changed_the_code(db, clinic):
    (claim,) = accepted_claims(db, clinic, 1, lines=(("99214", "180.00"), ("36415", "20.00")))
    payment = paid(claim, control=False)
    changed = payment.service_lines[0]
    changed.original_procedure, changed.procedure = changed.procedure, type(changed.procedure)("HC", "99213")
    payment.service_lines.reverse()  # order in the 835 does not decide either
    report = _post(db, transaction(clinic.practice, [payment]))
    assert report.exceptions == 0
    rows = {lp.claim_line_id: lp for lp in db.scalars(select(LinePosting))}
    assert (rows[claim.lines[0].id].procedure_code, rows[claim.lines[0].id].submitted_code) == ("99213", "99214")
    assert rows[claim.lines[1].id].procedure_code == "36415"


def test_a_reversal_and_the_corrected_claim_after_it_net_to_the_new_payment(db, clinic):
    (claim,) = accepted_claims(db, clinic, 1)
    _post(db, transaction(clinic.practice, [paid(claim)], trace="EFT1"))
    reversal = paid(claim, status="22", sign=-1)
    corrected = paid(claim, share=D("0.70"))
    report = _post(db, transaction(clinic.practice, [reversal, corrected], trace="EFT2"))
    assert report.exceptions == 0
    outcomes = db.scalars(select(ClaimPosting.outcome).order_by(ClaimPosting.id)).all()
    assert outcomes == ["paid", "reversed", "paid"]
    total = db.execute(select(func.sum(ClaimPosting.paid), func.sum(ClaimPosting.contractual))).one()
    # 145 × 0.70 = 101.50 allowed − 20.00 PR = 81.50 paid; contractual 43.50 (reversal cancels 67.00 and 58.00)
    assert (total[0], total[1]) == (D("81.50"), D("43.50"))
    patient = db.scalar(select(func.sum(PatientLedgerEntry.amount)))
    assert patient == D("20.00")
    db.refresh(claim)
    assert claim.status == "paid"


def test_provider_level_adjustments_go_on_the_provider_ledger(db, clinic):
    (claim,) = accepted_claims(db, clinic, 1)
    adjustments = [plb(clinic.practice, "WO", "30.00", "OVERPAY123"), plb(clinic.practice, "L6", "-2.10")]
    remit = transaction(clinic.practice, [paid(claim)], plbs=adjustments)
    assert remit.payment.amount == D("67.00") - D("27.90")
    report = _post(db, remit)
    assert report.posted == 1
    ledger = db.scalars(select(ProviderAdjustmentEntry).order_by(ProviderAdjustmentEntry.id)).all()
    assert [(e.reason_code, e.reference, e.amount) for e in ledger] == [("WO", "OVERPAY123", D("30.00")),
                                                                        ("L6", "", D("-2.10"))]
    assert {e.practice_id for e in ledger} == {clinic.practice.id}


def test_an_unmatched_claim_goes_to_the_exceptions_queue_and_the_rest_posts(db, clinic):
    first, second = accepted_claims(db, clinic, 2)
    stranger = paid(first)
    stranger.patient_control_number, stranger.payer_claim_control_number = "NOSUCHCLAIM", "X1"
    report = _post(db, transaction(clinic.practice, [stranger, paid(second)]))
    assert (report.claims, report.exceptions) == (1, 1)
    (problem,) = _exceptions(db)
    assert (problem.kind, problem.patient_control_number, problem.location) == (
        "unmatched_claim", "NOSUCHCLAIM", "ST 0001 CLP 1")
    db.refresh(first)
    assert first.status == "payer_accepted"


def test_a_line_that_matches_nothing_holds_back_the_whole_claim(db, clinic):
    (claim,) = accepted_claims(db, clinic, 1)
    payment = paid(claim, control=False, code="99999")
    report = _post(db, transaction(clinic.practice, [payment]))
    assert (report.claims, _exceptions(db)[0].kind) == (0, "unmatched_line")
    assert "99999" in _exceptions(db)[0].message


def test_a_payment_to_the_wrong_practice_is_an_exception_seen_network_wide_only(db, clinic):
    other = make_clinic(db, "Qzwrong")
    (theirs,) = accepted_claims(db, other, 1)
    report = _post(db, transaction(clinic.practice, [paid(theirs)]))
    assert report.claims == 0
    (problem,) = _exceptions(db)
    assert (problem.kind, problem.practice_id) == ("wrong_practice", None)
    assert f"practice {other.practice.id}" in problem.message


def test_an_unbalanced_transaction_is_quarantined_whole_and_the_next_one_posts(db, clinic):
    first, second = accepted_claims(db, clinic, 2)
    wrong = transaction(clinic.practice, [paid(first)], trace="BAD", amount=D("999.99"), control="0001")
    right = transaction(clinic.practice, [paid(second)], trace="GOOD", control="0002")
    report = _post(db, wrong, right)
    assert (report.transactions, report.posted, report.quarantined, report.claims) == (2, 1, 1, 1)
    bad = db.scalars(select(Remittance).where(Remittance.trace_number == "BAD")).one()
    assert bad.status == "quarantined" and "BPR02 = Σ CLP04 − Σ PLB" in bad.error
    assert db.scalar(select(func.count()).select_from(ClaimPosting).where(ClaimPosting.claim_id == first.id)) == 0
    assert report.file.status == "partial"


def test_a_malformed_transaction_is_quarantined_with_its_location(db, clinic):
    first, second = accepted_claims(db, clinic, 2)
    content = render(transaction(clinic.practice, [paid(first)], trace="T1", control="0001"),
                     transaction(clinic.practice, [paid(second)], trace="T2", control="0002"))
    broken = content.replace(f"CLP*{first.patient_control_number}*1*".encode(),
                             f"CLP*{first.patient_control_number}*99*".encode())
    report = ingest_file(db, SYSTEM, "broken.835", broken)
    assert (report.posted, report.quarantined) == (1, 1)
    (problem,) = _exceptions(db)
    assert problem.kind == "malformed" and "CLP" in problem.location and "CLP02" in problem.message


def test_a_file_whose_envelope_breaks_posts_nothing_at_all(db, clinic):
    first, second = accepted_claims(db, clinic, 2)
    content = render(transaction(clinic.practice, [paid(first)], trace="T1", control="0001"),
                     transaction(clinic.practice, [paid(second)], trace="T2", control="0002"))
    truncated = content[:content.rindex(b"SE*")]
    report = ingest_file(db, SYSTEM, "cut.835", truncated)
    assert report.file.status == "quarantined" and report.posted == 0
    assert db.scalar(select(func.count()).select_from(ClaimPosting)) == 0
    assert db.scalar(select(func.count()).select_from(Remittance)) == 0


def test_reingesting_the_same_835_posts_nothing_twice(db, clinic):
    (claim,) = accepted_claims(db, clinic, 1)
    content = render(transaction(clinic.practice, [paid(claim)]))
    ingest_file(db, SYSTEM, "a.835", content)
    again = ingest_file(db, SYSTEM, "a-copy.835", content)
    assert again.duplicate
    resent = ingest_file(db, SYSTEM, "b.835", render(transaction(clinic.practice, [paid(claim)])))
    assert not resent.duplicate and resent.posted == 0
    assert db.scalars(select(Remittance.status).order_by(Remittance.id)).all() == ["posted", "duplicate"]
    assert db.scalar(select(func.count()).select_from(ClaimPosting)) == 1


def test_an_unknown_payee_is_an_exception(db, clinic):
    (claim,) = accepted_claims(db, clinic, 1)
    report = _post(db, transaction(clinic.practice, [paid(claim)], npi="1999999999"))
    assert report.claims == 0 and _exceptions(db)[0].kind == "unknown_payee"


def test_posted_lines_carry_the_contracted_allowed_amount(db, clinic):
    contracts.import_rates(db, SYSTEM, clinic.practice.id,
                           "payer,code,allowed_amount,effective_from\n60054,99213,95.00,2026-01-01\n")
    (claim,) = accepted_claims(db, clinic, 1)
    _post(db, transaction(clinic.practice, [paid(claim)]))
    line = db.scalars(select(LinePosting)).one()
    assert (line.allowed, line.expected_allowed) == (D("87.00"), D("95.00"))


def test_claims_not_yet_acknowledged_by_the_payer_are_accepted_then_paid(db, clinic):
    (claim,) = accepted_claims(db, clinic, 1)
    claim.status = "submitted"
    db.flush()
    _post(db, transaction(clinic.practice, [paid(claim)]))
    events = db.scalars(select(TimelineEntry.event).where(TimelineEntry.claim_id == claim.id)
                        .order_by(TimelineEntry.id)).all()
    assert events[-2:] == ["payer_accept", "pay"]
    assert db.get(Claim, claim.id).status == "paid"


def test_a_claim_paid_twice_in_one_payment_ends_with_its_last_status(db, clinic):
    claims = accepted_claims(db, clinic, 3)
    _post(db, transaction(clinic.practice, [denied(claims[0]), paid(claims[1]), paid(claims[0]), denied(claims[2]),
                                            paid(claims[2], share=D("0.50"))]))
    for claim in claims:
        events = db.scalars(select(TimelineEntry.event).where(TimelineEntry.claim_id == claim.id)
                            .order_by(TimelineEntry.id)).all()
        assert events[-1] == "pay" and db.get(Claim, claim.id).status == "paid"
    assert [db.scalars(select(TimelineEntry.event).where(TimelineEntry.claim_id == c.id)
                       .order_by(TimelineEntry.id)).all()[-2:] for c in (claims[0], claims[2])] == [["deny", "pay"]] * 2
