"""Working the payer's front-end rejections (277CA) through to a claim that goes again: a member id the payer
did not know is re-keyed on the coverage and the corrected claim is built with it; a claim sent to the wrong
payer (A3:116) is billed to the patient's plan in force on the date of service, and nothing else."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from openmso.core.audit import AuditEntry
from openmso.core.tenancy import SYSTEM, Role
from openmso.network import schemas
from openmso.network import service as network
from openmso.rcm.claims import building, scrubbing, views, x837
from openmso.rcm.claims.models import Claim, TimelineEntry
from tests.factories import add_payer, add_signed_agreement, add_user, signed_in
from tests.rcm.conftest import make_clinic

SERVED = date.today() - timedelta(days=10)


@pytest.fixture
def rejected(db):
    """A clean claim the payer's front end rejected (277CA), as the acknowledgement ingest leaves it."""
    clinic = make_clinic(db, "Qzrebill", patients=1)
    add_signed_agreement(db, clinic.practice)
    clinic.charge(db, service_date=SERVED, diagnoses=["E11.9"], pointers=[1])
    [claim_id] = building.build_claims(db, SYSTEM, clinic.practice.id)
    scrubbing.scrub_claims(db, SYSTEM, claim_ids=[claim_id])
    claim = db.get(Claim, claim_id)
    assert claim.status == "ready"
    claim.status, claim.status_codes = "payer_rejected", "A3:116"
    db.flush()
    return clinic, claim


def _plan(db, clinic, payer, priority=1, start=date(2024, 1, 1), end=None, member="MCR1234567A"):
    return network.add_coverage(db, SYSTEM, clinic.patients[0].id, schemas.CoverageCreate(
        payer_id=payer.id, member_id=member, priority=priority, effective_from=start, effective_to=end))


def _lapsed(db, clinic, payer):
    """A primary plan that ended before the patient's Aetna plan began (2024-01-01)."""
    return _plan(db, clinic, payer, start=date(2020, 1, 1), end=date(2023, 12, 31))


def _switched_to(db, clinic, payer, member="MCR1234567A"):
    """The patient changed plans: Aetna ended the day before the visit, `payer` is the primary from that day
    (one primary at a time: the old plan is ended before the new one is added)."""
    network.update_coverage(db, SYSTEM, clinic.patients[0].coverages[0].id, schemas.CoverageUpdate(
        effective_to=SERVED - timedelta(days=1), reason="the patient changed plans"))
    return _plan(db, clinic, payer, start=SERVED, member=member)


def _biller(client, db, settings, clinic):
    return signed_in(client, db, settings, add_user(db, Role.MSO_STAFF, scope=[clinic.practice]))


def _member_id_sent(db, claim_id: int) -> str:
    [view] = views.load_views(db, [claim_id])
    return x837.professional_claim(view).subscriber.member_id


def test_a_claim_sent_to_the_wrong_payer_is_billed_to_the_plan_in_force_and_goes_back_as_an_original(
        client, db, settings, rejected):
    clinic, claim = rejected
    medicare = add_payer(db, "04412", "Medicare Part B Texas")
    aetna = clinic.patients[0].coverages[0]
    aetna.priority = 2  # the front desk had the plans the wrong way round
    plan = _plan(db, clinic, medicare)
    response = _biller(client, db, settings, clinic).post(f"/api/v1/claims/{claim.id}/rebill", json={
        "coverage_id": plan.id, "reason": "277CA A3:116: Medicare is primary"})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ready"
    db.expire_all()
    claim = db.get(Claim, claim.id)
    assert (claim.coverage_id, claim.payer_id, claim.frequency_code) == (plan.id, medicare.id, "1")
    [entry] = db.scalars(select(TimelineEntry).where(TimelineEntry.claim_id == claim.id,
                                                     TimelineEntry.event == "rebill")).all()
    assert entry.detail == ("277CA A3:116: Medicare is primary: payer Aetna → Medicare Part B Texas "
                            "(member id MCR1234567A)")
    events = db.scalars(select(TimelineEntry.event).where(TimelineEntry.claim_id == claim.id)
                        .order_by(TimelineEntry.id)).all()
    assert events[-4:] == ["correct", "rebill", "scrub", "pass"]
    assert db.scalar(select(AuditEntry.patient_id).where(AuditEntry.action == "claim.rebill")) == claim.patient_id
    [view] = views.load_views(db, [claim.id])
    assert x837.professional_claim(view).payer.payer_id == "04412"


