"""The "what if we left today" dry run over the API and the page: who may run it, and what it reads."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from openmso.agreements import presets
from openmso.agreements import schemas as agreement_schemas
from openmso.agreements import service as agreements
from openmso.agreements.catalogue import ServiceKey
from openmso.core.audit import AuditEntry
from openmso.core.tenancy import SYSTEM, Role
from tests.factories import add_practice, add_signed_agreement, add_user, build_world, signed_in


@pytest.fixture
def world(db):
    return build_world(db)


def _as(client, db, settings, role, practice=None):
    return signed_in(client, db, settings, add_user(db, role, practice))


def test_a_practice_admin_runs_the_dry_run_of_its_own_practice(client, db, settings, world):
    practice = world.practices[0]
    http = _as(client, db, settings, Role.PRACTICE_ADMIN, practice)
    response = http.get(f"/api/v1/practices/{practice.id}/exit/plan")
    assert response.status_code == 200, response.text
    plan = response.json()
    assert plan["as_of"] == date.today().isoformat() and plan["version_status"] == "signed"
    # the world's agreement is the standard preset: 180 days' notice, then 90 days of transition
    exit_on = date.fromisoformat(plan["timeline"]["exit_on"])
    assert (exit_on - date.today()).days == 180
    # insurance A/R: the denied claim of 145.00, still recoverable, and the claim of 145.00 the payer's front end
    # rejected (sent, so owed, while it is corrected); the patient owes the 20.00 posted to them
    assert Decimal(plan["open_ar"]["insurance_total"]) == Decimal("290.00")
    assert Decimal(plan["open_ar"]["patient_total"]) == Decimal("20.00")
    assert [p["payer"] for p in plan["payer_enrolments"]] == [world.payer.name]
    assert "Qzalpha" in plan["practice"] and not any(m in response.text for m in ("Qzbravo", "Qzcharlie"))
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "exit.plan")
                       .order_by(AuditEntry.seq.desc())).first()
    assert entry.practice_id == practice.id and "transition plan for notice on" in entry.reason
    pdf = http.get(f"/api/v1/practices/{practice.id}/exit/plan.pdf", params={"as_of": "2026-12-01"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    page = http.get(f"/practices/{practice.id}/exit-readiness", params={"as_of": "2026-12-01"})
    assert page.status_code == 200 and "2027-05-30" in page.text and "Exit readiness" in page.text
    assert "Build the exit package now" in page.text


def test_another_practices_admin_gets_not_found(client, db, settings, world):
    http = _as(client, db, settings, Role.PRACTICE_ADMIN, world.practices[1])
    assert http.get(f"/api/v1/practices/{world.practices[0].id}/exit/plan").status_code == 404
    assert http.get(f"/practices/{world.practices[0].id}/exit-readiness").status_code == 404


@pytest.mark.parametrize("role", [Role.PRACTICE_USER, Role.MSO_STAFF, Role.AUDITOR])
def test_other_roles_may_not_run_it(role, client, db, settings, world):
    practice = world.practices[0]
    user = add_user(db, role, practice if role is Role.PRACTICE_USER else None, scope=[practice])
    response = signed_in(client, db, settings, user).get(f"/api/v1/practices/{practice.id}/exit/plan")
    assert response.status_code == 403 and "may not run the exit dry run" in response.json()["detail"]


def test_an_mso_admin_runs_it_only_where_the_agreement_allows(client, db, settings, world):
    http = _as(client, db, settings, Role.MSO_ADMIN)
    assert http.get(f"/api/v1/practices/{world.practices[0].id}/exit/plan").status_code == 200
    terms = presets.standard_terms(date(2025, 1, 1))
    no_revenue_cycle = presets.revised(terms, {"services": [s for s in terms.services
                                                            if s.service is not ServiceKey.REVENUE_CYCLE]})
    practice = add_practice(db, "Qzdelta")
    add_signed_agreement(db, practice, terms=no_revenue_cycle)
    refused = http.get(f"/api/v1/practices/{practice.id}/exit/plan")
    assert refused.status_code == 403 and "Schedule A.1" in refused.json()["detail"]
    entry = db.scalars(select(AuditEntry).where(AuditEntry.practice_id == practice.id,
                                                AuditEntry.outcome == "refused")).first()
    assert entry is not None and entry.action == "mso.post_payments" and "Schedule A.1" in entry.reason


def test_a_draft_agreement_already_has_a_plan(client, db, settings):
    practice = add_practice(db, "Qzecho")
    agreements.create_agreement(db, SYSTEM, agreement_schemas.AgreementCreate(
        practice_id=practice.id, title="Draft MSA", terms=presets.friendly_pc_terms(date(2026, 1, 1))))
    http = _as(client, db, settings, Role.PRACTICE_ADMIN, practice)
    plan = http.get(f"/api/v1/practices/{practice.id}/exit/plan").json()
    assert plan["version_status"] == "draft" and any(r["silent"] for r in plan["risks"])
