"""The audit-trail page in a real browser: filtering with the form and downloading the CSV export."""

from __future__ import annotations

import csv
import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import column, login, screenshot

pytestmark = pytest.mark.browser

CSV_HEADER = ["seq", "occurred_at", "actor_id", "actor_name", "actor_role", "action", "object_type", "object_id",
              "practice_id", "patient_id", "outcome", "reason", "prev_hash", "entry_hash", "basis"]


def _total(page) -> int:
    """The number of matching entries the pager reports ("1,234 rows")."""
    return int(page.locator("main .total").inner_text().split()[0].replace(",", ""))


def test_auditor_filters_the_trail_and_downloads_the_same_entries_as_csv(page, live_server, tmp_path):
    practice = live_server.practice("Lone Star Pediatrics")
    login(page, "auditor")
    page.get_by_role("link", name="Audit trail").click()
    assert page.locator("h1").inner_text() == "Audit trail"
    everything = _total(page)
    screenshot(page, "audit-trail")

    # The other fields stay empty, as a person leaves them: empty means "no filter", not bad input.
    page.get_by_label("Practice id").fill(str(practice.id))
    with page.expect_navigation():
        page.get_by_role("button", name="Filter").click()
    assert page.url.endswith(f"/audit?practice_id={practice.id}")
    practices = column(page, "#audit", 5)
    assert practices and set(practices) == {str(practice.id)}
    shown = _total(page)
    assert 0 < shown < everything
    expect(page.get_by_label("Practice id")).to_have_value(str(practice.id))

    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    assert download.value.suggested_filename == "audit-trail.csv"
    path = tmp_path / "audit-trail.csv"
    download.value.save_as(path)
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == CSV_HEADER
    entries = [dict(zip(CSV_HEADER, row, strict=True)) for row in rows[1:]]
    # The export is recorded before it is written, so the file opens with its own entry.
    export, listed = entries[0], entries[1:]
    assert (export["action"], export["actor_name"], export["practice_id"]) == ("audit.export", "auditor",
                                                                              str(practice.id))
    assert export["reason"] == f"practice_id={practice.id}"
    table = column(page, "#audit", 0)  # the first page of the same filter, newest first
    assert [entry["seq"] for entry in listed[: len(table)]] == table
    assert len(listed) == shown and {entry["practice_id"] for entry in listed} == {str(practice.id)}
    assert "patient.import" in {entry["action"] for entry in listed}
    assert all(re.fullmatch(r"[0-9a-f]{64}", entry["entry_hash"]) for entry in entries)


def test_filter_by_action_and_date_narrows_the_trail(page, live_server):
    login(page, "auditor")
    page.goto("/audit")
    newest_day = column(page, "#audit", 1)[0][:10]
    page.get_by_label("Action").fill("login")
    page.get_by_label("From").fill(newest_day)
    with page.expect_navigation():
        page.get_by_role("button", name="Filter").click()
    assert "action=login" in page.url and f"date_from={newest_day}" in page.url and "practice_id" not in page.url
    actions = column(page, "#audit", 3)
    assert actions and set(actions) == {"login"}
    assert all(when[:10] >= newest_day for when in column(page, "#audit", 1))
