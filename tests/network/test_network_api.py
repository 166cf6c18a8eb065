"""The network API: creation with validation, search, paging, tenancy and audit of patient reads."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from openmso.core.audit import AuditEntry
from openmso.core.tenancy import Role
from tests.factories import (
    add_patient,
    add_payer,
    add_practice,
    add_signed_agreement,
    add_user,
    bearer,
    ensure_mso,
    valid_npi,
)

PRACTICE = {"legal_name": "Riverbend Pediatrics, PLLC", "entity_type": "PLLC", "tin": "741112222",
            "primary_state": "TX", "states_of_operation": ["TX", "OK"], "specialty": "Pediatrics",
            "owners": [{"name": "Dr Ada Lin", "ownership_percent": "60"},
                       {"name": "Dr Bo Ruiz", "ownership_percent": "40"}]}


@pytest.fixture
def admin(db):
    ensure_mso(db)
    return bearer(db, add_user(db, Role.MSO_ADMIN))


def test_admin_affiliates_a_practice_with_owners_and_states(client, admin):
    response = client.post("/api/v1/practices", headers=admin, json={**PRACTICE, "group_npi": valid_npi("2")})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["states_of_operation"] == ["OK", "TX"]
    assert [o["ownership_percent"] for o in body["owners"]] == ["60.00", "40.00"]


@pytest.mark.parametrize("change, field", [
    ({"group_npi": "1234567890"}, "group_npi"),
    ({"tin": "12-3456789"}, "tin"),
    ({"primary_state": "ZZ"}, "primary_state"),
    ({"entity_type": "LLC"}, "entity_type"),
    ({"affiliated_on": "2024-02-30"}, "affiliated_on"),
    ({"owners": [{"name": "A", "ownership_percent": "70"}, {"name": "B", "ownership_percent": "40"}]}, "body"),
    ({"unexpected": 1}, "unexpected"),
])
def test_bad_practice_input_is_422_naming_the_field(client, admin, change, field):
    response = client.post("/api/v1/practices", headers=admin, json={**PRACTICE, "group_npi": valid_npi("2"), **change})
    assert response.status_code == 422
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert any(field in map(str, e["loc"]) for e in problem["errors"]), problem


def test_malformed_json_and_wrong_types_are_4xx(client, admin):
    raw = client.post("/api/v1/practices", headers={**admin, "content-type": "application/json"}, content=b"{not json")
    assert raw.status_code == 422
    typed = client.post("/api/v1/practices", headers=admin, json=[1, 2, 3])
    assert typed.status_code == 422
    huge = client.post("/api/v1/practices", headers={**admin, "content-type": "application/json"},
                       content=b"[" + b"1," * 200_000 + b"1]")
    assert huge.status_code == 413


def test_unknown_ids_are_404_problem_json(client, admin):
    for path in ("/api/v1/practices/999999", "/api/v1/patients/999999", "/api/v1/providers/999999",
                 "/api/v1/payers/999999"):
        response = client.get(path, headers=admin)
        assert response.status_code == 404 and response.json()["status"] == 404


def test_coverage_for_unknown_payer_is_422_on_payer_id(client, db, admin):
    practice = add_practice(db, "Cov")
    add_signed_agreement(db, practice)
    patient = add_patient(db, practice, "Cov")
    response = client.post(f"/api/v1/patients/{patient.id}/coverages", headers=admin,
                           json={"payer_id": 424242, "member_id": "W1", "effective_from": "2025-01-01"})
    assert response.status_code == 422 and response.json()["errors"][0]["loc"] == ["body", "payer_id"]


def test_patient_search_by_name_mrn_and_birth_date_with_paging(client, db, admin):
    practice = add_practice(db, "Search")
    add_signed_agreement(db, practice)
    payer = add_payer(db)
    patients = [add_patient(db, practice, "Searchable", payer) for _ in range(7)]
    add_patient(db, practice, "Different")
    by_name = client.get(f"/api/v1/practices/{practice.id}/patients", headers=admin,
                         params={"q": "Searchable", "limit": 5}).json()
    assert by_name["total"] == 7 and len(by_name["items"]) == 5
    second = client.get(f"/api/v1/practices/{practice.id}/patients", headers=admin,
                        params={"q": "Searchable", "limit": 5, "page": 2}).json()
    assert len(second["items"]) == 2
    by_mrn = client.get("/api/v1/patients", headers=admin, params={"q": patients[3].mrn}).json()
    assert [p["id"] for p in by_mrn["items"]] == [patients[3].id]
    assert by_mrn["items"][0]["coverages"][0]["payer_name"] == "Aetna"


def test_staff_cannot_see_practices_outside_their_scope(client, db):
    mine, other = add_practice(db, "Scoped"), add_practice(db, "Hidden")
    add_signed_agreement(db, mine)
    add_signed_agreement(db, other)
    hidden_patient = add_patient(db, other, "Hidden")
    headers = bearer(db, add_user(db, Role.MSO_STAFF, scope=[mine]))
    assert client.get(f"/api/v1/practices/{other.id}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/patients/{hidden_patient.id}", headers=headers).status_code == 404
    listing = client.get("/api/v1/patients", headers=headers).json()
    assert all(p["practice_id"] == mine.id for p in listing["items"])


def test_auditor_reads_but_cannot_write(client, db):
    practice = add_practice(db, "ReadOnly")
    add_signed_agreement(db, practice)
    headers = bearer(db, add_user(db, Role.AUDITOR))
    assert client.get(f"/api/v1/practices/{practice.id}", headers=headers).status_code == 200
    response = client.post(f"/api/v1/practices/{practice.id}/patients", headers=headers,
                           json={"mrn": "A1", "first_name": "A", "last_name": "B", "birth_date": "1990-01-01",
                                 "sex": "F"})
    assert response.status_code == 403


def test_patient_listing_and_reading_are_audited(client, db, admin):
    practice = add_practice(db, "Trail")
    add_signed_agreement(db, practice)
    patient = add_patient(db, practice, "Trail")
    client.get(f"/api/v1/practices/{practice.id}/patients", headers=admin, params={"q": "Trail"})
    client.get(f"/api/v1/patients/{patient.id}", headers=admin)
    actions = db.scalars(select(AuditEntry.action).where(AuditEntry.practice_id == practice.id)
                         .order_by(AuditEntry.seq)).all()
    assert actions[-2:] == ["patient.list", "patient.read"]


def test_healthz_reports_the_database(client):
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["database"] == "reachable"
