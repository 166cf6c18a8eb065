"""Moving claims through the state machine and writing their timeline, one claim or many at once.

`advance` is the only way a claim's status changes: it asks `states.transition` for the next
status (a `Conflict` if the move is not allowed) and appends the timeline entry in the same
transaction. The bulk form writes claims on the same path with set-based statements and the rest
with executemany, so a batch of 100,000 claims is a few round trips, not 300,000 ORM flushes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Subquery, bindparam, func, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from openmso.core.errors import Conflict
from openmso.core.tenancy import Actor
from openmso.core.types import utcnow
from openmso.rcm.claims.id_sets import id_rows, id_set
from openmso.rcm.claims.models import Claim, TimelineEntry
from openmso.rcm.claims.states import ClaimEvent, ClaimStatus, transition


def first_submissions(practice_ids: list[int]) -> Subquery:
    """(claim_id, at) of each of these practices' claims ever submitted: its earliest submission, which
    insurance A/R ages from. `Claim.submitted_at` is the latest one: a claim rejected by the clearinghouse or the
    payer is corrected and sent again, and aging from that restarted its clock (the A/R looked younger than it
    was) and lost it from the A/R of the days it spent rejected."""
    return (select(TimelineEntry.claim_id, func.min(TimelineEntry.occurred_at).label("at"))
            .where(TimelineEntry.practice_id.in_(practice_ids), TimelineEntry.event == ClaimEvent.SUBMIT.value)
            .group_by(TimelineEntry.claim_id).subquery())


def payers_before_rebills(db: Session, practice_ids: list[int], after: datetime) -> dict[int, int | None]:
    """The payer each of these practices' claims rebilled since `after` was billed to then: the one its first
    rebill since moved it from (None for a rebill recorded before the timeline kept it: the current payer is all
    there is). Aging by payer as of a past day shows a claim where it was that day."""
    rows = db.execute(select(TimelineEntry.claim_id, TimelineEntry.previous_payer_id)
                      .where(TimelineEntry.practice_id.in_(practice_ids), TimelineEntry.event == "rebill",
                             TimelineEntry.occurred_at >= after)
                      .order_by(TimelineEntry.occurred_at.desc(), TimelineEntry.id.desc()))
    return dict(rows.all())  # latest first, so each claim's earliest rebill since is the one kept


@dataclass(slots=True)
class Move:
    """One claim's move: its current status and the events to apply in order."""

    claim_id: int
    practice_id: int
    status: str
    events: tuple[ClaimEvent, ...]
    detail: str | None = None
    extra: dict | None = None  # other columns to set on the claim with the new status


def advance(db: Session, actor: Actor, claim: Claim, event: ClaimEvent, detail: str | None = None, *,
            batch_id: int | None = None, inbound_file_id: int | None = None) -> ClaimStatus:
    """Apply `event` to one loaded claim and record it on the timeline."""
    before = claim.status
    claim.status = transition(before, event)
    claim.updated_at = utcnow()
    db.add(TimelineEntry(practice_id=claim.practice_id, claim_id=claim.id, event=event, from_status=before,
                         to_status=claim.status, detail=detail, actor_name=actor.username, batch_id=batch_id,
                         inbound_file_id=inbound_file_id))
    db.flush()
    return ClaimStatus(claim.status)


def advance_many(db: Session, actor: Actor, moves: Iterable[Move], *, batch_id: int | None = None,
                 inbound_file_id: int | None = None) -> int:
    """Apply each move's events (validated one by one) and write every status and timeline entry in bulk.

    Moves that share everything but the claim (the same statuses, events, detail and other columns:
    a chunk's clean claims, a batch's submitted claims) are written together, one INSERT … SELECT per
    event and one UPDATE for all of them; the others go row by row in one executemany each."""
    now = utcnow()
    together: dict[tuple, list[Move]] = {}
    alone: list[tuple[Move, tuple]] = []
    paths: dict[tuple, tuple] = {}  # (status, events) -> steps: a run repeats the same few paths
    shapes: dict[int, tuple] = {}  # id(extra) -> (extra, its items as a key or None): callers share one dict
    for move in moves:
        path = (move.status, move.events)
        steps = paths.get(path)
        if steps is None:
            steps = paths[path] = _steps(move.status, move.events)
        extra = move.extra
        shape = shapes.get(id(extra))
        if shape is None:  # the dict is kept in `shapes`, so its id is not reused during the call
            shape = shapes[id(extra)] = (extra, _hashable_items(extra))
        if not steps or shape[1] is None:  # no event, or an unhashable column value: written on its own
            alone.append((move, steps))
            continue
        key = (move.practice_id, steps, move.detail, shape[1])
        group = together.get(key)
        if group is None:
            together[key] = [move]
        else:
            group.append(move)
    count = len(alone)
    for (practice_id, steps, detail, extra), group in together.items():
        count += len(group)
        if len(group) >= TOGETHER_MIN:
            _advance_together(db, actor, practice_id, [move.claim_id for move in group], steps, detail, dict(extra),
                              now, batch_id, inbound_file_id)
        else:
            alone += [(move, steps) for move in group]
    updates, entries = [], []
    for move, steps in alone:
        entries += [{"practice_id": move.practice_id, "claim_id": move.claim_id, "occurred_at": now,
                     "event": event, "from_status": before, "to_status": after, "detail": move.detail,
                     "actor_name": actor.username, "batch_id": batch_id, "inbound_file_id": inbound_file_id}
                    for before, event, after in steps]
        updates.append({"id": move.claim_id, "status": steps[-1][2] if steps else move.status, "updated_at": now,
                        **(move.extra or {})})
    if updates:
        bulk_update(db, Claim, updates)
        bulk_insert(db, TimelineEntry, entries)
    return count


