"""Network use cases. Every function takes the acting user; reads go through `visible`, patient
data reads and writes are audited, writes are checked against the actor's rights."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection
from datetime import date

from pydantic import BaseModel, ValidationError
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openmso.agreements import enforcement
from openmso.agreements.enforcement import MsoAction
from openmso.core import audit
from openmso.core.db import is_postgres
from openmso.core.errors import Conflict, FieldError, Invalid, NotFound
from openmso.core.pagination import PageParams, Slice, fetch_page
from openmso.core.tenancy import Actor, Role, ensure_can_write, ensure_role, visible
from openmso.network import schemas
from openmso.network.models import (
    Coverage,
    Location,
    Mso,
    Patient,
    Payer,
    PhysicianOwner,
    Practice,
    PracticePayer,
    PracticeState,
    Provider,
    ProviderLicense,
    plan_order,
)


def _flush_or_conflict(db: Session, what: str) -> None:
    try:
        with db.begin_nested():
            db.flush()
    except IntegrityError as error:
        raise Conflict(f"{what} conflicts with an existing record (a unique value is already used)") from error


# --- MSO and practices --------------------------------------------------------------------------


def get_mso(db: Session) -> Mso:
    mso = db.scalar(select(Mso).order_by(Mso.id).limit(1))
    if mso is None:
        raise NotFound("No MSO has been set up; run `openmso demo build` or create one")
    return mso


def list_practices(db: Session, actor: Actor, params: PageParams | None = None) -> Slice:
    query = visible(select(Practice), actor).order_by(Practice.legal_name)
    return fetch_page(db, query, params or PageParams(limit=500))


def get_practice(db: Session, actor: Actor, practice_id: int) -> Practice:
    practice = db.scalar(visible(select(Practice), actor).where(Practice.id == practice_id))
    if practice is None:
        raise NotFound("Practice not found")
    return practice


def create_practice(db: Session, actor: Actor, data: schemas.PracticeCreate) -> Practice:
    """Affiliate a new practice with the MSO (MSO administrators only)."""
    ensure_role(actor, [Role.MSO_ADMIN], "affiliate practices")
    states = sorted(set(data.states_of_operation) | {data.primary_state})
    practice = Practice(
        mso_id=get_mso(db).id, legal_name=data.legal_name, dba_name=data.dba_name, entity_type=data.entity_type,
        tin=data.tin, group_npi=data.group_npi, primary_state=data.primary_state, specialty=data.specialty,
        affiliation_status=data.affiliation_status, affiliated_on=data.affiliated_on,
        states=[PracticeState(state=s) for s in states],
        owners=[PhysicianOwner(name=o.name, npi=o.npi, ownership_percent=o.ownership_percent) for o in data.owners],
    )
    db.add(practice)
    _flush_or_conflict(db, "Practice (legal name or group NPI)")
    audit.record(db, actor, "practice.create", "practice", practice.id, practice_id=practice.id)
    return practice


def update_practice(db: Session, actor: Actor, practice_id: int, data: schemas.PracticeUpdate) -> Practice:
    practice = get_practice(db, actor, practice_id)
    ensure_role(actor, [Role.MSO_ADMIN], "change a practice's affiliation record")
    changes = data.model_dump(exclude_unset=True)
    if "states_of_operation" in changes:
        states = sorted(set(changes.pop("states_of_operation") or []) | {practice.primary_state})
        practice.states = [PracticeState(state=s) for s in states]
    for name, value in changes.items():
        setattr(practice, name, value)
    if practice.disaffiliated_on and practice.affiliated_on and practice.disaffiliated_on < practice.affiliated_on:
        raise Invalid.field(["body", "disaffiliated_on"], "is before affiliated_on")
    db.flush()
    audit.record(db, actor, "practice.update", "practice", practice.id, practice_id=practice.id,
                 reason=", ".join(sorted(data.model_dump(exclude_unset=True))))
    return practice


def _counts_by_practice(db: Session, model, practice_ids: list[int]) -> Counter:
    rows = db.execute(
        select(model.practice_id, func.count()).where(model.practice_id.in_(practice_ids)).group_by(model.practice_id)
    )
    return Counter(dict(rows.all()))


def network_overview(db: Session, actor: Actor) -> schemas.NetworkOverview:
    """The practices the actor sees with their headline counts, and totals by state and specialty."""
    practices = list_practices(db, actor).rows
    ids = [p.id for p in practices]
    providers = _counts_by_practice(db, Provider, ids)
    locations = _counts_by_practice(db, Location, ids)
    patients = _counts_by_practice(db, Patient, ids)
    summaries = [
        schemas.PracticeSummary(
            id=p.id, legal_name=p.legal_name, primary_state=p.primary_state,
            states_of_operation=p.states_of_operation, specialty=p.specialty,
            affiliation_status=p.affiliation_status, providers=providers[p.id], locations=locations[p.id],
            patients=patients[p.id],
        )
        for p in practices
    ]
    return schemas.NetworkOverview(
        mso_name=get_mso(db).name,
        practices=summaries,
        totals={"practices": len(summaries), "providers": sum(providers.values()),
                "locations": sum(locations.values()), "patients": sum(patients.values())},
        by_state=dict(sorted(Counter(p.primary_state for p in practices).items())),
        by_specialty=dict(sorted(Counter(p.specialty for p in practices).items())),
    )


# --- locations ----------------------------------------------------------------------------------


def list_locations(db: Session, actor: Actor, practice_id: int) -> list[Location]:
    get_practice(db, actor, practice_id)
    return list(db.scalars(visible(select(Location), actor).where(Location.practice_id == practice_id)
                           .order_by(Location.name)))


def create_location(db: Session, actor: Actor, practice_id: int, data: schemas.LocationCreate) -> Location:
    get_practice(db, actor, practice_id)
    ensure_can_write(actor, practice_id)
    location = Location(practice_id=practice_id, **data.model_dump())
    db.add(location)
    db.flush()
    audit.record(db, actor, "location.create", "location", location.id, practice_id=practice_id)
    return location


# --- providers ----------------------------------------------------------------------------------


def list_providers(db: Session, actor: Actor, params: PageParams, practice_id: int | None = None,
                   search: str | None = None) -> Slice:
    query = visible(select(Provider), actor)
    if practice_id is not None:
        query = query.where(Provider.practice_id == practice_id)
    if search:
        like = f"%{search.strip()}%"
        query = query.where(or_(Provider.last_name.ilike(like), Provider.first_name.ilike(like),
                                Provider.npi == search.strip()))
    return fetch_page(db, query.order_by(Provider.last_name, Provider.first_name, Provider.id), params)


def get_provider(db: Session, actor: Actor, provider_id: int) -> Provider:
    provider = db.scalar(visible(select(Provider), actor).where(Provider.id == provider_id))
    if provider is None:
        raise NotFound("Provider not found")
    return provider


def create_provider(db: Session, actor: Actor, practice_id: int, data: schemas.ProviderCreate) -> Provider:
    get_practice(db, actor, practice_id)
    ensure_can_write(actor, practice_id)
    enforcement.authorize(db, actor, MsoAction.MANAGE_CREDENTIALING, practice_id, object_type="provider")
    fields = data.model_dump(exclude={"licenses"})
    provider = Provider(practice_id=practice_id, **fields, licenses=[
        ProviderLicense(practice_id=practice_id, **lic.model_dump()) for lic in data.licenses
    ])
    db.add(provider)
    _flush_or_conflict(db, f"Provider NPI {data.npi} in this practice")
    audit.record(db, actor, "provider.create", "provider", provider.id, practice_id=practice_id)
    return provider


def expiring_licenses(db: Session, actor: Actor, before: date) -> list[ProviderLicense]:
    """Licences that lapse before `before`, for the credentialing worklist."""
    return list(db.scalars(visible(select(ProviderLicense), actor).where(ProviderLicense.expires_on < before)
                           .order_by(ProviderLicense.expires_on)))


# --- payers -------------------------------------------------------------------------------------


def list_payers(db: Session, actor: Actor) -> list[Payer]:
    """Payers are network reference data: every authenticated user may list them."""
    return list(db.scalars(select(Payer).order_by(Payer.name)))


def get_payer(db: Session, actor: Actor, payer_id: int) -> Payer:
    payer = db.get(Payer, payer_id)
    if payer is None:
        raise NotFound("Payer not found")
    return payer


def create_payer(db: Session, actor: Actor, data: schemas.PayerCreate) -> Payer:
    ensure_role(actor, [Role.MSO_ADMIN], "add payers")
    payer = Payer(**data.model_dump())
    db.add(payer)
    _flush_or_conflict(db, f"Payer id {data.payer_code}")
    audit.record(db, actor, "payer.create", "payer", payer.id)
    return payer


def practice_payers(db: Session, actor: Actor, practice_id: int) -> list[Payer]:
    get_practice(db, actor, practice_id)
    query = (visible(select(Payer).join(PracticePayer, PracticePayer.payer_id == Payer.id), actor, PracticePayer)
             .where(PracticePayer.practice_id == practice_id).order_by(Payer.name))
    return list(db.scalars(query))


def enroll_payer(db: Session, actor: Actor, practice_id: int, payer_id: int, enrolled_on: date | None) -> None:
    get_practice(db, actor, practice_id)
    ensure_can_write(actor, practice_id)
    enforcement.authorize(db, actor, MsoAction.MANAGE_CREDENTIALING, practice_id, object_type="payer",
                          object_id=payer_id)
    get_payer(db, actor, payer_id)
    if db.get(PracticePayer, (practice_id, payer_id)) is None:
        db.add(PracticePayer(practice_id=practice_id, payer_id=payer_id, enrolled_on=enrolled_on))
        db.flush()
        audit.record(db, actor, "practice.enroll_payer", "payer", payer_id, practice_id=practice_id)


# --- patients -----------------------------------------------------------------------------------


def list_patients(db: Session, actor: Actor, params: PageParams, practice_id: int | None = None,
                  search: str | None = None) -> Slice:
    """Patient search (by name, MRN or birth date); the listing itself is audited as a PHI read."""
    query = visible(select(Patient), actor)
    if practice_id is not None:
        get_practice(db, actor, practice_id)  # 404 for a practice that is unknown or not visible
        enforcement.authorize(db, actor, MsoAction.READ_PHI, practice_id, object_type="patient")
        query = query.where(Patient.practice_id == practice_id)
    elif enforcement.governs(actor):
        # Across practices, only those whose agreement opens PHI to this actor (quietly, like tenancy).
        practice_ids = list(db.scalars(visible(select(Practice.id), actor, Practice)))
        allowed = enforcement.permitted_practices(db, actor, MsoAction.READ_PHI, practice_ids)
        query = query.where(Patient.practice_id.in_(sorted(allowed)))
    if search := (search or "").strip():
        like = f"{search}%"
        conditions = [Patient.last_name.ilike(like), Patient.first_name.ilike(like), Patient.mrn == search]
        try:
            conditions.append(Patient.birth_date == date.fromisoformat(search))
        except ValueError:
            pass
        if "," in search:
            last, first = (part.strip() for part in search.split(",", 1))
            conditions.append((Patient.last_name.ilike(f"{last}%")) & (Patient.first_name.ilike(f"{first}%")))
        query = query.where(or_(*conditions))
    page = fetch_page(db, query.order_by(Patient.last_name, Patient.first_name, Patient.id), params)
    audit.record(db, actor, "patient.list", "patient", None, practice_id=practice_id,
                 reason=f"search={search!r} page={params.page} rows={len(page.rows)}")
    return page


def get_patient(db: Session, actor: Actor, patient_id: int) -> Patient:
    """One patient's record; every successful read is audited."""
    patient = db.scalar(visible(select(Patient), actor).where(Patient.id == patient_id))
    if patient is None:
        raise NotFound("Patient not found")
    enforcement.authorize(db, actor, MsoAction.READ_PHI, patient.practice_id, object_type="patient",
                          object_id=patient.id, patient_id=patient.id)
    audit.record(db, actor, "patient.read", "patient", patient.id, practice_id=patient.practice_id,
                 patient_id=patient.id)
    return patient


