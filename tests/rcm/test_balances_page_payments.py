"""The patient balances page's payment forms: offered only where something is due now, and a payment the form's
check or the service refuses comes back on the patient's row with the reason and what was typed (422, as the
other pages' forms), nothing recorded — not an error page.

The books of `test_cob_secondary_books`: a 200.00 claim the primary paid 120.00 on 2026-11-02 (CO-45 50.00,
PR-2 30.00); with a second plan on file the 30.00 is pending with it, not due.
"""

from __future__ import annotations

import html
from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from openmso.core.tenancy import SYSTEM, Role
from openmso.network import schemas as network_schemas
from openmso.network import service as network
from openmso.rcm.ar import patients
from openmso.rcm.remittance.models import PatientLedgerEntry
from tests.factories import add_payer, add_signed_agreement, add_user, signed_in
from tests.rcm.conftest import make_clinic
from tests.rcm.remits import accepted_claims
from tests.rcm.test_cob_secondary_books import PRIMARY, _payment, _post
from tests.rcm.test_cob_transferred_share import primary_paid_with_a_denial_moved_to_the_patient


def _row(page: str, patient_id: int) -> str:
    """The HTML of one patient's row of the balances table, unescaped."""
    start = page.index(f'<a href="/patients/{patient_id}">')
    return html.unescape(page[start:page.index("</tr>", start)])


def _entries(db, patient_id: int) -> int:
    return db.scalar(select(func.count()).select_from(PatientLedgerEntry)
                     .where(PatientLedgerEntry.patient_id == patient_id))


def _signed_in_admin(client, db, settings, practice):
    add_signed_agreement(db, practice)
    db.commit()
    return signed_in(client, db, settings, add_user(db, Role.MSO_ADMIN))


def test_a_row_with_nothing_due_now_has_no_payment_form_and_says_why(client, db, settings):
    clinic = make_clinic(db, "Qzpayform", patients=2)
    waiting, owing = clinic.patients
    second = add_payer(db, "SX001", "Second Mutual")  # the first patient's share waits for this plan
    network.add_coverage(db, SYSTEM, waiting.id, network_schemas.CoverageCreate(
        payer_id=second.id, member_id="SEC123", priority=2, effective_from=date(2024, 1, 1)))
    claims = accepted_claims(db, clinic, 2, (("99213", "200.00"),))
    _post(db, clinic, [_payment(claim, "120.00", PRIMARY) for claim in claims], "PQzpayform")
    due = {row.patient_id: (row.pending, row.due) for row in patients.balances(db, SYSTEM, clinic.practice.id)}
    assert due == {waiting.id: (D("30.00"), D("0.00")), owing.id: (D("0.00"), D("30.00"))}
    browser = _signed_in_admin(client, db, settings, clinic.practice)
    page = browser.get("/patient-balances", params={"practice_id": clinic.practice.id}).text
    nothing_due = _row(page, waiting.id)
    assert "<form" not in nothing_due and "Post payment" not in nothing_due
    assert "Nothing due now: pending with the patient's other plan" in nothing_due
    assert f'action="/patient-balances/{clinic.practice.id}/{owing.id}/payments' in _row(page, owing.id)
    paged = browser.get("/patient-balances", params={"practice_id": clinic.practice.id, "limit": 1}).text
    assert f'href="/patient-balances?practice_id={clinic.practice.id}&amp;limit=1&amp;page=2"' in paged


def _refused(client, db, settings, marker: str, listing: dict | None = None, **typed):
    """A patient owing 20.00 now with 30.00 pending with their other plan, and the balances page's answer to
    their row's form posted with `typed` (over the defaults), from the list of their practice (with `listing`'s
    filters); the ledger is read before and after."""
    clinic, primary = primary_paid_with_a_denial_moved_to_the_patient(db, marker)
    patient_id = primary.patient_id
    browser = _signed_in_admin(client, db, settings, clinic.practice)
    page = browser.get("/patient-balances", params={"practice_id": clinic.practice.id} | (listing or {})).text
    action = html.unescape(_row(page, patient_id).split('action="')[1].split('"')[0])
    before = _entries(db, patient_id)
    answer = browser.post(action, data={"amount": "25.00", "paid_on": "2026-11-20", "reference": "card 4242"}
                          | typed, follow_redirects=False)
    db.expire_all()
    assert _entries(db, patient_id) == before  # nothing recorded
    return answer, patient_id


def test_a_payment_above_what_is_due_is_refused_on_its_row_with_the_amount_kept(client, db, settings):
    answer, patient_id = _refused(client, db, settings, "Qzpayover")
    assert answer.status_code == 422 and answer.headers["content-type"].startswith("text/html")
    row = _row(answer.text, patient_id)
    assert 'role="alert"' in row and "Payment not recorded" in row
    assert ("the patient owes 20.00 (30.00 more is pending with the patient's other plan, not theirs to pay until "
            "it answers); a payment of 25.00 would be an overpayment") in row
    assert 'name="amount"' in row and 'value="25.00"' in row and 'value="card 4242"' in row
    assert 'value="2026-11-20"' in row
    assert "<h1>Patient balances</h1>" in answer.text and 'class="card error"' not in answer.text


@pytest.mark.parametrize(("typed", "says"), [
    ({"amount": "0"}, "greater than 0"),
    ({"amount": "-5.00"}, "greater than 0"),
    ({"amount": "1.234"}, "2 decimal places"),
    ({"amount": "ten"}, "valid decimal"),
    ({"paid_on": "20-11-2026"}, "valid date"),
])
def test_a_bad_amount_or_date_is_shown_on_its_row_not_as_an_error_page(client, db, settings, typed, says):
    answer, patient_id = _refused(client, db, settings, "Qzpaybad", **typed)
    assert answer.status_code == 422
    row = _row(answer.text, patient_id)
    assert 'role="alert"' in row and says in row
    assert f'value="{next(iter(typed.values()))}"' in row  # what was typed is kept


def test_the_refused_payment_comes_back_on_the_list_it_was_posted_from(client, db, settings):
    answer, patient_id = _refused(client, db, settings, "Qzpaylist", {"balance": "owing"}, amount="99.00")
    assert answer.status_code == 422 and "a payment of 99.00 would be an overpayment" in _row(answer.text, patient_id)
    page = html.unescape(answer.text)
    assert '<option value="owing" selected>' in page  # the filter the biller had, not the default
    assert '<form method="get" action="/patient-balances"' in page  # shown at the payment's address: still the list
    action = _row(answer.text, patient_id).split('action="')[1].split('"')[0]
    assert action.endswith("/payments?practice_id=" + action.split("/")[2] + "&balance=owing")


def test_a_payment_within_what_is_due_still_redirects_to_the_practices_balances(client, db, settings):
    answer, patient_id = _refused(client, db, settings, "Qzpayok", amount="ten")
    assert answer.status_code == 422  # the refused attempt first: it must leave no trace on the next
    clinic_practice = answer.text.split('action="/patient-balances/')[1].split("/")[0]
    paid = client.post(f"/patient-balances/{clinic_practice}/{patient_id}/payments",
                       data={"amount": "20.00", "paid_on": "2026-11-20"}, follow_redirects=False)
    assert paid.status_code == 303 and paid.headers["location"] == f"/patient-balances?practice_id={clinic_practice}"
    db.expire_all()
    row = _row(client.get(paid.headers["location"]).text, patient_id)
    assert "<form" not in row and "Nothing due now: pending with the patient's other plan" in row
