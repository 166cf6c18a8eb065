"""Fixtures for the revenue-cycle tests: a practice with a payer, a location, providers and insured
patients, built through the network services; helpers to enter charges the way each door does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from openmso.core.tenancy import SYSTEM
from openmso.network.models import Location, Patient, Payer, Practice, Provider
from openmso.rcm.claims import charges
from openmso.rcm.claims.schemas import ChargeCreate
from tests.factories import add_location, add_patient, add_payer, add_practice, add_provider

AS_OF = date(2026, 10, 15)
SERVICE_DAY = date(2026, 10, 1)


@dataclass
class Clinic:
    practice: Practice
    payer: Payer
    location: Location
    provider: Provider
    patients: list[Patient]

    def charge(self, db, patient: Patient | None = None, actor=SYSTEM, **changes):
        fields = {"patient_id": (patient or self.patients[0]).id, "rendering_provider_id": self.provider.id,
                  "location_id": self.location.id, "service_date": SERVICE_DAY, "procedure_code": "99213",
                  "charge_amount": Decimal("145.00"), "diagnoses": ["E11.9", "I10"], "pointers": [1, 2]}
        fields.update(changes)
        return charges.create_charge(db, actor, self.practice.id, ChargeCreate(**fields))


def world_clinic(db, world) -> Clinic:
    """The first practice of `tests.factories.build_world` (which has a signed agreement) as a `Clinic`."""
    practice = world.practices[0]
    location = db.scalars(select(Location).where(Location.practice_id == practice.id)).first()
    provider = db.scalars(select(Provider).where(Provider.practice_id == practice.id)).first()
    return Clinic(practice, world.payer, location, provider,
                  list(db.scalars(select(Patient).where(Patient.practice_id == practice.id).order_by(Patient.id))))


def make_clinic(db, marker: str = "Qzclinic", patients: int = 3) -> Clinic:
    payer = add_payer(db, "60054", "Aetna")
    payer.timely_filing_days = 120
    practice = add_practice(db, marker)
    location = add_location(db, practice, marker)
    provider = add_provider(db, practice, marker)
    people = [add_patient(db, practice, marker, payer) for _ in range(patients)]
    db.flush()
    return Clinic(practice, payer, location, provider, people)


@pytest.fixture
def clinic(db) -> Clinic:
    return make_clinic(db)
