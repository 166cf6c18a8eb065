"""The high-volume FHIR R4 resources (Patient, Coverage, Account, Claim, ClaimResponse,
ExplanationOfBenefit) written straight as JSON text, one NDJSON line each.

A practice has millions of these. Building each as nested dictionaries and serializing them cost
more than everything else in the export together, and most of every line is the same: code
systems, codings, references to the practice, its payers and locations. So the constant parts are
rendered once (by orjson, from the same dictionaries as `fhir`) and cached, and a line is a few
string joins around the row's values. Text values are JSON-escaped (`json`'s C encoder, non-ASCII
kept as UTF-8, as orjson writes it); ids, counts and amounts are numbers. The output is the same,
byte for byte, as serializing the dictionaries of `fhir`; the tests validate every line with
`fhir.resources`.
"""

from __future__ import annotations

from functools import lru_cache
from json.encoder import encode_basestring

import orjson

from openmso.exit.package import fhir
from openmso.exit.package.fhir import ADJUDICATION, CLAIM_STATUS, GENDERS, OPENMSO, OUTCOMES, RELATIONSHIPS


def render(value) -> str:
    """Any JSON value as text (for the cached, constant parts)."""
    return orjson.dumps(value).decode()


def string(value) -> str:
    return "null" if value is None else encode_basestring(value)


@lru_cache(maxsize=65536)
def money(cents: int | None) -> str:
    """A Money value from integer cents, as `fhir.money` serializes (cents / 100, shortest form)."""
    return f'{{"value":{(cents or 0) / 100!r},"currency":"USD"}}'


@lru_cache(maxsize=4096)
def shared_ref(kind: str, prefix: str, row_id) -> str:
    return render(fhir.shared_ref(kind, prefix, row_id))


@lru_cache(maxsize=65536)
def coding(system: str, code: str, display: str | None = None) -> str:
    return render(fhir.coding(system, code, display))


@lru_cache(maxsize=65536)
def procedure(code: str) -> str:
    return render(fhir.procedure(code))


@lru_cache(maxsize=4096)
def modifiers(text: str) -> str:
    return render(fhir._modifiers(text))


@lru_cache(maxsize=4096)
def pointers(text: str) -> str:
    return render(fhir._pointers(text))


@lru_cache(maxsize=65536)
def adjustments(text: str) -> str:
    """The CAS adjustments as adjudication entries, without the brackets ("" when none)."""
    return render(fhir._adjustments(text))[1:-1]


@lru_cache(maxsize=4096)
def care_team(rendering_id, referring_id) -> str:
    return render(fhir._care_team(rendering_id, referring_id))


@lru_cache(maxsize=65536)
def diagnoses(text: str) -> str:
    return render([{"sequence": n, "diagnosisCodeableConcept": fhir.diagnosis(code)}
                   for n, code in enumerate(text.split(":"), start=1) if code])


@lru_cache(maxsize=16)
def consents(hipaa_notice: bool, text_messages: bool, email: bool, data_sharing: bool) -> str:
    return render(fhir._consents(hipaa_notice, text_messages, email, data_sharing))


PROFESSIONAL = render(fhir.PROFESSIONAL)
NORMAL_PRIORITY = render(fhir.NORMAL_PRIORITY)
PRIOR = render(fhir.PRIOR)
MRN = coding("http://terminology.hl7.org/CodeSystem/v2-0203", "MR")
GROUP_CLASS = coding("http://terminology.hl7.org/CodeSystem/coverage-class", "group")
BILLING_ACCOUNT = coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "PBILLACCT", "patient billing account")
COMPLETE_PAYMENT = coding("http://terminology.hl7.org/CodeSystem/ex-paymenttype", "complete")
SUBMITTED, ELIGIBLE, BENEFIT = (f'{{"category":{coding(ADJUDICATION, category)},"amount":'
                                for category in ("submitted", "eligible", "benefit"))
PAYER_CLAIM_NUMBER = f'{{"system":"{OPENMSO}/sid/payer-claim-number","value":'
SELF_PAY = '{"display":"self-pay"}'


