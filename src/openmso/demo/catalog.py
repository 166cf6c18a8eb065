"""Reference data the demo generator draws from: real-looking, never real people.

Practice names, cities and payer ids are plausible; payer ids follow the forms clearinghouses
publish (five-digit commercial ids, Medicare MAC jurisdiction ids). Patient and provider names
are combinations of common US first and last names.
"""

from __future__ import annotations

from dataclasses import dataclass

MSO_NAME = "Cascade Health Partners MSO, LLC"
MSO_TIN = "931234567"


@dataclass(frozen=True)
class Specialty:
    name: str
    taxonomy: str
    credential_mix: tuple[str, ...]
    min_age: int
    max_age: int


SPECIALTIES = {
    "family": Specialty("Family Medicine", "207Q00000X", ("MD", "MD", "DO", "NP", "PA-C"), 0, 95),
    "pediatrics": Specialty("Pediatrics", "208000000X", ("MD", "MD", "DO", "NP"), 0, 17),
    "internal": Specialty("Internal Medicine", "207R00000X", ("MD", "MD", "DO", "NP"), 18, 97),
    "dermatology": Specialty("Dermatology", "207N00000X", ("MD", "MD", "DO", "PA-C"), 5, 95),
    "orthopaedics": Specialty("Orthopaedic Surgery", "207X00000X", ("MD", "MD", "DO", "PA-C"), 10, 92),
    "cardiology": Specialty("Cardiovascular Disease", "207RC0000X", ("MD", "MD", "DO", "NP"), 30, 97),
}


@dataclass(frozen=True)
class PracticeSeed:
    legal_name: str
    entity_type: str
    state: str
    other_states: tuple[str, ...]
    specialty: str
    providers: int
    weight: int  # relative patient panel size


PRACTICES = [
    PracticeSeed("Austin Family Medicine Associates, PLLC", "PLLC", "TX", (), "family", 6, 12),
    PracticeSeed("Lone Star Pediatrics, P.A.", "PA", "TX", (), "pediatrics", 5, 10),
    PracticeSeed("Bay Area Dermatology Medical Group, Inc.", "medical_corporation", "CA", (), "dermatology", 4, 7),
    PracticeSeed("Pacific Orthopaedic Specialists, A Medical Corporation", "medical_corporation", "CA", ("NV",),
                 "orthopaedics", 6, 8),
    PracticeSeed("Willamette Valley Primary Care, P.C.", "PC", "OR", ("WA",), "family", 6, 11),
    PracticeSeed("Cascade Cardiology, P.C.", "PC", "OR", ("WA",), "cardiology", 5, 7),
    PracticeSeed("Hudson Valley Internal Medicine, PLLC", "PLLC", "NY", (), "internal", 5, 9),
    PracticeSeed("Brooklyn Pediatric Partners, PLLC", "PLLC", "NY", ("NJ",), "pediatrics", 4, 8),
    PracticeSeed("Gulf Coast Orthopedics, P.A.", "PA", "FL", (), "orthopaedics", 5, 7),
    PracticeSeed("Sunshine Dermatology, P.A.", "PA", "FL", (), "dermatology", 4, 6),
    PracticeSeed("Puget Sound Family Physicians, PLLC", "PLLC", "WA", (), "family", 5, 9),
    PracticeSeed("Lakeshore Cardiology Associates, P.C.", "PC", "IL", ("IN",), "cardiology", 5, 7),
]

# City, ZIP prefix and area code per state, for addresses that look local.
CITIES = {
    "TX": [("Austin", "787", "512"), ("Round Rock", "786", "512"), ("San Marcos", "786", "512"),
           ("Houston", "770", "713")],
    "CA": [("Oakland", "946", "510"), ("San Jose", "951", "408"), ("Irvine", "926", "949"), ("Fremont", "945", "510")],
    "OR": [("Salem", "973", "503"), ("Eugene", "974", "541"), ("Portland", "972", "503"), ("Corvallis", "973", "541")],
    "WA": [("Seattle", "981", "206"), ("Tacoma", "984", "253"), ("Vancouver", "986", "360"), ("Olympia", "985", "360")],
    "NY": [("Poughkeepsie", "126", "845"), ("Brooklyn", "112", "718"), ("Kingston", "124", "845"),
           ("Newburgh", "125", "845")],
    "NJ": [("Jersey City", "073", "201"), ("Newark", "071", "973")],
    "FL": [("Tampa", "336", "813"), ("Sarasota", "342", "941"), ("Clearwater", "337", "727"),
           ("St. Petersburg", "337", "727")],
    "IL": [("Chicago", "606", "312"), ("Evanston", "602", "847"), ("Oak Park", "603", "708")],
    "IN": [("Gary", "464", "219"), ("Hammond", "463", "219")],
    "NV": [("Reno", "895", "775"), ("Las Vegas", "891", "702")],
}

