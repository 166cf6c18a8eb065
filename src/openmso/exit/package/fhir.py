"""FHIR R4 resources from the platform's rows: plain dictionaries, built without a FHIR library.

Mapping by hand keeps the export fast (a million claims are mapped in seconds); the tests validate
every resource produced against the R4 models of `fhir.resources`. Identifiers use the systems of
US Core and the X12/CMS code sets: NPI `http://hl7.org/fhir/sid/us-npi`, ICD-10-CM
`http://hl7.org/fhir/sid/icd-10-cm`, CPT `http://www.ama-assn.org/go/cpt`, HCPCS Level II,
CARC/CAGC from x12.org. Resource ids are "<kind>-<database id>", stable across exports.

Dates and instants arrive as ISO 8601 text (rendered by the database, `sqltext`) and amounts as
integer cents, which leave as JSON numbers: cents / 100 is the double nearest the
exact two-place amount, and JSON writes its shortest round-tripping form, which is that amount.
"""

from __future__ import annotations

from functools import lru_cache

NPI = "http://hl7.org/fhir/sid/us-npi"
TIN = "urn:oid:2.16.840.1.113883.4.4"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
CPT = "http://www.ama-assn.org/go/cpt"
HCPCS = "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
TAXONOMY = "http://nucc.org/provider-taxonomy"
POS = "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set"
CARC = "https://x12.org/codes/claim-adjustment-reason-codes"
CAGC = "https://x12.org/codes/claim-adjustment-group-codes"
ADJUDICATION = "http://terminology.hl7.org/CodeSystem/adjudication"
OPENMSO = "https://openmso.org/fhir"
PROFESSIONAL = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": "professional"}]}
NORMAL_PRIORITY = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/processpriority", "code": "normal"}]}
GENDERS = {"F": "female", "M": "male", "U": "unknown"}
RELATIONSHIPS = {"18": "self", "01": "spouse", "19": "child", "G8": "other"}
CLAIM_STATUS = {"draft": "draft", "voided": "cancelled", "superseded": "cancelled"}
OUTCOMES = {"partially_paid": "partial"}
PRIOR = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/ex-relatedclaimrelationship", "code": "prior"}]}


def ref(kind: str, prefix: str, row_id) -> dict:
    return {"reference": f"{kind}/{prefix}-{row_id}"}


@lru_cache(maxsize=4096)
def shared_ref(kind: str, prefix: str, row_id) -> dict:
    """A reference to one of the few rows many resources point at (practice, payer, location, provider).

    Shared between resources, so never modified after it is made.
    """
    return ref(kind, prefix, row_id)


def practice_ref(practice_id: int) -> dict:
    return shared_ref("Organization", "practice", practice_id)


def money(cents: int | None) -> dict:
    return {"value": (cents or 0) / 100, "currency": "USD"}


@lru_cache(maxsize=65536)
def coding(system: str, code: str, display: str | None = None) -> dict:
    """A CodeableConcept of one coding; cached, so shared between resources and never modified."""
    item = {"system": system, "code": code}
    if display:
        item["display"] = display
    return {"coding": [item]}


@lru_cache(maxsize=65536)
def diagnosis(code: str) -> dict:
    return coding(ICD10CM, icd10(code))


def icd10(code: str) -> str:
    """X12 HI carries ICD-10-CM without the dot; FHIR uses the code as published (E11.9)."""
    return f"{code[:3]}.{code[3:]}" if len(code) > 3 else code


@lru_cache(maxsize=65536)
def procedure(code: str) -> dict:
    system = CPT if code[:1].isdigit() else HCPCS
    return coding(system, code)


@lru_cache(maxsize=4096)
def _modifiers(text: str) -> list[dict]:
    return [coding(CPT, m) for m in text.split(":") if m]


@lru_cache(maxsize=4096)
def _pointers(text: str) -> list[int]:
    return [int(p) for p in text.split(":") if p.isdigit()]


def _address(line1, line2, city, state, postal_code) -> list[dict]:
    if not (line1 or city or state or postal_code):
        return []
    address = {"use": "work"}
    lines = [line for line in (line1, line2) if line]
    if lines:
        address["line"] = lines
    for key, value in (("city", city), ("state", state), ("postalCode", postal_code)):
        if value:
            address[key] = value
    address["country"] = "US"
    return [address]