def _relationship(code: str | None) -> str:
    return coding("http://terminology.hl7.org/CodeSystem/subscriber-relationship", RELATIONSHIPS.get(code, "other"))


def _period(start, end) -> str:
    return f'{{"start":{string(start)},"end":{string(end or start)}}}'


def _address(line1, city, state, postal_code) -> str:
    """`fhir._address` (a patient's: one line) as a member, or "" when there is none."""
    if not (line1 or city or state or postal_code):
        return ""
    members = ['"use":"work"']
    if line1:
        members.append(f'"line":[{string(line1)}]')
    for key, value in (("city", city), ("state", state), ("postalCode", postal_code)):
        if value:
            members.append(f'"{key}":{string(value)}')
    return f',"address":[{{{",".join(members)},"country":"US"}}]'


def patient(row) -> str:
    telecom = []
    if row.phone:
        telecom.append(f'{{"system":"phone","value":{string(row.phone)}}}')
    if row.email:
        telecom.append(f'{{"system":"email","value":{string(row.email)}}}')
    extension = consents(bool(row.consent_hipaa_notice), bool(row.consent_text_messages), bool(row.consent_email),
                         bool(row.consent_data_sharing))
    return "".join((
        f'{{"resourceType":"Patient","id":"patient-{row.id}","extension":{extension},',
        f'"identifier":[{{"type":{MRN},"system":"{OPENMSO}/sid/practice-{row.practice_id}/mrn",',
        f'"value":{string(row.mrn)}}}],"active":true,',
        f'"name":[{{"family":{string(row.last_name)},"given":[{string(row.first_name)}]}}]',
        f',"telecom":[{",".join(telecom)}]' if telecom else "",
        f',"gender":"{GENDERS.get(row.sex, "unknown")}"',
        f',"birthDate":{string(row.birth_date)}' if row.birth_date else "",
        _address(row.address_line1, row.city, row.state, row.postal_code),
        f',"managingOrganization":{shared_ref("Organization", "practice", row.practice_id)}}}',
    ))


def coverage(row) -> str:
    period = f'{{"start":{string(row.effective_from)},"end":{string(row.effective_to)}}}' if row.effective_to \
        else f'{{"start":{string(row.effective_from)}}}'
    return "".join((
        f'{{"resourceType":"Coverage","id":"coverage-{row.id}","status":"active"',
        f',"subscriberId":{string(row.member_id)}' if row.member_id else "",
        f',"beneficiary":{{"reference":"Patient/patient-{row.patient_id}"}}',
        f',"relationship":{_relationship(row.subscriber_relation)},"period":{period}',
        f',"payor":[{{"reference":"Organization/payer-{row.payer_id}"}}]',
        f',"order":{row.priority}' if row.priority is not None else "",
        f',"class":[{{"type":{GROUP_CLASS},"value":{string(row.group_number)}}}]' if row.group_number else "",
        "}",
    ))


def account(row, coverages: list, balance_cents: int | None) -> str:
    extension = "" if balance_cents is None else \
        f'"extension":[{{"url":"{OPENMSO}/StructureDefinition/patient-balance","valueMoney":{money(balance_cents)}}}],'
    covered = ",".join(f'{{"coverage":{{"reference":"Coverage/coverage-{c.id}"}},"priority":'
                       f'{"null" if c.priority is None else c.priority}}}' for c in coverages)
    return "".join((
        f'{{"resourceType":"Account","id":"account-{row.id}",{extension}"status":"active","type":{BILLING_ACCOUNT},',
        f'"name":{string(f"Patient account {row.mrn}")},"subject":[{{"reference":"Patient/patient-{row.id}"}}]',
        f',"coverage":[{covered}]' if covered else "",
        f',"owner":{shared_ref("Organization", "practice", row.practice_id)}}}',
    ))


def _served(start, end) -> str:
    if end and end != start:
        return f'"servicedPeriod":{_period(start, end)}'
    return f'"servicedDate":{string(start)}'


