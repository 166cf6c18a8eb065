"""Receiving 835 files: keep the file, post each transaction set, never twice, never half.

- The file is identified by its SHA-256: the same bytes again post nothing. A payment inside a
  different file is identified by its trace (TRN03:TRN02): posted once.
- Each transaction set is posted inside a savepoint: one that cannot be read (a located
  `X12Error`) or does not balance is quarantined whole and the others post.
- A broken envelope (the file cannot be read to its end) quarantines the whole file: everything
  posted from it so far is rolled back with the file's savepoint.
- The caller commits once per file (`unit_of_work`), so a process killed in the middle of a file
  leaves nothing of it behind; ingesting the file again posts it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from openmso.core import audit
from openmso.core.db import unit_of_work
from openmso.core.tenancy import MSO_ROLES, Actor, ensure_role
from openmso.core.types import utcnow
from openmso.rcm.clearinghouse.models import FileStatus, InboundFile
from openmso.rcm.remittance import deposits
from openmso.rcm.remittance.models import Remittance, RemittanceException, RemittanceFile
from openmso.rcm.remittance.posting import Context, post_provider_adjustments, post_transaction
from openmso.x12 import X12Error, iter_transactions, parse_835


@dataclass
class IngestReport:
    file: RemittanceFile
    duplicate: bool = False
    transactions: int = 0
    posted: int = 0
    quarantined: int = 0
    claims: int = 0
    lines: int = 0
    exceptions: int = 0


def ingest_file(db: Session, actor: Actor, name: str, content: bytes,
                progress: Callable[[int], None] | None = None) -> IngestReport:
    """Keep one 835 file and post what it pays; the report says what was posted and what was not."""
    ensure_role(actor, MSO_ROLES, "post remittances")
    digest = hashlib.sha256(content).hexdigest()
    existing = db.scalar(select(RemittanceFile).where(RemittanceFile.sha256 == digest))
    if existing is not None:
        return IngestReport(existing, duplicate=True)
    record = RemittanceFile(name=name[:200], sha256=digest, content=content.decode("latin-1"), status="posted",
                            received_by=actor.username)
    db.add(record)
    db.flush()
    report = IngestReport(record)
    try:
        with db.begin_nested():
            _post_all(db, actor, record, content, report, progress)
    except X12Error as error:
        record.status, record.error = "quarantined", f"the file cannot be read: {error}"
        report.transactions = report.posted = report.claims = report.lines = 0
        db.add(RemittanceException(file_id=record.id, kind="malformed_file", location=error.location[:200],
                                   message=record.error))
        report.exceptions, report.quarantined = 1, 1
    practices = set(db.scalars(select(Remittance.practice_id).where(Remittance.file_id == record.id)))
    record.practice_id = next(iter(practices)) if len(practices) == 1 else None
    record.transactions = report.transactions
    if record.status != "quarantined" and report.quarantined:
        record.status = "partial"
    for practice_id in practices - {None}:
        deposits.reconcile(db, practice_id)
    db.flush()
    audit.record(db, actor, "remittance.ingest", "remittance_file", record.id, practice_id=record.practice_id,
                 reason=f"{name}: {report.posted}/{report.transactions} posted, {report.claims} claims, "
                        f"{report.lines} lines, {report.exceptions} exceptions"[:500])
    return report


def _post_all(db, actor, record, content, report, progress) -> None:
    context = Context()
    for transaction in iter_transactions(content):
        report.transactions += 1
        remittance_row = Remittance(file_id=record.id, control_number=transaction.control_number[:9],
                                    payment_amount=0, status="quarantined")
        db.add(remittance_row)
        db.flush()
        try:
            parsed = parse_835(transaction)
        except X12Error as error:
            remittance_row.error = f"cannot be read: {error}"
            db.add(RemittanceException(file_id=record.id, remittance_id=remittance_row.id, kind="malformed",
                                       location=error.location[:200], message=remittance_row.error))
            remittance_row.exceptions = 1
            report.quarantined += 1
            report.exceptions += 1
            continue
        _describe(remittance_row, parsed)
        with db.begin_nested():
            post_transaction(db, actor, record.id, parsed, context, remittance_row)
            post_provider_adjustments(db, remittance_row, parsed)
            db.flush()
        report.exceptions += remittance_row.exceptions
        if remittance_row.status == "posted":
            report.posted += 1
            report.claims += remittance_row.claims_posted
            report.lines += remittance_row.lines_posted
        elif remittance_row.status == "quarantined":
            report.quarantined += 1
        if progress:
            progress(parsed.service_line_count)


def _describe(row: Remittance, parsed) -> None:
    row.trace_number, row.originator_id = parsed.trace.trace_number[:50], parsed.trace.originator_id[:20]
    row.payer_name, row.payee_identifier = parsed.payer.name[:120], (parsed.payee.identifier or "")[:20]
    row.payment_amount, row.payment_method = parsed.payment.amount, parsed.payment.method[:3]
    row.payment_date = parsed.payment.date or parsed.production_date


def ingest_paths(factory: sessionmaker[Session], actor: Actor, paths: list[Path],
                 progress: Callable[[int], None] | None = None) -> list[IngestReport]:
    """Ingest files one by one, one transaction (commit) per file."""
    reports = []
    for path in paths:
        with unit_of_work(factory) as db:
            reports.append(ingest_file(db, actor, path.name, path.read_bytes(), progress))
    return reports


def post_clearinghouse_remittances(db: Session, actor: Actor) -> list[IngestReport]:
    """Post the 835s the clearinghouse poll stored as awaiting posting, and mark them applied."""
    reports = []
    waiting = db.scalars(select(InboundFile).where(InboundFile.kind == "835",
                                                   InboundFile.status == FileStatus.AWAITING_POSTING)
                         .order_by(InboundFile.id)).all()
    for inbound in waiting:
        reports.append(ingest_file(db, actor, inbound.name, inbound.content.encode("latin-1")))
        inbound.status, inbound.applied_at = FileStatus.APPLIED, utcnow()
    return reports
