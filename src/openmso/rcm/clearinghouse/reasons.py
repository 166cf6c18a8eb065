"""Acknowledgement codes in words, for the rejection worklist (rules as data).

277CA STC01: claim status category codes (code source 507) and claim status codes (code source
508), entity identifier codes (X12 element 98); 999: IK5/AK9 codes, IK3 segment error codes and
IK4 element error codes (005010X231A1). Descriptions paraphrase the published code lists.
"""

from __future__ import annotations

STATUS_CATEGORIES = {
    "A0": "Forwarded to another entity",
    "A1": "Received by the clearinghouse or payer",
    "A2": "Accepted into the adjudication system",
    "A3": "Returned as unprocessable",
    "A4": "Not found",
    "A5": "Split by the payer",
    "A6": "Rejected for missing information",
    "A7": "Rejected for invalid information",
    "A8": "Rejected for an error in related fields",
}

STATUS_CODES = {
    "19": "the entity acknowledges receipt of the claim",
    "20": "accepted for processing",
    "21": "information is missing or invalid",
    "33": "the subscriber and subscriber id were not found",
    "116": "the claim was submitted to the wrong payer",
    "128": "the entity's tax id",
    "145": "the entity's primary identifier",
    "158": "the entity's date of birth",
    "164": "the entity's contract or member number",
    "187": "the date(s) of service",
    "255": "the diagnosis code",
    "454": "the procedure code for the services rendered",
    "562": "the entity's National Provider Identifier (NPI)",
    "673": "the patient control number",
    "732": "the information is inconsistent with billing guidelines",
}

ENTITIES = {"85": "billing provider", "82": "rendering provider", "IL": "subscriber", "QC": "patient",
            "PR": "payer", "41": "submitter", "DN": "referring provider", "77": "service facility"}

FIX_HINTS = {
    "33": "Verify eligibility and correct the member id or the subscriber's name and birth date on the coverage.",
    "116": "Check which payer covers the patient on the date of service; bill that payer.",
    "164": "Correct the member id on the coverage (copy it from the insurance card).",
    "158": "Correct the patient's or subscriber's birth date.",
    "187": "Correct the date of service.",
    "255": "Replace the diagnosis with a billable ICD-10-CM code.",
    "454": "Correct the procedure code or modifiers.",
    "562": "Correct the provider's NPI (NPPES registry).",
    "21": "Complete the missing claim information and resubmit.",
}

IMPLEMENTATION_STATUS = {  # 999 IK501 / AK901
    "A": "accepted", "E": "accepted with errors", "M": "rejected: message authentication code failed",
    "P": "partially accepted", "R": "rejected", "W": "rejected: assurance failed validity tests",
    "X": "rejected: content could not be analysed after decryption",
}

SEGMENT_ERRORS = {  # 999 IK304
    "1": "unrecognized segment", "2": "unexpected segment", "3": "required segment missing",
    "4": "loop occurs over maximum times", "5": "segment exceeds maximum use", "6": "segment not in defined "
    "transaction set", "7": "segment not in proper sequence", "8": "segment has data element errors",
    "I4": "implementation 'not used' segment present", "I6": "implementation dependent segment missing",
    "I7": "implementation loop occurs under minimum times", "I8": "implementation segment below minimum use",
    "I9": "implementation dependent 'not used' segment present",
}

ELEMENT_ERRORS = {  # 999 IK403
    "1": "required data element missing", "2": "conditional required data element missing",
    "3": "too many data elements", "4": "data element too short", "5": "data element too long",
    "6": "invalid character in data element", "7": "invalid code value", "8": "invalid date",
    "9": "invalid time", "10": "exclusion condition violated", "12": "too many repetitions",
    "13": "too many components", "I10": "implementation 'not used' data element present",
    "I12": "implementation pattern match failure", "I13": "implementation dependent 'not used' element present",
    "I6": "code value not used in implementation", "I9": "implementation dependent data element missing",
}


def explain_status(category: str, code: str, entity: str = "") -> str:
    """'A7:562:85' → 'Rejected for invalid information: the entity's National Provider Identifier (NPI)
    (billing provider)'."""
    words = STATUS_CATEGORIES.get(category, f"category {category}")
    if code:
        words += f": {STATUS_CODES.get(code, f'status code {code}')}"
    if entity:
        words += f" ({ENTITIES.get(entity, f'entity {entity}')})"
    return words


def fix_for(code: str) -> str:
    return FIX_HINTS.get(code, "Correct the claim from the reason given and resubmit it.")


FIXED_ON_THE_PATIENT = frozenset({"33", "158", "164"})  # the coverage or demographics the claim is built from
FIXED_BY_ANOTHER_PAYER = frozenset({"116"})


def fix_place(code: str) -> str:
    """Where a rejection with this status code is fixed: "patient" (their record: the claim is built from it
    when sent), "payer" (bill another of their plans) or "claim" (its codes or dates)."""
    if code in FIXED_ON_THE_PATIENT:
        return "patient"
    return "payer" if code in FIXED_BY_ANOTHER_PAYER else "claim"


def explain_segment_error(segment_id: str, position: int, code: str, element_errors: list[tuple[int, str, str]]
                          ) -> str:
    """A 999 IK3 (and its IK4s) in words: segment, position in the transaction set, what is wrong."""
    words = f"segment {segment_id} (number {position}): {SEGMENT_ERRORS.get(code, f'error {code}')}"
    for element, element_code, bad in element_errors:
        words += f"; element {segment_id}{element:02d} {ELEMENT_ERRORS.get(element_code, f'error {element_code}')}"
        if bad:
            words += f" ({bad!r})"
    return words
