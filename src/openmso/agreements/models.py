"""Tables of the agreements domain: an agreement and its versions.

A version row holds the whole terms document (JSON) and never changes once signed; amending means a
new version. A partial unique index keeps at most one signed (active) version per practice, so the
rule holds even against two administrators signing at the same moment.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from openmso.core.db import Base
from openmso.core.types import UTCDateTime, utcnow

TermsJSON = JSON().with_variant(JSONB(), "postgresql")


class VersionStatus(StrEnum):
    DRAFT = "draft"
    SIGNED = "signed"  # the active version
    AMENDED = "amended"  # was signed, replaced by a later signed version
    TERMINATED = "terminated"


class Agreement(Base):
    __tablename__ = "agreement"
    __tenant_key__ = "practice_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), index=True)
    mso_id: Mapped[int] = mapped_column(ForeignKey("mso.id"))
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120))

    versions: Mapped[list[AgreementVersion]] = relationship(
        back_populates="agreement", order_by="AgreementVersion.number", lazy="selectin"
    )

    @property
    def current(self) -> AgreementVersion | None:
        """The signed version if there is one, else the latest version."""
        signed = [v for v in self.versions if v.status == VersionStatus.SIGNED]
        return signed[0] if signed else (self.versions[-1] if self.versions else None)


class AgreementVersion(Base):
    __tablename__ = "agreement_version"
    __tenant_key__ = "practice_id"
    __table_args__ = (
        UniqueConstraint("agreement_id", "number"),
        Index("uq_agreement_version_one_signed_per_practice", "practice_id", unique=True,
              sqlite_where=text("status = 'signed'"), postgresql_where=text("status = 'signed'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id"), index=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default=VersionStatus.DRAFT)
    change_note: Mapped[str | None] = mapped_column(Text)
    terms: Mapped[dict] = mapped_column(TermsJSON)
    model: Mapped[str] = mapped_column(String(30))  # denormalised from terms for listing
    fee_kind: Mapped[str] = mapped_column(String(40))
    effective_on: Mapped[date] = mapped_column(Date)
    signed_on: Mapped[date | None] = mapped_column(Date)
    signed_by_practice: Mapped[str | None] = mapped_column(String(160))
    signed_by_mso: Mapped[str | None] = mapped_column(String(160))
    ended_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    agreement: Mapped[Agreement] = relationship(back_populates="versions", lazy="joined")

    @property
    def label(self) -> str:
        return f"agreement #{self.agreement_id} v{self.number}"
