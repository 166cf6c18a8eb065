"""Files received from the clearinghouse (999, 277CA, 835): kept exactly, with what became of them.

A file is applied whole or not at all; one that cannot be read, or that names a batch or claim we
never sent, is quarantined with the located reason and kept for a retry after the cause is fixed.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from openmso.core.db import Base
from openmso.core.types import UTCDateTime, utcnow


class FileStatus(StrEnum):
    APPLIED = "applied"
    QUARANTINED = "quarantined"
    AWAITING_POSTING = "awaiting_posting"  # an 835, left for remittance posting


class InboundFile(Base):
    """`practice_id` is known once the file is matched to a batch; until then only network-wide
    users see it (tenancy hides rows without a practice from scoped users)."""

    __tablename__ = "inbound_file"
    __tenant_key__ = "practice_id"
    __table_args__ = (Index("ix_inbound_file_status", "status", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int | None] = mapped_column(ForeignKey("practice.id"))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("claim_batch.id"))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))  # 999, 277CA, 835, unknown
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    content: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    claims_updated: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
