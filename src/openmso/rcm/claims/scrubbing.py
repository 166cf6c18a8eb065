"""Scrubbing claims: run the edits, keep the findings on each claim, move it to ready or held.

Works in chunks over any number of claims: load views, find duplicates for the chunk in one
query, run the pure rules, then replace the chunk's findings and statuses with executemany.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from openmso.core import audit
from openmso.core.collector import fewer_collections
from openmso.core.tenancy import Actor, ensure_visible, visible
from openmso.core.types import utcnow
from openmso.rcm.claims import access
from openmso.rcm.claims.id_sets import among, id_set
from openmso.rcm.claims.models import Claim, ClaimEdit
from openmso.rcm.claims.states import ClaimEvent, ClaimStatus
from openmso.rcm.claims.timeline import Move, advance_many, bulk_insert
from openmso.rcm.claims.views import CHUNK, ClaimView, iter_views
from openmso.rcm.scrubber.engine import duplicate_index, earlier_payer_index, scrub_many
from openmso.rcm.scrubber.rules import ScrubContext, Severity

SCRUBBABLE = (ClaimStatus.DRAFT, ClaimStatus.HELD, ClaimStatus.READY)
_PASSED = (ClaimEvent.SCRUB, ClaimEvent.PASS)
_CLEAN = {"error_count": 0, "warning_count": 0}  # the columns a claim with no finding gets (read, never changed)


@dataclass
class ScrubReport:
    claims: int = 0
    ready: int = 0
    held: int = 0
    by_rule: Counter = field(default_factory=Counter)


def scrubbable_ids(db: Session, actor: Actor, practice_id: int | None = None,
                   claim_ids: list[int] | None = None) -> dict[int, list[int]]:
    """Visible claims that can be scrubbed, grouped by practice."""
    query = visible(select(Claim.id, Claim.practice_id), actor, Claim).where(Claim.status.in_(SCRUBBABLE))
    if practice_id is not None:
        query = query.where(Claim.practice_id == practice_id)
    query, params, keep = among(db, query, claim_ids)
    grouped: dict[int, list[int]] = {}
    for claim_id, owner in db.execute(query.order_by(Claim.id), params):
        if keep is None or claim_id in keep:
            grouped.setdefault(owner, []).append(claim_id)
    return grouped


@fewer_collections()
def scrub_claims(db: Session, actor: Actor, *, practice_id: int | None = None, claim_ids: list[int] | None = None,
                 as_of: date | None = None, progress=None) -> ScrubReport:
    """Scrub the visible draft/held/ready claims (of one practice, or the given ones) as of a date."""
    if practice_id is not None:
        ensure_visible(actor, practice_id)
    report = ScrubReport()
    context = ScrubContext(as_of=as_of or date.today())
    for owner, ids in scrubbable_ids(db, actor, practice_id, claim_ids).items():
        access.can_manage_charges(db, actor, owner, object_type="claim")
        held_before = report.held
        for views in iter_views(db, ids, CHUNK):
            scrub_views(db, actor, views, context, report)
            if progress:
                progress(len(views))
        record_scrubbed(db, actor, owner, len(ids), context, report.held - held_before)
    return report


def record_scrubbed(db: Session, actor: Actor, practice_id: int, count: int, context: ScrubContext, held: int) -> None:
    """The audit entry of one practice's claims scrubbed by a run."""
    audit.record(db, actor, "claim.scrub", "claim", None, practice_id=practice_id,
                 reason=f"{count} claims scrubbed as of {context.as_of.isoformat()}, {held} held")


def scrub_views(db: Session, actor: Actor, views: list[ClaimView], context: ScrubContext,
                report: ScrubReport) -> list[ClaimView]:
    """Scrub one chunk of loaded claims: replace their findings, move each to ready or held, count them in
    `report`. Returns the views now ready, their `status` updated, so a run that also submits can build
    the 837P from them without loading the claims again."""
    context.earlier_payers = earlier_payer_index(db, views)
    context.duplicates = duplicate_index(db, views, context.earlier_payers)
    edits, moves, passed = [], [], []
    now = utcnow()
    for claim, findings in zip(views, scrub_many(views, context), strict=True):
        if not findings:
            report.ready += 1
            moves.append(Move(claim.id, claim.practice_id, claim.status, _PASSED, "clean", _CLEAN))
            passed.append(claim)
            continue
        errors = sum(1 for f in findings if f.severity is Severity.ERROR)
        warnings = len(findings) - errors
        edits += [{"practice_id": claim.practice_id, "claim_id": claim.id, "rule_id": f.rule_id,
                   "severity": f.severity.value, "line_number": f.line_number, "message": f.message,
                   "fix": f.fix, "found_at": now} for f in findings]
        report.by_rule.update(f.rule_id for f in findings)
        outcome = ClaimEvent.HOLD if errors else ClaimEvent.PASS
        report.held += bool(errors)
        report.ready += not errors
        if not errors:
            passed.append(claim)
        rules = ", ".join(sorted({f.rule_id for f in findings}))
        detail = f"{errors} error(s), {warnings} warning(s): {rules}"
        moves.append(Move(claim.id, claim.practice_id, claim.status, (ClaimEvent.SCRUB, outcome), detail,
                          {"error_count": errors, "warning_count": warnings}))
    edit = ClaimEdit.__table__
    where, params = id_set(db.connection(), edit.c.claim_id, [claim.id for claim in views], "claims")
    db.execute(delete(edit).where(where), params)
    bulk_insert(db, ClaimEdit, edits)
    advance_many(db, actor, moves)
    for claim in passed:
        claim.status = ClaimStatus.READY.value
    report.claims += len(views)
    return passed
