"""Reading acknowledgements back: 999 and 277CA files update claim status; 835s wait for posting.

A file is applied whole inside a savepoint. Any problem — the file cannot be read, a 999 answers
a group we never sent, a 277CA names a provider or claim we do not know, a status the claim
cannot take — rolls the savepoint back and quarantines the file with the located reason, so
nothing is half-applied and the file can be retried once the cause is fixed. Files are
identified by their SHA-256: the same file received twice is applied once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from openmso.core import audit
from openmso.core.errors import Conflict, OpenMSOError
from openmso.core.tenancy import Actor
from openmso.core.types import utcnow
from openmso.network.models import Practice
from openmso.rcm.claims import service as claims_service
from openmso.rcm.claims.models import Claim, ClaimBatch
from openmso.rcm.claims.states import ClaimEvent, ClaimStatus
from openmso.rcm.claims.timeline import Move, advance_many
from openmso.rcm.clearinghouse import reasons
from openmso.rcm.clearinghouse.models import FileStatus, InboundFile
from openmso.x12 import X12Error, iter_transactions, parse_277ca, parse_999

KINDS = {"999": "999", "277": "277CA", "835": "835"}


class QuarantineReason(Exception):
    """The file cannot be applied; `location` says where in it (segment, loop, element)."""

    def __init__(self, location: str, message: str):
        super().__init__(f"{location}: {message}")
        self.location = location


@dataclass
class IngestResult:
    file: InboundFile
    duplicate: bool = False


def _kind(content: bytes) -> str:
    transactions = list(iter_transactions(content))
    if not transactions:
        raise QuarantineReason("ISA", "the interchange holds no transaction set")
    kinds = {t.set_id for t in transactions}
    if len(kinds) != 1 or next(iter(kinds)) not in KINDS:
        raise QuarantineReason("ST01", f"transaction sets {sorted(kinds)}; expected 999, 277 or 835")
    return KINDS[next(iter(kinds))]


def _apply_999(db: Session, actor: Actor, record: InboundFile, content: bytes) -> int:
    updated = 0
    for transaction in iter_transactions(content):
        ack = parse_999(transaction)
        batch = db.scalar(select(ClaimBatch).where(ClaimBatch.group_control_number == int(ack.group_control_number)
                                                   if ack.group_control_number.isdigit() else False))
        if batch is None:
            raise QuarantineReason("AK1-02", f"acknowledges functional group {ack.group_control_number}, "
                                             "which was never sent")
        record.practice_id, record.batch_id = batch.practice_id, batch.id
        batch.ack_status = ack.status
        batch.status = {"A": "accepted", "E": "accepted", "P": "partial"}.get(ack.status, "rejected")
        for answer in ack.transactions:
            if answer.control_number != batch.transaction_control_number:
                raise QuarantineReason("AK2-02", f"transaction set {answer.control_number} is not in batch "
                                                 f"{batch.filename}")
            event = ClaimEvent.CLEARINGHOUSE_ACCEPT if answer.accepted else ClaimEvent.CLEARINGHOUSE_REJECT
            codes = ",".join(answer.error_codes) or answer.status
            words = f"999: transaction set {reasons.IMPLEMENTATION_STATUS.get(answer.status, answer.status)}"
            for error in answer.segment_errors:
                words += "; " + reasons.explain_segment_error(
                    error.segment_id, error.position, error.error_code,
                    [(e.position, e.error_code, e.bad_data) for e in error.element_errors])
            claims = db.execute(select(Claim.id, Claim.practice_id, Claim.status)
                                .where(Claim.batch_id == batch.id, Claim.status == ClaimStatus.SUBMITTED)).all()
            extra = {"status_codes": f"999:{codes}"[:200], "status_reason": words}
            updated += advance_many(db, actor, [Move(c.id, c.practice_id, c.status, (event,), words, extra)
                                                for c in claims], batch_id=batch.id, inbound_file_id=record.id)
    return updated


def _claims_by_number(db: Session, practice_id: int, numbers: list[str]) -> dict[str, object]:
    found = {}
    for start in range(0, len(numbers), 900):
        rows = db.execute(select(Claim.id, Claim.practice_id, Claim.status, Claim.status_codes, Claim.frequency_code,
                                 Claim.patient_control_number)
                          .where(Claim.practice_id == practice_id,
                                 Claim.patient_control_number.in_(numbers[start:start + 900])))
        found.update({row.patient_control_number: row for row in rows})
    return found


def _apply_277ca(db: Session, actor: Actor, record: InboundFile, content: bytes) -> int:
    """Every claim status of the file is checked first, then all are applied in one bulk move."""
    moves: list[Move] = []
    corrections: list[int] = []
    practices: dict[str, int | None] = {}
    for transaction in iter_transactions(content):
        ack = parse_277ca(transaction)
        by_practice: dict[int, list] = {}
        for status in ack.claims:
            npi = status.provider_npi
            if npi not in practices:
                practices[npi] = db.scalar(select(Practice.id).where(Practice.group_npi == npi))
            if practices[npi] is None:
                raise QuarantineReason("2100C NM109", f"billing provider NPI {npi or '(none)'} is not a practice "
                                                      "of the network")
            by_practice.setdefault(practices[npi], []).append(status)
        for practice_id, statuses in by_practice.items():
            claims = _claims_by_number(db, practice_id, [s.patient_control_number for s in statuses])
            record.practice_id = record.practice_id or practice_id
            for status in statuses:
                claim = claims.get(status.patient_control_number)
                if claim is None:
                    raise QuarantineReason("2200D TRN02", f"claim {status.patient_control_number} was never sent "
                                                          f"by practice {practice_id}")
                move = _move_for(claim, status)
                if move is not None:
                    moves.append(move)
                    if move.events[0] is ClaimEvent.PAYER_ACCEPT and claim.frequency_code != "1":
                        corrections.append(claim.id)
    updated = advance_many(db, actor, moves, inbound_file_id=record.id)
    for claim_id in corrections:
        claims_service.supersede_on_acceptance(db, actor, db.get(Claim, claim_id))
    return updated


def _move_for(claim, status) -> Move | None:
    """The claim's move for one 2200D status, None when nothing changes, or a quarantine reason."""
    codes = ", ".join(f"{s.category}:{s.code}" + (f":{s.entity}" if s.entity else "") for s in status.statuses)
    words = "; ".join(reasons.explain_status(s.category, s.code, s.entity) for s in status.statuses)
    if status.rejected:
        event, target = ClaimEvent.PAYER_REJECT, ClaimStatus.PAYER_REJECTED
    elif status.accepted:
        event, target = ClaimEvent.PAYER_ACCEPT, ClaimStatus.PAYER_ACCEPTED
    else:
        return None  # a pending or forwarded status: nothing changes yet
    if claim.status == target and claim.status_codes == f"277CA:{codes}"[:200]:
        return None  # the same answer again
    if claim.status not in (ClaimStatus.SUBMITTED, ClaimStatus.CLEARINGHOUSE_ACCEPTED):
        raise QuarantineReason("2200D STC01", f"claim {claim.patient_control_number} is {claim.status}; "
                                              f"it cannot take the 277CA status {codes}")
    extra = {"status_codes": f"277CA:{codes}"[:200], "status_reason": words}
    if status.payer_claim_control_number:
        extra["payer_claim_number"] = status.payer_claim_control_number
    return Move(claim.id, claim.practice_id, claim.status, (event,), f"277CA: {words}", extra)


