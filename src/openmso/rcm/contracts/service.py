"""Contract use cases: import a practice's payer fee schedule (CSV) and price a line against it.

CSV columns (header required, order free): payer (the electronic payer id), code, modifier,
allowed_amount or percent_of_medicare (exactly one), effective_from, effective_to (blank: open).
Every row is checked and every problem reported by line and column; a file with any bad row
imports nothing. Two rates for the same payer, code and modifier may not overlap in time — in the
file or against what is already on file — because then the expected amount would be a guess.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from openmso.agreements.enforcement import MsoAction, authorize
from openmso.core import audit, csv_input
from openmso.core.effective_dates import overlaps
from openmso.core.errors import FieldError, Invalid
from openmso.core.pagination import PageParams, Slice, fetch_page
from openmso.core.tenancy import Actor, ensure_can_write, visible
from openmso.core.types import CENT
from openmso.network.models import Payer
from openmso.network.service import get_practice
from openmso.rcm.contracts.medicare import MedicareFeeTable, default_table, procedure_code, procedure_modifier
from openmso.rcm.contracts.models import ContractRate

COLUMNS = ("payer", "code", "modifier", "allowed_amount", "percent_of_medicare", "effective_from", "effective_to")
REQUIRED = ("payer", "code", "effective_from")
# A procedure's allowed amount of ten million or more, or a rate above ten times Medicare, is a typo (a
# misplaced decimal point, a pasted total), not a contract term. The bounds also keep every value inside
# the database's integers: cents in a 64-bit integer, basis points in PostgreSQL's 32-bit one.
ALLOWED_BELOW = Decimal("10000000.00")
PERCENT_AT_MOST = Decimal("1000")


@dataclass
class RateImport:
    imported: int = 0
    by_payer: dict[str, int] = field(default_factory=dict)


def _rate_row(row: dict[str, str], number: int, payers: dict[str, int], found: list[FieldError]) -> dict:
    at = f"line {number}"
    payer_id = payers.get(row.get("payer", ""))
    if payer_id is None:
        found.append(FieldError([at, "payer"], f"no payer with electronic id {row.get('payer', '')!r}"))
    code = csv_input.field(row, number, "code", procedure_code, found)
    modifier = csv_input.field(row, number, "modifier", procedure_modifier, found, required=False) or ""
    amount = percent = None
    if bool(row.get("allowed_amount")) == bool(row.get("percent_of_medicare")):
        found.append(FieldError([at, "allowed_amount"], "give exactly one of allowed_amount and percent_of_medicare"))
    elif row.get("allowed_amount"):
        amount = csv_input.field(row, number, "allowed_amount", csv_input.parse_amount, found, below=ALLOWED_BELOW)
    else:
        percent = csv_input.field(row, number, "percent_of_medicare", csv_input.parse_amount, found,
                                  at_most=PERCENT_AT_MOST)
    start = csv_input.field(row, number, "effective_from", csv_input.parse_date, found)
    end = csv_input.field(row, number, "effective_to", csv_input.parse_date, found, required=False)
    if start and end and end < start:
        found.append(FieldError([at, "effective_to"], f"ends ({end}) before it starts ({start})"))
    return {"payer_id": payer_id, "procedure_code": code, "modifier": modifier, "allowed_amount": amount,
            "percent_of_medicare": percent, "effective_from": start, "effective_to": end, "line_number": number}


def parse_rates(db: Session, text: str) -> tuple[list[dict], list[FieldError]]:
    """Rows ready to insert (without practice) and every located problem; no writes."""
    payers = dict(db.execute(select(Payer.payer_code, Payer.id)).all())
    rows: list[dict] = []
    errors: list[FieldError] = []
    for number, row in csv_input.read_rows(text, COLUMNS, REQUIRED, errors):
        found: list[FieldError] = []
        parsed = _rate_row(row, number, payers, found)
        if not found:
            rows.append(parsed)
        errors += found
    return rows, errors


def import_rates(db: Session, actor: Actor, practice_id: int, text: str, filename: str = "upload.csv") -> RateImport:
    """Load a fee schedule for one practice: all rows or, with any problem, none (`Invalid` lists them).

    Allowed amounts must be below ALLOWED_BELOW and percentages at most PERCENT_AT_MOST: larger values
    are typos, and would overflow the integer cents and basis points the database keeps them in."""
    get_practice(db, actor, practice_id)
    ensure_can_write(actor, practice_id)
    authorize(db, actor, MsoAction.POST_PAYMENTS, practice_id, object_type="contract_rate")
    filename = csv_input.source_name(filename)
    rows, errors = parse_rates(db, text)
    existing = db.scalars(visible(select(ContractRate), actor).where(ContractRate.practice_id == practice_id)).all()
    seen: dict[tuple, list[tuple]] = {}
    for rate in existing:
        key = (rate.payer_id, rate.procedure_code, rate.modifier)
        seen.setdefault(key, []).append((rate.effective_from, rate.effective_to, rate.source))
    for row in rows:
        key = (row["payer_id"], row["procedure_code"], row["modifier"])
        for start, end, where in seen.get(key, ()):
            if overlaps(row["effective_from"], row["effective_to"], start, end):
                errors.append(FieldError([f"line {row['line_number']}", "effective_from"],
                                         f"overlaps the rate from {start} to {end or 'open'} ({where})"))
                break
        seen.setdefault(key, []).append((row["effective_from"], row["effective_to"],
                                         f"{filename} line {row['line_number']}"))
    if errors:
        raise Invalid(f"{len(errors)} problem(s) in {filename}; nothing was imported",
                      errors=csv_input.in_line_order(errors))
    if rows:
        db.execute(insert(ContractRate), [{**row, "practice_id": practice_id, "created_by": actor.username,
                                           "source": f"{filename} line {row['line_number']}"} for row in rows])
    audit.record(db, actor, "contract_rate.import", "practice", practice_id, practice_id=practice_id,
                 reason=f"{filename}: {len(rows)} rate(s)")
    payer_ids = {row["payer_id"] for row in rows}
    codes = dict(db.execute(select(Payer.id, Payer.payer_code).where(Payer.id.in_(payer_ids))).all())
    return RateImport(imported=len(rows), by_payer=dict(Counter(codes[row["payer_id"]] for row in rows)))


_PRICED_LIMIT = 65536


class RateBook:
    """The contract rates of some practices in memory, for pricing many lines (posting, worklists)."""

    def __init__(self, rates, medicare: MedicareFeeTable | None = None):
        self.medicare = medicare or default_table()
        self._rates: dict[tuple, list] = {}
        self._priced: dict[tuple, Decimal | None] = {}
        for rate in rates:
            self._rates.setdefault((rate.practice_id, rate.payer_id, rate.procedure_code, rate.modifier),
                                   []).append(rate)

    @classmethod
    def load(cls, db: Session, practice_ids, medicare: MedicareFeeTable | None = None) -> RateBook:
        ids = sorted(set(practice_ids))
        rates = db.scalars(select(ContractRate).where(ContractRate.practice_id.in_(ids))).all() if ids else []
        return cls(rates, medicare)

    def expected(self, practice_id: int, payer_id: int | None, code: str, modifiers: list[str] | tuple[str, ...],
                 day: date, units: Decimal | int = 1) -> Decimal | None:
        """The allowed amount the contract promises for the line, or None when no term covers it.

        Remembered (bounded): posting prices the same code, date and units on thousands of lines."""
        key = (practice_id, payer_id, code, tuple(modifiers), day, units)
        try:
            return self._priced[key]
        except KeyError:
            pass
        price = self._price(practice_id, payer_id, code, modifiers, day, units)
        if len(self._priced) < _PRICED_LIMIT:
            self._priced[key] = price
        return price

    def _price(self, practice_id, payer_id, code, modifiers, day, units) -> Decimal | None:
        first = modifiers[0] if modifiers else ""
        for modifier in dict.fromkeys((first, "")):
            for rate in self._rates.get((practice_id, payer_id, code, modifier), ()):
                if rate.active_on(day):
                    if rate.allowed_amount is not None:
                        each = rate.allowed_amount
                    else:
                        fee = self.medicare.fee(code, first, day)
                        if fee is None:
                            return None
                        each = fee * rate.percent_of_medicare / 100
                    return (each * Decimal(units)).quantize(CENT, rounding=ROUND_HALF_UP)
        return None


def expected_allowed(db: Session, actor: Actor, practice_id: int, payer_id: int, code: str, modifiers: list[str],
                     day: date, units: int = 1) -> Decimal | None:
    """What the practice's contract with the payer allows for one line on a date of service."""
    get_practice(db, actor, practice_id)
    rates = db.scalars(visible(select(ContractRate), actor).where(ContractRate.practice_id == practice_id,
                                                                  ContractRate.payer_id == payer_id,
                                                                  ContractRate.procedure_code == code)).all()
    return RateBook(rates).expected(practice_id, payer_id, code, modifiers, day, units)