def create_patient(db: Session, actor: Actor, practice_id: int, data: schemas.PatientCreate) -> Patient:
    get_practice(db, actor, practice_id)
    ensure_can_write(actor, practice_id)
    enforcement.authorize(db, actor, MsoAction.WRITE_PHI, practice_id, object_type="patient")
    patient = Patient(practice_id=practice_id, **data.model_dump())
    db.add(patient)
    _flush_or_conflict(db, f"Patient MRN {data.mrn} in this practice")
    audit.record(db, actor, "patient.create", "patient", patient.id, practice_id=practice_id, patient_id=patient.id)
    return patient


def add_coverage(db: Session, actor: Actor, patient_id: int, data: schemas.CoverageCreate) -> Coverage:
    """Add a plan to the patient's record, unless another plan of the same order (primary, secondary, tertiary)
    is in force on any of its dates: end that one first."""
    patient = _patient_to_write(db, actor, patient_id, "coverage")
    if db.get(Payer, data.payer_id) is None:
        raise Invalid.field(["body", "payer_id"], f"unknown payer id {data.payer_id}")
    _ensure_one_plan_per_order(db, actor, patient, data)
    coverage = Coverage(practice_id=patient.practice_id, patient_id=patient.id, **data.model_dump())
    db.add(coverage)
    db.flush()
    db.refresh(patient, ["coverages"])
    audit.record(db, actor, "coverage.create", "coverage", coverage.id, practice_id=patient.practice_id,
                 patient_id=patient.id)
    return coverage


