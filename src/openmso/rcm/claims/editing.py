"""Fixing a claim before it goes (back) to the payer: the scrubber held it, the clearinghouse (999) or the
payer (277CA) rejected it, or it is a replacement (frequency 7) made from a denial and not sent yet.

The biller corrects the codes the edits point at (a billable diagnosis instead of a category, a modifier on
a bundled pair, the prior authorization number) and the claim is scrubbed again at once, so it is ready for
the next claim run or held with what is still wrong. A rejected claim moves back to draft first (it is then
resubmitted as an original, as the 999/277CA rejection means the payer never took it in). A claim with the
payer is not edited: it is corrected with a replacement or void (`service.correct`).

When the payer's front end said the claim went to the wrong payer (277CA A3:116), it is billed to another of the
patient's primary plans in force on the date of service (`rebill`). When the rejection named the patient's data
(member id, birth date), that is corrected on the patient's record (`network.service`), which the 837 is built
from when it is sent, and the claim is corrected with its codes unchanged.

A replacement (frequency 7) not sent yet may also drop lines: the payer decides the claim anew without them (a line
it denied as bundled into another, a service billed by mistake). An original keeps its lines, which are the visit's
charges, each billed once.

Who may: whoever may manage the practice's charges under its agreement (`access.can_manage_charges`). Every
fix names its reason, and the timeline and the audit trail (a write of patient data) say what changed.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from openmso.core import audit
from openmso.core.errors import Conflict, FieldError, Invalid
from openmso.core.tenancy import Actor
from openmso.core.types import utcnow
from openmso.network.models import Coverage, Payer
from openmso.rcm.ar.chains import VOID
from openmso.rcm.claims import access, scrubbing
from openmso.rcm.claims.models import Claim, ClaimLine, TimelineEntry, join_codes
from openmso.rcm.claims.schemas import ClaimEditIn, ClaimRebillIn
from openmso.rcm.claims.service import get_claim, standing_correction
from openmso.rcm.claims.states import REJECTED, ClaimEvent, ClaimStatus
from openmso.rcm.claims.timeline import advance
from openmso.rcm.remittance.models import LinePosting

REPLACEMENT = "7"  # CLM05-3, claim frequency: replacement of a prior claim
EDITABLE = frozenset({ClaimStatus.DRAFT, ClaimStatus.SCRUBBED, ClaimStatus.HELD, ClaimStatus.READY})


def can_edit(claim: Claim) -> bool:
    return claim.status in EDITABLE or claim.status in REJECTED


def edit_claim(db: Session, actor: Actor, claim_id: int, data: ClaimEditIn) -> Claim:
    """Apply the biller's fix and scrub the claim again; returns it ready or held."""
    claim = _claim_to_fix(db, actor, claim_id)
    lines = {line.line_number: line for line in claim.lines}
    sent = {line.line_number for line in data.lines}
    if sent != lines.keys():
        raise Invalid("send every line of the claim, each once", errors=[FieldError(
            ["body", "lines"], f"the claim has lines {sorted(lines)}; the edit sent {sorted(sent)}")])
    _check_removals(db, claim, data)
    changes = _changes(claim, lines, data)
    _reopen(db, actor, claim, data.reason)
    claim.diagnoses = join_codes(data.diagnoses)
    claim.prior_authorization = data.prior_authorization or None
    for edit in data.lines:
        line = lines[edit.line_number]
        if edit.remove:  # the others keep their numbers: REF*6R and a later payer's line decisions (2430) go by them
            claim.lines.remove(line)
            continue
        line.procedure_code, line.modifiers = edit.procedure_code, join_codes(edit.modifiers)
        line.units, line.charge_amount, line.pointers = edit.units, edit.charge_amount, join_codes(edit.pointers)
    claim.total_charge = sum((line.charge_amount for line in claim.lines), Decimal("0.00"))
    claim.service_date_from = min(line.service_date for line in claim.lines)
    claim.service_date_to = max(line.service_date_end or line.service_date for line in claim.lines)
    # codes unchanged: the fix was elsewhere (the patient's record, which the 837 is built from when sent)
    return _record_and_scrub(db, actor, claim, "edit", data.reason, "; ".join(changes) or "codes unchanged, "
                             "scrubbed again")


