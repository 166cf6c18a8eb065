"""Tables of posted money: remittance files and transactions, claim and line postings, the provider
ledger (PLB), patient ledger, bank deposits, and the exceptions queue.

Amounts are posted exactly as the payer reported them, signed: a reversal (CLP02 22) posts
negative amounts, so sums over postings are the claim's current adjudication. Adjustments are
kept as text ("CO:45:55.10 PR:2:20.00") beside the summed columns, because a remittance of 300,000
lines must post in seconds and the sums answer every report; the text keeps each CARC for the
denial and underpayment worklists.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, LargeBinary, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column, object_session

from openmso.core.db import Base, practice_key, same_practice
from openmso.core.types import Money, UTCDateTime, utcnow
from openmso.rcm.claims.models import BigId


class RemittanceFile(Base):
    """One received 835 file, kept byte for byte for audit; `practice_id` is set when
    all its payments are for one practice (else only network-wide users see the file row).

    The stored copy is written in parts (`RemittanceFilePart`, 1 MiB each), so receiving a file of
    any size holds one part in memory; the `content` column keeps the copies (latin-1 text) of files
    received before the parts existed (new files leave it empty). `stored_copy` reads both back in order."""

    __tablename__ = "remittance_file"
    __tenant_key__ = "practice_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int | None] = mapped_column(ForeignKey("practice.id"))
    name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    stored_text: Mapped[str] = mapped_column("content", Text, default="", deferred=True)
    status: Mapped[str] = mapped_column(String(20))  # posted, partial, quarantined
    error: Mapped[str | None] = mapped_column(Text)
    transactions: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    received_by: Mapped[str] = mapped_column(String(120), default="")

    @property
    def content(self) -> bytes:
        """The whole stored copy, for small files; `stored_copy` streams a large one."""
        return b"".join(stored_copy(object_session(self), self.id))


class RemittanceFilePart(Base):
    """One slice of a received file's stored copy, in order: the bytes as received (a NUL included)."""

    __tablename__ = "remittance_file_part"

    file_id: Mapped[int] = mapped_column(ForeignKey("remittance_file.id"), primary_key=True)
    part: Mapped[int] = mapped_column(Integer, primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)


def stored_size(db: Session, file_id: int) -> int:
    """Bytes of a received file's stored copy, without reading it (an old copy is latin-1: a byte per character)."""
    old = db.scalar(select(func.length(RemittanceFile.stored_text)).where(RemittanceFile.id == file_id)) or 0
    parts = db.scalar(select(func.sum(func.length(RemittanceFilePart.content)))
                      .where(RemittanceFilePart.file_id == file_id)) or 0
    return int(old) + int(parts)


def stored_copy(db: Session, file_id: int) -> Iterator[bytes]:
    """A received file's stored copy, part by part in order (the whole file of one received before the
    parts existed), so reading it back holds one part in memory."""
    old = db.scalar(select(RemittanceFile.stored_text).where(RemittanceFile.id == file_id))
    if old:
        yield old.encode("latin-1")
    parts = (select(RemittanceFilePart.content).where(RemittanceFilePart.file_id == file_id)
             .order_by(RemittanceFilePart.part).execution_options(yield_per=4))
    yield from db.scalars(parts)


