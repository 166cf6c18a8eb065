"""Enforcement: MSO users act only where the practice's signed agreement lets them; refusals are
audited citing the clause; a signed amendment opens what it adds."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from openmso.agreements import enforcement, presets, schemas, service
from openmso.agreements.catalogue import Access, DataClass, DecisionKey, Holder, ServiceKey
from openmso.agreements.enforcement import MsoAction
from openmso.agreements.terms import DataAccess, DecisionRight
from openmso.core import audit
from openmso.core.audit import AuditEntry
from openmso.core.errors import Forbidden, NotFound
from openmso.core.tenancy import SYSTEM, Role
from openmso.identity import service as identity
from tests.factories import add_patient, add_practice, add_signed_agreement, add_user, signed_in

PROVIDER = {"npi": "1003000126", "first_name": "Rosa", "last_name": "Diaz", "credential": "MD",
            "taxonomy_code": "207Q00000X", "specialty": "Family Medicine"}


def _terms_without(service_key: ServiceKey):
    terms = presets.standard_terms(date(2025, 1, 1))
    return presets.revised(terms, {"services": [s for s in terms.services if s.service is not service_key]})


def _amend_and_sign(db, agreement, terms, note="Amendment"):
    draft = service.amend(db, SYSTEM, agreement.id, schemas.AmendmentCreate(change_note=note))
    service.update_draft(db, SYSTEM, draft.id, schemas.DraftUpdate(terms=terms))
    return service.sign(db, SYSTEM, draft.id, schemas.Signing(signed_on=date(2025, 6, 1),
                                                              signed_by_practice="Dr A", signed_by_mso="MSO CEO"))


def _refusals(db, practice_id):
    return list(db.scalars(select(AuditEntry).where(AuditEntry.practice_id == practice_id,
                                                    AuditEntry.outcome == "refused").order_by(AuditEntry.seq)))


def test_mso_user_is_refused_outside_scope_with_clause_audited_then_allowed_after_signed_amendment(
        app, client, db, settings):
    practice = add_practice(db, "Scope")
    agreement = add_signed_agreement(db, practice, terms=_terms_without(ServiceKey.CREDENTIALING))
    staff = add_user(db, Role.MSO_STAFF, scope=[practice])
    http = signed_in(client, db, settings, staff)

    refused = http.post(f"/api/v1/practices/{practice.id}/providers", json=PROVIDER)
    assert refused.status_code == 403
    assert "Schedule A.3 (Credentialing and payer enrolment)" in refused.json()["detail"]
    [entry] = _refusals(db, practice.id)
    assert entry.action == "mso.manage_credentialing" and entry.actor_id == staff.id
    assert entry.reason.startswith(f"Schedule A.3 (Credentialing and payer enrolment) of agreement #{agreement.id} v1")
    assert audit.verify_chain(db).ok

    _amend_and_sign(db, agreement, presets.standard_terms(date(2025, 1, 1)), "Add credentialing")
    allowed = http.post(f"/api/v1/practices/{practice.id}/providers", json=PROVIDER)
    assert allowed.status_code == 201, allowed.text
    assert len(_refusals(db, practice.id)) == 1


def test_phi_needs_a_baa_and_access_in_the_signed_agreement(app, client, db, settings):
    practice = add_practice(db, "Baa")
    patient = add_patient(db, practice, "Baa")
    terms = presets.standard_terms(date(2025, 1, 1))
    agreement = add_signed_agreement(db, practice, data_rights=terms.data_rights.model_copy(
        update={"baa_in_force": False}))
    admin = add_user(db, Role.MSO_ADMIN)
    http = signed_in(client, db, settings, admin)
    response = http.get(f"/api/v1/patients/{patient.id}")
    assert response.status_code == 403 and "Schedule F.4 (Business associate agreement)" in response.json()["detail"]
    listing = http.get("/api/v1/patients", params={"q": "Baa"})
    assert listing.status_code == 200 and listing.json()["total"] == 0  # quietly left out across practices
    [entry] = _refusals(db, practice.id)
    assert entry.patient_id == patient.id and entry.action == "mso.read_phi"

    _amend_and_sign(db, agreement, terms, "BAA signed")
    assert http.get(f"/api/v1/patients/{patient.id}").status_code == 200
    assert http.get("/api/v1/patients", params={"q": "Baa"}).json()["total"] == 1


def test_no_agreement_refuses_mso_but_not_the_practice_or_the_server(db):
    practice = add_practice(db, "Bare")
    staff = identity.actor_for(add_user(db, Role.MSO_STAFF, scope=[practice]))
    own = identity.actor_for(add_user(db, Role.PRACTICE_USER, practice))
    with pytest.raises(Forbidden, match="no active signed management services agreement"):
        enforcement.authorize(db, staff, MsoAction.READ_PHI, practice.id)
    assert enforcement.authorize(db, own, MsoAction.WRITE_OFF, practice.id).basis == "practice"
    assert enforcement.authorize(db, SYSTEM, MsoAction.EXPORT_DATA, practice.id).basis == "system"
    queued = audit.take_refusals(db)
    assert [r["reason"].split(":")[0] for r in queued] == ["no active signed management services agreement"]


def test_other_practices_are_not_found_before_anything_is_refused(db):
    mine, other = add_practice(db, "Mine"), add_practice(db, "Other")
    staff = identity.actor_for(add_user(db, Role.MSO_STAFF, scope=[mine]))
    clerk = identity.actor_for(add_user(db, Role.PRACTICE_USER, mine))
    for actor in (staff, clerk):
        with pytest.raises(NotFound):
            enforcement.authorize(db, actor, MsoAction.READ_PHI, other.id)
    assert audit.take_refusals(db) == []


def test_write_offs_above_the_threshold_need_the_practice(db):
    practice = add_practice(db, "Writeoff")
    add_signed_agreement(db, practice)  # write-offs: MSO recommends, practice approves above $500
    staff = identity.actor_for(add_user(db, Role.MSO_STAFF, scope=[practice]))
    grant = enforcement.authorize(db, staff, MsoAction.WRITE_OFF, practice.id, amount=Decimal("499.99"))
    assert "Schedule C.17 (Write-offs above a threshold)" in grant.clause
    with pytest.raises(Forbidden, match=r"above \$500\.00 is the practice's"):
        enforcement.authorize(db, staff, MsoAction.WRITE_OFF, practice.id, amount=Decimal("500.01"))


@pytest.mark.parametrize(("action", "clause"), [
    (MsoAction.SIGN_PAYER_CONTRACT, "Schedule A.4 (Payer contracting)"),
    (MsoAction.SET_FEE_SCHEDULE, "Schedule C.9 (Setting the fee schedule"),
    (MsoAction.EXPORT_DATA, "Schedule C.18 (Sharing practice data"),
    (MsoAction.MANAGE_STAFF, "Schedule C.1 (Hiring and firing non-clinical staff)"),
    (MsoAction.CHANGE_VENDOR, "Schedule A.10 (Vendor management)"),
])
def test_decisions_the_practice_keeps_are_refused_naming_the_clause(db, action, clause):
    practice = add_practice(db, "Decide")
    add_signed_agreement(db, practice)
    admin = identity.actor_for(add_user(db, Role.MSO_ADMIN))
    with pytest.raises(Forbidden) as refused:
        enforcement.authorize(db, admin, action, practice.id)
    assert clause in str(refused.value)


def test_decision_given_to_the_mso_is_granted_naming_its_clause(db):
    practice = add_practice(db, "Payer")
    terms = presets.friendly_pc_terms(date(2025, 1, 1))
    add_signed_agreement(db, practice, terms=terms)
    admin = identity.actor_for(add_user(db, Role.MSO_ADMIN))
    grant = enforcement.authorize(db, admin, MsoAction.SIGN_PAYER_CONTRACT, practice.id)
    assert grant.basis == "agreement" and grant.clause.startswith("Schedule C.8 (Signing payer contracts)")
    with pytest.raises(Forbidden, match="Schedule F.3"):  # no benchmarking consent in this agreement
        enforcement.authorize(db, admin, MsoAction.BENCHMARK, practice.id)


def test_auditors_read_under_the_baa_and_nothing_else(db):
    practice = add_practice(db, "Audit")
    add_signed_agreement(db, practice)
    auditor = identity.actor_for(add_user(db, Role.AUDITOR))
    assert "Schedule F.4" in enforcement.authorize(db, auditor, MsoAction.READ_PHI, practice.id).clause
    with pytest.raises(Forbidden, match="read-only compliance access"):
        enforcement.authorize(db, auditor, MsoAction.SUBMIT_CLAIMS, practice.id)


def test_phi_write_needs_read_write_access(db):
    practice = add_practice(db, "Readonly")
    terms = presets.standard_terms(date(2025, 1, 1))
    rights = terms.data_rights.model_copy(update={"access": [
        DataAccess(data_class=DataClass.PHI, access=Access.READ, purpose="billing follow-up")]})
    add_signed_agreement(db, practice, data_rights=rights)
    staff = identity.actor_for(add_user(db, Role.MSO_STAFF, scope=[practice]))
    enforcement.authorize(db, staff, MsoAction.READ_PHI, practice.id)
    with pytest.raises(Forbidden, match=r"access is read, read_write needed \(Schedule F\.2\.1 "):
        enforcement.authorize(db, staff, MsoAction.WRITE_PHI, practice.id)


def test_terminated_agreement_stops_everything(db):
    practice = add_practice(db, "Ended")
    agreement = add_signed_agreement(db, practice)
    staff = identity.actor_for(add_user(db, Role.MSO_STAFF, scope=[practice]))
    enforcement.authorize(db, staff, MsoAction.SUBMIT_CLAIMS, practice.id)
    service.terminate(db, SYSTEM, agreement.versions[-1].id, schemas.Termination(ended_on=date(2026, 3, 1),
                                                                                 reason="disaffiliation"))
    with pytest.raises(Forbidden, match="no active signed"):
        enforcement.authorize(db, staff, MsoAction.SUBMIT_CLAIMS, practice.id)


def test_active_terms_are_read_once_per_session(db):
    practice = add_practice(db, "Cache")
    add_signed_agreement(db, practice, decision_rights=[DecisionRight(decision=DecisionKey.WRITE_OFFS,
                                                                      holder=Holder.MSO, threshold=Decimal("1"))])
    staff = identity.actor_for(add_user(db, Role.MSO_STAFF, scope=[practice]))
    enforcement.invalidate(db)
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.get_bind(), "before_cursor_execute", listener)
    try:
        for _ in range(25):
            enforcement.authorize(db, staff, MsoAction.WRITE_OFF, practice.id, amount=Decimal("9999"))
    finally:
        event.remove(db.get_bind(), "before_cursor_execute", listener)
    assert len([s for s in statements if "agreement_version" in s]) == 1
