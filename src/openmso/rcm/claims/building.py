"""Charges become claims: grouped by encounter, split where the 837P or payer rules require.

One claim per patient, coverage, rendering and referring provider, location, prior authorization
and encounter (the EHR's encounter id, else the date of service). A group that would pass 50
lines or 12 diagnoses (837P 2400 and 2300 HI limits) continues on another claim. Each line's
diagnosis pointers are re-based onto the claim's diagnosis list.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from openmso.core import audit
from openmso.core.tenancy import Actor
from openmso.network.models import Coverage, Location
from openmso.rcm.claims import access, numbers
from openmso.rcm.claims.models import Charge, Claim, ClaimLine, join_codes, split_codes
from openmso.rcm.claims.timeline import bulk_update, record_created

MAX_LINES = 50
MAX_DIAGNOSES = 12
CHUNK = 5000


@dataclass
class _Draft:
    key: tuple
    charges: list = field(default_factory=list)
    diagnoses: list[str] = field(default_factory=list)

    def fits(self, charge) -> bool:
        new = [d for d in split_codes(charge.diagnoses) if d not in self.diagnoses]
        return len(self.charges) < MAX_LINES and len(self.diagnoses) + len(new) <= MAX_DIAGNOSES

    def add(self, charge) -> None:
        for code in split_codes(charge.diagnoses):
            if code not in self.diagnoses:
                self.diagnoses.append(code)
        self.charges.append(charge)


def group_charges(charges: Iterable) -> list[_Draft]:
    """Pure grouping of charge rows (anything with the Charge columns) into claim drafts."""
    open_drafts: dict[tuple, _Draft] = {}
    drafts: list[_Draft] = []
    for charge in charges:
        key = (charge.patient_id, charge.coverage_id, charge.rendering_provider_id, charge.referring_provider_id,
               charge.location_id, charge.prior_authorization, charge.encounter_key or charge.service_date)
        draft = open_drafts.get(key)
        if draft is None or not draft.fits(charge):
            draft = open_drafts[key] = _Draft(key)
            drafts.append(draft)
        draft.add(charge)
    return drafts


_CHARGE_COLUMNS = (Charge.id, Charge.practice_id, Charge.patient_id, Charge.coverage_id,
                   Charge.rendering_provider_id, Charge.referring_provider_id, Charge.location_id,
                   Charge.service_date, Charge.service_date_end, Charge.procedure_code, Charge.modifiers,
                   Charge.units, Charge.charge_amount, Charge.diagnoses, Charge.pointers,
                   Charge.prior_authorization, Charge.encounter_key)


def build_claims(db: Session, actor: Actor, practice_id: int, charge_ids: list[int] | None = None) -> list[int]:
    """Turn the practice's unbilled charges (or the given ones) into draft claims; returns the claim ids."""
    access.can_manage_charges(db, actor, practice_id, object_type="claim")
    query = select(*_CHARGE_COLUMNS).where(Charge.practice_id == practice_id, Charge.claim_id.is_(None))
    claim_ids: list[int] = []
    selected = sorted(charge_ids) if charge_ids is not None else None
    chunks = ([selected[i:i + CHUNK] for i in range(0, len(selected), CHUNK)] if selected is not None else [None])
    payers = dict(db.execute(select(Coverage.id, Coverage.payer_id).where(Coverage.practice_id == practice_id)).all())
    places = dict(db.execute(select(Location.id, Location.place_of_service)
                             .where(Location.practice_id == practice_id)).all())
    for chunk in chunks:
        scoped = query if chunk is None else query.where(Charge.id.in_(chunk))
        charges = list(db.execute(scoped.order_by(Charge.patient_id, Charge.service_date, Charge.id)))
        claim_ids += _insert_drafts(db, actor, practice_id, group_charges(charges), payers, places)
    audit.record(db, actor, "claim.build", "claim", None, practice_id=practice_id,
                 reason=f"{len(claim_ids)} draft claims from unbilled charges")
    return claim_ids


def _insert_drafts(db: Session, actor: Actor, practice_id: int, drafts: list[_Draft], payers: dict[int, int],
                   places: dict[int, str]) -> list[int]:
    if not drafts:
        return []
    pcns = numbers.patient_control_numbers(db, practice_id, len(drafts))
    claim_rows = []
    for draft, pcn in zip(drafts, pcns, strict=True):
        first = draft.charges[0]
        dates: list[date] = [c.service_date for c in draft.charges] + [c.service_date_end for c in draft.charges
                                                                       if c.service_date_end]
        claim_rows.append({
            "practice_id": practice_id, "patient_id": first.patient_id, "coverage_id": first.coverage_id,
            "payer_id": payers.get(first.coverage_id), "patient_control_number": pcn, "status": "draft",
            "frequency_code": "1", "payer_responsibility": "P",
            "rendering_provider_id": first.rendering_provider_id,
            "referring_provider_id": first.referring_provider_id, "location_id": first.location_id,
            "place_of_service": places.get(first.location_id, ""), "prior_authorization": first.prior_authorization,
            "service_date_from": min(dates), "service_date_to": max(dates),
            "total_charge": sum((c.charge_amount for c in draft.charges), Decimal(0)),
            "diagnoses": join_codes(draft.diagnoses), "encounter_key": first.encounter_key,
            "error_count": 0, "warning_count": 0,
        })
    ids = list(db.scalars(insert(Claim).returning(Claim.id, sort_by_parameter_order=True), claim_rows))
    line_rows, charge_updates = [], []
    for claim_id, draft in zip(ids, drafts, strict=True):
        for number, charge in enumerate(draft.charges, start=1):
            own = split_codes(charge.diagnoses)
            pointers = [draft.diagnoses.index(own[int(p) - 1]) + 1 for p in split_codes(charge.pointers)
                        if 1 <= int(p) <= len(own)]
            line_rows.append({"practice_id": practice_id, "claim_id": claim_id, "charge_id": charge.id,
                              "line_number": number, "procedure_code": charge.procedure_code,
                              "modifiers": charge.modifiers, "units": charge.units,
                              "charge_amount": charge.charge_amount, "service_date": charge.service_date,
                              "service_date_end": charge.service_date_end, "pointers": join_codes(pointers)})
            charge_updates.append({"id": charge.id, "claim_id": claim_id})
    db.execute(insert(ClaimLine.__table__), line_rows)
    bulk_update(db, Charge, charge_updates)
    record_created(db, actor, [(claim_id, practice_id) for claim_id in ids], "built from charges")
    return ids
