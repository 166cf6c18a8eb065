"""Correcting a patient or a coverage: what a payer's rejection names (a birth date, a member id) is fixed on
the record the next claim is built from, within the rules the record was created under, by whoever may write
the practice's patient data, with the reason (not the values) in the audit trail."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from openmso.agreements import presets
from openmso.agreements.terms import Access, DataAccess, DataClass
from openmso.core.audit import AuditEntry
from openmso.core.tenancy import Role
from openmso.network.models import Practice
from tests.factories import (
    add_patient,
    add_payer,
    add_practice,
    add_signed_agreement,
    add_user,
    bearer,
    ensure_mso,
    signed_in,
)


@pytest.fixture
def admin(db):
    ensure_mso(db)
    return bearer(db, add_user(db, Role.MSO_ADMIN))


@pytest.fixture
def patient(db):
    practice = add_practice(db, "Fixes")
    add_signed_agreement(db, practice)
    return add_patient(db, practice, "Fixes", add_payer(db))


def _trail(db, action: str) -> list[str]:
    return list(db.scalars(select(AuditEntry.reason).where(AuditEntry.action == action).order_by(AuditEntry.seq)))


def test_a_birth_date_is_corrected_and_the_trail_says_why_and_what_not_the_value(client, db, admin, patient):
    response = client.patch(f"/api/v1/patients/{patient.id}", headers=admin,
                            json={"birth_date": "1979-12-31", "city": "Austin",
                                  "reason": "277CA A7:158: birth date from the insurance card"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["birth_date"], body["city"], body["last_name"]) == ("1979-12-31", "Austin", "Fixesson")
    [reason] = _trail(db, "patient.update")
    assert reason == "277CA A7:158: birth date from the insurance card (birth_date, city)"
    assert "1979" not in reason


def test_a_member_id_is_re_keyed_on_the_coverage(client, db, admin, patient):
    [coverage] = patient.coverages
    response = client.patch(f"/api/v1/coverages/{coverage.id}", headers=admin,
                            json={"member_id": "XJH123456789", "group_number": "G-77", "reason": "re-keyed from card"})
    assert response.status_code == 200, response.text
    assert (response.json()["member_id"], response.json()["group_number"]) == ("XJH123456789", "G-77")
    assert response.json()["payer_name"] == "Aetna"  # the payer stays: another payer is another coverage
    assert _trail(db, "coverage.update") == ["re-keyed from card (group_number, member_id)"]
    reread = client.get(f"/api/v1/patients/{patient.id}", headers=admin).json()
    assert reread["coverages"][0]["member_id"] == "XJH123456789"


@pytest.mark.parametrize(("path", "change", "location"), [
    ("patient", {"birth_date": "2999-01-01"}, ["body", "birth_date"]),  # within PastDate's range, but future
    ("patient", {"first_name": None}, ["body", "first_name"]),  # a name cannot be cleared
    ("patient", {"postal_code": "7870"}, ["body", "postal_code"]),
    ("patient", {"mrn": "NEW1"}, ["body", "mrn"]),  # the MRN is the practice's key: not corrected here
    ("coverage", {"member_id": "W 1"}, ["body", "member_id"]),
    ("coverage", {"payer_id": 2}, ["body", "payer_id"]),
    ("coverage", {"effective_to": "2023-12-31"}, ["body"]),  # before effective_from 2024-01-01: merged rule
    ("coverage", {"subscriber_relation": "01"}, ["body"]),  # a spouse's plan needs the subscriber's name and birth
])
def test_a_correction_that_breaks_a_rule_is_422_naming_the_field_and_changes_nothing(
        client, db, admin, patient, path, change, location):
    target = patient.id if path == "patient" else patient.coverages[0].id
    before = client.get(f"/api/v1/patients/{patient.id}", headers=admin).json()
    response = client.patch(f"/api/v1/{path}s/{target}", headers=admin, json={**change, "reason": "testing"})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == location
    assert client.get(f"/api/v1/patients/{patient.id}", headers=admin).json() == before
    assert _trail(db, f"{path}.update") == []


def test_a_correction_needs_a_reason(client, admin, patient):
    response = client.patch(f"/api/v1/patients/{patient.id}", headers=admin, json={"city": "Austin"})
    assert response.status_code == 422 and response.json()["errors"][0]["loc"] == ["body", "reason"]


def test_only_writers_of_the_practice_s_patient_data_correct_it(client, db, patient):
    other = add_practice(db, "Elsewhere")
    add_signed_agreement(db, other)
    outsider = bearer(db, add_user(db, Role.MSO_STAFF, scope=[other]))
    auditor = bearer(db, add_user(db, Role.AUDITOR))
    change = {"city": "Austin", "reason": "moved"}
    assert client.patch(f"/api/v1/patients/{patient.id}", headers=outsider, json=change).status_code == 404
    assert client.patch(f"/api/v1/coverages/{patient.coverages[0].id}", headers=outsider,
                        json={"member_id": "W2", "reason": "moved"}).status_code == 404
    assert client.patch(f"/api/v1/patients/{patient.id}", headers=auditor, json=change).status_code == 403
    assert _trail(db, "patient.update") == []


def test_an_agreement_giving_the_mso_read_only_access_to_phi_refuses_the_correction(client, db, admin):
    practice = add_practice(db, "ReadOnlyPhi")
    rights = presets.standard_terms(date(2025, 1, 1)).data_rights.model_copy(update={"access": [
        DataAccess(data_class=DataClass.PHI, access=Access.READ, purpose="billing follow-up")]})
    add_signed_agreement(db, practice, data_rights=rights)
    patient = add_patient(db, practice, "ReadOnlyPhi")
    response = client.patch(f"/api/v1/patients/{patient.id}", headers=admin, json={"city": "Austin",
                                                                                  "reason": "moved"})
    assert response.status_code == 403 and "read_write needed" in response.json()["detail"]
    assert client.get(f"/api/v1/patients/{patient.id}", headers=admin).json()["city"] is None


def test_the_patient_page_corrects_a_member_id_and_keeps_what_was_typed_when_refused(client, db, settings,
                                                                                    patient):
    staff = signed_in(client, db, settings, add_user(db, Role.MSO_STAFF, scope=[db.get(Practice,
                                                                                       patient.practice_id)]))
    [coverage] = patient.coverages
    page = staff.get(f"/patients/{patient.id}").text
    assert 'id="patient-correction"' in page and f'id="coverage-{coverage.id}"' in page
    form = {"member_id": "XJH123 456", "group_number": "", "priority": "1", "subscriber_relation": "18",
            "subscriber_first_name": "", "subscriber_last_name": "", "subscriber_birth_date": "",
            "effective_from": "2024-01-01", "effective_to": "", "reason": "277CA A7:164"}
    action = f"/patients/{patient.id}/coverages/{coverage.id}/edit"
    refused = staff.post(action, data=form)
    assert refused.status_code == 422 and "member_id" in refused.text
    assert 'value="XJH123 456"' in refused.text and f'id="coverage-{coverage.id}" open' in refused.text
    done = staff.post(action, data=form | {"member_id": "XJH123456"}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/patients/{patient.id}#corrections"
    assert "<td>XJH123456</td>" in staff.get(f"/patients/{patient.id}").text
    assert _trail(db, "coverage.update") == ["277CA A7:164 (member_id)"]  # the blanks were blank already


def test_a_coverage_form_cannot_reach_another_patient_s_coverage(client, db, settings, patient):
    staff = signed_in(client, db, settings, add_user(db, Role.MSO_ADMIN))
    neighbour = add_patient(db, db.get(Practice, patient.practice_id), "Neighbour", add_payer(db))
    response = staff.post(f"/patients/{patient.id}/coverages/{neighbour.coverages[0].id}/edit",
                          data={"member_id": "W9", "reason": "typo"})
    assert response.status_code == 404
    assert _trail(db, "coverage.update") == []


def test_a_refused_form_shows_blank_fields_blank(client, db, settings, patient):
    """Blank optional fields are sent as None; shown again after a refusal they must stay blank (the browser
    would otherwise refuse the retry: "None" is not an email address)."""
    staff = signed_in(client, db, settings, add_user(db, Role.MSO_ADMIN))
    refused = staff.post(f"/patients/{patient.id}/edit", data={
        "first_name": "Alex", "last_name": "Fixesson", "birth_date": "2100-01-01", "sex": "F", "email": "",
        "phone": "", "reason": "typo"})
    assert refused.status_code == 422 and "birth_date is in the future" in refused.text
    assert 'name="email" type="email" value=""' in refused.text and 'value="None"' not in refused.text


def test_the_patient_page_adds_a_plan_naming_what_is_wrong(client, db, settings, patient):
    staff = signed_in(client, db, settings, add_user(db, Role.MSO_ADMIN))
    medicare = add_payer(db, "04412", "Medicare Part B Texas")
    form = {"payer_id": str(medicare.id), "member_id": "1EG4TE5MK73", "group_number": "", "priority": "2",
            "subscriber_relation": "18", "subscriber_first_name": "", "subscriber_last_name": "",
            "subscriber_birth_date": "", "effective_from": "2024-01-01", "effective_to": "2023-06-30"}
    refused = staff.post(f"/patients/{patient.id}/coverages/new", data=form)
    assert refused.status_code == 422 and "effective_to is before effective_from" in refused.text
    assert 'id="coverage-new" open' in refused.text and 'value="1EG4TE5MK73"' in refused.text
    done = staff.post(f"/patients/{patient.id}/coverages/new", data=form | {"effective_to": ""},
                      follow_redirects=False)
    assert done.status_code == 303
    page = staff.get(f"/patients/{patient.id}").text
    assert "<td>Medicare Part B Texas</td><td>1EG4TE5MK73</td>" in page
    assert _trail(db, "coverage.create")  # the new plan is a write of patient data, on the trail