STREETS = ["Main St", "Oak Ave", "Medical Pkwy", "Park Blvd", "Cedar Ln", "Lakeview Dr", "Maple St", "Pine St",
           "Washington Ave", "River Rd", "Elm St", "Hillcrest Dr", "Sunset Blvd", "Market St", "Church St"]


@dataclass(frozen=True)
class PayerSeed:
    name: str
    code: str
    line_of_business: str
    states: tuple[str, ...]  # where it covers patients; empty = national
    timely_filing_days: int


PAYERS = [
    PayerSeed("Medicare Part B — Novitas Solutions (JH)", "04412", "medicare", ("TX",), 365),
    PayerSeed("Medicare Part B — Noridian (JE)", "01182", "medicare", ("CA", "NV"), 365),
    PayerSeed("Medicare Part B — Noridian (JF)", "02402", "medicare", ("OR", "WA"), 365),
    PayerSeed("Medicare Part B — National Government Services (JK)", "13202", "medicare", ("NY", "NJ"), 365),
    PayerSeed("Medicare Part B — First Coast Service Options (JN)", "09102", "medicare", ("FL",), 365),
    PayerSeed("Medicare Part B — National Government Services (J6)", "06102", "medicare", ("IL", "IN"), 365),
    PayerSeed("Texas Medicaid & Healthcare Partnership", "TXMCD", "medicaid", ("TX",), 95),
    PayerSeed("Medi-Cal", "MCDCA", "medicaid", ("CA",), 180),
    PayerSeed("Oregon Health Plan", "ORMCD", "medicaid_managed_care", ("OR",), 365),
    PayerSeed("New York State Medicaid (eMedNY)", "NYMCD", "medicaid", ("NY",), 90),
    PayerSeed("Florida Medicaid", "FLMCD", "medicaid", ("FL",), 365),
    PayerSeed("Aetna", "60054", "commercial", (), 120),
    PayerSeed("Cigna Healthcare", "62308", "commercial", (), 90),
    PayerSeed("UnitedHealthcare", "87726", "commercial", (), 90),
    PayerSeed("Blue Cross and Blue Shield of Texas", "84980", "commercial", ("TX",), 180),
    PayerSeed("Humana Medicare Advantage", "61101", "medicare_advantage", (), 365),
    PayerSeed("AARP Medicare Advantage (UnitedHealthcare)", "87726MA", "medicare_advantage", (), 365),
]

FIRST_NAMES_F = ["Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica", "Sarah",
                 "Karen", "Lisa", "Nancy", "Betty", "Sandra", "Margaret", "Ashley", "Kimberly", "Emily", "Donna",
                 "Michelle", "Carol", "Amanda", "Melissa", "Deborah", "Stephanie", "Rebecca", "Sharon", "Laura",
                 "Cynthia", "Amy", "Angela", "Maria", "Sofia", "Isabella", "Olivia", "Emma", "Ava", "Mia", "Chloe",
                 "Grace", "Aaliyah", "Priya", "Mei", "Fatima", "Rosa", "Camila", "Lucia", "Hannah", "Zoe", "Nora"]
FIRST_NAMES_M = ["James", "Robert", "John", "Michael", "David", "William", "Richard", "Joseph", "Thomas",
                 "Christopher", "Charles", "Daniel", "Matthew", "Anthony", "Mark", "Donald", "Steven", "Andrew",
                 "Paul", "Joshua", "Kenneth", "Kevin", "Brian", "George", "Timothy", "Ronald", "Jason", "Edward",
                 "Jeffrey", "Ryan", "Jacob", "Gary", "Nicholas", "Eric", "Jose", "Luis", "Carlos", "Wei", "Arjun",
                 "Omar", "Liam", "Noah", "Elijah", "Mateo", "Lucas", "Ethan", "Henry", "Samuel", "Kenji", "Diego"]
LAST_NAMES = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
              "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore",
              "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez",
              "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen",
              "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell",
              "Carter", "Roberts", "Patel", "Kim", "Chen", "Singh", "Okafor", "Kowalski", "Murphy", "Cohen",
              "Yamamoto", "Silva", "O'Brien", "Novak", "Haddad", "Larsen", "Fischer", "Rossi", "Dubois"]
