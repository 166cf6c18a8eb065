"""Posting one 835 transaction set (an `x12.Remittance`, read in pieces) to our claims, in bulk.

Order of checks: the transaction must balance (005010X221A1 §1.10.2) or it is quarantined whole;
the payee must be one of our practices (N1*PE NPI, else TIN); the payment must not have been
posted already (TRN03:TRN02). Then each CLP is matched to a claim of that practice by patient
control number (or the payer's claim number, for corrections), its SVCs to claim lines
(`matching`), and posted; a claim that cannot be matched, or whose status cannot take the
payment, goes to the exceptions queue and nothing of it is posted. A claim billed after another
payer (secondary, tertiary) is posted the same way, except that its payer's CARC 23 (the earlier
payers' decision it repeats) opens no denial, and the patient's share moves to what this payer says
the patient owes (`secondary`); only pieces with such claims pay for that (a few queries). A first payer's
claim adjudicated again without a reversal (a denial paid on appeal, a payment sent twice) puts on the patient
ledger what the new decision changes in the patient's share, not the new share whole
(`later_payers.patient_share_change`, the rule aging and the KPIs read too); only such claims are read again.

A payment is posted piece by piece as it is read (`TransactionPosting`: `start` with the header,
`post` each piece of claims, `finish` with the balance and the PLBs), so memory holds one piece,
not the payment. The caller runs it inside a savepoint and rolls it back when the payment turns
out not to balance or not to read. Each piece loads its claims and their lines with one query
each and writes its rows in bulk (`posting_writes`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from openmso.agreements.enforcement import MsoAction, authorize
from openmso.core.errors import Conflict
from openmso.core.tenancy import Actor
from openmso.core.types import utcnow
from openmso.network.models import Payer, Practice
from openmso.rcm.ar import later_payers
from openmso.rcm.ar.reversals import PostingKey
from openmso.rcm.claims.models import TimelineEntry
from openmso.rcm.claims.states import ClaimEvent, ClaimStatus, transition
from openmso.rcm.contracts.service import RateBook
from openmso.rcm.denials.models import DenialCase
from openmso.rcm.denials.rules import appeal_window, classify_denial
from openmso.rcm.remittance import lookups, matching, secondary
from openmso.rcm.remittance.lookups import ClaimRef
from openmso.rcm.remittance.matching import LineRef
from openmso.rcm.remittance.models import (
    ClaimPosting,
    LinePosting,
    PatientLedgerEntry,
    ProviderAdjustmentEntry,
    Remittance,
    RemittanceException,
)
from openmso.rcm.remittance.posting_writes import (
    close_overpayment_flags,
    insert_rows,
    set_claim_statuses,
    settle_earlier_denials,
    take_ids,
)
from openmso.x12 import BalanceFinding, check_balance
from openmso.x12 import Remittance as X12Remittance

ZERO = Decimal("0.00")
_EVENTS = {"paid": ClaimEvent.PAY, "partially_paid": ClaimEvent.PAY_PARTIALLY, "denied": ClaimEvent.DENY}
_NOT_YET_ACCEPTED = (ClaimStatus.SUBMITTED, ClaimStatus.CLEARINGHOUSE_ACCEPTED)
_ADJUDICATED = (ClaimStatus.PAID, ClaimStatus.PARTIALLY_PAID, ClaimStatus.DENIED)
_AGAIN = (*_ADJUDICATED, ClaimStatus.CLOSED)  # a posting to a claim in these adjudicates it again (or reverses it)
CODE_SIZE = LinePosting.procedure_code.type.length  # a HCPCS/CPT code; an NDC or longer code is not ours
MODIFIERS_SIZE = LinePosting.modifiers.type.length  # up to four 2-character modifiers, ":"-separated


@dataclass
class Context:
    """Per-file caches: practices by payee id, payers by id, contract rates per practice."""

    practices: dict[str, int | None] = field(default_factory=dict)
    payers: dict[str, tuple[int, str] | None] = field(default_factory=dict)
    rates: dict[int, RateBook] = field(default_factory=dict)


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


@dataclass
class _Found:
    """The rows one piece's claims refer to: our claims by patient control number and by payer claim
    number, their lines, and the other practices that claims not ours belong to."""

    by_pcn: dict[str, ClaimRef]
    by_payer_number: dict[str, ClaimRef]
    lines: dict[int, list[LineRef]]
    others: dict[tuple[str, str], int]
    shares: secondary.PatientShares  # the patient ledger of claims billed after another payer's (COB)
    # later payers' claims following an earlier claim the piece adjudicates again, and their postings
    resettle: list[secondary.Following] = field(default_factory=list)
    later_postings: dict[int, list[later_payers.LaterPosting]] = field(default_factory=dict)
    # first payers' claims the payer adjudicated before this piece (`_AGAIN`): their postings so far
    decided: dict[int, list[later_payers.LaterPosting]] = field(default_factory=dict)
    # corrections (replacements, voids) → the claims they correct, whose postings in the piece come before theirs
    corrects: dict[int, list[int]] = field(default_factory=dict)
    # the postings so far of the claims later payers' corrections in the piece correct (whose decision may stand again)
    originals: dict[int, list[later_payers.LaterPosting]] = field(default_factory=dict)
    reversed_here: set[int] = field(default_factory=set)  # later payers' claims whose payment the piece reversed


def _look_up(db: Session, practice_id: int, remittance: X12Remittance) -> _Found:
    """What the piece's claims refer to, one query per table; a few more only when the piece pays a claim billed
    after another (COB) or adjudicates again a first payer's claim (`_AGAIN`): the postings it already has (the
    patient's share moves by what the new decision changes) and the later payers' claims that may follow it."""
    claims = remittance.claims
    by_pcn = lookups.claims_by(db, practice_id, "patient_control_number", (c.patient_control_number for c in claims))
    missing = [c.payer_claim_control_number for c in claims
               if c.patient_control_number not in by_pcn and c.payer_claim_control_number]
    by_payer_number = lookups.claims_by(db, practice_id, "payer_claim_number", missing)
    lines = lookups.lines_of(db, [row.id for row in (*by_pcn.values(), *by_payer_number.values())])
    others = lookups.other_practices(db, practice_id, [
        (c.patient_control_number, c.payer_claim_control_number) for c in claims
        if c.patient_control_number not in by_pcn and c.payer_claim_control_number not in by_payer_number])
    matched = (*by_pcn.values(), *by_payer_number.values())
    again = [(row.id, row.patient_id) for row in matched if row.primary_claim_id is None and row.status in _AGAIN]
    resettle = secondary.following(db, again) if again else []
    later_corrections = {row.id: row.original_claim_id for row in matched
                         if row.primary_claim_id is not None and row.original_claim_id}
    later_corrected = later_payers.corrected_claims(db, later_corrections) if later_corrections else {}
    shares = secondary.load(db, practice_id, {(row.id, row.primary_claim_id, row.patient_id)
                                              for row in (*matched, *resettle) if row.primary_claim_id is not None},
                            later_corrected or None)
    # a correction decides its service anew: its patient share moves from what the claims it corrects left
    corrects = later_payers.corrected_claims(db, {row.id: row.original_claim_id for row in matched
                                                  if row.primary_claim_id is None and row.original_claim_id})
    posted = later_payers.first_payer_postings(db, sorted({*(claim_id for claim_id, _ in again), *corrects,
                                                           *(c for chain in corrects.values() for c in chain)}))
    decided = {claim_id: posted.get(claim_id, []) for claim_id, _ in again}
    decided.update({correction: sorted((p for claim_id in (correction, *chain) for p in posted.get(claim_id, ())),
                                       key=lambda p: p.key.id) for correction, chain in corrects.items()})
    originals = sorted({claim_id for chain in later_corrected.values() for claim_id in chain})
    return _Found(by_pcn, by_payer_number, lines, others, shares, resettle,
                  later_payers.postings_of(db, [row.id for row in resettle]), decided, corrects,
                  later_payers.postings_of(db, originals))


# Column orders of the rows `_collect` builds as tuples (the ids and stamps are put in front by `_write`).
CLAIM_COLUMNS = ("id", "posted_at", "practice_id", "remittance_id", "claim_id", "status_code", "payer_claim_number",
                 "charge", "paid", "contractual", "patient_responsibility", "other_adjustment", "adjustments",
                 "outcome", "remarks", "payment_date")
LINE_COLUMNS = ("claim_posting_id", "practice_id", "claim_line_id", "procedure_code", "submitted_code", "modifiers",
                "units", "charge", "paid", "allowed", "contractual", "patient_responsibility", "other_adjustment",
                "adjustments", "remarks", "denied", "expected_allowed")
DENIAL_COLUMNS = ("claim_posting_id", "status", "created_at", "practice_id", "claim_id", "category", "rule_id",
                  "amount", "appeal_deadline", "reasons", "remarks", "suggested_action")
PATIENT_COLUMNS = ("created_at", "practice_id", "patient_id", "claim_id", "kind", "amount", "entered_on", "detail")
TIMELINE_COLUMNS = ("occurred_at", "actor_name", "practice_id", "claim_id", "event", "from_status", "to_status",
                    "detail")
PLB_COLUMNS = ("practice_id", "remittance_id", "provider_identifier", "fiscal_period_date", "reason_code",
               "reference", "amount")


@dataclass
class _Batch:
    """Rows collected for one piece of claims, written together (tuples in the column orders above)."""

    claims: list[tuple] = field(default_factory=list)
    lines: list[list[tuple]] = field(default_factory=list)  # per claim posting
    patient: list[tuple] = field(default_factory=list)
    denials: list[tuple | None] = field(default_factory=list)  # per claim posting
    statuses: list[tuple[int, str, str | None]] = field(default_factory=list)  # claim id, new status, payer number
    timeline: list[tuple] = field(default_factory=list)
    exceptions: list[dict] = field(default_factory=list)
    readjudicated: list[tuple[int, int, str]] = field(default_factory=list)  # claim id, its posting's index, outcome
    # open cob_overpayment flags to close before this piece's own are added: (practice, later claim's PCN, why)
    closed_flags: list[tuple[int, str, str]] = field(default_factory=list)

    def refuse(self, practice_id: int | None, kind: str, set_number: str, position: int, clp, message: str) -> None:
        """CLP `position` of ST `set_number` goes to the exceptions queue, nothing of it posted."""
        self.exceptions.append(dict(practice_id=practice_id, kind=kind, location=f"ST {set_number} CLP {position}",
                                    pcn=clp.patient_control_number, amount=clp.paid, message=message))


class TransactionPosting:
    """Post one transaction set into `record` (already flushed) piece by piece; see the module doc."""

    def __init__(self, db: Session, actor: Actor, file_id: int, context: Context, record: Remittance) -> None:
        self.db, self.actor, self.file_id, self.context, self.record = db, actor, file_id, context, record
        self.findings: list[BalanceFinding] = []
        self.total_paid = ZERO
        self.provider_adjustments: list = []
        self.head: X12Remittance | None = None
        self.practice_id: int | None = None
        self.payer: tuple[int, str] | None = None
        self.posting = False  # the header passed its checks: pieces are posted
        self.claims_read = 0

    def start(self, head: X12Remittance) -> None:
        """Decide from the header (payee, trace) whether the payment is posted."""
        db, record = self.db, self.record
        self.head = head
        practice_id = _practice(db, self.context, head)
        if practice_id is None:
            payee = head.payee
            record.status = "unmatched"
            record.error = f"payee {payee.name} (NPI {payee.npi or '-'}, TIN {payee.tin or '-'}) is not a practice"
            return
        authorize(db, self.actor, MsoAction.POST_PAYMENTS, practice_id, object_type="remittance")
        record.practice_id = self.practice_id = practice_id
        if db.scalar(select(Remittance.id).where(Remittance.dedupe_key == self.dedupe_key)) is not None:
            record.status = "duplicate"
            record.error = f"payment {self.dedupe_key} was posted before; nothing posted again"
            return
        self.payer = _payer(db, self.context, head)
        record.payer_id = self.payer[0] if self.payer else None
        if practice_id not in self.context.rates:
            self.context.rates[practice_id] = RateBook.load(db, [practice_id])
        self.posting = True

    @property
    def dedupe_key(self) -> str:
        return f"{self.head.trace.originator_id}:{self.head.trace.trace_number}"

    def post(self, piece: X12Remittance) -> None:
        """Check the piece's claims balance and, while everything so far balances, post them."""
        if self.head is None:
            self.start(piece)
        self.findings += [f for f in check_balance(piece) if f.level != "transaction"]
        self.total_paid += sum((claim.paid for claim in piece.claims), ZERO)
        self.provider_adjustments += piece.provider_adjustments
        if self.posting and not self.findings and piece.claims:
            found = _look_up(self.db, self.practice_id, piece)
            batch = _collect(found, self.practice_id, piece, self.context.rates[self.practice_id], self.payer,
                             self.record.id, self.claims_read + 1)
            _write(self.db, self.actor, batch, self.record)
        self.claims_read += len(piece.claims)

    def finish(self) -> bool:
        """After the last piece: the whole-payment balance, the PLB ledger, the record's status.
        False when the payment does not balance: the caller rolls back what was posted and calls
        `quarantine`."""
        head, record = self.head, self.record
        plb_total = sum((plb.amount for plb in self.provider_adjustments), ZERO)
        if self.total_paid - plb_total != head.payment.amount:
            self.findings.append(BalanceFinding("transaction", head.control_number, None, None,
                                                expected=self.total_paid - plb_total, actual=head.payment.amount,
                                                rule="BPR02 = Σ CLP04 − Σ PLB"))
        if self.findings:
            return False
        if record.status == "unmatched":
            _exception(self.db, record, self.file_id, None, "unknown_payee", "1000B N1*PE", record.error,
                       head.payment.amount)
        elif self.posting:
            if self.provider_adjustments:
                insert_rows(self.db, ProviderAdjustmentEntry.__table__, PLB_COLUMNS, [
                    (record.practice_id, record.id, plb.provider_id, plb.fiscal_period_date, plb.reason_code[:2],
                     plb.reference[:50], plb.amount) for plb in self.provider_adjustments])
            record.status, record.dedupe_key, record.posted_at = "posted", self.dedupe_key, utcnow()
        return True

    def quarantine(self) -> None:
        """Mark the payment unbalanced (after the caller rolled back its postings)."""
        record = self.record
        record.status, record.error = "quarantined", "; ".join(str(f) for f in self.findings)[:4000]
        record.practice_id = None
        record.claims_posted = record.lines_posted = record.exceptions = 0
        _exception(self.db, record, self.file_id, None, "unbalanced", f"ST {self.head.control_number}",
                   record.error, self.head.payment.amount)


