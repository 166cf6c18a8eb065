"""Builders of realistic test data, through the same services the product uses."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from openmso.agreements import presets
from openmso.agreements import schemas as agreement_schemas
from openmso.agreements import service as agreements
from openmso.agreements.models import Agreement
from openmso.core import audit, jobs
from openmso.core.jobs import Job
from openmso.core.security import csrf_token_for, hash_password, token_digest
from openmso.core.settings import Settings
from openmso.core.tenancy import SYSTEM, Role
from openmso.core.types import simulated_clock
from openmso.identity import service as identity
from openmso.identity.models import User, UserPracticeScope
from openmso.network import schemas
from openmso.network import service as network
from openmso.network.identifiers import npi_check_digit
from openmso.network.models import Location, Mso, Patient, Payer, Practice, Provider
from openmso.rcm.claims import batches, building, charges, scrubbing
from openmso.rcm.claims.models import Claim
from openmso.rcm.claims.schemas import ChargeCreate
from openmso.rcm.claims.x837 import Envelope
from openmso.rcm.denials.models import DenialCase
from openmso.rcm.remittance.ingest import ingest_file
from openmso.rcm.remittance.models import Remittance, RemittanceException
from openmso.x12 import ClaimPayment, Party
from tests.rcm import remits

PASSWORD = "test-password-123"
_counter = itertools.count(1)


def valid_npi(kind: str = "1") -> str:
    base = f"{kind}{next(_counter) + 10_000_000:08d}"
    return base + str(npi_check_digit(base))


def ensure_mso(db: Session) -> Mso:
    mso = db.query(Mso).first()
    if mso is None:
        mso = Mso(name="Test Health Partners MSO, LLC", tin="931111111")
        db.add(mso)
        db.flush()
    return mso


def add_payer(db: Session, code: str = "60054", name: str = "Aetna", lob: str = "commercial") -> Payer:
    existing = db.query(Payer).filter_by(payer_code=code).first()
    return existing or network.create_payer(db, SYSTEM, schemas.PayerCreate(name=name, payer_code=code,
                                                                           line_of_business=lob))


def add_practice(db: Session, marker: str, state: str = "TX", specialty: str = "Family Medicine") -> Practice:
    ensure_mso(db)
    n = next(_counter)
    return network.create_practice(db, SYSTEM, schemas.PracticeCreate(
        legal_name=f"{marker} Family Clinic {n}, PLLC", entity_type="PLLC", tin=f"74{n:07d}",
        group_npi=valid_npi("2"), primary_state=state, specialty=specialty,
        owners=[schemas.OwnerIn(name=f"Dr {marker} Owner", ownership_percent="100")],
    ))


def add_patient(db: Session, practice: Practice, marker: str, payer: Payer | None = None):
    n = next(_counter)
    patient = network.create_patient(db, SYSTEM, practice.id, schemas.PatientCreate(
        mrn=f"M{n}", first_name="Alex", last_name=f"{marker}son", birth_date=date(1980, 1, 1 + n % 27), sex="F"))
    if payer is not None:
        network.add_coverage(db, SYSTEM, patient.id, schemas.CoverageCreate(
            payer_id=payer.id, member_id=f"W{n:09d}", effective_from=date(2024, 1, 1)))
    return patient


def add_provider(db: Session, practice: Practice, marker: str):
    return network.create_provider(db, SYSTEM, practice.id, schemas.ProviderCreate(
        npi=valid_npi("1"), first_name="Sam", last_name=f"{marker}berg", credential="MD",
        taxonomy_code="207Q00000X", specialty="Family Medicine",
        licenses=[schemas.LicenseIn(state=practice.primary_state, number=f"L{marker}", expires_on=date(2028, 1, 1))]))


def add_location(db: Session, practice: Practice, marker: str):
    return network.create_location(db, SYSTEM, practice.id, schemas.LocationCreate(
        name=f"{marker} Main Clinic", address_line1="100 Main St", city="Austin", state=practice.primary_state,
        postal_code="78701", place_of_service="11"))


def add_signed_agreement(db: Session, practice: Practice, *, terms=None, title: str | None = None,
                         signed_on: date = date(2025, 1, 1), **changes) -> Agreement:
    """A signed agreement for `practice`: the clean service-only preset (PHI access, BAA, revenue
    cycle, credentialing…) unless `terms` is given; keyword `changes` replace top-level parts of it."""
    terms = terms or presets.standard_terms(signed_on)
    if changes:
        terms = presets.revised(terms, changes)
    agreement = agreements.create_agreement(db, SYSTEM, agreement_schemas.AgreementCreate(
        practice_id=practice.id, title=title or f"Management Services Agreement — {practice.legal_name}",
        terms=terms))
    agreements.sign(db, SYSTEM, agreement.versions[-1].id, agreement_schemas.Signing(
        signed_on=signed_on, signed_by_practice="Managing physician", signed_by_mso="MSO chief executive"))
    db.refresh(agreement, ["versions"])
    return agreement


def add_user(db: Session, role: Role, practice: Practice | None = None, scope: list[Practice] = (),
             username: str | None = None, display_name: str | None = None) -> User:
    user = User(username=username or f"user{next(_counter)}", display_name=display_name or "Test User",
                password_hash=hash_password(PASSWORD), role=role,
                practice_id=practice.id if practice else None,
                scopes=[UserPracticeScope(practice_id=p.id) for p in scope])
    db.add(user)
    db.flush()
    return user


def signed_in(client: TestClient, db: Session, settings: Settings, user: User) -> TestClient:
    """Give `client` a login-session cookie for `user` and its CSRF header."""
    token = identity.start_session(db, settings, user)
    db.flush()
    client.cookies.set("openmso_session", token)
    client.headers["X-CSRF-Token"] = csrf_token_for(token_digest(token), settings.secret_key)
    return client


def bearer(db: Session, user: User) -> dict:
    _, token = identity.create_api_token(db, identity.actor_for(user), "tests")
    db.flush()
    return {"Authorization": f"Bearer {token}"}


@dataclass
class World:
    """Three practices, each with rows carrying the practice's marker string, so a response that
    contains another practice's marker has leaked that practice's data."""

    practices: list[Practice]
    markers: dict[int, str]
    payer: Payer
    owners: dict[str, dict[int, int | None]] = field(default_factory=dict)  # param -> {id: practice_id}


def add_finished_job(db: Session, practice: Practice, marker: str) -> Job:
    """A finished claim submission of the practice, its result naming the marker."""
    job = jobs.create(db, SYSTEM, "claims.submit", practice.id, {"practice_id": practice.id})
    job.status = "succeeded"
    job.result = json.dumps({"summary": f"{marker}: 0 claim(s) submitted", "links": []})
    return job


def build_world(db: Session) -> World:
    payer = add_payer(db)
    practices, markers = [], {}
    owners: dict[str, dict[int, int | None]] = {"patient_id": {}, "provider_id": {}, "practice_id": {},
                                                "user_id": {}, "payer_id": {payer.id: None},
                                                "agreement_id": {}, "version_id": {}, "claim_id": {},
                                                "charge_id": {}, "batch_id": {}, "remittance_id": {},
                                                "exception_id": {}, "denial_id": {}, "job_id": {}, "file_id": {},
                                                "coverage_id": {}}
    for marker, state in (("Qzalpha", "TX"), ("Qzbravo", "CA"), ("Qzcharlie", "OR")):
        practice = add_practice(db, marker, state)
        agreement = add_signed_agreement(db, practice, title=f"{marker} Management Services Agreement")
        owners["agreement_id"][agreement.id] = practice.id
        owners["version_id"].update({v.id: practice.id for v in agreement.versions})
        network.enroll_payer(db, SYSTEM, practice.id, payer.id, date(2024, 1, 1))
        add_location(db, practice, marker)
        for _ in range(2):
            patient = add_patient(db, practice, marker, payer)
            owners["patient_id"][patient.id] = practice.id
            owners["coverage_id"].update({coverage.id: practice.id for coverage in patient.coverages})
        owners["provider_id"][add_provider(db, practice, marker).id] = practice.id
        add_claims(db, practice, marker, owners)
        add_money_in(db, practice, marker, owners)
        user = add_user(db, Role.PRACTICE_USER, practice, display_name=f"{marker} Front Desk")
        owners["user_id"][user.id] = practice.id
        audit.record(db, SYSTEM, "test.marker", "practice", practice.id, practice_id=practice.id,
                     reason=f"{marker} audit entry")
        owners["job_id"][add_finished_job(db, practice, marker).id] = practice.id
        practices.append(practice)
        markers[practice.id] = marker
        owners["practice_id"][practice.id] = practice.id
    owners["other_version_id"] = owners["version_id"]
    owners["assigned_to"] = owners["user_id"]
    owners["job"] = owners["job_id"]
    db.flush()
    return World(practices=practices, markers=markers, payer=payer, owners=owners)


def add_claims(db: Session, practice: Practice, marker: str, owners: dict) -> None:
    """Charges, claims (one held by the scrubber, one rejected) and a batch carrying the practice's marker."""
    provider = db.scalars(select(Provider).where(Provider.practice_id == practice.id)).first()
    location = db.scalars(select(Location).where(Location.practice_id == practice.id)).first()
    patients = db.scalars(select(Patient).where(Patient.practice_id == practice.id)).all()
    for number, patient in enumerate(patients):
        charge = charges.create_charge(db, SYSTEM, practice.id, ChargeCreate(
            patient_id=patient.id, rendering_provider_id=provider.id, location_id=location.id,
            service_date=date(2026, 10, 1), procedure_code="99213", charge_amount="145.00",
            diagnoses=["E11.9" if number else "E11"], prior_authorization=f"{marker}AUTH{number}",
            encounter_key=f"{marker}-{number}"))
        owners["charge_id"][charge.id] = practice.id
    for claim_id in building.build_claims(db, SYSTEM, practice.id):
        owners["claim_id"][claim_id] = practice.id
    scrubbing.scrub_claims(db, SYSTEM, practice_id=practice.id, as_of=date(2026, 10, 15))
    envelope = Envelope("TEST MSO", "OPENMSO", "BILLING", "8005550100", "CLEARINGHOUSE", "CH")
    for batch in batches.build_batches(db, SYSTEM, envelope, adapter=f"{marker}-drop", practice_id=practice.id):
        owners["batch_id"][batch.id] = practice.id
        claim = db.scalars(select(Claim).where(Claim.batch_id == batch.id)).first()
        claim.status, claim.status_codes = "payer_rejected", "277CA:A7:164:IL"
        claim.status_reason = f"{marker} member id not found"



