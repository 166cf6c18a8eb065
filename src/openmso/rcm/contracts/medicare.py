"""The Medicare fee table "% of Medicare" contract terms are priced against (data, not code).

`data/medicare_fees.csv` holds national non-facility amounts for the codes the demo and tests
bill, rounded, in the shape of the CMS Physician Fee Schedule (42 CFR Part 414 Subpart B;
cms.gov "PFS Look-up Tool"). They are illustrative: an MSO loads its localities' file from CMS in
the same columns (code, modifier, amount, effective_from, effective_to) and passes it to
`MedicareFeeTable.from_csv`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources


@dataclass(frozen=True, slots=True)
class MedicareFee:
    code: str
    modifier: str
    amount: Decimal
    effective_from: date
    effective_to: date | None


class MedicareFeeTable:
    def __init__(self, fees: list[MedicareFee]):
        self._by_code: dict[tuple[str, str], list[MedicareFee]] = {}
        for fee in fees:
            self._by_code.setdefault((fee.code, fee.modifier), []).append(fee)

    @classmethod
    def from_csv(cls, text: str) -> MedicareFeeTable:
        return cls([MedicareFee(row["code"].strip(), (row.get("modifier") or "").strip(), Decimal(row["amount"]),
                                date.fromisoformat(row["effective_from"]),
                                date.fromisoformat(row["effective_to"]) if row.get("effective_to") else None)
                    for row in csv.DictReader(io.StringIO(text))])

    def fee(self, code: str, modifier: str, day: date) -> Decimal | None:
        """The fee for the code (with the modifier's own row if there is one) on a date of service."""
        for key in ((code, modifier), (code, "")):
            for fee in self._by_code.get(key, ()):
                if fee.effective_from <= day and (fee.effective_to is None or day <= fee.effective_to):
                    return fee.amount
        return None


@cache
def default_table() -> MedicareFeeTable:
    return MedicareFeeTable.from_csv(resources.files(__package__).joinpath("data/medicare_fees.csv").read_text())
