"""Claim Adjustment Reason Codes (CARC, X12 external code source 139) and Remittance Advice Remark
Codes (RARC, code source 411) in words, with the group codes each is normally reported under.

Descriptions paraphrase the published lists (x12.org/codes); they are for people reading a
worklist, not a substitute for the lists. `usual_groups` is how payers commonly send the code
(CO contractual, PR patient responsibility, OA other, PI payer initiated, CR correction) — a
payer may send another group, and posting follows the group it sent (005010X221A1 §1.10.2.2).
Only codes the simulator and payers commonly use are listed; an unknown code is shown as
"unknown code" rather than guessed.
"""

from __future__ import annotations

from dataclasses import dataclass

SOURCE_CARC = "X12 Claim Adjustment Reason Codes (code source 139), x12.org/codes/claim-adjustment-reason-codes"
SOURCE_RARC = "X12 Remittance Advice Remark Codes (code source 411), x12.org/codes/remittance-advice-remark-codes"
GROUP_CODES = {"CO": "contractual obligation (the provider may not bill the patient)",
               "PR": "patient responsibility", "OA": "other adjustment", "PI": "payer-initiated reduction",
               "CR": "correction or reversal of a prior decision"}


@dataclass(frozen=True, slots=True)
class Code:
    code: str
    description: str
    usual_groups: tuple[str, ...] = ()


def _table(rows: tuple[tuple[str, str, str], ...]) -> dict[str, Code]:
    return {code: Code(code, text, tuple(groups.split())) for code, text, groups in rows}


CARC = _table((
    ("1", "Deductible amount", "PR"),
    ("2", "Coinsurance amount", "PR"),
    ("3", "Co-payment amount", "PR"),
    ("4", "The procedure code is inconsistent with the modifier used, or a required modifier is missing", "CO"),
    ("5", "The procedure code or bill type is inconsistent with the place of service", "CO"),
    ("6", "The procedure or revenue code is inconsistent with the patient's age", "CO"),
    ("9", "The diagnosis is inconsistent with the patient's age", "CO"),
    ("10", "The diagnosis is inconsistent with the patient's gender", "CO"),
    ("11", "The diagnosis is inconsistent with the procedure", "CO"),
    ("15", "The authorization number is missing, invalid, or does not apply to the billed services", "CO"),
    ("16", "The claim or service lacks information or has submission or billing errors", "CO"),
    ("18", "Exact duplicate claim or service", "CO OA"),
    ("22", "This care may be covered by another payer under coordination of benefits", "CO OA"),
    ("23", "The impact of prior payer(s) adjudication, including payments and adjustments", "OA"),
    ("24", "Charges are covered under a capitation agreement or managed care plan", "CO"),
    ("26", "Expenses incurred before coverage began", "PR"),
    ("27", "Expenses incurred after coverage ended", "PR"),
    ("29", "The time limit for filing has expired", "CO"),
    ("31", "The patient cannot be identified as the payer's insured", "CO"),
    ("39", "Services were denied when authorization or pre-certification was requested", "CO"),
    ("45", "The charge exceeds the fee schedule, maximum allowable or contracted fee arrangement", "CO PI"),
    ("49", "A routine or preventive exam not covered by the plan", "PR"),
    ("50", "Non-covered: not deemed a medical necessity by the payer", "CO"),
    ("55", "Experimental or investigational procedure, treatment or drug", "CO PR"),
    ("58", "The service was rendered in an inappropriate or invalid place of service", "CO"),
    ("59", "Processed under multiple or concurrent procedure rules", "CO"),
    ("94", "Processed in excess of charges", "OA"),
    ("96", "Non-covered charge(s)", "CO PR"),
    ("97", "The benefit for this service is included in the payment for another service already adjudicated",
     "CO"),
    ("100", "Payment was made to the patient or insured", "OA"),
    ("109", "Not covered by this payer; send the claim to the correct payer", "CO"),
    ("119", "The benefit maximum for this period or occurrence has been reached", "PR"),
    ("129", "Prior processing information appears incorrect", "CO"),
    ("131", "Claim-specific negotiated discount", "CO"),
    ("140", "The patient's health identification number and name do not match", "CO"),
    ("146", "The diagnosis was invalid for the date(s) of service", "CO"),
    ("151", "The information submitted does not support this many or this frequency of services", "CO"),
    ("167", "The diagnosis is not covered", "CO"),
    ("181", "The procedure code was invalid on the date of service", "CO"),
    ("182", "The procedure modifier was invalid on the date of service", "CO"),
    ("185", "The rendering provider is not eligible to perform the service billed", "CO"),
    ("189", "An unlisted procedure code was billed when a specific code exists", "CO"),
    ("197", "Pre-certification, notification or authorization is absent", "CO"),
    ("198", "Pre-certification, notification or authorization was exceeded", "CO"),
    ("200", "Expenses incurred during a lapse in coverage", "PR"),
    ("204", "The service is not covered under the patient's current benefit plan", "PR CO"),
    ("226", "Information requested from the provider was not provided or was insufficient", "CO"),
    ("227", "Information requested from the patient or insured was not provided or was insufficient", "PR CO"),
    ("234", "This procedure is not paid separately", "CO"),
    ("236", "The procedure or modifier combination is not compatible with another procedure on the same day",
     "CO"),
    ("242", "Services not provided by network or primary care providers", "CO PR"),
    ("252", "An attachment or other documentation is required to adjudicate the claim", "CO"),
    ("253", "Sequestration: reduction of the federal payment", "CO"),
    ("272", "Coverage or program guidelines were not met", "CO"),
    ("A1", "Claim or service denied (the remark code says why)", "CO"),
    ("B7", "The provider was not certified or eligible to be paid for this service on this date", "CO"),
    ("B9", "The patient is enrolled in a hospice", "CO"),
    ("B15", "The service requires a qualifying service that was not received or not covered", "CO"),
))

