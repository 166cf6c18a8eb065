"""Tables of the network domain.

Every practice-owned table carries `practice_id` (the tenant key and future Citus distribution
column), even where it could be derived through a parent, so tenancy filters never need a join.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from openmso.core.db import Base, practice_key
from openmso.core.effective_dates import EffectiveDated
from openmso.core.types import Percent, UTCDateTime, utcnow


class EntityType(StrEnum):
    PC = "PC"
    PLLC = "PLLC"
    PA = "PA"
    MEDICAL_CORPORATION = "medical_corporation"


class AffiliationStatus(StrEnum):
    PROSPECT = "prospect"
    ACTIVE = "active"
    TERMINATING = "terminating"
    TERMINATED = "terminated"


class LineOfBusiness(StrEnum):
    MEDICARE = "medicare"
    MEDICARE_ADVANTAGE = "medicare_advantage"
    MEDICAID = "medicaid"
    MEDICAID_MANAGED_CARE = "medicaid_managed_care"
    COMMERCIAL = "commercial"
    TRICARE = "tricare"
    WORKERS_COMP = "workers_comp"


class SubscriberRelation(StrEnum):
    """X12 individual relationship codes (2000B SBR02 / 2000C PAT01)."""

    SELF = "18"
    SPOUSE = "01"
    CHILD = "19"
    OTHER = "G8"


class Mso(Base):
    __tablename__ = "mso"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    tin: Mapped[str] = mapped_column(String(9))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Practice(Base):
    __tablename__ = "practice"
    __tenant_key__ = "id"

    id: Mapped[int] = mapped_column(primary_key=True)
    mso_id: Mapped[int] = mapped_column(ForeignKey("mso.id"))
    legal_name: Mapped[str] = mapped_column(String(200), unique=True)
    dba_name: Mapped[str | None] = mapped_column(String(200))
    entity_type: Mapped[str] = mapped_column(String(30))
    tin: Mapped[str] = mapped_column(String(9))
    group_npi: Mapped[str] = mapped_column(String(10), unique=True)
    primary_state: Mapped[str] = mapped_column(String(2))
    specialty: Mapped[str] = mapped_column(String(80))
    affiliation_status: Mapped[str] = mapped_column(String(20), default=AffiliationStatus.ACTIVE)
    affiliated_on: Mapped[date | None] = mapped_column(Date)
    disaffiliated_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    states: Mapped[list[PracticeState]] = relationship(
        cascade="all, delete-orphan", order_by="PracticeState.state", lazy="selectin"
    )
    owners: Mapped[list[PhysicianOwner]] = relationship(
        cascade="all, delete-orphan", order_by="PhysicianOwner.id", lazy="selectin"
    )

    @property
    def states_of_operation(self) -> list[str]:
        return [s.state for s in self.states]


class PracticeState(Base):
    __tablename__ = "practice_state"
    __tenant_key__ = "practice_id"

    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), primary_key=True)
    state: Mapped[str] = mapped_column(String(2), primary_key=True)


class PhysicianOwner(Base):
    """An owner of the professional entity; ownership must be licensed physicians (CPOM)."""

    __tablename__ = "physician_owner"
    __tenant_key__ = "practice_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), index=True)
    name: Mapped[str] = mapped_column(String(160))
    npi: Mapped[str | None] = mapped_column(String(10))
    ownership_percent: Mapped[Decimal] = mapped_column(Percent)


class Location(Base):
    __tablename__ = "location"
    __tenant_key__ = "practice_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), index=True)
    name: Mapped[str] = mapped_column(String(160))
    address_line1: Mapped[str] = mapped_column(String(160))
    address_line2: Mapped[str | None] = mapped_column(String(160))
    city: Mapped[str] = mapped_column(String(80))
    state: Mapped[str] = mapped_column(String(2))
    postal_code: Mapped[str] = mapped_column(String(10))
    place_of_service: Mapped[str] = mapped_column(String(2))
    phone: Mapped[str | None] = mapped_column(String(20))


class Provider(Base):
    __tablename__ = "provider"
    __tenant_key__ = "practice_id"
    __table_args__ = (UniqueConstraint("practice_id", "npi"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), index=True)
    npi: Mapped[str] = mapped_column(String(10), index=True)
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    credential: Mapped[str] = mapped_column(String(20))
    taxonomy_code: Mapped[str] = mapped_column(String(10))
    specialty: Mapped[str] = mapped_column(String(80))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    licenses: Mapped[list[ProviderLicense]] = relationship(
        cascade="all, delete-orphan", order_by="ProviderLicense.state", lazy="selectin"
    )

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}, {self.credential}"


class ProviderLicense(Base):
    __tablename__ = "provider_license"
    __tenant_key__ = "practice_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"), index=True)
    state: Mapped[str] = mapped_column(String(2))
    number: Mapped[str] = mapped_column(String(30))
    expires_on: Mapped[date] = mapped_column(Date)


class Payer(Base):
    """A payer known to the whole network (network-wide reference data, not practice-owned)."""

    __tablename__ = "payer"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    payer_code: Mapped[str] = mapped_column(String(20), unique=True)  # the electronic payer id
    line_of_business: Mapped[str] = mapped_column(String(30))
    timely_filing_days: Mapped[int] = mapped_column(Integer, default=365)


class PracticePayer(Base):
    """A practice's enrolment with a payer (which payers the practice bills)."""

    __tablename__ = "practice_payer"
    __tenant_key__ = "practice_id"

    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), primary_key=True)
    payer_id: Mapped[int] = mapped_column(ForeignKey("payer.id"), primary_key=True)
    enrolled_on: Mapped[date | None] = mapped_column(Date)


