"""Bank deposits (CSV from the bank) and their reconciliation with 835 payments by trace number.

An 835's BPR02 and TRN02 must match a deposit's amount and trace number (the EFT's reassociation
trace, CCD+ addenda TRN segment; NACHA Operating Rules, CAQH CORE 370). A deposit with the trace
but another amount is an exception, not a match.

CSV columns: deposit_date, amount, trace_number — required; payer — optional.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from openmso.agreements.enforcement import MsoAction, authorize
from openmso.core import audit
from openmso.core.errors import FieldError, Invalid
from openmso.core.tenancy import Actor, ensure_can_write
from openmso.network.service import get_practice
from openmso.rcm.remittance.models import Deposit, Remittance, RemittanceException

REQUIRED = ("deposit_date", "amount", "trace_number")


def import_deposits(db: Session, actor: Actor, practice_id: int, text: str, filename: str = "deposits.csv") -> int:
    """Load a practice's bank deposits (all rows or none) and reconcile them with posted 835s."""
    get_practice(db, actor, practice_id)
    ensure_can_write(actor, practice_id)
    authorize(db, actor, MsoAction.POST_PAYMENTS, practice_id, object_type="deposit")
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise Invalid(f"{filename}: missing column(s) {', '.join(missing)}",
                      errors=[FieldError(["line 1"], f"missing column(s): {', '.join(missing)}")])
    rows, errors = [], []
    for number, raw in enumerate(reader, start=2):
        row = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        try:
            day = date.fromisoformat(row["deposit_date"])
        except ValueError:
            errors.append(FieldError([f"line {number}", "deposit_date"], f"{row['deposit_date']!r} is not a date"))
            continue
        try:
            amount = Decimal(row["amount"].replace(",", ""))
            if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
                raise InvalidOperation
        except InvalidOperation:
            errors.append(FieldError([f"line {number}", "amount"], f"{row['amount']!r} is not an amount"))
            continue
        if not row["trace_number"]:
            errors.append(FieldError([f"line {number}", "trace_number"], "required"))
            continue
        rows.append(Deposit(practice_id=practice_id, deposit_date=day, amount=amount,
                            trace_number=row["trace_number"][:50], payer_name=row.get("payer", "")[:120],
                            source=f"{filename} line {number}"[:200]))
    if errors:
        raise Invalid(f"{len(errors)} problem(s) in {filename}; nothing was imported", errors=errors)
    db.add_all(rows)
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