@pytest.mark.parametrize(("case", "message"), [
    ("other patient", "is not one of this patient's"),
    ("same", "already billed to this coverage"),
    ("lapsed", "not on the date of service"),
    ("secondary", "correct the coverage's order first"),
])
def test_a_plan_that_cannot_pay_the_visit_is_refused_naming_coverage_id(client, db, settings, rejected, case,
                                                                         message):
    clinic, claim = rejected
    other = make_clinic(db, "Qzrebillother", patients=1)
    plan = {"other patient": lambda: other.patients[0].coverages[0],
            "same": lambda: clinic.patients[0].coverages[0],
            "lapsed": lambda: _lapsed(db, clinic, add_payer(db, "04412", "Medicare")),
            "secondary": lambda: _plan(db, clinic, add_payer(db, "04412", "Medicare"), priority=2)}[case]()
    response = _biller(client, db, settings, clinic).post(f"/api/v1/claims/{claim.id}/rebill",
                                                         json={"coverage_id": plan.id, "reason": "wrong payer"})
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["loc"] == ["body", "coverage_id"] and message in error["msg"]
    db.expire_all()
    assert (db.get(Claim, claim.id).status, db.get(Claim, claim.id).payer_id) == ("payer_rejected",
                                                                                   clinic.payer.id)


def test_a_claim_the_payer_has_is_not_rebilled(client, db, settings, rejected):
    clinic, claim = rejected
    claim.status = "accepted"
    db.flush()
    plan = _switched_to(db, clinic, add_payer(db, "04412", "Medicare"))
    response = _biller(client, db, settings, clinic).post(f"/api/v1/claims/{claim.id}/rebill",
                                                         json={"coverage_id": plan.id, "reason": "wrong payer"})
    assert response.status_code == 409 and "replacement" in response.json()["detail"]


def test_a_member_id_re_keyed_on_the_coverage_goes_out_on_the_corrected_claim(client, db, settings, rejected):
    clinic, claim = rejected
    claim.status_codes = "A7:164:IL"
    db.flush()
    biller = _biller(client, db, settings, clinic)
    coverage = clinic.patients[0].coverages[0]
    before = _member_id_sent(db, claim.id)
    original = coverage.member_id
    fixed = biller.patch(f"/api/v1/coverages/{coverage.id}", json={"member_id": "XJH900000001",
                                                                  "reason": "re-keyed from the insurance card"})
    assert fixed.status_code == 200, fixed.text
    corrected = biller.post(f"/api/v1/claims/{claim.id}/events", json={"event": "correct",
                                                                       "note": "member id re-keyed"})
    assert corrected.status_code == 200 and corrected.json()["status"] == "draft"
    db.expire_all()
    assert before == original != "XJH900000001"  # the 837 is built from the record as it now stands
    assert _member_id_sent(db, claim.id) == "XJH900000001"


def test_the_claim_page_bills_another_plan_and_shows_why_a_plan_is_refused(client, db, settings, rejected):
    clinic, claim = rejected
    lapsed = _lapsed(db, clinic, add_payer(db, "04412", "Medicare Part B Texas"))
    plan = _switched_to(db, clinic, add_payer(db, "87726", "UnitedHealthcare"), member="UHC7654321")
    biller = _biller(client, db, settings, clinic)
    page = biller.get(f"/claims/{claim.id}").text
    assert 'id="rebill-form"' in page and "UnitedHealthcare · member UHC7654321" in page
    assert 'id="patient-data-hint"' in page
    refused = biller.post(f"/claims/{claim.id}/rebill", data={"coverage_id": str(lapsed.id), "reason": "A3:116"})
    assert refused.status_code == 422 and "not on the date of service" in refused.text
    assert f'<option value="{lapsed.id}" selected>' in refused.text  # the choice is kept for the retry
    done = biller.post(f"/claims/{claim.id}/rebill", data={"coverage_id": str(plan.id), "reason": "A3:116"},
                       follow_redirects=False)
    assert done.status_code == 303
    page = biller.get(f"/claims/{claim.id}").text
    assert "badge ready" in page and "payer Aetna → UnitedHealthcare (member id UHC7654321)" in page