def can_drop_lines(claim: Claim) -> bool:
    """Only a replacement drops lines. An original's lines are the visit's charges, each billed once: dropped, a
    charge would be billed nowhere (or again in the next claim run); a void withdraws the claim as it was sent. A
    later payer's replacement drops only what its earlier payer's claim no longer bills (`_check_removals`)."""
    return claim.frequency_code == REPLACEMENT


def _check_removals(db: Session, claim: Claim, data: ClaimEditIn) -> None:
    removed = [position for position, edit in enumerate(data.lines) if edit.remove]
    if not removed:
        return
    if not can_drop_lines(claim):
        raise Invalid.field(["body", "lines", removed[0], "remove"], (
            f"claim {claim.patient_control_number} is {'a void' if claim.frequency_code == VOID else 'an original'}: "
            "only a replacement (frequency 7) drops a line; an original's lines are its charges, billed once (correct "
            "the line's codes instead, or replace the claim once the payer has it)"))
    if claim.primary_claim_id is not None:
        earlier = _earlier_payers_claim(db, claim.primary_claim_id)
        billed = set() if earlier.frequency_code == VOID else {line.line_number for line in earlier.lines}
        if still := [position for position in removed if data.lines[position].line_number in billed]:
            number = data.lines[still[0]].line_number
            raise Invalid.field(["body", "lines", still[0], "remove"], (
                f"line {number} is still billed to the earlier payer on claim {earlier.patient_control_number}, whose "
                "decision of it this claim carries (2430, adding up to 2320): drop it from a replacement of that "
                "claim first"))
    numbers = {data.lines[position].line_number for position in removed}
    answered = db.scalars(select(ClaimLine.line_number).join(LinePosting, LinePosting.claim_line_id == ClaimLine.id)
                          .where(ClaimLine.claim_id == claim.id, ClaimLine.line_number.in_(numbers))
                          .order_by(ClaimLine.line_number).distinct()).all()
    if answered:  # e.g. the payer's reversal of the original's payment, sent under this claim's number
        position = next(p for p in removed if data.lines[p].line_number == answered[0])
        raise Invalid.field(["body", "lines", position, "remove"], (
            f"line {answered[0]} of claim {claim.patient_control_number} has a payer's answer posted to it (an 835): "
            "it stays on the claim, whose postings read it"))


def _earlier_payers_claim(db: Session, claim_id: int) -> Claim:
    """The earlier payer's claim as it now bills the service: the latest standing correction of `claim_id`."""
    claim, seen = db.get(Claim, claim_id), {claim_id}
    while (correction := standing_correction(db, claim.id)) is not None and correction.id not in seen:
        claim = correction
        seen.add(claim.id)
    return claim


def rebill(db: Session, actor: Actor, claim_id: int, data: ClaimRebillIn) -> Claim:
    """Bill the claim to another of the patient's coverages, one in force on its date of service (the payer's
    front end said it went to the wrong payer); it is scrubbed again against that payer. A later payer's
    claim follows its earlier payer's and is not moved: it is made again from the earlier payer's claim."""
    claim = _claim_to_fix(db, actor, claim_id)
    if claim.primary_claim_id is not None:
        raise Conflict(f"claim {claim.patient_control_number} is a later payer's claim (COB): it bills the "
                       "coverage after its earlier payer's; bill another payer from the earlier claim instead")
    coverage = db.get(Coverage, data.coverage_id)
    if coverage is None or coverage.patient_id != claim.patient_id:
        raise Invalid.field(["body", "coverage_id"], f"coverage {data.coverage_id} is not one of this patient's")
    if coverage.id == claim.coverage_id:
        raise Invalid.field(["body", "coverage_id"], "the claim is already billed to this coverage")
    if coverage.priority != 1:
        raise Invalid.field(["body", "coverage_id"], f"coverage {coverage.id} ({coverage.payer.name}) is the "
                            "patient's secondary or tertiary plan; if it is in fact the primary, correct the "
                            "coverage's order first")
    day = claim.service_date_from
    if not coverage.active_on(day):
        until = coverage.effective_to.isoformat() if coverage.effective_to else "open"
        raise Invalid.field(["body", "coverage_id"], f"coverage {coverage.id} ({coverage.payer.name}) is in force "
                            f"{coverage.effective_from.isoformat()} to {until}, not on the date of service "
                            f"{day.isoformat()}")
    previous = claim.payer_id
    before = db.get(Payer, previous).name if previous else "no payer"
    _reopen(db, actor, claim, data.reason)
    claim.coverage_id, claim.payer_id = coverage.id, coverage.payer_id
    what = f"payer {before} → {coverage.payer.name} (member id {coverage.member_id})"
    return _record_and_scrub(db, actor, claim, "rebill", data.reason, what, previous_payer_id=previous)