class Patient(Base):
    __tablename__ = "patient"
    __tenant_key__ = "practice_id"
    __table_args__ = (
        UniqueConstraint("practice_id", "mrn"),
        Index("ix_patient_practice_name", "practice_id", "last_name", "first_name"),
        CheckConstraint("sex IN ('F', 'M', 'U')", name="sex"),
        practice_key("patient"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"))
    mrn: Mapped[str] = mapped_column(String(30))
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(1))
    address_line1: Mapped[str | None] = mapped_column(String(160))
    city: Mapped[str | None] = mapped_column(String(80))
    state: Mapped[str | None] = mapped_column(String(2))
    postal_code: Mapped[str | None] = mapped_column(String(10))
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(160))
    consent_hipaa_notice: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_text_messages: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_email: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_data_sharing: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    coverages: Mapped[list[Coverage]] = relationship(
        cascade="all, delete-orphan", order_by="Coverage.priority", lazy="selectin"
    )

    @property
    def display_name(self) -> str:
        return f"{self.last_name}, {self.first_name}"


PLAN_ORDER = {1: "primary", 2: "secondary", 3: "tertiary"}  # a plan's priority, as billers say it


def plan_order(priority: int) -> str:
    """A plan's order in words ("next" past the orders a patient may have)."""
    return PLAN_ORDER.get(priority, "next")


class Coverage(EffectiveDated, Base):
    __tablename__ = "coverage"
    __tenant_key__ = "practice_id"
    __table_args__ = (CheckConstraint("priority BETWEEN 1 AND 3", name="priority"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    payer_id: Mapped[int] = mapped_column(ForeignKey("payer.id"))
    member_id: Mapped[str] = mapped_column(String(40))
    group_number: Mapped[str | None] = mapped_column(String(40))
    priority: Mapped[int] = mapped_column(Integer, default=1)
    subscriber_relation: Mapped[str] = mapped_column(String(2), default=SubscriberRelation.SELF)
    subscriber_first_name: Mapped[str | None] = mapped_column(String(80))
    subscriber_last_name: Mapped[str | None] = mapped_column(String(80))
    subscriber_birth_date: Mapped[date | None] = mapped_column(Date)
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    # when the plan was put on file: the A/R as of an earlier day does not count it (None: on file before
    # entry times were kept, counted on every day)
    entered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)

    payer: Mapped[Payer] = relationship(lazy="joined")

    @property
    def payer_name(self) -> str:
        return self.payer.name
