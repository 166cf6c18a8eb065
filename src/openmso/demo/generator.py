"""Build the demo network: deterministic for a seed, realistic in shape, fast enough to scale.

The same seed always yields the same network (names, NPIs, coverages), so screenshots, tests and
benchmarks are comparable run to run. Patients and coverages are written with bulk INSERT …
RETURNING in batches: building 500,000 patients is a benchmark, not a coffee break.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from openmso.agreements.demo import seed_agreements
from openmso.core import audit
from openmso.core.security import hash_password
from openmso.core.tenancy import SYSTEM, Role
from openmso.core.types import simulated_clock, utcnow
from openmso.demo import cards, catalog, timeline
from openmso.exit.demo import AccessDemoSummary, record_demo_accesses
from openmso.identity.models import User, UserPracticeScope
from openmso.network.identifiers import npi_check_digit
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
    SubscriberRelation,
)
from openmso.rcm.demo import VISIT_DAYS, ClaimsDemoSummary
from openmso.rcm.remittance.demo import MoneyDemoSummary

DEMO_PASSWORD = "openmso-demo"
AS_OF = date(2026, 11, 1)  # a fixed "today" for tests and benchmarks that need the same data every day
NETWORK_LEAD_DAYS = 14  # the network is set up this many days before the demo's first visits
BATCH = 5000

Progress = Callable[[str, int], None]


@dataclass
class DemoSummary:
    practices: int = 0
    providers: int = 0
    locations: int = 0
    payers: int = 0
    patients: int = 0
    coverages: int = 0
    agreements: int = 0
    users: list[tuple[str, str, str]] = field(default_factory=list)  # (username, role, scope)
    claims: ClaimsDemoSummary | None = None
    money: MoneyDemoSummary | None = None
    accesses: AccessDemoSummary | None = None


class _Minter:
    """Unique, valid identifiers drawn from the seeded generator."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.seen: set[str] = set()

    def npi(self, kind: str) -> str:
        while True:
            base = kind + f"{self.rng.randrange(10**8):08d}"
            npi = base + str(npi_check_digit(base))
            if npi not in self.seen:
                self.seen.add(npi)
                return npi

    def tin(self) -> str:
        while True:
            tin = f"{self.rng.randrange(10, 99)}{self.rng.randrange(10**7):07d}"
            if tin not in self.seen:
                self.seen.add(tin)
                return tin


def _practice_seeds(count: int, rng: random.Random) -> list[catalog.PracticeSeed]:
    seeds = list(catalog.PRACTICES[:count])
    states = [s for s in catalog.CITIES if s not in ("NJ", "IN", "NV")]
    suffix = {"PC": "P.C.", "PLLC": "PLLC", "PA": "P.A.", "medical_corporation": "A Medical Corporation"}
    while len(seeds) < count:
        n = len(seeds) + 1
        state = rng.choice(states)
        specialty = rng.choice(list(catalog.SPECIALTIES))
        entity = "medical_corporation" if state == "CA" else rng.choice(["PC", "PLLC", "PA"])
        city = rng.choice(catalog.CITIES[state])[0]
        name = f"{city} {catalog.SPECIALTIES[specialty].name} Group {n}, {suffix[entity]}"
        seeds.append(catalog.PracticeSeed(name, entity, state, (), specialty, rng.randint(3, 7), rng.randint(5, 12)))
    return seeds


def _address(rng: random.Random, state: str) -> dict:
    city, zip_prefix, area = rng.choice(catalog.CITIES[state])
    return {
        "address_line1": f"{rng.randint(100, 9899)} {rng.choice(catalog.STREETS)}",
        "city": city, "state": state, "postal_code": f"{zip_prefix}{rng.randint(0, 99):02d}",
        "phone": f"{area}-{rng.randint(200, 989)}-{rng.randint(0, 9999):04d}",
    }


