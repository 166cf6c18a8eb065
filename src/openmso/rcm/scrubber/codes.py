"""Code sets the scrubber checks against: ICD-10-CM (billable codes only), CPT/HCPCS format,
modifiers, and the payer and procedure-pair tables shipped as data files beside this module.

ICD-10-CM comes from the `simple-icd-10-cm` package (the CDC/CMS tabular list as data): a code is
billable when it is a leaf of the tabular list, i.e. coded to the highest specificity (ICD-10-CM
Official Guidelines for Coding and Reporting, Section I.B.2/I.A.17). CPT content is licensed by
the AMA, so CPT codes are checked for form (AMA CPT code structure; CMS HCPCS Level II structure),
not against the code list.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path

DATA = resources.files("openmso.rcm.scrubber") / "data"

_CPT = re.compile(r"^(\d{5}|\d{4}[FTU])$")  # Category I (5 digits), II (####F), III (####T), PLA (####U)
_HCPCS = re.compile(r"^[A-V][0-9]{4}$")  # HCPCS Level II: a letter A-V then four digits
EVALUATION_AND_MANAGEMENT = re.compile(r"^99(2\d\d|3\d\d|4\d\d)$")  # 99202-99499


@cache
def _icd10cm():
    """The ICD-10-CM tabular list, read on first use: the package parses the whole list when imported (2.6 s),
    which every command and the web app would otherwise pay at start, checking a code or not."""
    import simple_icd_10_cm

    return simple_icd_10_cm


def normalize_diagnosis(code: str) -> str:
    """ICD-10-CM as X12 HI carries it: upper case, no dot (E11.9 → E119)."""
    return code.strip().upper().replace(".", "")


def is_code(normalized: str) -> bool:
    """A normalized (dot-free) code of the tabular list: billable or a category."""
    return _icd10cm().is_valid_item(normalized)


def is_billable(normalized: str) -> bool:
    """A normalized (dot-free) code that is a leaf of the tabular list. Asked of the package per code
    (and remembered through `diagnosis_problem`) rather than by listing its 74,000 billable codes up front."""
    return is_code(normalized) and _icd10cm().is_leaf(normalized)


@lru_cache(maxsize=65_536)  # a run meets the same few hundred codes over and over
def diagnosis_problem(code: str) -> str | None:
    """Why `code` cannot be billed as an ICD-10-CM diagnosis, or None when it can."""
    normalized = normalize_diagnosis(code)
    if is_billable(normalized):
        return None
    if is_code(normalized):
        return (f"{code} is an ICD-10-CM category, not a billable code: code to the highest specificity "
                f"(e.g. {_first_leaf(normalized)})")
    return f"{code} is not an ICD-10-CM code"


def _first_leaf(code: str) -> str:
    try:
        descendants = [c for c in _icd10cm().get_descendants(code) if _icd10cm().is_leaf(c)]
    except ValueError:
        return "a child code"
    return _icd10cm().add_dot(descendants[0]) if descendants else "a child code"


def diagnosis_description(code: str) -> str:
    normalized = normalize_diagnosis(code)
    return _icd10cm().get_description(normalized) if is_code(normalized) else ""


def dotted(code: str) -> str:
    """E119 → E11.9 for display."""
    return code if len(code) <= 3 else f"{code[:3]}.{code[3:]}"


@lru_cache(maxsize=65_536)
def procedure_problem(code: str) -> str | None:
    if _CPT.match(code) or _HCPCS.match(code):
        return None
    return (f"{code!r} is neither a CPT code (5 digits, or 4 digits and F/T/U) nor a HCPCS Level II code "
            "(a letter A-V and 4 digits)")


def _rows(name: str, delimiter: str = ",") -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


@cache
def modifiers() -> dict[str, str]:
    """Valid CPT/HCPCS modifiers with their descriptions (data/modifiers.csv)."""
    return {row["modifier"]: row["description"] for row in _rows("modifiers.csv")}


@cache
def prior_authorization_codes() -> dict[str, frozenset[str]]:
    """Procedure codes each payer (by electronic payer id) requires prior authorization for."""
    result: dict[str, set[str]] = {}
    for row in _rows("prior_authorization.csv"):
        result.setdefault(row["payer_code"], set()).add(row["procedure_code"])
    return {payer: frozenset(codes) for payer, codes in result.items()}


@dataclass(frozen=True, slots=True)
class ProcedurePair:
    """One NCCI procedure-to-procedure edit: column 2 is not paid with column 1 on the same day
    unless the edit allows a modifier (indicator 1) and one is reported."""

    column1: str
    column2: str
    effective: date
    deleted: date | None
    modifier_indicator: str  # 0 not allowed, 1 allowed, 9 not applicable
    rationale: str

    def applies_on(self, day: date) -> bool:
        return self.effective <= day and (self.deleted is None or day < self.deleted)


def _yyyymmdd(value: str) -> date | None:
    value = value.strip()
    return None if not value or value == "*" else date(int(value[:4]), int(value[4:6]), int(value[6:8]))


def load_ptp_table(path: str | Path) -> dict[tuple[str, str], ProcedurePair]:
    """Read a practitioner PTP edit file in CMS's published tab-delimited layout (columns: Column 1,
    Column 2, in existence prior to 1996, Effective Date, Deletion Date, Modifier indicator, PTP
    Edit Rationale). Header and note lines before the data are skipped."""
    pairs: dict[tuple[str, str], ProcedurePair] = {}
    with open(path, encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle, delimiter="\t"):
            if len(row) < 6 or not re.match(r"^[0-9A-Z]{5}$", row[0].strip()):
                continue
            pair = ProcedurePair(row[0].strip(), row[1].strip(), _yyyymmdd(row[3]), _yyyymmdd(row[4]),
                                 row[5].strip(), row[6].strip() if len(row) > 6 else "")
            pairs[(pair.column1, pair.column2)] = pair
    return pairs


@cache
def procedure_pairs() -> dict[tuple[str, str], ProcedurePair]:
    with resources.as_file(DATA / "ncci_ptp_sample.txt") as path:
        return load_ptp_table(path)


# Modifiers that bypass a PTP edit whose indicator is 1 (CMS NCCI Policy Manual, Chapter I, E).
NCCI_BYPASS_MODIFIERS = frozenset(
    "24 25 27 57 58 59 78 79 91 XE XP XS XU E1 E2 E3 E4 FA F1 F2 F3 F4 F5 F6 F7 F8 F9 LC LD LM LT RC RI RT "
    "TA T1 T2 T3 T4 T5 T6 T7 T8 T9".split())
