"""Pydantic shapes of the agreements API and forms (the terms document itself is in `terms`)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from openmso.agreements.terms import Terms


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AgreementCreate(Strict):
    practice_id: int = Field(ge=1, le=2**31 - 1)
    title: str = Field(min_length=2, max_length=200)
    terms: Terms
    change_note: str | None = Field(default=None, max_length=2000)


class DraftUpdate(Strict):
    terms: Terms
    change_note: str | None = Field(default=None, max_length=2000)


class AmendmentCreate(Strict):
    change_note: str = Field(min_length=2, max_length=2000)


class Signing(Strict):
    signed_on: date = Field(ge=date(1990, 1, 1), le=date(2200, 1, 1))
    signed_by_practice: str = Field(min_length=2, max_length=160)
    signed_by_mso: str = Field(min_length=2, max_length=160)


class Termination(Strict):
    ended_on: date = Field(ge=date(1990, 1, 1), le=date(2200, 1, 1))
    reason: str = Field(min_length=2, max_length=2000)


class VersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    agreement_id: int
    practice_id: int
    number: int
    status: str
    change_note: str | None
    model: str
    fee_kind: str
    effective_on: date
    signed_on: date | None
    signed_by_practice: str | None
    signed_by_mso: str | None
    ended_on: date | None
    created_at: datetime
    created_by: str
    terms: Terms


class VersionBrief(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: int
    status: str
    change_note: str | None
    effective_on: date
    signed_on: date | None
    ended_on: date | None


class AgreementOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    practice_id: int
    title: str
    created_at: datetime
    versions: list[VersionBrief]


class FlagOut(BaseModel):
    rule_id: str
    jurisdiction: str
    severity: str
    status: str  # "in force" or "from <date>"
    citation: str
    title: str
    finding: str
    clause: str
    confidence: str


class NetworkRow(BaseModel):
    practice_id: int
    practice: str
    states: list[str]
    agreement_id: int | None
    title: str | None
    version_id: int | None
    version: int | None
    status: str | None
    model: str | None
    fee: str | None
    flags_high: int = 0
    flags_medium: int = 0
    flags_low: int = 0
    flags_upcoming: int = 0


class Change(BaseModel):
    section: str
    item: str
    field: str
    before: object | None
    after: object | None
    control: str | None  # "to MSO", "to practice" or None when control does not move