# The columns each high-volume mapping reads, in the order of its rows: rows are the driver's plain
# tuples, unpacked at once (cheaper than named tuples and attribute access, a million times over).
CLAIM_COLUMNS = ("id", "practice_id", "patient_id", "coverage_id", "payer_id", "patient_control_number", "status",
                 "original_claim_id", "payer_claim_number", "rendering_provider_id", "referring_provider_id",
                 "location_id", "prior_authorization", "service_date_from", "service_date_to", "diagnoses",
                 "created_at", "total_charge")
CLAIM_LINE_COLUMNS = ("claim_id", "line_number", "procedure_code", "modifiers", "units", "charge_amount",
                      "service_date", "service_date_end", "pointers")
POSTING_COLUMNS = ("id", "claim_id", "practice_id", "payer_claim_number", "charge", "paid", "adjustments", "outcome",
                   "payment_date", "posted_at")
POSTING_CLAIM_COLUMNS = ("patient_id", "payer_id", "coverage_id", "rendering_provider_id", "service_date_from",
                         "service_date_to")
LINE_POSTING_COLUMNS = ("claim_posting_id", "procedure_code", "modifiers", "units", "charge", "allowed", "paid",
                        "adjustments")
LINE_POSTING_CLAIM_LINE_COLUMNS = ("line_number", "service_date")


def _claim_item(line: tuple, location: str) -> str:
    _, number, code, modifier_text, units, charge, start, end, pointer_text = line
    return "".join((
        f'{{"sequence":{number},"careTeamSequence":[1],"productOrService":{procedure(code)}',
        f',"quantity":{{"value":{units}}},"net":{money(charge)},"locationReference":{location}',
        f',"diagnosisSequence":{pointers(pointer_text)}' if pointer_text else "",
        f',"modifier":{modifiers(modifier_text)}' if modifier_text else "",
        f",{_served(start, end)}}}",
    ))


def _insurance(coverage_id, prior_authorization) -> str:
    covered = f'{{"reference":"Coverage/coverage-{coverage_id}"}}' if coverage_id else SELF_PAY
    authorization = f',"preAuthRef":[{string(prior_authorization)}]' if prior_authorization else ""
    return f'[{{"sequence":1,"focal":true,"coverage":{covered}{authorization}}}]'


def claim(row: tuple, lines: list[tuple]) -> str:
    """A professional claim (837P): billing provider the practice, rendering provider on the care team.
    `row` has the `CLAIM_COLUMNS`, each of `lines` the `CLAIM_LINE_COLUMNS`."""
    (claim_id, practice_id, patient_id, coverage_id, payer_id, control_number, status, original_claim_id,
     payer_claim_number, rendering_id, referring_id, location_id, prior_authorization, service_from, service_to,
     diagnosis_codes, created_at, total_charge) = row
    location = shared_ref("Location", "location", location_id)
    identifiers = (f'{{"system":"{OPENMSO}/sid/practice-{practice_id}/patient-control-number",'
                   f'"value":{string(control_number)}}}')
    if payer_claim_number:
        identifiers += f",{PAYER_CLAIM_NUMBER}{string(payer_claim_number)}}}"
    return "".join((
        f'{{"resourceType":"Claim","id":"claim-{claim_id}","identifier":[{identifiers}]',
        f',"status":"{CLAIM_STATUS.get(status, "active")}","type":{PROFESSIONAL},"use":"claim"',
        f',"patient":{{"reference":"Patient/patient-{patient_id}"}}',
        f',"billablePeriod":{_period(service_from, service_to)},"created":{string(created_at)}',
        f',"provider":{shared_ref("Organization", "practice", practice_id)},"priority":{NORMAL_PRIORITY}',
        f',"careTeam":{care_team(rendering_id, referring_id)}',
        f',"insurance":{_insurance(coverage_id, prior_authorization)},"facility":{location}',
        f',"total":{money(total_charge)}',
        f',"insurer":{shared_ref("Organization", "payer", payer_id)}' if payer_id else "",
        f',"related":[{{"claim":{{"reference":"Claim/claim-{original_claim_id}"}},"relationship":{PRIOR}}}]'
        if original_claim_id else "",
        f',"diagnosis":{diagnoses(diagnosis_codes)}' if diagnosis_codes else "",
        f',"item":[{",".join([_claim_item(line, location) for line in lines])}]' if lines else "",
        "}",
    ))