def update_patient(db: Session, actor: Actor, patient_id: int, data: schemas.PatientUpdate) -> Patient:
    """Correct a patient's demographics (a payer rejected the birth date, the patient moved); the claims
    sent from now on carry them, as the 837 is built from the record when it is sent."""
    patient = _patient_to_write(db, actor, patient_id, "patient", patient_id)
    _correct(db, actor, patient, schemas.PatientCreate, data, "patient.update", patient)
    return patient


def update_coverage(db: Session, actor: Actor, coverage_id: int, data: schemas.CoverageUpdate,
                    patient_id: int | None = None) -> Coverage:
    """Correct a coverage (the member id the payer did not know, the subscriber, the order, the dates in force);
    with `patient_id`, only if it is that patient's (a page's form names both).

    The corrected plan must not share its order with another plan in force on one of its dates, whichever fields
    the correction touches: like the field rules, the whole corrected record is checked. A record that already
    overlaps (written before this rule, or by an import) is therefore refused even a member id re-key until one
    of the two plans is ended or reordered; the message names the other plan. Letting it through would keep a
    record no new plan could be, and the claims built from it would still pick one of the two by chance."""
    coverage = db.scalar(visible(select(Coverage), actor).where(Coverage.id == coverage_id))
    if coverage is None or patient_id not in (None, coverage.patient_id):
        raise NotFound("Coverage not found")
    patient = _patient_to_write(db, actor, coverage.patient_id, "coverage", coverage.id)
    _correct(db, actor, coverage, schemas.CoverageCreate, data, "coverage.update", patient,
             check=lambda plan, changed: _ensure_one_plan_per_order(db, actor, patient, plan, changed, coverage.id))
    db.refresh(patient, ["coverages"])
    return coverage


