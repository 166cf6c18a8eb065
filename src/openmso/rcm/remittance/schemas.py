"""Pydantic shapes of received payments, their postings and the exceptions queue."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field


class RemittanceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    file_id: int
    practice_id: int | None
    payer_id: int | None
    control_number: str
    trace_number: str
    payer_name: str
    payment_amount: Decimal
    payment_method: str
    payment_date: date | None
    status: str
    error: str | None
    claims_posted: int
    lines_posted: int
    exceptions: int
    deposit_id: int | None
    posted_at: datetime | None


class PostedAmounts(BaseModel):
    """What a claim or a line was charged, paid and adjusted (CAS as posted: "CO:45:58.00 PR:2:20.00")."""

    model_config = ConfigDict(from_attributes=True)

    charge: Decimal
    paid: Decimal
    contractual: Decimal
    patient_responsibility: Decimal
    other_adjustment: Decimal
    adjustments: str
    remarks: str


class LineOut(PostedAmounts):
    line_number: int
    procedure_code: str
    submitted_code: str | None
    modifiers: str
    units: int
    allowed: Decimal
    denied: bool
    expected_allowed: Decimal | None


class ClaimPostingOut(PostedAmounts):
    claim_id: int
    patient_control_number: str
    patient_name: str
    status_code: str
    outcome: str
    payer_claim_number: str
    lines: list[LineOut]


class ClaimPaymentOut(ClaimPostingOut):
    """One answer of an 835 to a claim, with the payment it came in."""

    remittance_id: int
    trace_number: str
    payment_date: date | None
    posted_at: datetime


class ProviderAdjustmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    provider_identifier: str
    fiscal_period_date: date
    reason_code: str
    reference: str
    amount: Decimal


class ExceptionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    practice_id: int | None
    file_id: int
    remittance_id: int | None
    kind: str
    patient_control_number: str | None
    location: str
    message: str
    amount: Decimal | None
    status: str
    created_at: datetime
    resolved_by: str | None
    resolution: str | None


class RemittanceDetailOut(RemittanceOut):
    claims: list[ClaimPostingOut]
    provider_adjustments: list[ProviderAdjustmentOut]
    exception_items: list[ExceptionOut]


class Resolution(BaseModel):
    resolution: str = Field(min_length=3, max_length=2000, description="what was done about it")


class IngestOut(BaseModel):
    file_id: int
    name: str
    status: str
    duplicate: bool
    transactions: int
    posted: int
    quarantined: int
    unmatched: int  # payments to a payee that is none of our practices: kept, posted again by `repost`
    claims: int
    lines: int
    exceptions: int