def _prune(resource: dict) -> dict:
    """FHIR forbids empty values: drop keys whose value is None, "" or an empty list."""
    return {k: v for k, v in resource.items() if v is not None and v != "" and v != []}


def practice_organization(row) -> dict:
    identifiers = [{"system": NPI, "value": row.group_npi}, {"system": TIN, "value": row.tin}]
    return _prune({
        "resourceType": "Organization", "id": f"practice-{row.id}", "identifier": identifiers,
        "active": row.affiliation_status != "terminated",
        "type": [coding("http://terminology.hl7.org/CodeSystem/organization-type", "prov", "Healthcare Provider")],
        "name": row.legal_name, "alias": [row.dba_name] if row.dba_name else [],
    })


def payer_organization(row) -> dict:
    return _prune({
        "resourceType": "Organization", "id": f"payer-{row.id}",
        "identifier": [{"system": f"{OPENMSO}/sid/payer-id", "value": row.payer_code}],
        "active": True,
        "type": [coding("http://terminology.hl7.org/CodeSystem/organization-type", "pay", "Payer")],
        "name": row.name,
    })


def location(row) -> dict:
    return _prune({
        "resourceType": "Location", "id": f"location-{row.id}", "status": "active", "name": row.name,
        "type": [coding(POS, row.place_of_service)],
        "telecom": [{"system": "phone", "value": row.phone}] if row.phone else [],
        "address": (_address(row.address_line1, row.address_line2, row.city, row.state, row.postal_code)
                    or [None])[0],
        "managingOrganization": practice_ref(row.practice_id),
    })


def practitioner(row, licenses: list) -> dict:
    qualifications = [{
        "identifier": [{"system": f"{OPENMSO}/sid/state-license/{lic.state}", "value": lic.number}],
        "code": {"text": f"{lic.state} medical license"},
        "period": {"end": lic.expires_on},
    } for lic in licenses]
    return _prune({
        "resourceType": "Practitioner", "id": f"provider-{row.id}",
        "identifier": [{"system": NPI, "value": row.npi}], "active": bool(row.active),
        "name": [{"family": row.last_name, "given": [row.first_name], "suffix": [row.credential]}],
        "qualification": qualifications,
    })


def practitioner_role(row) -> dict:
    return _prune({
        "resourceType": "PractitionerRole", "id": f"provider-{row.id}", "active": bool(row.active),
        "practitioner": ref("Practitioner", "provider", row.id), "organization": practice_ref(row.practice_id),
        "code": [coding(TAXONOMY, row.taxonomy_code)], "specialty": [{"text": row.specialty}],
    })


@lru_cache(maxsize=16)
def _consents(hipaa_notice: bool, text_messages: bool, email: bool, data_sharing: bool) -> list[dict]:
    return [{"url": f"{OPENMSO}/StructureDefinition/consent-{name}", "valueBoolean": value}
            for name, value in (("hipaa-notice", hipaa_notice), ("text-messages", text_messages), ("email", email),
                                ("data-sharing", data_sharing))]


def patient(row) -> dict:
    telecom = []
    if row.phone:
        telecom.append({"system": "phone", "value": row.phone})
    if row.email:
        telecom.append({"system": "email", "value": row.email})
    consents = _consents(bool(row.consent_hipaa_notice), bool(row.consent_text_messages), bool(row.consent_email),
                         bool(row.consent_data_sharing))
    return _prune({
        "resourceType": "Patient", "id": f"patient-{row.id}", "extension": consents,
        "identifier": [{"type": coding("http://terminology.hl7.org/CodeSystem/v2-0203", "MR"),
                        "system": f"{OPENMSO}/sid/practice-{row.practice_id}/mrn", "value": row.mrn}],
        "active": True, "name": [{"family": row.last_name, "given": [row.first_name]}], "telecom": telecom,
        "gender": GENDERS.get(row.sex, "unknown"), "birthDate": row.birth_date,
        "address": _address(row.address_line1, None, row.city, row.state, row.postal_code),
        "managingOrganization": practice_ref(row.practice_id),
    })


