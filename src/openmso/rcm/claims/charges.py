"""Charges in: one at a time (UI, API) or a day's file from the practice's EHR (CSV).

A CSV import checks every row and reports every problem by line and column. A file with any bad
row imports nothing unless the caller asks to take the good rows; either way nothing is written
half: the rows are inserted together or not at all.

CSV columns (header row required, order free): mrn, service_date, procedure_code, charge_amount,
diagnoses, rendering_npi, location — required; service_date_end, modifiers, units, pointers,
referring_npi, payer_code, prior_authorization, encounter — optional. Lists (diagnoses,
modifiers, pointers) are separated by spaces, ';' or ':'.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date

from pydantic import ValidationError
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from openmso.core import audit
from openmso.core.errors import FieldError, Invalid, NotFound
from openmso.core.tenancy import Actor, visible
from openmso.network.models import Coverage, Location, Patient, Provider
from openmso.network.service import get_practice
from openmso.rcm.claims import access
from openmso.rcm.claims.models import Charge, join_codes
from openmso.rcm.claims.schemas import ChargeCreate, ChargeFields

REQUIRED_COLUMNS = ("mrn", "service_date", "procedure_code", "charge_amount", "diagnoses", "rendering_npi",
                    "location")
OPTIONAL_COLUMNS = ("service_date_end", "modifiers", "units", "pointers", "referring_npi", "payer_code",
                    "prior_authorization", "encounter")
MAX_ROWS = 100_000


def _row(practice_id: int, fields: ChargeFields, source: str, **ids) -> dict:
    return {"practice_id": practice_id, "service_date": fields.service_date,
            "service_date_end": fields.service_date_end, "procedure_code": fields.procedure_code,
            "modifiers": join_codes(fields.modifiers), "units": fields.units,
            "charge_amount": fields.charge_amount, "diagnoses": join_codes(fields.diagnoses),
            "pointers": join_codes(fields.pointers), "prior_authorization": fields.prior_authorization,
            "encounter_key": fields.encounter_key, "source": source,
            "claim_id": None, "referring_provider_id": None, **ids}


def default_coverage(coverages: list[Coverage], day: date, payer_code: str | None = None) -> Coverage | None:
    """The coverage to bill for a service on `day`: the given payer's, else the lowest priority active one."""
    for coverage in sorted(coverages, key=lambda c: c.priority):
        if coverage.active_on(day) and (payer_code is None or coverage.payer.payer_code == payer_code):
            return coverage
    return None


def create_charge(db: Session, actor: Actor, practice_id: int, data: ChargeCreate, source: str = "api") -> Charge:
    """Enter one charge for a patient of the practice (every referenced record must be the practice's)."""
    get_practice(db, actor, practice_id)
    access.can_manage_charges(db, actor, practice_id)
    patient = db.scalar(visible(select(Patient), actor).where(Patient.id == data.patient_id,
                                                              Patient.practice_id == practice_id))
    if patient is None:
        raise Invalid.field(["body", "patient_id"], "no such patient in this practice")
    for name, model, value in (("rendering_provider_id", Provider, data.rendering_provider_id),
                               ("referring_provider_id", Provider, data.referring_provider_id),
                               ("location_id", Location, data.location_id)):
        if value is not None and db.scalar(visible(select(model.id), actor, model)
                                           .where(model.id == value, model.practice_id == practice_id)) is None:
            raise Invalid.field(["body", name], f"no such {name.removesuffix('_id').replace('_', ' ')} "
                                                "in this practice")
    if data.coverage_id is not None:
        coverage = next((c for c in patient.coverages if c.id == data.coverage_id), None)
        if coverage is None:
            raise Invalid.field(["body", "coverage_id"], "not one of this patient's coverages")
    else:
        coverage = default_coverage(patient.coverages, data.service_date)
        if coverage is None:
            raise Invalid.field(["body", "coverage_id"], f"the patient has no coverage active on "
                                                         f"{data.service_date.isoformat()}")
    fields = ChargeFields.model_validate(data.model_dump(include=set(ChargeFields.model_fields)))
    row = _row(practice_id, fields, source, patient_id=patient.id, coverage_id=coverage.id,
               rendering_provider_id=data.rendering_provider_id, location_id=data.location_id)
    row["referring_provider_id"] = data.referring_provider_id
    charge = Charge(**row, created_by=actor.username)
    db.add(charge)
    db.flush()
    audit.record(db, actor, "charge.create", "charge", charge.id, practice_id=practice_id, patient_id=patient.id)
    return charge


def get_charge(db: Session, actor: Actor, charge_id: int) -> Charge:
    charge = db.scalar(visible(select(Charge), actor).where(Charge.id == charge_id))
    if charge is None:
        raise NotFound("Charge not found")
    access.can_read(db, actor, charge.practice_id, object_type="charge", object_id=charge.id,
                    patient_id=charge.patient_id)
    audit.record(db, actor, "charge.read", "charge", charge.id, practice_id=charge.practice_id,
                 patient_id=charge.patient_id)
    return charge


