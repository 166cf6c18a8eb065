"""Payer contract terms per practice: one effective-dated rate per payer, procedure and modifier.

A rate is either a fixed allowed amount or a percentage of the Medicare fee for the code (the
"% of Medicare" terms most commercial contracts use); `contracts.service.expected_allowed` turns
either into the amount the payer should allow for a date of service.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from openmso.core.db import Base
from openmso.core.effective_dates import EffectiveDated
from openmso.core.types import Money, Percent, UTCDateTime, utcnow


class ContractRate(EffectiveDated, Base):
    __tablename__ = "contract_rate"
    __tenant_key__ = "practice_id"
    __table_args__ = (Index("ix_contract_rate_lookup", "practice_id", "payer_id", "procedure_code", "modifier",
                            "effective_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"))
    payer_id: Mapped[int] = mapped_column(ForeignKey("payer.id"))
    procedure_code: Mapped[str] = mapped_column(String(5))
    modifier: Mapped[str] = mapped_column(String(2), default="")  # "" applies to any modifier
    allowed_amount: Mapped[Decimal | None] = mapped_column(Money)
    percent_of_medicare: Mapped[Decimal | None] = mapped_column(Percent)
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)  # inclusive; None: open-ended
    source: Mapped[str] = mapped_column(String(200), default="")  # file and line it came from
    line_number: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120), default="")
