"""Data-access governance: an MSO user's read of patient data records the clause that allowed it, and the
practice's data access report shows who read what, when, under which clause, filtered and exported."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from openmso.agreements import presets
from openmso.agreements.catalogue import DataClass
from openmso.core import audit
from openmso.core.audit import AuditEntry
from openmso.core.tenancy import SYSTEM, Role
from openmso.exit import data_access
from openmso.network.models import Patient
from tests.factories import add_practice, add_signed_agreement, add_user, build_world, signed_in


@pytest.fixture
def world(db):
    return build_world(db)


def _patient(db, practice):
    return db.scalars(select(Patient).where(Patient.practice_id == practice.id).order_by(Patient.id)).first()


def test_an_mso_read_of_a_patient_records_the_clause_and_purpose(client, db, settings, world):
    practice = world.practices[0]
    patient = _patient(db, practice)
    staff = add_user(db, Role.MSO_STAFF, scope=[practice], display_name="Morgan Biller")
    assert signed_in(client, db, settings, staff).get(f"/api/v1/patients/{patient.id}").status_code == 200
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "patient.read",
                                                AuditEntry.actor_id == staff.id)).one()
    assert entry.basis.startswith("read_phi: Schedule F.2.1 (MSO access to protected health information) of "
                                  "agreement #")
    assert "purpose: payment and health care operations for the practice, under the BAA" in entry.basis
    assert audit.verify_chain(db).ok  # the basis is inside the hash


def test_the_practice_admin_sees_mso_reads_with_their_clause_and_nothing_of_others(client, db, settings, world):
    alpha, bravo = world.practices[0], world.practices[1]
    staff = add_user(db, Role.MSO_STAFF, scope=[alpha, bravo], display_name="Morgan Biller")
    mso = signed_in(client, db, settings, staff)
    mso.get(f"/api/v1/patients/{_patient(db, alpha).id}")
    mso.get(f"/api/v1/patients/{_patient(db, bravo).id}")
    admin = add_user(db, Role.PRACTICE_ADMIN, alpha)
    http = signed_in(client, db, settings, admin)
    http.get(f"/api/v1/patients/{_patient(db, alpha).id}")  # the practice's own read is not the MSO's
    report = http.get(f"/api/v1/practices/{alpha.id}/data-access").json()
    reads = [r for r in report["items"] if r["action"] == "patient.read"]
    assert len(reads) == 1 and reads[0]["actor_id"] == staff.id and reads[0]["data_class"] == "phi"
    assert reads[0]["patient_id"] == _patient(db, alpha).id and "Schedule F.2.1" in reads[0]["basis"]
    assert all(r["actor_role"] != "practice_admin" for r in report["items"])
    assert http.get(f"/api/v1/practices/{bravo.id}/data-access").status_code == 404
    page = http.get(f"/practices/{alpha.id}/data-access")
    assert page.status_code == 200 and staff.username in page.text and "Schedule F.2.1" in page.text
    assert "Qzbravo" not in page.text


def test_filters_by_date_user_and_data_class_and_the_csv_export(client, db, settings, world):
    practice = world.practices[0]
    staff = add_user(db, Role.MSO_STAFF, scope=[practice])
    other = add_user(db, Role.MSO_ADMIN)
    signed_in(client, db, settings, staff).get(f"/api/v1/patients/{_patient(db, practice).id}")
    signed_in(client, db, settings, other).get("/api/v1/ar/aging", params={"practice_id": practice.id})
    http = signed_in(client, db, settings, add_user(db, Role.PRACTICE_ADMIN, practice))
    url = f"/api/v1/practices/{practice.id}/data-access"
    by_staff = http.get(url, params={"actor_id": staff.id}).json()["items"]
    assert by_staff and {r["actor_id"] for r in by_staff} == {staff.id}
    billing = http.get(url, params={"data_class": "billing"}).json()["items"]
    assert billing and {r["data_class"] for r in billing} == {"billing"}
    assert any(r["action"] == "ar.aging" and "post_payments: Schedule A.1" in r["basis"]
               and "purpose: revenue cycle" in r["basis"] for r in billing)
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    assert http.get(url, params={"date_from": tomorrow}).json()["total"] == 0
    assert http.get(url, params={"date_to": date.today().isoformat()}).json()["total"] >= 2
    paged = http.get(url, params={"limit": 1, "page": 2}).json()
    assert paged["limit"] == 1 and paged["page"] == 2 and len(paged["items"]) == 1
    exported = http.get(f"{url}.csv", params={"data_class": "phi"})
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert exported.headers["content-type"].startswith("text/csv") and rows
    assert {r["data_class"] for r in rows} == {"phi"} and any("Schedule F.2.1" in r["basis"] for r in rows)
    assert db.scalars(select(AuditEntry).where(AuditEntry.action == "exit.data_access_export")).first()


@pytest.mark.parametrize("role", [Role.PRACTICE_USER, Role.MSO_STAFF])
def test_the_report_is_for_the_practice_admins_mso_admins_and_auditors(role, client, db, settings, world):
    practice = world.practices[0]
    user = add_user(db, role, practice if role is Role.PRACTICE_USER else None, scope=[practice])
    assert signed_in(client, db, settings, user).get(
        f"/api/v1/practices/{practice.id}/data-access").status_code == 403


@pytest.mark.parametrize(("action", "patient_id", "expected"), [
    ("patient.read", 1, DataClass.PHI), ("claim.list", None, DataClass.PHI), ("ar.patient_aging", None, DataClass.PHI),
    ("ar.aging", None, DataClass.BILLING), ("ar.aging", 5, DataClass.PHI), ("agreement.sign", None,
                                                                           DataClass.OPERATIONAL),
    ("aggregation.kpi_trend", None, DataClass.DEIDENTIFIED), ("exit.plan", None, DataClass.BILLING),
])
def test_each_entry_falls_in_one_data_class_in_python_and_in_sql(action, patient_id, expected, db):
    assert data_access.data_class_of(action, patient_id) is expected
    entry = audit.record(db, SYSTEM, action, "test", None, patient_id=patient_id)
    matching = {c for c in DataClass
                if db.scalar(select(AuditEntry.seq).where(AuditEntry.seq == entry.seq,
                                                          data_access.class_condition(c))) is not None}
    assert matching == {expected}


def test_revenue_cycle_work_needs_the_billing_data_class_open(client, db, settings, world):
    terms = presets.standard_terms(date(2025, 1, 1))
    closed = presets.revised(terms, {"data_rights": terms.data_rights.model_copy(update={"access": [
        a for a in terms.data_rights.access if a.data_class is not DataClass.BILLING]})})
    practice = add_practice(db, "Qzhotel")
    add_signed_agreement(db, practice, terms=closed)
    http = signed_in(client, db, settings, add_user(db, Role.MSO_ADMIN))
    refused = http.get(f"/api/v1/practices/{practice.id}/exit/plan")
    assert refused.status_code == 403 and "Schedule F.2.2 (MSO access to billing data)" in refused.json()["detail"]
    rows = http.get("/api/v1/ar/aging", params={"as_of": "2026-11-20"}).json()
    assert practice.legal_name not in {r["label"] for r in rows} and len(rows) == 3
    basis = db.scalars(select(AuditEntry.basis).where(AuditEntry.action == "ar.aging",
                                                      AuditEntry.practice_id.is_(None))).first()
    assert basis is None  # a listing over several practices names no single clause; each is noted per practice
