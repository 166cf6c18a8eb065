"""The claims pipeline in Chromium on the demo network (whose build submits charges through the payer
simulator): the claims list with its filters, a claim's detail with the segments sent, rejections."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import column, login, screenshot

pytestmark = pytest.mark.browser


def test_claims_list_filters_and_a_claim_shows_lines_timeline_and_segments(new_page):
    page = new_page()
    login(page, "biller.tx")
    page.goto("/claims")
    expect(page.locator("h1")).to_have_text("Claims")
    rows = page.locator("#claims tbody tr")
    assert rows.count() >= 10
    screenshot(page, "claims-list")
    # Filter by the status of the first claim listed, through the form.
    status_label = page.locator("#claims tbody tr").first.locator(".badge").first.inner_text().strip()
    status = status_label.lower().replace(" ", "_")
    page.select_option("select[name=status]", status)
    page.click("form.filters button[type=submit]")
    page.wait_for_url(f"**status={status}**")
    page.wait_for_load_state()
    expect(rows.first).to_be_visible()
    assert all(row.locator(".badge").first.inner_text().strip() == status_label for row in rows.all())
    page.goto("/claims")
    page.locator("#claims tbody tr").first.locator("a").first.click()
    expect(page.locator("h1")).to_contain_text("Claim ")
    expect(page.locator("#lines tbody tr").first).to_be_visible()
    expect(page.locator("#timeline tbody tr").first).to_be_visible()
    segments = page.locator("#segments")
    expect(segments).to_contain_text("CLM*")
    expect(segments).to_contain_text("SV1*")
    screenshot(page, "claim-detail")


def test_rejections_are_explained_in_words(new_page):
    page = new_page()
    login(page, "admin")
    page.goto("/claims/worklists/rejections")
    expect(page.locator("h1")).to_have_text("Rejections")
    reasons = column(page, "#rejected", 7)
    assert reasons and all(len(r) > 10 for r in reasons[:5])
    deadlines = [text[:10] for text in column(page, "#rejected", 8)]  # the nearest filing deadline first
    assert deadlines == sorted(deadlines) and all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", d) for d in deadlines)
    screenshot(page, "claims-rejections")


def test_a_paid_claim_offers_its_corrections_and_the_batches_page_offers_submission(new_page):
    page = new_page()
    login(page, "biller.tx")
    page.goto("/claims?status=paid")
    page.locator("#claims tbody tr").first.locator("a").first.click()
    form = page.locator("#correction-form")
    expect(form).to_be_visible()
    expect(form.locator("select[name=kind] option")).to_have_text(["Replacement (frequency 7)",
                                                                   "Void (frequency 8)"])
    expect(form).to_contain_text("REF*F8")
    # the plan billed next is named, or the page says there is none (or links the next payer's claim)
    expect(page.locator("#secondary-form button, #next-payer")).to_contain_text(re.compile(
        r"^Bill \S|^No further plan on file|^Next payer billed"))
    screenshot(page, "claim-detail-corrections")
    page.goto("/claims/batches")
    expect(page.locator("#submit-ready button")).to_contain_text("Submit ready claims")
    screenshot(page, "claims-batches-submit")


def test_a_rejection_for_patient_data_is_fixed_on_the_patient_and_the_claim_goes_again(new_page):
    """From the rejection worklist to a claim ready to go: the payer did not know the member id (A7:164) or the
    birth date (A7:158); the worklist's link opens the patient's record, the record is corrected (a refused
    value is named and kept), and the claim, corrected as it is, is scrubbed and ready for the next run."""
    page = new_page()
    login(page, "admin")
    page.goto("/claims/worklists/rejections?limit=200")
    row = page.locator("#rejected tbody tr", has=page.locator('a.fix[href^="/patients/"]')).first
    expect(row).to_be_visible()
    codes = row.locator("td.codes").inner_text()
    claim_href = row.locator("td").first.locator("a").get_attribute("href")
    row.locator("a.fix").click()
    page.wait_for_url("**/patients/*#corrections")
    if "164" in codes:
        form, name = page.locator("details.coverage-correction").first, "member_id"
        bad, good = "XJH 12345", "XJH1234567"
        shown = "#coverages"
    else:
        form, name, bad, good = page.locator("#patient-correction"), "birth_date", "2100-01-01", "1970-01-02"
        shown = ".facts"
    form.locator("summary").click()
    form.locator(f"input[name={name}]").fill(bad)
    form.locator("input[name=reason]").fill(f"277CA {codes}: from the insurance card")
    form.locator("button[type=submit]").click()
    expect(page.locator(".errors")).to_contain_text(name)
    form = page.locator("details[open]", has=page.locator(f"input[name={name}]"))
    expect(form.locator(f"input[name={name}]")).to_have_value(bad)  # what was typed is kept for the retry
    form.locator(f"input[name={name}]").fill(good)
    form.locator("button[type=submit]").click()
    expect(page.locator(shown).first).to_contain_text("XJH1234567" if name == "member_id" else "1970-01-02")
    screenshot(page, "patient-corrections")
    page.goto(claim_href)
    expect(page.locator("#patient-data-hint")).to_be_visible()
    page.locator("#edit-form input[name=reason]").fill("corrected on the patient's record")
    page.locator("#edit-form button[type=submit]").click()
    expect(page.locator("h1 .badge")).to_have_text("Ready")
    expect(page.locator("#timeline")).to_contain_text("corrected for resubmission")


def test_a_secondary_plan_added_at_the_front_desk_puts_the_share_on_the_next_payers_worklist(new_page):
    """The front desk adds the secondary plan the patient brings in after the primary paid; the claim's share then
    waits on the next-payers worklist, and billing it from there makes the secondary's claim, which names the
    primary's claim and what it left the patient."""
    page = new_page()
    login(page, "admin")
    page.goto("/claims?status=paid")
    links = [a.get_attribute("href") for a in page.locator("#claims tbody tr td:first-child a").all()]
    for href in links:
        page.goto(href)
        hint = page.locator("#next-payer")
        if hint.count() and "No further plan on file" in hint.inner_text():
            break
    else:
        pytest.fail("no paid claim without a further plan in the demo's first page of paid claims")
    claim_id = int(href.rsplit("/", 1)[1])
    day = page.locator("#next-payer").inner_text().split("in force on ")[1][:10]
    page.locator("dd a[href^='/patients/']").first.click()
    page.locator("#coverage-new summary").click()
    form = page.locator("#coverage-new form")
    form.locator("select[name=payer_id]").select_option(index=1)
    form.locator("input[name=member_id]").fill("SECBROWSER1")
    form.locator("select[name=priority]").select_option("2")
    form.locator("input[name=effective_from]").fill(day)
    form.locator("input[name=effective_to]").fill(day)
    form.locator("button[type=submit]").click()
    page.wait_for_url("**#coverages")

    page.goto("/claims/worklists/next-payers")
    expect(page.locator("h1")).to_have_text("Next payers to bill")
    paid_on = [text for text in column(page, "#next-payers", 4) if text]
    assert paid_on == sorted(paid_on)  # the oldest payment first
    row = page.locator(f"#next-payer-{claim_id}")
    expect(row).to_contain_text("SECBROWSER1")
    screenshot(page, "claims-next-payers")
    row.get_by_role("button", name="Bill secondary").click()
    page.wait_for_url(re.compile(r".*/claims/\d+$"))
    assert not page.url.endswith(f"/claims/{claim_id}")
    expect(page.locator("#earlier-payer a")).to_have_attribute("href", f"/claims/{claim_id}")
    page.goto("/claims/worklists/next-payers")
    expect(page.locator(f"#next-payer-{claim_id}")).to_have_count(0)
