"""Fixing a claim before it goes (back) to the payer: a held claim's codes corrected and scrubbed again at
once, a rejected claim corrected back to an original, refused once the payer has the claim; through the API
and the claim page's form, with every change on the timeline and the audit trail."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from openmso.core.audit import AuditEntry
from openmso.core.tenancy import SYSTEM, Role
from openmso.rcm.claims import batches, building, editing, scrubbing, service
from openmso.rcm.claims.models import Claim, TimelineEntry
from openmso.rcm.claims.schemas import ClaimEditIn, Correction
from openmso.rcm.remittance.ingest import ingest_file
from openmso.rcm.remittance.models import LinePosting, RemittanceException
from tests.factories import add_signed_agreement, add_user, signed_in
from tests.rcm.conftest import make_clinic
from tests.rcm.remits import accepted_claims, paid, render, transaction
from tests.rcm.test_scrub_and_build import ENVELOPE
from tests.x12.conftest import pyx12_errors

SERVED = date.today() - timedelta(days=10)  # inside every payer's filing limit whenever the suite runs


@pytest.fixture
def held(db):
    """A claim held by the scrubber: its first diagnosis is the category E11, not a billable code (DX-001)."""
    clinic = make_clinic(db, "Qzeditclaim", patients=1)
    add_signed_agreement(db, clinic.practice)
    clinic.charge(db, service_date=SERVED, diagnoses=["E11", "I10"], pointers=[1, 2])
    clinic.charge(db, service_date=SERVED, procedure_code="36415", charge_amount="18.00", diagnoses=["E11"],
                  pointers=[1])
    [claim_id] = building.build_claims(db, SYSTEM, clinic.practice.id)
    scrubbing.scrub_claims(db, SYSTEM, claim_ids=[claim_id])
    claim = db.get(Claim, claim_id)
    assert claim.status == "held" and claim.error_count >= 1
    return clinic, claim


def _fix(claim, **changes) -> dict:
    body = {"diagnoses": ["E11.9", "I10"], "prior_authorization": None, "reason": "coded to the chart note",
            "lines": [{"line_number": 1, "procedure_code": "99213", "modifiers": [], "units": 1,
                       "charge_amount": "145.00", "pointers": [1, 2]},
                      {"line_number": 2, "procedure_code": "36415", "modifiers": [], "units": 1,
                       "charge_amount": "18.00", "pointers": [1]}]}
    return body | changes


def _biller(client, db, settings, clinic):
    return signed_in(client, db, settings, add_user(db, Role.MSO_STAFF, scope=[clinic.practice]))


def test_a_held_claim_fixed_through_the_api_is_scrubbed_again_and_ready(client, db, settings, held):
    clinic, claim = held
    biller = _biller(client, db, settings, clinic)
    fixed = biller.put(f"/api/v1/claims/{claim.id}", json=_fix(claim, lines=[
        {"line_number": 1, "procedure_code": "99213", "modifiers": ["25"], "units": 1, "charge_amount": "150.00",
         "pointers": [1, 2]},
        {"line_number": 2, "procedure_code": "36415", "modifiers": [], "units": 1, "charge_amount": "18.00",
         "pointers": [1]}]))
    assert fixed.status_code == 200, fixed.text
    assert (fixed.json()["status"], fixed.json()["error_count"]) == ("ready", 0)
    db.expire_all()
    claim = db.get(Claim, claim.id)
    assert claim.diagnoses == "E119:I10" and claim.total_charge == 168 and claim.lines[0].modifiers == "25"
    [edit] = db.scalars(select(TimelineEntry).where(TimelineEntry.claim_id == claim.id,
                                                    TimelineEntry.event == "edit")).all()
    assert edit.detail.startswith("coded to the chart note: diagnoses E11 I10 → E119 I10")
    assert "line 1 modifiers none → 25" in edit.detail and "line 1 charge 145.00 → 150.00" in edit.detail
    [audited] = db.scalars(select(AuditEntry).where(AuditEntry.action == "claim.edit",
                                                    AuditEntry.object_id == str(claim.id))).all()
    assert audited.patient_id == claim.patient_id and "E119" in audited.reason


def test_a_rejected_claim_is_corrected_back_to_an_original(client, db, settings, held):
    clinic, claim = held
    claim.status = "payer_rejected"
    db.flush()
    fixed = _biller(client, db, settings, clinic).put(f"/api/v1/claims/{claim.id}", json=_fix(claim))
    assert fixed.json()["status"] == "ready"
    events = db.scalars(select(TimelineEntry.event).where(TimelineEntry.claim_id == claim.id)
                        .order_by(TimelineEntry.id)).all()
    assert events[-4:] == ["correct", "edit", "scrub", "pass"]


def test_bad_fixes_are_refused_with_the_field_and_nothing_changes(client, db, settings, held):
    clinic, claim = held
    biller = _biller(client, db, settings, clinic)
    url = f"/api/v1/claims/{claim.id}"
    pointer = biller.put(url, json=_fix(claim, diagnoses=["E11.9"]))  # line 1 points at a second diagnosis
    assert pointer.status_code == 422 and "line 1: pointers [2]" in pointer.text
    missing = biller.put(url, json=_fix(claim, lines=_fix(claim)["lines"][:1]))
    assert missing.status_code == 422 and "the claim has lines [1, 2]" in missing.text
    modifier = _fix(claim)
    modifier["lines"][0]["modifiers"] = ["ZZ"]
    assert biller.put(url, json=modifier).status_code == 422
    assert biller.put(url, json=_fix(claim, reason="")).status_code == 422
    db.expire_all()
    assert db.get(Claim, claim.id).diagnoses == "E11:I10" and db.get(Claim, claim.id).status == "held"


def test_a_claim_the_payer_has_is_corrected_with_a_replacement_not_edited(client, db, settings, held):
    clinic, claim = held
    claim.status = "payer_accepted"
    db.flush()
    refused = _biller(client, db, settings, clinic).put(f"/api/v1/claims/{claim.id}", json=_fix(claim))
    assert refused.status_code == 409 and "replacement (frequency 7)" in refused.text


def test_the_claim_page_fixes_a_held_claim_and_keeps_what_was_typed_when_refused(client, db, settings, held):
    clinic, claim = held
    biller = _biller(client, db, settings, clinic)
    page = biller.get(f"/claims/{claim.id}").text
    assert 'id="edit-form"' in page and 'value="E11 I10"' in page
    form = {"diagnoses": "E11.9 I10", "prior_authorization": "", "reason": "coded to the chart note",
            "line-1-procedure_code": "99213", "line-1-modifiers": "", "line-1-units": "1",
            "line-1-charge_amount": "145.00", "line-1-pointers": "1 2", "line-2-procedure_code": "36415",
            "line-2-modifiers": "", "line-2-units": "1", "line-2-charge_amount": "18.00", "line-2-pointers": "1"}
    refused = biller.post(f"/claims/{claim.id}/edit", data=form | {"line-2-pointers": "3"})
    assert refused.status_code == 422 and "line 2: pointers [3]" in refused.text
    assert 'value="3"' in refused.text  # what the biller typed is kept for the retry
    done = biller.post(f"/claims/{claim.id}/edit", data=form, follow_redirects=False)
    assert done.status_code == 303
    page = biller.get(f"/claims/{claim.id}").text
    assert "badge ready" in page and "coded to the chart note: diagnoses E11 I10 → E119 I10" in page


def _replacement(db, claim) -> Claim:
    """A replacement (frequency 7) of `claim`, which the payer took in and numbered."""
    claim.status, claim.payer_claim_number = "payer_accepted", "ICN0000123"
    db.flush()
    return service.correct(db, SYSTEM, claim.id, Correction(kind="replace", reason="lab line denied as bundled"))


def test_a_replacement_drops_a_line_and_goes_out_without_it(client, db, settings, held):
    clinic, claim = held
    replacement = _replacement(db, claim)
    lines = _fix(claim)["lines"]
    lines[1]["remove"] = True
    fixed = _biller(client, db, settings, clinic).put(f"/api/v1/claims/{replacement.id}",
                                                      json=_fix(claim, lines=lines, reason="36415 bundled (CO-97)"))
    assert fixed.status_code == 200, fixed.text
    db.expire_all()
    replacement, original = db.get(Claim, replacement.id), db.get(Claim, claim.id)
    assert [(line.line_number, line.procedure_code) for line in replacement.lines] == [(1, "99213")]
    assert replacement.total_charge == 145 and replacement.status == "ready"
    assert [line.procedure_code for line in original.lines] == ["99213", "36415"]  # the original is as it was sent
    [edit] = db.scalars(select(TimelineEntry.detail).where(TimelineEntry.claim_id == replacement.id,
                                                           TimelineEntry.event == "edit")).all()
    assert "line 2 36415 18.00 → removed" in edit
    [batch] = batches.build_batches(db, SYSTEM, ENVELOPE, adapter="test", claim_ids=[replacement.id])
    segments = [s.strip() for s in batch.content.split("~")]
    [clm] = [s for s in segments if s.startswith("CLM*")]
    assert clm.split("*")[1:3] == [replacement.patient_control_number, "145.00"] and clm.split("*")[5] == "11:B:7"
    assert [s for s in segments if s.startswith("LX*")] == ["LX*1"]  # LX counts the lines sent
    assert [s for s in segments if s.startswith("REF*6R*")] == [f"REF*6R*{replacement.id}-1"]
    assert [s.split("*")[1] for s in segments if s.startswith("SV1*")] == ["HC:99213"]
    assert pyx12_errors(batch.content) == []


def test_only_a_first_payers_replacement_drops_lines_and_never_all_of_them(client, db, settings, held):
    clinic, claim = held
    biller = _biller(client, db, settings, clinic)
    lines = _fix(claim)["lines"]
    lines[1]["remove"] = True
    refused = biller.put(f"/api/v1/claims/{claim.id}", json=_fix(claim, lines=lines))
    assert refused.status_code == 422
    assert "is an original: only a replacement (frequency 7) drops a line" in refused.text
    assert "lines.1.remove" in refused.text
    replacement = _replacement(db, claim)
    every = [dict(line, remove=True) for line in lines]
    refused = biller.put(f"/api/v1/claims/{replacement.id}", json=_fix(claim, lines=every))
    assert refused.status_code == 422
    assert "a claim keeps at least one line" in refused.text and "void it" in refused.text
    db.expire_all()
    assert len(db.get(Claim, claim.id).lines) == 2 and len(db.get(Claim, replacement.id).lines) == 2
    assert db.get(Claim, claim.id).status == "payer_accepted"


def test_the_replacements_page_offers_to_drop_a_line_and_an_originals_does_not(client, db, settings, held):
    clinic, claim = held
    biller = _biller(client, db, settings, clinic)
    assert 'name="line-2-remove"' not in biller.get(f"/claims/{claim.id}").text
    replacement = _replacement(db, claim)
    page = biller.get(f"/claims/{replacement.id}").text
    assert 'name="line-2-remove"' in page and "may drop a line" in page
    form = {"diagnoses": "E11.9 I10", "prior_authorization": "", "reason": "36415 bundled (CO-97)",
            "line-1-procedure_code": "99213", "line-1-modifiers": "", "line-1-units": "1",
            "line-1-charge_amount": "145.00", "line-1-pointers": "1 2", "line-2-procedure_code": "36415",
            "line-2-modifiers": "", "line-2-units": "1", "line-2-charge_amount": "18.00", "line-2-pointers": "1",
            "line-2-remove": "on"}
    refused = biller.post(f"/claims/{replacement.id}/edit", data=form | {"line-1-remove": "on"})
    assert refused.status_code == 422 and "at least one line" in refused.text
    assert refused.text.count("checked") == 2  # what the biller ticked is kept for the retry
    done = biller.post(f"/claims/{replacement.id}/edit", data=form, follow_redirects=False)
    assert done.status_code == 303
    db.expire_all()
    assert [line.procedure_code for line in db.get(Claim, replacement.id).lines] == ["99213"]


def test_the_payers_answer_to_a_replacement_that_dropped_its_first_line_posts_to_the_line_left(db):
    clinic = make_clinic(db, "Qzdropline", patients=1)
    add_signed_agreement(db, clinic.practice)
    [claim] = accepted_claims(db, clinic, 1, (("99213", "145.00"), ("36415", "18.00")))
    replacement = service.correct(db, SYSTEM, claim.id, Correction(kind="replace", reason="office visit not billable"))
    lines = [{"line_number": line.line_number, "procedure_code": line.procedure_code, "charge_amount":
              str(line.charge_amount), "remove": line.line_number == 1} for line in replacement.lines]
    editing.edit_claim(db, SYSTEM, replacement.id, ClaimEditIn(diagnoses=claim.diagnosis_codes, lines=lines,
                                                               reason="nurse visit: 99213 billed by mistake"))
    replacement.status, replacement.payer_claim_number = "payer_accepted", "ICNREPL0001"
    service.supersede_on_acceptance(db, SYSTEM, replacement)
    db.flush()
    db.expire_all()
    replacement = db.get(Claim, replacement.id)
    [kept] = replacement.lines
    assert (kept.line_number, replacement.total_charge) == (2, 18)
    # the payer echoes REF*6R "<claim id>-2": the line left keeps its number, so the answer finds it
    ingest_file(db, SYSTEM, "drop.835", render(transaction(clinic.practice, [paid(replacement, patient=D("0"))],
                                                           trace="QZDROP1")))
    posted = db.execute(select(LinePosting.claim_line_id, LinePosting.paid)).all()
    assert posted == [(kept.id, D("10.80"))]
    assert db.scalars(select(RemittanceException.kind).where(
        RemittanceException.practice_id == clinic.practice.id)).all() == []
    assert db.get(Claim, replacement.id).status == "paid"


def test_a_rejected_replacements_page_says_it_goes_back_as_a_replacement(client, db, settings, held):
    clinic, claim = held
    replacement = _replacement(db, claim)
    replacement.status = "payer_rejected"
    db.flush()
    page = _biller(client, db, settings, clinic).get(f"/claims/{replacement.id}").text
    assert "it goes back as a replacement (frequency 7) in the next claim run" in page and "as an original" not in page