def add_money_in(db: Session, practice: Practice, marker: str, owners: dict) -> None:
    """An 835 from a payer named with the marker: one claim paid with a patient share (a patient balance),
    one denied (a denial case), and one claim the practice never sent (an exception naming it)."""
    provider = db.scalars(select(Provider).where(Provider.practice_id == practice.id)).first()
    location = db.scalars(select(Location).where(Location.practice_id == practice.id)).first()
    patients = db.scalars(select(Patient).where(Patient.practice_id == practice.id).order_by(Patient.id)).all()
    for number, patient in enumerate(patients):
        charges.create_charge(db, SYSTEM, practice.id, ChargeCreate(
            patient_id=patient.id, rendering_provider_id=provider.id, location_id=location.id,
            service_date=date(2026, 10, 2), procedure_code="99213", charge_amount="145.00", diagnoses=["E11.9"],
            encounter_key=f"{marker}-remit-{number}"))
    ids = building.build_claims(db, SYSTEM, practice.id)
    claims = db.scalars(select(Claim).where(Claim.id.in_(ids)).order_by(Claim.id)).all()
    for claim in claims:
        claim.status, claim.payer_claim_number = "payer_accepted", f"PCN{claim.id}"
    db.flush()
    never_sent = ClaimPayment(f"{marker}X9", "1", Decimal("10.00"), Decimal("10.00"), Decimal("0.00"), "CI", "", "11")
    remit = remits.transaction(practice, [remits.paid(claims[0]), remits.denied(claims[1]), never_sent],
                               trace=f"{marker}EFT")
    remit.payer = Party("PR", f"{marker} Health Plan", "XV", "60054")
    report = ingest_file(db, SYSTEM, f"{marker}.835", remits.render(remit))
    owners["file_id"][report.file.id] = practice.id
    for remittance in db.scalars(select(Remittance).where(Remittance.file_id == report.file.id)):
        owners["remittance_id"][remittance.id] = practice.id
    for item in db.scalars(select(RemittanceException).where(RemittanceException.file_id == report.file.id)):
        owners["exception_id"][item.id] = practice.id
    for case in db.scalars(select(DenialCase).where(DenialCase.practice_id == practice.id)):
        owners["denial_id"][case.id] = practice.id


PLANS_ON_FILE = datetime(2026, 9, 1, 9, tzinfo=UTC)  # before every date of service the tests bill


def add_plan(db: Session, patient_id: int, payer_id: int, member_id: str, priority: int,
             entered: datetime = PLANS_ON_FILE, effective_from: date = date(2024, 1, 1)):
    """A plan of `priority` on the patient's record, put on file at `entered`: the A/R counts a next plan from the
    day it was put on file, by default before the tests' claims."""
    with simulated_clock(entered):
        return network.add_coverage(db, SYSTEM, patient_id, schemas.CoverageCreate(
            payer_id=payer_id, member_id=member_id, priority=priority, effective_from=effective_from))
