"""Denial categories as data: which CARC (and RARC) means which kind of denial, and how long a
payer gives for an appeal.

A rule is a row: an id, the category, the CARC codes (and optionally the RARC codes or group
codes) it matches, whether the money is usually recoverable by correcting or appealing, and the
source. `classify` takes the first rule that matches, rules with a remark code before rules
without one, so "CO-16 with MA130" (missing information, resubmit) is told apart from "CO-16"
alone. Adding a category mapping is adding a row here; the worklist lists these rows.

Which codes are write-downs: only a `contractual` row's amount is posted as a contractual
adjustment (remittance matching asks this table), and only the rest opens a denial case. So a code
belongs there only when the provider expects to lose the amount under its contract:

- CARC 59 ("processed based on multiple or concurrent procedure rules", e.g. the multiple-procedure
  payment reduction) is how the payer prices the second and later procedures of a day; it is expected
  on every such claim and the claim is not wrong, so correcting and resubmitting it changes nothing.
  It is a contractual reduction (`DEN-059-PROCEDURE-RULES`); a reduction the contract does not provide
  for shows up as an underpayment (allowed below the contract's expected amount), not as a denial.
- CARCs B7 (provider not certified or eligible on this date), 185 (rendering provider not eligible)
  and 242 (not provided by network or primary care providers) are about the provider's enrollment
  and network participation, which the practice can fix (credential or enroll the provider, bill
  under the enrolled one, or show the payer its participation) and then recover the money: they are
  `credentialing` denials, not write-downs. With group PR, 242 is the patient's out-of-network share.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from openmso.rcm.denials.codes import SOURCE_CARC, SOURCE_RARC


class DenialCategory(StrEnum):
    ELIGIBILITY = "eligibility"
    CREDENTIALING = "credentialing"  # the provider's enrollment or network participation
    AUTHORIZATION = "authorization"
    CODING = "coding"
    MEDICAL_NECESSITY = "medical_necessity"
    TIMELY_FILING = "timely_filing"
    DUPLICATE = "duplicate"
    COB = "coordination_of_benefits"
    MISSING_INFORMATION = "missing_information"
    CONTRACTUAL = "contractual"
    PATIENT_RESPONSIBILITY = "patient_responsibility"
    OTHER = "other"


class Action(StrEnum):
    """What a biller usually does next about a category (the worklist's suggested action)."""

    CORRECT_AND_RESUBMIT = "correct_and_resubmit"
    APPEAL = "appeal"
    BILL_OTHER_PAYER = "bill_other_payer"
    WRITE_OFF = "write_off"
    TRANSFER_TO_PATIENT = "transfer_to_patient"
    REVIEW = "review"


@dataclass(frozen=True, slots=True)
class CategoryRule:
    id: str
    category: DenialCategory
    carcs: frozenset[str]
    action: Action
    recoverable: bool
    source: str
    rarcs: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()  # empty: any group

    def matches(self, group: str, carc: str, rarcs: Iterable[str]) -> bool:
        if carc not in self.carcs or (self.groups and group not in self.groups):
            return False
        return not self.rarcs or bool(self.rarcs.intersection(rarcs))


def _rule(rule_id, category, carcs, action, recoverable, source=SOURCE_CARC, rarcs="", groups=""):
    return CategoryRule(rule_id, category, frozenset(carcs.split()), action, recoverable, source,
                        frozenset(rarcs.split()), frozenset(groups.split()))


C, A = DenialCategory, Action
CATEGORY_RULES: tuple[CategoryRule, ...] = (
    # Remark-specific rows first (see module docstring).
    _rule("DEN-016-MA130", C.MISSING_INFORMATION, "16", A.CORRECT_AND_RESUBMIT, True, SOURCE_RARC, rarcs="MA130"),
    _rule("DEN-016-CODING", C.CODING, "16", A.CORRECT_AND_RESUBMIT, True, SOURCE_RARC, rarcs="M20 M51 M76 N657"),
    _rule("DEN-050-LCD", C.MEDICAL_NECESSITY, "50", A.APPEAL, True, SOURCE_RARC, rarcs="N115 N386"),
    # CARC rows.
    _rule("DEN-PR-SHARE", C.PATIENT_RESPONSIBILITY, "1 2 3", A.TRANSFER_TO_PATIENT, True, groups="PR"),
    _rule("DEN-PR-OUT-OF-NETWORK", C.PATIENT_RESPONSIBILITY, "242", A.TRANSFER_TO_PATIENT, True, groups="PR"),
    _rule("DEN-ELIGIBILITY", C.ELIGIBILITY, "26 27 31 140 200 B9 109", A.CORRECT_AND_RESUBMIT, True),
    _rule("DEN-AUTH", C.AUTHORIZATION, "15 39 197 198", A.APPEAL, True),
    _rule("DEN-CREDENTIALING", C.CREDENTIALING, "B7 185", A.CORRECT_AND_RESUBMIT, True, groups="CO OA PI"),
    _rule("DEN-NETWORK", C.CREDENTIALING, "242", A.APPEAL, True, groups="CO OA PI"),
    _rule("DEN-CODING", C.CODING, "4 5 6 9 10 11 97 146 181 182 189 234 236 B15", A.CORRECT_AND_RESUBMIT, True),
    _rule("DEN-NECESSITY", C.MEDICAL_NECESSITY, "50 55 151 167 272", A.APPEAL, True),
    _rule("DEN-TIMELY", C.TIMELY_FILING, "29", A.WRITE_OFF, False),
    _rule("DEN-DUPLICATE", C.DUPLICATE, "18", A.REVIEW, False),
    _rule("DEN-COB", C.COB, "22 23", A.BILL_OTHER_PAYER, True),
    _rule("DEN-MISSING", C.MISSING_INFORMATION, "16 226 227 252 A1", A.CORRECT_AND_RESUBMIT, True),
    _rule("DEN-CONTRACTUAL", C.CONTRACTUAL, "45 24 131 253", A.REVIEW, False),
    _rule("DEN-059-PROCEDURE-RULES", C.CONTRACTUAL, "59", A.REVIEW, False),
    _rule("DEN-NONCOVERED", C.MEDICAL_NECESSITY, "96 204 49 119", A.TRANSFER_TO_PATIENT, False),
)
_ORDERED = tuple(sorted(CATEGORY_RULES, key=lambda r: not r.rarcs))


@dataclass(frozen=True, slots=True)
class Classification:
    category: DenialCategory
    action: Action
    recoverable: bool
    rule_id: str | None


UNCLASSIFIED = Classification(DenialCategory.OTHER, Action.REVIEW, True, None)


def classify(group: str, carc: str, rarcs: Iterable[str] = ()) -> Classification:
    """The category of one adjustment reason; an unknown code is `other`, to be reviewed by a person."""
    remarks = tuple(rarcs)
    for rule in _ORDERED:
        if rule.matches(group, carc, remarks):
            return Classification(rule.category, rule.action, rule.recoverable, rule.id)
    return UNCLASSIFIED


def classify_denial(adjustments: Iterable[tuple[str, str]], rarcs: Iterable[str] = ()) -> Classification:
    """The category of a denied claim or line from its (group, CARC) pairs: the first one that is not a
    contractual write-down or a patient share decides (payers list the denying reason first)."""
    remarks = tuple(rarcs)
    found = [classify(group, carc, remarks) for group, carc in adjustments]
    for item in found:
        if item.category not in (DenialCategory.CONTRACTUAL, DenialCategory.PATIENT_RESPONSIBILITY):
            return item
    return found[0] if found else UNCLASSIFIED


@dataclass(frozen=True, slots=True)
class AppealWindow:
    line_of_business: str
    days: int
    source: str


# Days from the remittance date to file a first-level appeal, by the payer's line of business.
APPEAL_WINDOWS = {
    "medicare": AppealWindow("medicare", 120, "42 CFR §405.942(a): redetermination within 120 days of receipt"),
    "medicare_advantage": AppealWindow("medicare_advantage", 65, "42 CFR §422.582(b): reconsideration within 65 days"),
    "medicaid": AppealWindow("medicaid", 90, "Common state Medicaid provider manuals (varies by state)"),
    "commercial": AppealWindow("commercial", 180, "29 CFR §2560.503-1(h)(3)(i): at least 180 days (ERISA plans)"),
}
DEFAULT_APPEAL_WINDOW = AppealWindow("other", 90, "Conservative default when the payer's rule is not on file")


def appeal_window(line_of_business: str | None) -> AppealWindow:
    return APPEAL_WINDOWS.get((line_of_business or "").lower(), DEFAULT_APPEAL_WINDOW)
