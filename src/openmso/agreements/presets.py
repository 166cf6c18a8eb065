"""Worked examples of agreement terms: a clean service-only MSA and a risky friendly-PC one.

They are the building blocks of the demo network and of test factories, and a starting point in
the editor. Vendor and valuation names are fictitious.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from openmso.agreements.catalogue import (
    Access,
    AgreementModel,
    Arrangement,
    AssetKey,
    DataClass,
    DecisionKey,
    Holder,
    Owner,
    Performer,
    ServiceKey,
    ServiceLevel,
    TechnologyCategory,
)
from openmso.agreements.terms import (
    AssetTerm,
    ContractExit,
    DataAccess,
    DataRights,
    DecisionRight,
    Disposition,
    ExitTerms,
    FeeKind,
    Fees,
    FriendlyPcControls,
    ServiceTerm,
    Structure,
    TechnologyTerm,
    Term,
    Terms,
)

SERVICE_LEVELS = {
    ServiceKey.REVENUE_CYCLE: "Clean-claim rate at least 95%; claims out within 3 business days of charge entry",
    ServiceKey.CODING: "Quarterly coding audit of 10 encounters per provider; physician has the final word",
    ServiceKey.CREDENTIALING: "Enrolment files complete 120 days before licence or payer expiry",
    ServiceKey.IT_SECURITY: "24x7 monitoring; critical patches within 14 days; annual risk analysis",
    ServiceKey.EHR_PM: "99.5% monthly availability; support response within 4 business hours",
    ServiceKey.COMPLIANCE: "Policies, annual training and a yearly billing audit; the practice runs its program",
    ServiceKey.HR_PAYROLL: "Payroll on schedule; benefits administration for non-clinical staff",
    ServiceKey.FINANCIAL_MANAGEMENT: "Monthly financial statements by the 15th business day",
    ServiceKey.ANALYTICS: "Monthly dashboard; benchmarks only from de-identified aggregates",
    ServiceKey.PATIENT_ACCESS: "Calls answered within 60 seconds on average",
    ServiceKey.GROUP_PURCHASING: "Access to the MSO's negotiated supply contracts",
}
STANDARD_SERVICES = [ServiceKey.REVENUE_CYCLE, ServiceKey.CODING, ServiceKey.CREDENTIALING, ServiceKey.IT_SECURITY,
                     ServiceKey.EHR_PM, ServiceKey.COMPLIANCE, ServiceKey.HR_PAYROLL, ServiceKey.FINANCIAL_MANAGEMENT,
                     ServiceKey.ANALYTICS, ServiceKey.GROUP_PURCHASING]
VALUATION_SOURCE = "Fair market value opinion, Meridian Healthcare Valuation Advisors"


def _services(keys: list[ServiceKey]) -> list[ServiceTerm]:
    return [ServiceTerm(service=key, in_scope=True, service_level=SERVICE_LEVELS.get(key, ""),
                        level=ServiceLevel.STANDARDS_ONLY if key is ServiceKey.COMPLIANCE
                        else ServiceLevel.ACTIVE_MANAGEMENT,
                        performed_by=Performer.SHARED if key is ServiceKey.COMPLIANCE else Performer.MSO)
            for key in keys]


def standard_terms(effective_on: date, *, monthly_fee: Decimal = Decimal("18500.00")) -> Terms:
    """A clean service-only MSA: fixed fee within a documented FMV range, clinical and professional
    decisions with the practice, full data-rights and exit terms, a BAA in force."""
    annual = monthly_fee * 12
    return Terms(
        structure=Structure(model=AgreementModel.SERVICE_ONLY),
        term=Term(effective_on=effective_on, initial_years=5, auto_renew=True, renewal_years=1,
                  for_cause_notice_days=30, cure_days=30, convenience_notice_days=180, nonsolicit_months=12),
        services=_services(STANDARD_SERVICES),
        fees=Fees(kind=FeeKind.FLAT_MONTHLY, monthly_amount=monthly_fee,
                  fmv_low_annual=(annual * Decimal("0.8")).quantize(Decimal("1")),
                  fmv_high_annual=(annual * Decimal("1.25")).quantize(Decimal("1")),
                  fmv_source=VALUATION_SOURCE, fmv_valuation_date=effective_on - timedelta(days=45)),
        decision_rights=[
            DecisionRight(decision=DecisionKey.HIRE_NONCLINICAL_STAFF, holder=Holder.JOINT),
            DecisionRight(decision=DecisionKey.VENDOR_IT, holder=Holder.MSO_RECOMMENDS),
            DecisionRight(decision=DecisionKey.VENDOR_BILLING, holder=Holder.MSO),
            DecisionRight(decision=DecisionKey.VENDOR_SUPPLIES, holder=Holder.MSO_RECOMMENDS),
            DecisionRight(decision=DecisionKey.BUDGET_APPROVAL, holder=Holder.MSO_RECOMMENDS),
            DecisionRight(decision=DecisionKey.COLLECTION_POLICY, holder=Holder.MSO_RECOMMENDS),
            DecisionRight(decision=DecisionKey.WRITE_OFFS, holder=Holder.MSO_RECOMMENDS, threshold=Decimal("500.00")),
            DecisionRight(decision=DecisionKey.CAPITAL_PURCHASES, holder=Holder.MSO_RECOMMENDS,
                          threshold=Decimal("25000.00")),
        ],
        assets=[AssetTerm(asset=key, owner=Owner.PRACTICE) for key in AssetKey if key is not AssetKey.TECHNOLOGY]
        + [AssetTerm(asset=AssetKey.TECHNOLOGY, owner=Owner.MSO, transfers_at_exit=True,
                     exit_price_basis="licences assigned to the practice at no charge")],
        technology=[
            TechnologyTerm(category=TechnologyCategory.MANAGED_IT, arrangement=Arrangement.PREFERRED,
                           vendor="Northwind Managed IT"),
            TechnologyTerm(category=TechnologyCategory.SECURITY, arrangement=Arrangement.MANDATED,
                           vendor="Sentinel MDR"),
            TechnologyTerm(category=TechnologyCategory.EHR, arrangement=Arrangement.RECOMMENDED, vendor="athenaOne"),
            TechnologyTerm(category=TechnologyCategory.PM, arrangement=Arrangement.PREFERRED, vendor="athenaOne"),
            TechnologyTerm(category=TechnologyCategory.DATA_PLATFORM, arrangement=Arrangement.MANDATED,
                           vendor="OpenMSO"),
            TechnologyTerm(category=TechnologyCategory.TELEPHONY, arrangement=Arrangement.PRACTICE_CHOICE),
        ],
        data_rights=DataRights(
            owner=Owner.PRACTICE,
            access=[DataAccess(data_class=DataClass.PHI, access=Access.READ_WRITE,
                               purpose="payment and health care operations for the practice, under the BAA"),
                    DataAccess(data_class=DataClass.BILLING, access=Access.READ_WRITE, purpose="revenue cycle"),
                    DataAccess(data_class=DataClass.OPERATIONAL, access=Access.READ, purpose="reporting"),
                    DataAccess(data_class=DataClass.DEIDENTIFIED, access=Access.READ,
                               purpose="network benchmarking")],
            benchmarking_consent=True, deidentification="HIPAA safe harbor, 45 CFR §164.514(b)(2)",
            baa_in_force=True, baa_signed_on=effective_on, baa_breach_notice_days=30,
            exit_formats=["CSV", "X12 837/835", "PDF"], exit_delivery_days=30, exit_cost=Decimal("0.00"),
            retention_after_exit_days=365,
        ),
        exit=ExitTerms(contracts=[
            ContractExit(contract="EHR licence", kind="vendor", disposition=Disposition.TRANSFER, notice_days=60),
            ContractExit(contract="Clearinghouse", kind="vendor", disposition=Disposition.TERMINATE, notice_days=30),
            ContractExit(contract="Commercial payer agreements", kind="payer", disposition=Disposition.REVERT,
                         notice_days=90),
        ], transition_days=90, cost_borne_by=Performer.SHARED, ar_run_out_days=120, ar_collected_by=Performer.MSO),
    )


def friendly_pc_terms(effective_on: date, *, collections_percent: Decimal = Decimal("22.00")) -> Terms:
    """A risky friendly-PC MSA: succession and stock-transfer controls over the PC, a percentage-of-
    collections fee that includes marketing with no valuation, MSO control of professional
    decisions, clinician non-competes, no exit data terms, benchmarking without consent."""
    terms = standard_terms(effective_on)
    return revised(terms, {
        "structure": Structure(model=AgreementModel.FRIENDLY_PC, controls=FriendlyPcControls(
            stock_transfer_restriction=True, succession_agreement=True, mso_proxy_voting=True,
            mso_person_is_pc_officer_or_director=True, nominee_physician="the MSO's designated physician")),
        "term": Term(effective_on=effective_on, initial_years=20, auto_renew=True, renewal_years=5,
                     convenience_termination="mso", convenience_notice_days=365, noncompete_months=24,
                     noncompete_binds_clinicians=True, nonsolicit_months=24, non_disparagement_binds_clinicians=True),
        "services": _services(STANDARD_SERVICES + [ServiceKey.PAYER_CONTRACTING, ServiceKey.VENDOR_MANAGEMENT,
                                                   ServiceKey.PATIENT_ACCESS]),
        "fees": Fees(kind=FeeKind.PERCENT_OF_COLLECTIONS, collections_percent=collections_percent,
                     estimated_net_collections_annual=Decimal("4200000.00"), includes_marketing=True,
                     methodology_set_in_advance=True),
        "decision_rights": [
            DecisionRight(decision=DecisionKey.HIRE_NONCLINICAL_STAFF, holder=Holder.MSO),
            DecisionRight(decision=DecisionKey.HIRE_PHYSICIANS, holder=Holder.JOINT),
            DecisionRight(decision=DecisionKey.CLINICAL_STAFFING, holder=Holder.MSO),
            DecisionRight(decision=DecisionKey.CODING_DECISIONS, holder=Holder.MSO),
            DecisionRight(decision=DecisionKey.PAYER_CONTRACT_SIGNING, holder=Holder.MSO),
            DecisionRight(decision=DecisionKey.FEE_SCHEDULE, holder=Holder.MSO),
            DecisionRight(decision=DecisionKey.VENDOR_IT, holder=Holder.MSO),
            DecisionRight(decision=DecisionKey.VENDOR_EHR, holder=Holder.MSO),
            DecisionRight(decision=DecisionKey.BUDGET_APPROVAL, holder=Holder.MSO),
            DecisionRight(decision=DecisionKey.WRITE_OFFS, holder=Holder.MSO, threshold=Decimal("5000.00")),
            DecisionRight(decision=DecisionKey.DATA_SHARING, holder=Holder.MSO),
        ],
        "assets": [AssetTerm(asset=AssetKey.PATIENT_RECORDS, owner=Owner.PRACTICE),
                   AssetTerm(asset=AssetKey.TRADE_NAMES, owner=Owner.MSO),
                   AssetTerm(asset=AssetKey.EQUIPMENT, owner=Owner.MSO, exit_price_basis="practice buys at MSO cost"),
                   AssetTerm(asset=AssetKey.TECHNOLOGY, owner=Owner.MSO),
                   AssetTerm(asset=AssetKey.REAL_ESTATE, owner=Owner.MSO),
                   AssetTerm(asset=AssetKey.CONTRACTS, owner=Owner.MSO)],
        "technology": [TechnologyTerm(category=t.category, arrangement=Arrangement.MANDATED,
                                      vendor=t.vendor or "MSO telephony") for t in terms.technology],
        "data_rights": terms.data_rights.model_copy(update={
            "owner": Owner.MSO, "benchmarking_consent": False, "deidentification": None, "exit_formats": [],
            "exit_delivery_days": None, "exit_cost": None, "retention_after_exit_days": None}),
        "exit": ExitTerms(contracts=[ContractExit(contract="All vendor contracts", kind="vendor",
                                                  disposition=Disposition.STAYS_WITH_MSO)],
                          transition_days=None, cost_borne_by=Performer.PRACTICE),
    })


def revised(terms: Terms, changes: dict) -> Terms:
    """`terms` with top-level parts replaced, validated again as a whole."""
    return Terms.model_validate({**terms.model_dump(mode="json"),
                                 **{k: v.model_dump(mode="json") if hasattr(v, "model_dump")
                                    else [i.model_dump(mode="json") if hasattr(i, "model_dump") else i for i in v]
                                    if isinstance(v, list) else v for k, v in changes.items()}})
