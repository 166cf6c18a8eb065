"""Bank deposits (CSV from the bank) and their reconciliation with 835 payments by trace number.

An 835's BPR02 and TRN02 must match a deposit's amount and trace number (the EFT's reassociation
trace, CCD+ addenda TRN segment; NACHA Operating Rules, CAQH CORE 370). A deposit with the trace
but another amount is an exception, not a match.

CSV columns: deposit_date, amount, trace_number — required; payer — optional. Every row is checked
and every bad field reported by line and column; a file with any problem imports nothing, and a
deposit already on file (same date, amount and trace number) is a problem, so the same bank file
imported twice does not count its money twice.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from openmso.agreements.enforcement import MsoAction, authorize
from openmso.core import audit, csv_input
from openmso.core.errors import FieldError, Invalid
from openmso.core.tenancy import Actor, ensure_can_write, visible
from openmso.network.service import get_practice
from openmso.rcm.remittance.models import Deposit, Remittance, RemittanceException

COLUMNS = ("deposit_date", "amount", "trace_number", "payer")
REQUIRED = ("deposit_date", "amount", "trace_number")
# One EFT of a billion or more to a practice is a typo (a pasted account number, a missing decimal
# point), and the bound keeps every amount far inside the database's 64-bit integer cents.
AMOUNT_BELOW = Decimal("1000000000.00")
TRACE_LENGTH = 50  # TRN02 is at most 50 characters (X12 835 TR3, 1000 TRN02)
PAYER_LENGTH = 120


def _text(limit: int):
    def within(text: str) -> str:
        if len(text) > limit:
            raise ValueError(f"{len(text)} characters; at most {limit} fit (nothing is cut off)")
        return text
    return within


def _deposit(row: dict[str, str], number: int, found: list[FieldError]) -> tuple | None:
    """(date, amount, trace number, payer) of one row, or None with each bad field in `found`."""
    day = csv_input.field(row, number, "deposit_date", csv_input.parse_date, found)
    amount = csv_input.field(row, number, "amount", csv_input.parse_amount, found, below=AMOUNT_BELOW, positive=True)
    trace = csv_input.field(row, number, "trace_number", _text(TRACE_LENGTH), found)
    payer = csv_input.field(row, number, "payer", _text(PAYER_LENGTH), found, required=False) or ""
    return None if found else (day, amount, trace, payer)


def parse_deposits(text: str) -> tuple[dict[tuple, tuple[int, str]], list[FieldError]]:
    """{(date, amount, trace number): (line, payer)} and every located problem; no writes. The same
    deposit twice in one file is a problem naming both lines: a bank lists each EFT once."""
    rows: dict[tuple, tuple[int, str]] = {}
    errors: list[FieldError] = []
    for number, row in csv_input.read_rows(text, COLUMNS, REQUIRED, errors):
        found: list[FieldError] = []
        deposit = _deposit(row, number, found)
        errors += found
        if deposit is None:
            continue
        key, payer = deposit[:3], deposit[3]
        if key in rows:
            errors.append(FieldError([f"line {number}"], f"the same deposit as line {rows[key][0]} (date, amount "
                                                         "and trace number): a deposit is listed once"))
            continue
        rows[key] = (number, payer)
    return rows, errors


def _already_on_file(db: Session, actor: Actor, practice_id: int, rows: dict[tuple, tuple[int, str]]) -> list:
    """A deposit with the same date, amount and trace number is already on file: importing the same
    bank file again must not count the money twice."""
    if not rows:
        return []
    days = [day for day, _, _ in rows]
    on_file = db.execute(visible(select(Deposit.deposit_date, Deposit.amount, Deposit.trace_number, Deposit.source),
                                 actor, Deposit)
                         .where(Deposit.practice_id == practice_id, Deposit.deposit_date.between(min(days), max(days))))
    found = {(day, amount, trace): source for day, amount, trace, source in on_file if (day, amount, trace) in rows}
    return [FieldError([f"line {rows[key][0]}"], f"already on file ({source}): deposit of {key[1]} on {key[0]} "
                                                 f"with trace number {key[2]}") for key, source in found.items()]


def import_deposits(db: Session, actor: Actor, practice_id: int, text: str, filename: str = "deposits.csv") -> int:
    """Load a practice's bank deposits (all rows or none) and reconcile them with posted 835s."""
    get_practice(db, actor, practice_id)
    ensure_can_write(actor, practice_id)
    authorize(db, actor, MsoAction.POST_PAYMENTS, practice_id, object_type="deposit")
    filename = csv_input.source_name(filename)
    rows, errors = parse_deposits(text)
    errors += _already_on_file(db, actor, practice_id, rows)
    if errors:
        raise Invalid(f"{len(errors)} problem(s) in {filename}; nothing was imported",
                      errors=csv_input.in_line_order(errors))
    db.add_all(Deposit(practice_id=practice_id, deposit_date=day, amount=amount, trace_number=trace,
                       payer_name=payer, source=f"{filename} line {number}")
               for (day, amount, trace), (number, payer) in rows.items())
    db.flush()
    matched = reconcile(db, practice_id)
    audit.record(db, actor, "deposit.import", "practice", practice_id, practice_id=practice_id,
                 reason=f"{filename}: {len(rows)} deposit(s), {matched} matched")
    return len(rows)


def reconcile(db: Session, practice_id: int) -> int:
    """Link the practice's posted, unreconciled payments to deposits with their trace number."""
    waiting = db.scalars(select(Remittance).where(Remittance.practice_id == practice_id,
                                                  Remittance.status == "posted", Remittance.deposit_id.is_(None),
                                                  Remittance.payment_amount > 0)).all()
    if not waiting:
        return 0
    taken = set(db.scalars(select(Remittance.deposit_id).where(Remittance.deposit_id.is_not(None))))
    deposits: dict[str, list[Deposit]] = {}
    for deposit in db.scalars(select(Deposit).where(Deposit.practice_id == practice_id,
                                                    Deposit.trace_number.in_({r.trace_number for r in waiting}))):
        if deposit.id not in taken:
            deposits.setdefault(deposit.trace_number, []).append(deposit)
    matched = 0
    for remittance in waiting:
        candidates = deposits.get(remittance.trace_number, [])
        exact = next((d for d in candidates if d.amount == remittance.payment_amount), None)
        if exact is not None:
            remittance.deposit_id = exact.id
            candidates.remove(exact)
            matched += 1
        elif candidates:
            already = db.scalar(select(RemittanceException.id).where(
                RemittanceException.remittance_id == remittance.id, RemittanceException.kind == "deposit_mismatch"))
            if already is None:
                db.add(RemittanceException(
                    practice_id=practice_id, file_id=remittance.file_id, remittance_id=remittance.id,
                    kind="deposit_mismatch", location=f"BPR02/TRN02 {remittance.trace_number}",
                    amount=remittance.payment_amount,
                    message=f"the 835 pays {remittance.payment_amount} but deposit(s) with trace "
                            f"{remittance.trace_number} hold {', '.join(str(d.amount) for d in candidates)}"))
    db.flush()
    return matched
