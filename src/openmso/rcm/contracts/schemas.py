"""Pydantic shapes of a practice's contract rates and of a fee schedule import."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict


class ContractRateOut(BaseModel):
    """One effective-dated term: a fixed allowed amount, or a percentage of the Medicare fee."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    practice_id: int
    payer_id: int
    payer_code: str = ""  # the electronic payer id the fee schedule named
    procedure_code: str
    modifier: str
    allowed_amount: Decimal | None
    percent_of_medicare: Decimal | None
    effective_from: date
    effective_to: date | None
    source: str
    created_at: datetime
    created_by: str


class RateImportOut(BaseModel):
    imported: int
    by_payer: dict[str, int]  # electronic payer id: rates imported
