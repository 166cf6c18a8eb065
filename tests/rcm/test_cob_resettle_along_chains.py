"""Later payers' claims settled again along their correction chain when the primary re-adjudicates, with the
payer's reversals under a correction posted in earlier 835s or in the same one. Figures of
`test_cob_secondary_books`: primary 200.00, pays 120.00, CO-45 50.00, PR-2 30.00; re-adjudicated to 110.00 paid,
CO-45 50.00, PR-2 40.00 (share 30.00 -> 40.00). Secondary S pays 20.00 (PR 10.00), its replacement R 25.00
(PR 5.00). One carrier may hold both plans and send both in one 835
(`test_a_primary_and_secondary_corrected_in_one_835_settle_the_secondary_against_the_corrected_share`)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from openmso.rcm.claims.models import Claim
from tests.rcm.test_cob_corrected_later_claims import _accepted_correction
from tests.rcm.test_cob_replaced_secondary import ANSWER, ANSWER_AGAIN, _replaced_and_paid
from tests.rcm.test_cob_reversals_along_chains import _books_read
from tests.rcm.test_cob_secondary_books import PRIMARY, _balance, _books, _pay_secondary, _payment, _post

READJUDICATED = (("CO", "45", "50.00"), ("PR", "2", "40.00"))


def _paid_then_corrected(db, marker: str, kind: str = "replace", prefix: str = "RPL"):
    """S paid 20.00 (PR 10.00), then its replacement (or void) sent and accepted: (clinic, primary, correction)."""
    clinic, primary, secondary = _books(db, marker)
    _pay_secondary(db, clinic, secondary, "20.00", ANSWER, f"{marker}1")
    return clinic, primary, _accepted_correction(db, secondary, kind, prefix, date(2026, 11, 10))


def _primary_again(primary):
    return [_payment(primary, "120.00", PRIMARY, reversal=True), _payment(primary, "110.00", READJUDICATED)]


def test_originals_reversal_under_answered_replacement_in_the_primarys_835(db):
    # As test_a_primary_readjudicated_after_the_originals_reversal_under_the_replacement_resettles_the_replacement,
    # but the carrier sends S's 20.00 reversal under R in the same 835 as the primary's re-adjudication. R's 25.00
    # stands, S's 20.00 is taken back: the 40.00 share less R's 25.00 = 15.00 (same as in two 835s).
    clinic, _, replacement = _replaced_and_paid(db, "Qzrv1")
    primary = db.get(Claim, replacement.primary_claim_id)
    _post(db, clinic, [*_primary_again(primary), _payment(replacement, "20.00", ANSWER, reversal=True)],
          "Qzrv1X", payer_code="SX001")
    assert _books_read(db, clinic) == (D("15.00"), [], (D("0.00"), D("0.00")), (D("0.00"), D("15.00")), D("0.00"))


def test_originals_reversal_under_unanswered_replacement_in_the_primarys_835(db):
    # As test_a_primary_readjudicated_after_the_originals_reversal_under_an_unanswered_replacement, in one 835:
    # S's 20.00 is taken back under R (unanswered), so no payment of the secondary settles the 40.00 share; the
    # patient ledger holds the whole 40.00 (pending the secondary's answer on R, as the agings read it).
    clinic, primary, replacement = _paid_then_corrected(db, "Qzrv2")
    _post(db, clinic, [*_primary_again(primary), _payment(replacement, "20.00", ANSWER, reversal=True)],
          "Qzrv2X", payer_code="SX001")
    assert _balance(db, clinic) == D("40.00")


def test_replacement_paid_and_originals_reversal_under_it_in_the_primarys_835(db):
    # one 835: R answered 25.00 (PR 5.00), S's 20.00 reversed under R, then the primary re-adjudicated (40.00).
    # R stands with 25.00; S's 20.00 is gone: 40.00 - 25.00 = 15.00
    clinic, primary, replacement = _paid_then_corrected(db, "Qzrv3")
    # R is answered (against the 30.00 share) before the primary's CLPs, as in two 835s: R's decision takes off
    # nothing beyond its payment (30.00 - 25.00 = its PR 5.00), so settling again applies 25.00 to 40.00: 15.00
    _post(db, clinic, [_payment(replacement, "25.00", ANSWER_AGAIN),
                       _payment(replacement, "20.00", ANSWER, reversal=True), *_primary_again(primary)],
          "Qzrv3X", payer_code="SX001")
    assert _books_read(db, clinic) == (D("15.00"), [], (D("0.00"), D("0.00")), (D("0.00"), D("15.00")), D("0.00"))


def test_void_answered_with_originals_reversal_in_the_primarys_835(db):
    # S paid 20.00, a void V of S accepted; one 835: primary re-adjudicated (40.00) and S's 20.00 reversed under
    # V. The secondary is withdrawn and paid nothing: the patient owes the primary's whole 40.00
    clinic, primary, void = _paid_then_corrected(db, "Qzrv4", "void", "VD")
    _post(db, clinic, [*_primary_again(primary), _payment(void, "20.00", ANSWER, reversal=True)],
          "Qzrv4X", payer_code="SX001")
    assert _books_read(db, clinic)[:3] == (D("40.00"), [], (D("0.00"), D("0.00")))


# in separate 835s


def test_void_answered_with_originals_reversal_then_primary_readjudicated(db):
    clinic, primary, secondary = _books(db, "Qzrv5")
    _pay_secondary(db, clinic, secondary, "20.00", ANSWER, "Qzrv51")
    void = _accepted_correction(db, secondary, "void", "VD", date(2026, 11, 10))
    _pay_secondary(db, clinic, void, "20.00", ANSWER, "Qzrv52", reversal=True)
    _post(db, clinic, _primary_again(primary), "Qzrv5X")
    assert _books_read(db, clinic)[:3] == (D("40.00"), [], (D("0.00"), D("0.00")))


def test_three_claim_chain_originals_reversal_under_second_replacement_then_primary(db):
    # S 20.00, R1 25.00 (S flagged), R2 of R1 accepted, unanswered; S's 20.00 reversed under R2. R1 stands: 15.00
    clinic, _, r1 = _replaced_and_paid(db, "Qzrv6")
    r2 = _accepted_correction(db, r1, "replace", "RPB", date(2026, 11, 12))
    _pay_secondary(db, clinic, r2, "20.00", ANSWER, "Qzrv6R", reversal=True)
    assert _balance(db, clinic) == D("5.00")
    primary = db.get(Claim, r1.primary_claim_id)
    _post(db, clinic, _primary_again(primary), "Qzrv6X")
    assert _books_read(db, clinic)[:3] == (D("15.00"), [], (D("0.00"), D("0.00")))


def test_void_of_answered_replacement_answered_with_its_reversal_then_primary(db):
    # S 20.00, R 25.00, S's 20.00 reversed under R; V voids R and is answered with R's 25.00 reversed under V:
    # nothing the secondary paid stands; the primary's 40.00 is the patient's
    clinic, _, replacement = _replaced_and_paid(db, "Qzrv7")
    _pay_secondary(db, clinic, replacement, "20.00", ANSWER, "Qzrv7R", reversal=True)
    void = _accepted_correction(db, replacement, "void", "VD", date(2026, 11, 12))
    _pay_secondary(db, clinic, void, "25.00", ANSWER_AGAIN, "Qzrv7V", reversal=True)
    before = _books_read(db, clinic)
    primary = db.get(Claim, replacement.primary_claim_id)
    _post(db, clinic, _primary_again(primary), "Qzrv7X")
    assert before[0] == D("30.00")
    assert _books_read(db, clinic)[:3] == (D("40.00"), [], (D("0.00"), D("0.00")))


def test_reversal_amount_matching_both_claims_then_primary(db):
    # S 20.00 (PR 10.00), R 20.00 (PR 10.00), then -20.00 under R: it is R's own payment exactly (`reversals`
    # prefers it), so S's decision stands again (patient 10.00). The primary then leaves 40.00: S's 20.00 settles
    # it again, 40.00 - 20.00 = 20.00, nothing to refund, the secondary owes nothing
    clinic, primary, secondary = _books(db, "Qzrv8")
    _pay_secondary(db, clinic, secondary, "20.00", ANSWER, "Qzrv8A")
    replacement = _accepted_correction(db, secondary, "replace", "RPL", date(2026, 11, 10))
    _pay_secondary(db, clinic, replacement, "20.00", ANSWER, "Qzrv8B")
    _pay_secondary(db, clinic, replacement, "20.00", ANSWER, "Qzrv8C", reversal=True)
    assert _balance(db, clinic) == D("10.00")
    _post(db, clinic, _primary_again(primary), "Qzrv8X")
    assert _books_read(db, clinic)[:3] == (D("20.00"), [], (D("0.00"), D("0.00")))
