"""Scrubbing claims and building the 837P batches of those that pass, in one run that loads each
claim once.

`scrub_claims` followed by `build_batches` reads every claim twice: the scrub's views are gone by
the time the batches are built, so the build selects the same claims, patients, coverages and lines
again (about a quarter of a 100,000-claim run). A run that does both steps scrubs a piece of claims
and builds the batches of those that passed from the views it has just scrubbed. For each piece the
outcome is the one of `scrub_claims` then `build_batches` over the same ids: the same findings,
statuses, timeline, control numbers and 837P bytes, all inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from openmso.core.collector import fewer_collections
from openmso.core.tenancy import Actor, ensure_visible
from openmso.rcm.claims import access
from openmso.rcm.claims.batches import build_batches_of
from openmso.rcm.claims.models import ClaimBatch
from openmso.rcm.claims.scrubbing import ScrubReport, record_scrubbed, scrub_views, scrubbable_ids
from openmso.rcm.claims.views import CHUNK, ClaimView, ReferenceCache, iter_views
from openmso.rcm.claims.x837 import Envelope
from openmso.rcm.scrubber.rules import ScrubContext

PIECE = 10_000  # claims scrubbed and then built together: the most views a run holds at once


@dataclass
class ScrubAndBuildReport:
    scrub: ScrubReport = field(default_factory=ScrubReport)
    batches: list[ClaimBatch] = field(default_factory=list)


@fewer_collections()
def scrub_and_build(db: Session, actor: Actor, envelope: Envelope, *, adapter: str, practice_id: int | None = None,
                    claim_ids: list[int] | None = None, as_of: date | None = None,
                    progress: Callable[[int], None] | None = None) -> ScrubAndBuildReport:
    """Scrub the visible draft/held/ready claims (of one practice, or the given ones) as of a date, and build
    837P batches of those that pass, `PIECE` claims (in id order) at a time. The actor must be allowed both
    to manage the charges and to submit the claims of every practice concerned, checked before anything
    is written. `progress` is called with the number of claims scrubbed."""
    if practice_id is not None:
        ensure_visible(actor, practice_id)
    grouped = scrubbable_ids(db, actor, practice_id, claim_ids)
    for owner in grouped:
        access.can_manage_charges(db, actor, owner, object_type="claim")
        access.can_submit(db, actor, owner, object_type="claim_batch")
    report = ScrubAndBuildReport()
    context = ScrubContext(as_of=as_of or date.today())
    cache = ReferenceCache(db)  # shared by the scrub and the build of every piece
    ordered = sorted(claim_id for ids in grouped.values() for claim_id in ids)
    for start in range(0, len(ordered), PIECE):
        piece = set(ordered[start:start + PIECE])
        ready: list[ClaimView] = []
        for owner, ids in grouped.items():
            mine = [claim_id for claim_id in ids if claim_id in piece]
            if not mine:
                continue
            held_before = report.scrub.held
            for views in iter_views(db, mine, CHUNK, cache):
                ready += scrub_views(db, actor, views, context, report.scrub)
                if progress:
                    progress(len(views))
            record_scrubbed(db, actor, owner, len(mine), context, report.scrub.held - held_before)
        report.batches += build_batches_of(db, actor, envelope, ready, cache, adapter=adapter)
    return report
