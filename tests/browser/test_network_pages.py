"""The practice, provider and patient pages in a real browser: what they list, the HTMX patient
search and paging, and the same reading done with JavaScript switched off."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from openmso.network.models import Location, Patient, Provider
from tests.browser.support import column, login, screenshot

pytestmark = pytest.mark.browser

PRACTICE = "Austin Family Medicine Associates"  # the demo's first practice; front.desk works there
PAGE_SIZE = 50


def _patients_in_order(live_server, practice_id: int) -> list[Patient]:
    with live_server.db() as db:
        patients = db.scalars(select(Patient).where(Patient.practice_id == practice_id)).all()
        db.expunge_all()
    return sorted(patients, key=lambda p: (p.last_name, p.first_name, p.id))


def _common_last_name(patients: list[Patient]) -> str:
    """A last name several patients share and that no other name merely starts with."""
    counts = Counter(p.last_name for p in patients)
    for name, _ in counts.most_common():
        if not any(other != name and other.startswith(name) for other in counts):
            return name
    raise AssertionError("no usable last name in the demo practice")


def _matches(patients: list[Patient], term: str) -> list[str]:
    term = term.lower()
    return [f"{p.last_name}, {p.first_name}" for p in patients
            if p.last_name.lower().startswith(term) or p.first_name.lower().startswith(term)]


def test_practice_page_lists_locations_providers_payers_and_patients(page, live_server):
    practice = live_server.practice(PRACTICE)
    with live_server.db() as db:
        locations = db.scalars(select(Location).where(Location.practice_id == practice.id)).all()
        providers = db.scalars(select(Provider).where(Provider.practice_id == practice.id)).all()
        location_cities = sorted(location.city for location in locations)
        provider_npis = sorted(provider.npi for provider in providers)
    patients = _patients_in_order(live_server, practice.id)

    login(page, "admin")
    page.get_by_role("link", name=practice.legal_name).click()
    assert page.url.endswith(f"/practices/{practice.id}")
    assert page.locator("h1").inner_text().startswith(practice.legal_name)
    assert f"{practice.tin[:2]}-{practice.tin[2:]}" in page.locator(".facts").first.inner_text()
    assert sorted(address.split(", ")[-2] for address in column(page, "#locations", 1)) == location_cities
    assert sorted(column(page, "#providers", 1)) == provider_npis
    payers = column(page, "#payers", 0)
    assert any("Medicare" in name for name in payers) and any("Medicaid" in name for name in payers)
    assert column(page, "#patients", 0) == [f"{p.last_name}, {p.first_name}" for p in patients[:PAGE_SIZE]]
    pager = page.locator("#patients .pager")
    expect(pager).to_contain_text(f"Page 1 of {-(-len(patients) // PAGE_SIZE)} · {len(patients)} rows")
    screenshot(page, "practice")


def test_patient_search_swaps_in_only_the_matching_patients(page, live_server):
    practice = live_server.practice(PRACTICE)
    patients = _patients_in_order(live_server, practice.id)
    term = _common_last_name(patients)
    expected = _matches(patients, term)
    assert 1 < len(expected) < PAGE_SIZE

    login(page, "admin")
    page.goto(f"/practices/{practice.id}")
    page.wait_for_function("window.htmx !== undefined")
    with page.expect_response(lambda r: "q=" in r.url and r.request.headers.get("hx-request") == "true") as swap:
        page.get_by_label("Search").press_sequentially(term.lower(), delay=20)
    assert swap.value.ok
    expect(page.locator("#patients tbody tr")).to_have_count(len(expected))
    assert column(page, "#patients", 0) == expected
    assert page.url.endswith(f"/practices/{practice.id}"), "the table was swapped in place, not a new page"
    assert page.locator("#providers").is_visible()


def test_patient_paging_swaps_the_table_in_place(page, live_server):
    practice = live_server.practice(PRACTICE)
    patients = _patients_in_order(live_server, practice.id)
    login(page, "admin")
    page.goto(f"/practices/{practice.id}")
    page.wait_for_function("window.htmx !== undefined")
    with page.expect_response(lambda r: "page=2" in r.url and r.request.headers.get("hx-request") == "true"):
        page.locator("#patients .pager a[rel=next]").click()
    expect(page.locator("#patients .pager")).to_contain_text("Page 2 of")
    assert column(page, "#patients", 0)[0] == f"{patients[PAGE_SIZE].last_name}, {patients[PAGE_SIZE].first_name}"
    assert page.url.endswith(f"/practices/{practice.id}")
    page.locator("#patients .pager a[rel=prev]").click()
    expect(page.locator("#patients .pager")).to_contain_text("Page 1 of")


def test_practice_pages_read_without_javascript(new_page, live_server):
    page = new_page(java_script_enabled=False)
    practice = live_server.practice(PRACTICE)
    patients = _patients_in_order(live_server, practice.id)
    login(page, "front.desk")
    page.goto(f"/practices/{practice.id}")
    assert page.evaluate("typeof window.htmx") == "undefined", "scripts must not run in this page"
    last_page = -(-len(patients) // PAGE_SIZE)
    for number in range(2, last_page + 1):
        with page.expect_navigation():
            page.locator("#patients .pager a[rel=next]").click()
        assert re.search(rf"[?&]page={number}\b", page.url)
        expect(page.locator("#patients .pager")).to_contain_text(f"Page {number} of {last_page}")
    start = (last_page - 1) * PAGE_SIZE
    assert column(page, "#patients", 0) == [f"{p.last_name}, {p.first_name}" for p in patients[start:]]
    assert page.locator("#patients .pager a[rel=next]").count() == 0

    term = _common_last_name(patients)
    page.get_by_label("Search").fill(term)
    with page.expect_navigation():
        page.get_by_role("button", name="Search").click()
    assert f"q={term}" in page.url
    assert column(page, "#patients", 0) == _matches(patients, term)


def test_provider_page_shows_identifiers_and_licences(page, live_server):
    practice = live_server.practice(PRACTICE)
    login(page, "admin")
    page.goto(f"/practices/{practice.id}")
    first = page.locator("#providers tbody tr").first
    name, npi = first.locator("td").nth(0).inner_text(), first.locator("td").nth(1).inner_text()
    first.get_by_role("link").click()
    assert re.search(r"/providers/\d+$", page.url)
    assert page.locator("h1").inner_text() == name
    facts = page.locator(".facts").inner_text()
    assert npi in facts and practice.legal_name in facts
    assert column(page, "#licenses", 0) == practice.states_of_operation
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", day) for day in column(page, "#licenses", 2))
    screenshot(page, "provider")


def test_patient_page_view_is_on_the_audit_trail_for_the_auditor(new_page, live_server):
    practice = live_server.practice(PRACTICE)
    patient = _patients_in_order(live_server, practice.id)[-1]
    desk = new_page()
    login(desk, "front.desk")
    desk.goto(f"/practices/{practice.id}?q={patient.mrn}")
    desk.get_by_role("link", name=f"{patient.last_name}, {patient.first_name}").click()
    assert desk.url.endswith(f"/patients/{patient.id}")
    assert desk.locator("h1").inner_text() == f"{patient.last_name}, {patient.first_name}"
    assert patient.mrn in desk.locator(".facts").first.inner_text()
    expect(desk.locator(".notice")).to_contain_text("recorded in the audit trail")
    assert desk.locator("#coverages tbody tr").count() >= 1
    screenshot(desk, "patient")

    auditor = new_page()
    login(auditor, "auditor")
    auditor.goto(f"/audit?patient_id={patient.id}&action=patient.read")
    rows = auditor.locator("#audit tbody tr")
    expect(rows.first).to_contain_text("front.desk")
    first = rows.first.locator("td")
    assert first.nth(3).inner_text() == "patient.read"
    assert first.nth(4).inner_text() == f"patient #{patient.id}"
    assert first.nth(5).inner_text() == str(practice.id) and first.nth(6).inner_text() == str(patient.id)
    assert first.nth(7).inner_text() == "success"
