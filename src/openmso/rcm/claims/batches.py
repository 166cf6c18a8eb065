"""837P batches: ready claims grouped per practice and payer into interchanges, each with
persisted control numbers, the exact text kept, and every claim linked to its batch.

Building and sending are separate steps with a commit between them: a batch is first stored
(status `built`, its claims `submitted`), then handed to the clearinghouse and marked `sent`.
A failure while sending leaves the batch `built`, to be sent again unchanged, so a file is
never built twice and never lost.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from openmso.core import audit
from openmso.core.collector import fewer_collections
from openmso.core.errors import NotFound
from openmso.core.pagination import PageParams, Slice, fetch_page
from openmso.core.tenancy import Actor, visible
from openmso.core.types import utcnow
from openmso.network.models import Location
from openmso.rcm.claims import access, numbers
from openmso.rcm.claims.cob import attach
from openmso.rcm.claims.id_sets import among
from openmso.rcm.claims.models import Claim, ClaimBatch
from openmso.rcm.claims.states import ClaimEvent, ClaimStatus
from openmso.rcm.claims.timeline import Move, advance_many
from openmso.rcm.claims.views import CHUNK, ClaimView, LocationView, ReferenceCache, iter_views
from openmso.rcm.claims.x837 import Envelope, billing_provider, claim_transaction, professional_claims
from openmso.x12 import GroupHeader, InterchangeHeader, InterchangeWriter, professional_claim_segments

MAX_CLAIMS_PER_BATCH = 5000  # one interchange and one ST-SE at most (the TR3 advises at most 5,000 claims per ST)
TRANSACTION_CONTROL_NUMBER = "0001"  # each batch is one interchange with one group and one transaction set
IMPLEMENTATION = "005010X222A1"
_SUBMIT = (ClaimEvent.SUBMIT,)


def ready_groups(db: Session, actor: Actor, practice_id: int | None = None, claim_ids: list[int] | None = None
                 ) -> dict[tuple[int, int], list[int]]:
    """Visible ready claims grouped by (practice, payer)."""
    query = visible(select(Claim.id, Claim.practice_id, Claim.payer_id), actor, Claim).where(
        Claim.status == ClaimStatus.READY, Claim.payer_id.is_not(None))
    if practice_id is not None:
        query = query.where(Claim.practice_id == practice_id)
    query, params, keep = among(db, query, claim_ids)
    groups: dict[tuple[int, int], list[int]] = {}
    for claim_id, owner, payer_id in db.execute(query.order_by(Claim.practice_id, Claim.payer_id, Claim.id), params):
        if keep is None or claim_id in keep:
            groups.setdefault((owner, payer_id), []).append(claim_id)
    return groups


def _main_location(db: Session, practice_id: int) -> LocationView:
    row = db.execute(select(Location.id, Location.name, Location.address_line1, Location.city, Location.state,
                            Location.postal_code, Location.place_of_service)
                     .where(Location.practice_id == practice_id).order_by(Location.id).limit(1)).one()
    return LocationView(*row)


def _write_batch(db: Session, chunks: Iterable[list[ClaimView]], envelope: Envelope, control: int, now: datetime,
                 main_location: LocationView, cache: ReferenceCache) -> tuple[str, list, object]:
    """Render one interchange of the claims in `chunks` (views, a chunk at a time); returns (text, (claim id,
    practice, status) of each claim, total charge)."""
    out = io.StringIO()
    day, clock = now.date(), now.strftime("%H%M")
    header = InterchangeHeader("ZZ", envelope.submitter_id, "ZZ", envelope.receiver_id, f"{control:09d}", day,
                               clock, usage_indicator="P", acknowledgment_requested="0")
    group = GroupHeader("HC", envelope.submitter_id, envelope.receiver_id, str(control), day, clock, IMPLEMENTATION)
    claims, moves, total = [], [], 0
    for views in chunks:
        attach(db, views, cache)
        claims += professional_claims(views)
        moves += [(view.id, view.practice_id, view.status) for view in views]
        total += sum(view.total_charge for view in views)
        billing = billing_provider(views[0], main_location)
    transaction = claim_transaction(TRANSACTION_CONTROL_NUMBER, f"OM{control:09d}", day, clock, envelope, billing,
                                    claims)
    with InterchangeWriter(out, header) as writer:
        writer.begin_group(group)
        writer.write_transaction("837", transaction.control_number,
                                 professional_claim_segments(transaction, writer.delimiters),
                                 IMPLEMENTATION)
        writer.end_group()
    return out.getvalue(), moves, total


@fewer_collections()
def build_batches(db: Session, actor: Actor, envelope: Envelope, *, adapter: str, practice_id: int | None = None,
                  claim_ids: list[int] | None = None, progress: Callable[[int], None] | None = None
                  ) -> list[ClaimBatch]:
    """Build one 837P interchange per practice and payer (split at `MAX_CLAIMS_PER_BATCH`) from the ready
    claims, store it, and move its claims to submitted."""
    cache = ReferenceCache(db)  # the practices, payers, providers and locations every batch shares
    return _build(db, actor, envelope, adapter, ready_groups(db, actor, practice_id, claim_ids),
                  lambda ids: iter_views(db, ids, CHUNK, cache), cache, progress)


def build_batches_of(db: Session, actor: Actor, envelope: Envelope, views: list[ClaimView], cache: ReferenceCache,
                     *, adapter: str, progress: Callable[[int], None] | None = None) -> list[ClaimBatch]:
    """`build_batches` for ready claims already loaded as views (by a run that has just scrubbed them, with
    `cache`), grouped and ordered as `ready_groups` groups them: the same batches, without reading the
    claims again. The caller loaded only claims the actor sees."""
    groups: dict[tuple[int, int], list[ClaimView]] = {}
    for view in sorted(views, key=_group_order):
        if view.status == ClaimStatus.READY and view.payer is not None:
            groups.setdefault((view.practice_id, view.payer.id), []).append(view)
    return _build(db, actor, envelope, adapter, groups,
                  lambda chunk: (chunk[start:start + CHUNK] for start in range(0, len(chunk), CHUNK)), cache, progress)


def _group_order(view: ClaimView) -> tuple[int, int, int]:
    return view.practice_id, view.payer.id if view.payer is not None else 0, view.id


def _build(db: Session, actor: Actor, envelope: Envelope, adapter: str, groups: dict[tuple[int, int], list],
           chunks: Callable[[list], Iterable[list[ClaimView]]], cache: ReferenceCache,
           progress: Callable[[int], None] | None) -> list[ClaimBatch]:
    """The batches of `groups` ((practice, payer) → its claims in id order, as ids or views; `chunks` turns
    a batch's share into views, a chunk at a time)."""
    batches = []
    main_locations: dict[int, LocationView] = {}
    for owner, _ in groups:  # every practice is allowed before any number is reserved
        if owner not in main_locations:
            access.can_submit(db, actor, owner, object_type="claim_batch")
            main_locations[owner] = _main_location(db, owner)
    count = sum(-(-len(ids) // MAX_CLAIMS_PER_BATCH) for ids in groups.values())
    controls = iter(numbers.next_interchanges(db, count) if count else ())
    for (owner, payer_id), ids in groups.items():
        main_location = main_locations[owner]
        for start in range(0, len(ids), MAX_CLAIMS_PER_BATCH):
            chunk = ids[start:start + MAX_CLAIMS_PER_BATCH]
            control = next(controls)
            now = utcnow()
            text, claims, total = _write_batch(db, chunks(chunk), envelope, control, now, main_location, cache)
            batch = ClaimBatch(practice_id=owner, payer_id=payer_id, interchange_control_number=control,
                               group_control_number=control, transaction_control_number=TRANSACTION_CONTROL_NUMBER,
                               filename=f"837P_{control:09d}_{owner}_{payer_id}.x12", content=text,
                               sha256=hashlib.sha256(text.encode("latin-1")).hexdigest(), claim_count=len(claims),
                               total_charge=total, status="built", adapter=adapter, created_at=now)
            db.add(batch)
            db.flush()
            detail, columns = f"batch {batch.filename}", {"batch_id": batch.id, "submitted_at": now}
            advance_many(db, actor, [Move(claim_id, practice, status, _SUBMIT, detail, columns)
                                     for claim_id, practice, status in claims], batch_id=batch.id)
            audit.record(db, actor, "claim_batch.build", "claim_batch", batch.id, practice_id=owner,
                         reason=f"{len(claims)} claims, ISA13 {control:09d}")
            batches.append(batch)
            if progress:
                progress(len(claims))
    return batches


def list_batches(db: Session, actor: Actor, practice_id: int | None = None, params: PageParams | None = None
                 ) -> Slice:
    """Batches of the practices the actor sees, newest first."""
    query = visible(select(ClaimBatch), actor)
    if practice_id is not None:
        query = query.where(ClaimBatch.practice_id == practice_id)
    return fetch_page(db, query.order_by(ClaimBatch.id.desc()), params or PageParams())


def get_batch(db: Session, actor: Actor, batch_id: int, *, with_content: bool = False) -> ClaimBatch:
    """One batch; reading its file (which names patients) is audited as a PHI read."""
    batch = db.scalar(visible(select(ClaimBatch), actor).where(ClaimBatch.id == batch_id))
    if batch is None:
        raise NotFound("Batch not found")
    if with_content:
        access.can_read(db, actor, batch.practice_id, object_type="claim_batch", object_id=batch.id)
        audit.record(db, actor, "claim_batch.read_file", "claim_batch", batch.id, practice_id=batch.practice_id)
    return batch


def pending_batches(db: Session, actor: Actor, practice_id: int | None = None) -> list[ClaimBatch]:
    """Built but not yet sent (just built, or a previous send failed or was interrupted)."""
    query = visible(select(ClaimBatch), actor).where(ClaimBatch.status == "built")
    if practice_id is not None:
        query = query.where(ClaimBatch.practice_id == practice_id)
    return list(db.scalars(query.order_by(ClaimBatch.id)))