@dataclass
class _Lookups:
    """The practice's patients, providers and locations by the keys a CSV names them with."""

    patients: dict[str, Patient] = field(default_factory=dict)
    providers: dict[str, int] = field(default_factory=dict)
    locations: dict[str, int] = field(default_factory=dict)

    @classmethod
    def load(cls, db: Session, practice_id: int, mrns: set[str]) -> _Lookups:
        lookups = cls()
        mrn_list = sorted(mrns)
        for start in range(0, len(mrn_list), 900):
            for patient in db.scalars(select(Patient).where(Patient.practice_id == practice_id,
                                                            Patient.mrn.in_(mrn_list[start:start + 900]))):
                lookups.patients[patient.mrn] = patient
        lookups.providers = dict(db.execute(select(Provider.npi, Provider.id)
                                            .where(Provider.practice_id == practice_id)).all())
        for location_id, name in db.execute(select(Location.id, Location.name)
                                            .where(Location.practice_id == practice_id)):
            lookups.locations[name.strip().lower()] = location_id
        return lookups


def _pydantic_errors(line: int, error: ValidationError) -> list[FieldError]:
    found = []
    for problem in error.errors():
        column = str(problem["loc"][0]) if problem["loc"] else "row"
        found.append(FieldError([f"line {line}", column], problem["msg"].removeprefix("Value error, ")))
    return found


def parse_csv(db: Session, practice_id: int, text: str) -> tuple[list[dict], list[FieldError], int]:
    """Check every row; returns (charge rows ready to insert, with their line numbers), errors, row count."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [c for c in header if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if missing or unknown:
        errors = [FieldError(["line 1", c], "required column is missing") for c in missing]
        errors += [FieldError(["line 1", c], "unknown column") for c in unknown]
        raise Invalid("The CSV header does not match the charge import format", errors=errors)
    reader.fieldnames = header
    raw_rows = []
    for raw in reader:
        raw_rows.append((reader.line_num, raw))
        if len(raw_rows) > MAX_ROWS:
            raise Invalid.field(["line 1"], f"more than {MAX_ROWS:,} rows; split the file")
    lookups = _Lookups.load(db, practice_id, {(r.get("mrn") or "").strip() for _, r in raw_rows})
    rows, errors = [], []
    for line, raw in raw_rows:
        values = {k: (v or "").strip() for k, v in raw.items() if k is not None}
        if None in raw:
            errors.append(FieldError([f"line {line}", "row"], "more values than header columns"))
            continue
        found: list[FieldError] = []
        given = {k: values[k] for k in ChargeFields.model_fields if values.get(k)}
        if values.get("encounter"):
            given["encounter_key"] = values["encounter"]
        fields = None
        try:
            fields = ChargeFields.model_validate(given)
        except ValidationError as error:
            found += _pydantic_errors(line, error)
        patient = lookups.patients.get(values.get("mrn", ""))
        if patient is None:
            found.append(FieldError([f"line {line}", "mrn"], f"no patient with MRN {values.get('mrn')!r} "
                                                              "in this practice"))
        rendering = lookups.providers.get(values.get("rendering_npi", ""))
        if rendering is None:
            found.append(FieldError([f"line {line}", "rendering_npi"], "no provider with this NPI in the practice"))
        referring = None
        if values.get("referring_npi"):
            referring = lookups.providers.get(values["referring_npi"])
            if referring is None:
                found.append(FieldError([f"line {line}", "referring_npi"],
                                        "no provider with this NPI in the practice"))
        location = lookups.locations.get(values.get("location", "").lower())
        if location is None:
            found.append(FieldError([f"line {line}", "location"], "no location with this name in the practice"))
        coverage = None
        if patient is not None and fields is not None:
            coverage = default_coverage(patient.coverages, fields.service_date, values.get("payer_code") or None)
            if coverage is None:
                payer = f" with payer {values['payer_code']}" if values.get("payer_code") else ""
                found.append(FieldError([f"line {line}", "payer_code" if payer else "service_date"],
                                        f"the patient has no coverage{payer} active on "
                                        f"{fields.service_date.isoformat()}"))
        if found:
            errors += found
            continue
        row = _row(practice_id, fields, "csv", patient_id=patient.id, coverage_id=coverage.id,
                   rendering_provider_id=rendering, location_id=location)
        row["referring_provider_id"] = referring
        rows.append({"line": line, **row})
    return rows, errors, len(raw_rows)



def insert_charges(db: Session, actor: Actor, rows: list[dict]) -> list[int]:
    """Insert prepared charge rows in bulk; returns their ids in order."""
    if not rows:
        return []
    values = [{k: v for k, v in row.items() if k != "line"} | {"created_by": actor.username} for row in rows]
    return list(db.scalars(insert(Charge).returning(Charge.id, sort_by_parameter_order=True), values))


def import_csv(db: Session, actor: Actor, practice_id: int, text: str, *, accept_good_rows: bool = False
               ) -> tuple[list[int], list[FieldError], int]:
    """Import a CSV of charges for the practice. Returns (new charge ids, errors, rows read).

    With errors and without `accept_good_rows`, raises `Invalid` listing every error and imports nothing.
    """
    get_practice(db, actor, practice_id)
    access.can_manage_charges(db, actor, practice_id, object_type="charge_import")
    rows, errors, count = parse_csv(db, practice_id, text)
    if errors and not accept_good_rows:
        raise Invalid(f"{len(errors)} problem(s) in {len({e.location[0] for e in errors})} of {count} rows; "
                      "nothing was imported (fix the rows, or import only the good rows)", errors=errors)
    ids = insert_charges(db, actor, rows)
    audit.record(db, actor, "charge.import", "charge", None, practice_id=practice_id,
                 reason=f"{len(ids)} of {count} rows imported, {len(errors)} problem(s)")
    return ids, errors, count