def list_rates(db: Session, actor: Actor, practice_id: int) -> list[ContractRate]:
    """Every rate on file for one practice, by payer, code, modifier and start date."""
    return rates_page(db, actor, practice_id, RateFilter(), PageParams(limit=2**31 - 1)).rows


@dataclass(frozen=True, slots=True)
class RateFilter:
    payer_id: int | None = None
    code: str | None = None  # a procedure code or its beginning


def rates_page(db: Session, actor: Actor, practice_id: int, criteria: RateFilter, params: PageParams) -> Slice:
    """A page of one practice's rates on file, optionally of one payer and of codes beginning with a text."""
    get_practice(db, actor, practice_id)
    query = visible(select(ContractRate), actor).where(ContractRate.practice_id == practice_id)
    if criteria.payer_id is not None:
        query = query.where(ContractRate.payer_id == criteria.payer_id)
    if criteria.code:
        query = query.where(ContractRate.procedure_code.startswith(criteria.code.strip().upper(), autoescape=True))
    return fetch_page(db, query.order_by(ContractRate.payer_id, ContractRate.procedure_code, ContractRate.modifier,
                                         ContractRate.effective_from, ContractRate.id), params)


def rate_payers(db: Session, actor: Actor, practice_id: int) -> list[Payer]:
    """The payers a practice has rates on file with (payers are shared by the network, not a tenant's rows)."""
    get_practice(db, actor, practice_id)
    with_rates = visible(select(ContractRate.payer_id), actor, ContractRate).where(
        ContractRate.practice_id == practice_id)
    return list(db.scalars(select(Payer).where(Payer.id.in_(with_rates)).order_by(Payer.name, Payer.id)))


def rate_counts(db: Session, actor: Actor) -> dict[int, int]:
    """How many rates each practice the actor sees has on file."""
    query = visible(select(ContractRate.practice_id, func.count()), actor, ContractRate)
    return dict(db.execute(query.group_by(ContractRate.practice_id)).all())