def _build_practice(db: Session, rng: random.Random, mint: _Minter, mso: Mso, seed: catalog.PracticeSeed,
                    index: int, summary: DemoSummary, as_of: date) -> Practice:
    specialty = catalog.SPECIALTIES[seed.specialty]
    states = sorted({seed.state, *seed.other_states})
    owners = rng.randint(1, 3)
    shares = [round(100 / owners, 2)] * owners
    shares[0] = round(100 - sum(shares[1:]), 2)
    practice = Practice(
        mso_id=mso.id, legal_name=seed.legal_name, entity_type=seed.entity_type, tin=mint.tin(),
        group_npi=mint.npi("2"), primary_state=seed.state, specialty=specialty.name,
        affiliation_status="terminating" if index % 11 == 10 else "active",
        affiliated_on=as_of - timedelta(days=rng.randint(200, 2400)),
        states=[PracticeState(state=s) for s in states],
    )
    db.add(practice)
    db.flush()
    for n in range(rng.randint(1, 3)):
        address = _address(rng, seed.state)
        db.add(Location(practice_id=practice.id, name="Main clinic" if n == 0 else f"{address['city']} office",
                        place_of_service="11" if n < 2 else "22", **address))
        summary.locations += 1
    providers = []
    for _ in range(seed.providers):
        credential = rng.choice(specialty.credential_mix)
        female = rng.random() < 0.5
        first = rng.choice(catalog.FIRST_NAMES_F if female else catalog.FIRST_NAMES_M)
        provider = Provider(
            practice_id=practice.id, npi=mint.npi("1"), first_name=first, last_name=rng.choice(catalog.LAST_NAMES),
            credential=credential, specialty=specialty.name,
            taxonomy_code={"NP": "363L00000X", "PA-C": "363A00000X"}.get(credential, specialty.taxonomy),
            licenses=[ProviderLicense(practice_id=practice.id, state=s, number=f"{s}{rng.randrange(10**6):06d}",
                                      expires_on=as_of + timedelta(days=rng.randint(-20, 900))) for s in states],
        )
        providers.append(provider)
        db.add(provider)
    db.flush()
    physicians = [p for p in providers if p.credential in ("MD", "DO")] or providers
    for n in range(owners):
        owner = physicians[n % len(physicians)]
        db.add(PhysicianOwner(practice_id=practice.id, name=f"{owner.first_name} {owner.last_name}, {owner.credential}",
                              npi=owner.npi, ownership_percent=shares[n]))
    summary.providers += len(providers)
    summary.practices += 1
    return practice


def _payers_for(state: str, payers: list[Payer], seeds: dict[str, catalog.PayerSeed]) -> dict[str, list[Payer]]:
    by_lob: dict[str, list[Payer]] = {}
    for payer in payers:
        seed = seeds[payer.payer_code]
        if not seed.states or state in seed.states:
            by_lob.setdefault(payer.line_of_business.split("_")[0] if payer.line_of_business.startswith("medicaid")
                              else payer.line_of_business, []).append(payer)
    return by_lob


def _coverage_plan(rng: random.Random, age: int, by_lob: dict[str, list[Payer]]) -> list[tuple[Payer, str]]:
    """Primary (and sometimes secondary) payers typical for the age: Medicare at 65+, Medicaid or a
    parent's plan for children, employer plans for adults, a few self-pay."""
    pick = lambda lob: rng.choice(by_lob[lob]) if by_lob.get(lob) else None  # noqa: E731
    roll = rng.random()
    if age >= 65:
        if roll < 0.38 and by_lob.get("medicare_advantage"):
            return [(pick("medicare_advantage"), "self")]
        plan = [(pick("medicare"), "self")]
        if rng.random() < 0.3:
            plan.append((pick("commercial"), "self"))
        return [p for p in plan if p[0]]
    if roll < 0.05:
        return []
    if age < 18:
        if roll < 0.45 and by_lob.get("medicaid"):
            return [(pick("medicaid"), "self")]
        return [(pick("commercial"), "child")]
    if roll < 0.22 and by_lob.get("medicaid"):
        return [(pick("medicaid"), "self")]
    return [(pick("commercial"), "spouse" if rng.random() < 0.18 else "self")]