class Remittance(Base):
    """One 835 transaction set (one payment: BPR/TRN) and what became of it."""

    __tablename__ = "remittance"
    __tenant_key__ = "practice_id"
    __table_args__ = (Index("ix_remittance_practice_paid", "practice_id", "payment_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("remittance_file.id"), index=True)
    practice_id: Mapped[int | None] = mapped_column(ForeignKey("practice.id"))
    payer_id: Mapped[int | None] = mapped_column(ForeignKey("payer.id"))
    control_number: Mapped[str] = mapped_column(String(9))  # ST02
    trace_number: Mapped[str] = mapped_column(String(50), default="")  # TRN02
    originator_id: Mapped[str] = mapped_column(String(20), default="")  # TRN03
    # TRN03:TRN02, set once posted: a payment posted twice would break this unique key.
    dedupe_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    payer_name: Mapped[str] = mapped_column(String(120), default="")
    payee_identifier: Mapped[str] = mapped_column(String(20), default="")
    payment_amount: Mapped[Decimal] = mapped_column(Money)
    payment_method: Mapped[str] = mapped_column(String(3), default="")
    payment_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))  # posted, quarantined, duplicate, unmatched
    error: Mapped[str | None] = mapped_column(Text)
    claims_posted: Mapped[int] = mapped_column(Integer, default=0)
    lines_posted: Mapped[int] = mapped_column(Integer, default=0)
    exceptions: Mapped[int] = mapped_column(Integer, default=0)
    deposit_id: Mapped[int | None] = mapped_column(ForeignKey("deposit.id"))
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ClaimPosting(Base):
    """One CLP applied to one of our claims."""

    __tablename__ = "claim_posting"
    __tenant_key__ = "practice_id"
    __table_args__ = (practice_key("claim_posting"), same_practice("claim_id", "claim"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    practice_id: Mapped[int] = mapped_column(Integer)  # the claim's (`same_practice`)
    remittance_id: Mapped[int] = mapped_column(ForeignKey("remittance.id"), index=True)
    claim_id: Mapped[int] = mapped_column(BigId, index=True)
    status_code: Mapped[str] = mapped_column(String(2))  # CLP02
    payer_claim_number: Mapped[str] = mapped_column(String(50), default="")
    charge: Mapped[Decimal] = mapped_column(Money)
    paid: Mapped[Decimal] = mapped_column(Money)
    contractual: Mapped[Decimal] = mapped_column(Money)
    patient_responsibility: Mapped[Decimal] = mapped_column(Money)
    other_adjustment: Mapped[Decimal] = mapped_column(Money)
    adjustments: Mapped[str] = mapped_column(Text, default="")  # claim-level CAS
    remarks: Mapped[str] = mapped_column(String(200), default="")  # MOA
    outcome: Mapped[str] = mapped_column(String(20))  # paid, partially_paid, denied, reversed
    payment_date: Mapped[date | None] = mapped_column(Date)
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LinePosting(Base):
    """One SVC applied to one claim line; `expected_allowed` is the contract's price, if on file."""

    __tablename__ = "line_posting"
    __tenant_key__ = "practice_id"
    __table_args__ = (same_practice("claim_posting_id", "claim_posting"), same_practice("claim_line_id", "claim_line"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    practice_id: Mapped[int] = mapped_column(Integer)  # the claim posting's and the claim line's (`same_practice`)
    claim_posting_id: Mapped[int] = mapped_column(BigId, index=True)
    claim_line_id: Mapped[int] = mapped_column(BigId, index=True)
    procedure_code: Mapped[str] = mapped_column(String(5))  # as adjudicated (SVC01)
    submitted_code: Mapped[str | None] = mapped_column(String(5))  # SVC06 when the payer changed it
    modifiers: Mapped[str] = mapped_column(String(11), default="")
    units: Mapped[int] = mapped_column(Integer, default=1)
    charge: Mapped[Decimal] = mapped_column(Money)
    paid: Mapped[Decimal] = mapped_column(Money)
    allowed: Mapped[Decimal] = mapped_column(Money)
    contractual: Mapped[Decimal] = mapped_column(Money)
    patient_responsibility: Mapped[Decimal] = mapped_column(Money)
    other_adjustment: Mapped[Decimal] = mapped_column(Money)
    adjustments: Mapped[str] = mapped_column(Text, default="")  # every CAS of the line, never cut
    remarks: Mapped[str] = mapped_column(String(100), default="")
    denied: Mapped[bool] = mapped_column(Boolean, default=False)
    expected_allowed: Mapped[Decimal | None] = mapped_column(Money)


class ProviderAdjustmentEntry(Base):
    """PLB: a provider-level adjustment (recoupment, interest, forward balance…) on the practice's ledger."""

    __tablename__ = "provider_ledger"
    __tenant_key__ = "practice_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), index=True)
    remittance_id: Mapped[int] = mapped_column(ForeignKey("remittance.id"))
    provider_identifier: Mapped[str] = mapped_column(String(50))  # PLB01
    fiscal_period_date: Mapped[date] = mapped_column(Date)
    reason_code: Mapped[str] = mapped_column(String(2))
    reference: Mapped[str] = mapped_column(String(50), default="")
    amount: Mapped[Decimal] = mapped_column(Money)  # positive reduces the payment


class PatientLedgerEntry(Base):
    """Patient responsibility and what became of it (posted from PR adjustments, transfers, write-offs)."""

    __tablename__ = "patient_ledger"
    __tenant_key__ = "practice_id"
    __table_args__ = (Index("ix_patient_ledger_patient", "practice_id", "patient_id"),
                      same_practice("patient_id", "patient"), same_practice("claim_id", "claim"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    practice_id: Mapped[int] = mapped_column(Integer)  # the patient's and the claim's (`same_practice`)
    patient_id: Mapped[int] = mapped_column(Integer)
    claim_id: Mapped[int | None] = mapped_column(BigId)
    # responsibility, transfer, payment, write_off; payer_payment and payer_adjustment: a later payer (COB)
    # paid or wrote off part of the patient's share; write_off_reversal: a later payer paid (or took off) a
    # share the practice had written off, so that write-off is undone (`remittance.secondary`)
    kind: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal] = mapped_column(Money)  # positive: the patient owes more
    detail: Mapped[str] = mapped_column(String(200), default="")
    entered_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Deposit(Base):
    """A bank deposit or EFT (imported from the bank's CSV), reconciled with an 835 by trace number."""

    __tablename__ = "deposit"
    __tenant_key__ = "practice_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), index=True)
    deposit_date: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money)
    trace_number: Mapped[str] = mapped_column(String(50), index=True)
    payer_name: Mapped[str] = mapped_column(String(120), default="")
    source: Mapped[str] = mapped_column(String(200), default="")
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RemittanceException(Base):
    """Something the posting could not do on its own, with the reason; nothing was guessed or posted."""

    __tablename__ = "remittance_exception"
    __tenant_key__ = "practice_id"
    __table_args__ = (Index("ix_remittance_exception_open", "practice_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int | None] = mapped_column(ForeignKey("practice.id"))
    file_id: Mapped[int] = mapped_column(ForeignKey("remittance_file.id"))
    remittance_id: Mapped[int | None] = mapped_column(ForeignKey("remittance.id"))
    kind: Mapped[str] = mapped_column(String(30))
    patient_control_number: Mapped[str | None] = mapped_column(String(38))
    location: Mapped[str] = mapped_column(String(200), default="")
    message: Mapped[str] = mapped_column(Text)
    amount: Mapped[Decimal | None] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(10), default="open")  # open, resolved
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_by: Mapped[str | None] = mapped_column(String(120))
    resolution: Mapped[str | None] = mapped_column(Text)