def _line_adjudication(charge, allowed, paid, adjustment_text) -> str:
    more = adjustments(adjustment_text)
    return (f"[{SUBMITTED}{money(charge)}}},{ELIGIBLE}{money(allowed)}}},{BENEFIT}{money(paid)}}}"
            f"{',' if more else ''}{more}]")


def postings(row: tuple, lines: list[tuple]) -> tuple[str, str]:
    """One posted 835 CLP loop (005010X221A1 2100) as the payer's adjudication (ClaimResponse) and as the
    claim and its adjudication together, as a payer would publish it (ExplanationOfBenefit). `row` has the
    `POSTING_COLUMNS` then the `POSTING_CLAIM_COLUMNS`, each of `lines` the `LINE_POSTING_COLUMNS` then
    the `LINE_POSTING_CLAIM_LINE_COLUMNS`. What both resources say is rendered once."""
    (posting_id, claim_id, practice_id, payer_claim_number, charge, paid, adjustment_text, outcome, payment_date,
     posted_at, patient_id, payer_id, coverage_id, rendering_id, service_from, service_to) = row
    insurer = shared_ref("Organization", "payer", payer_id) if payer_id else '{"display":"payer"}'
    disposition = outcome.replace("_", " ")
    header = "".join((
        f',"id":"posting-{posting_id}"',
        f',"identifier":[{PAYER_CLAIM_NUMBER}{string(payer_claim_number)}}}]' if payer_claim_number else "",
        f',"status":"active","type":{PROFESSIONAL},"use":"claim"',
        f',"patient":{{"reference":"Patient/patient-{patient_id}"}}',
        f',"created":{string(posted_at)}' if posted_at else "",
        f',"insurer":{insurer},"outcome":"{OUTCOMES.get(outcome, "complete")}"',
        f',"disposition":{string(disposition)}' if disposition else "",
    ))
    claim_adjudication = adjustments(adjustment_text)
    date = f',"date":{string(payment_date)}' if payment_date else ""
    footer = "".join((
        f',"adjudication":[{claim_adjudication}]' if claim_adjudication else "",
        f',"total":[{SUBMITTED}{money(charge)}}},{BENEFIT}{money(paid)}}}]',
        f',"payment":{{"type":{COMPLETE_PAYMENT},"amount":{money(paid)}{date}}}}}',
    ))
    response_items, explanation_items = [], []
    for (_, code, modifier_text, units, line_charge, allowed, line_paid, line_adjustments, number,
         served) in lines:
        adjudication = _line_adjudication(line_charge, allowed, line_paid, line_adjustments)
        response_items.append(f'{{"itemSequence":{number},"adjudication":{adjudication}}}')
        modifier = modifiers(modifier_text)
        explanation_items.append("".join((
            f'{{"sequence":{number},"productOrService":{procedure(code)}',
            f',"modifier":{modifier}' if modifier != "[]" else "",
            f',"quantity":{{"value":{units}}},"net":{money(line_charge)},"adjudication":{adjudication}',
            f',"servicedDate":{string(served)}' if served else "",
            "}",
        )))
    covered = f'{{"reference":"Coverage/coverage-{coverage_id}"}}' if coverage_id else SELF_PAY
    response = "".join((
        '{"resourceType":"ClaimResponse"', header,
        f',"request":{{"reference":"Claim/claim-{claim_id}"}}',
        f',"item":[{",".join(response_items)}]' if response_items else "",
        footer,
    ))
    explanation = "".join((
        '{"resourceType":"ExplanationOfBenefit"', header,
        f',"billablePeriod":{_period(service_from, service_to)}',
        f',"provider":{shared_ref("Organization", "practice", practice_id)}',
        f',"claim":{{"reference":"Claim/claim-{claim_id}"}}',
        f',"claimResponse":{{"reference":"ClaimResponse/posting-{posting_id}"}}',
        f',"careTeam":{care_team(rendering_id, None)}',
        f',"insurance":[{{"focal":true,"coverage":{covered}}}]',
        f',"item":[{",".join(explanation_items)}]' if explanation_items else "",
        footer,
    ))
    return response, explanation
