"""Pydantic shapes of the denial worklist and its actions."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints


class DenialOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    practice_id: int
    practice_name: str
    claim_id: int
    patient_control_number: str
    patient_name: str
    payer_name: str
    category: str
    rule_id: str | None
    reasons: str
    reason_text: str
    remarks: str
    amount: Decimal
    suggested_action: str
    appeal_deadline: date
    status: str
    assigned_to: int | None
    assignee: str | None
    created_at: datetime


class NoteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    author: str
    action: str
    text: str
    created_at: datetime


class DenialDetailOut(DenialOut):
    notes: list[NoteOut]


class Assignment(BaseModel):
    user_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="the staff member; null unassigns")


class NoteIn(BaseModel):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]


class Reason(BaseModel):
    """Why a denial is resubmitted, written off or transferred: words, not blanks (it is the audit's reason)."""

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=300)]


class TransferIn(Reason):
    no_contract: bool = Field(default=False, description=(
        "needed when the denial's reasons are group PI (payer-initiated reduction): the practice confirms it has "
        "no contract with this payer and the law lets it bill the patient"))


class AppealIn(BaseModel):
    argument: str = Field(default="", max_length=4000, description="the paragraph arguing for payment")
