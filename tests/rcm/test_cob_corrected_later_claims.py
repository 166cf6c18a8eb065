"""A later payer's claim corrected (replaced, voided) while the patient's share moves: the ledger, the refund flags
and the three A/R readers agree. Figures of `test_cob_secondary_books`: a 200.00 claim served 2026-10-01, the primary
paid 120.00 on 2026-11-02 (CO-45 50.00, PR-2 30.00); the secondary billed 2026-11-03 pays 20.00 (PR-2 10.00), a
replacement of it 25.00 (PR-2 5.00)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from openmso.core.tenancy import SYSTEM
from openmso.rcm.ar import facts
from openmso.rcm.claims import service
from openmso.rcm.claims.models import Claim
from openmso.rcm.claims.schemas import Correction
from tests.factories import add_payer, add_plan
from tests.rcm.test_cob_replaced_secondary import ANSWER, ANSWER_AGAIN, _flags, _replaced_and_paid
from tests.rcm.test_cob_secondary_books import (
    AS_OF,
    PRIMARY,
    _balance,
    _books,
    _pay_secondary,
    _payment,
    _post,
    sent,
)
from tests.rcm.test_next_plan_holds import _insurance
from tests.rcm.test_pending_insurance import _totals


def _open(db, clinic) -> D:
    """The KPIs' open insurance balance of the (one) service at AS_OF."""
    [history] = facts.load_histories(db, [clinic.practice.id], date(2026, 10, 1), AS_OF)
    return history.facts_at(AS_OF).open_balance


def _accepted_correction(db, claim, kind: str, prefix: str, on: date) -> Claim:
    """A replacement or void of `claim` sent on `on` and accepted by its payer, which closes `claim`."""
    correction = sent(db, service.correct(db, SYSTEM, claim.id, Correction(kind=kind, reason="corrected")), prefix, on)
    service.supersede_on_acceptance(db, SYSTEM, correction)
    db.flush()
    db.expire_all()
    return db.get(Claim, correction.id)


def test_primary_readjudicated_after_a_replaced_secondary_paid_does_not_apply_both_payments(db):
    clinic, original, replacement = _replaced_and_paid(db, "Qzrvw2")
    primary = db.get(Claim, original.primary_claim_id)
    assert _balance(db, clinic) == D("5.00")
    # the primary takes back its decision and sends the same one again (CLP02 22 + CLP02 1 in one 835)
    _post(db, clinic, [_payment(primary, "120.00", PRIMARY, reversal=True),
                       _payment(primary, "120.00", PRIMARY)], "Qzrvw2P")
    assert _balance(db, clinic) == D("5.00")  # the share is 30.00 again; only R's 25.00 settles it
    # the 20.00 paid on S still settles nothing: it stays to refund
    assert [(status, amount) for _, status, amount in _flags(db, clinic) if status == "open"] == [("open", D("20.00"))]


def test_the_payer_answering_a_void_with_a_reversal_under_the_voids_number_flags_nothing_to_refund(db):
    clinic, primary, secondary = _books(db, "Qzrvw3")
    _pay_secondary(db, clinic, secondary, "20.00", ANSWER, "Qzrvw3A")
    void = sent(db, service.correct(db, SYSTEM, secondary.id, Correction(kind="void", reason="wrong plan")),
                "SECV", date(2026, 11, 10))
    # the payer answers the void: it takes back its 20.00 (CLP02 22 on the void's claim)
    _pay_secondary(db, clinic, void, "20.00", ANSWER, "Qzrvw3V", reversal=True)
    assert _insurance(db, clinic) == (D("0.00"), D("0.00"))  # the payer took its 20.00 back: nothing owed back
    assert _balance(db, clinic) == D("30.00")  # withdrawn: the primary's share is the patient's
    assert [f for f in _flags(db, clinic) if f[1] == "open"] == []  # nothing to refund


def test_a_secondary_voided_and_closed_on_acceptance_reads_the_same_on_a_day_before_the_void(db):
    clinic, primary, secondary = _books(db, "Qzrvw5")
    _pay_secondary(db, clinic, secondary, "20.00", ANSWER, "Qzrvw5A")
    day = date(2026, 11, 9)
    before = (_totals(db, clinic, day), _insurance(db, clinic, day))
    assert before == ((D("0.00"), D("10.00")), (D("0.00"), D("0.00")))  # S answered: 10.00 the patient's
    # the payer accepted the void: the secondary is closed
    _accepted_correction(db, secondary, "void", "SECV", date(2026, 11, 10))
    after = (_totals(db, clinic, day), _insurance(db, clinic, day))
    assert after == before  # the books of 2026-11-09, before the void was sent, read the same