def coverage(row) -> dict:
    period = {"start": row.effective_from}
    if row.effective_to:
        period["end"] = row.effective_to
    return _prune({
        "resourceType": "Coverage", "id": f"coverage-{row.id}", "status": "active",
        "subscriberId": row.member_id, "beneficiary": ref("Patient", "patient", row.patient_id),
        "relationship": coding("http://terminology.hl7.org/CodeSystem/subscriber-relationship",
                               RELATIONSHIPS.get(row.subscriber_relation, "other")),
        "period": period, "payor": [ref("Organization", "payer", row.payer_id)], "order": row.priority,
        "class": [{"type": coding("http://terminology.hl7.org/CodeSystem/coverage-class", "group"),
                   "value": row.group_number}] if row.group_number else [],
    })


def account(row, coverages: list, balance_cents: int | None) -> dict:
    extension = []
    if balance_cents is not None:
        extension.append({"url": f"{OPENMSO}/StructureDefinition/patient-balance", "valueMoney": money(balance_cents)})
    return _prune({
        "resourceType": "Account", "id": f"account-{row.id}", "extension": extension, "status": "active",
        "type": coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "PBILLACCT", "patient billing account"),
        "name": f"Patient account {row.mrn}", "subject": [ref("Patient", "patient", row.id)],
        "coverage": [{"coverage": ref("Coverage", "coverage", c.id), "priority": c.priority} for c in coverages],
        "owner": practice_ref(row.practice_id),
    })


def _period(start, end) -> dict:
    return {"start": start, "end": end or start}


def _insurance(coverage_id, prior_authorization=None) -> list[dict]:
    entry = {"sequence": 1, "focal": True,
             "coverage": ref("Coverage", "coverage", coverage_id) if coverage_id else {"display": "self-pay"}}
    if prior_authorization:
        entry["preAuthRef"] = [prior_authorization]
    return [entry]


@lru_cache(maxsize=4096)
def _care_team(rendering_id, referring_id) -> list[dict]:
    role = "http://terminology.hl7.org/CodeSystem/claimcareteamrole"
    team = [{"sequence": 1, "provider": shared_ref("Practitioner", "provider", rendering_id),
             "role": coding(role, "primary")}]
    if referring_id:
        team.append({"sequence": 2, "provider": shared_ref("Practitioner", "provider", referring_id),
                     "role": {"coding": [{"system": role, "code": "other"}], "text": "referring provider"}})
    return team


def _served(item: dict, start, end) -> dict:
    if end and end != start:
        item["servicedPeriod"] = _period(start, end)
    else:
        item["servicedDate"] = start
    return item


def _claim_item(line, location: dict) -> dict:
    item = {"sequence": line.line_number, "careTeamSequence": [1], "productOrService": procedure(line.procedure_code),
            "quantity": {"value": line.units}, "net": money(line.charge_amount), "locationReference": location}
    if line.pointers:
        item["diagnosisSequence"] = _pointers(line.pointers)
    if line.modifiers:
        item["modifier"] = _modifiers(line.modifiers)
    return _served(item, line.service_date, line.service_date_end)


def claim(row, lines: list) -> dict:
    """A professional claim (837P): billing provider the practice, rendering provider on the care team."""
    identifiers = [{"system": f"{OPENMSO}/sid/practice-{row.practice_id}/patient-control-number",
                    "value": row.patient_control_number}]
    if row.payer_claim_number:
        identifiers.append({"system": f"{OPENMSO}/sid/payer-claim-number", "value": row.payer_claim_number})
    location = shared_ref("Location", "location", row.location_id)
    resource = {
        "resourceType": "Claim", "id": f"claim-{row.id}", "identifier": identifiers,
        "status": CLAIM_STATUS.get(row.status, "active"), "type": PROFESSIONAL, "use": "claim",
        "patient": ref("Patient", "patient", row.patient_id),
        "billablePeriod": _period(row.service_date_from, row.service_date_to),
        "created": row.created_at, "provider": practice_ref(row.practice_id),
        "priority": NORMAL_PRIORITY, "careTeam": _care_team(row.rendering_provider_id, row.referring_provider_id),
        "insurance": _insurance(row.coverage_id, row.prior_authorization), "facility": location,
        "total": money(row.total_charge),
    }
    if row.payer_id:
        resource["insurer"] = shared_ref("Organization", "payer", row.payer_id)
    if row.original_claim_id:
        resource["related"] = [{"claim": ref("Claim", "claim", row.original_claim_id), "relationship": PRIOR}]
    if row.diagnoses:
        resource["diagnosis"] = [{"sequence": n, "diagnosisCodeableConcept": diagnosis(code)}
                                 for n, code in enumerate(row.diagnoses.split(":"), start=1) if code]
    if lines:
        resource["item"] = [_claim_item(line, location) for line in lines]
    return resource


