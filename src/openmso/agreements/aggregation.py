"""Views that combine several practices' data: only practices that consented, and no small cells.

A practice's data enters a cross-practice figure (a network KPI, a network or per-payer A/R total)
only if its signed agreement gives benchmarking consent (Schedule F.3, `DataRights.benchmarking_consent`).
A cell computed from 1 to 10 patients is suppressed — the CMS cell-size suppression policy (no cell of
fewer than 11 beneficiaries is published, CMS data use agreements), which keeps a small practice's
single patients from being read out of a network figure. A total is suppressed too when a cell it adds
up is, so the hidden cell cannot be recovered by subtraction (complementary suppression).

Each use is recorded in the audit trail once per participating practice, with the consent clause as
its basis, so every practice's data access report shows the aggregations its data took part in.
"""

from __future__ import annotations

import uuid
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from openmso.agreements.catalogue import BENCHMARKING_CLAUSE
from openmso.agreements.enforcement import active_terms
from openmso.core import audit
from openmso.core.tenancy import Actor

MIN_CELL_PATIENTS = 11
ACTION_PREFIX = "aggregation."


@dataclass(frozen=True, slots=True)
class Participation:
    """Which of the candidate practices a cross-practice view may combine."""

    included: tuple[int, ...]
    excluded: tuple[int, ...] = ()
    clauses: Mapping[int, str] = field(default_factory=dict)
    is_aggregate: bool = False  # the view adds several practices' data into one figure


def separately(practice_ids: Iterable[int]) -> Participation:
    """A view that shows each practice's figures apart (by practice, by provider): nothing is combined."""
    return Participation(tuple(sorted(set(practice_ids))))


def participation(db: Session, practice_ids: Iterable[int]) -> Participation:
    """Split `practice_ids` into those whose signed agreement consents to benchmarking and the rest.

    A single practice is not an aggregation: its own view stays whole whatever its consent.
    """
    ids = sorted(set(practice_ids))
    if len(ids) <= 1:
        return separately(ids)
    included, excluded, clauses = [], [], {}
    for practice_id in ids:
        active = active_terms(db, practice_id)
        if active is not None and active.terms.data_rights.benchmarking_consent:
            included.append(practice_id)
            clauses[practice_id] = f"{BENCHMARKING_CLAUSE} of {active.label}"
        else:
            excluded.append(practice_id)
    return Participation(tuple(included), tuple(excluded), clauses, is_aggregate=True)


def too_small(patients: int) -> bool:
    """A cell of 1–10 patients is suppressed; an empty cell says nothing about anyone."""
    return 0 < patients < MIN_CELL_PATIENTS


def suppressed_cells(patients: Mapping[Hashable, Mapping[Hashable, int]]) -> set[tuple[Hashable, Hashable]]:
    """The (row, column) cells of a table of patient counts to hide, each row and column total included.

    `patients[row][column]` is the number of distinct patients behind a cell. A row's total is
    returned as (row, None), a column's as (None, column) and the grand total as (None, None); each
    is suppressed when it is itself too small or sums a suppressed cell.
    """
    hidden: set[tuple[Hashable, Hashable]] = set()
    columns: set[Hashable] = set()
    for row, cells in patients.items():
        for column, count in cells.items():
            columns.add(column)
            if too_small(count):
                hidden.update({(row, column), (row, None), (None, column), (None, None)})
    return hidden


def suppress(values: dict, populations: Mapping[str, int]) -> set[str]:
    """Blank (set to None) each value whose population is too small; return the keys blanked."""
    blanked = {key for key in values if too_small(populations.get(key, 0))}
    for key in blanked:
        values[key] = None
    return blanked


def record(db: Session, actor: Actor, view: str, scope: Participation, patients: int, suppressed: int,
           detail: str = "") -> None:
    """One audit entry per participating practice, linked by an event key, naming the consent clause."""
    if not scope.is_aggregate:
        return
    event = uuid.uuid4().hex[:16]
    left_out = f"; {len(scope.excluded)} without consent left out" if scope.excluded else ""
    reason = (f"{view}: {len(scope.included)} consenting practices, {patients:,} patients, {suppressed} cells "
              f"suppressed (<{MIN_CELL_PATIENTS} patients){left_out}" + (f"; {detail}" if detail else ""))
    for practice_id in scope.included:
        audit.record(db, actor, ACTION_PREFIX + view, "aggregation", event, practice_id=practice_id,
                     reason=reason[:500], basis=scope.clauses.get(practice_id))
