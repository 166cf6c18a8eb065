"""Submitting ready claims from the batches page and the API: batches built, stored, then sent
through the configured clearinghouse (a folder drop here), for those the agreement lets submit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from openmso.core.jobs import Job
from openmso.core.tenancy import SYSTEM, Role
from openmso.rcm.claims import building, scrubbing
from openmso.rcm.claims.models import Claim, ClaimBatch
from tests.factories import add_user, build_world, signed_in
from tests.rcm.conftest import AS_OF, world_clinic
from tests.x12.conftest import pyx12_errors


@pytest.fixture
def ready(db, tmp_path, monkeypatch):
    """Two ready claims of the world's first practice; the clearinghouse is a folder drop."""
    drop = tmp_path / "drop"
    monkeypatch.setenv("OPENMSO_CLEARINGHOUSE", f"folder:{drop}")
    world = build_world(db)
    clinic = world_clinic(db, world)
    for patient in clinic.patients:
        clinic.charge(db, patient, procedure_code="99214", charge_amount="180.00")
    ids = building.build_claims(db, SYSTEM, clinic.practice.id)
    assert scrubbing.scrub_claims(db, SYSTEM, claim_ids=ids, as_of=AS_OF).ready == 2
    db.flush()
    return world, clinic, ids, drop


def test_the_batches_page_submits_the_ready_claims_of_a_practice(client, db, settings, ready):
    world, clinic, ids, drop = ready
    browser = signed_in(client, db, settings, add_user(db, Role.MSO_ADMIN))
    page = browser.get("/claims/batches", params={"practice_id": clinic.practice.id})
    assert 'id="submit-ready"' in page.text and "Submit ready claims of this practice" in page.text
    response = browser.post("/claims/submit", data={"practice_id": str(clinic.practice.id)}, follow_redirects=False)
    assert response.status_code == 303, response.text
    job = db.scalars(select(Job).where(Job.kind == "claims.submit").order_by(Job.id.desc())).first()
    assert response.headers["location"] == f"/claims/batches?practice_id={clinic.practice.id}&job={job.id}"
    page = browser.get(response.headers["location"]).text
    assert 'data-status="succeeded"' in page and "2 claim(s) submitted; 2 batch(es) sent via folder." in page
    status = browser.get(f"/api/v1/jobs/{job.id}").json()
    assert (status["status"], status["result"]["claims"], status["result"]["sent"]) == ("succeeded", 2, 2)
    db.expire_all()
    assert {c.status for c in db.scalars(select(Claim).where(Claim.id.in_(ids)))} == {"submitted"}
    sent = db.scalars(select(ClaimBatch).where(ClaimBatch.practice_id == clinic.practice.id,
                                               ClaimBatch.status == "sent")).all()
    # the new batch, and the one the world had built but never sent
    assert sorted(b.adapter for b in sent) == sorted(["folder", f"{world.markers[clinic.practice.id]}-drop"])
    files = sorted((drop / "outbound").iterdir())
    assert [f.name for f in files] == sorted(b.filename for b in sent)
    for file in files:
        assert pyx12_errors(file.read_text(encoding="latin-1")) == []
    others = db.scalars(select(ClaimBatch.status).where(ClaimBatch.practice_id != clinic.practice.id)).all()
    assert others and set(others) == {"built"}  # another practice's batches were not touched


def test_the_api_submits_and_reports_what_was_built_and_sent(client, db, settings, ready):
    world, clinic, ids, drop = ready
    browser = signed_in(client, db, settings, add_user(db, Role.MSO_ADMIN))
    result = browser.post("/api/v1/claims/submit", params={"practice_id": clinic.practice.id})
    assert result.status_code == 200, result.text
    body = result.json()
    assert (body["batches"], body["claims"], body["sent"], body["failed"]) == (1, 2, 2, [])
    again = browser.post("/api/v1/claims/submit", params={"practice_id": clinic.practice.id}).json()
    assert (again["batches"], again["claims"], again["sent"]) == (0, 0, 0)


def test_the_api_submits_as_a_job_a_script_can_follow(client, db, settings, ready):
    world, clinic, ids, drop = ready
    browser = signed_in(client, db, settings, add_user(db, Role.MSO_ADMIN))
    started = browser.post("/api/v1/claims/submissions", params={"practice_id": clinic.practice.id})
    assert started.status_code == 202, started.text
    status = browser.get(started.headers["location"]).json()
    assert (status["kind"], status["status"], status["practice_id"]) == ("claims.submit", "succeeded",
                                                                         clinic.practice.id)
    assert (status["result"]["claims"], status["result"]["sent"], status["result"]["failed"]) == (2, 2, [])
    db.expire_all()
    assert {c.status for c in db.scalars(select(Claim).where(Claim.id.in_(ids)))} == {"submitted"}
    auditor = signed_in(client, db, settings, add_user(db, Role.AUDITOR))
    assert auditor.post("/api/v1/claims/submissions", params={"practice_id": clinic.practice.id}).status_code == 403


@pytest.mark.parametrize(("role", "status"), [(Role.AUDITOR, 403), (Role.PRACTICE_USER, 403),
                                              ("other practice", 404)])
def test_only_those_who_may_submit_can(client, db, settings, ready, role, status):
    world, clinic, ids, drop = ready
    if role == "other practice":
        user = add_user(db, Role.PRACTICE_ADMIN, world.practices[1])
    else:
        user = add_user(db, role, clinic.practice if role == Role.PRACTICE_USER else None)
    browser = signed_in(client, db, settings, user)
    response = browser.post("/api/v1/claims/submit", params={"practice_id": clinic.practice.id})
    assert response.status_code == status, response.text
    db.expire_all()
    assert {c.status for c in db.scalars(select(Claim).where(Claim.id.in_(ids)))} == {"ready"}
    assert not (drop / "outbound").exists() or not list((drop / "outbound").iterdir())
