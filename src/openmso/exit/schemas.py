"""Pydantic shapes of a practice's exit: the transition plan and the data access report.

One `TransitionPlan` feeds the web page, the JSON API, the PDF and the command line, so the four
never disagree.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel

from openmso.core.audit_api import AuditEntryFields


class Risk(BaseModel):
    """Something the practice must settle before leaving; `silent` marks a term the agreement does not state."""

    clause: str
    text: str
    silent: bool = False


class Timeline(BaseModel):
    notice_on: date
    route: str
    exit_on: date
    term_ends_on: date | None
    for_cause_exit_on: date
    transition_ends_on: date | None
    transition_cost_borne_by: str | None
    clause: str


class ContractStep(BaseModel):
    contract: str
    kind: str
    disposition: str
    action: str
    notice_days: int | None
    notice_by: date | None
    effective_on: date
    late: bool


class PayerEnrolmentStep(BaseModel):
    payer: str
    payer_code: str
    action: str


class SystemStep(BaseModel):
    category: str
    label: str
    vendor: str | None
    arrangement: str
    action: str
    must_replace: bool
    clause: str


class ServiceStep(BaseModel):
    service: str
    label: str
    performed_by: str
    service_level: str
    action: str
    clause: str


class AssetStep(BaseModel):
    asset: str
    label: str
    owner: str
    transfers_at_exit: bool
    action: str
    clause: str


class ComplianceStep(BaseModel):
    function: str
    citation: str
    action: str


class ArBucketOut(BaseModel):
    key: str
    label: str
    insurance: Decimal
    patient: Decimal


class OpenAr(BaseModel):
    as_of: date
    buckets: list[ArBucketOut]
    insurance_total: Decimal
    patient_total: Decimal
    total: Decimal
    collected_by: str | None
    run_out_days: int | None
    run_out_ends_on: date | None
    note: str


class DataDelivery(BaseModel):
    owner: str
    formats: list[str]
    delivery_days: int | None
    deliver_by: date | None
    cost: Decimal | None
    retention_days: int | None
    retained_until: date | None
    clause: str


class TransitionPlan(BaseModel):
    practice_id: int
    practice: str
    agreement: str
    version: int
    version_status: str
    as_of: date
    generated_at: datetime
    generated_by: str
    timeline: Timeline
    contracts: list[ContractStep]
    payer_enrolments: list[PayerEnrolmentStep]
    systems: list[SystemStep]
    services: list[ServiceStep]
    assets: list[AssetStep]
    compliance: list[ComplianceStep]
    open_ar: OpenAr
    data: DataDelivery
    risks: list[Risk]


class DataAccessEntry(AuditEntryFields):
    data_class: str
    aggregation: bool


class DataAccessPage(BaseModel):
    items: list[DataAccessEntry]
    total: int
    page: int
    limit: int