def test_replacement_of_a_replacement(db):
    clinic, original, first = _replaced_and_paid(db, "Qzrvw7")
    second = _accepted_correction(db, first, "replace", "RP2", date(2026, 11, 12))
    _pay_secondary(db, clinic, second, "28.00", [("OA", "23", "170.00"), ("PR", "2", "2.00")], "Qzrvw7B")
    assert _balance(db, clinic) == D("2.00")
    assert _insurance(db, clinic) == (D("0.00"), D("45.00"))
    assert [(a, s) for _, s, a in _flags(db, clinic)] == [(D("20.00"), "open"), (D("25.00"), "open")]
    assert _open(db, clinic) == D("0.00")


def test_replacement_payment_and_original_reversal_in_one_piece_either_order(db):
    for order in ("reversal first", "payment first"):
        marker = "Qzrvw8" + order[0]
        clinic, _, secondary = _books(db, marker)
        _pay_secondary(db, clinic, secondary, "20.00", ANSWER, f"{marker}1")
        replacement = _accepted_correction(db, secondary, "replace", "RPL", date(2026, 11, 10))
        secondary = db.get(Claim, secondary.id)
        pieces = [_payment(secondary, "20.00", ANSWER, reversal=True), _payment(replacement, "25.00", ANSWER_AGAIN)]
        if order == "payment first":
            pieces.reverse()
        _post(db, clinic, pieces, f"{marker}2", payer_code="SX001")
        assert _balance(db, clinic) == D("5.00"), order
        assert _insurance(db, clinic) == (D("0.00"), D("0.00")), order
        assert [f for f in _flags(db, clinic) if f[1] == "open"] == [], order


def test_replacement_answered_with_the_originals_reversal_under_its_own_number(db):
    # the payer's 835 for the replacement: CLP02 22 taking back the original's 20.00, then CLP02 1 paying 25.00,
    # both under the replacement's claim number
    clinic, _, secondary = _books(db, "Qzrvw9")
    _pay_secondary(db, clinic, secondary, "20.00", ANSWER, "Qzrvw91")
    replacement = _accepted_correction(db, secondary, "replace", "RPL", date(2026, 11, 10))
    _post(db, clinic, [_payment(replacement, "20.00", ANSWER, reversal=True),
                       _payment(replacement, "25.00", ANSWER_AGAIN)], "Qzrvw92", payer_code="SX001")
    assert _balance(db, clinic) == D("5.00")
    assert _insurance(db, clinic) == (D("0.00"), D("0.00"))  # the 20.00 was taken back: nothing owed back
    assert [f for f in _flags(db, clinic) if f[1] == "open"] == []  # so nothing to refund


def test_a_tertiary_waiting_after_its_secondary_was_voided(db):
    clinic, primary, secondary = _books(db, "Qzrvw10")
    third = add_payer(db, "TX001", "Third Benefit")
    add_plan(db, primary.patient_id, third.id, "TER123", 3)
    _pay_secondary(db, clinic, secondary, "20.00", ANSWER, "Qzrvw10A")
    sent(db, service.bill_secondary(db, SYSTEM, secondary.id), "TER", date(2026, 11, 10))
    _accepted_correction(db, secondary, "void", "SECV", date(2026, 11, 12))
    assert _totals(db, clinic, date(2026, 11, 11)) == (D("10.00"), D("0.00"))  # the tertiary asked for S's 10.00
    assert _totals(db, clinic, AS_OF)[0] == D("0.00")
    [history] = facts.load_histories(db, [clinic.practice.id], date(2026, 10, 1), AS_OF)
    assert history.facts_at(date(2026, 11, 11)).open_balance == D("10.00")
    assert history.facts_at(AS_OF).open_balance == _totals(db, clinic, AS_OF)[0]


