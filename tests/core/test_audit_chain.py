"""The audit trail is append-only and tamper-evident (HIPAA §164.312(b), §164.312(c))."""

from __future__ import annotations

import csv
import io
from types import SimpleNamespace

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from openmso.core import audit
from openmso.core.audit import AuditEntry
from openmso.core.deps import get_db
from openmso.core.errors import Forbidden
from openmso.core.tenancy import SYSTEM, Role
from tests.factories import add_patient, add_practice, add_user, signed_in


def _write_entries(db, count=5):
    return [audit.record(db, SYSTEM, "test.event", "thing", n) for n in range(count)]


def _drop_append_only_triggers(db):
    """What a DBA with full rights could do before editing the trail directly."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_no_update"))
    else:
        db.execute(text("DROP TRIGGER audit_entry_no_update"))
        db.execute(text("DROP TRIGGER audit_entry_no_delete"))


def test_fresh_chain_verifies(db):
    _write_entries(db)
    report = audit.verify_chain(db)
    assert report.ok and report.entries_checked >= 5


def test_each_entry_carries_the_hash_of_the_previous(db):
    entries = _write_entries(db, 3)
    assert entries[1].prev_hash == entries[0].entry_hash
    assert entries[2].prev_hash == entries[1].entry_hash
    assert entries[2].seq == entries[1].seq + 1


def test_database_refuses_update_and_delete_of_the_trail(db):
    entry = _write_entries(db, 1)[0]
    db.flush()
    with pytest.raises(DatabaseError, match="append-only"):
        with db.begin_nested():
            db.execute(text("UPDATE audit_entry SET reason = 'x' WHERE seq = :s"), {"s": entry.seq})
    with pytest.raises(DatabaseError, match="append-only"):
        with db.begin_nested():
            db.execute(text("DELETE FROM audit_entry WHERE seq = :s"), {"s": entry.seq})


def test_verify_names_the_first_edited_entry(db):
    entries = _write_entries(db, 6)
    _drop_append_only_triggers(db)
    target = entries[3].seq
    db.execute(text("UPDATE audit_entry SET reason = 'nothing to see here' WHERE seq = :s"), {"s": target})
    db.expire_all()
    report = audit.verify_chain(db)
    assert not report.ok
    assert report.first_broken_seq == target
    assert "altered" in report.problem


def test_verify_names_a_deleted_entry(db):
    entries = _write_entries(db, 6)
    _drop_append_only_triggers(db)
    target = entries[2].seq
    db.execute(text("DELETE FROM audit_entry WHERE seq = :s"), {"s": target})
    report = audit.verify_chain(db)
    assert report.first_broken_seq == target and "missing" in report.problem


def test_verify_catches_a_truncated_tail(db):
    entries = _write_entries(db, 4)
    _drop_append_only_triggers(db)
    db.execute(text("DELETE FROM audit_entry WHERE seq = :s"), {"s": entries[-1].seq})
    report = audit.verify_chain(db)
    assert report.first_broken_seq == entries[-1].seq and "removed" in report.problem


def test_verify_catches_a_rehashed_forgery(db):
    """Recomputing one entry's own hash after editing it still breaks the link to the next entry."""
    entries = _write_entries(db, 5)
    _drop_append_only_triggers(db)
    forged = entries[1]
    db.execute(text("UPDATE audit_entry SET reason = 'forged' WHERE seq = :s"), {"s": forged.seq})
    db.expire_all()
    row = db.scalar(select(AuditEntry).where(AuditEntry.seq == forged.seq))
    db.execute(text("UPDATE audit_entry SET entry_hash = :h WHERE seq = :s"),
               {"h": audit.entry_digest(row), "s": forged.seq})
    report = audit.verify_chain(db)
    assert report.first_broken_seq == forged.seq + 1


def test_reading_a_patient_is_audited(client, db, settings):
    practice = add_practice(db, "Audited")
    patient = add_patient(db, practice, "Audited")
    user = add_user(db, Role.PRACTICE_USER, practice)
    signed_in(client, db, settings, user)
    assert client.get(f"/api/v1/patients/{patient.id}").status_code == 200
    entries = db.scalars(select(AuditEntry).where(AuditEntry.patient_id == patient.id,
                                                  AuditEntry.action == "patient.read")).all()
    assert [e.actor_id for e in entries] == [user.id]
    assert entries[0].practice_id == practice.id


def test_auditor_exports_filtered_csv(client, db, settings):
    practice = add_practice(db, "Export")
    other = add_practice(db, "Other")
    patient = add_patient(db, practice, "Export")
    add_patient(db, other, "Other")
    auditor = add_user(db, Role.AUDITOR)
    signed_in(client, db, settings, auditor)
    response = client.get("/api/v1/audit/export.csv", params={"practice_id": practice.id})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows and {r["practice_id"] for r in rows} == {str(practice.id)}
    assert any(r["patient_id"] == str(patient.id) for r in rows)
    # the export itself is on the trail
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "audit.export",
                                              AuditEntry.actor_id == auditor.id)) is not None


def test_practice_admin_sees_only_own_practice_trail_and_staff_none(client, db, settings):
    practice = add_practice(db, "Mine")
    other = add_practice(db, "Theirs")
    add_patient(db, practice, "Mine")
    add_patient(db, other, "Theirs")
    admin = add_user(db, Role.PRACTICE_ADMIN, practice)
    signed_in(client, db, settings, admin)
    items = client.get("/api/v1/audit", params={"limit": 500}).json()["items"]
    assert items and {i["practice_id"] for i in items} == {practice.id}
    staff = add_user(db, Role.MSO_STAFF, scope=[practice])
    signed_in(client, db, settings, staff)
    assert client.get("/api/v1/audit").status_code == 403


def test_refusal_is_kept_when_the_request_rolls_back(session_factory, db):
    """A refused request's changes are rolled back, but the refusal itself stays on the trail."""
    request = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(session_factory=session_factory)))
    practice = add_practice(db, "Refuse")
    db.commit()
    unit = get_db(request)
    session = next(unit)
    audit.record(session, SYSTEM, "should.vanish", "thing", 1)
    audit.record_refusal(session, SYSTEM, "claim.submit", "claim", 7, practice_id=practice.id,
                         reason="MSA §3.2: revenue cycle not in scope")
    with pytest.raises(Forbidden):
        unit.throw(Forbidden("refused"))
    refused = db.scalar(select(AuditEntry).where(AuditEntry.action == "claim.submit"))
    assert refused is not None and refused.outcome == "refused" and "§3.2" in refused.reason
    assert "should.vanish" not in set(db.scalars(select(AuditEntry.action)))
    assert audit.verify_chain(db).ok
