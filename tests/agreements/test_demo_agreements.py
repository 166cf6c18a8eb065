"""The demo network's agreements: varied, signed, and the demo logins still work under them."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from openmso.agreements import assessment, enforcement, service
from openmso.agreements.enforcement import MsoAction
from openmso.core.errors import Forbidden
from openmso.core.tenancy import SYSTEM
from openmso.demo.generator import AS_OF, build_demo
from openmso.identity import service as identity
from openmso.identity.models import User
from openmso.network import service as network
from openmso.network.models import Patient, Practice


@pytest.fixture
def demo(db, fresh_ids):
    build_demo(db, seed=7, practices=12, patients=240, as_of=AS_OF)
    practices = {p.legal_name: p for p in db.scalars(select(Practice))}
    users = {u.username: identity.actor_for(u) for u in db.scalars(select(User))}
    return practices, users


def _rows(db):
    return {row.practice: row for row in assessment.network_rows(db, SYSTEM, AS_OF)}


def test_every_demo_practice_has_a_signed_agreement_of_varied_models(db, demo):
    rows = _rows(db)
    assert all(row.status == "signed" for row in rows.values()), {p: r.status for p, r in rows.items()}
    assert {row.model for row in rows.values()} >= {"service_only", "friendly_pc", "equity_partnership"}
    fee_kinds = {service.get_version(db, SYSTEM, row.version_id).fee_kind for row in rows.values()}
    assert fee_kinds == {"flat_monthly", "per_provider", "percent_of_net_collections", "hybrid", "cost_plus"}


def test_texas_service_only_is_clean_and_oregon_friendly_pc_is_flagged(db, demo):
    rows = _rows(db)
    texas = rows["Austin Family Medicine Associates, PLLC"]
    assert texas.model == "service_only" and texas.flags_high == texas.flags_medium == texas.flags_upcoming == 0
    assert texas.version == 2  # signed amendment on top of v1: history to diff
    oregon = rows["Willamette Valley Primary Care, P.C."]
    assert oregon.model == "friendly_pc" and "% of net collections" in oregon.fee
    version = service.get_version(db, SYSTEM, oregon.version_id)
    flags = {f.rule.id for f in assessment.flags_for(db, SYSTEM, version, AS_OF) if f.in_force}
    assert {"OR-SB951-STRUCTURE", "OR-SB951-CONTROL", "US-AKS-SAFE-HARBOR", "US-STARK-FMV"} <= flags
    california = service.get_version(db, SYSTEM, rows["Bay Area Dermatology Medical Group, Inc."].version_id)
    assert "CA-SB351" in {f.rule.id for f in assessment.flags_for(db, SYSTEM, california, AS_OF)}


def test_demo_logins_still_reach_patients_and_scope_is_enforced(db, demo):
    practices, users = demo
    oregon = practices["Willamette Valley Primary Care, P.C."]
    patient = db.scalar(select(Patient).where(Patient.practice_id == oregon.id).limit(1))
    assert network.get_patient(db, users["biller.nw"], patient.id).id == patient.id
    lone_star = practices["Lone Star Pediatrics, P.A."]
    with pytest.raises(Forbidden, match="Schedule A.3"):  # credentialing is only in the open draft amendment
        enforcement.authorize(db, users["biller.tx"], MsoAction.MANAGE_CREDENTIALING, lone_star.id)
    [agreement] = service.list_agreements(db, SYSTEM, lone_star.id)
    assert [v.status for v in agreement.versions] == ["signed", "draft"]
    assert service.get_version(db, SYSTEM, agreement.versions[0].id).signed_on <= date(2026, 11, 1)
