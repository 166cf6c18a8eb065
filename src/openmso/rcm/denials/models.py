"""Denial cases: a denied claim (or the denied lines of a paid claim) to be worked, with its notes.

Created by remittance posting from the CARC/RARC classification (`denials.rules`); worked from the
denial worklist (`denials.service`).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from openmso.core.db import Base, practice_key, same_practice
from openmso.core.types import Money, UTCDateTime, utcnow
from openmso.rcm.claims.models import BigId

OPEN, APPEALED = "open", "appealed"
# An appealed denial is still the biller's: the payer may uphold the denial (then it is written off,
# transferred or corrected and resubmitted), or ask for the letter again.
STILL_TO_WORK = (OPEN, APPEALED)


class DenialCase(Base):
    """A denied claim (or denied lines of a paid claim) to be worked: category, deadline, owner, outcome."""

    __tablename__ = "denial_case"
    __tenant_key__ = "practice_id"
    __table_args__ = (Index("ix_denial_case_open", "practice_id", "status", "appeal_deadline"),
                      practice_key("denial_case"), same_practice("claim_id", "claim"),
                      same_practice("claim_posting_id", "claim_posting"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    practice_id: Mapped[int] = mapped_column(Integer)  # the claim's and the claim posting's (`same_practice`)
    claim_id: Mapped[int] = mapped_column(BigId, index=True)
    claim_posting_id: Mapped[int] = mapped_column(BigId)
    category: Mapped[str] = mapped_column(String(30))
    rule_id: Mapped[str | None] = mapped_column(String(30))
    reasons: Mapped[str] = mapped_column(String(300))  # "CO:197 …" as posted
    remarks: Mapped[str] = mapped_column(String(100), default="")
    amount: Mapped[Decimal] = mapped_column(Money)  # denied (recoverable) amount
    suggested_action: Mapped[str] = mapped_column(String(30))
    appeal_deadline: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="open")
    assigned_to: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DenialNote(Base):
    __tablename__ = "denial_note"
    __tenant_key__ = "practice_id"

    __table_args__ = (same_practice("case_id", "denial_case"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(Integer)  # the case's (`same_practice`)
    case_id: Mapped[int] = mapped_column(BigId, index=True)
    author: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(30), default="note")
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
