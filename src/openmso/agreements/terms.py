"""The content of one agreement version, as a validated document.

A version's terms are stored whole (JSON) beside the version row, so a signed version can never be
edited in place, two versions diff field by field, and the API, the editor form and the rules all
read the same shape. What the agreement does not expressly give the MSO stays with the practice:
a missing service is out of scope, a missing decision is the practice's, a missing data class is
not accessible.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from openmso.agreements.catalogue import (
    CLINICAL_DECISIONS,
    DECISION_BY_KEY,
    MSO_CONTROLLED,
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
    decision_clause,
)
from openmso.core.errors import FieldError, Invalid

Amount = Annotated[Decimal, Field(ge=0, le=Decimal("1000000000"), max_digits=14, decimal_places=2)]
Rate = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]
Text = Annotated[str, Field(max_length=400)]
Days = Annotated[int, Field(ge=0, le=3650)]
StateCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]


class Part(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, use_enum_values=False)


class FriendlyPcControls(Part):
    """Terms that give an investor control of a physician-owned entity (the friendly-PC pattern)."""

    stock_transfer_restriction: bool = False
    succession_agreement: bool = False
    mso_proxy_voting: bool = False
    mso_person_is_pc_officer_or_director: bool = False
    mso_majority_ownership_or_control: bool = False
    mso_finances_acquisition: bool = False
    nominee_physician: str | None = Field(default=None, max_length=160)


class Structure(Part):
    model: AgreementModel = AgreementModel.SERVICE_ONLY
    mso_equity_percent: Rate | None = None  # the investor's economic stake in the practice (or its profits)
    private_equity_backed: bool = False  # the MSO is owned or controlled by a private-equity group or hedge fund
    controls: FriendlyPcControls = Field(default_factory=FriendlyPcControls)


class ConvenienceTermination(StrEnum):
    NONE = "none"
    PRACTICE = "practice"
    MSO = "mso"
    EITHER = "either"


class Term(Part):
    effective_on: date
    initial_years: int = Field(default=5, ge=1, le=40)
    auto_renew: bool = True
    renewal_years: int = Field(default=1, ge=0, le=20)
    for_cause_notice_days: Days = 30
    cure_days: Days = 30
    convenience_termination: ConvenienceTermination = ConvenienceTermination.EITHER
    convenience_notice_days: Days = 180
    noncompete_months: int = Field(default=0, ge=0, le=120)
    noncompete_binds_clinicians: bool = False
    nonsolicit_months: int = Field(default=0, ge=0, le=120)
    non_disparagement_binds_clinicians: bool = False
    productivity_quotas: bool = False


class ServiceTerm(Part):
    service: ServiceKey
    in_scope: bool = True
    level: ServiceLevel = ServiceLevel.ACTIVE_MANAGEMENT
    service_level: Text = ""  # the promise, e.g. "clean-claim rate ≥ 95%, claims out within 3 business days"
    performed_by: Performer = Performer.MSO


class FeeKind(StrEnum):
    FLAT_MONTHLY = "flat_monthly"
    PER_PROVIDER = "per_provider"
    PERCENT_OF_COLLECTIONS = "percent_of_net_collections"
    COST_PLUS = "cost_plus"
    HYBRID = "hybrid"


class Fees(Part):
    """Schedule B. FMV figures are annual; their source is the valuation report that supports them."""

    kind: FeeKind = FeeKind.FLAT_MONTHLY
    monthly_amount: Amount | None = None
    per_provider_monthly: Amount | None = None
    collections_percent: Rate | None = None
    cost_plus_percent: Rate | None = None
    estimated_net_collections_annual: Amount | None = None
    estimated_cost_base_annual: Amount | None = None
    monthly_cap: Amount | None = None
    monthly_floor: Amount | None = None
    fmv_low_annual: Amount | None = None
    fmv_high_annual: Amount | None = None
    fmv_source: Text | None = None
    fmv_valuation_date: date | None = None
    methodology_set_in_advance: bool = True
    includes_marketing: bool = False
    tied_to_referrals: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> Fees:
        needs = {FeeKind.FLAT_MONTHLY: ["monthly_amount"], FeeKind.PER_PROVIDER: ["per_provider_monthly"],
                 FeeKind.PERCENT_OF_COLLECTIONS: ["collections_percent"],
                 FeeKind.COST_PLUS: ["cost_plus_percent", "estimated_cost_base_annual"]}.get(self.kind, [])
        missing = [name for name in needs if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a {self.kind.value} fee needs {', '.join(missing)}")
        if self.kind is FeeKind.HYBRID and sum(
            getattr(self, n) is not None for n in ("monthly_amount", "per_provider_monthly", "collections_percent",
                                                   "cost_plus_percent")) < 2:
            raise ValueError("a hybrid fee combines at least two of monthly, per-provider, percentage, cost-plus")
        if self.fmv_low_annual is not None and self.fmv_high_annual is not None \
                and self.fmv_low_annual > self.fmv_high_annual:
            raise ValueError("fmv_low_annual is above fmv_high_annual")
        if self.monthly_cap is not None and self.monthly_floor is not None and self.monthly_floor > self.monthly_cap:
            raise ValueError("monthly_floor is above monthly_cap")
        return self

    @property
    def is_percentage(self) -> bool:
        return self.collections_percent is not None and self.kind in (FeeKind.PERCENT_OF_COLLECTIONS, FeeKind.HYBRID)


class DecisionRight(Part):
    decision: DecisionKey
    holder: Holder = Holder.PRACTICE
    threshold: Amount | None = None


class AssetTerm(Part):
    asset: AssetKey
    owner: Owner = Owner.PRACTICE
    transfers_at_exit: bool = False
    exit_price_basis: Text = ""  # "fair market value", "net book value", "no charge"…


class TechnologyTerm(Part):
    category: TechnologyCategory
    arrangement: Arrangement = Arrangement.PRACTICE_CHOICE
    vendor: str | None = Field(default=None, max_length=120)


class DataAccess(Part):
    data_class: DataClass
    access: Access = Access.NONE
    purpose: Text = ""


class DataRights(Part):
    owner: Owner = Owner.PRACTICE
    access: list[DataAccess] = Field(default_factory=list, max_length=len(DataClass))
    benchmarking_consent: bool = False
    deidentification: str | None = Field(default=None, max_length=120)  # "HIPAA safe harbor §164.514(b)(2)"
    baa_in_force: bool = False
    baa_signed_on: date | None = None
    baa_breach_notice_days: int | None = Field(default=None, ge=0, le=365)
    exit_formats: list[Annotated[str, Field(max_length=40)]] = Field(default_factory=list, max_length=12)
    exit_delivery_days: Days | None = None
    exit_cost: Amount | None = None
    retention_after_exit_days: Days | None = None

    def access_to(self, data_class: DataClass) -> Access:
        return next((a.access for a in self.access if a.data_class is data_class), Access.NONE)

    @property
    def has_exit_terms(self) -> bool:
        return bool(self.exit_formats) and self.exit_delivery_days is not None


class Disposition(StrEnum):
    TRANSFER = "transfer_to_practice"
    TERMINATE = "terminate"
    REVERT = "revert_to_practice"
    STAYS_WITH_MSO = "stays_with_mso"


class ContractExit(Part):
    contract: str = Field(min_length=1, max_length=160)
    kind: str = Field(pattern=r"^(vendor|payer)$")
    disposition: Disposition = Disposition.TRANSFER
    notice_days: Days | None = None  # the counterparty's notice period for the disposition; None: not stated


class ExitTerms(Part):
    contracts: list[ContractExit] = Field(default_factory=list, max_length=100)
    transition_days: Days | None = None
    cost_borne_by: Performer | None = None
    ar_run_out_days: Days | None = None  # how long after exit the collector works the A/R open at exit
    ar_collected_by: Performer | None = None  # who collects that A/R: the MSO for the practice, or the practice


class NoticeFiling(Part):
    """A pre-closing notice of a material transaction filed with a state regulator."""

    state: StateCode
    filed_on: date


class Terms(Part):
    structure: Structure = Field(default_factory=Structure)
    term: Term
    services: list[ServiceTerm] = Field(default_factory=list, max_length=len(ServiceKey))
    fees: Fees
    decision_rights: list[DecisionRight] = Field(default_factory=list, max_length=len(DecisionKey))
    assets: list[AssetTerm] = Field(default_factory=list, max_length=len(AssetKey))
    technology: list[TechnologyTerm] = Field(default_factory=list, max_length=len(TechnologyCategory))
    data_rights: DataRights = Field(default_factory=DataRights)
    exit: ExitTerms = Field(default_factory=ExitTerms)
    filings: list[NoticeFiling] = Field(default_factory=list, max_length=60)

    @model_validator(mode="after")
    def _one_row_per_key(self) -> Terms:
        for name, key in (("services", "service"), ("decision_rights", "decision"), ("assets", "asset"),
                          ("technology", "category")):
            seen = [getattr(item, key) for item in getattr(self, name)]
            if len(seen) != len(set(seen)):
                raise ValueError(f"{name} lists the same {key} twice")
        return self

    def service(self, key: ServiceKey) -> ServiceTerm | None:
        return next((s for s in self.services if s.service is key and s.in_scope), None)

    def holder(self, key: DecisionKey) -> Holder:
        return next((d.holder for d in self.decision_rights if d.decision is key), Holder.PRACTICE)

    def decision(self, key: DecisionKey) -> DecisionRight:
        return next((d for d in self.decision_rights if d.decision is key), DecisionRight(decision=key))

    def technology_for(self, category: TechnologyCategory) -> TechnologyTerm:
        return next((t for t in self.technology if t.category is category), TechnologyTerm(category=category))

    def asset(self, key: AssetKey) -> AssetTerm:
        return next((a for a in self.assets if a.asset is key), AssetTerm(asset=key))


def clinical_violations(terms: Terms) -> list[FieldError]:
    """Clinical decisions assigned to the MSO, alone or with a veto (joint).

    Professional judgment stays with licensed physicians: the corporate-practice doctrine in
    strong states (CA B&P §2400, OR SB 951 §1, TX 22 TAC §177.17) and the platform's own promise.
    "MSO recommends, practice approves" keeps the final word with the practice and is allowed.
    """
    return [
        FieldError(["terms", "decision_rights", index, "holder"],
                   f"{decision_clause(right.decision)} is a clinical decision and can never be assigned to the MSO "
                   f"(holder {right.holder.value!r}); it must stay with the practice")
        for index, right in enumerate(terms.decision_rights)
        if right.decision in CLINICAL_DECISIONS and right.holder in MSO_CONTROLLED
    ]


def ensure_no_clinical_control(terms: Terms) -> None:
    """Refuse terms that hand a clinical decision to the MSO, naming each clause at fault."""
    errors = clinical_violations(terms)
    if errors:
        raise Invalid("; ".join(e.message for e in errors), errors=errors)


def thresholds_present(terms: Terms) -> list[FieldError]:
    """Thresholded decisions held by the MSO need the threshold amount, or the limit means nothing."""
    return [
        FieldError(["terms", "decision_rights", index, "threshold"],
                   f"{decision_clause(right.decision)} needs a threshold amount")
        for index, right in enumerate(terms.decision_rights)
        if DECISION_BY_KEY[right.decision].has_threshold and right.threshold is None and right.holder is not
        Holder.PRACTICE
    ]
