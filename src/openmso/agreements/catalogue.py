"""The vocabulary of a management services agreement, as data: services, decisions, assets,
technology categories and data classes, each with its label and its fixed clause number.

Clause numbers come from the catalogue order, not from the order a version happens to list its
items in, so "Schedule A.3" means credentialing in every version of every agreement and a refusal
that cites it can be looked up in any of them. Adding an item is appending a row here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class AgreementModel(StrEnum):
    SERVICE_ONLY = "service_only"
    EQUITY_PARTNERSHIP = "equity_partnership"
    EMPLOYMENT_PLUS = "employment_plus"
    FRIENDLY_PC = "friendly_pc"


class ServiceKey(StrEnum):
    REVENUE_CYCLE = "revenue_cycle"
    CODING = "coding"
    CREDENTIALING = "credentialing"
    PAYER_CONTRACTING = "payer_contracting"
    HR_PAYROLL = "hr_payroll"
    IT_SECURITY = "it_security"
    EHR_PM = "ehr_pm"
    COMPLIANCE = "compliance"
    GROUP_PURCHASING = "group_purchasing"
    VENDOR_MANAGEMENT = "vendor_management"
    FACILITIES = "facilities"
    EQUIPMENT = "equipment"
    FINANCIAL_MANAGEMENT = "financial_management"
    PATIENT_ACCESS = "patient_access"
    ANALYTICS = "analytics"


SERVICE_LABELS = {
    ServiceKey.REVENUE_CYCLE: "Revenue cycle management",
    ServiceKey.CODING: "Coding",
    ServiceKey.CREDENTIALING: "Credentialing and payer enrolment",
    ServiceKey.PAYER_CONTRACTING: "Payer contracting",
    ServiceKey.HR_PAYROLL: "HR and payroll",
    ServiceKey.IT_SECURITY: "IT and cybersecurity",
    ServiceKey.EHR_PM: "EHR and practice-management systems",
    ServiceKey.COMPLIANCE: "Compliance program",
    ServiceKey.GROUP_PURCHASING: "Group purchasing",
    ServiceKey.VENDOR_MANAGEMENT: "Vendor management",
    ServiceKey.FACILITIES: "Facilities and leases",
    ServiceKey.EQUIPMENT: "Equipment",
    ServiceKey.FINANCIAL_MANAGEMENT: "Financial management and reporting",
    ServiceKey.PATIENT_ACCESS: "Patient communications and scheduling",
    ServiceKey.ANALYTICS: "Analytics",
}


class ServiceLevel(StrEnum):
    """How deep the MSO goes: running the function, or only setting the standard the practice meets."""

    ACTIVE_MANAGEMENT = "active_management"
    STANDARDS_ONLY = "standards_only"


class Performer(StrEnum):
    MSO = "mso"
    PRACTICE = "practice"
    VENDOR = "vendor"
    SHARED = "shared"


class Holder(StrEnum):
    """Who takes a decision. `MSO_RECOMMENDS` leaves the final word with the practice."""

    PRACTICE = "practice"
    MSO = "mso"
    JOINT = "joint"
    MSO_RECOMMENDS = "mso_recommends_practice_approves"


MSO_CONTROLLED = frozenset({Holder.MSO, Holder.JOINT})  # the MSO alone, or with a veto


class DecisionKey(StrEnum):
    HIRE_NONCLINICAL_STAFF = "hire_fire_nonclinical_staff"
    HIRE_PHYSICIANS = "hire_fire_physicians"
    CLINICAL_STAFFING = "clinical_staffing_and_schedules"
    CLINICAL_PROTOCOLS = "clinical_protocols"
    TREATMENT = "diagnosis_treatment_and_referrals"
    MEDICAL_RECORD_CONTENT = "medical_record_content"
    CODING_DECISIONS = "coding_decisions"
    PAYER_CONTRACT_SIGNING = "payer_contract_signing"
    FEE_SCHEDULE = "fee_schedule_setting"
    VENDOR_IT = "vendor_selection_it"
    VENDOR_EHR = "vendor_selection_ehr"
    VENDOR_BILLING = "vendor_selection_billing"
    VENDOR_SUPPLIES = "vendor_selection_supplies"
    CAPITAL_PURCHASES = "capital_purchases_above_threshold"
    BUDGET_APPROVAL = "budget_approval"
    COLLECTION_POLICY = "patient_collection_policy"
    WRITE_OFFS = "write_offs_above_threshold"
    DATA_SHARING = "data_sharing"


@dataclass(frozen=True, slots=True)
class Decision:
    """A row of the decision-rights matrix.

    `clinical`: professional judgment itself; the platform refuses to give it to the MSO anywhere.
    `professional`: business decisions that shape clinical practice (who is hired, how coding and
    prices are set); lawful to share in some states, flagged by the legal-risk rules in others.
    """

    key: DecisionKey
    label: str
    clinical: bool = False
    professional: bool = False
    has_threshold: bool = False


DECISIONS = [
    Decision(DecisionKey.HIRE_NONCLINICAL_STAFF, "Hiring and firing non-clinical staff"),
    Decision(DecisionKey.HIRE_PHYSICIANS, "Hiring and firing physicians and clinicians", professional=True),
    Decision(DecisionKey.CLINICAL_STAFFING, "Clinical staffing, clinician schedules and compensation",
             professional=True),
    Decision(DecisionKey.CLINICAL_PROTOCOLS, "Clinical protocols and standards of care", clinical=True),
    Decision(DecisionKey.TREATMENT, "Diagnosis, treatment and referral decisions", clinical=True),
    Decision(DecisionKey.MEDICAL_RECORD_CONTENT, "Content of the medical record", clinical=True),
    Decision(DecisionKey.CODING_DECISIONS, "Diagnosis and procedure coding decisions", professional=True),
    Decision(DecisionKey.PAYER_CONTRACT_SIGNING, "Signing payer contracts", professional=True),
    Decision(DecisionKey.FEE_SCHEDULE, "Setting the fee schedule (prices of medical services)", professional=True),
    Decision(DecisionKey.VENDOR_IT, "Vendor selection: IT and security"),
    Decision(DecisionKey.VENDOR_EHR, "Vendor selection: EHR and PM"),
    Decision(DecisionKey.VENDOR_BILLING, "Vendor selection: billing and clearinghouse"),
    Decision(DecisionKey.VENDOR_SUPPLIES, "Vendor selection: supplies and purchasing"),
    Decision(DecisionKey.CAPITAL_PURCHASES, "Capital purchases above a threshold", has_threshold=True),
    Decision(DecisionKey.BUDGET_APPROVAL, "Budget approval"),
    Decision(DecisionKey.COLLECTION_POLICY, "Patient collection policy"),
    Decision(DecisionKey.WRITE_OFFS, "Write-offs above a threshold", has_threshold=True),
    Decision(DecisionKey.DATA_SHARING, "Sharing practice data outside the practice"),
]
DECISION_BY_KEY = {d.key: d for d in DECISIONS}
CLINICAL_DECISIONS = frozenset(d.key for d in DECISIONS if d.clinical)


class AssetKey(StrEnum):
    REAL_ESTATE = "real_estate"
    EQUIPMENT = "equipment"
    TECHNOLOGY = "technology"
    CONTRACTS = "contracts"
    TRADE_NAMES = "trade_names"
    PATIENT_RECORDS = "patient_records"


ASSET_LABELS = {
    AssetKey.REAL_ESTATE: "Real estate and leases",
    AssetKey.EQUIPMENT: "Equipment",
    AssetKey.TECHNOLOGY: "Technology and software licences",
    AssetKey.CONTRACTS: "Vendor and payer contracts",
    AssetKey.TRADE_NAMES: "Trade names and marks",
    AssetKey.PATIENT_RECORDS: "Patient records",
}


class Owner(StrEnum):
    PRACTICE = "practice"
    MSO = "mso"
    THIRD_PARTY = "third_party"


class TechnologyCategory(StrEnum):
    MANAGED_IT = "managed_it"
    SECURITY = "security"
    EHR = "ehr"
    PM = "pm"
    DATA_PLATFORM = "data_platform"
    TELEPHONY = "telephony"


TECHNOLOGY_LABELS = {
    TechnologyCategory.MANAGED_IT: "Managed IT",
    TechnologyCategory.SECURITY: "Security",
    TechnologyCategory.EHR: "EHR",
    TechnologyCategory.PM: "Practice management",
    TechnologyCategory.DATA_PLATFORM: "Data platform",
    TechnologyCategory.TELEPHONY: "Telephony",
}


class Arrangement(StrEnum):
    """How binding the MSO's technology choice is, from strongest to weakest."""

    MANDATED = "mandated"
    PREFERRED = "preferred_partner"
    RECOMMENDED = "recommendation"
    PRACTICE_CHOICE = "practice_choice"


