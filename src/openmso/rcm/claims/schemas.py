"""Pydantic shapes of the claims domain, shared by the API, the UI forms and the CSV import.

A charge is checked for shape and for codes that exist (ICD-10-CM, CPT/HCPCS form, modifiers)
as it comes in, whichever door; payer-facing rules (billable specificity, coverage dates, NCCI
pairs, prior authorization...) are the scrubber's, run before submission.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from openmso.rcm.scrubber import codes

MaxId = Field(ge=1, le=2**31 - 1)


def _split(value):
    if isinstance(value, str):
        return [part for part in value.replace(";", " ").replace(":", " ").replace(",", " ").split() if part]
    return value


def _diagnosis(value: str) -> str:
    normalized = codes.normalize_diagnosis(value)
    if not codes.is_code(normalized) or len(normalized) < 3:
        raise ValueError(f"{value!r} is not an ICD-10-CM code")
    return normalized


def _procedure(value: str) -> str:
    value = value.strip().upper()
    if problem := codes.procedure_problem(value):
        raise ValueError(problem)
    return value


def _modifier(value: str) -> str:
    value = value.strip().upper()
    if value not in codes.modifiers():
        raise ValueError(f"{value!r} is not a recognised CPT/HCPCS modifier")
    return value


Diagnosis = Annotated[str, Field(min_length=3, max_length=8), AfterValidator(_diagnosis)]
ProcedureCode = Annotated[str, Field(min_length=5, max_length=5, examples=["99213"]), AfterValidator(_procedure)]
Modifier = Annotated[str, Field(min_length=2, max_length=2), AfterValidator(_modifier)]
ServiceDate = Annotated[date, Field(ge=date(2000, 1, 1), le=date(2100, 1, 1))]


class ChargeFields(BaseModel):
    """What every door (form, API, CSV row) says about the service itself."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    service_date: ServiceDate
    service_date_end: ServiceDate | None = None
    procedure_code: ProcedureCode
    modifiers: Annotated[list[Modifier], BeforeValidator(_split), Field(max_length=4)] = []
    units: int = Field(default=1, ge=1, le=999)
    charge_amount: Decimal = Field(gt=0, max_digits=9, decimal_places=2)
    diagnoses: Annotated[list[Diagnosis], BeforeValidator(_split), Field(min_length=1, max_length=12)]
    pointers: Annotated[list[int], BeforeValidator(_split), Field(min_length=1, max_length=4)] = [1]
    prior_authorization: str | None = Field(default=None, max_length=50, pattern=r"^[A-Za-z0-9\-]+$")
    encounter_key: str | None = Field(default=None, max_length=40, pattern=r"^[A-Za-z0-9\-_.]+$")

    @model_validator(mode="after")
    def _consistent(self):
        if self.service_date_end is not None and self.service_date_end < self.service_date:
            raise ValueError("service_date_end is before service_date")
        bad = [p for p in self.pointers if not 1 <= p <= len(self.diagnoses)]
        if bad:
            raise ValueError(f"pointers {bad} do not point at one of the {len(self.diagnoses)} diagnoses")
        if len(set(self.modifiers)) != len(self.modifiers):
            raise ValueError("a modifier is repeated")
        return self


class ClaimLineEdit(BaseModel):
    """One service line of a claim being fixed before it goes (back) to the payer."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    line_number: int = Field(ge=1, le=50)
    procedure_code: ProcedureCode
    modifiers: Annotated[list[Modifier], BeforeValidator(_split), Field(max_length=4)] = []
    units: int = Field(default=1, ge=1, le=999)
    charge_amount: Decimal = Field(gt=0, max_digits=9, decimal_places=2)
    pointers: Annotated[list[int], BeforeValidator(_split), Field(min_length=1, max_length=4)] = [1]
    # drop the line from a replacement (frequency 7) not sent yet: the payer decides the claim anew without it (a
    # line it denied as bundled into another, a service billed by mistake); an original's lines are its charges
    remove: bool = False

    @model_validator(mode="after")
    def _distinct_modifiers(self):
        if len(set(self.modifiers)) != len(self.modifiers):
            raise ValueError(f"line {self.line_number}: a modifier is repeated")
        return self


class ClaimRebillIn(BaseModel):
    """Bill a claim the payer never took in to another of the patient's coverages: the payer's front end said
    it was sent to the wrong payer (277CA A3:116), or the biller found the right plan before sending it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    coverage_id: int = Field(ge=1)
    reason: str = Field(min_length=3, max_length=300)


