"""Tenancy as a browser sees it: a practice's own people see only their practice, and another
practice's pages answer 404 (not 403, which would reveal that they exist)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from openmso.network.models import Patient, Provider
from tests.browser.support import column, login

pytestmark = pytest.mark.browser

OWN = "Austin Family Medicine Associates"
OTHER = "Lone Star Pediatrics"


def test_practice_user_sees_only_their_practice(page, live_server):
    own, other = live_server.practice(OWN), live_server.practice(OTHER)
    login(page, "front.desk")
    assert column(page, "#practices", 0) == [own.legal_name]
    assert other.legal_name not in page.content()
    nav = page.locator("header nav").inner_text()
    assert "Users" not in nav and "Audit trail" not in nav
    page.goto(f"/practices/{own.id}")
    assert page.locator("h1").inner_text().startswith(own.legal_name)


def test_another_practices_pages_are_not_found(page, live_server):
    other = live_server.practice(OTHER)
    with live_server.db() as db:
        patient_id = db.scalar(select(Patient.id).where(Patient.practice_id == other.id).limit(1))
        provider_id = db.scalar(select(Provider.id).where(Provider.practice_id == other.id).limit(1))
    login(page, "front.desk")
    for path in (f"/practices/{other.id}", f"/practices/{other.id}?page=2", f"/providers/{provider_id}",
                 f"/patients/{patient_id}"):
        response = page.goto(path)
        assert response.status == 404, path
        assert page.locator("h1").inner_text() == "404 · Not found", path
        assert other.legal_name not in page.content(), path
        assert page.locator("header .who .user").inner_text() == "front.desk"  # still signed in, page framed
    fragment = page.request.get(f"/practices/{other.id}?q=a", headers={"HX-Request": "true"})
    assert fragment.status == 404 and other.legal_name not in fragment.text()
