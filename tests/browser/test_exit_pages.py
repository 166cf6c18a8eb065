"""The practice page's "Exit readiness" and "Data access" tabs in Chromium on the demo network: the
dry run and a chosen notice date, the exit package requested from the page, the risky agreement's
silences, and the data access report filtered to PHI reads with their clauses."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from openmso.agreements.models import AgreementVersion
from openmso.identity.models import User
from tests.browser.support import column, login, screenshot

pytestmark = pytest.mark.browser


def _practice_tab(new_page, live_server, tab: str):
    """The practice admin on their own practice's page, after clicking one of its tabs."""
    with live_server.db() as db:
        practice_id = db.scalar(select(User.practice_id).where(User.username == "practice.admin"))
    page = new_page()
    login(page, "practice.admin")
    page.goto(f"/practices/{practice_id}")
    page.click(f"nav.tabs >> text={tab}")
    return page, practice_id


def test_a_practice_admin_runs_the_dry_run_and_requests_the_exit_package(new_page, live_server):
    page, practice_id = _practice_tab(new_page, live_server, "Exit readiness")
    expect(page.locator("h2").first).to_contain_text("Dry run: what if we gave notice today?")
    expect(page.locator("#timeline")).to_contain_text("Out of the MSO on")
    assert len(column(page, "#contracts", 0)) >= 3
    assert any("45 CFR §164.308(a)(2)" in text for text in page.locator("#compliance li").all_inner_texts())
    open_ar = page.locator("#open-ar tfoot").inner_text()
    assert "$" in open_ar and "$0.00" not in open_ar.split()[-1]
    screenshot(page, "exit-readiness")
    notice = (date.today() + timedelta(days=30)).isoformat()  # a chosen day, never today (that is the dry run)
    page.fill("input[name=as_of]", notice)
    page.click("text=Work out the plan")
    expect(page.locator("h2").first).to_contain_text(f"If notice were given on {notice}")
    page.click("text=Build the exit package now")
    expect(page.locator("#exit-package")).to_contain_text("Package built", timeout=60_000)
    with page.expect_download() as download:
        page.click("#exit-package a >> text=.zip")
    assert download.value.suggested_filename.startswith(f"practice-{practice_id}-")
    screenshot(page, "exit-readiness-package")


def test_the_risky_agreement_shows_what_it_does_not_say(new_page, live_server):
    with live_server.db() as db:
        practice_id = db.scalar(select(AgreementVersion.practice_id).where(
            AgreementVersion.status == "signed", AgreementVersion.model == "friendly_pc"))
    assert practice_id is not None
    page = new_page()
    login(page, "admin")
    page.goto(f"/practices/{practice_id}/exit-readiness")
    risks = page.locator("#risks p.risk-silent").all_inner_texts()
    assert any(text.startswith("agreement silent: the formats") for text in risks)
    assert any(text.startswith("agreement silent: who collects the A/R") for text in risks)
    expect(page.locator("#systems")).to_contain_text("Replace:")
    screenshot(page, "exit-readiness-silent-agreement")


def test_the_data_access_report_shows_mso_reads_with_their_clause(new_page, live_server):
    page, practice_id = _practice_tab(new_page, live_server, "Data access")
    rows = page.locator("#data-access tbody tr")
    expect(rows.first).to_be_visible()
    assert "No access by the MSO matches" not in page.locator("#data-access").inner_text()
    bases = column(page, "#data-access", 5)
    assert any("Schedule F.2.1" in basis for basis in bases) or any("Schedule F.3" in basis for basis in bases)
    screenshot(page, "data-access")
    page.select_option("select[name=data_class]", "phi")
    page.click("form.filters button[type=submit]")
    expect(page.locator("#data-access tbody tr").first).to_contain_text("Protected health information")
    assert set(column(page, "#data-access", 3)) == {"Protected health information"}
    # every MSO access names the clause that allowed it: a patient's record under the PHI clauses (F.2.1, or the
    # BAA F.4), a remittance or A/R page under the decision right it serves (post_payments: Schedule A.1)
    accesses = list(zip(column(page, "#data-access", 2), column(page, "#data-access", 5), strict=True))
    assert all(re.search(r"Schedule [A-Z][.0-9]* \(.+\) of agreement #\d+", basis) for _, basis in accesses), accesses
    assert all("Schedule F.2.1" in basis or "Schedule F.4" in basis
               for action, basis in accesses if action.startswith("patient.")), accesses
    screenshot(page, "data-access-phi")
    with page.expect_download() as download:
        page.click("text=Export CSV")
    assert download.value.suggested_filename == f"data-access-{practice_id}.csv"
