"""KPIs month by month from claim histories, and patient A/R settled oldest first: worked by hand."""

from __future__ import annotations

import itertools
import re
from datetime import date
from decimal import Decimal as D

from openmso.rcm.ar import charts
from openmso.rcm.ar.facts import ClaimHistory, month_starts, trend
from openmso.rcm.ar.later_payers import LaterPosting
from openmso.rcm.ar.patients import open_debits
from openmso.rcm.ar.reversals import PostingKey

_posting_ids = itertools.count(1)


def _history(charge, served, billed, postings=(), clean=True):
    history = ClaimHistory(D(charge), served, served, billed, clean)
    history.postings = [LaterPosting(PostingKey(next(_posting_ids), 1, "1", "", D(paid)), day, D(contractual),
                                     D(patient), D(0), outcome, posted_on=day)
                        for day, paid, contractual, patient, outcome in postings]
    return history


def test_month_starts_cross_the_year():
    assert month_starts(date(2027, 2, 10), 4) == [date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 1),
                                                  date(2027, 2, 1)]


def test_trend_follows_each_service_month_cohort_and_ages_all_open_claims_at_month_end():
    book = [
        # September: 100 charged, paid 60 + 30 contractual + 10 patient on Oct 5 (a clean, paid claim)
        _history("100.00", date(2026, 9, 10), date(2026, 9, 12),
                 [(date(2026, 10, 5), "60.00", "30.00", "10.00", "paid")]),
        # September: 200 charged, denied on Oct 20, still open
        _history("200.00", date(2026, 9, 20), date(2026, 9, 21), [(date(2026, 10, 20), "0", "0", "0", "denied")],
                 clean=False),
        # October: 300 charged, billed Oct 3, not yet paid
        _history("300.00", date(2026, 10, 2), date(2026, 10, 3)),
    ]
    september, october = trend(book, date(2026, 10, 31), 2)
    assert (september.claims, october.claims) == (2, 1)
    # September cohort: paid 60 of 300 charged (20.0 %); net: 60 ÷ (300 − 30) = 22.2 %; 1 of 2 denied
    assert september.values["gross_collection_rate"] == D("20.0")
    assert september.values["net_collection_rate"] == D("22.2")
    assert september.values["denial_rate"] == D("50.0")
    assert september.values["clean_claim_rate"] == D("50.0")
    # the book opens Sept 10, so fewer than 90 days of charges are averaged: at Sept 30 nothing was paid, open
    # 300 over 300 charged in the 21 days Sept 10–30 → 300 ÷ (300 ÷ 21) = 21.0 days in A/R (÷ 90 days: 90.0)
    assert september.values["days_in_ar"] == D("21.0")
    # at Oct 31: open 200 (denied) + 300 = 500 over 600 charged in the 52 days Sept 10–Oct 31 → 43.3 days
    assert october.values["days_in_ar"] == D("43.3")
    assert october.values["ar_over_90"] == D("0.0")
    # posting lag: paid and posted the same day
    assert september.values["payment_posting_lag"] == D("0.0")


def test_days_in_ar_counts_what_patients_owe_aged_from_posting():
    book = [  # one October claim of 300, billed Oct 3: paid 200, contractual 50, the patient's 50 posted Oct 20
        _history("300.00", date(2026, 10, 2), date(2026, 10, 3), [(date(2026, 10, 20), "200.00", "50.00", "50.00",
                                                                    "paid")]),
    ]
    patient_ar = {date(2026, 10, 31): [(7, date(2026, 10, 20), D("50.00")),  # this claim's share, unpaid
                                       (8, date(2026, 7, 1), D("25.00"))]}  # an old balance: 122 days on Oct 31
    (october,) = trend(book, date(2026, 10, 31), 1, patient_ar=patient_ar)
    # open at Oct 31: insurance 0 (300 − 200 − 50 − 50 of the patient's), patients 50 + 25 = 75; 300 charged in
    # the 90 days to Oct 31 → 75 × 90 / 300 = 22.5 days; over 90 days: the 25.00 of July → 25 ÷ 75 = 33.3 %
    assert october.values["days_in_ar"] == D("22.5")
    assert october.values["ar_over_90"] == D("33.3")
    assert october.open_patients == 2
    assert trend(book, date(2026, 10, 31), 1)[0].values["days_in_ar"] == D("0.0")  # insurance alone: nothing


def test_patient_credits_settle_the_oldest_debits_first():
    entries = [(date(2026, 9, 1), D("50.00")), (date(2026, 10, 1), D("30.00")), (date(2026, 10, 15), D("-60.00"))]
    assert [(day, amount) for day, amount, _ in open_debits(entries)] == [(date(2026, 10, 1), D("20.00"))]
    assert open_debits([(date(2026, 9, 1), D("10.00")), (date(2026, 9, 2), D("-15.00"))]) == []


def test_line_chart_leaves_gaps_for_months_without_data_and_escapes_labels():
    months = [date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)]
    svg = charts.line_chart("Denial <rate>", months, [D("10.0"), None, D("12.5")], "%")
    assert svg.startswith("<svg") and "Denial &lt;rate&gt;: 12.5% (Nov 2026)" in svg
    assert "<polyline" not in svg  # two single points, no line across the missing month
    assert svg.count("<circle") == 2


def test_line_chart_names_months_with_their_year_never_as_a_day():
    """'Nov 26' reads as the 26th of November: the axis names the month, and the year under the first month
    and under each January; a long trend names at most twelve months, the latest always."""
    months = [date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 1)]
    svg = charts.line_chart("Denial rate", months, [D("1"), D("2"), D("3")], "%")
    assert re.findall(r">(\w{3}|\d{4})</text>", svg) == ["Nov", "2026", "Dec", "Jan", "2027"]
    assert "<title>Dec 2026: 2</title>" in svg
    three_years = [date(2024 + (9 + i) // 12, (9 + i) % 12 + 1, 1) for i in range(36)]
    svg = charts.line_chart("Denial rate", three_years, [D(i) for i in range(36)], "%")
    named = re.findall(r">([A-Z][a-z]{2})</text>", svg)
    assert len(named) == 12 and named[-1] == three_years[-1].strftime("%b") == "Sep"
    assert re.findall(r">(\d{4})</text>", svg) == ["2024", "2025", "2026", "2027"]


def test_a_book_younger_than_90_days_averages_its_charges_over_the_days_it_has():
    """Days in A/R divides by the average daily charges of 90 days; a book that opened 30 days before the month's
    end has 30 days of charges, and dividing them by 90 would make its days in A/R three times too high."""
    young = [_history("300.00", date(2026, 10, 2), date(2026, 10, 3))]  # open: 300.00 over 30 days of charges
    assert trend(young, date(2026, 10, 31), 1)[0].values["days_in_ar"] == D("30.0")  # 300 ÷ (300 ÷ 30)
    older = [*young, _history("0.01", date(2026, 6, 1), date(2026, 6, 2),  # a claim served in June: 90 days
                              [(date(2026, 6, 20), "0.01", "0", "0", "paid")])]
    assert trend(older, date(2026, 10, 31), 1)[0].values["days_in_ar"] == D("90.0")  # 300 ÷ (300 ÷ 90)