def _exception(db, record, file_id, practice_id, kind, location, message, amount=None, pcn=None) -> None:
    db.add(RemittanceException(practice_id=practice_id, file_id=file_id, remittance_id=record.id, kind=kind,
                               patient_control_number=pcn, location=location[:200], message=message, amount=amount))
    record.exceptions += 1


def _collect(found: _Found, practice_id, remittance, rates: RateBook, payer, record_id: int,
             first_position: int) -> _Batch:
    by_pcn, by_payer_number, lines, others = found.by_pcn, found.by_payer_number, found.lines, found.others
    paid_on = remittance.payment.date or remittance.production_date or date.today()
    deadline = paid_on + timedelta(days=appeal_window(payer[1] if payer else None).days)
    trace = remittance.trace.trace_number
    status_now: dict[int, str] = {}
    here: dict[int, list[int]] = {}  # first payers' claims posted in this piece: their postings' places in `batch`
    paid_here: dict[int, tuple[Decimal, bool]] = {}  # later payers' claims settled again: what the piece paid
    batch = _Batch()
    expected, split_adjustments, line_denied = rates.expected, matching.split_adjustments, matching.line_denied
    whole_units = matching.WHOLE_UNITS
    set_number = remittance.control_number
    for position, clp in enumerate(remittance.claims, start=first_position):
        pcn = clp.patient_control_number
        claim = by_pcn.get(pcn) or by_payer_number.get(clp.payer_claim_control_number)
        if claim is None:
            other = others.get((pcn, clp.payer_claim_control_number))
            if other is not None:
                batch.refuse(None, "wrong_practice", set_number, position, clp, f"claim {pcn} belongs to practice "
                             f"{other}, but the payer paid practice {practice_id}; return or transfer")
            else:
                batch.refuse(practice_id, "unmatched_claim", set_number, position, clp,
                             f"no claim {pcn} (payer claim {clp.payer_claim_control_number or '-'})")
            continue
        services = clp.service_lines
        matched, problems = matching.match_lines(claim.id, lines[claim.id], services)
        if problems:
            batch.refuse(practice_id, "unmatched_line", set_number, position, clp, "; ".join(problems))
            continue
        claim_split = split_adjustments(clp.adjustments)
        follows = claim.primary_claim_id is not None  # a later payer's claim: CARC 23 is the earlier payer's
        prior_payer = claim_split.prior_payer if follows else ZERO
        if prior_payer:
            claim_split = matching.own_decision(claim_split)
        line_rows, denials, denial_reasons, unpostable = [], [], [], []
        contractual, patient, other = claim_split.contractual, claim_split.patient, claim_split.other
        reversal = clp.is_reversal
        for number, (service, line) in enumerate(zip(services, matched, strict=True), start=1):
            split = split_adjustments(service.adjustments)
            decided = split
            if follows and split.prior_payer:
                decided = matching.own_decision(split)
                prior_payer += split.prior_payer
            denied = line_denied(service.charge, service.paid, decided)
            denials.append(denied)
            if denied or decided.other:
                denial_reasons += decided.reasons
            contractual += split.contractual
            patient += split.patient
            other += decided.other
            allowed = service.allowed_amount
            if allowed is None:
                allowed = service.charge - split.contractual - split.other
            units = line.units if service.units_paid is None else whole_units[service.units_paid]
            procedure, original = service.procedure, service.original_procedure
            modifiers = ":".join(procedure.modifiers)
            if (units is None or len(procedure.code) > CODE_SIZE or len(modifiers) > MODIFIERS_SIZE
                    or (original and len(original.code) > CODE_SIZE)):
                unpostable.append(matching.unpostable_line(number, service, CODE_SIZE, MODIFIERS_SIZE))
                continue
            remarks = ":".join(service.remark_codes)[:100] if service.remarks else ""
            line_rows.append((
                practice_id, line.id, procedure.code, original.code if original else None,
                modifiers, units, service.charge, service.paid, allowed, split.contractual,
                split.patient, split.other, split.text, remarks, denied,
                # a later payer (COB) pays what the earlier payers left, not its fee schedule: its lines are
                # not compared with a contract (their allowed amount is the charge less the earlier decision)
                None if reversal or follows else expected(practice_id, claim.payer_id, procedure.code,
                                                          procedure.modifiers,
                                                          service.service_date or line.service_date,
                                                          abs(units) or 1)))
        if unpostable:
            batch.refuse(practice_id, "unpostable_line", set_number, position, clp, "; ".join(unpostable))
            continue
        outcome = matching.claim_outcome(clp.status_code, denials, clp.paid, claim_split)
        if outcome != "reversed":
            current = status_now.get(claim.id, claim.status)
            events = ((ClaimEvent.PAYER_ACCEPT,) if current in _NOT_YET_ACCEPTED else ()) + (_EVENTS[outcome],)
            steps = []
            try:
                after = current
                for event in events:
                    before, after = after, transition(after, event).value
                    steps.append((event.value, before, after))
            except Conflict as error:
                batch.refuse(practice_id, "claim_status", set_number, position, clp, f"claim {pcn}: {error.detail}")
                continue
            status_now[claim.id] = after
            if current in _ADJUDICATED:  # adjudicated again: its earlier denials are settled by this posting
                batch.readjudicated.append((claim.id, len(batch.claims), outcome))
            detail = f"835 {trace}: {outcome.replace('_', ' ')}, paid {clp.paid:,.2f}"
            batch.timeline += [(practice_id, claim.id, event, before, after, detail) for event, before, after in steps]
            batch.statuses.append((claim.id, after, clp.payer_claim_control_number or None))
        batch.claims.append((
            practice_id, record_id, claim.id, clp.status_code, clp.payer_claim_control_number[:50], clp.charge,
            clp.paid, contractual, patient, other + prior_payer, claim_split.text, outcome,
            ":".join([r.value for r in clp.remarks])[:200] if clp.remarks else "", paid_on))
        batch.lines.append(line_rows)
        if follows:
            if found.resettle:  # what the piece paid it, and whether its latest decision here stands
                before = paid_here.get(claim.id, (ZERO, True))[0]
                paid_here[claim.id] = (before + clp.paid, not reversal)
            _settle_patient_share(batch, found, practice_id, claim, clp, patient, reversal, paid_on,
                                  f"835 {trace}", f"ST {set_number} CLP {position}")
        else:
            posted = here.get(claim.id)
            if posted is None and claim.id not in found.decided:  # its first adjudication: the whole share
                here[claim.id] = [len(batch.claims) - 1]
                owed, detail = patient, f"835 {trace} claim {pcn}"
            else:
                corrected_here = [index for claim_id in found.corrects.get(claim.id, ())
                                  for index in here.get(claim_id, ())]
                owed, detail = _share_change(batch, found.decided.get(claim.id, ()), here.setdefault(claim.id, []),
                                             paid_on, f"835 {trace} claim {pcn}", corrected_here)
            if owed:
                batch.patient.append((practice_id, claim.patient_id, claim.id, secondary.RESPONSIBILITY, owed, paid_on,
                                      detail))
                if claim.id in found.shares.chained:  # a later claim in the piece settles against it
                    found.shares.add(claim.id, secondary.RESPONSIBILITY, owed)
        if outcome in ("denied", "partially_paid") and other > 0:
            remarks = sorted({code for service in services for code in service.remark_codes}
                             | {r.value for r in clp.remarks})
            reasons = denial_reasons + list(claim_split.reasons)
            rule = classify_denial(reasons, remarks)
            batch.denials.append((practice_id, claim.id, rule.category.value, rule.rule_id, other, deadline,
                                  " ".join(f"{g}:{c}" for g, c in dict.fromkeys(reasons))[:300],
                                  ":".join(remarks)[:100], rule.action.value))
        else:
            batch.denials.append(None)
    if found.resettle:
        _resettle(batch, found, paid_here, practice_id, paid_on, f"835 {trace}", f"ST {set_number}")
    return batch


