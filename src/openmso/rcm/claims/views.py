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
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from openmso.network.models import Coverage, Location, Patient, Payer, Practice, Provider
from openmso.rcm.claims.models import Claim, ClaimLine, split_codes

if TYPE_CHECKING:
    from openmso.rcm.claims.cob import PriorPayer

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
    primary_claim_id: int | None = None  # set on a secondary claim: the claim the primary adjudicated
    prior_payer: PriorPayer | None = None  # that adjudication, when attached by `cob.attach`


_CLAIM, _LINE = Claim.__table__, ClaimLine.__table__
_CLAIM_COLUMNS = tuple(_CLAIM.c[name] for name in (
    "id", "practice_id", "patient_id", "patient_control_number", "status", "frequency_code", "payer_responsibility",
    "payer_claim_number", "place_of_service", "prior_authorization", "service_date_from", "service_date_to",
    "total_charge", "diagnoses", "created_at", "coverage_id", "payer_id", "rendering_provider_id",
    "referring_provider_id", "location_id", "primary_claim_id"))
_LINE_COLUMNS = tuple(_LINE.c[name] for name in (
    "claim_id", "line_number", "procedure_code", "modifiers", "units", "charge_amount", "service_date",
    "service_date_end", "pointers"))


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
        if not missing:
            return
        connection = self.db.connection()
        # one expanding parameter: the list is bound as is, not coerced value by value into the statement
        query = select(*columns).where(columns[0].in_(bindparam("ids", expanding=True)))
        for start in range(0, len(missing), 900):  # stay under SQLite's bound-parameter limit
            for row in connection.execute(query, {"ids": missing[start:start + 900]}).all():
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


def id_range(column, ids: list[int]):
    """A WHERE clause selecting `ids` (sorted), and the set to keep when it selects more.

    Claim ids of one run are mostly consecutive, so a BETWEEN over the primary key (or an indexed
    foreign key) is one range scan with two parameters, where IN would bind a thousand."""
    low, high = ids[0], ids[-1]
    if high - low < 2 * len(ids):
        return column.between(low, high), set(ids)
    return column.in_(ids), None


def load_views(db: Session, claim_ids: list[int], cache: ReferenceCache | None = None) -> list[ClaimView]:
    """The claims with these ids as `ClaimView`s, in id order. Callers scope `claim_ids` by tenancy.

    Core selects on the session's connection: plain rows, no ORM identity map or entity loading."""
    if not claim_ids:
        return []
    cache = cache or ReferenceCache(db)
    ids = sorted(claim_ids)
    connection = db.connection()
    where, keep = id_range(_CLAIM.c.id, ids)
    rows = connection.execute(select(*_CLAIM_COLUMNS).where(where).order_by(_CLAIM.c.id)).all()
    if keep is not None:
        rows = [r for r in rows if r[0] in keep]
    cache.prepare(rows)
    views: dict[int, ClaimView] = {}
    practices, patients, providers = cache.practices, cache.patients, cache.providers
    locations, coverages, payers = cache.locations, cache.coverages, cache.payers
    for (claim_id, practice_id, patient_id, pcn, status, frequency, responsibility, payer_claim_number, place,
         authorization, date_from, date_to, total, diagnoses, created_at, coverage_id, payer_id, rendering_id,
         referring_id, location_id, primary_claim_id) in rows:
        views[claim_id] = ClaimView(
            claim_id, practice_id, patient_id, pcn, status, frequency, responsibility, payer_claim_number, place,
            authorization, date_from, date_to, total, split_codes(diagnoses), created_at,
            practices[practice_id], patients[patient_id], providers[rendering_id], locations[location_id],
            coverages.get(coverage_id), payers.get(payer_id), providers.get(referring_id), [], primary_claim_id)
    if views:
        where, _ = id_range(_LINE.c.claim_id, list(views))
        lines = connection.execute(select(*_LINE_COLUMNS).where(where)
                                   .order_by(_LINE.c.claim_id, _LINE.c.line_number)).all()
        for claim_id, number, code, modifiers, units, charge, day, day_end, pointers in lines:
            view = views.get(claim_id)
            if view is not None:
                view.lines.append(LineView(number, code, tuple(split_codes(modifiers)) if modifiers else (), units,
                                           charge, day, day_end,
                                           tuple(int(p) for p in pointers.split(":") if p) if pointers else ()))
    return list(views.values())


def iter_views(db: Session, claim_ids: list[int], chunk: int = CHUNK, cache: ReferenceCache | None = None
               ) -> Iterator[list[ClaimView]]:
    """`load_views` chunk by chunk, sharing one reference cache."""
    cache = cache or ReferenceCache(db)
    for start in range(0, len(claim_ids), chunk):
        yield load_views(db, claim_ids[start:start + chunk], cache)
