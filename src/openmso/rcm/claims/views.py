"""Claims as plain, fully resolved values (patient, coverage, payer, providers, location), loaded in
chunks with a few IN queries instead of per-claim ORM navigation.

The scrubber and the 837P builder both work on `ClaimView`s, so one claim on the detail page and
100,000 claims in a batch go through the same code; the loader keeps memory bounded by the chunk.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from openmso.core.types import CENT
from openmso.network.models import Coverage, Location, Patient, Payer, Practice, Provider
from openmso.rcm.claims.models import Claim, ClaimLine, split_codes

CHUNK = 1000


@dataclass(slots=True)
class LineView:
    number: int
    procedure_code: str
    modifiers: tuple[str, ...]
    units: int
    charge: Decimal
    service_date: date
    service_date_end: date | None
    pointers: tuple[int, ...]


@dataclass(slots=True)
class PartyView:
    """A patient, subscriber or provider as the claim names it."""

    first_name: str
    last_name: str
    npi: str = ""
    taxonomy: str = ""
    birth_date: date | None = None
    sex: str = ""
    address_line1: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None


@dataclass(slots=True)
class CoverageView:
    id: int
    member_id: str
    group_number: str | None
    priority: int
    subscriber_relation: str
    subscriber_first_name: str | None
    subscriber_last_name: str | None
    subscriber_birth_date: date | None
    effective_from: date
    effective_to: date | None

    def active_on(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


@dataclass(slots=True)
class PayerView:
    id: int
    name: str
    payer_code: str
    line_of_business: str
    timely_filing_days: int


@dataclass(slots=True)
class PracticeView:
    id: int
    legal_name: str
    group_npi: str
    tin: str


@dataclass(slots=True)
class LocationView:
    id: int
    name: str
    address_line1: str
    city: str
    state: str
    postal_code: str
    place_of_service: str


@dataclass(slots=True)
class ClaimView:
    id: int
    practice_id: int
    patient_id: int
    patient_control_number: str
    status: str
    frequency_code: str
    payer_responsibility: str
    payer_claim_number: str | None
    place_of_service: str
    prior_authorization: str | None
    service_date_from: date
    service_date_to: date
    total_charge: Decimal
    diagnoses: list[str]
    created_at: datetime
    practice: PracticeView
    patient: PartyView
    rendering: PartyView
    location: LocationView
    coverage: CoverageView | None = None
    payer: PayerView | None = None
    referring: PartyView | None = None
    lines: list[LineView] = field(default_factory=list)


_CLAIM_COLUMNS = (Claim.id, Claim.practice_id, Claim.patient_id, Claim.patient_control_number, Claim.status,
                  Claim.frequency_code, Claim.payer_responsibility, Claim.payer_claim_number,
                  Claim.place_of_service, Claim.prior_authorization, Claim.service_date_from,
                  Claim.service_date_to, Claim.total_charge, Claim.diagnoses, Claim.created_at, Claim.coverage_id,
                  Claim.payer_id, Claim.rendering_provider_id, Claim.referring_provider_id, Claim.location_id)
_LINE_COLUMNS = (ClaimLine.claim_id, ClaimLine.line_number, ClaimLine.procedure_code, ClaimLine.modifiers,
                 ClaimLine.units, ClaimLine.charge_amount, ClaimLine.service_date, ClaimLine.service_date_end,
                 ClaimLine.pointers)


class ReferenceCache:
    """Patients, coverages, payers, providers, locations and practices by id, loaded on demand in bulk."""

    def __init__(self, db: Session):
        self.db = db
        self.patients: dict[int, PartyView] = {}
        self.coverages: dict[int, CoverageView] = {}
        self.payers: dict[int, PayerView] = {}
        self.providers: dict[int, PartyView] = {}
        self.locations: dict[int, LocationView] = {}
        self.practices: dict[int, PracticeView] = {}

    def _load(self, cache: dict, ids: Iterable[int | None], columns, build) -> None:
        missing = sorted({i for i in ids if i is not None and i not in cache})
        for start in range(0, len(missing), 900):  # stay under SQLite's bound-parameter limit
            key = columns[0]
            for row in self.db.execute(select(*columns).where(key.in_(missing[start:start + 900]))):
                cache[row[0]] = build(row)

    def prepare(self, rows) -> None:
        self._load(self.patients, (r.patient_id for r in rows),
                   (Patient.id, Patient.first_name, Patient.last_name, Patient.birth_date, Patient.sex,
                    Patient.address_line1, Patient.city, Patient.state, Patient.postal_code),
                   lambda r: PartyView(r[1], r[2], birth_date=r[3], sex=r[4], address_line1=r[5], city=r[6],
                                       state=r[7], postal_code=r[8]))
        self._load(self.coverages, (r.coverage_id for r in rows),
                   (Coverage.id, Coverage.member_id, Coverage.group_number, Coverage.priority,
                    Coverage.subscriber_relation, Coverage.subscriber_first_name, Coverage.subscriber_last_name,
                    Coverage.subscriber_birth_date, Coverage.effective_from, Coverage.effective_to),
                   lambda r: CoverageView(*r))
        self._load(self.payers, (r.payer_id for r in rows),
                   (Payer.id, Payer.name, Payer.payer_code, Payer.line_of_business, Payer.timely_filing_days),
                   lambda r: PayerView(*r))
        provider_ids = [r.rendering_provider_id for r in rows] + [r.referring_provider_id for r in rows]
        self._load(self.providers, provider_ids,
                   (Provider.id, Provider.first_name, Provider.last_name, Provider.npi, Provider.taxonomy_code),
                   lambda r: PartyView(r[1], r[2], npi=r[3], taxonomy=r[4]))
        self._load(self.locations, (r.location_id for r in rows),
                   (Location.id, Location.name, Location.address_line1, Location.city, Location.state,
                    Location.postal_code, Location.place_of_service), lambda r: LocationView(*r))
        self._load(self.practices, (r.practice_id for r in rows),
                   (Practice.id, Practice.legal_name, Practice.group_npi, Practice.tin), lambda r: PracticeView(*r))


def _tuple_codes(value: str) -> tuple[str, ...]:
    return tuple(split_codes(value))


def load_views(db: Session, claim_ids: list[int], cache: ReferenceCache | None = None) -> list[ClaimView]:
    """The claims with these ids as `ClaimView`s, in id order. Callers scope `claim_ids` by tenancy."""
    cache = cache or ReferenceCache(db)
    rows = list(db.execute(select(*_CLAIM_COLUMNS).where(Claim.id.in_(claim_ids)).order_by(Claim.id)))
    cache.prepare(rows)
    views: dict[int, ClaimView] = {}
    for r in rows:
        views[r.id] = ClaimView(
            r.id, r.practice_id, r.patient_id, r.patient_control_number, r.status, r.frequency_code,
            r.payer_responsibility, r.payer_claim_number, r.place_of_service, r.prior_authorization,
            r.service_date_from, r.service_date_to, r.total_charge, split_codes(r.diagnoses), r.created_at,
            cache.practices[r.practice_id], cache.patients[r.patient_id], cache.providers[r.rendering_provider_id],
            cache.locations[r.location_id], cache.coverages.get(r.coverage_id), cache.payers.get(r.payer_id),
            cache.providers.get(r.referring_provider_id))
    if views:
        lines = db.execute(select(*_LINE_COLUMNS).where(ClaimLine.claim_id.in_(list(views)))
                           .order_by(ClaimLine.claim_id, ClaimLine.line_number))
        for line in lines:
            views[line.claim_id].lines.append(LineView(
                line.line_number, line.procedure_code, _tuple_codes(line.modifiers), line.units,
                line.charge_amount.quantize(CENT), line.service_date, line.service_date_end,
                tuple(int(p) for p in split_codes(line.pointers))))
    return list(views.values())


def iter_views(db: Session, claim_ids: list[int], chunk: int = CHUNK) -> Iterator[list[ClaimView]]:
    """`load_views` chunk by chunk, sharing one reference cache."""
    cache = ReferenceCache(db)
    for start in range(0, len(claim_ids), chunk):
        yield load_views(db, claim_ids[start:start + chunk], cache)
