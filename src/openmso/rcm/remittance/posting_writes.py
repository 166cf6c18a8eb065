"""Writing posted rows in bulk: ids handed out up front, values converted once per distinct value,
rows sent with COPY on PostgreSQL and multi-row INSERTs on SQLite.

A payment of 100,000 claims writes about a million rows (claim and line postings, patient ledger,
denials). Through the ORM's bulk insert each row's every value passes its column type's bind
processor (Money to cents, dates to text on SQLite); remittances repeat the same amounts and
dates on thousands of lines, so each column's processor here remembers what it returned for a
value. Line postings point at their claim posting, so claim posting ids are taken before the
insert (`take_ids`) instead of read back with RETURNING row by row.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from itertools import chain

from sqlalchemy import Table, func, insert, select, text, update
from sqlalchemy.orm import Session

from openmso.core.types import utcnow
from openmso.rcm.claims.models import Claim
from openmso.rcm.denials.models import DenialCase, DenialNote
from openmso.rcm.remittance.lookups import array_literal
from openmso.rcm.remittance.models import RemittanceException

_MEMO_LIMIT = 65536

# Column orders of the rows `posting._collect` builds as tuples (`posting._write` puts the ids and stamps in front).
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


class _Memo(dict):
    """``memo[value]`` → the column type's bind processor applied to `value`, remembered (bounded):
    values are hashable (Decimal, date, datetime, str, bool) and repeat."""

    def __init__(self, process: Callable) -> None:
        super().__init__()
        self.process = process

    def __missing__(self, value):
        result = None if value is None else self.process(value)
        if len(self) < _MEMO_LIMIT:
            self[value] = result
        return result


def _values(db: Session, table: Table, columns: Sequence[str], rows: list[tuple]) -> Iterator[tuple]:
    """`rows` with each column converted by its type's bind processor (map over C-level lookups)."""
    dialect = db.get_bind().dialect
    converted = []
    for name, values in zip(columns, zip(*rows, strict=True), strict=True):
        process = table.c[name].type._cached_bind_processor(dialect)
        converted.append(values if process is None else map(_Memo(process).__getitem__, values))
    return zip(*converted, strict=True)


ROWS_PER_INSERT = 100  # rows per multi-row INSERT on SQLite (fewer if the host-parameter limit is lower)


