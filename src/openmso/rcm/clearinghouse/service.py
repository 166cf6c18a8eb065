"""Clearinghouse use cases: send built batches, poll for answers, list what came back.

`submit` and `poll` take a session factory rather than a session because they commit between
steps on purpose: a batch is stored before it is sent and marked sent after, and each inbound
file is stored (applied or quarantined) before it is taken off the inbound list — so a crash
at any point loses nothing and sends nothing twice.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from openmso.core import audit
from openmso.core.db import unit_of_work
from openmso.core.errors import NotFound
from openmso.core.pagination import PageParams, Slice, fetch_page
from openmso.core.tenancy import Actor, Role, ensure_role, visible
from openmso.core.types import utcnow
from openmso.network.service import get_mso
from openmso.rcm.claims import access, batches
from openmso.rcm.claims.models import ClaimBatch
from openmso.rcm.claims.scrub_and_build import scrub_and_build
from openmso.rcm.claims.scrubbing import ScrubReport
from openmso.rcm.clearinghouse.adapters import Clearinghouse, FolderDrop, SimulatorDrop, default_envelope
from openmso.rcm.clearinghouse.ingest import IngestResult, ingest, retry_quarantined
from openmso.rcm.clearinghouse.models import FileStatus, InboundFile
from openmso.rcm.clearinghouse.sftp import SftpDrop

CONNECTION_ENV = "OPENMSO_CLEARINGHOUSE"  # "simulator" (default), "folder:/path" or "sftp://user@host:port/dir"


def connect(db: Session, var_dir: Path, spec: str | None = None) -> Clearinghouse:
    """The configured clearinghouse adapter (the payer simulator unless configured otherwise)."""
    spec = spec or os.environ.get(CONNECTION_ENV, "simulator")
    mso_name = get_mso(db).name
    if spec == "simulator":
        return SimulatorDrop(Path(var_dir) / "clearinghouse", default_envelope(mso_name, "SIMULATED PAYERS",
                                                                                "SIMPAYERS"))
    if spec.startswith("folder:"):
        return FolderDrop(Path(spec.removeprefix("folder:")), default_envelope(mso_name))
    if spec.startswith("sftp://"):
        return SftpDrop.from_url(spec, default_envelope(mso_name))
    raise ValueError(f"{CONNECTION_ENV}={spec!r}: expected simulator, folder:/path or sftp://user@host:port/dir")


@dataclass
class SubmitReport:
    batches: int = 0
    claims: int = 0
    sent: int = 0
    failed: list[str] = field(default_factory=list)
    batch_ids: list[int] = field(default_factory=list)


def transmit(db: Session, actor: Actor, adapter: Clearinghouse, batch: ClaimBatch) -> None:
    """Hand one built batch to the clearinghouse and mark it sent."""
    access.can_submit(db, actor, batch.practice_id, object_type="claim_batch", object_id=batch.id)
    adapter.send(batch.filename, batch.content.encode("latin-1"))
    batch.status, batch.sent_at = "sent", utcnow()
    audit.record(db, actor, "claim_batch.send", "claim_batch", batch.id, practice_id=batch.practice_id,
                 reason=f"{batch.filename} via {adapter.name}")


def build(db: Session, actor: Actor, adapter: Clearinghouse, *, practice_id: int | None = None,
          claim_ids: list[int] | None = None, progress: Callable[[int], None] | None = None) -> SubmitReport:
    """Build 837P batches from the visible ready claims, inside the caller's transaction; sending
    them (`send_pending`) comes after the commit, so a batch is stored before it leaves."""
    if practice_id is not None:
        access.can_submit(db, actor, practice_id, object_type="claim_batch")
    built = batches.build_batches(db, actor, adapter.envelope, adapter=adapter.name, practice_id=practice_id,
                                  claim_ids=claim_ids, progress=progress)
    return SubmitReport(batches=len(built), claims=sum(b.claim_count for b in built),
                        batch_ids=[b.id for b in built])


def send_pending(factory: sessionmaker[Session], actor: Actor, adapter: Clearinghouse,
                 report: SubmitReport | None = None, *, practice_id: int | None = None) -> SubmitReport:
    """Send every visible built batch (of one practice, or all), one transaction each; a failed
    connection leaves the batch built."""
    report = report or SubmitReport()
    with unit_of_work(factory) as db:
        pending = [b.id for b in batches.pending_batches(db, actor, practice_id)]
    for batch_id in pending:
        try:
            with unit_of_work(factory) as db:
                transmit(db, actor, adapter, db.get(ClaimBatch, batch_id))
            report.sent += 1
        except OSError as error:  # the connection failed: the batch stays built and is sent next time
            report.failed.append(f"batch {batch_id}: {error}")
    return report


def submit(factory: sessionmaker[Session], actor: Actor, adapter: Clearinghouse, *, practice_id: int | None = None,
           claim_ids: list[int] | None = None, progress: Callable[[int], None] | None = None) -> SubmitReport:
    """Build 837P batches from the ready claims (one transaction), then send every unsent batch (one each)."""
    with unit_of_work(factory) as db:
        report = build(db, actor, adapter, practice_id=practice_id, claim_ids=claim_ids, progress=progress)
    return send_pending(factory, actor, adapter, report, practice_id=practice_id)


def scrub_and_submit(factory: sessionmaker[Session], actor: Actor, adapter: Clearinghouse, *,
                     practice_id: int | None = None, as_of: date | None = None,
                     progress: Callable[[int], None] | None = None) -> tuple[ScrubReport, SubmitReport]:
    """Scrub the draft, held and ready claims and build 837P batches of those that pass, each claim read
    once (one transaction), then send every unsent batch (one each)."""
    with unit_of_work(factory) as db:
        both = scrub_and_build(db, actor, adapter.envelope, adapter=adapter.name, practice_id=practice_id,
                               as_of=as_of, progress=progress)
        report = SubmitReport(batches=len(both.batches), claims=sum(b.claim_count for b in both.batches),
                              batch_ids=[b.id for b in both.batches])
    return both.scrub, send_pending(factory, actor, adapter, report, practice_id=practice_id)


@dataclass
class PollReport:
    files: int = 0
    applied: int = 0
    quarantined: int = 0
    duplicates: int = 0
    claims_updated: int = 0
    results: list[IngestResult] = field(default_factory=list)

    def add(self, result: IngestResult) -> None:
        self.files += 1
        self.results.append(result)
        if result.duplicate:
            self.duplicates += 1
        elif result.file.status == FileStatus.QUARANTINED:
            self.quarantined += 1
        else:
            self.applied += 1
            self.claims_updated += result.file.claims_updated


_GROUP_ORDER = {"FA": 0, "HN": 1, "HP": 2}  # 999 before 277CA before 835, whatever the file names


def _answer_order(adapter: Clearinghouse, name: str) -> tuple[int, str]:
    """Apply a 999 before the 277CA about the same claims (GS01 read from the file's start)."""
    head = adapter.read(name)[:400].decode("latin-1", "replace")
    separator = head[3:4] or "*"
    at = head.find(f"GS{separator}")
    functional_id = head[at + 3:at + 5] if at >= 0 else ""
    return _GROUP_ORDER.get(functional_id, 3), name


def poll(factory: sessionmaker[Session], actor: Actor, adapter: Clearinghouse, *, retry: bool = False,
         progress: Callable[[str], None] | None = None) -> PollReport:
    """Read every inbound file: store and apply it (or quarantine it), then take it off the inbound list."""
    ensure_role(actor, (Role.MSO_ADMIN,), "read the clearinghouse's inbound files")
    report = PollReport()
    for name in sorted(adapter.inbound(), key=lambda n: _answer_order(adapter, n)):
        content = adapter.read(name)
        with unit_of_work(factory) as db:
            report.add(ingest(db, actor, name, content))
        adapter.done(name)
        if progress:
            progress(name)
    if retry:
        with unit_of_work(factory) as db:
            for result in retry_quarantined(db, actor):
                report.add(result)
    return report


def list_inbound(db: Session, actor: Actor, params: PageParams, status: str | None = None) -> Slice:
    """Received files the actor may see (files not matched to a practice: network-wide users only)."""
    query = visible(select(InboundFile), actor)
    if status:
        query = query.where(InboundFile.status == status)
    return fetch_page(db, query.order_by(InboundFile.id.desc()), params)


def get_inbound(db: Session, actor: Actor, file_id: int) -> InboundFile:
    record = db.scalar(visible(select(InboundFile), actor).where(InboundFile.id == file_id))
    if record is None:
        raise NotFound("File not found")
    return record
