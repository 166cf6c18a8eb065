"""Signing in and out in a real browser, and the network overview a signed-in user lands on."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from openmso.network.models import Location, Patient, Practice, Provider
from tests.browser.support import column, login, logout, screenshot

pytestmark = pytest.mark.browser


def test_wrong_password_shows_the_error_and_keeps_you_on_the_form(page):
    response = page.goto("/")
    assert response.ok and page.url.endswith("/login?next=%2F")  # not signed in: sent to the form
    screenshot(page, "login")
    login(page, "admin", "not-the-password", expect_success=False)
    assert "/login" in page.url
    assert page.get_by_role("alert").inner_text() == "Unknown username or wrong password."
    assert page.locator("header nav").count() == 0  # still nobody signed in


def test_correct_password_reaches_the_network_overview(page, live_server):
    login(page, "admin")
    assert page.url == live_server.url + "/"
    assert page.locator("h1").inner_text().endswith("network overview")
    assert page.locator("header .who .user").inner_text() == "admin"
    assert page.locator("header .who .role").inner_text() == "MSO admin"

    with live_server.db() as db:
        practices = db.scalars(select(Practice).order_by(Practice.legal_name)).all()
        providers = dict(db.execute(select(Provider.practice_id, func.count()).group_by(Provider.practice_id)).all())
        expected_totals = {
            "PRACTICES": len(practices),
            "PROVIDERS": db.scalar(select(func.count()).select_from(Provider)),
            "LOCATIONS": db.scalar(select(func.count()).select_from(Location)),
            "PATIENTS": db.scalar(select(func.count()).select_from(Patient)),
        }
        rows = [(p.legal_name, p.primary_state, p.specialty, p.affiliation_status, providers.get(p.id, 0))
                for p in practices]

    shown_totals = {
        stat.locator(".l").inner_text().upper(): int(stat.locator(".n").inner_text().replace(",", ""))
        for stat in page.locator("#network-totals .stat").all()
    }
    assert shown_totals == expected_totals
    assert expected_totals["PATIENTS"] == live_server.demo.patients

    table = "#practices"
    assert column(page, table, 0) == [name for name, *_ in rows]
    assert [state.split()[0] for state in column(page, table, 1)] == [state for _, state, *_ in rows]
    assert column(page, table, 2) == [specialty for _, _, specialty, *_ in rows]
    assert [status.lower() for status in column(page, table, 3)] == [status for *_, status, _ in rows]
    assert [int(n) for n in column(page, table, 4)] == [n for *_, n in rows]
    assert {"CA", "OR", "TX"} <= set(page.locator(".grid .card").first.locator("td:first-child").all_inner_texts())
    screenshot(page, "overview")


def test_sign_out_ends_the_session(page):
    login(page, "auditor")
    logout(page)
    assert page.url.endswith("/login")
    page.goto("/")
    assert "/login" in page.url, "a signed-out browser must not reach the overview"
    assert page.locator("#practices").count() == 0


def test_signing_in_returns_to_the_page_that_was_asked_for(page, live_server):
    practice = live_server.practice("Lone Star Pediatrics")
    wanted = f"/practices/{practice.id}?page=2"
    page.goto(wanted)
    assert "/login?next=" in page.url
    login(page, "biller.tx")
    assert page.url == live_server.url + wanted
    assert page.locator("h1").inner_text().startswith(practice.legal_name)
    assert "Page 2 of" in page.locator("#patients .pager").inner_text()
