"""The Medicare fee table "% of Medicare" contract terms are priced against (data, not code).

`data/medicare_fees.csv` holds national non-facility amounts for the codes the demo and tests
bill, rounded, in the shape of the CMS Physician Fee Schedule (42 CFR Part 414 Subpart B;
cms.gov "PFS Look-up Tool"). They are illustrative: an MSO loads its localities' file from CMS in
the same columns (code, modifier, amount, effective_from, effective_to) and passes it to
`MedicareFeeTable.from_csv`, which checks it the way a fee schedule import is checked: every
problem located by line and column, and a table with any problem is not used at all (a wrong
Medicare fee would misprice every "% of Medicare" line silently).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources

from openmso.core import csv_input
from openmso.core.effective_dates import EffectiveDated
from openmso.core.errors import FieldError, Invalid

COLUMNS = ("code", "modifier", "amount", "effective_from", "effective_to")
REQUIRED = ("code", "amount", "effective_from")
# No physician fee comes near ten million; a value that large is a typo, and it would not fit the
# database's integer cents once multiplied by a contract's percentage and a line's units.
FEE_BELOW = Decimal("10000000.00")


def procedure_code(text: str) -> str:
    """A CPT/HCPCS code as billed: five letters or digits."""
    code = text.upper()
    if not (len(code) == 5 and code.isascii() and code.isalnum()):
        raise ValueError(f"{text!r} is not a 5-character CPT/HCPCS code")
    return code


def procedure_modifier(text: str) -> str:
    """A procedure modifier: two letters or digits."""
    value = text.upper()
    if not (len(value) == 2 and value.isascii() and value.isalnum()):
        raise ValueError(f"{text!r} is not a 2-character modifier")
    return value


@dataclass(frozen=True, slots=True)
class MedicareFee(EffectiveDated):
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
    def from_csv(cls, text: str, name: str = "Medicare fee table") -> MedicareFeeTable:
        """The table in `text`; `Invalid` lists every problem by line and column, and no table is made."""
        errors: list[FieldError] = []
        fees: list[tuple[int, MedicareFee]] = []
        for number, row in csv_input.read_rows(text, COLUMNS, REQUIRED, errors):
            found: list[FieldError] = []
            code = csv_input.field(row, number, "code", procedure_code, found)
            mod = csv_input.field(row, number, "modifier", procedure_modifier, found, required=False) or ""
            amount = csv_input.field(row, number, "amount", csv_input.parse_amount, found, below=FEE_BELOW)
            start = csv_input.field(row, number, "effective_from", csv_input.parse_date, found)
            end = csv_input.field(row, number, "effective_to", csv_input.parse_date, found, required=False)
            if start and end and end < start:
                found.append(FieldError([f"line {number}", "effective_to"], f"ends ({end}) before it starts ({start})"))
            if not found:
                fees.append((number, MedicareFee(code, mod, amount, start, end)))
            errors += found
        errors += _overlapping(fees)
        if errors:
            raise Invalid(f"{len(errors)} problem(s) in the {name}; it was not loaded",
                          errors=csv_input.in_line_order(errors))
        return cls([fee for _, fee in fees])

    def fee(self, code: str, modifier: str, day: date) -> Decimal | None:
        """The fee for the code (with the modifier's own row if there is one) on a date of service."""
        for key in ((code, modifier), (code, "")):
            for fee in self._by_code.get(key, ()):
                if fee.active_on(day):
                    return fee.amount
        return None


@cache
def default_table() -> MedicareFeeTable:
    return MedicareFeeTable.from_csv(resources.files(__package__).joinpath("data/medicare_fees.csv").read_text())


def _overlapping(fees: list[tuple[int, MedicareFee]]) -> list[FieldError]:
    """Two fees for the same code and modifier on the same day: which one applies would be a guess."""
    errors: list[FieldError] = []
    earlier: dict[tuple[str, str], list[tuple[int, MedicareFee]]] = {}
    for number, fee in fees:
        for other_number, other in earlier.get((fee.code, fee.modifier), ()):
            if fee.overlaps(other.effective_from, other.effective_to):
                errors.append(FieldError([f"line {number}", "effective_from"],
                                         f"overlaps line {other_number} ({other.effective_from} to "
                                         f"{other.effective_to or 'open'}) for {fee.code} {fee.modifier}".rstrip()))
                break
        earlier.setdefault((fee.code, fee.modifier), []).append((number, fee))
    return errors