def _hashable_items(extra: dict | None) -> tuple | None:
    """The columns of `extra` as a sorted tuple to group moves by, or None when a value cannot be hashed."""
    items = tuple(sorted((extra or {}).items()))
    try:
        hash(items)
    except TypeError:
        return None
    return items


TOGETHER_MIN = 16  # moves alike enough to be written by set-based statements rather than row by row
_STEPS: dict[tuple[str, tuple[str, ...]], tuple[tuple[str, str, str], ...]] = {}
_EVENT_TABLE, _CLAIM_TABLE = TimelineEntry.__table__, Claim.__table__
_EVENT_CONSTANTS = ("occurred_at", "event", "from_status", "to_status", "detail", "actor_name", "batch_id",
                    "inbound_file_id")


def _steps(status: str, events: tuple[ClaimEvent, ...]) -> tuple[tuple[str, str, str], ...]:
    """(from status, event, to status) of each event from `status`, validated by `transition` (a
    `Conflict` names the refused move); remembered, as a run repeats the same few paths."""
    key = (str(status), tuple(str(event) for event in events))
    steps = _STEPS.get(key)
    if steps is None:
        found, current = [], key[0]
        for event in events:
            after = transition(current, event).value
            found.append((current, ClaimEvent(event).value, after))
            current = after
        steps = _STEPS[key] = tuple(found)
    return steps


_TOGETHER: dict[tuple, tuple] = {}


def _together_statements(where, rows, extra: tuple[str, ...]):
    """The timeline INSERT … SELECT (from the id rows: it reads no table) and the claim UPDATE of
    `_advance_together`, built once per shape."""
    key = (where, rows, extra)
    statements = _TOGETHER.get(key)
    if statements is None:
        constants = [bindparam(f"v_{name}", type_=_EVENT_TABLE.c[name].type)
                     for name in ("practice_id", *_EVENT_CONSTANTS)]
        timeline = insert(_EVENT_TABLE).from_select(
            ["practice_id", "claim_id", *_EVENT_CONSTANTS],
            select(constants[0], rows.c.value, *constants[1:]))
        columns = ("status", "updated_at", *extra)
        claims = (update(_CLAIM_TABLE)
                  .where(where, _CLAIM_TABLE.c.status == bindparam("v_from", type_=_CLAIM_TABLE.c.status.type))
                  .values({name: bindparam(f"v_{name}", type_=_CLAIM_TABLE.c[name].type) for name in columns}))
        statements = _TOGETHER[key] = (timeline, claims)
    return statements


def _advance_together(db: Session, actor: Actor, practice_id: int, claim_ids: list[int],
                      steps: tuple[tuple[str, str, str], ...], detail: str | None, extra: dict, now,
                      batch_id: int | None, inbound_file_id: int | None) -> None:
    """One timeline INSERT … SELECT per event and one UPDATE for claims on the same path. The UPDATE
    also requires each claim to still have the status the moves were computed from, so a claim changed
    meanwhile by another transaction is a `Conflict` (and the caller's unit of work rolls back), never a
    silently wrong timeline."""
    db.flush()  # the session's pending changes first, as `Session.execute` would (autoflush)
    connection = db.connection()
    distinct = sorted(set(claim_ids))
    where, params = id_set(connection, _CLAIM_TABLE.c.id, distinct, "claims")
    rows, row_params = id_rows(connection, distinct, "claim_rows")
    timeline, claims = _together_statements(where, rows, tuple(extra))
    for before, event, after in steps:
        connection.execute(timeline, {**row_params, "v_practice_id": practice_id, "v_occurred_at": now,
                                      "v_event": event, "v_from_status": before, "v_to_status": after,
                                      "v_detail": detail, "v_actor_name": actor.username, "v_batch_id": batch_id,
                                      "v_inbound_file_id": inbound_file_id})
    values = {"status": steps[-1][2], "updated_at": now, **extra}
    changed = connection.execute(claims, {**params, "v_from": steps[0][0],
                                          **{f"v_{name}": value for name, value in values.items()}}).rowcount
    if changed != len(distinct):
        raise Conflict(f"{len(distinct) - changed} of {len(distinct)} claims are no longer {steps[0][0]}: "
                       "another change reached them first; nothing was saved, run again")
    _expire_held(db, Claim, distinct, list(values))