def _share_change(batch: _Batch, decided, posted: list[int], paid_on: date, source: str,
                  corrected_here: Sequence[int] = ()) -> tuple[Decimal, str]:
    """A first payer's claim adjudicated again (before this piece: `decided`; earlier in it: `posted`, places in
    `batch`, to which the new posting, the batch's last, is added, and `corrected_here`, the postings of the claims
    a correction corrects earlier in the piece — a reversal of the original): the patient ledger entry is the
    change in the patient's share the payer's standing decisions leave (`later_payers.patient_share_change`), not
    the new share whole — a denial with PR-204 150.00 paid on appeal with PR-2 30.00 (no reversal) posts −120.00, the
    same payment sent twice 0.00 — and its detail says when it replaces an earlier decision."""
    start = max((p.key.id for p in decided), default=0) + 1  # the piece's postings have no ids yet: after those
    here = [_posted(batch, index, start, paid_on) for index in sorted((*posted, *corrected_here))]
    posted.append(len(batch.claims) - 1)
    before, after, replaces = later_payers.patient_share_change(
        [*decided, *here], _posted(batch, posted[-1], start, paid_on))
    if not replaces:
        return after - before, source
    return after - before, (f"{source}: replaces the payer's earlier decision of the claim, patient share now "
                            f"{after:,.2f} (was {before:,.2f})")[:200]


