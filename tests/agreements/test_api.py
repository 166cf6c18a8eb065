"""The agreements API: versions and their lifecycle, the clinical-decision guard, who may change
what, the one-active-version rule, and the read-outs (flags, report, PDF, SVG, comparison)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.exc import IntegrityError

from openmso.agreements import presets
from openmso.agreements.models import AgreementVersion
from openmso.core.tenancy import Role
from tests.factories import add_practice, add_signed_agreement, add_user, bearer

SIGNING = {"signed_on": "2026-02-01", "signed_by_practice": "Dr Lee", "signed_by_mso": "MSO CEO"}


def _body(practice, **changes):
    terms = presets.standard_terms(date(2026, 2, 1)).model_dump(mode="json")
    terms.update(changes)
    return {"practice_id": practice.id, "title": "Test MSA", "terms": terms}


@pytest.mark.parametrize("holder", ["mso", "joint"])
@pytest.mark.parametrize("decision", ["clinical_protocols", "diagnosis_treatment_and_referrals",
                                      "medical_record_content"])
def test_a_clinical_decision_can_never_be_granted_to_the_mso(client, db, decision, holder):
    practice = add_practice(db, "Clin")
    headers = bearer(db, add_user(db, Role.MSO_ADMIN))
    rights = [{"decision": decision, "holder": holder}]
    response = client.post("/api/v1/agreements", json=_body(practice, decision_rights=rights), headers=headers)
    assert response.status_code == 422
    problem = response.json()
    assert "Schedule C." in problem["detail"] and "can never be assigned to the MSO" in problem["detail"]
    assert problem["errors"][0]["loc"] == ["terms", "decision_rights", 0, "holder"]
    assert client.get(f"/api/v1/agreements?practice_id={practice.id}", headers=headers).json() == []
    # …nor by amending a signed agreement
    agreement = add_signed_agreement(db, practice)
    draft = client.post(f"/api/v1/agreements/{agreement.id}/amendments", json={"change_note": "try"},
                        headers=headers).json()
    terms = draft["terms"] | {"decision_rights": rights}
    edited = client.put(f"/api/v1/agreement-versions/{draft['id']}", json={"terms": terms}, headers=headers)
    assert edited.status_code == 422 and "can never be assigned to the MSO" in edited.json()["detail"]
    advisory = [{"decision": decision, "holder": "mso_recommends_practice_approves"}]
    recommends = client.put(f"/api/v1/agreement-versions/{draft['id']}", headers=headers,
                            json={"terms": draft["terms"] | {"decision_rights": advisory}})
    assert recommends.status_code == 200  # the practice keeps the final word


def test_lifecycle_draft_signed_amended_terminated_keeps_every_version(client, db):
    practice = add_practice(db, "Life")
    headers = bearer(db, add_user(db, Role.PRACTICE_ADMIN, practice))  # the practice's own administrator
    created = client.post("/api/v1/agreements", json=_body(practice), headers=headers)
    assert created.status_code == 201, created.text
    agreement = created.json()
    v1 = agreement["versions"][0]["id"]
    assert client.post(f"/api/v1/agreement-versions/{v1}/sign", json=SIGNING, headers=headers).json()["status"] == \
        "signed"
    again = client.put(f"/api/v1/agreement-versions/{v1}", json={"terms": _body(practice)["terms"]}, headers=headers)
    assert again.status_code == 409 and "a signed version cannot edit" in again.json()["detail"]
    v2 = client.post(f"/api/v1/agreements/{agreement['id']}/amendments", json={"change_note": "Fee change"},
                     headers=headers).json()["id"]
    assert client.post(f"/api/v1/agreements/{agreement['id']}/amendments", json={"change_note": "another"},
                       headers=headers).status_code == 409
    early = client.post(f"/api/v1/agreement-versions/{v2}/sign", json=SIGNING | {"signed_on": "2026-01-01"},
                        headers=headers)
    assert early.status_code == 422
    client.post(f"/api/v1/agreement-versions/{v2}/sign", json=SIGNING | {"signed_on": "2026-06-01"}, headers=headers)
    ended = client.post(f"/api/v1/agreement-versions/{v2}/terminate",
                        json={"ended_on": "2026-09-30", "reason": "practice leaving"}, headers=headers)
    assert ended.json()["status"] == "terminated"
    versions = client.get(f"/api/v1/agreements/{agreement['id']}", headers=headers).json()["versions"]
    assert [(v["number"], v["status"], v["ended_on"]) for v in versions] == [
        (1, "amended", "2026-06-01"), (2, "terminated", "2026-09-30")]


def test_the_database_keeps_one_signed_version_per_practice(db):
    practice = add_practice(db, "One")
    first = add_signed_agreement(db, practice).versions[-1]
    duplicate = AgreementVersion(agreement_id=first.agreement_id, practice_id=practice.id, number=9,
                                 status="signed", terms=first.terms, model=first.model, fee_kind=first.fee_kind,
                                 effective_on=first.effective_on, created_by="test")
    db.add(duplicate)
    with pytest.raises(IntegrityError), db.begin_nested():
        db.flush()


@pytest.mark.parametrize("role", [Role.MSO_STAFF, Role.AUDITOR, Role.PRACTICE_USER])
def test_only_administrators_negotiate_agreements(client, db, role):
    practice = add_practice(db, "Who")
    user = add_user(db, role, practice if role is Role.PRACTICE_USER else None,
                    scope=[practice] if role is Role.MSO_STAFF else ())
    response = client.post("/api/v1/agreements", json=_body(practice), headers=bearer(db, user))
    assert response.status_code == 403


def test_another_practices_agreement_is_not_found(client, db):
    mine, other = add_practice(db, "Mine"), add_practice(db, "Theirs")
    agreement = add_signed_agreement(db, other)
    headers = bearer(db, add_user(db, Role.PRACTICE_ADMIN, mine))
    assert client.get(f"/api/v1/agreements/{agreement.id}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/agreement-versions/{agreement.versions[0].id}/report.pdf",
                      headers=headers).status_code == 404
    assert client.post("/api/v1/agreements", json=_body(other), headers=headers).status_code == 404


def test_read_outs_flags_report_pdf_svg_comparison_network_rules(client, db):
    oregon = add_practice(db, "Readout", state="OR")
    risky = add_signed_agreement(db, oregon, terms=presets.friendly_pc_terms(date(2026, 2, 1)),
                                 signed_on=date(2026, 2, 1)).versions[-1]
    clean = add_signed_agreement(db, add_practice(db, "Calm")).versions[-1]
    headers = bearer(db, add_user(db, Role.MSO_ADMIN))
    flags = client.get(f"/api/v1/agreement-versions/{risky.id}/flags?as_of=2026-11-01", headers=headers).json()
    assert {"OR-SB951-STRUCTURE", "US-STARK-FMV"} <= {f["rule_id"] for f in flags}
    earlier = client.get(f"/api/v1/agreement-versions/{risky.id}/flags?as_of=2025-12-01", headers=headers).json()
    assert {f["status"] for f in earlier if f["rule_id"].startswith("OR-SB951")} == {"from 2026-01-01"}
    result = client.get(f"/api/v1/agreement-versions/{risky.id}/report?as_of=2026-11-01", headers=headers).json()
    assert len(result["answers"]) == 7 and "not legal advice" in result["disclaimer"]
    document = client.get(f"/api/v1/agreement-versions/{risky.id}/report.pdf", headers=headers)
    assert document.headers["content-type"] == "application/pdf" and document.content.startswith(b"%PDF")
    svg = client.get(f"/api/v1/agreement-versions/{risky.id}/control-map.svg", headers=headers)
    assert svg.headers["content-type"].startswith("image/svg+xml") and "<svg" in svg.text
    changes = client.get(f"/api/v1/agreement-versions/{clean.id}/compare/{risky.id}", headers=headers).json()
    assert any(c["item"] == "Signing payer contracts" and c["control"] == "to MSO" for c in changes)
    rows = {r["practice_id"]: r for r in client.get("/api/v1/agreements/network", headers=headers).json()}
    assert rows[oregon.id]["flags_high"] > 0 and rows[oregon.id]["model"] == "friendly_pc"
    table = client.get("/api/v1/agreements/rules", headers=headers).json()
    assert "not legal advice" in table["disclaimer"] and len(table["rules"]) >= 25