def execute_many(db: Session, statement, rows: list[dict]) -> None:
    """Run `statement` once per row as one DBAPI executemany on the session's connection.

    The statement is compiled once and each value converted by its column type's bind processor
    (Money to cents, aware datetimes, dates), exactly as SQLAlchemy would; what this skips is
    SQLAlchemy building every row's parameters through the compiled statement, which is most of
    the cost of writing 100,000 status changes and timeline entries."""
    if not rows:
        return
    db.flush()  # the session's pending changes first, as `Session.execute` would (autoflush)
    connection = db.connection()
    compiled = statement.compile(dialect=connection.dialect)
    processors = compiled._bind_processors
    names = list(compiled.positiontup) if compiled.positional else list(compiled.binds)
    convert = [(name, _remember_last(processors[name]) if name in processors else None) for name in names]
    if compiled.positional:
        parameters = [tuple(row[name] if process is None or row[name] is None else process(row[name])
                            for name, process in convert) for row in rows]
    else:
        parameters = [{name: row[name] if process is None or row[name] is None else process(row[name])
                       for name, process in convert} for row in rows]
    cursor = connection.connection.cursor()
    try:
        cursor.executemany(str(compiled), parameters)
    finally:
        cursor.close()


def _remember_last(process):
    """A bind processor that reuses its last result for the same value: a run stamps every row with
    one `now`, and converting that datetime 100,000 times is a measurable share of the write."""
    last = [object(), None]

    def convert(value):
        if value is not last[0]:
            last[0], last[1] = value, process(value)
        return last[1]

    return convert


def bulk_insert(db: Session, model, rows: list[dict]) -> None:
    """INSERT one row per dict (all with the same keys) as one executemany."""
    if rows:
        table = model.__table__
        execute_many(db, insert(table).values({name: bindparam(name) for name in rows[0]}), rows)


def bulk_update(db: Session, model, rows: list[dict]) -> None:
    """UPDATE … WHERE id = ? as one executemany per set of columns (no per-row ORM bookkeeping)."""
    table = model.__table__
    groups: dict[tuple[str, ...], list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(k for k in row if k != "id")), []).append(row)
    for columns, group in groups.items():
        statement = (update(table).where(table.c.id == bindparam("row_id"))
                     .values({name: bindparam(name) for name in columns}))
        execute_many(db, statement, [{"row_id": row["id"], **{k: row[k] for k in columns}} for row in group])
    for columns, group in groups.items():
        _expire_held(db, model, [row["id"] for row in group], list(columns))


def _expire_held(db: Session, model, ids: list[int], columns: list[str]) -> None:
    """An UPDATE that bypassed the ORM: expire what it changed on any instance this session already
    holds, so a later `db.get` or attribute read sees the new values instead of the stale ones."""
    identity_map = db.identity_map
    if len(identity_map) < len(ids):  # usually: a bulk run holds few ORM objects
        wanted = set(ids)
        held = [identity_map.get(key) for key in list(identity_map.keys())
                if issubclass(key[0], model) and key[1][0] in wanted]
    else:
        held = [identity_map.get(identity_key(model, row_id)) for row_id in ids]
    for obj in held:
        if obj is not None:
            db.expire(obj, columns)


def record_created(db: Session, actor: Actor, claims: list[tuple[int, int]], detail: str) -> None:
    """The first timeline entry of new draft claims ((claim id, practice id) pairs)."""
    now = utcnow()
    if claims:
        bulk_insert(db, TimelineEntry, [
            {"practice_id": practice_id, "claim_id": claim_id, "occurred_at": now, "event": "create",
             "from_status": None, "to_status": ClaimStatus.DRAFT.value, "detail": detail,
             "actor_name": actor.username, "batch_id": None, "inbound_file_id": None}
            for claim_id, practice_id in claims])