_CLAIM_AT = {name: position - 2 for position, name in enumerate(CLAIM_COLUMNS)}  # a batch row lacks id, posted_at
_LINE_AT = {name: position - 1 for position, name in enumerate(LINE_COLUMNS)}  # a batch row lacks its posting's id


def _posted(batch: _Batch, index: int, start: int, paid_on: date) -> later_payers.LaterPosting:
    """The claim posting at `index` of the batch, as `later_payers` reads postings (its id after `start`)."""
    row, at = batch.claims[index], _CLAIM_AT
    key = PostingKey(start + index, row[at["claim_id"]], row[at["status_code"]], row[at["payer_claim_number"]],
                     row[at["paid"]])
    posting = later_payers.LaterPosting(key, paid_on, row[at["contractual"]], row[at["patient_responsibility"]], ZERO,
                                        row[at["outcome"]], frozenset(line[_LINE_AT["claim_line_id"]]
                                                                      for line in batch.lines[index]))
    for line in batch.lines[index]:
        later_payers.add_line_money(posting.line_money, line[_LINE_AT["claim_line_id"]], line[_LINE_AT["contractual"]],
                                    line[_LINE_AT["patient_responsibility"]])
    return posting


def _resettle(batch: _Batch, found: _Found, paid_here: dict[int, tuple[Decimal, bool]], practice_id: int,
              paid_on: date, source: str, location: str) -> None:
    """Later payers' claims whose earlier claim this piece adjudicated again (or reversed) settle again against
    the patient's share as it now stands (`secondary.resettle`), with what their payer paid: its standing cash
    before this piece and what the piece paid it (`paid_here`); nothing when its decision is taken back. A claim
    whose correction (a replacement) the payer has answered is left alone: the correction's decision replaced its
    own (so did the claims it corrects in turn), and its payment stays flagged to refund (`secondary`), not applied
    to the share again."""
    answered = {later.id: paid_here.get(later.id, (ZERO, later_payers.standing(
        found.later_postings.get(later.id, ())).answered))[1] for later in found.resettle}
    by_id = {later.id: later for later in found.resettle}
    replaced: set[int] = set()  # every claim an answered correction corrects, however many hops back
    for later in found.resettle:
        original = later.original_claim_id if answered[later.id] else None
        while original is not None and original not in replaced:
            replaced.add(original)
            original = by_id[original].original_claim_id if original in by_id else None
    for later in found.resettle:
        if later.id in replaced:
            continue
        stands = later_payers.standing(found.later_postings.get(later.id, ()))
        paid, answered_here = paid_here.get(later.id, (ZERO, stands.answered))
        paid = stands.paid + paid if answered_here else ZERO
        settled = secondary.resettle(found.shares, later.id, paid)
        pcn = later.patient_control_number
        batch.patient += [(practice_id, later.patient_id, later.id, kind, amount, paid_on,
                           f"{source} claim {pcn}: an earlier payer changed the share the later payer paid"[:200])
                          for kind, amount in settled.entries]
        # the later payer's whole payment is settled again here: what was flagged of it before (in earlier
        # files, or earlier in this piece) gives way to what is left over now, so nobody refunds it twice
        batch.exceptions = [item for item in batch.exceptions
                            if not (item["kind"] == "cob_overpayment" and item["pcn"] == pcn)]
        now = f"{settled.overpaid} of it is flagged again" if settled.overpaid else "none of it is left to refund"
        batch.closed_flags.append((practice_id, pcn, f"closed by {source}: an earlier payer changed its decision "
                                                     f"and the later payer's {paid} on claim {pcn} was settled "
                                                     f"again against the patient's share; {now}"))
        if settled.overpaid:
            batch.exceptions.append(dict(
                practice_id=practice_id, kind="cob_overpayment", location=location, pcn=pcn, amount=settled.overpaid,
                message=f"posted; an earlier payer reversed or changed its decision: {settled.overpaid} of the "
                        f"{paid} the later payer paid on claim {pcn} no longer settles a patient share (now "
                        f"{max(settled.owed_before, ZERO)}); it is the payer's money, not the patient's: it is "
                        "applied again, and this closed, if the earlier payer's corrected payment puts the share "
                        "back; else refund the payer or have it recouped"))