def insert_rows(db: Session, table: Table, columns: Sequence[str], rows: list[tuple]) -> None:
    """INSERT `rows` (tuples in `columns` order) into `table`: COPY on PostgreSQL; on SQLite,
    multi-row INSERTs (one statement step per `ROWS_PER_INSERT` rows instead of per row: a third
    less time for a posting's line rows), in the rows' order."""
    if not rows:
        return
    db.flush()  # pending ORM changes first, in order, as Session.execute would
    values = _values(db, table, columns, rows)
    connection = db.connection()
    quoted = ", ".join(connection.dialect.identifier_preparer.quote(name) for name in columns)
    name = connection.dialect.identifier_preparer.format_table(table)
    raw = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        with raw.cursor() as cursor, cursor.copy(f"COPY {name} ({quoted}) FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)
        return
    width = len(columns)
    per = max(1, min(ROWS_PER_INSERT, raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // width))
    flat = list(chain.from_iterable(values))
    full = len(rows) // per
    step = per * width
    row_marks = f"({', '.join('?' * width)})"
    cursor = raw.cursor()
    try:
        if full:
            cursor.executemany(f"INSERT INTO {name} ({quoted}) VALUES {', '.join([row_marks] * per)}",
                               [flat[start:start + step] for start in range(0, full * step, step)])
        if rest := len(rows) - full * per:
            cursor.execute(f"INSERT INTO {name} ({quoted}) VALUES {', '.join([row_marks] * rest)}", flat[full * step:])
    finally:
        cursor.close()


def set_claim_statuses(db: Session, changes: list[tuple[int, str, str | None]]) -> None:
    """Each claim's new status and, when the payer sent one, its payer claim number ((claim id,
    status, number or None) triples), stamped with one `updated_at`.

    PostgreSQL: one UPDATE … FROM unnest(arrays), a single statement for the piece; the ids are
    also given as `claim.id = ANY(ids)`, so the claims are found through the primary key: joined to
    the unnest alone, the planner read the whole claim table into a hash for every piece (a piece
    of 2,000 claims scanned all 25,000 claims of the benchmark, and would scan millions). SQLite:
    one executemany. The statuses were checked against the state machine by the caller, which also
    writes the timeline entries; instances the session holds are expired so they are read again."""
    if not changes:
        return
    # A claim paid twice in one piece (a payment, its reversal, the corrected payment) is updated once
    # with its last status and the last payer claim number sent: UPDATE … FROM takes one matching row.
    final: dict[int, list] = {}
    for claim_id, status, number in changes:
        entry = final.setdefault(claim_id, [status, number])
        entry[0] = status
        if number is not None:
            entry[1] = number
    changes = [(claim_id, status, number) for claim_id, (status, number) in final.items()]
    db.flush()
    table = Claim.__table__
    connection = db.connection()
    now = table.c.updated_at.type._cached_bind_processor(connection.dialect)(utcnow())
    raw = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        ids, statuses, numbers = (list(column) for column in zip(*changes, strict=True))
        with raw.cursor() as cursor:
            cursor.execute("UPDATE claim SET status = v.status, updated_at = %s, "
                           "payer_claim_number = COALESCE(v.number, claim.payer_claim_number) "
                           "FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS v(id, status, number) "
                           "WHERE claim.id = v.id AND claim.id = ANY(%s::bigint[])",
                           [now, *(array_literal(column) for column in (ids, statuses, numbers, ids))])
    else:
        cursor = raw.cursor()
        try:
            cursor.executemany("UPDATE claim SET status = ?, updated_at = ?, "
                               "payer_claim_number = COALESCE(?, payer_claim_number) WHERE id = ?",
                               [(status, now, number, claim_id) for claim_id, status, number in changes])
        finally:
            cursor.close()
    _expire_held(db, Claim, {claim_id for claim_id, _, _ in changes}, ["status", "updated_at", "payer_claim_number"])


def _expire_held(db: Session, model, ids: set[int], attributes: list[str]) -> None:
    """Expire `attributes` of the `model` instances with these ids that the session holds: the rows
    were changed by a bulk statement the identity map does not see, so a later read must reload them."""
    for key, held in list(db.identity_map.items()):
        if key[0] is model and key[1][0] in ids:
            db.expire(held, attributes)


SETTLED = "settled"  # a denial case the payer's later adjudication of the claim answered
_TO_WORK = ("open", "appealed")


def settle_earlier_denials(db: Session, actor, postings: list[tuple[int, int, str]], source: str) -> None:
    """Close the still-to-work denial cases of claims the payer adjudicated again, each (claim id, new
    claim posting id, outcome): a reversal (CLP02 22) and the corrected payment that follows take
    back the denial, so its case is settled by the posting, not left on the worklist to be written
    off or appealed a second time. A case the new posting itself opened (denied again) stays open.
    Few claims are adjudicated twice; each settled case gets a note saying by what."""
    latest = {claim_id: (posting_id, outcome) for claim_id, posting_id, outcome in postings}
    cases = db.execute(select(DenialCase.id, DenialCase.claim_id, DenialCase.claim_posting_id, DenialCase.practice_id)
                       .where(DenialCase.claim_id.in_(latest), DenialCase.status.in_(_TO_WORK))).all()
    settled = [case for case in cases if case.claim_posting_id < latest[case.claim_id][0]]
    if not settled:
        return
    now = utcnow()
    db.execute(update(DenialCase).where(DenialCase.id.in_([case.id for case in settled]))
               .values(status=SETTLED, closed_at=now))
    _expire_held(db, DenialCase, {case.id for case in settled}, ["status", "closed_at"])
    db.execute(insert(DenialNote), [
        {"practice_id": case.practice_id, "case_id": case.id, "author": actor.username, "action": SETTLED,
         "created_at": now, "text": f"settled by {source}: the payer adjudicated the claim again "
                                   f"({latest[case.claim_id][1].replace('_', ' ')})"} for case in settled])


def close_overpayment_flags(db: Session, actor, closing: list[tuple[int, str, str]]) -> None:
    """Resolve the open `cob_overpayment` flags of later payers' claims, each (practice id, claim's patient
    control number, the resolution): the payer reversed the payment a flag asked a person to refund (refunding
    it too would pay the payer twice), or an earlier payer's new decision settled that payment again, and what
    is left over, if anything, is flagged anew by this posting. Few claims; one UPDATE each."""
    for practice_id, pcn, resolution in dict.fromkeys(closing):
        found = (select(RemittanceException.id)
                 .where(RemittanceException.practice_id == practice_id, RemittanceException.kind == "cob_overpayment",
                        RemittanceException.patient_control_number == pcn, RemittanceException.status == "open"))
        ids = set(db.scalars(found))
        if not ids:
            continue
        db.execute(update(RemittanceException).where(RemittanceException.id.in_(ids)).values(
            status="resolved", resolved_by=actor.username, resolution=resolution[:500]))
        _expire_held(db, RemittanceException, ids, ["status", "resolved_by", "resolution"])


def take_ids(db: Session, table: Table, count: int) -> list[int]:
    """`count` new primary keys for `table`, reserved before the rows are written.

    PostgreSQL: from the column's sequence, safe under concurrent writers. SQLite: after the
    largest id, safe because this transaction has written already and SQLite admits one writer at
    a time (the remittance row is flushed before anything is posted).
    """
    if count <= 0:
        return []
    if db.get_bind().dialect.name == "postgresql":
        sequence = f"pg_get_serial_sequence('{table.name}', 'id')"
        return list(db.scalars(text(f"SELECT nextval({sequence}) FROM generate_series(1, :n)"), {"n": count}))
    db.flush()
    start = (db.scalar(select(func.max(table.c.id))) or 0) + 1
    return list(range(start, start + count))
