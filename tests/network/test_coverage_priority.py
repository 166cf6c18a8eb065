"""One plan per order at a time: a patient cannot have two primaries (or two secondaries…) in force on the same
day, whichever door the plan comes in by, because a claim bills the primary in force on its date of service.
The way to change plans is to end the old one, then add the new one."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from openmso.core.errors import Invalid
from openmso.core.tenancy import SYSTEM, Role
from openmso.core.types import simulated_clock, utcnow
from openmso.network import schemas
from openmso.network import service as network
from openmso.network.models import Coverage, Practice
from openmso.rcm.claims.charges import default_coverage
from tests.factories import add_patient, add_payer, add_practice, add_signed_agreement, add_user, bearer, signed_in


@pytest.fixture
def patient(db):
    """A patient whose Aetna plan (member W…, from 2024-01-01, open-ended) is the primary."""
    practice = add_practice(db, "Orders")
    add_signed_agreement(db, practice)
    return add_patient(db, practice, "Orders", add_payer(db))


@pytest.fixture
def admin(db):
    return bearer(db, add_user(db, Role.MSO_ADMIN))


def _aetna_taken(patient, advice: str = "end it first or choose secondary") -> str:
    member = patient.coverages[0].member_id
    return f"Aetna (member {member}, from 2024-01-01, open-ended) is already the primary plan for these dates; {advice}"


def _add(db, patient, priority=1, start=date(2026, 1, 1), end=None, payer=None) -> Coverage:
    payer = payer or add_payer(db, "04412", "Medicare Part B Texas")
    return network.add_coverage(db, SYSTEM, patient.id, schemas.CoverageCreate(
        payer_id=payer.id, member_id="1EG4TE5MK73", priority=priority, effective_from=start, effective_to=end))


def _end(db, coverage: Coverage, last_day: date) -> Coverage:
    return network.update_coverage(db, SYSTEM, coverage.id, schemas.CoverageUpdate(
        effective_to=last_day, reason="the patient's employer plan ended"))


def _count(db, patient) -> int:
    return db.scalar(select(func.count()).select_from(Coverage).where(Coverage.patient_id == patient.id))


def test_a_second_primary_in_force_on_the_same_dates_is_refused_naming_the_plan_in_force(db, patient):
    with pytest.raises(Invalid) as refused:
        _add(db, patient)
    [error] = refused.value.errors
    assert (error.location, error.message) == (["body", "priority"], _aetna_taken(patient))
    assert _count(db, patient) == 1


@pytest.mark.parametrize(("start", "end", "refused"), [
    (date(2024, 12, 31), None, True),  # the old plan's last day is a day of both: dates are inclusive
    (date(2025, 1, 1), None, False),  # the day after it ends
    (date(2023, 1, 1), date(2024, 1, 1), True),  # ends on the old plan's first day
    (date(2023, 1, 1), date(2023, 12, 31), False),  # ended the day before it started
    (date(2023, 1, 1), None, True),  # open-ended, spanning the whole old plan
    (date(2024, 3, 1), date(2024, 3, 31), True),  # within it
])
def test_periods_overlap_when_they_share_a_day(db, patient, start, end, refused):
    _end(db, patient.coverages[0], date(2024, 12, 31))
    if refused:
        with pytest.raises(Invalid, match="is already the primary plan for these dates"):
            _add(db, patient, start=start, end=end)
    else:
        _add(db, patient, start=start, end=end)
    assert _count(db, patient) == (1 if refused else 2)


def test_plans_of_other_orders_run_side_by_side_but_two_secondaries_do_not(db, patient):
    _add(db, patient, priority=2, start=date(2024, 1, 1))
    _add(db, patient, priority=3, start=date(2025, 1, 1), payer=add_payer(db, "87726", "UnitedHealthcare"))
    with pytest.raises(Invalid) as refused:
        _add(db, patient, priority=2, start=date(2025, 6, 1), payer=add_payer(db, "SX001", "Second Mutual"))
    assert refused.value.errors[0].message == ("Medicare Part B Texas (member 1EG4TE5MK73, from 2024-01-01, "
                                               "open-ended) is already the secondary plan for these dates; end it "
                                               "first or choose tertiary")
    with pytest.raises(Invalid, match="is already the tertiary plan for these dates; end it first$"):
        _add(db, patient, priority=3, start=date(2024, 6, 1), end=date(2025, 1, 1))


def test_ending_the_old_primary_then_adding_the_new_one_changes_who_is_billed_from_that_day(client, db, admin,
                                                                                            patient):
    aetna = patient.coverages[0]
    ended = client.patch(f"/api/v1/coverages/{aetna.id}", headers=admin,
                         json={"effective_to": "2025-12-31", "reason": "employer plan ended at year end"})
    assert ended.status_code == 200, ended.text
    medicare = add_payer(db, "04412", "Medicare Part B Texas")
    added = client.post(f"/api/v1/patients/{patient.id}/coverages", headers=admin, json={
        "payer_id": medicare.id, "member_id": "1EG4TE5MK73", "priority": 1, "effective_from": "2026-01-01"})
    assert added.status_code == 201, added.text
    db.expire_all()
    plans = db.get(type(patient), patient.id).coverages
    assert default_coverage(plans, date(2025, 12, 31)).payer.name == "Aetna"
    assert default_coverage(plans, date(2026, 1, 1)).payer.name == "Medicare Part B Texas"


def test_the_api_answers_a_second_primary_with_a_problem_naming_priority(client, db, admin, patient):
    medicare = add_payer(db, "04412", "Medicare Part B Texas")
    response = client.post(f"/api/v1/patients/{patient.id}/coverages", headers=admin, json={
        "payer_id": medicare.id, "member_id": "1EG4TE5MK73", "priority": 1, "effective_from": "2026-01-01"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert (body["status"], body["errors"]) == (422, [
        {"loc": ["body", "priority"], "msg": _aetna_taken(patient), "type": "invalid"}])
    assert _count(db, patient) == 1


def test_a_correction_names_the_date_that_reaches_into_the_other_plan(client, db, admin, patient):
    aetna = patient.coverages[0]
    _end(db, aetna, date(2025, 12, 31))
    medicare = _add(db, patient)

    def patch(coverage, change):
        return client.patch(f"/api/v1/coverages/{coverage.id}", headers=admin, json={**change, "reason": "typo"})

    reopened = patch(aetna, {"effective_to": None})
    assert reopened.status_code == 422
    assert reopened.json()["errors"][0] == {
        "loc": ["body", "effective_to"], "type": "invalid",
        "msg": "Medicare Part B Texas (member 1EG4TE5MK73, from 2026-01-01, open-ended) is already the primary "
               "plan for these dates; end it first or choose dates outside its period"}
    earlier = patch(medicare, {"effective_from": "2025-06-01"})
    assert earlier.status_code == 422
    assert earlier.json()["errors"][0] == {
        "loc": ["body", "effective_from"], "type": "invalid",
        "msg": f"Aetna (member {aetna.member_id}, from 2024-01-01, to 2025-12-31) is already the primary plan for "
               "these dates; end it first or choose dates outside its period"}
    secondary = _add(db, patient, priority=2, start=date(2024, 1, 1), payer=add_payer(db, "SX001", "Second Mutual"))
    promoted = patch(secondary, {"priority": 1, "effective_from": "2024-02-01"})
    assert promoted.status_code == 422 and promoted.json()["errors"][0]["loc"] == ["body", "priority"]
    db.expire_all()
    assert (db.get(Coverage, aetna.id).effective_to, db.get(Coverage, medicare.id).effective_from,
            db.get(Coverage, secondary.id).priority) == (date(2025, 12, 31), date(2026, 1, 1), 2)


def test_an_overlap_already_on_file_is_refused_any_correction_until_one_plan_is_ended(client, db, admin, patient):
    """Two primaries written before the rule (or by a bulk import, which bypasses the service)."""
    aetna = patient.coverages[0]
    legacy = Coverage(practice_id=patient.practice_id, patient_id=patient.id, payer_id=aetna.payer_id,
                      member_id="W2", priority=1, effective_from=date(2025, 1, 1))
    db.add(legacy)
    db.flush()
    rekeyed = client.patch(f"/api/v1/coverages/{legacy.id}", headers=admin,
                           json={"member_id": "W3", "reason": "re-keyed from the card"})
    assert rekeyed.status_code == 422
    assert rekeyed.json()["errors"][0] == {"loc": ["body", "priority"], "msg": _aetna_taken(patient),
                                           "type": "invalid"}
    ended = client.patch(f"/api/v1/coverages/{aetna.id}", headers=admin,
                         json={"effective_to": "2024-12-31", "reason": "replaced by the 2025 plan"})
    assert ended.status_code == 200, ended.text
    assert client.patch(f"/api/v1/coverages/{legacy.id}", headers=admin,
                        json={"member_id": "W3", "reason": "re-keyed from the card"}).status_code == 200


def test_the_patient_page_shows_why_a_plan_is_refused_beside_its_form(client, db, settings, patient):
    staff = signed_in(client, db, settings, add_user(db, Role.MSO_STAFF, scope=[db.get(Practice,
                                                                                       patient.practice_id)]))
    medicare = add_payer(db, "04412", "Medicare Part B Texas")
    form = {"payer_id": str(medicare.id), "member_id": "1EG4TE5MK73", "group_number": "", "priority": "1",
            "subscriber_relation": "18", "subscriber_first_name": "", "subscriber_last_name": "",
            "subscriber_birth_date": "", "effective_from": "2026-01-01", "effective_to": ""}
    refused = staff.post(f"/patients/{patient.id}/coverages/new", data=form)
    assert refused.status_code == 422
    form_part = refused.text.split('id="coverage-new"', 1)[1]
    assert form_part.startswith(" open>")
    assert (f"<strong>body.priority</strong>: {_aetna_taken(patient)}" in form_part.split("<form", 1)[0])
    assert 'value="1EG4TE5MK73"' in form_part  # what was typed is kept for the retry
    aetna = patient.coverages[0]
    edit = {"member_id": aetna.member_id, "group_number": "", "priority": "1", "subscriber_relation": "18",
            "subscriber_first_name": "", "subscriber_last_name": "", "subscriber_birth_date": "",
            "effective_from": "2024-01-01", "effective_to": "2025-12-31", "reason": "plan ended at year end"}
    done = staff.post(f"/patients/{patient.id}/coverages/{aetna.id}/edit", data=edit, follow_redirects=False)
    assert done.status_code == 303
    added = staff.post(f"/patients/{patient.id}/coverages/new", data=form, follow_redirects=False)
    assert added.status_code == 303
    assert _count(db, patient) == 2


def test_a_plan_keeps_when_it_was_put_on_file_and_the_patient_page_shows_it(client, db, admin, patient):
    """The A/R as of an earlier day does not count a plan put on file later (`rcm.ar.next_plans`): when is kept,
    answered by the API and shown on the patient's page."""
    second = add_payer(db, "SX001", "Second Mutual")
    with simulated_clock(datetime(2026, 11, 10, 15, 30, tzinfo=UTC)):
        added = network.add_coverage(db, SYSTEM, patient.id, schemas.CoverageCreate(
            payer_id=second.id, member_id="SEC123", priority=2, effective_from=date(2024, 1, 1)))
    assert added.entered_at == datetime(2026, 11, 10, 15, 30, tzinfo=UTC)
    answered = client.post(f"/api/v1/patients/{patient.id}/coverages", headers=admin, json={
        "payer_id": add_payer(db, "TX001", "Third Benefit").id, "member_id": "TER1", "priority": 3,
        "effective_from": "2024-01-01"})
    assert answered.status_code == 201, answered.text
    entered = datetime.fromisoformat(answered.json()["entered_at"])
    assert abs((entered - utcnow()).total_seconds()) < 60
    page = client.get(f"/patients/{patient.id}", headers=admin)
    assert page.status_code == 200 and "On file since" in page.text and "2026-11-10" in page.text
