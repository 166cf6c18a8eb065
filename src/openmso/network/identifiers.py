"""Validation of the identifiers the network holds: NPI, TIN, taxonomy, state, place of service.

Pure functions, no I/O: the schemas call them, the demo generator uses `npi_check_digit` to mint
valid NPIs, and hypothesis tests them directly.
"""

from __future__ import annotations

import re

NPI_PREFIX = "80840"  # ISO 7812 issuer prefix for US health applications (CMS NPI check-digit spec)

US_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY "
    "NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR VI GU AS MP".split()
)

# CMS Place of Service code set (the codes a professional claim uses; https://www.cms.gov/medicare/
# coding-billing/place-of-service-codes/code-sets).
PLACE_OF_SERVICE = {
    "01": "Pharmacy", "02": "Telehealth other than in patient's home", "03": "School",
    "04": "Homeless shelter", "05": "Indian Health Service free-standing facility",
    "06": "Indian Health Service provider-based facility", "07": "Tribal 638 free-standing facility",
    "08": "Tribal 638 provider-based facility", "09": "Prison/correctional facility",
    "10": "Telehealth provided in patient's home", "11": "Office", "12": "Home",
    "13": "Assisted living facility", "14": "Group home", "15": "Mobile unit",
    "16": "Temporary lodging", "17": "Walk-in retail health clinic", "18": "Place of employment",
    "19": "Off campus-outpatient hospital", "20": "Urgent care facility", "21": "Inpatient hospital",
    "22": "On campus-outpatient hospital", "23": "Emergency room - hospital",
    "24": "Ambulatory surgical center", "25": "Birthing center", "26": "Military treatment facility",
    "27": "Outreach site/street", "31": "Skilled nursing facility", "32": "Nursing facility",
    "33": "Custodial care facility", "34": "Hospice", "41": "Ambulance - land",
    "42": "Ambulance - air or water", "49": "Independent clinic", "50": "Federally qualified health center",
    "51": "Inpatient psychiatric facility", "52": "Psychiatric facility-partial hospitalization",
    "53": "Community mental health center", "54": "Intermediate care facility/individuals with "
    "intellectual disabilities", "55": "Residential substance abuse treatment facility",
    "56": "Psychiatric residential treatment center", "57": "Non-residential substance abuse treatment "
    "facility", "58": "Non-residential opioid treatment facility", "60": "Mass immunization center",
    "61": "Comprehensive inpatient rehabilitation facility", "62": "Comprehensive outpatient "
    "rehabilitation facility", "65": "End-stage renal disease treatment facility",
    "66": "Programs of All-Inclusive Care for the Elderly (PACE) center",
    "71": "Public health clinic", "72": "Rural health clinic", "81": "Independent laboratory",
    "99": "Other place of service",
}

_TAXONOMY = re.compile(r"^\d{3}[0-9A-Z]{6}X$")
_DIGITS = re.compile(r"^\d+$")


def luhn_check_digit(digits: str) -> int:
    """Check digit that makes `digits + check` pass the Luhn (mod 10) algorithm."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:  # positions that get doubled once the check digit is appended
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return (10 - total % 10) % 10


def npi_check_digit(first_nine: str) -> int:
    """NPI check digit: Luhn over the 9 base digits prefixed with 80840 (CMS NPI standard)."""
    if len(first_nine) != 9 or not _DIGITS.match(first_nine):
        raise ValueError("an NPI base is exactly 9 digits")
    return luhn_check_digit(NPI_PREFIX + first_nine)


def npi_problem(npi: str) -> str | None:
    """Why `npi` is not a valid NPI, or None when it is."""
    if not isinstance(npi, str) or len(npi) != 10 or not _DIGITS.match(npi):
        return "an NPI is exactly 10 digits"
    if npi[0] not in "12":
        return "an NPI starts with 1 (individual) or 2 (organization)"
    if int(npi[9]) != npi_check_digit(npi[:9]):
        return "NPI check digit does not match (Luhn over 80840 + the first 9 digits)"
    return None


def is_valid_npi(npi: str) -> bool:
    return npi_problem(npi) is None


def tin_problem(tin: str) -> str | None:
    if not isinstance(tin, str) or len(tin) != 9 or not _DIGITS.match(tin):
        return "a TIN/EIN is exactly 9 digits, without the hyphen"
    if tin.startswith("00") or tin == "000000000":
        return "a TIN cannot start with 00"
    return None


def taxonomy_problem(code: str) -> str | None:
    if not isinstance(code, str) or not _TAXONOMY.match(code):
        return "a provider taxonomy code is 10 characters: 3 digits, 6 letters/digits, then X (e.g. 207Q00000X)"
    return None


def state_problem(state: str) -> str | None:
    if state not in US_STATES:
        return "not a US state or territory code (two capital letters, e.g. TX)"
    return None


def place_of_service_problem(code: str) -> str | None:
    if code not in PLACE_OF_SERVICE:
        return "not a CMS place-of-service code (e.g. 11 office, 22 outpatient hospital)"
    return None


def postal_code_problem(code: str) -> str | None:
    if not re.match(r"^\d{5}(-?\d{4})?$", code or ""):
        return "a ZIP code is 5 or 9 digits"
    return None