RARC = _table((
    ("M15", "Separately billed services or tests have been bundled as components of the same procedure", ""),
    ("M20", "Missing, incomplete or invalid HCPCS code", ""),
    ("M51", "Missing, incomplete or invalid procedure code(s)", ""),
    ("M76", "Missing, incomplete or invalid diagnosis or condition", ""),
    ("M80", "Not covered when performed in the same session or on the same date as a processed service", ""),
    ("M127", "Missing patient medical record for this service", ""),
    ("MA01", "Alert: if you disagree with the decision you may appeal", ""),
    ("MA04", "A secondary payment cannot be considered without the primary payer's payment information", ""),
    ("MA18", "Alert: the claim was also forwarded to the patient's supplemental insurer", ""),
    ("MA130", "The claim has incomplete or invalid information and no appeal rights; submit a new claim", ""),
    ("N4", "Missing, incomplete or invalid prior insurance carrier explanation of benefits", ""),
    ("N19", "The procedure code is incidental to the primary procedure", ""),
    ("N20", "The service is not payable with another service rendered on the same date", ""),
    ("N30", "The patient is ineligible for this service", ""),
    ("N54", "The claim information is inconsistent with the pre-certified or authorized services", ""),
    ("N115", "The decision was based on a Local Coverage Determination (LCD)", ""),
    ("N130", "Consult the plan's benefit documents for coverage information", ""),
    ("N211", "Alert: you may not appeal this decision", ""),
    ("N286", "Missing, incomplete or invalid referring provider primary identifier", ""),
    ("N290", "Missing, incomplete or invalid rendering provider primary identifier", ""),
    ("N362", "The number of days or units of service exceeds the acceptable maximum", ""),
    ("N381", "Alert: consult the contractual agreement for billing and payment information about these charges",
     ""),
    ("N386", "The decision was based on a National Coverage Determination (NCD)", ""),
    ("N657", "This should be billed with the appropriate code for these services", ""),
))


def describe_carc(code: str) -> str:
    known = CARC.get(code)
    return known.description if known else f"unknown code {code} (not in the CARC table)"


def describe_rarc(code: str) -> str:
    known = RARC.get(code)
    return known.description if known else f"unknown code {code} (not in the RARC table)"


def describe_adjustment(group: str, code: str) -> str:
    """"CO-45: The charge exceeds …" — how a worklist shows one CAS reason."""
    return f"{group}-{code}: {describe_carc(code)}"
