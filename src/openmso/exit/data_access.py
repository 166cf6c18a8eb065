"""The data access report: who at the MSO read or changed a practice's data, when, under which clause,
and every cross-practice aggregation the practice's data took part in.

It reads the audit trail itself (hash-chained, `core.audit`): an entry written for an MSO user
carries the agreement clause that allowed it (`basis`, noted by `agreements.enforcement.authorize`),
and an aggregation across practices leaves one entry per participating practice
(`agreements.aggregation`). Each entry's data class (Schedule F.2's PHI, billing, operational,
de-identified aggregates) follows from what it touched, by the rules below, so the report can be
filtered by class in SQL and the page, the JSON and the CSV agree.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, false, not_, or_, select
from sqlalchemy.orm import Session

from openmso.agreements.aggregation import ACTION_PREFIX as AGGREGATION_PREFIX
from openmso.agreements.catalogue import DataClass
from openmso.core import audit
from openmso.core.audit import AuditEntry, AuditFilter
from openmso.core.pagination import PageParams, Slice, fetch_page
from openmso.core.tenancy import Actor, Role, ensure_role
from openmso.network import service as network

MSO_SIDE_ROLES = (Role.MSO_ADMIN.value, Role.MSO_STAFF.value, Role.AUDITOR.value)
REPORT_READERS = frozenset({Role.PRACTICE_ADMIN, Role.MSO_ADMIN, Role.AUDITOR})


@dataclass(frozen=True, slots=True)
class ClassRule:
    """Entries whose action starts with one of `prefixes` (or that name a patient, for PHI) touch `data_class`.

    Rules apply in order; the first that matches wins, and an entry no rule matches is operational.
    """

    data_class: DataClass
    prefixes: tuple[str, ...]
    names_a_patient: bool = False
    why: str = ""


CLASS_RULES = (
    ClassRule(DataClass.DEIDENTIFIED, (AGGREGATION_PREFIX,),
              why="cross-practice aggregates, with cells under 11 patients suppressed"),
    ClassRule(DataClass.PHI, ("patient.", "coverage.", "charge.", "claim.", "claim_batch.", "remittance.",
                              "denial.", "ar.patient_", "mso.read_phi", "mso.write_phi", "exit.package"),
              names_a_patient=True,
              why="claims, charges, remittances and denials carry names, member ids and diagnoses (45 CFR §160.103)"),
    ClassRule(DataClass.BILLING, ("ar.", "deposit.", "contract_rate.", "mso.post_payments", "mso.manage_",
                                  "mso.submit_claims", "mso.write_off", "exit.plan"),
              why="amounts and A/R without patient identities"),
)


def data_class_of(action: str, patient_id: int | None) -> DataClass:
    for rule in CLASS_RULES:
        if action.startswith(rule.prefixes) or (rule.names_a_patient and patient_id is not None):
            return rule.data_class
    return DataClass.OPERATIONAL


def _matches(rule: ClassRule):
    condition = or_(*(AuditEntry.action.startswith(prefix, autoescape=True) for prefix in rule.prefixes))
    return or_(condition, AuditEntry.patient_id.is_not(None)) if rule.names_a_patient else condition


def class_condition(data_class: DataClass):
    """The SQL condition that selects exactly the entries `data_class_of` puts in `data_class`."""
    earlier = []
    for rule in CLASS_RULES:
        if rule.data_class is data_class:
            return and_(_matches(rule), *(not_(e) for e in earlier))
        earlier.append(_matches(rule))
    return and_(*(not_(e) for e in earlier)) if earlier else ~false()


def mso_side():
    """Entries of MSO users, auditors and operators' commands, and aggregation events whoever caused them."""
    return or_(and_(AuditEntry.actor_id.is_not(None), AuditEntry.actor_role.in_(MSO_SIDE_ROLES)),
               AuditEntry.actor_name.startswith("cli:", autoescape=True),
               AuditEntry.action.startswith(AGGREGATION_PREFIX, autoescape=True))


@dataclass(frozen=True, slots=True)
class AccessFilter:
    date_from: date | None = None
    date_to: date | None = None
    actor_id: int | None = None
    data_class: DataClass | None = None


def _query(db: Session, actor: Actor, practice_id: int, criteria: AccessFilter):
    network.get_practice(db, actor, practice_id)
    ensure_role(actor, REPORT_READERS, "read the data access report")
    query = audit.filtered_query(actor, AuditFilter(practice_id=practice_id, actor_id=criteria.actor_id,
                                                    date_from=criteria.date_from, date_to=criteria.date_to))
    query = query.where(mso_side())
    if criteria.data_class is not None:
        query = query.where(class_condition(criteria.data_class))
    return query


def report(db: Session, actor: Actor, practice_id: int, criteria: AccessFilter, params: PageParams) -> Slice:
    """A page of the practice's data access report, newest first (the practice's admins, MSO admins, auditors)."""
    return fetch_page(db, _query(db, actor, practice_id, criteria), params)


def readers(db: Session, actor: Actor, practice_id: int) -> list[tuple[int, str]]:
    """(user id, name) of everyone at the MSO who appears in the practice's report, for the filter."""
    query = _query(db, actor, practice_id, AccessFilter()).where(AuditEntry.actor_id.is_not(None))
    found = query.order_by(None).subquery()
    rows = db.execute(select(found.c.actor_id, found.c.actor_name).distinct())
    return sorted({(actor_id, name) for actor_id, name in rows}, key=lambda r: r[1])


def as_row(entry: AuditEntry) -> dict:
    return {"seq": entry.seq, "occurred_at": entry.occurred_at, "actor_id": entry.actor_id,
            "actor_name": entry.actor_name, "actor_role": entry.actor_role, "action": entry.action,
            "object_type": entry.object_type, "object_id": entry.object_id, "patient_id": entry.patient_id,
            "data_class": data_class_of(entry.action, entry.patient_id).value, "outcome": entry.outcome,
            "basis": entry.basis, "reason": entry.reason,
            "aggregation": entry.action.startswith(AGGREGATION_PREFIX)}


CSV_COLUMNS = ["seq", "occurred_at", "actor_id", "actor_name", "actor_role", "action", "object_type", "object_id",
               "patient_id", "data_class", "outcome", "basis", "reason", "aggregation"]


def export_csv(db: Session, actor: Actor, practice_id: int, criteria: AccessFilter,
               batch_size: int = 2000) -> Iterator[str]:
    """The whole filtered report as streamed CSV; the export itself is recorded first."""
    query = _query(db, actor, practice_id, criteria)
    audit.record(db, actor, "exit.data_access_export", "practice", practice_id, practice_id=practice_id,
                 reason=", ".join(f"{k}={v}" for k, v in vars_of(criteria).items() if v is not None) or "all")
    return _stream(db, query, batch_size)


def _stream(db: Session, query, batch_size: int) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for entry in db.scalars(query.execution_options(yield_per=batch_size)):
        row = as_row(entry)
        writer.writerow([row["occurred_at"].isoformat() if name == "occurred_at" else row[name]
                         for name in CSV_COLUMNS])
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def vars_of(criteria: AccessFilter) -> dict:
    return {name: getattr(criteria, name) for name in criteria.__dataclass_fields__}
