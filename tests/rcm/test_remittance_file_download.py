"""A received 835 read back as it came, from the payment's page: byte for byte, streamed, audited, and only
to those who may see every payment in it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from openmso.core.audit import AuditEntry
from openmso.core.tenancy import SYSTEM, Role
from openmso.rcm.remittance import ingest
from openmso.rcm.remittance.models import Remittance, RemittanceFile, stored_copy
from tests.factories import add_user, build_world, signed_in


@pytest.fixture
def world(db):
    return build_world(db)


def _file_of(db, practice) -> RemittanceFile:
    return db.scalars(select(RemittanceFile).where(RemittanceFile.practice_id == practice.id)).first()


def test_an_administrator_downloads_the_835_byte_for_byte_and_the_read_is_audited(client, db, settings, world,
                                                                                   monkeypatch):
    practice = world.practices[0]
    received = _file_of(db, practice)
    expected = b"".join(stored_copy(db, received.id))
    assert expected.startswith(b"ISA") and world.markers[practice.id].encode() in expected
    http = signed_in(client, db, settings, add_user(db, Role.MSO_ADMIN))
    response = http.get(f"/api/v1/remittance-files/{received.id}/file")
    assert response.status_code == 200, response.text
    assert response.content == expected and response.headers["content-type"].startswith("application/edi-x12")
    assert response.headers["content-length"] == str(len(expected))
    assert response.headers["content-disposition"] == f'attachment; filename="{received.name}"'
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "remittance.file_read")).one()
    assert (entry.object_id, entry.practice_id) == (str(received.id), practice.id)
    assert received.sha256 in entry.reason
    payment = db.scalars(select(Remittance).where(Remittance.file_id == received.id)).first()
    page = http.get(f"/remittances/{payment.id}").text
    assert f'href="/api/v1/remittance-files/{received.id}/file"' in page and received.name in page


def test_a_file_stored_in_many_parts_streams_back_whole(client, db, settings, world, monkeypatch):
    monkeypatch.setattr(ingest, "STORED_BYTES", 64)
    practice = world.practices[1]
    original = b"".join(stored_copy(db, _file_of(db, practice).id))
    again = ingest.ingest_file(db, SYSTEM, "again.835", original.replace(b"~", b"~\n"))  # other bytes: not a duplicate
    db.flush()
    assert len(list(stored_copy(db, again.file.id))) > 3
    http = signed_in(client, db, settings, add_user(db, Role.MSO_ADMIN))
    assert http.get(f"/api/v1/remittance-files/{again.file.id}/file").content == original.replace(b"~", b"~\n")


def test_other_practices_and_files_paying_several_practices_stay_hidden(client, db, settings, world):
    mine, theirs = world.practices[0], world.practices[1]
    received = _file_of(db, mine)
    outsider = signed_in(client, db, settings, add_user(db, Role.PRACTICE_ADMIN, theirs))
    refused = outsider.get(f"/api/v1/remittance-files/{received.id}/file")
    assert refused.status_code == 404 and refused.headers["content-type"] == "application/problem+json"
    received.practice_id = None  # as a file paying several practices is kept
    db.flush()
    staff = signed_in(client, db, settings, add_user(db, Role.MSO_STAFF, scope=[mine]))
    assert staff.get(f"/api/v1/remittance-files/{received.id}/file").status_code == 404
    payment = db.scalars(select(Remittance).where(Remittance.file_id == received.id)).first()
    assert "part of a file that also pays other practices" in staff.get(f"/remittances/{payment.id}").text
    admin = signed_in(client, db, settings, add_user(db, Role.MSO_ADMIN))
    assert admin.get(f"/api/v1/remittance-files/{received.id}/file").status_code == 200
