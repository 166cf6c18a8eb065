"""The claims API and pages over real data: lists, detail with segments sent, worklists, CSV import."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from openmso.core.tenancy import Role
from openmso.network.models import Patient, Payer
from openmso.rcm.claims.models import Charge, Claim
from tests.factories import add_user, build_world, signed_in


def _admin_client(client, db, settings):
    world = build_world(db)
    return world, signed_in(client, db, settings, add_user(db, Role.MSO_ADMIN))


def test_claims_pages_show_the_pipeline(client, db, settings):
    world, browser = _admin_client(client, db, settings)
    listing = browser.get("/claims", params={"status": "payer_rejected"})
    assert listing.status_code == 200 and "Payer rejected" in listing.text
    rejected = db.scalars(select(Claim).where(Claim.status == "payer_rejected")).first()
    assert rejected.patient_control_number in listing.text
    listed = listing.text[listing.text.index(f">{rejected.patient_control_number}</a>"):]
    assert db.get(Payer, rejected.payer_id).name in listed[:listed.index("</tr>")]  # each claim names its payer
    detail = browser.get(f"/claims/{rejected.id}")
    assert detail.status_code == 200
    assert f"CLM*{rejected.patient_control_number}*145.00***11:B:1*" in detail.text  # the segments sent
    assert "Type 2 diabetes mellitus without complications" in detail.text and "Timeline" in detail.text
    rejections = browser.get("/claims/worklists/rejections").text
    assert "member id not found" in rejections
    patient, payer = db.get(Patient, rejected.patient_id), db.get(Payer, rejected.payer_id)
    file_by = rejected.service_date_from + timedelta(days=payer.timely_filing_days)  # never received: still runs
    row = rejections[rejections.index(rejected.patient_control_number):]
    row = row[:row.index("</tr>")]
    assert f"{patient.last_name}, {patient.first_name}" in row and payer.name in row and file_by.isoformat() in row
    held = browser.get("/claims/worklists/scrubber").text
    assert "DX-001" in held and "category, not a billable code" in held
    assert "837P_" in browser.get("/claims/batches").text


def test_claims_api_lists_with_filters_and_paging(client, db, settings):
    world, browser = _admin_client(client, db, settings)
    practice = world.practices[0]
    page = browser.get("/api/v1/claims", params={"practice_id": practice.id, "limit": 1}).json()
    expected = len(db.scalars(select(Claim.id).where(Claim.practice_id == practice.id)).all())
    assert page["total"] == expected >= 2 and len(page["items"]) == 1
    assert page["items"][0]["practice_id"] == practice.id
    detail = browser.get(f"/api/v1/claims/{page['items'][0]['id']}").json()
    assert detail["lines"][0]["procedure_code"] == "99213" and detail["timeline"][0]["event"] == "create"


def test_csv_import_over_the_api_reports_rows_and_columns(client, db, settings):
    world, browser = _admin_client(client, db, settings)
    practice = world.practices[0]
    body = ("mrn,service_date,procedure_code,charge_amount,diagnoses,rendering_npi,location\n"
            "NOPE,2026-10-01,99213,145.00,E11.9,0000000000,Nowhere\n")
    response = browser.post(f"/api/v1/practices/{practice.id}/charges/import", content=body,
                            headers={"content-type": "text/csv"})
    assert response.status_code == 422
    problem = response.json()
    assert {tuple(e["loc"]) for e in problem["errors"]} == {("line 2", "mrn"), ("line 2", "rendering_npi"),
                                                           ("line 2", "location")}


def test_a_csv_import_that_is_not_utf8_is_refused_with_the_byte_not_stored_altered(client, db, settings):
    world, browser = _admin_client(client, db, settings)
    practice = world.practices[0]
    body = "mrn,service_date\nZoë,2026-10-01\n".encode("cp1252")
    charges = select(func.count()).select_from(Charge).where(Charge.practice_id == practice.id)
    before = db.scalar(charges)
    response = browser.post(f"/api/v1/practices/{practice.id}/charges/import", content=body,
                            headers={"content-type": "text/csv"})
    assert response.status_code == 422
    problem = response.json()
    assert "not UTF-8" in problem["detail"] and problem["errors"][0]["loc"] == ["byte 20"]
    assert db.scalar(charges) == before


def test_a_practice_user_enters_a_charge_in_the_form(client, db, settings):
    world = build_world(db)
    practice = world.practices[0]
    user = add_user(db, Role.PRACTICE_USER, practice)
    browser = signed_in(client, db, settings, user)
    form = browser.get(f"/practices/{practice.id}/charges/new")
    assert form.status_code == 200
    patient_id = next(pid for pid, owner in world.owners["patient_id"].items() if owner == practice.id)
    provider_id = next(pid for pid, owner in world.owners["provider_id"].items() if owner == practice.id)
    location = form.text.split('name="location_id"><option value="')[1].split('"')[0]
    fields = {"patient_id": patient_id, "rendering_provider_id": provider_id, "location_id": location,
              "service_date": "2026-10-02", "procedure_code": "99214", "charge_amount": "210.00",
              "diagnoses": "I10", "pointers": "1"}
    bad = browser.post(f"/practices/{practice.id}/charges/new", data={**fields, "diagnoses": "Q99.99X"})
    assert bad.status_code == 422 and "not an ICD-10-CM code" in bad.text
    good = browser.post(f"/practices/{practice.id}/charges/new", data=fields, follow_redirects=False)
    assert good.status_code == 303
