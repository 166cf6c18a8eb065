"""Posting one 835 transaction set (a parsed `x12.Remittance`) to our claims, in bulk.

Order of checks: the transaction must balance (005010X221A1 §1.10.2) or it is quarantined whole;
the payee must be one of our practices (N1*PE NPI, else TIN); the payment must not have been
posted already (TRN03:TRN02). Then each CLP is matched to a claim of that practice by patient
control number (or the payer's claim number, for corrections), its SVCs to claim lines
(`matching`), and posted; a claim that cannot be matched, or whose status cannot take the
payment, goes to the exceptions queue and nothing of it is posted. Rows are written with
executemany statements so a payment of 100,000 claims is a handful of round trips.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from openmso.agreements.enforcement import MsoAction, authorize
from openmso.core.errors import Conflict
from openmso.core.tenancy import Actor
from openmso.core.types import utcnow
from openmso.network.models import Payer, Practice
from openmso.rcm.claims.models import Claim, ClaimLine, split_codes
from openmso.rcm.claims.states import ClaimEvent, ClaimStatus, transition
from openmso.rcm.claims.timeline import Move, advance_many
from openmso.rcm.contracts.service import RateBook
from openmso.rcm.denials.models import DenialCase
from openmso.rcm.denials.rules import appeal_window, classify_denial
from openmso.rcm.remittance import matching
from openmso.rcm.remittance.matching import LineRef
from openmso.rcm.remittance.models import (
    ClaimPosting,
    LinePosting,
    PatientLedgerEntry,
    ProviderAdjustmentEntry,
    Remittance,
    RemittanceException,
)
from openmso.x12 import Remittance as X12Remittance
from openmso.x12 import check_balance

CHUNK = 2000
ZERO = Decimal("0.00")
_EVENTS = {"paid": ClaimEvent.PAY, "partially_paid": ClaimEvent.PAY_PARTIALLY, "denied": ClaimEvent.DENY}
_NOT_YET_ACCEPTED = (ClaimStatus.SUBMITTED, ClaimStatus.CLEARINGHOUSE_ACCEPTED)


@dataclass
class Context:
    """Per-file caches: practices by payee id, payers by id, contract rates per practice."""

    practices: dict[str, int | None] = field(default_factory=dict)
    payers: dict[str, tuple[int, str] | None] = field(default_factory=dict)
    rates: dict[int, RateBook] = field(default_factory=dict)


def _chunks(values: list, size: int = CHUNK):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _practice(db: Session, context: Context, remittance: X12Remittance) -> int | None:
    payee = remittance.payee
    key = f"{payee.npi or ''}|{payee.tin or ''}"
    if key not in context.practices:
        found = db.scalar(select(Practice.id).where(Practice.group_npi == payee.npi)) if payee.npi else None
        if found is None and payee.tin:
            found = db.scalar(select(Practice.id).where(Practice.tin == payee.tin))
        context.practices[key] = found
    return context.practices[key]


def _payer(db: Session, context: Context, remittance: X12Remittance) -> tuple[int, str] | None:
    code = remittance.payer.identifier or remittance.trace.originator_id
    if code not in context.payers:
        row = db.execute(select(Payer.id, Payer.line_of_business).where(Payer.payer_code == code)).first()
        context.payers[code] = tuple(row) if row else None
    return context.payers[code]


def _load_claims(db: Session, practice_id: int, remittance: X12Remittance) -> tuple[dict, dict]:
    pcns = sorted({c.patient_control_number for c in remittance.claims})
    columns = (Claim.id, Claim.patient_control_number, Claim.status, Claim.payer_id, Claim.patient_id,
               Claim.payer_claim_number)
    by_pcn, by_payer_number = {}, {}
    for chunk in _chunks(pcns):
        for row in db.execute(select(*columns).where(Claim.practice_id == practice_id,
                                                     Claim.patient_control_number.in_(chunk))):
            by_pcn[row.patient_control_number] = row
    missing = sorted({c.payer_claim_control_number for c in remittance.claims
                      if c.patient_control_number not in by_pcn and c.payer_claim_control_number})
    for chunk in _chunks(missing):
        for row in db.execute(select(*columns).where(Claim.practice_id == practice_id,
                                                     Claim.payer_claim_number.in_(chunk))):
            by_payer_number[row.payer_claim_number] = row
    return by_pcn, by_payer_number


def _load_lines(db: Session, claim_ids: list[int]) -> dict[int, list[LineRef]]:
    lines: dict[int, list[LineRef]] = {claim_id: [] for claim_id in claim_ids}
    for chunk in _chunks(claim_ids):
        for row in db.execute(select(ClaimLine.id, ClaimLine.claim_id, ClaimLine.line_number,
                                     ClaimLine.procedure_code, ClaimLine.modifiers, ClaimLine.units,
                                     ClaimLine.service_date).where(ClaimLine.claim_id.in_(chunk))
                              .order_by(ClaimLine.claim_id, ClaimLine.line_number)):
            lines[row.claim_id].append(LineRef(row.id, row.line_number, row.procedure_code,
                                               tuple(split_codes(row.modifiers)), row.units, row.service_date))
    return lines


def _other_practice_claim(db: Session, practice_id: int, pcn: str, payer_number: str) -> int | None:
    """A claim of another practice the payer seems to have meant (same control and payer claim number)."""
    if not payer_number:
        return None
    return db.scalar(select(Claim.practice_id).where(Claim.practice_id != practice_id,
                                                     Claim.patient_control_number == pcn,
                                                     Claim.payer_claim_number == payer_number).limit(1))


@dataclass
class _Batch:
    """Rows collected for one transaction, written together at the end."""

    claims: list[dict] = field(default_factory=list)
    lines: list[list[dict]] = field(default_factory=list)  # per claim posting
    patient: list[dict] = field(default_factory=list)
    denials: list[dict | None] = field(default_factory=list)  # per claim posting
    moves: list[Move] = field(default_factory=list)
    exceptions: list[dict] = field(default_factory=list)


def post_transaction(db: Session, actor: Actor, file_id: int, remittance: X12Remittance, context: Context,
                     record: Remittance) -> Remittance:
    """Post one parsed transaction set into `record` (already added); exceptions and all rows included."""
    findings = check_balance(remittance)
    if findings:
        record.status, record.error = "quarantined", "; ".join(str(f) for f in findings)[:4000]
        _exception(db, record, file_id, None, "unbalanced", f"ST {remittance.control_number}", record.error,
                   remittance.payment.amount)
        return record
    practice_id = _practice(db, context, remittance)
    if practice_id is None:
        payee = remittance.payee
        record.status = "unmatched"
        record.error = f"payee {payee.name} (NPI {payee.npi or '-'}, TIN {payee.tin or '-'}) is not a practice"
        _exception(db, record, file_id, None, "unknown_payee", "1000B N1*PE", record.error, remittance.payment.amount)
        return record
    authorize(db, actor, MsoAction.POST_PAYMENTS, practice_id, object_type="remittance")
    record.practice_id = practice_id
    dedupe_key = f"{remittance.trace.originator_id}:{remittance.trace.trace_number}"
    if db.scalar(select(Remittance.id).where(Remittance.dedupe_key == dedupe_key)) is not None:
        record.status, record.error = "duplicate", f"payment {dedupe_key} was posted before; nothing posted again"
        return record
    payer = _payer(db, context, remittance)
    record.payer_id = payer[0] if payer else None
    if practice_id not in context.rates:
        context.rates[practice_id] = RateBook.load(db, [practice_id])
    batch = _collect(db, practice_id, remittance, context.rates[practice_id], payer, record, file_id)
    _write(db, actor, batch, record)
    record.status, record.dedupe_key, record.posted_at = "posted", dedupe_key, utcnow()
    return record


def _exception(db, record, file_id, practice_id, kind, location, message, amount=None, pcn=None) -> None:
    db.add(RemittanceException(practice_id=practice_id, file_id=file_id, remittance_id=record.id, kind=kind,
                               patient_control_number=pcn, location=location[:200], message=message, amount=amount))
    record.exceptions += 1


def _collect(db, practice_id, remittance, rates: RateBook, payer, record, file_id) -> _Batch:
    by_pcn, by_payer_number = _load_claims(db, practice_id, remittance)
    lines = _load_lines(db, sorted({row.id for row in (*by_pcn.values(), *by_payer_number.values())}))
    paid_on = remittance.payment.date or remittance.production_date or date.today()
    deadline = paid_on + timedelta(days=appeal_window(payer[1] if payer else None).days)
    status_now: dict[int, str] = {}
    batch = _Batch()
    for position, clp in enumerate(remittance.claims, start=1):
        where = f"ST {remittance.control_number} CLP {position}"
        pcn = clp.patient_control_number
        claim = by_pcn.get(pcn) or by_payer_number.get(clp.payer_claim_control_number)
        if claim is None:
            other = _other_practice_claim(db, practice_id, pcn, clp.payer_claim_control_number)
            if other is not None:
                batch.exceptions.append(dict(practice_id=None, kind="wrong_practice", location=where, pcn=pcn,
                                             amount=clp.paid, message=f"claim {pcn} belongs to practice {other}, "
                                             f"but the payer paid practice {practice_id}; return or transfer"))
            else:
                batch.exceptions.append(dict(practice_id=practice_id, kind="unmatched_claim", location=where,
                                             pcn=pcn, amount=clp.paid,
                                             message=f"no claim {pcn} (payer claim "
                                                     f"{clp.payer_claim_control_number or '-'})"))
            continue
        matched, problems = matching.match_lines(claim.id, lines[claim.id], clp.service_lines)
        if problems:
            batch.exceptions.append(dict(practice_id=practice_id, kind="unmatched_line", location=where, pcn=pcn,
                                         amount=clp.paid, message="; ".join(problems)))
            continue
        claim_split = matching.split_adjustments(clp.adjustments)
        line_rows, denials, denial_reasons = [], [], []
        totals = [claim_split.contractual, claim_split.patient, claim_split.other]
        for service, line in zip(clp.service_lines, matched, strict=True):
            split = matching.split_adjustments(service.adjustments)
            denied = matching.line_denied(service.charge, service.paid, split)
            denials.append(denied)
            if denied or split.other:
                denial_reasons += split.reasons
            totals[0] += split.contractual
            totals[1] += split.patient
            totals[2] += split.other
            allowed = service.allowed_amount
            if allowed is None:
                allowed = service.charge - split.contractual - split.other
            units = int(service.units_paid) if service.units_paid is not None else line.units
            submitted = service.original_procedure.code if service.original_procedure else None
            line_rows.append({
                "practice_id": practice_id, "claim_line_id": line.id, "procedure_code": service.procedure.code[:5],
                "submitted_code": submitted, "modifiers": ":".join(service.procedure.modifiers), "units": units,
                "charge": service.charge, "paid": service.paid, "allowed": allowed,
                "contractual": split.contractual, "patient_responsibility": split.patient,
                "other_adjustment": split.other, "adjustments": split.text[:300],
                "remarks": ":".join(service.remark_codes)[:100], "denied": denied,
                "expected_allowed": None if clp.is_reversal else rates.expected(
                    practice_id, claim.payer_id, service.procedure.code, service.procedure.modifiers,
                    service.service_date or line.service_date, abs(units) or 1),
            })
        outcome = matching.claim_outcome(clp.status_code, denials, clp.paid, claim_split)
        current = status_now.get(claim.id, claim.status)
        events: tuple[ClaimEvent, ...] = ()
        if outcome != "reversed":
            events = ((ClaimEvent.PAYER_ACCEPT,) if current in _NOT_YET_ACCEPTED else ()) + (_EVENTS[outcome],)
            try:
                after = current
                for event in events:
                    after = transition(after, event)
            except Conflict as error:
                batch.exceptions.append(dict(practice_id=practice_id, kind="claim_status", location=where, pcn=pcn,
                                             amount=clp.paid, message=f"claim {pcn}: {error.detail}"))
                continue
            status_now[claim.id] = after.value
            extra = {"payer_claim_number": clp.payer_claim_control_number} if clp.payer_claim_control_number else {}
            batch.moves.append(Move(claim.id, practice_id, current, events,
                                    f"835 {remittance.trace.trace_number}: {outcome.replace('_', ' ')} {clp.paid}",
                                    extra))
        batch.claims.append({
            "practice_id": practice_id, "remittance_id": record.id, "claim_id": claim.id,
            "status_code": clp.status_code, "payer_claim_number": clp.payer_claim_control_number[:50],
            "charge": clp.charge, "paid": clp.paid, "contractual": totals[0], "patient_responsibility": totals[1],
            "other_adjustment": totals[2], "adjustments": claim_split.text, "outcome": outcome,
            "remarks": ":".join(r.value for r in clp.remarks)[:200], "payment_date": paid_on,
        })
        batch.lines.append(line_rows)
        if totals[1]:
            batch.patient.append({"practice_id": practice_id, "patient_id": claim.patient_id, "claim_id": claim.id,
                                  "kind": "responsibility", "amount": totals[1], "entered_on": paid_on,
                                  "detail": f"835 {remittance.trace.trace_number} claim {pcn}"})
        denied_amount = totals[2]
        if outcome in ("denied", "partially_paid") and denied_amount > 0:
            remarks = sorted({code for service in clp.service_lines for code in service.remark_codes}
                             | {r.value for r in clp.remarks})
            found = classify_denial(denial_reasons + list(claim_split.reasons), remarks)
            batch.denials.append({"practice_id": practice_id, "claim_id": claim.id, "category": found.category.value,
                                  "rule_id": found.rule_id, "amount": denied_amount, "appeal_deadline": deadline,
                                  "reasons": " ".join(f"{g}:{c}" for g, c in dict.fromkeys(
                                      denial_reasons + list(claim_split.reasons)))[:300],
                                  "remarks": ":".join(remarks)[:100], "suggested_action": found.action.value})
        else:
            batch.denials.append(None)
    return batch


def _write(db: Session, actor: Actor, batch: _Batch, record: Remittance) -> None:
    for item in batch.exceptions:
        _exception(db, record, record.file_id, item["practice_id"], item["kind"], item["location"], item["message"],
                   item["amount"], item["pcn"])
    if batch.claims:
        ids = db.execute(insert(ClaimPosting).returning(ClaimPosting.id, sort_by_parameter_order=True),
                         batch.claims).scalars().all()
        line_rows = [{**row, "claim_posting_id": posting_id}
                     for posting_id, rows in zip(ids, batch.lines, strict=True) for row in rows]
        if line_rows:
            db.execute(insert(LinePosting), line_rows)
        denials = [{**row, "claim_posting_id": posting_id}
                   for posting_id, row in zip(ids, batch.denials, strict=True) if row is not None]
        if denials:
            db.execute(insert(DenialCase), denials)
        record.claims_posted, record.lines_posted = len(ids), len(line_rows)
    if batch.patient:
        db.execute(insert(PatientLedgerEntry), batch.patient)
    advance_many(db, actor, batch.moves)


def post_provider_adjustments(db: Session, record: Remittance, remittance: X12Remittance) -> None:
    """PLB rows on the practice's provider ledger (recoupments, interest, forward balances)."""
    if record.status == "posted" and remittance.provider_adjustments:
        db.execute(insert(ProviderAdjustmentEntry), [
            {"practice_id": record.practice_id, "remittance_id": record.id, "provider_identifier": plb.provider_id,
             "fiscal_period_date": plb.fiscal_period_date, "reason_code": plb.reason_code[:2],
             "reference": plb.reference[:50], "amount": plb.amount} for plb in remittance.provider_adjustments])