def test_a_replacement_reversed_later_lets_the_originals_decision_stand_again(db):
    # the payer reverses the replacement's 25.00 (CLP02 22 under its number) and never the original's 20.00: what
    # stands at the payer is the original's decision again (20.00 paid, PR-2 10.00), so the patient owes 10.00, the
    # original's 20.00 settles the share again (its refund flag closes) and insurance owes nothing either way
    clinic, original, replacement = _replaced_and_paid(db, "Qzrvw1")
    _pay_secondary(db, clinic, replacement, "25.00", ANSWER_AGAIN, "Qzrvw1R", reversal=True)
    assert _balance(db, clinic) == D("10.00")  # was 30.00
    assert _insurance(db, clinic) == (D("0.00"), D("0.00"))
    assert [(status, amount) for _, status, amount in _flags(db, clinic)] == [("resolved", D("20.00"))]
    assert _totals(db, clinic, AS_OF) == (D("0.00"), D("10.00"))
    assert _open(db, clinic) == D("0.00")



def _open_flags(db, clinic):
    return [amount for _, status, amount in _flags(db, clinic) if status == "open"]


def test_original_reversal_then_replacement_reversal_in_one_835_leaves_the_whole_share_to_the_patient(db):
    # S paid 20.00, R paid 25.00 (S's 20.00 flagged). One 835 reverses S's 20.00 and then R's 25.00: nothing the
    # secondary decided stands, it holds no money; the patient owes the primary's 30.00 and nothing is flagged
    clinic, original, replacement = _replaced_and_paid(db, "Qzr2k")
    _post(db, clinic, [_payment(original, "20.00", ANSWER, reversal=True),
                       _payment(replacement, "25.00", ANSWER_AGAIN, reversal=True)], "Qzr2k3", payer_code="SX001")
    assert _open_flags(db, clinic) == []
    assert _insurance(db, clinic) == (D("30.00"), D("0.00"))  # the secondary waits again for the 30.00 share
    assert _balance(db, clinic) == D("30.00")  # was 10.00: S's reversed 20.00 applied again


def test_primary_readjudicated_after_a_replacement_of_an_unanswered_replacement_was_paid(db):
    # S paid 20.00; R replaces S, R2 replaces R before the payer answers R; R2 pays 28.00 (PR 2.00): S's 20.00 settles
    # no share (flagged). The primary sends its same decision again (CLP02 22 + CLP02 1): the share is 30.00 again,
    # only R2's 28.00 settles it; the patient owes 2.00 and S's 20.00 stays flagged
    clinic, primary, secondary = _books(db, "Qzr2n")
    _pay_secondary(db, clinic, secondary, "20.00", ANSWER, "Qzr2n1")
    first = _accepted_correction(db, secondary, "replace", "RPL", date(2026, 11, 10))
    second = _accepted_correction(db, first, "replace", "RP2", date(2026, 11, 12))
    _pay_secondary(db, clinic, second, "28.00", [("OA", "23", "170.00"), ("PR", "2", "2.00")], "Qzr2n2")
    assert (_balance(db, clinic), _open_flags(db, clinic)) == (D("2.00"), [D("20.00")])
    _post(db, clinic, [_payment(primary, "120.00", PRIMARY, reversal=True),
                       _payment(primary, "120.00", PRIMARY)], "Qzr2nP")
    assert _insurance(db, clinic) == (D("0.00"), D("20.00"))
    assert (_balance(db, clinic), _open_flags(db, clinic)) == (D("2.00"), [D("20.00")])  # was -18.00, no flag


def test_primary_readjudicated_after_replacement_reversed_and_replaced_again(db):
    # S paid 20.00, R paid 25.00, R reversed (S's decision stands again: patient 10.00), R2 replaces R and pays 28.00
    # (PR 2.00): S's 20.00 is flagged again, patient 2.00. The primary's same decision sent again changes nothing
    clinic, original, first = _replaced_and_paid(db, "Qzr2m")
    _pay_secondary(db, clinic, first, "25.00", ANSWER_AGAIN, "Qzr2m3", reversal=True)
    second = _accepted_correction(db, first, "replace", "RP2", date(2026, 11, 12))
    _pay_secondary(db, clinic, second, "28.00", [("OA", "23", "170.00"), ("PR", "2", "2.00")], "Qzr2m4")
    assert (_balance(db, clinic), _open_flags(db, clinic)) == (D("2.00"), [D("20.00")])
    primary = db.get(Claim, original.primary_claim_id)
    _post(db, clinic, [_payment(primary, "120.00", PRIMARY, reversal=True),
                       _payment(primary, "120.00", PRIMARY)], "Qzr2mP")
    assert _insurance(db, clinic) == (D("0.00"), D("20.00"))
    assert (_balance(db, clinic), _open_flags(db, clinic)) == (D("2.00"), [D("20.00")])  # was -18.00, no flag
