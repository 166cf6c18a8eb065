"""Who may export a practice's records, and the export in the audit trail: the practice's
administrator, MSO users only where the agreement's data terms allow it, nobody else; another
practice is not found (404 before 403)."""

from __future__ import annotations

import csv
from datetime import date

import pytest
from sqlalchemy import select

from openmso.agreements import presets
from openmso.core import audit
from openmso.core.errors import Forbidden, NotFound
from openmso.core.tenancy import Actor, Role
from tests.exit.conftest import build_shared_network
from tests.factories import add_practice, add_signed_agreement


def _actor(role: Role, practices=None) -> Actor:
    return Actor(user_id=4242, username=f"{role.value}.tester", role=role,
                 practice_ids=None if practices is None else frozenset(practices))


def _exports(db, practice_id: int) -> list[audit.AuditEntry]:
    return list(db.scalars(select(audit.AuditEntry).where(audit.AuditEntry.action == "exit.package",
                                                          audit.AuditEntry.practice_id == practice_id)))


@pytest.mark.parametrize("role", [Role.PRACTICE_ADMIN, Role.MSO_ADMIN, Role.MSO_STAFF])
def test_allowed_actors_export_and_the_export_is_in_the_trail_and_in_the_package(db, package_of, role):
    network = build_shared_network(db)
    practice = network.practices[0]
    actor = _actor(role, None if role is Role.MSO_ADMIN else [practice.id])
    result = package_of(practice.id, actor=actor)
    [entry] = _exports(db, practice.id)
    assert entry.actor_name == actor.username and entry.outcome == "success"
    expected = "administrator" if role is Role.PRACTICE_ADMIN else "Schedule F.5 (Data at exit)"
    assert expected in entry.reason and expected in result.manifest["authority"]
    trail = list(csv.DictReader((result.path / "audit/audit_trail.csv").open(encoding="utf-8")))
    assert any(row["action"] == "exit.package" and row["actor_name"] == actor.username for row in trail)


@pytest.mark.parametrize("role", [Role.PRACTICE_USER, Role.AUDITOR])
def test_other_roles_are_refused_and_the_refusal_is_queued_for_the_trail(db, package_of, tmp_path, role):
    network = build_shared_network(db)
    practice = network.practices[0]
    with pytest.raises(Forbidden):
        package_of(practice.id, actor=_actor(role, None if role is Role.AUDITOR else [practice.id]))
    assert audit.take_refusals(db)[0]["action"] == "exit.package"
    assert not list(tmp_path.iterdir())


def test_another_practice_is_not_found(db, package_of):
    network = build_shared_network(db)
    mine, other = network.practices
    with pytest.raises(NotFound):
        package_of(other.id, actor=_actor(Role.PRACTICE_ADMIN, [mine.id]))
    with pytest.raises(NotFound):
        package_of(other.id, actor=_actor(Role.MSO_STAFF, [mine.id]))


def test_mso_users_need_exit_terms_or_the_data_sharing_decision(db, package_of):
    standard = presets.standard_terms(date(2025, 1, 1))
    without_exit = standard.data_rights.model_copy(update={"exit_formats": [], "exit_delivery_days": None})
    practice = add_practice(db, "Qzcharlie")
    add_signed_agreement(db, practice, data_rights=without_exit)
    with pytest.raises(Forbidden, match="Schedule C"):
        package_of(practice.id, actor=_actor(Role.MSO_STAFF, [practice.id]))
    friendly = add_practice(db, "Qzdelta")
    add_signed_agreement(db, friendly, terms=presets.friendly_pc_terms(date(2025, 1, 1)))
    result = package_of(friendly.id, actor=_actor(Role.MSO_STAFF, [friendly.id]), name="friendly")
    assert "Schedule C" in result.manifest["authority"]