class ClaimEditIn(BaseModel):
    """A biller's fix of a claim the scrubber held, the clearinghouse or payer rejected, or a replacement not
    sent yet: the claim's codes as they should go, every line, and why (kept on the timeline and the audit
    trail). Dates, patient, provider and payer are not edited here: a claim for another visit or payer is
    another claim."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    diagnoses: Annotated[list[Diagnosis], BeforeValidator(_split), Field(min_length=1, max_length=12)]
    prior_authorization: str | None = Field(default=None, max_length=50, pattern=r"^[A-Za-z0-9\-]+$")
    lines: list[ClaimLineEdit] = Field(min_length=1, max_length=50)
    reason: str = Field(min_length=3, max_length=300)

    @model_validator(mode="after")
    def _consistent(self):
        if len(set(self.diagnoses)) != len(self.diagnoses):
            raise ValueError("a diagnosis is repeated")
        for line in self.lines:
            if line.remove:  # not sent: its pointers may name a diagnosis dropped with it
                continue
            bad = [p for p in line.pointers if not 1 <= p <= len(self.diagnoses)]
            if bad:
                raise ValueError(f"line {line.line_number}: pointers {bad} do not point at one of the "
                                 f"{len(self.diagnoses)} diagnoses")
        numbers = [line.line_number for line in self.lines]
        if len(set(numbers)) != len(numbers):
            raise ValueError("a line number is repeated")
        if all(line.remove for line in self.lines):
            raise ValueError("every line is marked to remove: a claim keeps at least one line (to withdraw the whole "
                             "claim from the payer, void it)")
        return self


class ChargeCreate(ChargeFields):
    """A charge entered through the API or the UI, naming records by id."""

    patient_id: int = MaxId
    rendering_provider_id: int = MaxId
    location_id: int = MaxId
    coverage_id: int | None = Field(default=None, ge=1, le=2**31 - 1,
                                    description="defaults to the patient's first coverage active on the date")
    referring_provider_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class ChargeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    practice_id: int
    patient_id: int
    coverage_id: int | None
    rendering_provider_id: int
    location_id: int
    service_date: date
    procedure_code: str
    modifiers: str
    units: int
    charge_amount: Decimal
    diagnoses: str
    pointers: str
    claim_id: int | None


class ImportReport(BaseModel):
    rows: int
    imported: int
    rejected: int
    claims_created: int
    errors: list[dict]


class ClaimOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    practice_id: int
    patient_id: int
    payer_id: int | None
    patient_control_number: str
    status: str
    status_codes: str | None
    status_reason: str | None
    frequency_code: str
    payer_responsibility: str
    payer_claim_number: str | None
    original_claim_id: int | None
    primary_claim_id: int | None
    place_of_service: str
    service_date_from: date
    service_date_to: date
    total_charge: Decimal
    diagnoses: str
    error_count: int
    warning_count: int
    batch_id: int | None
    created_at: datetime
    submitted_at: datetime | None


class EditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    rule_id: str
    severity: str
    line_number: int | None
    message: str
    fix: str


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    occurred_at: datetime
    event: str
    from_status: str | None
    to_status: str
    detail: str | None
    actor_name: str


class ClaimLineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    line_number: int
    procedure_code: str
    modifiers: str
    units: int
    charge_amount: Decimal
    service_date: date
    service_date_end: date | None
    pointers: str


class ClaimDetailOut(ClaimOut):
    lines: list[ClaimLineOut]
    edits: list[EditOut]
    timeline: list[EventOut]


class BatchOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    practice_id: int
    payer_id: int
    interchange_control_number: int
    filename: str
    claim_count: int
    total_charge: Decimal
    status: str
    ack_status: str | None
    adapter: str
    created_at: datetime
    sent_at: datetime | None


class Correction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(pattern="^(replace|void)$", description="replace (frequency 7) or void (8)")
    reason: str = Field(min_length=3, max_length=300)
