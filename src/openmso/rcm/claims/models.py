"""Tables of the claims domain: charges, claims and their lines, scrubber edits, the timeline,
837P batches and the persisted X12 control numbers.

Every practice-owned table carries `practice_id` (the tenant key). A claim line is a snapshot of
the charge it bills, so a replacement claim can carry corrected lines while the charge keeps what
the practice entered. Diagnosis codes are stored without the dot, as X12 HI carries them.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from openmso.core.db import Base, practice_key, same_practice
from openmso.core.types import Money, UTCDateTime, utcnow

BigId = BigInteger().with_variant(Integer, "sqlite")


def split_codes(value: str | None) -> list[str]:
    return [part for part in (value or "").split(":") if part]


def join_codes(values) -> str:
    return ":".join(str(v) for v in values if v not in (None, ""))


class Charge(Base):
    """One billable service as the practice reports it (one future claim line)."""

    __tablename__ = "charge"
    __tenant_key__ = "practice_id"
    __table_args__ = (Index("ix_charge_practice_unbilled", "practice_id", "claim_id"),
                      Index("ix_charge_patient_date", "patient_id", "service_date"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    coverage_id: Mapped[int | None] = mapped_column(ForeignKey("coverage.id"))
    rendering_provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"))
    referring_provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    service_date: Mapped[date] = mapped_column(Date)
    service_date_end: Mapped[date | None] = mapped_column(Date)
    procedure_code: Mapped[str] = mapped_column(String(5))
    modifiers: Mapped[str] = mapped_column(String(11), default="")  # "25:59", up to four
    units: Mapped[int] = mapped_column(Integer, default=1)
    charge_amount: Mapped[Decimal] = mapped_column(Money)
    diagnoses: Mapped[str] = mapped_column(String(100))  # up to 12 ICD-10-CM codes, "E119:I10"
    pointers: Mapped[str] = mapped_column(String(7), default="1")  # 1-4 pointers into `diagnoses`
    prior_authorization: Mapped[str | None] = mapped_column(String(50))
    encounter_key: Mapped[str | None] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(10), default="api")  # ui, api, csv, demo
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claim.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120), default="")


class ClaimBatch(Base):
    """One 837P interchange sent to a payer for one practice: the exact bytes and its control numbers.

    Control numbers come from `ControlCounter` and are unique here too, so a number is never reused
    even if a counter row were reset by hand (the insert would fail).
    """

    __tablename__ = "claim_batch"
    __tenant_key__ = "practice_id"
    __table_args__ = (Index("ix_claim_batch_practice_created", "practice_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"))
    payer_id: Mapped[int] = mapped_column(ForeignKey("payer.id"))
    interchange_control_number: Mapped[int] = mapped_column(Integer, unique=True)  # ISA13
    group_control_number: Mapped[int] = mapped_column(Integer)  # GS06
    transaction_control_number: Mapped[str] = mapped_column(String(9))  # ST02
    filename: Mapped[str] = mapped_column(String(120), unique=True)
    content: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    claim_count: Mapped[int] = mapped_column(Integer)
    total_charge: Mapped[Decimal] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(20), default="built")  # built, sent, accepted, partial, rejected
    adapter: Mapped[str] = mapped_column(String(30), default="")
    ack_status: Mapped[str | None] = mapped_column(String(1))  # 999 AK901
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Claim(Base):
    __tablename__ = "claim"
    __tenant_key__ = "practice_id"
    __table_args__ = (
        UniqueConstraint("practice_id", "patient_control_number"),
        Index("ix_claim_practice_status", "practice_id", "status"),
        Index("ix_claim_practice_payer", "practice_id", "payer_id"),
        Index("ix_claim_practice_service", "practice_id", "service_date_from"),
        Index("ix_claim_patient_service", "patient_id", "service_date_from"),
        Index("ix_claim_batch", "batch_id"),
        # later payers' claims (COB) only: few, looked up by the claim they follow or by practice
        Index("ix_claim_following", "primary_claim_id", "practice_id",
              postgresql_where=text("primary_claim_id IS NOT NULL"), sqlite_where=text("primary_claim_id IS NOT NULL")),
        practice_key("claim"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    coverage_id: Mapped[int | None] = mapped_column(ForeignKey("coverage.id"))
    payer_id: Mapped[int | None] = mapped_column(ForeignKey("payer.id"))
    patient_control_number: Mapped[str] = mapped_column(String(20))  # CLM01
    status: Mapped[str] = mapped_column(String(30), default="draft")
    status_codes: Mapped[str | None] = mapped_column(String(200))  # last acknowledgement codes, e.g. "A7:562:85"
    status_reason: Mapped[str | None] = mapped_column(Text)  # the codes explained in words
    frequency_code: Mapped[str] = mapped_column(String(1), default="1")  # CLM05-3
    payer_responsibility: Mapped[str] = mapped_column(String(1), default="P")  # SBR01 P/S/T
    original_claim_id: Mapped[int | None] = mapped_column(ForeignKey("claim.id"))  # what a 7/8 corrects
    primary_claim_id: Mapped[int | None] = mapped_column(ForeignKey("claim.id"))  # for a secondary claim
    payer_claim_number: Mapped[str | None] = mapped_column(String(50))  # 277CA REF*1K / 835 CLP07
    rendering_provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"))
    referring_provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    place_of_service: Mapped[str] = mapped_column(String(2))
    prior_authorization: Mapped[str | None] = mapped_column(String(50))
    service_date_from: Mapped[date] = mapped_column(Date)
    service_date_to: Mapped[date] = mapped_column(Date)
    total_charge: Mapped[Decimal] = mapped_column(Money)
    diagnoses: Mapped[str] = mapped_column(String(100))
    encounter_key: Mapped[str | None] = mapped_column(String(40))
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    warning_count: Mapped[int] = mapped_column(Integer, default=0)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("claim_batch.id"))
    primary_paid: Mapped[Decimal | None] = mapped_column(Money)  # COB: the primary's payment
    primary_patient_responsibility: Mapped[Decimal | None] = mapped_column(Money)
    primary_paid_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    lines: Mapped[list[ClaimLine]] = relationship(order_by="ClaimLine.line_number", lazy="selectin",
                                                  cascade="all, delete-orphan")

    @property
    def diagnosis_codes(self) -> list[str]:
        return split_codes(self.diagnoses)


class ClaimLine(Base):
    """Loop 2400 of the claim: the billed snapshot of one charge."""

    __tablename__ = "claim_line"
    __tenant_key__ = "practice_id"
    __table_args__ = (practice_key("claim_line"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"))
    claim_id: Mapped[int] = mapped_column(ForeignKey("claim.id"), index=True)
    charge_id: Mapped[int | None] = mapped_column(ForeignKey("charge.id"))
    line_number: Mapped[int] = mapped_column(Integer)
    procedure_code: Mapped[str] = mapped_column(String(5))
    modifiers: Mapped[str] = mapped_column(String(11), default="")
    units: Mapped[int] = mapped_column(Integer, default=1)
    charge_amount: Mapped[Decimal] = mapped_column(Money)
    service_date: Mapped[date] = mapped_column(Date)
    service_date_end: Mapped[date | None] = mapped_column(Date)
    pointers: Mapped[str] = mapped_column(String(7), default="1")  # into the claim's diagnoses

    @property
    def modifier_list(self) -> list[str]:
        return split_codes(self.modifiers)

    @property
    def pointer_list(self) -> list[int]:
        return [int(p) for p in split_codes(self.pointers)]


class ClaimEdit(Base):
    """One scrubber finding on a claim (replaced each time the claim is scrubbed)."""

    __tablename__ = "claim_edit"
    __tenant_key__ = "practice_id"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"))
    claim_id: Mapped[int] = mapped_column(ForeignKey("claim.id"), index=True)
    rule_id: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str] = mapped_column(String(10))
    line_number: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text)
    fix: Mapped[str] = mapped_column(Text, default="")
    found_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TimelineEntry(Base):
    """One event in a claim's life: a status change with who or what caused it."""

    __tablename__ = "claim_event"
    __tenant_key__ = "practice_id"
    __table_args__ = (same_practice("claim_id", "claim"),
                      # each claim's first submission, which insurance A/R ages from (`timeline.first_submissions`)
                      Index("ix_claim_event_submit", "practice_id", "claim_id", "occurred_at",
                            postgresql_where=text("event = 'submit'"), sqlite_where=text("event = 'submit'")),
                      # the rebills after a day, for aging by payer as of that day (`timeline.payers_before_rebills`)
                      Index("ix_claim_event_rebill", "practice_id", "occurred_at",
                            postgresql_where=text("event = 'rebill'"), sqlite_where=text("event = 'rebill'")))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    practice_id: Mapped[int] = mapped_column(Integer)  # the claim's practice (`same_practice`)
    claim_id: Mapped[int] = mapped_column(BigId, index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    event: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(30))
    to_status: Mapped[str] = mapped_column(String(30))
    detail: Mapped[str | None] = mapped_column(Text)
    actor_name: Mapped[str] = mapped_column(String(120))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("claim_batch.id"))
    inbound_file_id: Mapped[int | None] = mapped_column(Integer)
    # on a rebill: the payer the claim was billed to until then (aging by payer as of an earlier day shows it there)
    previous_payer_id: Mapped[int | None] = mapped_column(Integer)


class ControlCounter(Base):
    """A persisted, monotonically increasing number (ISA13/GS06, patient control numbers per practice).

    Network-wide on purpose: the MSO is the one X12 submitter, so its interchange control numbers
    form one sequence across practices.
    """

    __tablename__ = "control_counter"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    last_value: Mapped[int] = mapped_column(BigInteger, default=0)
