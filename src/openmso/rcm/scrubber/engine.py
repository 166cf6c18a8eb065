"""Running the edits: `scrub` and `scrub_many` are pure (claims and context in, findings out); `duplicate_index`
fills the one piece of context that needs the database, for a whole chunk of claims at once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openmso.rcm.claims import cob
from openmso.rcm.claims.id_sets import id_set
from openmso.rcm.claims.models import Claim, ClaimLine
from openmso.rcm.claims.states import ClaimStatus
from openmso.rcm.claims.views import ClaimView
from openmso.rcm.scrubber.rules import RULES, EarlierClaim, Rule, ScrubContext, Severity


@dataclass(frozen=True, slots=True)
class Finding:
    rule_id: str
    severity: Severity
    message: str
    fix: str
    line_number: int | None


def scrub(claim: ClaimView, context: ScrubContext, rules: Iterable[Rule] = RULES) -> list[Finding]:
    """Every finding of every rule on `claim`."""
    return scrub_many([claim], context, rules)[0]


def scrub_many(claims: list[ClaimView], context: ScrubContext, rules: Iterable[Rule] = RULES) -> list[list[Finding]]:
    """Every finding of every rule on each of `claims` (a list per claim, in the order of `claims`): each
    rule runs once over the whole chunk; a claim's findings come in the order of the rules."""
    found: dict[int, list[Finding]] = {}
    for rule in rules:
        rule_id, severity, fix = rule.id, rule.severity, rule.fix
        for claim, message, line in rule.check(claims, context):
            finding = Finding(rule_id, severity, message, fix, line)
            mine = found.get(id(claim))
            if mine is None:
                found[id(claim)] = [finding]
            else:
                mine.append(finding)
    if not found:
        return [[] for _ in claims]
    return [found.get(id(claim)) or [] for claim in claims]


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity is Severity.ERROR for f in findings)


# A claim that is closed (voided or superseded) or was never accepted no longer bills the service.
_NOT_BILLING = (ClaimStatus.CLOSED, ClaimStatus.CLEARINGHOUSE_REJECTED, ClaimStatus.PAYER_REJECTED)


def earlier_payer_index(db: Session, claims: list[ClaimView]) -> dict[int, list[EarlierClaim]]:
    """For the claims billed to a later payer: claim id → each earlier payer's claim, the payer just
    before first (the chain `cob.earlier_claims` reads for the whole chunk)."""
    following = [c for c in claims if c.primary_claim_id is not None]
    if not following:
        return {}
    earlier = cob.earlier_claims(db, {c.primary_claim_id for c in following})
    result = {}
    for claim in following:
        chain = [EarlierClaim(row.id, row.payer_code, row.patient_control_number)
                 for row in cob.chain_of(claim, earlier)]
        if chain:
            result[claim.id] = chain
    return result


def duplicate_index(db: Session, claims: list[ClaimView],
                    earlier_payers: dict[int, list[EarlierClaim]] | None = None) -> dict[tuple[int, int], str]:
    """(claim id, line number) → the patient control number of an earlier claim billing the same
    patient, payer, date of service, procedure and modifiers. Replacement and void claims are not
    duplicates of the claim they correct, nor is a claim to a later payer of the claims earlier payers
    adjudicated (`earlier_payers`, from `earlier_payer_index`; when two of them went to one payer,
    `COB-001` says so)."""
    patients = sorted({c.patient_id for c in claims})
    if not patients:
        return {}
    start = min(c.service_date_from for c in claims)
    end = max(c.service_date_to for c in claims)
    claim, line = Claim.__table__.c, ClaimLine.__table__.c
    connection = db.connection()
    of_patients, params = id_set(connection, claim.patient_id, patients, "patients")
    service = (claim.patient_id, claim.payer_id, line.service_date, line.procedure_code, line.modifiers)
    # Only services billed more than once come back, each with its earliest claim: the grouping is the
    # database's work, and a chunk of clean claims reads a handful of rows. Their numbers are read by id
    # afterwards (joining the grouped rows back to `claim` makes PostgreSQL scan the whole table).
    repeated = (select(*service, func.min(claim.id))
                .join_from(Claim.__table__, ClaimLine.__table__, line.claim_id == claim.id)
                .where(of_patients, line.service_date.between(start, end), claim.frequency_code == "1",
                       claim.status.not_in(_NOT_BILLING))
                .group_by(*service).having(func.count() > 1))
    earliest = {tuple(row[:5]): row[5] for row in connection.execute(repeated, params).all()}
    numbers: dict[int, str] = {}
    if earliest:
        of_claims, claim_params = id_set(connection, claim.id, earliest.values(), "claims")
        numbers = dict(connection.execute(select(claim.id, claim.patient_control_number).where(of_claims),
                                          claim_params).all())
    first = {key: (claim_id, numbers[claim_id]) for key, claim_id in earliest.items()}
    result: dict[tuple[int, int], str] = {}
    for claim in claims:
        if claim.frequency_code != "1":
            continue
        payer_id = claim.payer.id if claim.payer else None
        chain = {before.id for before in (earlier_payers or {}).get(claim.id, ())}
        for line in claim.lines:
            key = (claim.patient_id, payer_id, line.service_date, line.procedure_code, ":".join(line.modifiers))
            earlier = first.get(key)
            if earlier is not None and earlier[0] < claim.id and earlier[0] not in chain:
                result[(claim.id, line.number)] = earlier[1]
    return result

