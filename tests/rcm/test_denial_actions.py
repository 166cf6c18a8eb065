"""Working a denial to its end: one live correction per claim, appealed denials still workable, who may
be assigned a denial, and what may move to the patient's balance."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from openmso.core.errors import Conflict
from openmso.core.pagination import PageParams
from openmso.core.tenancy import SYSTEM, Role
from openmso.rcm.claims import service as claims_service
from openmso.rcm.claims.models import Claim
from openmso.rcm.claims.schemas import Correction
from openmso.rcm.claims.states import ClaimStatus
from openmso.rcm.denials import service as denials
from openmso.rcm.denials.models import DenialCase, DenialNote
from openmso.rcm.remittance.ingest import ingest_file
from tests.factories import add_user, build_world, signed_in
from tests.rcm.conftest import world_clinic
from tests.rcm.remits import accepted_claims, denied, render, transaction


def _denial(db, clinic, group: str = "CO", carc: str = "197", remark: str | None = None,
            trace: str = "EFT0001") -> tuple[Claim, DenialCase]:
    """One claim the payer accepted and then denied by an 835, and the denial case posting opened for it."""
    [claim] = accepted_claims(db, clinic, 1)
    ingest_file(db, SYSTEM, f"{trace}.835", render(transaction(clinic.practice, [denied(claim, group, carc, remark)],
                                                              trace=trace)))
    case = db.scalars(select(DenialCase).where(DenialCase.claim_id == claim.id)).one()
    return claim, case


# --- one live correction per claim ----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["replace", "void"])
def test_a_claim_resubmitted_from_its_denial_is_not_corrected_a_second_time(db, clinic, kind):
    claim, case = _denial(db, clinic)
    replacement = denials.resubmit(db, SYSTEM, case.id, "added the authorization number")
    with pytest.raises(Conflict, match=f"already has a replacement, claim {replacement.patient_control_number}"):
        claims_service.correct(db, SYSTEM, claim.id, Correction(kind=kind, reason="again"))
    assert db.scalars(select(Claim.id).where(Claim.original_claim_id == claim.id)).all() == [replacement.id]


@pytest.mark.parametrize("status", list(ClaimStatus))
def test_only_a_closed_or_rejected_correction_leaves_room_for_another(db, clinic, status):
    claim, _ = _denial(db, clinic)
    void = claims_service.correct(db, SYSTEM, claim.id, Correction(kind="void", reason="billed in error"))
    void.status = status
    db.flush()
    if status in (ClaimStatus.CLOSED, ClaimStatus.PAYER_REJECTED, ClaimStatus.CLEARINGHOUSE_REJECTED):
        again = claims_service.correct(db, SYSTEM, claim.id, Correction(kind="replace", reason="units"))
        assert (again.frequency_code, again.original_claim_id) == ("7", claim.id)
    else:
        with pytest.raises(Conflict, match=f"already has a void, claim {void.patient_control_number}"):
            claims_service.correct(db, SYSTEM, claim.id, Correction(kind="replace", reason="units"))


def test_a_second_correction_over_the_api_is_a_conflict_naming_the_first(client, db, settings):
    clinic = world_clinic(db, build_world(db))
    claim, case = _denial(db, clinic)
    browser = signed_in(client, db, settings, add_user(db, Role.MSO_ADMIN))
    made = browser.post(f"/api/v1/denials/{case.id}/resubmit", json={"reason": "corrected the modifier"})
    assert made.status_code == 201, made.text
    again = browser.post(f"/api/v1/claims/{claim.id}/corrections", json={"kind": "replace", "reason": "again"})
    assert again.status_code == 409, again.text
    assert again.headers["content-type"] == "application/problem+json"
    assert made.json()["patient_control_number"] in again.json()["detail"]
    assert db.scalars(select(Claim.id).where(Claim.original_claim_id == claim.id)).all() == [made.json()["id"]]



# --- an appealed denial is still worked --------------------------------------------------------------


def test_an_appealed_denial_stays_on_the_default_worklist_and_its_letter_prints_again(db, clinic):
    _, case = _denial(db, clinic)
    first = denials.appeal_letter(db, SYSTEM, case.id)
    again = denials.appeal_letter(db, SYSTEM, case.id)
    assert first[:5] == again[:5] == b"%PDF-" and case.status == "appealed"
    assert [n.text for n in db.scalars(select(DenialNote).where(DenialNote.case_id == case.id)
                                       .order_by(DenialNote.id))] == ["appeal letter generated",
                                                                      "appeal letter generated again"]

    def listed(**criteria) -> list[int]:
        return [r.id for r in denials.worklist(db, SYSTEM, denials.WorklistFilter(**criteria), PageParams()).rows]

    assert listed() == listed(status="appealed") == listed(status="all") == listed(status=None) == [case.id]
    assert listed(status="open") == []


@pytest.mark.parametrize(("action", "status"), [
    (lambda db, case_id: denials.write_off(db, SYSTEM, case_id, "the payer upheld the denial"), "written_off"),
    (lambda db, case_id: denials.transfer_to_patient(db, SYSTEM, case_id, "coverage had ended"), "transferred"),
    (lambda db, case_id: denials.resubmit(db, SYSTEM, case_id, "corrected as the payer asked"), "resubmitted"),
], ids=["write_off", "transfer", "resubmit"])
def test_an_upheld_appeal_is_closed_by_writing_off_transferring_or_resubmitting(db, clinic, action, status):
    _, case = _denial(db, clinic, "OA", "27")  # expenses after coverage ended: the patient's to pay
    denials.appeal_letter(db, SYSTEM, case.id)
    action(db, case.id)
    assert case.status == status and case.closed_at is not None
    with pytest.raises(Conflict, match="only an open or appealed denial"):
        denials.appeal_letter(db, SYSTEM, case.id)
    assert denials.worklist(db, SYSTEM, denials.WorklistFilter(), PageParams()).rows == []


def test_the_worklist_shows_appealed_denials_with_their_status_by_default(client, db, settings):
    clinic = world_clinic(db, build_world(db))
    _, case = _denial(db, clinic, trace="APPEALED1")
    browser = signed_in(client, db, settings, add_user(db, Role.MSO_ADMIN))
    assert browser.post(f"/api/v1/denials/{case.id}/appeal-letter", json={}).status_code == 200
    listed = {item["id"]: item["status"] for item in browser.get("/api/v1/denials").json()["items"]}
    assert listed[case.id] == "appealed" and len(listed) == 4  # the world's three open denials and this one
    assert case.id not in [i["id"] for i in browser.get("/api/v1/denials", params={"status": "open"}).json()["items"]]
    page = browser.get("/denials").text
    assert f'href="/denials/{case.id}"' in page and 'status-appealed">Appealed<' in page
    assert 'value="to_work" selected' in page
    detail = browser.get(f"/denials/{case.id}").text
    for form in ("resubmit", "appeal-letter", "transfer", "write-off"):
        assert f'action="/denials/{case.id}/{form}"' in detail, form
    again = browser.post(f"/api/v1/denials/{case.id}/appeal-letter", json={"argument": "Second request."})
    assert again.status_code == 200 and again.headers["content-type"] == "application/pdf"
