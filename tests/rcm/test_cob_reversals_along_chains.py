"""A payer's reversal posted under a correction (a replacement, a void) that takes back what it paid on the claim
the correction replaces, read along the correction chain: the ledger, the refund flags, both agings, the KPIs and
the underpayment worklist agree. Figures of `test_cob_replaced_secondary`: the secondary paid 20.00 on S (PR-2
10.00), its replacement R 25.00 (PR-2 5.00), of a 30.00 share the primary left."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from openmso.core.tenancy import SYSTEM
from openmso.rcm.ar import underpaid
from openmso.rcm.claims.models import Claim
from openmso.rcm.contracts import service as contracts
from tests.factories import add_signed_agreement
from tests.rcm.conftest import make_clinic
from tests.rcm.remits import accepted_claims
from tests.rcm.test_cob_corrected_later_claims import _accepted_correction, _open, _open_flags
from tests.rcm.test_cob_replaced_secondary import ANSWER, ANSWER_AGAIN, _replaced_and_paid
from tests.rcm.test_cob_secondary_books import AS_OF, PRIMARY, _balance, _books, _pay_secondary, _payment, _post
from tests.rcm.test_next_plan_holds import _insurance
from tests.rcm.test_pending_insurance import _totals


def _books_read(db, clinic):
    """(ledger balance, open refund flags, insurance aging (A/R, credits), (insurance, patient) agings, KPI open)."""
    return (_balance(db, clinic), _open_flags(db, clinic), _insurance(db, clinic), _totals(db, clinic, AS_OF),
            _open(db, clinic))


def test_the_replacements_payment_then_the_originals_reversal_under_its_number_in_one_835(db):
    # S paid 20.00 earlier; one 835 pays R 25.00 (PR 5.00), then reverses S's 20.00 under R's number
    clinic, _, secondary = _books(db, "Qzrev1")
    _pay_secondary(db, clinic, secondary, "20.00", ANSWER, "Qzrev11")
    replacement = _accepted_correction(db, secondary, "replace", "RPL", date(2026, 11, 10))
    _post(db, clinic, [_payment(replacement, "25.00", ANSWER_AGAIN),
                       _payment(replacement, "20.00", ANSWER, reversal=True)], "Qzrev12", payer_code="SX001")
    # the readers take S's 20.00 back along the chain: R stands, the patient owes 5.00; the ledger must agree
    assert _books_read(db, clinic) == (D("5.00"), [], (D("0.00"), D("0.00")), (D("0.00"), D("5.00")), D("0.00"))


def test_the_replacement_reversed_after_the_originals_payment_was_reversed_under_its_number(db):
    # S 20.00, R 25.00, S's 20.00 reversed under R (patient 5.00), then a later 835 reverses
    # R's own 25.00: nothing the secondary decided stands any more (as when both are reversed in one 835:
    # test_original_reversal_then_replacement_reversal_in_one_835_leaves_the_whole_share_to_the_patient)
    clinic, original, replacement = _replaced_and_paid(db, "Qzrev2")
    _pay_secondary(db, clinic, replacement, "20.00", ANSWER, "Qzrev23", reversal=True)
    assert _balance(db, clinic) == D("5.00")
    _pay_secondary(db, clinic, replacement, "25.00", ANSWER_AGAIN, "Qzrev24", reversal=True)
    assert _books_read(db, clinic) == (D("30.00"), [], (D("30.00"), D("0.00")), (D("30.00"), D("0.00")), D("30.00"))


def test_a_void_of_the_replacement_answered_with_the_originals_reversal_closes_the_originals_flag(db):
    clinic, original, replacement = _replaced_and_paid(db, "Qzrev4")
    void = _accepted_correction(db, replacement, "void", "VD", date(2026, 11, 12))
    _pay_secondary(db, clinic, void, "20.00", ANSWER, "Qzrev43", reversal=True)
    # withdrawn: the patient owes the primary's 30.00; R's 25.00 is owed back (once), S's 20.00 was taken back
    assert _books_read(db, clinic)[:3] == (D("30.00"), [], (D("0.00"), D("25.00")))


def test_the_underpayment_worklist_reads_a_primary_reversal_under_the_replacement_as_the_agings_do(db):
    clinic = make_clinic(db, "Qzrev8", patients=1)
    add_signed_agreement(db, clinic.practice)
    contracts.import_rates(db, SYSTEM, clinic.practice.id,
                           "payer,code,allowed_amount,effective_from\n60054,99213,160.00,2026-01-01\n")
    [original] = accepted_claims(db, clinic, 1, (("99213", "200.00"),))
    _post(db, clinic, [_payment(original, "120.00", PRIMARY)], "Qzrev81")  # allowed 150.00: 10.00 short
    replacement = _accepted_correction(db, db.get(Claim, original.id), "replace", "PRP", date(2026, 11, 10))
    _post(db, clinic, [_payment(replacement, "125.00", (("CO", "45", "45.00"), ("PR", "2", "30.00")))],
          "Qzrev82")  # allowed 155.00: 5.00 short
    # the payer takes back the original's 120.00 under the replacement's number: R's decision stands (A/R, KPIs)
    _post(db, clinic, [_payment(replacement, "120.00", PRIMARY, reversal=True)], "Qzrev83")
    lines = underpaid.underpaid_lines(db, [clinic.practice.id], D("1.00"))
    assert [(line.claim_id, line.difference) for line in lines] == [(replacement.id, D("5.00"))]


def test_a_primary_readjudicated_after_the_originals_reversal_under_the_replacement_resettles_the_replacement(db):
    # S 20.00, R 25.00 (PR 5.00), S's 20.00 taken back under R: R stands with 25.00 of the payer's money. Then the
    # primary re-adjudicates, leaving the patient 40.00 instead of 30.00: R's 25.00 settles the new share again
    # (patient 15.00), as the agings read the chain, not R's own postings alone (25.00 − 20.00 = 5.00: 35.00)
    clinic, _, replacement = _replaced_and_paid(db, "Qzrev9")
    _pay_secondary(db, clinic, replacement, "20.00", ANSWER, "Qzrev93", reversal=True)
    primary = db.get(Claim, replacement.primary_claim_id)
    _post(db, clinic, [_payment(primary, "120.00", PRIMARY, reversal=True),
                       _payment(primary, "110.00", (("CO", "45", "50.00"), ("PR", "2", "40.00")))], "Qzrev94")
    assert _books_read(db, clinic) == (D("15.00"), [], (D("0.00"), D("0.00")), (D("0.00"), D("15.00")), D("0.00"))


def test_a_primary_readjudicated_after_the_originals_reversal_under_an_unanswered_replacement(db):
    # S paid 20.00; its replacement R is with the payer, unanswered, when the payer takes S's 20.00 back under R's
    # number. The primary then leaves the patient 40.00 instead of 30.00: S's 20.00 is gone, so none of it settles
    # the new share again (read claim by claim, S's own postings still showed it paid: 20.00 applied)
    clinic, primary, secondary = _books(db, "Qzrev10")
    _pay_secondary(db, clinic, secondary, "20.00", ANSWER, "Qzrev101")
    replacement = _accepted_correction(db, secondary, "replace", "RPL", date(2026, 11, 10))
    _pay_secondary(db, clinic, replacement, "20.00", ANSWER, "Qzrev102", reversal=True)
    before = _books_read(db, clinic)
    _post(db, clinic, [_payment(primary, "120.00", PRIMARY, reversal=True),
                       _payment(primary, "110.00", (("CO", "45", "50.00"), ("PR", "2", "40.00")))], "Qzrev103")
    after = _books_read(db, clinic)
    assert before[0] == D("30.00") and after[0] == D("40.00")  # the ledger: the whole share, nobody paid any of it
    assert after[1] == [] and after[3] == (before[3][0] + 10, before[3][1])  # R's answer holds the share
