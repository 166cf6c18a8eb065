"""The SFTP clearinghouse adapter against a real SFTP server (asyncssh, in-process on 127.0.0.1 with
a generated host key): a batch uploaded whole, 999/277CA answers polled and applied, a malformed
answer quarantined and kept, and a connection failure that leaves the batch to be sent again."""

from __future__ import annotations

import asyncio
import socket
import threading
from functools import partial
from pathlib import Path

import asyncssh
import pytest
from sqlalchemy import select

from openmso.core.tenancy import SYSTEM
from openmso.rcm.claims import building, scrubbing
from openmso.rcm.claims.models import Claim, ClaimBatch
from openmso.rcm.clearinghouse import service
from openmso.rcm.clearinghouse.adapters import default_envelope
from openmso.rcm.clearinghouse.models import InboundFile
from openmso.rcm.clearinghouse.sftp import SftpDrop
from openmso.rcm.clearinghouse.simulator import PayerSimulator
from tests.rcm.conftest import AS_OF

USER, PASSWORD = "openmso", "drop-box-secret"


class _PasswordServer(asyncssh.SSHServer):
    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return (username, password) == (USER, PASSWORD)


@pytest.fixture
def sftp_root(tmp_path) -> tuple[Path, int]:
    """A running SFTP server whose root is a temporary directory holding outbound/ and inbound/."""
    root = tmp_path / "clearinghouse"
    for name in ("outbound", "inbound"):
        (root / name).mkdir(parents=True)
    loop = asyncio.new_event_loop()
    listening = threading.Event()
    state: dict = {}

    async def start():
        state["server"] = await asyncssh.listen(
            "127.0.0.1", 0, server_host_keys=[asyncssh.generate_private_key("ssh-ed25519")],
            server_factory=_PasswordServer, sftp_factory=partial(asyncssh.SFTPServer, chroot=str(root).encode()))
        state["port"] = state["server"].sockets[0].getsockname()[1]
        listening.set()

    thread = threading.Thread(target=lambda: (loop.run_until_complete(start()), loop.run_forever()), daemon=True)
    thread.start()
    assert listening.wait(10), "the SFTP server did not start"
    yield root, state["port"]
    loop.call_soon_threadsafe(state["server"].close)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


def _adapter(port: int) -> SftpDrop:
    return SftpDrop.from_url(f"sftp://{USER}:{PASSWORD}@127.0.0.1:{port}/", default_envelope("Test MSO"))


def _ready_claims(db, clinic, count=2) -> list[int]:
    for patient in clinic.patients[:count]:
        clinic.charge(db, patient)
    ids = building.build_claims(db, SYSTEM, clinic.practice.id)
    scrubbing.scrub_claims(db, SYSTEM, claim_ids=ids, as_of=AS_OF)
    db.commit()
    return ids


def test_a_batch_is_uploaded_whole_and_its_answers_are_polled_and_applied(db, session_factory, clinic, sftp_root):
    root, port = sftp_root
    ids = _ready_claims(db, clinic)
    adapter = _adapter(port)
    report = service.submit(session_factory, SYSTEM, adapter, practice_id=clinic.practice.id)
    assert (report.batches, report.claims, report.sent, report.failed) == (1, 2, 1, [])
    db.expire_all()
    batch = db.scalars(select(ClaimBatch)).one()
    uploaded = sorted(p.name for p in (root / "outbound").iterdir())
    assert uploaded == [batch.filename]  # no partial ".part" file left behind
    assert (root / "outbound" / batch.filename).read_bytes() == batch.content.encode("latin-1")
    assert (batch.status, batch.adapter) == ("sent", "sftp")
    # the clearinghouse answers into inbound/: a 999 and a 277CA (and the payer's 835)
    for name, text in PayerSimulator().respond(batch.content.encode("latin-1"), 7, AS_OF):
        (root / "inbound" / name).write_text(text, encoding="latin-1")
    assert adapter.inbound() == ["277CA_000000007.x12", "835_000000007.x12", "999_000000007.x12"]
    polled = service.poll(session_factory, SYSTEM, adapter)
    assert (polled.files, polled.applied, polled.quarantined) == (3, 3, 0)
    assert adapter.inbound() == []
    assert sorted(p.name for p in (root / "inbound" / "processed").iterdir()) == [
        "277CA_000000007.x12", "835_000000007.x12", "999_000000007.x12"]
    db.expire_all()
    assert db.get(ClaimBatch, batch.id).ack_status == "A"
    assert {c.status for c in db.scalars(select(Claim).where(Claim.id.in_(ids)))} <= {
        "payer_accepted", "payer_rejected"}


def test_a_malformed_answer_is_quarantined_and_kept_for_retry(db, session_factory, clinic, sftp_root):
    root, port = sftp_root
    (root / "inbound" / "999_garbled.x12").write_bytes(b"ISA*00*          *00*     ~GS*FA~this is not X12")
    polled = service.poll(session_factory, SYSTEM, _adapter(port))
    assert (polled.files, polled.applied, polled.quarantined) == (1, 0, 1)
    db.expire_all()
    stored = db.scalars(select(InboundFile).where(InboundFile.name == "999_garbled.x12")).one()
    assert stored.status == "quarantined" and stored.error
    assert stored.content.startswith("ISA*00*")
    assert (root / "inbound" / "processed" / "999_garbled.x12").exists()


def test_a_refused_connection_leaves_the_batch_built_for_the_next_submit(db, session_factory, clinic, sftp_root):
    root, port = sftp_root
    _ready_claims(db, clinic, 1)
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    report = service.submit(session_factory, SYSTEM, _adapter(closed_port))
    assert (report.batches, report.sent, len(report.failed)) == (1, 0, 1)
    db.expire_all()
    assert db.scalars(select(ClaimBatch.status)).one() == "built"
    retried = service.submit(session_factory, SYSTEM, _adapter(port))
    assert (retried.batches, retried.sent) == (0, 1)
    assert len(list((root / "outbound").iterdir())) == 1


def test_a_wrong_password_is_refused_by_the_server(sftp_root):
    _, port = sftp_root
    adapter = SftpDrop.from_url(f"sftp://{USER}:wrong@127.0.0.1:{port}/", default_envelope("Test MSO"))
    with pytest.raises(asyncssh.PermissionDenied):
        adapter.inbound()
