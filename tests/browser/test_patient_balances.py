"""The patient balances page in Chromium on the demo network: a payment form only where something is due now,
and a payment above what is due refused on its own row, the amount typed still in the field, nothing recorded."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from openmso.rcm.remittance.models import PatientLedgerEntry
from tests.browser.support import login, screenshot

pytestmark = pytest.mark.browser

DUE_NOW = 5  # 0-based column of the "Due now" amount on the all-practices list (Patient, MRN, Practice, Balance…)


def _ledger_size(live_server) -> int:
    with live_server.db() as db:
        return db.scalar(select(func.count()).select_from(PatientLedgerEntry))


def test_a_payment_above_what_is_due_is_refused_on_its_row_with_the_amount_kept(new_page, live_server):
    page = new_page()
    login(page, "biller.tx")
    page.goto("/patient-balances?balance=owing")
    expect(page.locator("h1")).to_have_text("Patient balances")
    for row in page.locator("#balances tbody tr").all():  # nothing due now: nothing to pay, no form
        due = row.locator("td").nth(DUE_NOW).inner_text().strip()
        if due and Decimal(due.replace("$", "").replace(",", "")) == 0:
            expect(row.locator("form")).to_have_count(0)
            expect(row).to_contain_text("Nothing due now")
    payable = page.locator("#balances tbody tr", has=page.locator("form")).first
    patient = payable.locator("td a").first.get_attribute("href")
    recorded = _ledger_size(live_server)
    payable.locator("input[name=amount]").fill("987654.32")
    with page.expect_navigation():
        payable.locator("button[type=submit]").click()
    row = page.locator("#balances tbody tr", has=page.locator(f'a[href="{patient}"]'))
    alert = row.locator("[role=alert]")
    expect(alert).to_contain_text("Payment not recorded")
    expect(alert).to_contain_text("a payment of 987654.32 would be an overpayment")
    expect(row.locator("input[name=amount]")).to_have_value("987654.32")
    expect(page.locator("select[name=balance]")).to_have_value("owing")  # the list the biller was on
    assert _ledger_size(live_server) == recorded
    screenshot(page, "money-patient-payment-refused")
