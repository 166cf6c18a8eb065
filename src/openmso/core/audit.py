"""The audit trail: append-only, hash-chained, covering reads of patient data as well as writes.

HIPAA §164.312(b) asks for audit controls and §164.312(c) for integrity. Each entry carries the
SHA-256 of the entry before it, so editing, deleting or reordering any row breaks the chain at that
row, and `verify_chain` names it. A one-row head table holds the last sequence number and hash:
appends lock it (`FOR UPDATE` on PostgreSQL, `BEGIN IMMEDIATE` on SQLite), so the chain never forks,
and truncating the tail is caught by comparing with it. The migration also installs triggers that
refuse UPDATE and DELETE on the trail, so an edit takes deliberate DBA action — and still shows.

An entry may name its `basis`: the agreement clause that allowed an MSO user's access (see
`note_basis`). The digest covers it only when it is set, so entries written before the column
existed still verify.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from sqlalchemy import BigInteger, Index, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from openmso.core.db import Base, is_postgres
from openmso.core.pagination import PageParams, Slice, fetch_page
from openmso.core.tenancy import Actor, Role, ensure_role, visible
from openmso.core.types import UTCDateTime, utcnow

GENESIS_HASH = "0" * 64
REFUSALS_KEY = "openmso.audit.refusals"
BASIS_KEY = "openmso.audit.basis"


class Outcome(StrEnum):
    SUCCESS = "success"
    REFUSED = "refused"
    FAILED = "failed"


class AuditEntry(Base):
    __tablename__ = "audit_entry"
    __tenant_key__ = "practice_id"
    __table_args__ = (
        Index("ix_audit_entry_practice_time", "practice_id", "occurred_at"),
        Index("ix_audit_entry_patient", "patient_id"),
        Index("ix_audit_entry_actor", "actor_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(120))
    actor_role: Mapped[str] = mapped_column(String(30))
    action: Mapped[str] = mapped_column(String(80))
    object_type: Mapped[str] = mapped_column(String(60))
    object_id: Mapped[str | None] = mapped_column(String(80))
    # No foreign keys: the trail outlives what it describes and must never be blocked by, or cascade
    # with, the rows it records (an export filtered on an unknown practice is still recorded).
    practice_id: Mapped[int | None] = mapped_column(Integer)
    patient_id: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    basis: Mapped[str | None] = mapped_column(Text)  # the clause or grant that allowed the access
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))


class AuditChainHead(Base):
    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)


def entry_digest(entry: AuditEntry) -> str:
    """SHA-256 over the entry's fields in a fixed order, chained to `prev_hash`."""
    payload = [
        entry.seq,
        entry.occurred_at.isoformat(),
        entry.actor_id,
        entry.actor_name,
        entry.actor_role,
        entry.action,
        entry.object_type,
        entry.object_id,
        entry.practice_id,
        entry.patient_id,
        entry.outcome,
        entry.reason,
        entry.prev_hash,
    ]
    if entry.basis is not None:
        payload.append(entry.basis)
    return hashlib.sha256(json.dumps(payload, separators=(",", ":")).encode()).hexdigest()


def _lock_head(session: Session) -> AuditChainHead:
    query = select(AuditChainHead).where(AuditChainHead.id == 1)
    if is_postgres(session):
        query = query.with_for_update()
    head = session.scalars(query).one_or_none()
    if head is None:
        head = AuditChainHead(id=1, last_seq=0, last_hash=GENESIS_HASH)
        session.add(head)
        session.flush()
    return head


def record(
    session: Session,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: object = None,
    *,
    practice_id: int | None = None,
    patient_id: int | None = None,
    outcome: Outcome = Outcome.SUCCESS,
    reason: str | None = None,
    basis: str | None = None,
) -> AuditEntry:
    """Append one entry to the chain inside the caller's transaction.

    Without an explicit `basis`, a successful entry carries the basis last noted for this actor and
    practice in the session (the grant `agreements.enforcement.authorize` just gave).
    """
    if basis is None and str(outcome) == Outcome.SUCCESS.value:
        basis = noted_basis(session, actor, practice_id)
    head = _lock_head(session)
    # Microsecond precision is all every engine keeps; hash what will be read back.
    entry = AuditEntry(
        seq=head.last_seq + 1,
        occurred_at=utcnow(),
        actor_id=actor.user_id,
        actor_name=actor.username,
        actor_role=str(actor.role),
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        practice_id=practice_id,
        patient_id=patient_id,
        outcome=str(outcome),
        reason=reason,
        basis=basis,
        prev_hash=head.last_hash,
    )
    entry.entry_hash = entry_digest(entry)
    session.add(entry)
    head.last_seq, head.last_hash = entry.seq, entry.entry_hash
    session.flush()
    return entry


def note_basis(session: Session, actor: Actor, practice_id: int | None, basis: str) -> None:
    """Remember why `actor` may access `practice_id` in this session, for the entries recorded next.

    The enforcement layer calls this on every grant to an MSO user, so a read audited by any domain
    carries the clause that allowed it without each domain passing it along.
    """
    session.info.setdefault(BASIS_KEY, {})[(actor.user_id, practice_id)] = basis


def noted_basis(session: Session, actor: Actor, practice_id: int | None) -> str | None:
    return session.info.get(BASIS_KEY, {}).get((actor.user_id, practice_id))


def record_refusal(session: Session, actor: Actor, action: str, object_type: str, object_id=None, *,
                   practice_id: int | None = None, patient_id: int | None = None, reason: str) -> None:
    """Queue a refusal to be written even though the refused request's transaction rolls back.

    The unit of work at the request, command or job edge writes them after its rollback
    (`rollback_keeping_refusals`).
    """
    session.info.setdefault(REFUSALS_KEY, []).append(
        dict(actor=actor, action=action, object_type=object_type, object_id=object_id,
             practice_id=practice_id, patient_id=patient_id, reason=reason)
    )


