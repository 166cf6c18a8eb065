"""The money-in pages in Chromium on the demo network (whose build posts the payer simulator's 835s):
the denial worklist in order, a denial worked through its page, the KPI dashboard's SVG charts, and
835 files and a bank deposit CSV received through the Receive page."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from openmso.rcm.remittance.models import RemittanceFile
from tests.browser.support import column, login, overflowing, screenshot

pytestmark = pytest.mark.browser


def _amount(text: str) -> Decimal:
    return Decimal(text.replace("$", "").replace(",", ""))


def test_the_denial_worklist_lists_the_largest_recoverable_amount_first(new_page):
    page = new_page()
    login(page, "biller.tx")
    page.click("nav >> text=Denials")
    expect(page.locator("h1")).to_have_text("Denial worklist")
    amounts = [_amount(a) for a in column(page, "#denials", 0)]
    assert len(amounts) >= 3 and amounts == sorted(amounts, reverse=True)
    categories = set(column(page, "#denials", 6))
    assert categories & {"Authorization", "Coding", "Missing information", "Medical necessity"}
    screenshot(page, "money-denial-worklist")
    page.locator("#denials tbody tr").first.locator("a").click()
    expect(page.locator("h1")).to_contain_text("Denial of claim")
    assert overflowing(page, "#case-actions", "form") == []
    page.fill("input[name=text]", "Called the payer; reprocessing requested.")
    page.click("text=Add note")
    expect(page.locator("#notes")).to_contain_text("reprocessing requested")
    with page.expect_download() as download:
        page.click("text=Appeal letter (PDF)")
    assert download.value.suggested_filename.startswith("appeal-")
    screenshot(page, "money-denial-detail")


def test_the_overview_counts_the_work_waiting_and_opens_the_denial_worklist(new_page):
    page = new_page()
    login(page, "biller.tx")
    page.goto("/")
    denials = page.locator("#waiting-denials")
    expect(denials).to_contain_text("Denials to work")
    waiting = int(denials.locator(".n").inner_text().replace(",", ""))
    assert waiting > 0 and _amount(denials.locator(".muted").inner_text()) > 0
    screenshot(page, "overview-work-waiting")
    denials.click()
    expect(page.locator("h1")).to_have_text("Denial worklist")
    expect(page.locator(".total").first).to_have_text(f"{waiting:,} rows")  # the panel promised what the list holds


def test_an_underpayment_sum_opens_the_lines_to_take_to_the_payer(new_page):
    page = new_page()
    login(page, "biller.tx")
    page.goto("/underpayments")
    first = page.locator("#underpayments tbody tr").first
    lines, underpaid = int(first.locator("td").nth(2).inner_text()), _amount(first.locator("td").nth(5).inner_text())
    first.locator("td").nth(2).locator("a").click()
    expect(page.locator("h1")).to_contain_text("Underpaid lines")
    shown = [_amount(a) for a in column(page, "#underpaid-lines", 7)]
    assert len(shown) == lines and sum(shown) == underpaid and shown == sorted(shown, reverse=True)
    assert overflowing(page, "main", "table") == []
    screenshot(page, "money-underpaid-lines")
    with page.expect_download() as download:
        page.click("text=Export CSV")
    assert download.value.suggested_filename == "underpaid-lines.csv"


def test_the_kpi_dashboard_draws_a_chart_per_kpi_and_exports_csv(new_page):
    page = new_page()
    login(page, "admin")
    page.goto("/kpis?as_of=2026-11-30&months=4")
    charts = page.locator("#kpi-charts svg")
    expect(charts).to_have_count(9)
    assert "Denial rate" in page.locator("#kpi-denial_rate svg").get_attribute("aria-label")
    assert page.locator("#kpi-denial_rate circle").count() >= 1
    rows = page.locator("#kpi-table tbody tr")
    expect(rows).to_have_count(11)
    assert overflowing(page, "#kpi-charts figure", "svg") == []
    screenshot(page, "money-kpi-dashboard")
    with page.expect_download() as download:
        page.click("text=Export CSV")
    assert download.value.suggested_filename == "kpis.csv"
    page.goto("/ar/aging?as_of=2026-11-30")
    expect(page.locator(".chart-card svg")).to_be_visible()
    screenshot(page, "money-ar-aging")


def test_835_files_and_a_deposit_csv_are_received_through_the_receive_page(new_page, live_server, tmp_path):
    with live_server.db() as db:
        posted = db.scalar(select(RemittanceFile).where(RemittanceFile.status == "posted")
                           .order_by(RemittanceFile.id))
        content, name = posted.content.decode("latin-1"), posted.name  # kept as bytes
    page = new_page()
    login(page, "admin")
    page.goto("/remittances")
    page.click("nav.tabs >> text=Receive")
    expect(page.locator("h1")).to_have_text("Receive payments")
    again = tmp_path / name
    again.write_bytes(content.encode("latin-1"))
    page.set_input_files("#upload-835 input[type=file]", str(again))
    page.click("text=Post the file")
    expect(page.locator("#upload-result")).to_contain_text("was received before (same content)")
    # The same payment with its total changed: a new file, but the payment no longer balances.
    amount = content.split("BPR*", 1)[1].split(content[3], 2)[1]
    tampered = tmp_path / "tampered.835"
    tampered.write_bytes(content.replace(f"BPR*I*{amount}*", f"BPR*I*{Decimal(amount) + 1}*", 1).encode("latin-1"))
    page.set_input_files("#upload-835 input[type=file]", str(tampered))
    page.click("text=Post the file")
    expect(page.locator("#upload-result")).to_contain_text("tampered.835: Quarantined")
    expect(page.locator("#upload-exceptions")).to_contain_text("BPR02 = Σ CLP04 − Σ PLB")
    screenshot(page, "money-receive-835-quarantined")
    bank = tmp_path / "bank.csv"
    bank.write_text("deposit_date,amount,trace_number\n2026-11-31,12.00,EFT1\n")
    page.set_input_files("#import-deposits input[type=file]", str(bank))
    page.click("text=Import deposits")
    expect(page.locator("#import-deposits .errors")).to_contain_text("line 2 deposit_date")
    screenshot(page, "money-receive-deposit-errors")