def _settle_patient_share(batch: _Batch, found: _Found, practice_id: int, claim: ClaimRef, clp,
                          patient: Decimal, reversal: bool, paid_on: date, source: str, location: str) -> None:
    """A later payer's posting moves the patient's share of the service to what it says they owe
    (`secondary`); what it paid beyond that share goes to the exceptions queue as an overpayment, and what it
    says the patient owes beyond the chain's share as a patient excess (not billed)."""
    shares = found.shares
    settled = secondary.settle(shares, claim.id, clp.paid, patient, reversal)
    if reversal:
        found.reversed_here.add(claim.id)
    pcn = claim.patient_control_number
    numbers = shares.corrects.get(claim.id, {})
    what = "reversal of the later payer's decision" if reversal else "later payer (COB)"
    reinstated = {secondary.WRITE_OFF_REVERSAL: ": it paid or took off the share the practice had written off"}
    batch.patient += [(practice_id, claim.patient_id, claim.id, kind, amount, paid_on,
                       f"{source} claim {pcn}: {what}{reinstated.get(kind, '')}"[:200])
                      for kind, amount in settled.entries]
    batch.patient += [(practice_id, claim.patient_id, original, kind, amount, paid_on,
                       f"{source} claim {pcn}: replaces claim {numbers[original]}; the payer's decision of it is "
                       "taken back"[:200]) for original, kind, amount in settled.replaced]
    replaced_paid = settled.replaced_payments()
    if reversal:  # the payer took its payment back (and, under a correction's number, the payments it made on the
        # claims corrected): what it was flagged as overpaying is no longer to refund, nor what was flagged earlier
        # in this piece
        corrected = [(numbers[original], f" under claim {pcn}, which corrects it") for original in replaced_paid]
        for number, how in ((pcn, ""), *corrected):
            batch.closed_flags.append((practice_id, number, f"closed by {source}: the payer reversed its payment of "
                                                            f"claim {number}{how}, taking back what it had paid beyond "
                                                            "the patient's share; nothing is left to refund"))
            batch.exceptions = [item for item in batch.exceptions
                                if not (item["kind"] == "cob_overpayment" and item["pcn"] == number)]
        if not settled.replaced:
            _stands_again(batch, found, practice_id, claim, paid_on, source, location)
    else:  # a correction adjudicated: what the payer paid on the claims it corrects settles no share any more
        batch.exceptions += [dict(
            practice_id=practice_id, kind="cob_overpayment", location=location, pcn=numbers[original], amount=amount,
            message=f"posted; the payer paid {amount} on claim {numbers[original]}, which claim {pcn} replaces and "
                    "it has now adjudicated: that payment settles no patient share any more; refund the payer or have "
                    "it recouped (a reversal of it closes this)") for original, amount in replaced_paid.items()]
    flags = (("cob_overpayment", settled.overpaid, f"the payer paid {clp.paid} on claim {pcn}, {settled.overpaid} "
              f"more than the patient's share of {settled.owed_before} left by the earlier payer: refund the payer "
              "or have it recouped"),
             ("cob_patient_excess", settled.excess, f"the payer says the patient owes {patient} on claim {pcn}, "
              f"{settled.excess} more than the {settled.owed_before} the patient owed on the earlier payers' claims: "
              "not billed to the patient; decide whether the patient owes it"))
    batch.exceptions += [dict(practice_id=practice_id, kind=kind, location=location, pcn=pcn, amount=amount,
                              message=f"posted; {message}") for kind, amount, message in flags if amount]