def _bulk_patients(db: Session, rng: random.Random, practice: Practice, number: int, count: int, min_age: int,
                   max_age: int, by_lob: dict[str, list[Payer]], summary: DemoSummary,
                   progress: Progress | None, as_of: date) -> None:
    """Patients of the practice numbered `number` in the demo, with coverages typical of their age."""
    relation_codes = {"self": SubscriberRelation.SELF, "spouse": SubscriberRelation.SPOUSE,
                      "child": SubscriberRelation.CHILD}
    written = 0
    while written < count:
        size = min(BATCH, count - written)
        rows, plans = [], []
        for n in range(written, written + size):
            age = rng.randint(min_age, max_age)
            female = rng.random() < 0.52
            born = as_of - timedelta(days=age * 365 + rng.randint(0, 364))
            rows.append({
                "practice_id": practice.id, "mrn": f"{number:03d}-{n + 1:07d}",
                "first_name": rng.choice(catalog.FIRST_NAMES_F if female else catalog.FIRST_NAMES_M),
                "last_name": rng.choice(catalog.LAST_NAMES), "birth_date": born, "sex": "F" if female else "M",
                "email": None, "consent_hipaa_notice": rng.random() < 0.97,
                "consent_text_messages": rng.random() < 0.6, "consent_email": rng.random() < 0.45,
                "consent_data_sharing": rng.random() < 0.3,
                **_address(rng, practice.primary_state),
            })
            plans.append((born, _coverage_plan(rng, age, by_lob)))
        # Core inserts on the tables (not ORM bulk inserts): one multi-row statement per batch on both
        # engines, where the ORM would split rows into many small groups by which values are None.
        patients = Patient.__table__
        ids = db.execute(patients.insert().returning(patients.c.id, sort_by_parameter_order=True), rows).scalars().all()
        coverages = []
        for patient_id, row, (born, plan) in zip(ids, rows, plans, strict=True):
            for priority, (payer, relation) in enumerate(plan, start=1):
                code = relation_codes[relation]
                subscriber = {} if code is SubscriberRelation.SELF else {
                    "subscriber_first_name": rng.choice(catalog.FIRST_NAMES_F + catalog.FIRST_NAMES_M),
                    "subscriber_last_name": row["last_name"],
                    "subscriber_birth_date": born - timedelta(days=rng.randint(20, 40) * 365)
                    if code is SubscriberRelation.CHILD else born + timedelta(days=rng.randint(-3000, 3000)),
                }
                coverages.append({
                    "practice_id": practice.id, "patient_id": patient_id, "payer_id": payer.id,
                    "member_id": cards.member_id(rng, payer),
                    "group_number": f"G{rng.randrange(10**5):05d}" if payer.line_of_business == "commercial" else None,
                    "priority": priority, "subscriber_relation": code.value,
                    "subscriber_first_name": None, "subscriber_last_name": None, "subscriber_birth_date": None,
                    "effective_from": max(born, as_of - timedelta(days=rng.randint(30, 2000))).replace(day=1),
                    "effective_to": None, **subscriber,
                })
        if coverages:
            db.execute(Coverage.__table__.insert(), coverages)
        written += size
        summary.patients += size
        summary.coverages += len(coverages)
        if progress:
            progress("patients", size)
    audit.record(db, SYSTEM, "patient.import", "patient", None, practice_id=practice.id,
                 reason=f"demo network: {count} patients")


def _users(db: Session, practices: list[Practice], summary: DemoSummary) -> None:
    password_hash = hash_password(DEMO_PASSWORD)
    by_state: dict[str, list[Practice]] = {}
    for p in practices:
        by_state.setdefault(p.primary_state, []).append(p)
    first = practices[0]
    accounts = [
        ("admin", "MSO Administrator", Role.MSO_ADMIN, None, []),
        ("auditor", "Compliance Auditor", Role.AUDITOR, None, []),
        ("biller.tx", "Revenue Cycle Specialist (TX, CA)", Role.MSO_STAFF, None,
         by_state.get("TX", []) + by_state.get("CA", [])),
        ("biller.nw", "Revenue Cycle Specialist (OR, WA)", Role.MSO_STAFF, None,
         by_state.get("OR", []) + by_state.get("WA", [])),
        ("practice.admin", f"Administrator, {first.legal_name}", Role.PRACTICE_ADMIN, first, []),
        ("front.desk", f"Front desk, {first.legal_name}", Role.PRACTICE_USER, first, []),
    ]
    for username, name, role, practice, scope in accounts:
        db.add(User(username=username, display_name=name, password_hash=password_hash, role=role,
                    practice_id=practice.id if practice else None,
                    scopes=[UserPracticeScope(practice_id=p.id) for p in scope]))
        where = practice.legal_name if practice else (", ".join(p.legal_name for p in scope) or "whole network")
        summary.users.append((username, str(role), where))
    db.flush()


