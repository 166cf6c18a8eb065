"""KPI formulas on a small hand-made book; every expected figure is worked out by hand below."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openmso.rcm.ar import kpis
from openmso.rcm.ar.aging import BUCKETS, age, bucket_for
from openmso.rcm.ar.kpis import ClaimFacts

# The book: five claims with dates of service in Q1 2026 (Jan 1 – Mar 31 = 31 + 28 + 31 = 90 days).
#  claim charge  DOS    entered  billed  scrub    first 835  paid  contractual open  paid on  posted  patient paid
#  C1    200.00  Jan 5  Jan 7    Jan 8   clean    paid       120   60          20    Feb 1    Feb 3
#  C2    100.00  Jan 20 Jan 21   Jan 21  clean    denied       0    0         100
#  C3    300.00  Feb 10 Feb 15   Feb 16  edit     paid       150  100          20    Mar 10   Mar 11   30
#  C4    150.00  Mar 1  Mar 2    Mar 2   clean    —            0    0         150
#  C5    250.00  Mar 20 Mar 24   Mar 25  clean    —            0    0         250
# C3's 835 made 30.00 the patient's share (so 20.00 stays with the payer), and the patient paid it.
BOOK = [
    ClaimFacts(D("200.00"), date(2026, 1, 5), date(2026, 1, 7), date(2026, 1, 8), True, "paid",
               D("120.00"), D("60.00"), D("20.00"), date(2026, 2, 1), date(2026, 2, 3)),
    ClaimFacts(D("100.00"), date(2026, 1, 20), date(2026, 1, 21), date(2026, 1, 21), True, "denied",
               open_balance=D("100.00")),
    ClaimFacts(D("300.00"), date(2026, 2, 10), date(2026, 2, 15), date(2026, 2, 16), False, "paid",
               D("150.00"), D("100.00"), D("20.00"), date(2026, 3, 10), date(2026, 3, 11), patient_paid=D("30.00")),
    ClaimFacts(D("150.00"), date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 2), True, None,
               open_balance=D("150.00")),
    ClaimFacts(D("250.00"), date(2026, 3, 20), date(2026, 3, 24), date(2026, 3, 25), True, None,
               open_balance=D("250.00")),
]
AS_OF = date(2026, 4, 15)


@pytest.fixture(scope="module")
def book():
    return kpis.summarize(BOOK, date(2026, 1, 1), date(2026, 3, 31), AS_OF, revenue_cycle_cost=D("13.50"))


def test_days_in_ar_is_open_ar_over_average_daily_charges(book):
    # open A/R 20 + 100 + 20 + 150 + 250 = 540; charges 1,000 over 90 days = 11.11/day; 540 × 90 / 1000 = 48.6
    assert book["days_in_ar"] == D("48.6")


def test_percent_of_ar_over_90_days_ages_from_billing(book):
    # ages on Apr 15 from billing: C1 Jan 8 → 23 + 28 + 31 + 15 = 97 days (over 90); C2 Jan 21 → 84;
    # C3 Feb 16 → 58; C4 Mar 2 → 44; C5 Mar 25 → 21.  20 / 540 = 3.703…%
    assert book["ar_over_90"] == D("3.7")


def test_claim_rates(book):
    assert book["clean_claim_rate"] == D("80.0")  # 4 of 5 passed the scrubber first time
    assert book["first_pass_resolution_rate"] == D("66.7")  # C1, C3 paid of 3 adjudicated
    assert book["denial_rate"] == D("33.3")  # C2 of 3 adjudicated


def test_collection_rates(book):
    # payments: the payers' 120 + 150 and the patient's 30 = 300; charges 1,000; contractual 60 + 100 = 160
    assert book["net_collection_rate"] == D("35.7")  # 300 / 840 = 35.71%
    assert book["gross_collection_rate"] == D("30.0")  # 300 / 1000


def test_lags_and_cost_to_collect(book):
    assert book["charge_lag"] == D("2.6")  # (2 + 1 + 5 + 1 + 4) / 5
    assert book["payment_posting_lag"] == D("1.5")  # (2 + 1) / 2
    assert book["cost_to_collect"] == D("4.5")  # 13.50 / 300 collected from payers and patients


def test_an_empty_book_has_no_ratios_rather_than_zero():
    empty = kpis.summarize([], date(2026, 1, 1), date(2026, 3, 31), AS_OF)
    assert set(empty) == {d.id for d in kpis.DEFINITIONS}
    assert all(value is None for value in empty.values())


def test_every_definition_names_its_source_and_formula():
    for definition in kpis.DEFINITIONS:
        assert definition.formula and definition.source and definition.unit in ("days", "%")
    assert sum("HFMA" in d.source for d in kpis.DEFINITIONS) >= 5


@pytest.mark.parametrize(("days", "key"), [(0, "0_30"), (30, "0_30"), (31, "31_60"), (60, "31_60"),
                                           (61, "61_90"), (90, "61_90"), (91, "91_120"), (120, "91_120"),
                                           (121, "over_120"), (5000, "over_120")])
def test_aging_bucket_boundaries(days, key):
    assert bucket_for(days).key == key


def test_aging_sums_open_balances_by_bucket():
    result = age([(b.billed_on, b.open_balance) for b in BOOK], AS_OF)
    # C5 21 days; C3 (20.00) 58 and C4 (150.00) 44; C2 84; C1 97
    assert result.amounts == {"0_30": D("250.00"), "31_60": D("170.00"), "61_90": D("100.00"),
                              "91_120": D("20.00"), "over_120": D("0.00")}
    assert (result.total, result.over_90) == (D("540.00"), D("20.00"))


@given(st.integers(min_value=0, max_value=100_000))
def test_every_age_falls_in_exactly_one_bucket(days):
    holding = [b for b in BUCKETS if b.low <= days and (b.high is None or days <= b.high)]
    assert holding == [bucket_for(days)]
