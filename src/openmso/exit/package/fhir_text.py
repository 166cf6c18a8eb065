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


def _claim_item(line, location: str) -> str:
    return "".join((
        f'{{"sequence":{line.line_number},"careTeamSequence":[1],"productOrService":{procedure(line.procedure_code)}',
        f',"quantity":{{"value":{line.units}}},"net":{money(line.charge_amount)},"locationReference":{location}',
        f',"diagnosisSequence":{pointers(line.pointers)}' if line.pointers else "",
        f',"modifier":{modifiers(line.modifiers)}' if line.modifiers else "",
        f",{_served(line.service_date, line.service_date_end)}}}",
    ))


def _insurance(coverage_id, prior_authorization) -> str:
    covered = f'{{"reference":"Coverage/coverage-{coverage_id}"}}' if coverage_id else SELF_PAY
    authorization = f',"preAuthRef":[{string(prior_authorization)}]' if prior_authorization else ""
    return f'[{{"sequence":1,"focal":true,"coverage":{covered}{authorization}}}]'


def claim(row, lines: list) -> str:
    """A professional claim (837P): billing provider the practice, rendering provider on the care team."""
    location = shared_ref("Location", "location", row.location_id)
    identifiers = (f'{{"system":"{OPENMSO}/sid/practice-{row.practice_id}/patient-control-number",'
                   f'"value":{string(row.patient_control_number)}}}')
    if row.payer_claim_number:
        identifiers += f",{PAYER_CLAIM_NUMBER}{string(row.payer_claim_number)}}}"
    return "".join((
        f'{{"resourceType":"Claim","id":"claim-{row.id}","identifier":[{identifiers}]',
        f',"status":"{CLAIM_STATUS.get(row.status, "active")}","type":{PROFESSIONAL},"use":"claim"',
        f',"patient":{{"reference":"Patient/patient-{row.patient_id}"}}',
        f',"billablePeriod":{_period(row.service_date_from, row.service_date_to)},"created":{string(row.created_at)}',
        f',"provider":{shared_ref("Organization", "practice", row.practice_id)},"priority":{NORMAL_PRIORITY}',
        f',"careTeam":{care_team(row.rendering_provider_id, row.referring_provider_id)}',
        f',"insurance":{_insurance(row.coverage_id, row.prior_authorization)},"facility":{location}',
        f',"total":{money(row.total_charge)}',
        f',"insurer":{shared_ref("Organization", "payer", row.payer_id)}' if row.payer_id else "",
        f',"related":[{{"claim":{{"reference":"Claim/claim-{row.original_claim_id}"}},"relationship":{PRIOR}}}]'
        if row.original_claim_id else "",
        f',"diagnosis":{diagnoses(row.diagnoses)}' if row.diagnoses else "",
        f',"item":[{",".join([_claim_item(line, location) for line in lines])}]' if lines else "",
        "}",
    ))


def _line_adjudication(line) -> str:
    more = adjustments(line.adjustments)
    return (f"[{SUBMITTED}{money(line.charge)}}},{ELIGIBLE}{money(line.allowed)}}},{BENEFIT}{money(line.paid)}}}"
            f"{',' if more else ''}{more}]")


def _response_header(row, kind: str) -> str:
    insurer = shared_ref("Organization", "payer", row.payer_id) if row.payer_id else '{"display":"payer"}'
    disposition = row.outcome.replace("_", " ")
    return "".join((
        f'{{"resourceType":"{kind}","id":"posting-{row.id}"',
        f',"identifier":[{PAYER_CLAIM_NUMBER}{string(row.payer_claim_number)}}}]' if row.payer_claim_number else "",
        f',"status":"active","type":{PROFESSIONAL},"use":"claim"',
        f',"patient":{{"reference":"Patient/patient-{row.patient_id}"}}',
        f',"created":{string(row.posted_at)}' if row.posted_at else "",
        f',"insurer":{insurer},"outcome":"{OUTCOMES.get(row.outcome, "complete")}"',
        f',"disposition":{string(disposition)}' if disposition else "",
    ))


def _response_footer(row) -> str:
    """Claim-level adjudication, totals and payment, with the closing brace."""
    adjudication = adjustments(row.adjustments)
    payment_date = f',"date":{string(row.payment_date)}' if row.payment_date else ""
    return "".join((
        f',"adjudication":[{adjudication}]' if adjudication else "",
        f',"total":[{SUBMITTED}{money(row.charge)}}},{BENEFIT}{money(row.paid)}}}]',
        f',"payment":{{"type":{COMPLETE_PAYMENT},"amount":{money(row.paid)}{payment_date}}}}}',
    ))


def claim_response(row, lines: list) -> str:
    """The payer's adjudication of one claim as posted from an 835 CLP loop (005010X221A1 2100)."""
    items = ",".join([f'{{"itemSequence":{line.line_number},"adjudication":{_line_adjudication(line)}}}'
                      for line in lines])
    return "".join((
        _response_header(row, "ClaimResponse"),
        f',"request":{{"reference":"Claim/claim-{row.claim_id}"}}',
        f',"item":[{items}]' if items else "",
        _response_footer(row),
    ))


def _explanation_item(line) -> str:
    modifier = modifiers(line.modifiers)
    return "".join((
        f'{{"sequence":{line.line_number},"productOrService":{procedure(line.procedure_code)}',
        f',"modifier":{modifier}' if modifier != "[]" else "",
        f',"quantity":{{"value":{line.units}}},"net":{money(line.charge)},"adjudication":{_line_adjudication(line)}',
        f',"servicedDate":{string(line.service_date)}' if line.service_date else "",
        "}",
    ))


def explanation_of_benefit(row, lines: list) -> str:
    """The claim and its adjudication together, as a payer would publish it (one per 835 CLP posted)."""
    covered = f'{{"reference":"Coverage/coverage-{row.coverage_id}"}}' if row.coverage_id else SELF_PAY
    items = ",".join([_explanation_item(line) for line in lines])
    return "".join((
        _response_header(row, "ExplanationOfBenefit"),
        f',"billablePeriod":{_period(row.service_date_from, row.service_date_to)}',
        f',"provider":{shared_ref("Organization", "practice", row.practice_id)}',
        f',"claim":{{"reference":"Claim/claim-{row.claim_id}"}}',
        f',"claimResponse":{{"reference":"ClaimResponse/posting-{row.id}"}}',
        f',"careTeam":{care_team(row.rendering_provider_id, None)}',
        f',"insurance":[{{"focal":true,"coverage":{covered}}}]',
        f',"item":[{items}]' if items else "",
        _response_footer(row),
    ))
