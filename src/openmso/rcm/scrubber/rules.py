"""The scrubber's edits, as data: each `Rule` is an id, a severity, what it checks, how to fix a
failure, where the rule comes from, and a pure check over a `ClaimView`.

Adding an edit is adding a `Rule` to `RULES` (or a row to one of the data files the checks read:
modifiers, payer prior-authorization lists, NCCI procedure pairs). Errors hold a claim; warnings
are shown but do not stop submission.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import cache, lru_cache
from typing import NamedTuple

from openmso.network.identifiers import PLACE_OF_SERVICE, npi_problem
from openmso.rcm.claims.views import ClaimView
from openmso.rcm.scrubber import codes


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class EarlierClaim(NamedTuple):
    """The claim an earlier payer of a claim adjudicated (its coordination of benefits chain)."""

    id: int
    payer_code: str | None
    patient_control_number: str


@dataclass(slots=True)
class ScrubContext:
    """What a check needs beyond the claim itself: the date to judge against and, for duplicate
    detection, the earlier claims that bill the same service (filled by the engine in bulk)."""

    as_of: date
    duplicates: dict[tuple[int, int], str] = field(default_factory=dict)  # (claim id, line) -> other PCN
    # claim id -> each earlier payer's claim, for claims billed to a later payer (`primary_claim_id`),
    # the payer just before first
    earlier_payers: dict[int, list[EarlierClaim]] = field(default_factory=dict)


Found = tuple[ClaimView, str, int | None]  # the claim, the message, the line number (None: the whole claim)
Check = Callable[[list[ClaimView], ScrubContext], Iterable[Found]]


@dataclass(frozen=True, slots=True)
class Rule:
    """One edit. Its check runs over a chunk of claims and yields each problem with its claim: one call
    per chunk rather than one per claim keeps the cost of a clean claim at a few attribute reads per
    rule, where a call per claim and rule cost as much as the checks themselves."""

    id: str
    severity: Severity
    title: str
    fix: str
    source: str
    check: Check


MAX_UNITS = 99
MAX_LINE_CHARGE = Decimal("99999.99")
ZERO = Decimal(0)
TIMELY_FILING_WARNING_DAYS = 30


def _diagnoses(claims: list[ClaimView], _: ScrubContext) -> Iterator[Found]:
    for claim in claims:
        diagnoses = claim.diagnoses
        if not diagnoses:
            yield claim, "the claim has no diagnosis", None
        if len(diagnoses) > 12:
            yield claim, f"{len(diagnoses)} diagnoses; a professional claim carries at most 12", None
        for code in diagnoses:
            if problem := codes.diagnosis_problem(code):
                yield claim, problem, None


def _procedure_format(claims: list[ClaimView], _: ScrubContext) -> Iterator[Found]:
    for claim in claims:
        for line in claim.lines:
            if problem := codes.procedure_problem(line.procedure_code):
                yield claim, problem, line.number


def _modifiers_valid(claims: list[ClaimView], _: ScrubContext) -> Iterator[Found]:
    known = codes.modifiers()
    for claim in claims:
        for line in claim.lines:
            modifiers = line.modifiers
            if not modifiers:
                continue
            if len(modifiers) > 4:
                yield claim, f"{len(modifiers)} modifiers; a line carries at most 4", line.number
            if len(set(modifiers)) != len(modifiers):
                yield claim, f"modifier repeated ({' '.join(modifiers)})", line.number
            for modifier in modifiers:
                if modifier not in known:
                    yield claim, f"{modifier!r} is not a recognised CPT/HCPCS modifier", line.number


_CONFLICTS = (({"26", "TC"}, "26 (professional) and TC (technical) together describe the global service: "
                              "bill without either"),
              ({"LT", "RT"}, "LT and RT on one line: bill modifier 50 (bilateral) or two lines"),
              ({"GA", "GZ"}, "GA (waiver on file) and GZ (no waiver) contradict each other"))


def _modifier_combinations(claims: list[ClaimView], _: ScrubContext) -> Iterator[Found]:
    for claim in claims:
        for line in claim.lines:
            if len(line.modifiers) < 2:
                continue
            present = set(line.modifiers)
            for pair, message in _CONFLICTS:
                if pair <= present:
                    yield claim, message, line.number


def _modifier_25_on_em(claims: list[ClaimView], _: ScrubContext) -> Iterator[Found]:
    for claim in claims:
        for line in claim.lines:
            if "25" in line.modifiers and not codes.EVALUATION_AND_MANAGEMENT.match(line.procedure_code):
                yield claim, f"modifier 25 is for E/M services (99202-99499), not {line.procedure_code}", line.number


def _pointers(claims: list[ClaimView], _: ScrubContext) -> Iterator[Found]:
    for claim in claims:
        count = len(claim.diagnoses)
        for line in claim.lines:
            pointers = line.pointers
            if not 1 <= len(pointers) <= 4:
                yield claim, f"{len(pointers)} diagnosis pointers; a line needs 1 to 4", line.number
            if pointers and 1 <= min(pointers) and max(pointers) <= count:
                continue
            bad = [p for p in pointers if not 1 <= p <= count]
            if bad:
                yield claim, f"pointer(s) {bad} do not point at one of the claim's {count} diagnoses", line.number


@cache
def _npi_problem(npi: str) -> str | None:
    return npi_problem(npi)  # the same few NPIs recur on every claim of a practice


def _npis(claims: list[ClaimView], _: ScrubContext) -> Iterator[Found]:
    for claim in claims:
        for role, npi in (("billing (group)", claim.practice.group_npi), ("rendering", claim.rendering.npi),
                          ("referring", claim.referring.npi if claim.referring else None)):
            if npi is not None and (problem := _npi_problem(npi)):
                yield claim, f"{role} NPI {npi}: {problem}", None


def _coverage_present(claims: list[ClaimView], _: ScrubContext) -> Iterator[Found]:
    for claim in claims:
        if claim.coverage is None or claim.payer is None:
            yield claim, "no insurance coverage on the claim (a self-pay visit is billed to the patient)", None


def _coverage_active(claims: list[ClaimView], _: ScrubContext) -> Iterator[Found]:
    for claim in claims:
        coverage = claim.coverage
        if coverage is None:
            continue
        for line in claim.lines:
            if not coverage.active_on(line.service_date):
                until = coverage.effective_to.isoformat() if coverage.effective_to else "open"
                yield claim, (f"coverage {coverage.member_id} is not active on {line.service_date.isoformat()} "
                              f"(effective {coverage.effective_from.isoformat()} to {until})"), line.number


@lru_cache(maxsize=4096)
def _filing_deadline(service_date: date, days: int) -> date:
    return service_date + timedelta(days=days)  # a run meets a few hundred dates and a few payer limits


def _timely_filing(claims: list[ClaimView], context: ScrubContext) -> Iterator[Found]:
    for claim in claims:
        if claim.payer is None:
            continue
        deadline = _filing_deadline(claim.service_date_from, claim.payer.timely_filing_days)
        if context.as_of > deadline:
            yield claim, (f"{claim.payer.name} accepts claims within {claim.payer.timely_filing_days} days of "
                          f"service; the deadline was {deadline.isoformat()}"), None


def _timely_filing_near(claims: list[ClaimView], context: ScrubContext) -> Iterator[Found]:
    soon = _filing_deadline(context.as_of, TIMELY_FILING_WARNING_DAYS)
    for claim in claims:
        if claim.payer is None:
            continue
        deadline = _filing_deadline(claim.service_date_from, claim.payer.timely_filing_days)
        if context.as_of <= deadline <= soon:
            yield claim, f"the timely filing deadline is {deadline.isoformat()}: submit now", None


def _dates(claims: list[ClaimView], context: ScrubContext) -> Iterator[Found]:
    for claim in claims:
        for line in claim.lines:
            if line.service_date > context.as_of:
                yield claim, f"date of service {line.service_date.isoformat()} is in the future", line.number
            if line.service_date_end is not None and line.service_date_end < line.service_date:
                yield claim, "the service end date is before its start date", line.number


def _duplicates(claims: list[ClaimView], context: ScrubContext) -> Iterator[Found]:
    duplicates = context.duplicates
    if not duplicates:
        return
    for claim in claims:
        for line in claim.lines:
            other = duplicates.get((claim.id, line.number))
            if other is not None:
                yield claim, (f"{line.procedure_code} on {line.service_date.isoformat()} is already billed on "
                              f"claim {other}"), line.number


def _units_and_amounts(claims: list[ClaimView], _: ScrubContext) -> Iterator[Found]:
    for claim in claims:
        total = ZERO
        for line in claim.lines:
            charge = line.charge
            total += charge
            if not 1 <= line.units <= MAX_UNITS:
                yield claim, f"{line.units} units; expected 1 to {MAX_UNITS}", line.number
            if charge <= 0:
                yield claim, f"charge {charge} must be more than zero", line.number
            elif charge > MAX_LINE_CHARGE:
                yield claim, f"charge {charge} is above {MAX_LINE_CHARGE}, the most a line may carry", line.number
        if claim.total_charge != total:
            yield claim, "the claim total is not the sum of its lines", None


def _place_of_service(claims: list[ClaimView], _: ScrubContext) -> Iterator[Found]:
    for claim in claims:
        if claim.place_of_service not in PLACE_OF_SERVICE:
            yield claim, f"place of service {claim.place_of_service!r} is missing or not a CMS code", None


def _prior_authorization(claims: list[ClaimView], _: ScrubContext) -> Iterator[Found]:
    lists = codes.prior_authorization_codes()
    for claim in claims:
        if claim.payer is None or claim.prior_authorization:
            continue
        required = lists.get(claim.payer.payer_code)
        if not required:
            continue
        for line in claim.lines:
            if line.procedure_code in required:
                yield claim, f"{claim.payer.name} requires prior authorization for {line.procedure_code}", line.number


def _procedure_pairs(claims: list[ClaimView], _: ScrubContext) -> Iterator[Found]:
    pairs = codes.procedure_pairs()
    for claim in claims:
        if len(claim.lines) < 2:
            continue
        for first in claim.lines:
            for second in claim.lines:
                if first is second or first.service_date != second.service_date:
                    continue
                pair = pairs.get((first.procedure_code, second.procedure_code))
                if pair is None or not pair.applies_on(first.service_date) or pair.modifier_indicator == "9":
                    continue
                if pair.modifier_indicator == "0":
                    yield claim, (f"{second.procedure_code} is not paid with {first.procedure_code} on the same "
                                  "day (NCCI pair, no modifier allowed)"), second.number
                elif not codes.NCCI_BYPASS_MODIFIERS & set(second.modifiers):
                    yield claim, (f"{second.procedure_code} is bundled into {first.procedure_code} on the same "
                                  "day unless a distinct-service modifier applies"), second.number


def _earlier_payer_again(claims: list[ClaimView], context: ScrubContext) -> Iterator[Found]:
    for claim in claims:
        earlier = context.earlier_payers.get(claim.id)
        if not earlier or claim.payer is None:
            continue
        for before in earlier:
            if before.payer_code == claim.payer.payer_code:
                yield claim, (f"payer {before.payer_code} already adjudicated this claim as an earlier payer "
                              f"(claim {before.patient_control_number}); a payer appears once in the coordination "
                              "of benefits"), None
                break


def _subscriber(claims: list[ClaimView], _: ScrubContext) -> Iterator[Found]:
    for claim in claims:
        coverage = claim.coverage
        if coverage is not None and coverage.subscriber_relation != "18" and not coverage.subscriber_last_name:
            yield claim, "the patient is not the subscriber, but the subscriber's name is missing", None


RULES: list[Rule] = [
    Rule("DX-001", Severity.ERROR, "Billable ICD-10-CM diagnoses",
         "Replace each flagged code with a billable (highest-specificity) ICD-10-CM code.",
         "ICD-10-CM Official Guidelines I.B.2; 837P 2300 HI", _diagnoses),
    Rule("PX-001", Severity.ERROR, "CPT/HCPCS code format",
         "Correct the procedure code on the line.", "AMA CPT code structure; CMS HCPCS Level II", _procedure_format),
    Rule("MOD-001", Severity.ERROR, "Valid modifiers",
         "Remove or correct the modifier; at most four per line.", "837P 2400 SV101-3..6", _modifiers_valid),
    Rule("MOD-002", Severity.ERROR, "Modifier combinations",
         "Keep only the modifiers that describe the service.", "CMS Claims Processing Manual ch. 12",
         _modifier_combinations),
    Rule("MOD-003", Severity.WARNING, "Modifier 25 on E/M only",
         "Move modifier 25 to the E/M line.", "CPT modifier 25 definition", _modifier_25_on_em),
    Rule("PTR-001", Severity.ERROR, "Diagnosis pointers",
         "Point each line at 1 to 4 of the claim's diagnoses.", "837P 2400 SV107", _pointers),
    Rule("NPI-001", Severity.ERROR, "Valid NPIs",
         "Correct the provider's NPI in the practice's provider list.", "45 CFR 162.406 (NPI check digit)", _npis),
    Rule("COV-001", Severity.ERROR, "Coverage present",
         "Add the patient's insurance, or bill the patient.", "837P 2000B SBR", _coverage_present),
    Rule("COV-002", Severity.ERROR, "Coverage active on the date of service",
         "Verify eligibility and pick the coverage in force on that date.", "837P 2010BA", _coverage_active),
    Rule("TF-001", Severity.ERROR, "Timely filing window",
         "Submit with proof of timely filing, or write off per policy.", "payer timely filing limit",
         _timely_filing),
    Rule("TF-002", Severity.WARNING, "Timely filing deadline near",
         "Submit this claim first.", "payer timely filing limit", _timely_filing_near),
    Rule("DOS-001", Severity.ERROR, "Dates of service",
         "Correct the date of service.", "837P 2400 DTP*472", _dates),
    Rule("DUP-001", Severity.ERROR, "Duplicate service",
         "Void one of the claims, or add a repeat-service modifier (76, 77, 91) if it was repeated.",
         "payer duplicate-claim edits", _duplicates),
    Rule("AMT-001", Severity.ERROR, "Units and amounts",
         "Correct the units or the charge.", "837P 2400 SV102/SV104", _units_and_amounts),
    Rule("POS-001", Severity.ERROR, "Place of service",
         "Set the location's CMS place-of-service code.", "CMS Place of Service code set", _place_of_service),
    Rule("AUTH-001", Severity.ERROR, "Prior authorization",
         "Obtain the authorization number from the payer and enter it on the charge.",
         "payer prior-authorization list (data/prior_authorization.csv)", _prior_authorization),
    Rule("NCCI-001", Severity.ERROR, "NCCI procedure-to-procedure edits",
         "Remove the bundled code, or append a distinct-service modifier when the services were distinct.",
         "CMS NCCI PTP edits (data/ncci_ptp_sample.txt)", _procedure_pairs),
    Rule("COB-001", Severity.ERROR, "Each payer once in coordination of benefits",
         "Bill the coverage whose payer has not adjudicated the claim yet; when one payer holds two of the "
         "patient's plans, ask the payer how it wants the second plan billed.",
         "837P 2330B NM1*PR and 2430 SVD01: earlier payers are told apart by payer id", _earlier_payer_again),
    Rule("SUB-001", Severity.ERROR, "Subscriber named",
         "Enter the subscriber's name and birth date on the coverage.", "837P 2010BA NM1*IL", _subscriber),
]

RULES_BY_ID = {rule.id: rule for rule in RULES}
