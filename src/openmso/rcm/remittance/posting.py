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
each and writes its rows in bulk (`posting_writes`); how its postings move the patient's share is
`posting_shares`.
"""

from __future__ import annotations

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
from openmso.rcm.claims.models import TimelineEntry
from openmso.rcm.claims.states import ClaimEvent, ClaimStatus, transition
from openmso.rcm.contracts.service import RateBook
from openmso.rcm.denials.models import DenialCase
from openmso.rcm.denials.rules import appeal_window, classify_denial
from openmso.rcm.remittance import lookups, matching, posting_shares, secondary
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
    CLAIM_COLUMNS,
    DENIAL_COLUMNS,
    LINE_COLUMNS,
    PATIENT_COLUMNS,
    PLB_COLUMNS,
    TIMELINE_COLUMNS,
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
    # the postings so far of later payers' corrections in the piece and of the claims they correct (whose decision
    # may stand again)
    originals: dict[int, list[later_payers.LaterPosting]] = field(default_factory=dict)
    reversed_here: set[int] = field(default_factory=set)  # later payers' claims whose payment the piece reversed
    # every correction the piece pays, a first or a later payer's → the claims it corrects, the nearest first
    chains: dict[int, list[int]] = field(default_factory=dict)


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
    # ... with the corrections' own postings: whose payment a reversal posted to a correction takes back
    originals = sorted({claim_id for chain in later_corrected.values() for claim_id in chain} | set(later_corrected))
    chains = {**corrects, **later_corrected}
    if corrected := {claim_id for chain in chains.values() for claim_id in chain} - set(lines):
        lines.update(lookups.lines_of(db, corrected))  # the lines a reversal under a correction may repeat
    return _Found(by_pcn, by_payer_number, lines, others, shares, resettle,
                  later_payers.postings_of(db, [row.id for row in resettle]), decided, corrects,
                  later_payers.postings_of(db, originals), chains=chains)



def _reversed_lines(found: _Found, claim_id: int, services, matched: list, problems: list[str]
                    ) -> tuple[list, list[str]]:
    """A reversal posted to a correction repeats the lines of the claim whose payment it takes back (payers send the
    original's reversal under the replacement's number), which the correction may no longer bill (a line dropped,
    a code changed): its lines are then matched against the claims the correction corrects, the nearest first, and
    posted to that claim's lines. Else the first matching's problems stand."""
    for corrected in found.chains.get(claim_id, ()):
        again, left = matching.match_lines(corrected, found.lines.get(corrected, []), services)
        if not left:
            return again, left
    return matched, problems


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
        if problems and clp.is_reversal:
            matched, problems = _reversed_lines(found, claim.id, services, matched, problems)
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
            posting_shares.settle_patient_share(batch, found, practice_id, claim, clp, patient, reversal, paid_on,
                                  f"835 {trace}", f"ST {set_number} CLP {position}")
        else:
            posted = here.get(claim.id)
            if posted is None and claim.id not in found.decided:  # its first adjudication: the whole share
                here[claim.id] = [len(batch.claims) - 1]
                owed, detail = patient, f"835 {trace} claim {pcn}"
            else:
                corrected_here = [index for claim_id in found.corrects.get(claim.id, ())
                                  for index in here.get(claim_id, ())]
                owed, detail = posting_shares.share_change(batch, found.decided.get(claim.id, ()),
                                                           here.setdefault(claim.id, []), paid_on,
                                                           f"835 {trace} claim {pcn}", corrected_here)
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
        posting_shares.resettle_later_claims(batch, found, practice_id, paid_on, f"835 {trace}", f"ST {set_number}")
    return batch


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