def ingest(db: Session, actor: Actor, name: str, content: bytes) -> IngestResult:
    """Store one inbound file and apply it, or quarantine it with the reason; never half of it."""
    digest = hashlib.sha256(content).hexdigest()
    record = db.scalar(select(InboundFile).where(InboundFile.sha256 == digest))
    if record is not None and record.status != FileStatus.QUARANTINED:
        return IngestResult(record, duplicate=True)
    if record is None:
        record = InboundFile(name=name, kind="unknown", sha256=digest, content=content.decode("latin-1"),
                             status=FileStatus.QUARANTINED, attempts=0)
        db.add(record)
        db.flush()
    record.attempts += 1
    kind = "unknown"
    try:
        kind = _kind(content)
        with db.begin_nested():
            record.kind = kind
            if record.kind == "999":
                record.claims_updated = _apply_999(db, actor, record, content)
            elif record.kind == "277CA":
                record.claims_updated = _apply_277ca(db, actor, record, content)
            record.status = FileStatus.AWAITING_POSTING if record.kind == "835" else FileStatus.APPLIED
            record.error, record.applied_at = None, utcnow()
            db.flush()
    except (QuarantineReason, X12Error, Conflict, OpenMSOError, ValueError) as error:
        record.status, record.kind = FileStatus.QUARANTINED, kind
        record.error = str(error)
        record.practice_id = record.batch_id = None
        db.flush()
    audit.record(db, actor, f"clearinghouse.ingest_{record.status}", "inbound_file", record.id,
                 practice_id=record.practice_id, reason=f"{name} ({record.kind}): {record.error or 'ok'}"[:500])
    return IngestResult(record)


def retry_quarantined(db: Session, actor: Actor) -> list[IngestResult]:
    """Apply again every quarantined file (after the cause was fixed, e.g. a missing batch)."""
    waiting = list(db.scalars(select(InboundFile).where(InboundFile.status == FileStatus.QUARANTINED)
                              .order_by(InboundFile.id)))
    return [ingest(db, actor, record.name, record.content.encode("latin-1")) for record in waiting]
