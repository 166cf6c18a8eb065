"""Claims as plain, fully resolved values (patient, coverage, payer, providers, location), loaded in
chunks with a few IN queries instead of per-claim ORM navigation.

The scrubber and the 837P builder both work on `ClaimView`s, so one claim on the detail page and
100,000 claims in a batch go through the same code; the loader keeps memory bounded by the chunk.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, select, type_coerce
from sqlalchemy.orm import Session

from openmso.core.effective_dates import EffectiveDated
from openmso.network.models import Coverage, Location, Patient, Payer, Practice, Provider
from openmso.rcm.claims.driver import Days, fetch_all
from openmso.rcm.claims.id_sets import id_filter, id_set
from openmso.rcm.claims.models import Claim, ClaimLine, split_codes

if TYPE_CHECKING:
    from openmso.rcm.claims.cob import PriorPayer

CHUNK = 1000
MEMO_LIMIT = 50_000  # entries a run's memo may hold before it starts again


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
class CoverageView(EffectiveDated):
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
    practice: PracticeView
    patient: PartyView
    rendering: PartyView
    location: LocationView
    coverage: CoverageView | None = None
    payer: PayerView | None = None
    referring: PartyView | None = None
    lines: list[LineView] = field(default_factory=list)
    primary_claim_id: int | None = None  # set on a secondary (tertiary) claim: the claim the payer before adjudicated
    prior_payers: list[PriorPayer] = field(default_factory=list)  # every earlier payer's, primary first (`cob.attach`)


_CLAIM, _LINE, _PATIENT, _COVERAGE = Claim.__table__, ClaimLine.__table__, Patient.__table__, Coverage.__table__
_CLAIM_COLUMNS = tuple(_CLAIM.c[name] for name in (
    "id", "practice_id", "patient_id", "patient_control_number", "status", "frequency_code", "payer_responsibility",
    "payer_claim_number", "place_of_service", "prior_authorization", "service_date_from", "service_date_to",
    "diagnoses", "payer_id", "rendering_provider_id", "referring_provider_id", "location_id", "primary_claim_id"))
# Money columns are read as their stored cents and turned into `Decimal`s through a memo: a run sees the
# same few fee-schedule amounts thousands of times.
_CLAIM_CENTS = type_coerce(_CLAIM.c.total_charge, BigInteger)
_PATIENT_COLUMNS = tuple(_PATIENT.c[name] for name in (
    "first_name", "last_name", "birth_date", "sex", "address_line1", "city", "state", "postal_code"))
_COVERAGE_COLUMNS = tuple(_COVERAGE.c[name] for name in (
    "id", "member_id", "group_number", "priority", "subscriber_relation", "subscriber_first_name",
    "subscriber_last_name", "subscriber_birth_date", "effective_from", "effective_to"))
_CLAIM_QUERY = (select(*_CLAIM_COLUMNS, _CLAIM_CENTS, *_PATIENT_COLUMNS, *_COVERAGE_COLUMNS)
                .join_from(_CLAIM, _PATIENT, _PATIENT.c.id == _CLAIM.c.patient_id)
                .outerjoin(_COVERAGE, _COVERAGE.c.id == _CLAIM.c.coverage_id))
_LINE_QUERY = select(_LINE.c.claim_id, _LINE.c.line_number, _LINE.c.procedure_code, _LINE.c.modifiers,
                     _LINE.c.units, type_coerce(_LINE.c.charge_amount, BigInteger), _LINE.c.service_date,
                     _LINE.c.service_date_end, _LINE.c.pointers)


class ReferenceCache:
    """Payers, providers, locations and practices (a few rows shared by thousands of claims) kept for
    a whole run, and the coverages of the claims secondary claims follow, loaded on demand in bulk."""

    def __init__(self, db: Session):
        self.db = db
        self.coverages: dict[int, CoverageView] = {}
        self.payers: dict[int, PayerView] = {}
        self.providers: dict[int, PartyView] = {}
        self.locations: dict[int, LocationView] = {}
        self.practices: dict[int, PracticeView] = {}
        self.amounts: dict[int, Decimal] = {}  # cents -> Decimal
        self.days = Days()

    def money(self, cents: int | None) -> Decimal | None:
        """Stored cents as the `Decimal` `core.types.Money` reads (two places), one object per amount."""
        if cents is None:
            return None
        amount = self.amounts.get(cents)
        if amount is None:
            if len(self.amounts) > MEMO_LIMIT:  # a run over very many distinct amounts keeps memory flat
                self.amounts.clear()
            amount = self.amounts[cents] = Decimal(cents).scaleb(-2)
        return amount

    def _load(self, cache: dict, ids: Iterable[int | None], columns, build) -> None:
        missing = {i for i in ids if i is not None and i not in cache}
        if not missing:
            return
        connection = self.db.connection()
        where, params = id_set(connection, columns[0], missing)
        for row in connection.execute(select(*columns).where(where), params).all():
            cache[row[0]] = build(row)

    def prepare_shared(self, practices: Iterable[int], payers: Iterable[int | None], providers: Iterable[int | None],
                       locations: Iterable[int]) -> None:
        """These payers, providers, locations and practices (by id), those not already held."""
        self._load(self.payers, payers,
                   (Payer.id, Payer.name, Payer.payer_code, Payer.line_of_business, Payer.timely_filing_days),
                   lambda r: PayerView(*r))
        self._load(self.providers, providers,
                   (Provider.id, Provider.first_name, Provider.last_name, Provider.npi, Provider.taxonomy_code),
                   lambda r: PartyView(r[1], r[2], npi=r[3], taxonomy=r[4]))
        self._load(self.locations, locations,
                   (Location.id, Location.name, Location.address_line1, Location.city, Location.state,
                    Location.postal_code, Location.place_of_service), lambda r: LocationView(*r))
        self._load(self.practices, practices,
                   (Practice.id, Practice.legal_name, Practice.group_npi, Practice.tin), lambda r: PracticeView(*r))

    def prepare(self, rows) -> None:
        """The coverages, payers, providers, locations and practices that claim `rows` (with those id
        columns) name."""
        if len(self.coverages) > MEMO_LIMIT:
            self.coverages.clear()
        self._load(self.coverages, (r.coverage_id for r in rows), _COVERAGE_COLUMNS, lambda r: CoverageView(*r))
        self.prepare_shared((r.practice_id for r in rows), (r.payer_id for r in rows),
                            [r.rendering_provider_id for r in rows] + [r.referring_provider_id for r in rows],
                            (r.location_id for r in rows))


_STATEMENTS: dict[tuple, tuple] = {}


def _statements(claims_where, lines_where) -> tuple:
    """The claim and line selects for these (long-lived) WHERE clauses, built once."""
    key = (claims_where, lines_where)
    statements = _STATEMENTS.get(key)
    if statements is None:
        statements = _STATEMENTS[key] = (_CLAIM_QUERY.where(claims_where).order_by(_CLAIM.c.id),
                                         _LINE_QUERY.where(lines_where).order_by(_LINE.c.claim_id))
    return statements


def load_views(db: Session, claim_ids: list[int], cache: ReferenceCache | None = None) -> list[ClaimView]:
    """The claims with these ids as `ClaimView`s, in id order. Callers scope `claim_ids` by tenancy.

    Two selects on the driver's cursor (plain tuples: no ORM identity map, entities or result rows):
    the claims with their patient and coverage joined, then their lines; payers, providers, locations
    and practices come from the cache."""
    if not claim_ids:
        return []
    cache = cache or ReferenceCache(db)
    ids = sorted(set(claim_ids))
    connection = db.connection()
    claims_where, params, keep = id_filter(connection, _CLAIM.c.id, ids, "claims")
    lines_where, line_params, _ = id_filter(connection, _LINE.c.claim_id, ids, "lines")
    claims_query, lines_query = _statements(claims_where, lines_where)
    rows = fetch_all(connection, claims_query, params)
    if keep is not None:
        rows = [r for r in rows if r[0] in keep]
    cache.prepare_shared({r[1] for r in rows}, {r[13] for r in rows}, {r[14] for r in rows} | {r[15] for r in rows},
                         {r[16] for r in rows})
    views: dict[int, ClaimView] = {}
    practices, providers, locations, payers, money, days = (cache.practices, cache.providers, cache.locations,
                                                            cache.payers, cache.money, cache.days)
    diagnosis_lists: dict[str, list[str]] = {}
    for (claim_id, practice_id, patient_id, pcn, status, frequency, responsibility, payer_claim_number, place,
         authorization, date_from, date_to, diagnoses, payer_id, rendering_id, referring_id, location_id,
         primary_claim_id, total, first_name, last_name, birth_date, sex, address, city, state, postal_code,
         coverage_id, member_id, group_number, priority, relation, subscriber_first, subscriber_last,
         subscriber_birth_date, effective_from, effective_to) in rows:
        codes = diagnosis_lists.get(diagnoses)
        if codes is None:
            codes = diagnosis_lists[diagnoses] = split_codes(diagnoses)
        coverage = CoverageView(coverage_id, member_id, group_number, priority, relation, subscriber_first,
                                subscriber_last, days[subscriber_birth_date], days[effective_from],
                                days[effective_to]) if coverage_id is not None else None
        patient = PartyView(first_name, last_name, "", "", days[birth_date], sex, address, city, state, postal_code)
        views[claim_id] = ClaimView(
            claim_id, practice_id, patient_id, pcn, status, frequency, responsibility, payer_claim_number, place,
            authorization, days[date_from], days[date_to], money(total), list(codes), practices[practice_id],
            patient, providers[rendering_id], locations[location_id], coverage, payers.get(payer_id),
            providers.get(referring_id), [], primary_claim_id)
    if views:
        modifier_sets: dict[str, tuple[str, ...]] = {"": ()}
        pointer_sets: dict[str, tuple[int, ...]] = {"": ()}
        for claim_id, number, code, modifiers, units, cents, day, day_end, pointers in fetch_all(
                connection, lines_query, line_params):
            view = views.get(claim_id)
            if view is None:
                continue
            modifiers = modifiers or ""
            parsed_modifiers = modifier_sets.get(modifiers)
            if parsed_modifiers is None:
                parsed_modifiers = modifier_sets[modifiers] = tuple(split_codes(modifiers))
            pointers = pointers or ""
            parsed_pointers = pointer_sets.get(pointers)
            if parsed_pointers is None:
                parsed_pointers = pointer_sets[pointers] = tuple(int(p) for p in pointers.split(":") if p)
            view.lines.append(LineView(number, code, parsed_modifiers, units, money(cents), days[day], days[day_end],
                                       parsed_pointers))
        for view in views.values():  # lines come in claim order; within a claim, put them in line order
            lines = view.lines
            if len(lines) > 1 and any(lines[i].number > lines[i + 1].number for i in range(len(lines) - 1)):
                lines.sort(key=_line_number)
    return list(views.values())


def _line_number(line: LineView) -> int:
    return line.number


def iter_views(db: Session, claim_ids: list[int], chunk: int = CHUNK, cache: ReferenceCache | None = None
               ) -> Iterator[list[ClaimView]]:
    """`load_views` chunk by chunk, sharing one reference cache."""
    cache = cache or ReferenceCache(db)
    for start in range(0, len(claim_ids), chunk):
        yield load_views(db, claim_ids[start:start + chunk], cache)
