"""COB when the primary changes its decision after the secondary paid the patient's share.

The hand-worked claim of `test_cob_secondary_books`: charge 200.00, the primary pays 120.00, CO-45 50.00, PR-2
30.00; the secondary pays the 30.00 and reports the primary's 170.00 as OA-23. Then the primary reverses its
claim payment (CLP02 22: −120.00, CO-45 −50.00, PR-2 −30.00).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

from sqlalchemy import select

from openmso.core.tenancy import SYSTEM
from openmso.rcm.ar import facts, patients, reports
from openmso.rcm.remittance.models import RemittanceException
from tests.rcm.test_cob_secondary_books import (
    AS_OF,
    PRIMARY,
    _balance,
    _books,
    _entries,
    _pay_secondary,
    _payment,
    _post,
)


def _flags(db) -> list[RemittanceException]:
    return list(db.scalars(select(RemittanceException).where(RemittanceException.kind == "cob_overpayment")))


def test_a_primary_reversed_alone_after_the_secondary_paid_flags_the_secondarys_money_not_a_patient_refund(db):
    clinic, primary, secondary = _books(db, "Qzcobprev")
    _pay_secondary(db, clinic, secondary, "30.00", [("OA", "23", "170.00")], "SECPREV1")
    _post(db, clinic, [_payment(primary, "120.00", PRIMARY, reversal=True)], "PPREV2")
    # the patient's 30.00 share is gone with the primary's decision: the secondary's 30.00 settles nothing now
    assert _balance(db, clinic) == D("0.00")  # was −30.00, a credit shown as a refund due to the patient
    assert patients.aging(db, SYSTEM, AS_OF, clinic.practice.id) == []
    assert _entries(db, secondary) == [("payer_payment", D("-30.00")), ("payer_payment", D("30.00"))]
    [flag] = _flags(db)
    assert (flag.amount, flag.status, flag.patient_control_number) == (
        D("30.00"), "open", secondary.patient_control_number)
    assert "30.00 of the 30.00 the later payer paid" in flag.message and "now 0.00" in flag.message
    # insurance A/R: the primary owes its whole decision again (200 − 120 + 120 − 50 + 50 = 200.00 open, the
    # patient's share included, since no share stands); the secondary's decision stands: 200 − 30 − 170 = 0
    (row,) = reports.insurance_aging(db, SYSTEM, AS_OF, "practice", clinic.practice.id)
    assert (row.aging.total, row.aging.credits) == (D("200.00"), D("0.00"))
    # the primary's corrected payment puts the 30.00 share back: the secondary's money is applied to it again
    _post(db, clinic, [_payment(primary, "120.00", PRIMARY)], "PPREV3")
    assert _balance(db, clinic) == D("0.00")  # 30 − 30 (the share again) − 30 (the secondary's payment again)
    assert _entries(db, secondary) == [("payer_payment", D("-30.00")), ("payer_payment", D("30.00")),
                                       ("payer_payment", D("-30.00"))]
    [flag] = _flags(db)  # nothing new to flag, and the first is closed: its money settles the share again
    assert (flag.status, flag.resolved_by) == ("resolved", SYSTEM.username)
    assert "settled again against the patient's share; none of it is left to refund" in flag.resolution
    assert reports.insurance_aging(db, SYSTEM, AS_OF, "practice", clinic.practice.id) == []


def test_a_primary_reversed_and_corrected_in_one_835_moves_nothing_on_the_secondarys_side(db):
    clinic, primary, secondary = _books(db, "Qzcobpfix")
    _pay_secondary(db, clinic, secondary, "30.00", [("OA", "23", "170.00")], "SECPFIX1")
    _post(db, clinic, [_payment(primary, "120.00", PRIMARY, reversal=True),
                       _payment(primary, "120.00", PRIMARY)], "PPFIX2")
    assert _entries(db, secondary) == [("payer_payment", D("-30.00"))]  # the share is 30.00 again: no entry
    assert _flags(db) == [] and _balance(db, clinic) == D("0.00")


def test_a_primary_corrected_to_a_smaller_patient_share_flags_what_the_secondary_paid_beyond_it(db):
    clinic, primary, secondary = _books(db, "Qzcobpless")
    _pay_secondary(db, clinic, secondary, "30.00", [("OA", "23", "170.00")], "SECPLESS1")
    # the primary pays 10.00 more on review: PR-2 20.00; the secondary's 30.00 now exceeds the share by 10.00
    _post(db, clinic, [_payment(primary, "120.00", PRIMARY, reversal=True),
                       _payment(primary, "130.00", (("CO", "45", "50.00"), ("PR", "2", "20.00")))], "PPLESS2")
    assert _balance(db, clinic) == D("0.00")  # 30 − 30 + 20 (the new share) − 30 + 10 (paid beyond it)
    assert _entries(db, secondary) == [("payer_payment", D("-30.00")), ("payer_payment", D("10.00"))]
    [flag] = _flags(db)
    assert flag.amount == D("10.00") and "now 20.00" in flag.message


def test_kpis_of_a_primary_reversed_alone_count_the_secondarys_cash_but_not_its_stale_oa_23_as_written_off(db):
    clinic, primary, secondary = _books(db, "Qzcobpkpi")
    primary.submitted_at = datetime(2026, 10, 2, 9, tzinfo=UTC)  # billed, so its open balance counts
    db.flush()
    _pay_secondary(db, clinic, secondary, "30.00", [("OA", "23", "170.00")], "SECPKPI1")
    _post(db, clinic, [_payment(primary, "120.00", PRIMARY, reversal=True)], "PPKPI2")
    october, november = facts.kpi_trend(db, SYSTEM, AS_OF, 2, clinic.practice.id)
    # payments 120 − 120 + 30 = 30.00; nothing written off: the OA-23 170.00 repeats a decision now reversed
    assert october.values["gross_collection_rate"] == D("15.0")  # 30 / 200
    assert october.values["net_collection_rate"] == D("15.0")  # 30 / (200 − 0); was 100.0: 30 / (200 − 170)
    # the primary's 200.00 open × the 51 days since the book's first service (Oct 1 – Nov 20) / 200.00 of charges
    assert november.values["days_in_ar"] == D("51.0")


def test_kpis_count_a_claim_loaded_billed_without_a_submission_open_as_the_aging_does(db):
    clinic, primary, secondary = _books(db, "Qzcobpunst")  # the primary has no submission stamp: loaded accepted
    _pay_secondary(db, clinic, secondary, "30.00", [("OA", "23", "170.00")], "SECPUNST1")
    _post(db, clinic, [_payment(primary, "120.00", PRIMARY, reversal=True)], "PPUNST2")
    assert primary.submitted_at is None
    (row,) = reports.insurance_aging(db, SYSTEM, AS_OF, "practice", clinic.practice.id)
    assert row.aging.total == D("200.00")  # billed, as the aging reads it, from its date of service
    november = facts.kpi_trend(db, SYSTEM, AS_OF, 2, clinic.practice.id)[-1]
    # the same 200.00 open as when stamped (above); it was 0.00: the KPIs took the claim as never billed
    assert november.values["days_in_ar"] == D("51.0")


def test_a_secondary_paid_before_the_primarys_reversal_in_the_same_835_is_settled_again_after_it(db):
    clinic, primary, secondary = _books(db, "Qzcobpord")
    _post(db, clinic, [_payment(secondary, "30.00", [("OA", "23", "170.00")]),
                       _payment(primary, "120.00", PRIMARY, reversal=True)], "PPORD1")
    # the secondary's 30.00 first settles the 30.00 share, then the primary takes the share back
    assert _balance(db, clinic) == D("0.00")  # was −30.00: the secondary posted first was not settled again
    assert _entries(db, secondary) == [("payer_payment", D("-30.00")), ("payer_payment", D("30.00"))]
    assert [flag.amount for flag in _flags(db)] == [D("30.00")]


def test_a_primary_corrected_to_a_larger_share_leaves_the_patient_what_the_secondary_did_not_pay(db):
    clinic, primary, secondary = _books(db, "Qzcobpmore")
    _pay_secondary(db, clinic, secondary, "30.00", [("OA", "23", "170.00")], "SECPMORE1")
    # the primary pays 10.00 less on review: PR-2 40.00; the secondary decided on 30.00 and paid it all
    _post(db, clinic, [_payment(primary, "120.00", PRIMARY, reversal=True),
                       _payment(primary, "110.00", (("CO", "45", "50.00"), ("PR", "2", "40.00")))], "PPMORE2")
    assert _balance(db, clinic) == D("10.00")  # 40 − 30; was 0.00: the 10.00 read as the secondary's write-off
    assert _entries(db, secondary) == [("payer_payment", D("-30.00"))]  # nothing moved on the secondary's side
    assert _flags(db) == []
    assert reports.insurance_aging(db, SYSTEM, AS_OF, "practice", clinic.practice.id) == []  # 200 − 110 − 50 − 40


def test_a_secondary_reversing_the_payment_it_was_flagged_for_closes_the_flag(db):
    clinic, primary, secondary = _books(db, "Qzcobrecoup")
    _pay_secondary(db, clinic, secondary, "30.00", [("OA", "23", "170.00")], "SECRCP1")
    _post(db, clinic, [_payment(primary, "120.00", PRIMARY, reversal=True)], "PRCP2")
    [flag] = _flags(db)
    assert (flag.amount, flag.status) == (D("30.00"), "open")  # the secondary's 30.00 settles no share now
    # the secondary takes its 30.00 back itself (CLP02 22): refunding it as the flag asked would pay it twice
    _pay_secondary(db, clinic, secondary, "30.00", [("OA", "23", "170.00")], "SECRCP3", reversal=True)
    [flag] = _flags(db)
    assert (flag.status, flag.resolved_by) == ("resolved", SYSTEM.username)
    assert "closed by 835 SECRCP3" in flag.resolution and secondary.patient_control_number in flag.resolution
    assert _balance(db, clinic) == D("0.00")
    # its corrected payment, while the primary's decision is still reversed, is flagged anew: one open flag
    _pay_secondary(db, clinic, secondary, "30.00", [("OA", "23", "170.00")], "SECRCP4")
    assert sorted((f.status, f.amount) for f in _flags(db)) == [("open", D("30.00")), ("resolved", D("30.00"))]


def test_flags_are_netted_when_the_primary_s_correction_comes_in_a_later_file(db):
    """Reversed alone (file 2): the secondary's 30.00 is flagged. Corrected to PR-2 20.00 in file 3: 20.00 of
    the 30.00 settles the share again, so the 30.00 flag gives way to one of 10.00, not a second flag beside it
    (which would have someone refund 40.00 of a 30.00 payment)."""
    clinic, primary, secondary = _books(db, "Qzcobpnet")
    _pay_secondary(db, clinic, secondary, "30.00", [("OA", "23", "170.00")], "SECPNET1")
    _post(db, clinic, [_payment(primary, "120.00", PRIMARY, reversal=True)], "PPNET2")
    _post(db, clinic, [_payment(primary, "130.00", (("CO", "45", "50.00"), ("PR", "2", "20.00")))], "PPNET3")
    assert sorted((f.status, f.amount) for f in _flags(db)) == [("open", D("10.00")), ("resolved", D("30.00"))]
    [closed] = [f for f in _flags(db) if f.status == "resolved"]
    assert closed.resolution.startswith("closed by 835 PPNET3") and "10.00 of it is flagged again" in closed.resolution
    assert _balance(db, clinic) == D("0.00")  # the share of 20.00 is paid by the secondary