def build_demo(db: Session, *, seed: int = 7, practices: int = 12, patients: int = 20_000,
               progress: Progress | None = None, clearinghouse_dir: Path | None = None,
               as_of: date | None = None) -> DemoSummary:
    """Create the whole demo network inside the caller's transaction (which must be on an empty schema).

    `as_of` is the demo's "today" (default: the real today, so a demo built today reads right today); ages,
    coverage and affiliation dates are relative to it, and every timestamp written is simulated history
    before it. With `clearinghouse_dir`, also run the 13 weeks of revenue cycle before it, business day by
    business day (`openmso.demo.timeline`). With a fixed `as_of`, the same seed gives the same data,
    timestamps included."""
    if db.scalar(select(Mso.id).limit(1)) is not None:
        raise RuntimeError("the database already holds a network; use a fresh database (or --reset)")
    as_of = as_of or utcnow().date()
    set_up = datetime.combine(as_of - timedelta(days=VISIT_DAYS + NETWORK_LEAD_DAYS), time(9), tzinfo=UTC)
    summary = DemoSummary()
    with simulated_clock(set_up):
        mso, built = _build_network(db, seed, practices, patients, progress, summary, as_of)
    if clearinghouse_dir is not None:
        summary.claims, summary.money = timeline.run_revenue_cycle(db, clearinghouse_dir, seed=seed, as_of=as_of)
    with simulated_clock(timeline.this_morning(as_of)):
        summary.accesses = record_demo_accesses(db, as_of, seed)
        audit.record(db, SYSTEM, "demo.build", "mso", mso.id,
                     reason=f"seed={seed} practices={summary.practices} patients={summary.patients}")
    return summary


def _build_network(db: Session, seed: int, practices: int, patients: int, progress: Progress | None,
                   summary: DemoSummary, as_of: date) -> tuple[Mso, list[Practice]]:
    rng = random.Random(seed)
    mint = _Minter(rng)
    mso = Mso(name=catalog.MSO_NAME, tin=catalog.MSO_TIN)
    db.add(mso)
    payer_seeds = {p.code: p for p in catalog.PAYERS}
    payers = [Payer(name=p.name, payer_code=p.code, line_of_business=p.line_of_business,
                    timely_filing_days=p.timely_filing_days) for p in catalog.PAYERS]
    db.add_all(payers)
    db.flush()
    summary.payers = len(payers)
    seeds = _practice_seeds(practices, rng)
    total_weight = sum(s.weight for s in seeds)
    built = []
    for index, practice_seed in enumerate(seeds):
        practice = _build_practice(db, rng, mint, mso, practice_seed, index, summary, as_of)
        built.append(practice)
        by_lob = _payers_for(practice.primary_state, payers, payer_seeds)
        for payer in sorted({p.id: p for ps in by_lob.values() for p in ps}.values(), key=lambda p: p.id):
            db.add(PracticePayer(practice_id=practice.id, payer_id=payer.id, enrolled_on=practice.affiliated_on))
        share = patients * practice_seed.weight // total_weight
        if index == len(seeds) - 1:
            share = patients - summary.patients
        specialty = catalog.SPECIALTIES[practice_seed.specialty]
        _bulk_patients(db, rng, practice, index + 1, share, specialty.min_age, specialty.max_age, by_lob, summary,
                       progress, as_of)
        if progress:
            progress("practices", 1)
    summary.agreements = seed_agreements(db, built, rng, as_of)
    _users(db, built, summary)
    return mso, built