def take_refusals(session: Session) -> list[dict]:
    return session.info.pop(REFUSALS_KEY, [])


def write_refusals(session: Session, refusals: list[dict]) -> None:
    for refusal in refusals:
        actor = refusal.pop("actor")
        record(session, actor, outcome=Outcome.REFUSED, **refusal)


def rollback_keeping_refusals(session: Session) -> None:
    """Roll back a failed unit of work, then write and commit the refusals it queued: a denied attempt
    stays on the trail though nothing else of it is kept (requests, commands and jobs alike)."""
    refusals = take_refusals(session)
    session.rollback()
    if refusals:
        write_refusals(session, refusals)
        session.commit()


@dataclass(frozen=True, slots=True)
class ChainReport:
    entries_checked: int
    first_broken_seq: int | None
    problem: str | None

    @property
    def ok(self) -> bool:
        return self.first_broken_seq is None and self.problem is None


def verify_chain(session: Session, batch_size: int = 5000) -> ChainReport:
    """Re-walk the whole trail in sequence order and name the first entry that does not hold.

    Reads plain rows in batches, so memory stays flat however long the trail is.
    """
    expected_prev, expected_seq, checked = GENESIS_HASH, 1, 0
    while True:
        query = select(*AuditEntry.__table__.columns).where(AuditEntry.seq >= expected_seq)
        batch = session.execute(query.order_by(AuditEntry.seq).limit(batch_size)).all()
        if not batch:
            break
        for entry in batch:
            if entry.seq != expected_seq:
                return ChainReport(checked, expected_seq, f"entry {expected_seq} is missing (next is {entry.seq})")
            if entry.prev_hash != expected_prev:
                return ChainReport(checked, entry.seq, f"entry {entry.seq} does not follow entry {entry.seq - 1}")
            if entry_digest(entry) != entry.entry_hash:
                return ChainReport(checked, entry.seq, f"entry {entry.seq} was altered after it was written")
            expected_prev, expected_seq, checked = entry.entry_hash, entry.seq + 1, checked + 1
    head = session.get(AuditChainHead, 1)
    head_seq, head_hash = (head.last_seq, head.last_hash) if head else (0, GENESIS_HASH)
    if head_seq != expected_seq - 1 or head_hash != expected_prev:
        problem = (f"trail ends at entry {expected_seq - 1} but the chain head records entry {head_seq}: "
                   "entries were removed or the head was altered")
        return ChainReport(checked, expected_seq, problem)
    return ChainReport(checked, None, None)


@dataclass(frozen=True, slots=True)
class AuditFilter:
    practice_id: int | None = None
    actor_id: int | None = None
    patient_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    action: str | None = None


def filtered_query(actor: Actor, criteria: AuditFilter):
    """Entries the actor may see (tenancy-scoped) matching `criteria`, newest first."""
    query = visible(select(AuditEntry), actor)
    if criteria.practice_id is not None:
        query = query.where(AuditEntry.practice_id == criteria.practice_id)
    if criteria.actor_id is not None:
        query = query.where(AuditEntry.actor_id == criteria.actor_id)
    if criteria.patient_id is not None:
        query = query.where(AuditEntry.patient_id == criteria.patient_id)
    if criteria.action:
        query = query.where(AuditEntry.action == criteria.action)
    if criteria.date_from is not None:
        query = query.where(AuditEntry.occurred_at >= _start_of(criteria.date_from))
    if criteria.date_to is not None:
        query = query.where(AuditEntry.occurred_at < _start_of(criteria.date_to + timedelta(days=1)))
    return query.order_by(AuditEntry.seq.desc())


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


CSV_COLUMNS = ["seq", "occurred_at", "actor_id", "actor_name", "actor_role", "action", "object_type",
               "object_id", "practice_id", "patient_id", "outcome", "reason", "prev_hash", "entry_hash", "basis"]


def iter_csv(session: Session, query, batch_size: int = 2000) -> Iterator[str]:
    """Stream the entries of `query` as CSV text chunks (header first), without loading them all."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for entry in session.scalars(query.execution_options(yield_per=batch_size)):
        writer.writerow([
            entry.seq, entry.occurred_at.isoformat(), entry.actor_id, entry.actor_name, entry.actor_role,
            entry.action, entry.object_type, entry.object_id, entry.practice_id, entry.patient_id,
            entry.outcome, entry.reason, entry.prev_hash, entry.entry_hash, entry.basis,
        ])
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


TRAIL_READERS = frozenset({Role.AUDITOR, Role.MSO_ADMIN, Role.PRACTICE_ADMIN})


def browse(session: Session, actor: Actor, criteria: AuditFilter, params: PageParams) -> Slice:
    """A page of the trail for auditors, MSO admins, and practice admins (their practice only)."""
    ensure_role(actor, TRAIL_READERS, "read the audit trail")
    return fetch_page(session, filtered_query(actor, criteria), params)


def export_csv(session: Session, actor: Actor, criteria: AuditFilter) -> Iterator[str]:
    """The filtered trail as streamed CSV; the export itself is recorded first."""
    ensure_role(actor, TRAIL_READERS, "export the audit trail")
    record(session, actor, "audit.export", "audit_entry", None, practice_id=criteria.practice_id,
           patient_id=criteria.patient_id, reason=_describe(criteria))
    return iter_csv(session, filtered_query(actor, criteria))


def _describe(criteria: AuditFilter) -> str:
    return ", ".join(f"{k}={v}" for k, v in vars_of(criteria).items() if v is not None) or "all"


def vars_of(criteria: AuditFilter) -> dict:
    return {name: getattr(criteria, name) for name in criteria.__dataclass_fields__}