def _patient_to_write(db: Session, actor: Actor, patient_id: int, object_type: str,
                      object_id: int | None = None) -> Patient:
    """The patient whose record (or coverage) the actor is about to write: visible to them, in a practice they
    may write to, and the practice's agreement lets the MSO write its patient data (else 404 / 403)."""
    patient = db.scalar(visible(select(Patient), actor).where(Patient.id == patient_id))
    if patient is None:
        raise NotFound("Patient not found")
    ensure_can_write(actor, patient.practice_id)
    enforcement.authorize(db, actor, MsoAction.WRITE_PHI, patient.practice_id, object_type=object_type,
                          object_id=object_id, patient_id=patient.id)
    return patient


def _correct(db: Session, actor: Actor, record, rules: type[BaseModel], data: schemas.RecordCorrection,
             action: str, patient: Patient, check: Callable[[BaseModel, set[str]], None] | None = None) -> None:
    """Apply `data` to `record` if the result still passes `rules` (the schema the record was created with,
    so a correction cannot make a record no new one could be) and `check` (the rules against the patient's other
    records, given the corrected record and the names of the fields that change), naming each refused field;
    the audit trail keeps the reason and which fields changed (not their values: the trail is not a copy of the
    chart)."""
    changes = data.changes()
    merged = {name: getattr(record, name) for name in rules.model_fields} | changes
    try:
        corrected = rules.model_validate(merged)
    except ValidationError as error:
        raise Invalid("the corrected record breaks a rule", errors=[
            FieldError(["body", *problem["loc"]], problem["msg"].removeprefix("Value error, "))
            for problem in error.errors()]) from None
    changed = sorted(name for name, value in changes.items() if getattr(record, name) != value)
    if check is not None:
        check(corrected, set(changed))
    for name in changed:
        setattr(record, name, changes[name])
    db.flush()
    audit.record(db, actor, action, type(record).__tablename__, record.id, practice_id=patient.practice_id,
                 patient_id=patient.id, reason=f"{data.reason} ({', '.join(changed) or 'nothing changed'})"[:500])