class DataClass(StrEnum):
    PHI = "phi"
    BILLING = "billing"
    OPERATIONAL = "operational"
    DEIDENTIFIED = "deidentified_aggregates"


DATA_CLASS_LABELS = {
    DataClass.PHI: "Protected health information",
    DataClass.BILLING: "Billing data",
    DataClass.OPERATIONAL: "Operational data",
    DataClass.DEIDENTIFIED: "De-identified aggregates",
}


class Access(StrEnum):
    NONE = "none"
    READ = "read"
    READ_WRITE = "read_write"


def service_clause(key: ServiceKey) -> str:
    return f"Schedule A.{list(ServiceKey).index(key) + 1} ({SERVICE_LABELS[key]})"


def decision_clause(key: DecisionKey) -> str:
    return f"Schedule C.{list(DecisionKey).index(key) + 1} ({DECISION_BY_KEY[key].label})"


def asset_clause(key: AssetKey) -> str:
    return f"Schedule D.{list(AssetKey).index(key) + 1} ({ASSET_LABELS[key]})"


def technology_clause(key: TechnologyCategory) -> str:
    return f"Schedule E.{list(TechnologyCategory).index(key) + 1} ({TECHNOLOGY_LABELS[key]})"


def data_access_clause(key: DataClass) -> str:
    return f"Schedule F.2.{list(DataClass).index(key) + 1} (MSO access to {DATA_CLASS_LABELS[key].lower()})"


STRUCTURE_CLAUSE = "§1 (Structure and ownership)"
CONTROL_TERMS_CLAUSE = "§1.2 (Stock transfer restriction, succession and voting)"
TERM_CLAUSE = "§2 (Term, renewal and termination)"
COVENANTS_CLAUSE = "§2.4 (Non-competition, non-solicitation, non-disparagement)"
FEES_CLAUSE = "Schedule B.1 (Management fee)"
FMV_CLAUSE = "Schedule B.2 (Fair market value)"
DATA_OWNERSHIP_CLAUSE = "Schedule F.1 (Ownership of practice data)"
BENCHMARKING_CLAUSE = "Schedule F.3 (Cross-practice benchmarking)"
BAA_CLAUSE = "Schedule F.4 (Business associate agreement)"
EXIT_DATA_CLAUSE = "Schedule F.5 (Data at exit)"
EXIT_CLAUSE = "Schedule G (Exit and transition)"
NOTICE_CLAUSE = "§9 (Regulatory filings)"
