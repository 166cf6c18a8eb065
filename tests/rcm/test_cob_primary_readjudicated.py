"""A primary claim adjudicated again without a reversal: denied, then paid on appeal in a new claim payment
(CLP02 1) that restates the whole decision. Insurance aging and the KPIs count the latest decision, not both.

Charge 200.00 (one 99213 line). First 835: denied, paid 0.00, CO-45 50.00 (over the fee) and CO-197 150.00
(no authorization). On appeal: paid 120.00, CO-45 50.00, PR-2 30.00. Summed, the two would write off CO-45
twice (100.00): 200 − 120 − 100 − 30 = a 50.00 credit owed back to the payer, and a net collection rate of
120 / (200 − 100) = 120.0.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D

from openmso.core.tenancy import SYSTEM
from openmso.rcm.ar import facts, later_payers, reports
from openmso.rcm.ar.reversals import PostingKey
from tests.rcm.conftest import make_clinic
from tests.rcm.remits import accepted_claims
from tests.rcm.test_cob_secondary_books import AS_OF, PRIMARY, _balance, _payment, _post


def test_a_primary_paid_on_appeal_without_a_reversal_counts_its_latest_decision_not_both(db):
    clinic = make_clinic(db, "Qzcobpappeal", patients=1)
    [claim] = accepted_claims(db, clinic, 1, (("99213", "200.00"),))
    claim.submitted_at = datetime(2026, 10, 2, 9, tzinfo=UTC)
    db.flush()
    _post(db, clinic, [_payment(claim, "0.00", (("CO", "45", "50.00"), ("CO", "197", "150.00")))], "PAPP1")
    (denied,) = reports.insurance_aging(db, SYSTEM, AS_OF, "practice", clinic.practice.id)
    assert denied.aging.total == D("150.00")  # 200 − 50: the denied 150.00 stays open until worked
    _post(db, clinic, [_payment(claim, "120.00", PRIMARY)], "PAPP2")
    assert reports.insurance_aging(db, SYSTEM, AS_OF, "practice", clinic.practice.id) == []  # 200 − 120 − 50 − 30
    assert _balance(db, clinic) == D("30.00")  # the appeal's PR-2; the denial had none
    october, november = facts.kpi_trend(db, SYSTEM, AS_OF, 2, clinic.practice.id)
    assert october.values["gross_collection_rate"] == D("60.0")  # 120 / 200
    assert october.values["net_collection_rate"] == D("80.0")  # 120 / (200 − 50); was 120.0: 120 / (200 − 100)
    # the patient's 30.00, not a 50.00 credit, over 200.00 charged in the 51 days Oct 1 – Nov 20: 30 × 51 / 200
    assert november.values["days_in_ar"] == D("7.7")


def test_a_primary_reversed_and_corrected_still_counts_the_corrected_decision_once(db):
    clinic = make_clinic(db, "Qzcobpcorr", patients=1)
    [claim] = accepted_claims(db, clinic, 1, (("99213", "200.00"),))
    _post(db, clinic, [_payment(claim, "120.00", PRIMARY)], "PCOR1")
    # the payer reverses and pays 10.00 more: CO-45 50.00, PR-2 20.00
    _post(db, clinic, [_payment(claim, "120.00", PRIMARY, reversal=True),
                       _payment(claim, "130.00", (("CO", "45", "50.00"), ("PR", "2", "20.00")))], "PCOR2")
    assert reports.insurance_aging(db, SYSTEM, AS_OF, "practice", clinic.practice.id) == []  # 200 − 130 − 50 − 20
    october = facts.kpi_trend(db, SYSTEM, AS_OF, 2, clinic.practice.id)[0]
    assert october.values["net_collection_rate"] == D("86.7")  # 130 / (200 − 50)


def _posting(posting_id: int, status: str, outcome: str, paid: str, contractual: str, patient: str,
             lines: frozenset[int] = frozenset()):
    return later_payers.LaterPosting(PostingKey(posting_id, 1, status, "PCN1", D(paid)), date(2026, 11, 2),
                                     D(contractual), D(patient), D("0.00"), outcome, lines)


def test_an_adjudication_a_later_one_of_the_same_lines_replaced_drops_out_of_the_sums_but_its_payment_counts():
    denial = _posting(1, "4", "denied", "0.00", "50.00", "0.00")
    appeal = _posting(2, "1", "paid", "120.00", "50.00", "30.00")
    assert later_payers.first_payer_money([denial, appeal]) == (D("120.00"), D("50.00"), D("30.00"))
    assert later_payers.first_payer_money([denial]) == (D("0.00"), D("50.00"), D("0.00"))  # nothing replaced it
    # the same payment sent twice without a reversal: the second restates the decision, so CO-45 50.00 and PR-2
    # 30.00 count once, but both 120.00 payments are cash: 200 − 240 − 50 − 30 = a 120.00 credit owed back to
    # the payer (summed as (240, 100, 60) it read 200 − 240 − 100 − 60 = a 200.00 credit, the whole charge)
    again = _posting(3, "1", "paid", "120.00", "50.00", "30.00")
    assert later_payers.first_payer_money([appeal, again]) == (D("240.00"), D("50.00"), D("30.00"))
    # a denial reversed (CLP02 22) before the appeal is taken back by the reversal, not dropped a second time
    undone = _posting(4, "22", "reversed", "0.00", "-50.00", "0.00")
    assert later_payers.first_payer_money([denial, undone, appeal]) == (D("120.00"), D("50.00"), D("30.00"))
    # the duplicate reversed: the reversal takes back the later one (`reversals`), the first stands again alone
    taken = _posting(5, "22", "reversed", "-120.00", "-50.00", "-30.00")
    assert later_payers.first_payer_money([appeal, again, taken]) == (D("120.00"), D("50.00"), D("30.00"))


def test_adjudications_of_disjoint_lines_both_count_and_an_overlap_or_a_whole_claim_posting_replaces():
    # a claim of two lines (ids 11 and 12) the payer split into two CLPs, one line each: nothing is replaced
    first = _posting(1, "1", "paid", "80.00", "20.00", "10.00", frozenset({11}))
    second = _posting(2, "1", "paid", "40.00", "30.00", "20.00", frozenset({12}))
    assert later_payers.first_payer_money([first, second]) == (D("120.00"), D("50.00"), D("30.00"))
    # a denial of line 11 beside a payment of line 12 is not replaced by it: its CO-45 20.00 still counts
    denied = _posting(5, "4", "denied", "0.00", "20.00", "0.00", frozenset({11}))
    assert later_payers.first_payer_money([denied, second]) == (D("40.00"), D("50.00"), D("20.00"))
    # a later CLP paying line 12 again (with 11 too) restates both lines' decision: both earlier ones drop out
    both = _posting(3, "1", "paid", "120.00", "50.00", "30.00", frozenset({11, 12}))
    assert set(later_payers.replaced_parts([first, second, both])) == {1, 2}
    assert later_payers.first_payer_money([first, second, both]) == (D("240.00"), D("50.00"), D("30.00"))
    # a CLP with no line postings covers the whole claim: it replaces, and is replaced by, any later one
    whole = _posting(4, "1", "denied", "0.00", "50.00", "0.00")
    assert set(later_payers.replaced_parts([whole, second])) == {4}
    assert set(later_payers.replaced_parts([first, whole])) == {1}