def _ensure_one_plan_per_order(db: Session, actor: Actor, patient: Patient, plan: schemas.CoverageCreate,
                               changed: Collection[str] = (), coverage_id: int | None = None) -> None:
    """Refuse `plan` (coverage `coverage_id` as corrected, or a new one) when another plan of the patient's with
    the same order is in force on one of its dates (inclusive, open-ended without an end): a claim bills the
    primary in force on its date of service, and with two of them which payer gets the claim would be chance.
    The patient's row is locked first (PostgreSQL), so two desks adding a primary at once cannot both pass."""
    if is_postgres(db):
        db.execute(select(Patient.id).where(Patient.id == patient.id).with_for_update())
    query = visible(select(Coverage), actor).where(
        Coverage.patient_id == patient.id, Coverage.priority == plan.priority,
        Coverage.overlaps(plan.effective_from, plan.effective_to))
    if coverage_id is not None:
        query = query.where(Coverage.id != coverage_id)
    other = db.scalar(query.order_by(Coverage.effective_from, Coverage.id).limit(1))
    if other is not None:
        field = _field_at_fault(plan, other, changed)
        raise Invalid.field(["body", field], _plan_conflict(other, field))


def _field_at_fault(plan: schemas.CoverageCreate, other: Coverage, changed: Collection[str]) -> str:
    """The field to name for an overlap with `other`: the date that reaches into its period (the end when it
    starts later, else the start) if the correction moved that date and left the order alone; else the order."""
    date_field = "effective_to" if other.effective_from > plan.effective_from else "effective_from"
    return date_field if date_field in changed and "priority" not in changed else "priority"


def _plan_conflict(other: Coverage, field: str) -> str:
    """The overlap in the front desk's words: which plan, and what to do about it."""
    until = f"to {other.effective_to.isoformat()}" if other.effective_to else "open-ended"
    order = plan_order(other.priority)
    if field != "priority":
        advice = "end it first or choose dates outside its period"
    elif other.priority < 3:
        advice = f"end it first or choose {plan_order(other.priority + 1)}"
    else:
        advice = "end it first"
    return (f"{other.payer.name} (member {other.member_id}, from {other.effective_from.isoformat()}, {until}) "
            f"is already the {order} plan for these dates; {advice}")
