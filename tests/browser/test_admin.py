"""User administration and API tokens in a real browser: creating a user (and being told inline
what is wrong), assigning an MSO staff member's practices, and what that staff member then sees."""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import expect

from tests.browser.support import column, login, screenshot

pytestmark = pytest.mark.browser

FIRST_SCOPE = "Lone Star Pediatrics, P.A."
ADDED_SCOPE = "Willamette Valley Primary Care, P.C."


def test_admin_creates_a_staff_user_assigns_scope_and_the_user_sees_only_those_practices(new_page, live_server):
    username = f"staff.{secrets.token_hex(3)}"
    admin = new_page()
    login(admin, "admin")
    admin.get_by_role("link", name="Users").click()
    assert admin.locator("h1").inner_text() == "Users"
    assert {"admin", "auditor", "biller.tx", "front.desk"} <= set(column(admin, "table", 0))
    screenshot(admin, "users")

    admin.get_by_role("link", name="New user").click()
    admin.get_by_label("Username").fill(username)
    admin.get_by_label("Full name").fill("Claims Follow-up Specialist")
    admin.get_by_label("Initial password").fill("short")
    admin.locator("select[name=role]").select_option("mso_staff")
    admin.get_by_role("checkbox", name=FIRST_SCOPE).check()
    # The server must refuse what a browser without constraint validation (or a script) would send.
    admin.locator("form.stacked").evaluate("form => form.noValidate = true")
    with admin.expect_response(lambda r: r.request.method == "POST") as refused:
        admin.get_by_role("button", name="Create user").click()
    assert refused.value.status == 422
    expect(admin.get_by_role("alert")).to_contain_text("The user was not created")
    password = admin.locator("input[name=password]")
    assert password.get_attribute("aria-invalid") == "true" and password.input_value() == ""
    password_label = admin.locator("label", has=password)
    expect(password_label.locator(".field-error")).to_have_text("must be at least 10 characters")
    assert admin.locator(".field-error").count() == 1, "only the password is wrong"
    expect(admin.get_by_label("Username")).to_have_value(username)  # what was typed is kept
    expect(admin.get_by_role("checkbox", name=FIRST_SCOPE)).to_be_checked()
    screenshot(admin, "new-user-errors")

    password.fill("a long enough passphrase")
    with admin.expect_navigation():
        admin.get_by_role("button", name="Create user").click()
    assert re.search(r"/admin/users#user-\d+$", admin.url)
    row = admin.locator(f"tr#{admin.url.rsplit('#', 1)[1]}")
    expect(row).to_contain_text(username)
    expect(row.locator(".badge").first).to_have_text("MSO staff")
    expect(row.locator(".scope-names")).to_have_text(FIRST_SCOPE)

    row.get_by_text("Change scope").click()
    row.get_by_role("checkbox", name=ADDED_SCOPE).check()
    with admin.expect_navigation():
        row.get_by_role("button", name="Save scope").click()
    expect(row.locator(".scope-names")).to_contain_text(FIRST_SCOPE)
    expect(row.locator(".scope-names")).to_contain_text(ADDED_SCOPE)

    staff = new_page()
    login(staff, username, "a long enough passphrase")
    assert column(staff, "#practices", 0) == [FIRST_SCOPE, ADDED_SCOPE]
    stats = dict(zip(staff.locator("#network-totals .stat .l").all_text_contents(),
                     staff.locator("#network-totals .stat .n").all_text_contents(),
                     strict=True))
    assert stats["practices"] == "2"
    assert staff.get_by_role("link", name="Users").count() == 0
    outside = live_server.practice("Austin Family Medicine Associates")
    assert staff.goto(f"/practices/{outside.id}").status == 404


def test_api_token_is_shown_once_works_and_can_be_revoked(page, live_server):
    login(page, "biller.tx")
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Name").fill("nightly export")
    page.get_by_role("button", name="Create token").click()
    token = page.locator("#new-token").inner_text().strip()
    assert len(token) >= 32
    row = page.locator("tbody tr", has_text="nightly export").last
    prefix = row.locator("td").nth(1).inner_text().rstrip("…")
    assert prefix and token.startswith(prefix) and len(prefix) < len(token)
    expect(row.locator(".badge")).to_have_text("active")
    screenshot(page, "tokens")

    answer = page.request.get("/api/v1/practices", headers={"Authorization": f"Bearer {token}"})
    assert answer.status == 200
    states = {practice["primary_state"] for practice in answer.json()["items"]}
    assert states == {"TX", "CA"}, "the token acts with the user's scope"

    page.goto("/account/tokens")
    assert page.locator("#new-token").count() == 0 and token not in page.content()
    row = page.locator("tbody tr", has_text="nightly export").last
    with page.expect_navigation():
        row.get_by_role("button", name="Revoke").click()
    expect(page.locator("tbody tr", has_text="nightly export").last.locator(".badge")).to_contain_text("revoked")
    assert page.request.get("/api/v1/practices", headers={"Authorization": f"Bearer {token}"}).status == 401