def _amount(category: str, cents: int | None) -> dict:
    return {"category": coding(ADJUDICATION, category), "amount": money(cents)}


@lru_cache(maxsize=65536)
def _adjustments(text: str) -> list[dict]:
    """The posted CAS adjustments ("CO:45:55.10 PR:2:20.00") as adjudications with group and reason
    (cached: the same few adjustment texts recur across a practice's postings)."""
    found = []
    for part in (text or "").split():
        group, _, rest = part.partition(":")
        reason, _, amount = rest.partition(":")
        if not (group and reason and amount):
            continue
        found.append({"category": coding(CAGC, group), "reason": coding(CARC, reason),
                      "amount": {"value": float(amount), "currency": "USD"}})
    return found


def _line_adjudication(line) -> list[dict]:
    adjudication = [_amount("submitted", line.charge), _amount("eligible", line.allowed),
                    _amount("benefit", line.paid)]
    return adjudication + _adjustments(line.adjustments)


def _payment(row) -> dict:
    payment = {"type": coding("http://terminology.hl7.org/CodeSystem/ex-paymenttype", "complete"),
               "amount": money(row.paid)}
    if row.payment_date:
        payment["date"] = row.payment_date
    return payment


def _response_header(row, kind: str, prefix: str) -> dict:
    return {
        "resourceType": kind, "id": f"{prefix}-{row.id}",
        "identifier": [{"system": f"{OPENMSO}/sid/payer-claim-number", "value": row.payer_claim_number}]
        if row.payer_claim_number else [],
        "status": "active", "type": PROFESSIONAL, "use": "claim",
        "patient": ref("Patient", "patient", row.patient_id), "created": row.posted_at,
        "insurer": shared_ref("Organization", "payer", row.payer_id) if row.payer_id else {"display": "payer"},
        "outcome": OUTCOMES.get(row.outcome, "complete"), "disposition": row.outcome.replace("_", " "),
    }


def claim_response(row, lines: list) -> dict:
    """The payer's adjudication of one claim as posted from an 835 CLP loop (005010X221A1 2100)."""
    resource = _response_header(row, "ClaimResponse", "posting")
    resource.update({
        "request": ref("Claim", "claim", row.claim_id),
        "item": [{"itemSequence": line.line_number, "adjudication": _line_adjudication(line)} for line in lines],
        "adjudication": _adjustments(row.adjustments),
        "total": [_amount("submitted", row.charge), _amount("benefit", row.paid)],
        "payment": _payment(row),
    })
    return _prune(resource)


def explanation_of_benefit(row, lines: list) -> dict:
    """The claim and its adjudication together, as a payer would publish it (one per 835 CLP posted)."""
    resource = _response_header(row, "ExplanationOfBenefit", "posting")
    items = []
    for line in lines:
        item = {"sequence": line.line_number, "productOrService": procedure(line.procedure_code),
                "modifier": _modifiers(line.modifiers), "quantity": {"value": line.units},
                "net": money(line.charge), "adjudication": _line_adjudication(line)}
        items.append(_prune(_served(item, line.service_date, None)))
    resource.update({
        "billablePeriod": _period(row.service_date_from, row.service_date_to),
        "provider": practice_ref(row.practice_id), "claim": ref("Claim", "claim", row.claim_id),
        "claimResponse": ref("ClaimResponse", "posting", row.id),
        "careTeam": _care_team(row.rendering_provider_id, None),
        "insurance": [{"focal": True, "coverage": ref("Coverage", "coverage", row.coverage_id)
                       if row.coverage_id else {"display": "self-pay"}}],
        "item": items,
        "adjudication": _adjustments(row.adjustments),
        "total": [_amount("submitted", row.charge), _amount("benefit", row.paid)],
        "payment": _payment(row),
    })
    return _prune(resource)
