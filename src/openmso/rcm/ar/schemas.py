"""Pydantic shapes of A/R: aging rows, underpayments, patient balances and payments, KPIs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, Field


class AgingKind(StrEnum):
    INSURANCE = "insurance"
    PATIENT = "patient"


class AgingBy(StrEnum):
    PRACTICE = "practice"
    PAYER = "payer"
    PROVIDER = "provider"
    NETWORK = "network"


class AgingRowOut(BaseModel):
    """A null amount is a cell of fewer than 11 patients in a cross-practice view, suppressed."""

    key: int | None
    label: str
    buckets: dict[str, Decimal | None]
    counts: dict[str, int | None]
    total: Decimal | None
    over_90: Decimal | None
    credits: Decimal | None = Field(description="credit balances owed back (insurance: claims credited below zero; "
                                                "patient: patients who paid more than they owed), not in `total`")
    credit_count: int | None = Field(description="claims (insurance) or patients (patient A/R) with a credit")


class UnderpaymentOut(BaseModel):
    payer_id: int | None
    payer_name: str
    procedure_code: str
    lines: int
    expected: Decimal
    allowed: Decimal
    difference: Decimal


class UnderpaidLineOut(BaseModel):
    line_posting_id: int
    practice_id: int
    claim_id: int
    claim_number: str
    payer_id: int | None
    procedure_code: str
    modifiers: str
    units: int
    service_date: date
    expected: Decimal
    allowed: Decimal
    paid: Decimal
    difference: Decimal
    remittance_id: int
    trace_number: str
    paid_on: date | None


class BalanceFilter(StrEnum):
    ALL = "all"
    OWING = "owing"  # patients who owe something
    CREDIT = "credit"  # patients the practice owes a refund


class PatientBalanceOut(BaseModel):
    practice_id: int
    patient_id: int
    mrn: str
    name: str
    balance: Decimal = Field(description="what the patient owes; negative: a credit balance, a refund due")
    credit: bool
    pending: Decimal = Field(description="of the balance, the share of services billed to another plan that has "
                                         "not answered yet: not asked of the patient until it does")
    due: Decimal = Field(description="what the patient is asked to pay now: the balance less what is pending")
    oldest: date | None = Field(description="the oldest charge due from the patient; null for a credit balance or "
                                            "when all of it is pending")


class PatientPaymentIn(BaseModel):
    amount: Decimal = Field(gt=0, max_digits=12, decimal_places=2)
    paid_on: date = Field(ge=date(2000, 1, 1), le=date(2100, 1, 1))
    reference: str = Field(default="", max_length=100, description="receipt, check or card reference")


class PatientPaymentOut(BaseModel):
    id: int
    patient_id: int
    amount: Decimal
    entered_on: date
    balance: Decimal


class KpiDefinitionOut(BaseModel):
    id: str
    name: str
    formula: str
    unit: str
    better: str
    source: str


class KpiMonthOut(BaseModel):
    month: str
    period_end: date
    claims: int | None  # null: a network month of fewer than 11 patients, suppressed
    values: dict[str, Decimal | None]
