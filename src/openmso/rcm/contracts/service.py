"""Contract use cases: import a practice's payer fee schedule (CSV) and price a line against it.

CSV columns (header required, order free): payer (the electronic payer id), code, modifier,
allowed_amount or percent_of_medicare (exactly one), effective_from, effective_to (blank: open).
Every row is checked and every problem reported by line and column; a file with any bad row
imports nothing. Two rates for the same payer, code and modifier may not overlap in time — in the
file or against what is already on file — because then the expected amount would be a guess.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from openmso.agreements.enforcement import MsoAction, authorize
from openmso.core import audit
from openmso.core.errors import FieldError, Invalid
from openmso.core.tenancy import Actor, ensure_can_write, visible
from openmso.core.types import CENT
from openmso.network.models import Payer
from openmso.network.service import get_practice
from openmso.rcm.contracts.medicare import MedicareFeeTable, default_table
from openmso.rcm.contracts.models import ContractRate

COLUMNS = ("payer", "code", "modifier", "allowed_amount", "percent_of_medicare", "effective_from", "effective_to")
REQUIRED = ("payer", "code", "effective_from")


@dataclass
class RateImport:
    imported: int = 0
    errors: list[FieldError] = field(default_factory=list)


def _date(text: str, where: list, errors: list[FieldError]) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors.append(FieldError(where, f"{text!r} is not a date (YYYY-MM-DD)"))
        return None


def _amount(text: str, where: list, errors: list[FieldError], what: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        errors.append(FieldError(where, f"{text!r} is not {what}"))
        return None
    if not value.is_finite() or value < 0 or value != value.quantize(CENT):
        errors.append(FieldError(where, f"{text!r} is not {what} (non-negative, at most two decimals)"))
        return None
    return value


def _overlaps(a_from: date, a_to: date | None, b_from: date, b_to: date | None) -> bool:
    return (b_to is None or a_from <= b_to) and (a_to is None or b_from <= a_to)


def parse_rates(db: Session, text: str) -> tuple[list[dict], list[FieldError]]:
    """Rows ready to insert (without practice) and every located problem; no writes."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        return [], [FieldError(["line 1"], f"missing column(s): {', '.join(missing)}; expected {', '.join(COLUMNS)}")]
    payers = dict(db.execute(select(Payer.payer_code, Payer.id)).all())
    rows, errors = [], []
    for number, raw in enumerate(reader, start=2):
        row = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        at = f"line {number}"
        found: list[FieldError] = []
        payer_id = payers.get(row.get("payer", ""))
        if payer_id is None:
            found.append(FieldError([at, "payer"], f"no payer with electronic id {row.get('payer')!r}"))
        code, modifier = row.get("code", "").upper(), row.get("modifier", "").upper()
        if not (len(code) == 5 and code.isalnum()):
            found.append(FieldError([at, "code"], f"{code!r} is not a 5-character CPT/HCPCS code"))
        if modifier and not (len(modifier) == 2 and modifier.isalnum()):
            found.append(FieldError([at, "modifier"], f"{modifier!r} is not a 2-character modifier"))
        amount_text, percent_text = row.get("allowed_amount", ""), row.get("percent_of_medicare", "")
        if bool(amount_text) == bool(percent_text):
            found.append(FieldError([at, "allowed_amount"], "give exactly one of allowed_amount and "
                                                            "percent_of_medicare"))
        amount = _amount(amount_text, [at, "allowed_amount"], found, "an amount") if amount_text else None
        percent = _amount(percent_text, [at, "percent_of_medicare"], found, "a percentage") if percent_text else None
        start = _date(row.get("effective_from", ""), [at, "effective_from"], found)
        end = _date(row["effective_to"], [at, "effective_to"], found) if row.get("effective_to") else None
        if start and end and end < start:
            found.append(FieldError([at, "effective_to"], "ends before it starts"))
        if not found:
            rows.append({"payer_id": payer_id, "procedure_code": code, "modifier": modifier, "allowed_amount": amount,
                         "percent_of_medicare": percent, "effective_from": start, "effective_to": end,
                         "line_number": number})
        errors += found
    return rows, errors


def import_rates(db: Session, actor: Actor, practice_id: int, text: str, filename: str = "upload.csv") -> RateImport:
    """Load a fee schedule for one practice: all rows or, with any problem, none (`Invalid` lists them)."""
    get_practice(db, actor, practice_id)
    ensure_can_write(actor, practice_id)
    authorize(db, actor, MsoAction.POST_PAYMENTS, practice_id, object_type="contract_rate")
    rows, errors = parse_rates(db, text)
    existing = db.scalars(visible(select(ContractRate), actor).where(ContractRate.practice_id == practice_id)).all()
    seen: dict[tuple, list[tuple]] = {}
    for rate in existing:
        key = (rate.payer_id, rate.procedure_code, rate.modifier)
        seen.setdefault(key, []).append((rate.effective_from, rate.effective_to, rate.source))
    for row in rows:
        key = (row["payer_id"], row["procedure_code"], row["modifier"])
        for start, end, where in seen.get(key, ()):
            if _overlaps(row["effective_from"], row["effective_to"], start, end):
                errors.append(FieldError([f"line {row['line_number']}", "effective_from"],
                                         f"overlaps the rate from {start} to {end or 'open'} ({where})"))
                break
        seen.setdefault(key, []).append((row["effective_from"], row["effective_to"],
                                         f"{filename} line {row['line_number']}"))
    if errors:
        raise Invalid(f"{len(errors)} problem(s) in {filename}; nothing was imported", errors=errors)
    if rows:
        db.execute(insert(ContractRate), [{**row, "practice_id": practice_id, "created_by": actor.username,
                                           "source": f"{filename} line {row['line_number']}"[:200]} for row in rows])
    audit.record(db, actor, "contract_rate.import", "practice", practice_id, practice_id=practice_id,
                 reason=f"{filename}: {len(rows)} rate(s)")
    return RateImport(imported=len(rows))


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
                if rate.covers(day):
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
    get_practice(db, actor, practice_id)
    return list(db.scalars(visible(select(ContractRate), actor).where(ContractRate.practice_id == practice_id)
                           .order_by(ContractRate.payer_id, ContractRate.procedure_code, ContractRate.modifier,
                                     ContractRate.effective_from)))