def _stands_again(batch: _Batch, found: _Found, practice_id: int, claim: ClaimRef, paid_on: date, source: str,
                  location: str) -> None:
    """A later payer reversed its own decision of a correction (a replacement), not what it paid on the claim it
    corrects: the decision of that claim, never reversed, stands again (`later_payers.standing` reads the chain so),
    so it is settled against the patient's share again (its payment applied, its flag to refund closed, what it paid
    beyond the share flagged anew). The nearest corrected claim with a decision standing is the one."""
    numbers = found.shares.corrects.get(claim.id, {})
    for original, number in numbers.items():  # the nearest first
        stands = later_payers.standing(found.originals.get(original, ()))
        if not stands.answered or original in found.reversed_here:
            continue
        again = secondary.settle(found.shares, original, stands.paid, stands.patient, reversal=False)
        pcn = claim.patient_control_number
        batch.patient += [(practice_id, claim.patient_id, original, kind, amount, paid_on,
                           f"{source} claim {pcn}: the payer reversed claim {pcn}, which replaced claim {number}: its "
                           "decision stands again"[:200]) for kind, amount in again.entries]
        batch.closed_flags.append((practice_id, number, f"closed by {source}: the payer reversed claim {pcn}, which "
                                                        f"replaced claim {number}: the payment on claim {number} "
                                                        "settles the patient's share again"))
        batch.exceptions = [item for item in batch.exceptions
                            if not (item["kind"] == "cob_overpayment" and item["pcn"] == number)]
        if again.overpaid:
            batch.exceptions.append(dict(
                practice_id=practice_id, kind="cob_overpayment", location=location, pcn=number, amount=again.overpaid,
                message=f"posted; the payer paid {stands.paid} on claim {number}, {again.overpaid} more than the "
                        f"patient's share of {again.owed_before}: refund the payer or have it recouped"))
        return


