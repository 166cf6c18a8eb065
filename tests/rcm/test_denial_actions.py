"""Working a denial to its end: one live correction per claim, appealed denials still workable, who may
be assigned a denial, and what may move to the patient's balance."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from openmso.core.errors import Conflict, Forbidden, Invalid
from openmso.core.pagination import PageParams
from openmso.core.tenancy import SYSTEM, Role
from openmso.identity.service import actor_for
from openmso.rcm.claims import service as claims_service
from openmso.rcm.claims.models import Claim
from openmso.rcm.claims.schemas import Correction
from openmso.rcm.claims.states import ClaimStatus
from openmso.rcm.denials import service as denials
from openmso.rcm.denials.models import DenialCase, DenialNote
from openmso.rcm.remittance.ingest import ingest_file
from openmso.rcm.remittance.models import PatientLedgerEntry
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
    _, case = _denial(db, clinic, "OA", "27", trace="APPEALED1")  # coverage ended: every action applies
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


# --- who may be assigned a denial -----------------------------------------------------------------


@pytest.mark.parametrize(("who", "assignable"), [
    ("mso_admin", True), ("own practice_user", True), ("own practice_admin", True),
    ("auditor", False), ("inactive own practice_admin", False), ("other practice_user", False), ("nobody", False),
])
def test_a_denial_is_assigned_only_to_an_active_user_who_may_work_it(db, who, assignable):
    world = build_world(db)
    clinic = world_clinic(db, world)
    _, case = _denial(db, clinic, trace="ASSIGN1")
    practice = world.practices[1] if who.startswith("other") else clinic.practice
    role = Role(who.split()[-1]) if who != "nobody" else None
    user = add_user(db, role, practice if role in (Role.PRACTICE_ADMIN, Role.PRACTICE_USER) else None) \
        if role else None
    if who.startswith("inactive"):
        user.active = False
    user_id = user.id if user else 2_000_000_000
    assert (user_id in [i for i, _ in denials.assignable_users(db, case.practice_id)]) is assignable
    if assignable:
        assert denials.assign(db, SYSTEM, case.id, user_id).assigned_to == user_id
    else:
        with pytest.raises(Invalid, match="not an active user who may work"):
            denials.assign(db, SYSTEM, case.id, user_id)
        assert case.assigned_to is None


@pytest.mark.parametrize("given", ["99999999999999999999", "²", "abc", "-1", "0", "1.5"])
def test_the_assign_form_shows_a_bad_choice_on_the_page_and_keeps_the_assignee(client, db, settings, given):
    clinic = world_clinic(db, build_world(db))
    _, case = _denial(db, clinic, trace="ASSIGN2")
    admin = add_user(db, Role.MSO_ADMIN, display_name="Ada Admin")
    denials.assign(db, SYSTEM, case.id, admin.id)
    browser = signed_in(client, db, settings, admin)
    answer = browser.post(f"/denials/{case.id}/assign", data={"user_id": given}, follow_redirects=False)
    assert answer.status_code == 422 and 'id="denial-errors"' in answer.text and "user_id" in answer.text
    assert "Denial of claim" in answer.text
    db.expire_all()
    assert db.get(DenialCase, case.id).assigned_to == admin.id
    blank = browser.post(f"/denials/{case.id}/assign", data={"user_id": " "}, follow_redirects=False)
    assert blank.status_code == 303
    db.expire_all()
    assert db.get(DenialCase, case.id).assigned_to is None  # the "nobody" choice unassigns, on purpose


# --- reasons and transfers -----------------------------------------------------------------------------


@pytest.mark.parametrize("act", ["write_off", "transfer_to_patient", "resubmit", "add_note"])
def test_a_blank_reason_or_note_is_refused_and_nothing_changes(db, clinic, act):
    _, case = _denial(db, clinic, "OA", "27")
    with pytest.raises(Invalid, match="not blanks"):
        getattr(denials, act)(db, SYSTEM, case.id, " \t  \n ")
    assert case.status == "open"
    assert db.scalars(select(DenialNote).where(DenialNote.case_id == case.id)).all() == []


@pytest.mark.parametrize(("role", "allowed"), [
    (Role.MSO_ADMIN, True), (Role.MSO_STAFF, True), (Role.PRACTICE_ADMIN, True), (Role.PRACTICE_USER, False),
])
def test_only_billers_and_administrators_transfer_a_denial_to_the_patient(db, role, allowed):
    world = build_world(db)
    clinic = world_clinic(db, world)
    _, case = _denial(db, clinic, "OA", "27", trace="TRANSFER1")
    user = add_user(db, role, clinic.practice if role in (Role.PRACTICE_ADMIN, Role.PRACTICE_USER) else None,
                    scope=[clinic.practice] if role is Role.MSO_STAFF else ())
    if allowed:
        assert denials.transfer_to_patient(db, actor_for(user), case.id, "coverage had ended").status == "transferred"
    else:
        with pytest.raises(Forbidden, match="may not transfer"):
            denials.transfer_to_patient(db, actor_for(user), case.id, "coverage had ended")
        assert case.status == "open"


def test_a_blank_transfer_reason_is_a_422_over_the_api_and_on_the_page(client, db, settings):
    clinic = world_clinic(db, build_world(db))
    _, case = _denial(db, clinic, "OA", "27", trace="TRANSFER2")
    browser = signed_in(client, db, settings, add_user(db, Role.MSO_ADMIN))
    api = browser.post(f"/api/v1/denials/{case.id}/transfer", json={"reason": "   "})
    assert api.status_code == 422 and api.headers["content-type"] == "application/problem+json"
    page = browser.post(f"/denials/{case.id}/transfer", data={"reason": "   "}, follow_redirects=False)
    assert page.status_code == 422 and 'id="denial-errors"' in page.text and "reason" in page.text
    db.expire_all()
    assert db.get(DenialCase, case.id).status == "open"


@pytest.mark.parametrize(("scoped", "assignable"), [(True, True), (False, False)])
def test_mso_staff_are_assigned_only_the_denials_of_practices_in_their_scope(db, scoped, assignable):
    world = build_world(db)
    clinic = world_clinic(db, world)
    _, case = _denial(db, clinic, trace="ASSIGN3")
    biller = add_user(db, Role.MSO_STAFF, scope=[clinic.practice if scoped else world.practices[1]])
    assert (biller.id in [i for i, _ in denials.assignable_users(db, case.practice_id)]) is assignable
    if assignable:
        denials.assign(db, SYSTEM, case.id, biller.id)
    else:
        with pytest.raises(Invalid, match="not an active user who may work"):
            denials.assign(db, SYSTEM, case.id, biller.id)


def test_without_an_agreement_only_the_practices_own_staff_are_assigned_its_denials(db, clinic):
    _, case = _denial(db, clinic)  # this practice has signed no agreement with the MSO
    own = add_user(db, Role.PRACTICE_USER, clinic.practice)
    admin = add_user(db, Role.MSO_ADMIN)
    assert [i for i, _ in denials.assignable_users(db, case.practice_id)] == [own.id]
    with pytest.raises(Invalid):
        denials.assign(db, SYSTEM, case.id, admin.id)


def test_a_contractual_obligation_denial_is_never_moved_to_the_patient(client, db, settings):
    clinic = world_clinic(db, build_world(db))
    _, case = _denial(db, clinic, "CO", "197", trace="TRANSFER3")
    with pytest.raises(Conflict, match="the patient may not be billed"):
        denials.transfer_to_patient(db, SYSTEM, case.id, "patient signed a waiver")
    browser = signed_in(client, db, settings, add_user(db, Role.MSO_ADMIN))
    refused = browser.post(f"/api/v1/denials/{case.id}/transfer", json={"reason": "patient signed a waiver"})
    assert refused.status_code == 409 and "CO:197" in refused.json()["detail"]
    page = browser.post(f"/denials/{case.id}/transfer", data={"reason": "patient signed a waiver"})
    assert page.status_code == 409 and "may not be billed" in page.text
    db.expire_all()
    assert db.get(DenialCase, case.id).status == "open"
    assert db.scalars(select(PatientLedgerEntry).where(PatientLedgerEntry.claim_id == case.claim_id,
                                                       PatientLedgerEntry.kind == "transfer")).all() == []


def test_a_payer_initiated_reduction_moves_to_the_patient_only_when_no_contract_is_confirmed(client, db, settings):
    clinic = world_clinic(db, build_world(db))
    _, case = _denial(db, clinic, "PI", "50", trace="TRANSFER4")
    assert denials.patient_billing(case) == "no_contract"
    with pytest.raises(Conflict, match="group PI"):
        denials.transfer_to_patient(db, SYSTEM, case.id, "out of network, patient chose us")
    browser = signed_in(client, db, settings, add_user(db, Role.MSO_ADMIN))
    form = browser.get(f"/denials/{case.id}").text
    assert 'name="no_contract"' in form and "group PI" in form
    refused = browser.post(f"/api/v1/denials/{case.id}/transfer", json={"reason": "out of network"})
    assert refused.status_code == 409 and "no_contract" in refused.json()["detail"]
    unticked = browser.post(f"/denials/{case.id}/transfer", data={"reason": "out of network"})
    assert unticked.status_code == 409 and "group PI" in unticked.text
    db.expire_all()
    assert db.get(DenialCase, case.id).status == "open"
    moved = browser.post(f"/denials/{case.id}/transfer", data={"reason": "out of network", "no_contract": "true"},
                         follow_redirects=False)
    assert moved.status_code == 303
    db.expire_all()
    assert db.get(DenialCase, case.id).status == "transferred"
    [entry] = db.scalars(select(PatientLedgerEntry).where(PatientLedgerEntry.claim_id == case.claim_id,
                                                          PatientLedgerEntry.kind == "transfer")).all()
    assert entry.amount == case.amount
    note = db.scalars(select(DenialNote).where(DenialNote.case_id == case.id, DenialNote.action == "transfer")).one()
    assert "no contract with this payer" in note.text


@pytest.mark.parametrize(("reasons", "billing"), [
    ("CO:197", "refused"), ("CO:197 CO:45", "refused"), ("PI:50", "no_contract"), ("CO:97 PI:50", "no_contract"),
    ("OA:27", "allowed"), ("CO:16 PR:96", "allowed"), ("PI:50 OA:23", "allowed"),
])
def test_who_may_be_billed_follows_the_reasons_group_codes(reasons, billing):
    assert denials.patient_billing(DenialCase(reasons=reasons)) == billing


def test_a_co_denial_page_offers_no_transfer(client, db, settings):
    clinic = world_clinic(db, build_world(db))
    _, case = _denial(db, clinic, "CO", "197", trace="TRANSFER5")
    page = signed_in(client, db, settings, add_user(db, Role.MSO_ADMIN)).get(f"/denials/{case.id}").text
    assert 'id="no-transfer"' in page and f'action="/denials/{case.id}/transfer"' not in page
