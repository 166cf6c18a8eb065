"""Cross-practice views: only practices with benchmarking consent, cells of 1–10 patients hidden with the
totals that would reveal them, and each aggregation on the participating practices' data access reports."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from openmso.agreements import aggregation, presets
from openmso.core.audit import AuditEntry
from openmso.core.tenancy import Role
from openmso.identity import service as identity
from openmso.rcm.ar import facts, service
from openmso.rcm.ar.aging import Aging
from openmso.rcm.ar.schemas import AgingBy, AgingKind
from tests.factories import add_practice, add_signed_agreement, add_user, build_world, signed_in

AS_OF = date(2026, 11, 20)


@pytest.fixture
def world(db):
    return build_world(db)


def _actor(db, role, practice=None):
    return identity.actor_for(add_user(db, role, practice))


def _without_consent(db, marker: str):
    terms = presets.standard_terms(date(2025, 1, 1))
    terms = presets.revised(terms, {"data_rights": terms.data_rights.model_copy(
        update={"benchmarking_consent": False})})
    practice = add_practice(db, marker)
    add_signed_agreement(db, practice, terms=terms)
    return practice


def test_cells_of_one_to_ten_patients_and_the_totals_summing_them_are_hidden():
    table = {"Aetna": {"0_30": 12, "31_60": 3, "61_90": 0}, "Cigna": {"0_30": 11, "31_60": 40, "61_90": 11}}
    hidden = aggregation.suppressed_cells(table)
    assert hidden == {("Aetna", "31_60"), ("Aetna", None), (None, "31_60"), (None, None)}
    assert not aggregation.too_small(0) and aggregation.too_small(1) and aggregation.too_small(10)
    assert not aggregation.too_small(aggregation.MIN_CELL_PATIENTS)
    values = {"denial_rate": Decimal("50.0"), "charge_lag": Decimal("2.0")}
    assert aggregation.suppress(values, {"denial_rate": 4, "charge_lag": 30}) == {"denial_rate"}
    assert values == {"denial_rate": None, "charge_lag": Decimal("2.0")}


def test_the_network_total_line_adds_only_consenting_practices_and_hides_small_buckets():
    big, small, refused = Aging(), Aging(), Aging()
    for patient in range(20):
        big.add(10, Decimal("100.00"), patient)
    for patient in range(100, 103):
        small.add(45, Decimal("50.00"), patient)
    for patient in range(200, 230):
        refused.add(10, Decimal("999.00"), patient)
    lines = [service.AgingLine(1, "Big", big), service.AgingLine(2, "Small", small),
             service.AgingLine(3, "Refused", refused, in_network_total=False)]
    total = service.network_total(lines)
    assert total.label == "All consenting practices"
    assert total.shown("0_30") == Decimal("2000.00")  # 20 patients: shown, without the refusing practice's 29,970
    assert total.shown("31_60") is None and total.total is None  # 3 patients: hidden, and so is the total
    assert total.as_dict()["buckets"]["31_60"] is None and total.as_dict()["counts"]["31_60"] is None


def test_participation_leaves_out_practices_without_consent(db, world):
    refusing = _without_consent(db, "Qzfoxtrot")
    ids = [p.id for p in world.practices] + [refusing.id]
    scope = aggregation.participation(db, ids)
    assert scope.is_aggregate and scope.included == tuple(sorted(p.id for p in world.practices))
    assert scope.excluded == (refusing.id,)
    assert all("Schedule F.3 (Cross-practice benchmarking)" in scope.clauses[p] for p in scope.included)
    alone = aggregation.participation(db, [refusing.id])
    assert not alone.is_aggregate and alone.included == (refusing.id,)


def test_network_kpis_leave_out_a_refusing_practice_and_hide_small_months(db, world):
    refusing = _without_consent(db, "Qzfoxtrot")
    actor = _actor(db, Role.MSO_ADMIN)
    months = facts.kpi_trend(db, actor, AS_OF, 3)
    october = months[1]
    assert october.claims == 12  # the three consenting practices' October claims; the refusing one has none
    assert october.patients == 6 and october.values["denial_rate"] is None and "denial_rate" in october.suppressed
    assert october.claims_shown is None  # the count of a month of 6 patients is a small cell too
    own = facts.kpi_trend(db, actor, AS_OF, 3, world.practices[0].id)[1]
    assert own.values["denial_rate"] == Decimal("50.0") and not own.suppressed  # one practice: not an aggregate
    events = db.scalars(select(AuditEntry).where(AuditEntry.action == "aggregation.kpi_trend")).all()
    assert {e.practice_id for e in events} == {p.id for p in world.practices}
    assert refusing.id not in {e.practice_id for e in events} and len({e.object_id for e in events}) == 1
    assert all(e.basis.startswith("Schedule F.3") and "1 without consent left out" in e.reason for e in events)


def test_aggregations_appear_on_each_participating_practices_report(client, db, settings, world):
    mso = signed_in(client, db, settings, add_user(db, Role.MSO_ADMIN))
    assert mso.get("/ar/aging", params={"by": "network", "as_of": "2026-11-20"}).status_code == 200
    practice = world.practices[1]
    http = signed_in(client, db, settings, add_user(db, Role.PRACTICE_ADMIN, practice))
    report = http.get(f"/api/v1/practices/{practice.id}/data-access",
                      params={"data_class": "deidentified_aggregates"}).json()["items"]
    (event,) = [r for r in report if r["action"] == "aggregation.insurance_aging_by_network"]
    assert event["aggregation"] and "3 consenting practices" in event["reason"]
    assert "cells suppressed (<11 patients)" in event["reason"] and event["basis"].startswith("Schedule F.3")
    page = http.get(f"/practices/{practice.id}/data-access", params={"data_class": "deidentified_aggregates"})
    assert "aggregation.insurance_aging_by_network" in page.text
    assert not any(m in page.text for m in ("Qzalpha", "Qzcharlie"))  # other participants are not named


def test_a_single_practice_view_is_never_filtered_or_suppressed(db, world):
    refusing = _without_consent(db, "Qzgolf")
    actor = _actor(db, Role.PRACTICE_ADMIN, refusing)
    service.aging(db, actor, AgingKind.INSURANCE, AgingBy.NETWORK, AS_OF)
    own = world.practices[0]
    lines = service.aging(db, _actor(db, Role.PRACTICE_ADMIN, own), AgingKind.INSURANCE, AgingBy.NETWORK, AS_OF)
    # the practice's own 145.00 of 1 patient: its own view, so nothing is hidden and nothing recorded
    assert [line.total for line in lines] == [Decimal("145.00")] and not lines[0].suppressed
    assert not db.scalars(select(AuditEntry).where(AuditEntry.action.startswith("aggregation."))).first()
