"""Streaming the practice's rows into FHIR resources, one NDJSON file per resource type.

Each resource type is one ordered query read through a server-side cursor; where a resource nests
child rows (a claim's lines, a posting's lines, a provider's licences, a patient's coverages), the
children come from a second query in the same order and are merged as both streams advance, so
memory holds one parent's children, never a table. Amounts are read as integer cents.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import groupby
from operator import attrgetter, itemgetter
from pathlib import Path

from sqlalchemy import BigInteger, Date, cast, distinct, func, select, type_coerce, union
from sqlalchemy.orm import Session

from openmso.core.types import Money, UTCDateTime
from openmso.exit.package import fhir, fhir_text, sqltext
from openmso.exit.package.files import FileEntry, NdjsonFile
from openmso.network.models import (
    Coverage,
    Location,
    Patient,
    Payer,
    Practice,
    PracticePayer,
    Provider,
    ProviderLicense,
)
from openmso.rcm.claims.models import Claim, ClaimLine
from openmso.rcm.contracts.models import ContractRate
from openmso.rcm.remittance.models import ClaimPosting, LinePosting, PatientLedgerEntry

BATCH_ROWS = 5000


def cents(column):
    """A Money column read as its stored integer cents (skips the Decimal conversion per value)."""
    return type_coerce(column, BigInteger).label(column.key)


def export_columns(table, session: Session, names: Iterable[str] | None = None) -> list:
    """Columns of `table` for mapping: amounts as integer cents, dates and instants as ISO text."""
    dialect = session.get_bind().dialect.name
    chosen = [table.c[name] for name in names] if names is not None else list(table.c)
    return [cents(c) if isinstance(c.type, Money) else
            sqltext.as_text(c, dialect) if isinstance(c.type, UTCDateTime | Date) else c for c in chosen]


def _stream(session: Session, query) -> Iterator:
    """The rows of `query` as named tuples made from the driver's rows (attribute access on a SQLAlchemy
    `Row` costs more than mapping the row to FHIR; the values need no conversion, see `export_columns`)."""
    shape = namedtuple("Row", [column.key for column in query.selected_columns])
    make = shape._make
    for batch in sqltext.raw_batches(session, query, BATCH_ROWS):
        yield from map(make, batch)


def attach(parents: Iterable, children: Iterable, parent_key: Callable, child_key: Callable) -> Iterator:
    """Pair each parent with its children; both streams are ordered by the same ascending key."""
    groups = groupby(children, key=child_key)
    current = next(groups, None)
    for parent in parents:
        key = parent_key(parent)
        while current is not None and current[0] < key:
            current = next(groups, None)
        if current is not None and current[0] == key:
            yield parent, list(current[1])
            current = next(groups, None)
        else:
            yield parent, []


def payer_ids_query(practice_id: int):
    """Payers the practice deals with: enrolled, on a coverage, on a claim, or in a contract."""
    return union(
        select(PracticePayer.payer_id).where(PracticePayer.practice_id == practice_id),
        select(Coverage.payer_id).where(Coverage.practice_id == practice_id),
        select(Claim.payer_id).where(Claim.practice_id == practice_id, Claim.payer_id.is_not(None)),
        select(ContractRate.payer_id).where(ContractRate.practice_id == practice_id),
    ).subquery()


def _owned_rows(session: Session, model, practice_id: int, *order) -> Iterator:
    """Every row of a practice-owned table, ready for mapping, in the given order."""
    return _stream(session, select(*export_columns(model.__table__, session))
                   .where(model.practice_id == practice_id).order_by(*order))


def _organizations(session: Session, practice_id: int) -> Iterator[str]:
    practice = next(_stream(session, select(*export_columns(Practice.__table__, session))
                                 .where(Practice.id == practice_id)))
    yield fhir_text.render(fhir.practice_organization(practice))
    payer_ids = payer_ids_query(practice_id)
    for payer in _stream(session, select(*export_columns(Payer.__table__, session))
                         .where(Payer.id.in_(select(payer_ids.c[0]))).order_by(Payer.id)):
        yield fhir_text.render(fhir.payer_organization(payer))


def _count_organizations(session: Session, practice_id: int) -> int:
    payer_ids = payer_ids_query(practice_id)
    return 1 + session.scalar(select(func.count(distinct(payer_ids.c[0]))))


def _locations(session, practice_id):
    return (fhir_text.render(fhir.location(row)) for row in _owned_rows(session, Location, practice_id, Location.id))


def _practitioners(session, practice_id):
    providers = _owned_rows(session, Provider, practice_id, Provider.id)
    licenses = _owned_rows(session, ProviderLicense, practice_id, ProviderLicense.provider_id, ProviderLicense.state,
                           ProviderLicense.id)
    for provider, found in attach(providers, licenses, attrgetter("id"), attrgetter("provider_id")):
        yield fhir_text.render(fhir.practitioner(provider, found))


def _practitioner_roles(session, practice_id):
    return (fhir_text.render(fhir.practitioner_role(row))
            for row in _owned_rows(session, Provider, practice_id, Provider.id))


def _patients(session, practice_id):
    return map(fhir_text.patient, _owned_rows(session, Patient, practice_id, Patient.id))


def _coverages(session, practice_id):
    return map(fhir_text.coverage, _owned_rows(session, Coverage, practice_id, Coverage.id))


def _accounts(session, practice_id):
    patients = _stream(session, select(Patient.id, Patient.practice_id, Patient.mrn)
                       .where(Patient.practice_id == practice_id).order_by(Patient.id))
    coverages = _stream(session, select(Coverage.id, Coverage.patient_id, Coverage.priority)
                        .where(Coverage.practice_id == practice_id).order_by(Coverage.patient_id, Coverage.priority,
                                                                              Coverage.id))
    balances = _stream(session, select(PatientLedgerEntry.patient_id,
                                       cast(func.sum(type_coerce(PatientLedgerEntry.amount, BigInteger)),
                                            BigInteger).label("cents"))
                       .where(PatientLedgerEntry.practice_id == practice_id)
                       .group_by(PatientLedgerEntry.patient_id).order_by(PatientLedgerEntry.patient_id))
    with_coverages = attach(patients, coverages, attrgetter("id"), attrgetter("patient_id"))
    for (patient, found), ledger in attach(with_coverages, balances, lambda pair: pair[0].id,
                                           attrgetter("patient_id")):
        yield fhir_text.account(patient, found, ledger[0].cents if ledger else None)


def _tuples(session: Session, query) -> Iterator[tuple]:
    """The rows of `query` as the driver's plain tuples."""
    for batch in sqltext.raw_batches(session, query, BATCH_ROWS):
        yield from batch


