"""The patient's share of a service billed on to a secondary plan is pending insurance until that plan answers:
on the patient's balance, but not due, not on the statement's amount due and not in patient A/R — insurance A/R
holds it meanwhile, so the same 30.00 is never in both.

The books of `test_cob_secondary_books._books`: a 200.00 claim the primary paid 120.00 on 2026-11-02 (CO-45
50.00, PR-2 30.00), the secondary billed on 2026-11-03 for the 30.00 the primary left.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal as D

from pypdf import PdfReader

from openmso.core.tenancy import SYSTEM, Role
from openmso.rcm.ar import patients, reports, statements
from tests.factories import add_signed_agreement, add_user, signed_in
from tests.rcm.test_cob_secondary_books import AS_OF, _books, _pay_secondary

PRIMARY_PAID_ON = date(2026, 11, 2)  # the day the PR-2 was posted; the secondary was billed the day after


def _totals(db, clinic, as_of: date) -> tuple[D, D]:
    """(insurance A/R, patient A/R) of the practice at the end of `as_of`."""
    insurance = reports.insurance_aging(db, SYSTEM, as_of, "practice", clinic.practice.id)
    patient = patients.aging(db, SYSTEM, as_of, clinic.practice.id)
    return (sum((row.aging.total for row in insurance), D("0.00")),
            sum((row.aging.total for row in patient), D("0.00")))


def _statement(db, clinic, patient_id: int) -> str:
    pdf = statements.patient_statement(db, SYSTEM, clinic.practice.id, patient_id, today=AS_OF)
    return PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_while_the_secondary_has_not_answered_the_share_is_insurance_ar_only(db):
    clinic, primary, _ = _books(db, "Qzpendwait")
    assert _totals(db, clinic, AS_OF) == (D("30.00"), D("0.00"))  # 200 − 120 − 50 waits on the secondary
    (row,) = patients.balances(db, SYSTEM, clinic.practice.id)
    assert (row.balance, row.pending, row.due, row.oldest) == (D("30.00"), D("30.00"), D("0.00"), None)
    text = _statement(db, clinic, primary.patient_id)
    assert "Amount due: $0.00" in text and "Pending insurance: $30.00" in text and "Please pay" not in text


def test_before_the_secondary_was_billed_the_share_already_waited_for_it(db):
    clinic, _, _ = _books(db, "Qzpendbefore")
    # on 2026-11-02 the PR-2 was posted and the secondary was billed the day after: the share waited for it from
    # the day it was posted, in insurance A/R (`next_plans`), never the patient's to pay in between
    assert _totals(db, clinic, PRIMARY_PAID_ON) == (D("30.00"), D("0.00"))


def test_once_the_secondary_answers_what_it_leaves_is_due_and_ages_from_the_first_posting(db):
    clinic, primary, secondary = _books(db, "Qzpendpart")
    # the secondary pays 20.00 and leaves 10.00 coinsurance: the patient owes 10.00, due now
    _pay_secondary(db, clinic, secondary, "20.00", [("OA", "23", "170.00"), ("PR", "2", "10.00")], "PENDPART")
    assert _totals(db, clinic, AS_OF) == (D("0.00"), D("10.00"))
    (row,) = patients.balances(db, SYSTEM, clinic.practice.id)
    assert (row.balance, row.pending, row.due, row.oldest) == (D("10.00"), D("0.00"), D("10.00"), PRIMARY_PAID_ON)
    (aged,) = patients.aging(db, SYSTEM, date(2026, 12, 15), clinic.practice.id)
    assert aged.aging.amounts["31_60"] == D("10.00")  # 43 days from 2026-11-02, not from the secondary's answer
    text = _statement(db, clinic, primary.patient_id)
    assert "Amount due: $10.00" in text and "Pending insurance" not in text


def test_a_secondary_applying_the_share_to_its_deductible_makes_it_all_the_patients(db):
    clinic, _, secondary = _books(db, "Qzpenddeduct")
    _pay_secondary(db, clinic, secondary, "0.00", [("OA", "23", "170.00"), ("PR", "1", "30.00")], "PENDDED")
    assert _totals(db, clinic, AS_OF) == (D("0.00"), D("30.00"))


def test_the_balances_page_and_api_show_the_pending_share_apart(client, db, settings):
    clinic, _, _ = _books(db, "Qzpendpage")
    add_signed_agreement(db, clinic.practice)
    db.commit()
    browser = signed_in(client, db, settings, add_user(db, Role.MSO_ADMIN))
    [item] = browser.get("/api/v1/patient-balances", params={"practice_id": clinic.practice.id}).json()["items"]
    assert (D(item["balance"]), D(item["pending"]), D(item["due"]), item["oldest"]) == (D("30.00"), D("30.00"),
                                                                                          D("0.00"), None)
    page = browser.get("/patient-balances", params={"practice_id": clinic.practice.id}).text
    assert "Pending insurance" in page and page.count("$30.00") == 2 and "$0.00" in page
