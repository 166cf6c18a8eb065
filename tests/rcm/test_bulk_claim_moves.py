"""The bulk paths under scrubbing and batch building: claims on one path advanced by set-based
statements (and refused when a claim moved meanwhile), and claim views read in bulk by id range or
by a scattered id set, lines in line order."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from openmso.core.errors import Conflict
from openmso.core.tenancy import SYSTEM
from openmso.rcm.claims import building
from openmso.rcm.claims.models import Claim, ClaimLine, TimelineEntry
from openmso.rcm.claims.states import ClaimEvent
from openmso.rcm.claims.timeline import TOGETHER_MIN, Move, advance_many
from openmso.rcm.claims.views import load_views
from tests.rcm.conftest import make_clinic

SCRUB_PASS = (ClaimEvent.SCRUB, ClaimEvent.PASS)


@pytest.fixture
def claim_ids(db) -> list[int]:
    """More draft claims than the set-based threshold, one per patient."""
    clinic = make_clinic(db, "Qzbulk", patients=TOGETHER_MIN + 4)
    for patient in clinic.patients:
        clinic.charge(db, patient)
    ids = building.build_claims(db, SYSTEM, clinic.practice.id)
    assert len(ids) == TOGETHER_MIN + 4
    return sorted(ids)


def _moves(db, ids, events=SCRUB_PASS, extra=None) -> list[Move]:
    rows = db.execute(select(Claim.id, Claim.practice_id, Claim.status).where(Claim.id.in_(ids))).all()
    return [Move(claim_id, practice_id, status, events, "clean", extra) for claim_id, practice_id, status in rows]


def test_claims_on_one_path_get_their_status_columns_and_a_timeline_entry_per_event(db, claim_ids):
    held = db.get(Claim, claim_ids[0])  # an instance the session already holds sees the new values
    assert held.status == "draft"
    moved = advance_many(db, SYSTEM, _moves(db, claim_ids, extra={"error_count": 0, "warning_count": 2}))
    assert moved == len(claim_ids)
    assert held.status == "ready" and held.warning_count == 2
    claims = db.execute(select(Claim.status, Claim.warning_count).where(Claim.id.in_(claim_ids))).all()
    assert set(claims) == {("ready", 2)}
    entries = db.execute(select(TimelineEntry.claim_id, TimelineEntry.event, TimelineEntry.from_status,
                                TimelineEntry.to_status, TimelineEntry.detail, TimelineEntry.practice_id)
                         .where(TimelineEntry.claim_id.in_(claim_ids), TimelineEntry.event != "create")
                         .order_by(TimelineEntry.claim_id, TimelineEntry.id)).all()
    practice_id = held.practice_id
    assert entries == [row for claim_id in claim_ids for row in (
        (claim_id, "scrub", "draft", "scrubbed", "clean", practice_id),
        (claim_id, "pass", "scrubbed", "ready", "clean", practice_id))]


def test_a_claim_moved_meanwhile_makes_the_whole_move_a_conflict(db, claim_ids):
    moves = _moves(db, claim_ids)  # computed from draft
    db.execute(update(Claim).where(Claim.id == claim_ids[3]).values(status="held"))
    with pytest.raises(Conflict, match=f"1 of {len(claim_ids)} claims are no longer draft"):
        advance_many(db, SYSTEM, moves)


def test_a_move_the_state_machine_refuses_is_a_conflict_before_anything_is_written(db, claim_ids):
    with pytest.raises(Conflict, match="a draft claim cannot submit"):
        advance_many(db, SYSTEM, _moves(db, claim_ids, events=(ClaimEvent.SUBMIT,)))
    assert set(db.scalars(select(Claim.status).where(Claim.id.in_(claim_ids)))) == {"draft"}


def test_views_read_by_range_and_by_scattered_ids_match_the_rows(db, claim_ids):
    first, last = claim_ids[0], claim_ids[-1]
    scattered = load_views(db, [last, first])  # far apart for two ids: read as an id set
    assert [view.id for view in scattered] == [first, last]
    everything = load_views(db, claim_ids)  # consecutive: read as a range
    assert [view.id for view in everything] == claim_ids
    claim = db.get(Claim, first)
    view = everything[0]
    assert (view.patient_control_number, view.total_charge, view.diagnoses, view.service_date_from) == (
        claim.patient_control_number, claim.total_charge, claim.diagnosis_codes, claim.service_date_from)
    assert view.patient.last_name and view.coverage is not None and view.payer is not None


def test_view_lines_come_in_line_number_order(db, claim_ids):
    claim_id = claim_ids[0]
    line = db.scalars(select(ClaimLine).where(ClaimLine.claim_id == claim_id)).one()
    db.add(ClaimLine(practice_id=line.practice_id, claim_id=claim_id, line_number=3, procedure_code="36415",
                     modifiers="", units=1, charge_amount=line.charge_amount, service_date=line.service_date,
                     pointers="1"))
    db.add(ClaimLine(practice_id=line.practice_id, claim_id=claim_id, line_number=2, procedure_code="81002",
                     modifiers="25:59", units=2, charge_amount=line.charge_amount, service_date=line.service_date,
                     pointers="1:2"))
    db.flush()
    lines = load_views(db, [claim_id])[0].lines
    assert [(ln.number, ln.procedure_code, ln.modifiers, ln.units, ln.pointers) for ln in lines] == [
        (1, line.procedure_code, (), 1, (1, 2)), (2, "81002", ("25", "59"), 2, (1, 2)), (3, "36415", (), 1, (1,))]
    assert all(ln.charge == line.charge_amount for ln in lines)