def _claims(session, practice_id):
    claim, line = Claim.__table__, ClaimLine.__table__
    claims = _tuples(session, select(*export_columns(claim, session, fhir_text.CLAIM_COLUMNS))
                     .where(claim.c.practice_id == practice_id).order_by(claim.c.id))
    lines = _tuples(session, select(*export_columns(line, session, fhir_text.CLAIM_LINE_COLUMNS))
                    .where(line.c.practice_id == practice_id).order_by(line.c.claim_id, line.c.line_number, line.c.id))
    for row, found in attach(claims, lines, itemgetter(0), itemgetter(0)):
        yield fhir_text.claim(row, found)


def _postings(session, practice_id) -> Iterator[tuple[str, str]]:
    """Each posting as its ClaimResponse and its ExplanationOfBenefit, from one read of the postings."""
    posting, claim = ClaimPosting.__table__, Claim.__table__
    header = select(*export_columns(posting, session, fhir_text.POSTING_COLUMNS),
                    *export_columns(claim, session, fhir_text.POSTING_CLAIM_COLUMNS)) \
        .join_from(posting, claim, posting.c.claim_id == claim.c.id) \
        .where(posting.c.practice_id == practice_id).order_by(posting.c.id)
    line, claim_line = LinePosting.__table__, ClaimLine.__table__
    lines = select(*export_columns(line, session, fhir_text.LINE_POSTING_COLUMNS),
                   *export_columns(claim_line, session, fhir_text.LINE_POSTING_CLAIM_LINE_COLUMNS)) \
        .join_from(line, claim_line, line.c.claim_line_id == claim_line.c.id) \
        .where(line.c.practice_id == practice_id).order_by(line.c.claim_posting_id, line.c.id)
    for row, found in attach(_tuples(session, header), _tuples(session, lines), itemgetter(0), itemgetter(0)):
        yield fhir_text.postings(row, found)


def _count(model):
    def count(session: Session, practice_id: int) -> int:
        return session.scalar(select(func.count()).select_from(model).where(model.practice_id == practice_id))
    return count


@dataclass(frozen=True)
class ResourceType:
    """One FHIR resource type of the package and what the database says it should hold."""

    name: str
    expected: Callable[[Session, int], int]
    source: str  # the rows each resource is made from, for the manifest

    @property
    def path(self) -> str:
        return f"fhir/{self.name}.ndjson"


@dataclass(frozen=True)
class ResourcePass:
    """Resource types written from one read of their rows: `produce` yields NDJSON lines, or, when
    several types are made from the same rows, a tuple with one line of each type per row."""

    kinds: tuple[ResourceType, ...]
    produce: Callable[[Session, int], Iterator[str] | Iterator[tuple[str, ...]]]

    @property
    def name(self) -> str:
        return " and ".join(kind.name for kind in self.kinds)


def _one(name, produce, expected, source) -> ResourcePass:
    return ResourcePass((ResourceType(name, expected, source),), produce)


RESOURCE_PASSES = [
    _one("Organization", _organizations, _count_organizations, "the practice and every payer it deals with"),
    _one("Location", _locations, _count(Location), "location"),
    _one("Practitioner", _practitioners, _count(Provider), "provider with provider_license"),
    _one("PractitionerRole", _practitioner_roles, _count(Provider), "provider"),
    _one("Patient", _patients, _count(Patient), "patient"),
    _one("Coverage", _coverages, _count(Coverage), "coverage"),
    _one("Account", _accounts, _count(Patient), "patient with coverage and patient_ledger balance"),
    _one("Claim", _claims, _count(Claim), "claim with claim_line"),
    ResourcePass((ResourceType("ClaimResponse", _count(ClaimPosting), "claim_posting with line_posting"),
                  ResourceType("ExplanationOfBenefit", _count(ClaimPosting),
                               "claim_posting with claim and line_posting")), _postings),
]
RESOURCE_TYPES = [kind for one_pass in RESOURCE_PASSES for kind in one_pass.kinds]


def write_resources(session: Session, root: Path, one_pass: ResourcePass, practice_id: int) -> list[FileEntry]:
    """The NDJSON file of each type of `one_pass`, in the order of its `kinds`."""
    files = [NdjsonFile(root, kind.path) for kind in one_pass.kinds]
    lines = one_pass.produce(session, practice_id)
    if len(files) == 1:
        files[0].write_all(lines)
    else:
        for row in lines:
            for out, line in zip(files, row, strict=True):
                out.write(line)
    entries = [out.close() for out in files]
    for entry, kind in zip(entries, one_pass.kinds, strict=True):
        entry.details = {"resource_type": kind.name, "source": kind.source}
    return entries
