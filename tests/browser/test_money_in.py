"""The money-in pages in Chromium on the demo network (whose build posts the payer simulator's 835s):
the denial worklist in order, a denial worked through its page, and the KPI dashboard's SVG charts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.browser.support import column, login, screenshot

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
    page.fill("input[name=text]", "Called the payer; reprocessing requested.")
    page.click("text=Add note")
    expect(page.locator("#notes")).to_contain_text("reprocessing requested")
    with page.expect_download() as download:
        page.click("text=Appeal letter (PDF)")
    assert download.value.suggested_filename.startswith("appeal-")
    screenshot(page, "money-denial-detail")


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
    screenshot(page, "money-kpi-dashboard")
    with page.expect_download() as download:
        page.click("text=Export CSV")
    assert download.value.suggested_filename == "kpis.csv"
    page.goto("/ar/aging?as_of=2026-11-30")
    expect(page.locator(".chart-card svg")).to_be_visible()
    screenshot(page, "money-ar-aging")