def _claim_to_fix(db: Session, actor: Actor, claim_id: int) -> Claim:
    """The claim, if the actor may manage the practice's charges and the payer does not have it."""
    claim = get_claim(db, actor, claim_id, audit_read=False)
    access.can_manage_charges(db, actor, claim.practice_id, object_type="claim", object_id=claim.id)
    if not can_edit(claim):
        raise Conflict(f"claim {claim.patient_control_number} is {claim.status}: a claim the payer has is "
                       "corrected with a replacement (frequency 7) or void (8), not edited")
    return claim


def _reopen(db: Session, actor: Actor, claim: Claim, reason: str) -> None:
    """A rejected claim goes back to draft, to be sent again as an original."""
    if claim.status in REJECTED:
        advance(db, actor, claim, ClaimEvent.CORRECT, f"corrected for resubmission: {reason}")


def _record_and_scrub(db: Session, actor: Actor, claim: Claim, event: str, reason: str, what: str,
                      previous_payer_id: int | None = None) -> Claim:
    """Put the fix on the claim's timeline and the audit trail (a write of patient data), then scrub it again."""
    claim.updated_at = utcnow()
    db.add(TimelineEntry(practice_id=claim.practice_id, claim_id=claim.id, occurred_at=claim.updated_at,
                         event=event, from_status=claim.status, to_status=claim.status,
                         detail=f"{reason}: {what}"[:2000], actor_name=actor.username,
                         previous_payer_id=previous_payer_id))
    audit.record(db, actor, f"claim.{event}", "claim", claim.id, practice_id=claim.practice_id,
                 patient_id=claim.patient_id, reason=f"{reason}: {what}"[:500])
    db.flush()
    scrubbing.scrub_claims(db, actor, claim_ids=[claim.id], as_of=claim.updated_at.date())
    db.refresh(claim)
    return claim


def _words(value) -> str:
    return (" ".join(map(str, value)) or "none") if isinstance(value, list) else str(value or "none")


def _changes(claim: Claim, lines: dict[int, ClaimLine], data: ClaimEditIn) -> list[str]:
    """What the edit changes, in words, for the timeline and the audit trail."""
    pairs = [("diagnoses", claim.diagnosis_codes, data.diagnoses),
             ("prior authorization", claim.prior_authorization or None, data.prior_authorization or None)]
    for edit in sorted(data.lines, key=lambda line: line.line_number):
        line = lines[edit.line_number]
        if edit.remove:
            pairs.append((f"line {edit.line_number}", f"{line.procedure_code} {line.charge_amount}", "removed"))
            continue
        pairs += [(f"line {edit.line_number} code", line.procedure_code, edit.procedure_code),
                  (f"line {edit.line_number} modifiers", line.modifier_list, edit.modifiers),
                  (f"line {edit.line_number} units", line.units, edit.units),
                  (f"line {edit.line_number} charge", line.charge_amount, edit.charge_amount),
                  (f"line {edit.line_number} pointers", line.pointer_list, edit.pointers)]
    return [f"{name} {_words(old)} → {_words(new)}" for name, old, new in pairs if old != new]
