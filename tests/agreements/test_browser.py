"""The agreement pages in Chromium against the live demo: the network of agreements, the risk
panel and control map of the flagged Oregon friendly-PC agreement, and the editor refusing a
clinical decision for the MSO. Screenshots go to build/screenshots/agreements-*.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from openmso.agreements.models import AgreementVersion
from tests.browser.support import SCREENSHOTS, column, login, screenshot

pytestmark = pytest.mark.browser

OREGON = "Willamette Valley Primary Care"
TEXAS = "Austin Family Medicine Associates"
OPEN_DRAFT = "Lone Star Pediatrics"


def _version(live_server, practice_name: str, status: str) -> int:
    practice = live_server.practice(practice_name)
    with live_server.db() as db:
        return db.scalar(select(AgreementVersion.id).where(AgreementVersion.practice_id == practice.id,
                                                           AgreementVersion.status == status))


def _shot(locator, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    locator.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def test_network_page_shows_models_fees_and_flag_counts(page, live_server):
    login(page, "admin")
    page.goto("/agreements")
    practices = column(page, "#agreements", 0)
    assert any(p.startswith(OREGON) for p in practices) and any(p.startswith(TEXAS) for p in practices)
    oregon = page.locator("#agreements tbody tr", has_text=OREGON)
    expect(oregon).to_contain_text("Friendly")
    assert int(oregon.locator("td").nth(6).inner_text()) > 0  # high flags
    texas = page.locator("#agreements tbody tr", has_text=TEXAS)
    assert [texas.locator("td").nth(i).inner_text() for i in (6, 7, 8, 9)] == ["0", "0", "0", "0"]
    screenshot(page, "agreements-network")


def test_risk_panel_and_control_map_of_the_oregon_friendly_pc(page, live_server):
    login(page, "admin")
    page.goto(f"/agreement-versions/{_version(live_server, OREGON, 'signed')}?as_of=2026-11-01")
    panel = page.locator("#risk-panel")
    expect(panel).to_contain_text("OR-SB951-STRUCTURE")
    expect(panel).to_contain_text("Decision support, not legal advice")
    _shot(panel, "agreements-risk-panel")
    control_map = page.locator("#control-map svg")
    expect(control_map).to_be_visible()
    assert control_map.locator("g.side-2").count() > 5  # much of it on the MSO side
    _shot(page.locator("#control-map"), "agreements-control-map")


def test_editor_refuses_a_clinical_decision_for_the_mso_and_saves_a_valid_draft(page, live_server):
    login(page, "admin")
    draft = _version(live_server, OPEN_DRAFT, "draft")
    page.goto(f"/agreement-versions/{draft}/edit")
    screenshot(page, "agreements-editor")
    page.select_option("select[name='decision.clinical_protocols.holder']", "mso")
    with page.expect_navigation():
        page.click("#agreement-editor button[type=submit]")
    expect(page.locator("#editor-errors")).to_contain_text("Schedule C.4 (Clinical protocols and standards of care)")
    screenshot(page, "agreements-editor-refused")
    page.select_option("select[name='decision.clinical_protocols.holder']", "practice")
    with page.expect_navigation():
        page.click("#agreement-editor button[type=submit]")
    assert page.url.endswith(f"/agreement-versions/{draft}")
    expect(page.locator("#risk-panel")).to_be_visible()