def _write(db: Session, actor: Actor, batch: _Batch, record: Remittance) -> None:
    close_overpayment_flags(db, actor, batch.closed_flags)  # before this piece's own flags are added
    for item in batch.exceptions:
        _exception(db, record, record.file_id, item["practice_id"], item["kind"], item["location"], item["message"],
                   item["amount"], item["pcn"])
    now = utcnow()
    if batch.claims:
        ids = take_ids(db, ClaimPosting.__table__, len(batch.claims))
        insert_rows(db, ClaimPosting.__table__, CLAIM_COLUMNS,
                    [(posting_id, now, *row) for posting_id, row in zip(ids, batch.claims, strict=True)])
        line_rows = [(posting_id, *row) for posting_id, rows in zip(ids, batch.lines, strict=True) for row in rows]
        insert_rows(db, LinePosting.__table__, LINE_COLUMNS, line_rows)
        insert_rows(db, DenialCase.__table__, DENIAL_COLUMNS, [
            (posting_id, "open", now, *row) for posting_id, row in zip(ids, batch.denials, strict=True)
            if row is not None])
        record.claims_posted += len(ids)
        record.lines_posted += len(line_rows)
        if batch.readjudicated:
            settle_earlier_denials(db, actor, [(claim_id, ids[index], outcome)
                                               for claim_id, index, outcome in batch.readjudicated],
                                   f"835 {record.trace_number}")
    insert_rows(db, PatientLedgerEntry.__table__, PATIENT_COLUMNS, [(now, *row) for row in batch.patient])
    set_claim_statuses(db, batch.statuses)
    insert_rows(db, TimelineEntry.__table__, TIMELINE_COLUMNS,
                [(now, actor.username, *row) for row in batch.timeline])
